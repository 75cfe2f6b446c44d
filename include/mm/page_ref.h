/*
 * Page references and mapcounts for user pages (issue 3). Host-compilable.
 *
 *   refcount  who holds the page: each PTE mapping it, each kernel user
 *             (a fault in progress, get_user_pages). pmm_alloc_pages()
 *             returns a page with refcount 1; put_page() frees it at 0.
 *   mapcount  how many PTEs map it (the rmap-less Linux _mapcount + 1):
 *             a private page with mapcount 1 may be reused in place by
 *             do_wp_page, with more it must be copied.
 *
 * Convention for a page mapped by one PTE: refcount 1, mapcount 1 (the PTE's
 * reference is the allocation's reference). The shared zero page
 * (PG_zero) is never counted: zap_page_range() and friends skip it.
 *
 * Locking: mapcount is changed under mm->page_table_lock of the mm whose PTE
 * changes; refcount is only changed by its holders. Uniprocessor today, so
 * plain increments; atomics come with SMP.
 */
#ifndef MM_PAGE_REF_H
#define MM_PAGE_REF_H

#include <mm/page.h>
#include <mm/pmm.h>
#include <pagoda/printk.h>

static inline void get_page(struct page *page)
{
	if (page->refcount <= 0)
		panic("get_page: page %p has refcount %d", (void *)page,
		      (int)page->refcount);
	page->refcount++;
}

/*
 * Drop one reference to an order-0 page of @pmm; the last one gives the page
 * back to @pmm. Never call it on the zero page or a reserved page.
 */
static inline void put_page(struct pmm *pmm, struct page *page)
{
	if (page->refcount <= 0)
		panic("put_page: page %p has refcount %d", (void *)page,
		      (int)page->refcount);
	if (--page->refcount == 0)
		pmm_free_pages(pmm, page, 0);
}

static inline int page_mapcount(const struct page *page)
{
	return page->mapcount;
}

static inline void page_mapcount_inc(struct page *page)
{
	page->mapcount++;
}

/* Returns the new mapcount; going below 0 is a bug. */
static inline int page_mapcount_dec(struct page *page)
{
	if (page->mapcount <= 0)
		panic("page_mapcount_dec: page %p has mapcount %d", (void *)page,
		      (int)page->mapcount);
	return --page->mapcount;
}

#endif
