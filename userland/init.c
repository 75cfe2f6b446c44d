/*
 * init: Pagoda's first user process for `utest` and `demo` (kernel/uinit.c
 * starts it as `/init LIST`). A static musl program, so it is an ordinary
 * Linux program too.
 *
 * It runs every program of LIST in order, each forked and exec'd with a
 * timeout, and reports one KTAP document on stdout:
 *
 *   KTAP version 1
 *   1..N
 *       <the program's own output: a KTAP subtest indented by 4 spaces>
 *   ok 1 NAME            or   not ok 1 NAME
 *                             # NAME: why
 *   ...
 *   # init: N programs, F failed; free pages A before the first, B after the last
 *   # faults: anon ..., zero_page ..., ...
 *
 * and exits with the number of failures (at most 255), which the kernel
 * turns into the run's verdict.
 *
 * LIST: one program per line, '#' comments and blank lines ignored:
 *
 *   PATH [ARG...] [expect-exit=N] [expect-signal=N] [expect-exec-error=E]
 *                 [timeout=S]
 *
 * Without an expectation a program must exit 0. expect-exec-error=ENOEXEC
 * (or another name of the table below, or a number) says execve itself must
 * fail so: the forked child reports execve's errno through a shared page
 * and exits 126 (127 for ENOENT), as a shell does. A program still running
 * after timeout=S seconds (default 30) is killed with SIGKILL and fails.
 *
 * A program passes when its status meets the expectation, and after it:
 *   - every process it left behind has ended too: its orphans are re-homed
 *     to init (kernel/task.c), which reaps them as part of the test;
 *   - the free page count (/proc/pagoda/free_pages) is what it was before;
 *   - the memory consistency audit (/proc/pagoda/audit) is clean; its
 *     violation lines become the failure's diagnostics.
 *
 * Output goes to fd 1 with write(2), a whole line per call, never through a
 * stdio buffer: a forked child would otherwise inherit and repeat it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LIST		"/tests/list"
#define FREE_PAGES_FILE		"/proc/pagoda/free_pages"
#define AUDIT_FILE		"/proc/pagoda/audit"
#define FAULTS_FILE		"/proc/pagoda/faults"
#define MAX_ARGS		16
#define DEFAULT_TIMEOUT_S	30
#define KILL_GRACE_S		5	/* after SIGKILL, for the rest to end */
#define POLL_NS			20000000L	/* 20 ms; SIGCHLD cuts a sleep short */
#define LIST_MAX		(64 << 10)
#define PROC_MAX		(64 << 10)
#define NSEC_PER_SEC		1000000000LL

/* One line of the list. */
struct test {
	char *argv[MAX_ARGS + 1];
	const char *name;		/* basename of argv[0] */
	int expect_exit;		/* -1: not an exit expectation */
	int expect_signal;		/* 0: none */
	int expect_exec_error;		/* errno, 0: none */
	unsigned int timeout_s;
};

/* How a program ended. */
struct outcome {
	int status;			/* wait status of the program itself */
	bool ended;			/* it was reaped */
	bool timed_out;			/* killed at the timeout */
	bool stragglers;		/* children still running after the grace time */
	unsigned int orphans;		/* other processes reaped during the test */
	int exec_error;			/* the child's execve errno, 0 if it exec'd */
};

/* Written by a forked child whose execve failed; in a MAP_SHARED page. */
struct exec_report {
	volatile int err;
};

static struct exec_report *exec_report;
static char list_text[LIST_MAX];
static char proc_text[PROC_MAX];
static char line_buf[1024];

static const struct {
	const char *name;
	int err;
} errno_names[] = {
	{ "ENOEXEC", ENOEXEC }, { "ENOENT", ENOENT }, { "EACCES", EACCES },
	{ "E2BIG", E2BIG }, { "ENOMEM", ENOMEM }, { "ENOTDIR", ENOTDIR },
	{ "EFAULT", EFAULT }, { "ENAMETOOLONG", ENAMETOOLONG },
};

static const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return "E?";
}

/* ---- output ---- */

static void write_all(const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(1, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* One line (a newline is added), in one write. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line_buf, sizeof(line_buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line_buf) - 2)
		n = (int)sizeof(line_buf) - 2;
	line_buf[n++] = '\n';
	write_all(line_buf, (size_t)n);
}

/* ---- files ---- */

/* Read all of @path into @buf (NUL terminated). Length, or -errno. */
static long read_file(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return (long)len;
}

/* The kernel's free page count, or -1 if the file cannot be read. */
static long free_pages(void)
{
	if (read_file(FREE_PAGES_FILE, proc_text, sizeof(proc_text)) <= 0)
		return -1;
	return strtol(proc_text, NULL, 10);
}

/*
 * Run the audit: true if it reports clean. Its report stays in proc_text
 * for audit_print() until the next file is read.
 */
static bool audit_run(void)
{
	long n = read_file(AUDIT_FILE, proc_text, sizeof(proc_text));

	if (n < 0) {
		snprintf(proc_text, sizeof(proc_text), "cannot read %s: %s", AUDIT_FILE,
			 strerror((int)-n));
		return false;
	}
	return !strncmp(proc_text, "audit: clean", 12) || strstr(proc_text, "\naudit: clean");
}

/* The last audit's report as diagnostics of test @name (its first 40 lines). */
static void audit_print(const char *name)
{
	unsigned int shown = 0;

	for (char *line = strtok(proc_text, "\n"); line && shown < 40;
	     line = strtok(NULL, "\n"), shown++)
		say("# %s: %s", name, line);
}

/* ---- the list ---- */

static bool parse_uint(const char *s, unsigned int *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = (unsigned int)v;
	return true;
}

static bool parse_errno(const char *s, int *out)
{
	unsigned int v;

	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (!strcmp(s, errno_names[i].name)) {
			*out = errno_names[i].err;
			return true;
		}
	}
	if (!parse_uint(s, &v) || !v)
		return false;
	*out = (int)v;
	return true;
}

static bool starts_with(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n))
		return false;
	*rest = s + n;
	return true;
}

/* An "expect-...=" or "timeout=" word; false if @w is an argument. */
static bool parse_directive(struct test *t, const char *w, bool *bad)
{
	const char *v;
	unsigned int n = 0;

	if (starts_with(w, "expect-exit=", &v)) {
		*bad |= !parse_uint(v, &n) || n > 255;
		t->expect_exit = (int)n;
	} else if (starts_with(w, "expect-signal=", &v)) {
		*bad |= !parse_uint(v, &n) || n == 0 || n >= 65;
		t->expect_signal = (int)n;
		t->expect_exit = -1;
	} else if (starts_with(w, "expect-exec-error=", &v)) {
		*bad |= !parse_errno(v, &t->expect_exec_error);
		t->expect_exit = -1;
	} else if (starts_with(w, "timeout=", &v)) {
		*bad |= !parse_uint(v, &t->timeout_s) || !t->timeout_s;
	} else {
		return false;
	}
	return true;
}

/* Split @line (cut up in place) into @t. False: no program, or a bad directive. */
static bool parse_line(char *line, struct test *t)
{
	unsigned int argc = 0;
	bool bad = false;

	memset(t, 0, sizeof(*t));
	t->timeout_s = DEFAULT_TIMEOUT_S;
	for (char *p = line; *p;) {
		char *w;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		if (argc && parse_directive(t, w, &bad))
			continue;
		if (argc < MAX_ARGS)
			t->argv[argc++] = w;
		else
			bad = true;
	}
	if (!argc)
		return false;
	t->name = strrchr(t->argv[0], '/') ? strrchr(t->argv[0], '/') + 1 : t->argv[0];
	if (!*t->name)
		t->name = t->argv[0];
	return !bad;
}

/* Is the line at @line (ended by NUL or a newline) a program, not blank or a comment? */
static bool is_entry(const char *line)
{
	line += strspn(line, " \t");
	return *line && !strchr("#\n\r", *line);
}

/* ---- running one program ---- */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void nap(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);		/* EINTR from SIGCHLD: fine, look again */
}

/* The forked child: exec the program; on failure tell init why and exit 126/127. */
static void __attribute__((noreturn)) child_exec(const struct test *t)
{
	execve(t->argv[0], t->argv, environ);
	exec_report->err = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

/*
 * Reap children until the program (@pid) and every orphan it left have
 * ended. At the timeout the program gets SIGKILL; what still runs
 * KILL_GRACE_S later is left behind (a straggler, which fails the test).
 */
static void wait_test(pid_t pid, unsigned int timeout_s, struct outcome *o)
{
	long long deadline = now_ns() + (long long)timeout_s * NSEC_PER_SEC;

	for (;;) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);

		if (r == pid) {
			o->status = st;
			o->ended = true;
		} else if (r > 0) {
			o->orphans++;
		} else if (r < 0 && errno == ECHILD) {
			return;
		} else if (r < 0 && errno != EINTR) {
			say("# init: waitpid: %s", strerror(errno));
			return;
		} else if (r == 0 && now_ns() >= deadline) {
			if (o->timed_out) {
				o->stragglers = true;
				return;
			}
			o->timed_out = true;
			if (!o->ended)
				kill(pid, SIGKILL);
			deadline = now_ns() + KILL_GRACE_S * NSEC_PER_SEC;
		} else if (r == 0) {
			nap();
		}
	}
}

/* Did the outcome meet @t's expectation? Say what happened in @why. */
static bool outcome_ok(const struct test *t, const struct outcome *o, char *why, size_t len)
{
	int sig = WIFSIGNALED(o->status) ? WTERMSIG(o->status) : 0;
	int code = WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1;

	if (t->expect_exec_error || o->exec_error) {
		snprintf(why, len, "execve gave %s, expected %s",
			 o->exec_error ? errno_name(o->exec_error) : "success",
			 t->expect_exec_error ? errno_name(t->expect_exec_error) : "success");
		return o->exec_error == t->expect_exec_error;
	}
	if (sig) {
		snprintf(why, len, "killed by signal %d (%s)", sig, strsignal(sig));
		return sig == t->expect_signal;
	}
	snprintf(why, len, "exited with status %d", code);
	return !t->expect_signal && code == t->expect_exit;
}

/* init's own /proc/self/statm, one line without its newline (for a leak report). */
static void own_statm(char *buf, size_t cap)
{
	char *nl;

	if (read_file("/proc/self/statm", buf, cap) < 0)
		snprintf(buf, cap, "?");
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
}

static char statm_before[64];

/* Run list entry @n and print its result line. True if it passed. */
static bool run_test(unsigned int n, const struct test *t, long *before, long *after)
{
	struct outcome o = { 0 };
	char why[512] = "";
	bool ok, audit_ok;
	pid_t pid;

	*before = *after = free_pages();
	own_statm(statm_before, sizeof(statm_before));
	exec_report->err = 0;
	pid = fork();
	if (pid == 0)
		child_exec(t);
	if (pid < 0) {
		say("not ok %u %s", n, t->name);
		say("# %s: fork: %s", t->name, strerror(errno));
		return false;
	}
	wait_test(pid, t->timeout_s, &o);
	o.exec_error = exec_report->err;
	ok = o.ended && outcome_ok(t, &o, why, sizeof(why)) && !o.timed_out && !o.stragglers;
	*after = free_pages();
	if (ok && *after != *before) {
		char statm[64] = "";

		ok = false;
		own_statm(statm, sizeof(statm));
		snprintf(why, sizeof(why), "leaked %ld pages (%ld free before, %ld after; init's statm %s -> %s)",
			 *before - *after, *before, *after, statm_before, statm);
	}
	audit_ok = audit_run();
	say("%sok %u %s", ok && audit_ok ? "" : "not ", n, t->name);
	if (!ok)
		say("# %s: %s%s%s", t->name, why, o.timed_out ? " after the timeout" : "",
		    o.stragglers ? "; processes it started are still running" : "");
	if (!audit_ok)
		audit_print(t->name);
	return ok && audit_ok;
}

/* ---- the whole run ---- */

static void on_sigchld(int sig)
{
	(void)sig;			/* only to interrupt nap() */
}

/*
 * One fork and reap before the first measurement, so that init's own first
 * use of fork, wait and the /proc files (stack depth, page tables, the
 * shared page) does not count against the first test.
 */
static void warm_up(void)
{
	pid_t pid;

	exec_report->err = 0;
	free_pages();
	read_file(AUDIT_FILE, proc_text, sizeof(proc_text));
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	free_pages();
}

/*
 * Touch init's stack well below where it will ever reach, so it never
 * grows during a test: a SIGCHLD from a re-homed orphan, delivered while
 * init is deep in a call, pushes a frame of a few KiB (the XSAVE image),
 * and a stack page first touched then would be counted as a page the test
 * leaked (the suspected cause of cow_many's rare "leaked 1 pages", which
 * depended on where init was when the signal came).
 */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char area[128 * 1024];

	for (size_t i = 0; i < sizeof(area); i += 4096)
		area[i] = 0;
}

static int setup(void)
{
	struct sigaction sa;

	prefault_stack();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;	/* no SA_RESTART: nanosleep returns early */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL))
		return -1;
	exec_report = mmap(NULL, sizeof(*exec_report), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return exec_report == MAP_FAILED ? -1 : 0;
}

/* "# faults: anon 1, zero_page 2, ..." from the "name value" lines of FAULTS_FILE. */
static void print_faults(void)
{
	char out[512];
	size_t len = 0;

	if (read_file(FAULTS_FILE, proc_text, sizeof(proc_text)) <= 0) {
		say("# faults: %s not readable", FAULTS_FILE);
		return;
	}
	for (char *line = strtok(proc_text, "\n"); line; line = strtok(NULL, "\n")) {
		int n = snprintf(out + len, sizeof(out) - len, "%s%s", len ? ", " : "", line);

		if (n < 0 || (size_t)n >= sizeof(out) - len)
			break;
		len += (size_t)n;
	}
	say("# faults: %s", out);
}

/* Count the entries, then run them. Returns the number of failures. */
static int run_list(char *text)
{
	unsigned int planned = 0, n = 0;
	long first_before = -1, last_after = -1;
	int failed = 0;
	char *line, *next;

	for (line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		planned += is_entry(line);
	say("KTAP version 1");
	say("1..%u", planned);
	warm_up();
	for (line = text; line && *line; line = next) {
		struct test t;
		long before, after;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!is_entry(line))
			continue;
		n++;
		if (!parse_line(line, &t)) {
			say("not ok %u %s", n, line);
			say("# bad line in the list");
			failed++;
			continue;
		}
		failed += !run_test(n, &t, &before, &after);
		if (first_before < 0)
			first_before = before;
		last_after = after;
	}
	say("# init: %u programs, %d failed; free pages %ld before the first, %ld after the last",
	    n, failed, first_before, last_after);
	print_faults();
	return failed;
}

int main(int argc, char **argv)
{
	const char *list = argc > 1 ? argv[1] : DEFAULT_LIST;
	long len;
	int failed;

	if (setup()) {
		say("init: set-up failed: %s", strerror(errno));
		return 1;
	}
	len = read_file(list, list_text, sizeof(list_text));
	if (len < 0) {
		say("init: cannot read %s: %s", list, strerror((int)-len));
		return 1;
	}
	failed = run_list(list_text);
	return failed > 255 ? 255 : failed;
}
