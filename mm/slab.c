/*
 * Slab allocator and kmalloc (include/mm/slab.h has the design: slab order,
 * struct page fields, lists, lock rules).
 *
 * Free objects: word 0 links to the next free object of the slab (NULL ends
 * the list). In caches whose stride leaves room, word 1 holds SLAB_FREE_MAGIC
 * while the object is free; kmem_cache_free() seeing the magic suspects a
 * double free and confirms it by walking the slab's freelist, so the common
 * path stays O(1). Allocation clears word 1.
 */
#include <mm/slab.h>
#include <pagoda/sched.h>
#include <mm/arch.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>

#define SLAB_FREE_MAGIC		0xf7ee0b1ec7f7ee0bUL

BUILD_BUG_ON(sizeof(struct kmem_cache) > PAGE_SIZE);

/* ---- slab lists, linked through page->index (next) / page->private (prev) ---- */

static struct page *slab_next(const struct page *s)
{
	return (struct page *)(uintptr_t)s->index;
}

static struct page *slab_prev(const struct page *s)
{
	return (struct page *)(uintptr_t)s->private;
}

static void slab_link(struct page *s, struct page *prev, struct page *next)
{
	s->private = (uintptr_t)prev;
	s->index = (uintptr_t)next;
}

static void slab_list_add(struct slab_list *l, struct page *s)
{
	slab_link(s, NULL, l->first);
	if (l->first)
		l->first->private = (uintptr_t)s;
	l->first = s;
	l->nr++;
}

static void slab_list_del(struct slab_list *l, struct page *s)
{
	struct page *prev = slab_prev(s), *next = slab_next(s);

	if (prev)
		prev->index = (uintptr_t)next;
	else
		l->first = next;
	if (next)
		next->private = (uintptr_t)prev;
	slab_link(s, NULL, NULL);
	l->nr--;
}

static void cache_assert_locked(struct kmem_cache *c)
{
	BUG_ON(!spin_is_locked(&c->lock));
}

/* ---- geometry ---- */

static enum slab_state slab_state(const struct kmem_cache *c, unsigned int inuse)
{
	if (inuse == 0)
		return SLAB_EMPTY;
	return inuse == c->objs_per_slab ? SLAB_FULL : SLAB_PARTIAL;
}

static char *slab_base(const struct kmem_cache *c, const struct page *slab)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(c->pmm, slab)));
}

/* The smallest order, up to SLAB_MAX_ORDER, holding SLAB_MIN_OBJECTS strides. */
static unsigned int slab_order_for(size_t stride)
{
	unsigned int o = 0;

	while (o < SLAB_MAX_ORDER && (PAGE_SIZE << o) / stride < SLAB_MIN_OBJECTS)
		o++;
	return o;
}

static bool stride_has_magic(const struct kmem_cache *c)
{
	return c->stride >= 2 * sizeof(void *);
}

/* ---- free object words ---- */

static void *obj_next(const void *obj)
{
	return ((void *const *)obj)[0];
}

static void obj_make_free(const struct kmem_cache *c, void *obj, void *next)
{
	((void **)obj)[0] = next;
	if (stride_has_magic(c))
		((unsigned long *)obj)[1] = SLAB_FREE_MAGIC;
}

static bool obj_in_slab(const struct kmem_cache *c, const struct page *slab,
			const void *obj)
{
	uintptr_t off = (uintptr_t)obj - (uintptr_t)slab_base(c, slab);

	return off % c->stride == 0 && off / c->stride < c->objs_per_slab;
}

/* ---- cache setup ---- */

static void copy_name(char *dst, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i < KMEM_CACHE_NAME_LEN - 1; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

int kmem_cache_init(struct kmem_cache *c, const char *name, size_t size,
		    size_t align, struct pmm *pmm)
{
	if (align == 0)
		align = KMEM_MIN_ALIGN;
	if (!pmm || size == 0 || size > (PAGE_SIZE << SLAB_MAX_ORDER) ||
	    (align & (align - 1)) || align > PAGE_SIZE)
		return -EINVAL;
	align = MAX(align, (size_t)KMEM_MIN_ALIGN);
	memset(c, 0, sizeof(*c));
	spin_lock_init(&c->lock);
	c->pmm = pmm;
	copy_name(c->name, name);
	c->obj_size = size;
	c->align = align;
	c->stride = ALIGN_UP(size, align);
	c->order = slab_order_for(c->stride);
	c->objs_per_slab = (PAGE_SIZE << c->order) / c->stride;
	if (c->objs_per_slab == 0)
		return -EINVAL;		/* size rounded up past the largest slab */
	c->origin = KMEM_CACHE_EMBEDDED;
	return 0;
}

static bool kmalloc_ready;

/* Storage for a descriptor made by kmem_cache_create(); NULL if none. */
static struct kmem_cache *cache_desc_alloc(struct pmm *pmm,
					   enum kmem_cache_origin *origin)
{
	struct page *p;

	if (pmm == &kernel_pmm && kmalloc_ready) {
		*origin = KMEM_CACHE_KMALLOCED;
		return kzalloc(sizeof(struct kmem_cache), GFP_KERNEL);
	}
	*origin = KMEM_CACHE_OWN_PAGE;
	p = pmm_alloc_pages(pmm, 0, __GFP_ZERO);
	return p ? phys_to_virt(PFN_PHYS(pmm_page_to_pfn(pmm, p))) : NULL;
}

static void cache_desc_free(struct kmem_cache *c, struct pmm *pmm,
			    enum kmem_cache_origin origin)
{
	switch (origin) {
	case KMEM_CACHE_EMBEDDED:
		break;
	case KMEM_CACHE_KMALLOCED:
		kfree(c);
		break;
	case KMEM_CACHE_OWN_PAGE:
		pmm_free_pages(pmm, pmm_pfn_to_page(pmm, PHYS_PFN(virt_to_phys(c))), 0);
		break;
	}
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align, struct pmm *pmm)
{
	enum kmem_cache_origin origin;
	struct kmem_cache *c;

	if (!pmm)
		return NULL;
	c = cache_desc_alloc(pmm, &origin);
	if (!c)
		return NULL;
	if (kmem_cache_init(c, name, size, align, pmm) != 0) {
		cache_desc_free(c, pmm, origin);
		return NULL;
	}
	c->origin = origin;
	return c;
}

/* ---- slabs ---- */

/*
 * Allocate a zeroed block for a new slab (no lock held: this calls the
 * pmm), tag each of its pages PG_slab / slab_cache and thread all objects on
 * the freelist in address order. The slab is not on any list yet.
 *
 * Zeroed because the block may last have held code: firmware or loader
 * code freed at boot, a program's text freed at exit. Writing every byte
 * once makes an emulator that tracks translated code per physical page
 * (QEMU's TCG) drop it; otherwise objects that never cover the old code
 * bytes leave the page marked as code for good and every store to it takes
 * the emulator's self-modifying-code path (docs/benchmarks.md).
 */
static struct page *slab_new(struct kmem_cache *c, gfp_t gfp)
{
	struct page *slab = pmm_alloc_pages(c->pmm, c->order, gfp | __GFP_ZERO);
	void *next = NULL;
	char *base;

	if (!slab)
		return NULL;
	for (unsigned long i = 0; i < 1UL << c->order; i++) {
		page_set_flag(&slab[i], PG_slab);
		slab[i].slab_cache = c;
	}
	base = slab_base(c, slab);
	for (unsigned int i = c->objs_per_slab; i-- > 0;) {
		obj_make_free(c, base + i * c->stride, next);
		next = base + i * c->stride;
	}
	slab->freelist = next;
	slab->inuse = 0;
	slab_link(slab, NULL, NULL);
	return slab;
}

/* Untag an empty slab that is on no list and give it back to the pmm. */
static void slab_release(struct kmem_cache *c, struct page *slab)
{
	for (unsigned long i = 0; i < 1UL << c->order; i++) {
		page_clear_flag(&slab[i], PG_slab);
		slab[i].slab_cache = NULL;
		slab[i].freelist = NULL;
	}
	slab_link(slab, NULL, NULL);
	pmm_free_pages(c->pmm, slab, c->order);
}

/* Set slab->inuse and move the slab to the list that count calls for. */
static void slab_set_inuse_locked(struct kmem_cache *c, struct page *slab,
				  unsigned int inuse)
{
	enum slab_state from = slab_state(c, slab->inuse);
	enum slab_state to = slab_state(c, inuse);

	cache_assert_locked(c);
	slab->inuse = inuse;
	if (from != to) {
		slab_list_del(&c->lists[from], slab);
		slab_list_add(&c->lists[to], slab);
	}
}

/*
 * Pop an object from a partial slab, else from the empty one. Returns NULL
 * when the cache needs a new slab. A freelist link pointing outside its slab
 * means someone wrote to a free object (panic). Lock held.
 */
static void *__obj_alloc_locked(struct kmem_cache *c)
{
	struct page *slab = c->lists[SLAB_PARTIAL].first;
	void *obj, *next;

	cache_assert_locked(c);
	if (!slab)
		slab = c->lists[SLAB_EMPTY].first;
	if (!slab)
		return NULL;
	obj = slab->freelist;
	if (!obj || !obj_in_slab(c, slab, obj))
		panic("kmem_cache_alloc: %s: corrupt freelist head %p", c->name, obj);
	next = obj_next(obj);
	if (next && !obj_in_slab(c, slab, next))
		panic("kmem_cache_alloc: %s: free object %p overwritten (next %p)",
		      c->name, obj, next);
	slab->freelist = next;
	if (stride_has_magic(c))
		((unsigned long *)obj)[1] = 0;
	slab_set_inuse_locked(c, slab, slab->inuse + 1);
	c->objs_in_use++;
	c->total_allocs++;
	return obj;
}

/*
 * Takes cache->lock; when no slab has room, drops it, allocates a slab from
 * the pmm, puts it on the empty list and tries again (another CPU may have
 * used it meanwhile). With __GFP_RECLAIM it checks at once that the caller
 * could sleep, whether or not this call needs a new slab, so a wrong
 * context shows on the first call, not on the rare one that refills.
 */
void *kmem_cache_alloc(struct kmem_cache *c, gfp_t gfp)
{
	unsigned long irqflags;
	struct page *slab;
	void *obj;

	if (gfp & __GFP_RECLAIM)
		might_sleep();

	for (;;) {
		spin_lock_irqsave(&c->lock, irqflags);
		obj = __obj_alloc_locked(c);
		spin_unlock_irqrestore(&c->lock, irqflags);
		if (obj)
			break;
		slab = slab_new(c, gfp);
		if (!slab)
			return NULL;
		spin_lock_irqsave(&c->lock, irqflags);
		slab_list_add(&c->lists[SLAB_EMPTY], slab);
		c->nr_slabs++;
		spin_unlock_irqrestore(&c->lock, irqflags);
	}
	if (gfp & __GFP_ZERO)
		memset(obj, 0, c->obj_size);
	return obj;
}

/*
 * The slab head owning @obj in @c. Panics unless @obj is the start of an
 * object slot of @c ("kmem_cache_free: ..."). Needs no lock: the slab tags
 * are set before any of its objects is handed out.
 */
static struct page *obj_to_slab(struct kmem_cache *c, const void *obj)
{
	pfn_t pfn = PHYS_PFN(virt_to_phys(obj));
	struct page *p, *slab;

	if (!pmm_has_pfn(c->pmm, pfn))
		panic("kmem_cache_free: %s: %p is outside the cache's memory",
		      c->name, obj);
	p = pmm_pfn_to_page(c->pmm, pfn);
	if (!page_test_flag(p, PG_slab) || p->slab_cache != c)
		panic("kmem_cache_free: %s: %p is not in one of its slabs",
		      c->name, obj);
	slab = pmm_pfn_to_page(c->pmm, pfn & ~(pfn_t)((1UL << c->order) - 1));
	if (!obj_in_slab(c, slab, obj))
		panic("kmem_cache_free: %s: %p is not the start of an object",
		      c->name, obj);
	return slab;
}

/* Is @obj already on @slab's freelist? Lock held. O(objects per slab). */
static bool obj_is_free_locked(struct page *slab, const void *obj)
{
	for (const void *f = slab->freelist; f; f = obj_next(f))
		if (f == obj)
			return true;
	return false;
}

/*
 * Panic if @obj is already free. Certain when the slab is empty or @obj
 * heads the freelist; otherwise, where the stride has room for the magic,
 * the magic raises the suspicion and a freelist walk confirms it. An
 * 8-byte cache only gets the first two checks.
 */
static void check_not_free_locked(struct kmem_cache *c, struct page *slab,
				  const void *obj)
{
	bool is_free = slab->inuse == 0 || slab->freelist == obj;

	cache_assert_locked(c);
	if (!is_free && stride_has_magic(c) &&
	    ((const unsigned long *)obj)[1] == SLAB_FREE_MAGIC)
		is_free = obj_is_free_locked(slab, obj);
	if (is_free)
		panic("kmem_cache_free: %s: double free of %p", c->name, obj);
}

/*
 * Push @obj on its slab's freelist and relist the slab. If that leaves a
 * second empty slab, this one goes back to the pmm after the lock is
 * dropped.
 */
void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	unsigned long irqflags;
	struct page *slab, *release = NULL;

	if (!obj)
		return;
	slab = obj_to_slab(c, obj);
	spin_lock_irqsave(&c->lock, irqflags);
	check_not_free_locked(c, slab, obj);
	obj_make_free(c, obj, slab->freelist);
	slab->freelist = obj;
	slab_set_inuse_locked(c, slab, slab->inuse - 1);
	c->objs_in_use--;
	c->total_frees++;
	if (slab->inuse == 0 && c->lists[SLAB_EMPTY].nr > 1) {
		slab_list_del(&c->lists[SLAB_EMPTY], slab);
		c->nr_slabs--;
		release = slab;
	}
	spin_unlock_irqrestore(&c->lock, irqflags);
	if (release)
		slab_release(c, release);
}

unsigned long kmem_cache_shrink(struct kmem_cache *c)
{
	unsigned long irqflags;
	struct slab_list empty;
	struct page *slab, *next;

	spin_lock_irqsave(&c->lock, irqflags);
	empty = c->lists[SLAB_EMPTY];
	c->lists[SLAB_EMPTY] = (struct slab_list){ NULL, 0 };
	c->nr_slabs -= empty.nr;
	spin_unlock_irqrestore(&c->lock, irqflags);
	for (slab = empty.first; slab; slab = next) {
		next = slab_next(slab);
		slab_release(c, slab);
	}
	return empty.nr << c->order;
}

int kmem_cache_destroy(struct kmem_cache *c)
{
	unsigned long irqflags;
	struct pmm *pmm = c->pmm;
	enum kmem_cache_origin origin = c->origin;
	unsigned long in_use;

	spin_lock_irqsave(&c->lock, irqflags);
	in_use = c->objs_in_use;
	BUG_ON(!in_use && (c->lists[SLAB_PARTIAL].nr || c->lists[SLAB_FULL].nr));
	spin_unlock_irqrestore(&c->lock, irqflags);
	if (in_use) {
		printk("kmem_cache_destroy: %s: %lu objects still allocated\n",
		       c->name, in_use);
		return -EBUSY;
	}
	kmem_cache_shrink(c);
	BUG_ON(c->nr_slabs != 0);
	c->pmm = NULL;
	cache_desc_free(c, pmm, origin);
	return 0;
}

void kmem_cache_get_stats(struct kmem_cache *c, struct kmem_cache_stats *s)
{
	unsigned long irqflags;

	spin_lock_irqsave(&c->lock, irqflags);
	s->obj_size = c->obj_size;
	s->stride = c->stride;
	s->order = c->order;
	s->objs_per_slab = c->objs_per_slab;
	s->nr_slabs = c->nr_slabs;
	s->nr_partial = c->lists[SLAB_PARTIAL].nr;
	s->nr_full = c->lists[SLAB_FULL].nr;
	s->nr_empty = c->lists[SLAB_EMPTY].nr;
	s->objs_in_use = c->objs_in_use;
	s->total_allocs = c->total_allocs;
	s->total_frees = c->total_frees;
	spin_unlock_irqrestore(&c->lock, irqflags);
}

/* ---- kmalloc ---- */

static const unsigned int kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
};
static const char *const kmalloc_names[] = {
	"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
	"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512",
	"kmalloc-1024", "kmalloc-2048", "kmalloc-4096",
};
BUILD_BUG_ON(ARRAY_SIZE(kmalloc_sizes) != KMALLOC_NR_CLASSES);
BUILD_BUG_ON(ARRAY_SIZE(kmalloc_names) != KMALLOC_NR_CLASSES);

static struct kmem_cache kmalloc_caches[KMALLOC_NR_CLASSES];

void kmalloc_init(void)
{
	if (kmalloc_ready)
		panic("kmalloc_init: called twice");
	for (unsigned int i = 0; i < KMALLOC_NR_CLASSES; i++)
		if (kmem_cache_init(&kmalloc_caches[i], kmalloc_names[i],
				    kmalloc_sizes[i], 0, &kernel_pmm) != 0)
			panic("kmalloc_init: cannot set up %s", kmalloc_names[i]);
	kmalloc_ready = true;
}

struct kmem_cache *kmalloc_cache(size_t size)
{
	if (!kmalloc_ready)
		panic("kmalloc: called before kmalloc_init");
	for (unsigned int i = 0; i < KMALLOC_NR_CLASSES; i++)
		if (size <= kmalloc_sizes[i])
			return &kmalloc_caches[i];
	return NULL;
}

/* A block of the smallest order holding @size, tagged as a kmalloc block. */
static void *kmalloc_large(size_t size, gfp_t gfp)
{
	unsigned int order = 0;
	struct page *p;

	if (size > (PAGE_SIZE << (MAX_ORDER - 1)))
		return NULL;
	while ((PAGE_SIZE << order) < size)
		order++;
	p = pmm_alloc_pages(&kernel_pmm, order, gfp);
	if (!p)
		return NULL;
	p->private = KMALLOC_LARGE_MAGIC;
	return phys_to_virt(page_to_phys(p));
}

void *kmalloc(size_t size, gfp_t gfp)
{
	struct kmem_cache *c = kmalloc_cache(size);

	return c ? kmem_cache_alloc(c, gfp) : kmalloc_large(size, gfp);
}

/*
 * The struct page behind a pointer from kmalloc: a slab page (PG_slab) or
 * the head of a large block. Panics for anything else ("@who: ...").
 */
static struct page *kmalloc_page(const void *ptr, const char *who)
{
	phys_addr_t pa = virt_to_phys(ptr);
	struct page *p;

	if (!pmm_has_pfn(&kernel_pmm, PHYS_PFN(pa)))
		panic("%s: %p is not kmalloc memory", who, ptr);
	p = pfn_to_page(PHYS_PFN(pa));
	if (page_test_flag(p, PG_slab))
		return p;
	if (!page_test_flag(p, PG_head) || p->private != KMALLOC_LARGE_MAGIC ||
	    (pa & ~PAGE_MASK) != 0)
		panic("%s: %p was not allocated by kmalloc", who, ptr);
	return p;
}

void kfree(const void *ptr)
{
	struct page *p;

	if (!ptr)
		return;
	p = kmalloc_page(ptr, "kfree");
	if (page_test_flag(p, PG_slab)) {
		kmem_cache_free(p->slab_cache, (void *)ptr);
		return;
	}
	p->private = 0;
	pmm_free_pages(&kernel_pmm, p, p->order);
}

size_t ksize(const void *ptr)
{
	struct page *p = kmalloc_page(ptr, "ksize");

	if (page_test_flag(p, PG_slab))
		return p->slab_cache->obj_size;
	return PAGE_SIZE << p->order;
}

unsigned long kmalloc_shrink(void)
{
	unsigned long freed = 0;

	for (unsigned int i = 0; i < KMALLOC_NR_CLASSES && kmalloc_ready; i++)
		freed += kmem_cache_shrink(&kmalloc_caches[i]);
	return freed;
}
