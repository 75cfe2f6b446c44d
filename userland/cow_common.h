/*
 * cow_common.h: helpers of the copy-on-write test programs (userland/cow_*.c),
 * in the spirit of Linux's tools/testing/selftests/mm/cow.c.
 *
 * Conventions:
 *  - A child never prints. It reports through its exit status: one bit per
 *    check that failed (COW_BIT(n)), 0 when all passed, so the parent prints
 *    every ok/not ok line and the output is the same on every run and on
 *    Linux and Pagoda. cow_wait_child() turns "killed by a signal" or a lost
 *    child into COW_ALL_FAILED, which fails every check of that child.
 *  - Processes take turns through counters in a MAP_SHARED|MAP_ANONYMOUS
 *    page (struct cow_sync): cow_post() raises one, cow_wait() waits until
 *    it reaches a value, giving up after COW_WAIT_S seconds (a bug must end
 *    in a failed check, not a hang).
 *  - Test memory is private anonymous, MADV_NOHUGEPAGE (one fault per 4 KiB
 *    page, as in Pagoda), filled and checked a whole page at a time: every
 *    byte of page i holds (seed + i) & 0xff, so a page copied from the wrong
 *    source or half overwritten is caught; seed COW_ZEROS means zeros.
 */
#ifndef COW_COMMON_H
#define COW_COMMON_H

#include "utest.h"
#include <sched.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PG		4096UL
#define COW_BIT(n)	(1 << (n))
#define COW_ALL_FAILED	0xffff		/* the child died or could not be waited for */
#define COW_WAIT_S	60
#define COW_ZEROS	(-1)		/* the "pattern" of untouched memory */

struct cow_sync {
	int counter[16];
};

/* A shared anonymous page of zeroed counters, or NULL (errno set). */
UT_FN struct cow_sync *cow_sync_map(void)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

UT_FN void cow_post(struct cow_sync *s, int i)
{
	__atomic_add_fetch(&s->counter[i], 1, __ATOMIC_SEQ_CST);
}

UT_FN long cow_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Wait until counter @i is at least @n: yield while the wait is short, then
 * sleep a millisecond at a time. 0, or -1 after COW_WAIT_S seconds.
 */
UT_FN int cow_wait(struct cow_sync *s, int i, int n)
{
	long deadline = cow_now_ms() + COW_WAIT_S * 1000L;
	struct timespec ms = { 0, 1000000 };

	for (int spins = 0; __atomic_load_n(&s->counter[i], __ATOMIC_SEQ_CST) < n; spins++) {
		if (spins < 1000)
			sched_yield();
		else
			nanosleep(&ms, NULL);
		if (cow_now_ms() > deadline)
			return -1;
	}
	return 0;
}

/* @pages of private anonymous memory, 4 KiB pages only; NULL on failure. */
UT_FN unsigned char *cow_map(size_t pages)
{
	void *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, pages * PG, MADV_NOHUGEPAGE);
	return p;
}

/* The byte every byte of page @i holds under the pattern of @seed. */
UT_FN unsigned char cow_byte(int seed, size_t i)
{
	return seed == COW_ZEROS ? 0 : (unsigned char)((seed + (int)i) & 0xff);
}

/* Every byte of page i of [p, p + pages pages) becomes cow_byte(seed, i). */
UT_FN void cow_fill(unsigned char *p, size_t pages, int seed)
{
	for (size_t i = 0; i < pages; i++)
		memset(p + i * PG, cow_byte(seed, i), PG);
}

/* 1 if every byte of page i holds cow_byte(seed, i), else 0. */
UT_FN int cow_holds(const unsigned char *p, size_t pages, int seed)
{
	for (size_t i = 0; i < pages; i++) {
		const volatile unsigned char *q = p + i * PG;
		unsigned char want = cow_byte(seed, i);

		for (size_t b = 0; b < PG; b++)
			if (q[b] != want)
				return 0;
	}
	return 1;
}

/* The child's exit status (its failed-check bits), or COW_ALL_FAILED. */
UT_FN int cow_wait_child(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return COW_ALL_FAILED;
	return WEXITSTATUS(st);
}

/*
 * Fork a child that runs fn(arg) and exits with its result (failed-check
 * bits, 0 to 255). The parent gets the pid, or -1 (errno set).
 */
UT_FN pid_t cow_fork(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return pid;
}

/*
 * The kernel's memory consistency audit, read in the middle of a test while
 * processes share pages (the test init runs it only between programs): 1
 * if /proc/pagoda/audit reports "audit: clean", or if there is no such file
 * (on Linux: the check is Pagoda's alone; the line prints the same). Else
 * 0, with the report's first lines as diagnostics.
 */
UT_FN int cow_audit_clean(void)
{
	static char text[8192];
	char *line, *next;

	if (ut_read_file("/proc/pagoda/audit", text, sizeof(text)) < 0)
		return errno == ENOENT;
	if (!strncmp(text, "audit: clean", 12) || strstr(text, "\naudit: clean"))
		return 1;
	line = text;
	for (int shown = 0; line && *line && shown < 10; shown++, line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ut_diag("%s", line);
	}
	return 0;
}

/* ut_ok for check @bit of a child's status; says so when the child died. */
UT_FN int cow_ok_child(int status, int bit, const char *behaviour)
{
	if (status == COW_ALL_FAILED)
		ut_diag("%s: the child did not exit normally", behaviour);
	return ut_ok(!(status & COW_BIT(bit)), behaviour);
}

#endif
