/*
 * map_fixed: MAP_FIXED replaces the contents of exactly the range it
 * covers; MAP_FIXED_NOREPLACE refuses an occupied range with EEXIST; a
 * plain hint over an occupied range is not honoured and replaces nothing.
 */
#include "utest.h"
#include <sys/mman.h>

#define PG	4096UL

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void)
{
	unsigned char *p, *q, *r;
	int ok = 1;

	ut_plan("map_fixed", 5);
	p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ut_bail("mmap");
	memset(p, 'A', 4 * PG);
	q = mmap(p + PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ut_ok(q == p + PG, "MAP_FIXED returns the address asked for");
	for (unsigned long i = PG; i < 3 * PG; i++)
		ok &= p[i] == 0;
	ut_ok(ok && p[PG - 1] == 'A' && p[3 * PG] == 'A',
	      "MAP_FIXED replaces the contents of its range, and only of it");
	errno = 0;
	r = mmap(p, PG, PROT_READ, MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ut_ok(r == MAP_FAILED && errno == EEXIST,
	      "MAP_FIXED_NOREPLACE over a mapping fails with EEXIST");
	r = mmap(p, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ut_ok(r != MAP_FAILED && (r + PG <= p || r >= p + 4 * PG) && p[0] == 'A',
	      "a hint over a mapping is moved elsewhere and replaces nothing");
	errno = 0;
	r = mmap(p + 1, PG, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ut_ok(r == MAP_FAILED && errno == EINVAL, "MAP_FIXED at an unaligned address is EINVAL");
	return ut_done();
}
