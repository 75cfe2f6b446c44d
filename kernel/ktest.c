/*
 * The in-kernel test runner: runs the suites gathered in .ktest_suites and
 * prints KTAP (KUnit dialect) on the console. After each suite it checks
 * that the free-page count is back to where it was, and reports that check
 * as the suite's last case (xv6's countfree idea).
 */
#include <pagoda/ktest.h>
#include <pagoda/xarray.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <stdarg.h>
#include <pagoda/vsprintf.h>

extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("    # %s: %s:%d: %s\n", t->name, file, line, msg);
	t->failed = true;
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	t->skip_reason = reason;
}

/* Is @name one of the comma-separated names in @filter? Empty = all. */
static bool selected(const char *filter, const char *name)
{
	size_t nl = strlen(name);

	if (!filter || !*filter)
		return true;
	for (const char *p = filter; *p;) {
		const char *s = p;

		while (*p && *p != ',')
			p++;
		if ((size_t)(p - s) == nl && !strncmp(s, name, nl))
			return true;
		if (*p == ',')
			p++;
	}
	return false;
}

static void report(unsigned int n, const char *name, const struct ktest *t)
{
	if (t->skipped)
		printk("    ok %u %s # SKIP %s\n", n, name, t->skip_reason);
	else
		printk("    %sok %u %s\n", t->failed ? "not " : "", n, name);
}

/* Give back the empty slabs of the kmalloc caches and of the page-cache index. */
static void settle_caches(void)
{
	xa_shrink_cache();
	kmalloc_shrink();
}

/* Run one suite; returns true if every case passed or was skipped. */
static bool run_suite(const struct ktest_suite *s, unsigned int index)
{
	unsigned long free_before, free_after;
	bool ok = true;
	struct ktest leak = { .name = "free pages restored" };

	printk("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", s->name,
	       s->nr_cases + 1);
	settle_caches();
	free_before = pmm_nr_free(&kernel_pmm);
	for (size_t i = 0; i < s->nr_cases; i++) {
		struct ktest t = { .name = s->cases[i].name };

		s->cases[i].run(&t);
		report(i + 1, t.name, &t);
		ok &= !t.failed;
	}
	settle_caches();
	free_after = pmm_nr_free(&kernel_pmm);
	if (free_after != free_before)
		ktest_fail(&leak, __FILE__, __LINE__, "%lu free pages before, %lu after",
			   free_before, free_after);
	report(s->nr_cases + 1, "free pages restored after the suite", &leak);
	ok &= !leak.failed;
	printk("%sok %u %s\n", ok ? "" : "not ", index, s->name);
	return ok;
}

/* Does a suite called @name (@len bytes, not terminated) exist? */
static bool suite_exists(const char *name, size_t len)
{
	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		if (strlen(s->name) == len && !strncmp(s->name, name, len))
			return true;
	return false;
}

/*
 * Names in @filter that no suite has: each is one failed test (a typo in
 * `ktest=...` must not pass by running nothing). With @index, report each
 * as "not ok INDEX+i NAME # no such suite"; returns how many there are.
 */
static unsigned int unknown_suites(const char *filter, unsigned int *index)
{
	unsigned int n = 0;

	for (const char *p = filter; p && *p;) {
		const char *s = p;

		while (*p && *p != ',')
			p++;
		if (p > s && !suite_exists(s, (size_t)(p - s))) {
			n++;
			if (index)
				printk("not ok %u %.*s # no such suite\n", ++*index,
				       (int)(p - s), s);
		}
		if (*p == ',')
			p++;
	}
	return n;
}

int ktest_run_all(const char *filter)
{
	unsigned int n = 0, index = 0, unknown = unknown_suites(filter, NULL);
	int failed = 0;

	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		n += selected(filter, s->name);
	printk("KTAP version 1\n1..%u\n", n + unknown);
	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		if (selected(filter, s->name))
			failed += !run_suite(s, ++index);
	failed += unknown_suites(filter, &index);
	printk("# ktest: %u suites, %d failed\n", n + unknown, failed);
	return failed;
}
