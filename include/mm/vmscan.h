/*
 * Reclaim of page-cache pages (mm/vmscan.c): the LRU lists of each pmm
 * (struct lruvec in mm/pmm.h) and the shrinker an allocation calls when
 * memory runs low. Only file pages are reclaimed: anonymous memory has no
 * swap to go to yet (docs/page-cache.md, "Reclaim"). Host-compilable.
 *
 * Lock order: page lock -> i_mmap_rwsem -> page_table_lock -> lru lock;
 * reclaim only ever trylocks a page, so it can run from any allocation
 * that may sleep.
 */
#ifndef MM_VMSCAN_H
#define MM_VMSCAN_H

#include <mm/pmm.h>

struct page;

/* A page just added to a page cache: onto the inactive list (not for unevictable mappings). */
void lru_cache_add(struct pmm *pmm, struct page *page);
/* A page leaving its page cache: off the LRU, if it is on it. */
void lru_cache_del(struct pmm *pmm, struct page *page);
/*
 * A page-cache page was used (a read, a lookup, a fault): an inactive
 * page used twice moves to the active list (Linux's mark_page_accessed).
 */
void mark_page_accessed(struct pmm *pmm, struct page *page);

/*
 * Free at least @nr pages of @pmm by dropping its least recently used
 * clean page-cache pages: unused pages go at once, mapped ones are
 * unmapped through the reverse map first, referenced ones get another
 * round, dirty and locked ones are left (writeback's business). When a
 * pass frees nothing because what is left is dirty or under writeback, it
 * wakes the flusher and waits for writeback (a few times) before the next.
 * Returns how many were freed (0: nothing could be). May sleep
 * (i_mmap_rwsem, page writeback).
 * The pmm_reclaim_t of every pmm whose pages are cached.
 */
unsigned long shrink_page_cache(struct pmm *pmm, unsigned long nr, gfp_t gfp);

/* Let @pmm's sleeping allocations reclaim, keeping ~0.4% of it (at least 64 pages) free. */
void pmm_enable_reclaim(struct pmm *pmm);

/* What reclaim did (/proc/vmstat's pgscan and pgsteal). */
struct reclaim_stats {
	unsigned long runs;		/* shrink_page_cache() calls */
	unsigned long scanned;		/* inactive pages looked at */
	unsigned long freed;		/* pages dropped */
	unsigned long throttled;	/* waits for writeback when nothing could be dropped */
};
extern struct reclaim_stats reclaim_stats;

/*
 * Print one line on the state of @pmm's memory (free, LRU lists, dirty,
 * writeback, what reclaim did), as Linux's show_mem does when an
 * allocation fails for good: the context of an out-of-memory kill.
 */
void show_mem(struct pmm *pmm);

#endif
