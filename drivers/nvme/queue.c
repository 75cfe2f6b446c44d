/*
 * NVMe queues: the rings in memory, submission through the tail doorbell,
 * completion through the phase tag and the head doorbell, and the
 * interrupt handler (docs/nvme.md).
 *
 * A submission queue and its completion queue have the same id and depth.
 * The driver never has more commands outstanding than depth - 1: the tag
 * set is two smaller than the ring (one slot stays empty so a full ring is
 * told from an empty one, one goes to the block layer's polled tag), and a
 * tag whose previous command is still at the device (iod->at_device: a
 * polled request given up on) is not used again until that command's
 * completion is reaped. So a slot is always free when a request arrives
 * and neither ring overflows.
 *
 * Reaping copies new entries out under cq_lock, writes the head doorbell
 * and drops the lock before handling them: handling may complete a
 * request, which may dispatch the next one into ->queue_rq, which takes
 * sq_lock (and the block layer's own lock). The same function serves the
 * interrupt handler, ->poll and the reset path.
 */
#include "nvme.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <asm/io.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/pmm.h>

#define NVME_REAP_BATCH		16

/* Lowest order whose block holds @bytes. */
static unsigned int order_for(size_t bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static void *ring_alloc(size_t bytes, unsigned int *order, phys_addr_t *dma)
{
	struct page *p;

	*order = order_for(bytes);
	p = alloc_pages(GFP_KERNEL | __GFP_ZERO, *order);
	if (!p)
		return NULL;
	*dma = page_to_phys(p);
	return phys_to_virt(*dma);
}

static void ring_free(void *va, unsigned int order)
{
	if (va)
		free_pages(pfn_to_page(PHYS_PFN(virt_to_phys(va))), order);
}

/*
 * Allocate @q's rings (zeroed, physically contiguous) for queue @qid of
 * @depth entries, interrupting on message @vector. The queue is not live:
 * nothing is told to the device here. 0 or -ENOMEM. Sleeps.
 */
int nvme_alloc_queue(struct nvme_ctrl *ctrl, struct nvme_queue *q, u16 qid, u16 depth,
		     u16 vector)
{
	memset(q, 0, sizeof(*q));
	q->ctrl = ctrl;
	q->qid = qid;
	q->depth = depth;
	q->vector = vector;
	q->cq_phase = 1;	/* before the ring is visible to the interrupt handler */
	spin_lock_init(&q->sq_lock);
	spin_lock_init(&q->cq_lock);
	q->sq = ring_alloc((size_t)depth << NVME_SQES_SHIFT, &q->sq_order, &q->sq_dma);
	q->cq = ring_alloc((size_t)depth << NVME_CQES_SHIFT, &q->cq_order, &q->cq_dma);
	if (!q->sq || !q->cq) {
		nvme_free_queue(q);
		return -ENOMEM;
	}
	q->sq_db = (u32 __iomem *)((u8 __iomem *)ctrl->bar + nvme_sq_doorbell(qid, ctrl->dstrd));
	q->cq_db = (u32 __iomem *)((u8 __iomem *)ctrl->bar + nvme_cq_doorbell(qid, ctrl->dstrd));
	nvme_reset_queue(q);
	return 0;
}

void nvme_free_queue(struct nvme_queue *q)
{
	ring_free(q->sq, q->sq_order);
	ring_free(q->cq, q->cq_order);
	q->sq = NULL;
	q->cq = NULL;
}

/*
 * Both rings empty and the indices at their start, as a freshly created
 * queue on the device expects. The queue must not be live. Any context.
 */
void nvme_reset_queue(struct nvme_queue *q)
{
	unsigned long flags;
	bool locked;

	locked = spin_lock_irqsave_or_try_dying(&q->sq_lock, &flags);
	q->sq_tail = 0;
	memset(q->sq, 0, (size_t)q->depth << NVME_SQES_SHIFT);
	spin_unlock_irqrestore_if(&q->sq_lock, flags, locked);
	locked = spin_lock_irqsave_or_try_dying(&q->cq_lock, &flags);
	q->cq_head = 0;
	q->cq_phase = 1;		/* the device writes phase 1 on its first pass */
	memset(q->cq, 0, (size_t)q->depth << NVME_CQES_SHIFT);
	spin_unlock_irqrestore_if(&q->cq_lock, flags, locked);
}

void nvme_queue_set_live(struct nvme_queue *q, bool live)
{
	unsigned long flags;
	bool locked = spin_lock_irqsave_or_try_dying(&q->sq_lock, &flags);

	q->live = live;
	spin_unlock_irqrestore_if(&q->sq_lock, flags, locked);
}

/* The debug knob: lose this I/O command? (sq_lock held) */
static bool drop_this_locked(struct nvme_queue *q)
{
	struct nvme_ctrl *ctrl = q->ctrl;

	if (!q->qid || !ctrl->debug.drop_cmds)
		return false;
	ctrl->debug.drop_cmds--;
	nvme_count(ctrl->nr_dropped);
	return true;
}

int nvme_submit_cmd(struct nvme_queue *q, const struct nvme_command *cmd, bool ring,
		    struct nvme_iod *iod)
{
	unsigned long flags;
	bool locked = spin_lock_irqsave_or_try_dying(&q->sq_lock, &flags);

	if (!q->live) {
		spin_unlock_irqrestore_if(&q->sq_lock, flags, locked);
		return -EAGAIN;
	}
	if (iod) {
		iod->queued = true;
		WRITE_ONCE(iod->at_device, true);
	}
	if (drop_this_locked(q)) {	/* "submitted": the device never sees it */
		spin_unlock_irqrestore_if(&q->sq_lock, flags, locked);
		return 0;
	}
	memcpy(&q->sq[q->sq_tail], cmd, sizeof(*cmd));
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	q->nr_submitted++;
	if (ring) {
		wmb();			/* the entry is in memory before the device hears of it */
		writel(q->sq_tail, q->sq_db);
	}
	spin_unlock_irqrestore_if(&q->sq_lock, flags, locked);
	return 0;
}

void nvme_ring_sq(struct nvme_queue *q)
{
	unsigned long flags;
	bool locked = spin_lock_irqsave_or_try_dying(&q->sq_lock, &flags);

	if (q->live) {
		wmb();
		writel(q->sq_tail, q->sq_db);
	}
	spin_unlock_irqrestore_if(&q->sq_lock, flags, locked);
}

/*
 * Copy up to @max new entries of @q into @out and tell the device they
 * are consumed. Returns how many.
 */
static unsigned int reap_some(struct nvme_queue *q, struct nvme_completion *out,
			      unsigned int max)
{
	unsigned long flags;
	bool locked = spin_lock_irqsave_or_try_dying(&q->cq_lock, &flags);
	unsigned int n = 0;

	while (n < max && nvme_cqe_pending(&q->cq[q->cq_head], q->cq_phase)) {
		rmb();			/* the entry's other fields after its phase tag */
		out[n++] = q->cq[q->cq_head];
		q->cq_head = nvme_cq_advance(q->cq_head, q->depth, &q->cq_phase);
	}
	if (n) {
		q->nr_reaped += n;
		writel(q->cq_head, q->cq_db);
	}
	spin_unlock_irqrestore_if(&q->cq_lock, flags, locked);
	return n;
}

int nvme_process_cq(struct nvme_queue *q)
{
	struct nvme_completion batch[NVME_REAP_BATCH];
	unsigned int n;
	int total = 0;

	if (!q->cq)
		return 0;
	do {
		n = reap_some(q, batch, NVME_REAP_BATCH);
		for (unsigned int i = 0; i < n; i++) {
			if (q->qid)
				nvme_io_complete(q->ctrl, &batch[i]);
			else
				nvme_admin_complete(q->ctrl, &batch[i]);
		}
		total += (int)n;
	} while (n == NVME_REAP_BATCH);
	return total;
}

/*
 * An interrupt message of the controller: reap the queues whose
 * completion queue signals on it (with one message, both). Interrupt
 * context.
 */
void nvme_irq(void *data)
{
	struct nvme_vector *v = data;
	struct nvme_ctrl *ctrl = v->ctrl;
	int n = 0;

	nvme_count(ctrl->nr_irqs);
	if (ctrl->adminq.vector == v->nr)
		n += nvme_process_cq(&ctrl->adminq);
	if (ctrl->ioq.cq && ctrl->ioq.vector == v->nr)
		n += nvme_process_cq(&ctrl->ioq);
	nvme_count_n(ctrl->nr_irq_cqes, (unsigned long)n);
}
