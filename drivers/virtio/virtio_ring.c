/*
 * Split virtqueues, the driver's side (include/pagoda/virtio_ring.h;
 * docs/virtio.md). Host-compilable: no MMIO, no allocation, no lock.
 *
 * Free descriptors form a list starting at free_head, linked through
 * state[].next: a private copy of the links, so that nothing the driver
 * walks lives in memory the device can write. A direct chain takes
 * descriptors off the front of that list in order and links them with
 * F_NEXT (copying the links into the table); an indirect chain takes one.
 * When a chain comes back, its state[head].ndesc descriptors are walked
 * from the head and put back at the front of the list.
 *
 * Indices: avail_idx and last_used_idx are free-running 16-bit counters,
 * as the ring's own idx fields are; an entry's slot is idx & (num - 1),
 * and differences are taken in u16 so the wrap at 65536 is invisible.
 */
#include <pagoda/virtio_ring.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>

void virtqueue_reset(struct virtqueue *vq)
{
	memset(vq->ring, 0, vring_size(vq->num));
	memset(vq->state, 0, vq->num * sizeof(vq->state[0]));
	for (unsigned int i = 0; i < vq->num; i++)
		vq->state[i].next = (u16)((i + 1) & (vq->num - 1));
	vq->free_head = 0;
	vq->num_free = vq->num;
	vq->min_num_free = vq->num;
	vq->avail_idx = 0;
	vq->last_used_idx = 0;
	vq->num_added = 0;
	vq->broken = NULL;
}

void virtqueue_init(struct virtqueue *vq, unsigned int index, u16 num, void *ring,
		    phys_addr_t ring_phys, bool use_indirect)
{
	vq->index = index;
	vq->num = num;
	vq->use_indirect = use_indirect;
	vq->ring = ring;
	vq->desc = ring;
	vq->avail = (struct vring_avail *)((u8 *)ring + vring_avail_offset(num));
	vq->used = (struct vring_used *)((u8 *)ring + vring_used_offset(num));
	vq->desc_phys = ring_phys;
	vq->avail_phys = ring_phys + vring_avail_offset(num);
	vq->used_phys = ring_phys + vring_used_offset(num);
	vq->nr_added = vq->nr_indirect = vq->nr_completed = 0;
	virtqueue_reset(vq);
}

/* Take @n descriptors off the free list; returns the first. Caller checked num_free. */
static u16 take_descs(struct virtqueue *vq, unsigned int n)
{
	u16 head = vq->free_head, last = head;

	for (unsigned int i = 1; i < n; i++)
		last = vq->state[last].next;
	vq->free_head = vq->state[last].next;
	vq->num_free -= (u16)n;
	if (vq->num_free < vq->min_num_free)
		vq->min_num_free = vq->num_free;
	return head;
}

/* Link @list[0..n) into an indirect table: entries chained in order. */
static void make_table(struct vring_desc *list, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		list[i].flags &= VRING_DESC_F_WRITE;
		list[i].next = 0;
		if (i + 1 < n) {
			list[i].flags |= VRING_DESC_F_NEXT;
			list[i].next = (u16)(i + 1);
		}
	}
}

/* Copy @list[0..n) into the chain of ring descriptors starting at @head. */
static void fill_chain(struct virtqueue *vq, u16 head, const struct vring_desc *list,
		       unsigned int n)
{
	u16 i = head;

	for (unsigned int k = 0; k < n; k++) {
		struct vring_desc *d = &vq->desc[i];

		d->addr = list[k].addr;
		d->len = list[k].len;
		d->flags = list[k].flags & VRING_DESC_F_WRITE;
		d->next = 0;
		if (k + 1 < n) {
			d->flags |= VRING_DESC_F_NEXT;
			d->next = vq->state[i].next;
		}
		i = vq->state[i].next;
	}
}

/* Is every buffer of @list non-empty? (2.6.5: a zero-length buffer is meaningless) */
static bool list_ok(const struct vring_desc *list, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++)
		if (!list[k].len)
			return false;
	return true;
}

int virtqueue_add(struct virtqueue *vq, struct vring_desc *list, phys_addr_t list_phys,
		  unsigned int n, void *token)
{
	bool indirect = vq->use_indirect && n > 1 && list_phys;
	unsigned int need = indirect ? 1 : n;
	u16 head;

	if (vq->broken)
		return -EIO;
	if (!n || n > vq->num || !token || !list_ok(list, n))
		return -EINVAL;
	if (vq->num_free < need)
		return -ENOSPC;
	head = take_descs(vq, need);
	if (indirect) {
		make_table(list, n);
		vq->desc[head].addr = list_phys;
		vq->desc[head].len = (u32)(n * sizeof(struct vring_desc));
		vq->desc[head].flags = VRING_DESC_F_INDIRECT;
		vq->nr_indirect++;
	} else {
		fill_chain(vq, head, list, n);
	}
	vq->state[head].token = token;
	vq->state[head].ndesc = (u16)need;

	/* The descriptors and the ring entry before the index that publishes them. */
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	virtio_wmb();
	vq->avail_idx++;
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	vq->num_added++;
	vq->nr_added++;
	return 0;
}

bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	bool notify;

	/* The published index must be visible before we read the device's flags. */
	virtio_mb();
	notify = !(READ_ONCE(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	vq->num_added = 0;
	return notify;
}

bool virtqueue_more_used(const struct virtqueue *vq)
{
	return !vq->broken && vq->last_used_idx != READ_ONCE(vq->used->idx);
}

/* Put the chain at @head back on the free list; returns its token. */
static void *detach_chain(struct virtqueue *vq, u16 head)
{
	void *token = vq->state[head].token;
	u16 n = vq->state[head].ndesc, last = head;

	for (u16 k = 1; k < n; k++)
		last = vq->state[last].next;
	vq->state[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += n;
	vq->state[head].token = NULL;
	vq->state[head].ndesc = 0;
	return token;
}

void *virtqueue_get_buf(struct virtqueue *vq, u32 *len)
{
	u16 used_idx, slot;
	u32 id;

	if (!virtqueue_more_used(vq))
		return NULL;
	used_idx = READ_ONCE(vq->used->idx);
	if ((u16)(used_idx - vq->last_used_idx) > virtqueue_nr_outstanding(vq)) {
		vq->broken = "used index ahead of the chains offered";
		return NULL;
	}
	virtio_rmb();	/* the element after the index that says it is there */
	slot = vq->last_used_idx & (vq->num - 1);
	id = READ_ONCE(vq->used->ring[slot].id);
	if (id >= vq->num || !vq->state[id].token) {
		vq->broken = "used element names no chain the device holds";
		return NULL;
	}
	if (len)
		*len = READ_ONCE(vq->used->ring[slot].len);
	vq->last_used_idx++;
	vq->nr_completed++;
	return detach_chain(vq, (u16)id);
}

void *virtqueue_detach_unused(struct virtqueue *vq)
{
	for (unsigned int i = 0; i < vq->num; i++)
		if (vq->state[i].token)
			return detach_chain(vq, (u16)i);
	return NULL;
}
