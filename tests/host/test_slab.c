/*
 * Host unit tests of the slab allocator and kmalloc (mm/slab.c) over
 * simulated RAM. One fake RAM region holds two pmms: kernel_pmm (for
 * kmalloc, set up once in main) and a private pmm that every kmem_cache case
 * rebuilds, so those cases start from a known, fully merged allocator.
 * Panics are tested in a fork()ed child whose stderr is captured.
 */
#include <mm/slab.h>
#include <mm/pmm.h>
#include <mm/arch.h>
#include <pagoda/errno.h>
#include "fake_arch.h"
#include "ktap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RAM_BASE_PFN	0x1000UL	/* 16 MiB */
#define KERNEL_PAGES	4096UL		/* kernel_pmm: [0x1000, 0x2000) */
#define PRIV_BASE_PFN	(RAM_BASE_PFN + KERNEL_PAGES)
#define PRIV_PAGES	2048UL		/* private pmm: [0x2000, 0x2800) */

static struct page *kernel_pages;
static struct pmm priv;
static struct page priv_pages[PRIV_PAGES];

/*
 * A fresh private pmm with all of its span free (one block per 4 MiB), over
 * RAM re-filled with 0xa5 as fake_ram_init() leaves it.
 */
static void priv_setup(void)
{
	memset(phys_to_virt(PFN_PHYS(PRIV_BASE_PFN)), 0xa5, PRIV_PAGES * PAGE_SIZE);
	pmm_init(&priv, priv_pages, PRIV_BASE_PFN, PRIV_PAGES);
	pmm_add_free_range(&priv, PRIV_BASE_PFN, PRIV_PAGES);
}

static struct page *obj_page(struct pmm *pmm, const void *obj)
{
	return pmm_pfn_to_page(pmm, PHYS_PFN(virt_to_phys(obj)));
}

static struct kmem_cache_stats stats_of(struct kmem_cache *c)
{
	struct kmem_cache_stats s;

	kmem_cache_get_stats(c, &s);
	return s;
}

/* kernel_pmm's free count once the kmalloc caches dropped their empty slabs */
static unsigned long kernel_free_settled(void)
{
	kmalloc_shrink();
	return pmm_nr_free(&kernel_pmm);
}


/* ---- kmem_cache cases (private pmm) ---- */

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Does [obj, obj + size) lie in one slab of @c? */
static bool obj_inside_slab(struct kmem_cache *c, const u8 *obj, size_t size)
{
	struct page *first = obj_page(&priv, obj);
	struct page *last = obj_page(&priv, obj + size - 1);
	pfn_t mask = ~(pfn_t)((1UL << c->order) - 1);

	return page_test_flag(first, PG_slab) && first->slab_cache == c &&
	       page_test_flag(last, PG_slab) && last->slab_cache == c &&
	       (pmm_page_to_pfn(&priv, first) & mask) ==
	       (pmm_page_to_pfn(&priv, last) & mask);
}

static void t_objects_distinct_aligned(void)
{
	enum { N = 3 * 85 };		/* stride 48: 85 per order-0 slab */
	static u8 *objs[N];
	struct kmem_cache *c;
	unsigned long before;
	bool ok = true;

	priv_setup();
	before = pmm_nr_free(&priv);
	c = kmem_cache_create("test-40", 40, 16, &priv);
	KT_ASSERT(c);
	KT_EXPECT_EQ(stats_of(c).stride, 48);
	KT_EXPECT_EQ(stats_of(c).objs_per_slab, 85);
	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
		KT_ASSERT(objs[i]);
		ok &= (uintptr_t)objs[i] % 16 == 0;
		ok &= obj_inside_slab(c, objs[i], 40);
		memset(objs[i], i & 0xff, 40);
	}
	KT_EXPECT(ok);
	KT_EXPECT_EQ(stats_of(c).nr_slabs, 3);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 40; j++)
			ok &= objs[i][j] == (i & 0xff);
	KT_EXPECT(ok);		/* no object overwrote another */
	qsort(objs, N, sizeof(objs[0]), cmp_ptr);
	for (int i = 1; i < N; i++)
		ok &= (uintptr_t)objs[i] - (uintptr_t)objs[i - 1] >= 40;
	KT_EXPECT(ok);
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before);
}

static void t_free_then_alloc_reuses(void)
{
	struct kmem_cache *c;
	void *a, *b;

	priv_setup();
	c = kmem_cache_create("test-reuse", 64, 0, &priv);
	KT_ASSERT(c);
	a = kmem_cache_alloc(c, GFP_KERNEL);
	b = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT(a && b && a != b);
	kmem_cache_free(c, a);
	KT_EXPECT(kmem_cache_alloc(c, GFP_KERNEL) == a);
	kmem_cache_free(c, b);
	kmem_cache_free(c, a);
	KT_EXPECT(kmem_cache_alloc(c, GFP_KERNEL) == a);	/* LIFO */
	KT_EXPECT(kmem_cache_alloc(c, GFP_KERNEL) == b);
	KT_EXPECT_EQ(stats_of(c).nr_slabs, 1);
	kmem_cache_free(c, a);
	kmem_cache_free(c, b);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
}

static void t_full_slab_moves_to_full_list(void)
{
	void *objs[17];
	struct kmem_cache_stats s;
	struct kmem_cache *c;

	priv_setup();
	c = kmem_cache_create("test-256", 256, 0, &priv);	/* 16 per slab */
	KT_ASSERT(c);
	for (int i = 0; i < 16; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	s = stats_of(c);
	KT_EXPECT_EQ(s.nr_slabs, 1);
	KT_EXPECT_EQ(s.nr_full, 1);
	KT_EXPECT_EQ(s.nr_partial, 0);
	KT_EXPECT_EQ(s.nr_empty, 0);

	objs[16] = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT(objs[16]);
	KT_EXPECT(obj_page(&priv, objs[16]) != obj_page(&priv, objs[0]));
	s = stats_of(c);
	KT_EXPECT_EQ(s.nr_slabs, 2);
	KT_EXPECT_EQ(s.nr_full, 1);
	KT_EXPECT_EQ(s.nr_partial, 1);
	KT_EXPECT_EQ(s.objs_in_use, 17);

	kmem_cache_free(c, objs[3]);	/* the full slab becomes partial */
	s = stats_of(c);
	KT_EXPECT_EQ(s.nr_full, 0);
	KT_EXPECT_EQ(s.nr_partial, 2);
	KT_EXPECT_EQ(s.objs_in_use, 16);
	objs[3] = NULL;
	for (int i = 0; i < 17; i++)
		kmem_cache_free(c, objs[i]);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
}

static void t_empty_slabs_beyond_one_returned(void)
{
	void *objs[40];
	struct kmem_cache *c;
	unsigned long before;

	priv_setup();
	before = pmm_nr_free(&priv);
	c = kmem_cache_create("test-512", 512, 0, &priv);	/* 8 per slab */
	KT_ASSERT(c);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before - 1);	/* the descriptor page */
	for (int i = 0; i < 40; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	KT_EXPECT_EQ(stats_of(c).nr_slabs, 5);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before - 1 - 5);
	for (int i = 0; i < 40; i++)
		kmem_cache_free(c, objs[i]);
	KT_EXPECT_EQ(stats_of(c).nr_slabs, 1);
	KT_EXPECT_EQ(stats_of(c).nr_empty, 1);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before - 1 - 1);
	KT_EXPECT_EQ(kmem_cache_shrink(c), 1);
	KT_EXPECT_EQ(stats_of(c).nr_slabs, 0);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before - 1);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before);
}

static void t_destroy_returns_every_page(void)
{
	static const size_t sizes[] = { 8, 24, 200, 700, 3000, 20000 };
	unsigned long before, max_blocks;

	priv_setup();
	before = pmm_nr_free(&priv);
	max_blocks = priv.free_area[MAX_ORDER - 1].nr_free;
	for (unsigned int k = 0; k < KT_N(sizes); k++) {
		struct kmem_cache *c = kmem_cache_create("test-destroy",
							 sizes[k], 0, &priv);
		void *objs[100];

		KT_ASSERT(c);
		for (int i = 0; i < 100; i++)
			KT_ASSERT((objs[i] = kmem_cache_alloc(c, GFP_KERNEL)));
		for (int i = 0; i < 100; i += 2)	/* evens, then odds */
			kmem_cache_free(c, objs[i]);
		for (int i = 1; i < 100; i += 2)
			kmem_cache_free(c, objs[i]);
		KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
		KT_EXPECT_EQ(pmm_nr_free(&priv), before);
	}
	/* and every page merged back into the max-order blocks */
	KT_EXPECT_EQ(priv.free_area[MAX_ORDER - 1].nr_free, max_blocks);
}

static void t_destroy_busy(void)
{
	struct kmem_cache *c;
	unsigned long before;
	void *a, *b;

	priv_setup();
	before = pmm_nr_free(&priv);
	c = kmem_cache_create("test-busy", 100, 0, &priv);
	KT_ASSERT(c);
	a = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT(a);
	KT_EXPECT_EQ(kmem_cache_destroy(c), -EBUSY);
	/* nothing changed: the cache still works */
	KT_EXPECT_EQ(stats_of(c).objs_in_use, 1);
	b = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT(b);
	kmem_cache_free(c, a);
	KT_EXPECT_EQ(kmem_cache_destroy(c), -EBUSY);
	kmem_cache_free(c, b);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before);
}

static void t_large_objects_higher_order(void)
{
	static const struct { size_t size; unsigned int order, per_slab; } geo[] = {
		{ 512, 0, 8 }, { 513, 1, 15 }, { 1000, 1, 8 }, { 1024, 1, 8 },
		{ 2048, 2, 8 }, { 3000, 3, 10 }, { 4096, 3, 8 },
		{ 20000, 5, 6 },
	};

	priv_setup();
	for (unsigned int k = 0; k < KT_N(geo); k++) {
		struct kmem_cache *c = kmem_cache_create("test-geo", geo[k].size,
							 0, &priv);
		struct kmem_cache_stats s;
		void *objs[16];
		bool ok = true;

		KT_ASSERT(c);
		s = stats_of(c);
		KT_EXPECT_EQ(s.order, geo[k].order);
		KT_EXPECT_EQ(s.objs_per_slab, geo[k].per_slab);
		/* fill one slab: the last objects live in its tail pages */
		for (unsigned int i = 0; i < s.objs_per_slab; i++) {
			objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
			KT_ASSERT(objs[i]);
			ok &= obj_inside_slab(c, objs[i], geo[k].size);
			memset(objs[i], 0x11, geo[k].size);
		}
		KT_EXPECT(ok);
		KT_EXPECT_EQ(stats_of(c).nr_full, 1);
		for (unsigned int i = 0; i < s.objs_per_slab; i++)
			kmem_cache_free(c, objs[i]);
		KT_EXPECT_EQ(stats_of(c).objs_in_use, 0);
		KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
	}
	KT_EXPECT_EQ(pmm_nr_free(&priv), PRIV_PAGES);
}

static void t_gfp_zero_object(void)
{
	struct kmem_cache *c;
	u8 *a, *b;
	bool zero = true;

	priv_setup();
	c = kmem_cache_create("test-zero", 300, 0, &priv);
	KT_ASSERT(c);
	a = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT(a);
	KT_EXPECT_EQ(a[299], 0);	/* a new slab is zeroed (slab_new()) */
	memset(a, 0x77, 300);
	kmem_cache_free(c, a);
	b = kmem_cache_alloc(c, GFP_KERNEL);	/* a reused object is not */
	KT_ASSERT(b == a);
	KT_EXPECT_EQ(b[299], 0x77);
	kmem_cache_free(c, b);
	b = kmem_cache_alloc(c, __GFP_ZERO);
	KT_ASSERT(b == a);
	for (int i = 0; i < 300; i++)
		zero &= b[i] == 0;
	KT_EXPECT(zero);
	kmem_cache_free(c, b);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
}

static void t_create_rejects_bad_geometry(void)
{
	unsigned long before;

	priv_setup();
	before = pmm_nr_free(&priv);
	KT_EXPECT(kmem_cache_create("bad", 0, 0, &priv) == NULL);
	KT_EXPECT(kmem_cache_create("bad", 64, 3, &priv) == NULL);
	KT_EXPECT(kmem_cache_create("bad", 64, 2 * PAGE_SIZE, &priv) == NULL);
	KT_EXPECT(kmem_cache_create("bad", (PAGE_SIZE << SLAB_MAX_ORDER) + 1,
				    0, &priv) == NULL);
	KT_EXPECT(kmem_cache_create("bad", 64, 0, NULL) == NULL);
	KT_EXPECT_EQ(pmm_nr_free(&priv), before);	/* descriptors returned */
}

static struct kmem_cache *panic_cache;

static void do_double_free_later(void *arg)
{
	void *a = kmem_cache_alloc(panic_cache, GFP_KERNEL);
	void *b = kmem_cache_alloc(panic_cache, GFP_KERNEL);

	kmem_cache_free(panic_cache, a);
	kmem_cache_free(panic_cache, b);
	kmem_cache_free(panic_cache, a);	/* not the freelist head */
}

static void do_double_free_now(void *arg)
{
	void *a = kmem_cache_alloc(panic_cache, GFP_KERNEL);

	kmem_cache_free(panic_cache, a);
	kmem_cache_free(panic_cache, a);
}

static void do_free_misaligned(void *arg)
{
	u8 *a = kmem_cache_alloc(panic_cache, GFP_KERNEL);

	kmem_cache_free(panic_cache, a + 8);
}

static void do_free_foreign(void *arg)
{
	struct kmem_cache *other = kmem_cache_create("other", 64, 0, &priv);
	void *a = kmem_cache_alloc(other, GFP_KERNEL);

	kmem_cache_free(panic_cache, a);
}

static void do_use_after_free(void *arg)
{
	void *a = kmem_cache_alloc(panic_cache, GFP_KERNEL);

	kmem_cache_free(panic_cache, a);
	*(void **)a = (void *)0x1234;		/* scribble on the link */
	kmem_cache_alloc(panic_cache, GFP_KERNEL);
	kmem_cache_alloc(panic_cache, GFP_KERNEL);
}

static void do_magic_lookalike(void *arg)
{
	unsigned long *a = kmem_cache_alloc(panic_cache, GFP_KERNEL);
	void *b = kmem_cache_alloc(panic_cache, GFP_KERNEL);

	/* user data that happens to look like a free object is no double free */
	kmem_cache_free(panic_cache, b);
	memcpy(a, b, 16);
	kmem_cache_free(panic_cache, a);
}

static void t_bad_cache_frees_panic(void)
{
	priv_setup();
	panic_cache = kmem_cache_create("test-panic", 64, 0, &priv);
	KT_ASSERT(panic_cache);
	KT_EXPECT(kt_dies_with_panic(do_double_free_later, NULL,
				  "kmem_cache_free: test-panic: double free"));
	KT_EXPECT(kt_dies_with_panic(do_double_free_now, NULL,
				  "kmem_cache_free: test-panic: double free"));
	KT_EXPECT(kt_dies_with_panic(do_free_misaligned, NULL, "kmem_cache_free: "));
	KT_EXPECT(kt_dies_with_panic(do_free_foreign, NULL, "kmem_cache_free: "));
	KT_EXPECT(kt_dies_with_panic(do_use_after_free, NULL, "kmem_cache_alloc: "));
	KT_EXPECT(kt_exits_cleanly(do_magic_lookalike, NULL));
	KT_EXPECT_EQ(kmem_cache_destroy(panic_cache), 0);
	KT_EXPECT_EQ(pmm_nr_free(&priv), PRIV_PAGES);
}

/* ---- kmalloc cases (kernel_pmm) ---- */

/* The class kmalloc promises for @size, computed independently. */
static size_t expected_class(size_t size)
{
	static const size_t classes[] = { 8, 16, 32, 64, 96, 128, 192, 256,
					  512, 1024, 2048, 4096 };

	for (unsigned int i = 0; i < KT_N(classes); i++)
		if (size <= classes[i])
			return classes[i];
	return 0;
}

static void t_kmalloc_size_classes(void)
{
	unsigned long before = kernel_free_settled();
	bool class_ok = true, align_ok = true;

	for (size_t size = 0; size <= KMALLOC_MAX_CACHE_SIZE; size++) {
		size_t want = expected_class(size);
		u8 *p = kmalloc(size, GFP_KERNEL);

		KT_ASSERT(p);
		class_ok &= ksize(p) == want;
		class_ok &= kmalloc_cache(size)->obj_size == want;
		align_ok &= (uintptr_t)p % 8 == 0;
		if ((want & (want - 1)) == 0)
			align_ok &= (uintptr_t)p % want == 0;
		memset(p, 0xcc, ksize(p));	/* the whole class is usable */
		kfree(p);
	}
	KT_EXPECT(class_ok);
	KT_EXPECT(align_ok);
	KT_EXPECT(kmalloc_cache(KMALLOC_MAX_CACHE_SIZE + 1) == NULL);
	KT_EXPECT_EQ(kernel_free_settled(), before);
}

static void t_kmalloc_large_uses_pages(void)
{
	unsigned long before = kernel_free_settled();
	u8 *p;

	p = kmalloc(KMALLOC_MAX_CACHE_SIZE + 1, GFP_KERNEL);
	KT_ASSERT(p);
	KT_EXPECT_EQ(virt_to_phys(p) % PAGE_SIZE, 0);
	KT_EXPECT_EQ(ksize(p), 2 * PAGE_SIZE);
	KT_EXPECT_EQ(pmm_nr_free(&kernel_pmm), before - 2);
	KT_EXPECT(!page_test_flag(obj_page(&kernel_pmm, p), PG_slab));
	memset(p, 0xdd, 2 * PAGE_SIZE);
	kfree(p);
	KT_EXPECT_EQ(pmm_nr_free(&kernel_pmm), before);

	p = kmalloc(PAGE_SIZE << (MAX_ORDER - 1), GFP_KERNEL);	/* 4 MiB */
	KT_ASSERT(p);
	KT_EXPECT_EQ(ksize(p), PAGE_SIZE << (MAX_ORDER - 1));
	KT_EXPECT_EQ(pmm_nr_free(&kernel_pmm), before - (1UL << (MAX_ORDER - 1)));
	kfree(p);
	KT_EXPECT(kmalloc((PAGE_SIZE << (MAX_ORDER - 1)) + 1, GFP_KERNEL) == NULL);
	KT_EXPECT(kmalloc((size_t)-1, GFP_KERNEL) == NULL);
	KT_EXPECT_EQ(pmm_nr_free(&kernel_pmm), before);
}

static void t_kfree_null_is_noop(void)
{
	unsigned long before = pmm_nr_free(&kernel_pmm);
	struct kmem_cache_stats s8 = stats_of(kmalloc_cache(8));

	kfree(NULL);
	kmem_cache_free(kmalloc_cache(8), NULL);
	KT_EXPECT_EQ(pmm_nr_free(&kernel_pmm), before);
	KT_EXPECT_EQ(stats_of(kmalloc_cache(8)).total_frees, s8.total_frees);
}

static void t_kzalloc_zeroes(void)
{
	unsigned long before = kernel_free_settled();
	bool zero = true;
	u8 *p, *q, *big;

	p = kmalloc(100, GFP_KERNEL);
	KT_ASSERT(p);
	memset(p, 0xee, ksize(p));
	kfree(p);
	q = kzalloc(100, GFP_KERNEL);
	KT_ASSERT(q == p);		/* the same dirty object, zeroed */
	for (size_t i = 0; i < ksize(q); i++)
		zero &= q[i] == 0;
	big = kzalloc(3 * PAGE_SIZE, GFP_KERNEL);
	KT_ASSERT(big);
	for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
		zero &= big[i] == 0;
	KT_EXPECT(zero);
	kfree(q);
	kfree(big);
	KT_EXPECT_EQ(kernel_free_settled(), before);
}

static void t_cache_on_kernel_pmm_uses_kmalloc(void)
{
	unsigned long before = kernel_free_settled();
	struct kmem_cache *c = kmem_cache_create("test-kernel", 100, 0,
						 &kernel_pmm);
	void *a;

	KT_ASSERT(c);
	KT_EXPECT_EQ(c->origin, KMEM_CACHE_KMALLOCED);
	KT_EXPECT(ksize(c) >= sizeof(*c));
	a = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT(a);
	kfree(a);			/* kfree finds the owning cache */
	KT_EXPECT_EQ(stats_of(c).objs_in_use, 0);
	KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
	KT_EXPECT_EQ(kernel_free_settled(), before);
}

static void do_kfree_stack(void *arg)
{
	long x = 0;

	kfree(&x);
}

static void do_kfree_inside_large(void *arg)
{
	u8 *p = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);

	kfree(p + PAGE_SIZE);
}

static void do_kfree_raw_page(void *arg)
{
	struct page *pg = pmm_alloc_pages(&kernel_pmm, 0, GFP_KERNEL);

	kfree(phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&kernel_pmm, pg))));
}

static void do_kfree_twice(void *arg)
{
	void *p = kmalloc(40, GFP_KERNEL);

	kfree(p);
	kfree(p);
}

static void t_kfree_bad_pointer_panics(void)
{
	KT_EXPECT(kt_dies_with_panic(do_kfree_stack, NULL, "kfree: "));
	KT_EXPECT(kt_dies_with_panic(do_kfree_inside_large, NULL, "kfree: "));
	KT_EXPECT(kt_dies_with_panic(do_kfree_raw_page, NULL, "kfree: "));
	KT_EXPECT(kt_dies_with_panic(do_kfree_twice, NULL,
				  "kmem_cache_free: kmalloc-64: double free"));
}

/* Random kmalloc/kfree: every object keeps its fill pattern until freed. */
static void t_kmalloc_stress(void)
{
	enum { SLOTS = 256, OPS = 20000 };
	static struct { u8 *p; size_t size; u8 tag; } slot[SLOTS];
	unsigned long before = kernel_free_settled();
	u64 x = 0x2545f4914f6cdd1dULL;
	bool intact = true;

	printf("    # seed %#llx\n", (unsigned long long)x);
	for (int op = 0; op < OPS; op++) {
		unsigned int i;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = x % SLOTS;
		if (slot[i].p) {
			for (size_t k = 0; k < slot[i].size; k++)
				intact &= slot[i].p[k] == slot[i].tag;
			kfree(slot[i].p);
			slot[i].p = NULL;
			continue;
		}
		/* mostly small, sometimes up to 3 pages */
		slot[i].size = (x >> 20) % ((x >> 40) % 8 ? 600 : 3 * PAGE_SIZE);
		slot[i].tag = (u8)(op | 1);
		slot[i].p = kmalloc(slot[i].size, GFP_KERNEL);
		KT_ASSERT(slot[i].p);
		memset(slot[i].p, slot[i].tag, slot[i].size);
	}
	for (int i = 0; i < SLOTS; i++) {
		for (size_t k = 0; slot[i].p && k < slot[i].size; k++)
			intact &= slot[i].p[k] == slot[i].tag;
		kfree(slot[i].p);
		slot[i].p = NULL;
	}
	KT_EXPECT(intact);
	for (size_t size = 8; size <= KMALLOC_MAX_CACHE_SIZE; size *= 2)
		KT_EXPECT_EQ(stats_of(kmalloc_cache(size)).objs_in_use, 0);
	KT_EXPECT_EQ(kernel_free_settled(), before);
}

static const struct kt_case cases[] = {
	KT_CASE(t_objects_distinct_aligned, "objects are distinct, aligned and inside their slab"),
	KT_CASE(t_free_then_alloc_reuses, "a freed object is reused by the next allocation"),
	KT_CASE(t_full_slab_moves_to_full_list, "a full slab moves to the full list and a new slab is taken"),
	KT_CASE(t_empty_slabs_beyond_one_returned, "empty slabs beyond one cached slab go back to the pmm"),
	KT_CASE(t_destroy_returns_every_page, "destroy returns every page to the pmm"),
	KT_CASE(t_destroy_busy, "destroy with live objects reports -EBUSY and changes nothing"),
	KT_CASE(t_large_objects_higher_order, "objects over 512 bytes get the smallest slab order holding 8"),
	KT_CASE(t_gfp_zero_object, "__GFP_ZERO returns a zeroed object"),
	KT_CASE(t_create_rejects_bad_geometry, "kmem_cache_create rejects a bad size or alignment"),
	KT_CASE(t_bad_cache_frees_panic, "double free, foreign or misaligned free, and a scribbled freelist panic"),
	KT_CASE(t_kmalloc_size_classes, "kmalloc rounds every size up to its documented class"),
	KT_CASE(t_kmalloc_large_uses_pages, "large kmalloc uses pmm pages and kfree returns them"),
	KT_CASE(t_kfree_null_is_noop, "kfree(NULL) is a no-op"),
	KT_CASE(t_kzalloc_zeroes, "kzalloc returns zeroed memory, small and large"),
	KT_CASE(t_cache_on_kernel_pmm_uses_kmalloc, "a cache on kernel_pmm keeps its descriptor in kmalloc"),
	KT_CASE(t_kfree_bad_pointer_panics, "kfree of a pointer kmalloc did not return panics"),
	KT_CASE(t_kmalloc_stress, "random kmalloc/kfree keeps objects intact and returns every page"),
};

int main(void)
{
	int failed;

	fake_ram_init(PFN_PHYS(RAM_BASE_PFN), (KERNEL_PAGES + PRIV_PAGES) * PAGE_SIZE);
	kernel_pages = calloc(KERNEL_PAGES, sizeof(*kernel_pages));
	if (!kernel_pages)
		abort();
	pmm_init(&kernel_pmm, kernel_pages, RAM_BASE_PFN, KERNEL_PAGES);
	pmm_add_free_range(&kernel_pmm, RAM_BASE_PFN, KERNEL_PAGES);
	kmalloc_init();
	failed = kt_run_suite("slab", cases, KT_N(cases));
	kmalloc_shrink();
	if (pmm_nr_free(&kernel_pmm) != KERNEL_PAGES) {
		printf("# kernel_pmm leaked %lu pages\n",
		       KERNEL_PAGES - pmm_nr_free(&kernel_pmm));
		failed = 1;
	}
	free(kernel_pages);
	fake_ram_free();
	return failed;
}
