/*
 * Signals with Linux x86-64 numbers and structures (kernel/signal.c, frame
 * layout in arch/x86_64/signal.c).
 */
#ifndef PAGODA_SIGNAL_H
#define PAGODA_SIGNAL_H

#include <pagoda/types.h>

#define NSIG		64
#define SIGHUP		1
#define SIGINT		2
#define SIGQUIT		3
#define SIGILL		4
#define SIGTRAP		5
#define SIGABRT		6
#define SIGBUS		7
#define SIGFPE		8
#define SIGKILL		9
#define SIGUSR1		10
#define SIGSEGV		11
#define SIGUSR2		12
#define SIGPIPE		13
#define SIGALRM		14
#define SIGTERM		15
#define SIGSTKFLT	16
#define SIGCHLD		17
#define SIGCONT		18
#define SIGSTOP		19
#define SIGTSTP		20
#define SIGTTIN		21
#define SIGTTOU		22
#define SIGURG		23
#define SIGXCPU		24
#define SIGXFSZ		25
#define SIGVTALRM	26
#define SIGPROF		27
#define SIGWINCH	28
#define SIGIO		29
#define SIGPWR		30
#define SIGSYS		31

#define SA_NOCLDSTOP	0x00000001
#define SA_NOCLDWAIT	0x00000002
#define SA_SIGINFO	0x00000004
#define SA_ONSTACK	0x08000000
#define SA_RESTORER	0x04000000
#define SA_RESTART	0x10000000
#define SA_NODEFER	0x40000000
#define SA_RESETHAND	0x80000000

#define SIG_DFL		((uintptr_t)0)
#define SIG_IGN		((uintptr_t)1)

#define SIG_BLOCK	0
#define SIG_UNBLOCK	1
#define SIG_SETMASK	2

/* si_code values */
#define SI_USER		0
#define SI_KERNEL	0x80
#define SI_TKILL	(-6)
#define SEGV_MAPERR	1
#define SEGV_ACCERR	2
#define BUS_ADRERR	2
#define ILL_ILLOPN	2
#define FPE_INTDIV	1
/* more Linux si_codes, for the signals of CPU exceptions (arch/x86_64/traps.c) */
#define BUS_ADRALN	1
#define FPE_FLTDIV	3
#define FPE_FLTOVF	4
#define FPE_FLTUND	5
#define FPE_FLTRES	6
#define FPE_FLTINV	7
#define TRAP_BRKPT	1
#define TRAP_TRACE	2
#define TRAP_HWBKPT	4
/* SIGCHLD si_codes */
#define CLD_EXITED	1
#define CLD_KILLED	2
#define CLD_DUMPED	3

typedef u64 sigset_t;	/* bit (sig - 1) */

/* sigaltstack(2) */
#define SS_ONSTACK	1
#define SS_DISABLE	2
#define SS_AUTODISARM	(1U << 31)
#define MINSIGSTKSZ	2048
#define SIGSTKSZ	8192

/* stack_t as user space sees it on x86-64: 24 bytes. */
typedef struct {
	uintptr_t ss_sp;
	s32 ss_flags;
	u32 pad0;
	u64 ss_size;
} stack_t;

#define sigmask(sig)	(1ULL << ((sig) - 1))

/* The kernel's struct sigaction as rt_sigaction(2) passes it on x86-64. */
struct k_sigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	sigset_t mask;
};

/* siginfo_t as user space sees it: 128 bytes. */
struct siginfo {
	s32 si_signo;
	s32 si_errno;
	s32 si_code;
	s32 pad0;
	union {
		struct { s32 pid; u32 uid; } kill;	/* SI_USER, SI_TKILL */
		struct { u64 addr; } fault;		/* SIGSEGV, SIGBUS, SIGILL, SIGFPE */
		struct {				/* SIGCHLD */
			s32 pid;
			u32 uid;
			s32 status;			/* exit code or signal */
			s32 pad;
			s64 utime, stime;		/* clock ticks */
		} chld;
		u8 bytes[112];
	};
};

struct task;

/* Per-task signal state (kernel/signal.c). Protected by running on one CPU. */
struct signal_state {
	struct k_sigaction action[NSIG];	/* action[sig - 1] */
	sigset_t blocked;
	sigset_t pending;
	struct siginfo info[NSIG];		/* info of the pending instance */
	uintptr_t sas_ss_sp;			/* sigaltstack(2); size 0: none */
	size_t sas_ss_size;
	unsigned int sas_ss_flags;		/* SS_AUTODISARM or 0 */
};

/* Queue @sig for @t with @info (NULL: SI_USER from the kernel). 0 or -EINVAL. */
int send_signal(struct task *t, int sig, const struct siginfo *info);

/*
 * Deliver a synchronous fault signal to the current task (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE): if it is blocked or ignored, the default action is
 * forced, as Linux does for faults.
 */
void force_sig_fault(int sig, int si_code, uintptr_t addr);

/* True if some unblocked signal is pending for @t. */
bool signal_pending(const struct task *t);

/*
 * True if a signal pending for @t will kill it: SIGKILL, or an unblocked
 * signal whose action is the default and the default terminates. A
 * killable sleep (TASK_KILLABLE) ends for these.
 */
bool fatal_signal_pending(const struct task *t);

/*
 * Would a signal pending for @t end a sleep in @state (Linux's
 * signal_pending_state)? Any signal for TASK_INTERRUPTIBLE, a fatal one
 * for TASK_KILLABLE, none for TASK_UNINTERRUPTIBLE.
 */
bool signal_pending_state(unsigned int state, const struct task *t);

/*
 * On the way back to user space: deliver pending signals to the current
 * task, building signal frames on its user stack (may terminate it).
 */
struct pt_regs;
void do_signal(struct pt_regs *regs);

/* "Segmentation fault" etc. for "killed by signal N" messages. */
const char *signal_name(int sig);
/* "SIGSEGV" etc.; "SIG?" for a number without a name (real-time signals). */
const char *signal_abbrev(int sig);

/*
 * Task life cycle (kernel/signal.c). A zeroed signal_state is valid: every
 * action SIG_DFL, nothing blocked or pending, no alternate stack.
 * fork: the child gets the parent's actions, mask and alternate stack, and
 * no pending signals. exec: caught signals go back to SIG_DFL, ignored ones
 * stay ignored, the mask and pending signals are kept, the alternate stack
 * is dropped (as Linux).
 */
void signal_state_fork(struct signal_state *child, const struct signal_state *parent);
void signal_state_exec(struct signal_state *s);

/* ---- between kernel/signal.c and the arch frame code (arch/x86_64/signal.c) ---- */

/*
 * Build the rt_sigframe for @sig on the user stack chosen by signal_stack_sp()
 * and point @regs at the handler. 0, or -EFAULT if the frame could not be
 * written (the caller then forces SIGSEGV). Does not change the mask.
 */
int arch_setup_rt_frame(struct pt_regs *regs, int sig, const struct k_sigaction *ka,
			const struct siginfo *info, sigset_t oldmask);

/*
 * rt_sigreturn on @regs (the current task's saved user registers): reload
 * them and the mask from the frame at regs->rsp - 8. Returns the restored
 * rax; a bad frame queues SIGSEGV and leaves @regs alone.
 */
long arch_rt_sigreturn(struct pt_regs *regs);

/*
 * The stack top a handler frame goes below: @sp less the 128-byte red zone,
 * or the top of the alternate stack for an SA_ONSTACK action when one is set
 * up and @sp is not already on it (then SS_AUTODISARM takes effect).
 */
uintptr_t signal_stack_sp(uintptr_t sp, const struct k_sigaction *ka);

/* uc_stack for a frame built while the user stack pointer was @sp. */
void signal_save_altstack(stack_t *uss, uintptr_t sp);
/* rt_sigreturn: reinstall the frame's uc_stack as sigaltstack(2) would. */
void signal_restore_altstack(const stack_t *uss, uintptr_t sp);

/* Install @mask as the current task's blocked set (SIGKILL/SIGSTOP removed). */
void set_current_blocked(sigset_t mask);

/*
 * The current task is beyond saving (unwritable signal frame, corrupt
 * sigreturn frame): queue SIGSEGV with SI_KERNEL, unblocked; when @sig is
 * SIGSEGV itself its handler is reset to SIG_DFL so the task dies.
 */
void force_sigsegv(int sig);

#endif
