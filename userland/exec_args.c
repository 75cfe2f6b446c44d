/*
 * exec_args: execve(2) as Linux does it.
 *
 * The program re-executes itself (argv[0]) in a forked child with
 * EXEC_ARGS_MODE=... in the environment; the new image checks what it was
 * given and answers with its exit status (0: as expected, else the number
 * of the first check that failed). The parent checks that arguments and
 * environment arrive exactly, that the new image starts with a fresh
 * address space, close-on-exec descriptors closed, caught signals back to
 * SIG_DFL (ignored ones and the mask kept, the alternate stack gone), and
 * that every failing execve returns the right errno with the caller intact.
 *
 * The malformed program for ENOEXEC is bad_magic.elf next to this program
 * (Pagoda's /tests) or in bad/ below it (the build tree on Linux).
 */
#include "utest.h"
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MODE_VAR	"EXEC_ARGS_MODE"
#define PAGE		4096
#define FRESH_ADDR	((void *)0x200000000000UL)	/* mapped before exec, free after */
#define BIG_ARG		(256 << 10)			/* over Linux's MAX_ARG_STRLEN */

extern char **environ;

static const char *self;

/* ---- the re-executed image: checks, exit status = first failed check ---- */

static int check_args(int argc, char **argv)
{
	if (argc != 4)
		return 1;
	if (strcmp(argv[1], "one") || strcmp(argv[2], "") || strcmp(argv[3], "three words"))
		return 2;
	if (argv[4] != NULL)
		return 3;
	if (!environ[0] || strcmp(environ[0], MODE_VAR "=args") || !environ[1] ||
	    strcmp(environ[1], "A=1") || !environ[2] || strcmp(environ[2], "EMPTY=") ||
	    environ[3])
		return 4;
	return 0;
}

/* execve with argv NULL: Linux (5.18+) gives the program argc 1 and argv[0] "". */
static int check_empty_argv(int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "") || argv[1])
		return 1;
	return 0;
}

static int check_fresh_mm(void)
{
	void *p = mmap(FRESH_ADDR, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);

	return p == FRESH_ADDR ? 0 : 1;
}

static int check_cloexec(void)
{
	if (fcntl(5, F_GETFD) != -1 || errno != EBADF)
		return 1;		/* had FD_CLOEXEC */
	if (fcntl(6, F_GETFD) != 0)
		return 2;		/* had not */
	return 0;
}

static int check_signals(void)
{
	struct sigaction sa;
	sigset_t mask;
	stack_t ss;

	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_handler != SIG_DFL)
		return 1;		/* was caught */
	sigaction(SIGUSR2, NULL, &sa);
	if (sa.sa_handler != SIG_IGN)
		return 2;		/* was ignored */
	sigprocmask(SIG_SETMASK, NULL, &mask);
	if (!sigismember(&mask, SIGUSR1))
		return 3;		/* the mask survives exec */
	if (sigaltstack(NULL, &ss) || !(ss.ss_flags & SS_DISABLE))
		return 4;		/* the alternate stack does not */
	return 0;
}

static int reexec_main(const char *mode, int argc, char **argv)
{
	if (!strcmp(mode, "args"))
		return check_args(argc, argv);
	if (!strcmp(mode, "empty-argv"))
		return check_empty_argv(argc, argv);
	if (!strcmp(mode, "fresh"))
		return check_fresh_mm();
	if (!strcmp(mode, "cloexec"))
		return check_cloexec();
	if (!strcmp(mode, "signals"))
		return check_signals();
	return 100;
}

/* ---- the parent ---- */

/* Fork, execve(self, argv, envp) in the child; its exit status, or -1. */
static int run_self(char *const argv[], char *const envp[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execve(self, argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void t_args(void)
{
	char *argv[] = { (char *)self, "one", "", "three words", NULL };
	char *envp[] = { MODE_VAR "=args", "A=1", "EMPTY=", NULL };
	char *envp_empty[] = { MODE_VAR "=empty-argv", NULL };

	ut_ok(run_self(argv, envp) == 0, "argv and envp arrive exactly, empty strings included");
	ut_ok(run_self(NULL, envp_empty) == 0, "a NULL argv gives the program argc 1 and argv[0] \"\"");
}

static void t_fresh_mm(void)
{
	char *argv[] = { (char *)self, NULL };
	char *envp[] = { MODE_VAR "=fresh", NULL };
	void *p = mmap(FRESH_ADDR, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	ut_ok(p == FRESH_ADDR && run_self(argv, envp) == 0,
	      "the new program's address space has none of the old mappings");
	munmap(p, PAGE);
}

static void t_cloexec(void)
{
	char *argv[] = { (char *)self, NULL };
	char *envp[] = { MODE_VAR "=cloexec", NULL };
	int fd = open(self, O_RDONLY);

	dup3(fd, 5, O_CLOEXEC);
	dup2(fd, 6);
	ut_ok(run_self(argv, envp) == 0,
	      "close-on-exec descriptors are closed by exec, the others stay open");
	close(5);
	close(6);
	close(fd);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void t_signals(void)
{
	char *argv[] = { (char *)self, NULL };
	char *envp[] = { MODE_VAR "=signals", NULL };
	static char altstack[2 * SIGSTKSZ];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigset_t block, old;

	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	sigaltstack(&ss, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	ut_ok(run_self(argv, envp) == 0,
	      "exec resets caught signals, keeps ignored ones and the mask, drops the altstack");
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

/* execve in this process, expected to fail with @err; true if it did. */
static bool exec_fails(const char *path, char *const argv[], char *const envp[], int err)
{
	errno = 0;
	return execve(path, argv, envp) == -1 && errno == err;
}

/* An address that is never mapped, hidden from the compiler's bounds checks. */
static void *bad_pointer(void)
{
	volatile uintptr_t v = 8;

	return (void *)v;
}

static const char *bad_elf_path(char *buf, size_t len)
{
	const char *slash = strrchr(self, '/');
	int dir = slash ? (int)(slash - self) : 1;
	struct stat st;

	snprintf(buf, len, "%.*s/bad_magic.elf", dir, slash ? self : ".");
	if (stat(buf, &st) == 0)
		return buf;
	snprintf(buf, len, "%.*s/bad/bad_magic.elf", dir, slash ? self : ".");
	return buf;
}

static void t_errors(void)
{
	static volatile int canary = 0x5a5a;
	char *argv[] = { (char *)self, NULL };
	char *bad_argv[] = { (char *)self, bad_pointer(), NULL };
	char *big_argv[] = { (char *)self, NULL, NULL };
	char path[512], notdir[512];
	char *big = malloc(BIG_ARG);

	ut_ok(exec_fails("/no/such/program", argv, environ, ENOENT),
	      "a missing file is ENOENT");
	ut_ok(exec_fails("", argv, environ, ENOENT), "an empty path is ENOENT");
	snprintf(notdir, sizeof(notdir), "%s/x", self);
	ut_ok(exec_fails(notdir, argv, environ, ENOTDIR),
	      "a path through a regular file is ENOTDIR");
	ut_ok(exec_fails("/", argv, environ, EACCES), "a directory is EACCES");
	ut_ok(exec_fails(bad_elf_path(path, sizeof(path)), argv, environ, ENOEXEC),
	      "a file that is not an ELF program is ENOEXEC");
	ut_ok(exec_fails(bad_pointer(), argv, environ, EFAULT), "a bad path pointer is EFAULT");
	ut_ok(exec_fails(self, bad_pointer(), environ, EFAULT), "a bad argv pointer is EFAULT");
	ut_ok(exec_fails(self, bad_argv, environ, EFAULT),
	      "a bad string pointer inside argv is EFAULT");
	if (big) {
		memset(big, 'x', BIG_ARG - 1);
		big[BIG_ARG - 1] = '\0';
		big_argv[1] = big;
	}
	ut_ok(big && exec_fails(self, big_argv, environ, E2BIG),
	      "an argument of 256 KiB is E2BIG");
	free(big);
	ut_ok(canary == 0x5a5a && getpid() > 0,
	      "after the failed execve calls the caller runs on, its memory intact");
}

int main(int argc, char **argv)
{
	const char *mode = getenv(MODE_VAR);

	self = argv[0];
	if (mode)
		return reexec_main(mode, argc, argv);
	ut_plan("exec_args", 15);
	t_args();
	t_fresh_mm();
	t_cloexec();
	t_signals();
	t_errors();
	return ut_done();
}
