/*
 * cow_shared: MAP_SHARED|MAP_ANONYMOUS memory stays shared across fork, in
 * both directions, for pages touched before fork and pages first touched
 * after it, down to a grandchild and after the writer exits; a private
 * mapping next to it stays copy-on-write.
 */
#include "cow_common.h"

#define PAGES	4

static struct cow_sync *sync_page;
static unsigned char *shared, *private;

static unsigned char *map_shared(void)
{
	void *p = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- touched before fork, next to a private mapping ---- */

static int child_of_touched(void *arg)
{
	int bad = 0;

	(void)arg;
	if (!cow_holds(shared, PAGES, 60))
		bad |= COW_BIT(0);
	cow_fill(shared, PAGES, 61);
	cow_fill(private, PAGES, 91);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 2) || !cow_holds(shared, PAGES, 62))
		bad |= COW_BIT(1);
	return bad;
}

static void touched_before_fork(void)
{
	pid_t pid;
	int seen, st;

	cow_fill(shared, PAGES, 60);
	cow_fill(private, PAGES, 90);
	pid = cow_fork(child_of_touched, NULL);
	seen = cow_wait(sync_page, 0, 1) == 0 && cow_holds(shared, PAGES, 61);
	cow_fill(shared, PAGES, 62);
	cow_post(sync_page, 0);
	st = cow_wait_child(pid);
	cow_ok_child(st, 0, "shared mapping: the child reads what the parent wrote before fork");
	ut_ok(seen, "shared mapping: the child's write is visible to the parent");
	cow_ok_child(st, 1, "shared mapping: the parent's write is visible to the child");
	ut_ok(cow_holds(private, PAGES, 90),
	      "the private mapping next to it: the child's write stays private");
	ut_ok(cow_holds(shared, PAGES, 62), "shared mapping: the parent reads its own last write");
}

/* ---- first touched after fork ---- */

static int child_of_untouched(void *arg)
{
	(void)arg;
	cow_fill(shared, 2, 70);
	cow_post(sync_page, 0);
	if (cow_wait(sync_page, 0, 2))
		return COW_ALL_FAILED;
	return cow_holds(shared + 2 * PG, 2, 72) ? 0 : COW_BIT(0);
}

static void touched_after_fork(void)
{
	pid_t pid;
	int seen, audit, st;

	pid = cow_fork(child_of_untouched, NULL);
	seen = cow_wait(sync_page, 0, 1) == 0 && cow_holds(shared, 2, 70);
	cow_fill(shared + 2 * PG, 2, 72);
	audit = cow_audit_clean();
	cow_post(sync_page, 0);
	st = cow_wait_child(pid);
	ut_ok(seen,
	      "shared pages first touched after fork: the child's writes are seen by the parent");
	cow_ok_child(st, 0,
		"shared pages first touched after fork: the parent's writes are seen by the child");
	ut_ok(cow_holds(shared, 2, 70),
	      "the child's writes stay in the shared mapping after it exited");
	ut_ok(audit,
	      "the kernel's memory audit, where it has one, is clean with both mapping the pages");
}

/* ---- a grandchild ---- */

static int grandchild(void *arg)
{
	(void)arg;
	cow_fill(shared, PAGES, 80);
	cow_fill(private, PAGES, 81);
	return 0;
}

static int child_forks(void *arg)
{
	int st = cow_wait_child(cow_fork(grandchild, arg));

	if (st)
		return COW_ALL_FAILED;
	return cow_holds(shared, PAGES, 80) && cow_holds(private, PAGES, 92) ? 0 : COW_BIT(0);
}

static void grandchild_writes(void)
{
	int st;

	cow_fill(shared, PAGES, 79);
	cow_fill(private, PAGES, 92);
	st = cow_wait_child(cow_fork(child_forks, NULL));
	cow_ok_child(st, 0,
		"a grandchild's write to the shared mapping is seen by its parent, its private one is not");
	ut_ok(cow_holds(shared, PAGES, 80),
	      "a grandchild's write to the shared mapping is seen by the first process");
	ut_ok(cow_holds(private, PAGES, 92), "a grandchild's write to the private mapping is not");
}

int main(void)
{
	static void (*const cases[])(void) = {
		touched_before_fork, touched_after_fork, grandchild_writes,
	};

	ut_plan("cow_shared", 12);
	sync_page = cow_sync_map();
	if (!sync_page)
		return ut_bail("mmap(MAP_SHARED|MAP_ANONYMOUS)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		shared = map_shared();
		private = cow_map(PAGES);
		if (!shared || !private)
			return ut_bail("mmap");
		memset(sync_page, 0, sizeof(*sync_page));
		cases[i]();
		munmap(shared, PAGES * PG);
		munmap(private, PAGES * PG);
	}
	return ut_done();
}
