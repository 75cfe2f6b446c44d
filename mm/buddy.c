/*
 * Binary buddy allocator over a struct page array (include/mm/pmm.h).
 *
 * A free block of 2^order pages is described by its head page only: PG_buddy
 * set, ->order = order, ->lru on free_area[order].free_list. Every other page
 * of a free block is "clean": no flags, refcount 0. Blocks are aligned in
 * absolute pfn terms (a block of order o starts at a pfn that is a multiple of
 * 2^o), so the buddy of the block at pfn is simply pfn ^ (1 << o), whatever
 * pmm->base_pfn is. A buddy whose pfn lies outside the span is never free.
 *
 * An allocated block: the head has PG_head, ->order and refcount 1; the other
 * pages stay clean. Reserved pages (PG_reserved) never enter the free lists.
 *
 * Lock: pmm->lock protects free_area[], nr_free, nr_managed and the buddy
 * fields of every page (PG_buddy, PG_head, order, lru while free). Functions
 * ending in _locked expect it held. It is a leaf lock: nothing is called
 * with it held except panic().
 */
#include <mm/pmm.h>
#include <pagoda/sched.h>
#include <mm/arch.h>
#include <pagoda/compiler.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>

/* page.h promises 64 bytes per page frame. */
BUILD_BUG_ON(sizeof(struct page) != 64);

struct pmm kernel_pmm;

static void assert_locked(struct pmm *pmm)
{
	BUG_ON(!spin_is_locked(&pmm->lock));
}

static struct page *pfn_page(struct pmm *pmm, pfn_t pfn)
{
	return pmm_pfn_to_page(pmm, pfn);
}

/* Put the clean head @p on the free list of @order. Caller holds the lock. */
static void free_area_add_locked(struct pmm *pmm, struct page *p,
				 unsigned int order)
{
	assert_locked(pmm);
	page_set_flag(p, PG_buddy);
	p->order = order;
	list_add(&p->lru, &pmm->free_area[order].free_list);
	pmm->free_area[order].nr_free++;
}

/* Take the free head @p off its list; it becomes a clean page. Lock held. */
static void free_area_del_locked(struct pmm *pmm, struct page *p,
				 unsigned int order)
{
	assert_locked(pmm);
	list_del(&p->lru);
	page_clear_flag(p, PG_buddy);
	p->order = 0;
	pmm->free_area[order].nr_free--;
}

static bool is_free_head(const struct page *p, unsigned int order)
{
	return page_test_flag(p, PG_buddy) && p->order == order;
}

/*
 * Insert the block of 2^order clean pages at @pfn into the free lists,
 * merging it with its buddy as long as the buddy is a free block of the same
 * order, and account its pages in nr_free. Lock held on entry and exit.
 */
static void __free_block_locked(struct pmm *pmm, pfn_t pfn, unsigned int order)
{
	assert_locked(pmm);
	pmm->nr_free += 1UL << order;
	while (order < MAX_ORDER - 1) {
		pfn_t buddy = pfn ^ (1UL << order);
		struct page *bp;

		if (!pmm_has_pfn(pmm, buddy))
			break;
		bp = pfn_page(pmm, buddy);
		if (!is_free_head(bp, order))
			break;
		free_area_del_locked(pmm, bp, order);
		pfn &= ~(pfn_t)(1UL << order);
		order++;
	}
	free_area_add_locked(pmm, pfn_page(pmm, pfn), order);
}

/*
 * Remove a block of exactly 2^order pages from the free lists, splitting the
 * smallest larger block if needed (the upper halves go back on the lists).
 * Returns its head, now clean, or NULL. Lock held on entry and exit.
 */
static struct page *__alloc_block_locked(struct pmm *pmm, unsigned int order)
{
	unsigned int o = order;
	struct page *p;
	pfn_t pfn;

	assert_locked(pmm);
	while (o < MAX_ORDER && list_empty(&pmm->free_area[o].free_list))
		o++;
	if (o == MAX_ORDER)
		return NULL;
	p = list_first_entry(&pmm->free_area[o].free_list, struct page, lru);
	free_area_del_locked(pmm, p, o);
	pfn = pmm_page_to_pfn(pmm, p);
	while (o > order) {
		o--;
		free_area_add_locked(pmm, pfn_page(pmm, pfn + (1UL << o)), o);
	}
	pmm->nr_free -= 1UL << order;
	pmm->pgalloc += 1UL << order;
	return p;
}

/* Give a freshly allocated head its owner-visible state. */
static void prep_new_head(struct page *p, unsigned int order)
{
	p->flags = 1UL << PG_head;
	p->order = order;
	p->refcount = 1;
	p->mapcount = 0;
	p->inuse = 0;
	p->mapping = NULL;
	p->index = 0;
	p->private = 0;
	p->lru.next = p->lru.prev = NULL;	/* slab_cache, freelist too */
}

void pmm_init(struct pmm *pmm, struct page *pages, pfn_t base_pfn,
	      unsigned long nr_pages)
{
	unsigned int o;

	memset(pages, 0, nr_pages * sizeof(*pages));
	for (unsigned long i = 0; i < nr_pages; i++)
		page_set_flag(&pages[i], PG_reserved);
	spin_lock_init(&pmm->lock);
	pmm->pages = pages;
	pmm->base_pfn = base_pfn;
	pmm->nr_pages = nr_pages;
	pmm->nr_managed = 0;
	pmm->nr_free = 0;
	pmm->nr_bad = 0;
	spin_lock_init(&pmm->lru.lock);
	list_init(&pmm->lru.inactive);
	list_init(&pmm->lru.active);
	pmm->lru.nr_inactive = pmm->lru.nr_active = 0;
	pmm->reclaim = NULL;
	pmm->watermark_low = 0;
	for (o = 0; o < MAX_ORDER; o++) {
		list_init(&pmm->free_area[o].free_list);
		pmm->free_area[o].nr_free = 0;
	}
}

/* Largest order whose block starts aligned at @pfn and fits in @left pages. */
static unsigned int carve_order(pfn_t pfn, unsigned long left)
{
	unsigned int o = MAX_ORDER - 1;

	if (pfn != 0)
		o = MIN(o, (unsigned int)__builtin_ctzll(pfn));
	while ((1UL << o) > left)
		o--;
	return o;
}

/*
 * Clear PG_reserved on [start, start + count). A page that is not reserved
 * is already managed: adding it twice would corrupt the lists (panic).
 */
static void unreserve_range_locked(struct pmm *pmm, pfn_t start,
				   unsigned long count)
{
	assert_locked(pmm);
	for (unsigned long i = 0; i < count; i++) {
		struct page *p = pfn_page(pmm, start + i);

		if (!page_test_flag(p, PG_reserved))
			panic("pmm_add_free_range: pfn %#lx already managed",
			      (unsigned long)(start + i));
		page_clear_flag(p, PG_reserved);
	}
}

/*
 * Carve [start, start + count) into maximal naturally aligned blocks (at
 * most MAX_ORDER - 1) and free each one, so they merge with free neighbours
 * from earlier ranges. Takes and releases pmm->lock.
 */
void pmm_add_free_range(struct pmm *pmm, pfn_t start, unsigned long count)
{
	unsigned long irqflags;
	pfn_t pfn = start, end = start + count;

	if (count == 0)
		return;
	if (!pmm_has_pfn(pmm, start) ||
	    count > pmm->nr_pages - (start - pmm->base_pfn))
		panic("pmm_add_free_range: pfns [%#lx, %#lx) outside the span",
		      (unsigned long)start, (unsigned long)end);
	spin_lock_irqsave(&pmm->lock, irqflags);
	unreserve_range_locked(pmm, start, count);
	while (pfn < end) {
		unsigned int o = carve_order(pfn, end - pfn);

		__free_block_locked(pmm, pfn, o);
		pfn += 1UL << o;
	}
	pmm->nr_managed += count;
	spin_unlock_irqrestore(&pmm->lock, irqflags);
}

/* Take a block of @order off the free lists, or NULL. Takes pmm->lock. */
static struct page *alloc_block(struct pmm *pmm, unsigned int order)
{
	unsigned long irqflags;
	struct page *p;

	spin_lock_irqsave(&pmm->lock, irqflags);
	p = __alloc_block_locked(pmm, order);
	if (p)
		prep_new_head(p, order);
	spin_unlock_irqrestore(&pmm->lock, irqflags);
	return p;
}

#define RECLAIM_BATCH		32	/* pages a low watermark asks reclaim for */
#define RECLAIM_RETRIES		4	/* reclaim passes before a sleeping allocation fails */

/*
 * Takes pmm->lock for the list work only; __GFP_ZERO clears the block after
 * the lock is dropped (the block is ours by then). Returns NULL for an
 * order >= MAX_ORDER as for exhaustion. With __GFP_RECLAIM the caller must
 * be able to sleep (might_sleep()): when free memory is below the low
 * watermark, or the allocation fails, page-cache pages are reclaimed first
 * (pmm->reclaim), a few passes at most; without it, it never reclaims.
 */
struct page *pmm_alloc_pages(struct pmm *pmm, unsigned int order, gfp_t gfp)
{
	bool may_reclaim = (gfp & __GFP_RECLAIM) && pmm->reclaim;
	struct page *p;

	if (gfp & __GFP_RECLAIM)
		might_sleep();
	if (order >= MAX_ORDER)
		return NULL;
	if (may_reclaim && READ_ONCE(pmm->nr_free) < pmm->watermark_low + (1UL << order))
		pmm->reclaim(pmm, RECLAIM_BATCH, gfp);
	p = alloc_block(pmm, order);
	for (unsigned int i = 0; !p && may_reclaim && i < RECLAIM_RETRIES; i++) {
		if (!pmm->reclaim(pmm, MAX(1UL << order, RECLAIM_BATCH), gfp))
			break;
		p = alloc_block(pmm, order);
	}
	if (p && (gfp & __GFP_ZERO))
		memset(phys_to_virt(PFN_PHYS(pmm_page_to_pfn(pmm, p))), 0,
		       PAGE_SIZE << order);
	return p;
}

/*
 * Panic unless @p heads an allocated block of @order that the caller may
 * free: in this pmm, not reserved, not already free, PG_head with the same
 * order, and at most the caller's own reference left (refcount 0 or 1).
 * Lock held, so PG_buddy/PG_head cannot change under the check.
 */
static void check_free_locked(struct pmm *pmm, struct page *p,
			      unsigned int order)
{
	unsigned long pfn;

	assert_locked(pmm);
	if (p < pmm->pages || p >= pmm->pages + pmm->nr_pages)
		panic("pmm_free_pages: page %p not in this pmm", (void *)p);
	pfn = (unsigned long)pmm_page_to_pfn(pmm, p);
	if (page_test_flag(p, PG_reserved))
		panic("pmm_free_pages: pfn %#lx is reserved", pfn);
	if (page_test_flag(p, PG_buddy) || !page_test_flag(p, PG_head))
		panic("pmm_free_pages: pfn %#lx double free or not a block head",
		      pfn);
	if (order >= MAX_ORDER || p->order != order)
		panic("pmm_free_pages: pfn %#lx freed with order %u, allocated with %u",
		      pfn, order, p->order);
	if (p->refcount < 0 || p->refcount > 1)
		panic("pmm_free_pages: pfn %#lx still has refcount %d", pfn,
		      (int)p->refcount);
}

/*
 * Why a page its owner is freeing may still be in use, or NULL: still
 * mapped by a pte, still in an object's mapping, still a page table or a
 * slab (freed behind its allocator's back), still locked for I/O.
 * Linux's free_page_is_bad().
 */
static const char *page_bad_reason(const struct page *p)
{
	if (p->mapcount != 0)
		return "nonzero mapcount";
	if (p->mapping)
		return "non-NULL mapping";
	if (page_test_flag(p, PG_pgtable))
		return "still a page table (PG_pgtable)";
	if (page_test_flag(p, PG_slab))
		return "still a slab (PG_slab)";
	if (page_test_flag(p, PG_locked))
		return "still locked (PG_locked)";
	if (page_test_flag(p, PG_lru))
		return "still on an LRU list (PG_lru)";
	if (page_test_flag(p, PG_writeback))
		return "still under writeback (PG_writeback)";
	return NULL;
}

/*
 * Report a page freed while still in use, as Linux's bad_page(), and keep
 * it out of the free lists: whoever still maps or holds it goes on using
 * a page nobody else will be given. It is leaked for good and counted in
 * pmm->nr_bad.
 */
static void bad_page(struct pmm *pmm, struct page *p, const char *reason)
{
	printk("BUG: Bad page state: pfn:%#lx\n", (unsigned long)pmm_page_to_pfn(pmm, p));
	printk("page:%p refcount:%d mapcount:%d mapping:%p index:%#lx flags:%#lx\n", (void *)p,
	       (int)p->refcount, (int)p->mapcount, (void *)p->mapping, p->index, p->flags);
	printk("page dumped because: %s\n", reason);
	pmm->nr_bad++;
}

/*
 * Return the block to the allocator. The head's owner state (flags,
 * mapping, index, private, mapcount, inuse) is wiped; tail pages are
 * expected clean, as the allocator handed them out. A head still in use
 * (page_bad_reason) is reported and leaked instead. Takes pmm->lock.
 */
void pmm_free_pages(struct pmm *pmm, struct page *page, unsigned int order)
{
	const char *bad = page_bad_reason(page);
	unsigned long irqflags;

	if (bad) {
		bad_page(pmm, page, bad);
		return;
	}
	spin_lock_irqsave(&pmm->lock, irqflags);
	check_free_locked(pmm, page, order);
	page->flags = 0;
	page->refcount = 0;
	page->mapcount = 0;
	page->inuse = 0;
	page->mapping = NULL;
	page->index = 0;
	page->private = 0;
	__free_block_locked(pmm, pmm_page_to_pfn(pmm, page), order);
	pmm->pgfree += 1UL << order;
	spin_unlock_irqrestore(&pmm->lock, irqflags);
}

/* A snapshot; it may be stale by the time the caller looks at it. */
unsigned long pmm_nr_free(struct pmm *pmm)
{
	return READ_ONCE(pmm->nr_free);
}
