/*
 * struct page: one per physical page frame managed by a struct pmm.
 * Host-compilable: no arch header.
 *
 * Size: 64 bytes (checked at build time), i.e. 1.56 % of RAM.
 *
 * Field use by owner (protected by the owner's lock):
 *   buddy (free page, PG_buddy set): lru on a free_area list, order.
 *   slab (PG_slab):   slab_cache, freelist, inuse.
 *   page cache / anon (future issues): mapping, index, mapcount.
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
	PG_dirty,	/* page cache: needs writeback (issue 5) */
	PG_uptodate,	/* page cache: contents valid (issue 5) */
	PG_locked,	/* page cache: I/O in flight (issue 5) */
	PG_anon,	/* anonymous (mapping is an anon owner, not a file) */
	PG_head,	/* first page of a multi-page allocation (order in ->order) */
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

static inline bool page_test_flag(const struct page *p, enum page_flag f)
{
	return (p->flags >> f) & 1;
}

static inline void page_set_flag(struct page *p, enum page_flag f)
{
	p->flags |= 1UL << f;
}

static inline void page_clear_flag(struct page *p, enum page_flag f)
{
	p->flags &= ~(1UL << f);
}

#endif
