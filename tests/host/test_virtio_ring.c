/*
 * Host tests of the split virtqueue (drivers/virtio/virtio_ring.c) under
 * ASan and UBSan, with the test playing the device: it reads the
 * available ring and walks each chain (direct or through an indirect
 * table) exactly as the specification says a device does, checks every
 * rule a device would rely on, and answers through the used ring in any
 * order. In these tests a "physical" address is the host pointer itself.
 */
#include <pagoda/virtio_ring.h>
#include <pagoda/errno.h>
#include "ktap.h"
#include <stdlib.h>
#include <string.h>

#define MAX_BUFS	64

/* One chain as the device saw it. */
struct seen_chain {
	u16 head;
	bool indirect;
	unsigned int n;
	struct vring_desc buf[MAX_BUFS];
};

struct fake_dev {
	struct virtqueue *vq;
	u16 last_avail;
	unsigned int rule_breaks;	/* descriptors a real device would reject */
};

static struct virtqueue *vq_new(u16 num, bool indirect)
{
	struct virtqueue *vq = calloc(1, virtqueue_struct_size(num));
	void *ring = aligned_alloc(16, ALIGN_UP(vring_size(num), (size_t)16));

	if (!vq || !ring)
		abort();
	memset(ring, 0xa5, vring_size(num));	/* init must clear it */
	virtqueue_init(vq, 0, num, ring, (uintptr_t)ring, indirect);
	return vq;
}

static void vq_free(struct virtqueue *vq)
{
	free(vq->ring);
	free(vq);
}

/* Walk the descriptors of one chain from @d (a table of @max entries) into @c. */
static void walk(struct fake_dev *dev, const struct vring_desc *table, u16 first,
		 unsigned int max, struct seen_chain *c)
{
	bool writable_seen = false;
	u16 i = first;

	for (;;) {
		const struct vring_desc *d;

		if (i >= max || c->n >= MAX_BUFS || c->n >= max) {
			dev->rule_breaks++;	/* out of the table, or a loop */
			return;
		}
		d = &table[i];
		if (d->flags & VRING_DESC_F_INDIRECT)
			dev->rule_breaks++;	/* nested or chained indirect */
		if (d->flags & VRING_DESC_F_WRITE)
			writable_seen = true;
		else if (writable_seen)
			dev->rule_breaks++;	/* readable after writable */
		c->buf[c->n++] = *d;
		if (!(d->flags & VRING_DESC_F_NEXT))
			return;
		i = d->next;
	}
}

/* Take the next chain the driver offered, as a device does. False if none. */
static bool dev_pop(struct fake_dev *dev, struct seen_chain *c)
{
	struct virtqueue *vq = dev->vq;
	const struct vring_desc *head;

	if (dev->last_avail == vq->avail->idx)
		return false;
	memset(c, 0, sizeof(*c));
	c->head = vq->avail->ring[dev->last_avail++ & (vq->num - 1)];
	if (c->head >= vq->num) {
		dev->rule_breaks++;
		return false;
	}
	head = &vq->desc[c->head];
	if (head->flags & VRING_DESC_F_INDIRECT) {
		c->indirect = true;
		if ((head->flags & VRING_DESC_F_NEXT) || !head->len ||
		    head->len % sizeof(struct vring_desc) || head->addr % 16)
			dev->rule_breaks++;
		walk(dev, (const struct vring_desc *)(uintptr_t)head->addr, 0,
		     head->len / sizeof(struct vring_desc), c);
		return true;
	}
	walk(dev, vq->desc, c->head, vq->num, c);
	return true;
}

static void dev_complete(struct fake_dev *dev, u16 head, u32 len)
{
	struct vring_used *used = dev->vq->used;

	used->ring[used->idx & (dev->vq->num - 1)] = (struct vring_used_elem){ head, len };
	used->idx++;
}

/* A list of @n buffers, the last @in of them device-writable, at distinct fake addresses. */
static void make_list(struct vring_desc *list, unsigned int n, unsigned int in, u64 tag)
{
	for (unsigned int i = 0; i < n; i++)
		vring_desc_set(&list[i], tag << 20 | (u64)i << 12, 512 * (i + 1), i >= n - in);
}

static bool same_bufs(const struct seen_chain *c, const struct vring_desc *list, unsigned int n)
{
	if (c->n != n)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (c->buf[i].addr != list[i].addr || c->buf[i].len != list[i].len ||
		    (c->buf[i].flags & VRING_DESC_F_WRITE) != (list[i].flags & VRING_DESC_F_WRITE))
			return false;
	return true;
}

static int tokens[1024];
#define TOKEN(i)	((void *)&tokens[i])

/* ---- cases ---- */

static void t_layout_follows_the_spec_alignments(void)
{
	struct virtqueue *vq = vq_new(256, false);

	KT_EXPECT_EQ(vring_avail_offset(256), 4096);
	KT_EXPECT_EQ(vring_used_offset(256), 4616);	/* 4096 + 6 + 512, rounded up to 4 */
	KT_EXPECT_EQ(vring_size(256), 4616 + 6 + 8 * 256);
	KT_EXPECT_EQ(vring_used_offset(1) % 4, 0);
	KT_EXPECT_EQ(vring_used_offset(2) % 4, 0);
	KT_EXPECT_EQ(vq->avail_phys, vq->desc_phys + 4096);
	KT_EXPECT_EQ(vq->used_phys % 4, 0);
	KT_EXPECT_EQ(vq->num_free, 256);
	KT_EXPECT_EQ(vq->avail->idx, 0);
	KT_EXPECT_EQ(vq->used->idx, 0);
	KT_EXPECT_EQ(vq->avail->flags, 0);
	KT_EXPECT(vring_num_ok(1) && vring_num_ok(32768) && vring_num_ok(256));
	KT_EXPECT(!vring_num_ok(0) && !vring_num_ok(3) && !vring_num_ok(65536) &&
		  !vring_num_ok(100));
	vq_free(vq);
}

static void t_direct_chain_takes_one_descriptor_per_buffer(void)
{
	struct virtqueue *vq = vq_new(8, false);
	struct fake_dev dev = { vq, 0, 0 };
	struct vring_desc list[3];
	struct seen_chain c;
	u32 len = 0;

	make_list(list, 3, 2, 1);
	KT_ASSERT(virtqueue_add(vq, list, (uintptr_t)list, 3, TOKEN(1)) == 0);
	KT_EXPECT_EQ(vq->num_free, 5);
	KT_EXPECT_EQ(vq->avail->idx, 1);
	KT_EXPECT(!virtqueue_more_used(vq));
	KT_ASSERT(dev_pop(&dev, &c));
	KT_EXPECT(!c.indirect);
	KT_EXPECT(same_bufs(&c, list, 3));
	KT_EXPECT_EQ(c.buf[0].flags, VRING_DESC_F_NEXT);
	KT_EXPECT_EQ(c.buf[1].flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	KT_EXPECT_EQ(c.buf[2].flags, VRING_DESC_F_WRITE);
	KT_EXPECT_EQ(dev.rule_breaks, 0);
	KT_EXPECT(virtqueue_get_buf(vq, &len) == NULL);
	dev_complete(&dev, c.head, 1537);
	KT_EXPECT(virtqueue_more_used(vq));
	KT_EXPECT(virtqueue_get_buf(vq, &len) == TOKEN(1));
	KT_EXPECT_EQ(len, 1537);
	KT_EXPECT_EQ(vq->num_free, 8);
	KT_EXPECT(virtqueue_get_buf(vq, &len) == NULL);
	KT_EXPECT_EQ(vq->nr_indirect, 0);
	vq_free(vq);
}

static void t_chain_that_does_not_fit_gets_enospc_and_takes_nothing(void)
{
	struct virtqueue *vq = vq_new(8, false);
	struct fake_dev dev = { vq, 0, 0 };
	struct vring_desc a[5], b[4], big[9];
	struct seen_chain c;

	make_list(a, 5, 1, 1);
	make_list(b, 4, 1, 2);
	make_list(big, 9, 1, 3);
	KT_ASSERT(virtqueue_add(vq, a, 0, 5, TOKEN(1)) == 0);
	KT_EXPECT_EQ(virtqueue_add(vq, b, 0, 4, TOKEN(2)), -ENOSPC);
	KT_EXPECT_EQ(vq->num_free, 3);
	KT_EXPECT_EQ(vq->avail->idx, 1);
	KT_EXPECT_EQ(virtqueue_add(vq, big, 0, 9, TOKEN(3)), -EINVAL);	/* longer than the queue */
	KT_ASSERT(dev_pop(&dev, &c));
	dev_complete(&dev, c.head, 0);
	KT_EXPECT(virtqueue_get_buf(vq, NULL) == TOKEN(1));
	KT_ASSERT(virtqueue_add(vq, b, 0, 4, TOKEN(2)) == 0);
	KT_ASSERT(dev_pop(&dev, &c));
	KT_EXPECT(same_bufs(&c, b, 4));
	KT_EXPECT_EQ(dev.rule_breaks, 0);
	vq_free(vq);
}

static void t_indirect_chain_takes_one_ring_descriptor(void)
{
	struct virtqueue *vq = vq_new(4, true);
	struct fake_dev dev = { vq, 0, 0 };
	struct vring_desc lists[5][4], one[1];
	struct seen_chain c;

	for (unsigned int i = 0; i < 4; i++) {
		make_list(lists[i], 4, 3, i);
		KT_ASSERT(virtqueue_add(vq, lists[i], (uintptr_t)lists[i], 4, TOKEN(i)) == 0);
	}
	KT_EXPECT_EQ(vq->num_free, 0);
	KT_EXPECT_EQ(vq->nr_indirect, 4);
	make_list(lists[4], 4, 1, 4);
	KT_EXPECT_EQ(virtqueue_add(vq, lists[4], (uintptr_t)lists[4], 4, TOKEN(4)), -ENOSPC);
	for (unsigned int i = 0; i < 4; i++) {
		struct vring_desc *head;

		KT_ASSERT(dev_pop(&dev, &c));
		head = &vq->desc[c.head];
		KT_EXPECT(c.indirect);
		KT_EXPECT_EQ(head->flags, VRING_DESC_F_INDIRECT);
		KT_EXPECT_EQ(head->len, 4 * sizeof(struct vring_desc));
		KT_EXPECT_EQ(head->addr, (uintptr_t)lists[i]);
		KT_EXPECT(same_bufs(&c, lists[i], 4));
		KT_EXPECT_EQ(lists[i][0].flags, VRING_DESC_F_NEXT);	/* the table is linked */
		KT_EXPECT_EQ(lists[i][3].flags, VRING_DESC_F_WRITE);
		dev_complete(&dev, c.head, 4);
	}
	KT_EXPECT_EQ(dev.rule_breaks, 0);
	for (unsigned int i = 0; i < 4; i++)
		KT_EXPECT(virtqueue_get_buf(vq, NULL) == TOKEN(i));
	KT_EXPECT_EQ(vq->num_free, 4);
	/* one buffer, or no table address: a direct descriptor */
	make_list(one, 1, 1, 9);
	KT_ASSERT(virtqueue_add(vq, one, (uintptr_t)one, 1, TOKEN(9)) == 0);
	KT_ASSERT(dev_pop(&dev, &c));
	KT_EXPECT(!c.indirect);
	KT_EXPECT(same_bufs(&c, one, 1));
	KT_ASSERT(virtqueue_add(vq, lists[4], 0, 3, TOKEN(10)) == 0);
	KT_ASSERT(dev_pop(&dev, &c));
	KT_EXPECT(!c.indirect);
	KT_EXPECT_EQ(vq->num_free, 0);
	vq_free(vq);
}

/* Check the free list by taking every descriptor in one chain and walking it. */
static bool free_list_whole(struct virtqueue *vq, struct fake_dev *dev)
{
	static struct vring_desc list[1024];
	struct seen_chain c;
	bool ok;

	if (vq->num_free != vq->num || vq->num > MAX_BUFS)
		return false;
	make_list(list, vq->num, 0, 7);
	if (virtqueue_add(vq, list, 0, vq->num, TOKEN(1000)))
		return false;
	ok = dev_pop(dev, &c) && same_bufs(&c, list, vq->num);
	dev_complete(dev, c.head, 0);
	return virtqueue_get_buf(vq, NULL) == TOKEN(1000) && ok;
}

static void t_out_of_order_completions_free_the_right_chains(void)
{
	struct virtqueue *vq = vq_new(16, false);
	struct fake_dev dev = { vq, 0, 0 };
	static struct vring_desc lists[5][6];
	struct seen_chain c[5];
	const unsigned int sizes[5] = { 1, 3, 2, 6, 4 }, order[5] = { 3, 0, 4, 1, 2 };

	for (unsigned int i = 0; i < 5; i++) {
		make_list(lists[i], sizes[i], 1, i);
		KT_ASSERT(virtqueue_add(vq, lists[i], 0, sizes[i], TOKEN(i)) == 0);
	}
	KT_EXPECT_EQ(vq->num_free, 0);
	for (unsigned int i = 0; i < 5; i++) {
		KT_ASSERT(dev_pop(&dev, &c[i]));
		KT_EXPECT(same_bufs(&c[i], lists[i], sizes[i]));
	}
	for (unsigned int k = 0; k < 5; k++)
		dev_complete(&dev, c[order[k]].head, order[k]);
	for (unsigned int k = 0; k < 5; k++) {
		u32 len = ~0u;

		KT_EXPECT(virtqueue_get_buf(vq, &len) == TOKEN(order[k]));
		KT_EXPECT_EQ(len, order[k]);
	}
	KT_EXPECT_EQ(dev.rule_breaks, 0);
	KT_EXPECT(free_list_whole(vq, &dev));
	vq_free(vq);
}

static u32 rnd_state = 12345;

static u32 rnd(u32 n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

/* Random adds and out-of-order completions across the 16-bit wrap of both indices. */
static void wrap_run(bool indirect)
{
	struct virtqueue *vq = vq_new(8, indirect);
	struct fake_dev dev = { vq, 0, 0 };
	static struct vring_desc lists[8][8];
	struct seen_chain held[8];
	bool busy[8] = { false };
	unsigned int nheld = 0, added = 0, done = 0, mismatches = 0;

	while (done < 70000) {
		unsigned int slot = rnd(8);

		if (!busy[slot] && added < 70000) {
			unsigned int n = 1 + rnd(indirect ? 8 : 3);

			make_list(lists[slot], n, rnd(n + 1), slot);
			if (virtqueue_add(vq, lists[slot], (uintptr_t)lists[slot], n,
					  TOKEN(slot)) == 0) {
				busy[slot] = true;
				added++;
				if (!dev_pop(&dev, &held[nheld]) ||
				    !same_bufs(&held[nheld], lists[slot], n))
					mismatches++;
				nheld++;
			}
		}
		if (nheld && (rnd(2) || added == 70000)) {
			unsigned int k = rnd(nheld);
			void *tok;

			dev_complete(&dev, held[k].head, held[k].n);
			held[k] = held[--nheld];
			tok = virtqueue_get_buf(vq, NULL);
			if (!tok) {
				mismatches++;
				break;
			}
			busy[(int *)tok - tokens] = false;
			done++;
		}
	}
	KT_EXPECT_EQ(mismatches, 0);
	KT_EXPECT_EQ(dev.rule_breaks, 0);
	KT_EXPECT_EQ(done, 70000);
	KT_EXPECT_EQ(vq->avail->idx, (u16)70000);
	KT_EXPECT_EQ(vq->last_used_idx, (u16)70000);
	KT_EXPECT(!vq->broken);
	KT_EXPECT(free_list_whole(vq, &dev));
	vq_free(vq);
}

static void t_indices_wrap_past_65535_direct(void)
{
	wrap_run(false);
}

static void t_indices_wrap_past_65535_indirect(void)
{
	wrap_run(true);
}

static void t_used_id_not_a_head_breaks_the_ring(void)
{
	struct virtqueue *vq = vq_new(8, false);
	struct fake_dev dev = { vq, 0, 0 };
	struct vring_desc list[3];
	struct seen_chain c;

	make_list(list, 3, 1, 1);
	KT_ASSERT(virtqueue_add(vq, list, 0, 3, TOKEN(1)) == 0);
	KT_ASSERT(dev_pop(&dev, &c));
	dev_complete(&dev, (u16)(c.head + 1), 0);	/* the second descriptor, not the head */
	KT_EXPECT(virtqueue_get_buf(vq, NULL) == NULL);
	KT_EXPECT(vq->broken != NULL);
	KT_EXPECT_EQ(vq->num_free, 5);			/* nothing freed on a lie */
	KT_EXPECT_EQ(virtqueue_add(vq, list, 0, 3, TOKEN(2)), -EIO);
	KT_EXPECT(!virtqueue_more_used(vq));
	/* what a reset does: take back what the device held, start again */
	KT_EXPECT(virtqueue_detach_unused(vq) == TOKEN(1));
	KT_EXPECT(virtqueue_detach_unused(vq) == NULL);
	virtqueue_reset(vq);
	KT_EXPECT(!vq->broken);
	dev.last_avail = 0;
	KT_EXPECT(free_list_whole(vq, &dev));

	make_list(list, 1, 1, 2);
	KT_ASSERT(virtqueue_add(vq, list, 0, 1, TOKEN(3)) == 0);
	dev_complete(&dev, 200, 0);			/* outside the table */
	KT_EXPECT(virtqueue_get_buf(vq, NULL) == NULL);
	KT_EXPECT(vq->broken != NULL);
	vq_free(vq);
}

static void t_used_index_running_ahead_breaks_the_ring(void)
{
	struct virtqueue *vq = vq_new(8, false);
	struct vring_desc list[1];

	make_list(list, 1, 1, 1);
	KT_ASSERT(virtqueue_add(vq, list, 0, 1, TOKEN(1)) == 0);
	vq->used->ring[0] = (struct vring_used_elem){ vq->avail->ring[0], 1 };
	vq->used->idx = 5;				/* five answers for one question */
	KT_EXPECT(virtqueue_get_buf(vq, NULL) == NULL);
	KT_EXPECT(vq->broken != NULL);
	KT_EXPECT_EQ(vq->last_used_idx, 0);
	vq_free(vq);
}

static void t_no_notify_flag_suppresses_the_kick(void)
{
	struct virtqueue *vq = vq_new(8, false);
	struct vring_desc list[1];

	make_list(list, 1, 0, 1);
	KT_ASSERT(virtqueue_add(vq, list, 0, 1, TOKEN(1)) == 0);
	KT_EXPECT_EQ(vq->num_added, 1);
	KT_EXPECT(virtqueue_kick_prepare(vq));
	KT_EXPECT_EQ(vq->num_added, 0);
	vq->used->flags = VRING_USED_F_NO_NOTIFY;
	KT_ASSERT(virtqueue_add(vq, list, 0, 1, TOKEN(2)) == 0);
	KT_EXPECT(!virtqueue_kick_prepare(vq));
	vq_free(vq);
}

static void t_detach_after_reset_returns_each_token_once(void)
{
	struct virtqueue *vq = vq_new(16, true);
	static struct vring_desc lists[4][5];
	bool got[4] = { false };
	void *tok;
	unsigned int n = 0;

	for (unsigned int i = 0; i < 4; i++) {
		make_list(lists[i], i + 1, 1, i);
		KT_ASSERT(virtqueue_add(vq, lists[i], i & 1 ? (uintptr_t)lists[i] : 0, i + 1,
					TOKEN(i)) == 0);
	}
	while ((tok = virtqueue_detach_unused(vq))) {
		unsigned int i = (unsigned int)((int *)tok - tokens);

		KT_EXPECT(i < 4 && !got[i]);
		if (i < 4)
			got[i] = true;
		n++;
	}
	KT_EXPECT_EQ(n, 4);
	KT_EXPECT_EQ(vq->num_free, 16);
	virtqueue_reset(vq);
	KT_EXPECT_EQ(vq->avail->idx, 0);
	KT_EXPECT_EQ(virtqueue_nr_outstanding(vq), 0);
	vq_free(vq);
}

static void t_empty_lists_and_empty_buffers_are_refused(void)
{
	struct virtqueue *vq = vq_new(8, true);
	struct vring_desc list[2];

	make_list(list, 2, 1, 1);
	KT_EXPECT_EQ(virtqueue_add(vq, list, 0, 0, TOKEN(1)), -EINVAL);
	KT_EXPECT_EQ(virtqueue_add(vq, list, 0, 2, NULL), -EINVAL);
	list[1].len = 0;
	KT_EXPECT_EQ(virtqueue_add(vq, list, (uintptr_t)list, 2, TOKEN(1)), -EINVAL);
	KT_EXPECT_EQ(vq->num_free, 8);
	KT_EXPECT_EQ(vq->avail->idx, 0);
	vq_free(vq);
}

static const struct kt_case cases[] = {
	KT_CASE(t_layout_follows_the_spec_alignments,
		"ring areas at the spec's offsets and alignments, a fresh ring all free"),
	KT_CASE(t_direct_chain_takes_one_descriptor_per_buffer,
		"a direct chain takes one descriptor per buffer and gives them back"),
	KT_CASE(t_chain_that_does_not_fit_gets_enospc_and_takes_nothing,
		"a chain that does not fit gets -ENOSPC and takes nothing"),
	KT_CASE(t_indirect_chain_takes_one_ring_descriptor,
		"an indirect chain takes one ring descriptor pointing at its linked table"),
	KT_CASE(t_out_of_order_completions_free_the_right_chains,
		"completions in any order free the right chains and keep the free list whole"),
	KT_CASE(t_indices_wrap_past_65535_direct,
		"70000 direct chains: available and used indices wrap past 65535"),
	KT_CASE(t_indices_wrap_past_65535_indirect,
		"70000 indirect chains: available and used indices wrap past 65535"),
	KT_CASE(t_used_id_not_a_head_breaks_the_ring,
		"a used element naming no outstanding head breaks the ring, a reset mends it"),
	KT_CASE(t_used_index_running_ahead_breaks_the_ring,
		"a used index running ahead of what was offered breaks the ring"),
	KT_CASE(t_no_notify_flag_suppresses_the_kick,
		"the device's NO_NOTIFY flag suppresses the notification"),
	KT_CASE(t_detach_after_reset_returns_each_token_once,
		"after a reset every outstanding token comes back once"),
	KT_CASE(t_empty_lists_and_empty_buffers_are_refused,
		"empty lists, missing tokens and zero-length buffers are refused"),
};

int main(void)
{
	return kt_run_suite("virtio_ring", cases, KT_N(cases));
}
