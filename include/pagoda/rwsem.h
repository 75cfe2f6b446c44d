/*
 * Reader/writer semaphores: many readers or one writer, sleeping.
 * kernel/locking/rwsem.c; docs/lock-order.md. mm->mmap_lock is one.
 *
 * Fair: waiters queue FIFO, and a task that finds anyone queued queues too,
 * so a waiting writer holds back readers that come after it (no writer
 * starvation). At release the lock is handed to the head of the queue: a
 * writer alone, or the run of readers at the head together. The writer is
 * recorded as owner (readers are counted, not named). Never taken from
 * interrupt context, with a spinlock held or interrupts off.
 *
 * Host tests get a single-threaded stand-in with the same API: contention
 * there is a bug and aborts.
 */
#ifndef PAGODA_RWSEM_H
#define PAGODA_RWSEM_H

#include <pagoda/types.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>

struct task;

struct rw_semaphore {
	long count;			/* readers holding it; -1: a writer holds it */
	struct task *owner;		/* the writer, or NULL */
	spinlock_t wait_lock;		/* protects count, owner, wait_list (never taken in interrupts) */
	struct list_head wait_list;	/* struct rwsem_waiter, FIFO */
	const char *name;
};

#define RWSEM_INIT(lockname)	{ 0, NULL, SPINLOCK_INIT, LIST_HEAD_INIT((lockname).wait_list), #lockname }
#define DECLARE_RWSEM(lockname)	struct rw_semaphore lockname = RWSEM_INIT(lockname)

#ifdef __KERNEL__

void init_rwsem(struct rw_semaphore *s, const char *name);
void down_read(struct rw_semaphore *s);
/* 0 when taken, -EINTR when a fatal signal came first. */
int down_read_killable(struct rw_semaphore *s);
bool down_read_trylock(struct rw_semaphore *s);
void up_read(struct rw_semaphore *s);
void down_write(struct rw_semaphore *s);
int down_write_killable(struct rw_semaphore *s);
bool down_write_trylock(struct rw_semaphore *s);
void up_write(struct rw_semaphore *s);
/* Turn the current task's write hold into a read hold, letting queued readers in. */
void downgrade_write(struct rw_semaphore *s);

#else /* host: one thread */

#include <pagoda/printk.h>

static inline void init_rwsem(struct rw_semaphore *s, const char *name)
{
	s->count = 0;
	s->owner = NULL;
	s->name = name;
}

static inline bool down_read_trylock(struct rw_semaphore *s)
{
	if (s->count < 0)
		return false;
	s->count++;
	return true;
}

static inline void down_read(struct rw_semaphore *s)
{
	if (!down_read_trylock(s))
		panic("down_read: %s write-locked (host tests are single-threaded)", s->name);
}

static inline int down_read_killable(struct rw_semaphore *s)
{
	down_read(s);
	return 0;
}

static inline void up_read(struct rw_semaphore *s)
{
	if (s->count <= 0)
		panic("up_read: %s not read-locked", s->name);
	s->count--;
}

static inline bool down_write_trylock(struct rw_semaphore *s)
{
	if (s->count)
		return false;
	s->count = -1;
	s->owner = (struct task *)1;
	return true;
}

static inline void down_write(struct rw_semaphore *s)
{
	if (!down_write_trylock(s))
		panic("down_write: %s already locked (host tests are single-threaded)", s->name);
}

static inline int down_write_killable(struct rw_semaphore *s)
{
	down_write(s);
	return 0;
}

static inline void up_write(struct rw_semaphore *s)
{
	if (s->count != -1)
		panic("up_write: %s not write-locked", s->name);
	s->count = 0;
	s->owner = NULL;
}

static inline void downgrade_write(struct rw_semaphore *s)
{
	if (s->count != -1)
		panic("downgrade_write: %s not write-locked", s->name);
	s->count = 1;
	s->owner = NULL;
}

#endif

static inline bool rwsem_is_locked(const struct rw_semaphore *s)
{
	return READ_ONCE(s->count) != 0;
}

static inline bool rwsem_is_write_locked(const struct rw_semaphore *s)
{
	return READ_ONCE(s->count) < 0;
}

#endif
