/*
 * Page-cache I/O through a block map (include/fs/mpage.h): a page's
 * blocks are looked up with the map's get_block, consecutive disk blocks
 * become one bio segment run, holes and the part past the end of the file
 * are zeros that never touch the disk. A page with several runs has
 * several bios in flight; the count of those still in flight, and whether
 * one failed, live in page->private (the page is locked, or under
 * writeback, so nobody else uses it) and the last bio to end completes
 * the page. Kernel-only (bios).
 */
#include <fs/mpage.h>
#include <mm/arch.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/bio.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/string.h>

#define MPAGE_FAILED	(1UL << 63)	/* in page->private: a bio of the page failed */

static u8 *page_kaddr(struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(page->mapping->pmm, page)));
}

/* Blocks of the page at @index that lie inside a file of @size bytes. */
static unsigned int blocks_in_file(const struct blockmap *map, pgoff_t index, loff_t size)
{
	u64 first = (u64)index << (PAGE_SHIFT - map->blkbits);
	u64 end = ((u64)size + (1ULL << map->blkbits) - 1) >> map->blkbits;
	unsigned int per_page = 1U << (PAGE_SHIFT - map->blkbits);

	if (end <= first)
		return 0;
	return end - first < per_page ? (unsigned int)(end - first) : per_page;
}

/* One more bio of @page in flight. */
static void page_io_get(struct page *page)
{
	__atomic_add_fetch(&page->private, 1, __ATOMIC_RELAXED);
}

/*
 * A bio of @page ended (@failed: with an error). True when it was the
 * last: *@any_failed then says whether one of them failed, and
 * page->private is clear again.
 */
static bool page_io_put(struct page *page, bool failed, bool *any_failed)
{
	unsigned long v;

	if (failed)
		__atomic_fetch_or(&page->private, MPAGE_FAILED, __ATOMIC_RELAXED);
	v = __atomic_sub_fetch(&page->private, 1, __ATOMIC_ACQ_REL);
	if (v & ~MPAGE_FAILED)
		return false;
	*any_failed = v & MPAGE_FAILED;
	page->private = 0;
	return true;
}

/*
 * The page's read is over: zeros from the end of the file to the end of
 * the page (the last block may hold more than the file: whatever the disk
 * has there is not the file's), then complete it. Any context.
 */
static void read_page_done(struct page *page, bool failed)
{
	loff_t size = i_size_read(page->mapping->host);
	loff_t start = (loff_t)page->index << PAGE_SHIFT;

	if (!failed && size > start && size - start < (loff_t)PAGE_SIZE)
		memset(page_kaddr(page) + (size - start), 0, PAGE_SIZE - (size_t)(size - start));
	page_read_done(page, failed ? -EIO : 0);
}

static void read_end_io(struct bio *bio)
{
	struct page *page = bio->bi_private;
	bool failed;

	if (page_io_put(page, bio->bi_status != BLK_STS_OK, &failed))
		read_page_done(page, failed);
	bio_put(bio);
}

static void write_end_io(struct bio *bio)
{
	struct page *page = bio->bi_private;
	bool failed;

	if (page_io_put(page, bio->bi_status != BLK_STS_OK, &failed))
		page_end_writeback(page, failed ? -EIO : 0);
	bio_put(bio);
}

/*
 * Submit one bio for @len bytes of @page at @offset, from disk block
 * @pblock, ending in @end_io. 0 or -ENOMEM (nothing submitted).
 */
static int submit_run(struct blockmap *map, struct page *page, blk_opf_t opf, u64 pblock,
		      u32 offset, u32 len, bio_end_io_t *end_io)
{
	struct bio *bio = bio_alloc(map->bdev, 1, opf, GFP_KERNEL);

	if (!bio)
		return -ENOMEM;
	bio->bi_sector = pblock << (map->blkbits - 9);
	bio_add_page(bio, page, len, offset);
	bio->bi_end_io = end_io;
	bio->bi_private = page;
	page_io_get(page);
	submit_bio(bio);
	return 0;
}

/*
 * Walk the page's blocks, calling get_block (@create for writes) and
 * submitting a bio per run of consecutive disk blocks. Holes are zeroed
 * (reads only: with @create get_block allocates; MPAGE_HOLE is then an
 * error). One reference in
 * page->private is held across the walk so no bio can complete the page
 * before the last one is submitted. Returns 0 or the first error; runs
 * submitted before an error stay in flight.
 */
static int map_and_submit(struct blockmap *map, struct page *page, blk_opf_t opf, bool create,
			  unsigned int nr_blocks, bio_end_io_t *end_io)
{
	unsigned int bsize = 1U << map->blkbits, per_page = PAGE_SIZE >> map->blkbits;
	u64 first = (u64)page->index * per_page, run_start = 0;
	unsigned int run_len = 0, run_off = 0;
	int err = 0;

	for (unsigned int i = 0; i < nr_blocks && !err; i++) {
		u64 pblock;

		err = map->get_block(map, first + i, &pblock, create);
		if (err == MPAGE_HOLE && !create) {	/* zeros, nothing to read */
			err = 0;
			memset(page_kaddr(page) + i * bsize, 0, bsize);
			continue;
		}
		if (err)
			break;
		if (run_len && pblock == run_start + run_len) {
			run_len++;
			continue;
		}
		if (run_len)
			err = submit_run(map, page, opf, run_start, run_off, run_len * bsize, end_io);
		run_start = pblock;
		run_len = 1;
		run_off = i * bsize;
	}
	if (!err && run_len)
		err = submit_run(map, page, opf, run_start, run_off, run_len * bsize, end_io);
	return err > 0 ? -EIO : err;		/* a hole where a write needs a block */
}

int mpage_read_folio(struct blockmap *map, struct page *page)
{
	loff_t size = i_size_read(page->mapping->host);
	unsigned int nr = blocks_in_file(map, page->index, size);
	bool failed;
	int err;

	memset(page_kaddr(page) + (nr << map->blkbits), 0, PAGE_SIZE - (nr << map->blkbits));
	page->private = 0;
	page_io_get(page);			/* the walk's own reference */
	err = map_and_submit(map, page, REQ_OP_READ, false, nr, read_end_io);
	if (page_io_put(page, err != 0, &failed))
		read_page_done(page, failed);	/* all holes, or all ended already */
	return 0;
}

/*
 * A bio of whole pages ended, each page with one reference in it
 * (page_io_get when it was added): @done(page, failed) for each page whose
 * last bio this was.
 */
static void end_bio_pages(struct bio *bio, void (*done)(struct page *page, bool failed))
{
	bool failed = bio->bi_status != BLK_STS_OK, any;

	for (unsigned int i = 0; i < bio->bi_vcnt; i++) {
		struct page *page = bio->bi_io_vec[i].bv_page;

		if (page_io_put(page, failed, &any))
			done(page, any);
	}
	bio_put(bio);
}

static void readahead_end_io(struct bio *bio)
{
	end_bio_pages(bio, read_page_done);
}

/*
 * Is all of @page inside a file of @size bytes, and are its blocks
 * consecutive on the disk (allocated now, with @create)? Then *@pblock is
 * its first. Holes (reads), a page holding the end of the file, a split
 * page and errors are left to the one-page paths.
 */
static bool page_is_one_run(struct blockmap *map, struct page *page, loff_t size, bool create,
			    u64 *pblock)
{
	unsigned int per_page = PAGE_SIZE >> map->blkbits;
	u64 first = (u64)page->index * per_page;

	if ((((loff_t)page->index + 1) << PAGE_SHIFT) > size)
		return false;
	for (unsigned int i = 0; i < per_page; i++) {
		u64 b;

		if (map->get_block(map, first + i, &b, create))
			return false;
		if (i == 0)
			*pblock = b;
		else if (b != *pblock + i)
			return false;
	}
	return true;
}

/*
 * ->readahead: pages whose blocks follow each other on the disk are read
 * with one bio (as Linux's mpage_readahead builds them), so a window of
 * contiguous blocks costs one request and one interrupt, and its pages
 * become uptodate together; any other page goes through
 * mpage_read_folio() on its own.
 */
void mpage_readahead(struct blockmap *map, struct readahead_control *rac)
{
	loff_t size = i_size_read(rac->mapping->host);
	unsigned int per_page = PAGE_SIZE >> map->blkbits;
	struct bio *bio = NULL;
	u64 next = 0;

	for (unsigned int i = 0; i < rac->nr_pages; i++) {
		struct page *page = rac->pages[i];
		u64 pblock = 0;

		if (!page_is_one_run(map, page, size, false, &pblock)) {
			if (bio)
				submit_bio(bio);
			bio = NULL;
			mpage_read_folio(map, page);
			continue;
		}
		if (bio && (pblock != next || bio->bi_vcnt == bio->bi_max_vecs)) {
			submit_bio(bio);
			bio = NULL;
		}
		if (!bio) {
			bio = bio_alloc(map->bdev, MIN(rac->nr_pages - i, (unsigned int)BIO_MAX_VECS),
					REQ_OP_READ, GFP_KERNEL);
			if (!bio) {
				mpage_read_folio(map, page);
				continue;
			}
			bio->bi_sector = pblock << (map->blkbits - 9);
			bio->bi_end_io = readahead_end_io;
		}
		page->private = 0;
		page_io_get(page);
		bio_add_page(bio, page, PAGE_SIZE, 0);
		next = pblock + per_page;
	}
	if (bio)
		submit_bio(bio);
}

/* ---- writeback of consecutive pages in one bio ---- */

#define WRITE_BATCH_PAGES	64	/* 256 KiB a bio */

struct mpage_write_batch {
	struct wb_batch base;		/* wbc->batch */
	struct blockmap *map;
	struct bio *bio;
	u64 next;			/* the disk block after the bio's last */
	unsigned int nr;
	struct page *pages[WRITE_BATCH_PAGES];	/* locked, in the bio */
};

static void write_page_done(struct page *page, bool failed)
{
	page_end_writeback(page, failed ? -EIO : 0);
}

/* A multi-page write ended. */
static void write_batch_end_io(struct bio *bio)
{
	end_bio_pages(bio, write_page_done);
}

/* Submit the batch's bio, then unlock its pages (they were kept locked so
 * nothing waits on a write not yet submitted). */
static void write_batch_submit(struct mpage_write_batch *b)
{
	unsigned int nr = b->nr;

	if (b->bio)
		submit_bio(b->bio);
	b->bio = NULL;
	b->nr = 0;
	for (unsigned int i = 0; i < nr; i++)
		unlock_page(b->pages[i]);
}

static void write_batch_flush(struct wb_batch *base)
{
	struct mpage_write_batch *b = (struct mpage_write_batch *)base;

	write_batch_submit(b);
	kfree(b);
}

/*
 * Add the locked @page (writeback set) to the pass's batch: true if it
 * went in (it stays locked until the batch is submitted); false if it
 * cannot (then the batch was submitted first, if it could not extend it).
 */
static bool write_batch_add(struct blockmap *map, struct page *page, struct writeback_control *wbc)
{
	struct mpage_write_batch *b = (struct mpage_write_batch *)wbc->batch;
	u64 pblock = 0;

	if (!page_is_one_run(map, page, i_size_read(page->mapping->host), true, &pblock)) {
		wbc_flush(wbc);		/* keep the disk order: what is held back goes first */
		return false;
	}
	if (b && (b->map != map || pblock != b->next || b->nr == WRITE_BATCH_PAGES))
		write_batch_submit(b);
	if (!b) {
		b = kmalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			return false;
		b->base.flush = write_batch_flush;
		b->map = map;
		b->bio = NULL;
		b->nr = 0;
		wbc->batch = &b->base;
	}
	if (!b->bio) {
		b->bio = bio_alloc(map->bdev, WRITE_BATCH_PAGES, REQ_OP_WRITE, GFP_KERNEL);
		if (!b->bio)
			return false;
		b->bio->bi_sector = pblock << (map->blkbits - 9);
		b->bio->bi_end_io = write_batch_end_io;
	}
	page->private = 0;
	page_io_get(page);
	bio_add_page(b->bio, page, PAGE_SIZE, 0);
	b->pages[b->nr++] = page;
	b->next = pblock + (PAGE_SIZE >> map->blkbits);
	return true;
}

int mpage_writepage(struct blockmap *map, struct page *page, struct writeback_control *wbc)
{
	loff_t size = i_size_read(page->mapping->host);
	unsigned int nr = blocks_in_file(map, page->index, size);
	size_t valid = (loff_t)(page->index + 1) << PAGE_SHIFT <= size ?
		       PAGE_SIZE : (size_t)(size & (PAGE_SIZE - 1));
	bool failed;
	int err;

	if (wbc && !wbc->for_reclaim && write_batch_add(map, page, wbc))
		return 0;
	if ((loff_t)page->index << PAGE_SHIFT >= size)
		valid = 0;
	/* what lies past the end of the file goes to disk as zeros, never as old memory */
	memset(page_kaddr(page) + valid, 0, PAGE_SIZE - valid);
	page->private = 0;
	page_io_get(page);
	err = map_and_submit(map, page, REQ_OP_WRITE, true, nr, write_end_io);
	if (err == -ENOMEM)
		set_page_dirty(page);		/* not written: a later pass tries again */
	unlock_page(page);
	if (page_io_put(page, err && err != -ENOMEM, &failed))
		page_end_writeback(page, !failed ? 0 : err && err != -ENOMEM ? err : -EIO);
	return err;
}

int blkdev_get_block(struct blockmap *map, u64 iblock, u64 *pblock, bool create)
{
	u64 nr = bdev_nr_sectors(map->bdev) >> (map->blkbits - 9);

	if (iblock >= nr)
		return -EIO;
	*pblock = iblock;
	return 0;
}
