/* Helpers of the in-kernel block suites: tests/kernel/blk_test.h. */
#include "blk_test.h"
#include <pagoda/blk_pattern.h>
#include <pagoda/blkdev.h>
#include <pagoda/pci.h>
#include <pagoda/task.h>
#include <mm/arch.h>

u8 *blk_test_buf_alloc(void)
{
	struct page *p = alloc_pages(GFP_KERNEL, BLK_TEST_BUF_ORDER);

	return p ? phys_to_virt(page_to_phys(p)) : NULL;
}

u8 *blk_test_case_buf(struct ktest *t)
{
	u8 *buf = blk_test_buf_alloc();

	if (!buf)
		ktest_fail(t, __FILE__, __LINE__, "no 2 MiB buffer for the case");
	return buf;
}

void blk_test_buf_free(void *buf)
{
	if (buf)
		free_pages(blk_test_page(buf), BLK_TEST_BUF_ORDER);
}

struct page *blk_test_page(const void *va)
{
	return pfn_to_page(PHYS_PFN(virt_to_phys(va)));
}

void blk_waiter_init(struct blk_waiter *w)
{
	init_waitqueue_head(&w->wq);
	w->done = w->failed = w->last_error = 0;
}

void blk_waiter_end_io(struct bio *bio)
{
	struct blk_waiter *w = bio->bi_private;

	if (bio->bi_status) {
		w->failed++;
		w->last_error = blk_status_to_errno(bio->bi_status);
	}
	WRITE_ONCE(w->done, w->done + 1);
	wake_up(&w->wq);
}

bool blk_waiter_wait(struct blk_waiter *w, int n, u64 ms)
{
	return wait_event_timeout(w->wq, READ_ONCE(w->done) >= n, ms * MS) > 0;
}

struct bio *blk_test_bio(struct block_device *bdev, blk_opf_t opf, sector_t sector, void *buf,
			 u32 len, struct blk_waiter *w)
{
	uintptr_t a = (uintptr_t)buf;
	unsigned int pages = (unsigned int)((ALIGN_UP(a + len, PAGE_SIZE) -
					     ALIGN_DOWN(a, PAGE_SIZE)) >> PAGE_SHIFT);
	struct bio *bio = bio_alloc(bdev, pages, opf, GFP_KERNEL);

	if (!bio)
		return NULL;
	bio->bi_sector = sector;
	for (u32 off = 0; off < len;) {
		uintptr_t p = a + off;
		u32 n = MIN(len - off, (u32)(PAGE_SIZE - (p & (PAGE_SIZE - 1))));

		bio_add_page(bio, blk_test_page((void *)p), n, (u32)(p & (PAGE_SIZE - 1)));
		off += n;
	}
	bio->bi_end_io = blk_waiter_end_io;
	bio->bi_private = w;
	return bio;
}

struct bio *blk_test_pattern_bio(struct block_device *bdev, blk_opf_t opf, sector_t sector,
				 void *buf, u32 len, u64 seed, struct blk_waiter *w)
{
	blk_pattern_fill(buf, sector, len, seed);
	return blk_test_bio(bdev, opf, sector, buf, len, w);
}

unsigned int blk_test_sizes(u32 *sizes, u32 block_sectors, u32 linear)
{
	u32 max = (1u << 20) >> SECTOR_SHIFT, n = 0;

	for (u32 s = 1; s <= linear; s++)
		sizes[n++] = s * block_sectors;
	for (u32 p = 2 * linear * block_sectors; p <= max; p <<= 1) {
		sizes[n++] = p - block_sectors;
		sizes[n++] = p;
		if (p < max)
			sizes[n++] = p + block_sectors;
	}
	return n;
}

static struct pci_dev *bme_dev;		/* whose bus mastering blk_test_bme_end_io looks at */
static int bme_on_at_end;

bool blk_test_bus_master_on(struct pci_dev *dev)
{
	u16 cmd = 0;

	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	return cmd & PCI_COMMAND_MASTER;
}

void blk_test_bme_watch(struct pci_dev *dev)
{
	bme_dev = dev;
	bme_on_at_end = 0;
}

void blk_test_bme_end_io(struct bio *bio)
{
	if (blk_test_bus_master_on(bme_dev))
		bme_on_at_end++;
	blk_waiter_end_io(bio);
}

int blk_test_bme_on_at_end(void)
{
	return bme_on_at_end;
}
