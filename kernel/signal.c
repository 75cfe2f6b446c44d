/*
 * Signals: per-task state, sending, delivery on the way back to user mode,
 * default actions, and the signal system calls, with Linux x86-64 semantics
 * (docs/signals.md). The frame a handler runs on is built by the arch code
 * (arch/x86_64/signal.c, which also holds rt_sigreturn).
 *
 * State lives in struct task (task->sig) and is protected by running on one
 * CPU; the pending set is updated with atomic operations so a sender in
 * interrupt context (timers, later) cannot lose a bit against do_signal().
 *
 * Simplifications, all documented in docs/signals.md: one pending instance
 * per signal number (real-time signals do not queue), stop signals act as
 * ignored, no core dumps, no syscall restart (nothing sleeps interruptibly
 * with -ERESTART* yet).
 */
#include <pagoda/signal.h>
#include <pagoda/task.h>
#include <pagoda/syscall.h>
#include <pagoda/uaccess.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <asm/regs.h>

#define SIG_KERNEL_ONLY		(sigmask(SIGKILL) | sigmask(SIGSTOP))
#define SIG_DEFAULT_IGNORE	(sigmask(SIGCHLD) | sigmask(SIGURG) |		\
				 sigmask(SIGWINCH) | sigmask(SIGCONT))
#define SIG_DEFAULT_STOP	(sigmask(SIGSTOP) | sigmask(SIGTSTP) |		\
				 sigmask(SIGTTIN) | sigmask(SIGTTOU))
/* Delivered before other pending signals, as Linux does (next_signal). */
#define SIG_SYNCHRONOUS		(sigmask(SIGSEGV) | sigmask(SIGBUS) |		\
				 sigmask(SIGILL) | sigmask(SIGTRAP) |		\
				 sigmask(SIGFPE) | sigmask(SIGSYS))

static bool valid_signal(int sig)
{
	return sig >= 1 && sig <= NSIG;
}

static struct k_sigaction *sig_action(struct signal_state *s, int sig)
{
	return &s->action[sig - 1];
}

/* ---- names ---- */

static const char *const sig_names[32][2] = {
	[SIGHUP]    = { "SIGHUP", "Hangup" },
	[SIGINT]    = { "SIGINT", "Interrupt" },
	[SIGQUIT]   = { "SIGQUIT", "Quit" },
	[SIGILL]    = { "SIGILL", "Illegal instruction" },
	[SIGTRAP]   = { "SIGTRAP", "Trace/breakpoint trap" },
	[SIGABRT]   = { "SIGABRT", "Aborted" },
	[SIGBUS]    = { "SIGBUS", "Bus error" },
	[SIGFPE]    = { "SIGFPE", "Floating point exception" },
	[SIGKILL]   = { "SIGKILL", "Killed" },
	[SIGUSR1]   = { "SIGUSR1", "User defined signal 1" },
	[SIGSEGV]   = { "SIGSEGV", "Segmentation fault" },
	[SIGUSR2]   = { "SIGUSR2", "User defined signal 2" },
	[SIGPIPE]   = { "SIGPIPE", "Broken pipe" },
	[SIGALRM]   = { "SIGALRM", "Alarm clock" },
	[SIGTERM]   = { "SIGTERM", "Terminated" },
	[SIGSTKFLT] = { "SIGSTKFLT", "Stack fault" },
	[SIGCHLD]   = { "SIGCHLD", "Child exited" },
	[SIGCONT]   = { "SIGCONT", "Continued" },
	[SIGSTOP]   = { "SIGSTOP", "Stopped (signal)" },
	[SIGTSTP]   = { "SIGTSTP", "Stopped" },
	[SIGTTIN]   = { "SIGTTIN", "Stopped (tty input)" },
	[SIGTTOU]   = { "SIGTTOU", "Stopped (tty output)" },
	[SIGURG]    = { "SIGURG", "Urgent I/O condition" },
	[SIGXCPU]   = { "SIGXCPU", "CPU time limit exceeded" },
	[SIGXFSZ]   = { "SIGXFSZ", "File size limit exceeded" },
	[SIGVTALRM] = { "SIGVTALRM", "Virtual timer expired" },
	[SIGPROF]   = { "SIGPROF", "Profiling timer expired" },
	[SIGWINCH]  = { "SIGWINCH", "Window changed" },
	[SIGIO]     = { "SIGIO", "I/O possible" },
	[SIGPWR]    = { "SIGPWR", "Power failure" },
	[SIGSYS]    = { "SIGSYS", "Bad system call" },
};

const char *signal_abbrev(int sig)
{
	if (sig > 0 && sig < 32 && sig_names[sig][0])
		return sig_names[sig][0];
	return valid_signal(sig) ? "SIGRT" : "SIG?";
}

const char *signal_name(int sig)
{
	if (sig > 0 && sig < 32 && sig_names[sig][1])
		return sig_names[sig][1];
	return valid_signal(sig) ? "Real-time signal" : "Unknown signal";
}

/* ---- state ---- */

void signal_state_fork(struct signal_state *child, const struct signal_state *parent)
{
	*child = *parent;
	child->pending = 0;
	memset(child->info, 0, sizeof(child->info));
}

void signal_state_exec(struct signal_state *s)
{
	for (int sig = 1; sig <= NSIG; sig++) {
		struct k_sigaction *ka = sig_action(s, sig);

		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask = 0;
	}
	s->sas_ss_sp = 0;
	s->sas_ss_size = 0;
	s->sas_ss_flags = 0;
}

bool signal_pending(const struct task *t)
{
	return (__atomic_load_n(&t->sig.pending, __ATOMIC_RELAXED) & ~t->sig.blocked) != 0;
}

void set_current_blocked(sigset_t mask)
{
	current->sig.blocked = mask & ~SIG_KERNEL_ONLY;
}

static void sig_add_pending(struct signal_state *s, int sig)
{
	__atomic_fetch_or(&s->pending, sigmask(sig), __ATOMIC_RELAXED);
}

static void sig_del_pending(struct signal_state *s, sigset_t mask)
{
	__atomic_fetch_and(&s->pending, ~mask, __ATOMIC_RELAXED);
}

/* Would SIG_DFL / the current action throw @sig away? (Not the mask.) */
static bool sig_handler_ignores(const struct signal_state *s, int sig)
{
	uintptr_t h = s->action[sig - 1].handler;

	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return h == SIG_IGN || (h == SIG_DFL && (sigmask(sig) & SIG_DEFAULT_IGNORE));
}

/* ---- sending ---- */

/*
 * Linux's prepare_signal() side effects: SIGCONT cancels pending stops, a
 * stop signal cancels a pending SIGCONT.
 */
static void sig_cancel_opposites(struct signal_state *s, int sig)
{
	if (sig == SIGCONT)
		sig_del_pending(s, SIG_DEFAULT_STOP);
	else if (sigmask(sig) & SIG_DEFAULT_STOP)
		sig_del_pending(s, sigmask(SIGCONT));
}

/* Does SIG_DFL for @sig end the task? (Linux's sig_kernel_only/terminate.) */
static bool sig_default_kills(int sig)
{
	return !(sigmask(sig) & (SIG_DEFAULT_IGNORE | SIG_DEFAULT_STOP)) || sig == SIGKILL;
}

/* Would @sig, pending for @t now, end it when delivered? */
static bool sig_fatal(const struct task *t, int sig)
{
	if (sig == SIGKILL)
		return true;
	if (t->sig.blocked & sigmask(sig))
		return false;
	return t->sig.action[sig - 1].handler == SIG_DFL && sig_default_kills(sig);
}

bool fatal_signal_pending(const struct task *t)
{
	sigset_t pending = __atomic_load_n(&t->sig.pending, __ATOMIC_RELAXED);

	while (pending) {
		int sig = __builtin_ctzll(pending) + 1;

		if (sig_fatal(t, sig))
			return true;
		pending &= pending - 1;
	}
	return false;
}

bool signal_pending_state(unsigned int state, const struct task *t)
{
	if (state & TASK_INTERRUPTIBLE)
		return signal_pending(t);
	if (state & TASK_WAKEKILL)
		return fatal_signal_pending(t);
	return false;
}

/*
 * Make a sleeping @t run so it sees @sig on its way to user mode: an
 * interruptible sleep ends for any signal, a killable one for a fatal one,
 * an uninterruptible one for none.
 */
static void sig_wake(struct task *t, int sig)
{
	wake_up_state(t, sig_fatal(t, sig) ? TASK_INTERRUPTIBLE | TASK_WAKEKILL :
					     TASK_INTERRUPTIBLE);
}

int send_signal(struct task *t, int sig, const struct siginfo *info)
{
	struct signal_state *s = &t->sig;

	if (!valid_signal(sig))
		return -EINVAL;
	if (t->state == TASK_ZOMBIE || t->state == TASK_DEAD)
		return 0;		/* exists until reaped; nothing to deliver */
	if (t->flags & PF_KTHREAD)
		return 0;		/* kernel threads ignore signals, as Linux's */
	sig_cancel_opposites(s, sig);
	/* Blocked signals are kept: the action may change before unblocking. */
	if (!(s->blocked & sigmask(sig)) && sig_handler_ignores(s, sig))
		return 0;
	/* Standard signals do not queue; the first instance's info stays. */
	if (s->pending & sigmask(sig))
		return 0;
	if (info) {
		s->info[sig - 1] = *info;
	} else {
		/* the header's contract: SI_USER from the kernel, pid 0 */
		memset(&s->info[sig - 1], 0, sizeof(s->info[0]));
		s->info[sig - 1].si_code = SI_USER;
	}
	s->info[sig - 1].si_signo = sig;
	sig_add_pending(s, sig);
	sig_wake(t, sig);
	return 0;
}

/*
 * Queue a signal the task cannot refuse (Linux force_sig_info_to_task): a
 * blocked or ignored @sig is unblocked and its action reset to SIG_DFL, else
 * the task would return to the faulting instruction forever. @info replaces
 * any pending instance's info: the fault is what the handler should see.
 */
static void force_sig_info(int sig, const struct siginfo *info)
{
	struct signal_state *s = &current->sig;
	struct k_sigaction *ka = sig_action(s, sig);
	bool blocked = (s->blocked & sigmask(sig)) != 0;

	if (blocked || ka->handler == SIG_IGN) {
		ka->handler = SIG_DFL;
		s->blocked &= ~sigmask(sig);
	}
	s->info[sig - 1] = *info;
	s->info[sig - 1].si_signo = sig;
	sig_add_pending(s, sig);
}

void force_sig_fault(int sig, int si_code, uintptr_t addr)
{
	struct siginfo info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = si_code;
	info.fault.addr = addr;
	force_sig_info(sig, &info);
}

void force_sigsegv(int sig)
{
	struct siginfo info;

	if (sig == SIGSEGV)
		sig_action(&current->sig, SIGSEGV)->handler = SIG_DFL;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGSEGV;
	info.si_code = SI_KERNEL;
	force_sig_info(SIGSEGV, &info);
}

/* ---- delivery ---- */

/* The signal to deliver next: SIGKILL, then synchronous faults, then lowest. */
static int next_signal(const struct signal_state *s)
{
	sigset_t ready = __atomic_load_n(&s->pending, __ATOMIC_RELAXED) & ~s->blocked;

	if (!ready)
		return 0;
	if (ready & sigmask(SIGKILL))
		return SIGKILL;
	if (ready & SIG_SYNCHRONOUS)
		ready &= SIG_SYNCHRONOUS;
	return __builtin_ctzll(ready) + 1;
}

/* SIG_DFL for @sig: most signals end the task, with the signal as status. */
static void sig_default_action(int sig)
{
	struct task *t = current;

	if (sigmask(sig) & (SIG_DEFAULT_IGNORE | SIG_DEFAULT_STOP))
		return;		/* stop signals: no job control yet (docs/signals.md) */
	printk("pagoda: pid %d (%s) killed by signal %d (%s)\n", t->pid, t->comm, sig,
	       signal_abbrev(sig));
	do_exit(sig);	/* wait status: the signal number, no core flag (no dump) */
}

/*
 * Run @sig's handler: build its frame, then block sa_mask and (without
 * SA_NODEFER) the signal itself. An action without SA_RESTORER has nowhere
 * to return to on x86-64 (Linux requires it too; musl always sets it), and
 * a frame that cannot be written means a dead stack: both force SIGSEGV.
 */
static void handle_signal(struct pt_regs *regs, int sig, const struct siginfo *info,
			  struct k_sigaction *ka)
{
	struct signal_state *s = &current->sig;
	sigset_t oldmask = s->blocked;

	if (!(ka->flags & SA_RESTORER) ||
	    arch_setup_rt_frame(regs, sig, ka, info, oldmask)) {
		force_sigsegv(sig);
		return;
	}
	s->blocked |= ka->mask;
	if (!(ka->flags & SA_NODEFER))
		s->blocked |= sigmask(sig);
	s->blocked &= ~SIG_KERNEL_ONLY;
	if (ka->flags & SA_RESETHAND) {
		ka->handler = SIG_DFL;
		ka->flags &= ~SA_SIGINFO;
	}
}

/*
 * Deliver every deliverable pending signal. Ignored ones are dropped, a
 * default action may end the task (no return), and each caught one gets a
 * frame; when several are caught the later frames nest on top of the
 * earlier ones, so the last one set up runs first, as on Linux. Only for a
 * task returning to user mode.
 */
void do_signal(struct pt_regs *regs)
{
	struct task *t = current;
	int sig;

	if (!t->mm || !user_mode(regs))
		return;
	while ((sig = next_signal(&t->sig)) != 0) {
		struct siginfo info = t->sig.info[sig - 1];
		struct k_sigaction *ka = sig_action(&t->sig, sig);

		sig_del_pending(&t->sig, sigmask(sig));
		if (sig == SIGKILL || ka->handler == SIG_DFL)
			sig_default_action(sig);
		else if (ka->handler != SIG_IGN)
			handle_signal(regs, sig, &info, ka);
	}
}

/* ---- alternate stack ---- */

/* Is @sp on the alternate stack? Never, with SS_AUTODISARM (Linux). */
static bool on_sig_stack(const struct signal_state *s, uintptr_t sp)
{
	if (s->sas_ss_flags & SS_AUTODISARM)
		return false;
	return sp > s->sas_ss_sp && sp - s->sas_ss_sp <= s->sas_ss_size;
}

static int sas_ss_flags(const struct signal_state *s, uintptr_t sp)
{
	if (!s->sas_ss_size)
		return SS_DISABLE;
	return on_sig_stack(s, sp) ? SS_ONSTACK : 0;
}

uintptr_t signal_stack_sp(uintptr_t sp, const struct k_sigaction *ka)
{
	struct signal_state *s = &current->sig;

	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(s, sp) == 0)
		return s->sas_ss_sp + s->sas_ss_size;
	return sp - 128;	/* the x86-64 ABI red zone below the stack pointer */
}

void signal_save_altstack(stack_t *uss, uintptr_t sp)
{
	struct signal_state *s = &current->sig;

	memset(uss, 0, sizeof(*uss));
	uss->ss_sp = s->sas_ss_sp;
	uss->ss_flags = sas_ss_flags(s, sp) | s->sas_ss_flags;
	uss->ss_size = s->sas_ss_size;
	if (s->sas_ss_flags & SS_AUTODISARM) {
		s->sas_ss_sp = 0;
		s->sas_ss_size = 0;
		s->sas_ss_flags = 0;
	}
}

/*
 * sigaltstack(2) on the current task with user stack pointer @sp: report the
 * old stack in *@old (if non-NULL), install *@ss (if non-NULL). 0, -EPERM
 * (running on the alternate stack), -EINVAL (bad flags), -ENOMEM (too small).
 */
static int do_sigaltstack(const stack_t *ss, stack_t *old, uintptr_t sp)
{
	struct signal_state *s = &current->sig;

	if (old) {
		memset(old, 0, sizeof(*old));
		old->ss_sp = s->sas_ss_sp;
		old->ss_size = s->sas_ss_size;
		old->ss_flags = sas_ss_flags(s, sp) | s->sas_ss_flags;
	}
	if (ss) {
		unsigned int mode = (unsigned int)ss->ss_flags & ~SS_AUTODISARM;

		if (on_sig_stack(s, sp))
			return -EPERM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			s->sas_ss_sp = 0;
			s->sas_ss_size = 0;
			s->sas_ss_flags = 0;
			return 0;
		}
		if (ss->ss_size < MINSIGSTKSZ)
			return -ENOMEM;
		s->sas_ss_sp = ss->ss_sp;
		s->sas_ss_size = ss->ss_size;
		s->sas_ss_flags = (unsigned int)ss->ss_flags & SS_AUTODISARM;
	}
	return 0;
}

void signal_restore_altstack(const stack_t *uss, uintptr_t sp)
{
	do_sigaltstack(uss, NULL, sp);	/* errors ignored, as Linux */
}

SYSCALL_DEFINE(__NR_sigaltstack, sigaltstack)
{
	stack_t ss, old;
	int err;

	if (a0 && copy_from_user(&ss, (const void *)a0, sizeof(ss)))
		return -EFAULT;
	err = do_sigaltstack(a0 ? &ss : NULL, &old, current_pt_regs()->rsp);
	if (err)
		return err;
	if (a1 && copy_to_user((void *)a1, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* ---- rt_sigaction, rt_sigprocmask ---- */

/*
 * rt_sigaction(sig, act, oact, sigsetsize). Setting an action that ignores
 * the signal discards a pending instance (POSIX).
 */
SYSCALL_DEFINE(__NR_rt_sigaction, rt_sigaction)
{
	int sig = (int)a0;
	struct signal_state *s = &current->sig;
	struct k_sigaction new, old;

	if (a3 != sizeof(sigset_t))
		return -EINVAL;
	if (!valid_signal(sig) || (a1 && (sigmask(sig) & SIG_KERNEL_ONLY)))
		return -EINVAL;
	if (a1 && copy_from_user(&new, (const void *)a1, sizeof(new)))
		return -EFAULT;
	old = *sig_action(s, sig);
	if (a1) {
		new.mask &= ~SIG_KERNEL_ONLY;
		*sig_action(s, sig) = new;
		if (sig_handler_ignores(s, sig))
			sig_del_pending(s, sigmask(sig));
	}
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* rt_sigprocmask(how, set, oset, sigsetsize) */
SYSCALL_DEFINE(__NR_rt_sigprocmask, rt_sigprocmask)
{
	struct signal_state *s = &current->sig;
	sigset_t old = s->blocked, set;

	if (a3 != sizeof(sigset_t))
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, (const void *)a1, sizeof(set)))
			return -EFAULT;
		switch (a0) {
		case SIG_BLOCK:
			set_current_blocked(old | set);
			break;
		case SIG_UNBLOCK:
			set_current_blocked(old & ~set);
			break;
		case SIG_SETMASK:
			set_current_blocked(set);
			break;
		default:
			return -EINVAL;
		}
	}
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* ---- kill, tkill, tgkill ---- */

static void sig_user_info(struct siginfo *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
	info->kill.pid = current->tgid;
	info->kill.uid = 0;		/* everyone is root */
}

/* A task a signal can reach: exists and not yet reaped. */
static struct task *sig_find_task(int pid)
{
	struct task *t = pid > 0 ? task_find(pid) : NULL;

	return t && t->state != TASK_DEAD ? t : NULL;
}

/* Signal 0 checks existence only. Everyone may signal everyone (all root). */
static long sig_send_user(struct task *t, int sig, int code)
{
	struct siginfo info;

	if (!sig)
		return 0;
	sig_user_info(&info, sig, code);
	return send_signal(t, sig, &info);
}

/*
 * kill(pid, sig). No process groups yet: every process is its own group
 * leader, so pid 0 and -getpid() mean the caller. pid -1 (every process we
 * may signal) and other groups find nobody: -ESRCH.
 */
SYSCALL_DEFINE(__NR_kill, kill)
{
	int pid = (int)a0, sig = (int)a1;
	struct task *t;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid == 0 || (pid < -1 && -(long)pid == current->tgid))
		t = current;
	else
		t = sig_find_task(pid);
	if (!t)
		return -ESRCH;
	return sig_send_user(t, sig, SI_USER);
}

/* tgkill(tgid, tid, sig): threads are processes for now, so tid == tgid. */
SYSCALL_DEFINE(__NR_tgkill, tgkill)
{
	int tgid = (int)a0, tid = (int)a1, sig = (int)a2;
	struct task *t;

	if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG)
		return -EINVAL;
	t = sig_find_task(tid);
	if (!t || t->tgid != tgid)
		return -ESRCH;
	return sig_send_user(t, sig, SI_TKILL);
}

SYSCALL_DEFINE(__NR_tkill, tkill)
{
	int tid = (int)a0, sig = (int)a1;
	struct task *t;

	if (tid <= 0 || sig < 0 || sig > NSIG)
		return -EINVAL;
	t = sig_find_task(tid);
	if (!t)
		return -ESRCH;
	return sig_send_user(t, sig, SI_TKILL);
}
