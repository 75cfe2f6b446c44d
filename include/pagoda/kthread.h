/*
 * Kernel threads managed by the kernel (kernel/kthread.c): the flusher,
 * device work, anything that runs in the background and is stopped, not
 * waited for. They belong to the boot task, never to the task that created
 * them, and wait4() never sees them.
 *
 * A thread function loops until kthread_should_stop(), sleeping on what it
 * waits for (a wait queue it also wakes on stop: kthread_stop() wakes the
 * thread with wake_up_process(), so a wait_event() whose condition includes
 * kthread_should_stop() ends). Its return value is what kthread_stop()
 * returns. Parking: kthread_park() makes the thread sleep at its next
 * kthread_parkme() (it calls it when kthread_should_park()) until
 * kthread_unpark().
 *
 * (kernel_thread() in task.h is the other kind: a child task its creator
 * reaps with task_wait(), like a process.)
 */
#ifndef PAGODA_KTHREAD_H
#define PAGODA_KTHREAD_H

#include <pagoda/types.h>
#include <pagoda/compiler.h>

struct task;

/*
 * A new thread running fn(data), created stopped: it runs after
 * wake_up_process() (or kthread_unpark()). Its name is @name (truncated to
 * TASK_COMM_LEN - 1). NULL on -ENOMEM. Sleeps (allocates).
 */
struct task *kthread_create(int (*fn)(void *data), void *data, const char *name);
/* kthread_create() and start it. */
struct task *kthread_run(int (*fn)(void *data), void *data, const char *name);

/*
 * Tell @t to stop, wake it (unparking it if parked), wait until its
 * function has returned, reap it and return what it returned. @t is freed:
 * the caller's pointer is dead afterwards. Not from @t itself.
 */
int kthread_stop(struct task *t);
/* In the thread: has kthread_stop() been called for it? */
bool kthread_should_stop(void);

/*
 * Ask @t to park and wait until it sleeps in kthread_parkme(). 0, or
 * -ENOSYS if @t is not a managed kernel thread, or -EINTR if it stopped or
 * exited instead.
 */
int kthread_park(struct task *t);
/* Let a parked @t go on (or, if it never parked, clear the request). */
void kthread_unpark(struct task *t);
/* In the thread: does someone wait for it to park? */
bool kthread_should_park(void);
/* In the thread: sleep here while parking is asked for. */
void kthread_parkme(void);

/* Is @t a managed kernel thread (kthread_create)? */
bool task_is_kthread(const struct task *t);

#endif
