/*
 * The NVMe driver's own structures and the interfaces between its files
 * (docs/nvme.md). Kernel-only. The specification's structures and the
 * host-tested helpers are in include/pagoda/nvme.h.
 *
 *   core.c      PCI probe and remove, register-level bring-up: disable,
 *               admin queue, enable, waiting on CSTS
 *   queue.c     queue memory, submission (tail doorbell), completion
 *               reaping (phase tag, head doorbell), the interrupt handler
 *   admin.c     admin commands, one at a time, waited for
 *   io.c        the block layer's operations: queue_rq (read, write,
 *               flush, FUA, PRPs), completion, ->poll, ->timeout
 *   ns.c        namespaces: identify, checks, gendisks
 *   reset.c     controller reset, offline, shutdown at power-off
 *
 * Locks, outer first (docs/lock-order.md):
 *   ctrl->reset_mutex   (mutex) the controller's state changes: bring-up,
 *                       reset, offline, remove; held by kblockd's ->timeout
 *   ctrl->admin_mutex   (mutex) one admin command at a time
 *   q->sq_lock          (spinlock, irqsave) a queue's tail, its slots, its
 *                       tail doorbell, q->live, each iod->queued
 *   q->cq_lock          (spinlock, irqsave) a queue's head, phase, head
 *                       doorbell. Held only while copying entries out;
 *                       completions are handled after it is dropped
 *   ctrl->admin_lock    (spinlock, irqsave) the admin command in progress
 *   nvme_ctrls_lock     (spinlock, irqsave) the list of controllers and their
 *                       numbers: the power-off hook walks it with interrupts off
 * None of the spinlocks is held while calling the block layer.
 */
#ifndef DRIVERS_NVME_NVME_H
#define DRIVERS_NVME_NVME_H

#include <pagoda/blk_mq.h>
#include <pagoda/blkdev.h>
#include <pagoda/completion.h>
#include <pagoda/list.h>
#include <pagoda/mutex.h>
#include <pagoda/nvme.h>
#include <pagoda/pci.h>
#include <pagoda/power.h>
#include <pagoda/spinlock.h>

#define NVME_AQ_DEPTH		32	/* admin queue entries */
#define NVME_IO_DEPTH_MAX	64	/* I/O queue entries at most (CAP.MQES + 1 may be less) */
#define NVME_MAX_TRANSFER	(2u << 20)	/* bytes per command: 513 PRP entries, one list page */
#define NVME_PRP_LIST_ENTRIES	(PAGE_SIZE / sizeof(u64))
#define NVME_ADMIN_TIMEOUT_NS	(10ull * 1000000000)	/* per admin command */
#define NVME_SHUTDOWN_TIMEOUT_NS (5ull * 1000000000)	/* when RTD3E says nothing */
#define NVME_MAX_REISSUES	2	/* resets a request survives; the next one fails it */
#define NVME_MAX_NAMESPACES	16	/* disks per controller */
#define NVME_MAX_CTRLS		64

enum nvme_ctrl_state {
	NVME_CTRL_NEW,		/* probing */
	NVME_CTRL_LIVE,		/* I/O flows */
	NVME_CTRL_RESETTING,	/* disabled and being brought up again; dispatch quiesced */
	NVME_CTRL_DEAD,		/* offline for good: every request fails with -EIO at once */
};

struct nvme_ctrl;

/* One submission queue and its completion queue (same id, same depth). */
struct nvme_queue {
	struct nvme_ctrl *ctrl;
	u16 qid;
	u16 depth;			/* entries in each ring */
	u16 vector;			/* interrupt message of its CQ */
	struct nvme_command *sq;	/* the rings, direct map; bus address = physical */
	struct nvme_completion *cq;
	phys_addr_t sq_dma, cq_dma;
	unsigned int sq_order, cq_order;
	u32 __iomem *sq_db, *cq_db;

	spinlock_t sq_lock;
	u16 sq_tail;			/* sq_lock */
	bool live;			/* sq_lock: exists on the controller, may take commands */

	spinlock_t cq_lock;
	u16 cq_head;			/* cq_lock */
	u8 cq_phase;			/* cq_lock: the phase tag of new entries */

	/* counters (the lock of their side) */
	unsigned long nr_submitted;	/* sq_lock */
	unsigned long nr_reaped;	/* cq_lock */
};

/* The driver's part of each block request (cmd_size). */
struct nvme_iod {
	struct nvme_command cmd;	/* as submitted: re-issued as is after a reset */
	u64 *prp_list;			/* one page, allocated with the tag set */
	phys_addr_t prp_dma;
	u64 issued_ns;			/* last (re)submission */
	u8 reissues;			/* resets it has been re-issued after */
	bool queued;			/* sq_lock: this use placed on the SQ (valid once started) */
	/*
	 * A command with this tag is at the device: set under sq_lock when
	 * one is placed (or dropped by the debug knob), cleared when a
	 * completion naming the tag is reaped or the controller drops every
	 * command (a confirmed disable). While set, ->queue_rq says busy
	 * rather than rewrite the command or its PRP page (a polled request
	 * given up on leaves it set), so one command per tag at most is out.
	 */
	bool at_device;
};

/* A namespace that became a disk. */
struct nvme_ns {
	struct nvme_ctrl *ctrl;
	u32 nsid;
	u32 lba_shift;
	struct gendisk *disk;
};

/* Test and diagnosis knobs (tests/kernel/ktest_nvme.c). */
struct nvme_debug {
	unsigned int drop_cmds;		/* sq_lock: lose the next N I/O commands */
	bool fail_next_enable;		/* reset_mutex: the next enable makes the device fail */
	/*
	 * Called just before an I/O completion is handed to the block layer
	 * (any context, no lock held), where an interrupt could arrive; the
	 * hook clears it.
	 */
	void (*before_complete)(struct nvme_ctrl *ctrl, u16 cid);
};

struct nvme_ctrl {
	struct pci_dev *pdev;
	unsigned int instance;		/* nvme<instance> */
	char name[16];
	struct list_head node;		/* nvme_ctrls (nvme_ctrls_lock) */
	void __iomem *bar;
	u64 bar_len;
	u64 cap;
	u32 dstrd;
	u64 ready_timeout_ns;		/* CAP.TO */
	enum nvme_ctrl_state state;	/* written under reset_mutex; read anywhere */
	/*
	 * reset_mutex (or probe): may_dma from programming the admin queue
	 * until a disable is confirmed (CSTS.RDY = 0): the controller may read
	 * or write memory we gave it. dma_unsafe: it could not be confirmed
	 * stopped (neither CSTS.RDY nor bus mastering): its rings, identify
	 * page and PRP pages are leaked, never freed (nvme_cut_dma).
	 */
	bool may_dma;
	bool dma_unsafe;
	struct nvme_ctrl_info info;	/* Identify Controller, checked */
	u64 max_transfer;		/* bytes per command, all limits applied */

	struct nvme_queue adminq;
	struct nvme_queue ioq;
	u16 io_depth;

	/* interrupts */
	unsigned int nr_vectors;	/* 1: admin and I/O share message 0 */
	unsigned int irq_mode;		/* PCI_IRQ_MSIX or PCI_IRQ_MSI */
	struct nvme_vector {
		struct nvme_ctrl *ctrl;
		unsigned int nr;
		char name[24];
	} vec[2];

	/* admin commands */
	struct mutex admin_mutex;
	spinlock_t admin_lock;
	u16 admin_cid;			/* admin_lock: id of the command waited for */
	bool admin_waiting;		/* admin_lock */
	struct nvme_completion admin_cqe;	/* admin_lock: its completion */
	struct completion admin_done;
	void *id_buf;			/* one page for identify data (admin_mutex) */
	phys_addr_t id_dma;

	struct mutex reset_mutex;
	struct blk_mq_tag_set set;
	struct nvme_ns *ns[NVME_MAX_NAMESPACES];
	unsigned int nr_ns;

	struct nvme_debug debug;

	/* counters, for tests and the docs' figures (reads are racy by design) */
	unsigned long nr_irqs, nr_irq_cqes, nr_polled_cqes;
	unsigned long nr_flushes, nr_fua, nr_prp_lists, nr_errors;
	unsigned long nr_unknown_cid, nr_dropped, nr_reissued;
	unsigned long nr_tag_busy;	/* ->queue_rq busy: the tag's last command still out */
	unsigned long nr_resets;	/* resets begun (counted before they end any request) */
	unsigned long nr_reset_failed;	/* resets that took the controller offline */
	unsigned long nr_failed_offline;
	u64 last_reset_ns;		/* how long the last reset took */
};

/* Counters are bumped from tasks, interrupts and the polled path alike. */
#define nvme_count(c)		__atomic_fetch_add(&(c), 1, __ATOMIC_RELAXED)
#define nvme_count_n(c, n)	__atomic_fetch_add(&(c), (n), __ATOMIC_RELAXED)

/* ---- core.c ---- */
/* Disable: CC.EN = 0, wait for CSTS.RDY = 0. 0 or -ENODEV/-ETIMEDOUT. Sleeps. */
int nvme_disable_ctrl(struct nvme_ctrl *ctrl);
/*
 * Program the (empty) admin queue, enable the controller and wait for
 * CSTS.RDY, with CSTS.CFS meaning failure. 0 or -errno, logged. Sleeps.
 */
int nvme_enable_ctrl(struct nvme_ctrl *ctrl);
/* Identify the controller, set the I/O queue count, create the I/O queue pair. Sleeps. */
int nvme_setup_io(struct nvme_ctrl *ctrl);
u32 nvme_read_csts(struct nvme_ctrl *ctrl);
/*
 * @ctrl is given up on (offline for good, a failed probe, remove): turn
 * its bus mastering off and read it back before anything it was given is
 * completed to its owner or freed. @stopped: the controller confirmed it
 * stopped itself (CSTS.RDY = 0 after a disable, or a completed shutdown).
 * True when one of the two is confirmed (or it never had our memory);
 * otherwise logs, sets dma_unsafe and returns false. Any context.
 */
bool nvme_cut_dma(struct nvme_ctrl *ctrl, bool stopped);
/*
 * Wait until (CSTS & @mask) == @want, at most @timeout_ns, sleeping when
 * the context allows and spinning otherwise. A CSTS of all-ones (the
 * device is gone) ends the wait with -ENODEV; CSTS.CFS with -EIO when
 * @cfs_fails (enabling: the controller failed), else it is what a disable
 * clears. -ETIMEDOUT after the deadline. Each failure is logged.
 */
int nvme_wait_csts(struct nvme_ctrl *ctrl, u32 mask, u32 want, bool cfs_fails, u64 timeout_ns,
		   const char *what);

/* ---- queue.c ---- */
int nvme_alloc_queue(struct nvme_ctrl *ctrl, struct nvme_queue *q, u16 qid, u16 depth,
		     u16 vector);
void nvme_free_queue(struct nvme_queue *q);
/* Empty rings, indices back to the start (before the queue is created on the device). */
void nvme_reset_queue(struct nvme_queue *q);
void nvme_queue_set_live(struct nvme_queue *q, bool live);
/*
 * Put @cmd in @q's next slot and, when @ring, write the tail doorbell.
 * @iod (NULL for admin and stray commands): its queued and at_device are
 * set under the queue lock when the command is placed. Returns 0, or
 * -EAGAIN when the queue is not live (resetting). Any context.
 */
int nvme_submit_cmd(struct nvme_queue *q, const struct nvme_command *cmd, bool ring,
		    struct nvme_iod *iod);
/* Write the tail doorbell (after submissions without @ring). */
void nvme_ring_sq(struct nvme_queue *q);
/*
 * Reap every completion @q has posted, handling each after the queue lock
 * is dropped. Returns how many. Any context, interrupts off included.
 */
int nvme_process_cq(struct nvme_queue *q);
void nvme_irq(void *data);

/* ---- admin.c ---- */
/*
 * Run one admin command and wait for it (NVME_ADMIN_TIMEOUT_NS). Returns 0
 * with *result = completion DW0, -EIO (error status, logged), -ETIMEDOUT,
 * -EAGAIN (admin queue not live). Sleeps.
 */
int nvme_admin_exec(struct nvme_ctrl *ctrl, struct nvme_command *cmd, u32 *result,
		    const char *what);
int nvme_identify(struct nvme_ctrl *ctrl, u32 nsid, u32 cns);
void nvme_admin_complete(struct nvme_ctrl *ctrl, const struct nvme_completion *cqe);

/* ---- io.c ---- */
extern const struct blk_mq_ops nvme_mq_ops;
/* One completion of the I/O queue: free its tag, end its request (or drop an unknown id). */
void nvme_io_complete(struct nvme_ctrl *ctrl, const struct nvme_completion *cqe);
/* Put @rq's saved command back on the (new) I/O queue; false if it must fail. */
bool nvme_reissue(struct request *rq);
/* The controller dropped every command (confirmed disable): no tag is at the device. */
void nvme_forget_commands(struct nvme_ctrl *ctrl);

/* ---- ns.c ---- */
/* Find the namespaces, make disks of the usable ones. Sleeps; no lock held. */
void nvme_scan_namespaces(struct nvme_ctrl *ctrl);
void nvme_remove_namespaces(struct nvme_ctrl *ctrl);

/* ---- reset.c ---- */
/*
 * Reset @ctrl: quiesce, disable, bring it up again, re-issue what was in
 * flight (NVME_MAX_REISSUES), unquiesce. A controller that does not come
 * back is taken offline. Returns 0 or the error that took it offline.
 * Process context; sleeps; takes reset_mutex.
 */
int nvme_reset_ctrl(struct nvme_ctrl *ctrl, const char *why);
/* Offline for good: fail everything in flight. reset_mutex held, set quiesced by the caller. */
void nvme_kill_ctrl(struct nvme_ctrl *ctrl, const char *why);
/*
 * CC.SHN normal shutdown and a bounded busy-wait; interrupts may be off.
 * True when the controller reported the shutdown complete.
 */
bool nvme_shutdown_ctrl(struct nvme_ctrl *ctrl);
void nvme_register_shutdown(void);

/* ---- controllers, for tests ---- */
extern struct pci_driver nvme_driver;	/* core.c: unbind and bind again in tests */
struct nvme_ctrl *nvme_find_ctrl(const char *serial);	/* by Identify serial number */
/* Shut every controller down (power-off, restart); interrupts off. */
void nvme_shutdown_all(void);
unsigned int nvme_nr_ctrls(void);
/* Lose the next @n I/O commands (queued but never handed to the device). */
void nvme_debug_drop_commands(struct nvme_ctrl *ctrl, unsigned int n);
/* The next enable (a reset's) programs a misaligned admin queue: the device sets CFS. */
void nvme_debug_fail_next_enable(struct nvme_ctrl *ctrl);
/*
 * Submit a Flush with command id @cid on the I/O queue behind the block
 * layer's back: its completion names a command the driver does not know.
 */
int nvme_debug_submit_stray(struct nvme_ctrl *ctrl, u16 cid);

#endif
