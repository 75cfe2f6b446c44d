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
#define SI_TKILL	(-6)
#define SEGV_MAPERR	1
#define SEGV_ACCERR	2
#define BUS_ADRERR	2
#define ILL_ILLOPN	2
#define FPE_INTDIV	1

typedef u64 sigset_t;	/* bit (sig - 1) */

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
 * On the way back to user space: deliver pending signals to the current
 * task, building signal frames on its user stack (may terminate it).
 */
struct pt_regs;
void do_signal(struct pt_regs *regs);

/* "Segmentation fault" etc. for "killed by signal N" messages. */
const char *signal_name(int sig);

#endif
