/*
 * Submitting bios: the checks against the device, the remap of a
 * partition's sectors to the disk, and a bio's stages (optional pre-flush,
 * data, optional post-flush that emulates FUA), each issued as one or more
 * requests by the dispatcher (block/blk_mq.c). docs/block-layer.md.
 *
 * A bio's core fields are protected by its tag set's lock from
 * submit_bio() until it ends (the polled path owns its bio outright).
 */
#include "blk.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>

static const struct {
	int err;
	const char *name;
} blk_errors[BLK_STS_MAX] = {
	[BLK_STS_OK]		= { 0, "" },
	[BLK_STS_NOTSUPP]	= { -EOPNOTSUPP, "operation not supported" },
	[BLK_STS_TIMEOUT]	= { -ETIMEDOUT, "timeout" },
	[BLK_STS_NOSPC]		= { -ENOSPC, "critical space allocation" },
	[BLK_STS_RESOURCE]	= { -ENOMEM, "kernel resource" },
	[BLK_STS_INVAL]		= { -EINVAL, "invalid" },
	[BLK_STS_ROFS]		= { -EROFS, "read-only" },
	[BLK_STS_OFFLINE]	= { -ENODEV, "device offline" },
	[BLK_STS_IOERR]		= { -EIO, "I/O" },
};

int blk_status_to_errno(blk_status_t status)
{
	return status < BLK_STS_MAX ? blk_errors[status].err : -EIO;
}

const char *blk_status_str(blk_status_t status)
{
	return status < BLK_STS_MAX ? blk_errors[status].name : "I/O";
}

const char *blk_op_str(enum req_op op)
{
	switch (op) {
	case REQ_OP_READ:
		return "READ";
	case REQ_OP_WRITE:
		return "WRITE";
	case REQ_OP_FLUSH:
		return "FLUSH";
	default:
		return "UNKNOWN";
	}
}

void blk_print_req_error(const struct request *rq, blk_status_t status)
{
	printk("%s error, dev %s, sector %llu op 0x%x:(%s) flags 0x%x\n",
	       blk_status_str(status), rq->disk->disk_name, (unsigned long long)rq->sector,
	       rq->cmd_flags & REQ_OP_MASK, blk_op_str(req_op(rq)),
	       rq->cmd_flags & ~REQ_OP_MASK);
}

void blk_limits_for_split(const struct gendisk *disk, struct blk_split_limits *lim)
{
	const struct queue_limits *q = &disk->limits;

	lim->max_bytes = q->max_hw_sectors << SECTOR_SHIFT;
	lim->max_segments = q->max_segments;
	lim->max_segment_size = q->max_segment_size;
	lim->virt_boundary_mask = q->virt_boundary_mask;
	lim->block_size = q->logical_block_size;
}

/* The first stage after @from that has work for @bio, or BIO_STAGE_DONE. */
static enum bio_stage next_stage(const struct bio *bio, enum bio_stage from)
{
	for (int s = from + 1; s < BIO_STAGE_DONE; s++) {
		if (s == BIO_STAGE_DATA && bio_op(bio) != REQ_OP_FLUSH)
			return s;
		if (s == BIO_STAGE_POSTFLUSH && (bio->bi_flags & BIO_EMULATE_FUA))
			return s;
	}
	return BIO_STAGE_DONE;
}

/* Keep only the flags the disk can act on; plan the stages. */
static void bio_plan_stages(struct bio *bio)
{
	u32 features = bio->bi_disk->limits.features;
	bool first_flush;

	if (!(features & BLK_FEAT_WRITE_CACHE))
		bio->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);	/* nothing is volatile */
	else if ((bio->bi_opf & REQ_FUA) && !(features & BLK_FEAT_FUA)) {
		bio->bi_opf &= ~REQ_FUA;
		bio->bi_flags |= BIO_EMULATE_FUA;
	}
	first_flush = (features & BLK_FEAT_WRITE_CACHE) &&
		      (bio_op(bio) == REQ_OP_FLUSH || (bio->bi_opf & REQ_PREFLUSH));
	bio->bi_stage = first_flush ? BIO_STAGE_PREFLUSH : next_stage(bio, BIO_STAGE_PREFLUSH);
}

/* Sector, size and vectors of a READ or WRITE against @bdev. */
static blk_status_t bio_check_data(struct bio *bio)
{
	struct block_device *bdev = bio->bi_bdev;
	const struct queue_limits *q = &bdev->bd_disk->limits;
	u32 spb = q->logical_block_size >> SECTOR_SHIFT, sum = 0;
	struct blk_split_limits lim;

	if (!bio->bi_size || (bio->bi_sector & (spb - 1)) ||
	    (bio->bi_size & (q->logical_block_size - 1))) {
		printk("%s: I/O at sector %llu of %u bytes is not in whole %u-byte blocks\n",
		       bdev->bd_name, (unsigned long long)bio->bi_sector, bio->bi_size,
		       q->logical_block_size);
		return BLK_STS_INVAL;
	}
	if (bio->bi_sector > bdev->bd_nr_sectors ||
	    (bio->bi_size >> SECTOR_SHIFT) > bdev->bd_nr_sectors - bio->bi_sector) {
		printk("%s: attempt to access beyond end of device: sector %llu, %u sectors, limit %llu\n",
		       bdev->bd_name, (unsigned long long)bio->bi_sector,
		       bio->bi_size >> SECTOR_SHIFT, (unsigned long long)bdev->bd_nr_sectors);
		return BLK_STS_IOERR;
	}
	for (unsigned int i = 0; i < bio->bi_vcnt; i++) {
		const struct bio_vec *bv = &bio->bi_io_vec[i];

		if (!bv->bv_len || ((bv->bv_offset | bv->bv_len) & q->dma_alignment)) {
			printk("%s: buffer %u (offset %u, %u bytes) breaks the DMA alignment %u\n",
			       bdev->bd_name, i, bv->bv_offset, bv->bv_len, q->dma_alignment + 1);
			return BLK_STS_INVAL;
		}
		sum += bv->bv_len;
	}
	if (sum != bio->bi_size)
		return BLK_STS_INVAL;
	blk_limits_for_split(bdev->bd_disk, &lim);
	if (!blk_split_count(bio->bi_io_vec, bio->bi_size, &lim)) {
		printk("%s: I/O at sector %llu cannot be split on block boundaries within the limits\n",
		       bdev->bd_name, (unsigned long long)bio->bi_sector);
		return BLK_STS_INVAL;
	}
	return BLK_STS_OK;
}

blk_status_t blk_bio_prepare(struct bio *bio)
{
	struct block_device *bdev = bio->bi_bdev;
	struct gendisk *disk = bdev->bd_disk;
	enum req_op op = bio_op(bio);
	blk_status_t st;

	bio->bi_status = BLK_STS_OK;
	if (op > REQ_OP_FLUSH)
		return BLK_STS_NOTSUPP;
	if ((READ_ONCE(disk->state) & GD_DEAD) || READ_ONCE(bdev->bd_removed))
		return BLK_STS_OFFLINE;
	if (op_is_write(op) && bdev_read_only(bdev)) {
		printk("%s: write to a read-only block device refused (sector %llu)\n",
		       bdev->bd_name, (unsigned long long)bio->bi_sector);
		return BLK_STS_ROFS;
	}
	if (op == REQ_OP_FLUSH) {
		if (bio->bi_size)
			return BLK_STS_INVAL;
	} else {
		st = bio_check_data(bio);
		if (st)
			return st;
	}
	bio->bi_disk = disk;
	bio->bi_disk_sector = bdev->bd_start_sect + bio->bi_sector;
	bio->bi_next_vec = 0;
	bio->bi_next_off = 0;
	bio->bi_issued = 0;
	bio->bi_inflight = 0;
	bio->bi_queued = false;
	bio->bi_flags &= ~BIO_EMULATE_FUA;
	bio_plan_stages(bio);
	return BLK_STS_OK;
}

/* A flush request of @bio (pre-flush, post-flush, or the bio itself). */
static void fill_flush_request(struct bio *bio, struct request *rq)
{
	rq->cmd_flags = REQ_OP_FLUSH | (bio->bi_opf & (REQ_SYNC | REQ_POLLED));
	rq->sector = 0;
	rq->data_len = 0;
	rq->nr_phys_segments = 0;
	rq->bv_idx = 0;
	rq->bv_offset = 0;
}

bool blk_bio_next_request(struct bio *bio, struct request *rq)
{
	struct blk_split_limits lim;
	struct blk_cursor cur = { bio->bi_next_vec, bio->bi_next_off };
	u32 bytes;
	u16 segs;

	rq->bio = bio;
	rq->disk = bio->bi_disk;
	bio->bi_inflight++;
	if (bio->bi_stage != BIO_STAGE_DATA) {
		fill_flush_request(bio, rq);
		return true;
	}
	blk_limits_for_split(bio->bi_disk, &lim);
	bytes = blk_split_next(bio->bi_io_vec, cur, bio->bi_size - bio->bi_issued, &lim, &segs);
	if (!bytes)	/* blk_bio_prepare checked the whole split: a broken invariant */
		panic("blk_bio_next_request: %s: bio at sector %llu no longer splits",
		      bio->bi_disk->disk_name, (unsigned long long)bio->bi_disk_sector);
	rq->cmd_flags = bio->bi_opf & ~REQ_PREFLUSH;
	rq->sector = bio->bi_disk_sector + (bio->bi_issued >> SECTOR_SHIFT);
	rq->data_len = bytes;
	rq->nr_phys_segments = segs;
	rq->bv_idx = cur.vec;
	rq->bv_offset = cur.off;
	blk_cursor_advance(bio->bi_io_vec, &cur, bytes);
	bio->bi_next_vec = cur.vec;
	bio->bi_next_off = cur.off;
	bio->bi_issued += bytes;
	return bio->bi_issued == bio->bi_size;
}

bool blk_bio_request_done(struct bio *bio, struct request *rq, blk_status_t status)
{
	if (status && !bio->bi_status)
		bio->bi_status = status;	/* the first error wins */
	bio->bi_inflight--;
	return bio->bi_inflight == 0 && !bio->bi_queued;
}

/*
 * @bio leaves the block layer: count it on its disk, let del_gendisk go on
 * if it was the last, and call its end_io. The disk is not touched after
 * the lock is dropped (del_gendisk may free it then).
 */
static void blk_bio_end(struct bio *bio)
{
	struct gendisk *disk = bio->bi_disk;
	struct blk_mq_tag_set *set = disk->set;
	enum req_op op = bio_op(bio);
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	if (op <= REQ_OP_FLUSH) {
		disk->ios[op]++;
		disk->sectors[op] += bio->bi_size >> SECTOR_SHIFT;
	}
	if (--disk->nr_inflight == 0 && (disk->state & GD_DEAD))
		wake_up_all(&disk->inflight_wait);
	blk_set_unlock(set, flags, locked);
	bio_endio(bio, bio->bi_status);
}

enum bio_stage blk_bio_next_stage(const struct bio *bio)
{
	return bio->bi_status ? BIO_STAGE_DONE : next_stage(bio, bio->bi_stage);
}

bool blk_bio_stage_done(struct bio *bio)
{
	struct blk_mq_tag_set *set = bio->bi_disk->set;
	enum bio_stage next = blk_bio_next_stage(bio);
	unsigned long flags;
	bool locked;

	if (next == BIO_STAGE_DONE) {
		blk_bio_end(bio);
		return false;
	}
	locked = blk_set_lock(set, &flags);
	bio->bi_stage = next;
	blk_mq_requeue_bio_locked(set, bio);
	blk_set_unlock(set, flags, locked);
	return true;
}

u64 blk_sectors_submitted[2];

void submit_bio(struct bio *bio)
{
	blk_status_t st;

	if (bio_op(bio) == REQ_OP_READ || bio_op(bio) == REQ_OP_WRITE)
		blk_sectors_submitted[bio_op(bio)] += bio->bi_size >> SECTOR_SHIFT;
	st = blk_bio_prepare(bio);

	if (st) {
		bio_endio(bio, st);
		return;
	}
	if (bio->bi_stage == BIO_STAGE_DONE) {	/* a flush with no cache to flush */
		bio_endio(bio, BLK_STS_OK);
		return;
	}
	blk_mq_submit_bio(bio);
}
