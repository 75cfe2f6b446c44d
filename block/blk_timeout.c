/*
 * Request deadlines and the kblockd thread (docs/block-layer.md).
 *
 * Each tag set has one timer armed for the earliest deadline of its
 * requests in flight (a request's deadline is set when the driver starts
 * it: blk_mq_start_request). The timer only wakes kblockd; kblockd, in process context,
 * looks at every request of the set, calls the driver's ->timeout() for
 * each one past its deadline (it may sleep: reset the controller) and acts
 * on the answer, then re-arms the timer for the next deadline. So a
 * request that never completes costs one timer and one thread wake-up.
 *
 * While ->timeout() runs the request is marked RQF_TIMING_OUT: a
 * completion arriving meanwhile ends the bio but leaves the tag to
 * kblockd, so the request cannot be reused under the handler's feet.
 *
 * Locks: tag_sets_mutex (kblockd holds it while it works on sets; freeing
 * a set takes it, so a set is never freed under kblockd) → set->lock;
 * kblockd_lock (irqsave, innermost) protects the work list.
 */
#include "blk.h"
#include <pagoda/errno.h>
#include <pagoda/init.h>
#include <pagoda/kthread.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/wait.h>

static DEFINE_MUTEX(tag_sets_mutex);
static LIST_HEAD(tag_sets);			/* every set (tag_sets_mutex) */
static spinlock_t kblockd_lock = SPINLOCK_INIT;
static LIST_HEAD(kblockd_work);			/* sets whose timer fired (kblockd_lock) */
static DECLARE_WAIT_QUEUE_HEAD(kblockd_wait);

void blk_add_timer_locked(struct blk_mq_tag_set *set, u64 deadline_ns)
{
	if (!timer_pending(&set->timeout_timer) || deadline_ns < set->timeout_timer.expires_ns)
		mod_timer(&set->timeout_timer, deadline_ns);
}

/* Interrupt context: hand the set to kblockd. */
static void timeout_timer_fn(struct timer_list *t)
{
	struct blk_mq_tag_set *set = container_of(t, struct blk_mq_tag_set, timeout_timer);
	unsigned long flags;

	spin_lock_irqsave(&kblockd_lock, flags);
	if (!set->timeout_work) {
		set->timeout_work = true;
		list_add_tail(&set->timeout_node, &kblockd_work);
	}
	spin_unlock_irqrestore(&kblockd_lock, flags);
	wake_up(&kblockd_wait);
}

/*
 * ->timeout() said @ret for @rq (taken with generation @gen). Lock held.
 * Returns true if the request must be failed (after the lock is dropped).
 */
static bool timeout_verdict_locked(struct request *rq, u8 gen, enum blk_eh_timer_return ret,
				   u64 *next)
{
	rq->rq_flags &= ~RQF_TIMING_OUT;
	if (rq->state == MQ_RQ_COMPLETE) {	/* completed while the handler ran */
		blk_mq_free_request_locked(rq);
		return false;
	}
	if (rq->state != MQ_RQ_IN_FLIGHT || rq->gen != gen)
		return false;
	if (ret == BLK_EH_RESET_TIMER) {
		rq->deadline_ns = time_ns() + rq->disk->timeout_ns;
		if (rq->deadline_ns < *next)
			*next = rq->deadline_ns;
		return false;
	}
	return ret == BLK_EH_FAIL;
}

/* Deal with one request past its deadline (no lock held on entry or exit). */
static void expire_request(struct blk_mq_tag_set *set, struct request *rq, u8 gen, u64 *next)
{
	enum blk_eh_timer_return ret = BLK_EH_FAIL;
	unsigned long flags;
	bool fail;

	if (set->ops->timeout)
		ret = set->ops->timeout(rq);
	spin_lock_irqsave(&set->lock, flags);
	fail = timeout_verdict_locked(rq, gen, ret, next);
	spin_unlock_irqrestore(&set->lock, flags);
	if (fail)
		blk_mq_complete_request_gen(rq, gen, BLK_STS_TIMEOUT);
}

/*
 * Is @rq a regular request the driver started whose deadline has passed?
 * (One taken but not yet started has no deadline yet.) Lock held.
 */
static bool expired_locked(const struct request *rq, u64 now, u64 *next)
{
	if (rq->state != MQ_RQ_IN_FLIGHT || (rq->rq_flags & (RQF_POLLED | RQF_TIMING_OUT)) ||
	    !(rq->rq_flags & RQF_STARTED) || !list_empty(&rq->queuelist))
		return false;
	if (rq->deadline_ns > now) {
		if (rq->deadline_ns < *next)
			*next = rq->deadline_ns;
		return false;
	}
	return true;
}

static void check_expired(struct blk_mq_tag_set *set)
{
	u64 now = time_ns(), next = ~0ull;
	unsigned long flags;

	for (unsigned int tag = 0; tag < set->nr_tags; tag++) {
		struct request *rq = set->rqs[tag];
		bool expired;
		u8 gen;

		spin_lock_irqsave(&set->lock, flags);
		expired = expired_locked(rq, now, &next);
		if (expired) {
			rq->rq_flags |= RQF_TIMING_OUT;
			set->nr_timeouts++;
		}
		gen = rq->gen;
		spin_unlock_irqrestore(&set->lock, flags);
		if (expired)
			expire_request(set, rq, gen, &next);
	}
	spin_lock_irqsave(&set->lock, flags);
	if (next != ~0ull)
		blk_add_timer_locked(set, next);
	spin_unlock_irqrestore(&set->lock, flags);
	blk_mq_run_queue(set);		/* tags freed above */
}

static struct blk_mq_tag_set *next_work(void)
{
	struct blk_mq_tag_set *set = NULL;
	unsigned long flags;

	spin_lock_irqsave(&kblockd_lock, flags);
	if (!list_empty(&kblockd_work)) {
		set = list_first_entry(&kblockd_work, struct blk_mq_tag_set, timeout_node);
		list_del_init(&set->timeout_node);
		set->timeout_work = false;
	}
	spin_unlock_irqrestore(&kblockd_lock, flags);
	return set;
}

static bool kblockd_has_work(void)
{
	return !list_empty(&kblockd_work) || kthread_should_stop();
}

static int kblockd(void *unused)
{
	while (!kthread_should_stop()) {
		struct blk_mq_tag_set *set;

		wait_event(kblockd_wait, kblockd_has_work());
		mutex_lock(&tag_sets_mutex);
		while ((set = next_work()))
			check_expired(set);
		mutex_unlock(&tag_sets_mutex);
	}
	return 0;
}

void blk_timeout_init_set(struct blk_mq_tag_set *set)
{
	timer_setup(&set->timeout_timer, timeout_timer_fn);
	set->timeout_work = false;
	list_init(&set->timeout_node);
	mutex_lock(&tag_sets_mutex);
	list_add_tail(&set->all_node, &tag_sets);
	mutex_unlock(&tag_sets_mutex);
}

void blk_timeout_sync(void)
{
	mutex_lock(&tag_sets_mutex);	/* held by kblockd around every ->timeout() */
	mutex_unlock(&tag_sets_mutex);
}

void blk_timeout_exit_set(struct blk_mq_tag_set *set)
{
	unsigned long flags;

	mutex_lock(&tag_sets_mutex);	/* kblockd is not looking at it */
	del_timer(&set->timeout_timer);
	spin_lock_irqsave(&kblockd_lock, flags);
	if (set->timeout_work)
		list_del_init(&set->timeout_node);
	set->timeout_work = false;
	spin_unlock_irqrestore(&kblockd_lock, flags);
	list_del(&set->all_node);
	mutex_unlock(&tag_sets_mutex);
}

static int blk_timeout_init(void)
{
	struct task *t = kthread_run(kblockd, NULL, "kblockd");

	return t ? 0 : -ENOMEM;
}
subsys_initcall(blk_timeout_init);
