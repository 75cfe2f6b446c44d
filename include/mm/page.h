/*
 * struct page: one per physical page frame managed by a struct pmm.
 * Host-compilable: no arch header.
 *
 * Size: 64 bytes (checked at build time), i.e. 1.56 % of RAM.
 *
 * Field use by owner (protected by the owner's lock):
 *   buddy (free page, PG_buddy set): lru on a free_area list, order.
 *   slab (PG_slab):   slab_cache, freelist, inuse.
 *   page cache (PG_* of include/mm/pagemap.h): mapping, index, lru.
 *   mapped pages: mapcount.
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <pagoda/types.h>
#include <pagoda/list.h>

/* page->flags bits */
enum page_flag {
	PG_reserved,	/* never handed to the buddy allocator (firmware, kernel image, holes) */
	PG_buddy,	/* free, heads a block of 2^order pages in a free list */
	PG_slab,	/* owned by the slab allocator */
	PG_pgtable,	/* a page-table page */
	PG_zero,	/* the shared zero page (issue 3) */
	PG_dirty,	/* newer than its backing store: needs writeback */
	PG_uptodate,	/* page cache: contents valid */
	PG_locked,	/* page cache: owned by one task (I/O in flight, being changed) */
	PG_anon,	/* anonymous (mapping is an anon owner, not a file) */
	PG_head,	/* first page of a multi-page allocation (order in ->order) */
	PG_writeback,	/* page cache: being written to its backing store */
	PG_error,	/* page cache: the last read of it failed */
	PG_readahead,	/* page cache: reaching it starts the next readahead window */
	PG_referenced,	/* page cache: looked up since it was last aged (reclaim) */
	PG_lru,		/* on its pmm's LRU lists (->lru; lruvec lock) */
	PG_active,	/* on the active list, else the inactive one */
	NR_PAGE_FLAGS
};

struct kmem_cache;
struct address_space;

struct page {
	unsigned long flags;		/* PG_* bits */
	union {
		struct list_head lru;	/* buddy free list, later the LRU */
		struct {		/* slab */
			struct kmem_cache *slab_cache;
			void *freelist;	/* first free object in this slab */
		};
	};
	struct address_space *mapping;	/* file mapping or anon owner (issue 5) */
	unsigned long index;		/* page offset within mapping */
	s32 refcount;			/* references; 0 = free or reserved */
	s32 mapcount;			/* PTEs mapping this page (issues 3/4) */
	u32 order;			/* buddy/head: log2 of block size in pages */
	u32 inuse;			/* slab: allocated objects in this slab */
	unsigned long private;		/* owner-specific */
};

/*
 * Flag updates are single atomic read-modify-writes of ->flags: an
 * interrupt handler (a read's completion setting PG_uptodate and clearing
 * PG_locked) may change other bits of the same word at any moment, so a
 * plain load, or, store could lose its update.
 */
static inline bool page_test_flag(const struct page *p, enum page_flag f)
{
	return (__atomic_load_n(&p->flags, __ATOMIC_ACQUIRE) >> f) & 1;
}

static inline void page_set_flag(struct page *p, enum page_flag f)
{
	__atomic_fetch_or(&p->flags, 1UL << f, __ATOMIC_SEQ_CST);
}

static inline void page_clear_flag(struct page *p, enum page_flag f)
{
	__atomic_fetch_and(&p->flags, ~(1UL << f), __ATOMIC_SEQ_CST);
}

/* Set @f; was it set already? (Takes PG_locked: trylock_page().) */
static inline bool page_test_and_set_flag(struct page *p, enum page_flag f)
{
	return (__atomic_fetch_or(&p->flags, 1UL << f, __ATOMIC_SEQ_CST) >> f) & 1;
}

/* Clear @f; was it set? (Moves PG_dirty to writeback: clear_page_dirty_for_io().) */
static inline bool page_test_and_clear_flag(struct page *p, enum page_flag f)
{
	return (__atomic_fetch_and(&p->flags, ~(1UL << f), __ATOMIC_SEQ_CST) >> f) & 1;
}

#endif
