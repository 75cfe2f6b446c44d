/*
 * Physical memory manager: a binary buddy allocator over a struct page array.
 * Host-compilable. The kernel keeps one global instance (kernel_pmm, set up by
 * mm/memmap.c from the boot memory map); tests build small private ones over
 * simulated memory (STYLE.md rule 7).
 *
 * Lock: pmm->lock protects free_area[], nr_free and the buddy fields of every
 * struct page it manages (flags PG_buddy, order, lru while free). It is
 * taken with interrupts off: GFP_ATOMIC allocations and frees may come from
 * interrupt handlers.
 */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <pagoda/types.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>
#include <mm/page.h>

#define MAX_ORDER	11	/* orders 0..10: blocks of 4 KiB .. 4 MiB */

/*
 * Allocation flags (gfp = "get free pages", as Linux names them). Whether
 * an allocation may sleep is part of the request: with __GFP_RECLAIM it may
 * (there is no reclaim to wait for yet, but the caller promises a context
 * that can sleep, and might_sleep() checks it); without, it never does and
 * may be made with a spinlock held or from an interrupt handler.
 */
typedef unsigned int gfp_t;
#define __GFP_ZERO	(1u << 0)	/* return zero-filled memory */
#define __GFP_RECLAIM	(1u << 1)	/* may sleep to find memory */
#define GFP_NOWAIT	0u		/* never sleeps */
#define GFP_ATOMIC	GFP_NOWAIT	/* interrupt handlers (no reserves yet) */
#define GFP_KERNEL	__GFP_RECLAIM	/* process context, no lock held */

struct free_area {
	struct list_head free_list;	/* struct page.lru of free block heads */
	unsigned long nr_free;		/* blocks (not pages) on free_list */
};

/*
 * The LRU lists of a pmm's page-cache pages (mm/vmscan.c): new pages go
 * to the head of the inactive list, pages used again move to the active
 * one, reclaim takes from the inactive tail and refills it from the active
 * tail. Lock: lock (irqsave, innermost but pmm->lock).
 */
struct lruvec {
	spinlock_t lock;
	struct list_head inactive;	/* struct page.lru, newest first */
	struct list_head active;
	unsigned long nr_inactive, nr_active;
};

struct pmm;
/*
 * Free at least @nr pages of @pmm by dropping page-cache pages; returns
 * how many were freed. May sleep. Set by mm/vmscan.c (NULL: no reclaim).
 */
typedef unsigned long (*pmm_reclaim_t)(struct pmm *pmm, unsigned long nr, gfp_t gfp);

struct pmm {
	spinlock_t lock;
	struct page *pages;		/* pages[i] describes pfn base_pfn + i */
	pfn_t base_pfn;
	unsigned long nr_pages;		/* span covered by pages[] (holes included) */
	unsigned long nr_managed;	/* pages ever given to the allocator */
	unsigned long nr_free;		/* pages currently free */
	unsigned long nr_bad;		/* blocks freed while still in use: reported, leaked */
	unsigned long pgalloc, pgfree;	/* pages ever allocated / freed (vmstat; lock) */
	struct lruvec lru;		/* its page-cache pages, for reclaim */
	pmm_reclaim_t reclaim;		/* NULL: allocations never reclaim */
	/* a sleeping allocation reclaims first when fewer pages than this are free */
	unsigned long watermark_low;
	struct free_area free_area[MAX_ORDER];
};

/*
 * Set up @pmm over pfns [base_pfn, base_pfn + nr_pages) with @pages as its
 * struct page array (nr_pages entries, zeroed here). Every page starts
 * PG_reserved; pmm_add_free_range() hands usable memory to the allocator.
 */
void pmm_init(struct pmm *pmm, struct page *pages, pfn_t base_pfn,
	      unsigned long nr_pages);

/*
 * Give the reserved pfns [start, start + count) to the allocator, merging with
 * free neighbours. Pfns outside the span are a bug (panic).
 */
void pmm_add_free_range(struct pmm *pmm, pfn_t start, unsigned long count);

/*
 * Allocate 2^order contiguous pages, aligned to their size. Returns the head
 * struct page with refcount 1, or NULL when no block is large enough.
 * With __GFP_ZERO the memory is zero-filled (through phys_to_virt()).
 */
struct page *pmm_alloc_pages(struct pmm *pmm, unsigned int order, gfp_t gfp);

/*
 * Return a block from pmm_alloc_pages() of the same order. Double free
 * panics. A head still in use (mapped, in a mapping, a page table, a slab,
 * locked) is reported as "BUG: Bad page state" and leaked (pmm->nr_bad).
 */
void pmm_free_pages(struct pmm *pmm, struct page *page, unsigned int order);

unsigned long pmm_nr_free(struct pmm *pmm);

/* Does @pmm describe @pfn? */
static inline bool pmm_has_pfn(const struct pmm *pmm, pfn_t pfn)
{
	return pfn >= pmm->base_pfn && pfn - pmm->base_pfn < pmm->nr_pages;
}

static inline struct page *pmm_pfn_to_page(struct pmm *pmm, pfn_t pfn)
{
	return &pmm->pages[pfn - pmm->base_pfn];
}

static inline pfn_t pmm_page_to_pfn(const struct pmm *pmm, const struct page *p)
{
	return pmm->base_pfn + (pfn_t)(p - pmm->pages);
}

/* ---- the kernel's global instance and its short names ---- */

extern struct pmm kernel_pmm;

static inline struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return pmm_alloc_pages(&kernel_pmm, order, gfp);
}

static inline void free_pages(struct page *page, unsigned int order)
{
	pmm_free_pages(&kernel_pmm, page, order);
}

static inline pfn_t page_to_pfn(const struct page *p)
{
	return pmm_page_to_pfn(&kernel_pmm, p);
}

static inline struct page *pfn_to_page(pfn_t pfn)
{
	return pmm_pfn_to_page(&kernel_pmm, pfn);
}

static inline phys_addr_t page_to_phys(const struct page *p)
{
	return PFN_PHYS(page_to_pfn(p));
}

#endif
