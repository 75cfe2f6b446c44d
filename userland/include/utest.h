/*
 * utest.h: the test library of Pagoda's user programs (header only, libc
 * only). Each program is one KTAP subtest indented by four spaces, so its
 * output nests under the plan of the kernel's test init (kernel/uinit.c)
 * or of the host wrapper (userland/host-run.sh):
 *
 *	    KTAP version 1
 *	    # Subtest: anon_zero
 *	    1..3
 *	    ok 1 read of untouched anonymous memory returns zeros
 *
 * Output goes straight to fd 1 with write(2), one whole line per call, so
 * nothing is lost in a stdio buffer when a test dies, and it never depends
 * on malloc. Output must be the same on Linux and on Pagoda (make check
 * compares the two): print no addresses, sizes of the host, or timings.
 *
 * Expecting a signal: ut_catch(fn, arg, &sig) runs fn(arg) with handlers for
 * SIGSEGV, SIGBUS, SIGILL and SIGFPE that record the siginfo and
 * siglongjmp back (on the alternate stack when ut_altstack() set one up,
 * so a stack overflow can be caught too).
 */
#ifndef UTEST_H
#define UTEST_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Helpers a program does not use are fine. */
#define UT_FN	static __attribute__((unused))

static const char *ut_suite;
static int ut_planned, ut_count, ut_failures;

UT_FN void ut_write_line(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);

	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, (size_t)(n - off));

		if (w <= 0)
			return;
		off += (int)w;
	}
}

/* One output line (a newline is added). */
UT_FN void ut_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
UT_FN void ut_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ut_write_line(fmt, ap);
	va_end(ap);
}

/* Start the subtest: its name and the number of results it will print. */
UT_FN void ut_plan(const char *suite, int n)
{
	ut_suite = suite;
	ut_planned = n;
	ut_line("    KTAP version 1");
	ut_line("    # Subtest: %s", suite);
	ut_line("    1..%d", n);
}

/* A diagnostic line ("    # ..."): print only what is the same on both systems. */
#define ut_diag(...)	ut_diag_(__VA_ARGS__)
UT_FN void ut_diag_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
UT_FN void ut_diag_(const char *fmt, ...)
{
	char buf[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ut_line("    # %s", buf);
}

/* One result, named by the behaviour it checks. Returns @cond. */
UT_FN int ut_ok(int cond, const char *behaviour)
{
	ut_count++;
	ut_line("    %sok %d %s", cond ? "" : "not ", ut_count, behaviour);
	if (!cond)
		ut_failures++;
	return cond;
}

/*
 * A result that cannot be checked on this machine (KTAP "# SKIP"): only for
 * what the hardware decides, never to hide a failure. Counts as passed.
 */
UT_FN void ut_skip(const char *behaviour, const char *reason)
{
	ut_count++;
	ut_line("    ok %d %s # SKIP %s", ut_count, behaviour, reason);
}

/* End of the program: exit status 0 if every planned result passed. */
UT_FN int ut_done(void)
{
	if (ut_count != ut_planned)
		ut_diag("%s: planned %d results, printed %d", ut_suite, ut_planned, ut_count);
	return ut_failures || ut_count != ut_planned ? 1 : 0;
}

/* A set-up step failed: say which and with what errno, end the program. */
UT_FN int ut_bail(const char *step)
{
	ut_diag("%s: %s failed: %s", ut_suite, step, strerror(errno));
	ut_done();
	return 1;
}

/* ---- expecting signals ---- */

struct ut_sig {
	int signo;		/* 0: fn returned normally */
	int code;		/* si_code */
	void *addr;		/* si_addr */
};

static sigjmp_buf ut_jmp;
static volatile sig_atomic_t ut_armed;
static struct ut_sig ut_caught;
static int ut_onstack;

UT_FN void ut_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!ut_armed) {
		signal(sig, SIG_DFL);	/* not expected: die of it */
		return;
	}
	ut_caught.signo = sig;
	ut_caught.code = si->si_code;
	ut_caught.addr = si->si_addr;
	ut_armed = 0;
	siglongjmp(ut_jmp, 1);
}

/* An alternate signal stack, so a stack overflow's SIGSEGV can be handled. */
UT_FN int ut_altstack(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack), .ss_flags = 0 };

	if (sigaltstack(&ss, NULL))
		return -1;
	ut_onstack = SA_ONSTACK;
	return 0;
}

/* Run fn(arg); *out says which fault signal it raised (signo 0 if none). */
UT_FN void ut_catch(void (*fn)(void *), void *arg, struct ut_sig *out)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa, old[4];

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ut_handler;
	sa.sa_flags = SA_SIGINFO | ut_onstack;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	memset(&ut_caught, 0, sizeof(ut_caught));
	if (sigsetjmp(ut_jmp, 1) == 0) {
		ut_armed = 1;
		fn(arg);
		ut_armed = 0;
	}
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	*out = ut_caught;
}

UT_FN const char *ut_signame(int sig)
{
	switch (sig) {
	case 0: return "no signal";
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	}
	return "another signal";
}

/* Check a caught signal; diagnostics name what differs (no addresses). */
UT_FN int ut_expect_sig(const struct ut_sig *s, int signo, int code, const void *addr,
			 const char *behaviour)
{
	int ok = s->signo == signo && s->code == code && s->addr == addr;

	if (!ok)
		ut_diag("%s: got %s code %d, si_addr %s; expected %s code %d",
			behaviour, ut_signame(s->signo), s->code,
			s->addr == addr ? "as expected" : "different", ut_signame(signo), code);
	return ut_ok(ok, behaviour);
}

/* ---- files ---- */

/* Was the call's result @r a failure with errno @e? */
UT_FN int ut_err_is(long r, int e)
{
	return r == -1 && errno == e;
}

/* Write all @n bytes of @buf to @fd (short writes continued). 0 or -1. */
UT_FN int ut_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Create (or empty) @path, mode 0644, holding @text. 0 or -1. */
UT_FN int ut_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (ut_write_all(fd, text, strlen(text))) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Does @path hold exactly @text (under 512 bytes)? */
UT_FN int ut_file_is(const char *path, const char *text)
{
	char buf[512];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, (size_t)n);
}

/* A getdents64 record, as the kernel writes it (musl has no public one). */
struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* qsort comparison of two C strings held by pointer. */
UT_FN int ut_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- /proc/self helpers ---- */

/* Read a whole small file into @buf (NUL terminated), no malloc. Bytes or -1. */
UT_FN long ut_read_file(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (n < len - 1) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	close(fd);
	return (long)n;
}

/* Resident pages from /proc/self/statm, or -1. */
UT_FN long ut_resident_pages(void)
{
	char buf[256];
	long size, resident;

	if (ut_read_file("/proc/self/statm", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%ld %ld", &size, &resident) != 2)
		return -1;
	return resident;
}

struct ut_vma {
	unsigned long start, end;
	char perms[5];
	char name[32];		/* "[heap]", "[stack]", a path or "" */
};

/* Parse /proc/self/maps into @v (at most @max entries). Count, or -1. */
UT_FN int ut_maps(struct ut_vma *v, int max)
{
	static char buf[64 * 1024];
	int n = 0;

	if (ut_read_file("/proc/self/maps", buf, sizeof(buf)) < 0)
		return -1;
	for (char *line = buf; *line && n < max;) {
		char *nl = strchr(line, '\n');
		char name[256] = "";

		if (nl)
			*nl = '\0';
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255s", &v[n].start, &v[n].end,
			   v[n].perms, name) >= 3) {
			snprintf(v[n].name, sizeof(v[n].name), "%s", name);
			n++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return n;
}

/* The VMAs overlapping [start, end), in order, into @out. Count. */
UT_FN int ut_maps_in(unsigned long start, unsigned long end, struct ut_vma *out, int max)
{
	struct ut_vma all[256];
	int n = ut_maps(all, 256), k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (all[i].start < end && all[i].end > start)
			out[k++] = all[i];
	return k;
}

/* The VMA named @name (e.g. "[stack]"), 0 if found. */
UT_FN int ut_maps_find(const char *name, struct ut_vma *out)
{
	struct ut_vma all[256];
	int n = ut_maps(all, 256);

	for (int i = 0; i < n; i++) {
		if (!strcmp(all[i].name, name)) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

/* The VMA containing @addr, 0 if there is one. */
UT_FN int ut_maps_at(unsigned long addr, struct ut_vma *out)
{
	struct ut_vma all[256];
	int n = ut_maps(all, 256);

	for (int i = 0; i < n; i++) {
		if (all[i].start <= addr && addr < all[i].end) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

#endif
