/*
 * In-kernel tests of the memory consistency audit (mm/audit.c) on the real
 * kernel_pmm and of its /proc/pagoda/audit file (fs/procfs.c), `ktest=audit`.
 *
 * Each case builds private address spaces with mm_create() + mm_mmap() and
 * faults pages in through access_remote_vm(), as exec fills a new mm; fork
 * is dup_mm(). A case that corrupts a count repairs it before it returns,
 * and every mm is put, so the runner's free-page check holds.
 */
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/ktest.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/vsprintf.h>
#include <mm/arch.h>
#include <mm/audit.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>

#define AU_PRIV		0x40000000UL	/* 8 private pages */
#define AU_SHARED	0x40200000UL	/* 2 shared anonymous pages */
#define AU_LINES	8

static struct {
	unsigned int n;
	char line[AU_LINES][192];
} au_out;

static void au_collect(const char *line, void *ctx)
{
	if (au_out.n < AU_LINES)
		snprintf(au_out.line[au_out.n], sizeof(au_out.line[0]), "%s", line);
	au_out.n++;
}

static bool au_emitted(const char *want)
{
	for (unsigned int i = 0; i < au_out.n && i < AU_LINES; i++)
		if (!strcmp(au_out.line[i], want))
			return true;
	return false;
}

static int au_run(struct mm_struct **mms, unsigned int nr, struct audit_report *rep)
{
	static const int ids[] = { 1, 2 };

	au_out.n = 0;
	return mm_audit(mms, ids, nr, &kernel_pmm, rep, au_collect, NULL);
}

/*
 * A fresh mm with AU_PRIV (pages 0..3 written, 4..7 read: the zero page)
 * and AU_SHARED (page 0 written). NULL (and failed) if anything fails.
 */
static struct mm_struct *au_mm(struct ktest *t)
{
	struct mm_struct *mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	u8 b = 0x5a;

	if (!mm) {
		ktest_fail(t, __FILE__, __LINE__, "mm_create: -ENOMEM");
		return NULL;
	}
	if (mm_mmap(mm, AU_PRIV, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) != (long)AU_PRIV ||
	    mm_mmap(mm, AU_SHARED, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) != (long)AU_SHARED)
		goto fail;
	for (int i = 0; i < 8; i++)
		if (access_remote_vm(mm, AU_PRIV + i * PAGE_SIZE, &b, 1, i < 4))
			goto fail;
	if (access_remote_vm(mm, AU_SHARED, &b, 1, true))
		goto fail;
	return mm;
fail:
	ktest_fail(t, __FILE__, __LINE__, "could not build the test mm");
	mm_put(mm);
	return NULL;
}

static struct page *au_page(struct mm_struct *mm, uintptr_t va, pfn_t *pfn)
{
	pte_t *pte = pt_lookup_pte(&mm->pt, va);

	*pfn = pte ? pte_pfn(*pte) : 0;
	return pte && pte_present(*pte) ? pfn_to_page(*pfn) : NULL;
}

static void t_clean_after_faults(struct ktest *t)
{
	struct mm_struct *mm = au_mm(t);
	struct audit_report rep;

	KTEST_ASSERT(t, mm != NULL);
	KTEST_EXPECT_EQ(t, au_run(&mm, 1, &rep), 0);
	KTEST_EXPECT_EQ(t, rep.errors, 0);
	KTEST_EXPECT_EQ(t, au_out.n, 0);
	KTEST_EXPECT_EQ(t, rep.mms, 1);
	KTEST_EXPECT_EQ(t, rep.ptes, 9);
	KTEST_EXPECT_EQ(t, rep.pages, 5);
	mm_put(mm);
}

static void t_clean_after_fork_and_cow(struct ktest *t)
{
	struct mm_struct *mms[2] = { au_mm(t), NULL };
	struct audit_report rep;
	u8 b = 0x77, r = 0;

	KTEST_ASSERT(t, mms[0] != NULL);
	mms[1] = dup_mm(mms[0]);
	if (!mms[1]) {
		mm_put(mms[0]);
		KTEST_ASSERT(t, mms[1] != NULL);
	}
	KTEST_EXPECT_EQ(t, au_run(mms, 2, &rep), 0);
	KTEST_EXPECT_EQ(t, rep.ptes, 18);
	KTEST_EXPECT_EQ(t, rep.pages, 5);
	KTEST_EXPECT_EQ(t, access_remote_vm(mms[1], AU_PRIV, &b, 1, true), 0);	/* child copies */
	KTEST_EXPECT_EQ(t, access_remote_vm(mms[0], AU_PRIV, &b, 1, true), 0);	/* parent reuses */
	KTEST_EXPECT_EQ(t, access_remote_vm(mms[1], AU_SHARED, &b, 1, true), 0);
	KTEST_EXPECT_EQ(t, access_remote_vm(mms[0], AU_SHARED, &r, 1, false), 0);
	KTEST_EXPECT_EQ(t, r, 0x77);
	KTEST_EXPECT_EQ(t, au_run(mms, 2, &rep), 0);
	KTEST_EXPECT_EQ(t, rep.pages, 6);
	for (unsigned int i = 0; i < au_out.n && i < AU_LINES; i++)
		ktest_fail(t, __FILE__, __LINE__, "%s", au_out.line[i]);
	mm_put(mms[1]);
	mm_put(mms[0]);
}

static void t_corrupt_mapcount_reported_then_repaired(struct ktest *t)
{
	struct mm_struct *mm = au_mm(t);
	struct audit_report rep;
	char want[192];
	struct page *p;
	pfn_t pfn;

	KTEST_ASSERT(t, mm != NULL);
	p = au_page(mm, AU_PRIV + PAGE_SIZE, &pfn);
	if (!p)
		mm_put(mm);
	KTEST_ASSERT(t, p != NULL);
	p->mapcount++;
	KTEST_EXPECT_EQ(t, au_run(&mm, 1, &rep), -EINVAL);
	p->mapcount--;
	KTEST_EXPECT_EQ(t, rep.errors, 3);		/* the pte is writable, too */
	snprintf(want, sizeof(want), "audit: mm 1 va %#lx: pfn %#lx: mapcount 2 but 1 ptes map it",
		 AU_PRIV + PAGE_SIZE, (unsigned long)pfn);
	KTEST_EXPECT(t, au_emitted(want));
	snprintf(want, sizeof(want),
		 "audit: mm 1 va %#lx: pfn %#lx: anonymous page with refcount 1 but mapcount 2 (refcount must equal mapcount)",
		 AU_PRIV + PAGE_SIZE, (unsigned long)pfn);
	KTEST_EXPECT(t, au_emitted(want));
	snprintf(want, sizeof(want),
		 "audit: mm 1 va %#lx: pfn %#lx: writable pte in a private mapping, but mapcount 2 refcount 1 (copy-on-write skipped)",
		 AU_PRIV + PAGE_SIZE, (unsigned long)pfn);
	KTEST_EXPECT(t, au_emitted(want));
	for (unsigned int i = 0; i < au_out.n && i < AU_LINES; i++)
		if (rep.errors != 3)
			ktest_fail(t, __FILE__, __LINE__, "%s", au_out.line[i]);
	KTEST_EXPECT_EQ(t, au_run(&mm, 1, &rep), 0);
	KTEST_EXPECT_EQ(t, rep.errors, 0);
	mm_put(mm);
}

/* Read /proc/pagoda/audit whole into @buf (NUL terminated). Length or -errno. */
static long au_read_proc(char *buf, size_t len)
{
	long err, n, total = 0;
	struct file *f = file_open("/proc/pagoda/audit", O_RDONLY, &err);

	if (!f)
		return err;
	while ((size_t)total < len - 1 &&
	       (n = kernel_read(f, buf + total, len - 1 - total, &f->pos)) > 0)
		total += n;
	buf[total] = '\0';
	file_put(f);
	return total;
}

/*
 * /proc/pagoda/audit with the test mm as the current task's: clean with
 * the exact counts, then a corrupted mapcount shows its line and the error
 * count. CR3 follows current->mm, as ktest_uaccess does it.
 */
static void t_proc_file_reports(struct ktest *t)
{
	static char text[2048];
	struct mm_struct *mm = au_mm(t), *saved;
	static char want[512];
	struct page *p;
	pfn_t pfn;
	long n;

	KTEST_ASSERT(t, mm != NULL);
	preempt_disable();
	saved = current->mm;
	current->mm = mm;
	arch_load_page_table(virt_to_phys(mm->pt.pgd));
	preempt_enable();

	n = au_read_proc(text, sizeof(text));
	KTEST_EXPECT(t, n > 0);
	KTEST_EXPECT(t, !strcmp(text, "audit: clean (1 address spaces, 9 ptes, 5 pages)\n"));
	if (strcmp(text, "audit: clean (1 address spaces, 9 ptes, 5 pages)\n"))
		ktest_fail(t, __FILE__, __LINE__, "read: %s", text);

	p = au_page(mm, AU_SHARED, &pfn);
	if (p) {
		p->mapcount++;
		n = au_read_proc(text, sizeof(text));
		p->mapcount--;
		snprintf(want, sizeof(want),
			 "audit: mm %d va %#lx: pfn %#lx: mapcount 2 but 1 ptes map it\n"
			 "audit: mm %d va %#lx: pfn %#lx: shared anonymous page with refcount 2 but mapcount 2 (refcount must be mapcount + 1)\n"
			 "audit: 2 errors\n", current->pid, AU_SHARED, (unsigned long)pfn,
			 current->pid, AU_SHARED, (unsigned long)pfn);
		KTEST_EXPECT(t, !strcmp(text, want));
		if (strcmp(text, want))
			ktest_fail(t, __FILE__, __LINE__, "read: %s", text);
	}
	KTEST_EXPECT(t, p != NULL);

	preempt_disable();
	current->mm = saved;
	arch_load_page_table(virt_to_phys(saved ? saved->pt.pgd : kernel_pt.pgd));
	preempt_enable();
	mm_put(mm);
}

static const struct ktest_case audit_cases[] = {
	KTEST_CASE(t_clean_after_faults, "clean on a fresh mm with faulted pages, exact counts"),
	KTEST_CASE(t_clean_after_fork_and_cow, "clean after dup_mm and COW breaks"),
	KTEST_CASE(t_corrupt_mapcount_reported_then_repaired, "a corrupted mapcount is reported with va and pfn, clean once repaired"),
	KTEST_CASE(t_proc_file_reports, "/proc/pagoda/audit: clean summary, then the violation and the error count"),
};

KTEST_SUITE(audit_suite, "audit", audit_cases);
