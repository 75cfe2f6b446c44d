/*
 * virtio-blk (virtio 1.1/1.2, 5.2): the device's layout, and the driver's
 * state that tests look at. drivers/block/virtio_blk.c; docs/virtio.md.
 *
 * One driver instance per PCI function (vendor 0x1af4, device 0x1042, or
 * the transitional 0x1001 through its modern interface), one virtqueue,
 * one disk named vda, vdb, ... in probe order. Requests are built in
 * ->queue_rq as header + data segments + status byte and completed from
 * the queue's MSI-X interrupt (or ->poll, or a tick timer when the
 * function has no message interrupt); a request the device never answers
 * ends in a device reset (virtblk_timeout).
 */
#ifndef PAGODA_VIRTIO_BLK_H
#define PAGODA_VIRTIO_BLK_H

#include <pagoda/blk_mq.h>
#include <pagoda/blkdev.h>
#include <pagoda/mutex.h>
#include <pagoda/spinlock.h>
#include <pagoda/timer.h>
#include <pagoda/virtio_pci.h>
#include <pagoda/virtio_ring.h>

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX		1	/* size_max: largest segment */
#define VIRTIO_BLK_F_SEG_MAX		2	/* seg_max: segments per request */
#define VIRTIO_BLK_F_GEOMETRY		4
#define VIRTIO_BLK_F_RO			5	/* read-only */
#define VIRTIO_BLK_F_BLK_SIZE		6	/* blk_size: the logical block size */
#define VIRTIO_BLK_F_FLUSH		9	/* FLUSH requests (a volatile write cache) */
#define VIRTIO_BLK_F_TOPOLOGY		10	/* physical_block_exp */
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12	/* several queues (ignored: one) */

/* The configuration structure (5.2.4), offsets. */
#define VIRTIO_BLK_CFG_CAPACITY		0	/* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX		8	/* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX		12	/* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE		20	/* le32 */
#define VIRTIO_BLK_CFG_PHYS_EXP		24	/* u8: physical block = logical << exp */

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_ID_BYTES		20	/* GET_ID's answer: the serial, NUL-padded */
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

/* What precedes a request's data: read by the device. */
struct virtio_blk_outhdr {
	u32 type;		/* VIRTIO_BLK_T_* */
	u32 ioprio;
	u64 sector;		/* in 512-byte units whatever the block size */
};

/* Driver limits. */
#define VIRTBLK_MAX_QUEUE_SIZE	256	/* ring entries we use at most */
#define VIRTBLK_MAX_DEPTH	64	/* requests in flight (tags) */
#define VIRTBLK_MAX_SEGMENTS	126	/* per request: a 128-entry (2 KiB) table with header and status */

enum virtblk_state {
	VIRTBLK_LIVE,		/* requests go to the device */
	VIRTBLK_RESETTING,	/* the device is being reset: ->queue_rq says busy */
	VIRTBLK_DEAD,		/* did not come back: every request fails with -EIO */
};

/* How completions are noticed. */
enum virtblk_irq_mode {
	VIRTBLK_IRQ_MSIX,		/* MSI-X: vector 0 configuration changes, vector 1 the queue */
	VIRTBLK_IRQ_MSIX_SHARED,	/* MSI-X, one vector for both */
	VIRTBLK_IRQ_MSI,		/* MSI, one vector; the ISR register says which */
	VIRTBLK_IRQ_NONE,		/* no message interrupt: a timer polls each tick */
};

struct virtio_blk {
	struct virtio_pci_device vp;
	struct pci_dev *pci;
	char name[BDEVNAME_SIZE];	/* the disk's: "vda" */
	u64 features;			/* negotiated */

	/* from the device configuration */
	u64 capacity;			/* 512-byte sectors */
	u32 blk_size, phys_block_size, seg_max, size_max;
	char serial[VIRTIO_BLK_ID_BYTES + 1];	/* GET_ID; "" if none */

	/* the queue */
	spinlock_t lock;		/* irqsave: vq, state, in_ring/cmd_id of requests, the hooks, counters */
	struct virtqueue *vq;
	struct page *ring_pages;
	unsigned int ring_order;
	void __iomem *notify;
	u16 max_segments;		/* data segments per request */
	enum virtblk_state state;	/* (lock) */

	/* interrupts */
	enum virtblk_irq_mode irq_mode;
	unsigned int nr_vectors;	/* requested from the PCI layer */
	u16 config_vector, queue_vector;	/* as the device accepted them */
	u8 config_generation;		/* last seen, for a shared vector */
	struct timer_list poll_timer;	/* VIRTBLK_IRQ_NONE */

	/* block layer */
	struct blk_mq_tag_set set;
	bool set_allocated;
	struct gendisk *disk;
	struct mutex reset_mutex;	/* one reset at a time; outside set->lock and lock */
	struct list_head node;		/* every virtio-blk device (virtblk_mutex) */

	/* test hooks (lock) */
	bool hold_notify;		/* publish requests but ring no doorbell: the device never sees them */
	bool fail_reinit;		/* the next reset's re-initialisation fails, as a dead device's would */
	bool fail_reset;		/* the next timeout reset is taken as unconfirmed (status never 0) */
	/*
	 * The device did not confirm a reset and its bus mastering could not
	 * be confirmed off either: its ring, request tables and request data
	 * are leaked at teardown, never freed (written under reset_mutex).
	 */
	bool dma_unsafe;

	/* counters (lock, or interrupts off) */
	unsigned long nr_requests[3];	/* by enum req_op: READ, WRITE, FLUSH */
	unsigned long nr_irqs, nr_config_irqs, nr_polled, nr_tick_polled;
	unsigned long nr_notifies, nr_held_notifies, nr_busy;
	unsigned long nr_resets, nr_reset_failed, nr_errors;
	unsigned long max_segs_seen;
	bool broken_logged, bad_status_logged;
};

/*
 * The virtio-blk device whose disk is named @disk_name (or whose GET_ID
 * serial is @serial), or NULL. Devices are never freed once their disk is
 * registered (no hot-unplug), so the pointer stays valid. Sleeps (mutex).
 */
struct virtio_blk *virtblk_find(const char *disk_name);
struct virtio_blk *virtblk_find_serial(const char *serial);

/*
 * Test hook: while held, requests are published in the ring but the
 * doorbell is not rung, so the device does not see them (it would at the
 * next doorbell). Releasing rings it once if anything was published.
 */
void virtblk_hold_notify(struct virtio_blk *vblk, bool hold);

/* Free ring descriptors and chains outstanding now (under the lock). */
void virtblk_ring_usage(struct virtio_blk *vblk, unsigned int *num_free,
			unsigned int *outstanding);

#endif
