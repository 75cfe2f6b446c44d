/*
 * cow_exec: what ends a process's share of copy-on-write memory. A child
 * that wrote some COW pages and then execs starts a fresh image with none of
 * the parent's memory, and the parent keeps its pages; a failed execve
 * leaves the child's memory as it was; a child that exits holding COW pages
 * and private copies leaves the parent's pages and resident set alone.
 * (That exit and exec free exactly the child's own pages is checked by the
 * test init: the free-page count after each program equals the one before.)
 *
 * usage: cow_exec                      the tests
 *        cow_exec exec-child ADDR N    the image a child execs: checks that
 *                                      the N pages at ADDR (hex) are gone
 */
#include "cow_common.h"

#define PAGES		256	/* 1 MiB: more than the exec'd image's resident set */
#define CHILD_WRITES	16
#define EXIT_PAGES	64
#define OWN_PAGES	16

enum { FRESH_DATA, NO_OLD_MAPPING, SMALL_RSS };		/* the exec'd image's checks */

static int marker = 1;			/* initialized data: 1 in a fresh image */
static unsigned char *buf;
static const char *self;		/* argv[0] */

/* ---- the image a child execs ---- */

static int exec_child(const char *addr_arg, const char *pages_arg)
{
	unsigned long addr = strtoul(addr_arg, NULL, 16);
	long pages = atol(pages_arg), rss = ut_resident_pages();
	struct ut_vma vma[1];
	int bad = 0;

	if (marker != 1)
		bad |= COW_BIT(FRESH_DATA);
	if (ut_maps_in(addr, addr + (unsigned long)pages * PG, vma, 1) != 0)
		bad |= COW_BIT(NO_OLD_MAPPING);
	if (rss <= 0 || rss >= pages)
		bad |= COW_BIT(SMALL_RSS);
	return bad;
}

/* ---- fork, write, exec ---- */

static int child_execs(void *arg)
{
	char addr[32], pages[16];
	char *argv[] = { (char *)self, "exec-child", addr, pages, NULL };

	(void)arg;
	cow_fill(buf, CHILD_WRITES, 121);	/* private copies the exec must free */
	snprintf(addr, sizeof(addr), "%lx", (unsigned long)buf);
	snprintf(pages, sizeof(pages), "%d", PAGES);
	execve(self, argv, (char *[]){ NULL });
	return COW_ALL_FAILED;
}

static void fork_exec(void)
{
	long rss0, rss1, rss2;
	int st;

	cow_fill(buf, PAGES, 120);
	marker = 2;
	rss0 = ut_resident_pages();
	st = cow_wait_child(cow_fork(child_execs, NULL));
	rss1 = ut_resident_pages();
	if (st == (COW_ALL_FAILED & 0xff))
		ut_diag("the child could not exec %s", self);
	cow_ok_child(st, FRESH_DATA, "the exec'd program starts with its own initialized data");
	cow_ok_child(st, NO_OLD_MAPPING, "the exec'd program does not have the parent's mappings");
	cow_ok_child(st, SMALL_RSS,
		     "the exec'd program's resident set does not hold the parent's pages");
	ut_ok(cow_holds(buf, PAGES, 120),
	      "the parent's pages are intact after its child wrote some and exec'd");
	if (!ut_ok(rss0 > 0 && rss1 == rss0,
		   "the parent's resident set is the same as before the fork"))
		ut_diag("it changed by %ld pages", rss1 - rss0);
	cow_fill(buf, PAGES, 122);
	rss2 = ut_resident_pages();
	ut_ok(cow_holds(buf, PAGES, 122) && rss2 == rss1,
	      "the parent writes all its pages after the exec without adding a resident page");
	marker = 1;
}

/* ---- a failed execve ---- */

static int child_fails_exec(void *arg)
{
	char *argv[] = { "/nonexistent/cow_exec", NULL };
	int bad = 0;

	(void)arg;
	cow_fill(buf, CHILD_WRITES, 124);
	if (execve(argv[0], argv, (char *[]){ NULL }) != -1 || errno != ENOENT)
		bad |= COW_BIT(0);
	if (!cow_holds(buf, CHILD_WRITES, 124) ||
	    !cow_holds(buf + CHILD_WRITES * PG, PAGES - CHILD_WRITES, 123 + CHILD_WRITES))
		bad |= COW_BIT(1);
	cow_fill(buf, PAGES, 125);
	if (!cow_holds(buf, PAGES, 125))
		bad |= COW_BIT(2);
	return bad;
}

static void failed_exec(void)
{
	int st;

	cow_fill(buf, PAGES, 123);
	st = cow_wait_child(cow_fork(child_fails_exec, NULL));
	cow_ok_child(st, 0,
		     "execve of a missing file fails with ENOENT in a child holding COW pages");
	cow_ok_child(st, 1, "the failed execve leaves the child's memory as it was");
	cow_ok_child(st, 2, "the child writes all its pages after the failed execve");
	ut_ok(cow_holds(buf, PAGES, 123),
	      "the parent's pages are intact after its child's failed execve");
}

/* ---- exit holding COW pages and private copies ---- */

static int child_exits(void *arg)
{
	unsigned char *own;
	long rss0, rss1;

	(void)arg;
	rss0 = ut_resident_pages();
	cow_fill(buf, EXIT_PAGES / 2, 131);	/* copies: replace shared pages */
	own = cow_map(OWN_PAGES);
	if (!own)
		return COW_ALL_FAILED;
	cow_fill(own, OWN_PAGES, 132);		/* new pages */
	rss1 = ut_resident_pages();
	return rss0 > 0 && rss1 - rss0 == OWN_PAGES ? 0 : COW_BIT(0);
}

static void exit_holding(void)
{
	long rss0, rss1, rss2;
	int st;

	cow_fill(buf, EXIT_PAGES, 130);
	rss0 = ut_resident_pages();
	st = cow_wait_child(cow_fork(child_exits, NULL));
	rss1 = ut_resident_pages();
	cow_ok_child(st, 0,
		"a child's COW copies replace shared pages, its new pages add to its resident set");
	ut_ok(cow_holds(buf, EXIT_PAGES, 130),
	      "the parent's pages are intact after the child exited holding COW pages");
	if (!ut_ok(rss0 > 0 && rss1 == rss0,
		   "the child's copies and exit leave the parent's resident set alone"))
		ut_diag("it changed by %ld pages", rss1 - rss0);
	cow_fill(buf, EXIT_PAGES, 133);
	rss2 = ut_resident_pages();
	ut_ok(cow_holds(buf, EXIT_PAGES, 133) && rss2 == rss1,
	      "the parent writes its pages after the exit without adding a resident page");
}

int main(int argc, char **argv)
{
	static void (*const cases[])(void) = { fork_exec, failed_exec, exit_holding };

	if (argc == 4 && !strcmp(argv[1], "exec-child"))
		return exec_child(argv[2], argv[3]);
	self = argv[0];
	ut_plan("cow_exec", 14);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = cow_map(PAGES);
		if (!buf)
			return ut_bail("mmap");
		cases[i]();
		munmap(buf, PAGES * PG);
	}
	return ut_done();
}
