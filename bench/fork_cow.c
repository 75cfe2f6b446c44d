/*
 * bench/fork_cow.c - fork and copy-on-write: map 64 MiB private anonymous
 * memory with MADV_NOHUGEPAGE and write every 4 KiB page (outside the
 * measurement), then, measured: fork; the child writes one byte of every
 * page (a COW fault that copies each page) and exits; the parent waits for
 * it and writes every page again (a COW fault that finds the page no longer
 * shared and reuses it, no copy). One op = one page: its share of fork
 * (page-table copy, write-protecting the PTE), one copy in the child, the
 * child's exit freeing the copy, one reuse fault in the parent.
 *
 * Besides BENCH-RESULT it prints where the instructions went, per page:
 *   BENCH-PHASES fork_cow fork=<t0 to the child's first instruction>
 *     child_writes=<the child's loop> exit_wait=<child's exit and the
 *     parent's wait> parent_writes=<the parent's loop>
 * (with -icount shift=0 the TSC is guest time shared by both processes).
 *
 * usage: fork_cow [ROUNDS]     (default 1: 16,384 pages)
 */
#include "bench.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MAP_BYTES	(64UL << 20)
#define PAGES		(MAP_BYTES / PAGE_SIZE)
#define DEFAULT_ROUNDS	1

/* Written by the child, read by the parent after the wait. */
struct child_times {
	struct bench_sample start, end;
};

/* The call that failed and its errno, saved before anything else runs. */
static const char *failed_call;
static int failed_errno;

static int fail(const char *call)
{
	failed_call = call;
	failed_errno = errno;
	return -1;
}

/* Every page must hold @old; write @new into each. 0, or the first bad page + 1. */
static unsigned long write_pages(volatile char *p, char old, char new)
{
	for (unsigned long i = 0; i < PAGES; i++) {
		if (p[i * PAGE_SIZE] != old)
			return i + 1;
		p[i * PAGE_SIZE] = new;
	}
	return 0;
}

static void child(volatile char *p, struct child_times *t)
{
	unsigned long bad;

	bench_sample(&t->start);
	bad = write_pages(p, 1, 2);
	bench_sample(&t->end);
	_exit(bad ? 1 : 0);
}

/* One fork, child copy, parent reuse round; phase ticks are added to @ph. */
static int one_round(volatile char *p, struct child_times *t, uint64_t ph[4])
{
	struct bench_sample t0, waited, done;
	int status;
	pid_t pid;

	bench_sample(&t0);
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0)
		child(p, t);
	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid");
	bench_sample(&waited);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EINVAL;
		return fail("the child's check that it read the parent's data");
	}
	if (write_pages(p, 1, 1)) {
		errno = EINVAL;
		return fail("the parent's check that the child's writes were private");
	}
	bench_sample(&done);
	ph[0] += t->start.tsc - t0.tsc;
	ph[1] += t->end.tsc - t->start.tsc;
	ph[2] += waited.tsc - t->end.tsc;
	ph[3] += done.tsc - waited.tsc;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t rounds = bench_count_arg(argc, argv, DEFAULT_ROUNDS), ph[4] = { 0 }, ops;
	struct bench_sample before, after;
	struct child_times *t;
	volatile char *p;
	int err = 0;

	p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || t == MAP_FAILED)
		err = fail("mmap");
	/* 4 KiB pages only: THP would copy 2 MiB at a time. */
	else if (madvise((void *)p, MAP_BYTES, MADV_NOHUGEPAGE) != 0)
		err = fail("madvise(MADV_NOHUGEPAGE)");
	else
		for (unsigned long i = 0; i < PAGES; i++)
			p[i * PAGE_SIZE] = 1;

	bench_say("BENCH-BEGIN fork_cow");
	bench_sample(&before);
	for (uint64_t r = 0; r < rounds && !err; r++)
		err = one_round(p, t, ph);
	bench_sample(&after);
	bench_say("BENCH-END fork_cow");
	if (err) {
		bench_say("BENCH-ERROR fork_cow %s failed: %s", failed_call,
			  strerror(failed_errno));
		bench_finish(1);
	}
	ops = rounds * PAGES;
	bench_result("fork_cow", "fork+copy+reuse", ops, (const void *)p, &before, &after);
	bench_say("BENCH-PHASES fork_cow fork=%llu child_writes=%llu exit_wait=%llu "
		  "parent_writes=%llu",
		  (unsigned long long)(ph[0] / ops), (unsigned long long)(ph[1] / ops),
		  (unsigned long long)(ph[2] / ops), (unsigned long long)(ph[3] / ops));
	bench_finish(0);
}
