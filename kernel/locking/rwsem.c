/*
 * Reader/writer semaphores (include/pagoda/rwsem.h).
 *
 * count > 0: that many readers hold it; -1: a writer (owner) holds it;
 * 0: free. wait_lock protects count, owner and wait_list.
 *
 * Fairness: a task takes the lock at once only when it is free for it AND
 * nobody is queued; otherwise it queues (FIFO) and sleeps until the lock
 * is handed to it. Hand-off (rwsem_wake_locked) happens whenever the lock
 * may have become available to the head of the queue: the head writer
 * gets it if the lock is free; else, if no writer holds it, the run of
 * readers at the head get it together. A granted waiter is unqueued and
 * marked granted before it is woken, so nobody can slip in between.
 */
#include <pagoda/rwsem.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/signal.h>
#include <pagoda/task.h>

enum rwsem_want { RWSEM_WANT_READ, RWSEM_WANT_WRITE };

struct rwsem_waiter {
	struct list_head list;
	struct task *task;
	enum rwsem_want want;
	bool granted;
};

void init_rwsem(struct rw_semaphore *s, const char *name)
{
	s->count = 0;
	s->owner = NULL;
	spin_lock_init(&s->wait_lock);
	list_init(&s->wait_list);
	s->name = name;
}

/* Give the lock to the head of the queue if it can have it now. wait_lock held. */
static void rwsem_wake_locked(struct rw_semaphore *s)
{
	while (!list_empty(&s->wait_list)) {
		struct rwsem_waiter *w = list_first_entry(&s->wait_list,
							  struct rwsem_waiter, list);

		if (w->want == RWSEM_WANT_WRITE) {
			if (s->count != 0)
				return;
			s->count = -1;
			s->owner = w->task;
		} else {
			if (s->count < 0)
				return;
			s->count++;
		}
		list_del(&w->list);
		w->granted = true;
		wake_up_process(w->task);
		if (w->want == RWSEM_WANT_WRITE)
			return;
	}
}

/*
 * Queue as @want and sleep in @state until granted. 0, or -EINTR when a
 * fatal signal came first for a killable sleep (then not queued, not
 * holding). wait_lock held on entry, released on return.
 */
static int rwsem_wait(struct rw_semaphore *s, enum rwsem_want want, unsigned int state)
{
	struct rwsem_waiter w = { .task = current, .want = want };

	list_add_tail(&w.list, &s->wait_list);
	for (;;) {
		current->state = state;
		if (w.granted)
			break;
		if (signal_pending_state(state, current)) {
			list_del(&w.list);
			/* leaving may let the readers behind a departing writer in */
			rwsem_wake_locked(s);
			current->state = TASK_RUNNING;
			spin_unlock(&s->wait_lock);
			return -EINTR;
		}
		spin_unlock(&s->wait_lock);
		schedule();
		spin_lock(&s->wait_lock);
	}
	current->state = TASK_RUNNING;
	spin_unlock(&s->wait_lock);
	return 0;
}

static int __down_read(struct rw_semaphore *s, unsigned int state)
{
	might_sleep();
	spin_lock(&s->wait_lock);
	if (s->count >= 0 && list_empty(&s->wait_list)) {
		s->count++;
		spin_unlock(&s->wait_lock);
		return 0;
	}
	if (s->owner == current)
		panic("down_read: deadlock: pid %d (%s) holds %s for write",
		      current->pid, current->comm, s->name);
	return rwsem_wait(s, RWSEM_WANT_READ, state);
}

static int __down_write(struct rw_semaphore *s, unsigned int state)
{
	might_sleep();
	spin_lock(&s->wait_lock);
	if (s->count == 0 && list_empty(&s->wait_list)) {
		s->count = -1;
		s->owner = current;
		spin_unlock(&s->wait_lock);
		return 0;
	}
	if (s->owner == current)
		panic("down_write: deadlock: pid %d (%s) holds %s for write",
		      current->pid, current->comm, s->name);
	return rwsem_wait(s, RWSEM_WANT_WRITE, state);
}

void down_read(struct rw_semaphore *s)
{
	(void)__down_read(s, TASK_UNINTERRUPTIBLE);
}

int down_read_killable(struct rw_semaphore *s)
{
	return __down_read(s, TASK_KILLABLE);
}

void down_write(struct rw_semaphore *s)
{
	(void)__down_write(s, TASK_UNINTERRUPTIBLE);
}

int down_write_killable(struct rw_semaphore *s)
{
	return __down_write(s, TASK_KILLABLE);
}

bool down_read_trylock(struct rw_semaphore *s)
{
	bool got = false;

	spin_lock(&s->wait_lock);
	if (s->count >= 0 && list_empty(&s->wait_list)) {
		s->count++;
		got = true;
	}
	spin_unlock(&s->wait_lock);
	return got;
}

bool down_write_trylock(struct rw_semaphore *s)
{
	bool got = false;

	spin_lock(&s->wait_lock);
	if (s->count == 0 && list_empty(&s->wait_list)) {
		s->count = -1;
		s->owner = current;
		got = true;
	}
	spin_unlock(&s->wait_lock);
	return got;
}

void up_read(struct rw_semaphore *s)
{
	spin_lock(&s->wait_lock);
	if (s->count <= 0) {
		spin_unlock(&s->wait_lock);
		panic("up_read: %s is not held for read (count %ld)", s->name, s->count);
	}
	if (--s->count == 0)
		rwsem_wake_locked(s);
	spin_unlock(&s->wait_lock);
}

void up_write(struct rw_semaphore *s)
{
	spin_lock(&s->wait_lock);
	if (s->count != -1 || s->owner != current) {
		spin_unlock(&s->wait_lock);
		panic("up_write: %s is not held for write by pid %d (%s)", s->name,
		      current->pid, current->comm);
	}
	s->count = 0;
	s->owner = NULL;
	rwsem_wake_locked(s);
	spin_unlock(&s->wait_lock);
}

void downgrade_write(struct rw_semaphore *s)
{
	spin_lock(&s->wait_lock);
	if (s->count != -1 || s->owner != current) {
		spin_unlock(&s->wait_lock);
		panic("downgrade_write: %s is not held for write by pid %d (%s)", s->name,
		      current->pid, current->comm);
	}
	s->count = 1;
	s->owner = NULL;
	rwsem_wake_locked(s);
	spin_unlock(&s->wait_lock);
}
