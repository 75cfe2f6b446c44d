/*
 * anon_zero: reading untouched anonymous memory returns zeros and maps the
 * shared zero page: the resident set does not grow; writing does.
 */
#include "utest.h"
#include <sys/mman.h>
#include <sys/resource.h>

#define PAGES	256
#define PG	4096

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(void)
{
	volatile unsigned char *p;
	long rss0, rss1, rss2, flt0, flt1;
	unsigned long sum = 0;
	int ok = 1;

	ut_plan("anon_zero", 5);
	p = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ut_bail("mmap");
	madvise((void *)p, PAGES * PG, MADV_NOHUGEPAGE);
	rss0 = ut_resident_pages();
	flt0 = minflt();
	for (int i = 0; i < PAGES; i++)
		sum += p[i * PG] + p[i * PG + PG - 1];
	flt1 = minflt();
	rss1 = ut_resident_pages();
	ut_ok(sum == 0, "read of untouched anonymous memory returns zeros");
	ut_ok(flt1 - flt0 >= PAGES, "each first read of a page is a minor fault");
	if (!ut_ok(rss0 >= 0 && rss1 - rss0 < PAGES / 8,
		   "reads map the shared zero page: the resident set does not grow"))
		ut_diag("resident grew by %ld pages over %d reads", rss1 - rss0, PAGES);
	for (int i = 0; i < PAGES; i++)
		p[i * PG + 7] = (unsigned char)i;
	rss2 = ut_resident_pages();
	if (!ut_ok(rss2 - rss1 >= PAGES, "writes give every page its own frame"))
		ut_diag("resident grew by %ld pages over %d writes", rss2 - rss1, PAGES);
	for (int i = 0; i < PAGES; i++)
		ok &= p[i * PG + 7] == (unsigned char)i && p[i * PG] == 0;
	ut_ok(ok, "written bytes read back, the rest of each page stays zero");
	munmap((void *)p, PAGES * PG);
	return ut_done();
}
