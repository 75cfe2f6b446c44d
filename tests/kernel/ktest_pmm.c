/*
 * In-kernel tests of the buddy allocator and the slab allocator on the real
 * kernel_pmm, reported in KTAP by kernel/ktest.c (`ktest=pmm`).
 *
 * Every case leaves pmm_nr_free() as it found it. Cases that use kmalloc
 * measure after kmalloc_shrink(), since the size-class caches keep one empty
 * slab each; that shrink may also release slabs cached before the suite ran.
 */
#include <pagoda/errno.h>
#include <pagoda/ktest.h>
#include <pagoda/string.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <mm/arch.h>

#define CAP_PAGES	(16UL << 20 >> PAGE_SHIFT)	/* 16 MiB worth of pages */

static void *page_mem(const struct page *p)
{
	return phys_to_virt(page_to_phys(p));
}

/* kernel_pmm's free count once the kmalloc caches dropped their empty slabs */
static unsigned long settled_free(void)
{
	kmalloc_shrink();
	return pmm_nr_free(&kernel_pmm);
}

static void t_each_order_restores_free(struct ktest *t)
{
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		unsigned long before = pmm_nr_free(&kernel_pmm);
		struct page *p = alloc_pages(GFP_KERNEL, o);

		KTEST_ASSERT(t, p != NULL);
		KTEST_EXPECT_EQ(t, page_to_pfn(p) & ((1UL << o) - 1), 0);
		KTEST_EXPECT_EQ(t, p->refcount, 1);
		KTEST_EXPECT_EQ(t, p->order, o);
		KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), before - (1UL << o));
		free_pages(p, o);
		KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), before);
	}
}

/* Fill each block with words naming the block, then check them all. */
static void t_blocks_writable_and_disjoint(struct ktest *t)
{
	enum { NBLOCKS = 14 };
	struct page *blk[NBLOCKS];
	unsigned int order[NBLOCKS];
	unsigned long before = pmm_nr_free(&kernel_pmm);
	bool intact = true;

	for (unsigned int i = 0; i < NBLOCKS; i++) {
		order[i] = i / 2;		/* two blocks of each order 0..6 */
		blk[i] = alloc_pages(GFP_KERNEL, order[i]);
		KTEST_ASSERT(t, blk[i] != NULL);
	}
	for (unsigned int i = 0; i < NBLOCKS; i++) {
		u64 *w = page_mem(blk[i]);
		size_t n = (PAGE_SIZE << order[i]) / sizeof(u64);

		for (size_t k = 0; k < n; k++)
			w[k] = ((u64)i << 48) ^ k;
	}
	for (unsigned int i = 0; i < NBLOCKS; i++) {
		const u64 *w = page_mem(blk[i]);
		size_t n = (PAGE_SIZE << order[i]) / sizeof(u64);

		for (size_t k = 0; k < n; k++)
			intact &= w[k] == (((u64)i << 48) ^ k);
		for (unsigned int j = 0; j < i; j++) {
			pfn_t a = page_to_pfn(blk[i]), b = page_to_pfn(blk[j]);

			KTEST_EXPECT(t, a + (1UL << order[i]) <= b ||
					b + (1UL << order[j]) <= a);
		}
	}
	KTEST_EXPECT(t, intact);
	for (unsigned int i = 0; i < NBLOCKS; i++)
		free_pages(blk[i], order[i]);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), before);
}

/*
 * Take order-0 pages up to CAP_PAGES, chaining them through their own
 * memory (word 0: previous page, word 1: sequence number), then walk the
 * chain back, checking each page still holds what was written, and free.
 */
static void t_alloc_to_cap_and_free_all(struct ktest *t)
{
	unsigned long before = pmm_nr_free(&kernel_pmm), n = 0;
	struct page *last = NULL;
	bool intact = true;

	while (n < CAP_PAGES) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);
		u64 *w;

		if (!p)
			break;
		w = page_mem(p);
		w[0] = (u64)(uintptr_t)last;
		w[1] = n++;
		last = p;
	}
	if (before >= CAP_PAGES)
		KTEST_EXPECT_EQ(t, n, CAP_PAGES);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), before - n);
	while (last) {
		u64 *w = page_mem(last);
		struct page *prev = (struct page *)(uintptr_t)w[0];

		intact &= w[1] == --n;
		free_pages(last, 0);
		last = prev;
	}
	KTEST_EXPECT(t, intact);
	KTEST_EXPECT_EQ(t, n, 0);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), before);
}

static void t_gfp_zero(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 1);
	const u8 *m;
	bool zero = true;

	KTEST_ASSERT(t, p != NULL);
	memset(page_mem(p), 0xa5, 2 * PAGE_SIZE);
	free_pages(p, 1);
	p = alloc_pages(__GFP_ZERO, 1);
	KTEST_ASSERT(t, p != NULL);
	m = page_mem(p);
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		zero &= m[i] == 0;
	KTEST_EXPECT(t, zero);
	free_pages(p, 1);
}

/* Two objects per class at its lower edge, its exact size, and large sizes. */
static void t_kmalloc_every_class(struct ktest *t)
{
	static const size_t sizes[] = {
		1, 8, 9, 16, 17, 32, 33, 64, 65, 96, 97, 128, 129, 192, 193,
		256, 257, 512, 513, 1024, 1025, 2048, 2049, 4096, 4097,
		16384, 100000, 1UL << 20,
	};
	enum { N = ARRAY_SIZE(sizes) };
	u8 *obj[N][2];
	unsigned long before = settled_free();
	bool intact = true;

	for (unsigned int i = 0; i < N; i++) {
		for (unsigned int k = 0; k < 2; k++) {
			obj[i][k] = kmalloc(sizes[i], GFP_KERNEL);
			KTEST_ASSERT(t, obj[i][k] != NULL);
			KTEST_EXPECT(t, ksize(obj[i][k]) >= sizes[i]);
			KTEST_EXPECT_EQ(t, (uintptr_t)obj[i][k] % 8, 0);
			memset(obj[i][k], (int)(i * 2 + k + 1), ksize(obj[i][k]));
		}
		KTEST_EXPECT(t, obj[i][0] != obj[i][1]);
	}
	for (unsigned int i = 0; i < N; i++)
		for (unsigned int k = 0; k < 2; k++) {
			for (size_t b = 0; b < ksize(obj[i][k]); b++)
				intact &= obj[i][k][b] == (u8)(i * 2 + k + 1);
			kfree(obj[i][k]);
		}
	KTEST_EXPECT(t, intact);
	kfree(NULL);
	KTEST_EXPECT_EQ(t, settled_free(), before);
}

static void t_kzalloc_zeroed(struct ktest *t)
{
	unsigned long before = settled_free();
	u8 *p = kmalloc(200, GFP_KERNEL);
	bool zero = true;

	KTEST_ASSERT(t, p != NULL);
	memset(p, 0xee, ksize(p));
	kfree(p);
	p = kzalloc(200, GFP_KERNEL);
	KTEST_ASSERT(t, p != NULL);
	for (size_t i = 0; i < 200; i++)
		zero &= p[i] == 0;
	KTEST_EXPECT(t, zero);
	kfree(p);
	KTEST_EXPECT_EQ(t, settled_free(), before);
}

static void t_private_cache_lifecycle(struct ktest *t)
{
	enum { N = 200 };		/* several slabs of 72-byte objects */
	static void *objs[N];
	unsigned long before = settled_free();
	struct kmem_cache_stats s;
	struct kmem_cache *c;

	c = kmem_cache_create("ktest-72", 72, 8, &kernel_pmm);
	KTEST_ASSERT(t, c != NULL);
	for (unsigned int i = 0; i < N; i++) {
		struct page *pg;

		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
		KTEST_ASSERT(t, objs[i] != NULL);
		pg = pfn_to_page(PHYS_PFN(virt_to_phys(objs[i])));
		KTEST_EXPECT(t, page_test_flag(pg, PG_slab));
		KTEST_EXPECT(t, pg->slab_cache == c);
		memset(objs[i], (int)i, 72);
	}
	kmem_cache_get_stats(c, &s);
	KTEST_EXPECT_EQ(t, s.objs_in_use, N);
	KTEST_EXPECT(t, s.nr_slabs >= N / s.objs_per_slab);
	KTEST_EXPECT_EQ(t, kmem_cache_destroy(c), -EBUSY);
	for (unsigned int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	KTEST_EXPECT_EQ(t, kmem_cache_destroy(c), 0);
	KTEST_EXPECT_EQ(t, settled_free(), before);
}

static const struct ktest_case pmm_cases[] = {
	KTEST_CASE(t_each_order_restores_free, "alloc and free of each order restores pmm_nr_free"),
	KTEST_CASE(t_blocks_writable_and_disjoint, "blocks are writable through the direct map and do not overlap"),
	KTEST_CASE(t_alloc_to_cap_and_free_all, "allocating 16 MiB of pages and freeing them all restores the count"),
	KTEST_CASE(t_gfp_zero, "__GFP_ZERO returns zeroed pages"),
	KTEST_CASE(t_kmalloc_every_class, "kmalloc/kfree of every size class and large sizes keeps objects intact"),
	KTEST_CASE(t_kzalloc_zeroed, "kzalloc returns zeroed memory"),
	KTEST_CASE(t_private_cache_lifecycle, "a private kmem_cache: create, use, -EBUSY while live, destroy"),
};

KTEST_SUITE(pmm_suite, "pmm", pmm_cases);
