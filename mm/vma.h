/*
 * mm/-internal VMA tree operations (mm/vma.c), shared by mm/mmap.c.
 * Every function here needs mm->mmap_lock held by the caller.
 */
#ifndef MM_VMA_INTERNAL_H
#define MM_VMA_INTERNAL_H

#include <mm/mm.h>

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/*
 * Where placement must stop below @vma: its start, or STACK_GUARD_GAP lower
 * for a VM_GROWSDOWN vma (clamped at 0), as Linux's vm_start_gap().
 */
uintptr_t vm_start_gap(const struct vm_area_struct *vma);

/* A zeroed vma of @mm, not linked. NULL on -ENOMEM. */
struct vm_area_struct *vma_alloc(struct mm_struct *mm);

/* Insert @vma into @mm's tree by vm_start; it must not overlap another. */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);

/* Take @vma out of the tree (map_count--). Frees nothing. */
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);

/*
 * A vma going away for good, already unlinked and zapped: ->close() (drops
 * its share of the object) and free it.
 */
void vma_destroy(struct vm_area_struct *vma);

/*
 * Split @vma at @addr (page aligned, strictly inside): @vma keeps
 * [vm_start, addr), a new vma gets [addr, vm_end) with vm_pgoff advanced and
 * ->open() called. Page tables are not touched. 0, or -ENOMEM (kmalloc, or
 * MAX_MAP_COUNT reached) with nothing changed.
 */
int vma_split(struct mm_struct *mm, struct vm_area_struct *vma, uintptr_t addr);

/*
 * Split so that a vma covers exactly [start, end) (both inside @vma, page
 * aligned). Returns it, or NULL on -ENOMEM (a split done before the failure
 * stays: two adjacent identical vmas mean the same as one).
 */
struct vm_area_struct *vma_isolate(struct mm_struct *mm, struct vm_area_struct *vma,
				   uintptr_t start, uintptr_t end);

/*
 * Merge @vma with its neighbours where Linux would (adjacent, same flags,
 * protection, ops, object, name and contiguous vm_pgoff). The lower vma of
 * a pair survives, so no vm_start key ever changes; the upper one is
 * unlinked and destroyed. Returns the vma now covering @vma's range.
 */
struct vm_area_struct *vma_merge_neighbours(struct mm_struct *mm,
					    struct vm_area_struct *vma);

#endif
