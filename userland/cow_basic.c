/*
 * cow_basic: private anonymous memory is copy-on-write across fork. A write
 * by the parent, a child, both, one of three sharers or a grandchild is seen
 * only by the writer; a mapping of the zero page stays the zero page.
 */
#include "cow_common.h"

#define PAGES	4

static struct cow_sync *sync_page;
static unsigned char *buf;

/* ---- parent write invisible to the child ---- */

static int child_reads_original(void *arg)
{
	(void)arg;
	if (cow_wait(sync_page, 0, 1))
		return COW_ALL_FAILED;
	return cow_holds(buf, PAGES, 1) ? 0 : COW_BIT(0);
}

static void parent_write(void)
{
	pid_t pid;

	cow_fill(buf, PAGES, 1);
	pid = cow_fork(child_reads_original, NULL);
	cow_fill(buf, PAGES, 2);
	cow_post(sync_page, 0);
	ut_ok(cow_holds(buf, PAGES, 2), "the parent reads its own write after fork");
	cow_ok_child(cow_wait_child(pid), 0,
		     "the parent's write after fork is invisible to the child");
}

/* ---- child write invisible to the parent ---- */

static int child_writes(void *arg)
{
	int bad = 0;

	(void)arg;
	cow_fill(buf, PAGES, 4);
	if (!cow_holds(buf, PAGES, 4))
		bad |= COW_BIT(0);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 1, 1))	/* hold the copies while the parent looks */
		bad |= COW_BIT(1);
	return bad;
}

static void child_write(void)
{
	pid_t pid;
	int st, seen;

	cow_fill(buf, PAGES, 3);
	pid = cow_fork(child_writes, NULL);
	seen = cow_wait(sync_page, 0, 1) == 0 && cow_holds(buf, PAGES, 3);
	cow_post(sync_page, 1);
	st = cow_wait_child(pid);
	cow_ok_child(st, 0, "the child reads its own write");
	ut_ok(seen && !(st & COW_BIT(1)),
	      "the child's write is invisible to the parent while the child lives");
	ut_ok(cow_holds(buf, PAGES, 3),
	      "the child's write is invisible to the parent after it exited");
}

/* ---- both write ---- */

static int child_writes_too(void *arg)
{
	(void)arg;
	cow_fill(buf, PAGES, 6);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 2))
		return COW_ALL_FAILED;
	return cow_holds(buf, PAGES, 6) ? 0 : COW_BIT(0);
}

static void both_write(void)
{
	pid_t pid;
	int ok;

	cow_fill(buf, PAGES, 5);
	pid = cow_fork(child_writes_too, NULL);
	cow_fill(buf, PAGES, 7);
	cow_post(sync_page, 0);
	ok = cow_wait(sync_page, 0, 2) == 0 && cow_holds(buf, PAGES, 7);
	cow_ok_child(cow_wait_child(pid), 0, "both write: the child sees its own write");
	ut_ok(ok, "both write: the parent sees its own write");
}

/*
 * ---- fork twice before any write ----
 * Three sharers of each page write in turn (counter 0 is the turn): the
 * first child copies, the parent copies from the page the second child
 * still shares, the second child, last holder of the original, writes it.
 */

static int first_child(void *arg)
{
	(void)arg;
	cow_fill(buf, PAGES, 9);
	cow_post(sync_page, 0);				/* turn 1 */
	if (cow_wait(sync_page, 0, 3))
		return COW_ALL_FAILED;
	return cow_holds(buf, PAGES, 9) ? 0 : COW_BIT(0);
}

static int second_child(void *arg)
{
	int bad = 0;

	(void)arg;
	if (cow_wait(sync_page, 0, 2))
		return COW_ALL_FAILED;
	if (!cow_holds(buf, PAGES, 8))
		bad |= COW_BIT(0);
	cow_fill(buf, PAGES, 10);
	cow_post(sync_page, 0);				/* turn 3 */
	if (cow_wait(sync_page, 0, 3) || !cow_holds(buf, PAGES, 10))
		bad |= COW_BIT(1);
	return bad;
}

static void fork_twice(void)
{
	pid_t a, b;
	int original, own, audit, sta, stb;

	cow_fill(buf, PAGES, 8);
	a = cow_fork(first_child, NULL);
	b = cow_fork(second_child, NULL);
	original = cow_wait(sync_page, 0, 1) == 0 && cow_holds(buf, PAGES, 8);
	cow_fill(buf, PAGES, 11);
	/* each page now three: the first child's copy, the parent's, the original */
	audit = cow_audit_clean();
	cow_post(sync_page, 0);				/* turn 2 */
	own = cow_wait(sync_page, 0, 3) == 0 && cow_holds(buf, PAGES, 11);
	sta = cow_wait_child(a);
	stb = cow_wait_child(b);
	cow_ok_child(sta, 0, "after two forks the first child's write is private to it");
	ut_ok(original, "the parent still reads the original after the first child's write");
	cow_ok_child(stb, 0, "the second child still reads the original after two other writes");
	cow_ok_child(stb, 1, "the second child, last holder of the original, writes it privately");
	ut_ok(own, "the parent's write after two forks is private to it");
	ut_ok(audit, "the kernel's memory audit, where it has one, is clean with three processes");
}

/*
 * ---- fork from a child ----
 * Turns: the grandchild writes (1), the child checks and writes (2), the
 * parent checks and writes (3), then each checks its own.
 */

static int grandchild(void *arg)
{
	(void)arg;
	cow_fill(buf, PAGES, 21);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 3))
		return COW_ALL_FAILED;
	return cow_holds(buf, PAGES, 21) ? 0 : COW_BIT(0);
}

static int child_forks(void *arg)
{
	int bad = 0;
	pid_t pid = cow_fork(grandchild, arg);

	if (cow_wait(sync_page, 0, 1) || !cow_holds(buf, PAGES, 20))
		bad |= COW_BIT(0);
	cow_fill(buf, PAGES, 22);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 3) || !cow_holds(buf, PAGES, 22))
		bad |= COW_BIT(1);
	if (cow_wait_child(pid))
		bad |= COW_BIT(2);
	return bad;
}

static void fork_from_child(void)
{
	pid_t pid;
	int original, own, st;

	cow_fill(buf, PAGES, 20);
	pid = cow_fork(child_forks, NULL);
	original = cow_wait(sync_page, 0, 2) == 0 && cow_holds(buf, PAGES, 20);
	cow_fill(buf, PAGES, 23);
	cow_post(sync_page, 0);
	own = cow_holds(buf, PAGES, 23);
	st = cow_wait_child(pid);
	cow_ok_child(st, 2, "the grandchild's write is private to it");
	cow_ok_child(st, 0, "the child still reads the original after the grandchild's write");
	cow_ok_child(st, 1, "the child's write is private to it after forking a grandchild");
	ut_ok(original, "the parent still reads the original after its child and grandchild wrote");
	ut_ok(own, "the parent's write is private to it after a grandchild");
}

/*
 * ---- the zero page across fork ----
 * The parent only reads, so every page maps the zero page. The child writes
 * pages 0-1 (turn 1), the parent pages 2-3 (turn 2).
 */

static int zero_child(void *arg)
{
	long rss0, rss1;
	int bad = 0;

	(void)arg;
	rss0 = ut_resident_pages();
	buf[0] = 0x5a;
	buf[PG] = 0xa5;
	rss1 = ut_resident_pages();
	if (buf[0] != 0x5a || buf[1] != 0 || buf[PG] != 0xa5 || buf[PG + 1] != 0)
		bad |= COW_BIT(0);
	if (rss0 < 0 || rss1 - rss0 != 2)
		bad |= COW_BIT(1);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 2) || !cow_holds(buf + 2 * PG, 2, COW_ZEROS) || buf[0] != 0x5a)
		bad |= COW_BIT(2);
	return bad;
}

static void zero_page(void)
{
	long rss0, rss1, rss2;
	pid_t pid;
	int zeros, st;

	rss0 = ut_resident_pages();
	zeros = cow_holds(buf, PAGES, COW_ZEROS);
	rss1 = ut_resident_pages();
	pid = cow_fork(zero_child, NULL);
	zeros &= cow_wait(sync_page, 0, 1) == 0 && cow_holds(buf, PAGES, COW_ZEROS);
	rss2 = ut_resident_pages();
	buf[2 * PG] = 1;
	buf[3 * PG] = 2;
	cow_post(sync_page, 0);
	st = cow_wait_child(pid);
	if (!ut_ok(zeros && rss0 >= 0 && rss1 == rss0,
		   "reading untouched memory maps the zero page: the resident set does not grow"))
		ut_diag("resident grew by %ld pages on reading %d pages", rss1 - rss0, PAGES);
	ut_ok(zeros, "the parent still reads zeros after the child wrote the zero-page mapping");
	if (!ut_ok(rss2 == rss1, "the child's writes did not grow the parent's resident set"))
		ut_diag("the parent's resident set grew by %ld pages", rss2 - rss1);
	cow_ok_child(st, 0, "the child's writes to the zero-page mapping land in private pages");
	cow_ok_child(st, 1, "each of the child's writes added one resident page to the child");
	cow_ok_child(st, 2, "the child still reads zeros where the parent wrote after fork");
}

int main(void)
{
	static void (*const cases[])(void) = {
		parent_write, child_write, both_write, fork_twice, fork_from_child, zero_page,
	};

	ut_plan("cow_basic", 24);
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
