/*
 * bench/page_fault1.c - anonymous write faults, in the style of
 * will-it-scale's page_fault1: map 128 MiB private anonymous memory with
 * MADV_NOHUGEPAGE, write one byte to each 4 KiB page (one write fault each:
 * a fresh zeroed page), unmap, and repeat ROUNDS times. One op = one page
 * touched = one fault.
 *
 * usage: page_fault1 [ROUNDS]     (default 8: 262,144 faults)
 */
#include "bench.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#define MAP_BYTES	(128UL << 20)
#define DEFAULT_ROUNDS	8

/* The call that failed and its errno, saved before anything else runs. */
static const char *failed_call;
static int failed_errno;
static const void *first_addr;	/* where the first round's mapping landed */

static int fail(const char *call)
{
	failed_call = call;
	failed_errno = errno;
	return -1;
}

static int one_round(void)
{
	volatile char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail("mmap");
	if (!first_addr)
		first_addr = (const void *)p;
	/* 4 KiB pages only: THP would turn 512 faults into one. */
	if (madvise((void *)p, MAP_BYTES, MADV_NOHUGEPAGE) != 0)
		return fail("madvise(MADV_NOHUGEPAGE)");
	for (unsigned long off = 0; off < MAP_BYTES; off += PAGE_SIZE)
		p[off] = 1;
	return munmap((void *)p, MAP_BYTES) == 0 ? 0 : fail("munmap");
}

int main(int argc, char **argv)
{
	uint64_t rounds = bench_count_arg(argc, argv, DEFAULT_ROUNDS);
	struct bench_sample before, after;
	int err = 0;

	bench_say("BENCH-BEGIN page_fault1");
	bench_sample(&before);
	for (uint64_t r = 0; r < rounds && !err; r++)
		err = one_round();
	bench_sample(&after);
	bench_say("BENCH-END page_fault1");
	if (err) {
		bench_say("BENCH-ERROR page_fault1 %s failed: %s", failed_call,
			  strerror(failed_errno));
		bench_finish(1);
	}
	bench_result("page_fault1", "fault", rounds * (MAP_BYTES / PAGE_SIZE), first_addr,
		     &before, &after);
	bench_finish(0);
}
