/*
 * The reverse map of file pages: from a page of an address_space to the
 * ptes that map it, through the mapping's i_mmap list of vmas (each vma
 * mapping the file is on it: mm/vma.c). Truncate zaps the ptes of the
 * pages it removes (unmap_mapping_pages); writeback write-protects the
 * ptes of a page it is about to write (page_mkclean), so a later store
 * faults and dirties the page again. Anonymous pages have no reverse map
 * (their only walkers hold the mm). Host-compilable.
 *
 * Locks: mapping->i_mmap_rwsem (read) keeps every vma on the list alive
 * and its page tables in place: a vma leaves i_mmap before its tables are
 * freed (munmap, exit), and mremap links the moved copy before it moves
 * the ptes. Each pte is read and changed under its mm's page_table_lock.
 * The mms' mmap_locks are not taken (truncate may run under one).
 */
#include <mm/mm.h>
#include <mm/arch.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/page_ref.h>
#include <pagoda/fs.h>

/* The pages of @vma's object it maps: [vm_pgoff, vm_pgoff + pages). */
static unsigned long vma_last_pgoff(const struct vm_area_struct *vma)
{
	return vma->vm_pgoff + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT) - 1;
}

void unmap_mapping_pages(struct address_space *mapping, unsigned long first, unsigned long last)
{
	struct vm_area_struct *vma;

	if (first > last)
		return;
	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		unsigned long lo = MAX(first, vma->vm_pgoff), hi = MIN(last, vma_last_pgoff(vma));

		if (lo > hi)
			continue;
		zap_page_range(vma, vma_pgoff_address(vma, lo), vma_pgoff_address(vma, hi) + PAGE_SIZE);
	}
	up_read(&mapping->i_mmap_rwsem);
}

/*
 * Write-protect and clean @vma's pte of @page, if it maps it. True if
 * the pte was dirty.
 */
static bool mkclean_one(struct vm_area_struct *vma, struct page *page)
{
	struct mm_struct *mm = vma->vm_mm;
	uintptr_t addr = vma_pgoff_address(vma, page->index);
	bool dirty = false;
	pte_t *pte, old;

	spin_lock(&mm->page_table_lock);
	pte = pt_lookup_pte(&mm->pt, addr);
	if (pte && pte_present(*pte) && pmm_has_pfn(mm->pmm, pte_pfn(*pte)) &&
	    pmm_pfn_to_page(mm->pmm, pte_pfn(*pte)) == page &&
	    (pte_write(*pte) || pte_dirty(*pte))) {
		old = *pte;
		set_pte(pte, pte_mkclean(pte_wrprotect(old)));
		dirty = pte_dirty(old);
		arch_flush_tlb_page(addr);	/* one CPU, no PCIDs: only the loaded mm can have it */
	}
	spin_unlock(&mm->page_table_lock);
	return dirty;
}

bool page_mkclean(struct page *page)
{
	struct address_space *mapping = page->mapping;
	struct vm_area_struct *vma;
	bool dirty = false;

	if (!mapping || !page_mapcount(page))
		return false;
	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared)
		if ((vma->vm_flags & VM_SHARED) && page->index >= vma->vm_pgoff &&
		    page->index <= vma_last_pgoff(vma))
			dirty |= mkclean_one(vma, page);
	up_read(&mapping->i_mmap_rwsem);
	return dirty;
}
