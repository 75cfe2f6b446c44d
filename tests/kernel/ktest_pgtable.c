/*
 * In-kernel tests of the page-table layer on the live kernel tables
 * (kernel_pt): what the CPU does with the entries mm/pgtable.c and
 * arch/x86_64/mm/pte.c write. Host tests (tests/host/test_pgtable.c) check
 * the table structure; these check that the hardware agrees, that TLB
 * flushes happen (a stale entry would let a touch after unmap succeed) and
 * that faults carry the right address and flags.
 *
 * Every case works in its own window inside the vmalloc area, which nothing
 * else uses yet, and gives back every page it took (checked per case; the
 * runner checks the suite as well).
 */
#include <pagoda/ktest.h>
#include <pagoda/errno.h>
#include <mm/arch.h>
#include <mm/fault.h>
#include <mm/layout.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>

#define WINDOW_OFFSET	(1UL << 30)	/* vmalloc_start() + 1 GiB */

/* Flags a kernel-mode data access can carry; the rest must stay clear. */
#define ACCESS_FLAGS	(FAULT_FLAG_PROTECTION | FAULT_FLAG_WRITE | \
			 FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION)

/* The test window of case @slot: 2 MiB aligned, 2 MiB apart. */
static uintptr_t window(unsigned int slot)
{
	return vmalloc_start() + WINDOW_OFFSET + slot * PMD_SIZE;
}

static pgprot_t prot_rw(void)
{
	return arch_pgprot(PP_READ | PP_WRITE | PP_GLOBAL);
}

/* The last step of the walk of @va through the live root. */
static struct pt_walk_step last_step(uintptr_t va, unsigned int *nr_steps)
{
	struct pt_walk w;

	pt_walk_record(virt_to_phys(kernel_pt.pgd), va, &w);
	*nr_steps = w.nr_steps;
	return w.step[w.nr_steps - 1];
}

/* Expect a kernel-mode fault at exactly @addr with @flags among ACCESS_FLAGS. */
static void expect_fault(struct ktest *t, int err, const struct ktest_fault *f,
			 uintptr_t addr, unsigned int flags)
{
	KTEST_EXPECT_EQ(t, err, -EFAULT);
	if (err != -EFAULT)
		return;
	KTEST_EXPECT_EQ(t, f->addr, addr);
	KTEST_EXPECT_EQ(t, f->flags & ACCESS_FLAGS, flags);
}

static void t_map_access(struct ktest *t)
{
	unsigned long free0 = pmm_nr_free(&kernel_pmm);
	uintptr_t va = window(0);
	struct page *pg = alloc_pages(__GFP_ZERO, 0);
	volatile u8 *v = (volatile u8 *)va;
	u8 *direct;
	phys_addr_t pa, got = 0;

	KTEST_ASSERT(t, pg);
	pa = page_to_phys(pg);
	direct = phys_to_virt(pa);
	KTEST_ASSERT(t, pt_map(&kernel_pt, va, pa, PAGE_SIZE, prot_rw(),
			       PT_MAP_4K) == 0);
	KTEST_EXPECT(t, pt_translate(&kernel_pt, va + 0x123, &got));
	KTEST_EXPECT_EQ(t, got, pa + 0x123);

	for (unsigned int i = 0; i < PAGE_SIZE; i += 61)
		v[i] = (u8)(i * 7 + 1);
	for (unsigned int i = 0; i < PAGE_SIZE; i += 61)
		KTEST_EXPECT_EQ(t, direct[i], (u8)(i * 7 + 1));
	direct[100] = 0x5a;
	KTEST_EXPECT_EQ(t, v[100], 0x5a);

	KTEST_EXPECT_EQ(t, pt_unmap(&kernel_pt, va, PAGE_SIZE), 0);
	KTEST_EXPECT(t, !pt_translate(&kernel_pt, va, &got));
	free_pages(pg, 0);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), free0);
}

static void t_touch_after_unmap(struct ktest *t)
{
	unsigned long free0 = pmm_nr_free(&kernel_pmm);
	uintptr_t va = window(1);
	struct page *pg = alloc_pages(__GFP_ZERO, 0);
	struct ktest_fault f = { 0 };
	u8 val = 0;

	KTEST_ASSERT(t, pg);
	KTEST_ASSERT(t, pt_map(&kernel_pt, va, page_to_phys(pg), PAGE_SIZE,
			       prot_rw(), PT_MAP_4K) == 0);
	/* load the translation into the TLB: only a flush can drop it now */
	KTEST_EXPECT_EQ(t, ktest_probe_write((volatile u8 *)va + 0x123, 7, &f), 0);
	KTEST_EXPECT_EQ(t, ktest_probe_read((volatile u8 *)va + 0x123, &val, &f), 0);
	KTEST_EXPECT_EQ(t, val, 7);
	KTEST_EXPECT_EQ(t, pt_unmap(&kernel_pt, va, PAGE_SIZE), 0);

	expect_fault(t, ktest_probe_read((volatile u8 *)va + 0x123, &val, &f),
		     &f, va + 0x123, 0);
	expect_fault(t, ktest_probe_write((volatile u8 *)va + 0x456, 1, &f),
		     &f, va + 0x456, FAULT_FLAG_WRITE);
	KTEST_EXPECT_EQ(t, ((u8 *)phys_to_virt(page_to_phys(pg)))[0x456], 0);
	free_pages(pg, 0);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), free0);
}

static void t_read_only(struct ktest *t)
{
	unsigned long free0 = pmm_nr_free(&kernel_pmm);
	uintptr_t va = window(2);
	struct page *pg = alloc_pages(__GFP_ZERO, 0);
	struct ktest_fault f = { 0 };
	u8 *direct;
	u8 val = 0;

	KTEST_ASSERT(t, pg);
	direct = phys_to_virt(page_to_phys(pg));
	direct[0x80] = 0xc3;
	KTEST_ASSERT(t, pt_map(&kernel_pt, va, page_to_phys(pg), PAGE_SIZE,
			       arch_pgprot(PP_READ | PP_GLOBAL), PT_MAP_4K) == 0);

	KTEST_EXPECT_EQ(t, ktest_probe_read((volatile u8 *)va + 0x80, &val, &f), 0);
	KTEST_EXPECT_EQ(t, val, 0xc3);
	/* CR0.WP: the kernel too faults on a read-only page */
	expect_fault(t, ktest_probe_write((volatile u8 *)va + 0x80, 0x11, &f),
		     &f, va + 0x80, FAULT_FLAG_PROTECTION | FAULT_FLAG_WRITE);
	KTEST_EXPECT_EQ(t, direct[0x80], 0xc3);

	KTEST_EXPECT_EQ(t, pt_unmap(&kernel_pt, va, PAGE_SIZE), 0);
	free_pages(pg, 0);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), free0);
}

#define LARGE_ORDER	9	/* 2 MiB */

static void t_large_page(struct ktest *t)
{
	unsigned long free0 = pmm_nr_free(&kernel_pmm);
	uintptr_t va = window(4);
	struct page *pg = alloc_pages(GFP_KERNEL, LARGE_ORDER);
	volatile u8 *v = (volatile u8 *)va;
	struct pt_walk_step last;
	struct ktest_fault f = { 0 };
	unsigned int nr_steps;
	phys_addr_t pa, got = 0;
	u8 *direct, val;

	if (!pg) {
		ktest_skip(t, "no free 2 MiB block");
		return;
	}
	pa = page_to_phys(pg);
	direct = phys_to_virt(pa);
	KTEST_EXPECT_EQ(t, pa & (PMD_SIZE - 1), 0);
	KTEST_ASSERT(t, pt_map(&kernel_pt, va, pa, PMD_SIZE, prot_rw(),
			       PT_MAP_LARGE) == 0);

	last = last_step(va + 0x1234, &nr_steps);
	KTEST_EXPECT_EQ(t, nr_steps, pgtable_levels - 1);
	KTEST_EXPECT_EQ(t, last.level, 2);
	KTEST_EXPECT(t, pmd_leaf((pmd_t){ last.entry }));
	KTEST_EXPECT(t, pt_translate(&kernel_pt, va + 0x1234, &got));
	KTEST_EXPECT_EQ(t, got, pa + 0x1234);
	KTEST_EXPECT(t, pt_translate(&kernel_pt, va + PMD_SIZE - 1, &got));
	KTEST_EXPECT_EQ(t, got, pa + PMD_SIZE - 1);

	for (unsigned int i = 0; i < PMD_SIZE / PAGE_SIZE; i++)
		v[i * PAGE_SIZE + (i & 0xfff)] = (u8)(i ^ 0xa5);
	for (unsigned int i = 0; i < PMD_SIZE / PAGE_SIZE; i++)
		KTEST_EXPECT_EQ(t, direct[i * PAGE_SIZE + (i & 0xfff)],
				(u8)(i ^ 0xa5));

	/* unmap one 4 KiB page in the middle: the leaf splits, the rest stays */
	KTEST_EXPECT_EQ(t, pt_unmap(&kernel_pt, va + 7 * PAGE_SIZE, PAGE_SIZE), 0);
	expect_fault(t, ktest_probe_read(v + 7 * PAGE_SIZE + 7, &val, &f),
		     &f, va + 7 * PAGE_SIZE + 7, 0);
	KTEST_EXPECT_EQ(t, ktest_probe_read(v + 6 * PAGE_SIZE + 6, &val, &f), 0);
	KTEST_EXPECT_EQ(t, val, (u8)(6 ^ 0xa5));
	KTEST_EXPECT_EQ(t, ktest_probe_read(v + 8 * PAGE_SIZE + 8, &val, &f), 0);
	KTEST_EXPECT_EQ(t, val, (u8)(8 ^ 0xa5));
	last = last_step(va + 8 * PAGE_SIZE, &nr_steps);
	KTEST_EXPECT_EQ(t, nr_steps, pgtable_levels);
	KTEST_EXPECT_EQ(t, last.level, 1);

	KTEST_EXPECT_EQ(t, pt_unmap(&kernel_pt, va, PMD_SIZE), 0);
	expect_fault(t, ktest_probe_read(v + PMD_SIZE / 2, &val, &f), &f,
		     va + PMD_SIZE / 2, 0);
	free_pages(pg, LARGE_ORDER);
	KTEST_EXPECT_EQ(t, pmm_nr_free(&kernel_pmm), free0);
}

static const struct ktest_case pgtable_cases[] = {
	KTEST_CASE(t_map_access, "a new mapping reaches the frame it maps"),
	KTEST_CASE(t_touch_after_unmap,
		   "a touch after unmap faults not-present at the touched address"),
	KTEST_CASE(t_read_only,
		   "a read-only mapping reads but a write is a protection fault"),
	KTEST_CASE(t_large_page,
		   "a 2 MiB mapping translates, reaches every page and splits on partial unmap"),
};

KTEST_SUITE(pgtable_suite, "pgtable", pgtable_cases);
