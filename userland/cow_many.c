/*
 * cow_many: one private page shared copy-on-write by 1001 processes. The
 * parent forks 1000 children that all stay alive, holding the page (its
 * reference and map counts reach 1001), until each is told to go with a
 * SIGUSR1; then every child checks the original, writes its own copy (the
 * last one left reuses the page) and exits with the result.
 *
 * usage: cow_many [CHILDREN]      (default 1000)
 */
#include "cow_common.h"

#define DEFAULT_CHILDREN	1000
#define MAX_CHILDREN		4096
#define ORIGINAL		110
#define PARENT_SEED		111
/* A child wakes this often to see if its parent is gone, and gives up after that long. */
#define CHILD_SLEEP_S		10
#define CHILD_LIFETIME_S	300

enum { READY, BAD_BEFORE };		/* counters of the shared page */
enum { BAD_ORIGINAL = 0, BAD_OWN = 1 };	/* bits of a child's exit status */

static struct cow_sync *sync_page;
static unsigned char *page;
static int child_seed;			/* each child's own pattern */
static pid_t pids[MAX_CHILDREN];

/* SIGUSR1 in a child: check the original, write and check its own copy, exit. */
static void child_go(int sig)
{
	int bad = 0;

	(void)sig;
	if (!cow_holds(page, 1, ORIGINAL))
		bad |= COW_BIT(BAD_ORIGINAL);
	cow_fill(page, 1, child_seed);
	if (!cow_holds(page, 1, child_seed))
		bad |= COW_BIT(BAD_OWN);
	_exit(bad);
}

static void child(pid_t parent)
{
	struct timespec nap = { CHILD_SLEEP_S, 0 };

	if (!cow_holds(page, 1, ORIGINAL))
		cow_post(sync_page, BAD_BEFORE);
	cow_post(sync_page, READY);
	for (int slept = 0; slept < CHILD_LIFETIME_S && getppid() == parent; slept += CHILD_SLEEP_S)
		nanosleep(&nap, NULL);
	_exit(0xff);		/* never told to go */
}

/* Fork up to @n children; the number forked (the errno of a failure is kept). */
static int fork_children(int n, int *fork_errno)
{
	pid_t parent = getpid();

	for (int i = 0; i < n; i++) {
		child_seed = 1 + i % 100;
		pids[i] = fork();
		if (pids[i] == 0)
			child(parent);
		if (pids[i] < 0) {
			*fork_errno = errno;
			return i;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : DEFAULT_CHILDREN;
	int forked, fork_errno = 0, all_ready, bad_original = 0, bad_own = 0, lost = 0;
	struct sigaction sa;
	char what[160];

	if (n < 1 || n > MAX_CHILDREN)
		n = DEFAULT_CHILDREN;
	ut_plan("cow_many", 8);
	sync_page = cow_sync_map();
	page = cow_map(1);
	if (!sync_page || !page)
		return ut_bail("mmap");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_go;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return ut_bail("sigaction");
	cow_fill(page, 1, ORIGINAL);

	forked = fork_children(n, &fork_errno);
	all_ready = cow_wait(sync_page, READY, forked) == 0;
	snprintf(what, sizeof(what), "%d children forked, all alive at once holding the page", n);
	if (!ut_ok(forked == n && all_ready, what))
		ut_diag("forked %d (%s), %d ready", forked, fork_errno ? strerror(fork_errno) : "",
			sync_page->counter[READY]);
	ut_ok(sync_page->counter[BAD_BEFORE] == 0,
	      "each child reads the parent's page before any write");
	ut_ok(cow_audit_clean(),
		"the kernel's memory audit, where it has one, is clean with every child holding the page");

	cow_fill(page, 1, PARENT_SEED);
	snprintf(what, sizeof(what),
		 "the parent's write with %d children sharing the page is private to it", n);
	ut_ok(cow_holds(page, 1, PARENT_SEED), what);
	ut_ok(cow_audit_clean(),
	      "the kernel's memory audit, where it has one, is clean after the parent's copy");

	for (int i = 0; i < forked; i++)
		kill(pids[i], SIGUSR1);
	for (int i = 0; i < forked; i++) {
		int st = cow_wait_child(pids[i]);

		lost += st == COW_ALL_FAILED || st == 0xff;
		bad_original += (st & COW_BIT(BAD_ORIGINAL)) != 0;
		bad_own += (st & COW_BIT(BAD_OWN)) != 0;
	}
	if (!ut_ok(bad_original == 0,
		   "each child still reads the original after the parent's write"))
		ut_diag("%d children read something else, %d died or were never told", bad_original,
			lost);
	if (!ut_ok(bad_own == 0,
		   "each child's own write is private to it, the last one's included"))
		ut_diag("%d children did not read their own write", bad_own);

	cow_fill(page, 1, PARENT_SEED + 1);
	ut_ok(cow_holds(page, 1, PARENT_SEED + 1),
	      "the parent's page is its own after all children exited");
	return ut_done();
}
