/*
 * The page cache: looking pages up and adding them, reading them through
 * the file system, dirtying and writing them back, truncating, and the
 * file half of the fault path (filemap_fault, filemap_map_pages,
 * filemap_page_mkwrite). include/mm/pagemap.h has the contracts;
 * docs/page-cache.md the design. Host-compilable: the page lock's
 * sleeping half is mm/page_wait.c (kernel) or tests/host/fake_page_wait.c.
 *
 * References: the cache holds one reference on each page it indexes
 * (taken by add_to_page_cache, dropped by delete_from_page_cache); every
 * lookup returns one more for its caller.
 *
 * i_pages_lock is taken with interrupts off (page_end_writeback runs in
 * I/O completions) and never held across anything that sleeps.
 */
#include <mm/pagemap.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/page_ref.h>
#include <mm/vmscan.h>
#include <mm/writeback.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>

struct page_cache_stats page_cache_stats;

unsigned long fault_around_bytes = 16 * PAGE_SIZE;

void address_space_init(struct address_space *mapping, struct inode *host,
			const struct address_space_operations *a_ops, struct pmm *pmm)
{
	mapping->host = host;
	xa_init(&mapping->i_pages);
	spin_lock_init(&mapping->i_pages_lock);
	mapping->nrpages = 0;
	mapping->a_ops = a_ops;
	mapping->pmm = pmm;
	init_rwsem(&mapping->i_mmap_rwsem, "i_mmap_rwsem");
	list_init(&mapping->i_mmap);
	mapping->wb_err = 0;
	mapping->wb_errno = 0;
	mapping->wb_err_seen = false;
	mapping->flags = 0;
	list_init(&mapping->dirty_link);
	mapping->dirtied_when = 0;
}

/* ---- looking up and adding ---- */

/* The page at @index, referenced, or NULL. */
static struct page *lookup_get(struct address_space *mapping, pgoff_t index)
{
	unsigned long flags;
	struct page *page;

	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	page = xa_load(&mapping->i_pages, index);
	if (page)
		get_page(page);
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	return page;
}

/* Is the locked @page still @mapping's page at @index (not truncated meanwhile)? */
static bool page_still_at(const struct page *page, const struct address_space *mapping,
			  pgoff_t index)
{
	return page->mapping == mapping && page->index == index;
}

int add_to_page_cache(struct page *page, struct address_space *mapping, pgoff_t index, gfp_t gfp)
{
	struct xa_spare spare = XA_SPARE_INIT;
	unsigned long flags;
	int err;

	BUG_ON(!PageLocked(page));
	get_page(page);				/* the cache's reference */
	page->mapping = mapping;
	page->index = index;
	for (;;) {
		spin_lock_irqsave(&mapping->i_pages_lock, flags);
		err = xa_insert(&mapping->i_pages, index, page, &spare);
		if (!err) {
			mapping->nrpages++;
			page_cache_stats.nr_file_pages++;
		}
		spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
		if (err != -ENOMEM || !(gfp & __GFP_RECLAIM) || xa_spare_fill(&spare, gfp))
			break;
	}
	xa_spare_release(&spare);
	if (err) {
		page->mapping = NULL;
		page->index = 0;
		page->refcount--;		/* the cache's, never the last */
		return err;
	}
	lru_cache_add(mapping->pmm, page);
	return 0;
}

struct page *pagecache_get_page(struct address_space *mapping, pgoff_t index,
				unsigned int fgp_flags, gfp_t gfp)
{
	struct page *page;
	int err;

repeat:
	page = lookup_get(mapping, index);
	if (page) {
		if (fgp_flags & FGP_LOCK) {
			if (fgp_flags & FGP_NOWAIT) {
				if (!trylock_page(page)) {
					put_page(mapping->pmm, page);
					return NULL;
				}
			} else {
				lock_page(page);
			}
			if (!page_still_at(page, mapping, index)) {	/* truncated meanwhile */
				unlock_page(page);
				put_page(mapping->pmm, page);
				goto repeat;
			}
		}
		if (fgp_flags & FGP_ACCESSED)
			mark_page_accessed(mapping->pmm, page);
		return page;
	}
	if (!(fgp_flags & FGP_CREAT))
		return NULL;
	page = pmm_alloc_pages(mapping->pmm, 0, gfp);
	if (!page)
		return NULL;
	page_set_flag(page, PG_locked);		/* nobody else can see it yet */
	if (fgp_flags & FGP_ACCESSED)
		page_set_flag(page, PG_referenced);
	err = add_to_page_cache(page, mapping, index, gfp);
	if (err) {
		page_clear_flag(page, PG_locked);
		put_page(mapping->pmm, page);
		if (err == -EEXIST)
			goto repeat;		/* another task added it first */
		return NULL;
	}
	if (!(fgp_flags & FGP_LOCK))
		unlock_page(page);
	return page;
}

void delete_from_page_cache(struct page *page)
{
	struct address_space *mapping = page->mapping;
	unsigned long flags;

	BUG_ON(!PageLocked(page));
	BUG_ON(!mapping);
	if (page_mapcount(page))
		panic("delete_from_page_cache: page %p (index %lu) is still mapped %d times",
		      (void *)page, page->index, page_mapcount(page));
	if (mapping->a_ops && mapping->a_ops->invalidate_folio)
		mapping->a_ops->invalidate_folio(page, 0, PAGE_SIZE);
	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	xa_erase(&mapping->i_pages, page->index);
	mapping->nrpages--;
	page_cache_stats.nr_file_pages--;
	if (page_test_and_clear_flag(page, PG_dirty))
		page_cache_stats.nr_dirty--;
	page->mapping = NULL;
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	/*
	 * After ->mapping is cleared: reclaim's putback of an isolated page
	 * checks it under the LRU lock, so the page is either on the list now
	 * (and taken off here) or never put back.
	 */
	lru_cache_del(mapping->pmm, page);
	page_clear_flag(page, PG_readahead);
	page_clear_flag(page, PG_referenced);
	put_page(mapping->pmm, page);		/* the cache's reference */
}

unsigned int find_get_pages_range(struct address_space *mapping, pgoff_t *start, pgoff_t end,
				  unsigned int nr, struct page **pages, xa_mark_t tag)
{
	unsigned long flags;
	unsigned int n;

	if (*start > end)
		return 0;
	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	n = xa_extract(&mapping->i_pages, (void **)pages, NULL, start, end, nr, tag);
	for (unsigned int i = 0; i < n; i++)
		get_page(pages[i]);
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	return n;
}

/* ---- reading ---- */

void page_read_done(struct page *page, int err)
{
	if (err) {
		page_set_flag(page, PG_error);
	} else {
		page_clear_flag(page, PG_error);
		page_set_flag(page, PG_uptodate);
		page_cache_stats.pgpgin++;
	}
	unlock_page(page);
}

/*
 * Read the locked, not uptodate @page through its mapping's ->read_folio
 * and wait for the read; the page comes back unlocked. 0, or -EIO.
 */
static int read_page_and_wait(struct file *file, struct page *page)
{
	struct address_space *mapping = page->mapping;
	int err;

	page_clear_flag(page, PG_error);
	err = mapping->a_ops->read_folio(file, page);
	if (err)
		return err;
	wait_on_page_locked(page);
	return PageUptodate(page) ? 0 : -EIO;
}

struct page *read_mapping_page(struct address_space *mapping, pgoff_t index, struct file *file)
{
	struct page *page;
	int err;

	for (;;) {
		page = pagecache_get_page(mapping, index, FGP_LOCK | FGP_CREAT | FGP_ACCESSED,
					  GFP_KERNEL);
		if (!page)
			return ERR_PTR(-ENOMEM);
		if (PageUptodate(page)) {
			unlock_page(page);
			return page;
		}
		err = read_page_and_wait(file, page);
		if (!err)
			return page;
		if (err != -EAGAIN) {
			put_page(mapping->pmm, page);
			return ERR_PTR(err);
		}
		put_page(mapping->pmm, page);	/* raced with truncate: look again */
	}
}

/* ---- dirtying and writeback ---- */

bool set_page_dirty(struct page *page)
{
	struct address_space *mapping = page->mapping;
	unsigned long flags;

	if (mapping && mapping->a_ops && mapping->a_ops->dirty_folio)
		return mapping->a_ops->dirty_folio(mapping, page);
	if (page_test_and_set_flag(page, PG_dirty))
		return false;
	if (!mapping)
		return true;			/* anonymous, or already truncated */
	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	if (page->mapping == mapping) {
		xa_set_mark(&mapping->i_pages, page->index, PAGECACHE_TAG_DIRTY);
		page_cache_stats.nr_dirty++;
		page_cache_stats.nr_dirtied++;
	}
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	mapping_note_dirty(mapping, time_ns());
	return true;
}

bool clear_page_dirty_for_io(struct page *page)
{
	struct address_space *mapping = page->mapping;
	unsigned long flags;
	bool was;

	BUG_ON(!PageLocked(page));
	if (!mapping)
		return page_test_and_clear_flag(page, PG_dirty);
	/* stores through shared mappings: collected now, and the next one faults */
	if (page_mkclean(page))
		set_page_dirty(page);
	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	was = page_test_and_clear_flag(page, PG_dirty);
	if (was)
		page_cache_stats.nr_dirty--;
	/* the tag too, even if the flag was clear: a stale tag would keep the mapping listed */
	xa_clear_mark(&mapping->i_pages, page->index, PAGECACHE_TAG_DIRTY);
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	return was;
}

void page_start_writeback(struct page *page)
{
	struct address_space *mapping = page->mapping;
	unsigned long flags;

	BUG_ON(!PageLocked(page));
	if (page_test_and_set_flag(page, PG_writeback))
		panic("page_start_writeback: page %p already under writeback", (void *)page);
	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	xa_set_mark(&mapping->i_pages, page->index, PAGECACHE_TAG_WRITEBACK);
	xa_clear_mark(&mapping->i_pages, page->index, PAGECACHE_TAG_TOWRITE);
	page_cache_stats.nr_writeback++;
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
}

void page_end_writeback(struct page *page, int err)
{
	struct address_space *mapping = page->mapping;
	unsigned long flags;

	if (mapping) {
		if (err)
			mapping_set_error(mapping, err);
		spin_lock_irqsave(&mapping->i_pages_lock, flags);
		if (page->mapping == mapping)
			xa_clear_mark(&mapping->i_pages, page->index, PAGECACHE_TAG_WRITEBACK);
		spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	}
	if (!page_test_and_clear_flag(page, PG_writeback))
		panic("page_end_writeback: page %p was not under writeback", (void *)page);
	page_cache_stats.nr_writeback--;
	if (!err) {
		page_cache_stats.pgpgout++;
		page_cache_stats.nr_written++;
	}
	page_wake_waiters(page);
}

void mapping_set_error(struct address_space *mapping, int err)
{
	unsigned long flags;

	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	mapping->wb_errno = err;
	mapping->wb_err++;
	mapping->wb_err_seen = false;
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
}

int filemap_check_wb_err(struct address_space *mapping, u32 *since)
{
	u32 now = READ_ONCE(mapping->wb_err);

	if (now == *since)
		return 0;
	*since = now;
	WRITE_ONCE(mapping->wb_err_seen, true);
	return mapping->wb_errno ? mapping->wb_errno : -EIO;
}

/* Byte range -> page index range; false if empty. */
static bool byte_range_pages(loff_t start, loff_t end, pgoff_t *first, pgoff_t *last)
{
	if (start < 0 || (end >= 0 && end < start))
		return false;
	*first = (pgoff_t)start >> PAGE_SHIFT;
	*last = end < 0 ? ~0UL : (pgoff_t)end >> PAGE_SHIFT;
	return true;
}

/*
 * For WB_SYNC_ALL: tag the pages dirty now PAGECACHE_TAG_TOWRITE, so the
 * pass writes exactly those even while stores dirty more behind it (no
 * livelock against a writer).
 */
static void tag_pages_for_writeback(struct address_space *mapping, pgoff_t first, pgoff_t last)
{
	unsigned long flags, index = first;
	void *entry;

	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	for (entry = xa_find(&mapping->i_pages, &index, last, PAGECACHE_TAG_DIRTY); entry;
	     entry = xa_find_after(&mapping->i_pages, &index, last, PAGECACHE_TAG_DIRTY))
		xa_set_mark(&mapping->i_pages, index, PAGECACHE_TAG_TOWRITE);
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
}

/*
 * Write back one locked page of the pass (or skip it). Returns the error
 * ->writepage reported, 0 otherwise; the page is unlocked, or kept locked
 * in wbc->batch until the pass flushes it.
 */
static int write_one_page(struct address_space *mapping, struct page *page,
			  struct writeback_control *wbc)
{
	if (page_test_flag(page, PG_writeback)) {
		if (wbc->sync_mode == WB_SYNC_NONE) {
			unlock_page(page);
			return 0;
		}
		wbc_flush(wbc);			/* never wait with pages held back */
		wait_on_page_writeback(page);
	}
	if (!clear_page_dirty_for_io(page)) {
		unlock_page(page);
		return 0;
	}
	page_start_writeback(page);
	wbc->nr_to_write--;
	return mapping->a_ops->writepage(page, wbc);	/* unlocks; ends writeback later */
}

#define WRITEBACK_BATCH	16

int filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end,
			     enum writeback_sync_modes mode)
{
	struct writeback_control wbc = {
		.nr_to_write = (long)(~0UL >> 1), .range_start = start, .range_end = end, .sync_mode = mode,
	};
	xa_mark_t tag = mode == WB_SYNC_ALL ? PAGECACHE_TAG_TOWRITE : PAGECACHE_TAG_DIRTY;
	struct page *batch[WRITEBACK_BATCH];
	pgoff_t index, last;
	int first_err = 0;
	unsigned int n;

	if (!mapping->a_ops || !mapping->a_ops->writepage || !byte_range_pages(start, end, &index, &last))
		return 0;
	if (mode == WB_SYNC_ALL)
		tag_pages_for_writeback(mapping, index, last);
	while (wbc.nr_to_write > 0 &&
	       (n = find_get_pages_range(mapping, &index, last, WRITEBACK_BATCH, batch, tag))) {
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = batch[i];
			int err = 0;

			if (!trylock_page(page)) {
				wbc_flush(&wbc);	/* never sleep with pages held back */
				lock_page(page);
			}
			if (page->mapping == mapping)
				err = write_one_page(mapping, page, &wbc);
			else
				unlock_page(page);	/* truncated meanwhile */
			if (err && !first_err)
				first_err = err;
			put_page(mapping->pmm, page);
		}
		if (index == 0)			/* wrapped past ~0UL */
			break;
	}
	wbc_flush(&wbc);
	return first_err;
}

int filemap_fdatawait_range(struct address_space *mapping, loff_t start, loff_t end)
{
	struct page *batch[WRITEBACK_BATCH];
	pgoff_t index, last;
	bool failed = false;
	unsigned int n;

	if (!byte_range_pages(start, end, &index, &last))
		return 0;
	while ((n = find_get_pages_range(mapping, &index, last, WRITEBACK_BATCH, batch,
					 PAGECACHE_TAG_WRITEBACK))) {
		for (unsigned int i = 0; i < n; i++) {
			wait_on_page_writeback(batch[i]);
			failed |= page_test_flag(batch[i], PG_error);
			put_page(mapping->pmm, batch[i]);
		}
		if (index == 0)
			break;
	}
	return failed ? -EIO : 0;
}

int filemap_write_and_wait_range(struct address_space *mapping, loff_t start, loff_t end)
{
	u32 since = filemap_sample_wb_err(mapping);
	int err = filemap_fdatawrite_range(mapping, start, end, WB_SYNC_ALL);
	int werr = filemap_fdatawait_range(mapping, start, end);

	if (!err)
		err = werr;
	if (!err)	/* a write that failed in its completion, after the submission said yes */
		err = filemap_check_wb_err(mapping, &since);
	return err;
}

/* ---- dropping unused pages ---- */

/* May @page (locked, referenced once by the caller) leave the cache now? */
static bool page_unused(const struct page *page, const struct address_space *mapping)
{
	return page->mapping == mapping && !page_test_flag(page, PG_dirty) &&
	       !page_test_flag(page, PG_writeback) && !page_mapcount(page) &&
	       page->refcount == 2;		/* the cache's and ours */
}

unsigned long invalidate_mapping_pages(struct address_space *mapping, pgoff_t start, pgoff_t end)
{
	struct page *batch[WRITEBACK_BATCH];
	unsigned long dropped = 0;
	pgoff_t index = start;
	unsigned int n;

	while ((n = find_get_pages_range(mapping, &index, end, WRITEBACK_BATCH, batch,
					 XA_PRESENT))) {
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = batch[i];

			if (trylock_page(page)) {
				if (page_unused(page, mapping)) {
					delete_from_page_cache(page);
					dropped++;
				}
				unlock_page(page);
			}
			put_page(mapping->pmm, page);
		}
		if (index == 0 || index > end)
			break;
	}
	return dropped;
}

/* ---- truncation ---- */

/* Zero [from, to) of the cached page at @index, if any (a page partly past the new end). */
static void zero_partial_page(struct address_space *mapping, pgoff_t index, size_t from, size_t to)
{
	struct page *page = find_lock_page(mapping, index);

	if (!page)
		return;
	wait_on_page_writeback(page);
	if (PageUptodate(page))
		memset((u8 *)phys_to_virt(PFN_PHYS(pmm_page_to_pfn(mapping->pmm, page))) + from, 0,
		       to - from);
	if (mapping->a_ops && mapping->a_ops->invalidate_folio)
		mapping->a_ops->invalidate_folio(page, from, to - from);
	unlock_page(page);
	put_page(mapping->pmm, page);
}

/* Delete the cached pages of [first, end) (waiting for their locks and writeback). */
static void delete_whole_pages(struct address_space *mapping, pgoff_t first, pgoff_t end)
{
	struct page *batch[WRITEBACK_BATCH];
	pgoff_t index = first;
	unsigned int n;

	if (first >= end)
		return;
	while ((n = find_get_pages_range(mapping, &index, end - 1, WRITEBACK_BATCH, batch,
					 XA_PRESENT))) {
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = batch[i];

			lock_page(page);
			wait_on_page_writeback(page);
			if (page->mapping == mapping) {
				/* a fault that raced with the caller's unmap mapped it since */
				if (page_mapcount(page))
					unmap_mapping_pages(mapping, page->index, page->index);
				delete_from_page_cache(page);
			}
			unlock_page(page);
			put_page(mapping->pmm, page);
		}
		if (index == 0 || index >= end)
			break;
	}
}

void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart, loff_t lend)
{
	u64 start = (u64)lstart, stop;		/* stop: first byte after the range */
	pgoff_t head_page = start >> PAGE_SHIFT, tail_page;
	size_t head = start & (PAGE_SIZE - 1);

	if (lstart < 0 || (lend >= 0 && lend < lstart))
		return;
	if (lend < 0) {
		if (head)
			zero_partial_page(mapping, head_page, head, PAGE_SIZE);
		delete_whole_pages(mapping, DIV_ROUND_UP(start, PAGE_SIZE), ~0UL);
		return;
	}
	stop = (u64)lend + 1;
	tail_page = stop >> PAGE_SHIFT;		/* the page stop falls in (partial if unaligned) */
	if (head && head_page == tail_page) {	/* inside one page */
		zero_partial_page(mapping, head_page, head, stop & (PAGE_SIZE - 1));
		return;
	}
	if (head)
		zero_partial_page(mapping, head_page, head, PAGE_SIZE);
	if (stop & (PAGE_SIZE - 1))
		zero_partial_page(mapping, tail_page, 0, stop & (PAGE_SIZE - 1));
	delete_whole_pages(mapping, DIV_ROUND_UP(start, PAGE_SIZE), tail_page);
}

/* ---- the file fault path ---- */

static pgoff_t file_pages(const struct address_space *mapping)
{
	return (pgoff_t)DIV_ROUND_UP((u64)i_size_read(mapping->host), PAGE_SIZE);
}

#define MMAP_LOTSAMISS	100	/* mmap faults missing the cache before read-around stops */

/*
 * A fault missed the cache (the seed's "page not in cache" arrow): read
 * around it, or ahead of it for MADV_SEQUENTIAL, nothing for MADV_RANDOM
 * or a mapping that keeps missing (its accesses are not local).
 */
static void do_sync_mmap_readahead(struct vm_fault *vmf, struct file *file,
				   struct address_space *mapping)
{
	struct file_ra_state *ra = &file->f_ra;
	unsigned long vm_flags = vmf->vma->vm_flags;
	pgoff_t index = vmf->pgoff;

	if (vm_flags & VM_RAND_READ || !ra->ra_pages)
		return;
	if (vm_flags & VM_SEQ_READ) {
		page_cache_sync_readahead(mapping, ra, file, index, ra->ra_pages);
		return;
	}
	if (ra->mmap_miss < MMAP_LOTSAMISS * 10)
		ra->mmap_miss++;
	if (ra->mmap_miss > MMAP_LOTSAMISS)
		return;
	/* read-around: a window centred on the fault, its last quarter the next trigger */
	ra->start = index > ra->ra_pages / 2 ? index - ra->ra_pages / 2 : 0;
	ra->size = ra->ra_pages;
	ra->async_size = ra->ra_pages / 4;
	page_cache_ra_unbounded(mapping, file, ra->start, ra->size, ra->async_size);
}

/* A fault hit a cached page: count the hit, and start the next window at a marker. */
static void do_async_mmap_readahead(struct vm_fault *vmf, struct file *file,
				    struct address_space *mapping, struct page *page)
{
	struct file_ra_state *ra = &file->f_ra;

	if (ra->mmap_miss)
		ra->mmap_miss--;
	if (page_test_flag(page, PG_readahead) && !(vmf->vma->vm_flags & VM_RAND_READ))
		page_cache_async_readahead(mapping, ra, file, page, vmf->pgoff, ra->ra_pages);
}

/*
 * Lock @page for the fault. If it is busy (being read) and the fault may
 * be retried, drop mmap_lock, wait for it, and return false: the caller
 * returns VM_FAULT_RETRY (and drops its reference). Otherwise wait holding
 * mmap_lock, and return true with the page locked.
 */
static bool lock_page_or_retry(struct vm_fault *vmf, struct page *page)
{
	if (trylock_page(page))
		return true;
	if (fault_release_mmap_lock(vmf)) {
		wait_on_page_locked_killable(page);
		return false;
	}
	lock_page(page);
	return true;
}

vm_fault_t filemap_fault(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	struct address_space *mapping = file->f_mapping;
	struct pmm *pmm = mapping->pmm;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = 0;
	struct page *page;

	if (index >= file_pages(mapping))
		return VM_FAULT_SIGBUS;
retry_find:
	page = find_get_page(mapping, index);
	if (page) {
		do_async_mmap_readahead(vmf, file, mapping, page);
	} else {
		ret = VM_FAULT_MAJOR;
		page_cache_stats.pgmajfault++;
		do_sync_mmap_readahead(vmf, file, mapping);
		page = pagecache_get_page(mapping, index, FGP_CREAT, GFP_KERNEL);
		if (!page)
			return VM_FAULT_OOM;
		/*
		 * As Linux's filemap_fault after sync readahead: a fault that
		 * may be retried waits for the read without mmap_lock and is
		 * retried, and the retry's fault-around maps the window just
		 * read, not only this page.
		 */
		if (fault_release_mmap_lock(vmf)) {
			wait_on_page_locked_killable(page);
			put_page(pmm, page);
			return ret | VM_FAULT_RETRY;
		}
	}
	if (!lock_page_or_retry(vmf, page)) {
		put_page(pmm, page);		/* mmap_lock is gone: nothing of the vma's */
		return ret | VM_FAULT_RETRY;
	}
	if (page->mapping != mapping) {		/* truncated while we slept */
		unlock_page(page);
		put_page(mapping->pmm, page);
		goto retry_find;
	}
	if (!PageUptodate(page)) {
		/* nobody is reading it (we hold the lock): read it ourselves */
		ret |= VM_FAULT_MAJOR;
		page_clear_flag(page, PG_error);
		if (mapping->a_ops->read_folio(file, page)) {
			put_page(mapping->pmm, page);
			return VM_FAULT_SIGBUS;
		}
		if (!lock_page_or_retry(vmf, page)) {
			put_page(pmm, page);
			return ret | VM_FAULT_RETRY;
		}
		if (page->mapping != mapping) {	/* truncated while it was read */
			unlock_page(page);
			put_page(pmm, page);
			goto retry_find;
		}
		if (!PageUptodate(page)) {	/* the read failed: SIGBUS, as Linux */
			unlock_page(page);
			put_page(mapping->pmm, page);
			return VM_FAULT_SIGBUS;
		}
	}
	if (index >= file_pages(mapping)) {	/* truncated below it while we read */
		unlock_page(page);
		put_page(mapping->pmm, page);
		return VM_FAULT_SIGBUS;
	}
	mark_page_accessed(mapping->pmm, page);
	vmf->page = page;
	return ret | VM_FAULT_LOCKED;
}

vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	struct vm_area_struct *vma = vmf->vma;
	struct file *file = vma->vm_file;
	struct address_space *mapping = file->f_mapping;
	pgoff_t max_idx = file_pages(mapping), index = start_pgoff;
	struct page *batch[WRITEBACK_BATCH];
	unsigned int n, mapped = 0;
	vm_fault_t ret = 0;

	if (!max_idx)
		return 0;
	if (end_pgoff > max_idx - 1)
		end_pgoff = max_idx - 1;
	while (index <= end_pgoff &&
	       (n = find_get_pages_range(mapping, &index, end_pgoff, WRITEBACK_BATCH, batch,
					 XA_PRESENT))) {
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = batch[i];
			uintptr_t addr;

			if (!PageUptodate(page) || page_test_flag(page, PG_readahead) ||
			    !trylock_page(page)) {
				put_page(mapping->pmm, page);
				continue;
			}
			addr = vma->vm_start + ((page->index - vma->vm_pgoff) << PAGE_SHIFT);
			if (page->mapping == mapping && PageUptodate(page) &&
			    vmf_map_page_readonly(vmf, page, addr)) {
				mapped++;
				if (addr == vmf->address) {	/* the access that faulted: a use */
					mark_page_accessed(mapping->pmm, page);
					ret = VM_FAULT_NOPAGE;
				}
			} else {
				put_page(mapping->pmm, page);
			}
			unlock_page(page);
		}
		if (index == 0)
			break;
	}
	if (file->f_ra.mmap_miss > mapped)
		file->f_ra.mmap_miss -= mapped;
	else
		file->f_ra.mmap_miss = 0;
	return ret;
}

vm_fault_t filemap_page_mkwrite(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	struct address_space *mapping = file->f_mapping;
	struct page *page = vmf->page;
	int err;

	lock_page(page);
	if (page->mapping != mapping || page->index >= file_pages(mapping)) {
		unlock_page(page);
		return VM_FAULT_NOPAGE;		/* truncated: the access faults again */
	}
	if (mapping->a_ops->page_mkwrite) {
		err = mapping->a_ops->page_mkwrite(file, page);
		if (err) {
			unlock_page(page);
			return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		}
	}
	set_page_dirty(page);
	return VM_FAULT_LOCKED;
}

const struct vm_operations_struct generic_file_vm_ops = {
	.fault = filemap_fault,
	.map_pages = filemap_map_pages,
	.page_mkwrite = filemap_page_mkwrite,
};

int generic_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct address_space *mapping = file->f_mapping;

	if (!mapping || !mapping->a_ops || !mapping->a_ops->read_folio)
		return -ENOEXEC;
	vma->vm_ops = &generic_file_vm_ops;
	return 0;
}

void truncate_pagecache(struct inode *inode, loff_t newsize)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t hole = (pgoff_t)DIV_ROUND_UP((u64)newsize, PAGE_SIZE);

	/* unmap first (private copies too), drop the pages, then catch faults that raced in */
	unmap_mapping_pages(mapping, hole, ~0UL);
	truncate_inode_pages(mapping, newsize);
	unmap_mapping_pages(mapping, hole, ~0UL);
}
