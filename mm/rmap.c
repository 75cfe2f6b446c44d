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

/* Does @vma's pte of page @page (at @addr) map it? Page-table lock held. */
static pte_t *pte_mapping_page(struct vm_area_struct *vma, struct page *page, uintptr_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t *pte = pt_lookup_pte(&mm->pt, addr);

	if (!pte || !pte_present(*pte) || !pmm_has_pfn(mm->pmm, pte_pfn(*pte)) ||
	    pmm_pfn_to_page(mm->pmm, pte_pfn(*pte)) != page)
		return NULL;
	return pte;
}

/* Call @fn on each vma of @page's mapping whose range covers @page's index. */
static unsigned int for_each_mapping_vma(struct page *page,
					 unsigned int (*fn)(struct vm_area_struct *vma,
							    struct page *page, uintptr_t addr))
{
	struct address_space *mapping = page->mapping;
	struct vm_area_struct *vma;
	unsigned int n = 0;

	if (!mapping || !page_mapcount(page))
		return 0;
	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared)
		if (page->index >= vma->vm_pgoff && page->index <= vma_last_pgoff(vma))
			n += fn(vma, page, vma_pgoff_address(vma, page->index));
	up_read(&mapping->i_mmap_rwsem);
	return n;
}

static unsigned int unmap_one(struct vm_area_struct *vma, struct page *page, uintptr_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t *pte, old;

	spin_lock(&mm->page_table_lock);
	pte = pte_mapping_page(vma, page, addr);
	if (!pte) {
		spin_unlock(&mm->page_table_lock);
		return 0;
	}
	old = *pte;
	pte_clear(pte);
	arch_flush_tlb_page(addr);
	page_mapcount_dec(page);
	mm->rss_shared--;
	spin_unlock(&mm->page_table_lock);
	if (pte_dirty(old))
		set_page_dirty(page);
	put_page(mm->pmm, page);		/* the pte's reference; the cache keeps one */
	return 1;
}

bool try_to_unmap_page(struct page *page)
{
	for_each_mapping_vma(page, unmap_one);
	return !page_mapcount(page);
}

static unsigned int referenced_one(struct vm_area_struct *vma, struct page *page, uintptr_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned int young = 0;
	pte_t *pte;

	spin_lock(&mm->page_table_lock);
	pte = pte_mapping_page(vma, page, addr);
	if (pte && pte_young(*pte)) {
		set_pte(pte, pte_mkold(*pte));
		arch_flush_tlb_page(addr);
		young = 1;
	}
	spin_unlock(&mm->page_table_lock);
	return young;
}

unsigned int page_referenced(struct page *page)
{
	return for_each_mapping_vma(page, referenced_one);
}

/*
 * Write-protect and clean @vma's pte of @page, if it is a shared vma's and
 * maps it. 1 if the pte was dirty.
 */
static unsigned int mkclean_one(struct vm_area_struct *vma, struct page *page, uintptr_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned int dirty = 0;
	pte_t *pte, old;

	if (!(vma->vm_flags & VM_SHARED))
		return 0;			/* private: mapped read-only, written by copy */
	spin_lock(&mm->page_table_lock);
	pte = pte_mapping_page(vma, page, addr);
	if (pte && (pte_write(*pte) || pte_dirty(*pte))) {
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
	return for_each_mapping_vma(page, mkclean_one) != 0;
}
