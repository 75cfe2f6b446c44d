/*
 * Host tests of the memory consistency audit (mm/audit.c) over simulated
 * RAM: clean after everything the mm code does (faults, fork and COW
 * breaks, munmap, mprotect, mremap, madvise, brk, exit), and each
 * corruption injected by hand reported with the exact line (mm id, virtual
 * address, pfn, what), then clean again once repaired.
 *
 * Fixture as in test_fork.c: kernel_pmm feeds kmalloc, a private user pmm
 * feeds user pages, tables, the zero page and the audit's own counters.
 * Every case runs in 4- and 5-level paging; afterwards every page is back.
 * The audits here list every live mm, so they use MM_AUDIT_UNMAPPED too.
 */
#include "ktap.h"
#include "fake_arch.h"
#include "fake_mm.h"
#include <mm/arch.h>
#include <mm/audit.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE_PFN	0x1000UL
#define KERNEL_PAGES	1024UL
#define USER_BASE_PFN	(RAM_BASE_PFN + KERNEL_PAGES)
#define USER_PAGES	4096UL

#define PG		PAGE_SIZE
#define AREA		0x10000000UL
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		MAP_PRIVATE
#define F_READ		FAULT_FLAG_USER
#define F_WRITE		(FAULT_FLAG_USER | FAULT_FLAG_WRITE)
#define F_WP		(F_WRITE | FAULT_FLAG_PROTECTION)
#define ID		7		/* the parent's id in every report */
#define CHILD_ID	9

static struct mm_struct *mm, *child;

/* ---- fixture ---- */

static void run_in_mode(unsigned int levels, void (*fn)(void))
{
	fake_mm_user_reset(levels);

	mm = mm_create(&upmm, NULL, mm_default_task_size());
	KT_ASSERT(mm);
	child = NULL;
	fn();
	if (child)
		mm_put(child);
	if (mm)
		mm_put(mm);
	mm = child = NULL;
	fake_mm_user_check();
}

/* ---- running the audit ---- */

#define MAX_LINES	16

static struct {
	unsigned int n;
	char line[MAX_LINES][256];
} out;
static struct audit_report rep;

static void collect(const char *line, void *ctx)
{
	(void)ctx;
	if (out.n < MAX_LINES)
		snprintf(out.line[out.n], sizeof(out.line[0]), "%s", line);
	out.n++;
}

/* Audit the fixture's live mms (parent id 7, child id 9). Returns mm_audit's result. */
static int audit(void)
{
	struct mm_struct *mms[2] = { mm, child };
	const int ids[2] = { ID, CHILD_ID };
	unsigned long free_before = pmm_nr_free(&upmm);
	int ret;

	out.n = 0;
	ret = mm_audit_opts(mms, ids, child ? 2 : 1, &upmm, MM_AUDIT_UNMAPPED, &rep, collect, NULL);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), free_before);		/* scratch given back */
	KT_EXPECT(!rwsem_is_locked(&mm->mmap_lock) && !spin_is_locked(&mm->page_table_lock));
	return ret;
}

static void print_lines(void)
{
	for (unsigned int i = 0; i < out.n && i < MAX_LINES; i++)
		printf("    # line: %s\n", out.line[i]);
}

#define EXPECT_CLEAN()							\
	do {								\
		int __r = audit();					\
		KT_EXPECT_EQ(__r, 0);					\
		KT_EXPECT_EQ(rep.errors, 0);				\
		if (__r)						\
			print_lines();					\
	} while (0)

/* Was exactly this line emitted? */
__attribute__((format(printf, 1, 2))) static bool emitted(const char *fmt, ...)
{
	char want[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	for (unsigned int i = 0; i < out.n && i < MAX_LINES; i++)
		if (!strcmp(out.line[i], want))
			return true;
	printf("    # missing line: %s\n", want);
	print_lines();
	return false;
}

/* Was a line starting with this emitted? */
__attribute__((format(printf, 1, 2))) static bool emitted_prefix(const char *fmt, ...)
{
	char want[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	for (unsigned int i = 0; i < out.n && i < MAX_LINES; i++)
		if (!strncmp(out.line[i], want, strlen(want)))
			return true;
	printf("    # missing line: %s...\n", want);
	print_lines();
	return false;
}

/* ---- helpers ---- */

static uintptr_t map_in(struct mm_struct *m, uintptr_t addr, size_t len, int prot, int flags)
{
	long r = mm_mmap(m, addr, len, prot, flags | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	KT_EXPECT_EQ(r, addr);
	return addr;
}

static uintptr_t map(uintptr_t addr, size_t len, int prot, int flags)
{
	return map_in(mm, addr, len, prot, flags);
}

static void touch(struct mm_struct *m, uintptr_t addr, unsigned int flags)
{
	int si;

	KT_EXPECT_EQ(do_user_addr_fault(m, addr, flags, &si), 0);
}

static pte_t *ptep(struct mm_struct *m, uintptr_t addr)
{
	return pt_lookup_pte(&m->pt, addr);
}

static pfn_t pfn_at(struct mm_struct *m, uintptr_t addr)
{
	pte_t *p = ptep(m, addr);

	return p ? pte_pfn(*p) : 0;
}

static struct page *page_at(struct mm_struct *m, uintptr_t addr)
{
	return pmm_pfn_to_page(&upmm, pfn_at(m, addr));
}

/* A typical address space: private written and read, shared, heap, stack. */
static void populate(void)
{
	uintptr_t a = map(AREA, 8 * PG, RW, PRIV);
	uintptr_t s = map(AREA + PUD_SIZE, 4 * PG, RW, MAP_SHARED);

	for (int i = 0; i < 8; i++)
		touch(mm, a + i * PG, i & 1 ? F_READ : F_WRITE);
	touch(mm, s, F_WRITE);
	touch(mm, s + 2 * PG, F_READ);
	map(0x7f0000000000UL - 4 * PG, 4 * PG, RW, PRIV | MAP_GROWSDOWN);
	touch(mm, 0x7f0000000000UL - 6 * PG, F_WRITE);		/* grows the stack */
	mm->start_brk = mm->brk = AREA + 64 * PG;
	KT_EXPECT_EQ(mm_brk(mm, AREA + 67 * PG), AREA + 67 * PG);
	touch(mm, AREA + 65 * PG, F_WRITE);
}

/* ---- clean ---- */

static void t_empty_mm_is_clean(void)
{
	EXPECT_CLEAN();
	KT_EXPECT_EQ(rep.mms, 1);
	KT_EXPECT_EQ(rep.ptes, 0);
	KT_EXPECT_EQ(rep.pages, 0);
}

static void t_clean_after_faults_with_exact_counts(void)
{
	populate();
	EXPECT_CLEAN();
	KT_EXPECT_EQ(rep.mms, 1);
	/* 8 private (4 written, 4 zero page), 2 shared, 1 stack, 1 heap */
	KT_EXPECT_EQ(rep.ptes, 12);
	KT_EXPECT_EQ(rep.pages, 4 + 2 + 1 + 1);
}

static void t_listing_an_mm_twice_counts_it_once(void)
{
	struct mm_struct *mms[3] = { mm, mm, mm };

	populate();
	out.n = 0;
	KT_EXPECT_EQ(mm_audit(mms, NULL, 3, &upmm, &rep, collect, NULL), 0);
	KT_EXPECT_EQ(rep.mms, 1);
	KT_EXPECT_EQ(rep.ptes, 12);
	KT_EXPECT_EQ(out.n, 0);
}

static void t_clean_after_fork_and_cow_breaks(void)
{
	populate();
	child = dup_mm(mm);
	KT_ASSERT(child);
	EXPECT_CLEAN();
	KT_EXPECT_EQ(rep.mms, 2);
	KT_EXPECT_EQ(rep.ptes, 24);
	KT_EXPECT_EQ(rep.pages, 8);			/* all shared so far */
	touch(mm, AREA, F_WP);				/* parent copies */
	touch(child, AREA + 2 * PG, F_WP);		/* child copies */
	touch(child, AREA, F_WP);			/* child reuses */
	touch(child, AREA + PG, F_WP);			/* zero page -> private copy */
	touch(child, AREA + PUD_SIZE + PG, F_WRITE);	/* shared, first touch in the child */
	EXPECT_CLEAN();
	KT_EXPECT_EQ(rep.pages, 8 + 4);		/* three copies and the new shared page */
}

static void t_clean_after_exit_of_either_side(void)
{
	populate();
	child = dup_mm(mm);
	KT_ASSERT(child);
	touch(child, AREA, F_WP);
	mm_put(mm);
	mm = child;
	child = NULL;
	EXPECT_CLEAN();
	KT_EXPECT_EQ(rep.mms, 1);
}

static void t_clean_after_munmap_mprotect_mremap_madvise(void)
{
	populate();
	child = dup_mm(mm);
	KT_ASSERT(child);
	KT_EXPECT_EQ(mm_munmap(mm, AREA + 2 * PG, 2 * PG), 0);
	EXPECT_CLEAN();
	KT_EXPECT_EQ(mm_mprotect(mm, AREA, 2 * PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm_mprotect(child, AREA + 4 * PG, 4 * PG, PROT_READ), 0);
	EXPECT_CLEAN();
	KT_EXPECT_EQ(mm_mprotect(mm, AREA, 2 * PG, RW), 0);
	KT_EXPECT_EQ(mm_mprotect(child, AREA + 4 * PG, 4 * PG, RW), 0);
	touch(mm, AREA, F_WP);
	EXPECT_CLEAN();
	KT_EXPECT_EQ(mm_mremap(mm, AREA + 4 * PG, 4 * PG, 16 * PG, MREMAP_MAYMOVE, 0) > 0, 1);
	KT_EXPECT_EQ(mm_mremap(child, AREA + PUD_SIZE, 4 * PG, 2 * PG, 0, 0), (long)(AREA + PUD_SIZE));
	EXPECT_CLEAN();
	KT_EXPECT_EQ(mm_madvise(child, AREA, 8 * PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(mm_madvise(mm, AREA + PUD_SIZE, PG, MADV_DONTNEED), 0);
	EXPECT_CLEAN();
	KT_EXPECT_EQ(mm_brk(mm, AREA + 64 * PG), AREA + 64 * PG);
	EXPECT_CLEAN();
}

/* ---- corruptions, each reported exactly, then repaired ---- */

static void t_detects_mapcount_off_by_one(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct page *p;
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	child = dup_mm(mm);
	KT_ASSERT(child);
	p = page_at(mm, a);
	pfn = pfn_at(mm, a);
	p->mapcount++;
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 2);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: mapcount 3 but 2 ptes map it", ID,
			  (unsigned long)a, (unsigned long)pfn));
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: anonymous page with refcount 2 but mapcount 3 (refcount must equal mapcount)",
			  ID, (unsigned long)a, (unsigned long)pfn));
	p->mapcount--;
	EXPECT_CLEAN();
}

static void t_detects_refcount_off(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct page *p;
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	touch(mm, a + PG, F_WRITE);
	child = dup_mm(mm);
	KT_ASSERT(child);
	touch(child, a + PG, F_WP);			/* a + PG: one page each, writable */
	p = page_at(mm, a);
	pfn = pfn_at(mm, a);
	p->refcount++;					/* read-only, mapped twice */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: anonymous page with refcount 3 but mapcount 2 (refcount must equal mapcount)",
			  ID, (unsigned long)a, (unsigned long)pfn));
	p->refcount--;
	EXPECT_CLEAN();

	p = page_at(child, a + PG);			/* writable and exclusive */
	pfn = pfn_at(child, a + PG);
	p->refcount++;					/* a holder the rules do not know */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 2);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: anonymous page with refcount 2 but mapcount 1 (refcount must equal mapcount)",
			  CHILD_ID, (unsigned long)(a + PG), (unsigned long)pfn));
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: writable pte in a private mapping, but mapcount 1 refcount 2 (copy-on-write skipped)",
			  CHILD_ID, (unsigned long)(a + PG), (unsigned long)pfn));
	p->refcount -= 2;				/* and one too few: counted as free */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: maps a free page (flags %#lx refcount 0 mapcount 1)",
			  CHILD_ID, (unsigned long)(a + PG), (unsigned long)pfn, p->flags));
	p->refcount++;
	EXPECT_CLEAN();
}

static void t_detects_writable_private_pte_to_page_mapped_twice(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	pte_t *pp;
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	child = dup_mm(mm);
	KT_ASSERT(child);
	pp = ptep(child, a);
	pfn = pte_pfn(*pp);
	set_pte(pp, pte_mkwrite(*pp));		/* copy-on-write skipped in the child */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: writable pte in a private mapping, but mapcount 2 refcount 2 (copy-on-write skipped)",
			  CHILD_ID, (unsigned long)a, (unsigned long)pfn));
	set_pte(pp, pte_wrprotect(*pp));
	EXPECT_CLEAN();
}

static void t_detects_pte_to_freed_page(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	struct page *freed = pmm_alloc_pages(&upmm, 0, 0);
	pfn_t pfn = pmm_page_to_pfn(&upmm, freed);
	pte_t *pp;

	touch(mm, a, F_WRITE);
	pmm_free_pages(&upmm, freed, 0);
	pp = ptep(mm, a + PG);
	KT_ASSERT(pp && pte_none(*pp));
	set_pte(pp, pte_wrprotect(pfn_pte(pfn, vm_get_page_prot(VM_READ | VM_WRITE))));
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	/* the audit's own scratch may have taken the free page: the line says so */
	KT_EXPECT(emitted_prefix("audit: mm %d va %#lx: pfn %#lx: maps a free page",
				 ID, (unsigned long)(a + PG), (unsigned long)pfn));
	pte_clear(pp);
	EXPECT_CLEAN();
}

static void t_detects_pte_to_page_table_page(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	pte_t *pp;
	pfn_t table;

	touch(mm, a, F_WRITE);
	pp = ptep(mm, a + PG);
	table = PHYS_PFN(virt_to_phys(pp));
	set_pte(pp, pte_wrprotect(pfn_pte(table, vm_get_page_prot(VM_READ))));
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: maps a page-table page (flags %#lx refcount 1 mapcount 0)",
			  ID, (unsigned long)(a + PG), (unsigned long)table,
			  pmm_pfn_to_page(&upmm, table)->flags));
	pte_clear(pp);
	EXPECT_CLEAN();
}

static void t_detects_pte_outside_vmas_and_beyond_vma_rights(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	pte_t *pp, *out_of_vma;
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	touch(mm, a + PG, F_READ);			/* the zero page */
	out_of_vma = ptep(mm, a + 2 * PG);
	set_pte(out_of_vma, *ptep(mm, a + PG));
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: pte %#llx outside every vma", ID,
			  (unsigned long)(a + 2 * PG), (unsigned long)pfn_at(mm, a + PG),
			  (unsigned long long)out_of_vma->val));
	pte_clear(out_of_vma);
	EXPECT_CLEAN();

	/* the zero page made writable */
	pp = ptep(mm, a + PG);
	pfn = pte_pfn(*pp);
	set_pte(pp, pte_mkwrite(*pp));
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: writable pte to the zero page", ID,
			  (unsigned long)(a + PG), (unsigned long)pfn));
	set_pte(pp, pte_wrprotect(*pp));

	/* a writable pte left behind by an mprotect to read-only */
	KT_EXPECT_EQ(mm_mprotect(mm, a, 2 * PG, PROT_READ), 0);
	pp = ptep(mm, a);
	set_pte(pp, pte_mkwrite(*pp));
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: writable pte in a vma without VM_WRITE (flags %#lx)",
			  ID, (unsigned long)a, (unsigned long)pte_pfn(*pp), vma_lookup(mm, a)->vm_flags));
	set_pte(pp, pte_wrprotect(*pp));
	EXPECT_CLEAN();
}

static void t_detects_mapcount_no_pte_accounts_for(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	pte_t *pp, saved;
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	pp = ptep(mm, a);
	saved = *pp;
	pfn = pte_pfn(saved);
	pte_clear(pp);				/* a zap that forgot the counts */
	mm->rss_anon--;
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: pfn %#lx: mapcount 1 but no pte maps it", (unsigned long)pfn));
	/* without MM_AUDIT_UNMAPPED the caller cannot promise that: not reported */
	out.n = 0;
	KT_EXPECT_EQ(mm_audit(&mm, NULL, 1, &upmm, &rep, collect, NULL), 0);
	set_pte(pp, saved);
	mm->rss_anon++;
	EXPECT_CLEAN();
}

static void t_detects_shared_anon_refcount_and_offset(void)
{
	uintptr_t s = map(AREA, 2 * PG, RW, MAP_SHARED);
	struct page *p;
	pfn_t pfn;

	touch(mm, s + PG, F_WRITE);
	child = dup_mm(mm);
	KT_ASSERT(child);
	p = page_at(mm, s + PG);
	pfn = pfn_at(mm, s + PG);
	KT_EXPECT_EQ(p->refcount, 3);
	p->refcount--;				/* as if the object had not kept its reference */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: shared anonymous page with refcount 2 but mapcount 2 (refcount must be mapcount + 1)",
			  ID, (unsigned long)(s + PG), (unsigned long)pfn));
	p->refcount++;
	EXPECT_CLEAN();
	p->index = 0;				/* mapped at offset 1 */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 2);		/* seen from both mms */
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: shared object page at offset 0 mapped where the vma has offset 1",
			  CHILD_ID, (unsigned long)(s + PG), (unsigned long)pfn));
	p->index = 1;
	EXPECT_CLEAN();
}

static void t_detects_page_kind_mismatch(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct page *p;
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	p = page_at(mm, a);
	pfn = pfn_at(mm, a);
	page_clear_flag(p, PG_anon);
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: page without PG_anon in private anonymous memory",
			  ID, (unsigned long)a, (unsigned long)pfn));
	KT_EXPECT(emitted("audit: mm %d: rss_anon 1 but 0 anonymous pages mapped", ID));
	page_set_flag(p, PG_anon);
	EXPECT_CLEAN();
}

static void t_detects_non_present_pte(void)
{
	uintptr_t a = map(AREA, 2 * PG, RW, PRIV);
	pte_t *pp;

	touch(mm, a, F_WRITE);
	pp = ptep(mm, a + PG);
	set_pte(pp, (pte_t){ 0x1000 });		/* not present, not none: a swap entry */
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn 0: non-present pte 0x1000 (no swap entries exist)",
			  ID, (unsigned long)(a + PG)));
	pte_clear(pp);
	EXPECT_CLEAN();
}

static void t_detects_mm_counter_mismatches(void)
{
	populate();
	mm->rss_anon++;
	mm->rss_shared--;
	mm->total_vm += 3;
	mm->map_count--;
	mm->pt.nr_table_pages++;
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 5);
	KT_EXPECT(emitted("audit: mm %d: rss_anon %lu but %lu anonymous pages mapped", ID,
			  mm->rss_anon, mm->rss_anon - 1));
	KT_EXPECT(emitted("audit: mm %d: rss_shared %lu but %lu other pages mapped", ID,
			  mm->rss_shared, mm->rss_shared + 1));
	KT_EXPECT(emitted("audit: mm %d: total_vm %lu but the vmas cover %lu pages", ID,
			  mm->total_vm, mm->total_vm - 3));
	KT_EXPECT(emitted("audit: mm %d: map_count %u but %u vmas", ID, mm->map_count,
			  mm->map_count + 1));
	KT_EXPECT(emitted("audit: mm %d: nr_table_pages %lu but %lu tables reached", ID,
			  mm->pt.nr_table_pages, mm->pt.nr_table_pages - 1));
	mm->rss_anon--;
	mm->rss_shared++;
	mm->total_vm -= 3;
	mm->map_count++;
	mm->pt.nr_table_pages--;
	EXPECT_CLEAN();
}

static void t_detects_table_page_not_a_table(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	struct page *table;
	pfn_t tpfn;

	touch(mm, a, F_WRITE);
	tpfn = PHYS_PFN(virt_to_phys(ptep(mm, a)));
	table = pmm_pfn_to_page(&upmm, tpfn);
	page_clear_flag(table, PG_pgtable);
	KT_EXPECT_EQ(audit(), -EINVAL);
	KT_EXPECT_EQ(rep.errors, 1);
	KT_EXPECT(emitted("audit: mm %d va %#lx: pfn %#lx: level 1 table is not an allocated page-table page (flags %#lx refcount 1)",
			  ID, (unsigned long)(a & ~(PMD_SIZE - 1)), (unsigned long)tpfn, table->flags));
	page_set_flag(table, PG_pgtable);
	EXPECT_CLEAN();
}

/* An audit that leaves out an mm sharing pages sees their mapcounts unexplained. */
static void t_leaving_out_a_sharer_is_reported(void)
{
	uintptr_t a = map(AREA, PG, RW, PRIV);
	pfn_t pfn;

	touch(mm, a, F_WRITE);
	pfn = pfn_at(mm, a);
	child = dup_mm(mm);
	KT_ASSERT(child);
	out.n = 0;
	KT_EXPECT_EQ(mm_audit(&mm, NULL, 1, &upmm, &rep, collect, NULL), -EINVAL);
	KT_EXPECT(emitted("audit: mm 0 va %#lx: pfn %#lx: mapcount 2 but 1 ptes map it",
			  (unsigned long)a, (unsigned long)pfn));
}

static void t_out_of_memory_is_enomem(void)
{
	struct page **held = malloc(USER_PAGES * sizeof(*held));
	size_t n = 0;
	struct page *p;

	populate();
	while ((p = pmm_alloc_pages(&upmm, 0, 0)))
		held[n++] = p;
	out.n = 0;
	KT_EXPECT_EQ(mm_audit(&mm, NULL, 1, &upmm, &rep, collect, NULL), -ENOMEM);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), 0);
	KT_EXPECT(!rwsem_is_locked(&mm->mmap_lock));
	/* three of the four counter pages (4096 pfns): the ones it got go back */
	for (int i = 0; i < 3; i++)
		pmm_free_pages(&upmm, held[--n], 0);
	KT_EXPECT_EQ(mm_audit(&mm, NULL, 1, &upmm, &rep, collect, NULL), -ENOMEM);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), 3);
	pmm_free_pages(&upmm, held[--n], 0);
	KT_EXPECT_EQ(mm_audit(&mm, NULL, 1, &upmm, &rep, collect, NULL), 0);
	KT_EXPECT_EQ(pmm_nr_free(&upmm), 4);
	while (n)
		pmm_free_pages(&upmm, held[--n], 0);
	free(held);
}

/* ---- registration: every case in both modes ---- */

#define AUDIT_CASES(X)							\
	X(t_empty_mm_is_clean, "an empty address space is clean") \
	X(t_clean_after_faults_with_exact_counts, "clean after faults of every kind, with exact pte and page counts") \
	X(t_listing_an_mm_twice_counts_it_once, "an mm listed twice is audited once") \
	X(t_clean_after_fork_and_cow_breaks, "clean after dup_mm and COW breaks on both sides") \
	X(t_clean_after_exit_of_either_side, "clean after the parent of a fork exits") \
	X(t_clean_after_munmap_mprotect_mremap_madvise, "clean after munmap, mprotect, mremap, madvise(DONTNEED) and brk on forked mms") \
	X(t_detects_mapcount_off_by_one, "a mapcount off by one is reported with mm, va and pfn") \
	X(t_detects_refcount_off, "a refcount off by one either way is reported") \
	X(t_detects_writable_private_pte_to_page_mapped_twice, "a writable private pte to a page mapped twice is reported as skipped COW") \
	X(t_detects_pte_to_freed_page, "a pte to a freed page is reported") \
	X(t_detects_pte_to_page_table_page, "a pte to a page-table page is reported") \
	X(t_detects_pte_outside_vmas_and_beyond_vma_rights, "a pte outside every vma, a writable zero page, a pte writable beyond its vma are reported") \
	X(t_detects_mapcount_no_pte_accounts_for, "a mapcount no pte accounts for is reported when every mm is listed") \
	X(t_detects_shared_anon_refcount_and_offset, "shared anonymous pages: the object's reference and the offset are checked") \
	X(t_detects_page_kind_mismatch, "a page without PG_anon in private anonymous memory is reported") \
	X(t_detects_non_present_pte, "a non-present, non-none pte is reported") \
	X(t_detects_mm_counter_mismatches, "rss, total_vm, map_count and table-page counts are checked") \
	X(t_detects_table_page_not_a_table, "a table page that is not PG_pgtable is reported") \
	X(t_leaving_out_a_sharer_is_reported, "an audit missing one sharer of a page reports its mapcount") \
	X(t_out_of_memory_is_enomem, "no memory for the counters is -ENOMEM, with nothing held or leaked")

#define DEFINE_MODE_WRAPPERS(fn, desc)					\
	static void fn##_l4(void) { run_in_mode(4, fn); }		\
	static void fn##_l5(void) { run_in_mode(5, fn); }
AUDIT_CASES(DEFINE_MODE_WRAPPERS)

#define CASE_L4(fn, desc)	KT_CASE(fn##_l4, "4-level: " desc),
#define CASE_L5(fn, desc)	KT_CASE(fn##_l5, "5-level: " desc),

static const struct kt_case cases[] = {
	AUDIT_CASES(CASE_L4)
	AUDIT_CASES(CASE_L5)
};

int main(void)
{
	int ret;

	fake_mm_machine_init(RAM_BASE_PFN, KERNEL_PAGES, USER_PAGES);
	ret = kt_run_suite("audit", cases, KT_N(cases));
	fake_ram_free();
	return ret;
}
