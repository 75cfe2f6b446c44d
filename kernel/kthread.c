/*
 * Managed kernel threads (include/pagoda/kthread.h).
 *
 * Each has a struct kthread: the stop and park requests, and a wait queue
 * on which the controlling task waits for "parked" or "exited". The task is a child of the boot task flagged
 * PF_KTHREAD, which task_wait() skips: only kthread_stop() reaps it, after
 * the thread function returned and the task became a zombie.
 *
 * Protection: the request flags are written by the controlling task and
 * read by the thread (READ_ONCE/WRITE_ONCE, one CPU); the wait queue does
 * its own locking.
 */
#include <pagoda/kthread.h>
#include <pagoda/wait.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <mm/slab.h>

struct kthread {
	int (*fn)(void *data);
	void *data;
	bool should_stop;
	bool should_park;
	bool parked;			/* sleeping in kthread_parkme() */
	bool exited;			/* the function returned; result is valid */
	int result;
	struct wait_queue_head wq;	/* the controller waits here for parked/exited */
};

static struct kthread *to_kthread(const struct task *t)
{
	return (t->flags & PF_KTHREAD) ? t->kthread : NULL;
}

bool task_is_kthread(const struct task *t)
{
	return to_kthread(t) != NULL;
}

/* The first code of a managed thread: run the function, publish its result. */
static int kthread_main(void *arg)
{
	struct kthread *k = arg;

	k->result = k->fn(k->data);
	WRITE_ONCE(k->exited, true);
	wake_up_all(&k->wq);
	return 0;
}

struct task *kthread_create(int (*fn)(void *data), void *data, const char *name)
{
	struct kthread *k = kzalloc(sizeof(*k), GFP_KERNEL);
	struct task *t;

	if (!k)
		return NULL;
	k->fn = fn;
	k->data = data;
	init_waitqueue_head(&k->wq);
	t = kernel_thread_attach_boot(name, kthread_main, k);
	if (!t) {
		kfree(k);
		return NULL;
	}
	t->kthread = k;
	t->flags |= PF_KTHREAD;
	return t;
}

struct task *kthread_run(int (*fn)(void *data), void *data, const char *name)
{
	struct task *t = kthread_create(fn, data, name);

	if (t)
		wake_up_process(t);
	return t;
}

bool kthread_should_stop(void)
{
	struct kthread *k = to_kthread(current);

	return k && READ_ONCE(k->should_stop);
}

bool kthread_should_park(void)
{
	struct kthread *k = to_kthread(current);

	return k && READ_ONCE(k->should_park);
}

void kthread_parkme(void)
{
	struct kthread *k = to_kthread(current);

	if (!k)
		return;
	for (;;) {
		current->state = TASK_UNINTERRUPTIBLE;
		if (!READ_ONCE(k->should_park))
			break;
		if (!k->parked) {
			WRITE_ONCE(k->parked, true);
			wake_up_all(&k->wq);
		}
		schedule();
	}
	WRITE_ONCE(k->parked, false);
	current->state = TASK_RUNNING;
}

int kthread_park(struct task *t)
{
	struct kthread *k = to_kthread(t);

	if (!k)
		return -ENOSYS;
	WRITE_ONCE(k->should_park, true);
	wake_up_process(t);
	wait_event(k->wq, READ_ONCE(k->parked) || READ_ONCE(k->exited));
	return k->parked ? 0 : -EINTR;
}

void kthread_unpark(struct task *t)
{
	struct kthread *k = to_kthread(t);

	if (!k)
		return;
	WRITE_ONCE(k->should_park, false);
	if (READ_ONCE(k->parked))
		wake_up_state(t, TASK_UNINTERRUPTIBLE);
}

int kthread_stop(struct task *t)
{
	struct kthread *k = to_kthread(t);
	int result;

	if (!k || t == current)
		panic("kthread_stop: pid %d (%s) is not a kernel thread another task can stop",
		      t->pid, t->comm);
	WRITE_ONCE(k->should_stop, true);
	kthread_unpark(t);
	wake_up_process(t);
	wait_event(k->wq, READ_ONCE(k->exited));
	result = k->result;
	task_reap_kthread(t);
	kfree(k);
	return result;
}
