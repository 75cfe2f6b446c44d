/*
 * What the in-kernel block suites share: ktest_block.c (testblk disks),
 * ktest_nvme.c and ktest_virtio.c (QEMU's disks). A 2 MiB I/O buffer,
 * bios over a kernel buffer that end into a waiter, the sizes of the
 * every-size sweeps, and the bus-mastering watch of the dead-device
 * cases. Their data is the sector-keyed pattern of
 * include/pagoda/blk_pattern.h. Kernel only (tests/kernel/blk_test.c).
 */
#ifndef TESTS_KERNEL_BLK_TEST_H
#define TESTS_KERNEL_BLK_TEST_H

#include <pagoda/bio.h>
#include <pagoda/ktest.h>
#include <pagoda/wait.h>
#include <mm/pmm.h>

struct pci_dev;

#define MS		1000000ull	/* nanoseconds */

/* KTEST_ASSERT for a case holding resources: record the failure and goto @label. */
#define CHECK_OR_GOTO(t, cond, label)					\
	do {								\
		if (!(cond)) {						\
			ktest_fail(t, __FILE__, __LINE__,		\
				   "assertion %s failed", #cond);	\
			goto label;					\
		}							\
	} while (0)

/* ---- buffers ---- */

#define BLK_TEST_BUF_ORDER	9	/* 2 MiB: 1 MiB of I/O at any offset, and room */
#define BLK_TEST_BUF_SIZE	(PAGE_SIZE << BLK_TEST_BUF_ORDER)

/*
 * BLK_TEST_BUF_SIZE bytes of physically contiguous memory at their
 * direct-map address (what blkdev_read/blkdev_write and bios take, at any
 * offset), contents undefined; NULL when memory is short. Sleeps.
 */
u8 *blk_test_buf_alloc(void);
/*
 * blk_test_buf_alloc() for a case that cannot go on without it: NULL with
 * a failure recorded in @t. The usual start of a case on disk @d:
 *	if (!d || !(buf = blk_test_case_buf(t)))
 *		return;
 */
u8 *blk_test_case_buf(struct ktest *t);
/* Give back a blk_test_buf_alloc() buffer; NULL is fine. */
void blk_test_buf_free(void *buf);
/* The page of a direct-map (kmalloc, blk_test_buf_alloc) address. */
struct page *blk_test_page(const void *va);

/* ---- bios that end into a waiter ---- */

/* Bios in flight, counted as they end (their end_io may run in interrupt context). */
struct blk_waiter {
	struct wait_queue_head wq;
	int done;		/* bios ended */
	int failed;		/* ... of those with an error */
	int last_error;		/* the errno of the last that failed; 0: none */
};

void blk_waiter_init(struct blk_waiter *w);
/* bi_end_io of a bio whose bi_private is a struct blk_waiter. Any context. */
void blk_waiter_end_io(struct bio *bio);
/* Sleep until @n bios have ended or @ms passed; true if they all did. */
bool blk_waiter_wait(struct blk_waiter *w, int n, u64 ms);

/*
 * A bio of @opf over @len bytes of @buf (a direct-map address, any
 * alignment the disk takes) at @sector, one vector per page it touches,
 * ending into @w. Not submitted. NULL when memory is short. Sleeps.
 */
struct bio *blk_test_bio(struct block_device *bdev, blk_opf_t opf, sector_t sector, void *buf,
			 u32 len, struct blk_waiter *w);
/* blk_test_bio() of a write (@opf: REQ_OP_WRITE and flags) of the pattern of @seed, filled in. */
struct bio *blk_test_pattern_bio(struct block_device *bdev, blk_opf_t opf, sector_t sector,
				 void *buf, u32 len, u64 seed, struct blk_waiter *w);

/* ---- the every-size sweeps ---- */

#define BLK_TEST_MAX_SIZES	96

/*
 * The sizes, in 512-byte sectors, for writing and reading back every size
 * up to 1 MiB on a disk of @block_sectors-sector blocks: every count of
 * blocks from 1 to @linear, then 2^k - 1, 2^k and 2^k + 1 blocks from 2 *
 * @linear on (but never past 1 MiB). Fills @sizes (room for
 * BLK_TEST_MAX_SIZES: enough while @linear <= 64) and returns how many.
 */
unsigned int blk_test_sizes(u32 *sizes, u32 block_sectors, u32 linear);

/* ---- a device's bus mastering when its requests fail ---- */

/* Whether @dev may initiate DMA (PCI_COMMAND's bus master bit). */
bool blk_test_bus_master_on(struct pci_dev *dev);
/*
 * For the cases of a device given up on: it is not trusted to have
 * stopped, so its bus mastering must be off before its requests fail back
 * to their owners. After blk_test_bme_watch(@dev), bios given
 * blk_test_bme_end_io as bi_end_io (and a struct blk_waiter as bi_private)
 * end into their waiter as usual, and blk_test_bme_on_at_end() counts
 * those that ended while @dev could still write memory. One device
 * watched at a time.
 */
void blk_test_bme_watch(struct pci_dev *dev);
void blk_test_bme_end_io(struct bio *bio);
int blk_test_bme_on_at_end(void);

#endif
