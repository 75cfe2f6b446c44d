/*
 * cow_vma: copy-on-write survives changes to the mapping around fork. A
 * region read-only at fork, or made read-only and writable again after it,
 * still copies on the first write (mprotect back to PROT_WRITE must not make
 * a shared page writable); munmap of the middle of a forked region in one
 * process leaves the other's whole, and the two pieces left stay private.
 */
#include "cow_common.h"

#define PAGES	8		/* the munmap cases remove pages 3 and 4 */

static struct cow_sync *sync_page;
static unsigned char *buf;

/* Fill / check [first, first + n) of buf with the pattern of seed (page i: seed + i). */
static void fill_range(int first, int n, int seed)
{
	cow_fill(buf + first * PG, n, seed + first);
}

static int holds_range(int first, int n, int seed)
{
	return cow_holds(buf + first * PG, n, seed + first);
}

/* The pages left after the munmap of pages 3 and 4. */
static void fill_outer(int seed)
{
	fill_range(0, 3, seed);
	fill_range(5, 3, seed);
}

static int holds_outer(int seed)
{
	return holds_range(0, 3, seed) && holds_range(5, 3, seed);
}

static int rw(void)
{
	return mprotect(buf, PAGES * PG, PROT_READ | PROT_WRITE);
}

/* ---- read-only at fork ---- */

static int child_of_readonly(void *arg)
{
	int bad = 0;

	(void)arg;
	if (cow_wait(sync_page, 0, 1) || !cow_holds(buf, PAGES, 30))
		bad |= COW_BIT(0);
	if (rw() == 0) {
		cow_fill(buf, PAGES, 32);
		if (!cow_holds(buf, PAGES, 32))
			bad |= COW_BIT(1);
	} else {
		bad |= COW_BIT(1);
	}
	cow_post(sync_page, 0);
	return bad;
}

static void readonly_at_fork(void)
{
	pid_t pid;
	int own, st;

	cow_fill(buf, PAGES, 30);
	if (mprotect(buf, PAGES * PG, PROT_READ))
		ut_diag("mprotect(PROT_READ) failed: %s", strerror(errno));
	pid = cow_fork(child_of_readonly, NULL);
	own = rw() == 0;
	if (own)
		cow_fill(buf, PAGES, 31);
	cow_post(sync_page, 0);
	own &= cow_wait(sync_page, 0, 2) == 0 && cow_holds(buf, PAGES, 31);
	st = cow_wait_child(pid);
	cow_ok_child(st, 0,
		"read-only at fork: the child reads the original after the parent made it writable and wrote");
	cow_ok_child(st, 1,
		"read-only at fork: the child's write after its own mprotect is private to it");
	ut_ok(own, "read-only at fork: the parent's write is private to it");
}

/* ---- mprotect PROT_READ and back after fork ---- */

static int child_of_round_trip(void *arg)
{
	int bad = 0;

	(void)arg;
	if (cow_wait(sync_page, 0, 1) || !cow_holds(buf, PAGES, 33))
		bad |= COW_BIT(0);
	if (mprotect(buf, PAGES * PG, PROT_READ) || rw())
		bad |= COW_BIT(1);
	cow_fill(buf, PAGES, 35);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 3) || !cow_holds(buf, PAGES, 35))
		bad |= COW_BIT(1);
	return bad;
}

static void round_trip_after_fork(void)
{
	pid_t pid;
	int own, st;

	cow_fill(buf, PAGES, 33);
	pid = cow_fork(child_of_round_trip, NULL);
	own = mprotect(buf, PAGES * PG, PROT_READ) == 0 && rw() == 0;
	/* the middle page alone too: split, then merged back */
	own &= mprotect(buf + 3 * PG, PG, PROT_READ) == 0 && rw() == 0;
	if (own)
		cow_fill(buf, PAGES, 34);
	cow_post(sync_page, 0);
	own &= cow_wait(sync_page, 0, 2) == 0 && cow_holds(buf, PAGES, 34);
	cow_post(sync_page, 0);
	st = cow_wait_child(pid);
	cow_ok_child(st, 0,
		"mprotect read-only and back after fork: the parent's write is invisible to the child");
	cow_ok_child(st, 1,
		     "mprotect read-only and back after fork: the child reads its own write");
	ut_ok(own,
		"mprotect read-only and back after fork: the child's write is invisible to the parent");
}

/* ---- munmap of the middle in the parent ---- */

static int child_keeps_all(void *arg)
{
	int bad = 0;

	(void)arg;
	if (cow_wait(sync_page, 0, 1) || !cow_holds(buf, PAGES, 40))
		bad |= COW_BIT(0);
	cow_fill(buf, PAGES, 49);
	if (!cow_holds(buf, PAGES, 49))
		bad |= COW_BIT(1);
	cow_post(sync_page, 0);
	return bad;
}

static void parent_unmaps_middle(void)
{
	pid_t pid;
	int own, audit, st;

	cow_fill(buf, PAGES, 40);
	pid = cow_fork(child_keeps_all, NULL);
	own = munmap(buf + 3 * PG, 2 * PG) == 0;
	if (own)
		fill_outer(41);
	audit = cow_audit_clean();
	cow_post(sync_page, 0);
	own &= cow_wait(sync_page, 0, 2) == 0 && holds_outer(41);
	st = cow_wait_child(pid);
	cow_ok_child(st, 0,
		"the parent's munmap of the middle and writes to the rest leave the child's region whole");
	cow_ok_child(st, 1, "the child writes all of its region, the middle included");
	ut_ok(own,
	      "both pieces left in the parent after munmap of the middle are still copy-on-write");
	ut_ok(audit, "the kernel's memory audit, where it has one, is clean after the munmap");
}

/* ---- munmap of the middle in the child ---- */

static int child_unmaps_middle(void *arg)
{
	int bad = 0;

	(void)arg;
	if (munmap(buf + 3 * PG, 2 * PG))
		bad |= COW_BIT(0);
	fill_outer(51);
	if (!holds_outer(51))
		bad |= COW_BIT(0);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 2) || !holds_outer(51))
		bad |= COW_BIT(1);
	return bad;
}

static void child_unmaps(void)
{
	pid_t pid;
	int intact, st;

	cow_fill(buf, PAGES, 50);
	pid = cow_fork(child_unmaps_middle, NULL);
	intact = cow_wait(sync_page, 0, 1) == 0 && cow_holds(buf, PAGES, 50);
	cow_fill(buf, PAGES, 52);
	cow_post(sync_page, 0);
	st = cow_wait_child(pid);
	cow_ok_child(st, 0,
		"the child's munmap of the middle leaves the rest of its region writable and private");
	ut_ok(intact,
		"the child's munmap of the middle and writes to the rest are invisible to the parent");
	cow_ok_child(st, 1,
		     "the parent's write after the child's munmap is invisible to the child");
	ut_ok(cow_holds(buf, PAGES, 52), "the parent keeps its whole region and its own write");
}

int main(void)
{
	static void (*const cases[])(void) = {
		readonly_at_fork, round_trip_after_fork, parent_unmaps_middle, child_unmaps,
	};

	ut_plan("cow_vma", 14);
	sync_page = cow_sync_map();
	if (!sync_page)
		return ut_bail("mmap(MAP_SHARED|MAP_ANONYMOUS)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = cow_map(PAGES);
		if (!buf)
			return ut_bail("mmap");
		memset(sync_page, 0, sizeof(*sync_page));
		cases[i]();
		munmap(buf, PAGES * PG);
	}
	return ut_done();
}
