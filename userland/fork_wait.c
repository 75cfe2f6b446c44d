/*
 * fork_wait: fork, exit and the wait family as Linux does them.
 *
 * fork returns the child's pid in the parent and 0 in the child; the child's
 * parent is the caller; exit statuses and deaths by signal come back through
 * wait4/waitpid/waitid in Linux's encodings; WNOHANG, WNOWAIT, ECHILD;
 * wait4's rusage counts the child's page faults; SIGCHLD arrives with
 * CLD_EXITED and the child's pid; an orphan gets a new parent; descriptors
 * are shared with their offsets, signal actions are inherited and pending
 * signals are not.
 *
 * Prints no pids or counts that differ between Linux and Pagoda.
 */
#include "utest.h"
#include <sched.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define PAGE		4096
#define TOUCH_PAGES	32

/* Fork a child that runs fn() and exits with its value. The pid, or -1. */
static pid_t spawn(int (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	return pid;
}

static int exit_7(void)
{
	return 7;
}

static int die_by_sigusr1(void)
{
	signal(SIGUSR1, SIG_DFL);
	raise(SIGUSR1);
	return 99;
}

static volatile pid_t seen_ppid;

static int check_ppid(void)
{
	return getppid() == seen_ppid ? 0 : 1;
}

static void t_fork_returns(void)
{
	int status = -1;
	pid_t pid;

	seen_ppid = getpid();
	pid = spawn(check_ppid);
	ut_ok(pid > 0 && pid != getpid(), "fork returns the child's pid, not the parent's, in the parent");
	ut_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "in the child, getppid() is the process that forked it");
}

static void t_exit_status(void)
{
	int status = -1;
	pid_t pid = spawn(exit_7);

	ut_ok(waitpid(pid, &status, 0) == pid, "waitpid returns the pid of the child it reaped");
	ut_ok(WIFEXITED(status) && WEXITSTATUS(status) == 7 && status == 7 << 8,
	      "an exit status comes back as status << 8");
	ut_ok(waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD,
	      "a reaped child cannot be waited for again (ECHILD)");
}

static void t_killed_status(void)
{
	int status = -1;
	pid_t pid = spawn(die_by_sigusr1);

	ut_ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGUSR1 && status == SIGUSR1,
	      "a child killed by a signal comes back as the signal number");
}

static void t_wnohang(void)
{
	int status = -1;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	pid_t pid = fork();

	if (pid == 0) {
		nanosleep(&ts, NULL);
		_exit(3);
	}
	ut_ok(waitpid(pid, &status, WNOHANG) == 0,
	      "WNOHANG returns 0 while the child still runs");
	ut_ok(waitpid(-1, &status, 0) == pid && WEXITSTATUS(status) == 3,
	      "waitpid(-1) then blocks until that child exits");
	ut_ok(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD,
	      "without children, waitpid fails with ECHILD");
	ut_ok(waitpid(1 << 22, &status, 0) == -1 && errno == ECHILD,
	      "waiting for a pid that is not a child fails with ECHILD");
}

static void t_waitid(void)
{
	siginfo_t si;
	pid_t pid;

	pid = spawn(exit_7);
	memset(&si, 0xa5, sizeof(si));
	ut_ok(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid &&
	      si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 7,
	      "waitid(P_PID, WNOWAIT) reports CLD_EXITED with the exit status");
	memset(&si, 0, sizeof(si));
	ut_ok(waitid(P_ALL, 0, &si, WEXITED) == 0 && si.si_pid == pid && si.si_status == 7,
	      "after WNOWAIT the child is still there for waitid(P_ALL)");
	pid = spawn(die_by_sigusr1);
	memset(&si, 0, sizeof(si));
	ut_ok(waitid(P_PID, (id_t)pid, &si, WEXITED) == 0 && si.si_code == CLD_KILLED &&
	      si.si_status == SIGUSR1,
	      "waitid reports a death by signal as CLD_KILLED with the signal");
	memset(&si, 0xa5, sizeof(si));
	ut_ok(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD,
	      "waitid without children fails with ECHILD");
	ut_ok(waitid(P_ALL, 0, &si, WNOHANG) == -1 && errno == EINVAL,
	      "waitid without WEXITED, WSTOPPED or WCONTINUED is EINVAL");
	ut_ok(waitid(P_PID, 0, &si, WEXITED) == -1 && errno == EINVAL,
	      "waitid(P_PID, 0) is EINVAL");
}

static char *touch_buf;

static int touch_pages(void)
{
	for (int i = 0; i < TOUCH_PAGES; i++)
		touch_buf[i * PAGE] = 1;
	return 0;
}

static void t_rusage(void)
{
	struct rusage ru;
	int status;
	pid_t pid;

	touch_buf = mmap(NULL, TOUCH_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid = spawn(touch_pages);
	memset(&ru, 0, sizeof(ru));
	ut_ok(wait4(pid, &status, 0, &ru) == pid && ru.ru_minflt >= TOUCH_PAGES,
	      "wait4's rusage counts the minor faults of the child");
	getrusage(RUSAGE_CHILDREN, &ru);
	ut_ok(ru.ru_minflt >= TOUCH_PAGES,
	      "RUSAGE_CHILDREN includes the reaped child's faults");
	munmap(touch_buf, TOUCH_PAGES * PAGE);
}

static volatile sig_atomic_t chld_count, chld_code, chld_status;
static volatile pid_t chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_count++;
	chld_pid = si->si_pid;
	chld_code = si->si_code;
	chld_status = si->si_status;
}

static void t_sigchld(void)
{
	struct sigaction sa;
	sigset_t block, old;
	pid_t pid;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = spawn(exit_7);
	waitpid(pid, &status, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);	/* the pending SIGCHLD is delivered here */
	ut_ok(chld_count == 1 && chld_pid == pid && chld_code == CLD_EXITED && chld_status == 7,
	      "the parent gets SIGCHLD with CLD_EXITED, the child's pid and status");
	signal(SIGCHLD, SIG_DFL);
}

/* The orphan: reports its parent's pid before and after the parent exits. */
struct orphan_report {
	volatile pid_t ppid_before, ppid_after, parent;
	volatile int done;
};

static int orphan_middle(struct orphan_report *r)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		r->ppid_before = getppid();
		for (int i = 0; i < 2000 && getppid() == r->ppid_before; i++)
			nanosleep(&ts, NULL);
		r->ppid_after = getppid();
		r->done = 1;
		_exit(0);
	}
	r->parent = getpid();
	while (!r->ppid_before)
		sched_yield();
	return 0;
}

static void t_orphan(void)
{
	struct orphan_report *r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	pid_t pid = fork();

	if (pid == 0)
		_exit(orphan_middle(r));
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 2000 && !r->done; i++)
		nanosleep(&ts, NULL);
	ut_ok(r->done && r->ppid_before == r->parent && r->ppid_after != r->parent &&
	      r->ppid_after > 0,
	      "an orphan is given a new parent when its parent exits");
	munmap(r, PAGE);
}

static int check_cloexec(void)
{
	return fcntl(3, F_GETFD) == FD_CLOEXEC && fcntl(4, F_GETFD) == 0 ? 0 : 1;
}

/* @self: this program's file, a regular file on both systems. */
static void t_files_shared(const char *self)
{
	int fd = open(self, O_RDONLY);
	int status = -1;
	pid_t pid;

	/* fd 3 in both: the child's table is a copy naming the same open file */
	ut_ok(fd >= 0 && lseek(fd, 100, SEEK_SET) == 100, "set-up: an open file at offset 100");
	dup2(fd, 3);
	pid = fork();
	if (pid == 0)
		_exit(lseek(3, 0, SEEK_CUR) == 100 && lseek(3, 200, SEEK_SET) == 200 ? 0 : 1);
	waitpid(pid, &status, 0);
	ut_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && lseek(3, 0, SEEK_CUR) == 200,
	      "parent and child share an open file's offset");
	fcntl(3, F_SETFD, FD_CLOEXEC);
	dup2(fd, 4);
	pid = spawn(check_cloexec);
	status = -1;
	waitpid(pid, &status, 0);
	ut_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child's descriptors keep their close-on-exec flags");
	close(3);
	close(4);
	close(fd);
}

static volatile sig_atomic_t usr2_seen;

static void on_usr2(int sig)
{
	(void)sig;
	usr2_seen = 1;
}

static int check_signals(void)
{
	sigset_t pending, mask;
	struct sigaction sa;

	sigpending(&pending);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigaction(SIGUSR2, NULL, &sa);
	if (sigismember(&pending, SIGUSR1))
		return 1;		/* pending signals are not inherited */
	if (!sigismember(&mask, SIGUSR1))
		return 2;		/* the mask is */
	if (sa.sa_handler != on_usr2)
		return 3;		/* and the actions */
	raise(SIGUSR2);
	return usr2_seen ? 0 : 4;
}

static void t_signals_inherited(void)
{
	sigset_t block, old;
	int status = -1;
	pid_t pid;

	signal(SIGUSR2, on_usr2);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	raise(SIGUSR1);			/* pending in the parent, blocked */
	pid = spawn(check_signals);
	waitpid(pid, &status, 0);
	ut_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child inherits actions and mask but not pending signals");
	signal(SIGUSR1, SIG_IGN);	/* discard the pending one */
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

int main(int argc, char **argv)
{
	(void)argc;
	ut_plan("fork_wait", 24);
	t_fork_returns();
	t_exit_status();
	t_killed_status();
	t_wnohang();
	t_waitid();
	t_rusage();
	t_sigchld();
	t_orphan();
	t_files_shared(argv[0]);
	t_signals_inherited();
	return ut_done();
}
