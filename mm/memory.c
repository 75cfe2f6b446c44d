/*
 * The page-fault path of user address spaces: the boxes of
 * ../shared/design/fault-path-seed.md from __do_page_fault down, one short
 * function per box (docs/fault-path.md maps each box to its function here).
 *
 *   do_user_addr_fault      find_vma, stack growth, access check  ("__do_page_fault")
 *   handle_mm_fault         one struct vm_fault, counts minor/major
 *   __handle_mm_fault       pgd_offset, p4d_alloc, pud_alloc, pmd_alloc
 *   handle_pte_fault        chooses one of:
 *     do_anonymous_page     zero page (read) or a zeroed private page (write)
 *     do_fault              ->fault(): do_read_fault, do_cow_fault, do_shared_fault
 *     do_wp_page            write to a present read-only pte: reuse or copy
 *     vmf_spurious          present and permitted: a stale TLB entry
 *
 * Host-compilable: no arch header. mm never sends a signal: every function
 * returns a vm_fault_t and arch/x86_64/traps.c turns it into a signal, an
 * exception-table fixup or an oops (STYLE.md rules 1, 2).
 *
 * Lock order (docs/lock-order.md):
 *
 *   mm->mmap_lock (rwsem)  ->  mm->page_table_lock  ->  pmm->lock
 *
 * A fault holds mmap_lock for read (do_user_addr_fault), so faults of one
 * mm run concurrently with each other (and may be preempted or sleep) but
 * never with a change to the VMAs. Growing the stack changes a VMA: it
 * takes the lock for write, then downgrades. page_table_lock serialises
 * every change to the tables: the population of a missing table at any
 * level (tables are allocated under it without sleeping) and the re-check
 * of a pte, its store and the mapcount/rss change that goes with it.
 * Pages are allocated (may sleep), zeroed and copied before it is taken and
 * released after it is dropped: "allocate, then lock, re-check, back out"
 * (STYLE.md rule 6).
 *
 * Sleeping and retry: a ->fault handler that must wait for I/O may drop
 * mmap_lock when fault_flag_allow_retry_first(vmf->flags) says so
 * (fault_release_mmap_lock()), wait, and return VM_FAULT_RETRY; the vma
 * must not be touched after the lock is gone. do_user_addr_fault() then
 * retries once with FAULT_FLAG_TRIED, when handlers wait holding the lock.
 *
 * Page references (include/mm/page_ref.h): a private page mapped by one pte
 * has refcount 1 and mapcount 1, the pte's reference being the allocation's.
 * The shared zero page is never counted. A page from ->fault() comes with a
 * reference, which becomes the pte's.
 */
#include <mm/mm.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include <mm/page_ref.h>
#include <mm/pagemap.h>
#include <mm/writeback.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/signal.h>
#include <pagoda/string.h>
#include <pagoda/sched.h>
#ifndef HOST_TEST
#include <pagoda/init.h>
#endif

struct fault_counters global_faults;

struct page *zero_page;
static pfn_t zero_pfn;

/* Count one event of @kind in @mm and in the global counters. */
#define count_fault(mm, kind)				\
	do {						\
		(mm)->faults.kind++;			\
		global_faults.kind++;			\
	} while (0)

/* ---- the shared zero page ---- */

/*
 * Allocate and zero the shared zero page from @pmm, flag it PG_zero. It is
 * never freed and its refcount never moves: mappings of it take no
 * reference. Called once at boot (subsys_initcall below); host tests call
 * it once per simulated machine, before the first fault.
 */
void zero_page_init(struct pmm *pmm)
{
	struct page *page = pmm_alloc_pages(pmm, 0, GFP_KERNEL | __GFP_ZERO);

	if (!page)
		panic("zero_page_init: out of memory");
	page_set_flag(page, PG_zero);
	zero_page = page;
	zero_pfn = pmm_page_to_pfn(pmm, page);
}

bool is_zero_pfn(pfn_t pfn)
{
	return zero_page && pfn == zero_pfn;
}

#ifndef HOST_TEST
static int zero_page_initcall(void)
{
	zero_page_init(&kernel_pmm);
	return 0;
}
subsys_initcall(zero_page_initcall);
#endif

/* ---- small helpers ---- */

static struct mm_struct *vmf_mm(const struct vm_fault *vmf)
{
	return vmf->vma->vm_mm;
}

static pgd_t *pgd_offset(struct mm_struct *mm, uintptr_t addr)
{
	return pgd_offset_pgd(mm->pt.pgd, addr);
}

/* The struct page of a pfn a user pte maps, or NULL if mm->pmm has none. */
static struct page *mm_pfn_page(struct mm_struct *mm, pfn_t pfn)
{
	return pmm_has_pfn(mm->pmm, pfn) ? pmm_pfn_to_page(mm->pmm, pfn) : NULL;
}

static pfn_t mm_page_pfn(struct mm_struct *mm, const struct page *page)
{
	return pmm_page_to_pfn(mm->pmm, page);
}

static void *pfn_kaddr(pfn_t pfn)
{
	return phys_to_virt(PFN_PHYS(pfn));
}

/*
 * A user pte for @pfn in @vma: the vma's protection, then write permission
 * set or cleared as asked. Callers only ask for it when vma has VM_WRITE.
 */
static pte_t vma_mk_pte(const struct vm_area_struct *vma, pfn_t pfn, bool writable)
{
	pte_t entry = pfn_pte(pfn, vma->vm_page_prot);

	return writable ? pte_mkwrite(entry) : pte_wrprotect(entry);
}

/* Resident-set accounting of one page mapped (+1) or unmapped (-1) in @mm. */
static void mm_rss_add(struct mm_struct *mm, const struct page *page, long delta)
{
	if (page_test_flag(page, PG_anon))
		mm->rss_anon += delta;
	else
		mm->rss_shared += delta;
}

/*
 * Make sure the pte table under vmf->pmd exists and point vmf->pte into it
 * (the seed's pte_alloc box). Called with mmap_lock for read; populates
 * under page_table_lock, so a concurrent fault of the same mm cannot
 * install a second table. 0 or VM_FAULT_OOM.
 */
static vm_fault_t vmf_pte_alloc(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);

	if (vmf->pte)
		return 0;
	if (!pmd_none(*vmf->pmd)) {
		vmf->pte = pte_offset(vmf->pmd, vmf->address);
		return 0;
	}
	spin_lock(&mm->page_table_lock);
	vmf->pte = pte_alloc(&mm->pt, vmf->pmd, vmf->address);
	spin_unlock(&mm->page_table_lock);
	return vmf->pte ? 0 : VM_FAULT_OOM;
}

/* ---- the access check ---- */

/*
 * Does @vma allow an access with FAULT_FLAG_* @flags? As Linux's x86
 * access_error(): no protection-key or shadow-stack access is allowed; a
 * write needs VM_WRITE; a read of a page that is present (a protection
 * fault) is an error, since x86 cannot deny reads of a present user page
 * unless something else (supervisor pte, pkey) does; a read of a
 * not-present page needs any of VM_READ, VM_WRITE, VM_EXEC. An instruction
 * fetch needs VM_EXEC: Linux reaches the same SEGV_ACCERR one fault later
 * (it maps the page NX, then the fetch faults again as "read, present").
 */
bool vma_access_ok(const struct vm_area_struct *vma, unsigned int flags)
{
	if (flags & (FAULT_FLAG_PKEY | FAULT_FLAG_SHADOW_STACK))
		return false;
	if (flags & FAULT_FLAG_WRITE)
		return vma->vm_flags & VM_WRITE;
	if (flags & FAULT_FLAG_INSTRUCTION)
		return vma->vm_flags & VM_EXEC;
	if (flags & FAULT_FLAG_PROTECTION)
		return false;
	return vma->vm_flags & VM_ACCESS_FLAGS;
}

/* ---- do_anonymous_page ---- */

/*
 * Read fault on untouched private anonymous memory: map the shared zero page
 * read-only. Allocates nothing but possibly the pte table (done by the
 * caller). Takes and drops page_table_lock.
 */
static vm_fault_t do_anonymous_zero_page(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	pte_t entry = vma_mk_pte(vmf->vma, zero_pfn, false);

	BUG_ON(!zero_page);
	spin_lock(&mm->page_table_lock);
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		count_fault(mm, spurious);	/* raced: someone mapped it */
		return 0;
	}
	set_pte(vmf->pte, entry);
	spin_unlock(&mm->page_table_lock);
	count_fault(mm, zero_page);
	return 0;
}

/*
 * Fault on a none pte of private anonymous memory (the seed's
 * do_anonymous_page box): pte_alloc, then the zero page for a read, or a new
 * zeroed page from mm->pmm mapped writable for a write (PG_anon, refcount 1,
 * mapcount 1, rss_anon + 1). VM_FAULT_OOM if a table or the page cannot be
 * allocated. Called with mmap_lock; takes and drops page_table_lock. The
 * rmap and LRU boxes of the seed are skipped, as the seed says.
 */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	struct page *page;
	vm_fault_t ret = vmf_pte_alloc(vmf);

	if (ret)
		return ret;
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_anonymous_zero_page(vmf);

	page = pmm_alloc_pages(mm->pmm, 0, GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	page_set_flag(page, PG_anon);

	spin_lock(&mm->page_table_lock);
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		put_page(mm->pmm, page);	/* back out: the race winner's page stays */
		count_fault(mm, spurious);
		return 0;
	}
	set_pte(vmf->pte, vma_mk_pte(vmf->vma, mm_page_pfn(mm, page), true));
	page_mapcount_inc(page);
	mm->rss_anon++;
	spin_unlock(&mm->page_table_lock);
	count_fault(mm, anon);
	return 0;
}

/* ---- do_fault: pages from vm_ops->fault() ---- */

/*
 * The seed's __do_fault box: make sure the pte table exists, then ask the
 * vma's object for the page at vmf->pgoff. On success vmf->page holds a
 * reference. Returns 0 or the VM_FAULT_* bits of ->fault() (an error,
 * VM_FAULT_NOPAGE when the handler installed the pte itself, ...).
 */
static vm_fault_t __do_fault(struct vm_fault *vmf)
{
	vm_fault_t ret = vmf_pte_alloc(vmf);

	if (ret)
		return ret;
	vmf->page = NULL;
	ret = vmf->vma->vm_ops->fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	if (!vmf->page)
		panic("__do_fault: ->fault() of vma %#lx-%#lx gave no page",
		      (unsigned long)vmf->vma->vm_start, (unsigned long)vmf->vma->vm_end);
	return ret;
}

/*
 * Install @page at vmf->pte (Linux's finish_fault): consumes the caller's
 * reference on @page, which becomes the pte's. Re-checks the pte under
 * page_table_lock; if another fault filled it first, drops the reference
 * and counts a spurious fault. Always 0.
 */
static vm_fault_t finish_fault(struct vm_fault *vmf, struct page *page, bool writable)
{
	struct mm_struct *mm = vmf_mm(vmf);
	pte_t entry = vma_mk_pte(vmf->vma, mm_page_pfn(mm, page), writable);

	spin_lock(&mm->page_table_lock);
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		put_page(mm->pmm, page);
		count_fault(mm, spurious);
		return 0;
	}
	set_pte(vmf->pte, entry);
	page_mapcount_inc(page);
	mm_rss_add(mm, page, 1);
	spin_unlock(&mm->page_table_lock);
	return 0;
}

/*
 * May a read fault map the page of a shared writable vma writable? Only
 * when its object does not want to hear of the first store
 * (vma_wants_writenotify: shared anonymous memory, as Linux's shmem);
 * otherwise the page is mapped read-only and the store comes through
 * do_wp_page -> wp_page_shared -> ->page_mkwrite. Private and read-only
 * vmas map read-only.
 */
static bool vma_maps_writable(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
	       !vma_wants_writenotify(vma);
}

/* A page ->fault returned locked (VM_FAULT_LOCKED) is unlocked once mapped. */
static void unlock_if_locked(struct page *page, vm_fault_t ret)
{
	if (ret & VM_FAULT_LOCKED)
		unlock_page(page);
}

bool vmf_map_page_readonly(struct vm_fault *vmf, struct page *page, uintptr_t addr)
{
	struct mm_struct *mm = vmf_mm(vmf);
	pte_t *pte = pte_offset(vmf->pmd, addr);

	spin_lock(&mm->page_table_lock);
	if (!pte_none(*pte)) {
		spin_unlock(&mm->page_table_lock);
		return false;
	}
	set_pte(pte, vma_mk_pte(vmf->vma, mm_page_pfn(mm, page), false));
	page_mapcount_inc(page);
	mm_rss_add(mm, page, 1);
	spin_unlock(&mm->page_table_lock);
	return true;
}

/*
 * The seed's do_fault_around: before reading the faulting page, map the
 * cached pages around it (->map_pages) that are ready, read-only, so the
 * neighbouring accesses do not fault. The window is fault_around_bytes
 * (16 pages by default) aligned down around the address, clipped to the
 * vma and to the pte table of the address (one page_table_lock, no table
 * allocation beyond this one). Returns VM_FAULT_NOPAGE if the faulting
 * page itself got mapped, else 0 (or VM_FAULT_OOM for the table).
 */
static vm_fault_t do_fault_around(struct vm_fault *vmf)
{
	const struct vm_area_struct *vma = vmf->vma;
	uintptr_t window = MAX(fault_around_bytes, PAGE_SIZE) & PAGE_MASK;
	uintptr_t addr = vmf->address, table = addr & ~(PMD_SIZE - 1);
	uintptr_t start = MAX(MAX(addr & ~(window - 1), vma->vm_start), table);
	uintptr_t end = MIN(MIN(start + window, vma->vm_end), table + PMD_SIZE);
	pgoff_t first = vmf->pgoff - ((addr - start) >> PAGE_SHIFT);
	vm_fault_t ret = vmf_pte_alloc(vmf);

	if (ret)
		return ret;
	return vma->vm_ops->map_pages(vmf, first, first + ((end - start) >> PAGE_SHIFT) - 1);
}

/* Fault around only where the object can map pages and the window is more than one page. */
static bool should_fault_around(const struct vm_fault *vmf)
{
	return vmf->vma->vm_ops->map_pages && fault_around_bytes > PAGE_SIZE;
}

/*
 * Read fault on a none pte of a vma with vm_ops: fault-around first, then
 * map the object's page, read-only unless vma_maps_writable().
 */
static vm_fault_t do_read_fault(struct vm_fault *vmf)
{
	vm_fault_t ret;

	if (should_fault_around(vmf)) {
		ret = do_fault_around(vmf);
		if (ret)
			return ret;
	}
	ret = __do_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	if (vmf->vma->vm_flags & VM_SHARED)
		count_fault(vmf_mm(vmf), shared);
	ret |= finish_fault(vmf, vmf->page, vma_maps_writable(vmf->vma));
	unlock_if_locked(vmf->page, ret);
	return ret & ~VM_FAULT_LOCKED;
}

/*
 * Write fault on a none pte of a private vma with vm_ops (a private file
 * mapping): copy the object's page into a new private anonymous page and
 * map that writable; the object's page is not mapped. The copy page is
 * allocated first, as Linux does, so an OOM costs no ->fault() call.
 */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	vm_fault_t ret;

	vmf->cow_page = pmm_alloc_pages(mm->pmm, 0, GFP_KERNEL);
	if (!vmf->cow_page)
		return VM_FAULT_OOM;
	ret = __do_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) {
		put_page(mm->pmm, vmf->cow_page);
		return ret;
	}
	memcpy(pfn_kaddr(mm_page_pfn(mm, vmf->cow_page)),
	       pfn_kaddr(mm_page_pfn(mm, vmf->page)), PAGE_SIZE);
	unlock_if_locked(vmf->page, ret);
	put_page(mm->pmm, vmf->page);		/* ->fault()'s reference */
	page_set_flag(vmf->cow_page, PG_anon);
	return (ret & ~VM_FAULT_LOCKED) | finish_fault(vmf, vmf->cow_page, true);
}

/*
 * The seed's fault_dirty_shared_page: the page was written through a
 * shared mapping: dirty, and tagged for writeback in its file's cache
 * (shared anonymous memory has no backing store: the flag only). Returns
 * the file's mapping when the store dirtied the page, here or in
 * ->page_mkwrite (@mkwrite: it ran), for the caller to throttle once the
 * page is unlocked (throttle_dirtier); else NULL.
 */
static struct address_space *fault_dirty_shared_page(struct page *page, bool mkwrite)
{
	bool dirtied = set_page_dirty(page);

	return dirtied || mkwrite ? page->mapping : NULL;
}

/*
 * The dirty throttle after a store dirtied a page of @mapping (NULL:
 * nothing to do): past the dirty limit the faulting task writes back
 * some of it first (balance_dirty_pages). Called with no page locked,
 * mmap_lock held for read (writeback takes only page locks).
 */
static void throttle_dirtier(struct address_space *mapping)
{
	if (mapping)
		balance_dirty_pages(mapping);
}

/*
 * Tell the object of a shared vma that vmf->page (referenced, unlocked)
 * is about to be written (the seed's page_mkwrite box), if it asked to
 * hear of it. Returns 0 or VM_FAULT_LOCKED (the page locked, for the
 * caller to map and unlock) when the store may go ahead; else the
 * handler's error bits (SIGBUS for ENOSPC...) or VM_FAULT_NOPAGE (the
 * page was truncated: the access repeats), the page unlocked.
 */
static vm_fault_t do_page_mkwrite(struct vm_fault *vmf)
{
	const struct vm_operations_struct *ops = vmf->vma->vm_ops;

	if (!ops || !ops->page_mkwrite)
		return 0;
	return ops->page_mkwrite(vmf) &
	       (VM_FAULT_ERROR | VM_FAULT_RETRY | VM_FAULT_NOPAGE | VM_FAULT_LOCKED);
}

/* Did do_page_mkwrite() refuse the store (the page then left unlocked)? */
static bool mkwrite_refused(vm_fault_t mk)
{
	return mk & (VM_FAULT_ERROR | VM_FAULT_RETRY | VM_FAULT_NOPAGE);
}

/*
 * Write fault on a none pte of a shared vma with vm_ops: map the object's
 * page writable (VM_WRITE was checked) after ->page_mkwrite(), if any,
 * agreed, and mark it dirty.
 */
static vm_fault_t do_shared_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	vm_fault_t ret = __do_fault(vmf), mk;
	struct address_space *dirtied;

	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	if (vmf->vma->vm_ops->page_mkwrite) {
		unlock_if_locked(vmf->page, ret);	/* page_mkwrite takes the lock itself */
		ret &= ~VM_FAULT_LOCKED;
		mk = do_page_mkwrite(vmf);
		if (mkwrite_refused(mk)) {
			put_page(mm->pmm, vmf->page);
			return mk & ~VM_FAULT_NOPAGE ? mk : 0;
		}
		ret |= mk & VM_FAULT_LOCKED;
	}
	ret |= finish_fault(vmf, vmf->page, true);
	dirtied = fault_dirty_shared_page(vmf->page, vmf->vma->vm_ops->page_mkwrite != NULL);
	unlock_if_locked(vmf->page, ret);
	throttle_dirtier(dirtied);
	count_fault(mm, shared);
	return ret & ~VM_FAULT_LOCKED;
}

/*
 * Fault on a none pte of a vma with vm_ops (the seed's do_fault box): a
 * read, COW or shared fault. A vma whose object cannot fault pages in
 * gets SIGBUS.
 */
static vm_fault_t do_fault(struct vm_fault *vmf)
{
	const struct vm_area_struct *vma = vmf->vma;

	if (!vma->vm_ops->fault)
		return VM_FAULT_SIGBUS;
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_read_fault(vmf);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}


/* ---- do_wp_page: write to a present, read-only pte ---- */

/*
 * Make the present pte writable (and dirty: the store that faulted is
 * about to land) in place and flush its stale read-only TLB entry.
 * Re-checks the pte under page_table_lock first: false if it changed
 * (counted spurious), true if made writable.
 */
static bool wp_page_reuse(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);

	spin_lock(&mm->page_table_lock);
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		count_fault(mm, spurious);
		return false;
	}
	set_pte(vmf->pte, pte_mkdirty(pte_mkwrite(vmf->orig_pte)));
	spin_unlock(&mm->page_table_lock);
	arch_flush_tlb_page(vmf->address);
	count_fault(mm, wp_reuse);
	return true;
}

/*
 * Write to a read-only pte of a shared vma (the seed's wp_page_shared):
 * the page is written in place. When the object wants to hear of it
 * (vma_wants_writenotify: the pte was mapped read-only only for that),
 * ->page_mkwrite() is asked first, holding a reference on the page, and
 * may refuse (SIGBUS); then the page is made writable and marked dirty
 * (fault_dirty_shared_page).
 */
static vm_fault_t wp_page_shared(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	pfn_t pfn = pte_pfn(vmf->orig_pte);
	struct page *page = mm_pfn_page(mm, pfn);
	struct address_space *dirtied = NULL;
	vm_fault_t ret;

	if (!page || is_zero_pfn(pfn) || !vma_wants_writenotify(vmf->vma)) {
		wp_page_reuse(vmf);
		return 0;
	}
	spin_lock(&mm->page_table_lock);	/* the reference while the pte still maps it */
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		count_fault(mm, spurious);
		return 0;
	}
	get_page(page);
	spin_unlock(&mm->page_table_lock);
	vmf->page = page;
	ret = do_page_mkwrite(vmf);
	if (mkwrite_refused(ret)) {
		put_page(mm->pmm, page);
		return ret & ~VM_FAULT_NOPAGE ? ret : 0;
	}
	if (wp_page_reuse(vmf))
		dirtied = fault_dirty_shared_page(page, true);
	unlock_if_locked(page, ret);
	put_page(mm->pmm, page);
	throttle_dirtier(dirtied);
	return 0;
}

/*
 * Give this mapping its own copy of the page the pte maps (@old: its struct
 * page with a reference of the caller's, NULL for the zero page or a pfn
 * mm->pmm does not own): allocate (zeroed for the zero page, else copied),
 * then under page_table_lock re-check the pte, map the copy writable and
 * drop the old mapping's mapcount; after the TLB flush, drop the pte's
 * reference and the caller's (either may free it). VM_FAULT_OOM or 0.
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf, struct page *old)
{
	struct mm_struct *mm = vmf_mm(vmf);
	pfn_t old_pfn = pte_pfn(vmf->orig_pte);
	bool from_zero = is_zero_pfn(old_pfn);
	struct page *new = pmm_alloc_pages(mm->pmm, 0, GFP_KERNEL | (from_zero ? __GFP_ZERO : 0));

	if (!new) {
		if (old)
			put_page(mm->pmm, old);
		return VM_FAULT_OOM;
	}
	if (!from_zero)
		memcpy(pfn_kaddr(mm_page_pfn(mm, new)), pfn_kaddr(old_pfn), PAGE_SIZE);
	page_set_flag(new, PG_anon);

	spin_lock(&mm->page_table_lock);
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		put_page(mm->pmm, new);
		if (old)
			put_page(mm->pmm, old);
		count_fault(mm, spurious);
		return 0;
	}
	set_pte(vmf->pte, vma_mk_pte(vmf->vma, mm_page_pfn(mm, new), true));
	page_mapcount_inc(new);
	mm->rss_anon++;
	if (old) {
		page_mapcount_dec(old);
		mm_rss_add(mm, old, -1);
	}
	spin_unlock(&mm->page_table_lock);
	arch_flush_tlb_page(vmf->address);
	if (old) {
		put_page(mm->pmm, old);		/* the pte's */
		put_page(mm->pmm, old);		/* ours */
	}
	count_fault(mm, wp_copy);
	return 0;
}

/*
 * May a private mapping write to @page in place? Only an anonymous page
 * that this pte alone maps and nobody else holds (Linux's exclusive-anon
 * reuse): after fork both mms map it, mapcount 2, and each must copy until
 * one is left alone with it.
 */
static bool wp_can_reuse(const struct page *page)
{
	return page_test_flag(page, PG_anon) && page_mapcount(page) == 1 &&
	       page->refcount == 1;
}

/*
 * Write fault on a present pte without write permission (VM_WRITE was
 * checked): in a shared mapping, write in place; in a private one, reuse an
 * exclusive anonymous page, else copy (the zero page, a page shared with
 * another mm, an object's page).
 */
static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	pfn_t pfn = pte_pfn(vmf->orig_pte);
	struct page *page = is_zero_pfn(pfn) ? NULL : mm_pfn_page(mm, pfn);

	if (vmf->vma->vm_flags & VM_SHARED)
		return wp_page_shared(vmf);
	/*
	 * The pte and its page under one look: reclaim and truncate unmap
	 * file pages (and truncate private copies) without mmap_lock, so the
	 * page may only be used once the pte is found unchanged, and the copy
	 * needs a reference of its own.
	 */
	spin_lock(&mm->page_table_lock);
	if (!pte_same(*vmf->pte, vmf->orig_pte)) {
		spin_unlock(&mm->page_table_lock);
		count_fault(mm, spurious);
		return 0;
	}
	if (page && wp_can_reuse(page)) {
		set_pte(vmf->pte, pte_mkdirty(pte_mkwrite(vmf->orig_pte)));
		spin_unlock(&mm->page_table_lock);
		arch_flush_tlb_page(vmf->address);
		count_fault(mm, wp_reuse);
		return 0;
	}
	if (page)
		get_page(page);
	spin_unlock(&mm->page_table_lock);
	return wp_page_copy(vmf, page);
}

/* ---- the dispatcher ---- */

/* Does present pte @e already allow the access in @flags? */
static bool pte_allows(pte_t e, unsigned int flags)
{
	if (pte_protnone(e))		/* nothing, kernel accesses included */
		return false;
	if ((flags & FAULT_FLAG_USER) && !pte_user(e))
		return false;
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(e))
		return false;
	if ((flags & FAULT_FLAG_INSTRUCTION) && !pte_exec(e))
		return false;
	return true;
}

/*
 * A fault on a present pte that needs no change: either the pte already
 * allows the access (a stale TLB entry from before an upgrade, or another
 * path served it first): flush and count it spurious; or it does not,
 * although the vma does: the pte disagrees with its vma (an mprotect that
 * did not update it), a bug, reported and turned into SIGSEGV instead of
 * faulting forever.
 */
static vm_fault_t vmf_spurious(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);

	if (!pte_allows(vmf->orig_pte, vmf->flags)) {
		printk("WARNING: handle_pte_fault: pte %#llx at %#lx disagrees with vma flags %#lx (fault flags %#x)\n",
		       (unsigned long long)vmf->orig_pte.val, (unsigned long)vmf->address,
		       vmf->vma->vm_flags, vmf->flags);
		return VM_FAULT_SIGSEGV;
	}
	arch_flush_tlb_page(vmf->address);
	count_fault(mm, spurious);
	return 0;
}

static bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_ops;
}

/*
 * The seed's handle_pte_fault: snapshot the pte (none if its table does not
 * exist yet: the leaf handlers allocate it) and pick the handler.
 * Non-present, non-none user ptes (swap, migration entries) do not exist in
 * Pagoda yet: one is a corrupt table, a broken invariant.
 */
static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	if (pmd_none(*vmf->pmd)) {
		vmf->pte = NULL;
		vmf->orig_pte = (pte_t){ 0 };
	} else {
		vmf->pte = pte_offset(vmf->pmd, vmf->address);
		vmf->orig_pte = *vmf->pte;
	}
	if (!vmf->pte || pte_none(vmf->orig_pte))
		return vma_is_anonymous(vmf->vma) ? do_anonymous_page(vmf) : do_fault(vmf);
	if (!pte_present(vmf->orig_pte))
		panic("handle_pte_fault: non-present pte %#llx at %#lx (no swap entries exist)",
		      (unsigned long long)vmf->orig_pte.val, (unsigned long)vmf->address);
	if (pte_protnone(vmf->orig_pte))	/* the vma allows what its pte never does */
		return vmf_spurious(vmf);
	if ((vmf->flags & FAULT_FLAG_WRITE) && !pte_write(vmf->orig_pte))
		return do_wp_page(vmf);
	return vmf_spurious(vmf);
}

/*
 * The pmd covering @addr if every level above it is populated already (the
 * common case: no lock needed, since tables are freed only under mmap_lock
 * for write), else NULL.
 */
static pmd_t *pmd_lookup(struct mm_struct *mm, uintptr_t addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	return pud_none(*pud) ? NULL : pmd_offset(pud, addr);
}

/*
 * The seed's __handle_mm_fault: walk from the pgd to the pmd covering the
 * address, allocating each missing table (p4d_alloc is the pgd entry itself
 * when the level is folded, 4-level paging) under page_table_lock: faults
 * of one mm run concurrently under the read side of mmap_lock. User space
 * has no large leaves, so pmd_alloc never meets one.
 */
static vm_fault_t __handle_mm_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf_mm(vmf);
	struct page_table *pt = &mm->pt;
	uintptr_t addr = vmf->address;
	p4d_t *p4d;
	pud_t *pud = NULL;

	vmf->pmd = pmd_lookup(mm, addr);
	if (!vmf->pmd) {
		spin_lock(&mm->page_table_lock);
		p4d = p4d_alloc(pt, pgd_offset(mm, addr), addr);
		if (p4d)
			pud = pud_alloc(pt, p4d, addr);
		vmf->pmd = pud ? pmd_alloc(pt, pud, addr) : NULL;
		spin_unlock(&mm->page_table_lock);
		if (!vmf->pmd)
			return VM_FAULT_OOM;
	}
	return handle_pte_fault(vmf);
}

/*
 * See mm.h. The seed's __set_current_state box first (the fault may sleep,
 * and must not do so in a wait state the faulting code had set), then the
 * one struct vm_fault of this fault; a served fault is counted as minor or
 * major, as Linux's mm_account_fault() does: major when this attempt says
 * so or when it is the retry (FAULT_FLAG_TRIED) of one that gave up
 * mmap_lock to wait, for a read most often. A VM_FAULT_RETRY comes back
 * with mmap_lock already released by the handler.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, uintptr_t addr, unsigned int flags)
{
	struct vm_fault vmf = {
		.vma = vma,
		.address = addr & PAGE_MASK,
		.real_address = addr,
		.flags = flags,
		.pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT),
	};
	struct mm_struct *mm = vma->vm_mm;
	vm_fault_t ret;

	set_current_running();
	ret = __handle_mm_fault(&vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_RETRY))
		return ret;
	/*
	 * As Linux's mm_account_fault(): the retry of a fault that gave up
	 * mmap_lock to wait (for I/O) is major, however it is served now.
	 */
	if ((ret & VM_FAULT_MAJOR) || (flags & FAULT_FLAG_TRIED)) {
		count_fault(mm, major);
		return VM_FAULT_MAJOR;	/* served: how is nobody else's business */
	}
	count_fault(mm, minor);
	return 0;
}

/* ---- the user half of __do_page_fault ---- */

bool fault_release_mmap_lock(struct vm_fault *vmf)
{
	if (!fault_flag_allow_retry_first(vmf->flags))
		return false;
	mmap_read_unlock(vmf_mm(vmf));
	return true;
}

/*
 * Grow the VM_GROWSDOWN vma above @addr down to it, with mmap_lock for
 * write (it changes the vma), as Linux's lock_mm_and_find_vma() does:
 * the read lock is dropped, the write lock taken, the vma looked up again
 * (anything may have changed in between), the stack grown, and the lock
 * downgraded to read. Returns the vma with the read lock held, or NULL
 * with no lock held (SEGV_MAPERR).
 */
static struct vm_area_struct *grow_stack_to(struct mm_struct *mm, uintptr_t addr)
{
	struct vm_area_struct *vma;

	mmap_read_unlock(mm);
	mmap_write_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start > addr) {
		if (!(vma->vm_flags & VM_GROWSDOWN) || expand_stack_locked(vma, addr))
			vma = NULL;
		else
			count_fault(mm, stack_expand);
	}
	if (!vma) {
		mmap_write_unlock(mm);
		return NULL;
	}
	mmap_write_downgrade(mm);
	return vma;
}

/*
 * Take mmap_lock for read and find the vma for a user access at @addr,
 * growing a VM_GROWSDOWN vma down to it (the seed's "covered by vma, or
 * lies in stack" box). Returns the vma with the read lock held, or NULL
 * (SEGV_MAPERR) with no lock held.
 */
static struct vm_area_struct *lock_mm_and_find_vma(struct mm_struct *mm, uintptr_t addr)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr)
		return vma;
	if (vma && (vma->vm_flags & VM_GROWSDOWN))
		return grow_stack_to(mm, addr);
	mmap_read_unlock(mm);
	return NULL;
}

/*
 * One attempt at a user fault: lock, find (or grow to) the vma, check the
 * access, serve it. Sets *si_code for VM_FAULT_SIGSEGV. Returns with
 * mmap_lock released, whatever happened (on VM_FAULT_RETRY the handler
 * released it).
 */
static vm_fault_t user_fault_once(struct mm_struct *mm, uintptr_t addr,
				  unsigned int flags, int *si_code)
{
	struct vm_area_struct *vma = lock_mm_and_find_vma(mm, addr);
	vm_fault_t ret;

	if (!vma) {
		*si_code = SEGV_MAPERR;
		return VM_FAULT_SIGSEGV;
	}
	if (!vma_access_ok(vma, flags)) {
		mmap_read_unlock(mm);
		*si_code = SEGV_ACCERR;
		return VM_FAULT_SIGSEGV;
	}
	ret = handle_mm_fault(vma, addr, flags);
	if (!(ret & VM_FAULT_RETRY))
		mmap_read_unlock(mm);
	return ret;
}

/*
 * See mm.h. A kernel address (at or above task_size) is SEGV_MAPERR, as
 * Linux reports a user access to kernel space whatever the page tables say.
 * A VM_FAULT_SIGSEGV from handle_mm_fault() is SEGV_MAPERR too (Linux's
 * bad_area_nosemaphore); VM_FAULT_SIGBUS is BUS_ADRERR. Unserved faults
 * from user mode are counted as sigsegv/sigbus; a kernel access on the
 * user's behalf (no FAULT_FLAG_USER) becomes -EFAULT, not a signal, and is
 * not. The retry protocol (top of file): the first attempt allows
 * VM_FAULT_RETRY, the second (FAULT_FLAG_TRIED) does not; a fatal signal
 * pending at the retry ends the fault unserved with VM_FAULT_RETRY. Takes
 * and drops mmap_lock, which the caller must not hold.
 */
vm_fault_t do_user_addr_fault(struct mm_struct *mm, uintptr_t addr, unsigned int flags,
			      int *si_code)
{
	vm_fault_t ret;

	*si_code = SEGV_MAPERR;
	if (addr >= mm->task_size) {
		ret = VM_FAULT_SIGSEGV;
	} else {
		flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
		ret = user_fault_once(mm, addr, flags, si_code);
		if (ret & VM_FAULT_RETRY) {
			if (current_fatal_signal_pending())
				return VM_FAULT_RETRY;
			flags = (flags & ~FAULT_FLAG_ALLOW_RETRY) | FAULT_FLAG_TRIED;
			ret = user_fault_once(mm, addr, flags, si_code);
			BUG_ON(ret & VM_FAULT_RETRY);
		}
	}
	if (ret & VM_FAULT_SIGBUS)
		*si_code = BUS_ADRERR;
	if (flags & FAULT_FLAG_USER) {
		if (ret & VM_FAULT_SIGBUS)
			count_fault(mm, sigbus);
		else if (ret & VM_FAULT_SIGSEGV)
			count_fault(mm, sigsegv);
	}
	return ret;
}

/* ---- kernel access to user pages ---- */

/* Is the page at @addr mapped in @mm with what @flags needs? mmap_lock held. */
static bool user_pte_ready_locked(struct mm_struct *mm, uintptr_t addr, unsigned int flags)
{
	pte_t *pte = pt_lookup_pte(&mm->pt, addr);

	return pte && pte_present(*pte) && pte_user(*pte) &&
	       (!(flags & FAULT_FLAG_WRITE) || pte_write(*pte));
}

/*
 * See mm.h. Walks page by page under mmap_lock for read; each page not yet
 * mapped as needed is faulted in as the user's own access would be (stack
 * growth included, without FAULT_FLAG_USER) through do_user_addr_fault(),
 * which takes the lock itself.
 */
int fault_in_user_range(struct mm_struct *mm, uintptr_t addr, size_t len, bool write)
{
	unsigned int flags = write ? FAULT_FLAG_WRITE : 0;
	uintptr_t page = addr & PAGE_MASK, end = addr + len;
	int si_code;

	if (!len)
		return 0;
	if (end < addr || end > mm->task_size)
		return -EFAULT;
	mmap_read_lock(mm);
	for (; page < end; page += PAGE_SIZE) {
		if (user_pte_ready_locked(mm, page, flags))
			continue;
		mmap_read_unlock(mm);
		if (do_user_addr_fault(mm, page, flags, &si_code) &
		    (VM_FAULT_ERROR | VM_FAULT_RETRY))
			return -EFAULT;
		mmap_read_lock(mm);
	}
	mmap_read_unlock(mm);
	return 0;
}

/*
 * The page at @addr of @mm, faulted in for an access with @flags as the
 * user would get it (no stack growth: the caller's range must be
 * mapped): its direct-map address in *@kaddr and, unless it is the zero
 * page, the struct page with a reference taken while the pte mapped it
 * (reclaim and truncate may unmap a file page at any moment; the
 * reference keeps it from being freed under the copy). 0 or -EFAULT.
 * mmap_lock held.
 */
static int remote_page_get(struct mm_struct *mm, uintptr_t addr, unsigned int flags,
			   u8 **kaddr, struct page **page)
{
	struct vm_area_struct *vma;
	pfn_t pfn;
	int err = 0;

	if (addr >= mm->task_size)
		return -EFAULT;
	vma = vma_lookup(mm, addr);
	if (!vma || !vma_access_ok(vma, flags))
		return -EFAULT;
	if (!user_pte_ready_locked(mm, addr, flags) &&
	    (handle_mm_fault(vma, addr, flags) & VM_FAULT_ERROR))
		return -EFAULT;
	spin_lock(&mm->page_table_lock);
	if (!user_pte_ready_locked(mm, addr, flags)) {
		err = -EFAULT;		/* unmapped again meanwhile, or vmf_spurious() warned */
	} else {
		pfn = pte_pfn(*pt_lookup_pte(&mm->pt, addr));
		*kaddr = pfn_kaddr(pfn);
		*page = is_zero_pfn(pfn) ? NULL : mm_pfn_page(mm, pfn);
		if (*page)
			get_page(*page);
	}
	spin_unlock(&mm->page_table_lock);
	return err;
}

/*
 * See mm.h. A read of untouched memory maps (and reads) the zero page; a
 * write gets the page its own copy first, exactly as a user write would.
 * Never grows a stack and never writes through a read-only vma: exec must
 * fill a segment before it mprotects it read-only.
 */
int access_remote_vm(struct mm_struct *mm, uintptr_t addr, void *buf, size_t len,
		     bool write)
{
	unsigned int flags = write ? FAULT_FLAG_WRITE : 0;
	u8 *kbuf = buf;
	int err = 0;

	if (addr + len < addr)
		return -EFAULT;
	mmap_read_lock(mm);
	while (len) {
		size_t off = addr & ~PAGE_MASK, n = MIN(len, PAGE_SIZE - off);
		struct page *page;
		u8 *kpage;

		err = remote_page_get(mm, addr & PAGE_MASK, flags, &kpage, &page);
		if (err)
			break;
		if (write)
			memcpy(kpage + off, kbuf, n);
		else
			memcpy(kbuf, kpage + off, n);
		if (page) {
			/* a store through the direct map sets no pte's Dirty bit: say it here */
			if (write && page->mapping)
				set_page_dirty(page);
			put_page(mm->pmm, page);
		}
		kbuf += n;
		addr += n;
		len -= n;
	}
	mmap_read_unlock(mm);
	return err;
}
