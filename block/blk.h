/*
 * The block layer's internal interface between its files (not for
 * drivers or users: include/pagoda/{bio,blkdev,blk_mq}.h are theirs).
 * The splitting arithmetic at the top is host-compilable
 * (tests/host/test_blk_split.c); the rest is kernel-only.
 */
#ifndef BLOCK_BLK_H
#define BLOCK_BLK_H

#include <pagoda/blk_types.h>
#include <pagoda/blk_mq.h>

/* ---- splitting (block/blk_split.c) ---- */

/* A disk's limits as the splitter needs them (bytes). */
struct blk_split_limits {
	u32 max_bytes;			/* per request */
	u16 max_segments;
	u32 max_segment_size;
	u64 virt_boundary_mask;
	u32 block_size;			/* logical */
};

/* A position in a bio's vectors. */
struct blk_cursor {
	u16 vec;
	u32 off;
};

/* Physical address of byte @off of @bv. */
phys_addr_t bvec_phys(const struct bio_vec *bv, u32 off);

/*
 * The next DMA segment at @cur within @*left bytes: at most one vector's
 * rest and @max_segment_size bytes. Advances @cur and @left. False when
 * @left is 0.
 */
bool blk_seg_next(const struct bio_vec *vecs, struct blk_cursor *cur, u32 *left,
		  u32 max_segment_size, struct blk_seg *seg);

/*
 * How many bytes the request starting at @cur can carry, of the @left
 * bytes that remain: as many whole segments as the limits allow (count,
 * bytes, virtual-boundary gaps), then cut down to a multiple of the block
 * size (cutting the last segment short if needed). 0 if not one block
 * fits: the bio cannot be split on block boundaries for this disk.
 * *nr_segs gets the segment count of the result.
 */
u32 blk_split_next(const struct bio_vec *vecs, struct blk_cursor cur, u32 left,
		   const struct blk_split_limits *lim, u16 *nr_segs);

/* Move @cur forward by @bytes. */
void blk_cursor_advance(const struct bio_vec *vecs, struct blk_cursor *cur, u32 bytes);

/*
 * How many requests @size bytes of @vecs become under @lim; 0 if they
 * cannot be split on block boundaries.
 */
unsigned int blk_split_count(const struct bio_vec *vecs, u32 size,
			     const struct blk_split_limits *lim);

#ifdef __KERNEL__
#include <pagoda/bio.h>
#include <pagoda/blkdev.h>

/* ---- block/bio.c ---- */

/* Is [buf, buf + len) direct-map memory the allocator manages (so it has struct pages)? */
bool blk_kbuf_ok(const void *buf, size_t len);

/*
 * Add the pages of kernel buffer [@buf, +@len) (direct map) to @bio, one
 * vector per page, as far as its vectors go; if not all of @len fits, cut
 * the tail back to a multiple of @align. Returns the bytes added.
 */
size_t bio_add_kbuf(struct bio *bio, void *buf, size_t len, u32 align);

/* ---- block/blk_core.c ---- */

void blk_limits_for_split(const struct gendisk *disk, struct blk_split_limits *lim);
/*
 * Check @bio against its device and fill its core fields (disk, disk
 * sector, first stage). BLK_STS_OK, or why it must fail at once.
 */
blk_status_t blk_bio_prepare(struct bio *bio);
/*
 * Fill @rq (tag taken, state set by the caller) with the next piece of
 * @bio's current stage and advance the bio. Returns true when the bio has
 * no more requests to issue in this stage. set->lock held (or the polled
 * path's exclusive use of the bio).
 */
bool blk_bio_next_request(struct bio *bio, struct request *rq);
/*
 * One request of @bio ended with @status (set->lock held). Returns true
 * when the current stage is over: the caller then calls
 * blk_bio_stage_done() without the lock.
 */
bool blk_bio_request_done(struct bio *bio, struct request *rq, blk_status_t status);
/* The stage after @bio's current one that has work (BIO_STAGE_DONE after an error). */
enum bio_stage blk_bio_next_stage(const struct bio *bio);
/*
 * Move @bio to its next stage: queue it again (returns true: dispatch),
 * or end it (bi_end_io called). No lock held; any context.
 */
bool blk_bio_stage_done(struct bio *bio);
/* Log a failed request once, Linux's way. */
void blk_print_req_error(const struct request *rq, blk_status_t status);

/* ---- block/blk_mq.c ---- */

/*
 * blk_mq_complete_request() only if @rq is still the use of its tag with
 * generation @gen (checked under the set's lock with the completion).
 */
bool blk_mq_complete_request_gen(struct request *rq, u8 gen, blk_status_t status);
/* Queue a prepared bio and dispatch. Any context. */
void blk_mq_submit_bio(struct bio *bio);
/* Put a bio whose next stage has requests back on the queue (lock held). */
void blk_mq_requeue_bio_locked(struct blk_mq_tag_set *set, struct bio *bio);
/* The set's lock, taken even while the kernel is dying (then maybe not at all). */
static inline bool blk_set_lock(struct blk_mq_tag_set *set, unsigned long *flags)
{
	return spin_lock_irqsave_or_try_dying(&set->lock, flags);
}

static inline void blk_set_unlock(struct blk_mq_tag_set *set, unsigned long flags, bool locked)
{
	spin_unlock_irqrestore_if(&set->lock, flags, locked);
}

/*
 * A new use of @rq's tag for @disk: generation bumped, in flight, not yet
 * started (the driver starts it), no deadline (set->lock held).
 */
void blk_mq_rq_init_locked(struct request *rq, struct gendisk *disk);
/* Free a request's tag and fields (set->lock held). */
void blk_mq_free_request_locked(struct request *rq);

/* ---- block/blk_timeout.c ---- */

/* Arm the set's timer for @deadline_ns if it is the earliest (set->lock held). */
void blk_add_timer_locked(struct blk_mq_tag_set *set, u64 deadline_ns);
void blk_timeout_init_set(struct blk_mq_tag_set *set);
/*
 * Stop watching @set (no timer, off kblockd's list), after kblockd is
 * done with it: the tags its ->timeout() calls held are free on return.
 * Sleeps; not with a lock a ->timeout() takes.
 */
void blk_timeout_exit_set(struct blk_mq_tag_set *set);
/*
 * Wait until kblockd is not inside a driver's ->timeout(). Sleeps; not
 * with a lock a ->timeout() takes (a reset mutex).
 */
void blk_timeout_sync(void);

/* ---- block/genhd.c ---- */

extern struct mutex bdev_lock;
/* Read @disk's partition table and register its partitions (open_mutex held). */
void blk_scan_partitions(struct gendisk *disk);
#endif

#endif
