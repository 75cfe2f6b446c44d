/*
 * wp_after_read: a write to a page that was first read (mapped to the zero
 * page) gets a private page of its own; the zero page stays zero.
 */
#include "utest.h"
#include <sys/mman.h>

#define PG	4096

int main(void)
{
	volatile unsigned char *p, *q;
	long rss0, rss1;

	ut_plan("wp_after_read", 4);
	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || q == MAP_FAILED)
		return ut_bail("mmap");
	madvise((void *)p, 2 * PG, MADV_NOHUGEPAGE);
	ut_ok(p[0] == 0 && p[PG] == 0 && q[0] == 0, "untouched pages read as zero");
	rss0 = ut_resident_pages();
	p[0] = 42;
	rss1 = ut_resident_pages();
	ut_ok(p[0] == 42 && p[1] == 0, "write after read gets a private page that keeps the value");
	ut_ok(q[0] == 0 && p[PG] == 0, "the other zero-page mappings still read zero");
	if (!ut_ok(rss1 - rss0 == 1, "the write added exactly one resident page"))
		ut_diag("resident grew by %ld pages", rss1 - rss0);
	return ut_done();
}
