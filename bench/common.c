/* bench/common.c - see bench.h. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* include/uapi/linux/reboot.h */
#define LINUX_REBOOT_MAGIC1		0xfee1deadU
#define LINUX_REBOOT_MAGIC2		672274793U
#define LINUX_REBOOT_CMD_POWER_OFF	0x4321fedcU

void bench_say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(1, line + off, n - off);
		if (w <= 0)
			return;
		off += w;
	}
}

static inline uint64_t read_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

void bench_sample(struct bench_sample *s)
{
	struct rusage ru;
	struct timespec ts;

	memset(&ru, 0, sizeof(ru));
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		ru.ru_minflt = ru.ru_majflt = -1;
	s->minflt = ru.ru_minflt;
	s->majflt = ru.ru_majflt;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		ts.tv_sec = ts.tv_nsec = 0;
	s->ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		ts.tv_sec = ts.tv_nsec = 0;
	s->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	s->tsc = read_tsc();
}

void bench_result(const char *name, const char *unit, uint64_t ops, const void *addr,
		  const struct bench_sample *b, const struct bench_sample *a)
{
	uint64_t tsc = a->tsc - b->tsc;
	int ok = b->minflt >= 0 && a->minflt >= 0;
	long majflt = ok ? a->majflt - b->majflt : -1;
	long faults = ok ? a->minflt - b->minflt + majflt : -1;

	bench_say("BENCH-RESULT name=%s unit=%s ops=%llu faults=%ld tsc=%llu ns=%llu per_op=%llu addr=%p "
		  "majflt=%ld cpu=%llu",
		  name, unit, (unsigned long long)ops, faults,
		  (unsigned long long)tsc, (unsigned long long)(a->ns - b->ns),
		  (unsigned long long)(ops ? tsc / ops : 0), addr, majflt,
		  (unsigned long long)(a->cpu_ns - b->cpu_ns));
}

uint64_t bench_count_arg(int argc, char **argv, uint64_t dflt)
{
	char *end;
	unsigned long long v;

	if (argc < 2)
		return dflt;
	v = strtoull(argv[1], &end, 10);
	return (*end == '\0' && v > 0) ? v : dflt;
}

void bench_finish(int status)
{
	if (getpid() == 1)
		syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			LINUX_REBOOT_CMD_POWER_OFF, 0);
	_exit(status);
}
