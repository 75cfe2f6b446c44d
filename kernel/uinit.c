/*
 * The in-kernel test init: runs user programs from the initrd when the
 * command line asks for it (a late init call; does nothing otherwise).
 *
 *   utest            run every program listed in /tests/list, in order, each
 *                    a child of this task (spawn_user + wait), and report
 *                    KTAP: "ok N name" when it ended as expected and the
 *                    free-page count is back where it was before it started.
 *   init=/path       run one program (arguments from initargs=a,b,c and
 *   [initargs=a,b]   then from the lines of /init.args if present) and power
 *                    off with its status (include/pagoda/power.h has the
 *                    mapping; tools/pagoda-run decodes it).
 *
 * /tests/list: one program per line, '#' comments and blank lines ignored:
 *
 *   PATH [ARG...] [expect-exit=N] [expect-signal=N] [expect-exec-error=E]
 *                 [timeout=S]
 *
 * Without an expectation a program must exit 0. expect-exec-error=ENOEXEC
 * (or a number) says the exec itself must fail so (the malformed-ELF tests:
 * there is no execve system call yet, so the kernel's spawn is what execs).
 * A program still running after timeout=S seconds (default 30) is killed
 * with SIGKILL and fails.
 *
 * The programs print their own KTAP subtests indented by four spaces, so the
 * console is one KUnit-dialect document nested under this plan.
 */
#include <pagoda/cmdline.h>
#include <pagoda/errno.h>
#include <pagoda/exec.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <pagoda/signal.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/vsprintf.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/slab.h>

#define UTEST_LIST		"/tests/list"
#define INIT_ARGS_FILE		"/init.args"
#define UTEST_MAX_ARGS		16
#define UTEST_TIMEOUT_S		30
#define NSEC_PER_SEC		1000000000ULL
#define WAIT_POLL_NS		(NSEC_PER_SEC / 2)
#define INIT_MAX_ARGS		64

static const char *const user_envp[] = { "HOME=/", "TERM=linux", NULL };

/* One line of /tests/list. */
struct utest {
	const char *argv[UTEST_MAX_ARGS + 1];
	const char *name;		/* basename of argv[0] */
	int expect_exit;		/* -1: not an exit expectation */
	int expect_signal;		/* 0: none */
	int expect_exec_error;		/* positive errno, 0: none */
	unsigned int timeout_s;
};

static const struct {
	const char *name;
	int err;
} errno_names[] = {
	{ "ENOEXEC", ENOEXEC }, { "ENOENT", ENOENT }, { "EACCES", EACCES },
	{ "E2BIG", E2BIG }, { "ENOMEM", ENOMEM }, { "ENOTDIR", ENOTDIR },
};

static const char *errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return "E?";
}

static bool parse_uint(const char *s, unsigned int *out)
{
	unsigned int v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return false;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	*out = v;
	return true;
}

static bool parse_errno(const char *s, int *out)
{
	unsigned int v;

	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (!strcmp(s, errno_names[i].name)) {
			*out = errno_names[i].err;
			return true;
		}
	}
	if (!parse_uint(s, &v))
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
static bool parse_directive(struct utest *t, const char *w, bool *bad)
{
	const char *v;
	unsigned int n = 0;

	if (starts_with(w, "expect-exit=", &v)) {
		*bad |= !parse_uint(v, &n) || n > 255;
		t->expect_exit = (int)n;
	} else if (starts_with(w, "expect-signal=", &v)) {
		*bad |= !parse_uint(v, &n) || n == 0 || n >= NSIG;
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

/*
 * Split @line (modified in place: words NUL terminated) into @t. Returns
 * false for a line with no program or a malformed directive.
 */
static bool parse_line(char *line, struct utest *t)
{
	unsigned int argc = 0;
	bool bad = false;

	memset(t, 0, sizeof(*t));
	t->timeout_s = UTEST_TIMEOUT_S;
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
		if (argc < UTEST_MAX_ARGS)
			t->argv[argc++] = w;
		else
			bad = true;
	}
	if (!argc)
		return false;
	t->name = t->argv[0];
	for (const char *p = t->argv[0]; *p; p++)
		if (*p == '/' && p[1])
			t->name = p + 1;
	return !bad;
}

/* Is this list line a program (not blank, not a comment)? */
static bool is_entry(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line && *line != '#';
}

/*
 * The lines of @inode's text as a NUL-separated copy (kmalloc'd, freed by
 * the caller); *n gets the number of lines.
 */
static char *read_lines(const struct inode *inode, size_t *n)
{
	char *text = kmalloc(inode->size + 1, GFP_KERNEL);

	*n = 0;
	if (!text)
		return NULL;
	memcpy(text, inode->data, inode->size);
	text[inode->size] = '\0';
	for (size_t i = 0; i <= inode->size; i++) {
		if (text[i] == '\n' || text[i] == '\r' || text[i] == '\0') {
			text[i] = '\0';
			(*n)++;
		}
	}
	return text;
}

static const char *next_line(const char *line)
{
	return line + strlen(line) + 1;
}

/*
 * Wait for child @pid, killing it with SIGKILL once @timeout_ns passed.
 * The child's exit wakes us (do_exit wakes the parent); the timer wakes us
 * every WAIT_POLL_NS to look at the clock. Returns the wait status.
 */
static int wait_child(int pid, u64 timeout_ns, bool *timed_out)
{
	u64 deadline = time_ns() + timeout_ns;
	struct wait_result res;
	struct task *t = current;

	*timed_out = false;
	for (;;) {
		int r;

		t->wake_time_ns = time_ns() + WAIT_POLL_NS;
		t->state = TASK_SLEEPING;	/* before the check: no lost wake-up */
		r = task_wait_opts(pid, WNOHANG, &res);
		if (r == 0)
			schedule();
		t->state = TASK_RUNNING;
		t->wake_time_ns = 0;
		if (r == pid)
			return res.status;
		if (r < 0)
			panic("uinit: wait_child: child %d vanished (%d)", pid, r);
		if (!*timed_out && time_ns() >= deadline) {
			struct task *c = task_find(pid);

			*timed_out = true;
			if (c)
				send_signal(c, SIGKILL, NULL);
		}
	}
}

static unsigned long free_pages_now(void)
{
	kmalloc_shrink();
	return pmm_nr_free(&kernel_pmm);
}

/* Did a wait status meet @t's expectation? Describe what happened in @why. */
static bool status_ok(const struct utest *t, int status, char *why, size_t len)
{
	int sig = status & 0x7f, code = (status >> 8) & 0xff;

	if (sig) {
		snprintf(why, len, "killed by signal %d (%s)", sig, signal_name(sig));
		return sig == t->expect_signal;
	}
	snprintf(why, len, "exited with status %d", code);
	return !t->expect_signal && code == t->expect_exit;
}

/* Run one list entry and print its result line. True if it passed. */
static bool utest_run_one(unsigned int n, struct utest *t)
{
	unsigned long before, after;
	char why[96] = "";
	bool ok, timed_out = false;
	int pid;

	before = free_pages_now();
	pid = spawn_user(t->argv[0], t->argv, user_envp);
	if (t->expect_exec_error) {
		ok = pid == -t->expect_exec_error;
		if (pid > 0)
			wait_child(pid, (u64)t->timeout_s * NSEC_PER_SEC, &timed_out);
		snprintf(why, sizeof(why), "exec gave %d (%s), expected -%d (%s)",
			 pid > 0 ? 0 : pid, pid > 0 ? "success" : errno_name(-pid),
			 t->expect_exec_error, errno_name(t->expect_exec_error));
	} else if (pid < 0) {
		ok = false;
		snprintf(why, sizeof(why), "cannot exec %s: error %d (%s)", t->argv[0], pid,
			 errno_name(-pid));
	} else {
		int status = wait_child(pid, (u64)t->timeout_s * NSEC_PER_SEC, &timed_out);

		ok = status_ok(t, status, why, sizeof(why)) && !timed_out;
	}
	after = free_pages_now();
	if (ok && after != before) {
		ok = false;
		snprintf(why, sizeof(why), "leaked %ld pages (%lu free before, %lu after)",
			 (long)(before - after), before, after);
	}
	printk("%sok %u %s\n", ok ? "" : "not ", n, t->name);
	if (!ok)
		printk("# %s: %s%s\n", t->name, why, timed_out ? " after the timeout" : "");
	return ok;
}

static void print_fault_counters(void)
{
	const struct fault_counters *f = &global_faults;

	printk("# faults: anon %lu, zero page %lu, wp copy %lu, wp reuse %lu, shared %lu, "
	       "stack expand %lu, sigsegv %lu, sigbus %lu, spurious %lu, minor %lu, major %lu\n",
	       f->anon, f->zero_page, f->wp_copy, f->wp_reuse, f->shared, f->stack_expand,
	       f->sigsegv, f->sigbus, f->spurious, f->minor, f->major);
}

/* `utest`: the whole list as one KTAP document. Returns the failures. */
static int utest_run_list(void)
{
	struct inode *list = ramfs_lookup(UTEST_LIST);
	size_t nlines, planned = 0;
	unsigned int n = 0;
	int failed = 0;
	const char *line;
	char *text;

	if (!list || !S_ISREG(list->mode)) {
		printk("uinit: utest: no %s in the initrd\n", UTEST_LIST);
		return 1;
	}
	text = read_lines(list, &nlines);
	if (!text)
		return 1;
	line = text;
	for (size_t i = 0; i < nlines; i++, line = next_line(line))
		planned += is_entry(line);
	printk("KTAP version 1\n1..%zu\n", planned);
	for (const char *next = text; nlines--;) {
		struct utest t;

		line = next;
		next = next_line(line);		/* before parse_line cuts the line up */
		if (!is_entry(line))
			continue;
		n++;
		if (!parse_line((char *)line, &t)) {
			printk("not ok %u %s\n# bad line in %s\n", n, line, UTEST_LIST);
			failed++;
			continue;
		}
		failed += !utest_run_one(n, &t);
	}
	printk("# utest: %u programs, %d failed\n", n, failed);
	print_fault_counters();
	kfree(text);
	return failed;
}

/* ---- init=/path ---- */

/* Append the comma-separated words of @list (modified in place) to @argv. */
static void add_comma_args(char *list, const char **argv, unsigned int *argc)
{
	for (char *p = list; *p && *argc < INIT_MAX_ARGS;) {
		argv[(*argc)++] = p;
		while (*p && *p != ',')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Append the lines of /init.args (one argument per line) to @argv. */
static char *add_file_args(const char **argv, unsigned int *argc)
{
	struct inode *in = ramfs_lookup(INIT_ARGS_FILE);
	const char *line;
	size_t nlines;
	char *text;

	if (!in || !S_ISREG(in->mode))
		return NULL;
	text = read_lines(in, &nlines);
	if (!text)
		return NULL;
	/* a final newline ends the last argument; it does not start another */
	if (in->size && (in->data[in->size - 1] == '\n'))
		nlines--;
	line = text;
	for (size_t i = 0; i < nlines && *argc < INIT_MAX_ARGS; i++, line = next_line(line))
		argv[(*argc)++] = line;
	return text;
}

/* Shell-style status: the exit code, or 128 + N when killed by signal N. */
static int shell_status(int wstatus)
{
	return (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
}

static __noreturn void init_run(const char *path)
{
	static char initargs[512];
	const char *argv[INIT_MAX_ARGS + 1] = { path };
	unsigned int argc = 1;
	char *file_args;
	bool timed_out;
	int pid, s;

	if (cmdline_value("initargs", initargs, sizeof(initargs)))
		add_comma_args(initargs, argv, &argc);
	file_args = add_file_args(argv, &argc);
	argv[argc] = NULL;
	printk("pagoda: starting init %s\n", path);
	pid = spawn_user(path, argv, user_envp);
	if (pid < 0) {
		printk("pagoda: init: cannot run %s: error %d (%s)\n", path, pid,
		       errno_name(-pid));
		s = pid == -ENOENT || pid == -ENOTDIR ? 127 : 126;
	} else {
		int ws = wait_child(pid, ~0ULL / 2, &timed_out);

		s = shell_status(ws);
		if (ws & 0x7f)
			printk("pagoda: init killed by signal %d (%s)\n", ws & 0x7f,
			       signal_name(ws & 0x7f));
	}
	kfree(file_args);
	printk("pagoda: init exited with status %d\n", s);
	machine_poweroff_code(POWEROFF_INIT_BASE +
			      (s < POWEROFF_INIT_RANGE ? s : POWEROFF_INIT_RANGE));
}

static int uinit(void)
{
	char path[256];

	if (cmdline_has("utest"))
		return utest_run_list();
	if (cmdline_value("init", path, sizeof(path)))
		init_run(path);
	return 0;
}
late_initcall(uinit);
