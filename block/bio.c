/*
 * Bios: allocation, vectors, waiting for one, and the kernel-buffer
 * helpers built on them (include/pagoda/bio.h, blkdev.h).
 */
#include "blk.h"
#include <pagoda/bio.h>
#include <pagoda/blkdev.h>
#include <pagoda/completion.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/arch.h>
#include <mm/slab.h>

struct bio *bio_alloc(struct block_device *bdev, unsigned int nr_vecs, blk_opf_t opf,
		      gfp_t gfp)
{
	struct bio *bio;

	if (nr_vecs > BIO_MAX_VECS)
		return NULL;
	bio = kmalloc(sizeof(*bio) + nr_vecs * sizeof(struct bio_vec), gfp);
	if (!bio)
		return NULL;
	bio_init(bio, bdev, bio->bi_inline_vecs, nr_vecs, opf);
	bio->bi_flags |= BIO_ALLOCATED;
	return bio;
}

void bio_init(struct bio *bio, struct block_device *bdev, struct bio_vec *vecs,
	      unsigned int max_vecs, blk_opf_t opf)
{
	memset(bio, 0, sizeof(*bio));
	bio->bi_bdev = bdev;
	bio->bi_opf = opf;
	bio->bi_io_vec = vecs;
	bio->bi_max_vecs = max_vecs;
	list_init(&bio->bi_queue);
}

void bio_put(struct bio *bio)
{
	if (bio && (bio->bi_flags & BIO_ALLOCATED))
		kfree(bio);
}

u32 bio_add_page(struct bio *bio, struct page *page, u32 len, u32 offset)
{
	struct bio_vec *bv;

	if (!len || bio->bi_vcnt >= bio->bi_max_vecs || bio->bi_size + len < bio->bi_size)
		return 0;
	bv = &bio->bi_io_vec[bio->bi_vcnt++];
	bv->bv_page = page + (offset >> PAGE_SHIFT);
	bv->bv_offset = offset & (PAGE_SIZE - 1);
	bv->bv_len = len;
	bio->bi_size += len;
	return len;
}

void bio_endio(struct bio *bio, blk_status_t status)
{
	if (status && !bio->bi_status)
		bio->bi_status = status;
	bio->bi_stage = BIO_STAGE_DONE;
	if (bio->bi_end_io)
		bio->bi_end_io(bio);
}

static void submit_bio_wait_endio(struct bio *bio)
{
	complete(bio->bi_private);
}

int submit_bio_wait(struct bio *bio)
{
	struct completion done;

	might_sleep();
	init_completion(&done);
	bio->bi_private = &done;
	bio->bi_end_io = submit_bio_wait_endio;
	submit_bio(bio);
	wait_for_completion(&done);
	return blk_status_to_errno(bio->bi_status);
}

/* ---- kernel buffers ---- */

bool blk_kbuf_ok(const void *buf, size_t len)
{
	uintptr_t a = (uintptr_t)buf;
	phys_addr_t start, end;

	if (a < direct_map_base || !len)
		return false;
	start = virt_to_phys(buf);
	end = start + len - 1;
	return end >= start && pmm_has_pfn(&kernel_pmm, PHYS_PFN(start)) &&
	       pmm_has_pfn(&kernel_pmm, PHYS_PFN(end));
}

size_t bio_add_kbuf(struct bio *bio, void *buf, size_t len, u32 align)
{
	uintptr_t a = (uintptr_t)buf;
	size_t took = 0, cut;

	while (took < len && bio->bi_vcnt < bio->bi_max_vecs) {
		uintptr_t p = a + took;
		u32 n = (u32)MIN(len - took, PAGE_SIZE - (p & (PAGE_SIZE - 1)));

		bio_add_page(bio, pfn_to_page(PHYS_PFN(virt_to_phys((void *)p))), n,
			     p & (PAGE_SIZE - 1));
		took += n;
	}
	if (took == len)
		return took;
	for (cut = took - ALIGN_DOWN(took, align); cut;) {	/* drop the tail past the cut */
		struct bio_vec *bv = &bio->bi_io_vec[bio->bi_vcnt - 1];
		u32 n = (u32)MIN(cut, (size_t)bv->bv_len);

		bv->bv_len -= n;
		bio->bi_size -= n;
		cut -= n;
		if (!bv->bv_len)
			bio->bi_vcnt--;
	}
	return ALIGN_DOWN(took, align);
}

#define KBUF_MAX_VECS	256

/*
 * Whole-buffer I/O in bios of up to KBUF_MAX_VECS pages (one vector per
 * page touched, as the page cache will build them), one after the other.
 */
static int blkdev_rw_kbuf(struct block_device *bdev, blk_opf_t opf, sector_t sector,
			  void *buf, size_t len)
{
	might_sleep();
	if (!blk_kbuf_ok(buf, len))
		return -EINVAL;
	while (len) {
		size_t pages = (ALIGN_UP((uintptr_t)buf + len, PAGE_SIZE) -
				ALIGN_DOWN((uintptr_t)buf, PAGE_SIZE)) >> PAGE_SHIFT;
		struct bio *bio = bio_alloc(bdev, (unsigned int)MIN(pages, (size_t)KBUF_MAX_VECS),
					    opf, GFP_KERNEL);
		size_t took;
		int err;

		if (!bio)
			return -ENOMEM;
		bio->bi_sector = sector;
		took = bio_add_kbuf(bio, buf, len, bdev_logical_block_size(bdev));
		if (!took) {
			bio_put(bio);
			return -EINVAL;
		}
		err = submit_bio_wait(bio);
		bio_put(bio);
		if (err)
			return err;
		buf = (u8 *)buf + took;
		sector += took >> SECTOR_SHIFT;
		len -= took;
	}
	return 0;
}

int blkdev_read(struct block_device *bdev, sector_t sector, void *buf, size_t len)
{
	return blkdev_rw_kbuf(bdev, REQ_OP_READ, sector, buf, len);
}

int blkdev_write(struct block_device *bdev, sector_t sector, const void *buf, size_t len)
{
	return blkdev_rw_kbuf(bdev, REQ_OP_WRITE, sector, (void *)buf, len);
}

int blkdev_issue_flush(struct block_device *bdev)
{
	struct bio bio;
	int err;

	bio_init(&bio, bdev, NULL, 0, REQ_OP_FLUSH);
	err = submit_bio_wait(&bio);
	return err;
}
