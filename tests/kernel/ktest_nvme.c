/*
 * In-kernel tests of the NVMe driver, `ktest=nvme`, against QEMU's NVMe
 * controllers as tests/check.sh attaches them (tests/nvme_images.sh makes
 * the images), found by serial number:
 *
 *   pagoda-multi  namespace 1 (64 MiB), 2 (8 MiB), 3 (8 bytes of metadata
 *                 per block: must be refused)
 *   pagoda-4k     one namespace of 4096-byte blocks (32 MiB); one MSI-X
 *                 vector shared by the admin and I/O queues
 *   pagoda-err    blkdebug fails reads of sector 2048 and writes of 4096;
 *                 MDTS 3 (32 KiB per command)
 *   pagoda-dead   made to fail its reset: goes offline
 *
 * Without them (the plain ktest runs) only the no-device case runs; the
 * others skip. Data is the sector-keyed pattern of blk_pattern.h, checked
 * in the kernel after a read-back; every sector written successfully to
 * the first three disks above is recorded, and the last case prints the
 * extents ("nvme-image: SERIAL NSID seed SEED sectors START+COUNT") for
 * the host to rebuild each image with build/tools/blk-pattern and `cmp`
 * it with what QEMU wrote (tests/nvme_images.sh check).
 */
#include "../../drivers/nvme/nvme.h"
#include <pagoda/blk_pattern.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/ktest.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/vsprintf.h>
#include <pagoda/wait.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include "blk_test.h"

#define SEED_BASE	0x5eed0000ull

/* Where each case writes on pagoda-multi namespace 1 (sectors). */
#define N1_SWEEP	0
#define N1_POLLED	49152
#define N1_DYING	49408
#define N1_TIMEOUT	50176
#define N1_INFLIGHT	51200		/* 16 x 64 KiB */
#define N1_LOST		54272		/* a write that never reaches the device */
#define N1_TWO_CTRLS	55296		/* 16 x 64 KiB */
#define N1_SHARED	59392		/* 16 x 64 KiB */
#define N1_FUA		61440
#define N1_FIGURES	65536		/* 8 MiB */
#define N1_PREEMPTED	81920		/* 2 x 4 KiB */
#define N1_DYING_ORDINARY 82048		/* 4 x 4 KiB */
#define DYING_ORDINARY	4
#define N1_POLLED_LOST	82112		/* 3 x 4 KiB */
#define N1_DUPLICATE	82176		/* 2 x 4 KiB */
#define N2_SHARED	0
#define K4_SWEEP	0
#define K4_TWO_CTRLS	57344

/* ---- the disks ---- */

/* A namespace under test, with the record of what was written to it. */
struct tdisk {
	const char *serial;
	u32 nsid;
	bool ledger;			/* record writes for the host check */
	struct nvme_ctrl *ctrl;
	struct block_device *bdev;
	u64 seed;
	unsigned long *written;		/* one bit per sector */
};

static struct tdisk tdisks[] = {
	{ .serial = "pagoda-multi", .nsid = 1, .ledger = true },
	{ .serial = "pagoda-multi", .nsid = 2, .ledger = true },
	{ .serial = "pagoda-4k", .nsid = 1, .ledger = true },
	{ .serial = "pagoda-err", .nsid = 1 },
	{ .serial = "pagoda-dead", .nsid = 1 },
};

#define BITS		(8 * sizeof(unsigned long))

static struct block_device *ns_bdev(struct nvme_ctrl *ctrl, u32 nsid)
{
	for (unsigned int i = 0; i < ctrl->nr_ns; i++)
		if (ctrl->ns[i]->nsid == nsid)
			return ctrl->ns[i]->disk->part0;
	return NULL;
}

/* The disk @serial/@nsid, or NULL (the case is then skipped). */
static struct tdisk *tdisk_get(struct ktest *t, const char *serial, u32 nsid)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(tdisks); i++) {
		struct tdisk *d = &tdisks[i];

		if (strcmp(d->serial, serial) || d->nsid != nsid)
			continue;
		if (!d->bdev) {
			d->ctrl = nvme_find_ctrl(serial);
			d->bdev = d->ctrl ? ns_bdev(d->ctrl, nsid) : NULL;
			d->seed = SEED_BASE + i;
		}
		if (d->bdev && d->ledger && !d->written)
			d->written = kzalloc(DIV_ROUND_UP(bdev_nr_sectors(d->bdev), BITS) *
					     sizeof(unsigned long), GFP_KERNEL);
		if (!d->bdev || (d->ledger && !d->written))
			break;
		return d;
	}
	ktest_skip(t, "needs the NVMe controllers of tests/check.sh's nvme scenario");
	return NULL;
}

static void record(struct tdisk *d, sector_t sector, sector_t n)
{
	for (sector_t s = sector; d->written && s < sector + n; s++)
		d->written[s / BITS] |= 1ul << (s % BITS);
}

/*
 * Write the pattern of @sectors at @sector from @buf + @off, read it back
 * into the same place after poisoning it, and check. Records the write.
 */
static bool roundtrip(struct ktest *t, struct tdisk *d, u8 *buf, size_t off, sector_t sector,
		      u32 sectors)
{
	size_t len = (size_t)sectors << SECTOR_SHIFT;
	int err;

	blk_pattern_fill(buf + off, sector, len, d->seed);
	err = blkdev_write(d->bdev, sector, buf + off, len);
	if (err) {
		ktest_fail(t, __FILE__, __LINE__, "%s: write %u sectors at %llu (offset %zu): %d",
			   d->bdev->bd_name, sectors, (unsigned long long)sector, off, err);
		return false;
	}
	record(d, sector, sectors);
	memset(buf + off, 0xa5, len);
	err = blkdev_read(d->bdev, sector, buf + off, len);
	if (err || blk_pattern_check(buf + off, sector, len, d->seed) != len) {
		ktest_fail(t, __FILE__, __LINE__, "%s: read back %u sectors at %llu (offset %zu): %d",
			   d->bdev->bd_name, sectors, (unsigned long long)sector, off, err);
		return false;
	}
	return true;
}

/* Read @sectors at @sector and check the pattern (or zeroes when @zero). */
static bool verify(struct ktest *t, struct tdisk *d, u8 *buf, sector_t sector, u32 sectors,
		   bool zero)
{
	size_t len = (size_t)sectors << SECTOR_SHIFT;
	int err;

	memset(buf, 0xa5, len);
	err = blkdev_read(d->bdev, sector, buf, len);
	if (!err && !zero && blk_pattern_check(buf, sector, len, d->seed) == len)
		return true;
	if (!err && zero) {
		size_t i = 0;

		while (i < len && !buf[i])
			i++;
		if (i == len)
			return true;
	}
	ktest_fail(t, __FILE__, __LINE__, "%s: %u sectors at %llu not as written (error %d)",
		   d->bdev->bd_name, sectors, (unsigned long long)sector, err);
	return false;
}

/* ---- asynchronous bios ---- */

/*
 * Drop @nr bios once all have ended. A bio still in flight after a minute
 * is leaked on purpose (the suite's page count then fails): freeing it
 * would let the device write into freed memory.
 */
static void put_bios(struct ktest *t, struct bio **bios, unsigned int nr, struct blk_waiter *w)
{
	if (READ_ONCE(w->done) < (int)nr && !blk_waiter_wait(w, (int)nr, 60000)) {
		ktest_fail(t, __FILE__, __LINE__, "%d of %u bios never ended: leaked",
			   (int)nr - READ_ONCE(w->done), nr);
		return;
	}
	for (unsigned int i = 0; i < nr; i++)
		if (bios[i])
			bio_put(bios[i]);
}

/*
 * Write @n chunks of @chunk bytes of the pattern at @sector... on each of
 * @disks in turn, all submitted with interrupts off so that every one is
 * at its controller before the first completion is taken. Frees its bios.
 * True when every write succeeded.
 */
static bool write_interleaved(struct ktest *t, struct tdisk **disks, const sector_t *starts,
			      unsigned int nr_disks, unsigned int n, u32 chunk, u8 *buf)
{
	struct bio *bios[64];
	struct blk_waiter w;
	unsigned int nr = 0;
	unsigned long flags;
	bool ok = false;

	blk_waiter_init(&w);
	for (unsigned int i = 0; i < n && nr < ARRAY_SIZE(bios); i++)
		for (unsigned int k = 0; k < nr_disks && nr < ARRAY_SIZE(bios); k++) {
			sector_t s = starts[k] + (sector_t)i * (chunk >> SECTOR_SHIFT);
			u8 *p = buf + (size_t)nr * chunk;

			bios[nr] = blk_test_pattern_bio(disks[k]->bdev, REQ_OP_WRITE, s, p, chunk,
							disks[k]->seed, &w);
			CHECK_OR_GOTO(t, bios[nr], out);
			nr++;
		}
	flags = local_irq_save();
	for (unsigned int i = 0; i < nr; i++)
		submit_bio(bios[i]);
	local_irq_restore(flags);
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, (int)nr, 20000), out);
	KTEST_EXPECT_EQ(t, w.failed, 0);
	ok = !w.failed;
	for (unsigned int i = 0; ok && i < n; i++)
		for (unsigned int k = 0; k < nr_disks; k++)
			record(disks[k], starts[k] + (sector_t)i * (chunk >> SECTOR_SHIFT),
			       chunk >> SECTOR_SHIFT);
out:
	put_bios(t, bios, nr, &w);
	return ok;
}

/*
 * Wait for a reset kblockd may still be finishing: it ends the request
 * (waking us) before it logs and times itself.
 */
static void wait_reset_done(struct nvme_ctrl *ctrl)
{
	mutex_lock(&ctrl->reset_mutex);
	mutex_unlock(&ctrl->reset_mutex);
}

/* The high-water mark of requests in flight on @set, from now on. */
static void reset_max_busy(struct blk_mq_tag_set *set)
{
	unsigned long flags;

	spin_lock_irqsave(&set->lock, flags);
	set->max_busy = set->nr_busy;
	spin_unlock_irqrestore(&set->lock, flags);
}

/* ---- cases ---- */

static bool nvme_function_present(void)
{
	struct pci_dev *dev;

	for_each_pci_dev(dev)
		if (dev->class == 0x010802)
			return true;
	return false;
}

static void t_no_device_no_harm(struct ktest *t)
{
	if (nvme_function_present()) {
		ktest_skip(t, "an NVMe controller is present");
		return;
	}
	KTEST_EXPECT_EQ(t, nvme_nr_ctrls(), 0);
	KTEST_EXPECT(t, !nvme_find_ctrl("pagoda-multi"));
}

static void t_namespaces_named_and_checked(struct ktest *t)
{
	struct tdisk *n1 = tdisk_get(t, "pagoda-multi", 1), *n2, *k4, *err;
	char want[BDEVNAME_SIZE];

	if (!n1 || !(n2 = tdisk_get(t, "pagoda-multi", 2)) || !(k4 = tdisk_get(t, "pagoda-4k", 1)) ||
	    !(err = tdisk_get(t, "pagoda-err", 1)))
		return;
	snprintf(want, sizeof(want), "nvme%un1", n1->ctrl->instance);
	KTEST_EXPECT(t, !strcmp(n1->bdev->bd_name, want));
	snprintf(want, sizeof(want), "nvme%un2", n1->ctrl->instance);
	KTEST_EXPECT(t, !strcmp(n2->bdev->bd_name, want));
	/* namespace 3 has metadata: refused, the others kept, all on one tag set */
	KTEST_EXPECT_EQ(t, n1->ctrl->nr_ns, 2);
	KTEST_EXPECT(t, !ns_bdev(n1->ctrl, 3));
	KTEST_EXPECT(t, n1->bdev->bd_disk->set == n2->bdev->bd_disk->set);
	KTEST_EXPECT(t, n1->ctrl != k4->ctrl);
	/* the 4 KiB namespace, and its controller's single shared vector */
	KTEST_EXPECT_EQ(t, bdev_logical_block_size(k4->bdev), 4096);
	KTEST_EXPECT_EQ(t, k4->ctrl->nr_vectors, 1);
	KTEST_EXPECT_EQ(t, n1->ctrl->nr_vectors, 2);
	KTEST_EXPECT_EQ(t, n1->ctrl->irq_mode, PCI_IRQ_MSIX);
	/* limits: PRP-shaped requests, MDTS respected */
	KTEST_EXPECT_EQ(t, n1->bdev->bd_disk->limits.virt_boundary_mask, PAGE_SIZE - 1);
	KTEST_EXPECT_EQ(t, n1->bdev->bd_disk->limits.dma_alignment, 3);
	KTEST_EXPECT_EQ(t, n1->bdev->bd_disk->limits.max_hw_sectors, (512u << 10) >> SECTOR_SHIFT);
	KTEST_EXPECT_EQ(t, err->bdev->bd_disk->limits.max_hw_sectors, (32u << 10) >> SECTOR_SHIFT);
	KTEST_EXPECT(t, n1->bdev->bd_disk->limits.features & BLK_FEAT_WRITE_CACHE);
	KTEST_EXPECT_EQ(t, n1->ctrl->state, NVME_CTRL_LIVE);
}

/* The sweep on @d from @start, one region after another; returns the next free sector. */
static sector_t sweep(struct ktest *t, struct tdisk *d, sector_t start, const size_t *offsets,
		      unsigned int nr_offsets, u32 linear)
{
	u32 sizes[BLK_TEST_MAX_SIZES], bs = bdev_logical_block_size(d->bdev) >> SECTOR_SHIFT;
	unsigned int n = blk_test_sizes(sizes, bs, linear);
	u8 *buf = blk_test_buf_alloc();
	sector_t s = start;

	if (!buf) {
		ktest_fail(t, __FILE__, __LINE__, "no 2 MiB buffer");
		return s;
	}
	for (unsigned int o = 0; o < nr_offsets; o++)
		for (unsigned int i = 0; i < n; i++) {
			if (!roundtrip(t, d, buf, offsets[o], s, sizes[i]))
				goto out;
			s += sizes[i];
		}
out:
	blk_test_buf_free(buf);
	return s;
}

static void t_every_size_at_every_offset(struct ktest *t)
{
	static const size_t offsets[] = { 0, 4, 512, PAGE_SIZE - 512 };
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long lists;
	sector_t end;

	if (!d)
		return;
	lists = d->ctrl->nr_prp_lists;
	end = sweep(t, d, N1_SWEEP, offsets, ARRAY_SIZE(offsets), 64);
	KTEST_EXPECT(t, end <= N1_POLLED);
	/* the larger transfers needed PRP lists */
	KTEST_EXPECT(t, d->ctrl->nr_prp_lists > lists);
}

static void t_4k_blocks_every_size(struct ktest *t)
{
	static const size_t offsets[] = { 0, 4, PAGE_SIZE - 512 };
	struct tdisk *d = tdisk_get(t, "pagoda-4k", 1);
	u8 *buf;

	if (!d)
		return;
	KTEST_EXPECT(t, sweep(t, d, K4_SWEEP, offsets, ARRAY_SIZE(offsets), 16) <= K4_TWO_CTRLS);
	/* half a block is not a request this disk can take */
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	KTEST_EXPECT_EQ(t, blkdev_read(d->bdev, 4, buf, 4096), -EINVAL);
	KTEST_EXPECT_EQ(t, blkdev_read(d->bdev, 0, buf, 2048), -EINVAL);
	blk_test_buf_free(buf);
}

/* MDTS 3: a 1 MiB write at an unaligned offset becomes 32 KiB commands. */
static void t_small_mdts_splits(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-err", 1);
	unsigned long before;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	before = d->ctrl->ioq.nr_submitted;
	KTEST_EXPECT(t, roundtrip(t, d, buf, 512, 8192, 2048));
	KTEST_EXPECT(t, d->ctrl->ioq.nr_submitted - before >= 2 * 32);	/* write and read */
	blk_test_buf_free(buf);
}

static void t_flush_and_fua(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long flushes, fua;
	struct blk_waiter w;
	struct bio *bio;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	flushes = d->ctrl->nr_flushes;
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(d->bdev), 0);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_flushes, flushes + 1);
	/* a FUA write goes as one command with the FUA bit, no flush */
	fua = d->ctrl->nr_fua;
	blk_waiter_init(&w);
	bio = blk_test_pattern_bio(d->bdev, REQ_OP_WRITE | REQ_FUA, N1_FUA, buf, 4096, d->seed, &w);
	CHECK_OR_GOTO(t, bio, out);
	submit_bio(bio);
	KTEST_EXPECT(t, blk_waiter_wait(&w, 1, 20000));
	put_bios(t, &bio, 1, &w);
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_fua, fua + 1);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_flushes, flushes + 1);
	record(d, N1_FUA, 8);
	KTEST_EXPECT(t, verify(t, d, buf, N1_FUA, 8, false));
out:
	blk_test_buf_free(buf);
}

/* Writes to two controllers in flight together, then everything read back. */
static void t_two_controllers_interleaved(struct ktest *t)
{
	struct tdisk *d[2] = { tdisk_get(t, "pagoda-multi", 1), NULL };
	const sector_t starts[2] = { N1_TWO_CTRLS, K4_TWO_CTRLS };
	u8 *buf;

	if (!d[0] || !(d[1] = tdisk_get(t, "pagoda-4k", 1)) || !(buf = blk_test_case_buf(t)))
		return;
	reset_max_busy(&d[0]->ctrl->set);
	reset_max_busy(&d[1]->ctrl->set);
	KTEST_EXPECT(t, write_interleaved(t, d, starts, 2, 16, 64 << 10, buf));
	/* all sixteen writes were at each controller at once */
	KTEST_EXPECT(t, d[0]->ctrl->set.max_busy >= 16);
	KTEST_EXPECT(t, d[1]->ctrl->set.max_busy >= 16);
	for (unsigned int k = 0; k < 2; k++)
		KTEST_EXPECT(t, verify(t, d[k], buf, starts[k], 16 * 128, false));
	blk_test_buf_free(buf);
}

static void t_namespaces_share_the_queue(struct ktest *t)
{
	struct tdisk *d[2] = { tdisk_get(t, "pagoda-multi", 1), NULL };
	const sector_t starts[2] = { N1_SHARED, N2_SHARED };
	u8 *buf;

	if (!d[0] || !(d[1] = tdisk_get(t, "pagoda-multi", 2)) || !(buf = blk_test_case_buf(t)))
		return;
	reset_max_busy(&d[0]->ctrl->set);
	KTEST_EXPECT(t, write_interleaved(t, d, starts, 2, 16, 64 << 10, buf));
	KTEST_EXPECT(t, d[0]->ctrl->set.max_busy >= 32);	/* one queue for both */
	for (unsigned int k = 0; k < 2; k++)
		KTEST_EXPECT(t, verify(t, d[k], buf, starts[k], 16 * 128, false));
	blk_test_buf_free(buf);
}

/* blkdebug fails reads touching sector 2048 and writes touching 4096. */
static void t_injected_errors(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-err", 1);
	struct bio *bad_read = NULL, *bad_write = NULL, *good = NULL;
	unsigned long errors;
	struct blk_waiter w;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	errors = d->ctrl->nr_errors;
	/* three in flight at once: the good one is not hurt by the others' errors */
	blk_waiter_init(&w);
	blk_pattern_fill(buf + 65536, 4096, 4096, d->seed);
	bad_read = blk_test_bio(d->bdev, REQ_OP_READ, 2048, buf, 4096, &w);
	bad_write = blk_test_bio(d->bdev, REQ_OP_WRITE, 4096, buf + 65536, 4096, &w);
	good = blk_test_bio(d->bdev, REQ_OP_READ, 1024, buf + 131072, 4096, &w);
	CHECK_OR_GOTO(t, bad_read && bad_write && good, out);
	submit_bio(bad_read);
	submit_bio(bad_write);
	submit_bio(good);
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, 3, 20000), out);
	KTEST_EXPECT_EQ(t, bad_read->bi_status, BLK_STS_IOERR);
	KTEST_EXPECT_EQ(t, bad_write->bi_status, BLK_STS_IOERR);
	KTEST_EXPECT_EQ(t, good->bi_status, BLK_STS_OK);
	KTEST_EXPECT_EQ(t, w.failed, 2);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_errors, errors + 2);
	/* the caller of a synchronous read gets -EIO; the sectors before it read fine */
	KTEST_EXPECT_EQ(t, blkdev_read(d->bdev, 2048, buf, 512), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_read(d->bdev, 2040, buf, 4096), 0);
	KTEST_EXPECT(t, roundtrip(t, d, buf, 0, 3000, 64));
	KTEST_EXPECT_EQ(t, d->ctrl->state, NVME_CTRL_LIVE);
out:
	put_bios(t, (struct bio *[]){ bad_read, bad_write, good }, 3, &w);
	blk_test_buf_free(buf);
}

/* The crash dump's way: polled I/O and a polled flush with interrupts off. */
static void t_polled_with_interrupts_off(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long irqs, polled, flags;
	int werr, rerr, ferr;
	struct bio flush;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	blk_pattern_fill(buf + 4, N1_POLLED, 65536, d->seed);
	irqs = d->ctrl->nr_irqs;
	polled = d->ctrl->nr_polled_cqes;
	flags = local_irq_save();
	werr = blkdev_rw_polled(d->bdev, REQ_OP_WRITE, N1_POLLED, buf + 4, 65536, 5000 * MS);
	memset(buf + 131072, 0xa5, 65536);
	rerr = blkdev_rw_polled(d->bdev, REQ_OP_READ, N1_POLLED, buf + 131072, 65536, 5000 * MS);
	bio_init(&flush, d->bdev, NULL, 0, REQ_OP_FLUSH);
	ferr = blk_execute_polled(&flush, 5000 * MS);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_irqs, irqs);	/* no interrupt was taken */
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, werr, 0);
	KTEST_EXPECT_EQ(t, rerr, 0);
	KTEST_EXPECT_EQ(t, ferr, 0);
	KTEST_EXPECT(t, d->ctrl->nr_polled_cqes >= polled + 3);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf + 131072, N1_POLLED, 65536, d->seed), 65536);
	if (!werr)
		record(d, N1_POLLED, 128);
	blk_test_buf_free(buf);
}

/* Wait (interrupts off) until @q's completion ring holds @n entries not yet reaped. */
static bool cq_holds(struct nvme_queue *q, unsigned int n, u64 ms)
{
	u64 deadline = time_ns() + ms * MS;

	for (;;) {
		u16 head = READ_ONCE(q->cq_head), slot = (u16)((head + n - 1) % q->depth);
		u8 phase = (u8)(head + n - 1 >= q->depth ? !q->cq_phase : q->cq_phase);

		if (nvme_cqe_pending(&q->cq[slot], phase))
			return true;
		if (time_ns() > deadline)
			return false;
		__builtin_ia32_pause();
	}
}

/*
 * The crash dump's situation: the kernel is dying (kernel_dying), interrupts
 * are off, and the context that died held the I/O queue's locks and the
 * tag set's lock, with ordinary writes in flight whose completions sit in
 * the ring. Polled I/O only tries the locks then, and goes on without
 * them; its ->poll reaps the ordinary completions too but must leave their
 * requests alone (no end_io, no tag freed, no dispatch). Back to life, they
 * time out and a reset re-issues them.
 */
static void t_polled_while_dying_with_queue_locks_held(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	struct blk_mq_tag_set *set;
	struct bio *bios[DYING_ORDINARY] = { NULL };
	unsigned long flags, busy_before = 0, busy_dying = 0;
	int werr = -1, rerr = -1, done_dying = -1;
	bool held = false, submitted = false;
	struct blk_waiter w;
	u64 timeout;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	set = &d->ctrl->set;
	timeout = d->bdev->bd_disk->timeout_ns;
	blk_queue_rq_timeout(d->bdev->bd_disk, 300 * MS);
	blk_waiter_init(&w);
	for (unsigned int i = 0; i < DYING_ORDINARY; i++) {
		sector_t s = N1_DYING_ORDINARY + i * 8;

		bios[i] = blk_test_pattern_bio(d->bdev, REQ_OP_WRITE, s, buf + 131072 + i * 4096,
					       4096, d->seed, &w);
		CHECK_OR_GOTO(t, bios[i], out);
	}
	blk_pattern_fill(buf, N1_DYING, 32768, d->seed);
	memset(buf + 65536, 0xa5, 32768);
	flags = local_irq_save();
	for (unsigned int i = 0; i < DYING_ORDINARY; i++)
		submit_bio(bios[i]);
	submitted = true;
	held = cq_holds(&d->ctrl->ioq, DYING_ORDINARY, 2000);	/* answered, not yet reaped */
	busy_before = set->nr_busy;
	spin_lock(&set->lock);				/* "interrupted" holders */
	spin_lock(&d->ctrl->ioq.sq_lock);
	spin_lock(&d->ctrl->ioq.cq_lock);
	kernel_dying = true;
	werr = blkdev_rw_polled(d->bdev, REQ_OP_WRITE, N1_DYING, buf, 32768, 5000 * MS);
	rerr = blkdev_rw_polled(d->bdev, REQ_OP_READ, N1_DYING, buf + 65536, 32768, 5000 * MS);
	done_dying = READ_ONCE(w.done);
	busy_dying = set->nr_busy;
	kernel_dying = false;
	spin_unlock(&d->ctrl->ioq.cq_lock);
	spin_unlock(&d->ctrl->ioq.sq_lock);
	spin_unlock(&set->lock);
	local_irq_restore(flags);
	KTEST_EXPECT(t, held);
	KTEST_EXPECT_EQ(t, werr, 0);
	KTEST_EXPECT_EQ(t, rerr, 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(buf + 65536, N1_DYING, 32768, d->seed), 32768);
	if (!werr)
		record(d, N1_DYING, 64);
	/* the ordinary writes were reaped while dying but not completed */
	KTEST_EXPECT_EQ(t, done_dying, 0);
	KTEST_EXPECT_EQ(t, busy_dying, busy_before);
	KTEST_EXPECT_EQ(t, busy_before, DYING_ORDINARY);
	/* back to life: their answers were consumed, so they time out and are re-issued */
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, DYING_ORDINARY, 20000), out);
	wait_reset_done(d->ctrl);
	KTEST_EXPECT_EQ(t, w.failed, 0);
	record(d, N1_DYING_ORDINARY, DYING_ORDINARY * 8);
	KTEST_EXPECT(t, verify(t, d, buf, N1_DYING_ORDINARY, DYING_ORDINARY * 8, false));
	KTEST_EXPECT(t, roundtrip(t, d, buf, 0, N1_DYING + 64, 8));	/* and normal I/O after */
out:
	blk_queue_rq_timeout(d->bdev->bd_disk, timeout);
	if (submitted)
		put_bios(t, bios, DYING_ORDINARY, &w);
	for (unsigned int i = 0; !submitted && i < DYING_ORDINARY; i++)
		if (bios[i])
			bio_put(bios[i]);
	blk_test_buf_free(buf);
}

/*
 * A polled command the device never answers is given up on at its
 * deadline, but the device may still fetch it and its PRP page: the
 * reserved tag takes no new command until that one's answer is reaped
 * (here: until a reset drops it), so the next polled request waits as
 * busy and gives up in turn, with nothing placed on the queue; after the
 * reset polled I/O works again.
 */
static void t_polled_timeout_holds_the_reserved_tag(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long flags, submitted, busy;
	int lost, next, after;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	blk_pattern_fill(buf, N1_POLLED_LOST, 3 * 4096, d->seed);
	nvme_debug_drop_commands(d->ctrl, 1);
	busy = d->ctrl->nr_tag_busy;
	flags = local_irq_save();
	lost = blkdev_rw_polled(d->bdev, REQ_OP_WRITE, N1_POLLED_LOST, buf, 4096, 50 * MS);
	submitted = d->ctrl->ioq.nr_submitted;
	next = blkdev_rw_polled(d->bdev, REQ_OP_WRITE, N1_POLLED_LOST + 8, buf + 4096, 4096,
				50 * MS);
	KTEST_EXPECT_EQ(t, d->ctrl->ioq.nr_submitted, submitted);	/* nothing placed */
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, lost, -ETIMEDOUT);
	KTEST_EXPECT_EQ(t, next, -ETIMEDOUT);
	KTEST_EXPECT(t, d->ctrl->nr_tag_busy > busy);
	KTEST_EXPECT_EQ(t, nvme_reset_ctrl(d->ctrl, "test: a polled command lost"), 0);
	after = blkdev_rw_polled(d->bdev, REQ_OP_WRITE, N1_POLLED_LOST + 16, buf + 8192, 4096,
				 5000 * MS);
	KTEST_EXPECT_EQ(t, after, 0);
	if (!after)
		record(d, N1_POLLED_LOST + 16, 8);
	KTEST_EXPECT(t, verify(t, d, buf + 65536, N1_POLLED_LOST + 16, 8, false));
	KTEST_EXPECT(t, verify(t, d, buf + 65536, N1_POLLED_LOST, 16, true));	/* nothing landed */
	blk_test_buf_free(buf);
}

/* A command the device never sees: timeout, reset, re-issued, done; the disk works on. */
static void t_timeout_resets_and_reissues(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long resets, reissued, dropped;
	u64 timeout, start, took;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	timeout = d->bdev->bd_disk->timeout_ns;
	blk_queue_rq_timeout(d->bdev->bd_disk, 300 * MS);
	resets = d->ctrl->nr_resets;
	reissued = d->ctrl->nr_reissued;
	dropped = d->ctrl->nr_dropped;
	nvme_debug_drop_commands(d->ctrl, 1);
	start = time_ns();
	KTEST_EXPECT(t, roundtrip(t, d, buf, 512, N1_TIMEOUT, 128));
	took = time_ns() - start;
	wait_reset_done(d->ctrl);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_dropped, dropped + 1);
	KTEST_EXPECT(t, d->ctrl->nr_resets >= resets + 1);	/* more if the host stalled */
	KTEST_EXPECT(t, d->ctrl->nr_reissued >= reissued + 1);
	KTEST_EXPECT(t, took >= 300 * MS);
	KTEST_EXPECT_EQ(t, d->ctrl->state, NVME_CTRL_LIVE);
	printk("    # nvme: a lost command cost %llu ms (timeout 300 ms); the reset took %llu us\n",
	       (unsigned long long)took / MS, (unsigned long long)d->ctrl->last_reset_ns / 1000);
	blk_queue_rq_timeout(d->bdev->bd_disk, timeout);
	KTEST_EXPECT(t, roundtrip(t, d, buf, 0, N1_TIMEOUT + 128, 8));
	blk_test_buf_free(buf);
}

/* A reset with requests at the device: each is re-issued and completes with its data. */
static void t_reset_with_requests_in_flight(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	struct bio *bios[16];
	unsigned long reissued;
	unsigned int nr = 0;
	struct blk_waiter w;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	reissued = d->ctrl->nr_reissued;
	blk_waiter_init(&w);
	nvme_debug_drop_commands(d->ctrl, 8);		/* half of them stay at the "device" */
	for (; nr < ARRAY_SIZE(bios); nr++) {
		sector_t s = N1_INFLIGHT + nr * 128;

		bios[nr] = blk_test_pattern_bio(d->bdev, REQ_OP_WRITE, s, buf + nr * 65536, 65536,
						d->seed, &w);
		CHECK_OR_GOTO(t, bios[nr], out);
		submit_bio(bios[nr]);
	}
	KTEST_EXPECT(t, !blk_waiter_wait(&w, (int)nr, 200));	/* the lost ones do not finish */
	KTEST_EXPECT_EQ(t, nvme_reset_ctrl(d->ctrl, "test"), 0);
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, (int)nr, 20000), out);
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT(t, d->ctrl->nr_reissued >= reissued + 8);
	record(d, N1_INFLIGHT, nr * 128);
	KTEST_EXPECT(t, verify(t, d, buf, N1_INFLIGHT, nr * 128, false));
out:
	put_bios(t, bios, nr, &w);
	nvme_debug_drop_commands(d->ctrl, 0);
	blk_test_buf_free(buf);
}

static struct nvme_ctrl *window_ctrl;

/* The dispatcher hook: a reset while the dispatcher is preempted before ->queue_rq. */
static void reset_in_dispatch_window(struct request *rq)
{
	rq->set->debug_before_queue_rq = NULL;
	nvme_reset_ctrl(window_ctrl, "test: dispatcher preempted");
}

/*
 * A reset while a dispatcher holds a tag it has not handed to ->queue_rq
 * yet: the tag's iod still holds its previous command (a write of another
 * sector from a buffer since rewritten), which must not be re-issued. The
 * new request then goes to the device as usual.
 */
static void t_reset_while_dispatcher_preempted(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long reissued, unknown, resets;
	const sector_t old = N1_PREEMPTED, new = N1_PREEMPTED + 8;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	/* the lowest tag's last command: a write of `old` from buf */
	blk_pattern_fill(buf, old, 4096, d->seed);
	KTEST_ASSERT(t, blkdev_write(d->bdev, old, buf, 4096) == 0);
	record(d, old, 8);
	memset(buf, 0xee, 4096);	/* what its PRPs point at now */
	reissued = d->ctrl->nr_reissued;
	unknown = d->ctrl->nr_unknown_cid;
	resets = d->ctrl->nr_resets;
	window_ctrl = d->ctrl;
	d->ctrl->set.debug_before_queue_rq = reset_in_dispatch_window;
	blk_pattern_fill(buf + 65536, new, 4096, d->seed);
	KTEST_EXPECT_EQ(t, blkdev_write(d->bdev, new, buf + 65536, 4096), 0);
	record(d, new, 8);
	KTEST_EXPECT(t, d->ctrl->set.debug_before_queue_rq == NULL);	/* the reset ran */
	KTEST_EXPECT_EQ(t, d->ctrl->nr_resets, resets + 1);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_reissued, reissued);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_unknown_cid, unknown);
	KTEST_EXPECT_EQ(t, d->ctrl->state, NVME_CTRL_LIVE);
	KTEST_EXPECT(t, verify(t, d, buf, old, 8, false));
	KTEST_EXPECT(t, verify(t, d, buf, new, 8, false));
	blk_test_buf_free(buf);
}

/* A command lost at every re-issue is given up with -EIO; nothing of it lands. */
static void t_command_lost_every_time_fails(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long resets;
	u64 timeout;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	timeout = d->bdev->bd_disk->timeout_ns;
	blk_queue_rq_timeout(d->bdev->bd_disk, 200 * MS);
	resets = d->ctrl->nr_resets;
	nvme_debug_drop_commands(d->ctrl, NVME_MAX_REISSUES + 1);
	blk_pattern_fill(buf, N1_LOST, 4096, d->seed);
	KTEST_EXPECT_EQ(t, blkdev_write(d->bdev, N1_LOST, buf, 4096), -EIO);
	wait_reset_done(d->ctrl);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_resets, resets + NVME_MAX_REISSUES + 1);
	KTEST_EXPECT_EQ(t, d->ctrl->state, NVME_CTRL_LIVE);
	blk_queue_rq_timeout(d->bdev->bd_disk, timeout);
	KTEST_EXPECT(t, verify(t, d, buf, N1_LOST, 8, true));
	KTEST_EXPECT(t, roundtrip(t, d, buf, 0, N1_LOST + 8, 8));
	blk_test_buf_free(buf);
}

static struct bio *dup_next_bio;	/* submitted by the hook: takes the freed tag */
static struct nvme_ctrl *dup_ctrl;
static u16 dup_cid;
static int dup_next_unanswered;		/* dup_next_bio ended with its command still out */

/* End of dup_next_bio: had the device answered its command (the tag's) yet? */
static void dup_next_end_io(struct bio *bio)
{
	struct request *rq = blk_mq_tag_to_rq(&dup_ctrl->set, dup_cid & 0xfff);

	if (READ_ONCE(((struct nvme_iod *)blk_mq_rq_to_pdu(rq))->at_device))
		dup_next_unanswered++;
	blk_waiter_end_io(bio);
}

/*
 * The completion hook: an interrupt handling a duplicate answer of the same
 * command arrives just before the completion in progress is handed over,
 * ends the request and lets the next bio take its tag.
 */
static void duplicate_then_reuse(struct nvme_ctrl *ctrl, u16 cid)
{
	ctrl->debug.before_complete = NULL;
	dup_cid = cid;
	blk_mq_complete_request_id(&ctrl->set, cid, BLK_STS_OK);
	submit_bio(dup_next_bio);
}

/*
 * A duplicate answer completes a request while another completion of the
 * same command id is between decoding and completing: the second must not
 * end the request that reuses the tag (which would end it before the
 * device answered it, and drop its own answer as unknown).
 */
static void t_duplicate_answer_spares_the_next_request(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	struct bio *first = NULL, *next = NULL;
	unsigned long unknown, stale;
	struct blk_waiter w;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	blk_waiter_init(&w);
	blk_pattern_fill(buf, N1_DUPLICATE, 8192, d->seed);
	first = blk_test_bio(d->bdev, REQ_OP_WRITE, N1_DUPLICATE, buf, 4096, &w);
	next = blk_test_bio(d->bdev, REQ_OP_WRITE, N1_DUPLICATE + 8, buf + 4096, 4096, &w);
	CHECK_OR_GOTO(t, first && next, out);
	unknown = d->ctrl->nr_unknown_cid;
	stale = d->ctrl->set.nr_stale_completions;
	next->bi_end_io = dup_next_end_io;
	dup_next_bio = next;
	dup_ctrl = d->ctrl;
	dup_next_unanswered = 0;
	dup_cid = 0xffff;
	d->ctrl->debug.before_complete = duplicate_then_reuse;
	submit_bio(first);
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, 2, 20000), out);
	KTEST_EXPECT_EQ(t, w.failed, 0);
	KTEST_EXPECT(t, dup_cid != 0xffff);			/* the hook ran */
	KTEST_EXPECT_EQ(t, dup_next_unanswered, 0);		/* ended by its own answer */
	KTEST_EXPECT_EQ(t, d->ctrl->set.nr_stale_completions, stale + 1);	/* one answer too many */
	KTEST_EXPECT_EQ(t, d->ctrl->nr_unknown_cid, unknown + 1);
	record(d, N1_DUPLICATE, 16);
	KTEST_EXPECT(t, verify(t, d, buf + 65536, N1_DUPLICATE, 16, false));
out:
	d->ctrl->debug.before_complete = NULL;
	put_bios(t, (struct bio *[]){ first, next }, 2, &w);
	blk_test_buf_free(buf);
}

/* A completion naming no command in flight is dropped, logged and counted. */
static void t_unknown_command_id_dropped(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	unsigned long unknown;
	u64 deadline;
	u16 idle_tag0;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	idle_tag0 = (u16)(((blk_mq_tag_to_rq(&d->ctrl->set, 0)->gen + 8) & 0xf) << 12);
	unknown = d->ctrl->nr_unknown_cid;
	KTEST_EXPECT_EQ(t, nvme_debug_submit_stray(d->ctrl, 0xfff), 0);	/* no such tag */
	KTEST_EXPECT_EQ(t, nvme_debug_submit_stray(d->ctrl, idle_tag0), 0);	/* wrong generation */
	deadline = time_ns() + 5000 * MS;
	while (d->ctrl->nr_unknown_cid < unknown + 2 && time_ns() < deadline)
		sleep_until_ns(time_ns() + MS);
	KTEST_EXPECT_EQ(t, d->ctrl->nr_unknown_cid, unknown + 2);
	KTEST_EXPECT(t, roundtrip(t, d, buf, 0, N1_LOST + 16, 8));
	blk_test_buf_free(buf);
}

/* Throughput and latency under TCG, for docs/nvme.md (pattern generation not timed). */
static void t_figures(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-multi", 1);
	u64 start, wr_ns = 0, rd_ns = 0, lat_ns;
	int err = 0;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	for (unsigned int i = 0; i < 8 && !err; i++) {
		sector_t s = N1_FIGURES + i * 2048;

		blk_pattern_fill(buf, s, 1 << 20, d->seed);
		start = time_ns();
		err = blkdev_write(d->bdev, s, buf, 1 << 20);
		wr_ns += time_ns() - start;
		if (!err)
			record(d, s, 2048);
		memset(buf, 0xa5, 1 << 20);
		start = time_ns();
		err = err ? err : blkdev_read(d->bdev, s, buf, 1 << 20);
		rd_ns += time_ns() - start;
		if (!err && blk_pattern_check(buf, s, 1 << 20, d->seed) != 1u << 20)
			err = -EIO;
	}
	KTEST_EXPECT_EQ(t, err, 0);
	start = time_ns();
	for (unsigned int i = 0; i < 256 && !err; i++)
		err = blkdev_read(d->bdev, N1_FIGURES + i * 8, buf, 4096);
	lat_ns = (time_ns() - start) / 256;
	KTEST_EXPECT_EQ(t, err, 0);
	printk("    # nvme: 8 MiB in 1 MiB requests: writes %llu ms, reads %llu ms; 4 KiB reads at queue depth 1: %llu us each\n",
	       (unsigned long long)wr_ns / MS, (unsigned long long)rd_ns / MS,
	       (unsigned long long)lat_ns / 1000);
	blk_test_buf_free(buf);
}

/*
 * pagoda-dead: its reset fails (CSTS.CFS), so it goes offline; nothing
 * hangs. A dead controller is not trusted to have stopped: its bus
 * mastering is off before its requests are failed back to their owners.
 */
static void t_dead_controller_goes_offline(struct ktest *t)
{
	struct tdisk *d = tdisk_get(t, "pagoda-dead", 1);
	struct bio *bios[2] = { NULL, NULL };
	struct blk_waiter w;
	u64 start;
	u8 *buf;

	if (!d || !(buf = blk_test_case_buf(t)))
		return;
	blk_queue_rq_timeout(d->bdev->bd_disk, 300 * MS);
	nvme_debug_fail_next_enable(d->ctrl);
	nvme_debug_drop_commands(d->ctrl, 2);
	blk_waiter_init(&w);
	blk_test_bme_watch(d->ctrl->pdev);
	for (unsigned int i = 0; i < 2; i++) {
		bios[i] = blk_test_bio(d->bdev, REQ_OP_WRITE, i * 8, buf, 4096, &w);
		CHECK_OR_GOTO(t, bios[i], out);
		bios[i]->bi_end_io = blk_test_bme_end_io;
	}
	KTEST_EXPECT(t, blk_test_bus_master_on(d->ctrl->pdev));
	submit_bio(bios[0]);
	submit_bio(bios[1]);
	CHECK_OR_GOTO(t, blk_waiter_wait(&w, 2, 20000), out);
	KTEST_EXPECT_EQ(t, w.failed, 2);
	KTEST_EXPECT_EQ(t, w.last_error, -EIO);
	KTEST_EXPECT_EQ(t, d->ctrl->state, NVME_CTRL_DEAD);
	KTEST_EXPECT_EQ(t, blk_test_bme_on_at_end(), 0);
	KTEST_EXPECT(t, !blk_test_bus_master_on(d->ctrl->pdev));
	KTEST_EXPECT(t, !d->ctrl->dma_unsafe);
	/* from now on everything fails at once */
	start = time_ns();
	KTEST_EXPECT_EQ(t, blkdev_read(d->bdev, 0, buf, 4096), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_write(d->bdev, 0, buf, 4096), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(d->bdev), -EIO);
	KTEST_EXPECT_EQ(t, blkdev_rw_polled(d->bdev, REQ_OP_READ, 0, buf, 4096, 5000 * MS), -EIO);
	KTEST_EXPECT(t, time_ns() - start < 1000 * MS);
	KTEST_EXPECT_EQ(t, nvme_reset_ctrl(d->ctrl, "test"), -ENODEV);
out:
	put_bios(t, bios, 2, &w);
	blk_test_buf_free(buf);
}

/* Last: what was written where, for the host's `cmp` of the images; free the records. */
static void t_report_written_extents(struct ktest *t)
{
	unsigned int reported = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(tdisks); i++) {
		struct tdisk *d = &tdisks[i];
		sector_t n = d->bdev ? bdev_nr_sectors(d->bdev) : 0;

		for (sector_t s = 0; d->written && s < n;) {
			sector_t e = s;

			while (e < n && (d->written[e / BITS] >> (e % BITS) & 1))
				e++;
			if (e > s) {
				printk("nvme-image: %s %u seed %#llx sectors %llu+%llu\n", d->serial,
				       d->nsid, (unsigned long long)d->seed, (unsigned long long)s,
				       (unsigned long long)(e - s));
				reported++;
			}
			s = e + 1;
		}
		kfree(d->written);
		d->written = NULL;
	}
	if (!reported)
		ktest_skip(t, "nothing was written");
}

/*
 * After the report: unbind the driver (remove: disks deleted, controllers
 * shut down, everything freed) and bind it again (all four controllers
 * probed anew, the dead one too: the reset it failed left it disabled).
 * The suite's page count then says whether remove freed what probe took.
 */
static void t_unbind_and_bind_again(struct ktest *t)
{
	unsigned int before = nvme_nr_ctrls();
	struct block_device *bdev, *held;
	struct nvme_ctrl *dead;
	u8 *buf;

	if (!nvme_find_ctrl("pagoda-multi")) {
		ktest_skip(t, "needs the NVMe controllers of tests/check.sh's nvme scenario");
		return;
	}
	buf = blk_test_buf_alloc();
	KTEST_ASSERT(t, buf);
	for (unsigned int i = 0; i < ARRAY_SIZE(tdisks); i++)
		tdisks[i].bdev = NULL;		/* gone with their disks */
	held = blkdev_get_by_name("nvme0n1");	/* a user keeps it across the unbind */
	pci_unregister_driver(&nvme_driver);
	KTEST_EXPECT_EQ(t, nvme_nr_ctrls(), 0);
	bdev = blkdev_get_by_name("nvme0n1");
	KTEST_EXPECT(t, !bdev);
	if (bdev)
		blkdev_put(bdev);
	if (held) {	/* its controller is freed: polled I/O fails before looking at it */
		KTEST_EXPECT_EQ(t, blkdev_rw_polled(held, REQ_OP_READ, 0, buf, 4096, 0), -ENODEV);
		blkdev_put(held);
	}
	blk_test_buf_free(buf);
	KTEST_EXPECT_EQ(t, pci_register_driver(&nvme_driver), before);
	KTEST_EXPECT_EQ(t, nvme_nr_ctrls(), before);
	dead = nvme_find_ctrl("pagoda-dead");
	KTEST_EXPECT(t, dead && dead->state == NVME_CTRL_LIVE);
	bdev = blkdev_get_by_name("nvme0n1");
	KTEST_EXPECT(t, bdev);
	if (bdev)
		blkdev_put(bdev);
}

static const struct ktest_case nvme_cases[] = {
	KTEST_CASE(t_no_device_no_harm, "without an NVMe device the driver binds nothing"),
	KTEST_CASE(t_namespaces_named_and_checked,
		   "namespaces are nvme<ctrl>n<nsid> on their controller's tag set; metadata refused"),
	KTEST_CASE(t_every_size_at_every_offset,
		   "every size from one sector to 1 MiB at aligned, dword and sector offsets reads back"),
	KTEST_CASE(t_4k_blocks_every_size, "a 4096-byte-block namespace: every size reads back, half blocks refused"),
	KTEST_CASE(t_small_mdts_splits, "a small MDTS splits a 1 MiB write into 32 KiB commands"),
	KTEST_CASE(t_flush_and_fua, "flush and FUA writes reach the device as commands"),
	KTEST_CASE(t_two_controllers_interleaved, "two controllers with writes interleaved, several in flight"),
	KTEST_CASE(t_namespaces_share_the_queue, "two namespaces of one controller share its queue"),
	KTEST_CASE(t_injected_errors, "injected media errors give -EIO; other requests complete"),
	KTEST_CASE(t_polled_with_interrupts_off, "polled I/O and flush work with interrupts off"),
	KTEST_CASE(t_polled_while_dying_with_queue_locks_held,
		   "polled I/O works while the kernel dies holding the queue locks"),
	KTEST_CASE(t_polled_timeout_holds_the_reserved_tag,
		   "a polled command given up on keeps the reserved tag until the device answers it"),
	KTEST_CASE(t_timeout_resets_and_reissues,
		   "a command that never completes: timeout, reset, re-issue, the disk works again"),
	KTEST_CASE(t_reset_with_requests_in_flight, "a reset re-issues every request in flight"),
	KTEST_CASE(t_reset_while_dispatcher_preempted,
		   "a reset while a taken tag waits for ->queue_rq does not re-issue its old command"),
	KTEST_CASE(t_command_lost_every_time_fails,
		   "a command lost at every re-issue fails with -EIO after the retries"),
	KTEST_CASE(t_unknown_command_id_dropped, "completions for unknown command ids are dropped"),
	KTEST_CASE(t_duplicate_answer_spares_the_next_request,
		   "a duplicate answer handled mid-completion does not end the tag's next request"),
	KTEST_CASE(t_figures, "throughput and latency figures"),
	KTEST_CASE(t_dead_controller_goes_offline,
		   "a controller dead after reset goes offline: -EIO at once, no hang"),
	KTEST_CASE(t_report_written_extents, "the written extents are reported for the host's cmp"),
	KTEST_CASE(t_unbind_and_bind_again,
		   "unbinding deletes the disks and frees everything; binding again brings them back"),
};

KTEST_SUITE(nvme_suite, "nvme", nvme_cases);
