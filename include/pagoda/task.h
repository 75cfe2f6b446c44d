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
struct fs_struct;
struct pt_regs;
struct completion;

#define TASK_COMM_LEN		16
#define KERNEL_STACK_ORDER	2		/* 16 KiB kernel stacks */
#define KERNEL_STACK_SIZE	(PAGE_SIZE << KERNEL_STACK_ORDER)

/*
 * Task states (Linux's values for the sleeping ones). A sleeping state says
 * what may wake the task besides the event it waits for: a signal
 * (INTERRUPTIBLE), a fatal signal (KILLABLE), nothing (UNINTERRUPTIBLE).
 */
#define TASK_RUNNING		0x0000	/* on the run queue or running */
#define TASK_INTERRUPTIBLE	0x0001	/* sleeping; any signal wakes it */
#define TASK_UNINTERRUPTIBLE	0x0002	/* sleeping; only its event wakes it */
#define TASK_WAKEKILL		0x0100	/* with UNINTERRUPTIBLE: a fatal signal wakes it */
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define TASK_ZOMBIE		0x1000	/* exited, waiting to be reaped */
#define TASK_DEAD		0x2000	/* reaped, being freed */

/* Is @state one of the sleeping states? */
static inline bool task_state_sleeping(unsigned int state)
{
	return state & TASK_NORMAL;
}

/* task->flags */
#define PF_KTHREAD		0x0001	/* managed kernel thread (kthread.h): never waited for */

struct kthread;

struct task {
	int pid;
	int tgid;			/* == pid until threads arrive */
	char comm[TASK_COMM_LEN];
	unsigned int state;		/* TASK_*; changed with interrupts off */
	unsigned int flags;		/* PF_* */
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
	struct fs_struct *fs;		/* root, cwd, umask (NULL: init's, until changed) */
	struct signal_state sig;
	uintptr_t clear_child_tid;	/* set_tid_address */

	int exit_code;			/* wait status, Linux encoding */
	bool need_resched;
	int pagefault_disabled;		/* pagefault_disable() nesting */
	u64 utime_ns, stime_ns;		/* getrusage */
	unsigned long min_flt, maj_flt;	/* getrusage ru_minflt / ru_majflt */
	u64 start_ns;

	/* scheduler and arch state (kernel/sched.c, arch/x86_64/process.c) */
	uintptr_t kstack_top;		/* first byte above the kernel stack */
	u64 gs_base;			/* arch_prctl(ARCH_SET_GS): user GS base */
	void *fpu;			/* x87/SSE/AVX state while switched out */
	void *fpu_alloc;		/* what kmalloc returned for it */
	unsigned int slice_ticks;	/* ticks left in this time slice */
	u64 cutime_ns, cstime_ns;	/* reaped children's times (RUSAGE_CHILDREN) */
	unsigned long cmin_flt, cmaj_flt;

	/* process life cycle (kernel/fork.c, kernel/task.c) */
	int exit_signal;		/* sent to the parent at exit: clone's CSIGNAL byte,
					   SIGCHLD for fork and kernel threads, 0: none */
	struct completion *vfork_done;	/* CLONE_VFORK: the parent sleeps on it until
					   this task execs or exits, which completes
					   it and clears the field */
	struct kthread *kthread;	/* PF_KTHREAD: stop/park state (kernel/kthread.c) */
};

/* The task running on this CPU. */
extern struct task *current;

/* Every task, in creation order (all_list). Protected by interrupts off. */
extern struct list_head task_all_list;

#define HZ		100		/* timer ticks per second */
#define TICK_NS		(1000000000ULL / HZ)
/* Timer ticks since the scheduler started (written by the tick only). */
extern volatile u64 jiffies;

/* Set up the task system: the idle task (pid 0) is the boot context. */
void task_init(void);

/*
 * Create a child task of current that starts in the kernel at fn(arg) on
 * its own stack, runnable; its creator reaps it with task_wait() like a
 * process (Linux's kernel_thread()). For background threads that are
 * stopped rather than waited for, see kthread.h. NULL on -ENOMEM.
 */
struct task *kernel_thread(const char *name, int (*fn)(void *), void *arg);

/*
 * kernel_thread without the start: the task has its pid and parent but
 * does not run until wake_up_process(t), so the creator can fill in fields
 * first (files, signal state). The thread function's return value is its
 * exit status: do_exit((ret & 0xff) << 8).
 */
struct task *kernel_thread_prepare(const char *name, int (*fn)(void *), void *arg);

struct task *task_find(int pid);

/*
 * For kernel/kthread.c: a kernel thread that is a child of the boot task
 * whoever creates it, not yet runnable (NULL on -ENOMEM); and the reaping
 * of such a thread once its function returned: waits until it is a zombie,
 * then frees it.
 */
struct task *kernel_thread_attach_boot(const char *name, int (*fn)(void *), void *arg);
void task_reap_kthread(struct task *t);

/*
 * kernel_thread_prepare in two steps, for fork (kernel/fork.c), which fills the
 * new task completely before anyone can find it. task_new(): a task whose
 * first switch goes to kthread_start(fn, arg), not linked anywhere, no pid,
 * NULL on -ENOMEM. task_attach(): give it a pid and make it a child of
 * current (still not runnable: wake_up_process() starts it); 0 or -EAGAIN. A task
 * that was never attached is freed by task_free_new(), which also drops its
 * mm and files if set.
 */
struct task *task_new(const char *name, int (*fn)(void *), void *arg);
int task_attach(struct task *t);
void task_free_new(struct task *t);

/*
 * CLONE_VFORK's other half: if @t has a vfork parent waiting, clear
 * t->vfork_done and complete it. exec (kernel/sys_exec.c) and exit call it.
 */
void task_vfork_done(struct task *t);

/*
 * Give up the CPU: pick the next runnable task (round robin). A task whose
 * state is not TASK_RUNNING sleeps until woken. Panics if preemption is
 * disabled (a spinlock held).
 */
void schedule(void);
void sched_tick(void);			/* from the timer interrupt */
/*
 * Make @t runnable if it sleeps in a state of @mask. True if it woke it.
 * Any context, including interrupts.
 */
bool wake_up_state(struct task *t, unsigned int mask);
/* wake_up_state(t, TASK_NORMAL): whatever it sleeps in. */
bool wake_up_process(struct task *t);

/* Context switches so far (tests, statistics). */
unsigned long sched_nr_switches(void);

/* The tick's time accounting: charge one tick to current, user or system. */
void sched_account_tick(bool user);

/*
 * Kernel preemption. A timer tick that ends a time slice sets
 * current->need_resched; the task is switched out on its next return to user
 * mode, or at once on the return from the interrupt to kernel code, unless
 * preemption is disabled (preempt_disable nests). schedule() itself runs
 * with preemption disabled. Interrupts off also prevents preemption.
 */
void preempt_disable(void);
void preempt_enable(void);
bool preemptible(void);
/* From the interrupt return path to kernel mode (entry.asm), interrupts off. */
struct pt_regs;
void exit_to_kernel_mode(struct pt_regs *regs);

/*
 * The last work before returning to user mode, interrupts off: reschedule
 * while need_resched is set, deliver pending signals (do_signal may not
 * return). Called by return_to_user (entry.asm) on every path to ring 3.
 */
void exit_to_user_mode(struct pt_regs *regs);

/*
 * Sleep until time_ns() >= @deadline_ns (checked at each timer tick, so up
 * to one tick late). Returns 0, or -EINTR as soon as a signal is pending
 * for a user task (the sleep is interruptible; kernel threads sleep
 * through signals).
 */
int sleep_until_ns(u64 deadline_ns);

/*
 * Leave the kernel for user mode at @entry with stack pointer @stack in the
 * current task's mm (arch/x86_64): builds the interrupt-return frame at the
 * top of the task's kernel stack. Used after exec_load().
 */
__attribute__((noreturn)) void arch_enter_user(uintptr_t entry, uintptr_t stack);

/*
 * The user registers the current task saved when it entered the kernel (the
 * frame at the top of its kernel stack, which the return to user mode
 * reloads). Valid inside a system call: rt_sigreturn and sigaltstack read and
 * rewrite them.
 */
struct pt_regs *current_pt_regs(void);

/*
 * End the current task with wait status @code (Linux encoding: exit status
 * << 8, or the signal number). Frees its mm and files, wakes the parent.
 */
__attribute__((noreturn)) void do_exit(int code);

/*
 * Wait for child @pid (-1: any) to become a zombie, reap it and return its
 * pid, storing the wait status in *status. -ECHILD if there is none.
 *
 * Orphans: a task's children, when it exits, go to the user process the
 * boot task started (init; the `utest` and `init=` runs), when the exiting
 * task descends from it; otherwise to the boot task (pid 0).
 */
int task_wait(int pid, int *status);

/* wait4(2) options. */
#define WNOHANG		0x00000001
#define WUNTRACED	0x00000002
#define WEXITED		0x00000004	/* waitid(2) */
#define WCONTINUED	0x00000008
#define WNOWAIT		0x01000000	/* waitid(2): leave the child waitable */
#define __WNOTHREAD	0x20000000
#define __WALL		0x40000000
#define __WCLONE	0x80000000

/* What the reaped child leaves to its parent (wait4's status and rusage). */
struct wait_result {
	int pid;
	int status;
	u64 utime_ns, stime_ns;		/* the child's own plus its reaped children's */
	unsigned long min_flt, maj_flt;
};

/*
 * task_wait with wait4(2) options: WNOHANG returns 0 while matching children
 * exist and none is a zombie. @pid -1, 0 or < -1 (no process groups yet)
 * mean any child. Returns the reaped pid, 0, -ECHILD, or -EINTR when a user
 * task has a signal pending. As on Linux, a "clone child" (exit signal other
 * than SIGCHLD) matches only with __WCLONE or __WALL, and the others only
 * without __WCLONE. WNOWAIT fills @res and leaves the zombie in place.
 */
int task_wait_opts(int pid, int options, struct wait_result *res);

/*
 * ---- arch hooks (arch/x86_64/process.c), used by kernel/task.c and sched.c ----
 */

/* Per-CPU data, syscall MSRs, FPU set-up; @boot is the running context. 0 or -errno. */
int arch_task_init(struct task *boot);
/* Allocate @t's FPU area in its initial state. 0 or -ENOMEM. */
int arch_task_alloc(struct task *t);
void arch_task_free(struct task *t);
/* Make @t start in kthread_start(fn, arg) at its first switch. */
void arch_task_setup_kthread(struct task *t, int (*fn)(void *), void *arg);
/*
 * fork: give @child a copy of the current task's user state: the user
 * registers of the system call in progress with rax = 0 (fork returns 0 in
 * the child) and rsp = @sp when @sp is not 0, the FS/GS bases and the live
 * FPU/SSE/AVX state. The kernel-side start is set separately
 * (arch_task_setup_kthread: the function ends in arch_return_to_user()).
 */
void arch_task_copy_user_state(struct task *child, uintptr_t sp);
/*
 * Leave the kernel for user mode through the current task's saved user
 * registers (current_pt_regs()): the common return path, signals
 * included. A fork child's first and last kernel act.
 */
__attribute__((noreturn)) void arch_return_to_user(void);
/*
 * execve: reset the user registers @regs (the current task's, as the
 * system call will return through them) for a new program at @entry with
 * stack @stack: general registers 0, rflags IF, user selectors; FS/GS
 * bases 0 and the initial FPU state loaded. The return takes iretq
 * (rcx != rip).
 */
struct pt_regs;
void arch_setup_exec_regs(struct pt_regs *regs, uintptr_t entry, uintptr_t stack);
/*
 * Switch from @prev (current) to @next: kernel stack for ring-3 entries,
 * address space (a kernel thread keeps the one loaded), FS/GS bases, FPU
 * state, then the stacks. Returns when @prev runs again. Interrupts off.
 */
void arch_context_switch(struct task *prev, struct task *next);
/* arch_prctl(ARCH_SET_FS / ARCH_SET_GS) for the current task. */
void arch_set_user_fs_base(u64 base);
void arch_set_user_gs_base(u64 base);
/* False if returning to user mode at @rip would fault in the kernel (non-canonical). */
bool arch_user_rip_ok(u64 rip);
/*
 * The interrupt system and the tick (arch/x86_64/irq.c): 8259 masked, local
 * APIC, I/O APICs, HPET, the local APIC timer at @hz. Interrupts stay off.
 */
void arch_timer_init(unsigned int hz);
/* Load @t's address space if it has one and it is not loaded already. */
void arch_activate_mm(struct task *t);
/*
 * Load the kernel's page tables (before an exiting task frees its mm).
 * Rule for changing current->mm (exit, exec, tests): assign current->mm
 * first, then load CR3 (arch_activate_mm / arch_load_kernel_mm), then drop
 * the old mm: a preemption in between reloads CR3 from current->mm.
 */
void arch_load_kernel_mm(void);

/*
 * The first thing a new task does after its first switch: finish what
 * schedule() started (preemption count, interrupts on). kernel/sched.c.
 */
void schedule_tail(void);

/* Where a new kernel thread begins (from arch/x86_64/switch.asm). */
__attribute__((noreturn)) void kthread_start(int (*fn)(void *), void *arg);

#endif
