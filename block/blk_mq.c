/*
 * Tag sets, requests and dispatch (include/pagoda/blk_mq.h;
 * docs/block-layer.md).
 *
 * Every request of a set is allocated with the set. A bio waits in the
 * set's software queue (sw_queue, FIFO) until a tag is free; each free tag
 * takes the next piece of the bio at the head (block/blk_core.c splits),
 * and the bio leaves the queue when its last piece of the current stage
 * has a request. Requests the driver was busy for wait on set->dispatch
 * and go first next time.
 *
 * One dispatcher at a time: whoever finds set->dispatching clear runs the
 * loop; anyone else (a completion interrupting it, a completion inside
 * ->queue_rq) sets set->rerun and leaves, and the loop looks again. The
 * loop drops the lock around every call into the driver.
 *
 * A request taken from a tag is in flight (MQ_RQ_IN_FLIGHT) but becomes
 * the driver's only when the driver starts it (blk_mq_start_request, in
 * ->queue_rq, RQF_STARTED): until then its driver data may still describe
 * the tag's previous use, and a dispatcher preempted between taking it and
 * ->queue_rq must not find it re-issued, timed out or failed meanwhile.
 * So busy_iter, kblockd and completions by id look only at started
 * requests. Its deadline starts with it.
 *
 * Lock: set->lock (irqsave) protects the tags, both queues, request states
 * and deadlines, the core fields of the bios on this set, and the disks'
 * state and in-flight counts. It is never held across a driver call.
 */
#include "blk.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <mm/slab.h>

#define BITS_PER_LONG		(8 * sizeof(unsigned long))
#define BLK_MQ_RESOURCE_DELAY_NS	(3ull * 1000000)	/* Linux's 3 ms */

/* ---- tags ---- */

/* A free regular tag (lowest first), or -1. */
static int get_tag_locked(struct blk_mq_tag_set *set)
{
	unsigned int words = DIV_ROUND_UP(set->queue_depth, BITS_PER_LONG);

	for (unsigned int w = 0; w < words; w++) {
		unsigned long bits = set->free_tags[w];

		if (bits) {
			unsigned int bit = __builtin_ctzl(bits);

			set->free_tags[w] &= ~(1ul << bit);
			return (int)(w * BITS_PER_LONG + bit);
		}
	}
	return -1;
}

void blk_mq_rq_init_locked(struct request *rq, struct gendisk *disk)
{
	rq->gen++;
	rq->state = MQ_RQ_IN_FLIGHT;
	rq->status = BLK_STS_OK;
	rq->rq_flags = 0;
	rq->disk = disk;
	rq->deadline_ns = ~0ull;	/* none until the driver starts it */
}

void blk_mq_start_request(struct request *rq)
{
	struct blk_mq_tag_set *set = rq->set;
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	rq->rq_flags |= RQF_STARTED;
	if (!(rq->rq_flags & RQF_POLLED)) {	/* the poller keeps its own deadline */
		rq->deadline_ns = time_ns() + rq->disk->timeout_ns;
		blk_add_timer_locked(set, rq->deadline_ns);
	}
	blk_set_unlock(set, flags, locked);
}

void blk_mq_free_request_locked(struct request *rq)
{
	struct blk_mq_tag_set *set = rq->set;

	rq->state = MQ_RQ_IDLE;
	rq->bio = NULL;
	if (rq->tag == set->reserved_tag)
		return;			/* the poller releases the reserved tag */
	set->free_tags[rq->tag / BITS_PER_LONG] |= 1ul << (rq->tag % BITS_PER_LONG);
	set->nr_busy--;
}

struct request *blk_mq_tag_to_rq(struct blk_mq_tag_set *set, unsigned int tag)
{
	return tag < set->nr_tags ? set->rqs[tag] : NULL;
}

struct request *blk_mq_cmd_id_to_rq(struct blk_mq_tag_set *set, u16 id)
{
	struct request *rq = blk_mq_tag_to_rq(set, id & 0xfff);

	if (!rq || (rq->gen & 0xf) != id >> 12 || READ_ONCE(rq->state) != MQ_RQ_IN_FLIGHT ||
	    !(READ_ONCE(rq->rq_flags) & RQF_STARTED)) {
		unsigned long flags;
		bool locked = blk_set_lock(set, &flags);

		if (locked)		/* a counter is not worth a race while dying */
			set->nr_stale_completions++;
		blk_set_unlock(set, flags, locked);
		return NULL;
	}
	return rq;
}

/* ---- tag sets ---- */

static void restart_timer_fn(struct timer_list *t);

/* Undo alloc_requests() for the first @n requests (->exit_request for each). */
static void free_requests(struct blk_mq_tag_set *set, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (set->ops->exit_request)
			set->ops->exit_request(set, set->rqs[i]);
	kfree(set->rqs);
	kfree(set->rq_mem);
	kfree(set->free_tags);
	set->rqs = NULL;
	set->rq_mem = NULL;
	set->free_tags = NULL;
}

/*
 * The set's requests (each followed by cmd_size bytes, 16-byte aligned),
 * their index by tag and the free-tag bitmap; ->init_request for each.
 * 0 or -errno with nothing left allocated.
 */
static int alloc_requests(struct blk_mq_tag_set *set)
{
	size_t rq_size = ALIGN_UP(sizeof(struct request) + set->cmd_size, 16);
	unsigned int words = DIV_ROUND_UP(set->queue_depth, BITS_PER_LONG);

	set->rqs = kzalloc(set->nr_tags * sizeof(*set->rqs), GFP_KERNEL);
	set->rq_mem = kzalloc(set->nr_tags * rq_size, GFP_KERNEL);
	set->free_tags = kzalloc(words * sizeof(unsigned long), GFP_KERNEL);
	if (!set->rqs || !set->rq_mem || !set->free_tags) {
		free_requests(set, 0);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < set->queue_depth; i++)
		set->free_tags[i / BITS_PER_LONG] |= 1ul << (i % BITS_PER_LONG);
	for (unsigned int i = 0; i < set->nr_tags; i++) {
		struct request *rq = (void *)((u8 *)set->rq_mem + i * rq_size);
		int err;

		rq->set = set;
		rq->tag = (u16)i;
		rq->state = MQ_RQ_IDLE;
		list_init(&rq->queuelist);
		set->rqs[i] = rq;
		err = set->ops->init_request ? set->ops->init_request(set, rq) : 0;
		if (err) {
			free_requests(set, i);
			return err;
		}
	}
	return 0;
}

int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	int err;

	might_sleep();
	if (!set->ops || !set->ops->queue_rq || !set->queue_depth ||
	    set->queue_depth > BLK_MQ_MAX_DEPTH)
		return -EINVAL;
	set->nr_tags = set->queue_depth + (set->ops->poll ? 1 : 0);
	set->reserved_tag = set->ops->poll ? set->queue_depth : ~0u;
	set->reserved_busy = false;
	set->nr_busy = 0;
	spin_lock_init(&set->lock);
	list_init(&set->sw_queue);
	list_init(&set->dispatch);
	list_init(&set->disks);
	set->dispatching = set->rerun = false;
	set->quiesced = 0;
	set->nr_dispatched = set->nr_busy_returns = set->nr_sw_queued = set->max_busy = 0;
	set->nr_timeouts = set->nr_stale_completions = 0;
	timer_setup(&set->restart_timer, restart_timer_fn);
	err = alloc_requests(set);
	if (err)
		return err;
	blk_timeout_init_set(set);
	return 0;
}

/*
 * Unregister @set (timers, kblockd) and free its requests unless @leak.
 * kblockd is waited for first: a request that completed while its
 * ->timeout() ran has ended its bio (so del_gendisk returned) but keeps
 * its tag until the handler returns.
 */
static void release_tag_set(struct blk_mq_tag_set *set, bool leak)
{
	del_timer(&set->restart_timer);
	blk_timeout_exit_set(set);
	if (!list_empty(&set->disks) || set->nr_busy || set->reserved_busy)
		panic("blk_mq_free_tag_set: %s still has disks or requests in flight",
		      set->name ? set->name : "?");
	if (!leak) {
		free_requests(set, set->nr_tags);
		return;
	}
	printk("%s: %u requests and their driver data leaked: the device may still write into them\n",
	       set->name ? set->name : "?", set->nr_tags);
	set->rqs = NULL;
	set->rq_mem = NULL;
	set->free_tags = NULL;
}

void blk_mq_free_tag_set(struct blk_mq_tag_set *set)
{
	release_tag_set(set, false);
}

void blk_mq_abandon_tag_set(struct blk_mq_tag_set *set)
{
	release_tag_set(set, true);
}

/* ---- dispatch ---- */

/* Interrupt context: retry what the driver was busy for. */
static void restart_timer_fn(struct timer_list *t)
{
	blk_mq_run_queue(container_of(t, struct blk_mq_tag_set, restart_timer));
}

void blk_mq_requeue_bio_locked(struct blk_mq_tag_set *set, struct bio *bio)
{
	list_add(&bio->bi_queue, &set->sw_queue);	/* next stage first: it was there */
	bio->bi_queued = true;
}

void blk_mq_submit_bio(struct bio *bio)
{
	struct blk_mq_tag_set *set = bio->bi_disk->set;
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	if (bio->bi_disk->state & GD_DEAD) {	/* del_gendisk won the race */
		blk_set_unlock(set, flags, locked);
		bio_endio(bio, BLK_STS_OFFLINE);
		return;
	}
	bio->bi_disk->nr_inflight++;
	list_add_tail(&bio->bi_queue, &set->sw_queue);
	bio->bi_queued = true;
	if (set->nr_busy == set->queue_depth || !list_empty(&set->dispatch))
		set->nr_sw_queued++;	/* it waits for a tag */
	blk_set_unlock(set, flags, locked);
	blk_mq_run_queue(set);
}

/*
 * The next request to hand to the driver, or NULL: one the driver was
 * busy for, else a new one from the bio at the head of the software
 * queue if a tag is free. *last: nothing else could follow right now.
 */
static struct request *next_request_locked(struct blk_mq_tag_set *set, bool *last)
{
	struct request *rq = NULL;
	struct bio *bio;
	int tag;

	if (!list_empty(&set->dispatch)) {
		rq = list_first_entry(&set->dispatch, struct request, queuelist);
		list_del_init(&rq->queuelist);
	} else if (!list_empty(&set->sw_queue) && (tag = get_tag_locked(set)) >= 0) {
		bio = list_first_entry(&set->sw_queue, struct bio, bi_queue);
		rq = set->rqs[tag];
		set->nr_busy++;
		if (set->nr_busy > set->max_busy)
			set->max_busy = set->nr_busy;
		blk_mq_rq_init_locked(rq, bio->bi_disk);
		if (blk_bio_next_request(bio, rq)) {
			list_del_init(&bio->bi_queue);
			bio->bi_queued = false;
		}
	}
	if (!rq)
		return NULL;
	*last = list_empty(&set->dispatch) &&
		(list_empty(&set->sw_queue) || set->nr_busy == set->queue_depth);
	return rq;
}

/*
 * The driver was busy for @rq: it goes first next time, after a completion
 * or a delay. It is no longer started (the driver starts it again).
 */
static void requeue_busy_locked(struct blk_mq_tag_set *set, struct request *rq)
{
	rq->rq_flags &= ~RQF_STARTED;
	list_add(&rq->queuelist, &set->dispatch);
	set->nr_busy_returns++;
	if (!timer_pending(&set->restart_timer))
		mod_timer(&set->restart_timer, time_ns() + BLK_MQ_RESOURCE_DELAY_NS);
}

/*
 * The dispatch loop, lock held on entry and exit (dropped around driver
 * calls). Stops when nothing can be dispatched or the driver is busy.
 */
static void dispatch_locked(struct blk_mq_tag_set *set, unsigned long *flags, bool *locked)
{
	bool need_commit = false;

	while (!set->quiesced) {
		bool last = true;
		struct request *rq = next_request_locked(set, &last);
		blk_status_t ret;

		if (!rq)
			break;
		set->rerun = false;
		blk_set_unlock(set, *flags, *locked);
		if (unlikely(READ_ONCE(set->debug_before_queue_rq)))
			set->debug_before_queue_rq(rq);
		ret = set->ops->queue_rq(rq, last);
		*locked = blk_set_lock(set, flags);
		if (ret == BLK_STS_OK) {
			set->nr_dispatched++;
			need_commit = !last;
			continue;
		}
		if (ret == BLK_STS_RESOURCE) {
			requeue_busy_locked(set, rq);
			if (set->rerun)		/* a completion came meanwhile: try again now */
				continue;
			break;
		}
		blk_set_unlock(set, *flags, *locked);
		blk_mq_complete_request(rq, ret);	/* the driver refused it */
		*locked = blk_set_lock(set, flags);
	}
	if (need_commit && set->ops->commit_rqs) {
		blk_set_unlock(set, *flags, *locked);
		set->ops->commit_rqs(set);
		*locked = blk_set_lock(set, flags);
	}
}

void blk_mq_run_queue(struct blk_mq_tag_set *set)
{
	unsigned long flags;
	bool locked;

	if (unlikely(kernel_dying))
		return;		/* only the crash path's polled I/O goes on */
	locked = blk_set_lock(set, &flags);

	if (set->dispatching) {
		set->rerun = true;	/* the running loop will look again */
		blk_set_unlock(set, flags, locked);
		return;
	}
	set->dispatching = true;
	do {
		set->rerun = false;
		dispatch_locked(set, &flags, &locked);
	} while (set->rerun && !set->quiesced);
	set->dispatching = false;
	blk_set_unlock(set, flags, locked);
}

void blk_mq_quiesce(struct blk_mq_tag_set *set)
{
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	set->quiesced++;
	blk_set_unlock(set, flags, locked);
}

void blk_mq_unquiesce(struct blk_mq_tag_set *set)
{
	unsigned long flags;
	bool locked = blk_set_lock(set, &flags);

	BUG_ON(!set->quiesced);
	set->quiesced--;
	blk_set_unlock(set, flags, locked);
	blk_mq_run_queue(set);
}

/* ---- completion ---- */

/* Which use of a tag a completion names. */
enum rq_match {
	MATCH_ANY,		/* whatever request holds the tag, if in flight */
	MATCH_GEN,		/* the use with this 8-bit generation (kblockd) */
	MATCH_CMD_ID,		/* the started use this command id names (a device's answer) */
};

/* Is @rq in flight and still the use @kind/@want names? Lock held. */
static bool rq_matches_locked(const struct request *rq, enum rq_match kind, unsigned int want)
{
	if (rq->state != MQ_RQ_IN_FLIGHT || !list_empty(&rq->queuelist))
		return false;
	switch (kind) {
	case MATCH_GEN:
		return rq->gen == (u8)want;
	case MATCH_CMD_ID:
		return (rq->rq_flags & RQF_STARTED) && (rq->gen & 0xf) == want >> 12;
	default:
		return true;
	}
}

/*
 * Complete @rq with @status if it is in flight and still the use @kind
 * and @want name (kblockd failing a request it looked at while unlocked,
 * or a device's answer, must not hit the tag's next user). The check and
 * the completion are one step under the set's lock.
 *
 * While the kernel is dying only polled requests complete (the crash
 * path's, whose fields the poller owns): an ordinary one is left as it
 * is, with no end_io (it would take locks the dying context may hold), no
 * tag freed and nothing dispatched, since the set's lock may only have
 * been tried.
 */
static bool complete_request(struct request *rq, blk_status_t status, enum rq_match kind,
			     unsigned int want)
{
	struct blk_mq_tag_set *set = rq->set;
	struct bio *bio;
	bool stage_over, work;
	unsigned long flags;
	bool locked;

	if (unlikely(kernel_dying) && !(READ_ONCE(rq->rq_flags) & RQF_POLLED))
		return false;
	locked = blk_set_lock(set, &flags);
	if (!rq_matches_locked(rq, kind, want)) {
		if (locked)
			set->nr_stale_completions++;
		blk_set_unlock(set, flags, locked);
		return false;
	}
	rq->status = status;
	if (rq->rq_flags & RQF_POLLED) {	/* the poller takes it from here */
		rq->state = MQ_RQ_COMPLETE;
		blk_set_unlock(set, flags, locked);
		return true;
	}
	if (status)
		blk_print_req_error(rq, status);
	bio = rq->bio;
	stage_over = blk_bio_request_done(bio, rq, status);
	if (rq->rq_flags & RQF_TIMING_OUT)
		rq->state = MQ_RQ_COMPLETE;	/* kblockd frees it after ->timeout() */
	else
		blk_mq_free_request_locked(rq);
	work = !list_empty(&set->sw_queue) || !list_empty(&set->dispatch);
	blk_set_unlock(set, flags, locked);
	if (stage_over && blk_bio_stage_done(bio))
		work = true;
	if (work)
		blk_mq_run_queue(set);
	return true;
}

bool blk_mq_complete_request(struct request *rq, blk_status_t status)
{
	return complete_request(rq, status, MATCH_ANY, 0);
}

bool blk_mq_complete_request_gen(struct request *rq, u8 gen, blk_status_t status)
{
	return complete_request(rq, status, MATCH_GEN, gen);
}

bool blk_mq_complete_request_id(struct blk_mq_tag_set *set, u16 id, blk_status_t status)
{
	struct request *rq = blk_mq_tag_to_rq(set, id & 0xfff);
	unsigned long flags;
	bool locked;

	if (rq)
		return complete_request(rq, status, MATCH_CMD_ID, id);
	locked = blk_set_lock(set, &flags);
	if (locked)
		set->nr_stale_completions++;
	blk_set_unlock(set, flags, locked);
	return false;
}

void blk_mq_tagset_busy_iter(struct blk_mq_tag_set *set,
			     void (*fn)(struct request *rq, void *data), void *data)
{
	for (unsigned int tag = 0; tag < set->nr_tags; tag++) {
		struct request *rq = set->rqs[tag];
		unsigned long flags;
		bool locked = blk_set_lock(set, &flags);
		bool busy = rq->state == MQ_RQ_IN_FLIGHT && (rq->rq_flags & RQF_STARTED) &&
			    list_empty(&rq->queuelist);

		blk_set_unlock(set, flags, locked);
		if (busy)
			fn(rq, data);
	}
}

/* ---- segments, for drivers ---- */

void blk_rq_iter_init(const struct request *rq, struct req_iterator *it)
{
	it->vec = rq->bv_idx;
	it->off = rq->bv_offset;
	it->left = rq->data_len;
}

bool blk_rq_iter_next(const struct request *rq, struct req_iterator *it, struct blk_seg *seg)
{
	struct blk_cursor cur = { it->vec, it->off };

	if (!blk_seg_next(rq->bio->bi_io_vec, &cur, &it->left,
			  rq->disk->limits.max_segment_size, seg))
		return false;
	it->vec = cur.vec;
	it->off = cur.off;
	return true;
}
