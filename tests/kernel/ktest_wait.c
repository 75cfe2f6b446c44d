/*
 * In-kernel tests of waiting, `ktest=wait`: wait queues, completions,
 * timers, mutexes, reader/writer semaphores, managed kernel threads, and
 * the page-fault path sleeping (VM_FAULT_RETRY) while another task runs.
 *
 * The cases run in the boot task (pid 0). Helper threads are kernel
 * threads (kernel_thread(), reaped with task_wait(), or kthread_run(),
 * reaped by kthread_stop()), so the runner's free-page check also covers
 * their stacks. Where a broken primitive would hang, the case waits with a
 * deadline (yield_until) and reports a failure instead.
 */
#include <pagoda/completion.h>
#include <pagoda/errno.h>
#include <pagoda/kthread.h>
#include <pagoda/ktest.h>
#include <pagoda/mutex.h>
#include <pagoda/rwsem.h>
#include <pagoda/sched.h>
#include <pagoda/signal.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/timer.h>
#include <pagoda/wait.h>
#include <asm/irqflags.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/page_ref.h>

#define MS		1000000LL

/* Yield the CPU until @cond holds or @ms pass; evaluates to @cond. */
#define yield_until(cond, ms)						\
({									\
	u64 __deadline = time_ns() + (u64)(ms) * MS;			\
	while (!(cond) && time_ns() < __deadline)			\
		schedule();						\
	(cond);								\
})

static bool sleeping_in(struct task *k, unsigned int state)
{
	return READ_ONCE(k->state) == state;
}

/* Reap @k, a kernel_thread() child, and return its exit code (status >> 8). */
static int reap(struct task *k)
{
	int pid = k->pid, status = -1;

	if (task_wait(pid, &status) != pid)
		return -1;
	return (status >> 8) & 0xff;
}

/* ---- wait queues ---- */

static DECLARE_WAIT_QUEUE_HEAD(wq);
static volatile bool wq_cond;
static volatile int wq_passed;

static int wq_waiter(void *arg)
{
	wait_event(wq, wq_cond);
	__atomic_fetch_add(&wq_passed, 1, __ATOMIC_RELAXED);
	return 1;
}

static int wq_waiter_exclusive(void *arg)
{
	wait_event_exclusive(wq, wq_cond);
	__atomic_fetch_add(&wq_passed, 1, __ATOMIC_RELAXED);
	return 2;
}

static void t_wait_event_sleeps_until_woken(struct ktest *t)
{
	struct task *k;

	wq_cond = false;
	wq_passed = 0;
	k = kernel_thread("wq-waiter", wq_waiter, NULL);
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_UNINTERRUPTIBLE), 1000));
	wake_up(&wq);			/* condition false: back to sleep */
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_UNINTERRUPTIBLE), 1000));
	KTEST_EXPECT_EQ(t, wq_passed, 0);
	wq_cond = true;
	wake_up(&wq);
	KTEST_EXPECT_EQ(t, reap(k), 1);
	KTEST_EXPECT_EQ(t, wq_passed, 1);
	KTEST_EXPECT(t, !wq_has_sleeper(&wq));
}

static void t_wake_up_wakes_one_exclusive_waiter(struct ktest *t)
{
	struct task *k[3];

	wq_cond = false;
	wq_passed = 0;
	for (int i = 0; i < 3; i++) {
		k[i] = kernel_thread("wq-excl", wq_waiter_exclusive, NULL);
		KTEST_ASSERT(t, k[i]);
	}
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT(t, yield_until(sleeping_in(k[i], TASK_UNINTERRUPTIBLE), 1000));
	wq_cond = true;
	wake_up(&wq);
	KTEST_EXPECT(t, yield_until(wq_passed == 1, 1000));
	/* give the others every chance to (wrongly) pass too */
	for (int i = 0; i < 20; i++)
		schedule();
	KTEST_EXPECT_EQ(t, wq_passed, 1);
	wake_up_all(&wq);
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT_EQ(t, reap(k[i]), 2);
	KTEST_EXPECT_EQ(t, wq_passed, 3);
}

static void t_wait_event_timeout_expires(struct ktest *t)
{
	u64 start = time_ns();
	s64 left;

	wq_cond = false;
	left = wait_event_timeout(wq, wq_cond, 30 * MS);
	KTEST_EXPECT_EQ(t, left, 0);
	KTEST_EXPECT(t, time_ns() - start >= 30 * MS);
	KTEST_EXPECT(t, time_ns() - start < 200 * MS);
	wq_cond = true;
	left = wait_event_timeout(wq, wq_cond, 30 * MS);	/* true at once: time left */
	KTEST_EXPECT(t, left > 0 && left <= 30 * MS);
	KTEST_EXPECT(t, !wq_has_sleeper(&wq));
}

static int wq_waiter_interruptible(void *arg)
{
	long ret = wait_event_interruptible(wq, wq_cond);

	return ret == -EINTR ? 3 : (int)ret;
}

static int wq_waiter_killable(void *arg)
{
	long ret = wait_event_killable(wq, wq_cond);

	return ret == -EINTR ? 4 : (int)ret;
}

/* A signal ends an interruptible wait with -EINTR; the thread leaves the queue. */
static void t_signal_interrupts_interruptible_wait(struct ktest *t)
{
	struct task *k;

	wq_cond = false;
	k = kernel_thread("wq-intr", wq_waiter_interruptible, NULL);
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_INTERRUPTIBLE), 1000));
	KTEST_EXPECT_EQ(t, send_signal(k, SIGUSR1, NULL), 0);
	KTEST_EXPECT_EQ(t, reap(k), 3);
	KTEST_EXPECT(t, !wq_has_sleeper(&wq));
}

/*
 * A killable wait ends only for a fatal signal: a blocked SIGUSR1 is not
 * one (it stays asleep), SIGKILL is. An uninterruptible wait ignores both.
 */
static void t_only_fatal_signals_end_killable_wait(struct ktest *t)
{
	struct task *k, *u;

	wq_cond = false;
	k = kernel_thread_prepare("wq-kill", wq_waiter_killable, NULL);
	KTEST_ASSERT(t, k);
	k->sig.blocked = sigmask(SIGUSR1);
	wake_up_process(k);
	u = kernel_thread("wq-unint", wq_waiter, NULL);
	KTEST_ASSERT(t, u);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_KILLABLE), 1000));
	KTEST_EXPECT(t, yield_until(sleeping_in(u, TASK_UNINTERRUPTIBLE), 1000));
	send_signal(k, SIGUSR1, NULL);
	send_signal(u, SIGKILL, NULL);
	for (int i = 0; i < 10; i++)
		schedule();
	KTEST_EXPECT(t, sleeping_in(k, TASK_KILLABLE));
	KTEST_EXPECT(t, sleeping_in(u, TASK_UNINTERRUPTIBLE));
	send_signal(k, SIGKILL, NULL);
	KTEST_EXPECT_EQ(t, reap(k), 4);
	wq_cond = true;
	wake_up_all(&wq);
	KTEST_EXPECT_EQ(t, reap(u), 1);
}

/* ---- completions and timers ---- */

static struct completion done;
static volatile int done_passed;

static int completion_waiter(void *arg)
{
	wait_for_completion(&done);
	__atomic_fetch_add(&done_passed, 1, __ATOMIC_RELAXED);
	return 5;
}

static void t_completion_before_wait_does_not_sleep(struct ktest *t)
{
	unsigned long switches;

	init_completion(&done);
	complete(&done);
	KTEST_EXPECT(t, completion_done(&done));
	switches = sched_nr_switches();
	wait_for_completion(&done);
	KTEST_EXPECT_EQ(t, sched_nr_switches(), switches);
	KTEST_EXPECT(t, !completion_done(&done));
	KTEST_EXPECT(t, !try_wait_for_completion(&done));
}

static volatile bool timer_in_irq;
static volatile u64 timer_fired_at;

static void complete_from_timer(struct timer_list *tl)
{
	timer_in_irq = irqs_disabled();
	timer_fired_at = time_ns();
	complete(&done);
}

/* complete() from interrupt context (a timer) wakes the task that waits. */
static void t_timer_completes_completion_from_interrupt(struct ktest *t)
{
	struct timer_list tl;
	u64 start = time_ns();

	init_completion(&done);
	timer_in_irq = false;
	timer_setup(&tl, complete_from_timer);
	mod_timer(&tl, start + 20 * MS);
	KTEST_EXPECT(t, timer_pending(&tl));
	wait_for_completion(&done);
	KTEST_EXPECT(t, timer_in_irq);
	KTEST_EXPECT(t, timer_fired_at >= start + 20 * MS);
	KTEST_EXPECT(t, time_ns() - start < 200 * MS);
	KTEST_EXPECT(t, !timer_pending(&tl));
}

static void never_called(struct timer_list *tl)
{
	timer_fired_at = 1;
}

static void t_deleted_timer_never_fires(struct ktest *t)
{
	struct timer_list tl;

	timer_fired_at = 0;
	timer_setup(&tl, never_called);
	KTEST_EXPECT(t, !mod_timer(&tl, time_ns() + 10 * MS));
	KTEST_EXPECT(t, mod_timer(&tl, time_ns() + 15 * MS));	/* re-arm: was pending */
	KTEST_EXPECT(t, del_timer(&tl));
	KTEST_EXPECT(t, !del_timer(&tl));
	sleep_until_ns(time_ns() + 40 * MS);
	KTEST_EXPECT_EQ(t, timer_fired_at, 0);
}

static void t_complete_all_releases_every_waiter(struct ktest *t)
{
	struct task *k[3];

	init_completion(&done);
	done_passed = 0;
	for (int i = 0; i < 3; i++) {
		k[i] = kernel_thread("compl", completion_waiter, NULL);
		KTEST_ASSERT(t, k[i]);
	}
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT(t, yield_until(sleeping_in(k[i], TASK_UNINTERRUPTIBLE), 1000));
	complete(&done);		/* one event: one waiter */
	KTEST_EXPECT(t, yield_until(done_passed == 1, 1000));
	for (int i = 0; i < 10; i++)
		schedule();
	KTEST_EXPECT_EQ(t, done_passed, 1);
	complete_all(&done);
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT_EQ(t, reap(k[i]), 5);
	KTEST_EXPECT_EQ(t, done_passed, 3);
	wait_for_completion(&done);	/* complete_all: later waiters pass too */
}

/*
 * An exclusive waiter that gives up (timeout, signal) just after a
 * complete() chose it must pass the wake on: the event would otherwise sit
 * unconsumed while the next waiter sleeps. This task plays the first
 * waiter by hand: queued first, completed, then it gives up.
 */
static void t_abandoned_exclusive_wake_passes_on(struct ktest *t)
{
	struct wait_queue_entry we;
	struct task *k;

	init_completion(&done);
	done_passed = 0;
	init_wait_entry(&we, WQ_FLAG_EXCLUSIVE);
	KTEST_EXPECT_EQ(t, prepare_to_wait_event(&done.wait, &we, TASK_UNINTERRUPTIBLE), 0);
	current->state = TASK_RUNNING;		/* queued first, but keep running */
	k = kernel_thread("compl-2nd", completion_waiter, NULL);
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_UNINTERRUPTIBLE), 1000));
	/* about to sleep again (still first in the queue) when the event comes */
	KTEST_EXPECT_EQ(t, prepare_to_wait_event(&done.wait, &we, TASK_UNINTERRUPTIBLE), 0);
	complete(&done);			/* its one wake goes to this task */
	KTEST_EXPECT_EQ(t, current->state, TASK_RUNNING);
	KTEST_EXPECT(t, list_empty(&we.entry));
	abort_exclusive_wait(&done.wait, &we);	/* "timed out" without consuming */
	KTEST_EXPECT(t, yield_until(done_passed == 1, 1000));
	if (done_passed != 1)
		complete(&done);		/* let it go either way */
	KTEST_EXPECT_EQ(t, reap(k), 5);
}

static void t_completion_timeout_consumes_nothing(struct ktest *t)
{
	u64 start = time_ns();

	init_completion(&done);
	KTEST_EXPECT_EQ(t, wait_for_completion_timeout(&done, 20 * MS), 0);
	KTEST_EXPECT(t, time_ns() - start >= 20 * MS);
	complete(&done);
	KTEST_EXPECT(t, wait_for_completion_timeout(&done, 20 * MS) > 0);
	KTEST_EXPECT(t, !completion_done(&done));
}

/* ---- mutexes ---- */

static DEFINE_MUTEX(mtx);
static int order[8];
static volatile int nr_order;

static int mutex_taker(void *arg)
{
	mutex_lock(&mtx);
	order[nr_order++] = (int)(uintptr_t)arg;
	mutex_unlock(&mtx);
	return 6;
}

/* Waiters get the mutex in the order they queued (FIFO hand-off). */
static void t_mutex_waiters_served_in_order(struct ktest *t)
{
	struct task *k[4];

	nr_order = 0;
	mutex_lock(&mtx);
	KTEST_EXPECT(t, mutex_owned(&mtx));
	KTEST_EXPECT(t, !mutex_trylock(&mtx));
	for (int i = 0; i < 4; i++) {
		k[i] = kernel_thread("mtx", mutex_taker, (void *)(uintptr_t)(i + 1));
		KTEST_ASSERT(t, k[i]);
		/* each is queued before the next starts */
		KTEST_EXPECT(t, yield_until(sleeping_in(k[i], TASK_UNINTERRUPTIBLE), 1000));
	}
	mutex_unlock(&mtx);
	/* hand-off: the first waiter owns it before it even runs */
	KTEST_EXPECT(t, mtx.owner == k[0]);
	KTEST_EXPECT(t, !mutex_trylock(&mtx));
	for (int i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, reap(k[i]), 6);
	KTEST_EXPECT_EQ(t, nr_order, 4);
	for (int i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, order[i], i + 1);
	KTEST_EXPECT(t, !mutex_is_locked(&mtx));
}

static int mutex_interruptible_taker(void *arg)
{
	int ret = mutex_lock_interruptible(&mtx);

	if (ret == 0)
		mutex_unlock(&mtx);
	return ret == -EINTR ? 7 : 8;
}

static void t_mutex_lock_interruptible_gives_eintr(struct ktest *t)
{
	struct task *k;

	mutex_lock(&mtx);
	k = kernel_thread("mtx-intr", mutex_interruptible_taker, NULL);
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_INTERRUPTIBLE), 1000));
	send_signal(k, SIGUSR1, NULL);
	KTEST_EXPECT_EQ(t, reap(k), 7);
	KTEST_EXPECT(t, list_empty(&mtx.wait_list));
	mutex_unlock(&mtx);
	KTEST_EXPECT(t, !mutex_is_locked(&mtx));
}

/* ---- reader/writer semaphores ---- */

static DECLARE_RWSEM(sem);
static volatile int readers_inside, max_readers_inside;

static int rw_reader(void *arg)
{
	down_read(&sem);
	order[nr_order++] = (int)(uintptr_t)arg;
	readers_inside++;
	if (readers_inside > max_readers_inside)
		max_readers_inside = readers_inside;
	for (int i = 0; i < 5; i++)
		schedule();		/* stay inside while the others come in */
	readers_inside--;
	up_read(&sem);
	return 9;
}

static int rw_writer(void *arg)
{
	down_write(&sem);
	order[nr_order++] = (int)(uintptr_t)arg;
	if (sem.owner != current || readers_inside)
		order[nr_order++] = -1;
	up_write(&sem);
	return 10;
}

static void t_rwsem_readers_share(struct ktest *t)
{
	struct task *k[3];

	nr_order = readers_inside = max_readers_inside = 0;
	down_read(&sem);
	for (int i = 0; i < 3; i++) {
		k[i] = kernel_thread("rw-r", rw_reader, (void *)(uintptr_t)(i + 1));
		KTEST_ASSERT(t, k[i]);
	}
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT_EQ(t, reap(k[i]), 9);
	KTEST_EXPECT_EQ(t, max_readers_inside, 3);
	KTEST_EXPECT(t, !down_write_trylock(&sem));	/* we still read */
	up_read(&sem);
	KTEST_EXPECT(t, down_write_trylock(&sem));
	KTEST_EXPECT(t, sem.owner == current);
	up_write(&sem);
}

/*
 * A reader that comes after a queued writer waits behind it (no writer
 * starvation); at release the run of readers at the head of the queue gets
 * the lock together: queue W1 R2 R3 W4 R5 behind a writer gives W1, then
 * R2+R3 together, then W4, then R5.
 */
static void t_rwsem_fifo_no_writer_starvation(struct ktest *t)
{
	static const bool is_writer[5] = { true, false, false, true, false };
	struct task *k[5];

	nr_order = readers_inside = max_readers_inside = 0;
	down_write(&sem);
	for (int i = 0; i < 5; i++) {
		k[i] = kernel_thread(is_writer[i] ? "rw-w" : "rw-r",
				     is_writer[i] ? rw_writer : rw_reader,
				     (void *)(uintptr_t)(i + 1));
		KTEST_ASSERT(t, k[i]);
		KTEST_EXPECT(t, yield_until(sleeping_in(k[i], TASK_UNINTERRUPTIBLE), 1000));
	}
	KTEST_EXPECT(t, !down_read_trylock(&sem));
	up_write(&sem);
	for (int i = 0; i < 5; i++)
		KTEST_EXPECT_EQ(t, reap(k[i]), is_writer[i] ? 10 : 9);
	KTEST_EXPECT_EQ(t, nr_order, 5);
	for (int i = 0; i < 5 && i < nr_order; i++)
		KTEST_EXPECT_EQ(t, order[i], i + 1);
	KTEST_EXPECT_EQ(t, max_readers_inside, 2);
	KTEST_EXPECT(t, !rwsem_is_locked(&sem));
}

/*
 * Readers hold the lock and a writer waits: a new reader must not slip in
 * past the writer (it would starve it), it queues behind it.
 */
static void t_rwsem_reader_waits_behind_queued_writer(struct ktest *t)
{
	struct task *w, *r;

	nr_order = readers_inside = max_readers_inside = 0;
	down_read(&sem);
	w = kernel_thread("rw-w", rw_writer, (void *)1);
	KTEST_ASSERT(t, w);
	KTEST_EXPECT(t, yield_until(sleeping_in(w, TASK_UNINTERRUPTIBLE), 1000));
	r = kernel_thread("rw-r", rw_reader, (void *)2);
	KTEST_ASSERT(t, r);
	KTEST_EXPECT(t, yield_until(sleeping_in(r, TASK_UNINTERRUPTIBLE) || nr_order, 1000));
	KTEST_EXPECT_EQ(t, nr_order, 0);
	up_read(&sem);
	KTEST_EXPECT_EQ(t, reap(w), 10);
	KTEST_EXPECT_EQ(t, reap(r), 9);
	KTEST_EXPECT_EQ(t, nr_order, 2);
	KTEST_EXPECT_EQ(t, order[0], 1);
	KTEST_EXPECT_EQ(t, order[1], 2);
}

static void t_rwsem_downgrade_lets_readers_in(struct ktest *t)
{
	struct task *r;

	nr_order = readers_inside = max_readers_inside = 0;
	down_write(&sem);
	r = kernel_thread("rw-r", rw_reader, (void *)1);
	KTEST_ASSERT(t, r);
	KTEST_EXPECT(t, yield_until(sleeping_in(r, TASK_UNINTERRUPTIBLE), 1000));
	downgrade_write(&sem);
	KTEST_EXPECT(t, sem.owner == NULL);
	KTEST_EXPECT(t, yield_until(nr_order == 1, 1000));	/* in while we still read */
	KTEST_EXPECT(t, !down_write_trylock(&sem));
	up_read(&sem);
	KTEST_EXPECT_EQ(t, reap(r), 9);
	KTEST_EXPECT(t, !rwsem_is_locked(&sem));
}

/* ---- managed kernel threads ---- */

static struct wait_queue_head kt_wq;
static volatile unsigned long kt_loops;

static int kt_worker(void *arg)
{
	while (!kthread_should_stop()) {
		if (kthread_should_park())
			kthread_parkme();
		kt_loops++;
		wait_event_timeout(kt_wq, kthread_should_stop() || kthread_should_park(), 2 * MS);
	}
	return 42;
}

static void t_kthread_park_unpark_stop(struct ktest *t)
{
	struct task *k;
	unsigned long seen;

	kt_loops = 0;
	init_waitqueue_head(&kt_wq);
	k = kthread_run(kt_worker, NULL, "kt-worker");
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, task_is_kthread(k));
	KTEST_EXPECT(t, yield_until(kt_loops > 2, 1000));
	KTEST_EXPECT_EQ(t, kthread_park(k), 0);
	seen = kt_loops;
	sleep_until_ns(time_ns() + 30 * MS);
	KTEST_EXPECT_EQ(t, kt_loops, seen);		/* parked: not looping */
	/* wait4 never sees a managed thread */
	KTEST_EXPECT_EQ(t, task_wait_opts(k->pid, WNOHANG, NULL), -ECHILD);
	kthread_unpark(k);
	KTEST_EXPECT(t, yield_until(kt_loops > seen + 2, 1000));
	KTEST_EXPECT_EQ(t, kthread_stop(k), 42);
}

static int kt_returns_early(void *arg)
{
	return 17;
}

static void t_kthread_stop_after_return(struct ktest *t)
{
	struct task *k = kthread_run(kt_returns_early, NULL, "kt-early");

	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(READ_ONCE(k->state) == TASK_ZOMBIE, 1000));
	KTEST_EXPECT_EQ(t, kthread_park(k), -EINTR);
	KTEST_EXPECT_EQ(t, kthread_stop(k), 17);
}

/* ---- sleeping rules ---- */

static void t_in_atomic_under_spinlock_or_irqs_off(struct ktest *t)
{
	spinlock_t l = SPINLOCK_INIT;
	unsigned long flags;

	KTEST_EXPECT(t, !in_atomic());
	spin_lock(&l);
	KTEST_EXPECT(t, in_atomic());
	KTEST_EXPECT_EQ(t, preempt_count(), 1);
	spin_unlock(&l);
	flags = local_irq_save();
	KTEST_EXPECT(t, in_atomic());
	local_irq_restore(flags);
	KTEST_EXPECT(t, !in_atomic());
	pagefault_disable();
	KTEST_EXPECT(t, pagefault_disabled());
	pagefault_enable();
	KTEST_EXPECT(t, !pagefault_disabled());
}

/* ---- the fault path sleeps and retries ---- */

#define FT_ADDR		0x40000000UL

static struct completion io_done;	/* "the disk read finished" */
static struct page *io_page;		/* what the "disk" filled */
static volatile int fault_calls, fault_retries_seen, fault_tried_seen;
static volatile bool fault_waited_holding_lock;

/*
 * A ->fault that needs I/O, like filemap_fault: the first attempt releases
 * mmap_lock and waits for the read, then asks for a retry; the retry
 * (FAULT_FLAG_TRIED) finds the page, or waits for it holding the lock.
 */
static vm_fault_t slow_fault(struct vm_fault *vmf)
{
	fault_calls++;
	if (!completion_done(&io_done)) {
		if (fault_release_mmap_lock(vmf)) {
			fault_retries_seen++;
			if (wait_for_completion_killable(&io_done))
				return VM_FAULT_RETRY;	/* dying: the retry is abandoned */
			complete(&io_done);		/* leave the event for the retry */
			return VM_FAULT_RETRY | VM_FAULT_MAJOR;
		}
		fault_waited_holding_lock = true;
		wait_for_completion(&io_done);
		complete(&io_done);
	}
	if (vmf->flags & FAULT_FLAG_TRIED)
		fault_tried_seen++;
	get_page(io_page);
	vmf->page = io_page;
	return 0;
}

/* slow_fault, with the shared-anonymous object's open/close (set up in slow_mm). */
static struct vm_operations_struct slow_vm_ops = { .fault = slow_fault };

struct fault_job {
	struct mm_struct *mm;
	vm_fault_t ret;
	volatile bool done;
};

static int faulter(void *arg)
{
	struct fault_job *j = arg;
	int si_code;

	j->ret = do_user_addr_fault(j->mm, FT_ADDR, 0, &si_code);
	j->done = true;
	return 0;
}

/* An mm with one read-only shared mapping at FT_ADDR served by slow_fault. */
static struct mm_struct *slow_mm(struct ktest *t)
{
	struct mm_struct *mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	struct vm_area_struct *vma;
	long addr;

	if (!mm)
		return NULL;
	addr = mm_mmap(mm, FT_ADDR, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		       NULL, 0);
	KTEST_EXPECT_EQ(t, addr, FT_ADDR);
	vma = vma_lookup(mm, FT_ADDR);
	if (!vma) {
		mm_put(mm);
		return NULL;
	}
	/* serve faults slowly; the object's open/close still manage its reference */
	slow_vm_ops.open = shared_anon_vm_ops.open;
	slow_vm_ops.close = shared_anon_vm_ops.close;
	vma->vm_ops = &slow_vm_ops;
	return mm;
}

static void slow_fault_reset(void)
{
	init_completion(&io_done);
	fault_calls = fault_retries_seen = fault_tried_seen = 0;
	fault_waited_holding_lock = false;
}

/*
 * While the faulting task waits for its "disk read", mmap_lock is free
 * (another task takes it for write) and other tasks run; once the read
 * completes, the retried fault maps the page.
 */
static void t_fault_drops_mmap_lock_while_it_waits(struct ktest *t)
{
	struct fault_job job = { 0 };
	struct mm_struct *mm;
	struct task *k;
	pte_t *pte;

	slow_fault_reset();
	io_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	KTEST_ASSERT(t, io_page);
	mm = slow_mm(t);
	KTEST_ASSERT(t, mm);
	job.mm = mm;
	k = kernel_thread("faulter", faulter, &job);
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_KILLABLE), 1000));
	KTEST_EXPECT_EQ(t, fault_retries_seen, 1);
	/* the lock was dropped: a writer gets in at once */
	KTEST_EXPECT(t, mmap_write_trylock(mm));
	if (rwsem_is_write_locked(&mm->mmap_lock))
		mmap_write_unlock(mm);
	complete(&io_done);
	KTEST_EXPECT_EQ(t, reap(k), 0);
	KTEST_EXPECT(t, job.done);
	KTEST_EXPECT_EQ(t, job.ret & (VM_FAULT_ERROR | VM_FAULT_RETRY), 0);
	KTEST_EXPECT_EQ(t, fault_calls, 2);
	KTEST_EXPECT_EQ(t, fault_tried_seen, 1);
	KTEST_EXPECT(t, !fault_waited_holding_lock);
	pte = pt_lookup_pte(&mm->pt, FT_ADDR);
	KTEST_EXPECT(t, pte && pte_present(*pte) && pte_pfn(*pte) == page_to_pfn(io_page));
	KTEST_EXPECT(t, !rwsem_is_locked(&mm->mmap_lock));
	mm_put(mm);
	put_page(&kernel_pmm, io_page);
}

/* A fatal signal while the fault waits: no retry, the fault gives up. */
static void t_fatal_signal_abandons_fault_retry(struct ktest *t)
{
	struct fault_job job = { 0 };
	struct mm_struct *mm;
	struct task *k;

	slow_fault_reset();
	io_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	KTEST_ASSERT(t, io_page);
	mm = slow_mm(t);
	KTEST_ASSERT(t, mm);
	job.mm = mm;
	k = kernel_thread("faulter", faulter, &job);
	KTEST_ASSERT(t, k);
	KTEST_EXPECT(t, yield_until(sleeping_in(k, TASK_KILLABLE), 1000));
	send_signal(k, SIGKILL, NULL);
	KTEST_EXPECT_EQ(t, reap(k), 0);
	KTEST_EXPECT_EQ(t, job.ret, VM_FAULT_RETRY);
	KTEST_EXPECT_EQ(t, fault_calls, 1);
	KTEST_EXPECT(t, !pt_lookup_pte(&mm->pt, FT_ADDR) ||
			!pte_present(*pt_lookup_pte(&mm->pt, FT_ADDR)));
	KTEST_EXPECT(t, !rwsem_is_locked(&mm->mmap_lock));
	mm_put(mm);
	put_page(&kernel_pmm, io_page);
}

/* ---- fork's copy is preemptible ---- */

static struct mm_struct *dup_parent;
static volatile bool ran_during_dup, dup_over;

/*
 * Yields until the test is over, noting whether it ever ran while
 * dup_mm() of dup_parent was in progress (only then is that mm's
 * mmap_lock held for write).
 */
static int dup_watcher(void *arg)
{
	while (!dup_over) {
		if (rwsem_is_write_locked(&dup_parent->mmap_lock))
			ran_during_dup = true;
		schedule();
	}
	return 0;
}

/*
 * dup_mm() copies under a sleeping mmap_lock and switches at its
 * preemption points: with the slice marked used up and another task
 * runnable, that task runs before dup_mm() returns. A timer tick may use
 * up the mark before dup_mm() reaches its first preemption point, so a
 * few copies are made; a copy that cannot be preempted (a spinlock held
 * across it) never lets the watcher in, however many.
 */
static void t_dup_mm_can_be_preempted(struct ktest *t)
{
	struct mm_struct *mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	struct task *k;
	u8 b = 1;

	KTEST_ASSERT(t, mm);
	KTEST_EXPECT_EQ(t, mm_mmap(mm, FT_ADDR, 4 * PMD_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), FT_ADDR);
	for (uintptr_t a = FT_ADDR; a < FT_ADDR + 4 * PMD_SIZE; a += PMD_SIZE)
		KTEST_EXPECT_EQ(t, access_remote_vm(mm, a, &b, 1, true), 0);
	dup_parent = mm;
	ran_during_dup = dup_over = false;
	k = kernel_thread("dup-watch", dup_watcher, NULL);
	KTEST_ASSERT(t, k);
	for (int tries = 0; tries < 20 && !ran_during_dup; tries++) {
		struct mm_struct *child;

		current->need_resched = true;
		child = dup_mm(mm);
		KTEST_EXPECT(t, child != NULL);
		if (child)
			mm_put(child);
	}
	dup_over = true;
	KTEST_EXPECT(t, ran_during_dup);
	KTEST_EXPECT_EQ(t, reap(k), 0);
	mm_put(mm);
}

static volatile bool ran_during_zap;

/* Notes whether it ran while munmap of dup_parent had zapped some pages but not all. */
static int zap_watcher(void *arg)
{
	while (!dup_over) {
		unsigned long rss = READ_ONCE(dup_parent->rss_anon);

		if (rwsem_is_write_locked(&dup_parent->mmap_lock) && rss > 0 && rss < 4)
			ran_during_zap = true;
		schedule();
	}
	return 0;
}

/*
 * munmap's zap takes page_table_lock one pte table at a time and switches
 * between tables: a runnable task sees the range half zapped (4 pages in 4
 * tables, rss between 1 and 3) while munmap still holds mmap_lock.
 */
static void t_munmap_zap_can_be_preempted(struct ktest *t)
{
	struct mm_struct *mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	struct task *k;
	u8 b = 1;

	KTEST_ASSERT(t, mm);
	dup_parent = mm;
	ran_during_zap = dup_over = false;
	k = kernel_thread("zap-watch", zap_watcher, NULL);
	KTEST_ASSERT(t, k);
	for (int tries = 0; tries < 20 && !ran_during_zap; tries++) {
		KTEST_ASSERT(t, mm_mmap(mm, FT_ADDR, 4 * PMD_SIZE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) == FT_ADDR);
		for (uintptr_t a = FT_ADDR; a < FT_ADDR + 4 * PMD_SIZE; a += PMD_SIZE)
			KTEST_EXPECT_EQ(t, access_remote_vm(mm, a, &b, 1, true), 0);
		KTEST_EXPECT_EQ(t, mm->rss_anon, 4);
		current->need_resched = true;
		KTEST_EXPECT_EQ(t, mm_munmap(mm, FT_ADDR, 4 * PMD_SIZE), 0);
	}
	dup_over = true;
	KTEST_EXPECT(t, ran_during_zap);
	KTEST_EXPECT_EQ(t, reap(k), 0);
	mm_put(mm);
}

static const struct ktest_case wait_cases[] = {
	KTEST_CASE(t_wait_event_sleeps_until_woken,
		   "wait_event sleeps until its condition holds and it is woken"),
	KTEST_CASE(t_wake_up_wakes_one_exclusive_waiter,
		   "wake_up wakes one exclusive waiter, wake_up_all the rest"),
	KTEST_CASE(t_wait_event_timeout_expires,
		   "wait_event_timeout returns 0 after the timeout, time left when true"),
	KTEST_CASE(t_signal_interrupts_interruptible_wait,
		   "a signal ends an interruptible wait with -EINTR"),
	KTEST_CASE(t_only_fatal_signals_end_killable_wait,
		   "only a fatal signal ends a killable wait; uninterruptible ignores SIGKILL"),
	KTEST_CASE(t_completion_before_wait_does_not_sleep,
		   "a completion completed before the wait is consumed without sleeping"),
	KTEST_CASE(t_timer_completes_completion_from_interrupt,
		   "a timer completes a completion from interrupt context after its time"),
	KTEST_CASE(t_deleted_timer_never_fires, "a deleted timer never fires"),
	KTEST_CASE(t_complete_all_releases_every_waiter,
		   "complete releases one waiter, complete_all every waiter"),
	KTEST_CASE(t_abandoned_exclusive_wake_passes_on,
		   "an exclusive waiter giving up after being woken passes the wake on"),
	KTEST_CASE(t_completion_timeout_consumes_nothing,
		   "a timed-out completion wait returns 0 and consumes nothing"),
	KTEST_CASE(t_mutex_waiters_served_in_order,
		   "mutex waiters get the mutex in arrival order (hand-off)"),
	KTEST_CASE(t_mutex_lock_interruptible_gives_eintr,
		   "mutex_lock_interruptible returns -EINTR on a signal and leaves the queue"),
	KTEST_CASE(t_rwsem_readers_share, "readers hold an rwsem together, a writer waits"),
	KTEST_CASE(t_rwsem_fifo_no_writer_starvation,
		   "rwsem queue is FIFO: readers behind a waiting writer wait"),
	KTEST_CASE(t_rwsem_reader_waits_behind_queued_writer,
		   "a reader does not pass a writer waiting for the readers to leave"),
	KTEST_CASE(t_rwsem_downgrade_lets_readers_in,
		   "downgrade_write lets queued readers in"),
	KTEST_CASE(t_kthread_park_unpark_stop,
		   "a kthread parks, unparks and stops with its return value"),
	KTEST_CASE(t_kthread_stop_after_return,
		   "kthread_stop of a thread that returned gives its value"),
	KTEST_CASE(t_in_atomic_under_spinlock_or_irqs_off,
		   "in_atomic under a spinlock or with interrupts off"),
	KTEST_CASE(t_fault_drops_mmap_lock_while_it_waits,
		   "a fault waiting for I/O drops mmap_lock, sleeps while others run, retries"),
	KTEST_CASE(t_fatal_signal_abandons_fault_retry,
		   "a fatal signal while a fault waits abandons the retry"),
	KTEST_CASE(t_dup_mm_can_be_preempted,
		   "fork's address-space copy switches to a runnable task at a preemption point"),
	KTEST_CASE(t_munmap_zap_can_be_preempted,
		   "munmap's zap switches to a runnable task between pte tables"),
};

KTEST_SUITE(wait_suite, "wait", wait_cases);
