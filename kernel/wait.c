/*
 * Wait queues and completions (include/pagoda/wait.h, completion.h).
 *
 * A waiter queues itself and sets its state under the queue's lock (taken
 * with interrupts off), then tests its condition and sleeps; a waker takes
 * the same lock, wakes the entries in order and unqueues each task it
 * woke. A task woken but not yet running stays off the queue until it
 * queues itself again in prepare_to_wait_event(), so a wake_up() that
 * should reach "the next exclusive waiter" does not hit the same one
 * twice.
 */
#include <pagoda/completion.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/signal.h>
#include <pagoda/task.h>

void init_waitqueue_head(struct wait_queue_head *wq)
{
	spin_lock_init(&wq->lock);
	list_init(&wq->head);
}

void init_wait_entry(struct wait_queue_entry *we, unsigned int flags)
{
	we->flags = flags;
	we->task = current;
	list_init(&we->entry);
}

long prepare_to_wait_event(struct wait_queue_head *wq, struct wait_queue_entry *we,
			   unsigned int state)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	if (signal_pending_state(state, current)) {
		list_del_init(&we->entry);
		spin_unlock_irqrestore(&wq->lock, flags);
		current->state = TASK_RUNNING;
		return -EINTR;
	}
	if (list_empty(&we->entry))
		list_add_tail(&we->entry, &wq->head);
	current->state = state;
	spin_unlock_irqrestore(&wq->lock, flags);
	return 0;
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *we)
{
	unsigned long flags;

	current->state = TASK_RUNNING;
	/*
	 * Unlocked peek: only a waker (under the lock) can empty it meanwhile,
	 * and on one CPU the waker is done with @we by then (SMP will need
	 * an acquire here and a release in the waker's dequeue).
	 */
	if (list_empty(&we->entry))
		return;
	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&we->entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* __wake_up() with wq->lock held. */
static void __wake_up_locked(struct wait_queue_head *wq, unsigned int mode, int nr_exclusive)
{
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, &wq->head) {
		struct wait_queue_entry *we = list_entry(pos, struct wait_queue_entry, entry);
		bool exclusive = we->flags & WQ_FLAG_EXCLUSIVE;

		if (!wake_up_state(we->task, mode))
			continue;
		/* the last touch of @we: once it is off the queue its owner may return */
		list_del_init(&we->entry);
		if (exclusive && --nr_exclusive == 0)
			break;
	}
}

void __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr_exclusive)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	__wake_up_locked(wq, mode, nr_exclusive);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void abort_exclusive_wait(struct wait_queue_head *wq, struct wait_queue_entry *we)
{
	unsigned long flags;

	current->state = TASK_RUNNING;
	spin_lock_irqsave(&wq->lock, flags);
	if (!list_empty(&we->entry))
		list_del_init(&we->entry);
	else
		__wake_up_locked(wq, TASK_NORMAL, 1);	/* pass on the wake we took */
	spin_unlock_irqrestore(&wq->lock, flags);
}

bool wq_has_sleeper(struct wait_queue_head *wq)
{
	return !list_empty(&wq->head);
}

/* ---- completions ---- */

#define COMPLETE_ALL	0xffffffffu

void init_completion(struct completion *c)
{
	c->done = 0;
	init_waitqueue_head(&c->wait);
}

void reinit_completion(struct completion *c)
{
	c->done = 0;
}

/*
 * The event and the wake-up happen under the lock, and @c is not touched
 * after it is released: a waiter may free the completion (an on-stack or
 * per-request one) as soon as it has consumed the event.
 */
void complete(struct completion *c)
{
	unsigned long flags;

	spin_lock_irqsave(&c->wait.lock, flags);
	if (c->done != COMPLETE_ALL)
		c->done++;
	__wake_up_locked(&c->wait, TASK_NORMAL, 1);
	spin_unlock_irqrestore(&c->wait.lock, flags);
}

void complete_all(struct completion *c)
{
	unsigned long flags;

	spin_lock_irqsave(&c->wait.lock, flags);
	c->done = COMPLETE_ALL;
	__wake_up_locked(&c->wait, TASK_NORMAL, 0);
	spin_unlock_irqrestore(&c->wait.lock, flags);
}

bool try_wait_for_completion(struct completion *c)
{
	unsigned long flags;
	bool got = false;

	spin_lock_irqsave(&c->wait.lock, flags);
	if (c->done) {
		if (c->done != COMPLETE_ALL)
			c->done--;
		got = true;
	}
	spin_unlock_irqrestore(&c->wait.lock, flags);
	return got;
}

bool completion_done(struct completion *c)
{
	return READ_ONCE(c->done) != 0;
}

/*
 * Waiters queue exclusively: complete() lets exactly one through; the
 * event is consumed by the waiter's own try_wait_for_completion(), so a
 * waiter cut short by a signal or a timeout consumes nothing.
 */
void wait_for_completion(struct completion *c)
{
	wait_event_exclusive(c->wait, try_wait_for_completion(c));
}

s64 wait_for_completion_timeout(struct completion *c, s64 timeout_ns)
{
	return ___wait_event(c->wait, try_wait_for_completion(c), TASK_UNINTERRUPTIBLE,
			     1, timeout_ns);
}

long wait_for_completion_interruptible(struct completion *c)
{
	return ___wait_event(c->wait, try_wait_for_completion(c), TASK_INTERRUPTIBLE,
			     1, MAX_SCHEDULE_TIMEOUT);
}

long wait_for_completion_killable(struct completion *c)
{
	return ___wait_event(c->wait, try_wait_for_completion(c), TASK_KILLABLE,
			     1, MAX_SCHEDULE_TIMEOUT);
}
