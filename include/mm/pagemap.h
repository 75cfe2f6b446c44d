/*
 * The page cache (mm/filemap.c, mm/readahead.c, mm/page-writeback.c):
 * each file's pages, indexed by page offset in its address_space, read
 * from and written back to the file's backing store through the
 * address_space_operations of its file system. docs/page-cache.md.
 * Host-compilable.
 *
 * A page in the cache:
 *   page->mapping  its address_space; page->index its page offset there;
 *   refcount       one for the cache, one for each pte mapping it, one
 *                  for each task holding it (find_get_page() and friends
 *                  return it referenced: put_page() when done);
 *   PG_locked      held by one task at a time (lock_page(), sleeping):
 *                  while a read fills it, while it is added to or removed
 *                  from the cache, while it is written back;
 *   PG_uptodate    its contents are the file's; never cleared while cached
 *                  except by a failed read (then PG_error);
 *   PG_dirty       newer than the backing store (set_page_dirty());
 *                  tagged PAGECACHE_TAG_DIRTY in i_pages;
 *   PG_writeback   a write of it to the backing store is in flight
 *                  (PAGECACHE_TAG_WRITEBACK); it stays uptodate and
 *                  readable, and a new store may dirty it again;
 *   PG_readahead   the asynchronous readahead marker;
 *   PG_referenced  looked up since reclaim last aged it.
 *
 * Lock order (docs/lock-order.md): inode->i_rwsem -> mm->mmap_lock ->
 * page lock -> mapping->i_mmap_rwsem -> mm->page_table_lock ->
 * mapping->i_pages_lock. The page lock is a sleeping bit lock; the
 * i_pages lock a spinlock, irqsave (writeback completions in interrupt
 * handlers clear the writeback tag). A task never holds two page locks
 * unless they are of one mapping in increasing index order.
 */
#ifndef MM_PAGEMAP_H
#define MM_PAGEMAP_H

#include <pagoda/types.h>
#include <pagoda/xarray.h>
#include <pagoda/spinlock.h>
#include <pagoda/rwsem.h>
#include <mm/page.h>
#include <mm/fault.h>

struct inode;
struct file;
struct pmm;
struct vm_fault;
struct address_space;

typedef unsigned long pgoff_t;
typedef s64 loff_t;

/* The i_pages marks. */
#define PAGECACHE_TAG_DIRTY	XA_MARK_0
#define PAGECACHE_TAG_WRITEBACK	XA_MARK_1
#define PAGECACHE_TAG_TOWRITE	XA_MARK_2

/* What a writeback pass is for (struct writeback_control). */
enum writeback_sync_modes {
	WB_SYNC_NONE,		/* background: skip pages that are busy */
	WB_SYNC_ALL,		/* fsync, sync: wait for every page */
};

/*
 * Pages a ->writepage kept back to write together with the next ones of
 * the pass (fs/mpage.c: one bio for pages on consecutive blocks). They are
 * locked and under writeback until ->flush submits them and unlocks them.
 * Whoever runs a pass calls wbc_flush() before it waits for anything and
 * when the pass ends.
 */
struct wb_batch {
	void (*flush)(struct wb_batch *batch);	/* submit, unlock, free the batch */
};

struct writeback_control {
	long nr_to_write;	/* pages still to write; the pass stops at 0 */
	loff_t range_start;	/* bytes, inclusive */
	loff_t range_end;	/* bytes, inclusive; LLONG_MAX: to the end */
	enum writeback_sync_modes sync_mode;
	unsigned int for_reclaim:1;	/* reclaim asked: one page, do not wait */
	struct wb_batch *batch;	/* a ->writepage's pages not yet submitted, or NULL */
};

/* Submit what the pass's ->writepage calls kept back (see struct wb_batch). */
static inline void wbc_flush(struct writeback_control *wbc)
{
	struct wb_batch *batch = wbc->batch;

	if (batch) {
		wbc->batch = NULL;
		batch->flush(batch);
	}
}

/* A batch of consecutive pages read ahead: ->readahead fills and unlocks them. */
struct readahead_control {
	struct file *file;		/* may be NULL (a block device's own reads) */
	struct address_space *mapping;
	pgoff_t index;			/* first page */
	unsigned int nr_pages;		/* pages in the batch */
	struct page **pages;		/* locked, in the cache, not uptodate */
};

/*
 * What a file system supplies. Completion contract, as Linux's: the page
 * given to a read is locked, in the cache and not uptodate; whoever ends
 * the read (now, or an I/O completion in an interrupt handler) calls
 * page_read_done(page, err), which sets PG_uptodate or PG_error and
 * unlocks it. A write gets a locked page whose dirty bit was moved to
 * PG_writeback (page_start_writeback()); it unlocks the page when the I/O
 * is submitted and calls page_end_writeback(page, err) when it ends.
 */
struct address_space_operations {
	/* Read one page. 0 (the read is under way or done) or -errno (page unlocked). */
	int (*read_folio)(struct file *file, struct page *page);
	/* Read a batch; optional (read_folio per page otherwise). */
	void (*readahead)(struct readahead_control *rac);
	/* Write one page back. 0 or -errno (the error is recorded in the mapping). */
	int (*writepage)(struct page *page, struct writeback_control *wbc);
	/*
	 * The write path: make the locked page at @pos's index ready to take
	 * @len bytes at @pos (allocate blocks, read what the write does not
	 * cover), then account them. Optional: without them a write fills
	 * the page and marks it dirty (ramfs).
	 */
	int (*write_begin)(struct file *file, struct address_space *mapping, loff_t pos,
			   unsigned int len, struct page *page);
	int (*write_end)(struct file *file, struct address_space *mapping, loff_t pos,
			 unsigned int len, unsigned int copied, struct page *page);
	/* Map the page's blocks for a store through a shared mapping (page_mkwrite). 0, -ENOSPC... */
	int (*page_mkwrite)(struct file *file, struct page *page);
	/* The page leaves the cache (truncate, reclaim): drop private state. Optional. */
	void (*invalidate_folio)(struct page *page, size_t offset, size_t len);
	/*
	 * Optional: set_page_dirty() of a page of this mapping (Linux's
	 * ->dirty_folio). ramfs's does nothing: with no backing store its
	 * pages are never dirty and never on the writeback lists. Returns
	 * true if the page went from clean to dirty. NULL: PG_dirty, the
	 * dirty tag and mapping_note_dirty().
	 */
	bool (*dirty_folio)(struct address_space *mapping, struct page *page);
};

struct address_space {
	struct inode *host;		/* owner (NULL: a test's bare mapping) */
	struct xarray i_pages;		/* pgoff -> struct page (i_pages_lock) */
	spinlock_t i_pages_lock;
	unsigned long nrpages;		/* pages cached (i_pages_lock) */
	const struct address_space_operations *a_ops;
	struct pmm *pmm;		/* where its pages come from */
	/* the VMAs mapping it, for truncate and writeback (reverse map, i_mmap_rwsem) */
	struct rw_semaphore i_mmap_rwsem;
	struct list_head i_mmap;	/* vm_area_struct.shared (an interval tree later) */
	/*
	 * Writeback errors: a sequence, bumped with the error by
	 * mapping_set_error(); each file samples it at open and reports an
	 * error seen after its sample once, at its next fsync (Linux's errseq).
	 */
	u32 wb_err;
	int wb_errno;
	bool wb_err_seen;		/* some file's check has reported the latest error */
	unsigned long flags;		/* AS_* */
	/* on the dirty list (mm/page-writeback.c) since dirtied_when (ns) */
	struct list_head dirty_link;
	u64 dirtied_when;
};

#define AS_UNEVICTABLE	0x1	/* ramfs and tmpfs: no backing store, never reclaimed */
#define AS_SHMEM	0x2	/* tmpfs: counted in Shmem (/proc/meminfo) */

/* Counters over every mapping (/proc/meminfo, /proc/vmstat); i_pages_lock or page owner. */
struct page_cache_stats {
	unsigned long nr_file_pages;	/* pages in some page cache (Cached) */
	unsigned long nr_dirty;		/* of those, PG_dirty (Dirty, nr_dirty) */
	unsigned long nr_writeback;	/* of those, PG_writeback (Writeback) */
	unsigned long pgpgin;		/* pages read (pgpgin counts KiB: x4) */
	unsigned long pgpgout;		/* pages written back */
	unsigned long pgmajfault;	/* file faults that missed the cache */
	unsigned long ra_pages;		/* pages submitted by readahead */
	unsigned long throttled;	/* writers made to write back (balance_dirty_pages) */
	unsigned long nr_dirtied;	/* pages ever dirtied (vmstat nr_dirtied) */
	unsigned long nr_written;	/* pages whose writeback ended (vmstat nr_written) */
};

extern struct page_cache_stats page_cache_stats;

/* An empty mapping of @host's pages from @pmm, read and written with @a_ops. */
void address_space_init(struct address_space *mapping, struct inode *host,
			const struct address_space_operations *a_ops, struct pmm *pmm);

/* ---- the page lock ---- */

/*
 * Sleep until @page is unlocked, then lock it. Takes the page lock:
 * never with a spinlock held. lock_page_killable(): 0, or -EINTR on a
 * fatal signal. trylock_page(): true if it took the lock.
 */
void lock_page(struct page *page);
int lock_page_killable(struct page *page);
bool trylock_page(struct page *page);
/* Unlock and wake the tasks waiting for it. Any context. */
void unlock_page(struct page *page);
/* Sleep until @page is unlocked (its read ended). Killable variant: 0 or -EINTR. */
void wait_on_page_locked(struct page *page);
int wait_on_page_locked_killable(struct page *page);
/* Sleep until @page is not under writeback. */
void wait_on_page_writeback(struct page *page);
/* Wake the tasks waiting for a bit of @page (after PG_writeback is cleared). Any context. */
void page_wake_waiters(struct page *page);

static inline bool PageLocked(const struct page *page)
{
	return page_test_flag(page, PG_locked);
}

static inline bool PageUptodate(const struct page *page)
{
	return page_test_flag(page, PG_uptodate);
}

/* ---- looking up and adding ---- */

/* pagecache_get_page() flags */
#define FGP_LOCK	0x01	/* return it locked */
#define FGP_CREAT	0x02	/* add a new (not uptodate) page if absent */
#define FGP_NOWAIT	0x04	/* with FGP_LOCK: trylock only, NULL if busy */
#define FGP_ACCESSED	0x08	/* mark it referenced */

/*
 * The page at @index of @mapping, referenced (and locked with FGP_LOCK,
 * then still in @mapping at @index); with FGP_CREAT a new page from
 * mapping->pmm with @gfp is added if there is none (locked, not uptodate,
 * zeroed only with __GFP_ZERO). NULL if absent (without FGP_CREAT), busy
 * (FGP_NOWAIT) or out of memory.
 */
struct page *pagecache_get_page(struct address_space *mapping, pgoff_t index,
				unsigned int fgp_flags, gfp_t gfp);

static inline struct page *find_get_page(struct address_space *mapping, pgoff_t index)
{
	return pagecache_get_page(mapping, index, 0, 0);
}

static inline struct page *find_lock_page(struct address_space *mapping, pgoff_t index)
{
	return pagecache_get_page(mapping, index, FGP_LOCK, 0);
}

/*
 * Add the locked @page at @index: the cache takes its own reference. 0,
 * -EEXIST (another page is there), -ENOMEM. Sleeps with __GFP_RECLAIM in
 * @gfp (index nodes).
 */
int add_to_page_cache(struct page *page, struct address_space *mapping, pgoff_t index, gfp_t gfp);

/*
 * Take the locked @page, which no pte maps, out of its mapping and drop
 * the cache's reference (the caller's stays). Dirty pages are cleaned
 * without writeback: the caller decided their data goes (truncate,
 * invalidate).
 */
void delete_from_page_cache(struct page *page);

/*
 * Up to @nr pages of @mapping at [*@start, @end] present in the cache,
 * referenced, in index order; *@start is left after the last one. With a
 * tag (PAGECACHE_TAG_*) only pages carrying it. Returns how many.
 */
unsigned int find_get_pages_range(struct address_space *mapping, pgoff_t *start, pgoff_t end,
				  unsigned int nr, struct page **pages, xa_mark_t tag);

/* ---- reading ---- */

/* Completion of a read (any context): uptodate or error, then unlock. */
void page_read_done(struct page *page, int err);

/*
 * The uptodate page at @index, referenced and unlocked: from the cache,
 * or read now through a_ops->read_folio (waiting for it). ERR_PTR
 * -EIO if the read failed, -ENOMEM. Sleeps.
 */
struct page *read_mapping_page(struct address_space *mapping, pgoff_t index, struct file *file);

/* ---- dirtying and writeback ---- */

/*
 * Mark @page (in a mapping, or not: anonymous memory ignores it) dirty
 * and tag it in its mapping. True if it was clean. Any context but
 * interrupt handlers.
 */
bool set_page_dirty(struct page *page);
/*
 * For writeback of the locked @page: write-protect and clean the ptes of
 * shared mappings that map it (page_mkclean: a dirty one counts as a
 * store), then clear PG_dirty and its tag. True if the page was dirty.
 * A store after this faults (page_mkwrite) and dirties it again.
 */
bool clear_page_dirty_for_io(struct page *page);
/* Set PG_writeback and its tag (page locked). */
void page_start_writeback(struct page *page);
/* The write of @page ended (any context): record @err in the mapping, clear PG_writeback, wake. */
void page_end_writeback(struct page *page, int err);
/* Record a writeback error: the next fsync of each open file reports it once. */
void mapping_set_error(struct address_space *mapping, int err);
/*
 * The error sequence a file samples at open: now, except that an error
 * no file's check has reported yet stays this opener's to hear (as Linux
 * since 4.16: a write error is never lost for want of an open file).
 */
static inline u32 filemap_sample_wb_err(struct address_space *mapping)
{
	u32 seq = __atomic_load_n(&mapping->wb_err, __ATOMIC_ACQUIRE);

	return seq && !__atomic_load_n(&mapping->wb_err_seen, __ATOMIC_ACQUIRE) ? seq - 1 : seq;
}
/*
 * An error recorded since *@since: its errno (once: *@since moves on to
 * now), else 0. fsync's report, per open file.
 */
int filemap_check_wb_err(struct address_space *mapping, u32 *since);

/*
 * Write back the dirty pages of [start, end] (bytes) and, with
 * WB_SYNC_ALL, wait for them and for writeback already under way. 0 or
 * the first error of this pass.
 */
int filemap_write_and_wait_range(struct address_space *mapping, loff_t start, loff_t end);
int filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end,
			     enum writeback_sync_modes mode);
/* Wait for the writeback of [start, end] under way; 0 or -EIO if a page of it failed. */
int filemap_fdatawait_range(struct address_space *mapping, loff_t start, loff_t end);

/*
 * Drop the pages of [start, end] (page indexes) that nobody uses: clean,
 * not under writeback, not mapped, not locked, referenced by the cache
 * alone (Linux's invalidate_mapping_pages). Returns how many went.
 */
unsigned long invalidate_mapping_pages(struct address_space *mapping, pgoff_t start, pgoff_t end);

/* ---- truncation ---- */

/*
 * Remove the pages wholly inside [lstart, lend] (bytes; lend inclusive,
 * -1: to the end) from @mapping, waiting for their locks and writeback;
 * a page only partly inside keeps its place with the covered bytes
 * zeroed. The caller has unmapped the range from every VMA first (a
 * mapped page here is a bug: delete_from_page_cache panics). Sleeps.
 */
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart, loff_t lend);

static inline void truncate_inode_pages(struct address_space *mapping, loff_t lstart)
{
	truncate_inode_pages_range(mapping, lstart, -1);
}

/*
 * The file @inode now ends at @newsize (already set): unmap every page
 * wholly past it from every VMA (private copies too: an access there is
 * SIGBUS from now on), drop them from the cache, and zero the tail of the
 * page the end falls in. Sleeps.
 */
void truncate_pagecache(struct inode *inode, loff_t newsize);

/* ---- the file fault path (the seed's file boxes) ---- */

/*
 * ->fault of a file mapping: the page at vmf->pgoff from the cache,
 * read (with readahead) if absent or not uptodate; waits for I/O without
 * mmap_lock when the fault may be retried (VM_FAULT_RETRY). Returns it in
 * vmf->page, referenced and locked (VM_FAULT_LOCKED), with VM_FAULT_MAJOR
 * if it had to be read. VM_FAULT_SIGBUS for a page wholly past the end of
 * the file, or a read error; VM_FAULT_OOM.
 */
vm_fault_t filemap_fault(struct vm_fault *vmf);
/*
 * ->map_pages (fault-around): map the uptodate, unlocked, cached pages of
 * [start_pgoff, end_pgoff] around the faulting address that the VMA
 * covers and whose ptes are none, read-only. Never sleeps, never reads.
 * Returns VM_FAULT_NOPAGE if it mapped vmf->address's page.
 */
vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);
/*
 * ->page_mkwrite: the file system maps the page's blocks (a hole gets
 * one: -ENOSPC is SIGBUS), the page is marked dirty. Returns
 * VM_FAULT_LOCKED with the page locked, or VM_FAULT_NOPAGE when it was
 * truncated meanwhile (the fault is retried), VM_FAULT_SIGBUS.
 */
vm_fault_t filemap_page_mkwrite(struct vm_fault *vmf);

/* /proc/sys/vm/fault_around_bytes: 64 KiB by default (16 pages), a power of two pages. */
extern unsigned long fault_around_bytes;

/* ---- readahead (mm/readahead.c) ---- */

#define VM_READAHEAD_PAGES	32	/* 128 KiB: the default maximum window */

/* Per open file (struct file): the current window, as Linux's file_ra_state. */
struct file_ra_state {
	pgoff_t start;			/* first page of the current window */
	unsigned int size;		/* pages in it */
	unsigned int async_size;	/* the marker sits size - async_size pages in */
	unsigned int ra_pages;		/* maximum window */
	unsigned int mmap_miss;		/* mmap faults that missed the cache */
	loff_t prev_pos;		/* last byte read: sequential detection */
};

/* A new open file's readahead: no window yet, the default maximum. */
static inline void file_ra_state_init(struct file_ra_state *ra, struct address_space *mapping)
{
	ra->start = 0;
	ra->size = 0;
	ra->async_size = 0;
	ra->ra_pages = VM_READAHEAD_PAGES;
	ra->mmap_miss = 0;
	ra->prev_pos = -1;
}
/*
 * Start reading the uncached pages of [index, index + nr) (bounded by the
 * file's size and 2 * VM_READAHEAD_PAGES), marking the page @lookahead
 * from the end PG_readahead (none if 0). Never waits for the reads.
 */
void page_cache_ra_unbounded(struct address_space *mapping, struct file *file, pgoff_t index,
			     unsigned long nr, unsigned long lookahead);
/* Submit @rac's locked pages (->readahead, or ->read_folio each) and drop their references. */
void read_pages(struct readahead_control *rac);
/*
 * A read of @req_count pages from @index missed the cache: read a window
 * (synchronously started, not waited for) sized from the access pattern.
 */
void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       struct file *file, pgoff_t index, unsigned long req_count);
/* A read reached the PG_readahead @page at @index: start the next window ahead. */
void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				struct file *file, struct page *page, pgoff_t index,
				unsigned long req_count);

#endif
