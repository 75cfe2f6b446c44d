/*
 * Host tests of fork's address-space copy (mm/fork.c) and of the
 * copy-on-write break that follows it (do_wp_page in mm/memory.c), over
 * simulated RAM, in the spirit of Linux's tools/testing/selftests/mm/cow.c.
 *
 * One fake RAM region holds two pmms: kernel_pmm feeds kmalloc (mm_structs,
 * vmas, shared-anon slot arrays), a private user pmm feeds user pages,
 * page tables and the zero page. Every case runs with 4-level and with
 * 5-level paging on a fresh user pmm and zero page; the case's parent mm
 * is set up by the fixture, children come from dup_mm(). Afterwards every
 * mm is put and both pmms must have every page back, and the zero page's
 * counts must never have moved.
 *
 * Data is written and read the way a process would see it: writes through
 * do_user_addr_fault() (a user write fault) or access_remote_vm(), reads
 * through access_remote_vm().
 */
#include "ktap.h"
#include "fake_arch.h"
#include "fake_mm.h"
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/errno.h>
#include <signal.h>	/* the host's SEGV_*: Pagoda's are Linux's values */
#include <stdlib.h>
#include <string.h>

#define RAM_BASE_PFN	0x1000UL		/* 16 MiB */
#define KERNEL_PAGES	2048UL			/* kernel_pmm: kmalloc */
#define USER_BASE_PFN	(RAM_BASE_PFN + KERNEL_PAGES)
#define USER_PAGES	8192UL			/* 32 MiB: room for 1000 children's tables */

#define PG		PAGE_SIZE
#define AREA		0x10000000UL		/* where cases map things (256 MiB) */
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		MAP_PRIVATE
#define F_READ		FAULT_FLAG_USER
#define F_WRITE		(FAULT_FLAG_USER | FAULT_FLAG_WRITE)
#define F_WP		(F_WRITE | FAULT_FLAG_PROTECTION)

static struct mm_struct *mm;		/* the case's parent */

/* ---- fixture ---- */

static void run_in_mode(unsigned int levels, void (*fn)(void))
{
	fake_mm_user_reset(levels);

	mm = mm_create(&upmm, NULL, mm_default_task_size());
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

static uintptr_t map(uintptr_t addr, size_t len, int prot, int flags)
{
	long r = mm_mmap(mm, addr, len, prot, flags | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	KT_EXPECT_EQ(r, addr);
	return addr;
}

static vm_fault_t fault_in(struct mm_struct *m, uintptr_t addr, unsigned int flags)
{
	int si;

	return do_user_addr_fault(m, addr, flags, &si);
}

static pte_t pte_of(struct mm_struct *m, uintptr_t addr)
{
	pte_t *p = pt_lookup_pte(&m->pt, addr);

	return p ? *p : (pte_t){ 0 };
}

/* The page @addr maps in @m, or NULL if none (or the zero page's pfn is not ours). */
static struct page *page_of(struct mm_struct *m, uintptr_t addr)
{
	pte_t e = pte_of(m, addr);

	if (!pte_present(e) || !pmm_has_pfn(&upmm, pte_pfn(e)))
		return NULL;
	return pmm_pfn_to_page(&upmm, pte_pfn(e));
}

/* A user store of @v at @addr: the write fault, then the store through the pte. */
static void poke(struct mm_struct *m, uintptr_t addr, u8 v)
{
	pte_t e = pte_of(m, addr);

	if (!pte_present(e) || !pte_write(e))
		KT_EXPECT_EQ(fault_in(m, addr, pte_present(e) ? F_WP : F_WRITE), 0);
	e = pte_of(m, addr);
	KT_EXPECT(pte_present(e) && pte_write(e));
	if (pte_present(e) && pte_write(e))
		*((u8 *)phys_to_virt(PFN_PHYS(pte_pfn(e))) + (addr & (PG - 1))) = v;
}

/* The byte at @addr as @m reads it (access_remote_vm), 0xee on failure. */
static u8 peek(struct mm_struct *m, uintptr_t addr)
{
	u8 v = 0xee;

	KT_EXPECT_EQ(access_remote_vm(m, addr, &v, 1, false), 0);
	return v;
}

/* Fill [addr, addr + pages pages) of @m with @v through access_remote_vm writes. */
static void fill(struct mm_struct *m, uintptr_t addr, size_t pages, u8 v)
{
	static u8 buf[PAGE_SIZE];

	memset(buf, v, sizeof(buf));
	for (size_t i = 0; i < pages; i++)
		KT_EXPECT_EQ(access_remote_vm(m, addr + i * PG, buf, PG, true), 0);
}

/* Does every byte of the page at @addr read @v in @m? */
static bool page_reads(struct mm_struct *m, uintptr_t addr, u8 v)
{
	static u8 buf[PAGE_SIZE];

	if (access_remote_vm(m, addr, buf, PG, false))
		return false;
	for (size_t i = 0; i < PG; i++)
		if (buf[i] != v)
			return false;
	return true;
}

static struct mm_struct *fork_of(struct mm_struct *parent)
{
	struct mm_struct *child = dup_mm(parent);

	KT_EXPECT(child != NULL);
	return child;
}

/* Take every free page of the user pmm but @keep; give them back with give_back(). */
struct hoard {
	struct page **pages;
	size_t n;
};

static struct hoard hoard_user_pages(unsigned long keep)
{
	struct hoard h = { malloc(USER_PAGES * sizeof(struct page *)), 0 };
	struct page *p;

	while (pmm_nr_free(&upmm) > keep && (p = pmm_alloc_pages(&upmm, 0, 0)))
		h.pages[h.n++] = p;
	return h;
}

static void give_back(struct hoard *h)
{
	while (h->n)
		pmm_free_pages(&upmm, h->pages[--h->n], 0);
	free(h->pages);
}

/* ---- what dup_mm copies ---- */

static void t_copies_vmas_and_fields(void)
{
	struct mm_struct *child;
	struct vm_area_struct *pv, *cv;

	map(AREA, 4 * PG, RW, PRIV);
	map(AREA + 8 * PG, 2 * PG, PROT_READ, PRIV);
	map(AREA + 16 * PG, 3 * PG, RW, MAP_SHARED);
	mm->start_brk = mm->brk = AREA + 64 * PG;
	KT_EXPECT_EQ(mm_brk(mm, AREA + 66 * PG), AREA + 66 * PG);
	mm->start_code = 0x400000;
	mm->end_code = 0x401000;
	mm->start_stack = 0x7ffffff000;
	mm->arg_start = 0x7fffffe000;
	mm->env_end = 0x7fffffe800;
	mm->stack_limit = 1UL << 20;
	mm->mmap_base = 0x7f0000000000UL;

	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT_EQ(child->map_count, mm->map_count);
	KT_EXPECT_EQ(child->total_vm, mm->total_vm);
	KT_EXPECT_EQ(child->task_size, mm->task_size);
	KT_EXPECT_EQ(child->brk, mm->brk);
	KT_EXPECT_EQ(child->start_brk, mm->start_brk);
	KT_EXPECT_EQ(child->start_code, 0x400000);
	KT_EXPECT_EQ(child->end_code, 0x401000);
	KT_EXPECT_EQ(child->start_stack, 0x7ffffff000);
	KT_EXPECT_EQ(child->arg_start, 0x7fffffe000);
	KT_EXPECT_EQ(child->env_end, 0x7fffffe800);
	KT_EXPECT_EQ(child->stack_limit, 1UL << 20);
	KT_EXPECT_EQ(child->mmap_base, 0x7f0000000000UL);
	KT_EXPECT_EQ(child->pmm, &upmm);
	KT_EXPECT_EQ(child->users, 1);
	KT_EXPECT_EQ(child->rss_anon, 0);
	KT_EXPECT_EQ(child->faults.minor, 0);
	for (pv = vma_next(mm, NULL), cv = vma_next(child, NULL); pv && cv;
	     pv = vma_next(mm, pv), cv = vma_next(child, cv)) {
		KT_EXPECT(pv != cv);
		KT_EXPECT_EQ(cv->vm_mm, child);
		KT_EXPECT_EQ(cv->vm_start, pv->vm_start);
		KT_EXPECT_EQ(cv->vm_end, pv->vm_end);
		KT_EXPECT_EQ(cv->vm_flags, pv->vm_flags);
		KT_EXPECT_EQ(cv->vm_page_prot.val, pv->vm_page_prot.val);
		KT_EXPECT_EQ(cv->vm_pgoff, pv->vm_pgoff);
		KT_EXPECT_EQ(cv->vm_ops, pv->vm_ops);
		KT_EXPECT_EQ(cv->shared_anon, pv->shared_anon);
		KT_EXPECT_EQ(cv->vm_name, pv->vm_name);	/* "[heap]" by pointer */
	}
	KT_EXPECT(!pv && !cv);
	/* the child's heap is a heap: brk grows it in place */
	KT_EXPECT_EQ(mm_brk(child, AREA + 67 * PG), AREA + 67 * PG);
	KT_EXPECT_EQ(child->map_count, mm->map_count);
	mm_put(child);
}

static void t_empty_mm_forks(void)
{
	struct mm_struct *child = fork_of(mm);

	KT_ASSERT(child);
	KT_EXPECT_EQ(child->map_count, 0);
	KT_EXPECT_EQ(child->pt.nr_table_pages, 1);
	mm_put(child);
}

static void t_child_tables_only_where_ptes_are(void)
{
	struct mm_struct *child;

	map(AREA, 1024 * PG, RW, PRIV);			/* spans two pte tables */
	poke(mm, AREA, 1);
	KT_EXPECT_EQ(mm_madvise(mm, AREA, PG, MADV_DONTNEED), 0);	/* the pte goes, tables stay */
	map(AREA + PUD_SIZE, PG, RW, PRIV);
	poke(mm, AREA + PUD_SIZE, 2);
	child = fork_of(mm);
	KT_ASSERT(child);
	/* root, then one pud (4-level: pud below the root) .. pte chain */
	KT_EXPECT_EQ(child->pt.nr_table_pages, pgtable_l5_enabled() ? 5 : 4);
	KT_EXPECT_EQ(peek(child, AREA + PUD_SIZE), 2);
	mm_put(child);
}

/* ---- copy-on-write ---- */

static void t_private_ptes_write_protected_in_both(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	struct mm_struct *child;
	unsigned long flushes;

	for (int i = 0; i < 4; i++)
		poke(mm, a + i * PG, (u8)i);
	flushes = fake_tlb_page_flushes;
	child = fork_of(mm);
	KT_ASSERT(child);
	/* the TLB is flushed for every pte that lost write permission */
	KT_EXPECT_EQ(fake_tlb_page_flushes, flushes + 4);
	for (int i = 0; i < 4; i++) {
		struct page *p = page_of(mm, a + i * PG);

		KT_EXPECT(!pte_write(pte_of(mm, a + i * PG)));
		KT_EXPECT(!pte_write(pte_of(child, a + i * PG)));
		KT_EXPECT_EQ(page_of(child, a + i * PG), p);
		KT_ASSERT(p);
		KT_EXPECT_EQ(p->refcount, 2);
		KT_EXPECT_EQ(p->mapcount, 2);
	}
	KT_EXPECT_EQ(child->rss_anon, 4);
	KT_EXPECT_EQ(mm->rss_anon, 4);
	mm_put(child);
	/* alone again: the parent writes in place */
	for (int i = 0; i < 4; i++)
		KT_EXPECT_EQ(page_of(mm, a + i * PG)->refcount, 1);
	poke(mm, a, 9);
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
	KT_EXPECT_EQ(mm->faults.wp_copy, 0);
}

static void t_many_write_protects_flush_everything(void)
{
	uintptr_t a = map(AREA, 64 * PG, RW, PRIV);
	struct mm_struct *child;
	unsigned long full;

	for (int i = 0; i < 64; i++)
		poke(mm, a + i * PG, 1);
	full = fake_tlb_full_flushes;
	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT(fake_tlb_full_flushes > full);
	mm_put(child);
}

static void t_parent_write_invisible_to_child(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct mm_struct *child;

	fill(mm, a, 2, 0x11);
	child = fork_of(mm);
	KT_ASSERT(child);
	poke(mm, a + 5, 0x22);
	fill(mm, a + PG, 1, 0x33);
	KT_EXPECT_EQ(peek(mm, a + 5), 0x22);
	KT_EXPECT(page_reads(child, a, 0x11));
	KT_EXPECT(page_reads(child, a + PG, 0x11));
	KT_EXPECT(page_reads(mm, a + PG, 0x33));
	KT_EXPECT_EQ(mm->faults.wp_copy, 2);
	mm_put(child);
}

static void t_child_write_invisible_to_parent(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct mm_struct *child;

	fill(mm, a, 2, 0x11);
	child = fork_of(mm);
	KT_ASSERT(child);
	poke(child, a + 7, 0x44);
	fill(child, a + PG, 1, 0x55);
	KT_EXPECT_EQ(peek(child, a + 7), 0x44);
	KT_EXPECT(page_reads(mm, a, 0x11));
	KT_EXPECT(page_reads(mm, a + PG, 0x11));
	KT_EXPECT(page_reads(child, a + PG, 0x55));
	KT_EXPECT_EQ(child->faults.wp_copy, 2);
	KT_EXPECT_EQ(mm->faults.wp_copy, 0);
	mm_put(child);
}

/*
 * Both write: the first writer copies, the second is left alone with the
 * original and reuses it, so one new page in all; the original goes back
 * to the allocator exactly when its last mapping goes.
 */
static void t_both_write(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct mm_struct *child;
	struct page *orig;
	unsigned long free_forked;

	fill(mm, a, 1, 0x10);
	orig = page_of(mm, a);
	child = fork_of(mm);
	KT_ASSERT(child);
	free_forked = pmm_nr_free(&upmm);

	poke(mm, a, 0x20);
	KT_EXPECT(page_of(mm, a) != orig);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_forked - 1);
	KT_EXPECT_EQ(orig->refcount, 1);
	KT_EXPECT_EQ(orig->mapcount, 1);

	poke(child, a, 0x30);
	KT_EXPECT_EQ(page_of(child, a), orig);
	KT_EXPECT_EQ(child->faults.wp_reuse, 1);
	KT_EXPECT_EQ(child->faults.wp_copy, 0);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_forked - 1);
	KT_EXPECT_EQ(peek(mm, a), 0x20);
	KT_EXPECT_EQ(peek(child, a), 0x30);
	KT_EXPECT_EQ(peek(mm, a + 1), 0x10);
	KT_EXPECT_EQ(peek(child, a + 1), 0x10);

	/* the child exits: its page (the original) and its tables go back */
	mm_put(child);
	KT_EXPECT_EQ(orig->refcount, 0);
	KT_EXPECT(page_test_flag(orig, PG_buddy) || !page_test_flag(orig, PG_head));
}

static void t_fork_twice_before_any_write(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct mm_struct *c1, *c2;
	struct page *orig;
	unsigned long free_forked;

	fill(mm, a, 1, 0x01);
	orig = page_of(mm, a);
	c1 = fork_of(mm);
	c2 = fork_of(mm);
	KT_ASSERT(c1 && c2);
	KT_EXPECT_EQ(orig->refcount, 3);
	KT_EXPECT_EQ(orig->mapcount, 3);
	free_forked = pmm_nr_free(&upmm);

	poke(c1, a, 0xc1);		/* copies: two others map it */
	KT_EXPECT(page_of(c1, a) != orig);
	KT_EXPECT_EQ(orig->refcount, 2);
	poke(mm, a, 0xaa);		/* copies: c2 maps it */
	KT_EXPECT(page_of(mm, a) != orig);
	KT_EXPECT_EQ(orig->refcount, 1);
	poke(c2, a, 0xc2);		/* the last one reuses */
	KT_EXPECT_EQ(page_of(c2, a), orig);
	KT_EXPECT_EQ(c1->faults.wp_copy + mm->faults.wp_copy, 2);
	KT_EXPECT_EQ(c2->faults.wp_reuse, 1);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_forked - 2);	/* three copies, one the original */
	KT_EXPECT(page_of(c1, a) != page_of(mm, a));
	KT_EXPECT_EQ(peek(mm, a), 0xaa);
	KT_EXPECT_EQ(peek(c1, a), 0xc1);
	KT_EXPECT_EQ(peek(c2, a), 0xc2);
	KT_EXPECT_EQ(peek(c2, a + 9), 0x01);
	mm_put(c1);
	mm_put(c2);
}

static void t_fork_of_a_fork(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct mm_struct *child, *grandchild;
	struct page *p;

	fill(mm, a, 2, 0x5a);
	p = page_of(mm, a);
	child = fork_of(mm);
	KT_ASSERT(child);
	poke(child, a + PG, 0x77);		/* the child's own page before it forks */
	grandchild = fork_of(child);
	KT_ASSERT(grandchild);
	KT_EXPECT_EQ(p->refcount, 3);
	KT_EXPECT_EQ(p->mapcount, 3);
	KT_EXPECT_EQ(page_of(grandchild, a + PG), page_of(child, a + PG));
	KT_EXPECT_EQ(page_of(child, a + PG)->refcount, 2);

	poke(grandchild, a, 0x99);
	poke(grandchild, a + PG, 0x98);
	KT_EXPECT(page_reads(mm, a, 0x5a));
	KT_EXPECT(page_reads(child, a, 0x5a));
	KT_EXPECT_EQ(peek(grandchild, a), 0x99);
	KT_EXPECT_EQ(peek(child, a + PG), 0x77);
	KT_EXPECT_EQ(peek(grandchild, a + PG), 0x98);
	KT_EXPECT_EQ(peek(mm, a + PG), 0x5a);
	/* the child dies first: the grandchild lives on with its own pages */
	mm_put(child);
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT_EQ(peek(grandchild, a + 1), 0x5a);
	poke(mm, a, 0x33);
	KT_EXPECT_EQ(page_of(mm, a), p);	/* alone with it: reused */
	mm_put(grandchild);
}

static void t_cow_after_mprotect(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct mm_struct *child;
	struct page *p;

	fill(mm, a, 2, 0x61);
	p = page_of(mm, a);
	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT_EQ(mm_mprotect(mm, a, 2 * PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, a, 2 * PG, RW), 0);
	KT_EXPECT(!pte_write(pte_of(mm, a)));	/* still shared: still read-only */
	KT_EXPECT_EQ(mm_mprotect(child, a, PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm_mprotect(child, a, PG, RW), 0);
	KT_EXPECT(!pte_write(pte_of(child, a)));
	poke(mm, a, 0x62);
	KT_EXPECT(page_of(mm, a) != p);
	KT_EXPECT_EQ(peek(child, a), 0x61);
	poke(child, a + PG, 0x63);
	KT_EXPECT_EQ(peek(mm, a + PG), 0x61);
	KT_EXPECT_EQ(peek(child, a + PG), 0x63);
	mm_put(child);
}

static void t_readonly_before_fork_stays_readonly(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct mm_struct *child;
	int si = 0;

	fill(mm, a, 1, 0x44);
	KT_EXPECT_EQ(mm_mprotect(mm, a, PG, PROT_READ), 0);
	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT(!pte_write(pte_of(child, a)));
	KT_EXPECT_EQ(do_user_addr_fault(child, a, F_WP, &si), VM_FAULT_SIGSEGV);
	KT_EXPECT_EQ(si, SEGV_ACCERR);
	KT_EXPECT_EQ(peek(child, a), 0x44);
	mm_put(child);
}

static void t_cow_after_partial_munmap(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	struct mm_struct *child;
	struct page *p0, *p3;

	fill(mm, a, 4, 0x70);
	p0 = page_of(mm, a);
	p3 = page_of(mm, a + 3 * PG);
	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT_EQ(mm_munmap(child, a, 2 * PG), 0);	/* the child drops the first half */
	KT_EXPECT_EQ(p0->refcount, 1);
	KT_EXPECT_EQ(p0->mapcount, 1);
	poke(mm, a, 0x71);				/* alone with it: reused */
	KT_EXPECT_EQ(page_of(mm, a), p0);
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
	poke(mm, a + 3 * PG, 0x72);			/* still shared: copied */
	KT_EXPECT(page_of(mm, a + 3 * PG) != p3);
	KT_EXPECT_EQ(peek(child, a + 3 * PG), 0x70);
	/* and the parent unmapping part of its copy leaves the child whole */
	KT_EXPECT_EQ(mm_munmap(mm, a + 2 * PG, PG), 0);
	KT_EXPECT(page_reads(child, a + 2 * PG, 0x70));
	poke(child, a + 2 * PG, 0x73);
	KT_EXPECT_EQ(child->faults.wp_reuse, 1);
	mm_put(child);
}

static void t_zero_page_stays_zero_page(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct mm_struct *child;
	pfn_t zpfn;

	KT_EXPECT_EQ(fault_in(mm, a, F_READ), 0);
	KT_EXPECT_EQ(fault_in(mm, a + PG, F_READ), 0);
	zpfn = pte_pfn(pte_of(mm, a));
	KT_EXPECT(is_zero_pfn(zpfn));
	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT_EQ(pte_pfn(pte_of(child, a)), zpfn);
	KT_EXPECT(!pte_write(pte_of(child, a)));
	KT_EXPECT_EQ(zero_page->refcount, 1);
	KT_EXPECT_EQ(zero_page->mapcount, 0);
	KT_EXPECT_EQ(child->rss_anon, 0);
	poke(child, a, 0x0f);				/* a zeroed private page */
	KT_EXPECT(!is_zero_pfn(pte_pfn(pte_of(child, a))));
	KT_EXPECT_EQ(peek(child, a + 1), 0);
	KT_EXPECT_EQ(pte_pfn(pte_of(mm, a)), zpfn);
	KT_EXPECT_EQ(peek(mm, a), 0);
	KT_EXPECT_EQ(pte_pfn(pte_of(child, a + PG)), zpfn);
	mm_put(child);
}

static void t_shared_anon_shared_across_fork(void)
{
	uintptr_t s = map(AREA, 2 * PG, RW, MAP_SHARED);
	struct mm_struct *child;
	struct page *p;

	fill(mm, s, 1, 0x21);
	p = page_of(mm, s);
	KT_ASSERT(p);
	KT_EXPECT_EQ(p->refcount, 2);			/* the object's and the pte's */
	child = fork_of(mm);
	KT_ASSERT(child);
	KT_EXPECT_EQ(page_of(child, s), p);
	KT_EXPECT(pte_write(pte_of(mm, s)));		/* no COW for shared mappings */
	KT_EXPECT(pte_write(pte_of(child, s)));
	KT_EXPECT_EQ(p->refcount, 3);
	KT_EXPECT_EQ(p->mapcount, 2);
	KT_EXPECT_EQ(child->rss_shared, 1);
	poke(child, s + 3, 0x22);
	KT_EXPECT_EQ(peek(mm, s + 3), 0x22);		/* child write visible in parent */
	poke(mm, s + 4, 0x23);
	KT_EXPECT_EQ(peek(child, s + 4), 0x23);
	/* a page first touched after fork is shared all the same */
	poke(child, s + PG, 0x24);
	KT_EXPECT_EQ(peek(mm, s + PG), 0x24);
	KT_EXPECT_EQ(page_of(mm, s + PG), page_of(child, s + PG));
	/* the parent unmaps: the object lives on in the child */
	KT_EXPECT_EQ(mm_munmap(mm, s, 2 * PG), 0);
	KT_EXPECT_EQ(p->refcount, 2);
	KT_EXPECT_EQ(peek(child, s + 3), 0x22);
	mm_put(child);
}

static void t_thousand_forks_of_one_page(void)
{
	enum { N = 1000 };
	static struct mm_struct *kids[N];
	uintptr_t a = map(AREA, PG, RW, PRIV);
	unsigned long free_before;
	struct page *p;
	pfn_t pfn;
	int n;

	fill(mm, a, 1, 0xab);
	p = page_of(mm, a);
	pfn = pte_pfn(pte_of(mm, a));
	for (n = 0; n < N; n++) {
		kids[n] = dup_mm(mm);
		if (!kids[n])
			break;
	}
	KT_EXPECT_EQ(n, N);
	KT_EXPECT_EQ(p->refcount, n + 1);
	KT_EXPECT_EQ(p->mapcount, n + 1);
	KT_EXPECT_EQ(peek(kids[n - 1], a), 0xab);
	/* the parent lets go first: its write copies */
	free_before = pmm_nr_free(&upmm);
	poke(mm, a, 0xcd);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_before - 1);
	KT_EXPECT_EQ(p->refcount, n);
	for (int i = 0; i < n; i++)
		mm_put(kids[i]);
	/* the last child took the original with it */
	KT_EXPECT_EQ(p->refcount, 0);
	KT_EXPECT(pte_pfn(pte_of(mm, a)) != pfn);
	KT_EXPECT_EQ(peek(mm, a), 0xcd);
}

static void t_thousand_forks_then_parent_reuses(void)
{
	enum { N = 1000 };
	static struct mm_struct *kids[N];
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct page *p;
	int n;

	fill(mm, a, 1, 0x5c);
	p = page_of(mm, a);
	for (n = 0; n < N && (kids[n] = dup_mm(mm)); n++)
		;
	KT_EXPECT_EQ(n, N);
	KT_EXPECT_EQ(p->refcount, N + 1);
	for (int i = 0; i < n; i++)
		mm_put(kids[i]);
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT_EQ(p->mapcount, 1);
	poke(mm, a, 0x5d);
	KT_EXPECT_EQ(page_of(mm, a), p);
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
}

/* ---- exit ---- */

static void t_child_exit_frees_exactly_its_private_pages(void)
{
	uintptr_t a = map(AREA, 8 * PG, RW, PRIV);
	struct mm_struct *child;
	unsigned long free_before_fork, free_forked, tables;

	fill(mm, a, 8, 0x80);
	free_before_fork = pmm_nr_free(&upmm);
	child = fork_of(mm);
	KT_ASSERT(child);
	free_forked = pmm_nr_free(&upmm);
	tables = child->pt.nr_table_pages;
	KT_EXPECT_EQ(free_before_fork - free_forked, tables);	/* fork copies no page */
	poke(child, a, 1);
	poke(child, a + PG, 2);
	poke(child, a + 2 * PG, 3);			/* three copies of the child's own */
	poke(mm, a + 7 * PG, 4);			/* the parent copies one: the child owns that original alone */
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_forked - 4);
	mm_put(child);
	/* back: its tables, its 3 copies and the original only it mapped */
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_forked - 4 + tables + 4);
	KT_EXPECT(page_reads(mm, a, 0x80));
	KT_EXPECT_EQ(peek(mm, a + 7 * PG), 4);
	for (int i = 0; i < 7; i++)
		KT_EXPECT_EQ(page_of(mm, a + i * PG)->refcount, 1);
}

static void t_parent_exit_leaves_child_whole(void)
{
	uintptr_t a = map(AREA, 4 * PG, RW, PRIV);
	uintptr_t s = map(AREA + 64 * PG, PG, RW, MAP_SHARED);
	struct mm_struct *child;

	fill(mm, a, 4, 0x90);
	fill(mm, s, 1, 0x91);
	child = fork_of(mm);
	KT_ASSERT(child);
	mm_put(mm);
	mm = child;					/* the fixture puts it */
	KT_EXPECT(page_reads(mm, a + 3 * PG, 0x90));
	KT_EXPECT(page_reads(mm, s, 0x91));
	for (int i = 0; i < 4; i++)
		KT_EXPECT_EQ(page_of(mm, a + i * PG)->refcount, 1);
	KT_EXPECT_EQ(page_of(mm, s)->refcount, 2);
	poke(mm, a, 0x92);
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
}

/* ---- out of memory ---- */

/* The parent's state that a failed fork must leave as it was. */
struct parent_snapshot {
	unsigned long free, rss_anon, rss_shared, map_count, total_vm;
	s32 ref[6], map[6];
};

#define OOM_PAGES	6

static void snap(struct parent_snapshot *s, uintptr_t a)
{
	s->free = pmm_nr_free(&upmm);
	s->rss_anon = mm->rss_anon;
	s->rss_shared = mm->rss_shared;
	s->map_count = mm->map_count;
	s->total_vm = mm->total_vm;
	for (int i = 0; i < OOM_PAGES; i++) {
		struct page *p = page_of(mm, a + i * PUD_SIZE / 4);

		s->ref[i] = p ? p->refcount : -1;
		s->map[i] = p ? p->mapcount : -1;
	}
}

static bool same_snapshot(const struct parent_snapshot *x, const struct parent_snapshot *y)
{
	return x->free == y->free && x->rss_anon == y->rss_anon &&
	       x->rss_shared == y->rss_shared && x->map_count == y->map_count &&
	       x->total_vm == y->total_vm && !memcmp(x->ref, y->ref, sizeof(x->ref)) &&
	       !memcmp(x->map, y->map, sizeof(x->map));
}

/*
 * Six pages a quarter of a GiB apart (so the child needs a table chain per
 * page), private and shared: dup_mm() with every budget of free pages from
 * none to enough. Each failure must return NULL with the parent's counts,
 * rss, vmas and data as before and every page back; the first budget that
 * suffices must give a working child.
 */
static void t_oom_unwinds_completely(void)
{
	uintptr_t a = AREA;
	struct parent_snapshot before, after;
	struct mm_struct *child = NULL;
	unsigned long keep;
	int failures = 0;

	for (int i = 0; i < OOM_PAGES; i++) {
		map(a + i * PUD_SIZE / 4, PG, RW, i & 1 ? MAP_SHARED : PRIV);
		fill(mm, a + i * PUD_SIZE / 4, 1, (u8)(0xe0 + i));
	}
	snap(&before, a);
	for (keep = 0; keep < 64 && !child; keep++) {
		struct hoard h = hoard_user_pages(keep);

		child = dup_mm(mm);
		give_back(&h);
		if (child)
			break;
		failures++;
		snap(&after, a);
		KT_EXPECT(same_snapshot(&before, &after));
	}
	KT_EXPECT(failures > 4);
	KT_ASSERT(child);
	for (int i = 0; i < OOM_PAGES; i++) {
		KT_EXPECT(page_reads(child, a + i * PUD_SIZE / 4, (u8)(0xe0 + i)));
		KT_EXPECT(page_reads(mm, a + i * PUD_SIZE / 4, (u8)(0xe0 + i)));
	}
	mm_put(child);
	/* the parent's write-protected private ptes: its next write reuses */
	poke(mm, a, 0xff);
	KT_EXPECT_EQ(mm->faults.wp_reuse, 1);
	KT_EXPECT_EQ(mm->faults.wp_copy, 0);
}

/*
 * Everything kmalloc could hand out: every free kernel page but @keep, then
 * every free object left in the size-class caches' partial slabs. So the
 * next kmalloc needs one of the @keep pages.
 */
struct kdrain {
	struct page **pages;
	void **objs;
	size_t nr_pages, nr_objs;
};

static void drain_kmalloc(struct kdrain *d, unsigned long keep)
{
	static const size_t sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096 };
	struct page *p;
	void *o;

	d->pages = malloc(KERNEL_PAGES * sizeof(*d->pages));
	d->objs = malloc(65536 * sizeof(*d->objs));
	d->nr_pages = d->nr_objs = 0;
	kmalloc_shrink();
	while ((p = pmm_alloc_pages(&kernel_pmm, 0, 0)))
		d->pages[d->nr_pages++] = p;
	for (size_t i = 0; i < KT_N(sizes); i++)
		while (d->nr_objs < 65536 && (o = kmalloc(sizes[i], GFP_KERNEL)))
			d->objs[d->nr_objs++] = o;
	while (keep-- && d->nr_pages)
		pmm_free_pages(&kernel_pmm, d->pages[--d->nr_pages], 0);
}

static void undrain_kmalloc(struct kdrain *d)
{
	while (d->nr_objs)
		kfree(d->objs[--d->nr_objs]);
	while (d->nr_pages)
		pmm_free_pages(&kernel_pmm, d->pages[--d->nr_pages], 0);
	free(d->objs);
	free(d->pages);
}

/*
 * kmalloc (the mm_struct, then the vmas) running out: with every budget of
 * kernel pages from none up, each failure leaves the parent as it was.
 */
static void t_oom_in_kmalloc_unwinds(void)
{
	struct parent_snapshot before, after;
	struct mm_struct *child = NULL;
	int failures = 0;

	for (int i = 0; i < OOM_PAGES; i++) {
		map(AREA + i * PUD_SIZE / 4, PG, RW, i & 1 ? MAP_SHARED : PRIV);
		fill(mm, AREA + i * PUD_SIZE / 4, 1, (u8)i);
	}
	snap(&before, AREA);
	for (unsigned long keep = 0; keep < 16; keep++) {
		struct kdrain d;

		drain_kmalloc(&d, keep);
		child = dup_mm(mm);
		undrain_kmalloc(&d);
		if (child)
			break;
		failures++;
		snap(&after, AREA);
		KT_EXPECT(same_snapshot(&before, &after));
	}
	KT_EXPECT(failures >= 2);	/* the mm_struct, then a vma */
	KT_ASSERT(child);
	KT_EXPECT_EQ(child->map_count, OOM_PAGES);
	for (int i = 0; i < OOM_PAGES; i++)
		KT_EXPECT(page_reads(child, AREA + i * PUD_SIZE / 4, (u8)i));
	mm_put(child);
}

/* ---- registration: every case in both modes ---- */

#define FORK_CASES(X)							\
	X(t_copies_vmas_and_fields, "the child gets every vma (flags, object, name) and the mm's layout fields") \
	X(t_empty_mm_forks, "an mm without vmas forks into an empty child") \
	X(t_child_tables_only_where_ptes_are, "the child gets page tables only where the parent has ptes") \
	X(t_private_ptes_write_protected_in_both, "private writable ptes become read-only in parent and child, TLB flushed per pte, counts 2") \
	X(t_many_write_protects_flush_everything, "many write-protected ptes flush the whole TLB") \
	X(t_parent_write_invisible_to_child, "parent write invisible to child") \
	X(t_child_write_invisible_to_parent, "child write invisible to parent") \
	X(t_both_write, "both write: the first copies, the last reuses; the original freed with its last mapping") \
	X(t_fork_twice_before_any_write, "fork twice before any write: refcount 3, two copies, the last writer reuses") \
	X(t_fork_of_a_fork, "fork from a child: three processes, each write private") \
	X(t_cow_after_mprotect, "COW after mprotect read-only then read-write: still copy-on-write") \
	X(t_readonly_before_fork_stays_readonly, "a read-only private page stays read-only in the child (SEGV_ACCERR on write)") \
	X(t_cow_after_partial_munmap, "COW after a partial munmap: pages left mapped once are reused") \
	X(t_zero_page_stays_zero_page, "a zero-page mapping stays the zero page in both, uncounted") \
	X(t_shared_anon_shared_across_fork, "MAP_SHARED|MAP_ANONYMOUS stays shared across fork, writes visible both ways") \
	X(t_thousand_forks_of_one_page, "1000 live forks of one page: refcount and mapcount 1001, freed after all put") \
	X(t_thousand_forks_then_parent_reuses, "after 1000 forks exit the parent writes its page in place") \
	X(t_child_exit_frees_exactly_its_private_pages, "exit of a child frees exactly its tables and the pages only it maps") \
	X(t_parent_exit_leaves_child_whole, "exit of the parent leaves the child's memory whole and exclusive") \
	X(t_oom_unwinds_completely, "dup_mm out of pages returns NULL and leaves the parent exactly as it was") \
	X(t_oom_in_kmalloc_unwinds, "dup_mm out of kmalloc memory returns NULL and leaves the parent as it was")

#define DEFINE_MODE_WRAPPERS(fn, desc)					\
	static void fn##_l4(void) { run_in_mode(4, fn); }		\
	static void fn##_l5(void) { run_in_mode(5, fn); }
FORK_CASES(DEFINE_MODE_WRAPPERS)

#define CASE_L4(fn, desc)	KT_CASE(fn##_l4, "4-level: " desc),
#define CASE_L5(fn, desc)	KT_CASE(fn##_l5, "5-level: " desc),

static const struct kt_case cases[] = {
	FORK_CASES(CASE_L4)
	FORK_CASES(CASE_L5)
};

int main(void)
{
	int ret;

	fake_mm_machine_init(RAM_BASE_PFN, KERNEL_PAGES, USER_PAGES);
	ret = kt_run_suite("fork", cases, KT_N(cases));
	fake_ram_free();
	return ret;
}
