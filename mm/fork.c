/*
 * fork's half in mm: dup_mm() copies an address space, copy-on-write.
 *
 *   dup_mm            a new mm sharing the parent's kernel half, its fields
 *   dup_vma           each vma copied, ->open() told (shared anonymous)
 *   copy_vma_ptes     the vma's range, one pte table at a time
 *   copy_pte_chunk    allocate the child's table, then under the parent's
 *                     page_table_lock copy each pte (copy_one_pte) and
 *                     flush the parent's TLB entries that lost write
 *
 * What a pte becomes (Linux's copy_present_pte without the rmap):
 *   the zero page, or a pfn the pmm does not own: copied as is, no count;
 *   a page of a VM_SHARED vma: the same pte in both (clean and old in the
 *   child), refcount and mapcount + 1;
 *   a page of a private vma: write-protected in the parent (TLB flushed)
 *   and in the child, refcount and mapcount + 1. The first write on either
 *   side goes to do_wp_page (mm/memory.c), which copies while the page is
 *   mapped twice and reuses it once one mapping is left alone with it.
 *
 * Counts: refcount and mapcount are s32. Each fork of a page costs the
 * child at least one page-table page, so 2^31 live forks of one page would
 * need 8 TiB of tables: an overflow is a broken invariant and panics.
 *
 * Locks (docs/lock-order.md): the parent's mmap_lock for write across the
 * whole copy (the vma tree stays still and no fault of the parent's mm can
 * run: its ptes are being write-protected), its page_table_lock around each
 * pte table's copy, and a preemption point (cond_resched()) between
 * tables: a large address space is copied without holding the CPU. The
 * child is visible to nobody until dup_mm() returns, so its own locks are
 * not taken; its tables are allocated before the parent's page_table_lock
 * is taken (table allocations never sleep, but rule 6 keeps pmm->lock out
 * of the pte lock all the same).
 *
 * Host-compilable: no arch header.
 */
#include "vma.h"
#include <mm/arch.h>
#include <mm/tlb.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>

#define PAGE_COUNT_MAX		0x7ffffff0	/* refcount/mapcount ceiling (s32) */

/* The state of one dup_mm(). */
struct fork_copy {
	struct mm_struct *src, *dst;
	const struct vm_area_struct *vma;	/* the parent's vma being copied */
	struct tlb_batch flush;			/* parent addresses that lost write */
};

/* ---- the parent's TLB ---- */

/*
 * Flush the parent's write-protected entries collected so far. fork runs in
 * the parent, so its tables are the ones in CR3; when dup_mm() copies an mm
 * that is not loaded (tests), the flush is merely redundant.
 */
static void fork_flush(struct fork_copy *c)
{
	tlb_batch_flush(&c->flush);
}

/* ---- one pte ---- */

/* One more pte maps @page. Panics rather than wrap either count. */
static void fork_dup_page(struct page *page)
{
	if (page->refcount >= PAGE_COUNT_MAX || page->mapcount >= PAGE_COUNT_MAX)
		panic("dup_mm: page %p counts would overflow (refcount %d, mapcount %d)",
		      (void *)page, (int)page->refcount, (int)page->mapcount);
	get_page(page);
	page_mapcount_inc(page);
}

/*
 * Copy the parent's pte at @addr into the child's @dst (none). See the top
 * of the file for what each kind of pte becomes. Under the parent's
 * page_table_lock; allocates nothing. A private writable pte is
 * write-protected in place and queued for the TLB flush.
 */
static void copy_one_pte(struct fork_copy *c, pte_t *src, pte_t *dst, uintptr_t addr)
{
	pte_t pte = *src;
	pfn_t pfn = pte_pfn(pte);
	struct page *page;

	if (!pte_present(pte))
		panic("dup_mm: non-present pte %#llx at %#lx (no swap entries exist)",
		      (unsigned long long)pte.val, (unsigned long)addr);
	page = pmm_has_pfn(c->src->pmm, pfn) ? pmm_pfn_to_page(c->src->pmm, pfn) : NULL;
	if (!page || is_zero_pfn(pfn)) {
		set_pte(dst, pte);
		return;
	}
	if (c->vma->vm_flags & VM_SHARED) {
		pte = pte_mkclean(pte);
	} else if (pte_write(pte)) {
		pte = pte_wrprotect(pte);
		set_pte(src, pte);
		tlb_batch_add(&c->flush, addr);
	}
	set_pte(dst, pte_mkold(pte));
	fork_dup_page(page);
	if (page_test_flag(page, PG_anon))
		c->dst->rss_anon++;
	else
		c->dst->rss_shared++;
}

/* ---- one pte table ---- */

/* The child's pte for @va, allocating the tables on the way. NULL on -ENOMEM. */
static pte_t *child_pte_alloc(struct page_table *pt, uintptr_t va)
{
	p4d_t *p4d = p4d_alloc(pt, pgd_offset_pgd(pt->pgd, va), va);
	pud_t *pud = p4d ? pud_alloc(pt, p4d, va) : NULL;
	pmd_t *pmd = pud ? pmd_alloc(pt, pud, va) : NULL;

	return pmd ? pte_alloc(pt, pmd, va) : NULL;
}

/* Does the pte table under @pmd hold an entry in [start, end)? */
static bool ptes_in_range(pmd_t *pmd, uintptr_t start, uintptr_t end)
{
	pte_t *pte = pte_offset(pmd, start);

	for (uintptr_t addr = start; addr < end; addr += PAGE_SIZE, pte++)
		if (!pte_none(*pte))
			return true;
	return false;
}

/*
 * Copy the parent's ptes of [start, end), all under its @pmd (one pte
 * table): the child's tables first (no lock), then every entry under the
 * parent's page_table_lock, and the flush of what lost write before the
 * lock is dropped. 0 or -ENOMEM (nothing of this chunk copied; tables
 * already allocated stay in the child for mm_put()).
 */
static int copy_pte_chunk(void *arg, pmd_t *pmd, uintptr_t start, uintptr_t end)
{
	struct fork_copy *c = arg;
	pte_t *src, *dst;

	if (!ptes_in_range(pmd, start, end))
		return 0;
	dst = child_pte_alloc(&c->dst->pt, start);
	if (!dst)
		return -ENOMEM;
	spin_lock(&c->src->page_table_lock);
	src = pte_offset(pmd, start);
	for (uintptr_t addr = start; addr < end; addr += PAGE_SIZE, src++, dst++)
		if (!pte_none(*src))
			copy_one_pte(c, src, dst, addr);
	fork_flush(c);
	spin_unlock(&c->src->page_table_lock);
	cond_resched();
	return 0;
}

/* A large leaf in user space is a corrupt table; a non-present entry is skipped. */
static void copy_bad_entry(void *arg, u64 val, bool present, unsigned int level, uintptr_t va)
{
	BUG_ON(present);
}

/*
 * Copy the parent's ptes of c->vma, skipping whole blocks where an upper
 * level is absent (pt_walk_range() over the parent's tables; the child's
 * come from pte_alloc() & co in copy_pte_chunk()). User space holds no
 * large leaves; one is a corrupt table (panic). 0 or -ENOMEM.
 */
static int copy_vma_ptes(struct fork_copy *c)
{
	static const struct pt_range_ops ops = {
		.pte_range = copy_pte_chunk,
		.bad_entry = copy_bad_entry,
	};

	return pt_walk_range(&c->src->pt, c->vma->vm_start, c->vma->vm_end, &ops, c);
}

/* ---- vmas and the mm ---- */

/*
 * Link a copy of @src into @dst: same range, flags, object, offset and name
 * (names are static strings; brk recognises "[heap]" by pointer), its
 * file referenced and its object told (vma_open_copy()). The copy is linked and counted before any
 * pte is copied, so mm_put() of a half-built child undoes exactly what was
 * done. NULL on -ENOMEM.
 */
static struct vm_area_struct *dup_vma(struct mm_struct *dst,
				      const struct vm_area_struct *src)
{
	struct vm_area_struct *vma = vma_alloc(dst);

	if (!vma)
		return NULL;
	*vma = *src;
	vma->vm_mm = dst;
	vma->vm_rb = (struct rb_node){ 0 };
	vma_link(dst, vma);
	dst->total_vm += vma_pages(vma);
	vma_open_copy(vma);
	return vma;
}

/*
 * The fields a child inherits (Linux's dup_mm memcpy, minus what is per
 * process: fault counters and rss start at zero, rss then grows as ptes are
 * copied). Parent's mmap_lock held.
 */
static void dup_mm_fields(struct mm_struct *dst, const struct mm_struct *src)
{
	dst->mmap_base = src->mmap_base;
	dst->start_code = src->start_code;
	dst->end_code = src->end_code;
	dst->start_data = src->start_data;
	dst->end_data = src->end_data;
	dst->start_brk = src->start_brk;
	dst->brk = src->brk;
	dst->start_stack = src->start_stack;
	dst->arg_start = src->arg_start;
	dst->arg_end = src->arg_end;
	dst->env_start = src->env_start;
	dst->env_end = src->env_end;
	dst->stack_limit = src->stack_limit;
	/* the parent's denial holds the count below zero: another one always succeeds */
	if (src->exe_file && !WARN_ON(deny_write_access(src->exe_file->inode)))
		dst->exe_file = file_get(src->exe_file);
}

/* Copy every vma of c->src and its ptes into c->dst. mmap_lock held. */
static int dup_mmap_locked(struct fork_copy *c)
{
	struct vm_area_struct *vma;
	int err;

	for (vma = vma_next(c->src, NULL); vma; vma = vma_next(c->src, vma)) {
		if (!dup_vma(c->dst, vma))
			return -ENOMEM;
		c->vma = vma;
		err = copy_vma_ptes(c);
		if (err)
			return err;
	}
	return 0;
}

/*
 * See mm.h. The child's kernel half is the parent's pinned top-level
 * entries (the kernel's, shared by every mm). On -ENOMEM the half-built
 * child is put, which zaps what was copied and drops every count taken;
 * the parent keeps its write-protected ptes (already flushed), which the
 * next write reuses in place.
 */
struct mm_struct *dup_mm(struct mm_struct *old)
{
	struct fork_copy c = { .src = old };
	int err;

	c.dst = mm_create(old->pmm, &old->pt, old->task_size);
	if (!c.dst)
		return NULL;
	mmap_write_lock(old);
	dup_mm_fields(c.dst, old);
	err = dup_mmap_locked(&c);
	mmap_write_unlock(old);
	if (err) {
		mm_put(c.dst);
		return NULL;
	}
	return c.dst;
}
