/*
 * The memory consistency audit (mm/audit.c): proves that page tables and
 * page reference counts agree. Host-compilable.
 *
 * For every user PTE of every given address space it checks:
 *   - the page it maps is allocated (not free in the buddy allocator, not
 *     a page-table or slab page) and inside the allocator's span;
 *   - page->mapcount equals the number of PTEs found mapping it (the zero
 *     page is exempt: it is never counted, and its counts never move);
 *   - page->refcount is exact: equal to the mapcount for an anonymous page
 *     (nothing else holds one today), the mapcount plus one for a page of
 *     shared anonymous memory (the object's reference), at least that for
 *     an object's page in any other mapping;
 *   - a writable PTE in a private mapping maps a page mapped only there
 *     (mapcount 1, refcount 1): copy-on-write was not skipped; no PTE is
 *     writable where its vma is not, or outside every vma;
 *   - a page of private anonymous memory is PG_anon, a page of shared
 *     anonymous memory is not and sits at the object offset its vma says.
 * Per address space it also checks the page tables themselves (every table
 * reached is an allocated PG_pgtable page, their number is
 * pt.nr_table_pages, no large leaf in user space), the rss counters
 * against the PTEs found, and total_vm/map_count against the vmas.
 *
 * Each violation is reported with the address space, virtual address and
 * page; the audit never changes anything. Every mm's mmap_lock and
 * page_table_lock are held for the whole audit (taken in address order),
 * so it sees one consistent moment; the scratch space (a u32 per pfn of
 * the pmm's span, in order-0 pages of @pmm) is allocated before and freed
 * after.
 */
#ifndef MM_AUDIT_H
#define MM_AUDIT_H

#include <pagoda/types.h>

struct mm_struct;
struct pmm;

struct audit_report {
	unsigned long mms, ptes, pages;		/* what was looked at */
	unsigned long errors;
};

/*
 * Audit @nr address spaces (each counted once even if listed twice), whose
 * ids for the report are @ids[i] (NULL: the index in @mms). @emit(line,
 * ctx) receives one line per violation, without a newline, may be NULL:
 *   "audit: mm 3 va 0x7f0000001000: pfn 0x1234: mapcount 1 but 2 ptes map it"
 *   "audit: mm 3: rss_anon 5 but 4 anonymous pages mapped"
 * Returns 0 if clean, -EINVAL if errors were found, -ENOMEM if the
 * audit could not allocate its scratch space (then *report says nothing).
 * The caller holds none of the mms' locks, and holds a reference on each.
 */
int mm_audit(struct mm_struct *const *mms, const int *ids, unsigned int nr,
	     struct pmm *pmm, struct audit_report *report,
	     void (*emit)(const char *line, void *ctx), void *ctx);

/*
 * mm_audit() with options. MM_AUDIT_UNMAPPED says @mms are every address
 * space that maps pages of @pmm, so a page with a mapcount no PTE accounts
 * for is an error too ("audit: pfn 0x1234: mapcount 1 but no pte maps
 * it"). Only a quiescent caller can promise that (host tests; not the
 * kernel while a fork or exec may hold an mm outside the task list).
 */
#define MM_AUDIT_UNMAPPED	(1u << 0)

int mm_audit_opts(struct mm_struct *const *mms, const int *ids, unsigned int nr,
		  struct pmm *pmm, unsigned int opts, struct audit_report *report,
		  void (*emit)(const char *line, void *ctx), void *ctx);

#endif
