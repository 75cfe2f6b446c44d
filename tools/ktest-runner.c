/*
 * tools/ktest-runner.c - host-side test runner for Pagoda.
 *
 * Runs one test scenario, reads the KTAP (KUnit dialect) it prints, judges the
 * run, prints failure reports and summaries, and appends one line to a tally
 * file.  Three modes:
 *
 *   ktest-runner --name NAME [--iso ISO] [--drive IMG] [options]
 *       Boot Pagoda headless under QEMU/OVMF and judge the serial console
 *       (with --no-debug-exit: without isa-debug-exit, the kernel ends QEMU
 *       by ACPI power-off or reset and its console lines decide).
 *   ktest-runner --host --name NAME [options] -- PROGRAM [ARGS...]
 *       Run a host test program and judge its standard output.
 *   ktest-runner --summarize TALLY
 *       Sum up a tally file; the last line is "N passed, M failed".
 *
 * Data flow of a run:
 *   child stdout -> escape/control stripping -> line assembly -> consumers
 *   (log, --verbose echo, tail ring, console markers, --expect patterns,
 *   KTAP parser) -> report -> judgement -> printed summary + tally line.
 *
 * Only libc/POSIX is used.  Build: gcc -O2 -Wall -Wextra -Werror.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Tunables and fixed conventions                                           */
/* ------------------------------------------------------------------------ */

#define LINE_CAP		4096	/* longest line piece handed to consumers */
#define READ_CHUNK		65536
#define TAIL_LINES		30	/* console lines shown with a crash report */
#define KTAP_MAX_DEPTH		8	/* deeper nesting is folded into the last level */
#define MAX_LISTED_FAILURES	500	/* failures beyond this are only counted */
#define MAX_DIAG_LINES		40	/* diagnostics kept per failed test */
#define MAX_SUITES		100000
#define CSI_MAX_LEN		64	/* longer "CSI sequences" are treated as text */
#define POLL_TICK_MS		100	/* timeout granularity */
#define DRAIN_GRACE_S		1.0	/* read leftovers this long after the child exits */
#define LOADER_ERROR_GRACE_S	2.0	/* keep reading this long after a loader
					   error (or, in the loader scenario, a
					   kernel entry) before stopping */

#define DEFAULT_QEMU		"qemu-system-x86_64"
#define DEFAULT_OVMF_CODE	"/usr/share/OVMF/OVMF_CODE_4M.fd"
#define DEFAULT_OVMF_VARS	"/usr/share/OVMF/OVMF_VARS_4M.fd"
#define DEFAULT_CMDLINE		"ktest"

#define MARK_KERNEL_ENTRY	"pagoda: kernel entry"
#define MARK_PAGING_MODE	"pagoda: paging mode: "
#define MARK_OOPS		"Oops:"
#define MARK_OOPS_END		"---[ end trace"
#define MARK_PANIC		"Kernel panic - "
#define MARK_LOADER_ERROR	"pagoda-loader: error:"
#define MARK_POWEROFF		"pagoda: powering off (status 0x"
#define MARK_RESTART		"pagoda: restarting via "

/* QEMU exit statuses: the kernel writes v to isa-debug-exit, QEMU exits 2v+1. */
enum qemu_exit {
	QEMU_EXIT_RESET = 0,	/* triple fault or reset under -no-reboot */
	QEMU_EXIT_PASSED = 2 * 0x10 + 1,
	QEMU_EXIT_FAILED = 2 * 0x11 + 1,
	QEMU_EXIT_CRASHED = 2 * 0x12 + 1,
};

/* The kernel's power-off statuses (include/pagoda/power.h). */
enum poweroff_status {
	POWEROFF_OK = 0x10,
	POWEROFF_TESTS_FAILED = 0x11,
	POWEROFF_CRASH = 0x12,
};

/* Exit statuses of this program. */
enum runner_exit {
	RUNNER_OK = 0,		/* run passed / summary has no failures */
	RUNNER_FAILED = 1,	/* run failed / summary has failures */
	RUNNER_USAGE = 2,	/* bad invocation or internal error */
};

/* ------------------------------------------------------------------------ */
/* Small utilities                                                          */
/* ------------------------------------------------------------------------ */

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fatal(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ktest-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(RUNNER_USAGE);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		fatal("out of memory");
	return q;
}

/* Grows *v (of *cap elements of size sz) so that it holds at least want. */
static void grow(void **v, size_t *cap, size_t want, size_t sz)
{
	size_t ncap = *cap ? *cap : 8;

	if (want <= *cap)
		return;
	while (ncap < want)
		ncap *= 2;
	*v = xrealloc(*v, ncap * sz);
	*cap = ncap;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf failed");
	s = xrealloc(NULL, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* A growable, always NULL-terminated array of strings (usable as argv). */
struct strvec {
	char **v;
	size_t n, cap;
};

static void strvec_push(struct strvec *sv, char *s)
{
	grow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Returns the text after @word if @s starts with it as a whole word. */
static const char *after_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(s, word, n) != 0)
		return NULL;
	if (s[n] != '\0' && s[n] != ' ' && s[n] != '\t')
		return NULL;
	return s + n;
}

/* Returns a copy of @s with every ',' doubled (QEMU option-value escaping). */
static char *qemu_escape(const char *s)
{
	size_t n = 0;
	char *d, *p;

	for (const char *q = s; *q; q++)
		n += *q == ',' ? 2 : 1;
	d = p = xrealloc(NULL, n + 1);
	for (const char *q = s; *q; q++) {
		*p++ = *q;
		if (*q == ',')
			*p++ = ',';
	}
	*p = '\0';
	return d;
}

/* Prints argv as a shell-readable command line. */
static void print_command(FILE *f, const char *prefix, char *const argv[])
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_./=,:+@%";

	fputs(prefix, f);
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];

		if (i)
			fputc(' ', f);
		if (*a && strspn(a, plain) == strlen(a)) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
}

/* ------------------------------------------------------------------------ */
/* Process-wide state: signals and the private OVMF_VARS copy               */
/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t g_signal;	/* set by SIGINT/SIGTERM/SIGHUP */
static char *g_temp_path;		/* unlinked at exit */
static pid_t g_child_pgid;		/* running child's group, killed at exit */

static void on_signal(int sig)
{
	g_signal = sig;
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* atexit: on an early exit (fatal()) never leave the child running. */
static void kill_leftover_child(void)
{
	if (g_child_pgid > 0)
		kill(-g_child_pgid, SIGKILL);
}

static void remove_temp_file(void)
{
	if (g_temp_path) {
		unlink(g_temp_path);
		free(g_temp_path);
		g_temp_path = NULL;
	}
}

/*
 * Copies @src to a new private temporary file, registered for removal at
 * exit.  Returns its path, or NULL with *err set to a message.
 */
static const char *copy_to_temp(const char *src, char **err)
{
	const char *dir = getenv("TMPDIR");
	char buf[65536];
	char *path;
	int in, out;
	ssize_t n;

	if (!dir || !*dir)
		dir = "/tmp";
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		*err = xasprintf("cannot open %s: %s", src, strerror(errno));
		return NULL;
	}
	path = xasprintf("%s/pagoda-ovmf-vars-XXXXXX", dir);
	out = mkstemp(path);
	if (out < 0) {
		*err = xasprintf("cannot create %s: %s", path, strerror(errno));
		free(path);
		close(in);
		return NULL;
	}
	g_temp_path = path;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto io_error;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto io_error;
			off += w;
		}
	}
	close(in);
	if (close(out) != 0) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		return NULL;
	}
	return path;

io_error:
	*err = xasprintf("cannot copy %s to %s: %s", src, path, strerror(errno));
	close(in);
	close(out);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

enum run_mode { MODE_QEMU, MODE_HOST, MODE_SUMMARIZE };

enum scenario {
	SCENARIO_NORMAL,	/* tests run to completion, everything passes */
	SCENARIO_EXPECT_OOPS,	/* the kernel must oops (exit 37) */
	SCENARIO_LOADER_ERROR,	/* the loader must refuse; kernel must not run */
};

struct options {
	enum run_mode mode;
	enum scenario scenario;
	const char *name;
	const char *iso, *drive, *cmdline;
	const char *qemu, *ovmf_code, *ovmf_vars;
	const char *machine, *smp;	/* -machine, -smp values */
	bool no_debug_exit;		/* QEMU without isa-debug-exit */
	struct strvec rejects;		/* EREs no console line may match */
	const char *log_path, *tally_path, *summarize_path;
	int expect_levels;		/* 0: no paging-mode check */
	struct strvec expects;		/* POSIX EREs (borrowed from argv) */
	struct strvec qemu_args;	/* extra QEMU arguments (borrowed) */
	char **host_argv;		/* after "--" (borrowed) */
	double boot_timeout, test_timeout, total_timeout;	/* 0 = off */
	bool verbose, icount;
	const char *qemu_only_opt;	/* first QEMU-only option given, if any */
};

static const char usage_text[] =
"usage:\n"
"  ktest-runner --name NAME [--iso ISO] [--drive IMG] [QEMU options] [common options]\n"
"  ktest-runner --host --name NAME [common options] -- PROGRAM [ARGS...]\n"
"  ktest-runner --summarize TALLY\n"
"\n"
"QEMU options:\n"
"  --iso FILE             boot FILE as CD-ROM\n"
"  --drive FILE           attach raw image FILE as IDE disk (snapshot=on)\n"
"  --cmdline STRING       kernel command line, fw_cfg opt/pagoda/cmdline (default \"" DEFAULT_CMDLINE "\")\n"
"  --expect-levels 4|5    add test 'paging mode N-level'\n"
"  --expect-oops          crash scenario: an oops (or a panic) and exit status 37\n"
"                         are required\n"
"  --expect-loader-error  loader scenario: pass once every --expect pattern has\n"
"                         matched (QEMU is then killed); the kernel must not start\n"
"  --boot-timeout S       seconds until '" MARK_KERNEL_ENTRY "' (default 60, 0 = off)\n"
"  --icount               add -icount shift=0\n"
"  --machine TYPE         QEMU machine type (default q35)\n"
"  --smp N                QEMU -smp value (default 1)\n"
"  --no-debug-exit        run QEMU without isa-debug-exit: the kernel ends it by\n"
"                         ACPI power-off or reset, so QEMU exits 0; that counts\n"
"                         as success only after the kernel's power-off line\n"
"                         ('" MARK_POWEROFF "10)', or 11 with failed tests)\n"
"                         or a '" MARK_RESTART "' line, and no oops/panic\n"
"  --qemu-arg ARG         append ARG to the QEMU command line (repeatable)\n"
"  --qemu BIN             QEMU binary (default " DEFAULT_QEMU ", searched in PATH)\n"
"  --ovmf-code FILE       firmware code (default " DEFAULT_OVMF_CODE ")\n"
"  --ovmf-vars FILE       firmware vars template, copied privately (default " DEFAULT_OVMF_VARS ")\n"
"\n"
"common options:\n"
"  --name NAME            run name used in reports and the tally (no blanks)\n"
"  --expect REGEX         add a test passing iff some console line matches the\n"
"                         POSIX extended REGEX (repeatable)\n"
"  --reject REGEX         add a test failing iff some console line matches the\n"
"                         POSIX extended REGEX (repeatable)\n"
"  --test-timeout S       seconds without a new console line (QEMU default 60,\n"
"                         host default off)\n"
"  --timeout S            seconds for the whole run (QEMU default 300, host 60)\n"
"  --log FILE             write the whole cleaned console (and the report) to FILE\n"
"  --tally FILE           append 'NAME PASSED FAILED SKIPPED' to FILE\n"
"  --verbose              echo every console line\n";

enum opt_id {
	OPT_NAME, OPT_ISO, OPT_DRIVE, OPT_CMDLINE, OPT_EXPECT_LEVELS,
	OPT_EXPECT_OOPS, OPT_EXPECT_LOADER_ERROR, OPT_EXPECT, OPT_BOOT_TIMEOUT,
	OPT_TEST_TIMEOUT, OPT_TIMEOUT, OPT_LOG, OPT_TALLY, OPT_VERBOSE,
	OPT_ICOUNT, OPT_QEMU_ARG, OPT_QEMU, OPT_OVMF_CODE, OPT_OVMF_VARS,
	OPT_HOST, OPT_SUMMARIZE, OPT_HELP, OPT_MACHINE, OPT_SMP, OPT_NO_DEBUG_EXIT,
	OPT_REJECT,
};

enum opt_arg { OPTARG_NONE, OPTARG_VALUE };
enum opt_scope { SCOPE_ANY, SCOPE_QEMU_ONLY };

static const struct opt_spec {
	const char *name;
	enum opt_id id;
	enum opt_arg arg;
	enum opt_scope scope;
} opt_table[] = {
	{ "name",		 OPT_NAME,		  OPTARG_VALUE, SCOPE_ANY },
	{ "iso",		 OPT_ISO,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "drive",		 OPT_DRIVE,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "cmdline",		 OPT_CMDLINE,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "expect-levels",	 OPT_EXPECT_LEVELS,	  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "expect-oops",	 OPT_EXPECT_OOPS,	  OPTARG_NONE,  SCOPE_QEMU_ONLY },
	{ "expect-loader-error", OPT_EXPECT_LOADER_ERROR, OPTARG_NONE,  SCOPE_QEMU_ONLY },
	{ "expect",		 OPT_EXPECT,		  OPTARG_VALUE, SCOPE_ANY },
	{ "boot-timeout",	 OPT_BOOT_TIMEOUT,	  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "test-timeout",	 OPT_TEST_TIMEOUT,	  OPTARG_VALUE, SCOPE_ANY },
	{ "timeout",		 OPT_TIMEOUT,		  OPTARG_VALUE, SCOPE_ANY },
	{ "log",		 OPT_LOG,		  OPTARG_VALUE, SCOPE_ANY },
	{ "tally",		 OPT_TALLY,		  OPTARG_VALUE, SCOPE_ANY },
	{ "verbose",		 OPT_VERBOSE,		  OPTARG_NONE,  SCOPE_ANY },
	{ "icount",		 OPT_ICOUNT,		  OPTARG_NONE,  SCOPE_QEMU_ONLY },
	{ "qemu-arg",		 OPT_QEMU_ARG,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "qemu",		 OPT_QEMU,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "ovmf-code",		 OPT_OVMF_CODE,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "ovmf-vars",		 OPT_OVMF_VARS,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "host",		 OPT_HOST,		  OPTARG_NONE,  SCOPE_ANY },
	{ "summarize",		 OPT_SUMMARIZE,		  OPTARG_VALUE, SCOPE_ANY },
	{ "help",		 OPT_HELP,		  OPTARG_NONE,  SCOPE_ANY },
	{ "machine",		 OPT_MACHINE,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "smp",		 OPT_SMP,		  OPTARG_VALUE, SCOPE_QEMU_ONLY },
	{ "no-debug-exit",	 OPT_NO_DEBUG_EXIT,	  OPTARG_NONE,  SCOPE_QEMU_ONLY },
	{ "reject",		 OPT_REJECT,		  OPTARG_VALUE, SCOPE_ANY },
};

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ktest-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(try --help)\n", stderr);
	exit(RUNNER_USAGE);
}

static double parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		usage_error("--%s: '%s' is not a number of seconds", opt, s);
	return v;
}

static const struct opt_spec *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		if (strlen(opt_table[i].name) == len &&
		    strncmp(opt_table[i].name, name, len) == 0)
			return &opt_table[i];
	}
	return NULL;
}

static void apply_option(struct options *o, const struct opt_spec *spec,
			 const char *val)
{
	if (spec->scope == SCOPE_QEMU_ONLY && !o->qemu_only_opt)
		o->qemu_only_opt = spec->name;

	switch (spec->id) {
	case OPT_NAME:		o->name = val; break;
	case OPT_ISO:		o->iso = val; break;
	case OPT_DRIVE:		o->drive = val; break;
	case OPT_CMDLINE:	o->cmdline = val; break;
	case OPT_EXPECT_OOPS:	o->scenario = SCENARIO_EXPECT_OOPS; break;
	case OPT_EXPECT_LOADER_ERROR: o->scenario = SCENARIO_LOADER_ERROR; break;
	case OPT_EXPECT:	strvec_push(&o->expects, (char *)val); break;
	case OPT_BOOT_TIMEOUT:	o->boot_timeout = parse_seconds(spec->name, val); break;
	case OPT_TEST_TIMEOUT:	o->test_timeout = parse_seconds(spec->name, val); break;
	case OPT_TIMEOUT:	o->total_timeout = parse_seconds(spec->name, val); break;
	case OPT_LOG:		o->log_path = val; break;
	case OPT_TALLY:		o->tally_path = val; break;
	case OPT_VERBOSE:	o->verbose = true; break;
	case OPT_ICOUNT:	o->icount = true; break;
	case OPT_QEMU_ARG:	strvec_push(&o->qemu_args, (char *)val); break;
	case OPT_QEMU:		o->qemu = val; break;
	case OPT_OVMF_CODE:	o->ovmf_code = val; break;
	case OPT_OVMF_VARS:	o->ovmf_vars = val; break;
	case OPT_HOST:		o->mode = MODE_HOST; break;
	case OPT_MACHINE:	o->machine = val; break;
	case OPT_SMP:		o->smp = val; break;
	case OPT_NO_DEBUG_EXIT:	o->no_debug_exit = true; break;
	case OPT_REJECT:	strvec_push(&o->rejects, (char *)val); break;
	case OPT_SUMMARIZE:
		o->mode = MODE_SUMMARIZE;
		o->summarize_path = val;
		break;
	case OPT_EXPECT_LEVELS:
		if (strcmp(val, "4") != 0 && strcmp(val, "5") != 0)
			usage_error("--expect-levels takes 4 or 5, not '%s'", val);
		o->expect_levels = val[0] - '0';
		break;
	case OPT_HELP:
		fputs(usage_text, stdout);
		exit(RUNNER_OK);
	}
}

/* Checks option combinations and fills in mode-dependent defaults. */
static void finish_options(struct options *o)
{
	if (o->mode == MODE_SUMMARIZE)
		return;
	if (!o->name || !*o->name)
		usage_error("--name is required");
	for (const char *p = o->name; *p; p++) {
		if (isspace((unsigned char)*p))
			usage_error("--name must not contain blanks");
	}
	if (o->mode == MODE_HOST) {
		if (!o->host_argv || !o->host_argv[0])
			usage_error("--host needs '-- PROGRAM [ARGS...]'");
		if (o->qemu_only_opt)
			usage_error("--%s cannot be used with --host", o->qemu_only_opt);
		if (o->total_timeout < 0)
			o->total_timeout = 60;
		if (o->test_timeout < 0)
			o->test_timeout = 0;
		o->boot_timeout = 0;
		return;
	}
	if (o->host_argv)
		usage_error("'-- PROGRAM' is only valid with --host");
	if (o->scenario == SCENARIO_LOADER_ERROR) {
		if (o->expects.n == 0)
			usage_error("--expect-loader-error needs at least one --expect");
		if (o->expect_levels)
			usage_error("--expect-levels makes no sense with --expect-loader-error");
	}
	if (o->boot_timeout < 0)
		o->boot_timeout = 60;
	if (o->test_timeout < 0)
		o->test_timeout = 60;
	if (o->total_timeout < 0)
		o->total_timeout = 300;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	bool saw_oops = false, saw_loader = false;

	memset(o, 0, sizeof(*o));
	o->mode = MODE_QEMU;
	o->scenario = SCENARIO_NORMAL;
	o->cmdline = DEFAULT_CMDLINE;
	o->qemu = DEFAULT_QEMU;
	o->ovmf_code = DEFAULT_OVMF_CODE;
	o->ovmf_vars = DEFAULT_OVMF_VARS;
	o->machine = "q35";
	o->smp = "1";
	o->boot_timeout = o->test_timeout = o->total_timeout = -1;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		const struct opt_spec *spec;
		size_t len;

		if (strcmp(arg, "--") == 0) {
			o->host_argv = argv + i + 1;
			break;
		}
		if (strncmp(arg, "--", 2) != 0)
			usage_error("unexpected argument '%s'", arg);
		arg += 2;
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		spec = find_option(arg, len);
		if (!spec)
			usage_error("unknown option '%s'", argv[i]);
		if (spec->arg == OPTARG_VALUE) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				usage_error("--%s needs a value", spec->name);
		} else if (eq) {
			usage_error("--%s takes no value", spec->name);
		}
		saw_oops |= spec->id == OPT_EXPECT_OOPS;
		saw_loader |= spec->id == OPT_EXPECT_LOADER_ERROR;
		apply_option(o, spec, val);
	}
	if (saw_oops && saw_loader)
		usage_error("--expect-oops and --expect-loader-error exclude each other");
	finish_options(o);
}

/* ------------------------------------------------------------------------ */
/* Report: suites, failures and counts of one run                           */
/* ------------------------------------------------------------------------ */

struct suite {
	char *name;		/* NULL until known */
	long passed, failed, skipped;
};

enum failure_kind {
	FAILURE_TEST,		/* a KTAP test said "not ok" */
	FAILURE_RUN,		/* crash, hang, missing results, failed check */
};

struct failure {
	int suite;		/* index into report.suites, or -1 */
	enum failure_kind kind;
	char *what;		/* test name or description of the problem */
	char *detail;		/* optional extra line */
	struct strvec diag;	/* KTAP diagnostics that followed "not ok" */
};

struct report {
	struct suite *suites;
	size_t nsuites, suites_cap;
	struct failure *fails;
	size_t nfails, fails_cap;
	long unlisted;		/* failures counted but not kept */
	long passed, failed, skipped;
	long ktap_failed;	/* failures derived from the KTAP stream */
	long run_failed;	/* failures of kind FAILURE_RUN */
};

/* Returns the index of a new, unnamed suite, or -1 past MAX_SUITES. */
static int report_add_suite(struct report *rep)
{
	if (rep->nsuites >= MAX_SUITES)
		return -1;
	grow((void **)&rep->suites, &rep->suites_cap, rep->nsuites + 1,
	     sizeof(*rep->suites));
	memset(&rep->suites[rep->nsuites], 0, sizeof(*rep->suites));
	return (int)rep->nsuites++;
}

/* Names suite @idx unless it already has a name. */
static void report_name_suite(struct report *rep, int idx, const char *name)
{
	if (idx >= 0 && !rep->suites[idx].name && *name)
		rep->suites[idx].name = xstrdup(name);
}

static void report_pass(struct report *rep, int suite)
{
	rep->passed++;
	if (suite >= 0)
		rep->suites[suite].passed++;
}

static void report_skip(struct report *rep, int suite)
{
	rep->skipped++;
	if (suite >= 0)
		rep->suites[suite].skipped++;
}

/*
 * Counts one failed test and keeps it for the failure report.  Takes
 * ownership of @what and @detail (which may be NULL).  Returns the index
 * of the kept failure, or -1 when the list is full (it is still counted).
 */
static long report_fail(struct report *rep, int suite, enum failure_kind kind,
			char *what, char *detail)
{
	struct failure *f;

	rep->failed++;
	if (kind == FAILURE_RUN)
		rep->run_failed++;
	if (suite >= 0)
		rep->suites[suite].failed++;
	if (rep->nfails >= MAX_LISTED_FAILURES) {
		rep->unlisted++;
		free(what);
		free(detail);
		return -1;
	}
	grow((void **)&rep->fails, &rep->fails_cap, rep->nfails + 1,
	     sizeof(*rep->fails));
	f = &rep->fails[rep->nfails];
	memset(f, 0, sizeof(*f));
	f->suite = suite;
	f->kind = kind;
	f->what = what;
	f->detail = detail;
	return (long)rep->nfails++;
}

static void report_diag(struct report *rep, long idx, const char *text)
{
	struct failure *f;

	if (idx < 0)
		return;
	f = &rep->fails[idx];
	if (f->diag.n < MAX_DIAG_LINES)
		strvec_push(&f->diag, xstrdup(text));
	else if (f->diag.n == MAX_DIAG_LINES)
		strvec_push(&f->diag, xstrdup("# [further diagnostics dropped]"));
}

enum verdict { VERDICT_FAIL, VERDICT_PASS };

/* Records a runner-defined test (check).  Takes ownership of the strings. */
static void report_check(struct report *rep, enum verdict v, char *what,
			 char *detail)
{
	if (v == VERDICT_PASS) {
		report_pass(rep, -1);
		free(what);
		free(detail);
		return;
	}
	report_fail(rep, -1, FAILURE_RUN, what, detail);
}

static const char *suite_name(const struct report *rep, int idx)
{
	return rep->suites[idx].name;
}

/* Gives every still-unnamed suite a positional name. */
static void report_name_leftovers(struct report *rep)
{
	for (size_t i = 0; i < rep->nsuites; i++) {
		if (!rep->suites[i].name)
			rep->suites[i].name = xasprintf("suite%zu", i + 1);
	}
}

/* ------------------------------------------------------------------------ */
/* KTAP parser                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Nesting is tracked by indentation: each open level remembers the indent
 * of its lines; a structural line indented deeper than the innermost level
 * opens a new level, a result line at a shallower indent closes the levels
 * below it.  Results are counted as they arrive: a result is a leaf (a test)
 * unless the nested block just before it reported results of its own, in
 * which case it is the summary line of a subtest.  Level 1 blocks are the
 * suites of the per-suite summary; deeper levels are counted into their
 * level 1 suite.
 */

enum ktap_kind {
	KTAP_OTHER,		/* not KTAP (kernel log noise) */
	KTAP_VERSION,		/* "KTAP version 1" */
	KTAP_PLAN,		/* "1..N" */
	KTAP_RESULT,		/* "ok N desc" / "not ok N desc" */
	KTAP_SUBTEST,		/* "# Subtest: name" */
	KTAP_DIAG,		/* any other "# ..." */
};

enum result_status { RESULT_OK, RESULT_NOT_OK, RESULT_SKIP };

struct ktap_line {
	enum ktap_kind kind;
	int indent;
	long number;		/* plan count, or test number (-1: none) */
	enum result_status status;
	const char *text;	/* description / subtest name / whole line */
};

struct ktap_level {
	int indent;
	long plan;		/* -1 until a plan line is seen */
	long nresults;		/* result lines seen at this level */
	long failures;		/* failures recorded at or below this level */
	int suite;		/* suite the level's tests count towards */
	char *name;		/* from "# Subtest:", may be NULL */
};

enum completeness {
	REQUIRE_COMPLETE,	/* fewer results than planned is a failure */
	ALLOW_INCOMPLETE,	/* crash scenarios: missing results are expected */
};

struct ktap {
	bool started;		/* saw the first "KTAP version" line */
	enum completeness completeness;
	int depth;		/* number of open levels */
	struct ktap_level lv[KTAP_MAX_DEPTH];
	long diag_target;	/* failure that "# ..." lines attach to, or -1 */
};

/* Skips a printk timestamp "[    1.234567] " at the start of @s. */
static const char *skip_timestamp(const char *s)
{
	const char *p = s;

	if (*p++ != '[')
		return s;
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return s;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return s;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != ']')
		return s;
	if (*p == ' ')
		p++;
	return p;
}

/* Returns the indentation width of *sp (tabs to multiples of 8), skips it. */
static int measure_indent(const char **sp)
{
	const char *p = *sp;
	int col = 0;

	for (;; p++) {
		if (*p == ' ')
			col++;
		else if (*p == '\t')
			col = (col / 8 + 1) * 8;
		else
			break;
	}
	*sp = p;
	return col;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static bool parse_plan(const char *s, long *count)
{
	char *end;

	if (strncmp(s, "1..", 3) != 0 || !isdigit((unsigned char)s[3]))
		return false;
	errno = 0;
	*count = strtol(s + 3, &end, 10);
	if (errno)
		return false;
	end = (char *)skip_blanks(end);
	return *end == '\0' || *end == '#';
}

/* Returns the '#' that starts a "# SKIP" directive in @s, or NULL. */
static char *find_skip_directive(char *s)
{
	for (char *h = strchr(s, '#'); h; h = strchr(h + 1, '#')) {
		const char *d = skip_blanks(h + 1);

		if (strncasecmp(d, "skip", 4) == 0 &&
		    !isalnum((unsigned char)d[4]))
			return h;
	}
	return NULL;
}

/* Parses a result line in place (cuts the directive off the description). */
static bool parse_result(char *s, struct ktap_line *ln)
{
	const char *p;
	char *desc, *skip;

	if ((p = after_word(s, "ok")))
		ln->status = RESULT_OK;
	else if ((p = after_word(s, "not ok")))
		ln->status = RESULT_NOT_OK;
	else
		return false;
	p = skip_blanks(p);
	ln->number = -1;
	if (isdigit((unsigned char)*p)) {
		char *end;

		ln->number = strtol(p, &end, 10);
		p = skip_blanks(end);
	}
	if (p[0] == '-' && (p[1] == ' ' || p[1] == '\0'))
		p = skip_blanks(p + 1);
	desc = s + (p - s);
	skip = find_skip_directive(desc);
	if (skip) {
		ln->status = RESULT_SKIP;
		*skip = '\0';
		rtrim(desc);
	}
	ln->text = desc;
	return true;
}

/*
 * Classifies one console line.  @buf (LINE_CAP + 1 bytes) receives the line
 * without timestamp, indentation and trailing blanks; ln->text points into it.
 */
static void ktap_classify(const char *raw, char *buf, struct ktap_line *ln)
{
	const char *s = skip_timestamp(raw), *rest;
	size_t n;

	ln->indent = measure_indent(&s);
	n = strlen(s);
	if (n > LINE_CAP)
		n = LINE_CAP;
	memcpy(buf, s, n);
	buf[n] = '\0';
	rtrim(buf);
	ln->kind = KTAP_OTHER;
	ln->text = buf;
	ln->number = -1;
	ln->status = RESULT_OK;

	if (strncmp(buf, "KTAP version ", 13) == 0 ||
	    strncmp(buf, "TAP version ", 12) == 0) {
		ln->kind = KTAP_VERSION;
	} else if (parse_plan(buf, &ln->number)) {
		ln->kind = KTAP_PLAN;
	} else if (parse_result(buf, ln)) {
		ln->kind = KTAP_RESULT;
	} else if ((rest = after_word(buf, "# Subtest:"))) {
		ln->kind = KTAP_SUBTEST;
		ln->text = skip_blanks(rest);
	} else if (buf[0] == '#') {
		ln->kind = KTAP_DIAG;
	}
}

/*
 * Returns the level a structural line indented @indent belongs to: the
 * innermost open level indented no deeper than the line.  Returns k->depth
 * when the line is indented deeper than every open level, i.e. it starts a
 * new nested level (unless KTAP_MAX_DEPTH is reached, then the innermost).
 */
static int ktap_locate(const struct ktap *k, int indent)
{
	int top = k->depth - 1;

	if (indent > k->lv[top].indent)
		return k->depth < KTAP_MAX_DEPTH ? k->depth : top;
	for (int d = top; d > 0; d--) {
		if (k->lv[d].indent <= indent)
			return d;
	}
	return 0;
}

static void ktap_open_level(struct ktap *k, struct report *rep, int indent)
{
	struct ktap_level *lv = &k->lv[k->depth];

	lv->indent = indent;
	lv->plan = -1;
	lv->nresults = 0;
	lv->failures = 0;
	lv->name = NULL;
	if (k->depth == 0)
		lv->suite = -1;
	else if (k->depth == 1)
		lv->suite = report_add_suite(rep);
	else
		lv->suite = k->lv[1].suite;
	k->depth++;
}

static bool ktap_level_is_fresh(const struct ktap_level *lv)
{
	return lv->plan < 0 && lv->nresults == 0;
}

static void ktap_name_level(struct ktap *k, struct report *rep, int d,
			    const char *name)
{
	free(k->lv[d].name);
	k->lv[d].name = xstrdup(name);
	if (d == 1)
		report_name_suite(rep, k->lv[1].suite, name);
}

/*
 * Records a failure found in the KTAP stream at level @d, counting it for
 * that level and every enclosing one.  Takes ownership of @what.  Returns
 * the report index (see report_fail).
 */
static long ktap_fail(struct ktap *k, struct report *rep, int d, int suite,
		      enum failure_kind kind, char *what)
{
	for (int i = 0; i <= d; i++)
		k->lv[i].failures++;
	rep->ktap_failed++;
	return report_fail(rep, suite, kind, what, NULL);
}

/* Appends " in SUBTEST" for levels below the suite level, takes @msg. */
static char *ktap_level_msg(const struct ktap *k, int d, char *msg)
{
	char *s;

	if (d < 2 || !k->lv[d].name)
		return msg;
	s = xasprintf("%s in %s", msg, k->lv[d].name);
	free(msg);
	return s;
}

/* Compares the result count of level @d with its plan. */
static void ktap_check_plan(struct ktap *k, struct report *rep, int d)
{
	struct ktap_level *lv = &k->lv[d];
	char *msg;

	if (k->completeness != REQUIRE_COMPLETE)
		return;
	if (lv->plan < 0) {
		if (d == 0)
			ktap_fail(k, rep, 0, -1, FAILURE_RUN,
				  xstrdup("KTAP plan missing"));
		return;
	}
	if (lv->nresults < lv->plan)
		msg = xasprintf("missing results for %ld planned tests",
				lv->plan - lv->nresults);
	else if (lv->nresults > lv->plan)
		msg = xasprintf("%ld results beyond the plan of %ld",
				lv->nresults - lv->plan, lv->plan);
	else
		return;
	ktap_fail(k, rep, d, lv->suite, FAILURE_RUN, ktap_level_msg(k, d, msg));
}

struct closed_level {
	long nresults, failures;
	int suite;
};

/*
 * Closes the innermost level.  @closing_desc is the description of the
 * result line that closes it (names an unnamed suite), or NULL when the
 * level was interrupted.  Missing results are reported either way.
 */
static struct closed_level ktap_close_level(struct ktap *k, struct report *rep,
					    const char *closing_desc)
{
	int d = k->depth - 1;
	struct ktap_level *lv = &k->lv[d];
	struct closed_level c;

	if (d == 1 && closing_desc)
		report_name_suite(rep, lv->suite, closing_desc);
	ktap_check_plan(k, rep, d);
	c.nresults = lv->nresults;
	c.failures = lv->failures;
	c.suite = lv->suite;
	free(lv->name);
	lv->name = NULL;
	k->depth--;
	return c;
}

/* Closes levels (as interrupted) until only @keep remain open. */
static void ktap_close_to(struct ktap *k, struct report *rep, int keep)
{
	while (k->depth > keep)
		ktap_close_level(k, rep, NULL);
}

static void ktap_on_version(struct ktap *k, struct report *rep,
			    const struct ktap_line *ln)
{
	int d;

	if (!k->started) {
		k->started = true;
		ktap_open_level(k, rep, ln->indent);
		return;
	}
	d = ktap_locate(k, ln->indent);
	if (d == k->depth) {
		ktap_open_level(k, rep, ln->indent);
		return;
	}
	if (d == 0)
		return;		/* repeated top-level header */
	ktap_close_to(k, rep, d + 1);
	if (!ktap_level_is_fresh(&k->lv[d])) {
		/* a new block where the previous one never got its result */
		ktap_close_to(k, rep, d);
		ktap_open_level(k, rep, ln->indent);
	}
}

static void ktap_on_subtest(struct ktap *k, struct report *rep,
			    const struct ktap_line *ln)
{
	int d = ktap_locate(k, ln->indent);

	if (d == 0)
		return;		/* a top-level "# Subtest:" is just a comment */
	if (d == k->depth) {
		ktap_open_level(k, rep, ln->indent);
	} else {
		ktap_close_to(k, rep, d + 1);
		if (!ktap_level_is_fresh(&k->lv[d]) || k->lv[d].name) {
			ktap_close_to(k, rep, d);
			ktap_open_level(k, rep, ln->indent);
		}
	}
	ktap_name_level(k, rep, k->depth - 1, ln->text);
}

static void ktap_on_plan(struct ktap *k, struct report *rep,
			 const struct ktap_line *ln)
{
	int d = ktap_locate(k, ln->indent);

	if (d == k->depth)
		ktap_open_level(k, rep, ln->indent);
	else
		ktap_close_to(k, rep, d + 1);
	d = k->depth - 1;
	if (k->lv[d].plan < 0)
		k->lv[d].plan = ln->number;
}

/* Name of a leaf at level @d: nested subtest names, then the description. */
static char *ktap_test_name(const struct ktap *k, int d,
			    const struct ktap_line *ln)
{
	char *name;

	if (*ln->text)
		name = xstrdup(ln->text);
	else if (ln->number >= 0)
		name = xasprintf("test %ld", ln->number);
	else
		name = xstrdup("(unnamed test)");
	for (int i = d; i >= 2; i--) {
		char *outer;

		if (!k->lv[i].name)
			continue;
		outer = xasprintf("%s: %s", k->lv[i].name, name);
		free(name);
		name = outer;
	}
	return name;
}

static void ktap_on_result(struct ktap *k, struct report *rep,
			   const struct ktap_line *ln)
{
	struct closed_level child = { 0, 0, -1 };
	bool has_child;
	int d = ktap_locate(k, ln->indent), suite;

	if (d == k->depth)
		ktap_open_level(k, rep, ln->indent);	/* results without header */
	else
		ktap_close_to(k, rep, d + 2);
	has_child = k->depth > d + 1;
	if (has_child)
		child = ktap_close_level(k, rep, ln->text);
	k->lv[d].nresults++;
	k->diag_target = -1;

	suite = d >= 1 ? k->lv[1].suite : child.suite;
	if (has_child && child.nresults > 0) {
		/* summary of a subtest whose tests were counted one by one */
		if (ln->status == RESULT_NOT_OK && child.failures == 0)
			ktap_fail(k, rep, d, suite, FAILURE_TEST,
				  xasprintf("%s: reported not ok, but none of its tests failed",
					    ln->text));
		return;
	}
	switch (ln->status) {
	case RESULT_OK:
		report_pass(rep, suite);
		break;
	case RESULT_SKIP:
		report_skip(rep, suite);
		break;
	case RESULT_NOT_OK:
		k->diag_target = ktap_fail(k, rep, d, suite, FAILURE_TEST,
					   ktap_test_name(k, d, ln));
		break;
	}
}

/* Feeds one cleaned console line (at most LINE_CAP bytes) to the parser. */
static void ktap_feed_line(struct ktap *k, struct report *rep, const char *raw)
{
	char buf[LINE_CAP + 1];
	struct ktap_line ln;

	ktap_classify(raw, buf, &ln);
	if (!k->started && ln.kind != KTAP_VERSION)
		return;		/* firmware and boot noise */
	switch (ln.kind) {
	case KTAP_VERSION:
		k->diag_target = -1;
		ktap_on_version(k, rep, &ln);
		break;
	case KTAP_SUBTEST:
		k->diag_target = -1;
		ktap_on_subtest(k, rep, &ln);
		break;
	case KTAP_PLAN:
		k->diag_target = -1;
		ktap_on_plan(k, rep, &ln);
		break;
	case KTAP_RESULT:
		ktap_on_result(k, rep, &ln);
		break;
	case KTAP_DIAG:
		report_diag(rep, k->diag_target, ln.text);
		break;
	case KTAP_OTHER:
		break;
	}
}

/*
 * Ends the stream: closes every open level as interrupted, which reports
 * missing results under REQUIRE_COMPLETE.  Returns whether KTAP was seen.
 */
static bool ktap_finish(struct ktap *k, struct report *rep)
{
	if (!k->started)
		return false;
	ktap_close_to(k, rep, 0);
	return true;
}

/* ------------------------------------------------------------------------ */
/* Console tail ring                                                        */
/* ------------------------------------------------------------------------ */

struct tail {
	char *line[TAIL_LINES];
	size_t next, count;
};

/* Takes ownership of @s. */
static void tail_push(struct tail *t, char *s)
{
	free(t->line[t->next]);
	t->line[t->next] = s;
	t->next = (t->next + 1) % TAIL_LINES;
	if (t->count < TAIL_LINES)
		t->count++;
}

static void tail_print(const struct tail *t, FILE *f)
{
	size_t first = (t->next + TAIL_LINES - t->count) % TAIL_LINES;

	for (size_t i = 0; i < t->count; i++)
		fprintf(f, "  | %s\n", t->line[(first + i) % TAIL_LINES]);
}

/* ------------------------------------------------------------------------ */
/* Child process                                                            */
/* ------------------------------------------------------------------------ */

struct child {
	pid_t pid;		/* also the child's process group */
	bool reaped;
	int wstatus;
	double start, end;	/* monotonic seconds */
};

/*
 * Forks and execs argv[0] (PATH search) in a new process group with stdin
 * from /dev/null and stdout/stderr on pipes (returned in out_fd/err_fd,
 * non-blocking).  Returns 0, or -1 with *err set when the program could not
 * be started (including exec failure, reported back through a pipe).
 */
static int spawn_child(struct child *c, char *const argv[], int *out_fd,
		       int *err_fd, char **err)
{
	int out[2], errp[2], report[2], child_errno;
	ssize_t n;

	if (pipe(out) || pipe(errp) || pipe(report))
		fatal("pipe: %s", strerror(errno));
	fcntl(report[1], F_SETFD, FD_CLOEXEC);
	fflush(NULL);
	c->start = mono_now();
	c->pid = fork();
	if (c->pid < 0)
		fatal("fork: %s", strerror(errno));
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(errp[1], 2) < 0)
			goto failed;
		close(devnull);
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		close(report[0]);
		execvp(argv[0], argv);
failed:
		child_errno = errno;
		if (write(report[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(c->pid, c->pid);	/* also here: no race with kill(-pid) */
	g_child_pgid = c->pid;
	close(out[1]);
	close(errp[1]);
	close(report[1]);
	do {
		n = read(report[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		*err = xasprintf("cannot run %s: %s", argv[0], strerror(child_errno));
		while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR)
			;
		c->reaped = true;
		g_child_pgid = 0;
		close(out[0]);
		close(errp[0]);
		return -1;
	}
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	fcntl(errp[0], F_SETFD, FD_CLOEXEC);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	*out_fd = out[0];
	*err_fd = errp[0];
	return 0;
}

enum wait_how { WAIT_NONBLOCKING, WAIT_BLOCKING };

/* Reaps the child if it has exited (or waits for it). */
static void child_reap(struct child *c, enum wait_how how)
{
	pid_t r;

	if (c->reaped)
		return;
	do {
		r = waitpid(c->pid, &c->wstatus,
			    how == WAIT_NONBLOCKING ? WNOHANG : 0);
	} while (r < 0 && errno == EINTR);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->reaped = true;
		c->end = mono_now();
	}
}

/* SIGKILLs the child's process group (the child itself as a fallback). */
static void child_kill(const struct child *c)
{
	if (kill(-c->pid, SIGKILL) != 0 && !c->reaped)
		kill(c->pid, SIGKILL);
}

/* ------------------------------------------------------------------------ */
/* A run: streams, console markers and the read loop                        */
/* ------------------------------------------------------------------------ */

enum stream_id { STREAM_CONSOLE, STREAM_STDERR };
enum esc_state { ESC_NONE, ESC_SEEN, ESC_CSI };

/* One output pipe of the child, cleaned and cut into lines. */
struct stream {
	enum stream_id id;
	int fd;			/* -1 after EOF */
	enum esc_state esc;
	unsigned csi_len;
	bool mid_line;		/* a piece of the current line was delivered */
	size_t len;
	char buf[LINE_CAP + 1];
};

/*
 * A piece of a line: lines longer than LINE_CAP are delivered in several
 * pieces; @first/@last tell where the piece sits in its line.
 */
struct line_piece {
	const char *text;	/* NUL-terminated, no control characters */
	size_t len;
	bool first, last;
};

/* What the console showed (QEMU mode). */
struct console_watch {
	bool kernel_entry;
	double kernel_entry_time;
	int paging_levels;	/* 0 until the paging-mode line */
	char *paging_line;
	char *oops_line;	/* first "Oops:" line */
	bool oops_ended;
	char *panic_line;
	char *loader_line;	/* first loader error line */
	int poweroff_status;	/* from MARK_POWEROFF, -1 until seen */
	char *restart_line;	/* first MARK_RESTART line */
};

struct expectation {
	const char *pattern;
	regex_t re;
	bool matched;
	bool reject;		/* --reject: matching is the failure */
	char *line;		/* --reject: the first line that matched */
};

enum stop_reason {
	STOP_NONE,
	STOP_CHILD_EXITED,
	STOP_BOOT_TIMEOUT,
	STOP_SILENCE_TIMEOUT,
	STOP_TOTAL_TIMEOUT,
	STOP_EXPECT_MET,	/* loader scenario succeeded */
	STOP_LOADER_ERROR,	/* unexpected loader error */
	STOP_KERNEL_ENTERED,	/* loader scenario failed: the kernel started */
	STOP_INTERRUPTED,	/* we got SIGINT/SIGTERM/SIGHUP */
	STOP_SETUP_FAILED,	/* the child never ran */
};

struct run {
	const struct options *opt;
	struct report rep;
	struct ktap ktap;
	bool ktap_enabled;
	struct console_watch watch;
	struct expectation *expects;
	size_t nexpects, nmatched;
	struct tail tail;
	FILE *log;
	struct stream out, err;
	struct child child;
	double last_line;	/* time of the last console line */
	enum stop_reason stop;
	enum stop_reason pending_stop;	/* requested, takes effect at ... */
	double pending_stop_at;		/* ... this time */
};

/* Asks the read loop to stop at @when (the earliest request wins). */
static void request_stop(struct run *r, enum stop_reason why, double when)
{
	if (r->pending_stop != STOP_NONE && r->pending_stop_at <= when)
		return;
	r->pending_stop = why;
	r->pending_stop_at = when;
}

static void write_piece(FILE *f, const char *prefix, const struct line_piece *p)
{
	if (p->first && prefix)
		fputs(prefix, f);
	fwrite(p->text, 1, p->len, f);
	if (p->last)
		fputc('\n', f);
}

static void tail_push_piece(struct tail *t, const char *prefix,
			    const struct line_piece *p)
{
	tail_push(t, xasprintf("%s%s%s", prefix ? prefix : "", p->text,
			       p->last ? "" : " [...]"));
}

static void keep_first(char **slot, const char *text)
{
	if (!*slot)
		*slot = xstrdup(text);
}

/* Looks for the kernel's and loader's console markers. */
static void watch_scan(struct run *r, const char *text, double now)
{
	struct console_watch *w = &r->watch;
	const char *pm;

	if (!w->kernel_entry && strstr(text, MARK_KERNEL_ENTRY)) {
		w->kernel_entry = true;
		w->kernel_entry_time = now;
		if (r->opt->scenario == SCENARIO_LOADER_ERROR)
			request_stop(r, STOP_KERNEL_ENTERED, now + LOADER_ERROR_GRACE_S);
	}
	pm = strstr(text, MARK_PAGING_MODE);
	if (pm && !w->paging_line) {
		pm += strlen(MARK_PAGING_MODE);
		if (isdigit((unsigned char)pm[0]) && strncmp(pm + 1, "-level", 6) == 0) {
			w->paging_levels = pm[0] - '0';
			w->paging_line = xstrdup(text);
		}
	}
	if (strstr(text, MARK_OOPS))
		keep_first(&w->oops_line, text);
	if (w->oops_line && strstr(text, MARK_OOPS_END))
		w->oops_ended = true;
	if (strstr(text, MARK_PANIC))
		keep_first(&w->panic_line, text);
	if ((pm = strstr(text, MARK_POWEROFF)) && w->poweroff_status < 0)
		w->poweroff_status = (int)strtol(pm + strlen(MARK_POWEROFF), NULL, 16);
	if (strstr(text, MARK_RESTART))
		keep_first(&w->restart_line, text);
	if (strstr(text, MARK_LOADER_ERROR)) {
		keep_first(&w->loader_line, text);
		if (r->opt->scenario != SCENARIO_LOADER_ERROR)
			request_stop(r, STOP_LOADER_ERROR, now + LOADER_ERROR_GRACE_S);
	}
}

/* Patterns are matched against the line without its printk timestamp. */
static void expect_scan(struct run *r, const char *text, double now)
{
	text = skip_timestamp(text);
	for (size_t i = 0; i < r->nexpects; i++) {
		struct expectation *e = &r->expects[i];

		if (e->matched || regexec(&e->re, text, 0, NULL, 0) != 0)
			continue;
		e->matched = true;
		if (e->reject)
			e->line = xstrdup(text);
		else
			r->nmatched++;
	}
	if (r->opt->scenario == SCENARIO_LOADER_ERROR && r->opt->expects.n &&
	    r->nmatched == r->opt->expects.n)
		request_stop(r, STOP_EXPECT_MET, now);
}

static void on_console_piece(struct run *r, const struct line_piece *p)
{
	double now = mono_now();

	r->last_line = now;
	if (r->log)
		write_piece(r->log, NULL, p);
	if (r->opt->verbose)
		write_piece(stdout, NULL, p);
	if (p->first)
		tail_push_piece(&r->tail, NULL, p);
	if (r->opt->mode == MODE_QEMU)
		watch_scan(r, p->text, now);
	expect_scan(r, p->text, now);
	if (p->first && r->ktap_enabled)
		ktap_feed_line(&r->ktap, &r->rep, p->text);
}

static void on_stderr_piece(struct run *r, const struct line_piece *p)
{
	static const char prefix[] = "[stderr] ";

	if (r->log)
		write_piece(r->log, prefix, p);
	if (r->opt->verbose)
		write_piece(stdout, prefix, p);
	if (p->first)
		tail_push_piece(&r->tail, prefix, p);
}

enum piece_end { PIECE_ENDS_LINE, PIECE_CONTINUES };

/* Hands the buffered (part of a) line to the stream's consumers. */
static void stream_deliver(struct run *r, struct stream *s, enum piece_end end)
{
	struct line_piece p;

	s->buf[s->len] = '\0';
	p.text = s->buf;
	p.len = s->len;
	p.first = !s->mid_line;
	p.last = end == PIECE_ENDS_LINE;
	if (s->id == STREAM_CONSOLE)
		on_console_piece(r, &p);
	else
		on_stderr_piece(r, &p);
	s->len = 0;
	s->mid_line = end == PIECE_CONTINUES;
}

/*
 * Console cleaning, one byte at a time; the state survives across reads so
 * escape sequences split between reads are still removed.  Drops CSI
 * sequences (ESC '[' params final-byte), ESC + one character, '\r' and other
 * control characters except '\t' and '\n'.  Returns the byte to keep or -1.
 */
static int clean_byte(struct stream *s, unsigned char c)
{
	switch (s->esc) {
	case ESC_NONE:
		break;
	case ESC_SEEN:
		if (c == '[') {
			s->esc = ESC_CSI;
			s->csi_len = 0;
			return -1;
		}
		if (c == 0x1b)
			return -1;
		s->esc = ESC_NONE;
		if (c >= 0x20)
			return -1;	/* ESC + one character */
		break;			/* control characters act normally */
	case ESC_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			s->esc = ESC_NONE;
			return -1;
		}
		if (c >= 0x20 && c <= 0x3f && ++s->csi_len < CSI_MAX_LEN)
			return -1;
		s->esc = ESC_NONE;	/* malformed: treat the byte as text */
		break;
	}
	if (c == 0x1b) {
		s->esc = ESC_SEEN;
		return -1;
	}
	if (c == '\n' || c == '\t')
		return c;
	if (c < 0x20 || c == 0x7f)
		return -1;
	return c;
}

static void stream_feed(struct run *r, struct stream *s, const char *data,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = clean_byte(s, (unsigned char)data[i]);

		if (c < 0)
			continue;
		if (c == '\n') {
			stream_deliver(r, s, PIECE_ENDS_LINE);
			continue;
		}
		s->buf[s->len++] = (char)c;
		if (s->len == LINE_CAP)
			stream_deliver(r, s, PIECE_CONTINUES);
	}
}

/* Delivers a final unterminated line, closes the pipe. */
static void stream_close(struct run *r, struct stream *s)
{
	if (s->len || s->mid_line)
		stream_deliver(r, s, PIECE_ENDS_LINE);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/*
 * Reads what is available on the stream (a bounded number of chunks so one
 * busy pipe cannot starve the timeout checks).  Closes it on EOF or error.
 */
static void stream_read(struct run *r, struct stream *s)
{
	static char chunk[READ_CHUNK];

	for (int i = 0; i < 16 && s->fd >= 0; i++) {
		ssize_t n = read(s->fd, chunk, sizeof(chunk));

		if (n > 0) {
			stream_feed(r, s, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		stream_close(r, s);
	}
}

static bool boot_deadline_active(const struct run *r)
{
	const struct options *o = r->opt;

	return o->mode == MODE_QEMU && o->scenario != SCENARIO_LOADER_ERROR &&
	       o->boot_timeout > 0 && !r->watch.kernel_entry;
}

/* Returns why the run must stop now, or STOP_NONE. */
static enum stop_reason check_deadlines(const struct run *r, double now)
{
	const struct options *o = r->opt;
	double elapsed = now - r->child.start;

	if (r->pending_stop != STOP_NONE && now >= r->pending_stop_at)
		return r->pending_stop;
	if (o->total_timeout > 0 && elapsed >= o->total_timeout)
		return STOP_TOTAL_TIMEOUT;
	if (boot_deadline_active(r)) {
		if (elapsed >= o->boot_timeout)
			return STOP_BOOT_TIMEOUT;
		return STOP_NONE;	/* the silence limit starts at kernel entry */
	}
	if (o->test_timeout > 0 && now - r->last_line >= o->test_timeout)
		return STOP_SILENCE_TIMEOUT;
	return STOP_NONE;
}

/*
 * Pumps the child's output until it exits (and its pipes are drained) or a
 * deadline passes; sets r->stop.  Does not kill or reap on a deadline.
 */
static void read_loop(struct run *r)
{
	struct stream *streams[2] = { &r->out, &r->err };

	for (;;) {
		struct pollfd pfd[2];
		struct stream *polled[2];
		double now = mono_now();
		int n = 0;

		if (g_signal) {
			r->stop = STOP_INTERRUPTED;
			return;
		}
		child_reap(&r->child, WAIT_NONBLOCKING);
		if (r->child.reaped) {
			if ((r->out.fd < 0 && r->err.fd < 0) ||
			    now >= r->child.end + DRAIN_GRACE_S) {
				r->stop = STOP_CHILD_EXITED;
				return;
			}
		} else {
			enum stop_reason why = check_deadlines(r, now);

			if (why != STOP_NONE) {
				r->stop = why;
				return;
			}
		}
		for (int i = 0; i < 2; i++) {
			if (streams[i]->fd < 0)
				continue;
			pfd[n].fd = streams[i]->fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			polled[n++] = streams[i];
		}
		/* with both pipes closed only the exit is awaited: tick faster */
		if (poll(pfd, (nfds_t)n, n ? POLL_TICK_MS : POLL_TICK_MS / 10) < 0 &&
		    errno != EINTR)
			fatal("poll: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			if (pfd[i].revents)
				stream_read(r, polled[i]);
		}
	}
}

/*
 * After the read loop: kills the child if it is still running, reaps it,
 * reads whatever is left in the pipes and closes them.  Leftover processes
 * of the child's group (which may hold the pipes open) are killed too.
 */
static void finish_child(struct run *r)
{
	struct stream *streams[2] = { &r->out, &r->err };

	if (!r->child.reaped) {
		child_kill(&r->child);
		child_reap(&r->child, WAIT_BLOCKING);
	}
	for (int i = 0; i < 2; i++) {
		if (streams[i]->fd >= 0)
			stream_read(r, streams[i]);
	}
	if (r->out.fd >= 0 || r->err.fd >= 0)
		child_kill(&r->child);
	g_child_pgid = 0;
	for (int i = 0; i < 2; i++)
		stream_close(r, streams[i]);
}

/* ------------------------------------------------------------------------ */
/* Run setup and teardown                                                   */
/* ------------------------------------------------------------------------ */

static void run_init(struct run *r, const struct options *o)
{
	memset(r, 0, sizeof(*r));
	r->opt = o;
	r->out.id = STREAM_CONSOLE;
	r->err.id = STREAM_STDERR;
	r->out.fd = r->err.fd = -1;
	r->ktap.completeness = o->scenario == SCENARIO_EXPECT_OOPS ?
			       ALLOW_INCOMPLETE : REQUIRE_COMPLETE;
	r->ktap.diag_target = -1;
	r->watch.poweroff_status = -1;
	r->ktap_enabled = o->scenario != SCENARIO_LOADER_ERROR;
	r->nexpects = o->expects.n + o->rejects.n;
	r->expects = xrealloc(NULL, (r->nexpects + 1) * sizeof(*r->expects));
	for (size_t i = 0; i < r->nexpects; i++) {
		struct expectation *e = &r->expects[i];
		bool reject = i >= o->expects.n;
		int rc;

		memset(e, 0, sizeof(*e));
		e->pattern = reject ? o->rejects.v[i - o->expects.n] : o->expects.v[i];
		e->reject = reject;
		rc = regcomp(&e->re, e->pattern, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[256];

			regerror(rc, &e->re, msg, sizeof(msg));
			usage_error("--%s '%s': %s", reject ? "reject" : "expect",
				    e->pattern, msg);
		}
	}
	if (o->log_path) {
		r->log = fopen(o->log_path, "w");
		if (!r->log)
			usage_error("cannot write log %s: %s", o->log_path,
				    strerror(errno));
		fcntl(fileno(r->log), F_SETFD, FD_CLOEXEC);
	}
}

/* Pushes @opt and the value @head + escaped(@value) + @tail. */
static void push_option(struct strvec *argv, const char *opt, const char *head,
			const char *value, const char *tail)
{
	char *esc = qemu_escape(value);

	strvec_push(argv, xstrdup(opt));
	strvec_push(argv, xasprintf("%s%s%s", head, esc, tail));
	free(esc);
}

static void strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

static void report_free(struct report *rep)
{
	for (size_t i = 0; i < rep->nsuites; i++)
		free(rep->suites[i].name);
	for (size_t i = 0; i < rep->nfails; i++) {
		free(rep->fails[i].what);
		free(rep->fails[i].detail);
		strvec_free(&rep->fails[i].diag);
	}
	free(rep->suites);
	free(rep->fails);
}

/* Releases everything run_init() and the run allocated (log is closed). */
static void run_free(struct run *r)
{
	struct console_watch *w = &r->watch;

	for (int d = 0; d < r->ktap.depth; d++)
		free(r->ktap.lv[d].name);
	report_free(&r->rep);
	for (size_t i = 0; i < r->nexpects; i++) {
		regfree(&r->expects[i].re);
		free(r->expects[i].line);
	}
	free(r->expects);
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(r->tail.line[i]);
	free(w->paging_line);
	free(w->oops_line);
	free(w->panic_line);
	free(w->loader_line);
	free(w->restart_line);
}

/*
 * Builds the QEMU command line into @argv.  Returns false (with *err set)
 * when the firmware files are unusable.
 */
static bool build_qemu_argv(const struct options *o, struct strvec *argv,
			    char **err)
{
	static const char *const fixed[] = {
		"-cpu", "max", "-m", "512M", "-no-reboot", "-display", "none", "-monitor", "none",
		"-serial", "stdio",
	};
	const char *vars;
	int fd = open(o->ovmf_code, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*err = xasprintf("cannot open OVMF code %s: %s", o->ovmf_code,
				 strerror(errno));
		return false;
	}
	close(fd);
	vars = copy_to_temp(o->ovmf_vars, err);
	if (!vars)
		return false;

	strvec_push(argv, xstrdup(o->qemu));
	strvec_push(argv, xstrdup("-machine"));
	strvec_push(argv, xstrdup(o->machine));
	strvec_push(argv, xstrdup("-smp"));
	strvec_push(argv, xstrdup(o->smp));
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		strvec_push(argv, xstrdup(fixed[i]));
	push_option(argv, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=",
		    o->ovmf_code, "");
	push_option(argv, "-drive", "if=pflash,format=raw,unit=1,file=", vars, "");
	if (!o->no_debug_exit)
		push_option(argv, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "", "");
	push_option(argv, "-fw_cfg", "name=opt/pagoda/cmdline,string=", o->cmdline, "");
	if (o->iso) {
		strvec_push(argv, xstrdup("-cdrom"));
		strvec_push(argv, xstrdup(o->iso));
	}
	if (o->drive) {
		push_option(argv, "-drive", "format=raw,file=", o->drive,
			    ",if=ide,snapshot=on");
	}
	if (o->icount) {
		strvec_push(argv, xstrdup("-icount"));
		strvec_push(argv, xstrdup("shift=0"));
	}
	for (size_t i = 0; i < o->qemu_args.n; i++)
		strvec_push(argv, xstrdup(o->qemu_args.v[i]));
	return true;
}

/* ------------------------------------------------------------------------ */
/* Judgement                                                                */
/* ------------------------------------------------------------------------ */

static void fail_run(struct run *r, char *what, char *detail)
{
	report_fail(&r->rep, -1, FAILURE_RUN, what, detail);
}

/* The child never ran; takes ownership of @err. */
static void setup_failed(struct run *r, char *err)
{
	r->stop = STOP_SETUP_FAILED;
	fail_run(r, xasprintf("setup error: %s", err), NULL);
	free(err);
}

static char *describe_status(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return xasprintf("killed by signal %d (%s)", WTERMSIG(wstatus),
				 strsignal(WTERMSIG(wstatus)));
	return xasprintf("exit status %d", WEXITSTATUS(wstatus));
}

static bool exited_with(const struct child *c, int code)
{
	return c->reaped && WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == code;
}

/* Failures implied by how the read loop ended (hangs, loader error). */
static void judge_stop_reason(struct run *r)
{
	const struct options *o = r->opt;

	switch (r->stop) {
	case STOP_BOOT_TIMEOUT:
		fail_run(r, xasprintf("hang (no kernel entry within %g s)",
				      o->boot_timeout), NULL);
		break;
	case STOP_SILENCE_TIMEOUT:
		fail_run(r, xasprintf("hang (no output for %g s)",
				      o->test_timeout), NULL);
		break;
	case STOP_TOTAL_TIMEOUT:
		fail_run(r, xasprintf("hang (not finished within %g s)",
				      o->total_timeout), NULL);
		break;
	case STOP_LOADER_ERROR:
		fail_run(r, xstrdup("loader error"),
			 xstrdup(r->watch.loader_line));
		break;
	case STOP_NONE:
	case STOP_CHILD_EXITED:
	case STOP_EXPECT_MET:
	case STOP_KERNEL_ENTERED:	/* judged by the kernel-entry check */
	case STOP_INTERRUPTED:
	case STOP_SETUP_FAILED:
		break;
	}
}

/*
 * --no-debug-exit: QEMU exits 0 after an ACPI power-off and after a reset
 * or triple fault alike, so the console decides: the kernel's power-off
 * line with a passing status (oops and panic are judge_crash()'s), or a
 * restart line. Anything else that exits 0 is an unexplained reset.
 */
static void judge_exit_without_debug_device(struct run *r, int code)
{
	const struct console_watch *w = &r->watch;

	if (code != 0) {
		fail_run(r, xasprintf("unexpected qemu exit status %d without isa-debug-exit",
				      code), NULL);
		return;
	}
	if (w->poweroff_status == POWEROFF_OK || w->poweroff_status == POWEROFF_CRASH)
		return;		/* a crash is judge_crash()'s */
	if (w->poweroff_status == POWEROFF_TESTS_FAILED) {
		if (r->rep.ktap_failed == 0)
			fail_run(r, xstrdup("kernel reported failures (status 0x11) but KTAP shows none"),
				 NULL);
		return;
	}
	if (w->poweroff_status >= 0) {
		fail_run(r, xasprintf("kernel powered off with status %#x", w->poweroff_status),
			 NULL);
		return;
	}
	if (w->restart_line)
		return;
	fail_run(r, xstrdup("exit 0 without the kernel's power-off or restart line "
			    "(triple fault or reset?)"), NULL);
}

/* QEMU's own exit status, for a QEMU that exited by itself. */
static void judge_qemu_exit(struct run *r)
{
	const struct child *c = &r->child;
	int code;

	if (r->stop != STOP_CHILD_EXITED)
		return;
	if (WIFSIGNALED(c->wstatus)) {
		char *st = describe_status(c->wstatus);

		fail_run(r, xasprintf("qemu %s", st), NULL);
		free(st);
		return;
	}
	code = WEXITSTATUS(c->wstatus);
	if (r->opt->no_debug_exit) {
		judge_exit_without_debug_device(r, code);
		return;
	}
	if (code == QEMU_EXIT_RESET) {
		fail_run(r, xstrdup("triple fault or reset (exit 0)"), NULL);
		return;
	}
	switch (r->opt->scenario) {
	case SCENARIO_NORMAL:
		if (code == QEMU_EXIT_PASSED || code == QEMU_EXIT_CRASHED)
			return;		/* crashes: see judge_crash() */
		if (code == QEMU_EXIT_FAILED) {
			if (r->rep.ktap_failed == 0)
				fail_run(r, xstrdup("kernel reported failures (exit 35) but KTAP shows none"),
					 NULL);
			return;
		}
		break;
	case SCENARIO_EXPECT_OOPS:
		if (code == QEMU_EXIT_PASSED || code == QEMU_EXIT_FAILED ||
		    code == QEMU_EXIT_CRASHED)
			return;		/* see the oops check */
		break;
	case SCENARIO_LOADER_ERROR:
		return;			/* the --expect checks decide */
	}
	fail_run(r, xasprintf("unexpected qemu exit status %d", code),
		 xstrdup("see the console lines below (QEMU's stderr is included)"));
}

/* Normal scenario: any oops, panic or exit 37 is one "crash" failure. */
static void judge_crash(struct run *r)
{
	const struct console_watch *w = &r->watch;
	bool status37 = r->stop == STOP_CHILD_EXITED &&
			(exited_with(&r->child, QEMU_EXIT_CRASHED) ||
			 (r->opt->no_debug_exit && w->poweroff_status == POWEROFF_CRASH));
	const char *kind;

	if (w->oops_line && w->panic_line)
		kind = "oops, panic";
	else if (w->oops_line)
		kind = "oops";
	else if (w->panic_line)
		kind = "panic";
	else if (status37)
		kind = "exit 37";
	else
		return;
	fail_run(r, xasprintf("crash (%s)", kind),
		 xstrdup(w->oops_line ? w->oops_line : w->panic_line ?
			 w->panic_line : "kernel signalled a crash without oops/panic text"));
}

/*
 * Crash scenario: the one test "oops (exit 37)", or "panic (exit 37)" when
 * the deliberate crash is a broken rule the kernel panics on (no oops).
 */
static void judge_expected_oops(struct run *r)
{
	const struct console_watch *w = &r->watch;
	bool status37 = r->stop == STOP_CHILD_EXITED &&
			exited_with(&r->child, QEMU_EXIT_CRASHED);
	const char *kind = w->oops_line ? "oops" : "panic";
	char *detail = NULL;

	if (!w->oops_line && !w->panic_line)
		detail = xstrdup("no '" MARK_OOPS "' or '" MARK_PANIC "' line on the console");
	else if (!status37 && r->stop == STOP_CHILD_EXITED) {
		char *st = describe_status(r->child.wstatus);

		detail = xasprintf("%s seen, but qemu %s", kind, st);
		free(st);
	}
	else if (!status37)
		detail = xasprintf("%s seen, but qemu did not exit by itself", kind);
	report_check(&r->rep, detail ? VERDICT_FAIL : VERDICT_PASS,
		     xasprintf("%s (exit 37)", kind), detail);
}

static void judge_paging_mode(struct run *r)
{
	int want = r->opt->expect_levels;
	int got = r->watch.paging_levels;

	if (!want)
		return;
	report_check(&r->rep, got == want ? VERDICT_PASS : VERDICT_FAIL,
		     xasprintf("paging mode %d-level", want),
		     got ? xstrdup(r->watch.paging_line) :
			   xstrdup("no '" MARK_PAGING_MODE "' line on the console"));
}

static void judge_expectations(struct run *r)
{
	const char *what = r->opt->scenario == SCENARIO_EXPECT_OOPS ?
			   "oops shows" : "console shows";

	for (size_t i = 0; i < r->nexpects; i++) {
		const struct expectation *e = &r->expects[i];

		if (e->reject)
			report_check(&r->rep, e->matched ? VERDICT_FAIL : VERDICT_PASS,
				     xasprintf("console never shows /%s/", e->pattern),
				     e->line ? xstrdup(e->line) : NULL);
		else
			report_check(&r->rep, e->matched ? VERDICT_PASS : VERDICT_FAIL,
				     xasprintf("%s /%s/", what, e->pattern), NULL);
	}
}

static void judge_host_exit(struct run *r)
{
	const struct child *c = &r->child;
	int code;

	if (r->stop != STOP_CHILD_EXITED)
		return;
	if (WIFSIGNALED(c->wstatus)) {
		fail_run(r, xasprintf("crash (signal %d, %s)", WTERMSIG(c->wstatus),
				      strsignal(WTERMSIG(c->wstatus))), NULL);
		return;
	}
	code = WEXITSTATUS(c->wstatus);
	/* exit 1 is the usual "some tests failed"; those are already counted */
	if (code == 0 || (code == 1 && r->rep.ktap_failed > 0))
		return;
	fail_run(r, xasprintf("exit status %d", code), NULL);
}

static void judge_host_stop(struct run *r)
{
	if (r->stop == STOP_TOTAL_TIMEOUT)
		fail_run(r, xasprintf("hang (timeout %g s)", r->opt->total_timeout),
			 NULL);
	else if (r->stop == STOP_SILENCE_TIMEOUT)
		fail_run(r, xasprintf("hang (no output for %g s)",
				      r->opt->test_timeout), NULL);
}

/* Turns everything observed into passed/failed tests. */
static void judge(struct run *r)
{
	const struct options *o = r->opt;
	bool saw_ktap = false;
	long before;

	if (r->stop == STOP_SETUP_FAILED)
		return;
	if (r->ktap_enabled)
		saw_ktap = ktap_finish(&r->ktap, &r->rep);
	before = r->rep.run_failed;

	if (o->mode == MODE_HOST) {
		judge_host_stop(r);
		judge_host_exit(r);
	} else {
		judge_stop_reason(r);
		judge_qemu_exit(r);
		if (o->scenario == SCENARIO_NORMAL)
			judge_crash(r);
		if (o->scenario == SCENARIO_EXPECT_OOPS)
			judge_expected_oops(r);
		if (o->scenario == SCENARIO_LOADER_ERROR && r->watch.kernel_entry)
			fail_run(r, xstrdup("kernel entry despite expected loader error"),
				 NULL);
		judge_paging_mode(r);
	}
	if (r->ktap_enabled && !saw_ktap &&
	    o->scenario != SCENARIO_EXPECT_OOPS && r->rep.run_failed == before)
		fail_run(r, xstrdup("no KTAP output"), NULL);
	judge_expectations(r);
}

/* ------------------------------------------------------------------------ */
/* Output: report, tally, summary                                           */
/* ------------------------------------------------------------------------ */

static void print_failure(FILE *f, const struct run *r, const struct failure *fl)
{
	const char *name = r->opt->name;

	if (fl->suite >= 0)
		fprintf(f, "FAIL: %s/%s: %s\n", name, suite_name(&r->rep, fl->suite),
			fl->what);
	else
		fprintf(f, "FAIL: %s: %s\n", name, fl->what);
	if (fl->detail)
		fprintf(f, "    %s\n", fl->detail);
	for (size_t i = 0; i < fl->diag.n; i++)
		fprintf(f, "    %s\n", fl->diag.v[i]);
}

static void print_timing(FILE *f, const struct run *r)
{
	const struct child *c = &r->child;
	double end = c->reaped ? c->end - c->start : mono_now() - c->start;

	if (r->opt->mode == MODE_HOST)
		fprintf(f, "# %s: finished at %.2f s\n", r->opt->name, end);
	else if (r->watch.kernel_entry)
		fprintf(f, "# %s: kernel entry at %.2f s, finished at %.2f s\n",
			r->opt->name, r->watch.kernel_entry_time - c->start, end);
	else
		fprintf(f, "# %s: no kernel entry, finished at %.2f s\n",
			r->opt->name, end);
}

static void print_report(FILE *f, const struct run *r)
{
	const struct report *rep = &r->rep;
	const char *name = r->opt->name;

	for (size_t i = 0; i < rep->nfails; i++)
		print_failure(f, r, &rep->fails[i]);
	if (rep->unlisted)
		fprintf(f, "FAIL: %s: ... and %ld more failures\n", name,
			rep->unlisted);
	if (rep->run_failed && r->tail.count) {
		fprintf(f, "# %s: last %zu console lines:\n", name, r->tail.count);
		tail_print(&r->tail, f);
	}
	if (r->stop != STOP_SETUP_FAILED)
		print_timing(f, r);
	for (size_t i = 0; i < rep->nsuites; i++) {
		const struct suite *s = &rep->suites[i];

		fprintf(f, "# %s/%s: %ld passed, %ld failed, %ld skipped\n",
			name, s->name, s->passed, s->failed, s->skipped);
	}
	fprintf(f, "# %s: %ld passed, %ld failed, %ld skipped\n", name,
		rep->passed, rep->failed, rep->skipped);
}

/* Appends "NAME PASSED FAILED SKIPPED" with one write (O_APPEND). */
static bool append_tally(const struct run *r)
{
	char *line;
	ssize_t n;
	int fd;

	if (!r->opt->tally_path)
		return true;
	line = xasprintf("%s %ld %ld %ld\n", r->opt->name, r->rep.passed,
			 r->rep.failed, r->rep.skipped);
	fd = open(r->opt->tally_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		fprintf(stderr, "ktest-runner: cannot open tally %s: %s\n",
			r->opt->tally_path, strerror(errno));
		free(line);
		return false;
	}
	n = write(fd, line, strlen(line));
	if (n != (ssize_t)strlen(line) || close(fd) != 0) {
		fprintf(stderr, "ktest-runner: cannot write tally %s\n",
			r->opt->tally_path);
		free(line);
		return false;
	}
	free(line);
	return true;
}

struct tally_entry {
	char name[256];
	long passed, failed, skipped;
};

/* Parses "NAME PASSED FAILED SKIPPED"; anything else is malformed. */
static bool parse_tally_line(const char *line, struct tally_entry *e)
{
	const char *p = skip_blanks(line);
	size_t n = strcspn(p, " \t\n");
	long *field[3] = { &e->passed, &e->failed, &e->skipped };

	if (n == 0 || n >= sizeof(e->name))
		return false;
	memcpy(e->name, p, n);
	e->name[n] = '\0';
	p += n;
	for (int i = 0; i < 3; i++) {
		char *end;

		p = skip_blanks(p);
		if (!isdigit((unsigned char)*p))
			return false;
		errno = 0;
		*field[i] = strtol(p, &end, 10);
		if (errno)
			return false;
		p = end;
	}
	p = skip_blanks(p);
	return *p == '\0' || *p == '\n';
}

static int summarize(const char *path)
{
	long passed = 0, failed = 0, skipped = 0, runs = 0, bad = 0;
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		printf("# cannot read tally %s: %s\n", path, strerror(errno));
	while (f && getline(&line, &cap, f) >= 0) {
		struct tally_entry e;

		if (*skip_blanks(line) == '\n' || *skip_blanks(line) == '\0')
			continue;
		if (!parse_tally_line(line, &e)) {
			printf("FAIL malformed tally line: %s", line);
			bad++;
			continue;
		}
		runs++;
		passed += e.passed;
		failed += e.failed;
		skipped += e.skipped;
		printf("%s %s: %ld passed, %ld failed, %ld skipped\n",
		       e.failed ? "FAIL" : "ok  ", e.name, e.passed, e.failed,
		       e.skipped);
	}
	free(line);
	if (f)
		fclose(f);
	if (runs == 0)
		printf("# no runs recorded in %s\n", path);
	if (skipped)
		printf("# %ld skipped (counted neither as passed nor as failed)\n",
		       skipped);
	failed += bad;
	printf("%ld passed, %ld failed\n", passed, failed);
	return failed > 0 || runs == 0 ? RUNNER_FAILED : RUNNER_OK;
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Starts @argv and pumps its output until it ends or must be stopped, then
 * makes sure it is dead and reaped.  Sets r->stop; on failure to start, sets
 * STOP_SETUP_FAILED and records the failure.
 */
static void execute(struct run *r, char *const argv[])
{
	char *prefix = xasprintf("# %s: ", r->opt->name);
	char *err = NULL;

	if (r->log)
		print_command(r->log, prefix, argv);
	if (r->opt->verbose)
		print_command(stdout, prefix, argv);
	free(prefix);
	if (spawn_child(&r->child, argv, &r->out.fd, &r->err.fd, &err) != 0) {
		setup_failed(r, err);
		return;
	}
	r->last_line = r->child.start;
	read_loop(r);
	finish_child(r);
}

/* Prints the report (also into the log) and appends the tally line. */
static bool publish(struct run *r)
{
	report_name_leftovers(&r->rep);
	print_report(stdout, r);
	if (r->log) {
		fputs("# ---- ktest-runner report ----\n", r->log);
		print_report(r->log, r);
	}
	return append_tally(r);
}

/* Runs a QEMU or host scenario end to end; returns the exit status. */
static int run_scenario(const struct options *o)
{
	struct strvec qemu_argv = { 0 };
	struct run r;
	int status;

	run_init(&r, o);
	if (o->mode == MODE_HOST) {
		execute(&r, o->host_argv);
	} else {
		char *err = NULL;

		if (build_qemu_argv(o, &qemu_argv, &err))
			execute(&r, qemu_argv.v);
		else
			setup_failed(&r, err);
	}
	remove_temp_file();

	if (r.stop == STOP_INTERRUPTED) {
		fprintf(stderr, "ktest-runner: %s: interrupted by signal %d\n",
			o->name, (int)g_signal);
		status = 128 + (int)g_signal;	/* no tally line */
	} else {
		judge(&r);
		status = publish(&r) && r.rep.failed == 0 ? RUNNER_OK : RUNNER_FAILED;
	}
	if (r.log && fclose(r.log) != 0)
		fprintf(stderr, "ktest-runner: error writing %s\n", o->log_path);
	run_free(&r);
	strvec_free(&qemu_argv);
	return status;
}

int main(int argc, char **argv)
{
	struct options o;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_options(argc, argv, &o);
	if (o.mode == MODE_SUMMARIZE)
		return summarize(o.summarize_path);
	atexit(remove_temp_file);
	atexit(kill_leftover_child);
	install_signal_handlers();
	status = run_scenario(&o);
	free(o.expects.v);
	free(o.qemu_args.v);
	free(o.rejects.v);
	return status;
}
