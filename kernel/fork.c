/*
 * fork, vfork and clone with Linux x86-64 semantics, for processes (no
 * threads yet).
 *
 * A child is a new task (task_new) with:
 *   - mm: a copy-on-write copy of the parent's (dup_mm, mm/fork.c), or the
 *     same mm with one more reference for CLONE_VM (vfork, posix_spawn);
 *   - files: a new descriptor table referencing every open file (files_dup);
 *   - signals: the parent's actions, mask and alternate stack, nothing
 *     pending (signal_state_fork);
 *   - the parent's user registers at the system call with rax = 0, rsp = the
 *     new stack when clone gives one, FS/GS bases and FPU state
 *     (arch_task_copy_user_state); comm and the exit signal.
 * Its kernel side starts in fork_child_start(), which returns to user mode
 * through the common exit path, so a signal sent to the child before it
 * ever ran is delivered on its way out.
 *
 * The child is complete before it gets a pid (task_attach) and becomes
 * findable; it runs only after wake_up_process().
 *
 * clone flags (Linux include/uapi/linux/sched.h). What musl's fork, vfork
 * and posix_spawn pass is supported: the exit signal in the low byte,
 * CLONE_VM, CLONE_VFORK with a new stack, CLONE_SETTLS, CLONE_PARENT_SETTID,
 * CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID. CLONE_FS, CLONE_SYSVSEM,
 * CLONE_IO, CLONE_PTRACE, CLONE_UNTRACED and CLONE_DETACHED are accepted and
 * change nothing (one working directory, no System V semaphores, no I/O
 * contexts, no ptrace; Linux ignores the last two too). Everything else is
 * -EINVAL: threads (CLONE_THREAD, CLONE_SIGHAND: shared handlers need a
 * shared signal table; CLONE_FILES: the descriptor table has no lock for
 * sharing), CLONE_PARENT, CLONE_PIDFD, namespaces. Linux's own consistency
 * rules come first (CLONE_SIGHAND without CLONE_VM, CLONE_THREAD without
 * CLONE_SIGHAND: -EINVAL on Linux as well).
 */
#include <pagoda/syscall.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/signal.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/completion.h>
#include <asm/irqflags.h>
#include <pagoda/uaccess.h>
#include <mm/layout.h>
#include <mm/mm.h>

#define CSIGNAL			0x000000ffUL
#define CLONE_VM		0x00000100UL
#define CLONE_FS		0x00000200UL
#define CLONE_FILES		0x00000400UL
#define CLONE_SIGHAND		0x00000800UL
#define CLONE_PIDFD		0x00001000UL
#define CLONE_PTRACE		0x00002000UL
#define CLONE_VFORK		0x00004000UL
#define CLONE_PARENT		0x00008000UL
#define CLONE_THREAD		0x00010000UL
#define CLONE_SYSVSEM		0x00040000UL
#define CLONE_SETTLS		0x00080000UL
#define CLONE_PARENT_SETTID	0x00100000UL
#define CLONE_CHILD_CLEARTID	0x00200000UL
#define CLONE_DETACHED		0x00400000UL
#define CLONE_UNTRACED		0x00800000UL
#define CLONE_CHILD_SETTID	0x01000000UL
#define CLONE_IO		0x80000000UL

#define CLONE_SUPPORTED	(CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS |		\
			 CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)
#define CLONE_NO_EFFECT	(CLONE_FS | CLONE_SYSVSEM | CLONE_IO | CLONE_PTRACE |		\
			 CLONE_UNTRACED | CLONE_DETACHED)

/* One fork/vfork/clone request, arguments already taken from registers. */
struct clone_req {
	unsigned long flags;
	uintptr_t stack;		/* 0: the parent's rsp */
	uintptr_t parent_tid, child_tid, tls;
};

/* -EINVAL for flags Linux refuses or Pagoda does not support (see the top). */
static int clone_check(unsigned long flags)
{
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (flags & ~(CLONE_SUPPORTED | CLONE_NO_EFFECT))
		return -EINVAL;
	if ((flags & CSIGNAL) > NSIG)
		return -EINVAL;
	return 0;
}

/* Linux's TASK_SIZE_MAX check for a new FS base (CLONE_SETTLS), as arch_prctl. */
static bool tls_ok(uintptr_t tls)
{
	return tls < user_addr_limit() - PAGE_SIZE;
}

/*
 * The child's first code after its first switch (via kthread_start):
 * CLONE_CHILD_SETTID's write into its own memory, as Linux does before the
 * child runs user code (an unwritable address is ignored, as on Linux),
 * then user mode. @arg is the child_tid address or 0.
 */
static int fork_child_start(void *arg)
{
	uintptr_t child_tid = (uintptr_t)arg;
	s32 tid = current->pid;

	if (child_tid)
		(void)copy_to_user((void *)child_tid, &tid, sizeof(tid));
	arch_return_to_user();
}

/* The child's address space: shared (CLONE_VM) or a copy-on-write copy. NULL: -ENOMEM. */
static struct mm_struct *fork_mm(unsigned long flags)
{
	struct mm_struct *mm = current->mm;

	if (flags & CLONE_VM) {
		mm_get(mm);
		return mm;
	}
	return dup_mm(mm);
}

/*
 * Build the child completely, not yet attached or runnable. A CLONE_VFORK
 * child gets @vfork_done to complete when it execs or exits. NULL: -ENOMEM.
 */
static struct task *fork_build(const struct clone_req *req, struct completion *vfork_done)
{
	struct task *parent = current, *p;
	uintptr_t child_tid = (req->flags & CLONE_CHILD_SETTID) ? req->child_tid : 0;

	p = task_new(parent->comm, fork_child_start, (void *)child_tid);
	if (!p)
		return NULL;
	p->mm = fork_mm(req->flags);
	if (!p->mm)
		goto fail;
	if (parent->files) {
		p->files = files_dup(parent->files);
		if (!p->files)
			goto fail;
	}
	if (parent->fs) {
		p->fs = fs_dup(parent->fs);	/* no CLONE_FS: a copy */
		if (!p->fs)
			goto fail;
	}
	signal_state_fork(&p->sig, &parent->sig);
	arch_task_copy_user_state(p, req->stack);
	if (req->flags & CLONE_SETTLS)
		p->fs_base = req->tls;
	if (req->flags & CLONE_CHILD_CLEARTID)
		p->clear_child_tid = req->child_tid;
	p->exit_signal = (int)(req->flags & CSIGNAL);
	if (req->flags & CLONE_VFORK)
		p->vfork_done = vfork_done;
	return p;
fail:
	task_free_new(p);
	return NULL;
}

/*
 * A CLONE_VFORK parent sleeps until @child execs or exits. The sleep is
 * killable, as Linux's: a fatal signal ends it, and then the child must
 * forget @done (it lives on this stack) before this returns: cleared with
 * interrupts off, against task_vfork_done() completing it at that moment.
 */
static void wait_for_vfork_done(struct task *child, struct completion *done)
{
	unsigned long flags;

	if (!wait_for_completion_killable(done))
		return;
	flags = local_irq_save();
	child->vfork_done = NULL;
	local_irq_restore(flags);
}

/*
 * The common fork: returns the child's pid in the parent, or -errno with
 * nothing created. A CLONE_VFORK parent returns only once the child has
 * exec'd or exited, or when a fatal signal ends its wait (Linux's
 * killable vfork wait; the parent then dies on its way out).
 */
static long do_fork(const struct clone_req *req)
{
	struct completion vfork_done;
	struct task *p;
	s32 pid;
	int err;

	if (!current->mm)
		return -EINVAL;		/* a kernel thread has nothing to copy */
	err = clone_check(req->flags);
	if (err)
		return err;
	if ((req->flags & CLONE_SETTLS) && !tls_ok(req->tls))
		return -EPERM;
	init_completion(&vfork_done);
	p = fork_build(req, &vfork_done);
	if (!p)
		return -ENOMEM;
	err = task_attach(p);
	if (err) {
		task_free_new(p);
		return err;
	}
	pid = p->pid;
	/* in the parent's memory only (Linux); a bad address is ignored, as there */
	if (req->flags & CLONE_PARENT_SETTID)
		(void)copy_to_user((void *)req->parent_tid, &pid, sizeof(pid));
	wake_up_process(p);
	if (req->flags & CLONE_VFORK)
		wait_for_vfork_done(p, &vfork_done);
	return pid;
}

SYSCALL_DEFINE(__NR_fork, fork)
{
	const struct clone_req req = { .flags = SIGCHLD };

	return do_fork(&req);
}

SYSCALL_DEFINE(__NR_vfork, vfork)
{
	const struct clone_req req = { .flags = CLONE_VM | CLONE_VFORK | SIGCHLD };

	return do_fork(&req);
}

/* clone(flags, stack, parent_tid, child_tid, tls): the x86-64 argument order. */
SYSCALL_DEFINE(__NR_clone, clone)
{
	/* the flags are an int on Linux: the upper half is ignored */
	const struct clone_req req = {
		.flags = (u32)a0, .stack = a1, .parent_tid = a2, .child_tid = a3, .tls = a4,
	};

	return do_fork(&req);
}
