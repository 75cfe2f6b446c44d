/*
 * Split virtqueues (virtio 1.1, 2.6; 1.2, 2.7), the driver's side.
 * drivers/virtio/virtio_ring.c; docs/virtio.md.
 *
 * A virtqueue is three areas of memory shared with the device: the
 * descriptor table (buffers: physical address, length, flags, next), the
 * available ring (heads of the chains the driver offers, and its index)
 * and the used ring (heads the device has finished, with the bytes it
 * wrote, and its index). The driver keeps its free descriptors linked
 * through their `next` fields, a shadow of the available index and the
 * last used index it has seen.
 *
 * A buffer list is built by the caller as an array of struct vring_desc
 * (vring_desc_set()), device-readable entries first, then device-writable
 * ones. virtqueue_add() either turns that array into an indirect table
 * (VIRTIO_F_RING_INDIRECT_DESC) taking one ring descriptor, or copies it
 * into a chain of free ring descriptors. The array must then stay
 * untouched until the chain comes back from virtqueue_get_buf(): the
 * device reads it.
 *
 * This file knows nothing of the transport: the caller provides the ring
 * memory (physically contiguous, from vring_size()) and rings the doorbell
 * itself when virtqueue_kick_prepare() says so. It takes no lock: the
 * caller serialises every call on one virtqueue (virtio-blk holds its
 * queue's irqsave spinlock). Host-compilable: tests/host/test_virtio_ring.c
 * plays the device.
 *
 * Not done: VIRTIO_F_RING_EVENT_IDX (notification suppression by event
 * index; the flags-based suppression of 2.6.7/2.6.10 is honoured), packed
 * rings, VIRTIO_F_IN_ORDER.
 */
#ifndef PAGODA_VIRTIO_RING_H
#define PAGODA_VIRTIO_RING_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>

/* ---- the layout the device sees (little-endian, as x86) ---- */

#define VRING_DESC_F_NEXT	1	/* the chain goes on at `next` */
#define VRING_DESC_F_WRITE	2	/* the device writes this buffer (else reads it) */
#define VRING_DESC_F_INDIRECT	4	/* the buffer is a table of descriptors */

struct vring_desc {
	u64 addr;		/* physical address */
	u32 len;		/* bytes */
	u16 flags;		/* VRING_DESC_F_* */
	u16 next;		/* with F_NEXT */
};

#define VRING_AVAIL_F_NO_INTERRUPT	1	/* the driver asks for no interrupt (a hint) */

struct vring_avail {
	u16 flags;
	u16 idx;		/* where the driver will put the next head (mod num) */
	u16 ring[];		/* num heads, then used_event (EVENT_IDX only) */
};

struct vring_used_elem {
	u32 id;			/* head of the finished chain */
	u32 len;		/* bytes the device wrote into its writable buffers */
};

#define VRING_USED_F_NO_NOTIFY		1	/* the device asks for no notification (a hint) */

struct vring_used {
	u16 flags;
	u16 idx;		/* where the device will put the next element (mod num) */
	struct vring_used_elem ring[];	/* num elements, then avail_event */
};

BUILD_BUG_ON(sizeof(struct vring_desc) != 16);
BUILD_BUG_ON(sizeof(struct vring_used_elem) != 8);

/* The largest queue size of a split ring (2.6: a power of two up to 32768). */
#define VIRTQUEUE_MAX_SIZE	32768

/*
 * Alignments of the three areas (2.6): descriptor table 16, available
 * ring 2, used ring 4. They are laid out in this order in one block:
 * table at 0, available ring right after it, used ring after that,
 * rounded up to 4.
 */
static inline size_t vring_avail_offset(unsigned int num)
{
	return (size_t)num * sizeof(struct vring_desc);
}

static inline size_t vring_used_offset(unsigned int num)
{
	return ALIGN_UP(vring_avail_offset(num) + 4 + 2 * (size_t)num + 2, (size_t)4);
}

/* Bytes of ring memory a queue of @num entries needs (flags, idx and event fields included). */
static inline size_t vring_size(unsigned int num)
{
	return vring_used_offset(num) + 4 + 8 * (size_t)num + 2;
}

/* Is @num a queue size the split ring allows (a power of two, 1..32768)? */
static inline bool vring_num_ok(unsigned int num)
{
	return num && num <= VIRTQUEUE_MAX_SIZE && !(num & (num - 1));
}

/*
 * Ordering between the driver and a device on coherent memory. x86 keeps
 * stores in order and loads in order (so wmb/rmb only stop the compiler),
 * but a store may pass a later load: publishing the available index and
 * then reading the used ring's flags needs a full fence.
 */
#define virtio_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define virtio_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define virtio_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* ---- the driver's view ---- */

/* Per head descriptor of a chain the device holds. */
struct vring_desc_state {
	void *token;		/* the caller's, returned by get_buf; NULL: not a head in use */
	u16 ndesc;		/* ring descriptors the chain takes (1 when indirect) */
	u16 next;		/* the free list and chains, privately (the table's copy is the device's) */
};

struct virtqueue {
	unsigned int index;	/* the queue's number on the device */
	u16 num;		/* entries (a power of two) */
	bool use_indirect;	/* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	phys_addr_t desc_phys, avail_phys, used_phys;
	void *ring;		/* the block from the caller (vring_size(num) bytes) */

	u16 free_head;		/* first free descriptor (linked through state[].next) */
	u16 num_free;
	u16 avail_idx;		/* next available index to publish (avail->idx shadow) */
	u16 last_used_idx;	/* next used element to look at */
	u16 num_added;		/* chains published since the last kick_prepare */
	/*
	 * The device broke the ring's rules (a used id that is not a head it
	 * holds, more used elements than chains outstanding): nothing more is
	 * taken from or added to the ring until virtqueue_reset().
	 */
	const char *broken;

	/* counters, for tests and the log */
	unsigned long nr_added, nr_indirect, nr_completed;
	u16 min_num_free;	/* low-water mark of num_free since init */

	struct vring_desc_state state[];	/* num entries, by head */
};

/* Bytes to allocate for a struct virtqueue of @num entries (the state array included). */
static inline size_t virtqueue_struct_size(unsigned int num)
{
	return sizeof(struct virtqueue) + (size_t)num * sizeof(struct vring_desc_state);
}

/*
 * Set up @vq (virtqueue_struct_size(num) bytes) over @ring, vring_size(num)
 * bytes of zeroed-here memory at physical @ring_phys (16-byte aligned):
 * every descriptor free, indices 0. @num must satisfy vring_num_ok()
 * (the caller checked the device's value). Never fails, never sleeps.
 */
void virtqueue_init(struct virtqueue *vq, unsigned int index, u16 num, void *ring,
		    phys_addr_t ring_phys, bool use_indirect);

/*
 * Forget every chain and zero the ring, as after a device reset (the
 * caller has taken the outstanding tokens with virtqueue_detach_unused()).
 * Clears `broken`.
 */
void virtqueue_reset(struct virtqueue *vq);

/* Fill one entry of a buffer list: @len bytes at @addr, written by the device if @device_writes. */
static inline void vring_desc_set(struct vring_desc *d, phys_addr_t addr, u32 len,
				  bool device_writes)
{
	d->addr = addr;
	d->len = len;
	d->flags = device_writes ? VRING_DESC_F_WRITE : 0;
	d->next = 0;
}

/*
 * Offer the @n buffers of @list (device-readable ones first) to the device
 * as one chain, remembered with @token (non-NULL), and publish it in the
 * available ring (the device may start on it at once; notify it after
 * virtqueue_kick_prepare()). With indirect descriptors negotiated, @n > 1
 * and @list_phys non-zero, @list itself becomes the indirect table (its
 * flags and next fields are rewritten) and the chain takes one ring
 * descriptor; otherwise @list is copied into @n ring descriptors.
 * Returns 0; -ENOSPC when the ring lacks free descriptors (try again
 * after a completion); -EINVAL for @n == 0, @n above the queue size (the
 * spec's limit on any chain, indirect or not), a NULL token or a
 * zero-length buffer; -EIO when the ring is broken. Never sleeps.
 */
int virtqueue_add(struct virtqueue *vq, struct vring_desc *list, phys_addr_t list_phys,
		  unsigned int n, void *token);

/*
 * After adding: order the published index before what follows and say
 * whether the device wants a notification (it has not set
 * VRING_USED_F_NO_NOTIFY). Resets the count of chains added. The caller
 * notifies through its transport.
 */
bool virtqueue_kick_prepare(struct virtqueue *vq);

/* Has the device finished a chain we have not taken yet? */
bool virtqueue_more_used(const struct virtqueue *vq);

/*
 * Take the next chain the device finished: returns its token (and the
 * bytes the device wrote in *len) and frees its descriptors, or NULL when
 * there is none. A used element naming a descriptor that is not the head
 * of a chain the device holds, or a used index that runs ahead of what
 * was offered, marks the ring broken (vq->broken says why) and returns
 * NULL: the caller resets the device.
 */
void *virtqueue_get_buf(struct virtqueue *vq, u32 *len);

/*
 * After the device has been reset: take the token of one chain it still
 * held and free its descriptors, or NULL when none is left. Use until
 * NULL, then virtqueue_reset().
 */
void *virtqueue_detach_unused(struct virtqueue *vq);

/* Chains the device holds now. */
static inline unsigned int virtqueue_nr_outstanding(const struct virtqueue *vq)
{
	return (u16)(vq->avail_idx - vq->last_used_idx);
}

#endif
