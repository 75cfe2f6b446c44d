/*
 * In-kernel tests of virtio-blk on QEMU's device, `ktest=virtio`
 * (drivers/block/virtio_blk.c; docs/virtio.md). The disks are attached by
 * tests/check.sh (tests/virtio_images.sh makes the images) and found by
 * the serial each device answers to GET_ID:
 *
 *   pat     64 MiB, transitional: data of every size, flush, polled I/O,
 *           indirect descriptors
 *   pat2    16 MiB, modern-only (disable-legacy=on): two disks at once
 *   4k      16 MiB, logical_block_size=4096
 *   ro      4 MiB filled by the host with the pattern, readonly=on
 *   err     4 MiB under blkdebug, errors injected at chosen sectors
 *   direct  8 MiB, indirect_desc=off: chains in the ring
 *   tmo     4 MiB: requests never notified time out
 *   shared  1 MiB, vectors=1: one MSI-X vector for queue and configuration
 *   novec   1 MiB, vectors=0: no MSI-X, completions polled every tick
 *   stuck   4 MiB: its reset is taken as unconfirmed (the fail_reset hook):
 *           bus mastering off before its requests fail; left dead
 *
 * A case whose disk is missing is skipped (a boot without those disks
 * skips them all). Data is the sector-keyed pattern of
 * include/pagoda/blk_pattern.h: each case that writes a disk prints the
 * range ("virtio-pattern: SERIAL seed S sectors FIRST+COUNT") and the host
 * compares the image with build/tools/blk-pattern after QEMU exits.
 */
#include <pagoda/bio.h>
#include <pagoda/blk_pattern.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/irq.h>
#include <pagoda/ktest.h>
#include <pagoda/pci.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/virtio.h>
#include <pagoda/virtio_blk.h>
#include <pagoda/wait.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include "blk_test.h"

#define SEED_PAT	0x7a7001ull
#define SEED_PAT2	0x7a7002ull
#define SEED_4K		0x7a7004ull
#define SEED_RO		0x7a70ffull		/* tests/virtio_images.sh fills the ro image */
#define SEED_SMALL	0x7a7005ull

/* Where each case writes on "pat" (sectors), so the image is the sum of the ranges. */
#define PAT_SIZES_BASE		2048
#define PAT_TWO_DISKS_BASE	(PAT_SIZES_BASE + 40960)
#define PAT_INDIRECT_BASE	(PAT_TWO_DISKS_BASE + 8192)
#define PAT_POLLED_BASE		(PAT_INDIRECT_BASE + 8192)
#define PAT_FLUSH_BASE		(PAT_POLLED_BASE + 1024)

static struct virtio_blk *disk_or_skip(struct ktest *t, const char *serial)
{
	struct virtio_blk *vblk = virtblk_find_serial(serial);

	if (!vblk)
		ktest_skip(t, "needs the virtio disks of tests/check.sh's virtio scenario");
	return vblk;
}

static struct block_device *bdev_of(struct virtio_blk *vblk)
{
	return vblk->disk->part0;
}

/* Tell the host which sectors of @vblk's image now hold the pattern of @seed. */
static void announce(struct virtio_blk *vblk, u64 seed, sector_t first, sector_t count)
{
	printk("virtio-pattern: %s seed %#llx sectors %llu+%llu\n", vblk->serial,
	       (unsigned long long)seed, (unsigned long long)first, (unsigned long long)count);
}

static unsigned long counter(struct virtio_blk *vblk, unsigned long *c)
{
	unsigned long flags, v;

	spin_lock_irqsave(&vblk->lock, flags);
	v = *c;
	spin_unlock_irqrestore(&vblk->lock, flags);
	return v;
}

/*
 * Write the pattern of @bytes at @sector from @buf, read it back into the
 * same (poisoned) memory and check it. True when all went well.
 */
static bool roundtrip(struct ktest *t, struct block_device *bdev, u8 *buf, sector_t sector,
		      size_t bytes, u64 seed)
{
	int werr, rerr;
	size_t bad;

	blk_pattern_fill(buf, sector, bytes, seed);
	werr = blkdev_write(bdev, sector, buf, bytes);
	memset(buf, 0x5a, bytes);
	rerr = blkdev_read(bdev, sector, buf, bytes);
	bad = blk_pattern_check(buf, sector, bytes, seed);
	if (!werr && !rerr && bad == bytes)
		return true;
	ktest_fail(t, __FILE__, __LINE__, "%zu bytes at sector %llu (buffer offset %#lx): write %d, read %d, first bad byte %zu",
		   bytes, (unsigned long long)sector, (unsigned long)((uintptr_t)buf & (PAGE_SIZE - 1)),
		   werr, rerr, bad);
	return false;
}

/*
 * A bio of @nvec vectors of @veclen bytes each, consecutive from @buf (one
 * DMA segment each: the block layer never merges vectors), at @sector.
 */
static struct bio *vec_bio(struct block_device *bdev, blk_opf_t opf, sector_t sector, u8 *buf,
			   unsigned int nvec, u32 veclen, struct blk_waiter *w)
{
	struct bio *bio = bio_alloc(bdev, nvec, opf, GFP_KERNEL);

	if (!bio)
		return NULL;
	bio->bi_sector = sector;
	for (unsigned int i = 0; i < nvec; i++) {
		u8 *p = buf + (size_t)i * veclen;

		bio_add_page(bio, blk_test_page(p), veclen, (u32)((uintptr_t)p & (PAGE_SIZE - 1)));
	}
	bio->bi_end_io = blk_waiter_end_io;
	bio->bi_private = w;
	return bio;
}

/* ---- probing ---- */

/* Every virtio-blk disk, vda upwards: names follow PCI order, numbers 254:16n. */
static void t_disks_named_in_probe_order(struct ktest *t)
{
	struct virtio_blk *prev = NULL, *vblk;
	unsigned int i;
	char name[BDEVNAME_SIZE];

	if (!disk_or_skip(t, "pat"))
		return;
	for (i = 0;; i++) {
		disk_name_letters(name, sizeof(name), "vd", i);
		vblk = virtblk_find(name);
		if (!vblk)
			break;
		KTEST_EXPECT(t, !strcmp(vblk->disk->disk_name, name));
		KTEST_EXPECT_EQ(t, MAJOR(bdev_of(vblk)->bd_dev), VIRTBLK_MAJOR);
		KTEST_EXPECT_EQ(t, MINOR(bdev_of(vblk)->bd_dev), 16 * i);
		if (prev)
			KTEST_EXPECT(t, prev->pci->bus < vblk->pci->bus ||
				     (prev->pci->bus == vblk->pci->bus &&
				      prev->pci->devfn < vblk->pci->devfn));
		prev = vblk;
	}
	KTEST_EXPECT_EQ(t, i, 10);		/* the ten usable disks of the scenario */
	KTEST_EXPECT(t, !strcmp(virtblk_find("vda")->serial, "pat"));
	KTEST_EXPECT_EQ(t, get_capacity(virtblk_find_serial("pat")->disk), 64ull << 11);
	KTEST_EXPECT_EQ(t, virtblk_find_serial("pat")->pci->device, 0x1001);	/* transitional */
	KTEST_EXPECT_EQ(t, virtblk_find_serial("pat2")->pci->device, 0x1042);	/* modern */
	KTEST_EXPECT(t, !virtblk_find_serial("iommu"));	/* refused at FEATURES_OK */
}

/* What pat negotiated with QEMU and how its interrupts are routed. */
static void t_features_and_vectors(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "pat"), *direct;
	u64 want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) |
		   VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		   VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE);

	if (!vblk)
		return;
	KTEST_EXPECT_EQ(t, vblk->features & want, want);
	KTEST_EXPECT(t, !(vblk->features & VIRTIO_BIT(VIRTIO_BLK_F_RO)));
	KTEST_EXPECT(t, !(vblk->features & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX)));
	KTEST_EXPECT(t, vblk->vq->use_indirect);
	KTEST_EXPECT_EQ(t, vblk->vq->num, 256);
	KTEST_EXPECT_EQ(t, vblk->max_segments, 126);	/* seg_max 254 capped by our tables */
	KTEST_EXPECT_EQ(t, vblk->irq_mode, VIRTBLK_IRQ_MSIX);
	KTEST_EXPECT_EQ(t, vblk->config_vector, 0);
	KTEST_EXPECT_EQ(t, vblk->queue_vector, 1);
	KTEST_EXPECT(t, vblk->disk->limits.features & BLK_FEAT_WRITE_CACHE);
	KTEST_EXPECT_EQ(t, vblk->state, VIRTBLK_LIVE);
	direct = virtblk_find_serial("direct");
	if (direct) {
		KTEST_EXPECT(t, !(direct->features & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC)));
		KTEST_EXPECT(t, !direct->vq->use_indirect);
	}
}

/* ---- data ---- */

static void t_every_size_round_trips(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "pat");
	static const size_t offsets[] = { 0, 512, 3584 };	/* page-aligned, and not */
	u32 sizes[BLK_TEST_MAX_SIZES];
	unsigned int nsizes = blk_test_sizes(sizes, 1, 64), done = 0;	/* 1 to 64, then 2^k +- 1 */
	unsigned long irqs, reqs;
	u64 start;
	sector_t s = PAT_SIZES_BASE;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	irqs = counter(vblk, &vblk->nr_irqs);
	reqs = counter(vblk, &vblk->nr_requests[REQ_OP_READ]) +
	       counter(vblk, &vblk->nr_requests[REQ_OP_WRITE]);
	start = time_ns();
	for (unsigned int o = 0; o < ARRAY_SIZE(offsets); o++) {
		for (unsigned int i = 0; i < nsizes; i++) {
			if (!roundtrip(t, bdev_of(vblk), buf + offsets[o], s,
				       (size_t)sizes[i] << SECTOR_SHIFT, SEED_PAT))
				goto out;
			s += sizes[i];
			done++;
		}
	}
out:
	printk("    # %s: %llu KiB written and read back in %llu ms: %lu requests, %lu interrupts\n",
	       vblk->name, (unsigned long long)(s - PAT_SIZES_BASE) / 2,
	       (unsigned long long)((time_ns() - start) / MS),
	       counter(vblk, &vblk->nr_requests[REQ_OP_READ]) +
	       counter(vblk, &vblk->nr_requests[REQ_OP_WRITE]) - reqs,
	       counter(vblk, &vblk->nr_irqs) - irqs);
	announce(vblk, SEED_PAT, PAT_SIZES_BASE, s - PAT_SIZES_BASE);
	KTEST_EXPECT_EQ(t, done, nsizes * ARRAY_SIZE(offsets));
	KTEST_EXPECT(t, s - PAT_SIZES_BASE <= PAT_TWO_DISKS_BASE - PAT_SIZES_BASE);
	KTEST_EXPECT(t, counter(vblk, &vblk->nr_irqs) > irqs);	/* completions came by MSI-X */
	KTEST_EXPECT(t, irq_vector_count(pci_irq_vector(vblk->pci, 1)) > 0);
	KTEST_EXPECT(t, vblk->max_segs_seen > 1);
	blk_test_buf_free(buf);
}

static void t_flush_reaches_the_device(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "pat");
	struct blk_waiter w;
	struct bio *bio;
	unsigned long flushes, writes;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	flushes = counter(vblk, &vblk->nr_requests[REQ_OP_FLUSH]);
	writes = counter(vblk, &vblk->nr_requests[REQ_OP_WRITE]);
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(bdev_of(vblk)), 0);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_requests[REQ_OP_FLUSH]), flushes + 1);
	/* a write with PREFLUSH and FUA: flush, write, flush (virtio has no FUA) */
	blk_waiter_init(&w);
	bio = blk_test_pattern_bio(bdev_of(vblk), REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA,
				   PAT_FLUSH_BASE, buf, 8192, SEED_PAT, &w);
	KTEST_ASSERT(t, bio);
	submit_bio(bio);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 1, 10000));
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bio->bi_status), 0);
	bio_put(bio);
	announce(vblk, SEED_PAT, PAT_FLUSH_BASE, 16);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_requests[REQ_OP_FLUSH]), flushes + 3);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_requests[REQ_OP_WRITE]), writes + 1);
	blk_test_buf_free(buf);
}

/* 32 bios alternating between two disks, all in flight before any is waited for. */
static void t_two_disks_interleaved(struct ktest *t)
{
	struct virtio_blk *a = disk_or_skip(t, "pat"), *b = virtblk_find_serial("pat2");
	struct virtio_blk *d[2] = { a, b };
	const u64 seeds[2] = { SEED_PAT, SEED_PAT2 };
	const sector_t base[2] = { PAT_TWO_DISKS_BASE, 0 };
	struct bio *bios[32] = { NULL };
	unsigned long before[2];
	struct blk_waiter w;
	u8 *buf;

	if (!a)
		return;
	KTEST_ASSERT(t, b);
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	blk_waiter_init(&w);
	for (int k = 0; k < 2; k++)
		before[k] = counter(d[k], &d[k]->nr_requests[REQ_OP_WRITE]);
	for (int i = 0; i < 32; i++) {		/* bio i: disk i & 1, 64 KiB, chunk i / 2 */
		int k = i & 1;
		sector_t s = base[k] + (sector_t)(i / 2) * 128;

		bios[i] = blk_test_pattern_bio(bdev_of(d[k]), REQ_OP_WRITE, s,
					       buf + (size_t)i * 65536, 65536, seeds[k], &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	for (int i = 0; i < 32; i++)
		submit_bio(bios[i]);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 32, 20000));
	KTEST_EXPECT_EQ(t, w.failed, 0);
	for (int k = 0; k < 2; k++) {
		KTEST_EXPECT(t, counter(d[k], &d[k]->nr_requests[REQ_OP_WRITE]) >= before[k] + 16);
		memset(buf, 0, 16 * 65536);
		KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(d[k]), base[k], buf, 16 * 65536), 0);
		KTEST_EXPECT_EQ(t, blk_pattern_check(buf, base[k], 16 * 65536, seeds[k]),
				16 * 65536);
		announce(d[k], seeds[k], base[k], 16 * 128);
	}
out:
	for (int i = 0; i < 32; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

/* 4096-byte logical blocks: sizes in blocks, sectors still in 512-byte units on the wire. */
static void t_4k_logical_blocks(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "4k");
	static const u32 blocks[] = { 1, 2, 3, 7, 8, 9, 31, 32, 33, 255, 256 };
	sector_t s = 8;
	u8 *buf;

	if (!vblk)
		return;
	KTEST_EXPECT_EQ(t, vblk->blk_size, 4096);
	KTEST_EXPECT_EQ(t, bdev_logical_block_size(bdev_of(vblk)), 4096);
	KTEST_EXPECT_EQ(t, vblk->disk->limits.physical_block_size, 4096);
	KTEST_EXPECT_EQ(t, get_capacity(vblk->disk), 16ull << 11);
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	for (unsigned int i = 0; i < ARRAY_SIZE(blocks); i++) {
		if (!roundtrip(t, bdev_of(vblk), buf + (i & 1) * 4096, s,
			       (size_t)blocks[i] * 4096, SEED_4K))
			break;
		s += blocks[i] * 8;
	}
	announce(vblk, SEED_4K, 8, s - 8);
	/* a 512-byte write, or one at a sector inside a block, never reaches the device */
	KTEST_EXPECT_EQ(t, blkdev_write(bdev_of(vblk), 0, buf, 512), -EINVAL);
	KTEST_EXPECT_EQ(t, blkdev_write(bdev_of(vblk), 4, buf, 4096), -EINVAL);
	blk_test_buf_free(buf);
}

static void t_read_only_disk_refuses_writes(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "ro");
	unsigned long writes;
	u8 *buf;

	if (!vblk)
		return;
	KTEST_EXPECT(t, vblk->features & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	KTEST_EXPECT(t, bdev_read_only(bdev_of(vblk)));
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	for (sector_t s = 0; s < 8192; s += 2048) {	/* the whole image, 1 MiB at a time */
		memset(buf, 0, 1 << 20);
		KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(vblk), s, buf, 1 << 20), 0);
		KTEST_EXPECT_EQ(t, blk_pattern_check(buf, s, 1 << 20, SEED_RO), 1 << 20);
	}
	writes = counter(vblk, &vblk->nr_requests[REQ_OP_WRITE]);
	KTEST_EXPECT_EQ(t, blkdev_write(bdev_of(vblk), 8, buf, 4096), -EROFS);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_requests[REQ_OP_WRITE]), writes);
	KTEST_EXPECT_EQ(t, writes, 0);
	blk_test_buf_free(buf);
}

/*
 * Eight requests of 100 segments each while the doorbell is held: with
 * indirect descriptors they take eight ring descriptors; without (the
 * "direct" disk) only two chains of 102 fit in a 256-entry ring and the
 * others wait until the device gives descriptors back.
 */
static void indirect_case(struct ktest *t, struct virtio_blk *vblk, sector_t base, u64 seed,
			  unsigned int want_outstanding, unsigned int want_used)
{
	struct bio *bios[8] = { NULL };
	unsigned int num_free, outstanding;
	unsigned long busy = counter(vblk, &vblk->nr_busy);
	struct blk_waiter w;
	u8 *buf = blk_test_buf_alloc();

	KTEST_ASSERT(t, buf);
	blk_waiter_init(&w);
	blk_pattern_fill(buf, base, 8 * 100 * 512, seed);
	for (int i = 0; i < 8; i++) {
		bios[i] = vec_bio(bdev_of(vblk), REQ_OP_WRITE, base + (sector_t)i * 100,
				  buf + (size_t)i * 100 * 512, 100, 512, &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	virtblk_hold_notify(vblk, true);
	for (int i = 0; i < 8; i++)
		submit_bio(bios[i]);
	virtblk_ring_usage(vblk, &num_free, &outstanding);
	KTEST_EXPECT_EQ(t, outstanding, want_outstanding);
	KTEST_EXPECT_EQ(t, num_free, vblk->vq->num - want_used);
	KTEST_EXPECT_EQ(t, READ_ONCE(w.done), 0);	/* nothing reached the device */
	KTEST_EXPECT(t, want_outstanding == 8 || counter(vblk, &vblk->nr_busy) > busy);
	virtblk_hold_notify(vblk, false);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 8, 20000));
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT(t, vblk->max_segs_seen >= 100);
	memset(buf, 0, 8 * 100 * 512);
	KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(vblk), base, buf, 8 * 100 * 512), 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, base, 8 * 100 * 512, seed), 8 * 100 * 512);
	announce(vblk, seed, base, 800);
out:
	virtblk_hold_notify(vblk, false);
	for (int i = 0; i < 8; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

static void t_indirect_request_takes_one_slot(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "pat");
	unsigned long before;

	if (!vblk)
		return;
	before = vblk->vq->nr_indirect;
	indirect_case(t, vblk, PAT_INDIRECT_BASE, SEED_PAT, 8, 8);
	KTEST_EXPECT(t, vblk->vq->nr_indirect >= before + 8);
}

static void t_direct_chains_fill_the_ring(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "direct");
	u8 *buf;

	if (!vblk)
		return;
	KTEST_EXPECT_EQ(t, vblk->vq->num, 256);
	indirect_case(t, vblk, 0, SEED_SMALL, 2, 2 * 102);
	KTEST_EXPECT_EQ(t, vblk->vq->nr_indirect, 0);
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	if (roundtrip(t, bdev_of(vblk), buf + 512, 1024, 1 << 20, SEED_SMALL))
		announce(vblk, SEED_SMALL, 1024, 2048);
	blk_test_buf_free(buf);
}

/* ---- errors, polling, interrupts ---- */

/*
 * blkdebug fails reads touching sector 4096 and writes touching sector
 * 6144 (tests/virtio_images.sh): the caller gets -EIO, the requests in
 * flight with it complete normally, the device is not reset.
 */
static void t_injected_errors(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "err");
	const sector_t at[3] = { 0, 4096, 2048 };
	struct bio *bios[3] = { NULL };
	unsigned long resets;
	struct blk_waiter w;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	resets = counter(vblk, &vblk->nr_resets);
	blk_waiter_init(&w);
	for (int i = 0; i < 3; i++) {
		bios[i] = blk_test_bio(bdev_of(vblk), REQ_OP_READ, at[i], buf + i * 8192, 8192, &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	for (int i = 0; i < 3; i++)
		submit_bio(bios[i]);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 3, 10000));
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[0]->bi_status), 0);
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[1]->bi_status), -EIO);
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[2]->bi_status), 0);
	memset(buf, 0x11, 4096);
	KTEST_EXPECT_EQ(t, blkdev_write(bdev_of(vblk), 6144, buf, 4096), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_write(bdev_of(vblk), 100, buf, 4096), 0);
	KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(vblk), 4000, buf, 512), 0);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_resets), resets);
	KTEST_EXPECT_EQ(t, vblk->state, VIRTBLK_LIVE);
out:
	for (int i = 0; i < 3; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

/* The crash path's mode: ->poll finds the completions, no interrupt needed. */
static void t_polled_io_with_interrupts_off(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "pat");
	unsigned long flags, irqs, irqs_after, polled;
	int werr, rerr;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	blk_pattern_fill(buf, PAT_POLLED_BASE, 256 << 10, SEED_PAT);
	polled = counter(vblk, &vblk->nr_polled);
	flags = local_irq_save();
	irqs = vblk->nr_irqs;
	werr = blkdev_rw_polled(bdev_of(vblk), REQ_OP_WRITE, PAT_POLLED_BASE, buf, 256 << 10, 5000 * MS);
	memset(buf, 0, 256 << 10);
	rerr = blkdev_rw_polled(bdev_of(vblk), REQ_OP_READ, PAT_POLLED_BASE, buf, 256 << 10, 5000 * MS);
	irqs_after = vblk->nr_irqs;
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, werr, 0);
	KTEST_EXPECT_EQ(t, rerr, 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf, PAT_POLLED_BASE, 256 << 10, SEED_PAT), 256 << 10);
	KTEST_EXPECT_EQ(t, irqs_after, irqs);
	KTEST_EXPECT(t, counter(vblk, &vblk->nr_polled) >= polled + 8);	/* 64 KiB chunks */
	if (!werr)
		announce(vblk, SEED_PAT, PAT_POLLED_BASE, 512);
	blk_test_buf_free(buf);
}

/* One MSI-X vector for both kinds of interrupt; and none at all (tick polling). */
static void t_shared_vector_and_no_vector(struct ktest *t)
{
	struct virtio_blk *shared = disk_or_skip(t, "shared"), *novec = virtblk_find_serial("novec");
	unsigned long irqs;
	u8 *buf;

	if (!shared)
		return;
	KTEST_ASSERT(t, novec);
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	KTEST_EXPECT_EQ(t, shared->irq_mode, VIRTBLK_IRQ_MSIX_SHARED);
	KTEST_EXPECT_EQ(t, shared->queue_vector, 0);
	KTEST_EXPECT_EQ(t, shared->config_vector, 0);
	irqs = counter(shared, &shared->nr_irqs);
	if (roundtrip(t, bdev_of(shared), buf, 0, 256 << 10, SEED_SMALL))
		announce(shared, SEED_SMALL, 0, 512);
	KTEST_EXPECT(t, counter(shared, &shared->nr_irqs) > irqs);

	KTEST_EXPECT_EQ(t, novec->irq_mode, VIRTBLK_IRQ_NONE);
	KTEST_EXPECT_EQ(t, novec->nr_vectors, 0);
	if (roundtrip(t, bdev_of(novec), buf + 512, 64, 256 << 10, SEED_SMALL))
		announce(novec, SEED_SMALL, 64, 512);
	KTEST_EXPECT(t, counter(novec, &novec->nr_tick_polled) > 0);
	KTEST_EXPECT_EQ(t, counter(novec, &novec->nr_irqs), 0);
	blk_test_buf_free(buf);
}

/* ---- timeouts ---- */

/*
 * Two reads published but never notified: the first to pass its deadline
 * resets the device and fails with -ETIMEDOUT, the other with -EIO; other
 * disks work meanwhile; afterwards the disk works again.
 */
static void t_timeout_resets_the_device(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "tmo"), *other = virtblk_find_serial("pat2");
	struct bio *bios[2] = { NULL };
	unsigned long resets;
	struct blk_waiter w;
	int done_early;
	u64 start;
	u8 *buf;

	if (!vblk)
		return;
	KTEST_ASSERT(t, other);
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	resets = counter(vblk, &vblk->nr_resets);
	blk_queue_rq_timeout(vblk->disk, 300 * MS);
	blk_waiter_init(&w);
	for (int i = 0; i < 2; i++) {
		bios[i] = blk_test_bio(bdev_of(vblk), REQ_OP_READ, (sector_t)i * 8, buf + i * 4096,
				       4096, &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	virtblk_hold_notify(vblk, true);
	start = time_ns();
	for (int i = 0; i < 2; i++)
		submit_bio(bios[i]);
	/* the system and the other disks go on */
	if (roundtrip(t, bdev_of(other), buf + 65536, 4096, 65536, SEED_PAT2))
		announce(other, SEED_PAT2, 4096, 128);
	/* nothing ends them before their deadline (read first, then the clock) */
	done_early = READ_ONCE(w.done);
	if (time_ns() - start < 300 * MS)
		KTEST_EXPECT_EQ(t, done_early, 0);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 2, 10000));
	KTEST_EXPECT(t, time_ns() - start >= 300 * MS);
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[0]->bi_status), -ETIMEDOUT);
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[1]->bi_status), -EIO);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_resets), resets + 1);
	KTEST_EXPECT_EQ(t, vblk->state, VIRTBLK_LIVE);
	virtblk_hold_notify(vblk, false);
	KTEST_EXPECT(t, roundtrip(t, bdev_of(vblk), buf, 64, 65536, SEED_SMALL));
out:
	virtblk_hold_notify(vblk, false);
	blk_queue_rq_timeout(vblk->disk, BLK_DEFAULT_TIMEOUT_NS);
	for (int i = 0; i < 2; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

/*
 * The test plays a device that lies: it posts a used element naming no
 * chain. The driver completes nothing on it and marks the ring broken;
 * the request in it times out and the reset mends the ring.
 */
static void t_bogus_used_element_breaks_the_ring(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "tmo");
	struct bio *bio = NULL;
	unsigned long flags;
	struct blk_waiter w;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	blk_queue_rq_timeout(vblk->disk, 300 * MS);
	blk_waiter_init(&w);
	bio = blk_test_bio(bdev_of(vblk), REQ_OP_READ, 16, buf, 4096, &w);
	CHECK_OR_GOTO(t, bio, out);
	virtblk_hold_notify(vblk, true);
	submit_bio(bio);
	spin_lock_irqsave(&vblk->lock, flags);
	{
		struct vring_used *used = vblk->vq->used;

		used->ring[used->idx & (vblk->vq->num - 1)] =
			(struct vring_used_elem){ vblk->vq->num + 5, 0 };
		WRITE_ONCE(used->idx, used->idx + 1);
	}
	spin_unlock_irqrestore(&vblk->lock, flags);
	KTEST_EXPECT_EQ(t, vblk->set.ops->poll(&vblk->set), 0);
	KTEST_EXPECT(t, vblk->vq->broken != NULL);
	KTEST_EXPECT_EQ(t, READ_ONCE(w.done), 0);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 1, 10000));
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bio->bi_status), -ETIMEDOUT);
	KTEST_EXPECT(t, vblk->vq->broken == NULL);
	KTEST_EXPECT_EQ(t, vblk->state, VIRTBLK_LIVE);
	virtblk_hold_notify(vblk, false);
	KTEST_EXPECT(t, roundtrip(t, bdev_of(vblk), buf, 128, 65536, SEED_SMALL));
out:
	virtblk_hold_notify(vblk, false);
	blk_queue_rq_timeout(vblk->disk, BLK_DEFAULT_TIMEOUT_NS);
	bio_put(bio);
	blk_test_buf_free(buf);
}

/*
 * A device that does not come back after the reset (the fail_reinit hook
 * stands in for it) takes the disk offline: the late request fails with
 * -ETIMEDOUT, every later one at once with -EIO. Leaves "tmo" dead: last.
 */
static void t_dead_device_fails_fast(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "tmo");
	unsigned long flags, failed, reads, resets;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	failed = counter(vblk, &vblk->nr_reset_failed);
	resets = counter(vblk, &vblk->nr_resets);
	blk_queue_rq_timeout(vblk->disk, 300 * MS);
	spin_lock_irqsave(&vblk->lock, flags);
	vblk->fail_reinit = true;
	spin_unlock_irqrestore(&vblk->lock, flags);
	virtblk_hold_notify(vblk, true);
	KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(vblk), 0, buf, 4096), -ETIMEDOUT);
	KTEST_EXPECT_EQ(t, vblk->state, VIRTBLK_DEAD);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_reset_failed), failed + 1);
	/* refused in ->queue_rq: nothing reaches the ring, no deadline, no new reset */
	reads = counter(vblk, &vblk->nr_requests[REQ_OP_READ]);
	KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(vblk), 0, buf, 4096), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_rw_polled(bdev_of(vblk), REQ_OP_READ, 0, buf, 4096, 0), -EIO);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_requests[REQ_OP_READ]), reads);
	KTEST_EXPECT_EQ(t, counter(vblk, &vblk->nr_resets), resets + 1);
	virtblk_hold_notify(vblk, false);
	blk_queue_rq_timeout(vblk->disk, BLK_DEFAULT_TIMEOUT_NS);
	blk_test_buf_free(buf);
}

/*
 * A device that does not confirm its reset (the fail_reset hook stands in
 * for one whose status never reads 0): its bus mastering is turned off,
 * and read back, before the requests it held fail, so it cannot write into
 * buffers given back to their owners; the disk is dead after. Leaves
 * "stuck" dead.
 */
static void t_unconfirmed_reset_cuts_bus_mastering(struct ktest *t)
{
	struct virtio_blk *vblk = disk_or_skip(t, "stuck");
	struct bio *bios[2] = { NULL };
	unsigned long flags;
	struct blk_waiter w;
	u8 *buf;

	if (!vblk || !(buf = blk_test_case_buf(t)))
		return;
	blk_queue_rq_timeout(vblk->disk, 300 * MS);
	blk_waiter_init(&w);
	blk_test_bme_watch(vblk->pci);
	for (int i = 0; i < 2; i++) {
		bios[i] = blk_test_bio(bdev_of(vblk), REQ_OP_READ, (sector_t)i * 8, buf + i * 4096,
				       4096, &w);
		CHECK_OR_GOTO(t, bios[i], out);
		bios[i]->bi_end_io = blk_test_bme_end_io;
	}
	KTEST_EXPECT(t, blk_test_bus_master_on(vblk->pci));
	spin_lock_irqsave(&vblk->lock, flags);
	vblk->fail_reset = true;
	spin_unlock_irqrestore(&vblk->lock, flags);
	virtblk_hold_notify(vblk, true);
	for (int i = 0; i < 2; i++)
		submit_bio(bios[i]);
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, 2, 10000), out);
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[0]->bi_status), -ETIMEDOUT);
	KTEST_EXPECT_EQ(t, blk_status_to_errno(bios[1]->bi_status), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_bme_on_at_end(), 0);
	KTEST_EXPECT(t, !blk_test_bus_master_on(vblk->pci));
	KTEST_EXPECT(t, !vblk->dma_unsafe);
	KTEST_EXPECT_EQ(t, vblk->state, VIRTBLK_DEAD);
	KTEST_EXPECT_EQ(t, blkdev_read(bdev_of(vblk), 0, buf, 4096), -EIO);
out:
	virtblk_hold_notify(vblk, false);
	blk_queue_rq_timeout(vblk->disk, BLK_DEFAULT_TIMEOUT_NS);
	for (int i = 0; i < 2; i++)
		bio_put(bios[i]);
	blk_test_buf_free(buf);
}

static const struct ktest_case virtio_cases[] = {
	KTEST_CASE(t_disks_named_in_probe_order,
		   "virtio disks are vda, vdb, ... in PCI order on major 254, found by serial"),
	KTEST_CASE(t_features_and_vectors,
		   "features negotiated with QEMU, MSI-X vectors read back as programmed"),
	KTEST_CASE(t_every_size_round_trips,
		   "every size from 1 sector to 1 MiB at page-aligned and unaligned buffers reads back"),
	KTEST_CASE(t_flush_reaches_the_device,
		   "a flush reaches the device; PREFLUSH|FUA writes are flush, write, flush"),
	KTEST_CASE(t_two_disks_interleaved, "two disks with interleaved I/O in flight at once"),
	KTEST_CASE(t_4k_logical_blocks,
		   "a 4096-byte-block disk: block-sized I/O reads back, 512-byte I/O is refused"),
	KTEST_CASE(t_read_only_disk_refuses_writes,
		   "a read-only disk reads its image and refuses writes with -EROFS before the device"),
	KTEST_CASE(t_indirect_request_takes_one_slot,
		   "eight 100-segment requests take eight ring descriptors (indirect tables)"),
	KTEST_CASE(t_direct_chains_fill_the_ring,
		   "without indirect descriptors two 102-descriptor chains fill the ring, the rest wait"),
	KTEST_CASE(t_injected_errors,
		   "an injected device error gives -EIO to its caller only, no reset"),
	KTEST_CASE(t_polled_io_with_interrupts_off, "polled I/O works with interrupts off"),
	KTEST_CASE(t_shared_vector_and_no_vector,
		   "one shared MSI-X vector, or none (tick polling), still completes I/O"),
	KTEST_CASE(t_timeout_resets_the_device,
		   "a request never seen by the device times out, the device is reset and works again"),
	KTEST_CASE(t_bogus_used_element_breaks_the_ring,
		   "a used element naming no request breaks the ring, completes nothing; the reset mends it"),
	KTEST_CASE(t_unconfirmed_reset_cuts_bus_mastering,
		   "a reset the device does not confirm turns bus mastering off before requests fail"),
	KTEST_CASE(t_dead_device_fails_fast,
		   "a device that does not come back after a reset fails later I/O at once with -EIO"),
};

KTEST_SUITE(virtio_suite, "virtio", virtio_cases);
