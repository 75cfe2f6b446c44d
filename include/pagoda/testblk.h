/*
 * testblk: a RAM-backed block driver for tests (drivers/block/testblk.c),
 * Pagoda's null_blk/brd. It is a real driver of the block layer's API: a
 * controller (tag set) with one or more disks (namespaces) sharing its
 * queue, requests started by ->queue_rq, completed from a timer interrupt
 * or inline, ->poll, ->timeout. Tests create disks with the shape they
 * need and steer them through the knobs below; the driver also checks
 * every request it receives against its limits, as picky hardware would,
 * and counts what it saw.
 *
 * The "device" keeps its own table of commands in progress (slots), each
 * remembered by the request's command id, and answers from that table:
 * an answer for a command the block layer has given up on is looked up
 * with blk_mq_cmd_id_to_rq() and dropped as stale; the completion goes
 * through blk_mq_complete_request_id(). Like an NVMe queue it
 * only starts commands once a doorbell rang: a request passed with
 * last == false waits for the next one with last, or for ->commit_rqs.
 */
#ifndef PAGODA_TESTBLK_H
#define PAGODA_TESTBLK_H

#include <pagoda/blkdev.h>
#include <pagoda/blk_mq.h>
#include <pagoda/spinlock.h>
#include <pagoda/timer.h>

enum testblk_completion {
	TESTBLK_COMPLETE_TIMER,		/* from a timer interrupt after completion_delay_ns */
	TESTBLK_COMPLETE_INLINE,	/* inside ->queue_rq */
	TESTBLK_COMPLETE_POLL_ONLY,	/* only when ->poll is called */
};

/* What ->timeout does with a late request. */
enum testblk_timeout_action {
	TESTBLK_TIMEOUT_ABORT,		/* forget the command, BLK_EH_FAIL (default) */
	TESTBLK_TIMEOUT_LEAVE,		/* BLK_EH_FAIL, and the device answers after the delays */
	TESTBLK_TIMEOUT_EXTEND,		/* make it answer after the delays, BLK_EH_RESET_TIMER */
	TESTBLK_TIMEOUT_COMPLETE,	/* forget it, complete it with BLK_STS_IOERR, BLK_EH_DONE */
	TESTBLK_TIMEOUT_NONE,		/* behave as a driver without ->timeout */
	TESTBLK_TIMEOUT_ANSWER_SLOWLY,	/* the device answers now; the handler then sleeps
					   200 ms (a slow reset), touches the driver, BLK_EH_DONE */
};

struct testblk_params {
	const char *name;		/* NULL: "testblk<N>" */
	u64 capacity;			/* bytes; a multiple of the logical block size */
	struct queue_limits limits;	/* zero fields: the block layer's defaults */
	bool read_only;
	u64 timeout_ns;			/* request deadline; 0: the default (30 s) */
	const void *image;		/* initial contents (copied), or NULL: zeroes */
	size_t image_len;
	/* controller (testblk_create only) */
	unsigned int queue_depth;	/* 0: 32 */
	enum testblk_completion completion;
	u64 completion_delay_ns;	/* timer mode; 0: 1 ms */
	bool poll;			/* offer ->poll (and so blk_execute_polled) */
	/*
	 * TESTBLK_TIMEOUT_ANSWER_SLOWLY: set when the handler returns, to 1
	 * if testblk_destroy had not begun freeing the driver, -1 if it had.
	 */
	int *slow_timeout_result;
};

#define TESTBLK_MAX_BAD		8
#define TESTBLK_MAX_DISKS	4

struct testblk;

struct testblk_disk {
	struct testblk *tb;
	struct gendisk *disk;
	struct page **store;		/* one page per 4 KiB of capacity */
	unsigned long nr_store_pages;
	u64 capacity;
	/* knobs */
	struct { sector_t start, nr; } bad[TESTBLK_MAX_BAD];	/* I/O touching these fails */
	unsigned int nr_bad;
	bool never_complete;		/* accept requests and never answer */
	u64 extra_delay_ns;		/* added to this disk's completions */
	/* what the device saw (tb->lock) */
	unsigned long nr_reads, nr_writes, nr_flushes, nr_fua;
	unsigned long nr_violations;	/* requests breaking the limits (must stay 0) */
	unsigned long max_segs_seen;
	u64 max_bytes_seen;
};

struct testblk_slot {
	bool used;
	bool rung;			/* the doorbell has told the device about it */
	bool never;			/* its disk never answers */
	u16 cmd_id;
	u64 due_ns;			/* ~0: never */
	blk_status_t status;
	struct testblk_disk *d;
};

struct testblk {
	struct blk_mq_tag_set set;
	struct testblk_params params;	/* of the controller */
	spinlock_t lock;		/* irqsave: slots, counters, the timer */
	struct testblk_slot *slots;	/* the device's commands in progress */
	unsigned int nr_slots;
	struct timer_list timer;
	struct testblk_disk *disks[TESTBLK_MAX_DISKS];
	unsigned int nr_disks;
	/* knobs */
	unsigned int busy_skip;		/* let this many ->queue_rq calls through, then */
	unsigned int busy_next;		/* the next N ->queue_rq calls say busy */
	enum testblk_timeout_action timeout_action;
	/* what the device saw (lock) */
	unsigned long nr_requests, inflight, max_inflight, nr_busy_said, nr_stale, nr_timeouts_seen;
	unsigned long nr_timeouts_finished;	/* ->timeout calls that returned */
	bool tearing_down;		/* testblk_destroy deleted the disks, frees next */
	unsigned long nr_irq_completions, nr_polled_completions;
	unsigned long nr_doorbells, nr_commits;	/* last=true requests, ->commit_rqs calls */
};

/*
 * A controller with one disk, registered (add_disk: logged, partitions
 * scanned). NULL with *err set on failure. Process context; sleeps.
 */
struct testblk *testblk_create(const struct testblk_params *p, int *err);
/* Another disk (namespace) on @tb's queue; the controller fields of @p are ignored. */
struct testblk_disk *testblk_add_disk(struct testblk *tb, const struct testblk_params *p,
				      int *err);
/* Delete every disk (waiting for their I/O), free everything. Sleeps. */
void testblk_destroy(struct testblk *tb);

/* Make I/O touching [start, start + nr) sectors of @d fail with BLK_STS_IOERR. */
void testblk_add_bad(struct testblk_disk *d, sector_t start, sector_t nr);

/* Copy between the backing store and a buffer, bypassing the block layer. */
void testblk_store_read(struct testblk_disk *d, u64 offset, void *buf, size_t len);
void testblk_store_write(struct testblk_disk *d, u64 offset, const void *buf, size_t len);

#endif
