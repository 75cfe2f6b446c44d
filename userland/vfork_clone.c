/*
 * vfork_clone: vfork and the clone flags musl's fork, vfork and posix_spawn
 * use, as Linux does them.
 *
 * vfork's child runs in the parent's memory while the parent waits for it
 * to exit or exec; clone(CLONE_VM | CLONE_VFORK) on a new stack (what
 * posix_spawn does); CLONE_PARENT_SETTID, CLONE_CHILD_SETTID,
 * CLONE_CHILD_CLEARTID and CLONE_SETTLS write where they should; a child
 * whose exit signal is not SIGCHLD is waited for only with __WALL or
 * __WCLONE; thread flags without their companions are EINVAL.
 *
 * Children made with clone() and no CLONE_VM run on a copy of libc's state
 * that names the parent's thread: they use raw system calls only.
 */
#define _GNU_SOURCE
#include "utest.h"
#include <sched.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define STACK_SIZE	(64 << 10)
#define ARCH_GET_FS	0x1003		/* arch_prctl(2); musl has no <asm/prctl.h> */
#define VFORK_MODE	"VFORK_CLONE_MODE"

static char child_stack[STACK_SIZE] __attribute__((aligned(16)));
static volatile int shared_value;

static void *stack_top(void)
{
	return child_stack + sizeof(child_stack);
}

static void t_vfork(const char *self)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	char *argv[] = { (char *)self, NULL };
	char *envp[] = { VFORK_MODE "=exit5", NULL };
	int status = -1;
	pid_t pid;

	shared_value = 0;
	pid = vfork();
	if (pid == 0) {
		nanosleep(&ts, NULL);	/* the parent must still be waiting after this */
		shared_value = 42;
		_exit(3);
	}
	ut_ok(pid > 0 && shared_value == 42,
	      "vfork's child writes the parent's memory, and the parent waits for its exit");
	ut_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 3,
	      "the vfork child's exit status reaches the parent");
	shared_value = 0;
	pid = vfork();
	if (pid == 0) {
		shared_value = 7;
		execve(self, argv, envp);
		_exit(127);
	}
	ut_ok(pid > 0 && shared_value == 7 &&
	      waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5,
	      "vfork then execve: the parent resumes and the new program runs");
}

static int child_writes(void *arg)
{
	*(volatile int *)arg = 99;
	return 4;
}

static void t_clone_vm_vfork(void)
{
	int status = -1;
	pid_t pid;

	shared_value = 0;
	pid = clone(child_writes, stack_top(), CLONE_VM | CLONE_VFORK | SIGCHLD,
		    (void *)&shared_value);
	ut_ok(pid > 0 && shared_value == 99,
	      "clone(CLONE_VM | CLONE_VFORK) runs the child on its new stack in shared memory");
	ut_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 4,
	      "the clone child's return value is its exit status");
}

static void t_exit_signal_zero(void)
{
	int status = -1;
	pid_t pid = clone(child_writes, stack_top(), CLONE_VM | CLONE_VFORK,
			  (void *)&shared_value);

	ut_ok(pid > 0 && waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD,
	      "a child with exit signal 0 is not waited for without __WALL or __WCLONE");
	ut_ok(waitpid(pid, &status, __WALL) == pid && WEXITSTATUS(status) == 4,
	      "__WALL waits for it");
}

static volatile pid_t parent_tid, child_tid;

/* A clone child with a copy of our memory: raw system calls only. */
static int child_checks_tid(void *arg)
{
	(void)arg;
	return child_tid == syscall(SYS_gettid) ? 0 : 1;
}

static void t_settid(void)
{
	int status = -1;
	pid_t pid;

	parent_tid = child_tid = 0;
	pid = clone(child_checks_tid, stack_top(),
		    SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID, NULL,
		    &parent_tid, NULL, &child_tid);
	ut_ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0,
	      "CLONE_CHILD_SETTID stores the child's tid in the child's memory");
	ut_ok(parent_tid == pid && child_tid == 0,
	      "CLONE_PARENT_SETTID stores it in the parent's memory only");
}

static volatile int tid_seen_ok;

static int child_sees_tid(void *arg)
{
	(void)arg;
	tid_seen_ok = child_tid == syscall(SYS_gettid);
	return 0;
}

static void t_cleartid(void)
{
	int status = -1;
	pid_t pid;

	child_tid = 0;
	tid_seen_ok = 0;
	pid = clone(child_sees_tid, stack_top(),
		    CLONE_VM | CLONE_VFORK | SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
		    NULL, NULL, NULL, &child_tid);
	ut_ok(pid > 0 && tid_seen_ok && child_tid == 0,
	      "CLONE_CHILD_CLEARTID clears the shared tid word when the child exits");
	waitpid(pid, &status, 0);
}

/*
 * A vfork parent waiting for its child dies of SIGKILL at once (Linux's
 * wait is killable): the child sleeps a second before it exits, the parent
 * is killed 100 ms in and must be reaped well before that second is up.
 * The orphaned child goes to init and exits on its own.
 */
static void t_vfork_parent_killable(void)
{
	struct timespec nap = { 0, 100 * 1000 * 1000 }, t0, t1;
	int status = -1;
	long ms;
	pid_t p = fork();

	if (p == 0) {
		pid_t c = vfork();

		if (c == 0) {
			struct timespec second = { 1, 0 };

			syscall(SYS_nanosleep, &second, NULL);
			_exit(0);
		}
		_exit(3);
	}
	nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(p, SIGKILL);
	waitpid(p, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ut_ok(p > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && ms < 500,
	      "a vfork parent waiting for its child dies of SIGKILL at once");
}

static unsigned long tls_block[16];

static int child_checks_fs(void *arg)
{
	unsigned long fs = 0;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	return fs == (unsigned long)arg ? 0 : 1;
}

static void t_settls(void)
{
	int status = -1;
	pid_t pid = clone(child_checks_fs, stack_top(), SIGCHLD | CLONE_SETTLS, tls_block,
			  NULL, tls_block);

	ut_ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0,
	      "CLONE_SETTLS gives the child its FS base");
}

static void t_bad_flags(void)
{
	errno = 0;
	ut_ok(syscall(SYS_clone, CLONE_THREAD | SIGCHLD, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "CLONE_THREAD without CLONE_SIGHAND is EINVAL");
	errno = 0;
	ut_ok(syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "CLONE_SIGHAND without CLONE_VM is EINVAL");
}

int main(int argc, char **argv)
{
	const char *mode = getenv(VFORK_MODE);

	(void)argc;
	if (mode)
		return strcmp(mode, "exit5") ? 100 : 5;
	ut_plan("vfork_clone", 14);
	t_vfork(argv[0]);
	t_clone_vm_vfork();
	t_exit_signal_zero();
	t_settid();
	t_cleartid();
	t_settls();
	t_bad_flags();
	t_vfork_parent_killable();
	return ut_done();
}
