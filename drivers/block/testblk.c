/*
 * testblk: RAM-backed test disks driven through the block layer's driver
 * API exactly as a hardware driver would be (include/pagoda/testblk.h).
 *
 * ->queue_rq checks the request against the disk's limits (a violation is
 * counted and fails the request), takes a slot in the "device's" command
 * table, and either does the transfer and completes at once (inline mode)
 * or leaves it for the timer interrupt or ->poll to find when it is due.
 * The transfer happens at completion time, as DMA would: an answer the
 * block layer no longer wants (stale command id) moves no data.
 *
 * Lock: tb->lock (irqsave) protects the slots, the counters and the timer;
 * it is never held while calling the block layer (completing may dispatch
 * the next request into ->queue_rq, which takes it).
 */
#include <pagoda/testblk.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/vsprintf.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/slab.h>

#define TESTBLK_DEFAULT_DEPTH	32
#define TESTBLK_DEFAULT_DELAY	(1000000ull)		/* 1 ms */

static DEFINE_MUTEX(testblk_index_lock);
static unsigned int testblk_next_index;

/* ---- the backing store ---- */

/* Copy @len bytes between @buf and the store at byte @off (to_store: direction). */
static void store_copy(struct testblk_disk *d, u64 off, void *buf, size_t len, bool to_store)
{
	u8 *b = buf;

	while (len) {
		unsigned long pg = (unsigned long)(off >> PAGE_SHIFT);
		u32 in = (u32)(off & (PAGE_SIZE - 1));
		u32 n = (u32)MIN(len, (size_t)(PAGE_SIZE - in));
		u8 *p = (u8 *)phys_to_virt(page_to_phys(d->store[pg])) + in;

		if (to_store)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		b += n;
		off += n;
		len -= n;
	}
}

void testblk_store_read(struct testblk_disk *d, u64 offset, void *buf, size_t len)
{
	store_copy(d, offset, buf, len, false);
}

void testblk_store_write(struct testblk_disk *d, u64 offset, const void *buf, size_t len)
{
	store_copy(d, offset, (void *)buf, len, true);
}

void testblk_add_bad(struct testblk_disk *d, sector_t start, sector_t nr)
{
	if (d->nr_bad < TESTBLK_MAX_BAD)
		d->bad[d->nr_bad++] = (typeof(d->bad[0])){ start, nr };
}

/* Does @rq touch a bad sector of @d? */
static bool touches_bad(const struct testblk_disk *d, const struct request *rq)
{
	sector_t s = blk_rq_pos(rq), n = blk_rq_sectors(rq);

	for (unsigned int i = 0; i < d->nr_bad; i++)
		if (s < d->bad[i].start + d->bad[i].nr && d->bad[i].start < s + n)
			return true;
	return false;
}

/* The transfer: every segment of @rq to or from the store. */
static void do_transfer(struct testblk_disk *d, struct request *rq)
{
	u64 off = blk_rq_pos(rq) << SECTOR_SHIFT;
	bool write = req_op(rq) == REQ_OP_WRITE;
	struct req_iterator it;
	struct blk_seg seg;

	if (req_op(rq) == REQ_OP_FLUSH)
		return;
	rq_for_each_segment(seg, rq, it) {
		store_copy(d, off, phys_to_virt(seg.phys), seg.len, write);
		off += seg.len;
	}
}

/* ---- what the device accepts ---- */

static bool segments_ok(const struct queue_limits *l, struct request *rq)
{
	u64 mask = l->virt_boundary_mask;
	struct req_iterator it;
	struct blk_seg seg, prev = { 0, 0 };
	unsigned int n = 0;
	u64 sum = 0;

	rq_for_each_segment(seg, rq, it) {
		if (seg.len > l->max_segment_size || ((seg.phys | seg.len) & l->dma_alignment))
			return false;
		if (n && mask && (((prev.phys + prev.len) & mask) || (seg.phys & mask)))
			return false;
		prev = seg;
		sum += seg.len;
		n++;
	}
	return n <= l->max_segments && n == rq->nr_phys_segments && sum == blk_rq_bytes(rq);
}

/* Would real hardware with @d's limits take @rq? */
static bool request_ok(struct testblk_disk *d, struct request *rq)
{
	const struct queue_limits *l = &d->disk->limits;
	u32 bytes = blk_rq_bytes(rq), spb = l->logical_block_size >> SECTOR_SHIFT;

	if (req_op(rq) == REQ_OP_FLUSH)
		return bytes == 0 && (l->features & BLK_FEAT_WRITE_CACHE);
	if (req_op(rq) == REQ_OP_WRITE && d->disk->read_only)
		return false;
	if ((rq->cmd_flags & REQ_FUA) && !(l->features & BLK_FEAT_FUA))
		return false;
	if (!bytes || bytes % l->logical_block_size || blk_rq_pos(rq) % spb ||
	    bytes > l->max_hw_sectors << SECTOR_SHIFT ||
	    blk_rq_pos(rq) + blk_rq_sectors(rq) > get_capacity(d->disk))
		return false;
	return segments_ok(l, rq);
}

/* Count @rq in @d's statistics (tb->lock held). */
static void count_request_locked(struct testblk *tb, struct testblk_disk *d,
				 struct request *rq)
{
	tb->nr_requests++;
	if (++tb->inflight > tb->max_inflight)
		tb->max_inflight = tb->inflight;
	switch (req_op(rq)) {
	case REQ_OP_READ:
		d->nr_reads++;
		break;
	case REQ_OP_WRITE:
		d->nr_writes++;
		d->nr_fua += !!(rq->cmd_flags & REQ_FUA);
		break;
	default:
		d->nr_flushes++;
		break;
	}
	if (rq->nr_phys_segments > d->max_segs_seen)
		d->max_segs_seen = rq->nr_phys_segments;
	if (blk_rq_bytes(rq) > d->max_bytes_seen)
		d->max_bytes_seen = blk_rq_bytes(rq);
}

/* ---- the device's command table ---- */

static struct testblk_slot *find_free_slot_locked(struct testblk *tb)
{
	for (unsigned int i = 0; i < tb->nr_slots; i++)
		if (!tb->slots[i].used)
			return &tb->slots[i];
	return NULL;
}

static struct testblk_slot *find_slot_locked(struct testblk *tb, u16 cmd_id)
{
	for (unsigned int i = 0; i < tb->nr_slots; i++)
		if (tb->slots[i].used && tb->slots[i].cmd_id == cmd_id)
			return &tb->slots[i];
	return NULL;
}

/* Arm the timer for the earliest due slot, if any (tb->lock held). */
static void arm_timer_locked(struct testblk *tb)
{
	u64 next = ~0ull;

	if (tb->params.completion != TESTBLK_COMPLETE_TIMER)
		return;
	for (unsigned int i = 0; i < tb->nr_slots; i++)
		if (tb->slots[i].used && tb->slots[i].due_ns < next)
			next = tb->slots[i].due_ns;
	if (next != ~0ull)
		mod_timer(&tb->timer, next);
}

/* The doorbell: the device starts every command queued so far (tb->lock held). */
static void ring_locked(struct testblk *tb)
{
	u64 now = time_ns();

	for (unsigned int i = 0; i < tb->nr_slots; i++) {
		struct testblk_slot *s = &tb->slots[i];

		if (!s->used || s->rung)
			continue;
		s->rung = true;
		s->due_ns = s->never ? ~0ull :
			    now + tb->params.completion_delay_ns + s->d->extra_delay_ns;
	}
	arm_timer_locked(tb);
}

/*
 * Finish one answered command: transfer and complete if the block layer
 * still wants it. The transfer needs the request, so it is looked up
 * first; the completion goes by command id, checked again with it.
 */
static void answer(struct testblk *tb, u16 cmd_id, struct testblk_disk *d, blk_status_t status)
{
	struct request *rq = blk_mq_cmd_id_to_rq(&tb->set, cmd_id);
	unsigned long flags;

	spin_lock_irqsave(&tb->lock, flags);
	tb->inflight--;
	if (!rq)
		tb->nr_stale++;
	spin_unlock_irqrestore(&tb->lock, flags);
	if (!rq)
		return;
	if (!status)
		do_transfer(d, rq);
	blk_mq_complete_request_id(&tb->set, cmd_id, status);
}

/*
 * Answer every command due by @now: take them out of the table under the
 * lock, then complete them without it. Returns how many.
 */
static int reap_due(struct testblk *tb, u64 now)
{
	struct testblk_slot due[16];
	unsigned int n, total = 0;
	unsigned long flags;

	do {
		n = 0;
		spin_lock_irqsave(&tb->lock, flags);
		for (unsigned int i = 0; i < tb->nr_slots && n < ARRAY_SIZE(due); i++) {
			struct testblk_slot *s = &tb->slots[i];

			if (s->used && s->due_ns <= now) {
				due[n++] = *s;
				s->used = false;
			}
		}
		arm_timer_locked(tb);
		spin_unlock_irqrestore(&tb->lock, flags);
		for (unsigned int i = 0; i < n; i++)
			answer(tb, due[i].cmd_id, due[i].d, due[i].status);
		total += n;
	} while (n == ARRAY_SIZE(due));
	return (int)total;
}

static void testblk_timer(struct timer_list *t)
{
	struct testblk *tb = container_of(t, struct testblk, timer);
	int n = reap_due(tb, time_ns());
	unsigned long flags;

	spin_lock_irqsave(&tb->lock, flags);
	tb->nr_irq_completions += n;
	spin_unlock_irqrestore(&tb->lock, flags);
}

/* ---- the driver's operations ---- */

static blk_status_t testblk_queue_rq(struct request *rq, bool last)
{
	struct testblk_disk *d = rq->disk->private_data;
	struct testblk *tb = d->tb;
	blk_status_t status = touches_bad(d, rq) ? BLK_STS_IOERR : BLK_STS_OK;
	struct testblk_slot *slot;
	unsigned long flags;

	blk_mq_start_request(rq);	/* before the "device" can answer it */
	spin_lock_irqsave(&tb->lock, flags);
	if (tb->busy_skip)
		tb->busy_skip--;
	else if (tb->busy_next) {
		tb->busy_next--;
		tb->nr_busy_said++;
		spin_unlock_irqrestore(&tb->lock, flags);
		return BLK_STS_RESOURCE;
	}
	if (!request_ok(d, rq)) {
		d->nr_violations++;
		spin_unlock_irqrestore(&tb->lock, flags);
		printk("testblk: %s: request at sector %llu (%u bytes, %u segments) breaks the limits\n",
		       d->disk->disk_name, (unsigned long long)blk_rq_pos(rq), blk_rq_bytes(rq),
		       rq->nr_phys_segments);
		return BLK_STS_IOERR;
	}
	slot = find_free_slot_locked(tb);
	if (!slot) {
		tb->nr_busy_said++;
		spin_unlock_irqrestore(&tb->lock, flags);
		return BLK_STS_RESOURCE;
	}
	count_request_locked(tb, d, rq);
	if (tb->params.completion == TESTBLK_COMPLETE_INLINE && !d->never_complete) {
		spin_unlock_irqrestore(&tb->lock, flags);
		answer(tb, blk_mq_rq_cmd_id(rq), d, status);
		return BLK_STS_OK;
	}
	*slot = (struct testblk_slot){
		.used = true, .cmd_id = blk_mq_rq_cmd_id(rq), .status = status, .d = d,
		.never = d->never_complete, .due_ns = ~0ull,
	};
	if (last) {
		tb->nr_doorbells++;
		ring_locked(tb);
	}
	spin_unlock_irqrestore(&tb->lock, flags);
	return BLK_STS_OK;
}

static void testblk_commit_rqs(struct blk_mq_tag_set *set)
{
	struct testblk *tb = container_of(set, struct testblk, set);
	unsigned long flags;

	spin_lock_irqsave(&tb->lock, flags);
	tb->nr_commits++;
	ring_locked(tb);
	spin_unlock_irqrestore(&tb->lock, flags);
}

static int testblk_poll(struct blk_mq_tag_set *set)
{
	struct testblk *tb = container_of(set, struct testblk, set);
	int n = reap_due(tb, time_ns());
	unsigned long flags;

	spin_lock_irqsave(&tb->lock, flags);
	tb->nr_polled_completions += n;
	spin_unlock_irqrestore(&tb->lock, flags);
	return n;
}

/*
 * The device answers @rq now, while its ->timeout runs; then the handler
 * takes its time, as a reset does, and uses the driver's state after it.
 */
static enum blk_eh_timer_return answer_slowly(struct testblk *tb, struct testblk_slot *slot)
{
	unsigned long flags;

	if (slot)
		answer(tb, slot->cmd_id, slot->d, slot->status);
	sleep_until_ns(time_ns() + 200 * 1000000ull);
	spin_lock_irqsave(&tb->lock, flags);
	tb->nr_timeouts_finished++;
	if (tb->params.slow_timeout_result)
		*tb->params.slow_timeout_result = tb->tearing_down ? -1 : 1;
	spin_unlock_irqrestore(&tb->lock, flags);
	return BLK_EH_DONE;
}

/* Process context (kblockd). */
static enum blk_eh_timer_return testblk_timeout(struct request *rq)
{
	struct testblk *tb = container_of(rq->set, struct testblk, set);
	enum testblk_timeout_action action = READ_ONCE(tb->timeout_action);
	struct testblk_slot *slot, taken;
	unsigned long flags;
	bool forget = action == TESTBLK_TIMEOUT_ABORT || action == TESTBLK_TIMEOUT_COMPLETE ||
		      action == TESTBLK_TIMEOUT_NONE;

	spin_lock_irqsave(&tb->lock, flags);
	tb->nr_timeouts_seen++;
	slot = find_slot_locked(tb, blk_mq_rq_cmd_id(rq));
	if (action == TESTBLK_TIMEOUT_ANSWER_SLOWLY) {
		if (slot) {
			taken = *slot;
			slot->used = false;	/* answer() counts it out of inflight */
		}
		spin_unlock_irqrestore(&tb->lock, flags);
		return answer_slowly(tb, slot ? &taken : NULL);
	}
	if (slot && forget) {
		slot->used = false;
		tb->inflight--;
	}
	if (slot && (action == TESTBLK_TIMEOUT_EXTEND || action == TESTBLK_TIMEOUT_LEAVE)) {
		slot->rung = true;
		slot->never = false;
		slot->due_ns = time_ns() + tb->params.completion_delay_ns + slot->d->extra_delay_ns;
	}
	arm_timer_locked(tb);
	spin_unlock_irqrestore(&tb->lock, flags);
	switch (action) {
	case TESTBLK_TIMEOUT_EXTEND:
		return BLK_EH_RESET_TIMER;
	case TESTBLK_TIMEOUT_COMPLETE:
		blk_mq_complete_request(rq, BLK_STS_IOERR);
		return BLK_EH_DONE;
	default:
		return BLK_EH_FAIL;
	}
}

static const struct blk_mq_ops testblk_ops = {
	.queue_rq = testblk_queue_rq,
	.commit_rqs = testblk_commit_rqs,
	.timeout = testblk_timeout,
	.poll = testblk_poll,
};

static const struct blk_mq_ops testblk_ops_nopoll = {
	.queue_rq = testblk_queue_rq,
	.commit_rqs = testblk_commit_rqs,
	.timeout = testblk_timeout,
};

/* ---- creating and destroying ---- */

static void free_store(struct testblk_disk *d)
{
	for (unsigned long i = 0; d->store && i < d->nr_store_pages; i++)
		if (d->store[i])
			free_pages(d->store[i], 0);
	kfree(d->store);
}

static int alloc_store(struct testblk_disk *d, const struct testblk_params *p)
{
	d->nr_store_pages = (unsigned long)DIV_ROUND_UP(p->capacity, PAGE_SIZE);
	d->store = kzalloc(d->nr_store_pages * sizeof(*d->store), GFP_KERNEL);
	if (!d->store)
		return -ENOMEM;
	for (unsigned long i = 0; i < d->nr_store_pages; i++) {
		d->store[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
		if (!d->store[i])
			return -ENOMEM;
	}
	d->capacity = p->capacity;
	if (p->image)
		store_copy(d, 0, (void *)p->image, MIN(p->image_len, (size_t)p->capacity), true);
	return 0;
}

static void free_disk(struct testblk_disk *d)
{
	if (d->disk)
		put_disk(d->disk);
	free_store(d);
	kfree(d);
}

static void name_disk(struct gendisk *disk, const struct testblk_params *p)
{
	if (p->name) {
		strncpy(disk->disk_name, p->name, BDEVNAME_SIZE - 1);
		return;
	}
	mutex_lock(&testblk_index_lock);
	snprintf(disk->disk_name, BDEVNAME_SIZE, "testblk%u", testblk_next_index++);
	mutex_unlock(&testblk_index_lock);
}

struct testblk_disk *testblk_add_disk(struct testblk *tb, const struct testblk_params *p,
				      int *err)
{
	struct testblk_disk *d;

	*err = -ENOSPC;
	if (tb->nr_disks == TESTBLK_MAX_DISKS)
		return NULL;
	*err = -ENOMEM;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	d->tb = tb;
	*err = p->capacity ? alloc_store(d, p) : -EINVAL;
	if (*err)
		goto fail;
	d->disk = blk_mq_alloc_disk(&tb->set, &p->limits, d, err);
	if (!d->disk)
		goto fail;
	name_disk(d->disk, p);
	set_capacity(d->disk, p->capacity >> SECTOR_SHIFT);
	set_disk_ro(d->disk, p->read_only);
	if (p->timeout_ns)
		blk_queue_rq_timeout(d->disk, p->timeout_ns);
	*err = add_disk(d->disk);
	if (*err)
		goto fail;
	tb->disks[tb->nr_disks++] = d;
	return d;
fail:
	free_disk(d);
	return NULL;
}

struct testblk *testblk_create(const struct testblk_params *p, int *err)
{
	struct testblk *tb = kzalloc(sizeof(*tb), GFP_KERNEL);

	*err = -ENOMEM;
	if (!tb)
		return NULL;
	tb->params = *p;
	if (!tb->params.queue_depth)
		tb->params.queue_depth = TESTBLK_DEFAULT_DEPTH;
	if (!tb->params.completion_delay_ns)
		tb->params.completion_delay_ns = TESTBLK_DEFAULT_DELAY;
	spin_lock_init(&tb->lock);
	timer_setup(&tb->timer, testblk_timer);
	tb->nr_slots = 2 * tb->params.queue_depth + 2;
	tb->slots = kzalloc(tb->nr_slots * sizeof(*tb->slots), GFP_KERNEL);
	if (!tb->slots)
		goto fail;
	tb->set.ops = p->poll ? &testblk_ops : &testblk_ops_nopoll;
	tb->set.queue_depth = tb->params.queue_depth;
	tb->set.name = "testblk";
	tb->set.driver_data = tb;
	*err = blk_mq_alloc_tag_set(&tb->set);
	if (*err)
		goto fail;
	if (!testblk_add_disk(tb, p, err)) {
		blk_mq_free_tag_set(&tb->set);
		goto fail;
	}
	return tb;
fail:
	kfree(tb->slots);
	kfree(tb);
	return NULL;
}

/*
 * Commands the device still holds for @tb's disks when they go: answer
 * them now (as a device reset would), so del_gendisk's wait ends.
 */
static void abort_all_slots(struct testblk *tb)
{
	unsigned long flags;

	spin_lock_irqsave(&tb->lock, flags);
	for (unsigned int i = 0; i < tb->nr_slots; i++)
		if (tb->slots[i].used) {
			tb->slots[i].rung = true;
			tb->slots[i].due_ns = 0;
		}
	spin_unlock_irqrestore(&tb->lock, flags);
	reap_due(tb, ~0ull);
}

void testblk_destroy(struct testblk *tb)
{
	for (unsigned int i = 0; i < tb->nr_disks; i++) {
		tb->disks[i]->never_complete = false;
		abort_all_slots(tb);
		del_gendisk(tb->disks[i]->disk);
	}
	WRITE_ONCE(tb->tearing_down, true);
	del_timer(&tb->timer);
	abort_all_slots(tb);
	for (unsigned int i = 0; i < tb->nr_disks; i++)
		free_disk(tb->disks[i]);
	blk_mq_free_tag_set(&tb->set);
	kfree(tb->slots);
	kfree(tb);
}
