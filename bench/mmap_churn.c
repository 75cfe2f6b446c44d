/*
 * bench/mmap_churn.c - address-space churn: ITERATIONS times map 64 KiB
 * private anonymous memory, write one byte to its first page (one fault),
 * and unmap it. One op = one mmap + one fault + one munmap; the figure per op
 * is dominated by VMA insertion/removal, the fault, page-table teardown and
 * the TLB flush, not by the fault alone.
 *
 * usage: mmap_churn [ITERATIONS]     (default 50,000)
 */
#include "bench.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#define MAP_BYTES		(64UL << 10)
#define DEFAULT_ITERATIONS	50000

int main(int argc, char **argv)
{
	uint64_t iters = bench_count_arg(argc, argv, DEFAULT_ITERATIONS);
	struct bench_sample before, after;
	const char *failed = NULL;
	const void *first_addr = NULL;	/* where the first mapping landed */
	int failed_errno = 0;

	bench_say("BENCH-BEGIN mmap_churn");
	bench_sample(&before);
	for (uint64_t i = 0; i < iters && !failed; i++) {
		volatile char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			failed = "mmap";
			failed_errno = errno;
			break;
		}
		if (!first_addr)
			first_addr = (const void *)p;
		p[0] = 1;
		if (munmap((void *)p, MAP_BYTES) != 0) {
			failed = "munmap";
			failed_errno = errno;
		}
	}
	bench_sample(&after);
	bench_say("BENCH-END mmap_churn");
	if (failed) {
		bench_say("BENCH-ERROR mmap_churn %s failed: %s", failed, strerror(failed_errno));
		bench_finish(1);
	}
	bench_result("mmap_churn", "mmap+fault+munmap", iters, first_addr, &before, &after);
	bench_finish(0);
}
