/*
 * Mutexes: sleeping locks with an owner. kernel/locking/mutex.c;
 * docs/lock-order.md.
 *
 * A contending task sleeps. At unlock the mutex is handed straight to the
 * first waiter (FIFO hand-off: no task can take it in between), so waiters
 * get it in the order they arrived. Only the owner may unlock; taking a
 * mutex one already owns is a deadlock. Both are bugs and panic.
 * Never taken from interrupt context, with a spinlock held or interrupts
 * off (might_sleep() checks).
 *
 * Host tests get a single-threaded stand-in with the same API: contention
 * there is a bug and aborts.
 */
#ifndef PAGODA_MUTEX_H
#define PAGODA_MUTEX_H

#include <pagoda/types.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>

struct task;

struct mutex {
	struct task *owner;		/* NULL: unlocked (host: 1 when locked) */
	spinlock_t wait_lock;		/* protects owner hand-off and wait_list (never taken in interrupts) */
	struct list_head wait_list;	/* struct mutex_waiter, FIFO */
	const char *name;		/* for messages */
};

#define MUTEX_INIT(lockname)	{ NULL, SPINLOCK_INIT, LIST_HEAD_INIT((lockname).wait_list), #lockname }
#define DEFINE_MUTEX(lockname)	struct mutex lockname = MUTEX_INIT(lockname)

#ifdef __KERNEL__

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
/* 0 when taken, -EINTR when a signal (any / a fatal one) came first. */
int mutex_lock_interruptible(struct mutex *m);
int mutex_lock_killable(struct mutex *m);
/* Take it only if free: true when taken. Never sleeps. */
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_is_locked(struct mutex *m);
/* Does the current task own @m? */
bool mutex_owned(struct mutex *m);
/* Panic with the lock's name unless the current task owns @m. */
void mutex_assert_held(struct mutex *m);

#else /* host: one thread */

#include <pagoda/printk.h>

static inline void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	m->name = name;
}

static inline void mutex_lock(struct mutex *m)
{
	if (m->owner)
		panic("mutex_lock: %s already locked (host tests are single-threaded)", m->name);
	m->owner = (struct task *)1;
}

static inline bool mutex_trylock(struct mutex *m)
{
	if (m->owner)
		return false;
	m->owner = (struct task *)1;
	return true;
}

static inline void mutex_unlock(struct mutex *m)
{
	if (!m->owner)
		panic("mutex_unlock: %s not locked", m->name);
	m->owner = NULL;
}

static inline bool mutex_is_locked(struct mutex *m) { return m->owner != NULL; }
static inline bool mutex_owned(struct mutex *m) { return m->owner != NULL; }
static inline void mutex_assert_held(struct mutex *m) { BUG_ON(!m->owner); }

#endif

#endif
