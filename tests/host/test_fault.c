/*
 * Host tests of the user page-fault path (mm/memory.c, mm/shared_anon.c)
 * on top of the address spaces of mm/mmap.c and the page tables of
 * mm/pgtable.c + arch/x86_64/mm/pte.c, over simulated RAM.
 *
 * One fake RAM region holds two pmms: kernel_pmm feeds kmalloc (mm_struct,
 * vmas, shared-anon slot arrays), a private user pmm feeds the mm's pages
 * and page tables and the zero page. Every case runs twice, with 4-level and
 * with 5-level paging, on a fresh user pmm, zero page and mm; afterwards the
 * mm is put and both pmms must have every page back (the zero page
 * excepted: it is never freed), and the zero page's refcount must never
 * have moved.
 *
 * The cases drive do_user_addr_fault() as arch/x86_64/traps.c does and
 * look at the ptes, the struct pages and the fault counters. Fork is
 * simulated by hand where a case needs a page mapped twice.
 */
#include "ktap.h"
#include "fake_arch.h"
#include "fake_mm.h"
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/errno.h>
#include <asm/pte_bits.h>	/* x86_pte_set_nx(), X86_PTE_NX: the no-NX case */
#include <signal.h>	/* the host's SEGV_* / BUS_* : Pagoda's are Linux's values */
#include <stdlib.h>
#include <string.h>

#define RAM_BASE_PFN	0x1000UL		/* 16 MiB */
#define KERNEL_PAGES	2048UL			/* kernel_pmm: kmalloc */
#define USER_BASE_PFN	(RAM_BASE_PFN + KERNEL_PAGES)
#define USER_PAGES	2048UL			/* 8 MiB: user pages and tables */

#define PG		PAGE_SIZE
#define AREA		0x10000000UL		/* where cases map things (256 MiB) */
#define STACK_TOP	0x7f0000000000UL
#define KERNEL_ADDR	0xffff888000000000UL

#define F_READ		FAULT_FLAG_USER
#define F_WRITE		(FAULT_FLAG_USER | FAULT_FLAG_WRITE)
#define F_EXEC		(FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION)

static struct mm_struct *mm;		/* the case's address space */

/* ---- fixture ---- */

static uintptr_t task_size(void)
{
	return mm_default_task_size();
}

static struct mm_struct *new_mm(void)
{
	struct mm_struct *m = mm_create(&upmm, NULL, task_size());

	if (m)
		m->stack_limit = RLIMIT_STACK_DEFAULT;
	return m;
}

static void run_in_mode(unsigned int levels, void (*fn)(void))
{
	fake_mm_user_reset(levels);

	mm = new_mm();
	KT_ASSERT(mm);
	fn();
	if (mm)
		mm_put(mm);
	mm = NULL;
	fake_mm_user_check();
	KT_EXPECT_EQ(zero_page->refcount, 1);
	KT_EXPECT_EQ(zero_page->mapcount, 0);
}

/* ---- helpers ---- */

/* mmap in @m at fixed @addr (anonymous); the address, or 0 after a failed expectation. */
static uintptr_t map_in(struct mm_struct *m, uintptr_t addr, size_t len, int prot, int flags)
{
	long r = mm_mmap(m, addr, len, prot, flags | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	KT_EXPECT_EQ(r, addr);
	return r == (long)addr ? addr : 0;
}

static uintptr_t map(uintptr_t addr, size_t len, int prot, int flags)
{
	return map_in(mm, addr, len, prot, flags);
}

#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	MAP_PRIVATE

static vm_fault_t fault_in(struct mm_struct *m, uintptr_t addr, unsigned int flags, int *si)
{
	int dummy;

	return do_user_addr_fault(m, addr, flags, si ? si : &dummy);
}

static vm_fault_t fault(uintptr_t addr, unsigned int flags, int *si)
{
	return fault_in(mm, addr, flags, si);
}

static pte_t pte_of(struct mm_struct *m, uintptr_t addr)
{
	pte_t *p = pt_lookup_pte(&m->pt, addr);

	return p ? *p : (pte_t){ 0 };
}

static pte_t *ptep_of(struct mm_struct *m, uintptr_t addr)
{
	return pt_lookup_pte(&m->pt, addr);
}

static pfn_t pfn_of(struct mm_struct *m, uintptr_t addr)
{
	return pte_pfn(pte_of(m, addr));
}

static struct page *page_of(struct mm_struct *m, uintptr_t addr)
{
	return pmm_pfn_to_page(&upmm, pfn_of(m, addr));
}

/*
 * The direct-map address of the byte @addr maps to; for an unmapped @addr a
 * scratch page of 0xee bytes, so a failed case reports instead of crashing.
 */
static u8 *kaddr_of(struct mm_struct *m, uintptr_t addr)
{
	static u8 nowhere[PAGE_SIZE];

	if (!pte_present(pte_of(m, addr))) {
		memset(nowhere, 0xee, sizeof(nowhere));
		return nowhere + (addr & (PG - 1));
	}
	return (u8 *)phys_to_virt(PFN_PHYS(pfn_of(m, addr))) + (addr & (PG - 1));
}

static bool all_bytes(const u8 *p, u8 v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Take every free page of the user pmm; give them back with give_back(). */
struct hoard {
	struct page **pages;
	size_t n;
};

static struct hoard exhaust_user_pmm(void)
{
	struct hoard h = { malloc(USER_PAGES * sizeof(struct page *)), 0 };
	struct page *p;

	while ((p = pmm_alloc_pages(&upmm, 0, 0)))
		h.pages[h.n++] = p;
	return h;
}

static void give_back(struct hoard *h)
{
	while (h->n)
		pmm_free_pages(&upmm, h->pages[--h->n], 0);
	free(h->pages);
}

/* ---- the access check ---- */

static void t_access_check(void)
{
	struct vm_area_struct v = { 0 };
	static const struct {
		unsigned long vm_flags;
		unsigned int flags;
		bool ok;
	} rows[] = {
		{ VM_READ, F_READ, true },
		{ VM_READ, F_WRITE, false },
		{ VM_READ, F_EXEC, false },
		{ VM_WRITE, F_READ, true },		/* x86: write implies read */
		{ VM_EXEC, F_READ, true },		/* and so does exec */
		{ VM_READ | VM_WRITE, F_WRITE, true },
		{ VM_READ | VM_EXEC, F_EXEC, true },
		{ 0, F_READ, false },			/* PROT_NONE */
		{ VM_READ, F_READ | FAULT_FLAG_PROTECTION, false },
		{ VM_READ | VM_WRITE, F_WRITE | FAULT_FLAG_PROTECTION, true },
		{ VM_READ | VM_WRITE, F_READ | FAULT_FLAG_PKEY, false },
		{ VM_READ | VM_WRITE, F_WRITE | FAULT_FLAG_SHADOW_STACK, false },
	};

	for (size_t i = 0; i < KT_N(rows); i++) {
		v.vm_flags = rows[i].vm_flags;
		if (vma_access_ok(&v, rows[i].flags) != rows[i].ok) {
			printf("    # row %zu: vm_flags %#lx flags %#x\n", i,
			       rows[i].vm_flags, rows[i].flags);
			kt_case_failed = 1;
		}
	}
}

/* ---- do_anonymous_page ---- */

static void t_read_maps_zero_page(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	unsigned long free0 = pmm_nr_free(&upmm), tables0 = mm->pt.nr_table_pages;
	pte_t e;

	KT_EXPECT_EQ(fault(a + PG + 5, F_READ, NULL), 0);
	e = pte_of(mm, a + PG);
	KT_EXPECT(pte_present(e));
	KT_EXPECT(is_zero_pfn(pte_pfn(e)));
	KT_EXPECT(!pte_write(e));
	KT_EXPECT(pte_user(e));
	KT_EXPECT(all_bytes(kaddr_of(mm, a + PG), 0, PG));
	/* only tables were allocated, no page */
	KT_EXPECT_EQ(free0 - pmm_nr_free(&upmm), mm->pt.nr_table_pages - tables0);
	KT_EXPECT_EQ(mm->faults.zero_page, 1);
	KT_EXPECT_EQ(mm->faults.anon, 0);
	KT_EXPECT_EQ(mm->rss_anon, 0);
	KT_EXPECT_EQ(global_faults.zero_page, 1);
	KT_EXPECT_EQ(zero_page->refcount, 1);
	KT_EXPECT_EQ(zero_page->mapcount, 0);
	/* a second read of another page takes no page either */
	free0 = pmm_nr_free(&upmm);
	KT_EXPECT_EQ(fault(a + 2 * PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free0);
	KT_EXPECT_EQ(mm->faults.zero_page, 2);
}

static void t_write_first_maps_private_page(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	struct page *p;
	pte_t e;

	KT_EXPECT_EQ(fault(a + 3 * PG + 100, F_WRITE, NULL), 0);
	e = pte_of(mm, a + 3 * PG);
	KT_ASSERT(pte_present(e));
	KT_EXPECT(pte_write(e));
	KT_EXPECT(pte_user(e));
	KT_EXPECT(!is_zero_pfn(pte_pfn(e)));
	p = page_of(mm, a + 3 * PG);
	KT_EXPECT(page_test_flag(p, PG_anon));
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT_EQ(p->mapcount, 1);
	KT_EXPECT(all_bytes(kaddr_of(mm, a + 3 * PG), 0, PG));	/* RAM was 0xa5 */
	KT_EXPECT_EQ(mm->rss_anon, 1);
	KT_EXPECT_EQ(mm->faults.anon, 1);
	KT_EXPECT_EQ(mm->faults.zero_page, 0);
	KT_EXPECT_EQ(mm->faults.minor, 1);
	KT_EXPECT_EQ(global_faults.anon, 1);
}

static void t_write_after_read_copies_zero_page(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	unsigned long flushes;
	pte_t e;

	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	KT_EXPECT(is_zero_pfn(pfn_of(mm, a)));
	flushes = fake_tlb_page_flushes;
	/* the CPU reports the write to the read-only zero-page pte as a protection fault */
	KT_EXPECT_EQ(fault(a + 8, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	e = pte_of(mm, a);
	KT_EXPECT(pte_write(e));
	KT_EXPECT(!is_zero_pfn(pte_pfn(e)));
	KT_EXPECT(all_bytes(kaddr_of(mm, a), 0, PG));
	KT_EXPECT(all_bytes(phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&upmm, zero_page))), 0, PG));
	KT_EXPECT_EQ(page_of(mm, a)->refcount, 1);
	KT_EXPECT_EQ(page_of(mm, a)->mapcount, 1);
	KT_EXPECT_EQ(zero_page->refcount, 1);
	KT_EXPECT_EQ(zero_page->mapcount, 0);
	KT_EXPECT_EQ(mm->faults.wp_copy, 1);
	KT_EXPECT_EQ(mm->rss_anon, 1);
	KT_EXPECT(fake_tlb_page_flushes > flushes);	/* the present pte changed */
	/* the write lands in the private page; the zero page stays zero */
	*kaddr_of(mm, a + 8) = 0x5a;
	KT_EXPECT(all_bytes(phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&upmm, zero_page))), 0, PG));
}

static void t_exec_fault_on_exec_vma(void)
{
	uintptr_t a = map(AREA, PG, PROT_READ | PROT_EXEC, PRIV);

	KT_EXPECT_EQ(fault(a, F_EXEC, NULL), 0);
	KT_EXPECT(pte_present(pte_of(mm, a)));
	KT_EXPECT(pte_exec(pte_of(mm, a)));
	KT_EXPECT(!pte_write(pte_of(mm, a)));
}

static void t_write_only_and_exec_only_vmas_are_readable(void)
{
	uintptr_t w = map(AREA, PG, PROT_WRITE, PRIV);
	uintptr_t x = map(AREA + 2 * PG, PG, PROT_EXEC, PRIV);

	KT_EXPECT_EQ(fault(w, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault(x, F_READ, NULL), 0);
	KT_EXPECT(pte_present(pte_of(mm, w)));
	KT_EXPECT(pte_present(pte_of(mm, x)));
}

/* ---- unserved faults ---- */

static void t_write_to_readonly_vma_is_accerr(void)
{
	uintptr_t a = map(AREA, PG, PROT_READ, PRIV);
	int si = 0;

	KT_EXPECT_EQ(fault(a, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT(!pte_present(pte_of(mm, a)));
	/* also once the page is mapped: a protection fault */
	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT(is_zero_pfn(pfn_of(mm, a)));
	KT_EXPECT_EQ(mm->faults.sigsegv, 2);
	KT_EXPECT_EQ(global_faults.sigsegv, 2);
}

static void t_exec_on_noexec_vma_is_accerr(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	int si = 0;

	KT_EXPECT_EQ(fault(a, F_EXEC, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(fault(a, F_EXEC | FAULT_FLAG_PROTECTION, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
}

static void t_prot_none_is_accerr(void)
{
	uintptr_t a = map(AREA, PG, PROT_NONE, PRIV);
	int si = 0;

	KT_EXPECT_EQ(fault(a, F_READ, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT_EQ(fault(a, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT_EQ(fault(a, F_READ | FAULT_FLAG_PKEY, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
}

static void t_holes_are_maperr(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	uintptr_t b = map(AREA + 16 * PG, PG, RW, PRIV);
	int si = 0;

	KT_EXPECT_EQ(fault(a + PG, F_READ, &si), VM_FAULT_SIGSEGV);	/* between */
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	si = 0;
	KT_EXPECT_EQ(fault(a - PG, F_WRITE, &si), VM_FAULT_SIGSEGV);	/* below all */
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	si = 0;
	KT_EXPECT_EQ(fault(b + PG, F_READ, &si), VM_FAULT_SIGSEGV);	/* above all */
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	si = 0;
	KT_EXPECT_EQ(fault(0, F_READ, &si), VM_FAULT_SIGSEGV);	/* NULL */
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	KT_EXPECT_EQ(mm->faults.sigsegv, 4);
	KT_EXPECT_EQ(mm->faults.minor, 0);
}

static void t_kernel_addresses_are_maperr(void)
{
	int si = 0;

	map(AREA, PG, RW, PRIV);
	KT_EXPECT_EQ(fault(KERNEL_ADDR, F_READ, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	si = 0;
	/* the CPU calls a user read of a present kernel page a protection fault */
	KT_EXPECT_EQ(fault(KERNEL_ADDR, F_READ | FAULT_FLAG_PROTECTION, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	si = 0;
	KT_EXPECT_EQ(fault(mm->task_size, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	si = 0;
	KT_EXPECT_EQ(fault(~0UL, F_READ, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
}

static void t_kernel_access_not_counted_as_signal(void)
{
	int si = 0;

	KT_EXPECT_EQ(fault(AREA, FAULT_FLAG_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	KT_EXPECT_EQ(mm->faults.sigsegv, 0);
	KT_EXPECT_EQ(fault(AREA, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(mm->faults.sigsegv, 1);
}

/* ---- stack growth ---- */

static uintptr_t map_stack(size_t pages)
{
	return map(STACK_TOP - pages * PG, pages * PG, RW, PRIV | MAP_GROWSDOWN);
}

static void t_stack_grows_to_the_limit(void)
{
	uintptr_t s = map_stack(16);
	struct vm_area_struct *vma;

	KT_EXPECT_EQ(fault(s - PG + 8, F_WRITE, NULL), 0);	/* one page below */
	vma = vma_lookup(mm, s - PG);
	KT_ASSERT(vma);
	KT_EXPECT_EQ(vma->vm_start, s - PG);
	KT_EXPECT_EQ(vma->vm_end, STACK_TOP);
	KT_EXPECT(vma->vm_flags & VM_GROWSDOWN);
	KT_EXPECT(pte_write(pte_of(mm, s - PG)));
	KT_EXPECT_EQ(mm->faults.stack_expand, 1);
	/* deep: exactly stack_limit below the top still works */
	KT_EXPECT_EQ(fault(STACK_TOP - mm->stack_limit, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(vma->vm_start, STACK_TOP - mm->stack_limit);
	KT_EXPECT_EQ(mm->faults.stack_expand, 2);
	KT_EXPECT_EQ(mm->rss_anon, 2);
}

static void t_stack_beyond_limit_is_maperr(void)
{
	uintptr_t s = map_stack(16);
	struct vm_area_struct *vma = vma_lookup(mm, s);
	int si = 0;

	KT_EXPECT_EQ(fault(STACK_TOP - mm->stack_limit - PG, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	KT_ASSERT(vma);
	KT_EXPECT_EQ(vma->vm_start, s);
	KT_EXPECT_EQ(mm->faults.stack_expand, 0);
	/* a smaller limit takes effect at once */
	mm->stack_limit = 32 * PG;
	KT_EXPECT_EQ(fault(STACK_TOP - 33 * PG, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(fault(STACK_TOP - 32 * PG, F_WRITE, &si), 0);
}

static void t_stack_guard_gap(void)
{
	uintptr_t s = map_stack(16);
	uintptr_t below_end = s - 300 * PG;
	int si = 0;

	map(below_end - 4 * PG, 4 * PG, PROT_READ, PRIV);
	/* 255 pages above the vma below: inside the gap */
	KT_EXPECT_EQ(fault(below_end + 255 * PG, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	KT_EXPECT_EQ(vma_lookup(mm, s)->vm_start, s);
	/* exactly the gap away: allowed */
	KT_EXPECT_EQ(fault(below_end + 256 * PG, F_WRITE, &si), 0);
	KT_EXPECT_EQ(vma_lookup(mm, s)->vm_start, below_end + 256 * PG);
}

static void t_prot_none_below_does_not_stop_growth(void)
{
	uintptr_t s = map_stack(16);
	uintptr_t below_end = s - 300 * PG;

	map(below_end - 4 * PG, 4 * PG, PROT_NONE, PRIV);
	KT_EXPECT_EQ(fault(below_end + 8 * PG, F_WRITE, NULL), 0);
}

static void t_no_growth_below_ordinary_vma(void)
{
	uintptr_t a = map(AREA + 16 * PG, 4 * PG, RW, PRIV);
	int si = 0;

	KT_EXPECT_EQ(fault(a - PG, F_WRITE, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
	KT_EXPECT_EQ(vma_lookup(mm, a)->vm_start, a);
}

/* ---- page tables ---- */

/* Fault in one page at @addr (its own vma) and count the tables it needed. */
static unsigned long tables_for_first_touch(uintptr_t addr)
{
	unsigned long before = mm->pt.nr_table_pages;
	struct pt_walk w;

	map(addr, PG, RW, PRIV);
	KT_EXPECT_EQ(fault(addr, F_WRITE, NULL), 0);
	pt_walk_record(virt_to_phys(mm->pt.pgd), addr, &w);
	KT_EXPECT_EQ(w.nr_steps, pgtable_levels);
	for (unsigned int i = 0; i < w.nr_steps; i++)
		KT_EXPECT(w.step[i].entry & 1);		/* present at every level */
	return mm->pt.nr_table_pages - before;
}

static void t_tables_allocated_at_every_level(void)
{
	unsigned int below_root = pgtable_levels - 1;

	KT_EXPECT_EQ(tables_for_first_touch(AREA), below_root);
	/* same pte table: nothing new */
	KT_EXPECT_EQ(tables_for_first_touch(AREA + PG), 0);
	/* same pmd table, new pte table */
	KT_EXPECT_EQ(tables_for_first_touch(AREA + PMD_SIZE), 1);
	/* same pud table, new pmd and pte */
	KT_EXPECT_EQ(tables_for_first_touch(AREA + PUD_SIZE), 2);
	/* another top-level entry: a whole chain below it */
	KT_EXPECT_EQ(tables_for_first_touch(pgtable_l5_enabled() ? (1UL << 50) : (1UL << 46)),
		     below_root);
}

static void t_oom_is_reported(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	struct hoard h;

	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);	/* tables now exist */
	h = exhaust_user_pmm();
	KT_EXPECT_EQ(fault(a + PG, F_WRITE, NULL), VM_FAULT_OOM);
	KT_EXPECT(pte_none(pte_of(mm, a + PG)));
	/* zero page needs no memory */
	KT_EXPECT_EQ(fault(a + 2 * PG, F_READ, NULL), 0);
	/* copy-on-write of the zero page does */
	KT_EXPECT_EQ(fault(a + 2 * PG, F_WRITE | FAULT_FLAG_PROTECTION, NULL), VM_FAULT_OOM);
	KT_EXPECT(is_zero_pfn(pfn_of(mm, a + 2 * PG)));
	/* a new table cannot be had either */
	map(AREA + PUD_SIZE, PG, RW, PRIV);
	KT_EXPECT_EQ(fault(AREA + PUD_SIZE, F_READ, NULL), VM_FAULT_OOM);
	KT_EXPECT_EQ(mm->faults.sigsegv, 0);
	give_back(&h);
	KT_EXPECT_EQ(fault(a + PG, F_WRITE, NULL), 0);
}

/* ---- do_wp_page ---- */

static void wrprotect(struct mm_struct *m, uintptr_t addr)
{
	pte_t *p = ptep_of(m, addr);

	set_pte(p, pte_wrprotect(*p));
}

static void t_wp_reuses_exclusive_anon_page(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	unsigned long flushes;
	pfn_t pfn;

	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	pfn = pfn_of(mm, a);
	*kaddr_of(mm, a) = 0x77;
	wrprotect(mm, a);
	flushes = fake_tlb_page_flushes;
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT_EQ(pfn_of(mm, a), pfn);
	KT_EXPECT(pte_write(pte_of(mm, a)));
	KT_EXPECT_EQ(*kaddr_of(mm, a), 0x77);
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
	KT_EXPECT_EQ(mm->faults.wp_copy, 0);
	KT_EXPECT_EQ(fake_tlb_page_flushes, flushes + 1);
	KT_EXPECT_EQ(mm->rss_anon, 1);
}

/*
 * Map @m1's page at @addr into @m2 at the same address, read-only in both,
 * as fork will: the page gets a second reference and mapcount.
 */
static void share_page_like_fork(struct mm_struct *m1, struct mm_struct *m2, uintptr_t addr)
{
	struct page *p = page_of(m1, addr);

	KT_EXPECT_EQ(fault_in(m2, addr, F_READ, NULL), 0);	/* tables; maps the zero page */
	wrprotect(m1, addr);
	set_pte(ptep_of(m2, addr), pte_of(m1, addr));
	get_page(p);
	page_mapcount_inc(p);
	m2->rss_anon++;
}

static void t_wp_copies_page_mapped_twice(void)
{
	struct mm_struct *child = new_mm();
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct page *p;

	KT_ASSERT(child);
	map_in(child, AREA, PG, RW, PRIV);
	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	memset(kaddr_of(mm, a), 0x3c, PG);
	p = page_of(mm, a);
	share_page_like_fork(mm, child, a);
	KT_EXPECT_EQ(p->refcount, 2);
	KT_EXPECT_EQ(p->mapcount, 2);

	/* the parent writes: it gets a copy, the child keeps the original */
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT(page_of(mm, a) != p);
	KT_EXPECT(all_bytes(kaddr_of(mm, a), 0x3c, PG));
	KT_EXPECT_EQ(page_of(child, a), p);
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT_EQ(p->mapcount, 1);
	KT_EXPECT_EQ(mm->faults.wp_copy, 1);
	*kaddr_of(mm, a) = 0x11;
	KT_EXPECT_EQ(*kaddr_of(child, a), 0x3c);	/* child write invisible to parent, and back */

	/* the child is alone with the page now: it writes in place */
	KT_EXPECT_EQ(fault_in(child, a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT_EQ(page_of(child, a), p);
	KT_EXPECT_EQ(child->faults.wp_reuse, 1);
	KT_EXPECT_EQ(child->faults.wp_copy, 0);
	KT_EXPECT_EQ(mm->rss_anon, 1);
	KT_EXPECT_EQ(child->rss_anon, 1);
	mm_put(child);
}

static void t_wp_copies_page_with_extra_reference(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct page *p;

	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	p = page_of(mm, a);
	get_page(p);			/* a kernel user holds it (get_user_pages) */
	wrprotect(mm, a);
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT(page_of(mm, a) != p);
	KT_EXPECT_EQ(p->mapcount, 0);
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT_EQ(mm->faults.wp_copy, 1);
	put_page(&upmm, p);		/* the holder lets go: freed */
}

static void t_spurious_fault_only_flushes(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	unsigned long flushes;
	pte_t e;

	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	e = pte_of(mm, a);
	flushes = fake_tlb_page_flushes;
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT(pte_same(pte_of(mm, a), e));
	KT_EXPECT_EQ(mm->faults.spurious, 1);
	KT_EXPECT_EQ(fake_tlb_page_flushes, flushes + 1);
	KT_EXPECT_EQ(mm->faults.minor, 2);
}

static void t_pte_disagreeing_with_vma_is_sigsegv(void)
{
	uintptr_t a = map(AREA, PG, PROT_READ | PROT_EXEC, PRIV);
	pte_t *p;
	int si = 0;

	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	p = ptep_of(mm, a);
	set_pte(p, pfn_pte(pte_pfn(*p), arch_pgprot(PP_READ | PP_USER)));	/* NX */
	KT_EXPECT_EQ(fault(a, F_EXEC | FAULT_FLAG_PROTECTION, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_MAPERR);
}

/* Whether the leaf mapping @addr has PTE bit 63 (NX, or reserved without NX). */
static bool pte_has_bit63(uintptr_t addr)
{
	return pte_of(mm, addr).val & X86_PTE_NX;
}

/*
 * On a CPU without NX bit 63 is reserved: no leaf the fault path, a
 * copy-on-write or mprotect builds may carry it (and every page is
 * executable). With NX the non-executable ones do, which shows the check
 * sees the bit.
 */
static void t_no_nx_bit_on_a_cpu_without_nx(void)
{
	uintptr_t rw, ro, rx, later;

	x86_pte_set_nx(false);		/* as at boot: before any mapping exists */
	rw = map(AREA, 2 * PG, RW, PRIV);
	ro = map(AREA + 4 * PG, PG, PROT_READ, PRIV);
	rx = map(AREA + 6 * PG, PG, PROT_READ | PROT_EXEC, PRIV);
	KT_EXPECT_EQ(fault(rw, F_WRITE, NULL), 0);		/* private page */
	KT_EXPECT_EQ(fault(rw + PG, F_READ, NULL), 0);		/* zero page */
	KT_EXPECT_EQ(fault(rw + PG, F_WRITE, NULL), 0);		/* copy of the zero page */
	KT_EXPECT_EQ(fault(ro, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault(rx, F_EXEC, NULL), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, rw, PG, PROT_READ), 0);
	for (uintptr_t a = AREA; a < AREA + 8 * PG; a += PG) {
		if (!pte_present(pte_of(mm, a)))
			continue;
		KT_EXPECT(!pte_has_bit63(a));
		KT_EXPECT(pte_exec(pte_of(mm, a)));
	}
	KT_EXPECT(pte_present(pte_of(mm, rw)) && pte_present(pte_of(mm, rx)));
	x86_pte_set_nx(true);
	later = map(AREA + 8 * PG, PG, RW, PRIV);
	KT_EXPECT_EQ(fault(later, F_WRITE, NULL), 0);
	KT_EXPECT(pte_has_bit63(later));
	KT_EXPECT(!pte_exec(pte_of(mm, later)));
}

/* ---- counters ---- */

static void t_counters_per_mm_and_global(void)
{
	struct mm_struct *other = new_mm();

	KT_ASSERT(other);
	map(AREA, 4 * PG, RW, PRIV);
	map_in(other, AREA, 4 * PG, RW, PRIV);
	KT_EXPECT_EQ(fault(AREA, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(fault(AREA + PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault_in(other, AREA, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(fault(AREA + 8 * PG, F_READ, NULL), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(mm->faults.minor, 2);
	KT_EXPECT_EQ(mm->faults.major, 0);
	KT_EXPECT_EQ(mm->faults.anon, 1);
	KT_EXPECT_EQ(mm->faults.zero_page, 1);
	KT_EXPECT_EQ(mm->faults.sigsegv, 1);
	KT_EXPECT_EQ(other->faults.minor, 1);
	KT_EXPECT_EQ(other->faults.anon, 1);
	KT_EXPECT_EQ(global_faults.minor, 3);
	KT_EXPECT_EQ(global_faults.anon, 2);
	KT_EXPECT_EQ(global_faults.sigsegv, 1);
	mm_put(other);
}

/*
 * The retry of a fault that gave up mmap_lock to wait (FAULT_FLAG_TRIED)
 * counts as major, whatever the retry itself found: Linux's mm_account_fault().
 */
static void t_retried_fault_counts_major(void)
{
	map(AREA, 2 * PG, RW, PRIV);
	KT_EXPECT_EQ(fault(AREA, F_WRITE | FAULT_FLAG_TRIED, NULL), VM_FAULT_MAJOR);
	KT_EXPECT_EQ(mm->faults.major, 1);
	KT_EXPECT_EQ(mm->faults.minor, 0);
	KT_EXPECT_EQ(fault(AREA + PG, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(mm->faults.major, 1);
	KT_EXPECT_EQ(mm->faults.minor, 1);
}

/* ---- shared anonymous ---- */

/* Make @m2's vma at @addr share @m1's object, as fork's vma copy will. */
static void share_object_like_fork(struct mm_struct *m1, struct mm_struct *m2, uintptr_t addr)
{
	struct vm_area_struct *v1 = vma_lookup(m1, addr), *v2 = vma_lookup(m2, addr);
	struct shared_anon *own;

	KT_ASSERT(v1 && v2 && v1->shared_anon && v2->shared_anon);
	KT_EXPECT(v2->vm_ops == &shared_anon_vm_ops);
	own = v2->shared_anon;
	v2->shared_anon = v1->shared_anon;
	v2->vm_ops->open(v2);
	shared_anon_put(own);
}

static void t_shared_anon_two_mms_see_one_page(void)
{
	struct mm_struct *m2 = new_mm();
	uintptr_t a = map(AREA, 4 * PG, RW, MAP_SHARED);
	struct page *p;

	KT_ASSERT(m2);
	map_in(m2, AREA, 4 * PG, RW, MAP_SHARED);
	share_object_like_fork(mm, m2, a);

	KT_EXPECT_EQ(fault(a + PG, F_WRITE, NULL), 0);
	KT_EXPECT(pte_write(pte_of(mm, a + PG)));
	KT_EXPECT(all_bytes(kaddr_of(mm, a + PG), 0, PG));
	memset(kaddr_of(mm, a + PG), 0x42, PG);
	KT_EXPECT_EQ(fault_in(m2, a + PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(pfn_of(m2, a + PG), pfn_of(mm, a + PG));
	KT_EXPECT(all_bytes(kaddr_of(m2, a + PG), 0x42, PG));
	/* a shared writable mapping is mapped writable even on a read */
	KT_EXPECT(pte_write(pte_of(m2, a + PG)));
	p = page_of(mm, a + PG);
	KT_EXPECT(!page_test_flag(p, PG_anon));
	KT_EXPECT_EQ(p->refcount, 3);		/* the object's and two ptes' */
	KT_EXPECT_EQ(p->mapcount, 2);
	KT_EXPECT_EQ(mm->rss_shared, 1);
	KT_EXPECT_EQ(m2->rss_shared, 1);
	KT_EXPECT_EQ(mm->rss_anon, 0);
	KT_EXPECT_EQ(mm->faults.shared, 1);
	KT_EXPECT_EQ(m2->faults.shared, 1);
	KT_EXPECT_EQ(shared_anon_nr_resident(vma_lookup(mm, a)->shared_anon), 1);
	/* not the zero page, even for a first read */
	KT_EXPECT_EQ(fault_in(m2, a + 2 * PG, F_READ, NULL), 0);
	KT_EXPECT(!is_zero_pfn(pfn_of(m2, a + 2 * PG)));
	KT_EXPECT_EQ(shared_anon_nr_resident(vma_lookup(mm, a)->shared_anon), 2);
	mm_put(m2);
	/* the object lives on with the first mm */
	KT_EXPECT(all_bytes(kaddr_of(mm, a + PG), 0x42, PG));
	KT_EXPECT_EQ(p->refcount, 2);
}

static void t_shared_anon_readonly_vma(void)
{
	uintptr_t a = map(AREA, 2 * PG, PROT_READ, MAP_SHARED);
	int si = 0;

	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	KT_EXPECT(pte_present(pte_of(mm, a)));
	KT_EXPECT(!pte_write(pte_of(mm, a)));
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
}

static void t_shared_anon_wp_writes_in_place(void)
{
	uintptr_t a = map(AREA, PG, RW, MAP_SHARED);
	pfn_t pfn;

	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	pfn = pfn_of(mm, a);
	wrprotect(mm, a);
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT_EQ(pfn_of(mm, a), pfn);
	KT_EXPECT(pte_write(pte_of(mm, a)));
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
}

static void t_shared_anon_beyond_object_is_sigbus(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, MAP_SHARED);
	struct vm_area_struct *v = vma_lookup(mm, a);
	struct shared_anon *small = shared_anon_create(2);
	int si = 0;

	KT_ASSERT(v && small);
	shared_anon_put(v->shared_anon);	/* as if the vma outgrew its object */
	v->shared_anon = small;
	KT_EXPECT_EQ(fault(a + PG, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(fault(a + 2 * PG, F_WRITE, &si), VM_FAULT_SIGBUS);
	KT_EXPECT_EQ(si, BUS_ADRERR);
	KT_EXPECT_EQ(mm->faults.sigbus, 1);
	KT_EXPECT(pte_none(pte_of(mm, a + 2 * PG)));
}

static void t_vm_ops_without_fault_is_sigbus(void)
{
	static const struct vm_operations_struct no_fault;
	uintptr_t a = map(AREA, PG, RW, PRIV);
	int si = 0;

	vma_lookup(mm, a)->vm_ops = &no_fault;
	KT_EXPECT_EQ(fault(a, F_READ, &si), VM_FAULT_SIGBUS);
	KT_EXPECT_EQ(si, BUS_ADRERR);
}

/* ---- private mapping of an object (a file, once the page cache exists) ---- */

#define OBJ_PAGES 4
static struct page *obj_pages[OBJ_PAGES];

static vm_fault_t obj_fault(struct vm_fault *vmf)
{
	if (vmf->pgoff >= OBJ_PAGES)
		return VM_FAULT_SIGBUS;
	vmf->page = obj_pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct obj_ops = { .fault = obj_fault };

/* Back the vma at @addr by the object from its first page on, as mmap of a file at offset 0. */
static void attach_object(uintptr_t addr)
{
	struct vm_area_struct *v = vma_lookup(mm, addr);

	KT_ASSERT(v);
	v->vm_ops = &obj_ops;
	v->vm_pgoff = 0;
}

static void t_private_object_read_cow_and_wp(void)
{
	uintptr_t a = map(AREA, OBJ_PAGES * PG, RW, PRIV);
	struct page *copy;

	for (int i = 0; i < OBJ_PAGES; i++) {
		obj_pages[i] = pmm_alloc_pages(&upmm, 0, 0);
		KT_ASSERT(obj_pages[i]);
		memset(phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&upmm, obj_pages[i]))), 0x10 + i, PG);
	}
	attach_object(a);

	/* read: the object's own page, read-only */
	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	KT_EXPECT_EQ(page_of(mm, a), obj_pages[0]);
	KT_EXPECT(!pte_write(pte_of(mm, a)));
	KT_EXPECT_EQ(obj_pages[0]->refcount, 2);
	KT_EXPECT_EQ(obj_pages[0]->mapcount, 1);
	KT_EXPECT_EQ(mm->rss_shared, 1);

	/* write first: a private copy, the object's page untouched and unmapped */
	KT_EXPECT_EQ(fault(a + PG, F_WRITE, NULL), 0);
	copy = page_of(mm, a + PG);
	KT_EXPECT(copy != obj_pages[1]);
	KT_EXPECT(page_test_flag(copy, PG_anon));
	KT_EXPECT(pte_write(pte_of(mm, a + PG)));
	KT_EXPECT(all_bytes(kaddr_of(mm, a + PG), 0x11, PG));
	KT_EXPECT_EQ(obj_pages[1]->refcount, 1);
	KT_EXPECT_EQ(obj_pages[1]->mapcount, 0);

	/* write after read: do_wp_page copies an object's page, never reuses it */
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT(page_of(mm, a) != obj_pages[0]);
	KT_EXPECT(all_bytes(kaddr_of(mm, a), 0x10, PG));
	KT_EXPECT_EQ(obj_pages[0]->refcount, 1);
	KT_EXPECT_EQ(obj_pages[0]->mapcount, 0);
	KT_EXPECT_EQ(mm->rss_shared, 0);
	KT_EXPECT_EQ(mm->rss_anon, 2);
	KT_EXPECT_EQ(mm->faults.wp_copy, 1);

	/* past the object's end */
	map(AREA + 8 * PG, 8 * PG, RW, PRIV);
	attach_object(AREA + 8 * PG);
	KT_EXPECT_EQ(fault(AREA + 8 * PG + OBJ_PAGES * PG, F_READ, NULL), VM_FAULT_SIGBUS);

	mm_put(mm);
	mm = NULL;
	for (int i = 0; i < OBJ_PAGES; i++)
		put_page(&upmm, obj_pages[i]);
}

/* ---- what the CPU recorded survives every pte change (issue 8's "fix first") ---- */

/* As the CPU does on an access through @addr's pte: set Accessed, and Dirty for a store. */
static void cpu_touch(uintptr_t addr, bool store)
{
	pte_t *p = ptep_of(mm, addr);

	KT_ASSERT(p && pte_present(*p));
	set_pte(p, store ? pte_mkdirty(pte_mkyoung(*p)) : pte_mkyoung(*p));
}

static void t_mprotect_keeps_accessed_and_dirty(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	uintptr_t s = map(AREA + 4 * PG, PG, RW, MAP_SHARED);

	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(fault(a + PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault(s, F_READ, NULL), 0);
	cpu_touch(a, true);
	cpu_touch(a + PG, false);
	cpu_touch(s, true);
	for (int prot = PROT_READ; prot >= PROT_NONE; prot -= PROT_READ) {
		KT_EXPECT_EQ(mm_mprotect(mm, a, 2 * PG, prot), 0);
		KT_EXPECT_EQ(mm_mprotect(mm, s, PG, prot), 0);
		KT_EXPECT(pte_dirty(pte_of(mm, a)) && pte_young(pte_of(mm, a)));
		KT_EXPECT(!pte_dirty(pte_of(mm, a + PG)) && pte_young(pte_of(mm, a + PG)));
		KT_EXPECT(pte_dirty(pte_of(mm, s)) && pte_young(pte_of(mm, s)));
		KT_EXPECT(!pte_write(pte_of(mm, a)) && !pte_write(pte_of(mm, s)));
	}
	KT_EXPECT_EQ(mm_mprotect(mm, a, 2 * PG, RW), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, s, PG, RW), 0);
	KT_EXPECT(pte_dirty(pte_of(mm, a)) && pte_young(pte_of(mm, a)) && pte_write(pte_of(mm, a)));
	KT_EXPECT(pte_dirty(pte_of(mm, s)) && pte_write(pte_of(mm, s)));
}

/* PROT_NONE: a leaf the CPU cannot use at all, kernel included, that keeps its page. */
static void t_prot_none_pte_keeps_its_page(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	phys_addr_t pa;
	pfn_t pfn;
	int si = 0;

	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), 0);
	pfn = pfn_of(mm, a);
	*kaddr_of(mm, a) = 'k';
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, PROT_NONE), 0);
	KT_EXPECT(pte_protnone(pte_of(mm, a)));
	KT_EXPECT(!pt_translate(&mm->pt, a, &pa));		/* a kernel access faults too */
	KT_EXPECT_EQ(mm->rss_anon, 1);
	/* a kernel (uaccess) fault there is an error, not a loop */
	KT_EXPECT_EQ(fault(a, 0, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT_EQ(fault_in_user_range(mm, a, 1, false), -EFAULT);
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, RW), 0);
	KT_EXPECT_EQ(pfn_of(mm, a), pfn);
	KT_EXPECT(pte_write(pte_of(mm, a)) && !pte_protnone(pte_of(mm, a)));
	KT_EXPECT_EQ(*kaddr_of(mm, a), 'k');
}

/* A store recorded only in a pte's Dirty bit reaches the page when the pte goes. */
static void t_zap_moves_dirty_to_the_page(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, MAP_SHARED);
	struct page *stored, *read;

	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault(a + PG, F_READ, NULL), 0);
	stored = page_of(mm, a);
	read = page_of(mm, a + PG);
	get_page(stored);
	get_page(read);
	KT_EXPECT(pte_write(pte_of(mm, a)));		/* shared anon: no write notification */
	KT_EXPECT(!page_test_flag(stored, PG_dirty));
	cpu_touch(a, true);
	cpu_touch(a + PG, false);
	KT_EXPECT_EQ(mm_munmap(mm, a, 2 * PG), 0);
	KT_EXPECT(page_test_flag(stored, PG_dirty));
	KT_EXPECT(!page_test_flag(read, PG_dirty));
	put_page(&upmm, stored);
	put_page(&upmm, read);
}

/* An object that wants to hear of the first store to each page (a file system). */
static int mkwrite_calls;
static vm_fault_t mkwrite_answer;

static vm_fault_t obj_page_mkwrite(struct vm_fault *vmf)
{
	KT_EXPECT(vmf->page == obj_pages[vmf->pgoff]);
	KT_EXPECT(vmf->page->refcount >= 2);		/* the object's and the fault's */
	mkwrite_calls++;
	return mkwrite_answer;
}

static const struct vm_operations_struct obj_notify_ops = {
	.fault = obj_fault,
	.page_mkwrite = obj_page_mkwrite,
};

static void t_write_notify_on_shared_writable(void)
{
	uintptr_t a = map(AREA, OBJ_PAGES * PG, RW, MAP_SHARED);
	struct vm_area_struct *v = vma_lookup(mm, a);
	int si = 0;

	for (int i = 0; i < OBJ_PAGES; i++) {
		obj_pages[i] = pmm_alloc_pages(&upmm, 0, __GFP_ZERO);
		KT_ASSERT(obj_pages[i]);
	}
	KT_ASSERT(v);
	v->vm_ops->close(v);		/* let go of its shared-anon object */
	v->shared_anon = NULL;
	v->vm_ops = &obj_notify_ops;
	v->vm_pgoff = 0;
	mkwrite_calls = 0;
	mkwrite_answer = 0;
	KT_EXPECT(vma_wants_writenotify(v));

	/* a read maps the page read-only: the first store must be heard of */
	KT_EXPECT_EQ(fault(a, F_READ, NULL), 0);
	KT_EXPECT(!pte_write(pte_of(mm, a)));
	KT_EXPECT_EQ(mkwrite_calls, 0);
	KT_EXPECT(!page_test_flag(obj_pages[0], PG_dirty));
	/* mprotect does not make a clean page writable behind the object's back */
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, RW), 0);
	KT_EXPECT(!pte_write(pte_of(mm, a)));
	/* the store: page_mkwrite, then writable, dirty, in place */
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT_EQ(mkwrite_calls, 1);
	KT_EXPECT(pte_write(pte_of(mm, a)) && pte_dirty(pte_of(mm, a)));
	KT_EXPECT_EQ(page_of(mm, a), obj_pages[0]);
	KT_EXPECT(page_test_flag(obj_pages[0], PG_dirty));
	KT_EXPECT_EQ(obj_pages[0]->refcount, 2);		/* the object's and the pte's */
	/* a dirty pte stays writable across mprotect: no second notification needed */
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, RW), 0);
	KT_EXPECT(pte_write(pte_of(mm, a)));
	/* a write to a none pte: do_shared_fault asks too */
	KT_EXPECT_EQ(fault(a + PG, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(mkwrite_calls, 2);
	KT_EXPECT(pte_write(pte_of(mm, a + PG)));
	KT_EXPECT(page_test_flag(obj_pages[1], PG_dirty));
	/* the object refuses (a full disk): SIGBUS, the page stays read-only and clean */
	mkwrite_answer = VM_FAULT_SIGBUS;
	KT_EXPECT_EQ(fault(a + 2 * PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(fault(a + 2 * PG, F_WRITE | FAULT_FLAG_PROTECTION, &si), VM_FAULT_SIGBUS);
	KT_EXPECT(!pte_write(pte_of(mm, a + 2 * PG)));
	KT_EXPECT(!page_test_flag(obj_pages[2], PG_dirty));
	KT_EXPECT_EQ(obj_pages[2]->refcount, 2);
	KT_EXPECT_EQ(fault(a + 3 * PG, F_WRITE, &si), VM_FAULT_SIGBUS);
	KT_EXPECT(pte_none(pte_of(mm, a + 3 * PG)));
	KT_EXPECT_EQ(obj_pages[3]->refcount, 1);
	KT_EXPECT_EQ(mkwrite_calls, 4);

	mm_put(mm);
	mm = NULL;
	for (int i = 0; i < OBJ_PAGES; i++) {
		KT_EXPECT_EQ(obj_pages[i]->refcount, 1);
		KT_EXPECT_EQ(obj_pages[i]->mapcount, 0);
		put_page(&upmm, obj_pages[i]);
	}
}

/* ---- kernel access: access_remote_vm, fault_in_user_range ---- */

static void t_access_remote_vm_round_trip(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	static u8 in[2 * PAGE_SIZE], out[sizeof(in)];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (u8)(i * 7 + 1);
	/* straddles three pages */
	KT_EXPECT_EQ(access_remote_vm(mm, a + PG - 50, in, sizeof(in), true), 0);
	KT_EXPECT_EQ(memcmp(kaddr_of(mm, a + PG - 50), in, 50), 0);
	KT_EXPECT_EQ(memcmp(kaddr_of(mm, a + PG), in + 50, PG), 0);
	KT_EXPECT_EQ(mm->rss_anon, 3);
	KT_EXPECT(pte_write(pte_of(mm, a)));
	KT_EXPECT_EQ(access_remote_vm(mm, a + PG - 50, out, sizeof(out), false), 0);
	KT_EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
	/* reading untouched memory reads zeros through the zero page */
	memset(out, 0xff, PG);
	KT_EXPECT_EQ(access_remote_vm(mm, a + 3 * PG, out, PG, false), 0);
	KT_EXPECT(all_bytes(out, 0, PG));
	KT_EXPECT(is_zero_pfn(pfn_of(mm, a + 3 * PG)));
	/* and a write there goes through copy-on-write of the zero page */
	KT_EXPECT_EQ(access_remote_vm(mm, a + 3 * PG + 1, in, 1, true), 0);
	KT_EXPECT(!is_zero_pfn(pfn_of(mm, a + 3 * PG)));
	KT_EXPECT_EQ(*kaddr_of(mm, a + 3 * PG + 1), in[0]);
	KT_EXPECT(all_bytes(phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&upmm, zero_page))), 0, PG));
}

static void t_access_remote_vm_checks_access(void)
{
	uintptr_t ro = map(AREA, PG, PROT_READ, PRIV);
	uintptr_t none = map(AREA + 2 * PG, PG, PROT_NONE, PRIV);
	uintptr_t rw = map(AREA + 4 * PG, PG, RW, PRIV);
	u8 buf[16] = { 1 };

	KT_EXPECT_EQ(access_remote_vm(mm, ro, buf, 1, true), -EFAULT);
	KT_EXPECT(pte_none(pte_of(mm, ro)));
	KT_EXPECT_EQ(access_remote_vm(mm, ro, buf, 1, false), 0);
	KT_EXPECT_EQ(access_remote_vm(mm, none, buf, 1, false), -EFAULT);
	KT_EXPECT_EQ(access_remote_vm(mm, AREA + PG, buf, 1, false), -EFAULT);	/* hole */
	KT_EXPECT_EQ(access_remote_vm(mm, KERNEL_ADDR, buf, 1, false), -EFAULT);
	/* runs off the end of a mapping into a hole */
	KT_EXPECT_EQ(access_remote_vm(mm, rw + PG - 8, buf, 16, true), -EFAULT);
	KT_EXPECT_EQ(access_remote_vm(mm, ~0UL - 4, buf, 16, false), -EFAULT);
	/* no stack growth for a remote access */
	map_stack(4);
	KT_EXPECT_EQ(access_remote_vm(mm, STACK_TOP - 5 * PG, buf, 1, true), -EFAULT);
	KT_EXPECT_EQ(mm->faults.stack_expand, 0);
}

static void t_fault_in_user_range(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	uintptr_t s;

	KT_EXPECT_EQ(fault_in_user_range(mm, a + 10, 3 * PG, true), 0);
	for (int i = 0; i < 4; i++)
		KT_EXPECT(pte_write(pte_of(mm, a + i * PG)));
	KT_EXPECT_EQ(mm->rss_anon, 4);
	/* already there: no new fault */
	KT_EXPECT_EQ(fault_in_user_range(mm, a, 4 * PG, true), 0);
	KT_EXPECT_EQ(mm->faults.anon, 4);
	/* runs into the hole after it */
	KT_EXPECT_EQ(fault_in_user_range(mm, a, 5 * PG, false), -EFAULT);
	KT_EXPECT_EQ(fault_in_user_range(mm, ~0UL - 4, 16, false), -EFAULT);
	KT_EXPECT_EQ(fault_in_user_range(mm, a, 0, true), 0);
	/* read-only: a read maps the zero page, a write fails */
	map(AREA + 8 * PG, PG, PROT_READ, PRIV);
	KT_EXPECT_EQ(fault_in_user_range(mm, AREA + 8 * PG, 1, false), 0);
	KT_EXPECT(is_zero_pfn(pfn_of(mm, AREA + 8 * PG)));
	KT_EXPECT_EQ(fault_in_user_range(mm, AREA + 8 * PG, 1, true), -EFAULT);
	/* the stack grows for it, as for the user's own access */
	s = map_stack(4);
	KT_EXPECT_EQ(fault_in_user_range(mm, s - 2 * PG, PG, true), 0);
	KT_EXPECT_EQ(mm->faults.stack_expand, 1);
	KT_EXPECT_EQ(mm->faults.sigsegv, 0);
}

/* ---- teardown ---- */

static void t_mm_put_frees_everything(void)
{
	uintptr_t a = map(AREA, 64 * PG, RW, PRIV);
	uintptr_t sh = map(AREA + PUD_SIZE, 8 * PG, RW, MAP_SHARED);

	for (int i = 0; i < 64; i++)
		KT_EXPECT_EQ(fault(a + i * PG, (i & 1) ? F_WRITE : F_READ, NULL), 0);
	for (int i = 0; i < 8; i++)
		KT_EXPECT_EQ(fault(sh + i * PG, F_WRITE, NULL), 0);
	map_stack(4);
	KT_EXPECT_EQ(fault(STACK_TOP - 64 * PG, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(mm->rss_anon, 33);
	KT_EXPECT_EQ(mm->rss_shared, 8);
	KT_EXPECT(pmm_nr_free(&upmm) < user_free_start - 41);
	mm_put(mm);
	mm = NULL;
	KT_EXPECT_EQ(pmm_nr_free(&upmm), user_free_start);
}

/* ---- registration: every case in both modes ---- */

#define FAULT_CASES(X)							\
	X(t_access_check, "access check: write needs VM_WRITE, fetch VM_EXEC, read any access flag") \
	X(t_read_maps_zero_page, "read of untouched anon memory maps the zero page read-only and takes no page") \
	X(t_write_first_maps_private_page, "write to untouched anon memory maps a zeroed private page writable") \
	X(t_write_after_read_copies_zero_page, "write after read gets a private zeroed page and leaves the zero page alone") \
	X(t_exec_fault_on_exec_vma, "instruction fetch from an executable vma is served") \
	X(t_write_only_and_exec_only_vmas_are_readable, "reads of PROT_WRITE-only and PROT_EXEC-only vmas are served, as on Linux x86") \
	X(t_write_to_readonly_vma_is_accerr, "write to a read-only vma is SIGSEGV with SEGV_ACCERR") \
	X(t_exec_on_noexec_vma_is_accerr, "instruction fetch from a non-executable vma is SEGV_ACCERR") \
	X(t_prot_none_is_accerr, "any access to PROT_NONE, and a protection-key fault, is SEGV_ACCERR") \
	X(t_holes_are_maperr, "access to an unmapped hole, below or above every vma, or NULL is SEGV_MAPERR") \
	X(t_kernel_addresses_are_maperr, "user access at or above task_size is SEGV_MAPERR, even a protection fault") \
	X(t_kernel_access_not_counted_as_signal, "an unserved kernel access on the user's behalf is not counted as a signal") \
	X(t_stack_grows_to_the_limit, "a fault below the stack grows it, down to exactly the stack limit") \
	X(t_stack_beyond_limit_is_maperr, "stack growth beyond the stack limit is SEGV_MAPERR") \
	X(t_stack_guard_gap, "stack growth into the guard gap of the vma below is SEGV_MAPERR") \
	X(t_prot_none_below_does_not_stop_growth, "a PROT_NONE vma below the stack does not stop its growth") \
	X(t_no_growth_below_ordinary_vma, "a fault below a vma without VM_GROWSDOWN is SEGV_MAPERR") \
	X(t_tables_allocated_at_every_level, "page tables are allocated on demand at every level") \
	X(t_oom_is_reported, "out of memory for a page or a table is VM_FAULT_OOM and changes nothing") \
	X(t_wp_reuses_exclusive_anon_page, "write to a read-only pte of an exclusive anon page makes it writable in place") \
	X(t_wp_copies_page_mapped_twice, "write to a page mapped by two mms copies it; the last one reuses it") \
	X(t_wp_copies_page_with_extra_reference, "write to a page someone else holds copies it") \
	X(t_spurious_fault_only_flushes, "a fault the pte already allows only flushes the TLB and counts spurious") \
	X(t_pte_disagreeing_with_vma_is_sigsegv, "a pte that denies what its vma allows is SIGSEGV, not a fault loop") \
	X(t_no_nx_bit_on_a_cpu_without_nx, "without NX no user pte carries bit 63 (fault, COW, mprotect); with NX non-exec ones do") \
	X(t_counters_per_mm_and_global, "fault counters are kept per mm and summed globally") \
	X(t_retried_fault_counts_major, "the retry of a fault that waited counts as major") \
	X(t_shared_anon_two_mms_see_one_page, "shared anonymous memory: two mms see the same page") \
	X(t_shared_anon_readonly_vma, "shared anonymous read-only vma maps read-only and refuses writes") \
	X(t_shared_anon_wp_writes_in_place, "write to a read-only pte of a shared mapping writes in place") \
	X(t_shared_anon_beyond_object_is_sigbus, "fault past the end of a shared object is SIGBUS with BUS_ADRERR") \
	X(t_vm_ops_without_fault_is_sigbus, "a vma whose object has no fault handler is SIGBUS") \
	X(t_mprotect_keeps_accessed_and_dirty, "mprotect keeps the Accessed and Dirty bits of every pte") \
	X(t_prot_none_pte_keeps_its_page, "PROT_NONE ptes are protnone: no kernel access either, page kept") \
	X(t_zap_moves_dirty_to_the_page, "unmapping a dirty pte of an object's page marks the page dirty") \
	X(t_write_notify_on_shared_writable, "shared writable object with page_mkwrite: first store notifies, refusal is SIGBUS") \
	X(t_private_object_read_cow_and_wp, "private mapping of an object: read maps it, write copies it") \
	X(t_access_remote_vm_round_trip, "access_remote_vm writes land in the pages and read back") \
	X(t_access_remote_vm_checks_access, "access_remote_vm refuses what the user could not do, and never grows the stack") \
	X(t_fault_in_user_range, "fault_in_user_range maps a range as the user would and stops at a hole") \
	X(t_mm_put_frees_everything, "mm_put frees every page and table")

#define DEFINE_MODE_WRAPPERS(fn, desc)					\
	static void fn##_l4(void) { run_in_mode(4, fn); }		\
	static void fn##_l5(void) { run_in_mode(5, fn); }
FAULT_CASES(DEFINE_MODE_WRAPPERS)

#define CASE_L4(fn, desc)	KT_CASE(fn##_l4, "4-level: " desc),
#define CASE_L5(fn, desc)	KT_CASE(fn##_l5, "5-level: " desc),

static const struct kt_case cases[] = {
	FAULT_CASES(CASE_L4)
	FAULT_CASES(CASE_L5)
};

int main(void)
{
	int ret;

	fake_mm_machine_init(RAM_BASE_PFN, KERNEL_PAGES, USER_PAGES);
	ret = kt_run_suite("fault", cases, KT_N(cases));
	fake_ram_free();
	return ret;
}
