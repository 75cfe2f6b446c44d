/*
 * Tasks (processes; threads come with SMP), the scheduler and the per-task
 * state every subsystem hangs off. kernel/task.c, kernel/sched.c; the
 * context switch and the user-mode entry are in arch/x86_64/.
 */
#ifndef PAGODA_TASK_H
#define PAGODA_TASK_H

#include <pagoda/types.h>
#include <pagoda/list.h>
#include <pagoda/signal.h>

struct mm_struct;
struct files_struct;
struct pt_regs;

#define TASK_COMM_LEN		16
#define KERNEL_STACK_ORDER	2		/* 16 KiB kernel stacks */
#define KERNEL_STACK_SIZE	(PAGE_SIZE << KERNEL_STACK_ORDER)

enum task_state {
	TASK_RUNNING,		/* on the run queue or running */
	TASK_SLEEPING,		/* waiting for an event (wait_event) */
	TASK_ZOMBIE,		/* exited, waiting to be reaped */
	TASK_DEAD,		/* reaped, being freed */
};

struct task {
	int pid;
	int tgid;			/* == pid until threads arrive */
	char comm[TASK_COMM_LEN];
	enum task_state state;
	struct task *parent;
	struct list_head children;	/* of this task */
	struct list_head sibling;	/* in parent->children */
	struct list_head run_list;	/* run queue link */
	struct list_head all_list;	/* every task */

	/* arch context */
	uintptr_t ksp;			/* saved kernel rsp while switched out */
	void *kstack;			/* base of the kernel stack */
	u64 fs_base;			/* arch_prctl(ARCH_SET_FS) */

	struct mm_struct *mm;		/* NULL for kernel threads */
	struct files_struct *files;
	struct signal_state sig;
	uintptr_t clear_child_tid;	/* set_tid_address */

	int exit_code;			/* wait status, Linux encoding */
	bool need_resched;
	u64 wake_time_ns;		/* nanosleep deadline */
	u64 utime_ns, stime_ns;		/* getrusage */
	unsigned long min_flt, maj_flt;	/* getrusage ru_minflt / ru_majflt */
	u64 start_ns;
};

/* The task running on this CPU. */
extern struct task *current;

/* Set up the task system: the idle task (pid 0) is the boot context. */
void task_init(void);

/*
 * Create a task that starts in the kernel at fn(arg) on its own stack,
 * runnable. NULL on -ENOMEM.
 */
struct task *kthread_create(const char *name, int (*fn)(void *), void *arg);

struct task *task_find(int pid);

/* Give up the CPU: pick the next runnable task (round robin). */
void schedule(void);
void sched_tick(void);			/* from the timer interrupt */
void wake_up(struct task *t);

/*
 * Sleep until @cond is true, re-checked after each wake-up. Tasks that can
 * make it true call wake_up() on the sleeper.
 */
#define wait_event(cond)				\
	do {						\
		while (!(cond)) {			\
			current->state = TASK_SLEEPING;	\
			schedule();			\
		}					\
	} while (0)

/*
 * Leave the kernel for user mode at @entry with stack pointer @stack in the
 * current task's mm (arch/x86_64): builds the interrupt-return frame at the
 * top of the task's kernel stack. Used after exec_load().
 */
__attribute__((noreturn)) void arch_enter_user(uintptr_t entry, uintptr_t stack);

/*
 * End the current task with wait status @code (Linux encoding: exit status
 * << 8, or the signal number). Frees its mm and files, wakes the parent.
 */
__attribute__((noreturn)) void do_exit(int code);

/*
 * Wait for child @pid (-1: any) to become a zombie, reap it and return its
 * pid, storing the wait status in *status. -ECHILD if there is none.
 */
int task_wait(int pid, int *status);

#endif
