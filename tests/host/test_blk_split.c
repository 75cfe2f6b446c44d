/*
 * Host tests of the block layer's splitting arithmetic (block/blk_split.c):
 * hand-picked bios under small limits, then random bios under random
 * limits, where every request is checked against every limit, the requests
 * must cover the bio exactly and in order, and each must be as large as
 * the limits allow (the next block would break one of them).
 */
#include "../../block/blk.h"
#include <mm/pmm.h>
#include "ktap.h"
#include <stdlib.h>
#include <string.h>

#define NR_FAKE_PAGES	4096
#define BASE_PFN	0x100

static struct page fake_pages[NR_FAKE_PAGES];

static struct page *pg(unsigned int i)
{
	return &fake_pages[i];
}

static struct blk_split_limits limits(u32 max_bytes, u16 max_segs, u32 max_seg_size,
				      u64 mask, u32 bs)
{
	return (struct blk_split_limits){ .max_bytes = max_bytes, .max_segments = max_segs,
					  .max_segment_size = max_seg_size,
					  .virt_boundary_mask = mask, .block_size = bs };
}

static u32 total(const struct bio_vec *v, unsigned int n)
{
	u32 s = 0;

	for (unsigned int i = 0; i < n; i++)
		s += v[i].bv_len;
	return s;
}

/*
 * Do the first @bytes from @cur form one valid request under @lim?
 * Counts segments as the iterator yields them.
 */
static bool fits(const struct bio_vec *v, struct blk_cursor cur, u32 bytes,
		 const struct blk_split_limits *lim)
{
	struct blk_seg seg, prev = { 0, 0 };
	unsigned int n = 0;
	u32 left = bytes;

	if (bytes > lim->max_bytes || bytes % lim->block_size)
		return false;
	while (blk_seg_next(v, &cur, &left, lim->max_segment_size, &seg)) {
		if (n && lim->virt_boundary_mask &&
		    (((prev.phys + prev.len) & lim->virt_boundary_mask) ||
		     (seg.phys & lim->virt_boundary_mask)))
			return false;
		prev = seg;
		n++;
	}
	return n <= lim->max_segments;
}

/*
 * Split @v[@n] fully under @lim, checking each request; returns the
 * number of requests, or 0 if a request came out empty.
 */
static unsigned int split_and_check(const struct bio_vec *v, unsigned int n,
				    const struct blk_split_limits *lim)
{
	struct blk_cursor cur = { 0, 0 };
	u32 left = total(v, n);
	unsigned int reqs = 0;
	u64 covered = 0;

	while (left) {
		struct blk_cursor before = cur, it = cur;
		struct blk_seg seg;
		u16 segs, counted = 0;
		u32 bytes = blk_split_next(v, cur, left, lim, &segs), l;

		if (!bytes)
			return 0;
		KT_EXPECT(fits(v, cur, bytes, lim));
		KT_EXPECT(bytes == left || !fits(v, cur, bytes + lim->block_size, lim));
		l = bytes;
		while (blk_seg_next(v, &it, &l, lim->max_segment_size, &seg)) {
			/* the segment is the bytes the bio has at this point */
			KT_EXPECT_EQ(seg.phys, bvec_phys(&v[before.vec], before.off));
			KT_EXPECT(seg.len <= lim->max_segment_size);
			blk_cursor_advance(v, &before, seg.len);
			counted++;
		}
		KT_EXPECT_EQ(counted, segs);
		blk_cursor_advance(v, &cur, bytes);
		KT_EXPECT_EQ(cur.vec, it.vec);
		KT_EXPECT_EQ(cur.off, it.off);
		covered += bytes;
		left -= bytes;
		reqs++;
		if (kt_case_failed)
			return reqs;
	}
	KT_EXPECT_EQ(covered, total(v, n));
	KT_EXPECT_EQ(cur.vec, n);
	return reqs;
}

/* 1 MiB as 256 separate pages under 64 KiB and 8 segments: 32 requests of 8 pages. */
static void t_segment_limit_splits(void)
{
	struct bio_vec v[256];
	struct blk_split_limits lim = limits(64 << 10, 8, 65536, 0, 512);

	for (unsigned int i = 0; i < 256; i++)
		v[i] = (struct bio_vec){ pg(2 * i), PAGE_SIZE, 0 };	/* not contiguous */
	KT_EXPECT_EQ(split_and_check(v, 256, &lim), 32);
	KT_EXPECT_EQ(blk_split_count(v, total(v, 256), &lim), 32);
}

static void t_byte_limit_splits_inside_a_vector(void)
{
	struct bio_vec v[1] = { { pg(0), 1 << 20, 0 } };	/* one 1 MiB contiguous run */
	struct blk_split_limits lim = limits(12 << 10, 128, 1 << 20, 0, 4096);

	/* 12 KiB requests: 85 of them and a last one of 4 KiB */
	KT_EXPECT_EQ(split_and_check(v, 1, &lim), 86);
}

static void t_segment_size_limit_counts_pieces(void)
{
	struct bio_vec v[1] = { { pg(0), 64 << 10, 512 } };
	struct blk_split_limits lim = limits(1 << 20, 4, 4096, 0, 512);
	u16 segs;

	/* four 4 KiB pieces per request */
	KT_EXPECT_EQ(blk_split_next(v, (struct blk_cursor){ 0, 0 }, 64 << 10, &lim, &segs),
		     16 << 10);
	KT_EXPECT_EQ(segs, 4);
	KT_EXPECT_EQ(split_and_check(v, 1, &lim), 4);
}

/* NVMe-style: a vector ending mid-page forces a split there. */
static void t_virt_boundary_gap_splits(void)
{
	struct bio_vec v[3] = {
		{ pg(0), 2048, 0 },		/* ends mid-page: gap after it */
		{ pg(5), 4096, 0 },
		{ pg(9), 4096, 0 },
	};
	struct blk_split_limits lim = limits(1 << 20, 128, 0xffffffffu, PAGE_SIZE - 1, 512);
	u16 segs;

	KT_EXPECT_EQ(blk_split_next(v, (struct blk_cursor){ 0, 0 }, 10240, &lim, &segs), 2048);
	KT_EXPECT_EQ(segs, 1);
	KT_EXPECT_EQ(split_and_check(v, 3, &lim), 2);
	/* a first vector starting mid-page is fine if it ends on the boundary */
	v[0] = (struct bio_vec){ pg(0), 2048, 2048 };
	KT_EXPECT_EQ(split_and_check(v, 3, &lim), 1);
}

/* With 4 KiB blocks, a gap after 2 KiB cannot be split on a block boundary. */
static void t_virt_boundary_unsplittable(void)
{
	struct bio_vec v[2] = { { pg(0), 2048, 0 }, { pg(3), 2048, 0 } };
	struct blk_split_limits lim = limits(1 << 20, 128, 0xffffffffu, PAGE_SIZE - 1, 4096);

	KT_EXPECT_EQ(blk_split_count(v, 4096, &lim), 0);
	lim.virt_boundary_mask = 0;
	KT_EXPECT_EQ(blk_split_count(v, 4096, &lim), 1);
}

/* Segment count limit with 4 KiB blocks and 512-byte vectors: only whole blocks go. */
static void t_block_cut_mid_vector(void)
{
	struct bio_vec v[16];
	struct blk_split_limits lim = limits(1 << 20, 12, 65536, 0, 4096);

	for (unsigned int i = 0; i < 16; i++)
		v[i] = (struct bio_vec){ pg(i * 3), 512, 512 };
	/* 12 segments = 6 KiB, cut to 4 KiB: 8 vectors, then the other 8 */
	KT_EXPECT_EQ(split_and_check(v, 16, &lim), 2);
	lim.max_segments = 7;		/* 3.5 KiB: not one block */
	KT_EXPECT_EQ(blk_split_count(v, 8192, &lim), 0);
}

static u64 rng = 88172645463325252ull;

static u32 rnd(u32 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (u32)(rng % n);
}

/* A random bio of whole blocks; vectors aligned to @align, some physically adjacent. */
static unsigned int random_bio(struct bio_vec *v, unsigned int max, u32 bs, u32 align)
{
	unsigned int n = 1 + rnd(max), page = rnd(64);
	u32 sum = 0;

	for (unsigned int i = 0; i < n; i++) {
		u32 off = rnd(PAGE_SIZE / align) * align;
		u32 len = (1 + rnd(3 * PAGE_SIZE / align)) * align;

		v[i] = (struct bio_vec){ pg(page), len, off };
		sum += len;
		page += (off + len + PAGE_SIZE - 1) / PAGE_SIZE + rnd(2);	/* sometimes adjacent */
	}
	/* pad the last vector so the bio is whole blocks */
	v[n - 1].bv_len += ALIGN_UP(sum, bs) - sum;
	return n;
}

static void t_random_bios_under_random_limits(void)
{
	static const u32 block_sizes[] = { 512, 4096 };
	unsigned int splittable = 0, rounds = 4000, multi = 0;

	for (unsigned int r = 0; r < rounds && !kt_case_failed; r++) {
		struct bio_vec v[40];
		u32 bs = block_sizes[rnd(2)];
		u32 align = 1u << (9 + rnd(4));		/* 512 .. 4096 */
		u64 mask = rnd(3) == 0 ? PAGE_SIZE - 1 : 0;
		struct blk_split_limits lim = limits(bs * (1 + rnd(64)), 1 + rnd(16),
						     mask ? 0xffffffffu : PAGE_SIZE << rnd(3),
						     mask, bs);
		unsigned int n = random_bio(v, 40, bs, align);
		unsigned int c = blk_split_count(v, total(v, n), &lim);

		if (c) {
			KT_EXPECT_EQ(split_and_check(v, n, &lim), c);
			splittable++;
			multi += c > 1;
		}
	}
	printf("    # %u of %u random bios splittable, %u into several requests\n",
	       splittable, rounds, multi);
	KT_EXPECT(splittable > rounds / 2);
	KT_EXPECT(multi > rounds / 4);
}

static const struct kt_case cases[] = {
	KT_CASE(t_segment_limit_splits, "the segment limit splits a bio of separate pages"),
	KT_CASE(t_byte_limit_splits_inside_a_vector, "the size limit splits inside one vector"),
	KT_CASE(t_segment_size_limit_counts_pieces, "a vector longer than the segment size is several segments"),
	KT_CASE(t_virt_boundary_gap_splits, "a virtual-boundary gap starts a new request"),
	KT_CASE(t_virt_boundary_unsplittable, "a gap that is not on a block boundary cannot be split"),
	KT_CASE(t_block_cut_mid_vector, "requests are cut back to whole logical blocks"),
	KT_CASE(t_random_bios_under_random_limits, "random bios: every request within limits, maximal, in order"),
};

int main(void)
{
	pmm_init(&kernel_pmm, fake_pages, BASE_PFN, NR_FAKE_PAGES);
	return kt_run_suite("blk_split", cases, KT_N(cases));
}
