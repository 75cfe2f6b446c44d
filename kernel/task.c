/*
 * Tasks: creation (kernel threads; the kernel's first user process is a
 * kernel thread that execs, the others are forked: kernel/fork.c), pids,
 * the parent/children tree, exit, orphans and wait.
 *
 * The boot context (kernel_main on the boot stack) becomes task 0 in
 * task_init(); it never exits, adopts the orphans nobody else takes and can
 * sleep in task_wait() like any other task. Orphans of user processes go to
 * init, the user process the boot task started (find_child_reaper).
 *
 * Protection: task_all_list, every children/sibling list and task states are
 * changed with interrupts off (one CPU; the timer tick walks the task list).
 * A task's memory (struct, kernel stack, FPU area) is freed only by its
 * parent's task_wait(), after it became a zombie and was switched out for
 * good.
 */
#include <pagoda/task.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/printk.h>
#include <pagoda/sections.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <pagoda/completion.h>
#include <pagoda/sched.h>
#include <pagoda/uaccess.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/slab.h>

#define PID_MAX		32768		/* Linux's default pid_max */

extern char boot_stack_top[];		/* arch/x86_64/entry.asm */

struct task *current;
LIST_HEAD(task_all_list);

static struct task boot_task;
static int next_pid = 1;

struct task *task_find(int pid)
{
	struct list_head *pos;
	struct task *found = NULL;
	unsigned long flags = local_irq_save();

	list_for_each(pos, &task_all_list) {
		struct task *t = list_entry(pos, struct task, all_list);

		if (t->pid == pid) {
			found = t;
			break;
		}
	}
	local_irq_restore(flags);
	return found;
}

/* The next free pid after the last one given, wrapping at PID_MAX. Interrupts off. */
static int alloc_pid(void)
{
	for (int tries = 0; tries < PID_MAX; tries++) {
		int pid = next_pid;

		next_pid = next_pid + 1 < PID_MAX ? next_pid + 1 : 1;
		if (!task_find(pid))
			return pid;
	}
	return -EAGAIN;
}

static void task_free(struct task *t)
{
	struct page *stack = pfn_to_page(PHYS_PFN(virt_to_phys(t->kstack)));

	arch_task_free(t);
	free_pages(stack, KERNEL_STACK_ORDER);
	kfree(t);
}

/*
 * A new task, not yet runnable nor linked anywhere: zeroed struct, kernel
 * stack, FPU area, name. The pid is given when it is linked (task_link).
 */
static struct task *task_alloc(const char *name)
{
	struct task *t = kzalloc(sizeof(*t), GFP_KERNEL);
	struct page *stack;

	if (!t)
		return NULL;
	/* zeroed: see slab_new() on pages that last held code */
	stack = alloc_pages(GFP_KERNEL | __GFP_ZERO, KERNEL_STACK_ORDER);
	if (!stack) {
		kfree(t);
		return NULL;
	}
	t->kstack = phys_to_virt(page_to_phys(stack));
	t->kstack_top = (uintptr_t)t->kstack + KERNEL_STACK_SIZE;
	if (arch_task_alloc(t)) {
		free_pages(stack, KERNEL_STACK_ORDER);
		kfree(t);
		return NULL;
	}
	strncpy(t->comm, name, TASK_COMM_LEN - 1);
	list_init(&t->children);
	t->state = TASK_UNINTERRUPTIBLE;	/* until wake_up_process() starts it */
	t->start_ns = time_ns();
	t->exit_signal = SIGCHLD;
	return t;
}

/* Give @t a pid and make it a child of @parent. 0 or -EAGAIN (no pid). */
static int task_link(struct task *t, struct task *parent)
{
	unsigned long flags = local_irq_save();
	int pid = alloc_pid();

	if (pid < 0) {
		local_irq_restore(flags);
		return pid;
	}
	t->pid = t->tgid = pid;
	t->parent = parent;
	list_add_tail(&t->sibling, &parent->children);
	list_add_tail(&t->all_list, &task_all_list);
	local_irq_restore(flags);
	return 0;
}

struct task *task_new(const char *name, int (*fn)(void *), void *arg)
{
	struct task *t = task_alloc(name);

	if (t)
		arch_task_setup_kthread(t, fn, arg);
	return t;
}

int task_attach(struct task *t)
{
	return task_link(t, current);
}

void task_free_new(struct task *t)
{
	if (t->mm)
		mm_put(t->mm);
	if (t->files)
		files_put(t->files);
	fs_put(t->fs);
	task_free(t);
}

/* A task running fn(arg), child of @parent, not yet runnable. NULL on -ENOMEM. */
static struct task *kernel_thread_new(const char *name, int (*fn)(void *), void *arg,
				      struct task *parent)
{
	struct task *t = task_new(name, fn, arg);

	if (!t)
		return NULL;
	if (task_link(t, parent)) {
		task_free(t);
		return NULL;
	}
	return t;
}

struct task *kernel_thread_prepare(const char *name, int (*fn)(void *), void *arg)
{
	return kernel_thread_new(name, fn, arg, current);
}

struct task *kernel_thread(const char *name, int (*fn)(void *), void *arg)
{
	struct task *t = kernel_thread_prepare(name, fn, arg);

	if (t)
		wake_up_process(t);
	return t;
}

struct task *kernel_thread_attach_boot(const char *name, int (*fn)(void *), void *arg)
{
	return kernel_thread_new(name, fn, arg, &boot_task);
}

/* Woken by every managed kernel thread's exit (kthread_stop waits here). */
static DECLARE_WAIT_QUEUE_HEAD(kthread_exit_wq);

/* The thread function's return value becomes its exit status (wait status << 8). */
__noreturn void kthread_start(int (*fn)(void *), void *arg)
{
	schedule_tail();
	do_exit((fn(arg) & 0xff) << 8);
}

/*
 * Who adopts the children of exiting @t: init, the user process among @t's
 * ancestors that the boot task started (for the `utest` and `init=` runs,
 * and pagoda-run's program), unless @t is that process itself; otherwise
 * the boot task. Linux gives orphans to pid 1 (or a subreaper): here the
 * first user process plays pid 1 whatever its number. Interrupts off; every
 * ancestor of a living task is alive (orphans are re-homed at exit).
 */
static struct task *find_child_reaper(struct task *t)
{
	struct task *a = t;

	while (a->parent && a->parent != &boot_task)
		a = a->parent;
	if (a != t && a->parent == &boot_task && a->mm)
		return a;
	return &boot_task;
}

/* Zombie @t's SIGCHLD info: its wait status as si_code and si_status, times in clock ticks. */
static void chld_info(const struct task *t, struct siginfo *info)
{
	int code = t->exit_code;

	memset(info, 0, sizeof(*info));
	info->si_signo = t->exit_signal;
	info->si_code = (code & 0x7f) ? CLD_KILLED : CLD_EXITED;
	info->chld.pid = t->tgid;
	info->chld.status = (code & 0x7f) ? (code & 0x7f) : (code >> 8) & 0xff;
	info->chld.utime = (s64)(t->utime_ns / (1000000000ULL / HZ));
	info->chld.stime = (s64)(t->stime_ns / (1000000000ULL / HZ));
}

/*
 * Tell @parent that its child @t became a zombie: the exit signal (for a
 * user parent; SIGCHLD is ignored by default, so only a handler sees it)
 * and a wake-up for a wait. Interrupts off.
 */
static void notify_parent(struct task *t, struct task *parent)
{
	struct siginfo info;

	if (t->exit_signal && parent->mm) {
		chld_info(t, &info);
		send_signal(parent, t->exit_signal, &info);
	}
	wake_up_process(parent);
}

/*
 * Hand @t's children to @reaper. A child that is a zombie already is
 * announced to its new parent as if it had just exited (Linux's
 * reparent_leader). Interrupts off.
 */
static void reparent_children(struct task *t, struct task *reaper)
{
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, &t->children) {
		struct task *c = list_entry(pos, struct task, sibling);

		list_del(&c->sibling);
		c->parent = reaper;
		list_add_tail(&c->sibling, &reaper->children);
		if (c->state == TASK_ZOMBIE)
			notify_parent(c, reaper);
	}
}

/*
 * With interrupts off from the read to the complete(): a parent whose
 * killable wait ended clears the pointer with interrupts off too, so the
 * completion (on its stack) is never touched after it returned.
 */
void task_vfork_done(struct task *t)
{
	unsigned long flags = local_irq_save();
	struct completion *done = t->vfork_done;

	if (done) {
		t->vfork_done = NULL;
		complete(done);
	}
	local_irq_restore(flags);
}

/*
 * Release the user address space: clear_child_tid, the vfork parent (it may
 * run on the shared mm again), then t->mm = NULL, then the kernel's tables
 * in CR3, then mm_put. The order matters under preemption: a switch
 * back to @t reloads CR3 from t->mm, so t->mm must be gone before CR3 stops
 * naming the mm, and CR3 must not name it when mm_put frees its tables.
 * clear_child_tid is written only when another task shares the mm (as
 * Linux): nobody else could read it, and the write could cost a COW copy.
 */
static void exit_mm(struct task *t)
{
	struct mm_struct *mm = t->mm;
	u32 zero = 0;

	if (mm && t->clear_child_tid && READ_ONCE(mm->users) > 1)
		(void)copy_to_user((void *)t->clear_child_tid, &zero, sizeof(zero));
	task_vfork_done(t);
	if (!mm)
		return;
	t->mm = NULL;
	barrier();
	arch_load_kernel_mm();
	mm_put(mm);
}

__noreturn void do_exit(int code)
{
	struct task *t = current;

	if (t == &boot_task)
		panic("do_exit: the boot task (pid 0) tried to exit with status %#x", code);
	exit_mm(t);
	if (t->files) {
		files_put(t->files);
		t->files = NULL;
	}
	if (t->fs) {
		fs_put(t->fs);
		t->fs = NULL;
	}
	local_irq_disable();		/* for good: schedule() never comes back */
	reparent_children(t, find_child_reaper(t));
	t->exit_code = code;
	t->state = TASK_ZOMBIE;
	if (t->flags & PF_KTHREAD)
		wake_up_all(&kthread_exit_wq);
	else
		notify_parent(t, t->parent);
	schedule();
	panic("do_exit: zombie %d ran again", t->pid);
}

/*
 * Does child @c match wait's @pid and @options? Linux's eligible_child():
 * a clone child (exit signal other than SIGCHLD) needs __WCLONE or __WALL,
 * an ordinary one must not be asked for with __WCLONE alone.
 */
static bool wait_matches(int pid, int options, const struct task *c)
{
	bool clone_child = c->exit_signal != SIGCHLD;

	if (c->flags & PF_KTHREAD)
		return false;		/* reaped by kthread_stop() alone */
	if (pid > 0 && c->pid != pid)
		return false;
	if (options & __WALL)
		return true;
	return clone_child == !!(options & __WCLONE);
}

static void fill_wait_result(const struct task *c, struct wait_result *res)
{
	res->pid = c->pid;
	res->status = c->exit_code;
	res->utime_ns = c->utime_ns + c->cutime_ns;
	res->stime_ns = c->stime_ns + c->cstime_ns;
	res->min_flt = c->min_flt + c->cmin_flt;
	res->maj_flt = c->maj_flt + c->cmaj_flt;
}

/*
 * Unlink zombie @c from every list and free it, filling @res. Interrupts
 * off on entry, restored to @flags before the memory is freed.
 */
static int reap(struct task *c, struct wait_result *res, unsigned long flags)
{
	struct task *t = c->parent;
	int pid = c->pid;

	list_del(&c->sibling);
	list_del(&c->all_list);
	local_irq_restore(flags);
	if (res)
		fill_wait_result(c, res);
	t->cutime_ns += c->utime_ns + c->cutime_ns;
	t->cstime_ns += c->stime_ns + c->cstime_ns;
	t->cmin_flt += c->min_flt + c->cmin_flt;
	t->cmaj_flt += c->maj_flt + c->cmaj_flt;
	task_free(c);
	return pid;
}

int task_wait_opts(int pid, int options, struct wait_result *res)
{
	struct task *t = current;

	for (;;) {
		unsigned long flags = local_irq_save();
		struct list_head *pos;
		bool have_child = false;

		list_for_each(pos, &t->children) {
			struct task *c = list_entry(pos, struct task, sibling);

			if (!wait_matches(pid, options, c))
				continue;
			have_child = true;
			if (c->state != TASK_ZOMBIE)
				continue;
			if (!(options & WNOWAIT))
				return reap(c, res, flags);
			if (res)
				fill_wait_result(c, res);
			local_irq_restore(flags);
			return c->pid;
		}
		if (!have_child || (options & WNOHANG) || (t->mm && signal_pending(t))) {
			local_irq_restore(flags);
			return !have_child ? -ECHILD : (options & WNOHANG) ? 0 : -EINTR;
		}
		/* a child's do_exit wakes us; set before interrupts come back on */
		t->state = TASK_INTERRUPTIBLE;
		local_irq_restore(flags);
		schedule();
		t->state = TASK_RUNNING;
	}
}

void task_reap_kthread(struct task *t)
{
	unsigned long flags;

	wait_event(kthread_exit_wq, READ_ONCE(t->state) == TASK_ZOMBIE);
	flags = local_irq_save();
	reap(t, NULL, flags);
}

int task_wait(int pid, int *status)
{
	struct wait_result res;
	int ret = task_wait_opts(pid, 0, &res);

	if (ret > 0 && status)
		*status = res.status;
	return ret;
}

/*
 * The boot context becomes task 0 ("swapper", as on Linux), then the
 * per-CPU data, SYSCALL MSRs and FPU are set up and the timer starts:
 * from here on interrupts are on and the boot task can be preempted.
 */
void task_init(void)
{
	struct task *t = &boot_task;
	int err;

	strncpy(t->comm, "swapper", TASK_COMM_LEN - 1);
	t->state = TASK_RUNNING;
	t->kstack = boot_stack;
	t->kstack_top = (uintptr_t)boot_stack_top;
	t->start_ns = time_ns();
	list_init(&t->children);
	list_add_tail(&t->all_list, &task_all_list);
	current = t;
	err = arch_task_init(t);
	if (err)
		panic("task_init: arch set-up failed (%d)", err);
	arch_timer_init(HZ);
	scheduler_running = true;
	local_irq_enable();
}

static int task_initcall(void)
{
	task_init();
	return 0;
}
arch_initcall(task_initcall);
