/*
 * In-kernel tests of the block layer, `ktest=block`, on testblk disks
 * (drivers/block/testblk.c): data integrity for every size at aligned and
 * unaligned buffers, splitting under small limits and a virtual boundary,
 * 4096-byte blocks, read-only devices, injected errors, timeouts (failed,
 * extended, completed by the driver, answered late), more bios than tags,
 * a tag set shared by two disks, GPT and MBR partitions with I/O through
 * them, polled I/O with interrupts off, flushes and FUA, and a disk
 * deleted while a user holds it.
 *
 * Data is checked two ways: through the block layer and directly in the
 * driver's backing store, with the sector-keyed pattern of
 * include/pagoda/blk_pattern.h. testblk checks every request it receives
 * against its limits; each case also asserts it saw no violation.
 */
#include <pagoda/blk_pattern.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/ktest.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/testblk.h>
#include <pagoda/time.h>
#include <pagoda/wait.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include "../lib/part_image.h"
#include "blk_test.h"

static struct testblk *tb_new(struct ktest *t, const struct testblk_params *p)
{
	int err;
	struct testblk *tb = testblk_create(p, &err);

	if (!tb)
		ktest_fail(t, __FILE__, __LINE__, "testblk_create: %d", err);
	return tb;
}

static struct block_device *whole(struct testblk *tb)
{
	return tb->disks[0]->disk->part0;
}

static unsigned long violations(struct testblk *tb)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < tb->nr_disks; i++)
		n += tb->disks[i]->nr_violations;
	return n;
}

/* ---- data ---- */

/*
 * Write the pattern of @sectors at @sector from @buf + @off, check it in
 * the store, read it back into a poisoned buffer and check again.
 */
static bool roundtrip(struct ktest *t, struct testblk_disk *d, u8 *buf, u8 *scratch,
		      size_t off, sector_t sector, u32 sectors, u64 seed)
{
	struct block_device *bdev = d->disk->part0;
	size_t len = (size_t)sectors << SECTOR_SHIFT;
	int err;

	blk_pattern_fill(buf + off, sector, len, seed);
	err = blkdev_write(bdev, sector, buf + off, len);
	if (err) {
		ktest_fail(t, __FILE__, __LINE__, "write %u sectors at %llu (offset %zu): %d",
			   sectors, (unsigned long long)sector, off, err);
		return false;
	}
	testblk_store_read(d, sector << SECTOR_SHIFT, scratch, len);
	if (blk_pattern_check(scratch, sector, len, seed) != len) {
		ktest_fail(t, __FILE__, __LINE__, "store wrong after writing %u sectors at %llu (offset %zu)",
			   sectors, (unsigned long long)sector, off);
		return false;
	}
	memset(buf + off, 0xa5, len);
	err = blkdev_read(bdev, sector, buf + off, len);
	if (err || blk_pattern_check(buf + off, sector, len, seed) != len) {
		ktest_fail(t, __FILE__, __LINE__, "read back %u sectors at %llu (offset %zu): %d",
			   sectors, (unsigned long long)sector, off, err);
		return false;
	}
	return true;
}

static void t_every_size_aligned_and_unaligned(struct ktest *t)
{
	static const size_t offsets[] = { 0, 512, PAGE_SIZE - 512 };
	struct testblk_params p = { .capacity = 4 << 20, .completion = TESTBLK_COMPLETE_INLINE };
	u32 sizes[BLK_TEST_MAX_SIZES];
	unsigned int n = blk_test_sizes(sizes, 1, 64);	/* 1 to 64 sectors, then 2^k +- 1 */
	u8 *buf = blk_test_buf_alloc(), *scratch = kmalloc(1 << 20, GFP_KERNEL);
	struct testblk *tb = buf && scratch ? tb_new(t, &p) : NULL;

	KTEST_ASSERT(t, tb);
	for (unsigned int o = 0; o < ARRAY_SIZE(offsets); o++)
		for (unsigned int i = 0; i < n; i++) {
			sector_t sector = (sizes[i] * 37 + o * 11) % (8192 - sizes[i]);

			if (!roundtrip(t, tb->disks[0], buf, scratch, offsets[o], sector, sizes[i],
				       sizes[i] * 3 + o))
				goto out;
		}
	KTEST_EXPECT_EQ(t, violations(tb), 0);
	/* 1 MiB at an unaligned offset is 257 vectors: more than 128 segments, split */
	KTEST_EXPECT(t, tb->set.nr_dispatched > (unsigned long)(2 * n * ARRAY_SIZE(offsets)));
out:
	testblk_destroy(tb);
	kfree(scratch);
	blk_test_buf_free(buf);
}

/* The same from a timer interrupt, requests of one bio completing together. */
static void t_interrupt_completion_data(struct ktest *t)
{
	static const u32 sizes[] = { 1, 8, 9, 255, 256, 2048 };
	struct testblk_params p = { .capacity = 4 << 20, .queue_depth = 4 };
	u8 *buf = blk_test_buf_alloc(), *scratch = kmalloc(1 << 20, GFP_KERNEL);
	struct testblk *tb = buf && scratch ? tb_new(t, &p) : NULL;

	KTEST_ASSERT(t, tb);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		if (!roundtrip(t, tb->disks[0], buf, scratch, 512 * (i % 8), 100 + i, sizes[i], 77 + i))
			break;
	KTEST_EXPECT(t, tb->nr_irq_completions >= 2 * ARRAY_SIZE(sizes));
	KTEST_EXPECT_EQ(t, violations(tb), 0);
	testblk_destroy(tb);
	kfree(scratch);
	blk_test_buf_free(buf);
}

/* ---- splitting ---- */

static void t_split_under_small_limits(struct ktest *t)
{
	struct testblk_params p = {
		.capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE,
		.limits = { .max_hw_sectors = 16, .max_segments = 3, .max_segment_size = 4096 },
	};
	u8 *buf = blk_test_buf_alloc(), *scratch = kmalloc(256 << 10, GFP_KERNEL);
	struct testblk *tb = buf && scratch ? tb_new(t, &p) : NULL;
	struct testblk_disk *d;

	KTEST_ASSERT(t, tb);
	d = tb->disks[0];
	KTEST_EXPECT(t, roundtrip(t, d, buf, scratch, 512, 8, 512, 5));	/* 256 KiB */
	KTEST_EXPECT_EQ(t, violations(tb), 0);
	KTEST_EXPECT(t, d->nr_writes >= (256 << 10) / 8192);		/* 8 KiB at most each */
	KTEST_EXPECT(t, d->max_bytes_seen <= 8192);
	KTEST_EXPECT(t, d->max_segs_seen <= 3);
	KTEST_EXPECT(t, d->max_segs_seen >= 2);
	testblk_destroy(tb);
	kfree(scratch);
	blk_test_buf_free(buf);
}

/* Vectors of @lens at the starts of separate pages of @buf. */
static struct bio *gappy_bio(struct block_device *bdev, blk_opf_t opf, u8 *buf,
			     const u32 *lens, unsigned int n)
{
	struct bio *bio = bio_alloc(bdev, n, opf, GFP_KERNEL);

	for (unsigned int i = 0; bio && i < n; i++)
		bio_add_page(bio, blk_test_page(buf + 2 * i * PAGE_SIZE), lens[i], 0);
	return bio;
}

static void t_virt_boundary_splits_at_gaps(struct ktest *t)
{
	static const u32 lens[] = { 2048, 4096, 4096, 1024, 4096 };
	struct testblk_params p = {
		.capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE,
		.limits = { .virt_boundary_mask = PAGE_SIZE - 1 },
	};
	u8 *buf = blk_test_buf_alloc(), *scratch = kmalloc(PAGE_SIZE, GFP_KERNEL);
	struct testblk *tb = buf && scratch ? tb_new(t, &p) : NULL;
	struct bio *bio;
	u32 done = 0;

	KTEST_ASSERT(t, tb);
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++)
		memset(buf + 2 * i * PAGE_SIZE, 'a' + i, lens[i]);
	bio = gappy_bio(whole(tb), REQ_OP_WRITE, buf, lens, ARRAY_SIZE(lens));
	KTEST_ASSERT(t, bio);
	bio->bi_sector = 64;
	KTEST_EXPECT_EQ(t, submit_bio_wait(bio), 0);
	bio_put(bio);
	/* gaps after the 2048- and 1024-byte vectors: three requests */
	KTEST_EXPECT_EQ(t, tb->disks[0]->nr_writes, 3);
	KTEST_EXPECT_EQ(t, violations(tb), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		testblk_store_read(tb->disks[0], 64 * 512 + done, scratch, lens[i]);
		for (u32 b = 0; b < lens[i]; b++)
			if (scratch[b] != 'a' + i) {
				ktest_fail(t, __FILE__, __LINE__, "vector %u byte %u wrong", i, b);
				break;
			}
		done += lens[i];
	}
	testblk_destroy(tb);
	kfree(scratch);
	blk_test_buf_free(buf);
}

/* With 4 KiB blocks a gap after 2 KiB cannot be split: -EINVAL, the device untouched. */
static void t_unsplittable_bio_refused(struct ktest *t)
{
	static const u32 lens[] = { 2048, 2048 };
	struct testblk_params p = {
		.capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE,
		.limits = { .logical_block_size = 4096, .virt_boundary_mask = PAGE_SIZE - 1 },
	};
	u8 *buf = blk_test_buf_alloc();
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	unsigned long before;
	struct bio *bio;

	KTEST_ASSERT(t, tb);
	before = tb->nr_requests;		/* the partition scan's */
	bio = gappy_bio(whole(tb), REQ_OP_WRITE, buf, lens, 2);
	KTEST_ASSERT(t, bio);
	KTEST_EXPECT_EQ(t, submit_bio_wait(bio), -EINVAL);
	bio_put(bio);
	KTEST_EXPECT_EQ(t, tb->nr_requests, before);
	testblk_destroy(tb);
	blk_test_buf_free(buf);
}

/* ---- block sizes, read-only ---- */

static void t_4k_blocks_refuse_512_aligned_io(struct ktest *t)
{
	struct testblk_params p = {
		.capacity = 4 << 20, .completion = TESTBLK_COMPLETE_INLINE,
		.limits = { .logical_block_size = 4096 },
	};
	u8 *buf = blk_test_buf_alloc(), *scratch = kmalloc(1 << 20, GFP_KERNEL);
	struct testblk *tb = buf && scratch ? tb_new(t, &p) : NULL;
	struct block_device *bdev;
	unsigned long before;

	KTEST_ASSERT(t, tb);
	bdev = whole(tb);
	before = tb->nr_requests;
	KTEST_EXPECT_EQ(t, bdev_logical_block_size(bdev), 4096);
	KTEST_EXPECT_EQ(t, blkdev_write(bdev, 1, buf, 4096), -EINVAL);	/* sector 1 */
	KTEST_EXPECT_EQ(t, blkdev_write(bdev, 0, buf, 512), -EINVAL);	/* 512 bytes */
	KTEST_EXPECT_EQ(t, blkdev_read(bdev, 8, buf, 6144), -EINVAL);	/* 1.5 blocks */
	KTEST_EXPECT_EQ(t, tb->nr_requests, before);
	for (u32 blocks = 1; blocks <= 256; blocks = blocks * 3 + 1)
		KTEST_EXPECT(t, roundtrip(t, tb->disks[0], buf, scratch, 512, 8 * blocks,
					  8 * blocks, blocks));
	KTEST_EXPECT_EQ(t, violations(tb), 0);
	testblk_destroy(tb);
	kfree(scratch);
	blk_test_buf_free(buf);
}

static void t_read_only_disk_refuses_writes(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .read_only = true,
				    .completion = TESTBLK_COMPLETE_INLINE };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;

	KTEST_ASSERT(t, tb);
	KTEST_EXPECT(t, bdev_read_only(whole(tb)));
	KTEST_EXPECT_EQ(t, blkdev_write(whole(tb), 0, buf, 4096), -EROFS);
	KTEST_EXPECT_EQ(t, tb->disks[0]->nr_writes, 0);
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(whole(tb)), 0);
	testblk_destroy(tb);
	kfree(buf);
}

/* ---- errors ---- */

static void t_error_fails_only_its_bio(struct ktest *t)
{
	struct testblk_params p = { .capacity = 2 << 20, .queue_depth = 4 };
	u8 *buf = blk_test_buf_alloc();
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct blk_waiter w, w2;
	struct bio *bad, *good;

	KTEST_ASSERT(t, tb);
	testblk_add_bad(tb->disks[0], 2048, 8);
	blk_waiter_init(&w);
	blk_waiter_init(&w2);
	bad = blk_test_bio(whole(tb), REQ_OP_WRITE, 2048, buf, 4096, &w);
	good = blk_test_bio(whole(tb), REQ_OP_WRITE, 512, buf + 8192, 4096, &w2);
	KTEST_ASSERT(t, bad && good);
	submit_bio(bad);
	submit_bio(good);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 1, 2000) && blk_waiter_wait(&w2, 1, 2000));
	KTEST_EXPECT_EQ(t, w.failed, 1);
	KTEST_EXPECT_EQ(t, w.last_error, -EIO);
	KTEST_EXPECT_EQ(t, w2.failed, 0);
	bio_put(bad);
	bio_put(good);
	/* one failing request of a split bio fails the bio; the others still ran */
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 1024, buf, 1 << 20), -EIO);
	KTEST_EXPECT(t, tb->disks[0]->nr_reads >= 2);
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	testblk_destroy(tb);
	blk_test_buf_free(buf);
}

/* ---- timeouts ---- */

static void t_lost_request_times_out(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .timeout_ns = 400 * MS };
	struct testblk_params q = { .capacity = 1 << 20 };
	u8 *buf = kmalloc(8192, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL, *other = tb ? tb_new(t, &q) : NULL;
	struct blk_waiter w;
	struct bio *bio;
	u64 start;

	KTEST_ASSERT(t, tb && other);
	tb->disks[0]->never_complete = true;
	blk_waiter_init(&w);
	bio = blk_test_bio(whole(tb), REQ_OP_READ, 0, buf, 4096, &w);
	KTEST_ASSERT(t, bio);
	start = time_ns();
	submit_bio(bio);
	/* the system lives: another disk works meanwhile */
	KTEST_EXPECT_EQ(t, blkdev_read(whole(other), 0, buf + 4096, 4096), 0);
	KTEST_EXPECT_EQ(t, READ_ONCE(w.done), 0);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 1, 3000));
	KTEST_EXPECT_EQ(t, w.last_error, -ETIMEDOUT);
	KTEST_EXPECT(t, time_ns() - start >= 400 * MS);
	KTEST_EXPECT(t, time_ns() - start < 2400 * MS);	/* a deadline, not a hang: TCG slack */
	KTEST_EXPECT_EQ(t, tb->nr_timeouts_seen, 1);
	KTEST_EXPECT_EQ(t, tb->set.nr_timeouts, 1);
	bio_put(bio);
	/* the tag came back: the disk takes new I/O */
	tb->disks[0]->never_complete = false;
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	testblk_destroy(other);
	testblk_destroy(tb);
	kfree(buf);
}

/* The device answers after the block layer gave up: the answer is dropped, no data moves. */
static void t_late_answer_is_ignored(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .timeout_ns = 50 * MS };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct testblk_disk *d;
	u64 start;

	KTEST_ASSERT(t, tb);
	d = tb->disks[0];
	blk_pattern_fill(buf, 0, 4096, 9);
	testblk_store_write(d, 0, buf, 4096);
	/* silent until the timeout handler has run, then an answer 150 ms later */
	d->never_complete = true;
	tb->timeout_action = TESTBLK_TIMEOUT_LEAVE;
	d->extra_delay_ns = 150 * MS;
	memset(buf, 0x5a, 4096);
	start = time_ns();
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), -ETIMEDOUT);
	while (READ_ONCE(tb->nr_stale) == 0 && time_ns() - start < 3000 * MS)
		schedule();
	KTEST_EXPECT_EQ(t, tb->nr_stale, 1);
	KTEST_EXPECT(t, buf[0] == 0x5a && buf[4095] == 0x5a);	/* no late DMA */
	d->extra_delay_ns = 0;
	d->never_complete = false;
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, 0, 4096, 9), 4096);
	testblk_destroy(tb);
	kfree(buf);
}

static void t_timeout_handler_decides(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .timeout_ns = 50 * MS };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	unsigned long seen;

	KTEST_ASSERT(t, tb);
	tb->disks[0]->never_complete = true;
	tb->timeout_action = TESTBLK_TIMEOUT_EXTEND;	/* more time, then it answers */
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	KTEST_EXPECT(t, tb->nr_timeouts_seen >= 1);	/* more if TCG stalls past 50 ms */
	seen = tb->nr_timeouts_seen;
	tb->timeout_action = TESTBLK_TIMEOUT_COMPLETE;	/* the driver completes it itself */
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), -EIO);
	KTEST_EXPECT_EQ(t, tb->nr_timeouts_seen, seen + 1);
	tb->timeout_action = TESTBLK_TIMEOUT_ABORT;
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), -ETIMEDOUT);
	KTEST_EXPECT_EQ(t, tb->nr_timeouts_seen, seen + 2);
	KTEST_EXPECT_EQ(t, tb->set.nr_timeouts, tb->nr_timeouts_seen);
	KTEST_EXPECT_EQ(t, tb->inflight, 0);
	testblk_destroy(tb);
	kfree(buf);
}

/*
 * A request the device answers while its ->timeout runs ends its bio, so
 * the disk can be deleted at once; but kblockd holds its tag, and the
 * handler uses the driver, until it returns. Deleting the disk and
 * freeing the tag set must wait for it (not panic "still has requests in
 * flight", nor free the driver under the handler).
 */
static void t_disk_removed_while_timeout_runs(struct ktest *t)
{
	static int result;
	struct testblk_params p = { .capacity = 1 << 20, .timeout_ns = 30 * MS,
				    .slow_timeout_result = &result };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct bio *bio;
	struct blk_waiter w;
	u64 start;

	KTEST_ASSERT(t, tb);
	tb->disks[0]->never_complete = true;
	tb->timeout_action = TESTBLK_TIMEOUT_ANSWER_SLOWLY;
	blk_waiter_init(&w);
	bio = blk_test_bio(whole(tb), REQ_OP_READ, 0, buf, 4096, &w);
	KTEST_ASSERT(t, bio);
	submit_bio(bio);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 1, 3000));	/* answered inside the handler */
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT_EQ(t, tb->nr_timeouts_finished, 0);	/* it still sleeps */
	result = 0;
	start = time_ns();
	testblk_destroy(tb);		/* waits for the handler */
	KTEST_EXPECT(t, time_ns() - start >= 50 * MS);
	KTEST_EXPECT_EQ(t, result, 1);	/* del_gendisk waited: the driver was intact */
	bio_put(bio);
	kfree(buf);
}

/* ---- queueing ---- */

#define MANY_BIOS	24

static void t_more_bios_than_tags(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .queue_depth = 2 };
	u8 *buf = blk_test_buf_alloc();
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct bio *bios[MANY_BIOS] = { NULL };
	struct blk_waiter w;

	KTEST_ASSERT(t, tb);
	blk_waiter_init(&w);
	for (int i = 0; i < MANY_BIOS; i++) {
		bios[i] = blk_test_pattern_bio(whole(tb), REQ_OP_WRITE, i * 16, buf + i * 8192,
					       8192, 3, &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	for (int i = 0; i < MANY_BIOS; i++)
		submit_bio(bios[i]);
	KTEST_EXPECT(t, blk_waiter_wait(&w, MANY_BIOS, 5000));
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT(t, tb->max_inflight <= 2);
	KTEST_EXPECT_EQ(t, tb->set.max_busy, 2);
	KTEST_EXPECT(t, tb->set.nr_sw_queued >= MANY_BIOS - 2);
	memset(buf, 0, MANY_BIOS * 8192);
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, MANY_BIOS * 8192), 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, 0, MANY_BIOS * 8192, 3), MANY_BIOS * 8192);
out:
	testblk_destroy(tb);
	for (int i = 0; i < MANY_BIOS; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

static void t_busy_driver_is_retried(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;

	unsigned long reads;

	KTEST_ASSERT(t, tb);
	reads = tb->disks[0]->nr_reads;
	tb->busy_next = 3;
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	KTEST_EXPECT_EQ(t, tb->nr_busy_said, 3);
	KTEST_EXPECT_EQ(t, tb->set.nr_busy_returns, 3);
	KTEST_EXPECT_EQ(t, tb->disks[0]->nr_reads, reads + 1);
	testblk_destroy(tb);
	kfree(buf);
}

/*
 * A batch (requests passed with last == false) cut short by a busy answer
 * is committed: testblk, like an NVMe queue, starts nothing before a
 * doorbell, so a missing ->commit_rqs would leave the first piece waiting.
 */
static void t_busy_batch_is_committed(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .queue_depth = 4,
				    .limits = { .max_hw_sectors = 8 } };
	u8 *buf = kmalloc(16384, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;

	KTEST_ASSERT(t, tb);
	tb->busy_skip = 1;		/* piece 1 goes, piece 2 meets a busy device */
	tb->busy_next = 1;
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 16384), 0);
	KTEST_EXPECT_EQ(t, tb->nr_busy_said, 1);
	KTEST_EXPECT(t, tb->nr_commits >= 1);
	KTEST_EXPECT(t, tb->nr_doorbells >= 2);
	KTEST_EXPECT_EQ(t, violations(tb), 0);
	testblk_destroy(tb);
	kfree(buf);
}

static void cancel_request(struct request *rq, void *data)
{
	int *n = data;

	(*n)++;
	blk_mq_complete_request(rq, BLK_STS_IOERR);
}

/*
 * What a driver does around a controller reset: stop dispatch, cancel
 * what is in flight, start again. Bios submitted meanwhile wait.
 */
static void t_quiesce_and_cancel_in_flight(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .queue_depth = 4 };
	u8 *buf = kmalloc(4 * 4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct bio *bios[4] = { NULL };
	struct blk_waiter w, later;
	unsigned long seen;
	int visited = 0;

	KTEST_ASSERT(t, tb);
	blk_waiter_init(&w);
	blk_waiter_init(&later);
	tb->disks[0]->never_complete = true;
	for (int i = 0; i < 4; i++) {
		bios[i] = blk_test_bio(whole(tb), REQ_OP_READ, 8 * i, buf + 4096 * i, 4096,
				       i < 3 ? &w : &later);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	for (int i = 0; i < 3; i++)
		submit_bio(bios[i]);
	seen = tb->nr_requests;
	blk_mq_quiesce(&tb->set);
	submit_bio(bios[3]);
	KTEST_EXPECT_EQ(t, tb->nr_requests, seen);		/* held back */
	blk_mq_tagset_busy_iter(&tb->set, cancel_request, &visited);
	KTEST_EXPECT_EQ(t, visited, 3);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 3, 1000));
	KTEST_EXPECT_EQ(t, w.failed, 3);
	KTEST_EXPECT_EQ(t, w.last_error, -EIO);
	KTEST_EXPECT_EQ(t, READ_ONCE(later.done), 0);
	tb->disks[0]->never_complete = false;
	blk_mq_unquiesce(&tb->set);
	KTEST_EXPECT(t, blk_waiter_wait(&later, 1, 1000));
	KTEST_EXPECT_EQ(t, later.failed, 0);
	KTEST_EXPECT_EQ(t, tb->nr_requests, seen + 1);
out:
	testblk_destroy(tb);
	for (int i = 0; i < 4; i++)
		bio_put(bios[i]);
	kfree(buf);
}

static int window_visits;

static void count_visit(struct request *rq, void *data)
{
	(*(int *)data)++;
}

/*
 * The dispatcher hook: runs where a dispatcher preempted between taking a
 * request and ->queue_rq stops. Looks for the request as a reset would,
 * then stays there past the disk's deadline as a long preemption would.
 */
static void look_in_dispatch_window(struct request *rq)
{
	rq->set->debug_before_queue_rq = NULL;
	blk_mq_tagset_busy_iter(rq->set, count_visit, &window_visits);
	sleep_until_ns(time_ns() + 150 * MS);
}

/*
 * A request the dispatcher took but has not handed to ->queue_rq yet is
 * not the driver's: a reset's busy_iter does not visit it and kblockd does
 * not time it out (its tag's driver data may still be the previous use's).
 * Then it goes to the driver as usual.
 */
static void t_unstarted_request_left_alone(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE,
				    .timeout_ns = 30 * MS };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;

	KTEST_ASSERT(t, tb);
	blk_pattern_fill(buf, 0, 4096, 21);
	testblk_store_write(tb->disks[0], 0, buf, 4096);
	memset(buf, 0, 4096);
	tb->timeout_action = TESTBLK_TIMEOUT_EXTEND;	/* a wrongful timeout is counted, not fatal */
	window_visits = 0;
	tb->set.debug_before_queue_rq = look_in_dispatch_window;
	KTEST_EXPECT_EQ(t, blkdev_read(whole(tb), 0, buf, 4096), 0);
	KTEST_EXPECT(t, tb->set.debug_before_queue_rq == NULL);	/* the hook ran */
	KTEST_EXPECT_EQ(t, window_visits, 0);
	KTEST_EXPECT_EQ(t, tb->nr_timeouts_seen, 0);
	KTEST_EXPECT_EQ(t, tb->set.nr_timeouts, 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, 0, 4096, 21), 4096);
	testblk_destroy(tb);
	kfree(buf);
}

/* Two namespaces on one controller share its tags. */
static void t_disks_share_the_tag_set(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .queue_depth = 2 };
	u8 *buf = blk_test_buf_alloc();
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct testblk_disk *d2;
	struct bio *bios[8] = { NULL };
	struct blk_waiter w;
	int err;

	KTEST_ASSERT(t, tb);
	d2 = testblk_add_disk(tb, &p, &err);
	CHECK_OR_GOTO(t, d2, out);
	KTEST_EXPECT(t, strcmp(tb->disks[0]->disk->disk_name, d2->disk->disk_name));
	blk_waiter_init(&w);
	for (int i = 0; i < 8; i++) {
		struct block_device *bdev = (i & 1) ? d2->disk->part0 : whole(tb);

		bios[i] = blk_test_pattern_bio(bdev, REQ_OP_WRITE, i * 16, buf + i * 8192, 8192,
					       100 + (i & 1), &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	for (int i = 0; i < 8; i++)
		submit_bio(bios[i]);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 8, 5000));
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT(t, tb->max_inflight <= 2);
	KTEST_EXPECT_EQ(t, tb->disks[0]->nr_writes, 4);
	KTEST_EXPECT_EQ(t, d2->nr_writes, 4);
	testblk_store_read(d2, 16 * 512, buf, 8192);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, 16, 8192, 101), 8192);
out:
	testblk_destroy(tb);
	for (int i = 0; i < 8; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

/* ---- names, numbers, partitions ---- */

struct walk {
	struct gendisk *disk;
	unsigned int seen, order_ok;
	int last_partno;
};

static int walk_fn(struct block_device *bdev, void *arg)
{
	struct walk *w = arg;

	if (bdev->bd_disk != w->disk)
		return 0;
	w->order_ok += bdev->bd_partno > w->last_partno;
	w->last_partno = bdev->bd_partno;
	w->seen++;
	return 0;
}

#define ESP_GUID	GUID_INIT(0xc12a7328, 0xf81f, 0x11d2, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b)
#define LINUX_GUID	GUID_INIT(0x0fc63daf, 0x8483, 0x4772, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4)

static void t_gpt_written_then_found(struct ktest *t)
{
	struct testblk_params p = { .capacity = 2 << 20, .completion = TESTBLK_COMPLETE_INLINE };
	guid_t dg = GUID_INIT(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), esp = ESP_GUID;
	struct img_gpt_part parts[2] = {
		{ .index = 0, .first = 34, .last = 1057, .type = ESP_GUID, .name = "alpha" },
		{ .index = 1, .first = 1058, .last = 4061, .type = LINUX_GUID, .name = "beta" },
	};
	u8 *img = blk_test_buf_alloc(), *scratch = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = img && scratch ? tb_new(t, &p) : NULL;
	struct block_device *p1 = NULL, *p2 = NULL;
	char n1[BDEVNAME_SIZE], n2[BDEVNAME_SIZE];
	struct walk w;
	unsigned long writes;

	KTEST_ASSERT(t, tb);
	memset(img, 0, 2 << 20);
	img_write_gpt(img, 512, 4096, &dg, parts, 2);
	CHECK_OR_GOTO(t, blkdev_write(whole(tb), 0, img, 2 << 20) == 0, out);
	KTEST_EXPECT_EQ(t, disk_rescan_partitions(tb->disks[0]->disk), 0);
	KTEST_EXPECT_EQ(t, tb->disks[0]->disk->part_kind, PART_TABLE_GPT);
	disk_part_name(n1, sizeof(n1), tb->disks[0]->disk->disk_name, 1);
	disk_part_name(n2, sizeof(n2), tb->disks[0]->disk->disk_name, 2);
	p1 = blkdev_get_by_name(n1);
	p2 = blkdev_get_by_name(n2);
	CHECK_OR_GOTO(t, p1 && p2, out);
	KTEST_EXPECT(t, n1[strlen(n1) - 2] == 'p');		/* testblkNp1 */
	KTEST_EXPECT_EQ(t, p1->bd_start_sect, 34);
	KTEST_EXPECT_EQ(t, p1->bd_nr_sectors, 1024);
	KTEST_EXPECT(t, guid_equal(&p1->bd_part_type, &esp));
	KTEST_EXPECT(t, !strcmp(p1->bd_part_name, "alpha"));
	KTEST_EXPECT(t, MAJOR(p1->bd_dev) == BLOCK_EXT_MAJOR && p1->bd_dev != p2->bd_dev);
	KTEST_EXPECT(t, blkdev_get_by_dev(p2->bd_dev) == p2);
	blkdev_put(p2);
	KTEST_EXPECT(t, blkdev_get_by_part_type(&esp) == p1);	/* the crash dump's lookup */
	blkdev_put(p1);
	/* I/O through a partition lands at its start on the disk */
	blk_pattern_fill(scratch, 0, 4096, 42);
	KTEST_EXPECT_EQ(t, blkdev_write(p2, 0, scratch, 4096), 0);
	testblk_store_read(tb->disks[0], 1058 * 512, img, 4096);
	KTEST_EXPECT_EQ(t, blk_pattern_check(img, 0, 4096, 42), 4096);
	/* and is bounded to it, refused before the device sees it */
	writes = tb->disks[0]->nr_writes;
	KTEST_EXPECT_EQ(t, blkdev_write(p1, 1023, scratch, 1024), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_read(p1, 1024, scratch, 512), -EIO);
	KTEST_EXPECT_EQ(t, tb->disks[0]->nr_writes, writes);
	KTEST_EXPECT_EQ(t, blkdev_write(p1, 1023, scratch, 512), 0);
	/* a read-only partition; the disk stays writable */
	bdev_set_read_only(p1, true);
	KTEST_EXPECT_EQ(t, blkdev_write(p1, 0, scratch, 512), -EROFS);
	KTEST_EXPECT_EQ(t, blkdev_write(p2, 0, scratch, 512), 0);
	bdev_set_read_only(p1, false);
	/* walk order: the disk, then its partitions by number */
	w = (struct walk){ .disk = tb->disks[0]->disk, .last_partno = -1 };
	blkdev_for_each(walk_fn, &w);
	KTEST_EXPECT_EQ(t, w.seen, 3);
	KTEST_EXPECT_EQ(t, w.order_ok, 3);
	/* no rescan while a partition is held */
	KTEST_EXPECT_EQ(t, disk_rescan_partitions(tb->disks[0]->disk), -EBUSY);
out:
	if (p1)
		blkdev_put(p1);
	if (p2)
		blkdev_put(p2);
	testblk_destroy(tb);
	KTEST_EXPECT(t, blkdev_get_by_name(n1) == NULL);
	kfree(scratch);
	blk_test_buf_free(img);
}

/* Tables already on the disk when it is added: MBR with logicals, GPT on 4 KiB blocks. */
static void t_partitions_found_at_add_disk(struct ktest *t)
{
	static const struct img_mbr_part prim[] = {
		{ .type = 0x83, .start = 2048, .nr = 1024 },
		{ .type = 0x05, .start = 4096, .nr = 4096 },
	};
	static const struct img_mbr_part logical[] = {
		{ .type = 0x83, .ebr = 4096, .start = 4160, .nr = 1000 },
		{ .type = 0x82, .ebr = 6144, .start = 6208, .nr = 1000 },
	};
	guid_t dg = GUID_INIT(9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9);
	struct img_gpt_part gp = { .index = 2, .first = 6, .last = 200, .type = LINUX_GUID,
				   .name = "four-k" };
	struct testblk_params p = { .capacity = 4 << 20, .completion = TESTBLK_COMPLETE_INLINE,
				    .image_len = 4 << 20 };
	u8 *img = kzalloc(4 << 20, GFP_KERNEL);
	struct testblk *mbr = NULL, *gpt = NULL;
	struct block_device *b;
	char name[BDEVNAME_SIZE];

	KTEST_ASSERT(t, img);
	img_write_mbr(img, 512, prim, 2, logical, 2);
	p.image = img;
	mbr = tb_new(t, &p);
	CHECK_OR_GOTO(t, mbr, out);
	KTEST_EXPECT_EQ(t, mbr->disks[0]->disk->part_kind, PART_TABLE_MBR);
	for (unsigned int n = 1; n <= 6; n++) {
		disk_part_name(name, sizeof(name), mbr->disks[0]->disk->disk_name, n);
		b = blkdev_get_by_name(name);
		KTEST_EXPECT_EQ(t, b != NULL, n != 3 && n != 4);
		if (n == 6 && b)
			KTEST_EXPECT_EQ(t, b->bd_start_sect, 6208);
		if (b)
			blkdev_put(b);
	}
	memset(img, 0, 4 << 20);
	img_write_gpt(img, 4096, 1024, &dg, &gp, 1);
	p.limits.logical_block_size = 4096;
	gpt = tb_new(t, &p);
	CHECK_OR_GOTO(t, gpt, out);
	disk_part_name(name, sizeof(name), gpt->disks[0]->disk->disk_name, 3);
	b = blkdev_get_by_name(name);
	CHECK_OR_GOTO(t, b, out);
	KTEST_EXPECT_EQ(t, b->bd_start_sect, 6 * 8);
	KTEST_EXPECT_EQ(t, b->bd_nr_sectors, 195 * 8);
	KTEST_EXPECT(t, !strcmp(b->bd_part_name, "four-k"));
	blkdev_put(b);
out:
	if (gpt)
		testblk_destroy(gpt);
	if (mbr)
		testblk_destroy(mbr);
	kfree(img);
}

/*
 * A disk deleted while a user holds it: its I/O fails, the device is freed
 * on the last put. Polled I/O fails too, without looking at the tag set,
 * which went with the driver (its memory is refilled with garbage first
 * when the allocator hands it out again).
 */
static void t_deleted_disk_held_by_a_user(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL, *gone = tb;
	void *reuse[8] = { NULL };
	struct block_device *b;
	char name[BDEVNAME_SIZE];

	KTEST_ASSERT(t, tb);
	strncpy(name, tb->disks[0]->disk->disk_name, sizeof(name));
	b = blkdev_get_by_name(name);
	KTEST_ASSERT(t, b);
	testblk_destroy(tb);
	for (unsigned int i = 0; i < ARRAY_SIZE(reuse); i++) {
		reuse[i] = kmalloc(sizeof(*tb), GFP_KERNEL);
		if (reuse[i] == gone) {
			memset(reuse[i], 0xa5, sizeof(*tb));	/* the set's ops: garbage */
			break;
		}
	}
	KTEST_EXPECT(t, blkdev_get_by_name(name) == NULL);
	KTEST_EXPECT_EQ(t, blkdev_read(b, 0, buf, 4096), -ENODEV);
	KTEST_EXPECT_EQ(t, blkdev_rw_polled(b, REQ_OP_READ, 0, buf, 4096, 0), -ENODEV);
	blkdev_put(b);
	for (unsigned int i = 0; i < ARRAY_SIZE(reuse); i++)
		kfree(reuse[i]);
	kfree(buf);
}

/* ---- polled I/O, flush ---- */

static void t_polled_io_with_interrupts_off(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .queue_depth = 1, .poll = true };
	u8 *buf = blk_test_buf_alloc();
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	struct testblk_disk *d2;
	unsigned long irq_before, flags;
	struct blk_waiter w;
	struct bio *stuck = NULL;
	int err, werr, rerr, terr;

	KTEST_ASSERT(t, tb);
	blk_waiter_init(&w);
	d2 = testblk_add_disk(tb, &p, &err);
	CHECK_OR_GOTO(t, d2, out);
	/* the only regular tag is held by a request that never completes */
	d2->never_complete = true;
	stuck = blk_test_bio(d2->disk->part0, REQ_OP_READ, 0, buf + (1 << 20), 4096, &w);
	CHECK_OR_GOTO(t, stuck, out);
	submit_bio(stuck);
	blk_pattern_fill(buf + 512, 64, 65536, 11);
	irq_before = tb->nr_irq_completions;
	flags = local_irq_save();
	werr = blkdev_rw_polled(whole(tb), REQ_OP_WRITE, 64, buf + 512, 65536, 0);
	memset(buf + 512, 0, 65536);
	rerr = blkdev_rw_polled(whole(tb), REQ_OP_READ, 64, buf + 512, 65536, 0);
	terr = blkdev_rw_polled(d2->disk->part0, REQ_OP_READ, 8, buf, 4096, 20 * MS);
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, werr, 0);
	KTEST_EXPECT_EQ(t, rerr, 0);
	KTEST_EXPECT_EQ(t, terr, -ETIMEDOUT);	/* polled I/O gives up too */
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf + 512, 64, 65536, 11), 65536);
	KTEST_EXPECT(t, tb->nr_polled_completions >= 2);
	KTEST_EXPECT_EQ(t, tb->nr_irq_completions, irq_before);
	KTEST_EXPECT_EQ(t, READ_ONCE(w.done), 0);
out:
	testblk_destroy(tb);		/* answers the stuck request */
	KTEST_EXPECT_EQ(t, w.done, stuck ? 1 : 0);
	bio_put(stuck);
	blk_test_buf_free(buf);
}

static int polled_ends;

static void count_polled_end(struct bio *bio)
{
	polled_ends++;
}

/*
 * The reserved tag held by another polled request: -EBUSY, and the bio is
 * ended all the same. While the kernel is dying its holder may be the
 * context that died: the tag is taken over and the I/O goes through.
 */
static void t_polled_reserved_tag_busy_or_taken_over(struct ktest *t)
{
	struct testblk_params p = { .capacity = 1 << 20, .poll = true,
				    .completion = TESTBLK_COMPLETE_INLINE };
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct testblk *tb = buf ? tb_new(t, &p) : NULL;
	unsigned long flags;
	struct bio_vec vec;
	struct bio bio;
	int err;

	KTEST_ASSERT(t, tb);
	blk_pattern_fill(buf, 0, 4096, 31);
	testblk_store_write(tb->disks[0], 0, buf, 4096);
	spin_lock_irqsave(&tb->set.lock, flags);
	tb->set.reserved_busy = true;		/* another poller, or a dead one */
	spin_unlock_irqrestore(&tb->set.lock, flags);
	bio_init(&bio, whole(tb), &vec, 1, REQ_OP_READ);
	bio_add_page(&bio, blk_test_page(buf), 4096, 0);
	bio.bi_end_io = count_polled_end;
	polled_ends = 0;
	KTEST_EXPECT_EQ(t, blk_execute_polled(&bio, 0), -EBUSY);
	KTEST_EXPECT_EQ(t, polled_ends, 1);
	memset(buf, 0, 4096);
	flags = local_irq_save();
	kernel_dying = true;
	err = blkdev_rw_polled(whole(tb), REQ_OP_READ, 0, buf, 4096, 1000 * MS);
	kernel_dying = false;
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, 0, 4096, 31), 4096);
	KTEST_EXPECT(t, !tb->set.reserved_busy);
	testblk_destroy(tb);
	kfree(buf);
}

static void t_flush_and_fua(struct ktest *t)
{
	struct testblk_params cache = {
		.capacity = 1 << 20, .completion = TESTBLK_COMPLETE_INLINE,
		.limits = { .features = BLK_FEAT_WRITE_CACHE },
	};
	struct testblk_params fua = cache, plain = cache;
	u8 *buf = kmalloc(8192, GFP_KERNEL);
	struct testblk *a = buf ? tb_new(t, &cache) : NULL, *b, *c;
	unsigned long before;
	struct bio *bio;

	fua.limits.features |= BLK_FEAT_FUA;
	plain.limits.features = 0;
	b = a ? tb_new(t, &fua) : NULL;
	c = b ? tb_new(t, &plain) : NULL;
	CHECK_OR_GOTO(t, a && b && c, out);
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(whole(a)), 0);
	KTEST_EXPECT_EQ(t, a->disks[0]->nr_flushes, 1);
	before = c->nr_requests;
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(whole(c)), 0);
	KTEST_EXPECT_EQ(t, c->nr_requests, before);	/* nothing volatile: no request */
	for (int i = 0; i < 3; i++) {
		struct testblk *tb = i == 0 ? a : i == 1 ? b : c;

		bio = bio_alloc(whole(tb), 2, REQ_OP_WRITE | REQ_FUA | (i == 0 ? REQ_PREFLUSH : 0),
				GFP_KERNEL);
		CHECK_OR_GOTO(t, bio, out);
		bio_add_page(bio, blk_test_page(buf), 8192, 0);
		KTEST_EXPECT_EQ(t, submit_bio_wait(bio), 0);
		bio_put(bio);
	}
	/* no FUA support: pre-flush, write, flush after it */
	KTEST_EXPECT_EQ(t, a->disks[0]->nr_flushes, 3);
	KTEST_EXPECT_EQ(t, a->disks[0]->nr_fua, 0);
	KTEST_EXPECT_EQ(t, a->disks[0]->nr_writes, 1);
	/* FUA support: the write carries it */
	KTEST_EXPECT_EQ(t, b->disks[0]->nr_fua, 1);
	KTEST_EXPECT_EQ(t, b->disks[0]->nr_flushes, 0);
	/* no cache: a plain write */
	KTEST_EXPECT_EQ(t, c->disks[0]->nr_fua, 0);
	KTEST_EXPECT_EQ(t, c->disks[0]->nr_flushes, 0);
	KTEST_EXPECT_EQ(t, violations(a) + violations(b) + violations(c), 0);
out:
	if (c)
		testblk_destroy(c);
	if (b)
		testblk_destroy(b);
	if (a)
		testblk_destroy(a);
	kfree(buf);
}

static void t_lookup_by_name_and_number(struct ktest *t)
{
	struct testblk_params p = { .capacity = 3 << 20, .name = "tbnamed",
				    .completion = TESTBLK_COMPLETE_INLINE };
	struct testblk *tb = tb_new(t, &p);
	struct block_device *b;
	int err;

	KTEST_ASSERT(t, tb);
	b = blkdev_get_by_name("tbnamed");
	KTEST_ASSERT(t, b);
	KTEST_EXPECT(t, b == whole(tb));
	KTEST_EXPECT_EQ(t, bdev_nr_sectors(b), 6144);
	KTEST_EXPECT_EQ(t, MAJOR(b->bd_dev), BLOCK_EXT_MAJOR);
	KTEST_EXPECT(t, blkdev_get_by_dev(b->bd_dev) == b);
	blkdev_put(b);
	blkdev_put(b);
	KTEST_EXPECT(t, testblk_add_disk(tb, &p, &err) == NULL);	/* the name is taken */
	KTEST_EXPECT_EQ(t, err, -EEXIST);
	testblk_destroy(tb);
	KTEST_EXPECT(t, blkdev_get_by_name("tbnamed") == NULL);
}

static const struct ktest_case block_cases[] = {
	KTEST_CASE(t_lookup_by_name_and_number, "a disk is found by name and number until deleted"),
	KTEST_CASE(t_every_size_aligned_and_unaligned, "every size to 1 MiB at aligned and unaligned buffers reads back"),
	KTEST_CASE(t_interrupt_completion_data, "completions from a timer interrupt carry the right data"),
	KTEST_CASE(t_split_under_small_limits, "bios are split to the disk's sector, segment and segment-size limits"),
	KTEST_CASE(t_virt_boundary_splits_at_gaps, "a virtual-boundary gap splits the bio there"),
	KTEST_CASE(t_unsplittable_bio_refused, "a bio that cannot be split on block boundaries gets -EINVAL"),
	KTEST_CASE(t_4k_blocks_refuse_512_aligned_io, "4096-byte blocks: 512-aligned I/O refused, 4 KiB I/O works"),
	KTEST_CASE(t_read_only_disk_refuses_writes, "a read-only disk refuses writes with -EROFS"),
	KTEST_CASE(t_error_fails_only_its_bio, "a device error fails its bio with -EIO, not the others"),
	KTEST_CASE(t_lost_request_times_out, "a request that never completes fails with -ETIMEDOUT; the system lives"),
	KTEST_CASE(t_late_answer_is_ignored, "an answer after the timeout is dropped without moving data"),
	KTEST_CASE(t_timeout_handler_decides, "the driver's timeout handler can extend, complete or fail"),
	KTEST_CASE(t_disk_removed_while_timeout_runs,
		   "a disk removed while kblockd's timeout handler runs waits for it"),
	KTEST_CASE(t_more_bios_than_tags, "more bios than tags wait in the software queue"),
	KTEST_CASE(t_busy_driver_is_retried, "a busy driver gets the request again"),
	KTEST_CASE(t_busy_batch_is_committed, "a batch cut short by a busy driver is committed"),
	KTEST_CASE(t_quiesce_and_cancel_in_flight, "a quiesced queue holds bios back; requests in flight can be cancelled"),
	KTEST_CASE(t_unstarted_request_left_alone,
		   "a request taken but not yet started is not visited by busy_iter nor timed out"),
	KTEST_CASE(t_disks_share_the_tag_set, "two disks of one controller share its tags"),
	KTEST_CASE(t_gpt_written_then_found, "a GPT written to a disk gives p1 p2; I/O remapped and bounded"),
	KTEST_CASE(t_partitions_found_at_add_disk, "MBR logicals and a 4 KiB-block GPT are found at add_disk"),
	KTEST_CASE(t_deleted_disk_held_by_a_user, "a deleted disk held by a user fails I/O with -ENODEV"),
	KTEST_CASE(t_polled_io_with_interrupts_off, "polled I/O works with interrupts off and all tags stuck"),
	KTEST_CASE(t_polled_reserved_tag_busy_or_taken_over,
		   "a busy reserved tag ends the polled bio with -EBUSY; while dying it is taken over"),
	KTEST_CASE(t_flush_and_fua, "flush reaches only cached disks; FUA is passed or emulated"),
};

KTEST_SUITE(block_suite, "block", block_cases);
