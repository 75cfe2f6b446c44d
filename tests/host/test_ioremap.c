/*
 * Host tests of mm/ioremap.c: the MMIO window's allocator and mappings on a
 * private kernel page table over simulated RAM (4- and 5-level).
 */
#include "ktap.h"
#include "fake_arch.h"
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <asm/pte_bits.h>
#include <pagoda/io.h>

#define RAM_BASE	0x1000000UL
#define RAM_PAGES	1024UL

struct page_table kernel_pt;
static struct pmm tpmm;
static struct page tpages[RAM_PAGES];

static void run_in_mode(unsigned int levels, void (*fn)(void))
{
	unsigned long free_start;

	pgtable_levels = levels;
	fake_ram_init(RAM_BASE, RAM_PAGES * PAGE_SIZE);
	pmm_init(&tpmm, tpages, PHYS_PFN(RAM_BASE), RAM_PAGES);
	pmm_add_free_range(&tpmm, PHYS_PFN(RAM_BASE), RAM_PAGES);
	KT_ASSERT(pt_init(&kernel_pt, &tpmm) == 0);
	free_start = pmm_nr_free(&tpmm);
	fn();
	/* everything iounmapped: only the root remains */
	KT_EXPECT_EQ(pmm_nr_free(&tpmm), free_start);
	pt_destroy(&kernel_pt);
	fake_ram_free();
}

static bool mapped_to(uintptr_t va, phys_addr_t pa)
{
	phys_addr_t got;

	return pt_translate(&kernel_pt, va, &got) && got == pa;
}

static void t_offset_kept(void)
{
	u8 __iomem *p = ioremap(0xfee00030, 4);

	KT_ASSERT(p);
	KT_EXPECT_EQ((uintptr_t)p & ~PAGE_MASK, 0x30);
	KT_EXPECT((uintptr_t)p >= ioremap_window_start() && (uintptr_t)p < ioremap_window_end());
	KT_EXPECT(mapped_to((uintptr_t)p & PAGE_MASK, 0xfee00000));
	iounmap(p);
	KT_EXPECT(!pt_lookup_pte(&kernel_pt, (uintptr_t)p & PAGE_MASK) ||
		  pte_none(*pt_lookup_pte(&kernel_pt, (uintptr_t)p & PAGE_MASK)));
}

static void t_uncached_global_nx(void)
{
	void __iomem *p = ioremap(0xfed00000, 0x400);
	pte_t *pte;

	KT_ASSERT(p);
	pte = pt_lookup_pte(&kernel_pt, (uintptr_t)p);
	KT_ASSERT(pte);
	KT_EXPECT(pte->val & X86_PTE_PCD);
	KT_EXPECT(pte->val & X86_PTE_PWT);
	KT_EXPECT(pte->val & X86_PTE_G);
	KT_EXPECT(pte->val & X86_PTE_NX);
	KT_EXPECT(pte->val & X86_PTE_RW);
	KT_EXPECT(!(pte->val & X86_PTE_US));
	iounmap(p);
}

static void t_span_crosses_pages(void)
{
	/* 8 bytes straddling a page boundary need two pages */
	u8 __iomem *p = ioremap(0x80000ffc, 8);

	KT_ASSERT(p);
	KT_EXPECT(mapped_to((uintptr_t)p & PAGE_MASK, 0x80000000));
	KT_EXPECT(mapped_to(((uintptr_t)p & PAGE_MASK) + PAGE_SIZE, 0x80001000));
	iounmap(p);
}

static void t_guard_page_between(void)
{
	u8 __iomem *a = ioremap(0xc0000000, PAGE_SIZE);
	u8 __iomem *b = ioremap(0xc1000000, PAGE_SIZE);

	KT_ASSERT(a && b);
	KT_EXPECT((uintptr_t)b - (uintptr_t)a >= 2 * PAGE_SIZE);
	KT_EXPECT(!mapped_to((uintptr_t)a + PAGE_SIZE, 0xc0001000));
	iounmap(a);
	iounmap(b);
}

static void t_reuse_after_unmap(void)
{
	void __iomem *a = ioremap(0xd0000000, 3 * PAGE_SIZE);
	void __iomem *b, *c;

	KT_ASSERT(a);
	b = ioremap(0xd1000000, PAGE_SIZE);
	KT_ASSERT(b);
	iounmap(a);
	c = ioremap(0xd2000000, 2 * PAGE_SIZE);	/* fits in a's hole */
	KT_EXPECT_EQ((uintptr_t)c, (uintptr_t)a);
	iounmap(b);
	iounmap(c);
	/* all merged back: one allocation of the whole window minus a guard fits */
	a = ioremap(0xd0000000, 16 * PAGE_SIZE);
	KT_EXPECT_EQ((uintptr_t)a, ioremap_window_start());
	iounmap(a);
}

static void t_bad_ranges(void)
{
	void __iomem *p;

	KT_EXPECT(ioremap(0x1000, 0) == NULL);
	KT_EXPECT(ioremap(~0ULL - 10, 100) == NULL);
	/* beyond the CPU's physical address width: refused, not a pte with reserved bits */
	phys_addr_bits = 39;
	KT_EXPECT(ioremap(1ULL << 39, PAGE_SIZE) == NULL);
	KT_EXPECT(ioremap((1ULL << 39) - 8, 16) == NULL);
	p = ioremap((1ULL << 39) - PAGE_SIZE, PAGE_SIZE);
	KT_EXPECT(p != NULL);
	iounmap(p);
	phys_addr_bits = 52;
	KT_EXPECT(ioremap(0x0010000000000000ULL, 0x400) == NULL);	/* bit 52 */
}

static void t_table_exhaustion(void)
{
	void __iomem *p[64];
	unsigned int n = 0;

	/* far-apart physical pages cost no tables; many areas hit the area limit */
	for (; n < 64; n++) {
		p[n] = ioremap(0x100000000ULL + n * PAGE_SIZE, PAGE_SIZE);
		if (!p[n])
			break;
	}
	KT_EXPECT_EQ(n, 64);
	while (n)
		iounmap(p[--n]);
}

#define CASES(X)							\
	X(t_offset_kept, "the offset inside the page is kept and the page maps the frame") \
	X(t_uncached_global_nx, "mappings are uncached, global, writable, not executable, supervisor") \
	X(t_span_crosses_pages, "a range straddling a page boundary maps both pages") \
	X(t_guard_page_between, "an unmapped guard page follows each mapping") \
	X(t_reuse_after_unmap, "freed ranges are reused first-fit and merge back") \
	X(t_bad_ranges, "an empty, wrapping or beyond-MAXPHYADDR range gives NULL") \
	X(t_table_exhaustion, "64 mappings in a row succeed and unmap frees every table")

#define WRAP(fn, desc)							\
	static void fn##_l4(void) { run_in_mode(4, fn); }		\
	static void fn##_l5(void) { run_in_mode(5, fn); }
CASES(WRAP)
#define C4(fn, desc) KT_CASE(fn##_l4, "4-level: " desc),
#define C5(fn, desc) KT_CASE(fn##_l5, "5-level: " desc),

static const struct kt_case cases[] = { CASES(C4) CASES(C5) };

int main(void)
{
	return kt_run_suite("ioremap", cases, KT_N(cases));
}
