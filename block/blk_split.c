/*
 * Splitting a bio into requests that fit a disk's limits (block/blk.h).
 * Host-compilable: pure arithmetic on the bio's vectors, so
 * tests/host/test_blk_split.c checks it against the limits directly.
 *
 * A request carries a run of whole DMA segments taken in order from the
 * bio's vectors: each segment is the rest of a vector, cut at
 * max_segment_size. A request ends before the segment that would exceed
 * max_segments or max_bytes (that one is cut short to fill max_bytes), or
 * that would leave a gap under the virtual boundary: with mask m, a
 * segment that does not start on a boundary, or whose predecessor did not
 * end on one, must start a new request. The request is then cut back to a
 * multiple of the logical block size, so the next one starts on a block
 * boundary of the disk (perhaps in the middle of a vector: a first
 * segment may start anywhere, a last one end anywhere).
 */
#include "blk.h"
#include <pagoda/compiler.h>
#include <mm/pmm.h>

phys_addr_t bvec_phys(const struct bio_vec *bv, u32 off)
{
	return page_to_phys(bv->bv_page) + bv->bv_offset + off;
}

bool blk_seg_next(const struct bio_vec *vecs, struct blk_cursor *cur, u32 *left,
		  u32 max_segment_size, struct blk_seg *seg)
{
	const struct bio_vec *bv;
	u32 len;

	if (*left == 0)
		return false;
	bv = &vecs[cur->vec];
	len = MIN(bv->bv_len - cur->off, max_segment_size);
	len = MIN(len, *left);
	seg->phys = bvec_phys(bv, cur->off);
	seg->len = len;
	*left -= len;
	cur->off += len;
	if (cur->off == bv->bv_len) {
		cur->vec++;
		cur->off = 0;
	}
	return true;
}

void blk_cursor_advance(const struct bio_vec *vecs, struct blk_cursor *cur, u32 bytes)
{
	while (bytes) {
		u32 n = MIN(bytes, vecs[cur->vec].bv_len - cur->off);

		bytes -= n;
		cur->off += n;
		if (cur->off == vecs[cur->vec].bv_len) {
			cur->vec++;
			cur->off = 0;
		}
	}
}

/* Would @next after @prev in one request break the virtual boundary? */
static bool virt_gap(const struct blk_seg *prev, const struct blk_seg *next, u64 mask)
{
	return mask && (((prev->phys + prev->len) & mask) || (next->phys & mask));
}

/* Segments of the first @bytes from @cur. */
static u16 count_segments(const struct bio_vec *vecs, struct blk_cursor cur, u32 bytes,
			  u32 max_segment_size)
{
	struct blk_seg seg;
	u16 n = 0;

	while (blk_seg_next(vecs, &cur, &bytes, max_segment_size, &seg))
		n++;
	return n;
}

u32 blk_split_next(const struct bio_vec *vecs, struct blk_cursor cur, u32 left,
		   const struct blk_split_limits *lim, u16 *nr_segs)
{
	struct blk_cursor start = cur;
	struct blk_seg seg, prev;
	u32 room = MIN(left, lim->max_bytes), bytes = 0;
	u16 n = 0;

	while (n < lim->max_segments &&
	       blk_seg_next(vecs, &cur, &room, lim->max_segment_size, &seg)) {
		if (n && virt_gap(&prev, &seg, lim->virt_boundary_mask))
			break;
		bytes += seg.len;
		prev = seg;
		n++;
	}
	bytes = ALIGN_DOWN(bytes, lim->block_size);
	*nr_segs = bytes ? count_segments(vecs, start, bytes, lim->max_segment_size) : 0;
	return bytes;
}

unsigned int blk_split_count(const struct bio_vec *vecs, u32 size,
			     const struct blk_split_limits *lim)
{
	struct blk_cursor cur = { 0, 0 };
	unsigned int n = 0;

	while (size) {
		u16 segs;
		u32 bytes = blk_split_next(vecs, cur, size, lim, &segs);

		if (!bytes)
			return 0;
		blk_cursor_advance(vecs, &cur, bytes);
		size -= bytes;
		n++;
	}
	return n;
}
