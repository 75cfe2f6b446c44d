/*
 * munmap_split: munmap of the middle of a mapping splits it in two, and
 * mprotect of the middle in three, as /proc/self/maps shows; mprotect back
 * merges the pieces. Compared by structure relative to the mapping, never
 * by absolute address.
 */
#include "utest.h"
#include <sys/mman.h>

#define PG	4096UL

static unsigned long base;

/* "+OFF-+END perms" of each piece within [base, base + 16 pages). */
static int pieces(char *out, size_t len)
{
	struct ut_vma v[8];
	int n = ut_maps_in(base, base + 16 * PG, v, 8);
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, len - used, "%s+%lu-+%lu %s",
					 i ? ", " : "", (v[i].start - base) / PG,
					 (v[i].end - base) / PG, v[i].perms);
	return n;
}

static int expect_pieces(const char *want, const char *behaviour)
{
	char got[256];

	pieces(got, sizeof(got));
	if (!ut_ok(!strcmp(got, want), behaviour))
		ut_diag("pages: %s; expected %s", got, want);
	return 0;
}

int main(void)
{
	unsigned char *p;

	ut_plan("munmap_split", 5);
	/* a guard page either side so no neighbour merges into the view */
	p = mmap(NULL, 18 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ut_bail("mmap");
	base = (unsigned long)p + PG;
	mmap((void *)base, 16 * PG, PROT_READ | PROT_WRITE,
	     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset((void *)base, 1, 16 * PG);
	expect_pieces("+0-+16 rw-p", "a fresh mapping is one VMA");
	munmap((void *)(base + 4 * PG), 4 * PG);
	expect_pieces("+0-+4 rw-p, +8-+16 rw-p", "munmap of the middle splits it in two");
	mprotect((void *)(base + 10 * PG), 2 * PG, PROT_READ);
	expect_pieces("+0-+4 rw-p, +8-+10 rw-p, +10-+12 r--p, +12-+16 rw-p",
		      "mprotect of the middle splits it in three");
	mprotect((void *)(base + 10 * PG), 2 * PG, PROT_READ | PROT_WRITE);
	expect_pieces("+0-+4 rw-p, +8-+16 rw-p", "mprotect back merges the three pieces");
	ut_ok(((unsigned char *)base)[9 * PG] == 1 && ((unsigned char *)base)[15 * PG] == 1,
	      "the contents survive the splits and merges");
	return ut_done();
}
