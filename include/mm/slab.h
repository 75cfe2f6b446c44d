/*
 * Slab allocator: caches of equal-sized objects carved out of buddy blocks,
 * and kmalloc() on top of it. Host-compilable.
 *
 * A cache is an instance bound to one struct pmm (STYLE.md rule 7): the
 * kernel's caches draw from kernel_pmm, a test builds a private pmm and a
 * private cache over it.
 *
 * Slab size: the smallest order (at most SLAB_MAX_ORDER) at which
 * SLAB_MIN_OBJECTS objects fit. So objects up to 512 bytes live in order-0
 * slabs, 513..1024 in order 1, ..2048 in order 2, ..4096 in order 3; objects
 * above 16 KiB get fewer than 8 per slab, and above PAGE_SIZE << SLAB_MAX_ORDER
 * a cache cannot be created.
 *
 * Each slab is one buddy block. Its head struct page carries PG_slab,
 * slab_cache, freelist (the first free object; each free object stores the
 * address of the next in its first word) and inuse. The other pages of a
 * multi-page slab carry PG_slab and slab_cache only, so any object address
 * leads back to its cache; the head is found by aligning the pfn down to the
 * slab order.
 *
 * A slab sits on one of three lists by its inuse count: partial, full or
 * empty. Allocation prefers partial slabs, then the empty one, then a new
 * slab. At most one empty slab is kept per cache; further empty slabs go
 * back to the pmm at once. kmem_cache_shrink() returns the cached one too.
 *
 * Lock: cache->lock protects the lists, the counters and the slab fields of
 * the cache's struct pages. It is never held across a pmm call (pages are
 * allocated before it is taken and freed after it is dropped), so there is no
 * lock order between cache->lock and pmm->lock. It is taken with interrupts
 * off, so kmem_cache_free()/kfree() and GFP_ATOMIC allocations work from
 * interrupt handlers (a block I/O completion frees its bio there).
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include <pagoda/types.h>
#include <pagoda/spinlock.h>
#include <mm/pmm.h>

#define SLAB_MIN_OBJECTS	8	/* per slab, when the order cap allows */
#define SLAB_MAX_ORDER		5	/* 128 KiB: the largest slab */
#define KMEM_CACHE_NAME_LEN	32
#define KMEM_MIN_ALIGN		8	/* room and alignment for the freelist link */

/* The three slab lists, chosen by a slab's inuse count. */
enum slab_state {
	SLAB_PARTIAL,		/* 0 < inuse < objs_per_slab */
	SLAB_FULL,		/* inuse == objs_per_slab */
	SLAB_EMPTY,		/* inuse == 0 */
	NR_SLAB_STATES
};

/* Where the struct kmem_cache itself lives; decides how destroy frees it. */
enum kmem_cache_origin {
	KMEM_CACHE_EMBEDDED,	/* caller's storage: kmem_cache_init() */
	KMEM_CACHE_KMALLOCED,	/* kmem_cache_create() on kernel_pmm after kmalloc_init() */
	KMEM_CACHE_OWN_PAGE,	/* kmem_cache_create() otherwise: one page of its pmm */
};

/*
 * A list of slab heads, doubly linked through two struct page fields that a
 * slab does not otherwise use: ->index (next) and ->private (prev). (The
 * page.h union puts slab_cache/freelist over lru, so lru is not available;
 * if page.h grows a slab_list member, only the helpers in mm/slab.c change.)
 */
struct slab_list {
	struct page *first;
	unsigned long nr;
};

struct kmem_cache {
	spinlock_t lock;
	/* set at creation, read-only afterwards */
	struct pmm *pmm;
	char name[KMEM_CACHE_NAME_LEN];
	size_t obj_size;		/* as requested */
	size_t stride;			/* slot size: obj_size rounded to align */
	size_t align;
	unsigned int order;		/* every slab is one block of this order */
	unsigned int objs_per_slab;
	enum kmem_cache_origin origin;
	/* protected by lock */
	struct slab_list lists[NR_SLAB_STATES];
	unsigned long nr_slabs;
	unsigned long objs_in_use;
	unsigned long total_allocs;
	unsigned long total_frees;
};

struct kmem_cache_stats {
	size_t obj_size;
	size_t stride;
	unsigned int order;
	unsigned int objs_per_slab;
	unsigned long nr_slabs;		/* all lists */
	unsigned long nr_partial, nr_full, nr_empty;
	unsigned long objs_in_use;
	unsigned long total_allocs, total_frees;
};

/*
 * Set up @cache in caller-provided storage (static or embedded) for objects
 * of @size bytes aligned to @align (0 = KMEM_MIN_ALIGN; otherwise a power of
 * two, at most PAGE_SIZE), backed by @pmm. @name is copied (truncated).
 * Allocates nothing. Returns 0, or -EINVAL for a zero or too large size or a
 * bad alignment.
 */
int kmem_cache_init(struct kmem_cache *cache, const char *name, size_t size,
		    size_t align, struct pmm *pmm);

/*
 * As kmem_cache_init(), with the descriptor allocated here: by kmalloc when
 * @pmm is kernel_pmm and kmalloc_init() has run, else in one page of @pmm.
 * Returns NULL on bad arguments or when that allocation fails.
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align, struct pmm *pmm);

/*
 * Release every slab and (if kmem_cache_create() made it) the descriptor.
 * Returns 0, or -EBUSY with nothing changed while objects are allocated.
 * The caller guarantees nobody else uses the cache during the call.
 */
int kmem_cache_destroy(struct kmem_cache *cache);

/*
 * One object, aligned to the cache's alignment, or NULL when the pmm has no
 * block for a new slab. __GFP_ZERO zero-fills obj_size bytes. Takes
 * cache->lock; may call into the pmm without it.
 */
void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp);

/*
 * Return @obj to @cache. NULL is a no-op. A pointer that is not an
 * allocated object of this cache panics ("kmem_cache_free: ...").
 */
void kmem_cache_free(struct kmem_cache *cache, void *obj);

/* Return the cached empty slab(s) to the pmm. Returns pages freed. */
unsigned long kmem_cache_shrink(struct kmem_cache *cache);

/* A consistent snapshot of @cache's counters, taken under its lock. */
void kmem_cache_get_stats(struct kmem_cache *cache,
			  struct kmem_cache_stats *stats);

/*
 * kmalloc: general-purpose allocation on kernel_pmm.
 *
 * Sizes up to KMALLOC_MAX_CACHE_SIZE are rounded up to the next size class
 * (8 16 32 64 96 128 192 256 512 1024 2048 4096) and served by the
 * "kmalloc-N" caches; kmalloc(0) returns an 8-byte object. Larger sizes get
 * a buddy block of the smallest sufficient order straight from kernel_pmm
 * (up to PAGE_SIZE << (MAX_ORDER - 1) = 4 MiB; larger returns NULL).
 * Alignment: at least 8; power-of-two classes up to 4096 are naturally
 * aligned (96 -> 32, 192 -> 64); large allocations are page aligned.
 */
#define KMALLOC_MAX_CACHE_SIZE	4096
#define KMALLOC_NR_CLASSES	12

/* Create the size-class caches. Call once, after kernel_pmm has memory. */
void kmalloc_init(void);

void *kmalloc(size_t size, gfp_t gfp);

/* NULL is a no-op; anything not from kmalloc/kmem_cache_alloc on kernel_pmm panics. */
void kfree(const void *ptr);

/* Usable size of a kmalloc'd object: its class size or its block size. */
size_t ksize(const void *ptr);

/* Return every size class's cached empty slab to kernel_pmm; pages freed. */
unsigned long kmalloc_shrink(void);

/* The cache serving @size, or NULL for sizes above KMALLOC_MAX_CACHE_SIZE. */
struct kmem_cache *kmalloc_cache(size_t size);

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

/* ->private of the head page of a large kmalloc block (one of whole pages, no slab). */
#define KMALLOC_LARGE_MAGIC	0x6b6d616c6c6f6321UL

#endif
