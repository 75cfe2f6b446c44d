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
 * half-way (e.g. inside wait_event between setting a sleeping state and
 * calling schedule()), and it will call schedule() itself when it runs.
 *
 * When nothing is runnable, schedule() idles on the current task's stack
 * (sti; hlt) until an interrupt makes something runnable: the boot task
 * (pid 0) is an ordinary task that can sleep, there is no idle thread.
 */
#include <pagoda/task.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/time.h>
#include <pagoda/timer.h>
#include <asm/irqflags.h>
#include <asm/regs.h>

#define SLICE_TICKS	1		/* 10 ms at HZ = 100 */

volatile u64 jiffies;

static LIST_HEAD(run_queue);
static int preempt_count_;		/* per CPU; schedule() holds 1 */
static bool cpu_idle;			/* in the idle loop: ticks are not charged */
static unsigned long nr_switches;
bool scheduler_running;

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
	preempt_count_++;
	barrier();
}

void preempt_enable(void)
{
	barrier();
	BUG_ON(preempt_count_ <= 0);
	preempt_count_--;
}

int preempt_count(void)
{
	return preempt_count_;
}

bool preemptible(void)
{
	return preempt_count_ == 0 && !irqs_disabled();
}

bool in_atomic(void)
{
	return !preemptible();
}

/*
 * See sched.h. The check is off before the scheduler runs and once the
 * kernel is dying (an oops or panic may well be in atomic context and
 * still print through code that could sleep in other circumstances).
 */
void __might_sleep(const char *file, int line)
{
	if (!scheduler_running || kernel_dying)
		return;
	if (preempt_count_ == 0 && !irqs_disabled())
		return;
	panic("BUG: sleeping function called from invalid context at %s:%d\n"
	      "in_atomic(): %d, irqs_disabled(): %d, pid: %d, name: %s",
	      file, line, preempt_count_ != 0, irqs_disabled(),
	      current ? current->pid : -1, current ? current->comm : "?");
}

void set_current_running(void)
{
	current->state = TASK_RUNNING;
}

bool current_fatal_signal_pending(void)
{
	return current && fatal_signal_pending(current);
}

void pagefault_disable(void)
{
	current->pagefault_disabled++;
	barrier();
}

void pagefault_enable(void)
{
	barrier();
	BUG_ON(current->pagefault_disabled <= 0);
	current->pagefault_disabled--;
}

bool pagefault_disabled(void)
{
	return current && current->pagefault_disabled;
}

/*
 * The next task to run, off the queue. If the queue is empty and @prev is
 * not runnable, halt with interrupts on until a wake-up fills the queue or
 * makes @prev runnable again (wake_up_process() of the current task does not queue
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

	if (preempt_count_ != 0)
		panic("schedule: called with preemption disabled (count %d) in %s",
		      preempt_count_, current->comm);
	preempt_count_++;
	__schedule(false);
	preempt_count_--;
	local_irq_restore(flags);
}

/* A new task's first code after switch_to: the other half of schedule(). */
void schedule_tail(void)
{
	preempt_count_--;
	local_irq_enable();
}

bool cond_resched(void)
{
	might_sleep();
	if (!current->need_resched)
		return false;
	schedule();
	return true;
}

/*
 * Kernel preemption, from the interrupt return path to ring 0 with
 * interrupts off: switch if the slice ended and the interrupted code could
 * be preempted (interrupts were on, no preempt_disable).
 */
void exit_to_kernel_mode(struct pt_regs *regs)
{
	if (!current->need_resched || preempt_count_ != 0 || !(regs->rflags & X86_RFLAGS_IF))
		return;
	preempt_count_++;
	__schedule(true);
	preempt_count_--;
}

bool wake_up_state(struct task *t, unsigned int mask)
{
	unsigned long flags;
	bool woke = false;

	if (!t)
		return false;
	flags = local_irq_save();
	if (task_state_sleeping(t->state) && (t->state & mask)) {
		t->state = TASK_RUNNING;
		if (t != current && !on_run_queue(t))
			enqueue(t);
		woke = true;
	}
	local_irq_restore(flags);
	return woke;
}

bool wake_up_process(struct task *t)
{
	return wake_up_state(t, TASK_NORMAL);
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

/*
 * From the timer interrupt (interrupts off): count the tick, run the
 * timers that are due (they wake timed sleepers), end current's slice when
 * someone else is waiting to run.
 */
void sched_tick(void)
{
	struct task *t = current;

	jiffies++;
	run_timers(time_ns());
	if (cpu_idle)
		return;
	if (t->slice_ticks > 0)
		t->slice_ticks--;
	if (t->slice_ticks == 0 && !list_empty(&run_queue))
		t->need_resched = true;
}

/* ---- timed sleep ---- */

struct timeout_sleeper {
	struct timer_list timer;
	struct task *task;
};

static void timeout_sleeper_fire(struct timer_list *timer)
{
	struct timeout_sleeper *ts = container_of(timer, struct timeout_sleeper, timer);

	wake_up_process(ts->task);
}

/*
 * See sched.h. The deadline is a timer on this stack frame that wakes the
 * task; it is disarmed before returning, whoever woke the task.
 */
s64 schedule_timeout(s64 timeout_ns)
{
	struct timeout_sleeper ts = { .task = current };
	u64 now = time_ns(), deadline;
	s64 left;

	if (timeout_ns == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		current->state = TASK_RUNNING;
		return MAX_SCHEDULE_TIMEOUT;
	}
	if (timeout_ns <= 0) {
		current->state = TASK_RUNNING;
		return 0;
	}
	deadline = now + (u64)timeout_ns;
	timer_setup(&ts.timer, timeout_sleeper_fire);
	mod_timer(&ts.timer, deadline);
	schedule();
	del_timer(&ts.timer);
	current->state = TASK_RUNNING;
	now = time_ns();
	left = now >= deadline ? 0 : (s64)(deadline - now);
	return left;
}

int sleep_until_ns(u64 deadline_ns)
{
	struct task *t = current;

	for (;;) {
		u64 now;

		t->state = TASK_INTERRUPTIBLE;
		now = time_ns();
		if (now >= deadline_ns)
			break;
		if (t->mm && signal_pending(t)) {
			t->state = TASK_RUNNING;
			return -EINTR;
		}
		schedule_timeout(deadline_ns - now >= (u64)MAX_SCHEDULE_TIMEOUT ?
				 MAX_SCHEDULE_TIMEOUT : (s64)(deadline_ns - now));
	}
	t->state = TASK_RUNNING;
	return 0;
}

unsigned long sched_nr_switches(void)
{
	return nr_switches;
}
