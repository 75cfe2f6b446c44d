/*
 * Wait queues: a task sleeps until a condition holds; whoever makes it true
 * (another task, an interrupt handler) calls wake_up() on the queue.
 * kernel/wait.c; docs/lock-order.md.
 *
 *   wait_event(wq, cond)                 uninterruptible
 *   wait_event_killable(wq, cond)        0, or -EINTR on a fatal signal
 *   wait_event_interruptible(wq, cond)   0, or -EINTR on any signal
 *   wait_event_timeout(wq, cond, ns)     time left (>= 1) or 0 on timeout
 *   wait_event_interruptible_timeout     time left, 0, or -EINTR
 *   wake_up(wq)       every non-exclusive waiter and one exclusive one
 *   wake_up_all(wq)   every waiter
 *   wake_up_nr(wq, n) every non-exclusive waiter and n exclusive ones
 *
 * The condition is evaluated after the task is queued and its state set,
 * so a wake-up between the test and the sleep is never lost. It must be
 * safe to evaluate repeatedly and without the queue's lock. A woken task
 * re-evaluates it; it may be woken spuriously.
 *
 * Interrupted sleeps return -EINTR: there is no system-call restart yet
 * (SA_RESTART and -ERESTARTSYS come with the tty issue).
 *
 * The queue's lock is taken with interrupts off (interrupt handlers wake
 * queues). Kernel-only.
 */
#ifndef PAGODA_WAIT_H
#define PAGODA_WAIT_H

#include <pagoda/types.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>
#include <pagoda/sched.h>

struct task;

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;		/* wait_queue_entry.entry, FIFO */
};

#define WQ_FLAG_EXCLUSIVE	0x01	/* wake_up() wakes only one of these */

struct wait_queue_entry {
	unsigned int flags;		/* WQ_FLAG_* */
	struct task *task;
	struct list_head entry;		/* empty (self-linked) when not queued */
};

#define WAIT_QUEUE_HEAD_INIT(name)	{ SPINLOCK_INIT, LIST_HEAD_INIT((name).head) }
#define DECLARE_WAIT_QUEUE_HEAD(name)	struct wait_queue_head name = WAIT_QUEUE_HEAD_INIT(name)

void init_waitqueue_head(struct wait_queue_head *wq);
/* A wait entry for the current task with @flags (WQ_FLAG_EXCLUSIVE or 0). */
void init_wait_entry(struct wait_queue_entry *we, unsigned int flags);

/*
 * Queue @we (if it is not queued already) and set the current task's state
 * to @state (TASK_UNINTERRUPTIBLE, TASK_KILLABLE or TASK_INTERRUPTIBLE).
 * Returns 0, or -EINTR (and leaves @we unqueued, the task running) when
 * @state can be woken by a signal and such a signal is pending. The caller
 * then tests its condition and calls schedule() if it does not hold.
 */
long prepare_to_wait_event(struct wait_queue_head *wq, struct wait_queue_entry *we,
			   unsigned int state);
/* Back to TASK_RUNNING, @we unqueued if a wake-up has not done it already. */
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *we);
/*
 * finish_wait() for an exclusive waiter that gives up without its
 * condition (timeout, signal): if a wake-up had already taken it off the
 * queue, that wake was meant for one exclusive waiter and this one will
 * not use it, so it is passed on to the next (a completion's event must
 * not sit unconsumed while another waiter sleeps).
 */
void abort_exclusive_wait(struct wait_queue_head *wq, struct wait_queue_entry *we);

/*
 * Wake the waiters of @wq whose state is in @mode (TASK_NORMAL: all
 * sleepers): every non-exclusive one and up to @nr_exclusive exclusive
 * ones (0: all), in queue order. Woken entries are unqueued. Any context,
 * interrupts included.
 */
void __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr_exclusive);
#define wake_up(wq)			__wake_up(wq, TASK_NORMAL, 1)
#define wake_up_nr(wq, nr)		__wake_up(wq, TASK_NORMAL, nr)
#define wake_up_all(wq)			__wake_up(wq, TASK_NORMAL, 0)
#define wake_up_interruptible(wq)	__wake_up(wq, TASK_INTERRUPTIBLE, 1)

/* Does anyone wait on @wq? (A hint: no lock taken.) */
bool wq_has_sleeper(struct wait_queue_head *wq);

/*
 * The loop behind every wait_event*: evaluates to 0 when @cond held, the
 * -EINTR of prepare_to_wait_event() when a signal cut it short, or, with
 * a deadline, the time left when @cond held (at least 1) and 0 when it
 * ran out. @timeout_ns is MAX_SCHEDULE_TIMEOUT for none.
 */
#define ___wait_event(wq, cond, state, excl, timeout_ns)		\
({									\
	struct wait_queue_entry __we;					\
	s64 __left = (timeout_ns);					\
	long __ret = 0;							\
	bool __met = false;						\
	might_sleep();							\
	init_wait_entry(&__we, (excl) ? WQ_FLAG_EXCLUSIVE : 0);	\
	for (;;) {							\
		long __intr = prepare_to_wait_event(&(wq), &__we, state);	\
		if (cond) {						\
			__met = true;					\
			__ret = (timeout_ns) == MAX_SCHEDULE_TIMEOUT ? 0 :	\
				(__left ? __left : 1);			\
			break;						\
		}							\
		if (__intr) {						\
			__ret = __intr;					\
			break;						\
		}							\
		if ((timeout_ns) != MAX_SCHEDULE_TIMEOUT && __left <= 0) {	\
			__ret = 0;					\
			break;						\
		}							\
		__left = schedule_timeout(__left);			\
	}								\
	if ((excl) && !__met)						\
		abort_exclusive_wait(&(wq), &__we);			\
	else								\
		finish_wait(&(wq), &__we);				\
	__ret;								\
})

#define wait_event(wq, cond)						\
	((void)___wait_event(wq, cond, TASK_UNINTERRUPTIBLE, 0, MAX_SCHEDULE_TIMEOUT))
#define wait_event_killable(wq, cond)					\
	___wait_event(wq, cond, TASK_KILLABLE, 0, MAX_SCHEDULE_TIMEOUT)
#define wait_event_interruptible(wq, cond)				\
	___wait_event(wq, cond, TASK_INTERRUPTIBLE, 0, MAX_SCHEDULE_TIMEOUT)
#define wait_event_timeout(wq, cond, timeout_ns)			\
	___wait_event(wq, cond, TASK_UNINTERRUPTIBLE, 0, (s64)(timeout_ns))
#define wait_event_interruptible_timeout(wq, cond, timeout_ns)		\
	___wait_event(wq, cond, TASK_INTERRUPTIBLE, 0, (s64)(timeout_ns))
#define wait_event_exclusive(wq, cond)					\
	((void)___wait_event(wq, cond, TASK_UNINTERRUPTIBLE, 1, MAX_SCHEDULE_TIMEOUT))

#endif
