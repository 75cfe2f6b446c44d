/*
 * virtio-blk over the modern virtio PCI transport (include/pagoda/virtio_blk.h;
 * docs/virtio.md).
 *
 * Probe: map the transport's structures, reset, ACKNOWLEDGE, DRIVER,
 * negotiate features (VERSION_1 required), FEATURES_OK read back, read the
 * configuration, set up queue 0 and the message vectors, DRIVER_OK; ask the
 * device for its serial (GET_ID); then a tag set and a disk (vda, vdb, ...)
 * registered with add_disk().
 *
 * I/O: ->queue_rq builds the request in its tag's driver data (header,
 * one buffer per DMA segment, status byte), offers it to the virtqueue
 * (one ring descriptor with an indirect table, else a chain) and rings
 * the doorbell when the block layer says it is the last of a batch. The
 * queue's interrupt handler, ->poll and the no-interrupt tick timer all
 * call virtblk_reap(): take finished chains from the used ring under the
 * lock, then complete their requests without it.
 *
 * Requests are recognised by command id (blk_mq_rq_cmd_id), stored with
 * the chain: a chain that comes back after its request was given up on (a
 * polled request past its deadline) is dropped as stale, and a request
 * whose previous chain is still at the device is not reissued until that
 * chain comes back (->queue_rq says busy), so the device never reads a
 * table being rewritten.
 *
 * Timeouts: ->timeout resets the device (after which it touches no memory
 * of ours), completes what the used ring already holds, fails every other
 * request that was in the ring (the late one with BLK_STS_TIMEOUT, the
 * others with BLK_STS_IOERR: there is no requeue), and initialises the
 * device again with the same features and ring; if that fails the disk is
 * dead and every later request fails with -EIO.
 *
 * Locks: reset_mutex (kblockd's timeout handler; probe and remove) ->
 * vblk->lock (irqsave: the ring, the state, the chains' command ids, the
 * hooks, the counters). vblk->lock is never held while calling the block
 * layer: completing may dispatch into ->queue_rq, which takes it.
 */
#include <pagoda/virtio_blk.h>
#include <pagoda/virtio.h>
#include <pagoda/completion.h>
#include <pagoda/errno.h>
#include <pagoda/pci.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/slab.h>

#define MS			1000000ull
#define VIRTBLK_RESET_TIMEOUT	(1000 * MS)
#define VIRTBLK_GET_ID_TIMEOUT	(5000 * MS)
#define VIRTBLK_POLL_PERIOD	(10 * MS)	/* no interrupts: look every tick */
#define VIRTBLK_REAP_BATCH	16
#define VIRTBLK_MINORS		16

/* Features we take when offered (VERSION_1 is required). */
#define VIRTBLK_FEATURES						\
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) |	\
	 VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |	\
	 VIRTIO_BIT(VIRTIO_BLK_F_RO) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |	\
	 VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY))

/*
 * A request's driver data (the tag set's cmd_size), also used alone for
 * the internal GET_ID request. hdr and status are read and written by the
 * device in place: the block layer allocates requests in the direct map.
 */
struct virtblk_req {
	struct virtio_blk_outhdr hdr;
	u8 status;
	bool in_ring;			/* its chain is at the device (vblk->lock) */
	u16 cmd_id;			/* of the request the chain carries (vblk->lock) */
	struct vring_desc *table;	/* buffer list / indirect table, max_segments + 2 */
	phys_addr_t table_phys;
	struct completion *done;	/* internal requests: completed when answered */
};

/* A chain taken off the used ring, to complete after the lock is dropped. */
struct virtblk_done {
	struct virtblk_req *vbr;
	u16 cmd_id;
	u8 status;
};

static DEFINE_MUTEX(virtblk_mutex);	/* the list and the name index */
static LIST_HEAD(virtblk_list);
static unsigned int virtblk_next_index;

static bool feature(const struct virtio_blk *vblk, unsigned int bit)
{
	return vblk->features & VIRTIO_BIT(bit);
}

/* ---- completions ---- */

static blk_status_t virtblk_status(struct virtio_blk *vblk, u8 status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return BLK_STS_OK;
	case VIRTIO_BLK_S_IOERR:
		return BLK_STS_IOERR;
	case VIRTIO_BLK_S_UNSUPP:
		return BLK_STS_NOTSUPP;
	}
	if (!vblk->bad_status_logged) {
		vblk->bad_status_logged = true;
		printk("%s: device answered with status %#x: taken as an I/O error\n", vblk->name,
		       status);
	}
	return BLK_STS_IOERR;
}

/* Take up to @max finished chains off the used ring (lock held). */
static unsigned int virtblk_take_locked(struct virtio_blk *vblk, struct virtblk_done *d,
					unsigned int max)
{
	unsigned int n = 0;
	struct virtblk_req *vbr;

	while (n < max && (vbr = virtqueue_get_buf(vblk->vq, NULL))) {
		vbr->in_ring = false;
		d[n++] = (struct virtblk_done){ vbr, vbr->cmd_id, READ_ONCE(vbr->status) };
	}
	if (vblk->vq->broken && !vblk->broken_logged) {
		vblk->broken_logged = true;
		printk("%s: the device broke the ring (%s): its requests will time out and it will be reset\n",
		       vblk->name, vblk->vq->broken);
	}
	return n;
}

/*
 * Complete one taken chain (no lock held): its request, if the command id
 * still names it (checked and completed in one step: a stale id is counted
 * by the block layer and changes nothing).
 */
static void virtblk_finish(struct virtio_blk *vblk, const struct virtblk_done *d,
			   blk_status_t forced)
{
	if (d->vbr->done) {
		complete(d->vbr->done);
		return;
	}
	blk_mq_complete_request_id(&vblk->set, d->cmd_id,
				   forced ? forced : virtblk_status(vblk, d->status));
}

/*
 * Complete every chain the device has finished. Returns how many. Any
 * context (interrupt handler, ->poll with interrupts off, the tick timer,
 * the reset path); takes and drops the lock per batch.
 */
static int virtblk_reap(struct virtio_blk *vblk)
{
	struct virtblk_done done[VIRTBLK_REAP_BATCH];
	unsigned int n, total = 0;
	unsigned long flags;
	bool locked;

	do {
		locked = spin_lock_irqsave_or_try_dying(&vblk->lock, &flags);
		n = virtblk_take_locked(vblk, done, ARRAY_SIZE(done));
		spin_unlock_irqrestore_if(&vblk->lock, flags, locked);
		for (unsigned int i = 0; i < n; i++)
			virtblk_finish(vblk, &done[i], BLK_STS_OK);
		total += n;
	} while (n == ARRAY_SIZE(done));
	return (int)total;
}

/* ---- submission ---- */

/* Arm the tick poller when there are no interrupts and chains are out (lock held). */
static void virtblk_arm_poll_locked(struct virtio_blk *vblk)
{
	if (vblk->irq_mode == VIRTBLK_IRQ_NONE && virtqueue_nr_outstanding(vblk->vq) &&
	    !timer_pending(&vblk->poll_timer))
		mod_timer(&vblk->poll_timer, time_ns() + VIRTBLK_POLL_PERIOD);
}

/* Should the doorbell ring now? Counts it (lock held). */
static bool virtblk_kick_locked(struct virtio_blk *vblk)
{
	if (!virtqueue_kick_prepare(vblk->vq))
		return false;
	if (vblk->hold_notify) {
		vblk->nr_held_notifies++;
		return false;
	}
	vblk->nr_notifies++;
	return true;
}

/* Offer @vbr's @n buffers to the device (lock held). 0, -ENOSPC or -errno. */
static int virtblk_add_locked(struct virtio_blk *vblk, struct virtblk_req *vbr, unsigned int n,
			      u16 cmd_id)
{
	int err = virtqueue_add(vblk->vq, vbr->table, vbr->table_phys, n, vbr);

	if (err)
		return err;
	vbr->in_ring = true;
	vbr->cmd_id = cmd_id;
	virtblk_arm_poll_locked(vblk);
	return 0;
}

/*
 * Fill @vbr's header and buffer list for @rq: header, its data segments
 * (device-writable for a read), status. Returns the number of buffers, or
 * 0 if @rq has more segments than the limits allow (a block-layer bug).
 */
static unsigned int virtblk_build(struct virtio_blk *vblk, struct request *rq,
				  struct virtblk_req *vbr)
{
	enum req_op op = req_op(rq);
	struct vring_desc *t = vbr->table;
	struct req_iterator it;
	struct blk_seg seg;
	unsigned int n = 0;

	vbr->hdr.type = op == REQ_OP_WRITE ? VIRTIO_BLK_T_OUT :
			op == REQ_OP_FLUSH ? VIRTIO_BLK_T_FLUSH : VIRTIO_BLK_T_IN;
	vbr->hdr.ioprio = 0;
	vbr->hdr.sector = op == REQ_OP_FLUSH ? 0 : blk_rq_pos(rq);
	vbr->status = 0xff;		/* a device that never writes it is caught */
	vring_desc_set(&t[n++], virt_to_phys(&vbr->hdr), sizeof(vbr->hdr), false);
	if (op != REQ_OP_FLUSH) {
		rq_for_each_segment(seg, rq, it) {
			if (n == vblk->max_segments + 1u)
				return 0;
			vring_desc_set(&t[n++], seg.phys, seg.len, op == REQ_OP_READ);
		}
	}
	vring_desc_set(&t[n++], virt_to_phys(&vbr->status), 1, true);
	return n;
}

/* Why @vbr cannot go to the device now, or BLK_STS_OK (lock held). */
static blk_status_t virtblk_check_locked(struct virtio_blk *vblk, struct virtblk_req *vbr)
{
	if (vblk->state == VIRTBLK_DEAD)
		return BLK_STS_IOERR;
	if (vblk->state == VIRTBLK_RESETTING || vbr->in_ring) {
		vblk->nr_busy++;	/* a reset, or a given-up chain not back yet */
		return BLK_STS_RESOURCE;
	}
	return BLK_STS_OK;
}

/*
 * ->queue_rq: start @rq. Any context, never sleeps. OK; RESOURCE when the
 * ring is full, a reset is in progress or the tag's previous chain is
 * still at the device; IOERR on a dead device or an impossible request.
 * The request is started (blk_mq_start_request, which takes the block
 * layer's lock: before ours) before its chain can reach the device, so
 * that an answer always finds it started.
 */
static blk_status_t virtblk_queue_rq(struct request *rq, bool last)
{
	struct virtio_blk *vblk = rq->disk->private_data;
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);
	unsigned long flags;
	bool locked, kick = false;
	blk_status_t st;
	unsigned int n = 0;
	int err = 0;

	blk_mq_start_request(rq);
	locked = spin_lock_irqsave_or_try_dying(&vblk->lock, &flags);
	st = virtblk_check_locked(vblk, vbr);
	if (!st) {
		n = virtblk_build(vblk, rq, vbr);
		err = n ? virtblk_add_locked(vblk, vbr, n, blk_mq_rq_cmd_id(rq)) : -EINVAL;
		st = !err ? BLK_STS_OK : err == -ENOSPC ? BLK_STS_RESOURCE : BLK_STS_IOERR;
		vblk->nr_busy += err == -ENOSPC;
	}
	if (!st) {
		vblk->nr_requests[MIN((unsigned int)req_op(rq), 2u)]++;
		if (n - 2 > vblk->max_segs_seen)
			vblk->max_segs_seen = n - 2;
		kick = last && virtblk_kick_locked(vblk);
	}
	spin_unlock_irqrestore_if(&vblk->lock, flags, locked);
	if (err && err != -ENOSPC)
		printk("%s: request at sector %llu (%u segments) refused by the ring: %d\n",
		       vblk->name, (unsigned long long)blk_rq_pos(rq), rq->nr_phys_segments, err);
	if (kick)
		vp_notify(vblk->notify, 0);
	return st;
}

/* ->commit_rqs: a batch ended without a request marked last. */
static void virtblk_commit_rqs(struct blk_mq_tag_set *set)
{
	struct virtio_blk *vblk = set->driver_data;
	unsigned long flags;
	bool locked = spin_lock_irqsave_or_try_dying(&vblk->lock, &flags);
	bool kick = virtblk_kick_locked(vblk);

	spin_unlock_irqrestore_if(&vblk->lock, flags, locked);
	if (kick)
		vp_notify(vblk->notify, 0);
}

/* ->poll: reap without interrupts. Any context. */
static int virtblk_poll(struct blk_mq_tag_set *set)
{
	struct virtio_blk *vblk = set->driver_data;
	int n = virtblk_reap(vblk);

	vblk->nr_polled += (unsigned long)n;
	return n;
}

/* ---- interrupts ---- */

/* The configuration changed (interrupt context): say what, apply nothing. */
static void virtblk_config_changed(struct virtio_blk *vblk)
{
	u64 cap = vp_config_read64(&vblk->vp, VIRTIO_BLK_CFG_CAPACITY);

	vblk->nr_config_irqs++;
	vblk->config_generation = vp_config_generation(&vblk->vp);
	if (vp_get_status(&vblk->vp) & VIRTIO_STATUS_NEEDS_RESET)
		printk("%s: the device says it needs a reset\n", vblk->name);
	if (cap != vblk->capacity)
		printk("%s: capacity changed to %llu sectors (was %llu): not applied\n", vblk->name,
		       (unsigned long long)cap, (unsigned long long)vblk->capacity);
}

/* The queue's own vector. */
static void virtblk_vq_irq(void *data)
{
	struct virtio_blk *vblk = data;

	vblk->nr_irqs++;
	virtblk_reap(vblk);
}

/*
 * Vector 0: configuration changes only with two MSI-X vectors; both kinds
 * with one (the generation tells a configuration change); with MSI, the
 * ISR register says which (and reading it acknowledges).
 */
static void virtblk_irq0(void *data)
{
	struct virtio_blk *vblk = data;
	u8 isr;

	switch (vblk->irq_mode) {
	case VIRTBLK_IRQ_MSIX:
		virtblk_config_changed(vblk);
		break;
	case VIRTBLK_IRQ_MSIX_SHARED:
		virtblk_vq_irq(vblk);
		if (vp_config_generation(&vblk->vp) != vblk->config_generation)
			virtblk_config_changed(vblk);
		break;
	default:
		isr = vp_read_isr(&vblk->vp);
		if (isr & VIRTIO_PCI_ISR_QUEUE)
			virtblk_vq_irq(vblk);
		if (isr & VIRTIO_PCI_ISR_CONFIG)
			virtblk_config_changed(vblk);
		break;
	}
}

/* No interrupts: look at the used ring every tick while chains are out. */
static void virtblk_poll_timer(struct timer_list *t)
{
	struct virtio_blk *vblk = container_of(t, struct virtio_blk, poll_timer);
	unsigned long flags;

	vblk->nr_tick_polled += (unsigned long)virtblk_reap(vblk);
	spin_lock_irqsave(&vblk->lock, flags);
	virtblk_arm_poll_locked(vblk);
	spin_unlock_irqrestore(&vblk->lock, flags);
}

/*
 * Get message vectors from the PCI layer: two MSI-X (configuration,
 * queue), or one MSI-X, or one MSI; with none, completions are polled
 * from a timer. Returns 0 or -errno (a vector the PCI layer granted could
 * not be requested). Process context.
 */
static int virtblk_setup_irqs(struct virtio_blk *vblk)
{
	int n = pci_alloc_irq_vectors(vblk->pci, 1, 2, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	int err;

	if (n < 0) {
		vblk->irq_mode = VIRTBLK_IRQ_NONE;
		return 0;
	}
	vblk->nr_vectors = (unsigned int)n;
	if (vblk->pci->irq.mode != PCI_IRQ_MSIX)
		vblk->irq_mode = VIRTBLK_IRQ_MSI;
	else
		vblk->irq_mode = n == 2 ? VIRTBLK_IRQ_MSIX : VIRTBLK_IRQ_MSIX_SHARED;
	err = pci_request_irq(vblk->pci, 0, virtblk_irq0, vblk, "virtio-blk");
	if (!err && n == 2)
		err = pci_request_irq(vblk->pci, 1, virtblk_vq_irq, vblk, "virtio-blk-queue");
	return err;
}

static void virtblk_free_irqs(struct virtio_blk *vblk)
{
	for (unsigned int i = 0; i < vblk->nr_vectors; i++)
		if (pci_irq_vector(vblk->pci, i) >= 0)
			pci_free_irq(vblk->pci, i);
	if (vblk->nr_vectors)
		pci_free_irq_vectors(vblk->pci);
	vblk->nr_vectors = 0;
}

/*
 * Program the MSI-X vectors and read them back (the device answers
 * NO_VECTOR when it refuses one): queue on 1, else shared on 0, else no
 * queue interrupt (tick polling from now on). Before DRIVER_OK.
 */
static void virtblk_program_vectors(struct virtio_blk *vblk)
{
	struct virtio_pci_device *vp = &vblk->vp;
	bool msix = vblk->irq_mode == VIRTBLK_IRQ_MSIX || vblk->irq_mode == VIRTBLK_IRQ_MSIX_SHARED;
	u16 want = vblk->irq_mode == VIRTBLK_IRQ_MSIX ? 1 : 0;

	vblk->config_vector = vblk->queue_vector = VIRTIO_MSI_NO_VECTOR;
	if (!msix)
		return;
	vblk->config_vector = vp_config_vector(vp, 0);
	vblk->queue_vector = vp_queue_vector(vp, 0, want);
	if (vblk->queue_vector == VIRTIO_MSI_NO_VECTOR && want) {
		printk("virtio-blk %s: device refused MSI-X vector 1 for its queue: sharing vector 0\n",
		       vblk->pci->name);
		vblk->irq_mode = VIRTBLK_IRQ_MSIX_SHARED;
		vblk->queue_vector = vp_queue_vector(vp, 0, 0);
	}
	if (vblk->queue_vector == VIRTIO_MSI_NO_VECTOR) {
		printk("virtio-blk %s: device refused every MSI-X vector for its queue: polling each tick\n",
		       vblk->pci->name);
		vblk->irq_mode = VIRTBLK_IRQ_NONE;
	}
	if (vblk->config_vector == VIRTIO_MSI_NO_VECTOR)
		printk("virtio-blk %s: device refused MSI-X vector 0 for configuration changes\n",
		       vblk->pci->name);
}

/* ---- the device handshake ---- */

/*
 * Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK read back. The first
 * time, takes what we want of what is offered (VERSION_1 required);
 * afterwards (a reset) the same set must be offered and accepted again.
 * 0 or -ENODEV / -ETIMEDOUT, with a message. Sleeps.
 */
static int virtblk_handshake(struct virtio_blk *vblk, bool first)
{
	struct virtio_pci_device *vp = &vblk->vp;
	const char *pci = vblk->pci->name;
	u64 offered;

	if (vp_reset(vp, VIRTBLK_RESET_TIMEOUT)) {
		printk("virtio-blk %s: device did not reset (status %#x after 1 s)\n", pci,
		       vp_get_status(vp));
		return -ETIMEDOUT;
	}
	vp_add_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
	vp_add_status(vp, VIRTIO_STATUS_DRIVER);
	offered = vp_get_features(vp);
	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		printk("virtio-blk %s: device does not offer VIRTIO_F_VERSION_1 (features %#llx)\n",
		       pci, (unsigned long long)offered);
		return -ENODEV;
	}
	if (first)
		vblk->features = offered & VIRTBLK_FEATURES;
	if ((offered & vblk->features) != vblk->features) {
		printk("virtio-blk %s: device no longer offers features %#llx\n", pci,
		       (unsigned long long)(vblk->features & ~offered));
		return -ENODEV;
	}
	if (vp_finalize_features(vp, vblk->features)) {
		printk("virtio-blk %s: device refused features %#llx (offered %#llx): FEATURES_OK not kept\n",
		       pci, (unsigned long long)vblk->features, (unsigned long long)offered);
		return -ENODEV;
	}
	return 0;
}

/* Read one configuration field of @size at @off if the structure has it. */
static bool cfg_read(struct virtio_blk *vblk, u32 off, unsigned int size, u64 *val)
{
	struct virtio_pci_device *vp = &vblk->vp;

	if (!vp_config_has(vp, off, size))
		return false;
	*val = size == 8 ? vp_config_read64(vp, off) : size == 4 ? vp_config_read32(vp, off) :
	       vp_config_read8(vp, off);
	return true;
}

/* One consistent read of the fields we use. False if the structure is too short for one. */
static bool virtblk_read_fields(struct virtio_blk *vblk)
{
	u64 cap = 0, size_max = 0, seg_max = 0, blk_size = 512, exp = 0;
	bool ok = cfg_read(vblk, VIRTIO_BLK_CFG_CAPACITY, 8, &cap);

	if (feature(vblk, VIRTIO_BLK_F_SIZE_MAX))
		ok &= cfg_read(vblk, VIRTIO_BLK_CFG_SIZE_MAX, 4, &size_max);
	if (feature(vblk, VIRTIO_BLK_F_SEG_MAX))
		ok &= cfg_read(vblk, VIRTIO_BLK_CFG_SEG_MAX, 4, &seg_max);
	if (feature(vblk, VIRTIO_BLK_F_BLK_SIZE))
		ok &= cfg_read(vblk, VIRTIO_BLK_CFG_BLK_SIZE, 4, &blk_size);
	if (feature(vblk, VIRTIO_BLK_F_TOPOLOGY))
		ok &= cfg_read(vblk, VIRTIO_BLK_CFG_PHYS_EXP, 1, &exp);
	vblk->capacity = cap;
	vblk->size_max = (u32)size_max;
	vblk->seg_max = (u32)seg_max;
	vblk->blk_size = (u32)blk_size;
	vblk->phys_block_size = exp < 16 ? (u32)blk_size << exp : 0;
	return ok;
}

/*
 * Read the configuration (inside a config_generation loop, 4.1.4.3.1)
 * and check it makes sense. 0 or -ENODEV with a message.
 */
static int virtblk_read_config(struct virtio_blk *vblk)
{
	const char *pci = vblk->pci->name;
	unsigned int tries = 0;
	u8 gen;

	do {
		gen = vp_config_generation(&vblk->vp);
		if (!virtblk_read_fields(vblk)) {
			printk("virtio-blk %s: device configuration (%u bytes) too short for the features\n",
			       pci, vblk->vp.device_len);
			return -ENODEV;
		}
	} while (gen != vp_config_generation(&vblk->vp) && ++tries < 10);
	vblk->config_generation = gen;
	if (tries == 10) {
		printk("virtio-blk %s: device configuration keeps changing\n", pci);
		return -ENODEV;
	}
	if (!is_power_of_2(vblk->blk_size) || vblk->blk_size < 512 || vblk->blk_size > PAGE_SIZE) {
		printk("virtio-blk %s: block size %u is not a power of two from 512 to %lu\n", pci,
		       vblk->blk_size, PAGE_SIZE);
		return -ENODEV;
	}
	if (vblk->capacity < vblk->blk_size / 512) {
		printk("virtio-blk %s: capacity %llu sectors: no disk\n", pci,
		       (unsigned long long)vblk->capacity);
		return -ENODEV;
	}
	if (feature(vblk, VIRTIO_BLK_F_SIZE_MAX) && vblk->size_max < PAGE_SIZE) {
		printk("virtio-blk %s: size_max %u is below a page\n", pci, vblk->size_max);
		return -ENODEV;
	}
	if (feature(vblk, VIRTIO_BLK_F_TOPOLOGY) && !vblk->phys_block_size) {
		printk("virtio-blk %s: physical block exponent makes no sense: ignored\n", pci);
		vblk->phys_block_size = vblk->blk_size;
	}
	return 0;
}

/*
 * Allocate queue 0's ring: the device's size capped at
 * VIRTBLK_MAX_QUEUE_SIZE, physically contiguous. 0, -ENODEV (no queue,
 * or a size that is not a power of two) or -ENOMEM.
 */
static int virtblk_alloc_queue(struct virtio_blk *vblk)
{
	u16 max = vp_queue_max_size(&vblk->vp, 0);
	u16 num = MIN(max, (u16)VIRTBLK_MAX_QUEUE_SIZE);
	size_t bytes;

	if (!max || !vring_num_ok(max)) {
		printk("virtio-blk %s: queue 0 has size %u (a power of two, at least 1, is required)\n",
		       vblk->pci->name, max);
		return -ENODEV;
	}
	bytes = vring_size(num);
	while ((PAGE_SIZE << vblk->ring_order) < bytes)
		vblk->ring_order++;
	vblk->ring_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, vblk->ring_order);
	vblk->vq = kzalloc(virtqueue_struct_size(num), GFP_KERNEL);
	if (!vblk->ring_pages || !vblk->vq)
		return -ENOMEM;
	virtqueue_init(vblk->vq, 0, num, phys_to_virt(page_to_phys(vblk->ring_pages)),
		       page_to_phys(vblk->ring_pages),
		       feature(vblk, VIRTIO_F_RING_INDIRECT_DESC));
	return 0;
}

/* Give queue 0's ring (as it is now) and the vectors to the device, and enable it. */
static int virtblk_setup_queue(struct virtio_blk *vblk)
{
	struct virtqueue *vq = vblk->vq;
	int err = vp_queue_setup(&vblk->vp, 0, vq->num, vq->desc_phys, vq->avail_phys,
				 vq->used_phys, &vblk->notify);

	if (err)
		return err;
	virtblk_program_vectors(vblk);
	vp_queue_enable(&vblk->vp, 0);
	return 0;
}

/*
 * The handshake again after a reset: same features, same (zeroed) ring,
 * vectors, DRIVER_OK. Sleeps.
 */
static int virtblk_reinit(struct virtio_blk *vblk)
{
	int err = virtblk_handshake(vblk, false);

	if (!err)
		err = virtblk_setup_queue(vblk);
	if (err)
		return err;
	vp_add_status(&vblk->vp, VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

/* ---- timeouts: reset the device ---- */

/*
 * The device did not confirm a reset (@reset_ok false): turn its bus
 * mastering off and read it back before anything it was given is
 * completed to its owner or freed. True when the reset or that is
 * confirmed; otherwise logs, sets dma_unsafe (teardown then leaks the
 * ring and the requests instead of freeing them) and returns false. A
 * device whose reset was confirmed is left as it is. Any context.
 */
static bool virtblk_stop_dma(struct virtio_blk *vblk, bool reset_ok)
{
	if (reset_ok)
		return true;
	const char *name = vblk->name[0] ? vblk->name : vblk->pci->name;

	if (pci_clear_master_sync(vblk->pci)) {
		printk("virtio-blk %s: device did not reset: bus mastering turned off\n", name);
		return true;
	}
	vblk->dma_unsafe = true;
	printk("virtio-blk %s: device did not reset and bus mastering could not be turned off: it may still write into buffers it was given; its memory is leaked\n",
	       name);
	return false;
}

/*
 * Reset the device and fail what it held: chains it finished before it
 * stopped are completed normally; the device is brought back or marked
 * dead; then the other chains fail (@late with BLK_STS_TIMEOUT, the rest
 * with BLK_STS_IOERR). A reset the device does not confirm turns its bus
 * mastering off before any request is completed (virtblk_stop_dma) and
 * leaves it dead. Process context; takes reset_mutex; sleeps.
 */
static void virtblk_reset_and_fail(struct virtio_blk *vblk, struct request *late)
{
	struct virtblk_done held[VIRTBLK_MAX_DEPTH + 1];
	unsigned int n = 0, failed = 0;
	unsigned long flags;
	struct virtblk_req *vbr;
	int err;

	mutex_lock(&vblk->reset_mutex);
	blk_mq_quiesce(&vblk->set);
	spin_lock_irqsave(&vblk->lock, flags);
	vblk->state = VIRTBLK_RESETTING;
	spin_unlock_irqrestore(&vblk->lock, flags);
	err = vp_reset(&vblk->vp, VIRTBLK_RESET_TIMEOUT);
	if (!err && READ_ONCE(vblk->fail_reset)) {	/* test hook: as if it never read 0 */
		WRITE_ONCE(vblk->fail_reset, false);
		err = -ETIMEDOUT;
	}
	virtblk_stop_dma(vblk, !err);
	virtblk_reap(vblk);			/* answered before it stopped */
	spin_lock_irqsave(&vblk->lock, flags);
	while ((vbr = virtqueue_detach_unused(vblk->vq))) {
		vbr->in_ring = false;
		if (n < ARRAY_SIZE(held))
			held[n++] = (struct virtblk_done){ vbr, vbr->cmd_id, 0 };
	}
	virtqueue_reset(vblk->vq);
	vblk->broken_logged = false;
	spin_unlock_irqrestore(&vblk->lock, flags);
	/*
	 * The outcome (live or dead, the counters) is published before the
	 * requests the reset ends are completed: an owner woken by its -EIO
	 * sees the disk as the reset left it. Dispatch stays quiesced until
	 * the end, so the reinitialised ring takes nothing meanwhile.
	 */
	if (!err)
		err = READ_ONCE(vblk->fail_reinit) ? -EIO : virtblk_reinit(vblk);
	spin_lock_irqsave(&vblk->lock, flags);
	vblk->state = err ? VIRTBLK_DEAD : VIRTBLK_LIVE;
	vblk->nr_resets++;
	vblk->nr_reset_failed += err != 0;
	spin_unlock_irqrestore(&vblk->lock, flags);
	for (unsigned int i = 0; i < n; i++) {
		struct request *rq = blk_mq_tag_to_rq(&vblk->set, held[i].cmd_id & 0xfff);

		virtblk_finish(vblk, &held[i], rq == late ? BLK_STS_TIMEOUT : BLK_STS_IOERR);
		failed += !held[i].vbr->done;
	}
	if (err) {
		vp_add_status(&vblk->vp, VIRTIO_STATUS_FAILED);
		printk("%s: device did not come back after a reset (%d): disk offline, I/O fails with -EIO\n",
		       vblk->name, err);
	} else {
		printk("%s: device reset; %u request%s it held failed\n", vblk->name, failed,
		       failed == 1 ? "" : "s");
	}
	blk_mq_unquiesce(&vblk->set);
	mutex_unlock(&vblk->reset_mutex);
}

/*
 * ->timeout (kblockd, process context): @rq passed its deadline. If its
 * chain is still at the device, reset the device (virtblk_reset_and_fail
 * completes @rq with BLK_STS_TIMEOUT): BLK_EH_DONE. If not, it is either
 * completed already (the block layer sees that) or started but not yet in
 * the ring (->queue_rq under way): another period.
 */
static enum blk_eh_timer_return virtblk_timeout(struct request *rq)
{
	struct virtio_blk *vblk = rq->disk->private_data;
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);
	unsigned long flags;
	bool at_device;

	spin_lock_irqsave(&vblk->lock, flags);
	at_device = vbr->in_ring && vbr->cmd_id == blk_mq_rq_cmd_id(rq);
	spin_unlock_irqrestore(&vblk->lock, flags);
	if (!at_device)
		return BLK_EH_RESET_TIMER;
	printk("%s: %s at sector %llu not answered in %llu ms: resetting the device\n", vblk->name,
	       blk_op_str(req_op(rq)), (unsigned long long)blk_rq_pos(rq),
	       (unsigned long long)(rq->disk->timeout_ns / MS));
	virtblk_reset_and_fail(vblk, rq);
	return BLK_EH_DONE;
}

/* ---- the tag set's requests ---- */

/*
 * ->init_request (tag-set allocation, process context): the request's
 * buffer list, which is also its indirect table: max_segments + 2 entries,
 * 16-byte aligned, in the direct map. 0 or -ENOMEM. Sleeps.
 */
static int virtblk_init_request(struct blk_mq_tag_set *set, struct request *rq)
{
	struct virtio_blk *vblk = set->driver_data;
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);
	size_t bytes = (vblk->max_segments + 2u) * sizeof(struct vring_desc);

	vbr->table = kmalloc(bytes, GFP_KERNEL);
	if (!vbr->table)
		return -ENOMEM;
	vbr->table_phys = virt_to_phys(vbr->table);
	if (vbr->table_phys & 15) {	/* a table must be 16-byte aligned */
		printk("virtio-blk: kmalloc gave a table that is not 16-byte aligned\n");
		return -ENOMEM;
	}
	return 0;
}

/* ->exit_request: free the table (the device holds no chain any more). */
static void virtblk_exit_request(struct blk_mq_tag_set *set, struct request *rq)
{
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);

	kfree(vbr->table);
	vbr->table = NULL;
}

static const struct blk_mq_ops virtblk_mq_ops = {
	.queue_rq = virtblk_queue_rq,
	.commit_rqs = virtblk_commit_rqs,
	.timeout = virtblk_timeout,
	.poll = virtblk_poll,
	.init_request = virtblk_init_request,
	.exit_request = virtblk_exit_request,
};

/* ---- probe ---- */

/*
 * Ask the device for its serial (GET_ID) through the ring, waiting for
 * the answer. A device that says UNSUPP or IOERR has no serial; one that
 * does not answer in 5 s is broken: -ETIMEDOUT, after a reset (and bus
 * mastering off if the reset is not confirmed; if even that is not, the
 * request's memory is leaked). The completion lives with the request, so
 * a late answer never reaches a finished stack frame. Sleeps.
 */
static int virtblk_get_id(struct virtio_blk *vblk)
{
	struct {
		struct virtblk_req vbr;
		struct vring_desc table[3];
		char id[VIRTIO_BLK_ID_BYTES];
		struct completion done;
	} *r = kzalloc(sizeof(*r), GFP_KERNEL);
	unsigned long flags;
	int err;

	if (!r)
		return -ENOMEM;
	init_completion(&r->done);
	r->vbr.hdr.type = VIRTIO_BLK_T_GET_ID;
	r->vbr.status = 0xff;
	r->vbr.done = &r->done;
	r->vbr.table = r->table;
	r->vbr.table_phys = virt_to_phys(r->table);
	vring_desc_set(&r->table[0], virt_to_phys(&r->vbr.hdr), sizeof(r->vbr.hdr), false);
	vring_desc_set(&r->table[1], virt_to_phys(r->id), VIRTIO_BLK_ID_BYTES, true);
	vring_desc_set(&r->table[2], virt_to_phys(&r->vbr.status), 1, true);
	spin_lock_irqsave(&vblk->lock, flags);
	err = virtblk_add_locked(vblk, &r->vbr, 3, 0);
	if (!err && virtqueue_kick_prepare(vblk->vq))
		vp_notify(vblk->notify, 0);
	spin_unlock_irqrestore(&vblk->lock, flags);
	if (!err && !wait_for_completion_timeout(&r->done, VIRTBLK_GET_ID_TIMEOUT)) {
		bool reset_ok;

		printk("virtio-blk %s: GET_ID not answered in 5 s\n", vblk->pci->name);
		err = -ETIMEDOUT;
		reset_ok = !vp_reset(&vblk->vp, VIRTBLK_RESET_TIMEOUT);	/* before freeing r */
		if (!virtblk_stop_dma(vblk, reset_ok))
			return err;		/* r is leaked: the device may still write it */
	}
	if (!err && r->vbr.status == VIRTIO_BLK_S_OK)
		for (unsigned int i = 0; i < VIRTIO_BLK_ID_BYTES && r->id[i]; i++)
			vblk->serial[i] = (r->id[i] >= 0x20 && r->id[i] < 0x7f) ? r->id[i] : '?';
	kfree(r);
	return err;
}

/* Limits of the disk from the negotiated features and the configuration. */
static void virtblk_limits(struct virtio_blk *vblk, struct queue_limits *lim)
{
	u32 seg_max = feature(vblk, VIRTIO_BLK_F_SEG_MAX) ? vblk->seg_max : VIRTBLK_MAX_SEGMENTS;

	if (!seg_max) {
		printk("virtio-blk %s: seg_max 0 makes no sense: one segment per request\n",
		       vblk->pci->name);
		seg_max = 1;
	}
	/* no chain may be longer than the queue (2.6.5.3.1): header and status included */
	vblk->max_segments = (u16)MIN(MIN(seg_max, (u32)VIRTBLK_MAX_SEGMENTS),
				      vblk->vq->num - 2u);
	*lim = (struct queue_limits){
		.logical_block_size = vblk->blk_size,
		.physical_block_size = MAX(vblk->phys_block_size, vblk->blk_size),
		.max_segments = vblk->max_segments,
		.max_segment_size = feature(vblk, VIRTIO_BLK_F_SIZE_MAX) ?
				    MIN(vblk->size_max, 1u << 22) : 1u << 22,
		.features = feature(vblk, VIRTIO_BLK_F_FLUSH) ? BLK_FEAT_WRITE_CACHE : 0,
	};
}

static const char *const virtblk_irq_names[] = {
	[VIRTBLK_IRQ_MSIX] = "MSI-X (configuration 0, queue 1)",
	[VIRTBLK_IRQ_MSIX_SHARED] = "MSI-X (one shared vector)",
	[VIRTBLK_IRQ_MSI] = "MSI",
	[VIRTBLK_IRQ_NONE] = "no interrupts: polled every tick",
};

/* Name the disk vda, vdb, ... in probe order, and number it (254:16n). Sleeps. */
static int virtblk_name_disk(struct virtio_blk *vblk, struct gendisk *disk)
{
	unsigned int index;
	int err;

	mutex_lock(&virtblk_mutex);
	index = virtblk_next_index++;
	mutex_unlock(&virtblk_mutex);
	if (index >= (MINORMASK + 1) / VIRTBLK_MINORS)
		return -ENOSPC;
	err = disk_name_letters(disk->disk_name, sizeof(disk->disk_name), "vd", index);
	if (err)
		return err;
	disk->major = VIRTBLK_MAJOR;
	disk->first_minor = (int)(index * VIRTBLK_MINORS);
	disk->minors = VIRTBLK_MINORS;
	memcpy(vblk->name, disk->disk_name, sizeof(vblk->name));
	return 0;
}

/* The tag set and the disk, registered. Sleeps. */
static int virtblk_add_disk(struct virtio_blk *vblk)
{
	struct queue_limits lim;
	int err;

	virtblk_limits(vblk, &lim);
	vblk->set.ops = &virtblk_mq_ops;
	vblk->set.queue_depth = MIN((unsigned int)vblk->vq->num, (unsigned int)VIRTBLK_MAX_DEPTH);
	vblk->set.cmd_size = sizeof(struct virtblk_req);
	vblk->set.name = "virtio-blk";
	vblk->set.driver_data = vblk;
	err = blk_mq_alloc_tag_set(&vblk->set);
	if (err)
		return err;
	vblk->set_allocated = true;
	vblk->disk = blk_mq_alloc_disk(&vblk->set, &lim, vblk, &err);
	if (!vblk->disk)
		return err;
	err = virtblk_name_disk(vblk, vblk->disk);
	if (err)
		return err;
	set_capacity(vblk->disk, vblk->capacity);
	set_disk_ro(vblk->disk, feature(vblk, VIRTIO_BLK_F_RO));
	printk("virtio-blk %s: %s: features %#llx, queue of %u (device allows %u)%s, %u segments of up to %u bytes, %s%s%s%s\n",
	       vblk->pci->name, vblk->name, (unsigned long long)vblk->features, vblk->vq->num,
	       vp_queue_max_size(&vblk->vp, 0),
	       vblk->vq->use_indirect ? ", indirect descriptors" : "", vblk->max_segments,
	       lim.max_segment_size, virtblk_irq_names[vblk->irq_mode],
	       vblk->serial[0] ? ", serial '" : "", vblk->serial, vblk->serial[0] ? "'" : "");
	return add_disk(vblk->disk);
}

/*
 * Undo whatever of the probe was done: the disk deleted (its I/O ended),
 * a reset in progress waited for, then the device reset (bus mastering
 * off as well, as Linux's pci_disable_device) before its memory and
 * vectors go; what a device that could not be confirmed stopped was given
 * is leaked. Sleeps.
 */
static void virtblk_teardown(struct virtio_blk *vblk)
{
	if (vblk->disk && (vblk->disk->state & GD_ADDED))
		del_gendisk(vblk->disk);
	/* nothing in flight now, so no new timeout; let a running reset finish */
	mutex_lock(&vblk->reset_mutex);
	mutex_unlock(&vblk->reset_mutex);
	if (vblk->vp.common) {
		virtblk_stop_dma(vblk, !vp_reset(&vblk->vp, VIRTBLK_RESET_TIMEOUT));
		vp_add_status(&vblk->vp, VIRTIO_STATUS_FAILED);
	}
	pci_clear_master(vblk->pci);
	virtblk_free_irqs(vblk);
	del_timer(&vblk->poll_timer);
	if (vblk->disk)
		put_disk(vblk->disk);
	if (vblk->set_allocated && vblk->dma_unsafe)
		blk_mq_abandon_tag_set(&vblk->set);
	else if (vblk->set_allocated)
		blk_mq_free_tag_set(&vblk->set);
	if (vblk->ring_pages && !vblk->dma_unsafe)
		free_pages(vblk->ring_pages, vblk->ring_order);
	kfree(vblk->vq);
	vp_modern_remove(&vblk->vp);
	kfree(vblk);
}

/* Everything up to DRIVER_OK and GET_ID. 0 or -errno, with a message. Sleeps. */
static int virtblk_init_device(struct virtio_blk *vblk)
{
	int err = vp_modern_probe(&vblk->vp, vblk->pci);

	if (err)
		return err;
	err = virtblk_handshake(vblk, true);
	if (!err)
		err = virtblk_read_config(vblk);
	if (!err)
		err = virtblk_alloc_queue(vblk);
	if (!err)
		err = virtblk_setup_irqs(vblk);
	if (!err)
		err = virtblk_setup_queue(vblk);
	if (err)
		return err;
	vp_add_status(&vblk->vp, VIRTIO_STATUS_DRIVER_OK);
	return virtblk_get_id(vblk);
}

/*
 * Bind to @pci: bring the device up and register its disk. 0, or -errno
 * with a message and everything undone (the device reset and marked
 * FAILED). Process context under pci_bus_mutex; sleeps.
 */
static int virtblk_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct virtio_blk *vblk;
	int err = pci_enable_device(pci);

	if (err)
		return err;
	vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	if (!vblk)
		return -ENOMEM;
	vblk->pci = pci;
	spin_lock_init(&vblk->lock);
	mutex_init(&vblk->reset_mutex, "virtblk_reset");
	timer_setup(&vblk->poll_timer, virtblk_poll_timer);
	list_init(&vblk->node);
	pci_set_master(pci);
	err = virtblk_init_device(vblk);
	if (err == -ENODEV && pci->device == 0x1001 && !vblk->vp.common)
		printk("virtio-blk %s: transitional device without the modern interface: there is no legacy driver\n",
		       pci->name);
	if (!err)
		err = virtblk_add_disk(vblk);
	if (err) {
		virtblk_teardown(vblk);
		return err;
	}
	pci_set_drvdata(pci, vblk);
	mutex_lock(&virtblk_mutex);
	list_add_tail(&vblk->node, &virtblk_list);
	mutex_unlock(&virtblk_mutex);
	return 0;
}

/* Unbind: delete the disk (waiting for its I/O), reset the device, free everything. Sleeps. */
static void virtblk_remove(struct pci_dev *pci)
{
	struct virtio_blk *vblk = pci_get_drvdata(pci);

	mutex_lock(&virtblk_mutex);
	list_del(&vblk->node);
	mutex_unlock(&virtblk_mutex);
	virtblk_teardown(vblk);
	pci_set_drvdata(pci, NULL);
}

static const struct pci_device_id virtblk_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1040 + VIRTIO_ID_BLOCK) },	/* modern */
	{ PCI_DEVICE(0x1af4, 0x1001) },				/* transitional */
	{ 0 },
};

static struct pci_driver virtblk_driver = {
	.name = "virtio-blk",
	.id_table = virtblk_ids,
	.probe = virtblk_probe,
	.remove = virtblk_remove,
};
module_pci_driver(virtblk_driver);

/* ---- for tests ---- */

static struct virtio_blk *virtblk_lookup(bool (*match)(struct virtio_blk *, const char *),
					 const char *key)
{
	struct virtio_blk *vblk, *found = NULL;

	mutex_lock(&virtblk_mutex);
	list_for_each_entry(vblk, &virtblk_list, node)
		if (match(vblk, key)) {
			found = vblk;
			break;
		}
	mutex_unlock(&virtblk_mutex);
	return found;
}

static bool match_name(struct virtio_blk *vblk, const char *name)
{
	return !strcmp(vblk->name, name);
}

static bool match_serial(struct virtio_blk *vblk, const char *serial)
{
	return !strcmp(vblk->serial, serial);
}

struct virtio_blk *virtblk_find(const char *disk_name)
{
	return virtblk_lookup(match_name, disk_name);
}

struct virtio_blk *virtblk_find_serial(const char *serial)
{
	return virtblk_lookup(match_serial, serial);
}

/* See virtio_blk.h. Any context. */
void virtblk_hold_notify(struct virtio_blk *vblk, bool hold)
{
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&vblk->lock, flags);
	kick = vblk->hold_notify && !hold && virtqueue_nr_outstanding(vblk->vq) &&
	       vblk->state == VIRTBLK_LIVE;
	vblk->hold_notify = hold;
	if (kick)
		vblk->nr_notifies++;
	spin_unlock_irqrestore(&vblk->lock, flags);
	if (kick)
		vp_notify(vblk->notify, 0);
}

void virtblk_ring_usage(struct virtio_blk *vblk, unsigned int *num_free,
			unsigned int *outstanding)
{
	unsigned long flags;

	spin_lock_irqsave(&vblk->lock, flags);
	*num_free = vblk->vq->num_free;
	*outstanding = virtqueue_nr_outstanding(vblk->vq);
	spin_unlock_irqrestore(&vblk->lock, flags);
}
