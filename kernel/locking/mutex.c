/*
 * Mutexes (include/pagoda/mutex.h): an owner, a FIFO of sleeping waiters,
 * and hand-off at unlock.
 *
 * wait_lock protects owner and wait_list. A waiter queues itself
 * and sleeps until mutex_unlock() hands it the mutex: the unlocker sets
 * owner to the first waiter, unqueues it and wakes it, so nobody can take
 * the mutex in between and waiters are served in arrival order. A waiter
 * cut short by a signal unqueues itself; if the hand-off reached it first,
 * it owns the mutex and keeps it (the call then succeeds).
 */
#include <pagoda/mutex.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/signal.h>
#include <pagoda/task.h>

struct mutex_waiter {
	struct list_head list;
	struct task *task;
};

void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	spin_lock_init(&m->wait_lock);
	list_init(&m->wait_list);
	m->name = name;
}

bool mutex_is_locked(struct mutex *m)
{
	return READ_ONCE(m->owner) != NULL;
}

bool mutex_owned(struct mutex *m)
{
	return READ_ONCE(m->owner) == current;
}

void mutex_assert_held(struct mutex *m)
{
	if (!mutex_owned(m))
		panic("mutex_assert_held: %s is not held by pid %d (%s)",
		      m->name, current->pid, current->comm);
}

bool mutex_trylock(struct mutex *m)
{
	bool got = false;

	spin_lock(&m->wait_lock);
	if (!m->owner) {
		m->owner = current;
		got = true;
	}
	spin_unlock(&m->wait_lock);
	return got;
}

/*
 * The slow path: queue, sleep in @state until handed the mutex. 0, or
 * -EINTR when a signal @state admits came first (then not queued, not
 * owner).
 */
static int mutex_lock_slow(struct mutex *m, unsigned int state)
{
	struct mutex_waiter w = { .task = current };
	spin_lock(&m->wait_lock);
	if (!m->owner) {
		m->owner = current;
		spin_unlock(&m->wait_lock);
		return 0;
	}
	if (m->owner == current)
		panic("mutex_lock: deadlock: pid %d (%s) already holds %s",
		      current->pid, current->comm, m->name);
	list_add_tail(&w.list, &m->wait_list);
	for (;;) {
		current->state = state;
		if (m->owner == current)
			break;
		if (signal_pending_state(state, current)) {
			list_del(&w.list);
			current->state = TASK_RUNNING;
			spin_unlock(&m->wait_lock);
			return -EINTR;
		}
		spin_unlock(&m->wait_lock);
		schedule();
		spin_lock(&m->wait_lock);
	}
	current->state = TASK_RUNNING;
	spin_unlock(&m->wait_lock);
	return 0;
}

void mutex_lock(struct mutex *m)
{
	might_sleep();
	(void)mutex_lock_slow(m, TASK_UNINTERRUPTIBLE);
}

int mutex_lock_interruptible(struct mutex *m)
{
	might_sleep();
	return mutex_lock_slow(m, TASK_INTERRUPTIBLE);
}

int mutex_lock_killable(struct mutex *m)
{
	might_sleep();
	return mutex_lock_slow(m, TASK_KILLABLE);
}

void mutex_unlock(struct mutex *m)
{
	struct mutex_waiter *next;
	spin_lock(&m->wait_lock);
	if (m->owner != current) {
		spin_unlock(&m->wait_lock);
		panic("mutex_unlock: %s is held by pid %d, not by pid %d (%s)", m->name,
		      m->owner ? m->owner->pid : -1, current->pid, current->comm);
	}
	if (list_empty(&m->wait_list)) {
		m->owner = NULL;
	} else {
		next = list_first_entry(&m->wait_list, struct mutex_waiter, list);
		list_del(&next->list);
		m->owner = next->task;
		wake_up_process(next->task);
	}
	spin_unlock(&m->wait_lock);
}
