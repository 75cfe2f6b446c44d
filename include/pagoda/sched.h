/*
 * Sleeping and its rules, for code that is not the scheduler itself
 * (kernel/sched.c; docs/lock-order.md).
 *
 *   might_sleep()        every function that can sleep calls it first; it
 *                        panics if the caller holds a spinlock (preemption
 *                        disabled) or has interrupts off
 *   cond_resched()       a voluntary switch point for long loops
 *   schedule_timeout()   sleep in the state already set, with a deadline
 *   pagefault_disable()  kernel faults on user addresses are not served
 *                        (copies return -EFAULT) until pagefault_enable()
 *
 * Host-compilable: host tests (single-threaded) get no-op versions.
 */
#ifndef PAGODA_SCHED_H
#define PAGODA_SCHED_H

#include <pagoda/types.h>

/* schedule_timeout(): no deadline. */
#define MAX_SCHEDULE_TIMEOUT	((s64)0x7fffffffffffffffLL)

#ifdef __KERNEL__

/*
 * Panic with "BUG: sleeping function called from invalid context at
 * FILE:LINE" when sleeping here would be a bug: preemption disabled (a
 * spinlock held) or interrupts off, once the scheduler runs. Off before
 * task_init() (boot code never sleeps) and while the kernel is already
 * dying (panic, oops).
 */
void __might_sleep(const char *file, int line);
#define might_sleep()	__might_sleep(__FILE__, __LINE__)

/*
 * A user copy may fault and sleep to serve the fault, unless page faults
 * are disabled (then it fails with -EFAULT instead): might_sleep() then.
 */
#define might_fault()					\
	do {						\
		if (!pagefault_disabled())		\
			might_sleep();			\
	} while (0)

/* Preemption nesting: spinlocks held plus preempt_disable() calls. */
int preempt_count(void);
/* True while preemption is disabled or interrupts are off: no sleeping. */
bool in_atomic(void);

/*
 * Switch to another runnable task if this one's time slice ended; else
 * nothing. might_sleep() first. Returns true if it switched.
 */
bool cond_resched(void);

/*
 * Sleep in the state the caller set (TASK_INTERRUPTIBLE, TASK_KILLABLE,
 * TASK_UNINTERRUPTIBLE; include/pagoda/task.h) until woken or @timeout_ns
 * nanoseconds have passed (checked at each tick: up to one tick late).
 * MAX_SCHEDULE_TIMEOUT: no deadline. Returns the time left (0 when the
 * deadline passed), and the task is TASK_RUNNING again. Timeouts in
 * Pagoda are nanoseconds, not jiffies.
 */
s64 schedule_timeout(s64 timeout_ns);

/*
 * Kernel faults on user addresses are not served while disabled (nests):
 * a user copy then returns -EFAULT at once instead of sleeping. For code
 * that must not sleep but wants to try a user access (Linux's
 * copy_from_user_nofault). Also implied by in_atomic().
 */
void pagefault_disable(void);
void pagefault_enable(void);
bool pagefault_disabled(void);

/* Set once the scheduler runs (task_init): sleeping becomes possible. */
extern bool scheduler_running;

/*
 * The current task is running, whatever state a wait loop it was in had
 * set (a page fault taken between setting the state and sleeping must not
 * sleep in that state): the seed's __set_current_state box.
 */
void set_current_running(void);

/* Is a signal pending that will kill the current task? (signal.h) */
bool current_fatal_signal_pending(void);

#else /* host tests: one thread, nothing sleeps */

#define might_sleep()	do { } while (0)
#define might_fault()	do { } while (0)
static inline bool cond_resched(void) { return false; }
static inline bool in_atomic(void) { return false; }
static inline void set_current_running(void) {}
static inline bool current_fatal_signal_pending(void) { return false; }

#endif

#endif
