/*
 * Polled I/O (blk_execute_polled, include/pagoda/blkdev.h): the crash
 * path's way to write while the machine dies, with interrupts off and the
 * scheduler not to be trusted.
 *
 * The bio goes through the same checks and the same splitting as any
 * other, but its requests use the set's reserved tag, one at a time, and
 * bypass the software queue (which may be full of I/O that will never
 * finish). Each request is handed to ->queue_rq() directly, then the
 * driver's ->poll() is called until the request is complete or the
 * deadline (measured with time_ns(), which needs no interrupt) passes. A
 * request given up on is marked complete with BLK_STS_TIMEOUT; its tag's
 * generation changes with the next use, so a late answer carrying the old
 * command id is recognised as stale.
 */
#include "blk.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/time.h>

static void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Give up on @rq (still in flight after its deadline). */
static void polled_timeout(struct blk_mq_tag_set *set, struct request *rq)
{
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	if (rq->state == MQ_RQ_IN_FLIGHT) {
		rq->state = MQ_RQ_COMPLETE;
		rq->status = BLK_STS_TIMEOUT;
		if (locked)		/* the set's own fields only under its lock */
			set->nr_timeouts++;
	}
	blk_set_unlock(set, flags, locked);
}

/* The driver was busy for @rq: it is not started any more. */
static void polled_unstart(struct blk_mq_tag_set *set, struct request *rq)
{
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	rq->rq_flags &= ~RQF_STARTED;
	blk_set_unlock(set, flags, locked);
}

/* Hand @rq to the driver, polling while it is busy. OK, or why not. */
static blk_status_t polled_queue(struct blk_mq_tag_set *set, struct request *rq, u64 deadline)
{
	for (;;) {
		blk_status_t ret = set->ops->queue_rq(rq, true);

		if (ret != BLK_STS_RESOURCE)
			return ret;
		polled_unstart(set, rq);
		set->ops->poll(set);
		if (time_ns() > deadline)
			return BLK_STS_TIMEOUT;
		cpu_relax();
	}
}

/* Issue one request and poll until it is done; its status. */
static blk_status_t polled_one(struct blk_mq_tag_set *set, struct request *rq, u64 deadline)
{
	blk_status_t st = polled_queue(set, rq, deadline);

	if (st) {
		polled_timeout(set, rq);	/* never reached the device: just end it */
		rq->status = st;
	}
	while (READ_ONCE(rq->state) == MQ_RQ_IN_FLIGHT) {
		set->ops->poll(set);
		if (time_ns() > deadline) {
			polled_timeout(set, rq);
			break;
		}
		cpu_relax();
	}
	st = READ_ONCE(rq->status);
	if (st)
		blk_print_req_error(rq, st);
	return st;
}

/* Run the current stage of @bio through the reserved request. */
static blk_status_t polled_stage(struct bio *bio, struct request *rq, u64 deadline)
{
	struct blk_mq_tag_set *set = rq->set;
	bool issued_all = false;

	while (!issued_all) {
		unsigned long flags;
		bool locked = blk_set_lock(set, &flags);
		blk_status_t st;

		blk_mq_rq_init_locked(rq, bio->bi_disk);
		rq->rq_flags = RQF_POLLED;
		issued_all = blk_bio_next_request(bio, rq);	/* REQ_POLLED from the bio */
		blk_set_unlock(set, flags, locked);

		st = polled_one(set, rq, deadline);

		locked = blk_set_lock(set, &flags);
		blk_bio_request_done(bio, rq, st);
		rq->state = MQ_RQ_IDLE;
		rq->bio = NULL;
		blk_set_unlock(set, flags, locked);
		if (st)
			return st;
	}
	return BLK_STS_OK;
}

/*
 * Claim the reserved tag; false if another polled request holds it. While
 * the kernel is dying its holder may be the context that died, which will
 * never give it back: the tag is taken over. Its abandoned request gets a
 * new generation at the next use, so an answer to it is stale, and a
 * driver whose device may still hold that command says busy until it is
 * answered.
 */
static bool claim_reserved(struct blk_mq_tag_set *set)
{
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);
	bool got = !set->reserved_busy || kernel_dying;

	if (got)
		set->reserved_busy = true;
	blk_set_unlock(set, flags, locked);
	return got;
}

static void release_reserved(struct blk_mq_tag_set *set)
{
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	set->reserved_busy = false;
	blk_set_unlock(set, flags, locked);
}

/*
 * The bio is prepared first: a block device still held after its disk was
 * deleted (a driver unbound) fails there, before the disk's tag set, which
 * may be freed with its driver, is looked at. Every path ends the bio.
 */
int blk_execute_polled(struct bio *bio, u64 timeout_ns)
{
	struct blk_mq_tag_set *set;
	struct gendisk *disk;
	blk_status_t st;
	int err = 0;
	u64 deadline;

	bio->bi_opf |= REQ_POLLED;
	st = blk_bio_prepare(bio);
	if (st)
		goto out;
	disk = bio->bi_disk;
	set = disk->set;
	if (!set->ops->poll) {
		st = BLK_STS_NOTSUPP;
		goto out;
	}
	if (!claim_reserved(set)) {
		st = BLK_STS_RESOURCE;
		err = -EBUSY;
		goto out;
	}
	deadline = time_ns() + (timeout_ns ? timeout_ns : disk->timeout_ns);
	while (bio->bi_stage != BIO_STAGE_DONE) {
		st = polled_stage(bio, set->rqs[set->reserved_tag], deadline);
		if (st)
			break;
		bio->bi_stage = blk_bio_next_stage(bio);	/* the stage is over */
	}
	release_reserved(set);
out:
	bio_endio(bio, st);
	return err ? err : blk_status_to_errno(bio->bi_status);
}

int blkdev_rw_polled(struct block_device *bdev, enum req_op op, sector_t sector,
		     void *buf, size_t len, u64 timeout_ns)
{
	struct bio_vec vecs[16];
	struct bio bio;

	if (!blk_kbuf_ok(buf, len))
		return -EINVAL;
	while (len) {
		size_t chunk;
		int err;

		bio_init(&bio, bdev, vecs, ARRAY_SIZE(vecs), op);
		bio.bi_sector = sector;
		chunk = bio_add_kbuf(&bio, buf, len, bdev_logical_block_size(bdev));
		if (!chunk)
			return -EINVAL;
		err = blk_execute_polled(&bio, timeout_ns);
		if (err)
			return err;
		buf = (u8 *)buf + chunk;
		sector += chunk >> SECTOR_SHIFT;
		len -= chunk;
	}
	return 0;
}
