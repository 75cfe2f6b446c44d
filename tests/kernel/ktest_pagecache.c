/*
 * ktest=pagecache: the page cache over a real block device. A testblk
 * disk (RAM-backed, answering from a timer interrupt after 1 ms) holds
 * the sector-keyed pattern; a file whose blocks are the disk's blocks
 * (fs/mpage.c's blkdev_get_block, or a map with holes) is read through
 * read_mapping_page and readahead, written back with the page cache's
 * writeback, and its errors reported, with every read and write completed
 * from the disk's interrupt handler.
 */
#include <fs/mpage.h>
#include <mm/arch.h>
#include <mm/pagemap.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <mm/writeback.h>
#include <pagoda/blk_pattern.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/ktest.h>
#include <pagoda/string.h>
#include <pagoda/testblk.h>

#define DISK_BYTES	(1u << 20)	/* 256 pages; the image is one kmalloc (4 MiB at most) */
#define DISK_SEED	0x9a6ecac4eull
#define NEW_SEED	0x5eed2ull
#define SECTORS_PER_PAGE (PAGE_SIZE / 512)

static struct testblk *tb;
static struct testblk_disk *disk;
static struct inode file_inode;
static struct address_space mapping;
static struct blockmap map;
static bool odd_blocks_are_holes;

static int map_get_block(struct blockmap *m, u64 iblock, u64 *pblock, bool create)
{
	if (odd_blocks_are_holes && (iblock & 1) && !create)
		return MPAGE_HOLE;
	return blkdev_get_block(m, iblock, pblock, create);
}

static int pc_read_folio(struct file *f, struct page *page)
{
	return mpage_read_folio(&map, page);
}

static void pc_readahead(struct readahead_control *rac)
{
	mpage_readahead(&map, rac);
}

static int pc_writepage(struct page *page, struct writeback_control *wbc)
{
	return mpage_writepage(&map, page, wbc);
}

static const struct address_space_operations pc_aops = {
	.read_folio = pc_read_folio,
	.readahead = pc_readahead,
	.writepage = pc_writepage,
};

static u8 *kaddr(struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&kernel_pmm, page)));
}

/* A fresh disk holding the pattern, and a file of @size bytes over it with @blkbits blocks. */
static bool setup(struct ktest *t, u64 size, unsigned int blkbits)
{
	struct testblk_params p = { .capacity = DISK_BYTES };
	u8 *img = kmalloc(DISK_BYTES, GFP_KERNEL);
	int err;

	if (!img) {
		ktest_fail(t, __FILE__, __LINE__, "no memory for the image");
		return false;
	}
	blk_pattern_fill(img, 0, DISK_BYTES, DISK_SEED);
	p.image = img;
	p.image_len = DISK_BYTES;
	tb = testblk_create(&p, &err);
	kfree(img);
	if (!tb) {
		ktest_fail(t, __FILE__, __LINE__, "testblk_create: %d", err);
		return false;
	}
	disk = tb->disks[0];
	memset(&file_inode, 0, sizeof(file_inode));
	file_inode.i_size = (loff_t)size;
	address_space_init(&mapping, &file_inode, &pc_aops, &kernel_pmm);
	file_inode.i_mapping = &mapping;
	map = (struct blockmap){ .bdev = disk->disk->part0, .blkbits = blkbits,
				 .get_block = map_get_block };
	odd_blocks_are_holes = false;
	return true;
}

static void teardown(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, filemap_write_and_wait_range(&mapping, 0, -1), 0);
	truncate_inode_pages(&mapping, 0);
	mapping_forget_dirty(&mapping);
	KTEST_EXPECT_EQ(t, mapping.nrpages, 0);
	KTEST_EXPECT_EQ(t, disk->nr_violations, 0);
	testblk_destroy(tb);
	tb = NULL;
}

/* Does the cached page at @index hold the disk pattern of @seed? */
static bool page_has_pattern(struct page *page, pgoff_t index, u64 seed)
{
	return blk_pattern_check(kaddr(page), index * SECTORS_PER_PAGE, PAGE_SIZE, seed) ==
	       PAGE_SIZE;
}

static void t_reads_complete_from_the_disk_interrupt(struct ktest *t)
{
	unsigned long irqs;
	struct page *p;

	if (!setup(t, DISK_BYTES, PAGE_SHIFT))
		return;
	irqs = tb->nr_irq_completions;
	for (pgoff_t i = 0; i < 64; i += 7) {
		p = read_mapping_page(&mapping, i, NULL);
		KTEST_ASSERT(t, !IS_ERR(p));
		KTEST_EXPECT(t, page_has_pattern(p, i, DISK_SEED));
		KTEST_EXPECT(t, PageUptodate(p) && !PageLocked(p));
		put_page(&kernel_pmm, p);
	}
	KTEST_EXPECT(t, tb->nr_irq_completions >= irqs + 10);
	teardown(t);
}

/* Readahead's batch is read asynchronously; the reader waits only for its page. */
static void t_readahead_from_the_disk(struct ktest *t)
{
	struct file_ra_state ra;
	unsigned long reads;
	struct page *p;

	if (!setup(t, DISK_BYTES, PAGE_SHIFT))
		return;
	file_ra_state_init(&ra, &mapping);
	reads = disk->nr_reads;
	page_cache_sync_readahead(&mapping, &ra, NULL, 0, 1);
	KTEST_EXPECT_EQ(t, mapping.nrpages, 4);		/* the first window */
	for (pgoff_t i = 0; i < 4; i++) {
		p = find_get_page(&mapping, i);
		KTEST_ASSERT(t, p);
		wait_on_page_locked(p);
		KTEST_EXPECT(t, PageUptodate(p) && page_has_pattern(p, i, DISK_SEED));
		KTEST_EXPECT_EQ(t, page_test_flag(p, PG_readahead), i == 1);
		put_page(&kernel_pmm, p);
	}
	KTEST_EXPECT(t, disk->nr_reads > reads);
	teardown(t);
}

/* Dirty pages reach the disk, through the disk's interrupt; the cache is clean after. */
static void t_writeback_reaches_the_disk(struct ktest *t)
{
	u8 *check = kmalloc(10 * PAGE_SIZE, GFP_KERNEL);
	u32 seen;

	if (!check) {
		ktest_fail(t, __FILE__, __LINE__, "no memory");
		return;
	}
	if (!setup(t, DISK_BYTES, PAGE_SHIFT)) {
		kfree(check);
		return;
	}
	seen = filemap_sample_wb_err(&mapping);
	for (pgoff_t i = 10; i < 20; i++) {
		struct page *p = read_mapping_page(&mapping, i, NULL);

		KTEST_ASSERT(t, !IS_ERR(p));
		blk_pattern_fill(kaddr(p), i * SECTORS_PER_PAGE, PAGE_SIZE, NEW_SEED);
		KTEST_EXPECT(t, set_page_dirty(p));
		put_page(&kernel_pmm, p);
	}
	KTEST_EXPECT_EQ(t, filemap_write_and_wait_range(&mapping, 0, -1), 0);
	testblk_store_read(disk, 10 * PAGE_SIZE, check, 10 * PAGE_SIZE);
	KTEST_EXPECT_EQ(t, blk_pattern_check(check, 10 * SECTORS_PER_PAGE, 10 * PAGE_SIZE, NEW_SEED),
			10 * PAGE_SIZE);
	KTEST_EXPECT(t, !xa_marked(&mapping.i_pages, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT(t, !xa_marked(&mapping.i_pages, PAGECACHE_TAG_WRITEBACK));
	KTEST_EXPECT_EQ(t, filemap_check_wb_err(&mapping, &seen), 0);
	/* the neighbours were not written */
	testblk_store_read(disk, 9 * PAGE_SIZE, check, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, blk_pattern_check(check, 9 * SECTORS_PER_PAGE, PAGE_SIZE, DISK_SEED), PAGE_SIZE);
	kfree(check);
	teardown(t);
}

/* A read error is -EIO on that page only; a write error is reported once by the writeback error check. */
static void t_disk_errors_reach_the_reader_and_fsync(struct ktest *t)
{
	struct page *p;
	u32 seen;

	if (!setup(t, DISK_BYTES, PAGE_SHIFT))
		return;
	testblk_add_bad(disk, 30 * SECTORS_PER_PAGE + 3, 1);
	p = read_mapping_page(&mapping, 30, NULL);
	KTEST_EXPECT(t, IS_ERR(p) && PTR_ERR(p) == -EIO);
	p = read_mapping_page(&mapping, 31, NULL);
	KTEST_ASSERT(t, !IS_ERR(p));
	KTEST_EXPECT(t, page_has_pattern(p, 31, DISK_SEED));
	seen = filemap_sample_wb_err(&mapping);
	blk_pattern_fill(kaddr(p), 31 * SECTORS_PER_PAGE, PAGE_SIZE, NEW_SEED);
	set_page_dirty(p);
	testblk_add_bad(disk, 31 * SECTORS_PER_PAGE, 1);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait_range(&mapping, 0, -1), -EIO);
	KTEST_EXPECT_EQ(t, filemap_check_wb_err(&mapping, &seen), -EIO);
	KTEST_EXPECT_EQ(t, filemap_check_wb_err(&mapping, &seen), 0);
	put_page(&kernel_pmm, p);
	/* the bad sectors stay bad: drop the pages so teardown's writeback is clean */
	truncate_inode_pages(&mapping, 0);
	teardown(t);
}

/*
 * 512-byte blocks with every other one a hole: a page is read as four
 * bios (four runs), the holes as zeros; a file ending mid-page reads zeros
 * past its end and writes them, never old memory.
 */
static void t_holes_runs_and_the_end_of_the_file(struct ktest *t)
{
	u8 *check = kmalloc(PAGE_SIZE, GFP_KERNEL);
	struct page *p;
	bool ok = true;

	if (!check) {
		ktest_fail(t, __FILE__, __LINE__, "no memory");
		return;
	}
	if (!setup(t, 5 * PAGE_SIZE + 1000, 9)) {
		kfree(check);
		return;
	}
	odd_blocks_are_holes = true;
	p = read_mapping_page(&mapping, 2, NULL);
	KTEST_ASSERT(t, !IS_ERR(p));
	for (unsigned int b = 0; b < SECTORS_PER_PAGE; b++) {
		const u8 *blk = kaddr(p) + b * 512;

		if (b & 1) {
			for (unsigned int i = 0; i < 512; i++)
				ok &= blk[i] == 0;
		} else {
			ok &= blk_pattern_check(blk, 2 * SECTORS_PER_PAGE + b, 512, DISK_SEED) == 512;
		}
	}
	KTEST_EXPECT(t, ok);
	put_page(&kernel_pmm, p);
	odd_blocks_are_holes = false;
	/* the last page: 1000 bytes of file (the disk's), then zeros, even inside its last block */
	p = read_mapping_page(&mapping, 5, NULL);
	KTEST_ASSERT(t, !IS_ERR(p));
	blk_pattern_fill(check, 5 * SECTORS_PER_PAGE, 1024, DISK_SEED);
	KTEST_EXPECT(t, memcmp(kaddr(p), check, 1000) == 0);
	ok = true;
	for (unsigned int i = 1000; i < PAGE_SIZE; i++)
		ok &= kaddr(p)[i] == 0;
	KTEST_EXPECT(t, ok);
	/* written back: the two blocks in the file go to disk, the rest of the page does not */
	memset(kaddr(p), 0x5a, PAGE_SIZE);
	set_page_dirty(p);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait_range(&mapping, 0, -1), 0);
	testblk_store_read(disk, 5 * PAGE_SIZE, check, PAGE_SIZE);
	KTEST_EXPECT(t, check[0] == 0x5a && check[999] == 0x5a && check[1000] == 0);
	KTEST_EXPECT_EQ(t, blk_pattern_check(check + 1024, 5 * SECTORS_PER_PAGE + 2, PAGE_SIZE - 1024,
					  DISK_SEED), PAGE_SIZE - 1024);
	put_page(&kernel_pmm, p);
	kfree(check);
	teardown(t);
}

static const struct ktest_case pagecache_cases[] = {
	KTEST_CASE(t_reads_complete_from_the_disk_interrupt,
		   "pages read through the cache hold the disk's bytes, completed by its interrupt"),
	KTEST_CASE(t_readahead_from_the_disk,
		   "readahead reads its window asynchronously, marker on the second page"),
	KTEST_CASE(t_writeback_reaches_the_disk,
		   "dirty pages are written to the disk, the cache clean after, neighbours untouched"),
	KTEST_CASE(t_disk_errors_reach_the_reader_and_fsync,
		   "a bad sector is -EIO for its page's reader and once for the writeback check"),
	KTEST_CASE(t_holes_runs_and_the_end_of_the_file,
		   "holes read as zeros, one bio per run, and nothing past the end of the file reaches the disk"),
};

KTEST_SUITE(pagecache_suite, "pagecache", pagecache_cases);
