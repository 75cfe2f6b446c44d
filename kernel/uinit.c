/*
 * The kernel's side of the first user process: which program the boot task
 * starts (spawn_user, kernel/exec.c), as its child, when the command line
 * asks, and how the machine powers off after it (a late init call; does
 * nothing otherwise).
 *
 *   utest            run the userland init (/init, userland/init.c) on
 *                    /tests/list: it forks and execs each test program,
 *                    reports KTAP and exits with the number of failures,
 *                    which becomes the verdict (QEMU exit 33 or 35).
 *   demo             the same with /demo.list (`make run`: a short demo).
 *   init=/path       run one program (arguments from initargs=a,b,c and
 *   [initargs=a,b]   then from the lines of /init.args if present) and power
 *                    off with its status (include/pagoda/power.h has the
 *                    mapping; tools/pagoda-run decodes it).
 *
 *   root=/dev/NAME   first mount that disk file system as "/" in place of
 *   [rootfstype=T]   the initramfs (fs/do_mounts.c: read-only unless rw);
 *   [ro|rw]          the program then comes from it: init= if given, else
 *                    the first of /sbin/init, /etc/init, /bin/init, /bin/sh
 *                    that runs (Linux's order; none: Linux's panic). utest
 *                    and demo look for /init there too.
 *
 * Before powering off, every file system is synced and unmounted
 * (unmount_all: an ext2 volume is marked clean for e2fsck).
 *
 * The program started here plays pid 1: orphans of its descendants are
 * given to it (kernel/task.c), whatever its pid number.
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
#include <mm/slab.h>

#define USERLAND_INIT		"/init"
#define UTEST_LIST		"/tests/list"
#define DEMO_LIST		"/demo.list"
#define INIT_ARGS_FILE		"/init.args"
#define INIT_MAX_ARGS		64

static const char *const user_envp[] = { "HOME=/", "TERM=linux", NULL };

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

/*
 * The lines of @text (@size bytes) made NUL-separated in a kmalloc'd copy
 * (freed by the caller); *n gets the number of lines.
 */
static char *read_lines(const char *data, size_t size, size_t *n)
{
	char *text = kmalloc(size + 1, GFP_KERNEL);

	*n = 0;
	if (!text)
		return NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i <= size; i++) {
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

/* Shell-style status: the exit code, or 128 + N when killed by signal N. */
static int shell_status(int wstatus)
{
	return (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
}

/* Start @path as the first user process, saying so: its pid, or -errno (reported). */
static int start_init(const char *path, const char *const *argv)
{
	int pid;

	printk("pagoda: starting init %s\n", path);
	pid = spawn_user(path, argv, user_envp);
	if (pid < 0)
		printk("pagoda: init: cannot run %s: error %d (%s)\n", path, pid,
		       errno_name(-pid));
	return pid;
}

/* Wait for the first user process @pid to end; report and return its shell-style status. */
static int wait_init(int pid)
{
	int ws;

	if (task_wait(pid, &ws) != pid)
		panic("uinit: init %d vanished", pid);
	if (ws & 0x7f)
		printk("pagoda: init killed by signal %d (%s)\n", ws & 0x7f,
		       signal_name(ws & 0x7f));
	printk("pagoda: init exited with status %d\n", shell_status(ws));
	return shell_status(ws);
}

/*
 * Start @path as the first user process and wait for it. Returns its
 * shell-style status, or 127 (not found) / 126 (cannot execute) when the
 * exec failed, as a shell would.
 */
static int run_first_process(const char *path, const char *const *argv)
{
	int pid = start_init(path, argv);

	if (pid < 0)
		return pid == -ENOENT || pid == -ENOTDIR ? 127 : 126;
	return wait_init(pid);
}

/* `utest` / `demo`: the userland init on @list; its status is the failure count. */
static int run_userland_init(const char *list)
{
	const char *const argv[] = { USERLAND_INIT, list, NULL };

	return run_first_process(USERLAND_INIT, argv);
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
	const char *line;
	size_t nlines;
	void *data;
	char *text;
	long size = kernel_read_file(INIT_ARGS_FILE, &data, 1UL << 20);

	if (size < 0)
		return NULL;
	text = read_lines(data, (size_t)size, &nlines);
	/* a final newline ends the last argument; it does not start another */
	if (text && size && ((char *)data)[size - 1] == '\n')
		nlines--;
	kernel_free_file(data, (size_t)size);
	if (!text)
		return NULL;
	line = text;
	for (size_t i = 0; i < nlines && *argc < INIT_MAX_ARGS; i++, line = next_line(line))
		argv[(*argc)++] = line;
	return text;
}

/* The first program's arguments: @path, then initargs=, then /init.args (kmalloc'd: *@file_args). */
static void init_argv(const char *path, const char **argv, char **file_args)
{
	static char initargs[512];
	unsigned int argc = 1;

	argv[0] = path;
	if (cmdline_value("initargs", initargs, sizeof(initargs)))
		add_comma_args(initargs, argv, &argc);
	*file_args = add_file_args(argv, &argc);
	argv[argc] = NULL;
}

/* Sync and unmount everything, then power off with the first program's status @s. */
static __noreturn void init_done(int s)
{
	unmount_all();		/* a disk given to tools/pagoda-run --disk is left clean */
	machine_poweroff_code(POWEROFF_INIT_BASE +
			      (s < POWEROFF_INIT_RANGE ? s : POWEROFF_INIT_RANGE));
}

static __noreturn void init_run(const char *path)
{
	const char *argv[INIT_MAX_ARGS + 1];
	char *file_args;
	int s;

	init_argv(path, argv, &file_args);
	s = run_first_process(path, argv);
	kfree(file_args);
	init_done(s);
}

/*
 * root= without init=: Linux's defaults in its order, the first whose
 * exec succeeds; none is Linux's panic.
 */
static __noreturn void init_run_default(void)
{
	static const char *const defaults[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };
	const char *argv[INIT_MAX_ARGS + 1];
	char *file_args;

	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		int pid, s;

		init_argv(defaults[i], argv, &file_args);
		pid = start_init(defaults[i], argv);
		if (pid < 0) {
			kfree(file_args);
			continue;
		}
		s = wait_init(pid);
		kfree(file_args);
		init_done(s);
	}
	panic("No working init found.  Try passing init= option to kernel.");
}

static int uinit(void)
{
	char path[256];
	bool real_root = mount_root_device();	/* root= (panics if it cannot) */

	if (cmdline_has("utest"))
		return run_userland_init(UTEST_LIST);
	if (cmdline_has("demo"))
		return run_userland_init(DEMO_LIST);
	if (cmdline_value("init", path, sizeof(path)))
		init_run(path);
	if (real_root)
		init_run_default();
	return 0;
}
late_initcall(uinit);
