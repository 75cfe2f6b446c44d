/*
 * The scheduler: one round-robin run queue, a 100 Hz tick that ends time
 * slices and wakes sleepers whose deadline passed, and schedule().
 *
 * Protection: one CPU, so "interrupts off" protects the run queue, every
 * task's state/run_list and the task lists against the timer interrupt
 * (which wakes sleepers). No spinlock is taken here.
 *
 * Run-queue invariants:
 *   - the run queue holds runnable tasks other than current, oldest first;
 *     a task is on it iff its run_list.next is not NULL;
 *   - current is never on it.
 * A voluntary schedule() puts current back at the tail only if it is
 * TASK_RUNNING; an involuntary one (kernel preemption from the timer
 * interrupt) puts it back whatever its state, because it was stopped
 * half-way (e.g. inside wait_event between setting TASK_SLEEPING and
 * calling schedule()), and it will call schedule() itself when it runs.
 *
 * When nothing is runnable, schedule() idles on the current task's stack
 * (sti; hlt) until an interrupt makes something runnable: the boot task
 * (pid 0) is an ordinary task that can sleep, there is no idle thread.
 */
#include <pagoda/task.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/time.h>
#include <asm/irqflags.h>
#include <asm/regs.h>

#define SLICE_TICKS	1		/* 10 ms at HZ = 100 */

volatile u64 jiffies;

static LIST_HEAD(run_queue);
static int preempt_count;		/* per CPU; schedule() holds 1 */
static bool cpu_idle;			/* in the idle loop: ticks are not charged */
static unsigned long nr_switches;

static bool on_run_queue(const struct task *t)
{
	return t->run_list.next != NULL;
}

static void enqueue(struct task *t)
{
	list_add_tail(&t->run_list, &run_queue);
}

void preempt_disable(void)
{
	preempt_count++;
	barrier();
}

void preempt_enable(void)
{
	barrier();
	BUG_ON(preempt_count <= 0);
	preempt_count--;
}

bool preemptible(void)
{
	return preempt_count == 0 && !irqs_disabled();
}

/*
 * The next task to run, off the queue. If the queue is empty and @prev is
 * not runnable, halt with interrupts on until a wake-up fills the queue or
 * makes @prev runnable again (wake_up() of the current task does not queue
 * it). Interrupts off on entry and exit.
 *
 * A @prev woken during the halt is not on the queue, so it must be the one
 * returned, even when the same tick woke others: picking one of them would
 * leave @prev runnable and nowhere, lost for good.
 */
static struct task *pick_next(struct task *prev)
{
	struct task *next;

	while (list_empty(&run_queue)) {
		if (prev->state == TASK_RUNNING)
			return prev;
		cpu_idle = true;
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		cpu_idle = false;
		if (prev->state == TASK_RUNNING)
			return prev;
	}
	next = list_first_entry(&run_queue, struct task, run_list);
	list_del(&next->run_list);
	return next;
}

/* Switch away from current. Interrupts off, preempt_count held. */
static void __schedule(bool preempted)
{
	struct task *prev = current, *next;

	prev->need_resched = false;
	if (preempted || prev->state == TASK_RUNNING)
		enqueue(prev);
	next = pick_next(prev);
	next->slice_ticks = SLICE_TICKS;
	if (next == prev)
		return;
	nr_switches++;
	current = next;
	arch_context_switch(prev, next);
	/* prev runs again here, switched back in by someone's __schedule */
}

void schedule(void)
{
	unsigned long flags = local_irq_save();

	if (preempt_count != 0)
		panic("schedule: called with preemption disabled (count %d) in %s",
		      preempt_count, current->comm);
	preempt_count++;
	__schedule(false);
	preempt_count--;
	local_irq_restore(flags);
}

/* A new task's first code after switch_to: the other half of schedule(). */
void schedule_tail(void)
{
	preempt_count--;
	local_irq_enable();
}

/*
 * Kernel preemption, from the interrupt return path to ring 0 with
 * interrupts off: switch if the slice ended and the interrupted code could
 * be preempted (interrupts were on, no preempt_disable).
 */
void exit_to_kernel_mode(struct pt_regs *regs)
{
	if (!current->need_resched || preempt_count != 0 || !(regs->rflags & X86_RFLAGS_IF))
		return;
	preempt_count++;
	__schedule(true);
	preempt_count--;
}

/* Make @t runnable if it sleeps. Any context, including interrupts. */
void wake_up(struct task *t)
{
	unsigned long flags;

	if (!t)
		return;
	flags = local_irq_save();
	if (t->state == TASK_SLEEPING) {
		t->state = TASK_RUNNING;
		if (t != current && !on_run_queue(t))
			enqueue(t);
	}
	local_irq_restore(flags);
}

/* Task times, one tick at a time (what getrusage and clock_gettime report). */
void sched_account_tick(bool user)
{
	struct task *t = current;

	if (cpu_idle)
		return;
	if (user)
		t->utime_ns += TICK_NS;
	else
		t->stime_ns += TICK_NS;
}

/* Wake sleepers whose deadline passed. Interrupts off. */
static void wake_expired_sleepers(void);

/*
 * From the timer interrupt (interrupts off): count the tick, wake expired
 * sleepers, end current's slice when someone else is waiting to run.
 */
void sched_tick(void)
{
	struct task *t = current;

	jiffies++;
	wake_expired_sleepers();
	if (cpu_idle)
		return;
	if (t->slice_ticks > 0)
		t->slice_ticks--;
	if (t->slice_ticks == 0 && !list_empty(&run_queue))
		t->need_resched = true;
}

/* ---- timed sleep ---- */

/*
 * The tick wakes tasks whose wake_time_ns passed; they re-check the clock
 * themselves. The walk is over every task: fine at this scale (a timer
 * list is the next step when there are hundreds).
 */
static void wake_expired_sleepers(void)
{
	struct list_head *pos;
	u64 now = time_ns();

	list_for_each(pos, &task_all_list) {
		struct task *t = list_entry(pos, struct task, all_list);

		if (t->state == TASK_SLEEPING && t->wake_time_ns && now >= t->wake_time_ns)
			wake_up(t);
	}
}

int sleep_until_ns(u64 deadline_ns)
{
	struct task *t = current;
	int ret = 0;

	t->wake_time_ns = deadline_ns ? deadline_ns : 1;
	for (;;) {
		t->state = TASK_SLEEPING;
		if (time_ns() >= deadline_ns)
			break;
		if (t->mm && signal_pending(t)) {
			ret = -EINTR;
			break;
		}
		schedule();
	}
	t->state = TASK_RUNNING;
	t->wake_time_ns = 0;
	return ret;
}

unsigned long sched_nr_switches(void)
{
	return nr_switches;
}
