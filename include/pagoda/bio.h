/*
 * struct bio: one I/O as its submitter sees it: an operation on a block
 * device at a sector, over a list of (page, offset, length) vectors, that
 * ends with a status and a callback. block/bio.c, block/blk_core.c;
 * docs/block-layer.md.
 *
 *   bio = bio_alloc(bdev, nr_vecs, REQ_OP_READ, GFP_KERNEL);
 *   bio->bi_sector = sector;
 *   bio_add_page(bio, page, len, offset);          (as many as nr_vecs)
 *   bio->bi_end_io = my_end_io; bio->bi_private = me;
 *   submit_bio(bio);                               returns at once
 *   ... my_end_io(bio) runs, maybe in interrupt context: bio->bi_status
 *   bio_put(bio);                                  (any context)
 *
 * or err = submit_bio_wait(bio) to sleep until it ends. The block layer
 * splits a bio that exceeds the device's limits into several requests and
 * ends the bio once, when all of them have ended, with the first error.
 *
 * Fields marked (core) belong to the block layer between submit_bio() and
 * the end_io call; the submitter must not touch them (or the vectors, or
 * the pages' contents for a write) in between.
 */
#ifndef PAGODA_BIO_H
#define PAGODA_BIO_H

#include <pagoda/blk_types.h>
#include <pagoda/list.h>
#include <mm/pmm.h>

struct block_device;
struct gendisk;
struct bio;

typedef void bio_end_io_t(struct bio *bio);

/* bio->bi_flags */
#define BIO_ALLOCATED		0x01	/* from bio_alloc(): bio_put() frees it */
#define BIO_EMULATE_FUA		0x80	/* (core) written without FUA, a flush follows */

/* Stages of a bio inside the block layer (core). */
enum bio_stage {
	BIO_STAGE_PREFLUSH,	/* REQ_PREFLUSH on a disk with a volatile cache */
	BIO_STAGE_DATA,
	BIO_STAGE_POSTFLUSH,	/* REQ_FUA emulated by a flush on a disk without FUA */
	BIO_STAGE_DONE,
};

struct bio {
	struct block_device *bi_bdev;	/* disk or partition */
	blk_opf_t bi_opf;		/* REQ_OP_* | REQ_* flags */
	blk_status_t bi_status;		/* set when it ends */
	u8 bi_flags;			/* BIO_* */
	sector_t bi_sector;		/* first sector, relative to bi_bdev */
	u32 bi_size;			/* bytes: the sum of the vectors' lengths */
	u16 bi_vcnt;			/* vectors used */
	u16 bi_max_vecs;		/* vectors available */
	struct bio_vec *bi_io_vec;
	bio_end_io_t *bi_end_io;	/* may be NULL */
	void *bi_private;		/* the submitter's */

	/* (core) from submit_bio() to the end: block/blk_core.c */
	struct gendisk *bi_disk;
	sector_t bi_disk_sector;	/* bi_sector remapped to the whole disk */
	struct list_head bi_queue;	/* in the tag set's software queue */
	u8 bi_stage;			/* enum bio_stage */
	bool bi_queued;			/* on bi_queue */
	u16 bi_next_vec;		/* where the next request starts: vector */
	u32 bi_next_off;		/* ... and byte offset into it */
	u32 bi_issued;			/* data bytes handed to requests so far */
	u32 bi_inflight;		/* requests of the current stage not ended */

	struct bio_vec bi_inline_vecs[];	/* bio_alloc()'s vectors */
};

/*
 * A bio with room for @nr_vecs vectors (at most BIO_MAX_VECS), for @bdev
 * and @opf, sector 0, no vectors yet. NULL when memory is short. Sleeps
 * only if @gfp allows.
 */
#define BIO_MAX_VECS		1024
struct bio *bio_alloc(struct block_device *bdev, unsigned int nr_vecs, blk_opf_t opf,
		      gfp_t gfp);
/*
 * Set up a bio in caller storage (a stack frame, a preallocated one for the
 * crash path) with @vecs[@max_vecs] as its vectors. bio_put() on it does
 * nothing.
 */
void bio_init(struct bio *bio, struct block_device *bdev, struct bio_vec *vecs,
	      unsigned int max_vecs, blk_opf_t opf);
/* Free a bio_alloc() bio. Any context (interrupts included). NULL is fine. */
void bio_put(struct bio *bio);

/*
 * Append @len bytes at @offset into @page (offset may exceed PAGE_SIZE for
 * a multi-page allocation). Returns @len, or 0 when the bio has no free
 * vector or would exceed 4 GiB. Never sleeps.
 */
u32 bio_add_page(struct bio *bio, struct page *page, u32 len, u32 offset);

static inline enum req_op bio_op(const struct bio *bio)
{
	return opf_op(bio->bi_opf);
}

/*
 * Hand @bio to the block layer; returns at once, never sleeps: any
 * context, including an end_io callback. The bio ends through bi_end_io
 * (perhaps before submit_bio returns: a bad bio ends at once) with:
 *   BLK_STS_IOERR    beyond the end of the device, or a device error
 *   BLK_STS_INVAL    sector, size or a vector not aligned to the logical
 *                    block size / DMA alignment, or no data on a READ/WRITE
 *   BLK_STS_ROFS     a write to a read-only disk or partition
 *   BLK_STS_OFFLINE  the disk has been deleted
 *   BLK_STS_TIMEOUT  the device did not answer in time
 */
void submit_bio(struct bio *bio);

/*
 * 512-byte sectors submitted for reading and for writing since boot, on
 * every disk ([REQ_OP_READ], [REQ_OP_WRITE]): /proc/vmstat's pgpgin and
 * pgpgout are these in KiB, as Linux counts them in submit_bio(). Plain
 * increments: a race loses a count, never corrupts one.
 */
extern u64 blk_sectors_submitted[2];

/*
 * submit_bio() and sleep until the bio ends (uninterruptibly). Returns 0
 * or the negative errno of its status. Takes over bi_end_io/bi_private.
 * Process context, no lock held.
 */
int submit_bio_wait(struct bio *bio);

/*
 * End @bio with @status (the core does this; a stacking user may too):
 * records the status and calls bi_end_io. Any context.
 */
void bio_endio(struct bio *bio, blk_status_t status);

#endif
