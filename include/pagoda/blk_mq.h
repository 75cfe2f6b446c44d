/*
 * The driver side of the block layer: tag sets and requests. block/blk_mq.c,
 * block/blk_timeout.c, block/blk_poll.c; docs/block-layer.md.
 *
 * A controller (an NVMe controller, a virtio-blk device, a test disk)
 * fills in a struct blk_mq_tag_set: its operations, how many requests it
 * can have in flight (queue_depth) and how many bytes of its own it wants
 * with each request (cmd_size). blk_mq_alloc_tag_set() allocates every
 * request up front; the I/O path allocates nothing. Its disks (NVMe
 * namespaces) share the set: one queue, one pool of tags.
 *
 * Bios become requests when a tag is free (a bio too big for the limits
 * becomes several); the others wait in the set's software queue, in
 * order. The core hands each request to ->queue_rq(); the driver calls
 * blk_mq_start_request(rq) once the command is built and before the
 * device can see it, starts the hardware and later, usually from its
 * interrupt handler, calls blk_mq_complete_request_id(set, id, status)
 * with the command id the device answered (blk_mq_complete_request(rq,
 * status) when it has none to go by). That ends the bio when its last
 * request ends, wakes its waiter, frees the tag and dispatches what was
 * waiting for it.
 *
 * Driver rules:
 *   - ->queue_rq() may be called in any context, with interrupts off (from
 *     another request's completion, a timer, the polled path). It must not
 *     sleep. It returns BLK_STS_OK (started: complete it later, or even
 *     before returning), BLK_STS_RESOURCE (busy: the core retries after a
 *     completion or a short delay), or an error (the request fails now).
 *   - A request is the driver's only once it is started: until
 *     blk_mq_start_request() the tag's driver data may still describe its
 *     previous use, so blk_mq_tagset_busy_iter(), kblockd's timeouts and
 *     completions by command id leave an unstarted request alone. A
 *     request answered BLK_STS_RESOURCE is no longer started.
 *   - The core never holds its lock when it calls the driver. The driver
 *     must not hold a lock that its ->queue_rq() takes while it calls
 *     blk_mq_complete_request(): completing may dispatch the next request
 *     at once. Gather completions under the lock, complete after it.
 *   - A request is completed once. blk_mq_complete_request() on one that
 *     is not in flight (timed out, completed already) returns false and
 *     changes nothing. To also recognise a late answer from the device
 *     after the tag has been reused, put blk_mq_rq_cmd_id(rq) in the
 *     command and complete by that id with blk_mq_complete_request_id():
 *     it checks the id and completes in one step under the set's lock, so
 *     that a duplicate answer handled meanwhile (an interrupt arriving
 *     between a lookup and a completion) cannot make it end the tag's
 *     next request.
 */
#ifndef PAGODA_BLK_MQ_H
#define PAGODA_BLK_MQ_H

#include <pagoda/blk_types.h>
#include <pagoda/compiler.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>
#include <pagoda/timer.h>

struct gendisk;
struct bio;
struct request;
struct blk_mq_tag_set;

/* What a timeout handler decided. */
enum blk_eh_timer_return {
	BLK_EH_DONE,		/* the driver completed the request (or will, e.g. after a reset) */
	BLK_EH_RESET_TIMER,	/* give it another timeout period */
	BLK_EH_FAIL,		/* fail it with BLK_STS_TIMEOUT: the device will not answer for it */
};

struct blk_mq_ops {
	/* Start @rq (see the rules above). @last: no more requests follow right now. */
	blk_status_t (*queue_rq)(struct request *rq, bool last);
	/* Optional: a batch ended without a request marked @last (ring the doorbell). */
	void (*commit_rqs)(struct blk_mq_tag_set *set);
	/*
	 * Optional: @rq passed its deadline. Runs in process context (the
	 * kblockd thread) and may sleep, e.g. to reset the controller.
	 * Without it, a late request fails with BLK_STS_TIMEOUT.
	 */
	enum blk_eh_timer_return (*timeout)(struct request *rq);
	/*
	 * Optional (required for blk_execute_polled): reap the completions
	 * the device has posted, calling blk_mq_complete_request() for each,
	 * without relying on interrupts. Returns how many it found. Any
	 * context, interrupts off included.
	 */
	int (*poll)(struct blk_mq_tag_set *set);
	/* Optional: set up / tear down a request's driver data (may sleep). */
	int (*init_request)(struct blk_mq_tag_set *set, struct request *rq);
	void (*exit_request)(struct blk_mq_tag_set *set, struct request *rq);
};

#define BLK_MQ_MAX_DEPTH	4095	/* tags fit the 12 low bits of a command id */

struct blk_mq_tag_set {
	/* set by the driver */
	const struct blk_mq_ops *ops;
	unsigned int queue_depth;	/* requests in flight: 1..BLK_MQ_MAX_DEPTH */
	unsigned int cmd_size;		/* bytes of driver data per request */
	const char *name;		/* for messages: "nvme0", "testblk" */
	void *driver_data;

	/* the core's */
	unsigned int nr_tags;		/* queue_depth + the reserved (polled) tag */
	unsigned int reserved_tag;	/* == queue_depth when ops->poll, else none */
	bool reserved_busy;		/* a polled request holds it */
	struct request **rqs;		/* by tag */
	void *rq_mem;
	unsigned long *free_tags;	/* bitmap over the regular tags (lock) */
	unsigned int nr_busy;		/* regular tags in use (lock) */
	spinlock_t lock;		/* irqsave: tags, queues, request states, bios' core fields */
	struct list_head sw_queue;	/* bios with requests still to issue (lock) */
	struct list_head dispatch;	/* requests the driver was busy for (lock) */
	bool dispatching;		/* someone is in the dispatch loop (lock) */
	bool rerun;			/* dispatch again before leaving it (lock) */
	unsigned int quiesced;		/* blk_mq_quiesce nesting: no dispatch (lock) */
	struct list_head disks;		/* gendisk.set_node (lock) */
	struct timer_list timeout_timer;	/* earliest deadline of a request in flight */
	struct timer_list restart_timer;	/* retry after BLK_STS_RESOURCE with nothing in flight */
	bool timeout_work;		/* kblockd should look at the deadlines (kblockd lock) */
	struct list_head timeout_node;	/* in kblockd's list (kblockd lock) */
	struct list_head all_node;	/* every tag set (tag_sets_mutex) */
	/*
	 * Test hook (ktest): called once by the dispatcher between taking a
	 * request and ->queue_rq(), with no lock held, where a preempted
	 * dispatcher stops. The hook clears it. Process-context dispatch only.
	 */
	void (*debug_before_queue_rq)(struct request *rq);
	/* counters (lock), for tests and /proc later */
	unsigned long nr_dispatched, nr_busy_returns, nr_sw_queued, max_busy;
	unsigned long nr_timeouts, nr_stale_completions;
};

/* Request states. */
enum mq_rq_state {
	MQ_RQ_IDLE,		/* free tag */
	MQ_RQ_IN_FLIGHT,	/* tag taken for this use; the driver's once RQF_STARTED */
	MQ_RQ_COMPLETE,		/* ended; tag not yet free (timeout handler or poller holds it) */
};

/* request.rq_flags */
#define RQF_TIMING_OUT		0x01	/* its ->timeout() is running */
#define RQF_POLLED		0x02	/* blk_execute_polled's */
#define RQF_STARTED		0x04	/* the driver called blk_mq_start_request() for this use */

struct request {
	struct blk_mq_tag_set *set;
	struct gendisk *disk;
	struct bio *bio;		/* the bio this request carries a part of */
	blk_opf_t cmd_flags;		/* op and flags */
	sector_t sector;		/* on the whole disk */
	u32 data_len;			/* bytes (0 for a flush) */
	u16 nr_phys_segments;		/* DMA segments the iterator yields */
	u16 tag;
	u8 gen;				/* bumped each time the tag is taken */
	u8 state;			/* enum mq_rq_state (set->lock) */
	u8 rq_flags;			/* RQF_* */
	blk_status_t status;		/* what it ended with */
	u16 bv_idx;			/* first vector of bio carried */
	u32 bv_offset;			/* ... and the offset into it */
	u64 deadline_ns;		/* when it times out (set->lock) */
	struct list_head queuelist;	/* set->dispatch */
	/* the driver's cmd_size bytes follow, 16-byte aligned */
} __aligned(16);

/* ---- tag sets ---- */

/*
 * Allocate every request (cmd_size bytes of driver data each, zeroed,
 * ->init_request called) and the tags; register the set. Returns 0 or
 * -ENOMEM / -EINVAL. Process context; sleeps.
 */
int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set);
/*
 * Undo it. Every disk of the set has been deleted and nothing is in
 * flight (kblockd is waited for first: it may hold a completed request's
 * tag until its ->timeout() returns). Sleeps.
 */
void blk_mq_free_tag_set(struct blk_mq_tag_set *set);
/*
 * blk_mq_free_tag_set() for a device that could not be confirmed stopped
 * and may still write into the requests' driver data: the set is
 * unregistered but its requests are leaked (->exit_request not called),
 * with a log line. Sleeps.
 */
void blk_mq_abandon_tag_set(struct blk_mq_tag_set *set);

/* ---- requests, for drivers ---- */

static inline void *blk_mq_rq_to_pdu(struct request *rq)
{
	return (void *)(rq + 1);
}

static inline struct request *blk_mq_rq_from_pdu(void *pdu)
{
	return (struct request *)pdu - 1;
}

static inline enum req_op req_op(const struct request *rq)
{
	return opf_op(rq->cmd_flags);
}

static inline sector_t blk_rq_pos(const struct request *rq)
{
	return rq->sector;
}

static inline u32 blk_rq_bytes(const struct request *rq)
{
	return rq->data_len;
}

static inline u32 blk_rq_sectors(const struct request *rq)
{
	return rq->data_len >> SECTOR_SHIFT;
}

/* A 16-bit id naming this use of the tag: tag in bits 0-11, generation in 12-15. */
static inline u16 blk_mq_rq_cmd_id(const struct request *rq)
{
	return (u16)(rq->tag | (rq->gen & 0xf) << 12);
}

/*
 * The driver has built @rq's command and is about to hand it to the
 * device: from now on the request is the driver's (blk_mq_tagset_busy_iter
 * visits it, its deadline runs, completions by id find it). Call it in
 * ->queue_rq() before the device can see the command, with none of the
 * driver's locks held that it takes while completing. Any context.
 */
void blk_mq_start_request(struct request *rq);
/*
 * The request @id names if it is still that use of its tag, started and
 * in flight, else NULL (counted as a stale completion). The answer may be
 * out of date as soon as it returns: use it to look (log an error, move
 * test data), never to complete; complete with
 * blk_mq_complete_request_id(). Any context.
 */
struct request *blk_mq_cmd_id_to_rq(struct blk_mq_tag_set *set, u16 id);
/* The request of @tag (in flight or not). */
struct request *blk_mq_tag_to_rq(struct blk_mq_tag_set *set, unsigned int tag);

/*
 * The device finished @rq with @status: end it (and its bio when it was
 * the bio's last request), log a failure once ("I/O error, dev vda,
 * sector 2048 op 0x1:(WRITE) flags 0x0"), free the tag, dispatch what
 * waits. Returns false and does nothing if @rq was not in flight, or if
 * the kernel is dying and @rq is not a polled request (the crash path's:
 * nothing else completes then). Any context; the caller holds no lock
 * that ->queue_rq takes.
 */
bool blk_mq_complete_request(struct request *rq, blk_status_t status);
/*
 * The device answered command id @id (blk_mq_rq_cmd_id) with @status:
 * blk_mq_complete_request() of the request it names, if that is still the
 * started use of the tag the id was made for, checked and completed under
 * the set's lock in one step. False (counted as a stale completion, and
 * nothing changed) for an unknown or stale id, or one whose request is
 * not started or already ended; also while the kernel is dying for a
 * request that is not polled. Any context; the caller holds no lock that
 * ->queue_rq takes.
 */
bool blk_mq_complete_request_id(struct blk_mq_tag_set *set, u16 id, blk_status_t status);

/*
 * One DMA segment of a request: @len bytes at physical @phys (the direct
 * map's view is phys_to_virt(phys)), within one vector of the bio.
 */
struct blk_seg {
	phys_addr_t phys;
	u32 len;
};

struct req_iterator {
	u16 vec;
	u32 off;
	u32 left;
};

void blk_rq_iter_init(const struct request *rq, struct req_iterator *it);
/* The next segment into @seg; false after the last. */
bool blk_rq_iter_next(const struct request *rq, struct req_iterator *it, struct blk_seg *seg);

/* For each DMA segment of @rq (respecting the disk's limits): seg is a struct blk_seg. */
#define rq_for_each_segment(seg, rq, it)					\
	for (blk_rq_iter_init((rq), &(it)); blk_rq_iter_next((rq), &(it), &(seg));)

/* ---- queue control, for drivers ---- */

/*
 * Dispatch whatever waits (e.g. after the driver stopped being busy); does
 * nothing while the kernel is dying. Any context.
 */
void blk_mq_run_queue(struct blk_mq_tag_set *set);
/*
 * Stop dispatching (e.g. while resetting the controller); nests.
 * Requests in flight are not touched. Any context.
 */
void blk_mq_quiesce(struct blk_mq_tag_set *set);
/* Undo one blk_mq_quiesce() and dispatch what waits. */
void blk_mq_unquiesce(struct blk_mq_tag_set *set);
/*
 * Call fn(rq, data) for each request in flight that the driver started
 * (e.g. to cancel them all after a reset: fn may call
 * blk_mq_complete_request). A request taken by the dispatcher but not yet
 * started is not visited: its driver data may still be its tag's previous
 * use. Not with the set's lock: process context or a driver's own context.
 */
void blk_mq_tagset_busy_iter(struct blk_mq_tag_set *set,
			     void (*fn)(struct request *rq, void *data), void *data);

#endif
