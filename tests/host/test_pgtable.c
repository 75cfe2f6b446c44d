/*
 * Host tests of the page-table layer: mm/pgtable.c on top of the x86-64
 * entries of arch/x86_64/mm/pte.c, over simulated physical memory with a
 * private buddy allocator. Every case runs twice, once with 4-level and once
 * with 5-level paging, on a fresh allocator and hierarchy; after each case
 * the hierarchy is destroyed and the allocator must have every page back.
 *
 * Only table pages come from simulated RAM: the frames the leaves point to
 * are just numbers (nothing here dereferences them), so 1 GiB mappings cost
 * nothing.
 */
#include "ktap.h"
#include "fake_arch.h"
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <asm/pte_bits.h>
#include <pagoda/errno.h>
#include <stdlib.h>
#include <string.h>


#define RAM_BASE	0x1000000UL		/* 16 MiB */
#define RAM_PAGES	2048UL			/* 8 MiB of simulated RAM */

#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define SZ_1G		0x40000000UL

static struct pmm tpmm;
static struct page tpages[RAM_PAGES];
static struct page_table pt;
static unsigned long free_start;	/* pmm free pages before pt_init */

/* ---- fixture ---- */

static void run_in_mode(unsigned int levels, void (*fn)(void))
{
	pgtable_levels = levels;
	pgtable_has_pud_leaf = true;
	fake_ram_init(RAM_BASE, RAM_PAGES * PAGE_SIZE);
	pmm_init(&tpmm, tpages, PHYS_PFN(RAM_BASE), RAM_PAGES);
	pmm_add_free_range(&tpmm, PHYS_PFN(RAM_BASE), RAM_PAGES);
	free_start = pmm_nr_free(&tpmm);
	fake_tlb_page_flushes = 0;
	fake_tlb_full_flushes = 0;

	KT_EXPECT_EQ(pt_init(&pt, &tpmm), 0);
	if (pt.pgd) {
		KT_EXPECT_EQ(pt.nr_table_pages, 1);
		fn();
		pt_destroy(&pt);
	}
	KT_EXPECT_EQ(pmm_nr_free(&tpmm), free_start);
	fake_ram_free();
}

static unsigned int levels(void)
{
	return pgtable_levels;
}

static uintptr_t direct_map(void)
{
	return pgtable_l5_enabled() ? DIRECT_MAP_BASE_L5 : DIRECT_MAP_BASE_L4;
}

static phys_addr_t root_phys(void)
{
	return virt_to_phys(pt.pgd);
}

/* Free pages the hierarchy holds beyond its root. */
static unsigned long tables_below_root(void)
{
	return free_start - 1 - pmm_nr_free(&tpmm);
}

static pgprot_t prot_rw(void)
{
	return arch_pgprot(PP_READ | PP_WRITE);
}

#define MAP(va, pa, size, prot, flags) \
	KT_EXPECT_EQ(pt_map(&pt, (va), (pa), (size), (prot), (flags)), 0)

#define UNMAP(va, size)	KT_EXPECT_EQ(pt_unmap(&pt, (va), (size)), 0)

#define EXPECT_MAPS(va, want)						\
	do {								\
		phys_addr_t __pa = 0;					\
		bool __ok = pt_translate(&pt, (va), &__pa);		\
		KT_EXPECT(__ok);					\
		if (__ok)						\
			KT_EXPECT_EQ(__pa, (want));			\
	} while (0)

#define EXPECT_UNMAPPED(va)						\
	do {								\
		phys_addr_t __pa = 0;					\
		KT_EXPECT(!pt_translate(&pt, (va), &__pa));		\
	} while (0)

/* Level of the leaf that maps @va (3, 2 or 1), 0 if none. */
static unsigned int leaf_level(uintptr_t va)
{
	struct pt_walk w;
	const struct pt_walk_step *last;

	pt_walk_record(root_phys(), va, &w);
	last = &w.step[w.nr_steps - 1];
	if (!(last->entry & X86_PTE_P))
		return 0;
	return last->level;
}

/* A few addresses per mode: low user, top of user, kernel half. */
static unsigned int sample_addrs(uintptr_t *out)
{
	unsigned int n = 0;

	out[n++] = 0x400000;
	out[n++] = 0x00007ffffffff000UL;
	if (pgtable_l5_enabled())
		out[n++] = 0x00fffffffffff000UL;
	out[n++] = direct_map();
	out[n++] = KERNEL_IMAGE_BASE;
	out[n++] = vmalloc_start() + 0x5000;
	return n;
}

/* ---- cases ---- */

static void t_translate(void)
{
	uintptr_t va[8];
	unsigned int n = sample_addrs(va);

	for (unsigned int i = 0; i < n; i++)
		MAP(va[i], 0x12340000UL + i * SZ_4K, SZ_4K, prot_rw(), PT_MAP_4K);
	for (unsigned int i = 0; i < n; i++) {
		EXPECT_MAPS(va[i], 0x12340000UL + i * SZ_4K);
		EXPECT_MAPS(va[i] + 0xabc, 0x12340000UL + i * SZ_4K + 0xabc);
		EXPECT_UNMAPPED(va[i] - SZ_4K);
	}
}

static void t_lookup_prot(void)
{
	uintptr_t a = 0x7f0000001000UL, b = KERNEL_IMAGE_BASE + 0x3000;
	pte_t *p;

	MAP(a, 0x5000, SZ_4K, arch_pgprot(PP_READ | PP_WRITE | PP_USER),
	    PT_MAP_4K);
	MAP(b, 0x9000, SZ_4K, arch_pgprot(PP_READ | PP_EXEC | PP_GLOBAL),
	    PT_MAP_4K);

	p = pt_lookup_pte(&pt, a);
	KT_ASSERT(p);
	KT_EXPECT(pte_present(*p));
	KT_EXPECT_EQ(pte_pfn(*p), 5);
	KT_EXPECT(pte_write(*p) && pte_user(*p) && !pte_exec(*p));
	KT_EXPECT(!pte_dirty(*p) && !pte_young(*p));

	p = pt_lookup_pte(&pt, b);
	KT_ASSERT(p);
	KT_EXPECT_EQ(pte_pfn(*p), 9);
	KT_EXPECT(!pte_write(*p) && !pte_user(*p) && pte_exec(*p));
	KT_EXPECT(p->val & X86_PTE_G);

	/* same pte table: a pointer to a none entry; other regions: NULL */
	p = pt_lookup_pte(&pt, a + SZ_4K);
	KT_ASSERT(p);
	KT_EXPECT(pte_none(*p));
	KT_EXPECT(pt_lookup_pte(&pt, a + SZ_2M) == NULL);
	KT_EXPECT(pt_lookup_pte(&pt, 0x400000) == NULL);
}

static void t_first_map_tables(void)
{
	uintptr_t va = 0x7f0000001000UL;

	KT_EXPECT_EQ(tables_below_root(), 0);
	MAP(va, 0x5000, SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	KT_EXPECT_EQ(tables_below_root(), levels() - 1);
	/* a neighbour in the same pte table needs nothing new */
	MAP(va + SZ_4K, 0x6000, SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	/* a neighbour in the next pmd entry needs one pte table */
	MAP(va + SZ_2M, 0x7000, SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, levels() + 1);
}

static void t_unmap_all_frees_tables(void)
{
	uintptr_t va[8];
	unsigned int n = sample_addrs(va);

	for (unsigned int i = 0; i < n; i++)
		MAP(va[i], 0x100000UL + i * SZ_4K, SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT(pt.nr_table_pages > levels());
	for (unsigned int i = 0; i < n; i++)
		UNMAP(va[i], SZ_4K);
	for (unsigned int i = 0; i < n; i++)
		EXPECT_UNMAPPED(va[i]);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
	KT_EXPECT_EQ(pmm_nr_free(&tpmm), free_start - 1);
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		KT_EXPECT_EQ(pt.pgd[i].val, 0);
}

static void t_shared_tables_kept(void)
{
	uintptr_t va = KERNEL_IMAGE_BASE + 0x10000;

	MAP(va, 0x20000, 2 * SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	UNMAP(va, SZ_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	EXPECT_UNMAPPED(va);
	EXPECT_MAPS(va + SZ_4K, 0x21000);
	UNMAP(va + SZ_4K, SZ_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
}

/* Clear the 4 KiB leaf at @va (mapped) and leave its tables, as a zap does. */
static void clear_leaf(uintptr_t va)
{
	pte_t *p = pt_lookup_pte(&pt, va);

	KT_ASSERT(p && pte_present(*p));
	pte_clear(p);
}

static void t_free_range_floor_ceiling(void)
{
	uintptr_t a = 0x7f0000201000UL, b = a + SZ_2M;	/* one pmd table, two pte tables */
	unsigned long full, pages;

	MAP(a, 0x5000, SZ_4K, prot_rw(), PT_MAP_4K);
	MAP(b, 0x6000, SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, levels() + 1);
	clear_leaf(a);
	/* a's pte table maps only [floor, ceiling): it goes, the pmd table stays */
	full = fake_tlb_full_flushes;
	pages = fake_tlb_page_flushes;
	pt_free_range(&pt, a, a + SZ_4K, 0x400000, b & ~(SZ_2M - 1));
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	KT_EXPECT_EQ(fake_tlb_page_flushes, pages + 1);		/* one table, one address */
	KT_EXPECT_EQ(fake_tlb_full_flushes, full);
	KT_EXPECT(pt_lookup_pte(&pt, a) == NULL);
	EXPECT_MAPS(b, 0x6000);
	clear_leaf(b);
	/* nothing around: every table down from the root's entry goes */
	pt_free_range(&pt, b, b + SZ_4K, 0, 0);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
	KT_EXPECT_EQ(tables_below_root(), 0);
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		KT_EXPECT_EQ(pt.pgd[i].val, 0);
}

static void t_free_range_keeps_shared(void)
{
	uintptr_t a = 0x7f0000201000UL, c = a + 2 * SZ_4K;	/* one pte table */
	unsigned long full = fake_tlb_full_flushes, pages = fake_tlb_page_flushes;

	MAP(a, 0x5000, SZ_4K, prot_rw(), PT_MAP_4K);
	MAP(c, 0x7000, SZ_4K, prot_rw(), PT_MAP_4K);
	clear_leaf(a);
	/* the ceiling (c's page) is inside a's pte table: nothing may go */
	pt_free_range(&pt, a, a + SZ_4K, 0, c);
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	KT_EXPECT_EQ(fake_tlb_full_flushes, full);
	KT_EXPECT_EQ(fake_tlb_page_flushes, pages);
	EXPECT_MAPS(c, 0x7000);
	/* so is the floor: a hole above c keeps the table too */
	pt_free_range(&pt, c + SZ_4K, c + 2 * SZ_4K, c + SZ_4K, 0);
	KT_EXPECT_EQ(pt.nr_table_pages, levels());
	EXPECT_MAPS(c, 0x7000);
}

static void t_free_range_whole_subtree(void)
{
	uintptr_t a = 0x7f0000201000UL, d = a + 32 * SZ_2M;	/* same pmd table */

	MAP(a, 0x5000, SZ_4K, prot_rw(), PT_MAP_4K);
	MAP(d, 0x6000, SZ_4K, prot_rw(), PT_MAP_4K);
	clear_leaf(a);
	clear_leaf(d);
	/* d's empty pte table lies outside the range but inside the freed pmd table */
	pt_free_range(&pt, a, a + SZ_4K, 0, 0);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
	KT_EXPECT_EQ(tables_below_root(), 0);
	KT_EXPECT(pt_lookup_pte(&pt, d) == NULL);
}

static void t_free_range_many_tables_flush_all(void)
{
	uintptr_t base = 0x7f0000000000UL;
	unsigned long full = fake_tlb_full_flushes;

	/* more pte tables than TLB_FLUSH_CEILING: one full flush instead */
	for (unsigned int i = 0; i < 40; i++) {
		MAP(base + i * SZ_2M, 0x5000, SZ_4K, prot_rw(), PT_MAP_4K);
		clear_leaf(base + i * SZ_2M);
	}
	pt_free_range(&pt, base, base + 40 * SZ_2M, base, base + 40 * SZ_2M);
	KT_EXPECT_EQ(pt.nr_table_pages, levels() - 1);		/* the pmd table stays */
	KT_EXPECT_EQ(fake_tlb_full_flushes, full + 1);
}

static void t_eexist(void)
{
	uintptr_t a = 0x400000 + 8 * SZ_4K;

	MAP(a, 0x8000, SZ_4K, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(pt_map(&pt, a - SZ_4K, 0x70000, 3 * SZ_4K, prot_rw(),
			    PT_MAP_4K), -EEXIST);
	EXPECT_MAPS(a - SZ_4K, 0x70000);	/* before the clash: mapped */
	EXPECT_MAPS(a, 0x8000);			/* the clash: untouched */
	EXPECT_UNMAPPED(a + SZ_4K);		/* after it: nothing */

	/* a 4 KiB page inside a 2 MiB leaf, and a leaf over a 4 KiB page */
	MAP(0x40000000UL, 0x40000000UL, SZ_2M, prot_rw(), PT_MAP_LARGE);
	KT_EXPECT_EQ(pt_map(&pt, 0x40000000UL + 5 * SZ_4K, 0x1000, SZ_4K,
			    prot_rw(), PT_MAP_4K), -EEXIST);
	KT_EXPECT_EQ(pt_map(&pt, 0x400000 - SZ_2M, 0x600000, 2 * SZ_2M,
			    prot_rw(), PT_MAP_LARGE), -EEXIST);
	KT_EXPECT_EQ(leaf_level(0x200000), 2);	/* first block: a leaf */
	EXPECT_MAPS(0x200000, 0x600000);
	EXPECT_MAPS(0x400000, 0x800000);	/* second block holds a table: */
	EXPECT_MAPS(0x406000, 0x806000);	/* 4 KiB pages up to the clash */
	EXPECT_MAPS(a - SZ_4K, 0x70000);
	EXPECT_MAPS(a, 0x8000);
	EXPECT_UNMAPPED(a + SZ_4K);
}

/*
 * [V + 1G - 2M - 4K, V + 2G + 2M + 4K) with V 1 GiB aligned and a 1 GiB
 * aligned offset to pa: 4K | 2M | 1G | 2M | 4K.
 */
static void t_large_leaves(void)
{
	uintptr_t v = 0x100000000UL;
	uintptr_t start = v + SZ_1G - SZ_2M - SZ_4K;
	uintptr_t end = v + 2 * SZ_1G + SZ_2M + SZ_4K;
	phys_addr_t delta = 0x300000000UL;

	MAP(start, start + delta, end - start, prot_rw(), PT_MAP_LARGE);
	KT_EXPECT_EQ(leaf_level(start), 1);
	KT_EXPECT_EQ(leaf_level(v + SZ_1G - SZ_2M), 2);
	KT_EXPECT_EQ(leaf_level(v + SZ_1G), 3);
	KT_EXPECT_EQ(leaf_level(v + 2 * SZ_1G - SZ_4K), 3);
	KT_EXPECT_EQ(leaf_level(v + 2 * SZ_1G), 2);
	KT_EXPECT_EQ(leaf_level(v + 2 * SZ_1G + SZ_2M), 1);
	KT_EXPECT_EQ(leaf_level(end), 0);
	EXPECT_MAPS(start, start + delta);
	EXPECT_MAPS(v + SZ_1G - SZ_2M + 0x1234, v + SZ_1G - SZ_2M + 0x1234 + delta);
	EXPECT_MAPS(v + SZ_1G + 0x12345678, v + SZ_1G + 0x12345678 + delta);
	EXPECT_MAPS(v + 2 * SZ_1G + 0x1fffff, v + 2 * SZ_1G + 0x1fffff + delta);
	EXPECT_MAPS(end - 1, end - 1 + delta);
	/* pud table, 2 pmd tables, 2 pte tables (+ a p4d table with 5) */
	KT_EXPECT_EQ(pt.nr_table_pages, levels() - 3 + 5);

	fake_tlb_page_flushes = 0;
	UNMAP(start, end - start);
	KT_EXPECT_EQ(fake_tlb_page_flushes, 5);	/* one per leaf */
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
}

static void t_no_pud_leaf(void)
{
	uintptr_t v = 0x40000000UL;

	pgtable_has_pud_leaf = false;
	MAP(v, 0x80000000UL, SZ_1G, prot_rw(), PT_MAP_LARGE);
	KT_EXPECT_EQ(leaf_level(v), 2);
	KT_EXPECT_EQ(leaf_level(v + SZ_1G - SZ_2M), 2);
	EXPECT_MAPS(v + 0x3456789, 0x80000000UL + 0x3456789);
	KT_EXPECT_EQ(pt.nr_table_pages, levels() - 1);	/* no pte table */
	UNMAP(v, SZ_1G);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
}

static void t_misaligned_pa_uses_4k(void)
{
	uintptr_t v = 0x40000000UL;

	MAP(v, 0x80000000UL + SZ_4K, SZ_2M, prot_rw(), PT_MAP_LARGE);
	KT_EXPECT_EQ(leaf_level(v), 1);
	KT_EXPECT_EQ(leaf_level(v + SZ_2M - SZ_4K), 1);
	EXPECT_MAPS(v + SZ_2M - SZ_4K, 0x80000000UL + SZ_2M);
	/* aligned, but 4 KiB leaves asked for */
	MAP(v + SZ_2M, 0x80200000UL, SZ_2M, prot_rw(), PT_MAP_4K);
	KT_EXPECT_EQ(leaf_level(v + SZ_2M), 1);
}

static void t_split_pmd(void)
{
	uintptr_t v = vmalloc_start() + 4 * SZ_2M;
	phys_addr_t pa = 0x80000000UL;
	pgprot_t prot = arch_pgprot(PP_READ | PP_WRITE | PP_GLOBAL);
	unsigned long tables;
	pte_t *p;

	MAP(v, pa, SZ_2M, prot, PT_MAP_LARGE);
	KT_ASSERT(leaf_level(v) == 2);
	tables = pt.nr_table_pages;
	fake_tlb_page_flushes = 0;

	UNMAP(v + 5 * SZ_4K, SZ_4K);
	KT_EXPECT_EQ(fake_tlb_page_flushes, 1);
	KT_EXPECT_EQ(pt.nr_table_pages, tables + 1);
	EXPECT_UNMAPPED(v + 5 * SZ_4K);
	EXPECT_MAPS(v, pa);
	EXPECT_MAPS(v + 4 * SZ_4K + 0x10, pa + 4 * SZ_4K + 0x10);
	EXPECT_MAPS(v + 6 * SZ_4K, pa + 6 * SZ_4K);
	EXPECT_MAPS(v + SZ_2M - 1, pa + SZ_2M - 1);
	KT_EXPECT_EQ(leaf_level(v + 6 * SZ_4K), 1);
	/* the split keeps the protection bit for bit */
	p = pt_lookup_pte(&pt, v + 6 * SZ_4K);
	KT_ASSERT(p);
	KT_EXPECT_EQ(p->val, pfn_pte(PHYS_PFN(pa) + 6, prot).val);

	UNMAP(v, SZ_2M);
	KT_EXPECT_EQ(fake_tlb_page_flushes, 1 + 511);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
}

static void t_split_pud(void)
{
	uintptr_t v = 0x40000000UL * 3;
	phys_addr_t pa = 0x40000000UL * 7;
	pgprot_t prot = arch_pgprot(PP_READ | PP_WRITE | PP_USER | PP_NOCACHE);
	uintptr_t hole = v + 3 * SZ_2M + SZ_4K;
	pmd_t *pmd;

	MAP(v, pa, SZ_1G, prot, PT_MAP_LARGE);
	KT_ASSERT(leaf_level(v) == 3);
	KT_EXPECT_EQ(pt.nr_table_pages, levels() - 2);

	fake_tlb_page_flushes = 0;
	UNMAP(hole, SZ_4K);
	KT_EXPECT_EQ(fake_tlb_page_flushes, 1);
	KT_EXPECT_EQ(pt.nr_table_pages, levels() - 2 + 2);	/* pmd + pte */
	EXPECT_UNMAPPED(hole);
	KT_EXPECT_EQ(leaf_level(v), 2);
	KT_EXPECT_EQ(leaf_level(hole - SZ_4K), 1);
	KT_EXPECT_EQ(leaf_level(v + 5 * SZ_2M), 2);
	EXPECT_MAPS(hole - 1, pa + (hole - v) - 1);
	EXPECT_MAPS(hole + SZ_4K, pa + (hole - v) + SZ_4K);
	EXPECT_MAPS(v + SZ_1G - 1, pa + SZ_1G - 1);
	KT_EXPECT_EQ(pt_lookup_pte(&pt, hole + SZ_4K)->val,
		     pfn_pte(PHYS_PFN(pa + (hole - v) + SZ_4K), prot).val);

	/* the 2 MiB leaves keep the protection, and one flush clears one */
	pmd = pmd_offset(pud_offset(p4d_offset(pgd_offset_pgd(pt.pgd, v), v), v),
			 v + 5 * SZ_2M);
	KT_EXPECT_EQ(pmd->val, pfn_pmd_leaf(PHYS_PFN(pa + 5 * SZ_2M), prot).val);
	KT_EXPECT_EQ(pmd_leaf_pgprot(*pmd).val, prot.val);
	fake_tlb_page_flushes = 0;
	UNMAP(v + 5 * SZ_2M, SZ_2M);
	KT_EXPECT_EQ(fake_tlb_page_flushes, 1);
	EXPECT_UNMAPPED(v + 5 * SZ_2M + 0x1000);
	EXPECT_MAPS(v + 6 * SZ_2M, pa + 6 * SZ_2M);

	UNMAP(v, SZ_1G);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
}

/* Indexes computed by hand, not by the functions under test. */
static unsigned int idx(uintptr_t va, unsigned int shift)
{
	return (va >> shift) & 511;
}

static void t_walk_mapped(void)
{
	uintptr_t va[8];
	unsigned int n = sample_addrs(va);
	static const unsigned int shifts[5] = { 48, 39, 30, 21, 12 };
	const unsigned int *sh = pgtable_l5_enabled() ? shifts : shifts + 1;
	struct pt_walk w;

	for (unsigned int i = 0; i < n; i++)
		MAP(va[i], 0xabc000UL + i * SZ_4K, SZ_4K, prot_rw(), PT_MAP_4K);
	for (unsigned int i = 0; i < n; i++) {
		pt_walk_record(root_phys(), va[i] + 0x42, &w);
		KT_ASSERT(w.nr_steps == levels());
		KT_EXPECT_EQ(w.step[0].table, root_phys());
		for (unsigned int s = 0; s < w.nr_steps; s++) {
			KT_EXPECT_EQ(w.step[s].level, levels() - s);
			KT_EXPECT_EQ(w.step[s].index, idx(va[i], sh[s]));
			KT_EXPECT(w.step[s].entry & X86_PTE_P);
			if (s + 1 < w.nr_steps)
				KT_EXPECT_EQ(w.step[s + 1].table,
					     w.step[s].entry & X86_PTE_ADDR_MASK);
		}
		KT_EXPECT_EQ(w.step[levels() - 1].entry,
			     pfn_pte(PHYS_PFN(0xabc000UL) + i, prot_rw()).val);
	}
}

static void t_walk_stops(void)
{
	uintptr_t va = 0x7f0000000000UL;
	struct pt_walk w;

	pt_walk_record(root_phys(), va, &w);
	KT_EXPECT_EQ(w.nr_steps, 1);
	KT_EXPECT_EQ(w.step[0].level, levels());
	KT_EXPECT_EQ(w.step[0].entry, 0);
	KT_EXPECT_EQ(w.step[0].index, pgtable_l5_enabled() ? 0 : 0xfe);

	MAP(va, 0x1000, SZ_4K, prot_rw(), PT_MAP_4K);
	pt_walk_record(root_phys(), va + SZ_2M, &w);	/* pmd entry none */
	KT_EXPECT_EQ(w.nr_steps, levels() - 1);
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].level, 2);
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].index, 1);
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].entry, 0);
	pt_walk_record(root_phys(), va + SZ_1G, &w);	/* pud entry none */
	KT_EXPECT_EQ(w.nr_steps, levels() - 2);
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].level, 3);
	pt_walk_record(root_phys(), va + SZ_4K, &w);	/* pte none */
	KT_EXPECT_EQ(w.nr_steps, levels());
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].entry, 0);
	/* the next 512 GiB: the top table (4) or the p4d table (5) */
	pt_walk_record(root_phys(), va + (512UL << 30), &w);
	KT_EXPECT_EQ(w.nr_steps, levels() - 3);
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].level, 4);
	KT_EXPECT_EQ(w.step[w.nr_steps - 1].index, 0xff);
}

static void t_indexes_above_47_bits(void)
{
	uintptr_t hi = 0x00fffffffffff000UL, lo = 0x00007ffffffff000UL;
	uintptr_t alias = lo | 0x00ff000000000000UL;	/* lo + bits 48..55 */

	MAP(lo, 0x1000, SZ_4K, prot_rw(), PT_MAP_4K);
	if (pgtable_l5_enabled()) {
		KT_EXPECT_EQ(pgd_index(hi), 0xff);
		KT_EXPECT_EQ(pgd_index(lo), 0);
		KT_EXPECT_EQ(pgd_index(alias), 0xff);
		KT_EXPECT_EQ(pgd_index(1UL << 48), 1);
		KT_EXPECT_EQ(pgd_index(0xff11000000000000UL), 0x111);
		MAP(hi, 0x2000, SZ_4K, prot_rw(), PT_MAP_4K);
		MAP(alias, 0x3000, SZ_4K, prot_rw(), PT_MAP_4K);
		EXPECT_MAPS(hi, 0x2000);
		EXPECT_MAPS(alias, 0x3000);
	} else {
		KT_EXPECT_EQ(pgd_index(hi), 0x1ff);
		KT_EXPECT_EQ(pgd_index(lo), 0xff);
		KT_EXPECT_EQ(pgd_index(alias), 0xff);
		KT_EXPECT_EQ(pgd_index(1UL << 48), 0);
		KT_EXPECT_EQ(pgd_index(0xffff888000000000UL), 0x111);
		/* bits above 47 select nothing: alias and lo share an entry */
		KT_EXPECT_EQ(pt_map(&pt, alias, 0x3000, SZ_4K, prot_rw(),
				    PT_MAP_4K), -EEXIST);
		EXPECT_MAPS(alias, 0x1000);
	}
	EXPECT_MAPS(lo, 0x1000);
	KT_EXPECT_EQ(p4d_index(hi), 0x1ff);
	KT_EXPECT_EQ(pud_index(hi), 0x1ff);
	KT_EXPECT_EQ(pmd_index(hi), 0x1ff);
	KT_EXPECT_EQ(pte_index(hi), 0x1ff);
	KT_EXPECT_EQ(pte_index(KERNEL_IMAGE_BASE + 0x7000), 7);
}

static void t_tlb_flush_per_page(void)
{
	uintptr_t v = 0x7f0000000000UL;
	static const unsigned int pages[] = { 0, 1, 5, 9, 15 };

	for (unsigned int i = 0; i < KT_N(pages); i++)
		MAP(v + pages[i] * SZ_4K, 0x1000 * (i + 1), SZ_4K, prot_rw(),
		    PT_MAP_4K);
	MAP(v + 16 * SZ_4K, 0x10000, SZ_4K, prot_rw(), PT_MAP_4K);

	UNMAP(v, 16 * SZ_4K);		/* 5 pages among 16; tables stay */
	KT_EXPECT_EQ(fake_tlb_page_flushes, KT_N(pages));
	KT_EXPECT_EQ(fake_tlb_full_flushes, 0);
	UNMAP(v, 16 * SZ_4K);		/* nothing mapped: nothing flushed */
	KT_EXPECT_EQ(fake_tlb_page_flushes, KT_N(pages));
	UNMAP(v + 16 * SZ_4K, SZ_4K);	/* last page: the tables go */
	KT_EXPECT_EQ(fake_tlb_page_flushes, KT_N(pages) + 1);
	KT_EXPECT_EQ(fake_tlb_full_flushes, 1);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
}

/* ---- randomized differential test against a shadow model ---- */

#define WIN_PAGES	1024		/* 4 MiB: two aligned 2 MiB blocks */
#define NR_WINS		4

static u64 rng_state;

static u64 rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

struct window {
	uintptr_t base;
	phys_addr_t shadow[WIN_PAGES];	/* 0 = unmapped */
};

static struct window wins[NR_WINS];

/* Apply pt_map()'s contract to the shadow: map until the first clash. */
static int shadow_map(struct window *w, unsigned int first, unsigned int n,
		      phys_addr_t pa)
{
	for (unsigned int i = 0; i < n; i++) {
		if (w->shadow[first + i])
			return -EEXIST;
		w->shadow[first + i] = pa + i * SZ_4K;
	}
	return 0;
}

static bool window_agrees(const struct window *w)
{
	for (unsigned int i = 0; i < WIN_PAGES; i++) {
		phys_addr_t pa = 0;
		bool ok = pt_translate(&pt, w->base + i * SZ_4K, &pa);

		if (ok != (w->shadow[i] != 0) || (ok && pa != w->shadow[i])) {
			printf("    # page %#lx: table %d/%#llx, shadow %#llx\n",
			       (unsigned long)(w->base + i * SZ_4K), ok,
			       (unsigned long long)pa,
			       (unsigned long long)w->shadow[i]);
			return false;
		}
	}
	return true;
}

static void random_op(struct window *w)
{
	bool large = rng() % 4 == 0;
	unsigned int first, n;
	phys_addr_t pa;
	int want, got;

	if (large) {		/* one or two aligned 2 MiB blocks, maybe */
		first = (rng() % 2) * 512;
		n = first ? 512 : 512 * (1 + rng() % 2);
		pa = (0x40000000UL + (rng() % 64) * SZ_2M) +
		     (rng() % 4 == 0 ? SZ_4K : 0);
	} else {
		first = rng() % WIN_PAGES;
		n = 1 + rng() % MIN(64u, WIN_PAGES - first);
		pa = 0x200000000UL + (rng() % 0x100000) * SZ_4K;
	}
	if (rng() % 2) {
		want = shadow_map(w, first, n, pa);
		got = pt_map(&pt, w->base + first * SZ_4K, pa, n * SZ_4K,
			     prot_rw(), large ? PT_MAP_LARGE : PT_MAP_4K);
		KT_EXPECT_EQ(got, want);
	} else {
		memset(&w->shadow[first], 0, n * sizeof(w->shadow[0]));
		UNMAP(w->base + first * SZ_4K, n * SZ_4K);
	}
}

static void t_random_vs_shadow(void)
{
	uintptr_t bases[NR_WINS] = {
		0x400000,
		pgtable_l5_enabled() ? 0x00ffffffffc00000UL
				     : 0x00007fffffc00000UL,
		direct_map() + SZ_1G - SZ_2M,	/* straddles a pud entry */
		0xffffffffffc00000UL,		/* the very top */
	};

	rng_state = 0x5eed0000 + levels();
	memset(wins, 0, sizeof(wins));
	for (unsigned int i = 0; i < NR_WINS; i++)
		wins[i].base = bases[i];
	for (unsigned int op = 0; op < 400 && !kt_case_failed; op++) {
		struct window *w = &wins[rng() % NR_WINS];

		random_op(w);
		KT_EXPECT(window_agrees(w));
	}
	for (unsigned int i = 0; i < NR_WINS; i++) {
		UNMAP(wins[i].base, WIN_PAGES * SZ_4K);
		memset(wins[i].shadow, 0, sizeof(wins[i].shadow));
		KT_EXPECT(window_agrees(&wins[i]));
	}
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
	KT_EXPECT_EQ(pmm_nr_free(&tpmm), free_start - 1);
}

static void t_destroy_frees_all(void)
{
	uintptr_t va[8];
	unsigned int n = sample_addrs(va);

	for (unsigned int i = 0; i < n; i++)
		MAP(va[i], 0x100000UL + i * SZ_4K, SZ_4K, prot_rw(), PT_MAP_4K);
	MAP(0x40000000UL, 0x40000000UL, SZ_1G + 3 * SZ_2M + SZ_4K, prot_rw(),
	    PT_MAP_LARGE);
	UNMAP(0x40000000UL + SZ_4K, SZ_4K);	/* and a split 1 GiB leaf */
	KT_EXPECT(pmm_nr_free(&tpmm) < free_start - 5);

	pt_destroy(&pt);
	KT_EXPECT(pt.pgd == NULL);
	KT_EXPECT_EQ(pt.nr_table_pages, 0);
	KT_EXPECT_EQ(pmm_nr_free(&tpmm), free_start);
}

static void t_enomem(void)
{
	static struct page *hog[RAM_PAGES];
	unsigned int nr_hog = 0;
	uintptr_t va = KERNEL_IMAGE_BASE + 0x1000;
	struct page *pg;

	/* leave one page fewer than the first map needs */
	while (pmm_nr_free(&tpmm) > levels() - 2 &&
	       (pg = pmm_alloc_pages(&tpmm, 0, GFP_KERNEL)))
		hog[nr_hog++] = pg;
	KT_EXPECT_EQ(pt_map(&pt, va, 0x1000, SZ_4K, prot_rw(), PT_MAP_4K),
		     -ENOMEM);
	EXPECT_UNMAPPED(va);
	KT_EXPECT(pt_lookup_pte(&pt, va) == NULL);

	/* what the failure left behind goes with an unmap of the range */
	UNMAP(va, SZ_4K);
	KT_EXPECT_EQ(pt.nr_table_pages, 1);
	while (nr_hog)
		pmm_free_pages(&tpmm, hog[--nr_hog], 0);
	MAP(va, 0x1000, SZ_4K, prot_rw(), PT_MAP_4K);
	EXPECT_MAPS(va, 0x1000);
}

#define EXPECT_DESC(entry, level, text)					\
	do {								\
		char __b[96];						\
		int __n = x86_pte_describe((entry), (level), __b,	\
					   sizeof(__b));		\
		KT_EXPECT(strcmp(__b, (text)) == 0);			\
		KT_EXPECT_EQ(__n, strlen(text));			\
		if (strcmp(__b, (text)))				\
			printf("    # got \"%s\"\n", __b);		\
	} while (0)

static void t_arch_encoding(void)
{
	u64 big = X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A |
		  X86_PTE_D | X86_PTE_NX | X86_PTE_PS | (0x1200UL << 12);
	char small[5];

	KT_EXPECT_EQ(arch_pgprot(PP_READ).val, X86_PTE_P | X86_PTE_NX);
	KT_EXPECT_EQ(arch_pgprot(0).val, X86_PTE_P | X86_PTE_NX);
	/* PP_NONE: not present to the CPU, but a leaf holding its frame */
	KT_EXPECT_EQ(arch_pgprot(PP_NONE | PP_USER | PP_WRITE).val, X86_PTE_PROTNONE | X86_PTE_NX);
	pte_t none = pfn_pte(0x1234, arch_pgprot(PP_NONE));
	KT_EXPECT(!(none.val & X86_PTE_P) && pte_present(none) && pte_protnone(none));
	KT_EXPECT(!pte_user(none) && !pte_write(none) && !pte_exec(none));
	KT_EXPECT_EQ(pte_pfn(none), 0x1234);
	KT_EXPECT(!pte_protnone(pfn_pte(0x1234, arch_pgprot(PP_READ | PP_GLOBAL))));
	KT_EXPECT(!pte_present((pte_t){ 0x1234000 }));
	/* pte_modify keeps the frame and what the CPU recorded, takes the rest */
	pte_t used = pte_mkdirty(pte_mkyoung(pfn_pte(0x1234, arch_pgprot(PP_READ | PP_WRITE | PP_USER))));
	pte_t mod = pte_modify(used, arch_pgprot(PP_NONE));
	KT_EXPECT(pte_protnone(mod) && pte_dirty(mod) && pte_young(mod) && pte_pfn(mod) == 0x1234);
	mod = pte_modify(mod, arch_pgprot(PP_READ | PP_USER | PP_EXEC));
	KT_EXPECT(!pte_protnone(mod) && (mod.val & X86_PTE_P) && pte_user(mod) && pte_exec(mod));
	KT_EXPECT(!pte_write(mod) && pte_dirty(mod) && pte_young(mod) && pte_pfn(mod) == 0x1234);
	KT_EXPECT(!(mod.val & X86_PTE_PROTNONE));
	KT_EXPECT_EQ(arch_pgprot(PP_READ | PP_WRITE | PP_EXEC | PP_USER).val,
		     X86_PTE_P | X86_PTE_RW | X86_PTE_US);
	KT_EXPECT_EQ(arch_pgprot(PP_READ | PP_GLOBAL | PP_NOCACHE | PP_EXEC).val,
		     X86_PTE_P | X86_PTE_G | X86_PTE_PCD | X86_PTE_PWT);

	/* PAT moves between bit 7 (4 KiB) and bit 12 (large leaf) */
	pgprot_t pat = { X86_PTE_P | X86_PTE_PAT };
	pmd_t leaf = pfn_pmd_leaf(0x200, pat);
	KT_EXPECT_EQ(leaf.val, 0x200000 | X86_PTE_P | X86_PTE_PS |
		     X86_PTE_PAT_LARGE);
	KT_EXPECT(pmd_leaf(leaf));
	KT_EXPECT_EQ(pmd_leaf_pfn(leaf), 0x200);
	KT_EXPECT_EQ(pmd_leaf_pgprot(leaf).val, pat.val);
	KT_EXPECT_EQ(pud_leaf_pfn(pfn_pud_leaf(0x40000, pat)), 0x40000);
	KT_EXPECT_EQ(pte_pfn(pfn_pte(0xfffffffffUL, pat)), 0xfffffffffUL);

	/* folded pgd level */
	KT_EXPECT_EQ(pgd_none((pgd_t){ 0 }), pgtable_l5_enabled());
	KT_EXPECT_EQ(pgd_present((pgd_t){ 0 }), !pgtable_l5_enabled());

	EXPECT_DESC(big, 2, "P RW US A D NX PS pfn=0x1200");
	EXPECT_DESC(big | X86_PTE_PAT_LARGE, 2, "P RW US A D NX PS PAT pfn=0x1200");
	EXPECT_DESC(X86_PTE_P | X86_PTE_PS | X86_PTE_PAT_LARGE | 0x40000000UL, 3,
		    "P PS PAT pfn=0x40000");
	EXPECT_DESC(X86_PTE_P | X86_PTE_G | X86_PTE_PAT | 0x1234000, 1,
		    "P G PAT pfn=0x1234");
	EXPECT_DESC(X86_PTE_P | X86_PTE_PS | 0x1000, 4, "P rsvd7 pfn=0x1");
	EXPECT_DESC(0, 1, "none");
	EXPECT_DESC(0x1234000, 1, "not-present val=0x1234000");
	EXPECT_DESC(X86_PTE_PROTNONE | X86_PTE_A | X86_PTE_D | X86_PTE_NX | 0x1234000, 1,
		    "protnone A D pfn=0x1234");
	KT_EXPECT_EQ(x86_pte_describe(big, 2, small, sizeof(small)),
		     strlen("P RW US A D NX PS pfn=0x1200"));
	KT_EXPECT(strcmp(small, "P RW") == 0);
	KT_EXPECT_EQ(x86_pte_describe(big, 6, small, sizeof(small)), -1);
}

/* Present entries of the table at @pa (level 5..1) and below with bit 63. */
static unsigned long count_bit63(phys_addr_t pa, unsigned int level)
{
	const u64 *e = phys_to_virt(pa);
	unsigned long n = 0;

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		if (!(e[i] & X86_PTE_P))
			continue;
		n += !!(e[i] & X86_PTE_NX);
		if (level > 1 && !((level == 3 || level == 2) && (e[i] & X86_PTE_PS)))
			n += count_bit63(e[i] & X86_PTE_ADDR_MASK, level - 1);
	}
	return n;
}

/*
 * Without NX (x86_pte_set_nx(false)) no protection sets bit 63, so no
 * entry at any level of a map with 1 GiB, 2 MiB and 4 KiB leaves (nor of
 * the split a partial unmap makes) has it; with NX the same map has it.
 */
static void t_no_nx_bit_without_nx(void)
{
	uintptr_t v = 0x40000000UL - SZ_4K;	/* a 4 KiB, then 2 MiB and 1 GiB leaves */
	pgprot_t data;

	x86_pte_set_nx(false);
	data = arch_pgprot(PP_READ | PP_WRITE | PP_GLOBAL);
	KT_EXPECT_EQ(arch_pgprot(0).val, X86_PTE_P);
	KT_EXPECT_EQ(arch_pgprot(PP_READ | PP_USER).val, X86_PTE_P | X86_PTE_US);
	KT_EXPECT(pte_exec(pfn_pte(0x1234, arch_pgprot(PP_READ))));
	MAP(v, 0x80000000UL - SZ_4K, SZ_4K + SZ_1G + SZ_2M, data, PT_MAP_LARGE);
	UNMAP(v + SZ_4K + SZ_4K, SZ_4K);	/* splits the 1 GiB leaf */
	KT_EXPECT_EQ(count_bit63(root_phys(), levels()), 0);
	UNMAP(v, SZ_4K + SZ_1G + SZ_2M);
	x86_pte_set_nx(true);
	MAP(v, 0x80000000UL - SZ_4K, SZ_4K + SZ_1G + SZ_2M,
	    arch_pgprot(PP_READ | PP_WRITE | PP_GLOBAL), PT_MAP_LARGE);
	KT_EXPECT(count_bit63(root_phys(), levels()) >= 3);
}

/* ---- registration: every case in both modes ---- */

#define PGTABLE_CASES(X)						\
	X(t_translate, "map then translate returns the physical address at low, top-of-user and kernel addresses") \
	X(t_lookup_prot, "lookup returns the pte with its frame and protections") \
	X(t_first_map_tables, "first map allocates one table per level below the root") \
	X(t_unmap_all_frees_tables, "unmapping everything frees every table but the root") \
	X(t_shared_tables_kept, "unmapping one of two pages keeps their shared tables") \
	X(t_free_range_floor_ceiling, "freeing a range frees the tables inside floor..ceiling, after one full flush") \
	X(t_free_range_keeps_shared, "freeing a range keeps a table that maps the floor or ceiling page") \
	X(t_free_range_whole_subtree, "freeing a range frees a whole upper table with the empty tables under it") \
	X(t_free_range_many_tables_flush_all, "freeing more tables than the flush ceiling flushes the whole TLB once") \
	X(t_eexist, "mapping over a mapped page fails with -EEXIST and maps nothing after it") \
	X(t_large_leaves, "large map uses 1 GiB and 2 MiB leaves where aligned and 4 KiB at the edges") \
	X(t_no_pud_leaf, "without 1 GiB leaves a large map uses 2 MiB leaves") \
	X(t_misaligned_pa_uses_4k, "large map with a misaligned physical address uses 4 KiB leaves") \
	X(t_split_pmd, "partial unmap of a 2 MiB leaf splits it and the rest still translates") \
	X(t_split_pud, "partial unmap of a 1 GiB leaf splits it down to the unmapped page") \
	X(t_walk_mapped, "walk of a mapped page has one step per level with the right indexes") \
	X(t_walk_stops, "walk stops at the first non-present level") \
	X(t_indexes_above_47_bits, "indexes of addresses above 2^47 follow the paging mode") \
	X(t_tlb_flush_per_page, "each unmapped page is flushed once and freed tables after a full flush") \
	X(t_random_vs_shadow, "random map and unmap agree with a shadow model and leave only the root") \
	X(t_destroy_frees_all, "destroy frees every table page") \
	X(t_enomem, "map fails with -ENOMEM when no table page is left and unmap cleans up") \
	X(t_arch_encoding, "x86 encoding of protections, large leaves and the entry decoder") \
	X(t_no_nx_bit_without_nx, "without NX no protection and no entry at any level carries bit 63")

#define DEFINE_MODE_WRAPPERS(fn, desc)					\
	static void fn##_l4(void) { run_in_mode(4, fn); }		\
	static void fn##_l5(void) { run_in_mode(5, fn); }
PGTABLE_CASES(DEFINE_MODE_WRAPPERS)

#define CASE_L4(fn, desc)	KT_CASE(fn##_l4, "4-level: " desc),
#define CASE_L5(fn, desc)	KT_CASE(fn##_l5, "5-level: " desc),

static const struct kt_case cases[] = {
	PGTABLE_CASES(CASE_L4)
	PGTABLE_CASES(CASE_L5)
};

int main(void)
{
	return kt_run_suite("pgtable", cases, KT_N(cases));
}
