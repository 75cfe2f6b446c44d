/*
 * The memory consistency audit (include/mm/audit.h): walk the user half of
 * every given address space, count the ptes mapping each page, then check
 * every pte, page, page table and mm against the rules of the fault path,
 * zap and fork (include/mm/page_ref.h, mm/shared_anon.c, mm/fork.c).
 *
 *   mm_audit_opts      allocate, lock everything, two passes, unlock, free
 *   audit_walk_mm      the generic walk of one user half, table by table
 *   audit_count_pte    pass 1: one more pte maps this pfn
 *   audit_check_pte    pass 2: the pte, its vma, and (once) its page
 *   audit_check_mm     pass 2: tables, rss, total_vm, map_count
 *   audit_unmapped     optional pass 3: mapcounts no pte accounts for
 *
 * Scratch: one u32 per pfn of the pmm's span, in order-0 pages (1024
 * counters per page, so no large block is needed) reached through a
 * kmalloc'd directory. The top bit marks a page whose own checks were done,
 * so each page is judged once, at the first pte found mapping it.
 *
 * Locks: every listed mm's mmap_lock, then every page_table_lock, each
 * group taken in ascending address order of the mm (two audits cannot
 * deadlock; any other path takes one mm's locks in the documented order).
 * While they are held nothing allocates, faults or sleeps. The audit
 * changes nothing it looks at.
 *
 * Host-compilable: no arch header.
 */
#include <mm/audit.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <pagoda/fs.h>
#include <mm/page_ref.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <pagoda/vsprintf.h>

#define P4D_SHIFT		(PUD_SHIFT + 9)
#define COUNTS_PER_PAGE		(PAGE_SIZE / sizeof(u32))
#define COUNT_CHECKED		0x80000000u	/* the page's own checks are done */
#define COUNT_MASK		(COUNT_CHECKED - 1)
#define AUDIT_LINE		192
#define AUDIT_SCRATCH		0x6175646974736372UL	/* ->private of a counter page */

struct audit_mm {
	struct mm_struct *mm;
	int id;
	/* what pass 2 found in it */
	unsigned long anon, shared;		/* pages counted as rss_anon, rss_shared */
	unsigned long tables;			/* table pages reached, root included */
	unsigned long unsound;			/* ptes to no usable page: rss not judged */
	struct vm_area_struct *vma;		/* cursor: the vma at or after the last va */
};

enum audit_pass { AUDIT_COUNT, AUDIT_CHECK };

struct audit {
	struct pmm *pmm;
	u32 **counts;			/* counts[i / COUNTS_PER_PAGE][i % ...], i = pfn - base */
	size_t nr_count_pages;
	struct audit_mm *mms;		/* unique, in list order */
	struct audit_mm **locked;	/* the same, in address order */
	unsigned int nr;
	enum audit_pass pass;
	struct audit_mm *cur;
	struct audit_report *report;
	void (*emit)(const char *line, void *ctx);
	void *ctx;
};

static unsigned int pgdir_shift(void)
{
	return pgtable_l5_enabled() ? P4D_SHIFT + 9 : P4D_SHIFT;
}

/* ---- reporting ---- */

/* Count one violation and hand its line (already formatted) to emit. */
static void audit_emit(struct audit *a, const char *line)
{
	a->report->errors++;
	if (a->emit)
		a->emit(line, a->ctx);
}

/* A violation at @va of the current mm, about @pfn: "audit: mm N va V: pfn P: what". */
__printf(4, 5) static void audit_fail(struct audit *a, uintptr_t va, pfn_t pfn,
				      const char *fmt, ...)
{
	char line[AUDIT_LINE];
	int n = snprintf(line, sizeof(line), "audit: mm %d va %#lx: pfn %#lx: ", a->cur->id,
			 (unsigned long)va, (unsigned long)pfn);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	audit_emit(a, line);
}

/* A violation of the current mm as a whole: "audit: mm N: what". */
__printf(2, 3) static void audit_fail_mm(struct audit *a, const char *fmt, ...)
{
	char line[AUDIT_LINE];
	int n = snprintf(line, sizeof(line), "audit: mm %d: ", a->cur->id);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	audit_emit(a, line);
}

/* ---- scratch space ---- */

static u32 *audit_count(struct audit *a, pfn_t pfn)
{
	unsigned long i = pfn - a->pmm->base_pfn;

	return &a->counts[i / COUNTS_PER_PAGE][i % COUNTS_PER_PAGE];
}

static void audit_free_scratch(struct audit *a)
{
	for (size_t i = 0; a->counts && i < a->nr_count_pages; i++) {
		pfn_t pfn;

		if (!a->counts[i])
			break;
		pfn = PHYS_PFN(virt_to_phys(a->counts[i]));
		pmm_free_pages(a->pmm, pmm_pfn_to_page(a->pmm, pfn), 0);
	}
	kfree(a->counts);
	kfree(a->mms);
}

/*
 * Zeroed counters for every pfn of the pmm's span, the directory from
 * kmalloc, the counter pages from the pmm itself (they are not mapped, so
 * they change nothing the audit looks at). 0 or -ENOMEM.
 */
static int audit_alloc_counts(struct audit *a)
{
	a->nr_count_pages = DIV_ROUND_UP(a->pmm->nr_pages, COUNTS_PER_PAGE);
	a->counts = kzalloc(a->nr_count_pages * sizeof(*a->counts), GFP_KERNEL);
	if (!a->counts)
		return -ENOMEM;
	for (size_t i = 0; i < a->nr_count_pages; i++) {
		struct page *pg = pmm_alloc_pages(a->pmm, 0, GFP_KERNEL | __GFP_ZERO);

		if (!pg)
			return -ENOMEM;
		pg->private = AUDIT_SCRATCH;
		a->counts[i] = phys_to_virt(PFN_PHYS(pmm_page_to_pfn(a->pmm, pg)));
	}
	return 0;
}

/*
 * The unique mms of the list, in list order (a->mms, the first id of a
 * duplicate wins) and in address order (a->locked). 0 or -ENOMEM.
 */
static int audit_collect_mms(struct audit *a, struct mm_struct *const *mms,
			     const int *ids, unsigned int nr)
{
	a->mms = kzalloc(nr * (sizeof(*a->mms) + sizeof(*a->locked)) + 1, GFP_KERNEL);
	if (!a->mms)
		return -ENOMEM;
	a->locked = (struct audit_mm **)(a->mms + nr);
	for (unsigned int i = 0; i < nr; i++) {
		unsigned int j, k;

		for (j = 0; j < a->nr && a->mms[j].mm != mms[i]; j++)
			;
		if (j < a->nr || !mms[i])
			continue;
		a->mms[a->nr].mm = mms[i];
		a->mms[a->nr].id = ids ? ids[i] : (int)i;
		/* insertion into the address-ordered view */
		for (k = a->nr; k > 0 && (uintptr_t)a->locked[k - 1]->mm > (uintptr_t)mms[i]; k--)
			a->locked[k] = a->locked[k - 1];
		a->locked[k] = &a->mms[a->nr];
		a->nr++;
	}
	return 0;
}

/* ---- locks ---- */

static void audit_lock_all(struct audit *a)
{
	for (unsigned int i = 0; i < a->nr; i++)
		mmap_read_lock(a->locked[i]->mm);
	for (unsigned int i = 0; i < a->nr; i++)
		spin_lock(&a->locked[i]->mm->page_table_lock);
}

static void audit_unlock_all(struct audit *a)
{
	for (unsigned int i = a->nr; i-- > 0;)
		spin_unlock(&a->locked[i]->mm->page_table_lock);
	for (unsigned int i = a->nr; i-- > 0;)
		mmap_read_unlock(a->locked[i]->mm);
}

/* ---- pages ---- */

/*
 * Why @page may not be mapped by a user pte, or NULL if it may. A counter
 * page of this audit was free when the audit began: a pte to it is a pte
 * to a free page that the audit's own allocation happened to take.
 */
static const char *page_unmappable(const struct page *page)
{
	if (page->private == AUDIT_SCRATCH)
		return "maps a free page, taken since by the audit's scratch";
	if (page_test_flag(page, PG_reserved))
		return "maps a reserved page";
	if (page_test_flag(page, PG_buddy) || !page_test_flag(page, PG_head) ||
	    page->refcount <= 0)
		return "maps a free page";
	if (page_test_flag(page, PG_pgtable))
		return "maps a page-table page";
	if (page_test_flag(page, PG_slab))
		return "maps a slab page";
	if (page->order)
		return "maps a multi-page block";
	return NULL;
}

static bool vma_is_shared_anon(const struct vm_area_struct *vma)
{
	return vma && vma->vm_ops == &shared_anon_vm_ops;
}

/*
 * Is @vma on @mapping's reverse map? Walked without i_mmap_rwsem (the audit
 * holds spinlocks): with one CPU and preemption off, nothing changes the
 * list meanwhile. SMP will need the lock taken before the page-table locks.
 */
static bool vma_in_i_mmap(const struct address_space *mapping, const struct vm_area_struct *vma)
{
	const struct vm_area_struct *v;

	list_for_each_entry(v, &mapping->i_mmap, shared)
		if (v == vma)
			return true;
	return false;
}

/*
 * A page of a file mapped at @va of @vma (not a private copy): it is the
 * page the file's cache holds at the offset the vma maps there, and the
 * vma is on the file's reverse map, so truncate and writeback can find
 * the pte. (Whether the page is on an LRU list is not checked: reclaim
 * may hold it off the lists for a moment.)
 */
static void audit_check_file_page(struct audit *a, const struct page *page, pfn_t pfn,
				  const struct vm_area_struct *vma, uintptr_t va)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	unsigned long pgoff = vma->vm_pgoff + ((va - vma->vm_start) >> PAGE_SHIFT);
	unsigned long flags;
	void *cached;

	if (page->mapping != mapping) {
		audit_fail(a, va, pfn, "file page whose mapping %p is not the vma's file's %p",
			   (void *)page->mapping, (void *)mapping);
		return;
	}
	if (page->index != pgoff)
		audit_fail(a, va, pfn, "file page at offset %lu mapped where the vma has offset %lu",
			   page->index, pgoff);
	spin_lock_irqsave(&mapping->i_pages_lock, flags);
	cached = xa_load(&mapping->i_pages, page->index);
	spin_unlock_irqrestore(&mapping->i_pages_lock, flags);
	if (cached != page)
		audit_fail(a, va, pfn, "file page not in its page cache at offset %lu", page->index);
	if (!vma_in_i_mmap(mapping, vma))
		audit_fail(a, va, pfn, "vma of a mapped file not on the file's reverse map (i_mmap)");
}

/*
 * The page's own checks, at the first pte found mapping it (@va in @vma,
 * which may be NULL): mapcount against the ptes counted, refcount against
 * the ownership rule of its kind (audit.h).
 */
static void audit_check_page(struct audit *a, struct page *page, pfn_t pfn, u32 ptes,
			     const struct vm_area_struct *vma, uintptr_t va)
{
	s32 ref = page->refcount, map = page->mapcount;

	a->report->pages++;
	if (map != (s32)ptes)
		audit_fail(a, va, pfn, "mapcount %d but %u ptes map it", (int)map, ptes);
	if (page_test_flag(page, PG_anon)) {
		if (ref != map)
			audit_fail(a, va, pfn, "anonymous page with refcount %d but mapcount %d (refcount must equal mapcount)",
				   (int)ref, (int)map);
	} else if (vma_is_shared_anon(vma)) {
		if (ref != map + 1)
			audit_fail(a, va, pfn, "shared anonymous page with refcount %d but mapcount %d (refcount must be mapcount + 1)",
				   (int)ref, (int)map);
	} else if (ref < map + 1) {
		audit_fail(a, va, pfn, "object page with refcount %d but mapcount %d (the object holds one more)",
			   (int)ref, (int)map);
	}
}

/* ---- ptes ---- */

static void audit_count_pte(struct audit *a, pte_t pte)
{
	pfn_t pfn = pte_pfn(pte);

	if (!pte_present(pte) || is_zero_pfn(pfn) || !pmm_has_pfn(a->pmm, pfn))
		return;
	if ((*audit_count(a, pfn) & COUNT_MASK) != COUNT_MASK)
		(*audit_count(a, pfn))++;
}

/* The vma containing @va in the current mm, or NULL. Ptes come in address order. */
static struct vm_area_struct *audit_vma(struct audit *a, uintptr_t va)
{
	struct audit_mm *am = a->cur;

	if (!am->vma || va >= am->vma->vm_end)
		am->vma = find_vma(am->mm, va);
	return am->vma && am->vma->vm_start <= va ? am->vma : NULL;
}

/* The pte against its vma: inside one, no more permission than it has. */
static void audit_check_pte_vma(struct audit *a, pte_t pte, uintptr_t va,
				const struct vm_area_struct *vma)
{
	if (!vma)
		audit_fail(a, va, pte_pfn(pte), "pte %#llx outside every vma",
			   (unsigned long long)pte.val);
	else if (pte_write(pte) && !(vma->vm_flags & VM_WRITE))
		audit_fail(a, va, pte_pfn(pte), "writable pte in a vma without VM_WRITE (flags %#lx)",
			   vma->vm_flags);
}

/* The page against the kind of mapping: anon in private anon, object pages in place. */
static void audit_check_page_kind(struct audit *a, const struct page *page, pfn_t pfn,
				  pte_t pte, const struct vm_area_struct *vma, uintptr_t va)
{
	bool anon = page_test_flag(page, PG_anon);

	if (!vma)
		return;
	if (!vma->vm_ops && !anon)
		audit_fail(a, va, pfn, "page without PG_anon in private anonymous memory");
	if (vma_is_shared_anon(vma)) {
		unsigned long pgoff = vma->vm_pgoff + ((va - vma->vm_start) >> PAGE_SHIFT);

		if (anon)
			audit_fail(a, va, pfn, "PG_anon page in shared anonymous memory");
		else if (page->index != pgoff)
			audit_fail(a, va, pfn, "shared object page at offset %lu mapped where the vma has offset %lu",
				   page->index, pgoff);
	}
	if (vma->vm_file && !anon)
		audit_check_file_page(a, page, pfn, vma, va);
	if (!(vma->vm_flags & VM_SHARED) && pte_write(pte) &&
	    (page->mapcount != 1 || page->refcount != 1))
		audit_fail(a, va, pfn, "writable pte in a private mapping, but mapcount %d refcount %d (copy-on-write skipped)",
			   (int)page->mapcount, (int)page->refcount);
}

/*
 * A pte of the zero page: read-only; the page's counts never move (once,
 * through its counter slot, which pass 1 never fills).
 */
static void audit_check_zero_page(struct audit *a, pte_t pte, pfn_t pfn, uintptr_t va)
{
	u32 *once = pmm_has_pfn(a->pmm, pfn) ? audit_count(a, pfn) : NULL;

	if (pte_write(pte))
		audit_fail(a, va, pfn, "writable pte to the zero page");
	if (once && !(*once & COUNT_CHECKED)) {
		*once |= COUNT_CHECKED;
		if (zero_page->refcount != 1 || zero_page->mapcount != 0)
			audit_fail(a, va, pfn, "zero page with refcount %d mapcount %d (they never move)",
				   (int)zero_page->refcount, (int)zero_page->mapcount);
	}
}

/*
 * Pass 2 for one pte: present, inside a vma that allows it, mapping a page
 * that is in use and of the right kind; the page's own checks the first
 * time it is met. The zero page must be read-only and keep its counts.
 */
static void audit_check_pte(struct audit *a, pte_t pte, uintptr_t va)
{
	struct vm_area_struct *vma;
	struct page *page;
	const char *why;
	pfn_t pfn = pte_pfn(pte);
	u32 *count;

	if (!pte_present(pte)) {
		a->cur->unsound++;
		audit_fail(a, va, 0, "non-present pte %#llx (no swap entries exist)",
			   (unsigned long long)pte.val);
		return;
	}
	a->report->ptes++;
	vma = audit_vma(a, va);
	audit_check_pte_vma(a, pte, va, vma);
	if (is_zero_pfn(pfn)) {
		audit_check_zero_page(a, pte, pfn, va);
		return;
	}
	if (!pmm_has_pfn(a->pmm, pfn)) {
		a->cur->unsound++;
		audit_fail(a, va, pfn, "pfn outside the allocator's span");
		return;
	}
	page = pmm_pfn_to_page(a->pmm, pfn);
	why = page_unmappable(page);
	if (why) {
		a->cur->unsound++;
		audit_fail(a, va, pfn, "%s (flags %#lx refcount %d mapcount %d)", why, page->flags,
			   (int)page->refcount, (int)page->mapcount);
		return;
	}
	if (page_test_flag(page, PG_anon))
		a->cur->anon++;
	else
		a->cur->shared++;
	audit_check_page_kind(a, page, pfn, pte, vma, va);
	count = audit_count(a, pfn);
	if (!(*count & COUNT_CHECKED)) {
		*count |= COUNT_CHECKED;
		audit_check_page(a, page, pfn, *count & COUNT_MASK, vma, va);
	}
}

/* ---- the walk ---- */

/*
 * A table page reached from the current mm at level @level (4 p4d .. 1 pte)
 * covering @va: in pass 2 it must be an allocated PG_pgtable page of the
 * pmm; counted for the nr_table_pages check.
 */
static void audit_table(struct audit *a, phys_addr_t table, unsigned int level, uintptr_t va)
{
	pfn_t pfn = PHYS_PFN(table);
	struct page *page;

	if (a->pass != AUDIT_CHECK)
		return;
	a->cur->tables++;
	if (!pmm_has_pfn(a->pmm, pfn)) {
		audit_fail(a, va, pfn, "level %u table outside the allocator's span", level);
		return;
	}
	page = pmm_pfn_to_page(a->pmm, pfn);
	if (!page_test_flag(page, PG_pgtable) || !page_test_flag(page, PG_head) ||
	    page_test_flag(page, PG_buddy) || page->refcount != 1)
		audit_fail(a, va, pfn, "level %u table is not an allocated page-table page (flags %#lx refcount %d)",
			   level, page->flags, (int)page->refcount);
}

/* Pass 2: an upper-level entry that is neither none nor a table, not entered. */
static void audit_bad_entry(void *arg, u64 val, bool present, unsigned int level,
			    uintptr_t va)
{
	struct audit *a = arg;

	if (a->pass != AUDIT_CHECK)
		return;
	if (!present)
		audit_fail(a, va, 0, "non-present level %u entry %#llx", level,
			   (unsigned long long)val);
	else
		audit_fail(a, va, 0, "large leaf %#llx at level %u in user space",
			   (unsigned long long)val, level);
}

static void audit_walk_table(void *arg, phys_addr_t table, unsigned int level, uintptr_t va)
{
	audit_table(arg, table, level, va);
}

/* One whole pte table (the walk covers whole 2 MiB blocks: start is its base). */
static int audit_pte_table(void *arg, pmd_t *pmd, uintptr_t start, uintptr_t end)
{
	struct audit *a = arg;
	pte_t *pte = pte_offset(pmd, start);

	for (uintptr_t va = start; va < end; va += PAGE_SIZE, pte++) {
		pte_t e = *pte;

		if (pte_none(e))
			continue;
		if (a->pass == AUDIT_COUNT)
			audit_count_pte(a, e);
		else
			audit_check_pte(a, e, va);
	}
	return 0;
}

/*
 * Walk the user half of the current mm: every top-level entry below the
 * pinned kernel half (pt.pinned_from), table by table (pt_walk_range()), so
 * each table is met once, at its first address. The root counts as one
 * table.
 */
static void audit_walk_mm(struct audit *a)
{
	static const struct pt_range_ops ops = {
		.pte_range = audit_pte_table,
		.table = audit_walk_table,
		.bad_entry = audit_bad_entry,
	};
	struct page_table *pt = &a->cur->mm->pt;

	audit_table(a, virt_to_phys(pt->pgd), pgtable_levels, 0);
	if (pt->pinned_from)	/* 0 would read as the whole address space */
		pt_walk_range(pt, 0, (uintptr_t)pt->pinned_from << pgdir_shift(), &ops, a);
}

/* ---- address spaces ---- */

/* Pass 2's verdict on the current mm as a whole. */
static void audit_check_mm(struct audit *a)
{
	struct audit_mm *am = a->cur;
	struct mm_struct *mm = am->mm;
	struct vm_area_struct *vma, *prev = NULL;
	unsigned long pages = 0, count = 0;

	if (mm->pt.nr_table_pages != am->tables)
		audit_fail_mm(a, "nr_table_pages %lu but %lu tables reached", mm->pt.nr_table_pages,
			      am->tables);
	/* a pte to no usable page was reported already; rss would only echo it */
	if (mm->rss_anon != am->anon && !am->unsound)
		audit_fail_mm(a, "rss_anon %lu but %lu anonymous pages mapped", mm->rss_anon, am->anon);
	if (mm->rss_shared != am->shared && !am->unsound)
		audit_fail_mm(a, "rss_shared %lu but %lu other pages mapped", mm->rss_shared,
			      am->shared);
	for (vma = vma_next(mm, NULL); vma; prev = vma, vma = vma_next(mm, vma)) {
		if (vma->vm_start >= vma->vm_end || (vma->vm_start | vma->vm_end) & ~PAGE_MASK ||
		    vma->vm_end > mm->task_size || (prev && prev->vm_end > vma->vm_start) ||
		    vma->vm_mm != mm)
			audit_fail_mm(a, "bad vma [%#lx, %#lx)", (unsigned long)vma->vm_start,
				      (unsigned long)vma->vm_end);
		pages += (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
		count++;
	}
	if (mm->total_vm != pages)
		audit_fail_mm(a, "total_vm %lu but the vmas cover %lu pages", mm->total_vm, pages);
	if (mm->map_count != count)
		audit_fail_mm(a, "map_count %u but %lu vmas", mm->map_count, count);
}

/*
 * Pass 3 (MM_AUDIT_UNMAPPED): a page in use whose mapcount no pte of the
 * audited mms accounts for. Pages with ptes were judged in pass 2.
 */
static void audit_unmapped(struct audit *a)
{
	for (unsigned long i = 0; i < a->pmm->nr_pages; i++) {
		pfn_t pfn = a->pmm->base_pfn + i;
		struct page *page = &a->pmm->pages[i];
		char line[AUDIT_LINE];

		if (*audit_count(a, pfn) || page_unmappable(page) || !page->mapcount)
			continue;
		snprintf(line, sizeof(line), "audit: pfn %#lx: mapcount %d but no pte maps it",
			 (unsigned long)pfn, (int)page->mapcount);
		audit_emit(a, line);
	}
}

static void audit_pass(struct audit *a, enum audit_pass pass)
{
	a->pass = pass;
	for (unsigned int i = 0; i < a->nr; i++) {
		a->cur = &a->mms[i];
		audit_walk_mm(a);
		if (pass == AUDIT_CHECK)
			audit_check_mm(a);
	}
}

int mm_audit_opts(struct mm_struct *const *mms, const int *ids, unsigned int nr,
		  struct pmm *pmm, unsigned int opts, struct audit_report *report,
		  void (*emit)(const char *line, void *ctx), void *ctx)
{
	struct audit a = { .pmm = pmm, .report = report, .emit = emit, .ctx = ctx };
	int err;

	memset(report, 0, sizeof(*report));
	err = audit_collect_mms(&a, mms, ids, nr);
	if (!err)
		err = audit_alloc_counts(&a);
	if (err) {
		audit_free_scratch(&a);
		return err;
	}
	report->mms = a.nr;
	audit_lock_all(&a);
	audit_pass(&a, AUDIT_COUNT);
	audit_pass(&a, AUDIT_CHECK);
	if (opts & MM_AUDIT_UNMAPPED)
		audit_unmapped(&a);
	audit_unlock_all(&a);
	audit_free_scratch(&a);
	return report->errors ? -EINVAL : 0;
}

int mm_audit(struct mm_struct *const *mms, const int *ids, unsigned int nr,
	     struct pmm *pmm, struct audit_report *report,
	     void (*emit)(const char *line, void *ctx), void *ctx)
{
	return mm_audit_opts(mms, ids, nr, pmm, 0, report, emit, ctx);
}
