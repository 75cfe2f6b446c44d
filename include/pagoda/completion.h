/*
 * Completions: "this happened" from one context to the tasks waiting for
 * it, typically a device interrupt to the task that submitted the I/O.
 * kernel/wait.c. Kernel-only.
 *
 * complete() lets one waiter through (or the next one to wait, if nobody
 * waits yet): done counts the events not yet consumed. complete_all()
 * lets every present and future waiter through until reinit_completion().
 */
#ifndef PAGODA_COMPLETION_H
#define PAGODA_COMPLETION_H

#include <pagoda/wait.h>

struct completion {
	unsigned int done;		/* events not consumed; UINT_MAX: complete_all */
	struct wait_queue_head wait;
};

#define COMPLETION_INIT(name)	{ 0, WAIT_QUEUE_HEAD_INIT((name).wait) }
#define DECLARE_COMPLETION(name)	struct completion name = COMPLETION_INIT(name)

void init_completion(struct completion *c);
/* Forget past events (the completion must have no waiter). */
void reinit_completion(struct completion *c);

/* Any context, interrupts included. */
void complete(struct completion *c);
void complete_all(struct completion *c);

/* Sleep (uninterruptibly) until an event is there, and consume it. */
void wait_for_completion(struct completion *c);
/* The same with a deadline: time left (>= 1) when consumed, 0 on timeout. */
s64 wait_for_completion_timeout(struct completion *c, s64 timeout_ns);
/* 0 when consumed, -EINTR when a signal came first (nothing consumed). */
long wait_for_completion_interruptible(struct completion *c);
long wait_for_completion_killable(struct completion *c);
/* Consume an event if there is one; never sleeps. */
bool try_wait_for_completion(struct completion *c);
/* Is an event there (would a wait return at once)? */
bool completion_done(struct completion *c);

#endif
