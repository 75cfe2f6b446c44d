/*
 * The memory consistency audit (mm/audit.c): proves that page tables and
 * page reference counts agree. Host-compilable.
 *
 * For every user PTE of every given address space it checks:
 *   - the page it maps is allocated (not free in the buddy allocator);
 *   - page->mapcount equals the number of PTEs found mapping it (the zero
 *     page is exempt: it is never counted);
 *   - page->refcount is at least the mapcount, plus one for an object that
 *     holds the page (shared anonymous memory);
 *   - a writable PTE in a private mapping maps a page mapped only there
 *     (mapcount 1, refcount 1): copy-on-write was not skipped.
 * Each violation is reported with the address space, virtual address and
 * page; the audit never changes anything.
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
 * Audit @nr address spaces (each counted once even if listed twice).
 * @emit(line, ctx) receives one human line per violation ("mm 3 va
 * 0x7f...: pfn 0x1234 mapcount 1 but 2 PTEs map it"), may be NULL.
 * Returns 0 if clean, -EINVAL if errors were found, -ENOMEM if the
 * audit could not allocate its scratch space.
 */
int mm_audit(struct mm_struct *const *mms, const int *ids, unsigned int nr,
	     struct pmm *pmm, struct audit_report *report,
	     void (*emit)(const char *line, void *ctx), void *ctx);

#endif
