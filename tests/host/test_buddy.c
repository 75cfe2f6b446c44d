/*
 * Host unit tests of the buddy allocator (mm/buddy.c) over simulated RAM.
 * Each case builds a private struct pmm over its own fake RAM region, so the
 * cases are independent. Panics are tested in a fork()ed child whose stderr
 * is captured: the child must die of SIGABRT with the expected message.
 */
#include <mm/pmm.h>
#include <mm/arch.h>
#include "fake_arch.h"
#include "ktap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- environment ---- */

static struct pmm pmm;
static struct page *pages;

/* A pmm over pfns [base, base + nr), all reserved; RAM covers the span. */
static void env_setup(pfn_t base, unsigned long nr)
{
	fake_ram_init(PFN_PHYS(base), nr * PAGE_SIZE);
	pages = calloc(nr, sizeof(*pages));
	if (!pages)
		abort();
	pmm_init(&pmm, pages, base, nr);
}

static void env_teardown(void)
{
	free(pages);
	pages = NULL;
	fake_ram_free();
}

static pfn_t pfn_of(const struct page *p)
{
	return pmm_page_to_pfn(&pmm, p);
}

static struct page *page_of(pfn_t pfn)
{
	return pmm_pfn_to_page(&pmm, pfn);
}

static u8 *mem_of(const struct page *p)
{
	return phys_to_virt(PFN_PHYS(pfn_of(p)));
}

static bool is_free_head(pfn_t pfn, unsigned int order)
{
	const struct page *p = page_of(pfn);

	return page_test_flag(p, PG_buddy) && p->order == order;
}

/*
 * Walk every free list: each entry must be a PG_buddy head of the list's
 * order, aligned, inside the span, made of unreserved pages; the per-order
 * counts and the page total must match the counters. Returns the number of
 * problems (each also reported as a failed expectation).
 */
static int check_free_lists(void)
{
	unsigned long total = 0;
	int bad = 0;

	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		unsigned long n = 0;
		struct list_head *pos;

		list_for_each(pos, &pmm.free_area[o].free_list) {
			struct page *p = list_entry(pos, struct page, lru);
			pfn_t pfn = pfn_of(p);
			bool ok = page_test_flag(p, PG_buddy) && p->order == o &&
				  !page_test_flag(p, PG_reserved) &&
				  pfn % (1UL << o) == 0 &&
				  pmm_has_pfn(&pmm, pfn) &&
				  pmm_has_pfn(&pmm, pfn + (1UL << o) - 1);

			KT_EXPECT(ok);
			bad += !ok;
			n++;
			total += 1UL << o;
		}
		KT_EXPECT_EQ(n, pmm.free_area[o].nr_free);
		bad += n != pmm.free_area[o].nr_free;
	}
	KT_EXPECT_EQ(total, pmm_nr_free(&pmm));
	bad += total != pmm_nr_free(&pmm);
	return bad;
}

static void snapshot_free_area(unsigned long counts[MAX_ORDER])
{
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		counts[o] = pmm.free_area[o].nr_free;
}

static bool same_free_area(const unsigned long counts[MAX_ORDER])
{
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		if (counts[o] != pmm.free_area[o].nr_free)
			return false;
	return true;
}


/* ---- cases ---- */

static void t_split_merge(void)
{
	struct page *p;

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	KT_EXPECT_EQ(pmm.free_area[MAX_ORDER - 1].nr_free, 1);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 1024);

	p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	KT_ASSERT(p);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 1023);
	for (unsigned int o = 0; o < MAX_ORDER - 1; o++)
		KT_EXPECT_EQ(pmm.free_area[o].nr_free, 1);
	KT_EXPECT_EQ(pmm.free_area[MAX_ORDER - 1].nr_free, 0);
	KT_EXPECT_EQ(check_free_lists(), 0);

	pmm_free_pages(&pmm, p, 0);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 1024);
	for (unsigned int o = 0; o < MAX_ORDER - 1; o++)
		KT_EXPECT_EQ(pmm.free_area[o].nr_free, 0);
	KT_EXPECT_EQ(pmm.free_area[MAX_ORDER - 1].nr_free, 1);
	KT_EXPECT(is_free_head(0x400, MAX_ORDER - 1));
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

/* Unaligned span start, so alignment is not a gift of base_pfn. */
static void t_every_order_aligned(void)
{
	const pfn_t base = 0x403;
	const unsigned long nr = 4 * 1024;
	struct page *held[MAX_ORDER];
	unsigned long before;

	env_setup(base, nr);
	pmm_add_free_range(&pmm, base, nr);
	before = pmm_nr_free(&pmm);
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		unsigned long free_before = pmm_nr_free(&pmm);
		struct page *p = pmm_alloc_pages(&pmm, o, GFP_KERNEL);

		held[o] = p;
		KT_ASSERT(p);
		KT_EXPECT_EQ(pfn_of(p) % (1UL << o), 0);
		KT_EXPECT(pmm_has_pfn(&pmm, pfn_of(p) + (1UL << o) - 1));
		KT_EXPECT(page_test_flag(p, PG_head));
		KT_EXPECT_EQ(p->order, o);
		KT_EXPECT_EQ(pmm_nr_free(&pmm), free_before - (1UL << o));
	}
	KT_EXPECT_EQ(check_free_lists(), 0);
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		pmm_free_pages(&pmm, held[o], o);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), before);
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

static void t_exhaustion(void)
{
	const pfn_t start = 0x405;
	const unsigned long count = 700;
	struct page *held[700];
	unsigned long counts[MAX_ORDER], n = 0;
	struct page *p;

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, start, count);
	snapshot_free_area(counts);
	while ((p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL)) != NULL) {
		KT_ASSERT(n < count);
		held[n++] = p;
	}
	KT_EXPECT_EQ(n, count);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 0);
	KT_EXPECT(pmm_alloc_pages(&pmm, 0, GFP_KERNEL) == NULL);
	KT_EXPECT(pmm_alloc_pages(&pmm, 3, GFP_KERNEL) == NULL);
	for (unsigned long i = 0; i < n; i += 2)	/* evens, then odds */
		pmm_free_pages(&pmm, held[i], 0);
	for (unsigned long i = 1; i < n; i += 2)
		pmm_free_pages(&pmm, held[i], 0);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), count);
	KT_EXPECT(same_free_area(counts));
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

static void t_order_too_large(void)
{
	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	KT_EXPECT(pmm_alloc_pages(&pmm, MAX_ORDER, GFP_KERNEL) == NULL);
	KT_EXPECT(pmm_alloc_pages(&pmm, 40, GFP_KERNEL) == NULL);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 1024);
	env_teardown();
}

/*
 * [0x401, 0x7ff) carves into 0x401/0, 0x402/1, 0x404/2 ... 0x500/8 going up
 * and 0x600/8, 0x700/7 ... 0x7fe/0 coming down: two blocks of each order
 * 0..8, none larger. 0x400 and 0x7ff stay reserved.
 */
static void t_unaligned_range_carves(void)
{
	static const struct { pfn_t pfn; unsigned int order; } want[] = {
		{ 0x401, 0 }, { 0x402, 1 }, { 0x404, 2 }, { 0x408, 3 },
		{ 0x410, 4 }, { 0x420, 5 }, { 0x440, 6 }, { 0x480, 7 },
		{ 0x500, 8 }, { 0x600, 8 }, { 0x700, 7 }, { 0x780, 6 },
		{ 0x7c0, 5 }, { 0x7e0, 4 }, { 0x7f0, 3 }, { 0x7f8, 2 },
		{ 0x7fc, 1 }, { 0x7fe, 0 },
	};

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x401, 0x7ff - 0x401);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 0x3fe);
	KT_EXPECT_EQ(pmm.nr_managed, 0x3fe);
	for (unsigned int o = 0; o <= 8; o++)
		KT_EXPECT_EQ(pmm.free_area[o].nr_free, 2);
	KT_EXPECT_EQ(pmm.free_area[9].nr_free, 0);
	KT_EXPECT_EQ(pmm.free_area[10].nr_free, 0);
	for (unsigned int i = 0; i < KT_N(want); i++)
		KT_EXPECT(is_free_head(want[i].pfn, want[i].order));
	KT_EXPECT(page_test_flag(page_of(0x400), PG_reserved));
	KT_EXPECT(page_test_flag(page_of(0x7ff), PG_reserved));
	KT_EXPECT(!page_test_flag(page_of(0x401), PG_reserved));
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

static void t_ranges_in_pieces_merge(void)
{
	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x6a3, 0x800 - 0x6a3);
	pmm_add_free_range(&pmm, 0x400, 1);
	pmm_add_free_range(&pmm, 0x401, 0x6a3 - 0x401);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 1024);
	KT_EXPECT_EQ(pmm.free_area[MAX_ORDER - 1].nr_free, 1);
	KT_EXPECT(is_free_head(0x400, MAX_ORDER - 1));
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

static void t_merge_only_when_both_free(void)
{
	struct page *a, *b, *c;

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	a = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	b = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	c = pmm_alloc_pages(&pmm, 1, GFP_KERNEL);
	KT_ASSERT(a && b && c);
	KT_ASSERT(pfn_of(b) == (pfn_of(a) ^ 1));
	KT_ASSERT(pfn_of(c) == (pfn_of(a) ^ 2));

	/* a's buddy b is allocated: a stays an order-0 block */
	pmm_free_pages(&pmm, a, 0);
	KT_EXPECT(is_free_head(pfn_of(a), 0));
	KT_EXPECT_EQ(pmm.free_area[0].nr_free, 1);
	/* c's buddy pfn is a free head, but of order 0, not 1: no merge */
	pmm_free_pages(&pmm, c, 1);
	KT_EXPECT(is_free_head(pfn_of(c), 1));
	KT_EXPECT(is_free_head(pfn_of(a), 0));
	KT_EXPECT_EQ(check_free_lists(), 0);
	/* b completes a, then c, then everything up to the max order */
	pmm_free_pages(&pmm, b, 0);
	KT_EXPECT_EQ(pmm.free_area[MAX_ORDER - 1].nr_free, 1);
	for (unsigned int o = 0; o < MAX_ORDER - 1; o++)
		KT_EXPECT_EQ(pmm.free_area[o].nr_free, 0);
	KT_EXPECT(!page_test_flag(b, PG_buddy));
	KT_EXPECT(!page_test_flag(c, PG_buddy));
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

/* A span whose first and last pfns have their buddies outside it. */
static void t_span_edges_never_merge_outside(void)
{
	struct page *p;

	env_setup(0x401, 0x3fe);		/* [0x401, 0x7ff) */
	pmm_add_free_range(&pmm, 0x401, 0x3fe);
	for (unsigned int o = 0; o <= 8; o++)
		KT_EXPECT_EQ(pmm.free_area[o].nr_free, 2);
	KT_EXPECT(is_free_head(0x401, 0));
	KT_EXPECT(is_free_head(0x7fe, 0));
	/* re-freeing the edge pages must not look at pfn 0x400 / 0x7ff */
	while ((p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL)) != NULL &&
	       pfn_of(p) != 0x401 && pfn_of(p) != 0x7fe)
		;
	KT_ASSERT(p);
	pmm_free_pages(&pmm, p, 0);
	KT_EXPECT(is_free_head(pfn_of(p), 0));
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

static void t_gfp_zero(void)
{
	struct page *p;
	u8 *m;
	bool zero = true;

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	p = pmm_alloc_pages(&pmm, 2, GFP_KERNEL);
	KT_ASSERT(p);
	m = mem_of(p);
	KT_EXPECT_EQ(m[0], 0xa5);	/* fresh fake RAM is not zero */
	memset(m, 0x5a, 4 * PAGE_SIZE);
	pmm_free_pages(&pmm, p, 2);

	p = pmm_alloc_pages(&pmm, 2, __GFP_ZERO);
	KT_ASSERT(p);
	m = mem_of(p);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		zero &= m[i] == 0;
	KT_EXPECT(zero);
	KT_EXPECT_EQ(m[4 * PAGE_SIZE], 0xa5);	/* the next page untouched */
	pmm_free_pages(&pmm, p, 2);
	env_teardown();
}

static void t_refcount_and_head(void)
{
	struct page *p;

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	p = pmm_alloc_pages(&pmm, 3, GFP_KERNEL);
	KT_ASSERT(p);
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT(page_test_flag(p, PG_head));
	KT_EXPECT(!page_test_flag(p, PG_buddy));
	KT_EXPECT_EQ(p->order, 3);
	for (unsigned int i = 1; i < 8; i++) {
		KT_EXPECT_EQ(p[i].refcount, 0);
		KT_EXPECT_EQ(p[i].flags, 0);
	}
	pmm_free_pages(&pmm, p, 3);
	KT_EXPECT_EQ(p->refcount, 0);
	KT_EXPECT(!page_test_flag(p, PG_head));
	env_teardown();
}

static void do_double_free(void *arg)
{
	struct page *p = pmm_alloc_pages(&pmm, 1, GFP_KERNEL);

	pmm_free_pages(&pmm, p, 1);
	pmm_free_pages(&pmm, p, 1);
}

static void do_free_after_merge(void *arg)
{
	struct page *a = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	struct page *b = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);

	pmm_free_pages(&pmm, b, 0);
	pmm_free_pages(&pmm, a, 0);	/* merged into a larger block */
	pmm_free_pages(&pmm, b, 0);
}

static void do_free_twice_ok(void *arg)
{
	struct page *a = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);

	pmm_free_pages(&pmm, a, 0);
	a = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	pmm_free_pages(&pmm, a, 0);
}

static void t_double_free_panics(void)
{
	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	KT_EXPECT(kt_dies_with_panic(do_double_free, NULL, "pmm_free_pages: "));
	KT_EXPECT(kt_dies_with_panic(do_free_after_merge, NULL,
				  "pmm_free_pages: "));
	/* the harness itself: a correct free/alloc/free must not panic */
	KT_EXPECT(kt_exits_cleanly(do_free_twice_ok, NULL));
	env_teardown();
}

static void do_free_reserved(void *arg)
{
	pmm_free_pages(&pmm, page_of(0x400), 0);
}

static void do_free_tail(void *arg)
{
	struct page *p = pmm_alloc_pages(&pmm, 2, GFP_KERNEL);

	pmm_free_pages(&pmm, p + 1, 0);
}

static void do_free_wrong_order(void *arg)
{
	struct page *p = pmm_alloc_pages(&pmm, 2, GFP_KERNEL);

	pmm_free_pages(&pmm, p, 1);
}

static void do_free_referenced(void *arg)
{
	struct page *p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);

	p->refcount = 2;
	pmm_free_pages(&pmm, p, 0);
}

static void do_add_twice(void *arg)
{
	pmm_add_free_range(&pmm, 0x500, 16);
}

static void do_add_outside(void *arg)
{
	pmm_add_free_range(&pmm, 0x7f0, 32);
}

static void t_bad_frees_panic(void)
{
	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x401, 1023);	/* 0x400 stays reserved */
	KT_EXPECT(kt_dies_with_panic(do_free_reserved, NULL,
				  "pmm_free_pages: pfn 0x400 is reserved"));
	KT_EXPECT(kt_dies_with_panic(do_free_tail, NULL, "pmm_free_pages: "));
	KT_EXPECT(kt_dies_with_panic(do_free_wrong_order, NULL,
				  "pmm_free_pages: "));
	KT_EXPECT(kt_dies_with_panic(do_free_referenced, NULL,
				  "pmm_free_pages: "));
	KT_EXPECT(kt_dies_with_panic(do_add_twice, NULL, "pmm_add_free_range: "));
	KT_EXPECT(kt_dies_with_panic(do_add_outside, NULL, "pmm_add_free_range: "));
	KT_EXPECT_EQ(pmm_nr_free(&pmm), 1023);	/* the parent is untouched */
	env_teardown();
}

/* ---- random stress with a shadow bitmap ---- */

#define STRESS_BASE	0x805		/* unaligned */
#define STRESS_PAGES	8192UL
#define STRESS_HOLE	3000UL		/* pfns [BASE+3000, BASE+3100) stay reserved */
#define STRESS_HOLE_LEN	100UL
#define STRESS_OPS	20000
#define STRESS_SEED	0x9e3779b97f4a7c15ULL

static u64 rng_state;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct held_block {
	struct page *page;
	unsigned int order;
};

static u8 shadow[STRESS_PAGES];	/* 1 = allocated by the test */

static bool in_hole(pfn_t pfn)
{
	return pfn >= STRESS_BASE + STRESS_HOLE &&
	       pfn < STRESS_BASE + STRESS_HOLE + STRESS_HOLE_LEN;
}

/* Mark a new block in the shadow; false if any page was already taken. */
static bool shadow_take(pfn_t pfn, unsigned int order)
{
	bool ok = true;

	for (unsigned long i = 0; i < 1UL << order; i++) {
		unsigned long idx = pfn + i - STRESS_BASE;

		ok &= !shadow[idx] && !in_hole(pfn + i);
		shadow[idx] = 1;
	}
	return ok;
}

static void shadow_drop(pfn_t pfn, unsigned int order)
{
	memset(&shadow[pfn - STRESS_BASE], 0, 1UL << order);
}

/* No free block may cover a page the shadow says is allocated. */
static bool free_blocks_disjoint_from_shadow(void)
{
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		struct list_head *pos;

		list_for_each(pos, &pmm.free_area[o].free_list) {
			pfn_t pfn = pfn_of(list_entry(pos, struct page, lru));

			for (unsigned long i = 0; i < 1UL << o; i++)
				if (shadow[pfn + i - STRESS_BASE])
					return false;
		}
	}
	return true;
}

static void t_random_stress(void)
{
	static struct held_block held[STRESS_PAGES];
	unsigned long nheld = 0, allocated = 0, managed, counts[MAX_ORDER];
	bool overlap_ok = true, count_ok = true;

	rng_state = STRESS_SEED;
	printf("    # seed %#llx\n", (unsigned long long)STRESS_SEED);
	memset(shadow, 0, sizeof(shadow));
	env_setup(STRESS_BASE, STRESS_PAGES);
	pmm_add_free_range(&pmm, STRESS_BASE, STRESS_HOLE);
	pmm_add_free_range(&pmm, STRESS_BASE + STRESS_HOLE + STRESS_HOLE_LEN,
			   STRESS_PAGES - STRESS_HOLE - STRESS_HOLE_LEN);
	managed = pmm_nr_free(&pmm);
	KT_EXPECT_EQ(managed, STRESS_PAGES - STRESS_HOLE_LEN);
	snapshot_free_area(counts);

	for (int op = 0; op < STRESS_OPS; op++) {
		u64 r = rng();

		if (nheld == 0 || (r & 0xff) < 140) {
			/* geometric order: half are 0, a quarter 1, ... */
			unsigned int o = __builtin_ctzll((r >> 8) | (1ULL << (MAX_ORDER - 1)));
			struct page *p = pmm_alloc_pages(&pmm, o, GFP_KERNEL);

			if (p) {
				overlap_ok &= pfn_of(p) % (1UL << o) == 0;
				overlap_ok &= shadow_take(pfn_of(p), o);
				held[nheld++] = (struct held_block){ p, o };
				allocated += 1UL << o;
			}
		} else {
			unsigned long i = (r >> 8) % nheld;
			struct held_block b = held[i];

			held[i] = held[--nheld];
			shadow_drop(pfn_of(b.page), b.order);
			pmm_free_pages(&pmm, b.page, b.order);
			allocated -= 1UL << b.order;
		}
		count_ok &= pmm_nr_free(&pmm) == managed - allocated;
		if (op % 1000 == 999) {
			KT_EXPECT_EQ(check_free_lists(), 0);
			KT_EXPECT(free_blocks_disjoint_from_shadow());
		}
	}
	KT_EXPECT(overlap_ok);
	KT_EXPECT(count_ok);
	KT_EXPECT(nheld > 0);		/* the run did hold memory at the end */
	while (nheld > 0) {
		nheld--;
		pmm_free_pages(&pmm, held[nheld].page, held[nheld].order);
	}
	KT_EXPECT_EQ(pmm_nr_free(&pmm), managed);
	KT_EXPECT(same_free_area(counts));
	KT_EXPECT_EQ(check_free_lists(), 0);
	for (unsigned long i = 0; i < STRESS_HOLE_LEN; i++)
		KT_EXPECT(page_test_flag(page_of(STRESS_BASE + STRESS_HOLE + i),
					 PG_reserved));
	env_teardown();
}

/*
 * A page freed while still in use (mapped, in a mapping, a page table, a
 * slab, locked) is reported and leaked, never given out again, as Linux's
 * bad_page(); the free count does not move.
 */
static void t_bad_page_state_is_reported_and_leaked(void)
{
	static const enum page_flag flags[] = { PG_pgtable, PG_slab, PG_locked };
	unsigned long before;
	struct page *p;

	env_setup(0x400, 1024);
	pmm_add_free_range(&pmm, 0x400, 1024);
	before = pmm_nr_free(&pmm);
	p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	KT_ASSERT(p);
	p->mapcount = 1;			/* still mapped by a pte */
	pmm_free_pages(&pmm, p, 0);
	KT_EXPECT_EQ(pmm.nr_bad, 1);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), before - 1);
	KT_EXPECT(page_test_flag(p, PG_head) && !page_test_flag(p, PG_buddy));
	p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	KT_ASSERT(p);
	p->mapping = (struct address_space *)p;	/* still in a file's page cache */
	pmm_free_pages(&pmm, p, 0);
	KT_EXPECT_EQ(pmm.nr_bad, 2);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
		KT_ASSERT(p);
		page_set_flag(p, flags[i]);
		pmm_free_pages(&pmm, p, 0);
		KT_EXPECT_EQ(pmm.nr_bad, 3 + i);
	}
	KT_EXPECT_EQ(pmm_nr_free(&pmm), before - 5);
	/* a page freed as it should be still comes back */
	p = pmm_alloc_pages(&pmm, 0, GFP_KERNEL);
	KT_ASSERT(p);
	page_set_flag(p, PG_anon);
	page_set_flag(p, PG_dirty);
	pmm_free_pages(&pmm, p, 0);
	KT_EXPECT_EQ(pmm.nr_bad, 5);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), before - 5);
	KT_EXPECT_EQ(check_free_lists(), 0);
	env_teardown();
}

static const struct kt_case cases[] = {
	KT_CASE(t_split_merge, "split then merge restores the free count and the single max-order block"),
	KT_CASE(t_every_order_aligned, "every order allocates a size-aligned block from an unaligned span"),
	KT_CASE(t_exhaustion, "exhaustion returns NULL and freeing everything restores the count"),
	KT_CASE(t_order_too_large, "an order >= MAX_ORDER returns NULL"),
	KT_CASE(t_unaligned_range_carves, "unaligned free range carves maximal aligned blocks"),
	KT_CASE(t_ranges_in_pieces_merge, "free ranges added in pieces merge into one max-order block"),
	KT_CASE(t_merge_only_when_both_free, "buddies merge only when both are free blocks of the same order"),
	KT_CASE(t_span_edges_never_merge_outside, "blocks at the span edges never look at pfns outside it"),
	KT_CASE(t_gfp_zero, "__GFP_ZERO returns zeroed memory and only the block"),
	KT_CASE(t_refcount_and_head, "allocated head has refcount 1, PG_head and its order; tails stay clean"),
	KT_CASE(t_double_free_panics, "double free panics, also after the block merged"),
	KT_CASE(t_bad_frees_panic, "freeing a reserved, tail, wrong-order or referenced page panics; adding a managed range panics"),
	KT_CASE(t_bad_page_state_is_reported_and_leaked, "a page freed while mapped, in a mapping, a table, a slab or locked is reported and leaked"),
	KT_CASE(t_random_stress, "random alloc/free stress never overlaps and ends with the free count restored"),
};

int main(void)
{
	return kt_run_suite("buddy", cases, KT_N(cases));
}
