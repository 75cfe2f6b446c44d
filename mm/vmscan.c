/*
 * Reclaim of page-cache pages: the LRU lists (include/mm/vmscan.h) and
 * the shrinker a sleeping allocation calls when its pmm runs low
 * (mm/buddy.c, pmm->reclaim). A second-chance scheme in the manner of
 * Linux's two lists: a new page enters the inactive list; used again
 * (mark_page_accessed, or an Accessed bit in a pte mapping it) it is
 * promoted to the active list; reclaim takes pages from the inactive tail,
 * gives referenced ones another round, and refills the inactive list from
 * the active tail when it is the shorter. A page is dropped when it is
 * clean, unlocked, not under writeback and, after unmapping it from every
 * vma through the reverse map, referenced only by the cache.
 * Host-compilable.
 */
#include <mm/vmscan.h>
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <mm/page_ref.h>
#include <mm/writeback.h>
#include <mm/vmstat.h>
#include <pagoda/printk.h>

#define SCAN_BATCH	32

struct reclaim_stats reclaim_stats;

static bool mapping_evictable(const struct address_space *mapping)
{
	return mapping && !(mapping->flags & AS_UNEVICTABLE);
}

/* ---- the lists ---- */

/* Put @page at the head of the list @active says. LRU lock held. */
static void lru_add_locked(struct lruvec *lru, struct page *page, bool active)
{
	page_set_flag(page, PG_lru);
	if (active) {
		page_set_flag(page, PG_active);
		list_add(&page->lru, &lru->active);
		lru->nr_active++;
	} else {
		page_clear_flag(page, PG_active);
		list_add(&page->lru, &lru->inactive);
		lru->nr_inactive++;
	}
}

/* Take @page (PG_lru) off its list. LRU lock held. */
static void lru_del_locked(struct lruvec *lru, struct page *page)
{
	list_del_init(&page->lru);
	if (page_test_flag(page, PG_active))
		lru->nr_active--;
	else
		lru->nr_inactive--;
	page_clear_flag(page, PG_lru);
}

void lru_cache_add(struct pmm *pmm, struct page *page)
{
	unsigned long flags;

	if (!mapping_evictable(page->mapping))
		return;
	spin_lock_irqsave(&pmm->lru.lock, flags);
	lru_add_locked(&pmm->lru, page, false);
	spin_unlock_irqrestore(&pmm->lru.lock, flags);
}

void lru_cache_del(struct pmm *pmm, struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&pmm->lru.lock, flags);
	if (page_test_flag(page, PG_lru))
		lru_del_locked(&pmm->lru, page);
	spin_unlock_irqrestore(&pmm->lru.lock, flags);
}

void mark_page_accessed(struct pmm *pmm, struct page *page)
{
	unsigned long flags;

	if (!page_test_and_set_flag(page, PG_referenced) || page_test_flag(page, PG_active))
		return;
	/* inactive, and used before: promote */
	spin_lock_irqsave(&pmm->lru.lock, flags);
	if (page_test_flag(page, PG_lru) && !page_test_flag(page, PG_active)) {
		lru_del_locked(&pmm->lru, page);
		lru_add_locked(&pmm->lru, page, true);
		page_clear_flag(page, PG_referenced);
		vm_events.pgactivate++;
	}
	spin_unlock_irqrestore(&pmm->lru.lock, flags);
}

/* ---- scanning ---- */

/*
 * Take up to @n pages off the tail of @list (the caller holds a reference
 * on each, PG_lru cleared), into @out. Returns how many.
 */
static unsigned int isolate_tail(struct pmm *pmm, bool active, struct page **out, unsigned int n)
{
	struct lruvec *lru = &pmm->lru;
	struct list_head *list = active ? &lru->active : &lru->inactive;
	unsigned long flags;
	unsigned int got = 0;

	spin_lock_irqsave(&lru->lock, flags);
	while (got < n && !list_empty(list)) {
		struct page *page = list_entry(list->prev, struct page, lru);

		lru_del_locked(lru, page);
		get_page(page);
		out[got++] = page;
	}
	spin_unlock_irqrestore(&lru->lock, flags);
	return got;
}

/* Give an isolated @page back to a list head, unless it left its cache meanwhile. */
static void putback(struct pmm *pmm, struct page *page, bool active)
{
	unsigned long flags;

	spin_lock_irqsave(&pmm->lru.lock, flags);
	if (page->mapping && !page_test_flag(page, PG_lru))
		lru_add_locked(&pmm->lru, page, active);
	spin_unlock_irqrestore(&pmm->lru.lock, flags);
	put_page(pmm, page);
}

/* Move up to @n pages from the active tail to the inactive head, their marks cleared. */
static void deactivate_some(struct pmm *pmm, unsigned int n)
{
	struct page *batch[SCAN_BATCH];
	unsigned int got = isolate_tail(pmm, true, batch, MIN(n, SCAN_BATCH));

	vm_events.pgrefill += got;
	vm_events.pgdeactivate += got;
	for (unsigned int i = 0; i < got; i++) {
		page_clear_flag(batch[i], PG_referenced);
		putback(pmm, batch[i], false);
	}
}

enum verdict { KEEP, ACTIVATE, FREE };

/*
 * What becomes of the isolated inactive @page (locked)? Unmaps it when it
 * may go; FREE means it was dropped from its cache (the caller's reference
 * is then the last).
 */
static enum verdict shrink_one(struct page *page)
{
	bool referenced = page_test_and_clear_flag(page, PG_referenced);
	unsigned int young = page_referenced(page);

	if (!page->mapping)			/* truncated while isolated */
		return KEEP;
	if (young || (referenced && page_mapcount(page)))
		return ACTIVATE;		/* in use through a mapping */
	if (referenced)
		return KEEP;			/* one more round on the inactive list */
	if (page_test_flag(page, PG_dirty) || page_test_flag(page, PG_writeback))
		return KEEP;			/* writeback first */
	if (page_mapcount(page) && !try_to_unmap_page(page))
		return KEEP;
	if (page_test_flag(page, PG_dirty))	/* a pte held a store */
		return KEEP;
	if (page->refcount != 2)		/* the cache's and ours: nobody else */
		return KEEP;
	delete_from_page_cache(page);
	return FREE;
}

/* Refill the inactive list from the active tail until it is no shorter. */
static void balance_lists(struct pmm *pmm)
{
	while (pmm->lru.nr_inactive < pmm->lru.nr_active)
		deactivate_some(pmm, (unsigned int)MIN((pmm->lru.nr_active - pmm->lru.nr_inactive + 1) / 2,
						      (unsigned long)SCAN_BATCH));
}

/* What a pass left behind that writeback will make reclaimable. */
struct busy_pages {
	struct page *writeback;		/* one page under writeback, referenced; or NULL */
	bool dirty;			/* some page was dirty */
};

static void note_busy(struct busy_pages *busy, struct page *page)
{
	if (page_test_flag(page, PG_writeback)) {
		if (!busy->writeback) {
			get_page(page);
			busy->writeback = page;
		}
	} else if (page_test_flag(page, PG_dirty)) {
		busy->dirty = true;
	}
}

/*
 * One pass over the inactive list: free up to @nr pages; note in @busy
 * what was kept only because it is dirty or under writeback.
 */
static unsigned long shrink_inactive(struct pmm *pmm, unsigned long nr, struct busy_pages *busy)
{
	unsigned long freed = 0, scanned = 0, budget;
	struct page *batch[SCAN_BATCH];

	reclaim_stats.runs++;
	balance_lists(pmm);
	/* each inactive page looked at once a call: one used meanwhile survives the call */
	budget = pmm->lru.nr_inactive;
	while (freed < nr && scanned < budget) {
		unsigned int got = isolate_tail(pmm, false, batch,
						(unsigned int)MIN(budget - scanned, (unsigned long)SCAN_BATCH));

		if (!got)
			break;
		scanned += got;
		for (unsigned int i = 0; i < got; i++) {
			struct page *page = batch[i];
			enum verdict v = KEEP;

			/*
			 * A locked page is not waited for: its owner may be this
			 * very task, allocating in the middle of its writepage.
			 */
			if (trylock_page(page)) {
				v = shrink_one(page);
				if (v != FREE)
					note_busy(busy, page);
				unlock_page(page);
			}
			if (v == FREE) {
				put_page(pmm, page);	/* the last reference: back to the pmm */
				freed++;
			} else {
				if (v == ACTIVATE)
					vm_events.pgactivate++;
				putback(pmm, page, v == ACTIVATE);
			}
		}
	}
	reclaim_stats.scanned += scanned;
	reclaim_stats.freed += freed;
	return freed;
}

#define RECLAIM_THROTTLE_WAITS	16	/* writeback waits before reclaim gives up */

/*
 * Nothing could be freed but some pages wait for writeback: wake the
 * flusher and wait for one page's write to end (or, when none is under
 * way yet, a moment for the flusher to start), as Linux's direct reclaim
 * throttles on writeback instead of failing. Drops busy's reference.
 * Returns whether there was anything to wait for. The page waited for was
 * unlocked when seen, so its write was already submitted (writepage
 * unlocks after submitting): it ends without this task, whatever locks
 * the allocating caller holds.
 */
static bool reclaim_throttle(struct pmm *pmm, struct busy_pages *busy)
{
	struct page *page = busy->writeback;

	if (!page && !busy->dirty)
		return false;
	wakeup_flusher();
	reclaim_stats.throttled++;
	if (page) {
		wait_on_page_writeback(page);
		put_page(pmm, page);
	} else {
		writeback_pause();
	}
	return true;
}

unsigned long shrink_page_cache(struct pmm *pmm, unsigned long nr, gfp_t gfp)
{
	unsigned long freed = 0;

	if (!(gfp & __GFP_RECLAIM))
		return 0;
	for (unsigned int waits = 0; ; waits++) {
		struct busy_pages busy = { NULL, false };

		freed = shrink_inactive(pmm, nr, &busy);
		if (freed || waits == RECLAIM_THROTTLE_WAITS) {
			if (busy.writeback)
				put_page(pmm, busy.writeback);
			break;
		}
		if (!reclaim_throttle(pmm, &busy))
			break;
	}
	return freed;
}

void show_mem(struct pmm *pmm)
{
	printk("Mem: %lu of %lu pages free; lru %lu active, %lu inactive; cache %lu, dirty %lu, "
	       "writeback %lu; reclaim %lu runs, %lu scanned, %lu freed, %lu waits\n",
	       pmm->nr_free, pmm->nr_managed, pmm->lru.nr_active, pmm->lru.nr_inactive,
	       page_cache_stats.nr_file_pages, page_cache_stats.nr_dirty,
	       page_cache_stats.nr_writeback, reclaim_stats.runs, reclaim_stats.scanned,
	       reclaim_stats.freed, reclaim_stats.throttled);
}

/*
 * drop_caches's test: @page (locked, isolated) may go if it is in a cache,
 * clean, not under writeback, mapped by no pte and used by nobody but the
 * cache and the caller (Linux's invalidate_mapping_pages leaves the rest).
 */
static bool droppable(const struct page *page)
{
	return page->mapping && !page_test_flag(page, PG_dirty) &&
	       !page_test_flag(page, PG_writeback) && !page_mapcount(page) && page->refcount == 2;
}

unsigned long drop_pagecache(struct pmm *pmm)
{
	unsigned long dropped = 0;
	struct page *batch[SCAN_BATCH];

	for (int active = 0; active < 2; active++) {
		/* each page on the list now looked at once: kept ones go back to the head */
		unsigned long budget = active ? pmm->lru.nr_active : pmm->lru.nr_inactive;

		while (budget) {
			unsigned int got = isolate_tail(pmm, active, batch,
							(unsigned int)MIN(budget, (unsigned long)SCAN_BATCH));

			if (!got)
				break;
			budget -= got;
			for (unsigned int i = 0; i < got; i++) {
				struct page *page = batch[i];
				bool drop = false;

				if (trylock_page(page)) {
					drop = droppable(page);
					if (drop)
						delete_from_page_cache(page);
					unlock_page(page);
				}
				if (drop) {
					put_page(pmm, page);
					dropped++;
				} else {
					putback(pmm, page, active);
				}
			}
		}
	}
	return dropped;
}

void pmm_enable_reclaim(struct pmm *pmm)
{
	pmm->watermark_low = MAX(64UL, pmm->nr_managed / 256);
	pmm->reclaim = shrink_page_cache;
}

#ifndef HOST_TEST
#include <pagoda/init.h>

/* The kernel's page cache comes from kernel_pmm: let its allocations reclaim. */
static int vmscan_init(void)
{
	pmm_enable_reclaim(&kernel_pmm);
	return 0;
}
subsys_initcall(vmscan_init);
#endif
