/*
 * bench/bench.h - shared helpers of the static musl benchmark programs.
 *
 * Every program runs twice: as /init of Debian's Linux kernel and as the
 * first user program of Pagoda, both in QEMU with -icount shift=0. Under
 * that option QEMU advances the guest's virtual clock by exactly 1 ns per
 * executed instruction, and the TSC follows the same virtual clock, so
 *
 *     guest instructions = rdtsc delta = CLOCK_MONOTONIC ns delta
 *
 * (the second only as precisely as the kernel calibrated its TSC). The
 * program prints both; tools/bench.sh uses the TSC figure and checks that
 * the clock agrees.
 *
 * Output protocol, one line each, parsed by tools/bench.sh:
 *   BENCH-BEGIN <name>         just before the measured loop
 *   BENCH-END <name>           just after it (host timestamps the two lines)
 *   BENCH-RESULT name=<name> unit=<what one op is> ops=<n> faults=<minflt+majflt delta>
 *                tsc=<ticks> ns=<clock_gettime ns> per_op=<tsc/ops> addr=<first mapping>
 *                majflt=<majflt delta> cpu=<CLOCK_PROCESS_CPUTIME_ID ns delta>
 *   BENCH-ERROR <name> <what failed>
 * A program may measure several rows in sequence, each with its own name
 * and its own BEGIN/END/RESULT lines.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

#define PAGE_SIZE 4096UL

struct bench_sample {
	uint64_t tsc;		/* rdtsc */
	uint64_t ns;		/* CLOCK_MONOTONIC in ns */
	long minflt;		/* getrusage(RUSAGE_SELF).ru_minflt */
	long majflt;		/* ru_majflt: faults that waited for a read */
	uint64_t cpu_ns;	/* CLOCK_PROCESS_CPUTIME_ID: the program's CPU time */
};

/* Print one line to fd 1 with write(2); no stdio buffering to flush. */
void bench_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Take a sample; the TSC is read last so the syscalls are outside it. */
void bench_sample(struct bench_sample *s);

/*
 * Print BENCH-RESULT from two samples around @ops operations of @unit;
 * @addr is where the program's first mapping landed (placement decides which
 * page-table pages munmap frees, so it is part of the result).
 */
void bench_result(const char *name, const char *unit, uint64_t ops, const void *addr,
		  const struct bench_sample *before, const struct bench_sample *after);

/* Optional positive count from argv[1], else @dflt. */
uint64_t bench_count_arg(int argc, char **argv, uint64_t dflt);

/*
 * End the program. As Linux's /init (pid 1) power the machine off with
 * reboot(LINUX_REBOOT_CMD_POWER_OFF) so QEMU exits; where that syscall is
 * missing (Pagoda: -ENOSYS, and its init=/prog powers off on exit) or not
 * permitted, just exit with @status.
 */
void bench_finish(int status) __attribute__((noreturn));

#endif
