/*
 * Host tests of address spaces (mm/mmap.c, mm/vma.c) over simulated RAM:
 * placement, mmap/munmap/mprotect/brk/mremap/madvise with Linux's results
 * and error codes, /proc/PID/maps and statm text, page and table freeing,
 * and the pinned kernel half of the page tables.
 *
 * One fake RAM region holds two pmms: kernel_pmm (kmalloc: VMAs, mm_structs,
 * shared_anon objects) and upmm (user pages and page tables). Every case
 * runs in 4- and 5-level mode on a fresh upmm and a fresh mm; afterwards
 * mm_put() must have given back every user page and table and every kmalloc
 * object (xv6's countfree).
 *
 * There is no fault path here: "touching" a page allocates it from upmm and
 * installs its pte directly, as do_anonymous_page would (PG_anon, refcount
 * 1, mapcount 1, rss_anon + 1).
 */
#include "ktap.h"
#include "fake_arch.h"
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/errno.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE_PFN	0x1000UL
#define KERNEL_PAGES	4096UL		/* kmalloc */
#define USER_PAGES	4096UL		/* user pages and tables */

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define FIXED		(ANON | MAP_FIXED)
#define BASE		0x7ffff7fff000UL	/* mmap_base with the default stack limit */

static struct page *kernel_pages;
static struct page *user_pages;
static struct pmm upmm;
static struct mm_struct *mm;
static char text[16384];

/* ---- fixture ---- */

static unsigned long kernel_free_settled(void)
{
	kmalloc_shrink();
	return pmm_nr_free(&kernel_pmm);
}

static void run_in_mode(unsigned int levels, void (*fn)(void))
{
	unsigned long ufree, kfree_before;

	pgtable_levels = levels;
	pgtable_has_pud_leaf = true;
	pmm_init(&upmm, user_pages, RAM_BASE_PFN + KERNEL_PAGES, USER_PAGES);
	pmm_add_free_range(&upmm, RAM_BASE_PFN + KERNEL_PAGES, USER_PAGES);
	ufree = pmm_nr_free(&upmm);
	kfree_before = kernel_free_settled();
	fake_tlb_page_flushes = fake_tlb_full_flushes = 0;

	mm = mm_create(&upmm, NULL, mm_default_task_size());
	KT_ASSERT(mm);
	fn();
	if (mm)
		mm_put(mm);
	mm = NULL;
	KT_EXPECT_EQ(pmm_nr_free(&upmm), ufree);
	KT_EXPECT_EQ(kernel_free_settled(), kfree_before);
}

static long map(uintptr_t addr, size_t len, int prot, int flags)
{
	return mm_mmap(mm, addr, len, prot, flags, NULL, 0);
}

static struct vm_area_struct *vma_at(uintptr_t addr)
{
	return vma_lookup(mm, addr);
}

static pte_t *pte_walk_alloc(uintptr_t va)
{
	struct page_table *pt = &mm->pt;
	p4d_t *p4d = p4d_alloc(pt, pgd_offset_pgd(pt->pgd, va), va);
	pud_t *pud = pud_alloc(pt, p4d, va);
	pmd_t *pmd = pmd_alloc(pt, pud, va);

	return pte_alloc(pt, pmd, va);
}

/* The present pte mapping @va, or NULL. */
static pte_t *present_pte(uintptr_t va)
{
	pte_t *pte = pt_lookup_pte(&mm->pt, va);

	return pte && pte_present(*pte) ? pte : NULL;
}

static pfn_t page_pfn(struct page *pg)
{
	return pmm_page_to_pfn(&upmm, pg);
}

static char *page_data(struct page *pg)
{
	return phys_to_virt(PFN_PHYS(page_pfn(pg)));
}

/*
 * As do_anonymous_page on a write: a private page at @va holding @marker,
 * mapped with the vma's protection (or read-only if !@writable).
 */
static struct page *touch(uintptr_t va, char marker, bool writable)
{
	struct vm_area_struct *vma = vma_at(va);
	struct page *pg;
	pte_t *pte, entry;

	if (!vma)
		return NULL;
	pg = pmm_alloc_pages(&upmm, 0, __GFP_ZERO);
	pte = pte_walk_alloc(va);
	if (!pg || !pte)
		abort();
	page_set_flag(pg, PG_anon);
	page_mapcount_inc(pg);
	page_data(pg)[0] = marker;
	entry = pfn_pte(page_pfn(pg), vma->vm_page_prot);
	set_pte(pte, writable ? entry : pte_wrprotect(entry));
	mm->rss_anon++;
	return pg;
}

/* A zero page of our own (PG_zero), mapped read-only at @va: no ref, no rss. */
static struct page *map_zero_page(uintptr_t va)
{
	struct page *zp = pmm_alloc_pages(&upmm, 0, __GFP_ZERO);

	page_set_flag(zp, PG_zero);
	set_pte(pte_walk_alloc(va), pte_wrprotect(pfn_pte(page_pfn(zp), vma_at(va)->vm_page_prot)));
	return zp;
}

static const char *maps(void)
{
	mm_format_maps(mm, text, sizeof(text));
	return text;
}

#define EXPECT_STR(got, want)						\
	do {								\
		const char *__g = (got), *__w = (want);			\
		if (strcmp(__g, __w) != 0) {				\
			printf("    # %s:%d: got\n%s    # want\n%s", __FILE__,\
			       __LINE__, __g, __w);			\
			kt_case_failed = 1;				\
		}							\
	} while (0)

/* ---- address space life cycle ---- */

static void t_create_empty(void)
{
	KT_EXPECT_EQ(mm->map_count, 0);
	KT_EXPECT(find_vma(mm, 0) == NULL);
	KT_EXPECT_EQ(mm->task_size, pgtable_l5_enabled() ? (1UL << 56) - PG : (1UL << 47) - PG);
	KT_EXPECT_EQ(mm->mmap_base, BASE);
	KT_EXPECT_EQ(mm->pt.pinned_from, 256);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, 1);
	KT_EXPECT_EQ(mm->stack_limit, 8UL << 20);
	mm_get(mm);
	mm_put(mm);
	KT_EXPECT_EQ(mm->users, 1);
	EXPECT_STR(maps(), "");
	mm_format_statm(mm, text, sizeof(text));
	EXPECT_STR(text, "0 0 0 0 0 0 0\n");
}

static void t_pinned_kernel_half(void)
{
	struct page_table kpt;
	struct mm_struct *other;
	uintptr_t kva = vmalloc_start() + 5 * PMD_SIZE;
	phys_addr_t pa = 0;
	unsigned int idx = pgd_index(kva);

	KT_ASSERT(pt_init(&kpt, &upmm) == 0);
	KT_ASSERT(pt_pin_top_level(&kpt, 256) == 0);
	KT_EXPECT_EQ(kpt.pinned_from, 256);
	KT_EXPECT_EQ(kpt.nr_table_pages, 257);		/* root + one per kernel entry */
	other = mm_create(&upmm, &kpt, mm_default_task_size());
	KT_ASSERT(other);
	for (unsigned int i = 0; i < 512; i++)
		KT_EXPECT_EQ(other->pt.pgd[i].val, i >= 256 ? kpt.pgd[i].val : 0);
	KT_EXPECT_EQ(other->pt.pinned_from, 256);

	/* a kernel mapping made after the mm was created is visible in it */
	KT_EXPECT_EQ(pt_map(&kpt, kva, 0x1234000, PG, arch_pgprot(PP_READ), PT_MAP_4K), 0);
	KT_EXPECT(pt_translate(&other->pt, kva + 8, &pa));
	KT_EXPECT_EQ(pa, 0x1234008);
	/* unmapping it frees the tables below the pinned one, never that one */
	KT_EXPECT_EQ(pt_unmap(&kpt, kva, PG), 0);
	KT_EXPECT_EQ(kpt.nr_table_pages, 257);
	KT_EXPECT(kpt.pgd[idx].val != 0);
	KT_EXPECT_EQ(pt_unmap(&kpt, vmalloc_start(), 1UL << 30), 0);
	KT_EXPECT_EQ(kpt.nr_table_pages, 257);

	/* user mappings and the end of the mm leave the kernel half alone */
	KT_EXPECT_EQ(mm_mmap(other, 0x400000, 4 * PG, RW, FIXED, NULL, 0), 0x400000);
	KT_EXPECT_EQ(pt_map(&kpt, kva, 0x1234000, PG, arch_pgprot(PP_READ), PT_MAP_4K), 0);
	mm_put(other);
	KT_EXPECT(kpt.pgd[idx].val != 0);
	KT_EXPECT(pt_translate(&kpt, kva, &pa));
	for (unsigned int i = 256; i < 512; i++) {
		phys_addr_t t = pgtable_l5_enabled() ? pgd_table(kpt.pgd[i])
						     : p4d_table((p4d_t){ kpt.pgd[i].val });
		KT_EXPECT(page_test_flag(pmm_pfn_to_page(&upmm, PHYS_PFN(t)), PG_pgtable));
	}
	KT_EXPECT_EQ(pt_unmap(&kpt, kva, PG), 0);
	/* unpin to tear the test's kernel table down */
	kpt.pinned_from = PTRS_PER_TABLE;
	pt_destroy(&kpt);
}

/* ---- the tree ---- */

static void t_find_vma(void)
{
	struct vm_area_struct *a, *b, *c;

	KT_ASSERT(map(0x100000, 4 * PG, RW, FIXED) == 0x100000);
	KT_ASSERT(map(0x200000, PG, PROT_READ, FIXED) == 0x200000);
	KT_ASSERT(map(0x300000, 2 * PG, PROT_READ | PROT_EXEC, FIXED) == 0x300000);
	a = vma_at(0x100000);
	b = vma_at(0x200000);
	c = vma_at(0x300000);
	KT_ASSERT(a && b && c);
	KT_EXPECT(find_vma(mm, 0) == a);
	KT_EXPECT(find_vma(mm, 0x100000) == a);
	KT_EXPECT(find_vma(mm, 0x103fff) == a);
	KT_EXPECT(find_vma(mm, 0x104000) == b);		/* in the gap: the next one */
	KT_EXPECT(find_vma(mm, 0x200fff) == b);
	KT_EXPECT(find_vma(mm, 0x301fff) == c);
	KT_EXPECT(find_vma(mm, 0x302000) == NULL);	/* above the last */
	KT_EXPECT(vma_lookup(mm, 0x104000) == NULL);
	KT_EXPECT(vma_lookup(mm, 0x100800) == a);
	KT_EXPECT(vma_next(mm, NULL) == a);
	KT_EXPECT(vma_next(mm, a) == b);
	KT_EXPECT(vma_next(mm, c) == NULL);
	KT_EXPECT(vma_prev(mm, a) == NULL);
	KT_EXPECT(vma_prev(mm, NULL) == c);
	KT_EXPECT(find_vma_intersection(mm, 0x104000, 0x200000) == NULL);
	KT_EXPECT(find_vma_intersection(mm, 0x104000, 0x200001) == b);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(mm->total_vm, 7);
}

static void t_find_vma_many(void)
{
	const unsigned int n = 600;
	const uintptr_t base = 0x1000000;

	/* one page every other page: never adjacent, never merged */
	for (unsigned int i = 0; i < n; i++)
		KT_ASSERT(map(base + 2 * i * PG, PG, RW, FIXED) == (long)(base + 2 * i * PG));
	KT_EXPECT_EQ(mm->map_count, n);
	KT_EXPECT(rb_check(&mm->mm_rb) > 0);
	srand(7);
	for (unsigned int k = 0; k < 4000; k++) {
		uintptr_t addr = base - 4 * PG + (uintptr_t)rand() % ((2 * n + 8) * PG);
		struct vm_area_struct *v = find_vma(mm, addr);
		/* the first page-aligned slot i with base + 2i*PG + PG > addr */
		uintptr_t want;

		if (addr < base)
			want = base;
		else if ((addr - base) % (2 * PG) < PG)	/* inside slot i */
			want = base + ((addr - base) / (2 * PG)) * 2 * PG;
		else					/* in the gap after it */
			want = base + ((addr - base) / (2 * PG) + 1) * 2 * PG;
		if (want < base + 2 * n * PG) {
			KT_ASSERT(v && v->vm_start == want);
		} else {
			KT_ASSERT(v == NULL);
		}
	}
	/* unmapping every third keeps the tree valid */
	for (unsigned int i = 0; i < n; i += 3)
		KT_EXPECT_EQ(mm_munmap(mm, base + 2 * i * PG, PG), 0);
	KT_EXPECT_EQ(mm->map_count, n - n / 3);
	KT_EXPECT(rb_check(&mm->mm_rb) > 0);
	KT_EXPECT(find_vma(mm, base)->vm_start == base + 2 * PG);
}

/* ---- placement ---- */

static void t_topdown_placement(void)
{
	long a = map(0, 3 * PG, RW, ANON);
	long b = map(0, PG, PROT_READ, ANON);
	long c = map(0, 5 * PG, RW, ANON);

	KT_EXPECT_EQ(a, BASE - 3 * PG);
	KT_EXPECT_EQ(b, a - PG);
	KT_EXPECT_EQ(c, b - 5 * PG);
	KT_EXPECT_EQ(mm->map_count, 3);
	/* a hole is filled again: it is the highest gap that fits */
	KT_EXPECT_EQ(mm_munmap(mm, b, PG), 0);
	KT_EXPECT_EQ(map(0, PG, PROT_EXEC, ANON), b);
	/* too big for the hole: goes below the lowest */
	KT_EXPECT_EQ(mm_munmap(mm, b, PG), 0);
	KT_EXPECT_EQ(map(0, 2 * PG, PROT_EXEC, ANON), c - 2 * PG);
}

static void t_adjacent_anon_mmaps_merge(void)
{
	long a = map(0, PG, RW, ANON);
	long b = map(0, 2 * PG, RW, ANON);
	struct vm_area_struct *v;

	KT_EXPECT_EQ(b, a - 2 * PG);
	KT_EXPECT_EQ(mm->map_count, 1);
	v = vma_at(b);
	KT_ASSERT(v);
	KT_EXPECT_EQ(v->vm_start, b);
	KT_EXPECT_EQ(v->vm_end, a + PG);
	KT_EXPECT_EQ(v->vm_pgoff, (uintptr_t)b >> PAGE_SHIFT);
	/* a different protection is a different vma */
	map(0, PG, PROT_READ, ANON);
	KT_EXPECT_EQ(mm->map_count, 2);
}

static void t_placement_keeps_stack_guard_gap(void)
{
	uintptr_t st = BASE - 16 * PG;
	long a;

	KT_ASSERT(map(st, 16 * PG, RW, FIXED | MAP_GROWSDOWN) == (long)st);
	KT_EXPECT(vma_at(st)->vm_flags & VM_GROWSDOWN);
	a = map(0, PG, RW, ANON);
	KT_EXPECT_EQ(a, st - STACK_GUARD_GAP - PG);
	/* a hint inside the gap is not honoured either */
	KT_EXPECT(map(st - PG, PG, PROT_READ, ANON) != (long)(st - PG));
}

static void t_small_space_never_below_min_addr(void)
{
	struct mm_struct *big = mm;
	unsigned long pages = 0;
	long addr, last = 0;

	/* 4 MiB of user space: mmap_base = 4 MiB - 5/6 of it */
	mm = mm_create(&upmm, NULL, 0x400000);
	KT_ASSERT(mm);
	KT_EXPECT_EQ(mm->mmap_base, 0xab000);
	for (;;) {
		addr = map(0, PG, pages & 1 ? RW : PROT_READ, ANON);
		if (addr < 0)
			break;
		KT_EXPECT(addr >= (long)MMAP_MIN_ADDR && addr < 0x400000);
		KT_EXPECT(addr != last);
		last = addr;
		pages++;
	}
	KT_EXPECT_EQ(addr, -ENOMEM);
	/* below mmap_base down to 64 KiB, then bottom-up from a third of it */
	KT_EXPECT_EQ(pages, (0xab000 - MMAP_MIN_ADDR) / PG + (0x400000 - 0x156000) / PG);
	KT_EXPECT(vma_lookup(mm, MMAP_MIN_ADDR) != NULL);
	KT_EXPECT(find_vma(mm, 0)->vm_start == MMAP_MIN_ADDR);
	KT_EXPECT_EQ(map(0x3ff000, 2 * PG, PROT_READ, FIXED), -ENOMEM);
	mm_put(mm);
	mm = big;
}

static void t_hints(void)
{
	uintptr_t h = 0x500000000UL;
	long r;

	KT_EXPECT_EQ(map(h, 2 * PG, RW, ANON), h);		/* free: honoured */
	KT_EXPECT_EQ(map(h + PG, PG, PROT_READ, ANON), BASE - PG);	/* taken: top-down */
	KT_EXPECT_EQ(map(0x5000, PG, PROT_READ, ANON), MMAP_MIN_ADDR);	/* raised to the minimum */
	KT_EXPECT(map(0x5000, PG, PROT_READ, ANON) != (long)MMAP_MIN_ADDR);
	KT_EXPECT_EQ(map(0x600000 + 123, PG, PROT_READ, ANON), 0x600000);	/* aligned down */
	/* a hint straddling the end of user space is ignored; with 5 levels a
	 * hint above 47 bits still asks for the space above the window */
	r = map(mm->task_size - PG, 2 * PG, PROT_READ, ANON);
	KT_EXPECT(r > 0 && (uintptr_t)r != mm->task_size - PG);
	if (pgtable_l5_enabled())
		KT_EXPECT(r > (long)DEFAULT_MAP_WINDOW && r <= (long)(mm->task_size - 2 * PG));
	else
		KT_EXPECT(r < (long)BASE);
}

static void t_hint_above_47_bits(void)
{
	uintptr_t h = 1UL << 50;
	long a = map(h, PG, RW, ANON);

	if (pgtable_l5_enabled())
		KT_EXPECT_EQ(a, h);		/* 5 levels: only when asked */
	else
		KT_EXPECT_EQ(a, BASE - PG);	/* 4 levels: out of range, ignored */
	KT_EXPECT(map(0, PG, PROT_READ, ANON) < (long)DEFAULT_MAP_WINDOW);
}

/* ---- mmap ---- */

static void t_map_fixed_replaces(void)
{
	struct page *p[4];
	unsigned long before;

	KT_ASSERT(map(0x400000, 4 * PG, RW, FIXED) == 0x400000);
	for (int i = 0; i < 4; i++)
		p[i] = touch(0x400000 + i * PG, 'a' + i, true);
	before = pmm_nr_free(&upmm);
	KT_EXPECT_EQ(map(0x401000, PG, PROT_READ, FIXED), 0x401000);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before + 1);		/* the old page went */
	KT_EXPECT(present_pte(0x401000) == NULL);
	KT_EXPECT(present_pte(0x400000) && present_pte(0x402000));
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(vma_at(0x401000)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	KT_EXPECT_EQ(vma_at(0x402000)->vm_start, 0x402000);
	KT_EXPECT_EQ(vma_at(0x402000)->vm_pgoff, 0x402);
	KT_EXPECT_EQ(mm->total_vm, 4);
	KT_EXPECT_EQ(mm->rss_anon, 3);
	/* replacing across a hole and two vmas: the new vma merges with the
	 * rest above it (same flags, contiguous vm_pgoff) */
	KT_EXPECT_EQ(map(0x3ff000, 3 * PG, RW, FIXED), 0x3ff000);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(vma_at(0x3ff000)->vm_end, 0x404000);
	KT_EXPECT_EQ(mm->total_vm, 5);
	KT_EXPECT_EQ(mm->rss_anon, 2);
	(void)p;
}

static void t_map_fixed_noreplace(void)
{
	KT_ASSERT(map(0x400000, 2 * PG, RW, FIXED) == 0x400000);
	KT_EXPECT_EQ(map(0x401000, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE), -EEXIST);
	KT_EXPECT_EQ(map(0x3ff000, PG, RW, ANON | MAP_FIXED_NOREPLACE), 0x3ff000);
	KT_EXPECT_EQ(map(0x402000, PG, RW, ANON | MAP_FIXED_NOREPLACE), 0x402000);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm->total_vm, 4);
}

static void t_fixed_address_errors(void)
{
	uintptr_t top = mm->task_size;

	KT_EXPECT_EQ(map(0, PG, PROT_READ, FIXED), -EPERM);	/* page 0 */
	KT_EXPECT_EQ(map(0x1000, PG, PROT_READ, FIXED), -EPERM);
	KT_EXPECT_EQ(map(MMAP_MIN_ADDR - PG, 2 * PG, PROT_READ, FIXED), -EPERM);
	KT_EXPECT_EQ(map(0, PG, PROT_READ, ANON | MAP_FIXED_NOREPLACE), -EPERM);
	KT_EXPECT_EQ(map(MMAP_MIN_ADDR + 1, PG, PROT_READ, FIXED), -EINVAL);
	KT_EXPECT_EQ(map(top, PG, PROT_READ, FIXED), -ENOMEM);
	KT_EXPECT_EQ(map(top - PG, 2 * PG, PROT_READ, FIXED), -ENOMEM);
	KT_EXPECT_EQ(mm->map_count, 0);
	KT_EXPECT_EQ(map(MMAP_MIN_ADDR, PG, PROT_READ, FIXED), MMAP_MIN_ADDR);
	KT_EXPECT_EQ(map(top - PG, PG, PROT_READ, FIXED), top - PG);
}

static void t_mmap_argument_errors(void)
{
	KT_EXPECT_EQ(map(0, 0, PROT_READ, ANON), -EINVAL);
	KT_EXPECT_EQ(map(0, (size_t)-1, PROT_READ, ANON), -ENOMEM);	/* rounds to 0 */
	KT_EXPECT_EQ(map(0, (size_t)-PG, PROT_READ, ANON), -ENOMEM);	/* > task_size */
	KT_EXPECT_EQ(map(0, PG, PROT_READ, MAP_ANONYMOUS), -EINVAL);	/* no type */
	KT_EXPECT_EQ(map(0, PG, PROT_READ, 0xf | MAP_ANONYMOUS), -EINVAL);
	KT_EXPECT_EQ(map(0, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS), -EINVAL);
	KT_EXPECT_EQ(map(0, PG, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN), -EINVAL);
	KT_EXPECT_EQ(map(0, PG, PROT_READ, MAP_PRIVATE), -EBADF);	/* no file */
	KT_EXPECT_EQ(map(0, PG, PROT_READ, 0), -EINVAL);
	KT_EXPECT_EQ(mm_mmap(mm, 0, 2 * PG, PROT_READ, ANON, NULL, ~0UL), -EOVERFLOW);
	KT_EXPECT_EQ(mm->map_count, 0);
	KT_EXPECT_EQ(mm->total_vm, 0);
}

static void t_vm_flags_and_protection(void)
{
	const unsigned long may = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	struct vm_area_struct *v;
	long a;

	a = map(0x400000, PG, RW, FIXED);
	v = vma_at(a);
	KT_EXPECT_EQ(v->vm_flags, VM_READ | VM_WRITE | may);
	KT_EXPECT_EQ(v->vm_page_prot.val, arch_pgprot(PP_USER | PP_READ | PP_WRITE).val);
	KT_EXPECT_EQ(v->vm_pgoff, 0x400);
	KT_EXPECT(v->vm_ops == NULL && v->shared_anon == NULL && v->vm_name == NULL);
	v = vma_at(map(0x500000, PG, PROT_EXEC, FIXED));
	KT_EXPECT_EQ(v->vm_page_prot.val, arch_pgprot(PP_USER | PP_READ | PP_EXEC).val);
	v = vma_at(map(0x600000, PG, PROT_NONE, FIXED));
	KT_EXPECT_EQ(v->vm_flags, may);
	KT_EXPECT_EQ(v->vm_page_prot.val, arch_pgprot(PP_NONE).val);	/* no access at all */
	KT_EXPECT(pte_protnone(pfn_pte(0x1234, v->vm_page_prot)));
	v = vma_at(map(0x700000, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED));
	KT_EXPECT_EQ(v->vm_flags, VM_READ | VM_WRITE | VM_SHARED | VM_MAYSHARE | may);
	KT_EXPECT(v->vm_ops == &shared_anon_vm_ops && v->shared_anon != NULL);
	KT_EXPECT_EQ(v->vm_pgoff, 0);
	v = vma_at(map(0x800000, PG, RW, FIXED | MAP_GROWSDOWN));
	KT_EXPECT(v->vm_flags & VM_GROWSDOWN);
	v = vma_at(map(0x900000, PG, RW, FIXED | MAP_STACK));
	KT_EXPECT(v->vm_flags & VM_NOHUGEPAGE);
	KT_EXPECT_EQ(mm->total_vm, 7);
}

/* ---- munmap ---- */

static void t_munmap_middle_splits(void)
{
	KT_ASSERT(map(0x400000, 3 * PG, RW, FIXED) == 0x400000);
	KT_EXPECT_EQ(mm_munmap(mm, 0x401000, PG), 0);
	KT_EXPECT_EQ(mm->map_count, 2);
	KT_EXPECT_EQ(mm->total_vm, 2);
	EXPECT_STR(maps(), "00400000-00401000 rw-p 00000000 00:00 0 \n"
			   "00402000-00403000 rw-p 00000000 00:00 0 \n");
}

static void t_munmap_spanning_vmas(void)
{
	unsigned long before;

	KT_ASSERT(map(0x400000, 4 * PG, RW, FIXED) == 0x400000);
	KT_ASSERT(map(0x404000, 4 * PG, PROT_READ, FIXED) == 0x404000);
	KT_ASSERT(map(0x408000, 4 * PG, RW | PROT_EXEC, FIXED) == 0x408000);
	KT_EXPECT_EQ(mm->map_count, 3);
	for (uintptr_t va = 0x400000; va < 0x40c000; va += PG)
		touch(va, 'x', false);
	before = pmm_nr_free(&upmm);
	KT_EXPECT_EQ(mm_munmap(mm, 0x402000, 8 * PG), 0);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before + 8);
	KT_EXPECT_EQ(mm->map_count, 2);
	KT_EXPECT_EQ(mm->total_vm, 4);
	KT_EXPECT_EQ(mm->rss_anon, 4);
	KT_EXPECT_EQ(vma_at(0x400000)->vm_end, 0x402000);
	KT_EXPECT_EQ(vma_at(0x40a000)->vm_start, 0x40a000);
	KT_EXPECT_EQ(vma_at(0x40a000)->vm_pgoff, 0x40a);
	KT_EXPECT(find_vma(mm, 0x402000) == vma_at(0x40a000));
	KT_EXPECT(present_pte(0x401000) && present_pte(0x40a000));
	KT_EXPECT(!present_pte(0x402000) && !present_pte(0x409000));
}

static void t_munmap_errors(void)
{
	long a = map(0, 2 * PG, RW, ANON);

	KT_EXPECT_EQ(mm_munmap(mm, a + 1, PG), -EINVAL);
	KT_EXPECT_EQ(mm_munmap(mm, a, 0), -EINVAL);
	KT_EXPECT_EQ(mm_munmap(mm, a, (size_t)-PG), -EINVAL);
	KT_EXPECT_EQ(mm_munmap(mm, mm->task_size, 2 * PG), -EINVAL);
	KT_EXPECT_EQ(mm_munmap(mm, MMAP_MIN_ADDR, PG), 0);	/* nothing there: fine */
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm_munmap(mm, a, 1), 0);			/* length rounds up */
	KT_EXPECT_EQ(mm->total_vm, 1);
}

static void t_munmap_frees_pages_and_tables(void)
{
	uintptr_t start = (1UL << 30) - 2 * PMD_SIZE;	/* straddles a 1 GiB line */
	unsigned long before = pmm_nr_free(&upmm);

	KT_ASSERT(map(start, 4 * PMD_SIZE, RW, FIXED) == (long)start);
	for (uintptr_t va = start; va < start + 4 * PMD_SIZE; va += 64 * PG)
		touch(va, 'y', true);
	KT_EXPECT(mm->pt.nr_table_pages > 5);
	KT_EXPECT_EQ(mm->rss_anon, 4 * 8);
	KT_EXPECT_EQ(mm_munmap(mm, start, 4 * PMD_SIZE), 0);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, 1);
	KT_EXPECT_EQ(mm->rss_anon, 0);
	KT_EXPECT_EQ(mm->map_count, 0);
}

static void t_munmap_keeps_tables_in_use(void)
{
	struct page *keep;

	KT_ASSERT(map(0x400000, PG, RW, FIXED) == 0x400000);
	KT_ASSERT(map(0x402000, PG, PROT_READ, FIXED) == 0x402000);
	keep = touch(0x400000, 'k', true);
	touch(0x402000, 'g', false);
	KT_EXPECT_EQ(mm_munmap(mm, 0x402000, PG), 0);
	KT_ASSERT(present_pte(0x400000));
	KT_EXPECT_EQ(pte_pfn(*present_pte(0x400000)), page_pfn(keep));
	KT_EXPECT_EQ(page_data(keep)[0], 'k');
}

/* ---- mprotect ---- */

static void t_mprotect_split_and_merge_back(void)
{
	KT_ASSERT(map(0x400000, 4 * PG, RW, FIXED) == 0x400000);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x401000, PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm->map_count, 3);
	EXPECT_STR(maps(), "00400000-00401000 rw-p 00000000 00:00 0 \n"
			   "00401000-00402000 r--p 00000000 00:00 0 \n"
			   "00402000-00404000 rw-p 00000000 00:00 0 \n");
	KT_EXPECT_EQ(mm_mprotect(mm, 0x401000, PG, RW), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(vma_at(0x400000)->vm_end, 0x404000);
	/* whole range, then two halves back to the same */
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, 4 * PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, 2 * PG, RW), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x402000, 2 * PG, RW), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm->total_vm, 4);
}

static void t_mprotect_updates_ptes(void)
{
	struct page *own, *zp, *shared;

	KT_ASSERT(map(0x400000, 4 * PG, RW, FIXED) == 0x400000);
	own = touch(0x400000, 'o', true);
	zp = map_zero_page(0x401000);
	shared = touch(0x402000, 's', false);
	shared->mapcount = 2;		/* as after fork */
	get_page(shared);

	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, 4 * PG, PROT_READ), 0);
	KT_EXPECT(!pte_write(*present_pte(0x400000)));
	KT_EXPECT(pte_user(*present_pte(0x400000)));
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, 4 * PG, RW), 0);
	KT_EXPECT(pte_write(*present_pte(0x400000)));		/* exclusive anon */
	KT_EXPECT(!pte_write(*present_pte(0x401000)));		/* zero page */
	KT_EXPECT(!pte_write(*present_pte(0x402000)));		/* shared: do_wp_page copies */
	KT_EXPECT_EQ(pte_pfn(*present_pte(0x400000)), page_pfn(own));
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, PROT_NONE), 0);
	KT_EXPECT(!pte_user(*present_pte(0x400000)));		/* no user access */
	KT_EXPECT(pte_protnone(*present_pte(0x400000)));	/* nor kernel access */
	KT_EXPECT_EQ(pte_pfn(*present_pte(0x400000)), page_pfn(own));	/* page kept */
	KT_EXPECT(!pt_translate(&mm->pt, 0x400000, &(phys_addr_t){ 0 }));
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, PROT_READ | PROT_EXEC), 0);
	KT_EXPECT(!pte_protnone(*present_pte(0x400000)));
	KT_EXPECT(pte_user(*present_pte(0x400000)) && pte_exec(*present_pte(0x400000)));
	KT_EXPECT(!pte_exec(*present_pte(0x401000)));
	KT_EXPECT_EQ(page_data(own)[0], 'o');

	KT_EXPECT_EQ(mm_munmap(mm, 0x400000, 4 * PG), 0);
	KT_EXPECT_EQ(zp->refcount, 1);		/* the zero page was never counted */
	KT_EXPECT_EQ(shared->refcount, 1);
	KT_EXPECT_EQ(shared->mapcount, 1);
	shared->mapcount = 0;
	put_page(&upmm, shared);
	pmm_free_pages(&upmm, zp, 0);
}

static void t_mprotect_errors(void)
{
	KT_EXPECT_EQ(mm_mprotect(mm, MMAP_MIN_ADDR, PG, PROT_READ), -ENOMEM);
	KT_ASSERT(map(0x400000, 2 * PG, RW, FIXED) == 0x400000);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400001, PG, PROT_READ), -EINVAL);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, 0, PROT_READ), 0);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, 0x10), -EINVAL);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, PROT_READ | PROT_GROWSDOWN), -EINVAL);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, (size_t)-0x400000, PROT_READ), -ENOMEM);
	KT_EXPECT_EQ(mm->map_count, 1);
	/* a hole: the part before it is changed, then -ENOMEM */
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, 4 * PG, PROT_READ), -ENOMEM);
	KT_EXPECT_EQ(vma_at(0x401000)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, PROT_READ | PROT_SEM), 0);
	/* no VM_MAYWRITE: write refused, read fine */
	vma_at(0x400000)->vm_flags &= ~VM_MAYWRITE;
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, RW), -EACCES);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x400000, PG, PROT_EXEC), 0);
}

static void t_mprotect_growsdown(void)
{
	KT_ASSERT(map(0x800000, 4 * PG, RW, FIXED | MAP_GROWSDOWN) == 0x800000);
	KT_EXPECT_EQ(mm_mprotect(mm, 0x802000, PG, PROT_READ | PROT_GROWSDOWN), 0);
	KT_EXPECT_EQ(mm->map_count, 2);
	KT_EXPECT_EQ(vma_at(0x800000)->vm_end, 0x803000);
	KT_EXPECT_EQ(vma_at(0x800000)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	KT_EXPECT_EQ(vma_at(0x803000)->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
}

/* ---- brk ---- */

static void t_brk_grow_shrink_and_refusals(void)
{
	struct page *heap_page;
	unsigned long before, tables;

	mm->start_brk = mm->brk = 0x600000;
	KT_EXPECT_EQ(mm_brk(mm, 0), 0x600000);
	KT_EXPECT_EQ(mm->map_count, 0);
	mm->start_brk = mm->brk = 0;		/* before exec: no heap at page 0 */
	KT_EXPECT_EQ(mm_brk(mm, 0x100000), 0);
	KT_EXPECT_EQ(mm->map_count, 0);
	mm->start_brk = mm->brk = 0x600000;
	KT_EXPECT_EQ(mm_brk(mm, 0x600064), 0x600064);
	KT_ASSERT(vma_at(0x600000));
	KT_EXPECT_EQ(vma_at(0x600000)->vm_end, 0x601000);
	KT_EXPECT(strcmp(vma_at(0x600000)->vm_name, "[heap]") == 0);
	KT_EXPECT_EQ(mm_brk(mm, 0x603000), 0x603000);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(vma_at(0x600000)->vm_end, 0x603000);
	KT_EXPECT_EQ(mm_brk(mm, 0x5ff000), 0x603000);		/* below start_brk */
	/* another mapping above: keep one free page before it */
	KT_ASSERT(map(0x606000, PG, PROT_READ, FIXED) == 0x606000);
	KT_EXPECT_EQ(mm_brk(mm, 0x606000), 0x603000);
	KT_EXPECT_EQ(mm_brk(mm, 0x605001), 0x603000);
	KT_EXPECT_EQ(mm_brk(mm, 0x605000), 0x605000);
	KT_EXPECT_EQ(mm_brk(mm, mm->task_size + PG), 0x605000);
	KT_EXPECT_EQ(mm_brk(mm, ~0UL), 0x605000);
	KT_EXPECT_EQ(mm->total_vm, 6);
	/*
	 * shrink: the pages above the new break go; their tables stay while
	 * the heap's rest and the mapping above still share them (Linux's
	 * floor/ceiling rule), and go with the last vma of their span
	 */
	before = pmm_nr_free(&upmm);
	tables = mm->pt.nr_table_pages;
	heap_page = touch(0x604000, 'h', true);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, tables + pgtable_levels - 1);
	KT_EXPECT_EQ(mm_brk(mm, 0x601000), 0x601000);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, tables + pgtable_levels - 1);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before - (pgtable_levels - 1));
	KT_EXPECT(page_test_flag(heap_page, PG_buddy));
	KT_EXPECT_EQ(vma_at(0x600000)->vm_end, 0x601000);
	KT_EXPECT_EQ(mm_brk(mm, 0x600000), 0x600000);
	KT_EXPECT(vma_at(0x600000) == NULL);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm->total_vm, 1);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, tables + pgtable_levels - 1);
	KT_EXPECT_EQ(mm_munmap(mm, 0x606000, PG), 0);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, tables);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before);
}

/* ---- mremap ---- */

static void t_mremap_shrink_grow_move(void)
{
	uintptr_t a = 0x400000;
	struct page *p0, *p1;
	long r;

	KT_ASSERT(map(a, 4 * PG, RW, FIXED) == (long)a);
	KT_EXPECT_EQ(mm_mremap(mm, a, 4 * PG, 2 * PG, 0, 0), a);	/* shrink */
	KT_EXPECT_EQ(vma_at(a)->vm_end, a + 2 * PG);
	KT_EXPECT_EQ(mm_mremap(mm, a, 2 * PG, 6 * PG, 0, 0), a);	/* grow in place */
	KT_EXPECT_EQ(vma_at(a)->vm_end, a + 6 * PG);
	KT_EXPECT_EQ(mm->total_vm, 6);
	KT_ASSERT(map(a + 7 * PG, PG, PROT_READ, FIXED) == (long)(a + 7 * PG));
	KT_EXPECT_EQ(mm_mremap(mm, a, 6 * PG, 8 * PG, 0, 0), -ENOMEM);	/* no room */
	p0 = touch(a, 'm', true);
	p1 = touch(a + PG, 'n', true);
	r = mm_mremap(mm, a, 6 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
	KT_EXPECT_EQ(r, BASE - 8 * PG);
	KT_EXPECT(vma_at(a) == NULL);
	KT_ASSERT(vma_at(r));
	KT_EXPECT_EQ(vma_at(r)->vm_end, r + 8 * PG);
	KT_EXPECT_EQ(vma_at(r)->vm_pgoff, a >> PAGE_SHIFT);	/* the object moved with it */
	KT_EXPECT(!present_pte(a) && !present_pte(a + PG));
	KT_ASSERT(present_pte(r) && present_pte(r + PG));
	KT_EXPECT_EQ(pte_pfn(*present_pte(r)), page_pfn(p0));	/* moved, not copied */
	KT_EXPECT_EQ(pte_pfn(*present_pte(r + PG)), page_pfn(p1));
	KT_EXPECT_EQ(page_data(p1)[0], 'n');
	KT_EXPECT_EQ(mm->rss_anon, 2);
	KT_EXPECT_EQ(mm->total_vm, 9);
	/* MREMAP_FIXED, shrinking on the way */
	KT_EXPECT_EQ(mm_mremap(mm, r, 8 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, 0x900000),
		     0x900000);
	KT_EXPECT_EQ(pte_pfn(*present_pte(0x900000)), page_pfn(p0));
	KT_EXPECT_EQ(mm->rss_anon, 1);
	KT_EXPECT_EQ(mm->total_vm, 2);
	KT_EXPECT_EQ(mm->map_count, 2);
}

static void t_mremap_errors(void)
{
	uintptr_t a = 0x400000;

	KT_ASSERT(map(a, 2 * PG, RW, FIXED) == (long)a);
	KT_EXPECT_EQ(mm_mremap(mm, MMAP_MIN_ADDR, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	KT_EXPECT_EQ(mm_mremap(mm, a, PG, 2 * PG, 8, 0), -EINVAL);
	KT_EXPECT_EQ(mm_mremap(mm, a, PG, 2 * PG, MREMAP_FIXED, 0x900000), -EINVAL);
	KT_EXPECT_EQ(mm_mremap(mm, a + 1, PG, 2 * PG, 0, 0), -EINVAL);
	KT_EXPECT_EQ(mm_mremap(mm, a, PG, 0, 0, 0), -EINVAL);
	KT_EXPECT_EQ(mm_mremap(mm, a, 0, PG, MREMAP_MAYMOVE, 0), -EINVAL);	/* private */
	KT_EXPECT_EQ(mm_mremap(mm, a, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	KT_EXPECT_EQ(mm_mremap(mm, a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, a + PG),
		     -EINVAL);					/* overlap */
	KT_EXPECT_EQ(mm_mremap(mm, a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, 0x1000),
		     -EPERM);
	KT_EXPECT_EQ(mm_mremap(mm, a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, 0x900001),
		     -EINVAL);
	KT_EXPECT_EQ(mm_mremap(mm, a, 2 * PG, 2 * PG, 0, 0), a);	/* same size: nothing */
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm->total_vm, 2);
}

static void t_mremap_shared_duplicate(void)
{
	long s = map(0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	long d = mm_mremap(mm, s, 0, 2 * PG, MREMAP_MAYMOVE, 0);

	KT_ASSERT(d > 0);
	KT_EXPECT(d != s);
	KT_EXPECT_EQ(mm->map_count, 2);
	KT_EXPECT(vma_at(s)->shared_anon == vma_at(d)->shared_anon);
	KT_EXPECT_EQ(mm->total_vm, 4);
	/* mm_put closes both: the object must die exactly once */
}

/* ---- madvise ---- */

static void t_madvise_dontneed_zaps(void)
{
	uintptr_t a = 0x400000;
	unsigned long before;

	KT_ASSERT(map(a, 4 * PG, RW, FIXED) == (long)a);
	for (int i = 0; i < 4; i++)
		touch(a + i * PG, 'd', true);
	before = pmm_nr_free(&upmm);
	KT_EXPECT_EQ(mm_madvise(mm, a + PG, 2 * PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before + 2);
	/* the ptes are gone: the next touch faults in a zero-filled page */
	KT_EXPECT(pt_lookup_pte(&mm->pt, a + PG) && pte_none(*pt_lookup_pte(&mm->pt, a + PG)));
	KT_EXPECT(present_pte(a) && present_pte(a + 3 * PG));
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm->rss_anon, 2);
	KT_EXPECT_EQ(mm_madvise(mm, a, 4 * PG, MADV_FREE), 0);	/* private anon: freed too */
	KT_EXPECT_EQ(mm->rss_anon, 0);
	KT_EXPECT_EQ(mm_madvise(mm, a, PG, MADV_WILLNEED), 0);
}

static void t_madvise_flags_split_and_merge(void)
{
	uintptr_t a = 0x400000;

	KT_ASSERT(map(a, 4 * PG, RW, FIXED) == (long)a);
	KT_EXPECT_EQ(mm_madvise(mm, a + PG, PG, MADV_NOHUGEPAGE), 0);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT(vma_at(a + PG)->vm_flags & VM_NOHUGEPAGE);
	KT_EXPECT(!(vma_at(a)->vm_flags & VM_NOHUGEPAGE));
	KT_EXPECT_EQ(mm_madvise(mm, a + PG, PG, MADV_HUGEPAGE), 0);
	KT_EXPECT(vma_at(a + PG)->vm_flags & VM_HUGEPAGE);
	KT_EXPECT(!(vma_at(a + PG)->vm_flags & VM_NOHUGEPAGE));
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(mm_madvise(mm, a, 4 * PG, MADV_HUGEPAGE), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(mm_madvise(mm, a + 2 * PG, PG, MADV_RANDOM), 0);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(mm_madvise(mm, a + 2 * PG, PG, MADV_NORMAL), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
}

static void t_madvise_errors(void)
{
	uintptr_t a = 0x400000;
	long s;

	KT_ASSERT(map(a, 4 * PG, RW, FIXED) == (long)a);
	touch(a, 'e', true);
	KT_EXPECT_EQ(mm_madvise(mm, a, PG, 77), -EINVAL);
	KT_EXPECT_EQ(mm_madvise(mm, a + 1, PG, MADV_DONTNEED), -EINVAL);
	KT_EXPECT_EQ(mm_madvise(mm, a, (size_t)-1, MADV_DONTNEED), -EINVAL);
	KT_EXPECT_EQ(mm_madvise(mm, a, 0, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(mm_madvise(mm, MMAP_MIN_ADDR, PG, MADV_DONTNEED), -ENOMEM);
	KT_EXPECT_EQ(mm_madvise(mm, MMAP_MIN_ADDR, PG, MADV_NORMAL), -ENOMEM);
	KT_EXPECT_EQ(mm_madvise(mm, a + 3 * PG, 10, MADV_DONTNEED), 0);	/* length rounds up */
	/* a hole after the vma: the mapped part is still advised */
	KT_EXPECT_EQ(mm_madvise(mm, a, 8 * PG, MADV_DONTNEED), -ENOMEM);
	KT_EXPECT(!present_pte(a));
	KT_EXPECT_EQ(mm->rss_anon, 0);
	s = map(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	KT_EXPECT_EQ(mm_madvise(mm, s, PG, MADV_FREE), -EINVAL);
	KT_EXPECT_EQ(mm_madvise(mm, s, PG, MADV_DONTNEED), 0);
}

/* ---- zap ---- */

static void t_zap_drops_references(void)
{
	uintptr_t a = 0x400000;
	struct page *own, *held, *zp;
	unsigned long before, flushes;

	KT_ASSERT(map(a, 3 * PG, RW, FIXED) == (long)a);
	own = touch(a, '1', true);
	held = touch(a + PG, '2', true);
	get_page(held);				/* someone else holds it too */
	zp = map_zero_page(a + 2 * PG);
	before = pmm_nr_free(&upmm);
	flushes = fake_tlb_page_flushes;
	zap_page_range(vma_at(a), a, a + 3 * PG);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), before + 1);		/* only @own */
	KT_EXPECT(own->refcount == 0 && page_test_flag(own, PG_buddy));
	KT_EXPECT_EQ(held->refcount, 1);
	KT_EXPECT_EQ(held->mapcount, 0);
	KT_EXPECT_EQ(page_data(held)[0], '2');
	KT_EXPECT_EQ(zp->refcount, 1);
	KT_EXPECT(page_test_flag(zp, PG_zero));
	KT_EXPECT_EQ(mm->rss_anon, 0);
	KT_EXPECT_EQ(fake_tlb_page_flushes, flushes + 3);
	for (int i = 0; i < 3; i++)
		KT_EXPECT(pte_none(*pt_lookup_pte(&mm->pt, a + i * PG)));
	KT_EXPECT(vma_at(a) != NULL);		/* the vma stays */
	put_page(&upmm, held);
	pmm_free_pages(&upmm, zp, 0);
}

static void t_zap_many_pages_one_full_flush(void)
{
	uintptr_t a = 0x400000;
	unsigned long pages, full;

	KT_ASSERT(map(a, 64 * PG, RW, FIXED) == (long)a);
	for (int i = 0; i < 64; i++)
		touch(a + i * PG, 'f', true);
	pages = fake_tlb_page_flushes;
	full = fake_tlb_full_flushes;
	zap_page_range(vma_at(a), a, a + 64 * PG);
	KT_EXPECT_EQ(fake_tlb_page_flushes, pages);
	KT_EXPECT(fake_tlb_full_flushes >= full + 1);
	KT_EXPECT_EQ(mm->rss_anon, 0);
}

/* ---- stack growth ---- */

static void t_expand_stack(void)
{
	uintptr_t st = 0x10000000, low = 0x20000000 - PMD_SIZE;
	struct vm_area_struct *v, *w;

	KT_ASSERT(map(st, 4 * PG, RW, FIXED | MAP_GROWSDOWN) == (long)st);
	v = vma_at(st);
	mmap_write_lock(mm);
	KT_EXPECT_EQ(expand_stack_locked(v, st - 10 * PG + 5), 0);
	KT_EXPECT_EQ(v->vm_start, st - 10 * PG);
	KT_EXPECT_EQ(v->vm_pgoff, (st >> PAGE_SHIFT) - 10);
	KT_EXPECT_EQ(mm->total_vm, 14);
	KT_EXPECT_EQ(expand_stack_locked(v, st), 0);			/* inside: nothing */
	KT_EXPECT_EQ(v->vm_start, st - 10 * PG);
	KT_EXPECT_EQ(expand_stack_locked(v, v->vm_end - mm->stack_limit - PG), -ENOMEM);
	KT_EXPECT_EQ(expand_stack_locked(v, v->vm_end - mm->stack_limit), 0);
	KT_EXPECT_EQ(v->vm_end - v->vm_start, mm->stack_limit);
	mmap_write_unlock(mm);

	/* the guard gap against an accessible vma below */
	KT_ASSERT(map(0x20000000, 4 * PG, RW, FIXED | MAP_GROWSDOWN) == 0x20000000);
	KT_ASSERT(map(low, PG, RW, FIXED) == (long)low);
	v = vma_at(0x20000000);
	w = vma_at(low);
	mmap_write_lock(mm);
	KT_EXPECT_EQ(expand_stack_locked(v, low + PG + STACK_GUARD_GAP - PG), -ENOMEM);
	KT_EXPECT_EQ(expand_stack_locked(v, low + PG + STACK_GUARD_GAP), 0);
	/* an inaccessible (PROT_NONE) vma below does not keep a gap */
	w->vm_flags &= ~VM_ACCESS_FLAGS;
	KT_EXPECT_EQ(expand_stack_locked(v, low + PG), 0);
	KT_EXPECT_EQ(expand_stack_locked(v, low), -ENOMEM);		/* overlap */
	KT_EXPECT_EQ(expand_stack_locked(w, low - PG), -ENOMEM);	/* not a stack */
	mmap_write_unlock(mm);
	KT_EXPECT(rb_check(&mm->mm_rb) > 0);
}

/* ---- /proc text ---- */

static void t_maps_format_exact(void)
{
	uintptr_t stack = 0x7ffffffde000;

	mm->start_brk = mm->brk = 0x600000;
	KT_ASSERT(map(0x400000, 2 * PG, RW, FIXED) == 0x400000);
	KT_ASSERT(mm_brk(mm, 0x602000) == 0x602000);
	KT_ASSERT(map(0x700000, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED) == 0x700000);
	KT_ASSERT(mm_munmap(mm, 0x701000, PG) == 0);		/* the upper part has offset 2 pages */
	KT_ASSERT(map(0x800000, PG, PROT_READ | PROT_EXEC, FIXED) == 0x800000);
	KT_ASSERT(map(0x801000, PG, PROT_NONE, FIXED) == 0x801000);
	KT_ASSERT(map(stack, 0x21000, RW, FIXED | MAP_GROWSDOWN) == (long)stack);
	mm->start_stack = stack + 0x20fc0;	/* Linux names the vma holding it */
	EXPECT_STR(maps(),
		"00400000-00402000 rw-p 00000000 00:00 0 \n"
		"00600000-00602000 rw-p 00000000 00:00 0                                  [heap]\n"
		"00700000-00701000 rw-s 00000000 00:00 0                                  /dev/zero (deleted)\n"
		"00702000-00704000 rw-s 00002000 00:00 0                                  /dev/zero (deleted)\n"
		"00800000-00801000 r-xp 00000000 00:00 0 \n"
		"00801000-00802000 ---p 00000000 00:00 0 \n"
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n");
	/* every name starts at column 74 */
	for (const char *l = text; *l; l = strchr(l, '\n') + 1)
		if (strchr(l, '[') && strchr(l, '[') < strchr(l, '\n'))
			KT_EXPECT_EQ(strchr(l, '[') - l, 73);
	/* truncation: NUL terminated, full length returned */
	KT_EXPECT_EQ(mm_format_maps(mm, text, 10), strlen(maps()));
	{
		char small[10];

		mm_format_maps(mm, small, sizeof(small));
		KT_EXPECT(strcmp(small, "00400000-") == 0);
	}
}

static void t_statm(void)
{
	mm->start_code = 0x400000;
	mm->end_code = 0x401234;
	KT_ASSERT(map(0x400000, 2 * PG, PROT_READ | PROT_EXEC, FIXED) == 0x400000);
	KT_ASSERT(map(0x500000, 3 * PG, RW, FIXED) == 0x500000);
	KT_ASSERT(map(0x600000, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED) == 0x600000);
	KT_ASSERT(map(0x700000, 4 * PG, RW, FIXED | MAP_GROWSDOWN) == 0x700000);
	touch(0x500000, 's', true);
	touch(0x700000, 's', true);
	mm->rss_shared = 1;		/* as if one shared page were mapped */
	mm_format_statm(mm, text, sizeof(text));
	/* size 11, resident 3, shared 1, text 2, lib 0, data 3 + 4 (stack), dt 0 */
	EXPECT_STR(text, "11 3 1 2 0 7 0\n");
	mm->rss_shared = 0;
}

/* ---- shared anonymous and the end of an address space ---- */

static void t_shared_anon_split_and_merge(void)
{
	long s = map(0, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	struct shared_anon *obj = vma_at(s)->shared_anon;

	KT_ASSERT(s > 0 && obj);
	KT_EXPECT_EQ(mm_mprotect(mm, s + PG, PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT(vma_at(s + 2 * PG)->shared_anon == obj);
	KT_EXPECT_EQ(vma_at(s + 2 * PG)->vm_pgoff, 2);
	KT_EXPECT_EQ(mm_mprotect(mm, s + PG, PG, RW), 0);
	KT_EXPECT_EQ(mm->map_count, 1);			/* same object, contiguous: merged */
	KT_EXPECT_EQ(mm_munmap(mm, s + PG, PG), 0);
	KT_EXPECT_EQ(mm->map_count, 2);
	/* two shared mappings side by side are different objects: no merge */
	KT_EXPECT_EQ(map(s - PG, PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED), s - PG);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(mm_munmap(mm, s - PG, 5 * PG), 0);
	KT_EXPECT_EQ(mm->map_count, 0);
}

static void t_mm_put_frees_everything(void)
{
	uintptr_t at[] = { MMAP_MIN_ADDR, 1UL << 30, 0x7f0000000000UL, 0x7ffffffde000UL };

	mm->start_brk = mm->brk = 0x600000;
	KT_ASSERT(mm_brk(mm, 0x640000) == 0x640000);
	for (unsigned int i = 0; i < ARRAY_SIZE(at); i++) {
		KT_ASSERT(map(at[i], 0x21000, RW, FIXED) == (long)at[i]);
		for (uintptr_t va = at[i]; va < at[i] + 0x21000; va += 4 * PG)
			touch(va, 'z', true);
	}
	touch(0x610000, 'h', true);
	map(0, 8 * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	KT_EXPECT(mm->pt.nr_table_pages > 10);
	KT_EXPECT(mm->rss_anon > 30);
	/* the fixture's mm_put() must give back every page, table and object */
}

static void t_total_vm_accounting(void)
{
	long a = map(0, 10 * PG, RW, ANON);

	KT_EXPECT_EQ(mm->total_vm, 10);
	mm_munmap(mm, a + 2 * PG, 3 * PG);
	KT_EXPECT_EQ(mm->total_vm, 7);
	mm_mprotect(mm, a, PG, PROT_READ);
	KT_EXPECT_EQ(mm->total_vm, 7);
	mm_mremap(mm, a + 5 * PG, 5 * PG, 9 * PG, MREMAP_MAYMOVE, 0);
	KT_EXPECT_EQ(mm->total_vm, 11);
	mm_munmap(mm, MMAP_MIN_ADDR, mm->task_size - MMAP_MIN_ADDR);
	KT_EXPECT_EQ(mm->total_vm, 0);
	KT_EXPECT_EQ(mm->map_count, 0);
	KT_EXPECT_EQ(mm->pt.nr_table_pages, 1);
}

/* ---- registration: every case in both modes ---- */

#define MMAP_CASES(X)							\
	X(t_create_empty, "a new mm is empty, mmap_base 0x7ffff7fff000, kernel half pinned") \
	X(t_pinned_kernel_half, "pinned kernel tables are shared and survive unmap and mm_put") \
	X(t_find_vma, "find_vma returns the first vma ending above the address, in a gap and above the last") \
	X(t_find_vma_many, "find_vma agrees with arithmetic over 600 vmas, before and after unmaps") \
	X(t_topdown_placement, "successive mmaps go down from mmap_base and reuse the highest hole") \
	X(t_adjacent_anon_mmaps_merge, "adjacent anonymous mmaps with equal flags merge into one vma") \
	X(t_placement_keeps_stack_guard_gap, "placement keeps the stack guard gap below a growsdown vma") \
	X(t_small_space_never_below_min_addr, "a full address space never maps below 64 KiB and ends with ENOMEM") \
	X(t_hints, "free hints are honoured, taken ones ignored, low ones raised to 64 KiB") \
	X(t_hint_above_47_bits, "a hint above 47 bits is honoured only with 5 levels") \
	X(t_map_fixed_replaces, "MAP_FIXED replaces an overlapping mapping, freeing its pages and splitting it") \
	X(t_map_fixed_noreplace, "MAP_FIXED_NOREPLACE fails with EEXIST on overlap only") \
	X(t_fixed_address_errors, "MAP_FIXED below 64 KiB is EPERM, unaligned EINVAL, beyond user space ENOMEM") \
	X(t_mmap_argument_errors, "bad mmap lengths, types and offsets get Linux's errno and map nothing") \
	X(t_vm_flags_and_protection, "vm_flags and pte protection follow prot and flags") \
	X(t_munmap_middle_splits, "munmap of the middle splits the mapping in two (maps text)") \
	X(t_munmap_spanning_vmas, "munmap across three vmas trims both ends and frees the pages") \
	X(t_munmap_errors, "munmap argument errors are EINVAL; unmapped ranges are fine") \
	X(t_munmap_frees_pages_and_tables, "munmap frees every page and page table of the range") \
	X(t_munmap_keeps_tables_in_use, "munmap keeps a table another mapping still uses") \
	X(t_mprotect_split_and_merge_back, "mprotect splits and merges back when protections agree again") \
	X(t_mprotect_updates_ptes, "mprotect rewrites ptes and never makes zero or shared pages writable") \
	X(t_mprotect_errors, "mprotect argument, hole and VM_MAYWRITE errors are Linux's") \
	X(t_mprotect_growsdown, "mprotect with PROT_GROWSDOWN extends down to the stack start") \
	X(t_brk_grow_shrink_and_refusals, "brk grows, shrinks and returns the old break when refused") \
	X(t_mremap_shrink_grow_move, "mremap shrinks, grows in place and moves ptes when allowed") \
	X(t_mremap_errors, "mremap argument errors are Linux's") \
	X(t_mremap_shared_duplicate, "mremap with old_len 0 duplicates a shared mapping") \
	X(t_madvise_dontneed_zaps, "MADV_DONTNEED zaps the range and frees private pages") \
	X(t_madvise_flags_split_and_merge, "madvise flag changes split vmas and merge them back") \
	X(t_madvise_errors, "madvise errors; holes give ENOMEM after advising the rest") \
	X(t_zap_drops_references, "zap drops the pte's reference and mapcount, skips the zero page") \
	X(t_zap_many_pages_one_full_flush, "zapping many pages flushes the TLB once") \
	X(t_expand_stack, "stack growth honours the stack limit and the guard gap") \
	X(t_maps_format_exact, "maps lines are byte-exact for anonymous, heap, shared and stack vmas") \
	X(t_statm, "statm counts size, resident, shared, text and data as Linux") \
	X(t_shared_anon_split_and_merge, "shared anonymous vmas split, merge and close their object once") \
	X(t_mm_put_frees_everything, "mm_put frees every page, table and object") \
	X(t_total_vm_accounting, "total_vm follows mmap, munmap, mprotect and mremap")

#define DEFINE_MODE_WRAPPERS(fn, desc)					\
	static void fn##_l4(void) { run_in_mode(4, fn); }		\
	static void fn##_l5(void) { run_in_mode(5, fn); }
MMAP_CASES(DEFINE_MODE_WRAPPERS)

#define CASE_L4(fn, desc)	KT_CASE(fn##_l4, "4-level: " desc),
#define CASE_L5(fn, desc)	KT_CASE(fn##_l5, "5-level: " desc),

static const struct kt_case cases[] = {
	MMAP_CASES(CASE_L4)
	MMAP_CASES(CASE_L5)
};

int main(void)
{
	int failed;

	fake_ram_init(PFN_PHYS(RAM_BASE_PFN), (KERNEL_PAGES + USER_PAGES) * PAGE_SIZE);
	kernel_pages = calloc(KERNEL_PAGES, sizeof(*kernel_pages));
	user_pages = calloc(USER_PAGES, sizeof(*user_pages));
	if (!kernel_pages || !user_pages)
		abort();
	pmm_init(&kernel_pmm, kernel_pages, RAM_BASE_PFN, KERNEL_PAGES);
	pmm_add_free_range(&kernel_pmm, RAM_BASE_PFN, KERNEL_PAGES);
	kmalloc_init();
	failed = kt_run_suite("mmap", cases, KT_N(cases));
	free(kernel_pages);
	free(user_pages);
	fake_ram_free();
	return failed;
}
