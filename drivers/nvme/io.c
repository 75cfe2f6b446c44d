/*
 * The block layer's side of the NVMe driver (include/pagoda/blk_mq.h):
 * requests become Read, Write and Flush commands on the I/O queue, and
 * completions end them.
 *
 *   ->queue_rq   builds the command in the request's own data (nvme_iod:
 *                kept for a re-issue after a reset), its PRPs in the
 *                request's own list page (allocated with the tag set: the
 *                I/O path allocates nothing), and submits it. Never sleeps;
 *                interrupts may be off (polled I/O).
 *   completion   from the interrupt handler or ->poll: the command id names
 *                the request (blk_mq_complete_request_id: an unknown or
 *                stale id is logged and dropped), the NVMe status becomes a block
 *                status; a failure gets one line of ours with the NVMe
 *                status besides the block layer's "I/O error" line.
 *   ->timeout    kblockd, process context: a lost interrupt is recovered by
 *                reaping; otherwise the controller is reset (reset.c).
 */
#include "nvme.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <mm/pmm.h>
#include <mm/arch.h>

#define NVME_LOGGED_UNKNOWN	10	/* unknown command ids logged per controller */

static struct nvme_ctrl *set_to_ctrl(struct blk_mq_tag_set *set)
{
	return set->driver_data;
}

/* A request the block layer should never have given us: say so, fail it. */
static blk_status_t nvme_bad_request(struct nvme_ns *ns, struct request *rq, const char *why)
{
	printk("%s: request at sector %llu (%u bytes, %u segments) refused: %s\n",
	       ns->disk->disk_name, (unsigned long long)blk_rq_pos(rq), blk_rq_bytes(rq),
	       rq->nr_phys_segments, why);
	return BLK_STS_IOERR;
}

/* The PRPs of @rq into @c, from its DMA segments. */
static blk_status_t nvme_map_data(struct nvme_ns *ns, struct request *rq, struct nvme_iod *iod)
{
	struct nvme_prp_builder b;
	struct req_iterator it;
	struct blk_seg seg;

	nvme_prp_init(&b, iod->prp_list, iod->prp_dma, NVME_PRP_LIST_ENTRIES);
	rq_for_each_segment(seg, rq, it) {
		int err = nvme_prp_add(&b, seg.phys, seg.len);

		if (err)
			return nvme_bad_request(ns, rq, err == -E2BIG ? "more pages than a PRP list holds"
						: "a segment breaks the PRP page rule");
	}
	if (nvme_prp_finish(&b) || b.bytes != blk_rq_bytes(rq))
		return nvme_bad_request(ns, rq, "its segments do not add up to its length");
	iod->cmd.prp1 = b.prp1;
	iod->cmd.prp2 = b.prp2;
	if (b.nr_entries > 2)
		nvme_count(ns->ctrl->nr_prp_lists);
	return BLK_STS_OK;
}

static blk_status_t nvme_setup_rw(struct nvme_ns *ns, struct request *rq, struct nvme_iod *iod)
{
	u32 bytes = blk_rq_bytes(rq), block = 1u << ns->lba_shift;
	u64 slba = blk_rq_pos(rq) >> (ns->lba_shift - SECTOR_SHIFT);
	u32 nlb = bytes >> ns->lba_shift;
	struct nvme_command *c = &iod->cmd;

	if (!nlb || nlb > 0x10000 || (bytes & (block - 1)) ||
	    (blk_rq_pos(rq) & ((block >> SECTOR_SHIFT) - 1)))
		return nvme_bad_request(ns, rq, "not whole logical blocks");
	c->opcode = req_op(rq) == REQ_OP_WRITE ? NVME_CMD_WRITE : NVME_CMD_READ;
	c->nsid = ns->nsid;
	c->cdw10 = (u32)slba;
	c->cdw11 = (u32)(slba >> 32);
	c->cdw12 = nlb - 1;
	if (req_op(rq) == REQ_OP_WRITE && (rq->cmd_flags & REQ_FUA)) {
		c->cdw12 |= NVME_RW_FUA;
		nvme_count(ns->ctrl->nr_fua);
	}
	return nvme_map_data(ns, rq, iod);
}

/* Build @rq's command in its iod. BLK_STS_OK, or why it fails now. */
static blk_status_t nvme_setup_cmd(struct nvme_ns *ns, struct request *rq, struct nvme_iod *iod)
{
	memset(&iod->cmd, 0, sizeof(iod->cmd));
	iod->cmd.command_id = blk_mq_rq_cmd_id(rq);
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		return nvme_setup_rw(ns, rq, iod);
	case REQ_OP_FLUSH:
		iod->cmd.opcode = NVME_CMD_FLUSH;
		iod->cmd.nsid = ns->nsid;
		nvme_count(ns->ctrl->nr_flushes);
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}
}

/*
 * Start @rq: BLK_STS_OK when its command is on the I/O queue (the doorbell
 * rung when @last), BLK_STS_RESOURCE while the controller is being reset
 * or the tag's previous command is still at the device (a polled request
 * given up on: its command and PRP page must not be rewritten under the
 * device; the block layer retries), BLK_STS_IOERR when it is offline or the
 * request cannot be expressed (logged). The iod is rewritten for this use
 * (queued and reissues cleared, the command built) before
 * blk_mq_start_request(): until then the block layer keeps a reset's
 * re-issue and the timeouts away from it. Any context, interrupts off
 * included; never sleeps, allocates nothing; no lock held on entry.
 */
static blk_status_t nvme_queue_rq(struct request *rq, bool last)
{
	struct nvme_ns *ns = rq->disk->private_data;
	struct nvme_ctrl *ctrl = ns->ctrl;
	struct nvme_iod *iod = blk_mq_rq_to_pdu(rq);
	blk_status_t st;

	if (READ_ONCE(ctrl->state) == NVME_CTRL_DEAD) {
		nvme_count(ctrl->nr_failed_offline);
		return BLK_STS_IOERR;
	}
	if (READ_ONCE(iod->at_device)) {	/* the tag's last command is still out */
		nvme_count(ctrl->nr_tag_busy);
		return BLK_STS_RESOURCE;
	}
	if (req_op(rq) == REQ_OP_FLUSH && !ctrl->info.vwc) {
		blk_mq_complete_request(rq, BLK_STS_OK);	/* nothing volatile to write back */
		return BLK_STS_OK;
	}
	iod->queued = false;
	iod->reissues = 0;
	st = nvme_setup_cmd(ns, rq, iod);
	if (st)
		return st;
	blk_mq_start_request(rq);	/* the iod is this use's: a reset may re-issue it now */
	iod->issued_ns = time_ns();
	if (nvme_submit_cmd(&ctrl->ioq, &iod->cmd, last, iod))
		return READ_ONCE(ctrl->state) == NVME_CTRL_DEAD ? BLK_STS_IOERR : BLK_STS_RESOURCE;
	return BLK_STS_OK;
}

static void nvme_commit_rqs(struct blk_mq_tag_set *set)
{
	nvme_ring_sq(&set_to_ctrl(set)->ioq);
}

/* "nvme0n1: WRITE sector 2048 (4096 bytes): Write Fault (sct 0x2, sc 0x80)" */
static void nvme_log_io_error(struct request *rq, u16 status)
{
	char text[96];

	nvme_format_status(text, sizeof(text), status);
	printk("%s: %s sector %llu (%u bytes): %s\n", rq->disk->disk_name, blk_op_str(req_op(rq)),
	       (unsigned long long)blk_rq_pos(rq), blk_rq_bytes(rq), text);
}

/* A completion naming no request in flight: count it, log the first few. */
static void nvme_unknown_cid(struct nvme_ctrl *ctrl, const struct nvme_completion *cqe)
{
	if (nvme_count(ctrl->nr_unknown_cid) < NVME_LOGGED_UNKNOWN)
		printk("%s: completion for unknown command id %#x on queue %u (status %#x): dropped\n",
		       ctrl->name, cqe->command_id, cqe->sq_id, cqe->status >> 1);
}

/* A completion naming @tag was reaped: its command is no longer at the device. */
static void nvme_tag_answered(struct nvme_ctrl *ctrl, u16 tag)
{
	struct request *rq = blk_mq_tag_to_rq(&ctrl->set, tag);

	if (rq)
		WRITE_ONCE(((struct nvme_iod *)blk_mq_rq_to_pdu(rq))->at_device, false);
}

void nvme_forget_commands(struct nvme_ctrl *ctrl)
{
	for (unsigned int tag = 0; tag < ctrl->set.nr_tags; tag++)
		nvme_tag_answered(ctrl, (u16)tag);
}

/*
 * One completion of the I/O queue (any context, no lock held): the tag
 * is free for its next command, then the request it names, if still that
 * use of the tag, ends: checked and completed in one step by the block
 * layer (blk_mq_complete_request_id), so a duplicate answer handled by an
 * interrupt meanwhile cannot make this one end the tag's next request. An
 * unknown or stale id is counted and logged (not while dying: ordinary
 * requests are not completed then). A failure is logged with the request
 * it names, looked up for the log line only.
 */
void nvme_io_complete(struct nvme_ctrl *ctrl, const struct nvme_completion *cqe)
{
	u16 status = cqe->status >> 1, cid = cqe->command_id;
	void (*hook)(struct nvme_ctrl *ctrl, u16 cid);
	blk_status_t st = BLK_STS_OK;
	struct request *rq;

	if (cqe->sq_id != ctrl->ioq.qid) {
		nvme_unknown_cid(ctrl, cqe);
		return;
	}
	nvme_tag_answered(ctrl, cid & 0xfff);	/* before it may be reused */
	if (status) {
		st = nvme_status_to_blk(status);
		rq = blk_mq_cmd_id_to_rq(&ctrl->set, cid);
		if (rq) {
			nvme_count(ctrl->nr_errors);
			nvme_log_io_error(rq, status);
		}
	}
	hook = READ_ONCE(ctrl->debug.before_complete);
	if (unlikely(hook))
		hook(ctrl, cid);
	if (!blk_mq_complete_request_id(&ctrl->set, cid, st) && !kernel_dying)
		nvme_unknown_cid(ctrl, cqe);
}

/* ->poll: reap the I/O queue as the interrupt handler would. Any context. */
static int nvme_poll(struct blk_mq_tag_set *set)
{
	struct nvme_ctrl *ctrl = set_to_ctrl(set);
	int n = nvme_process_cq(&ctrl->ioq);

	nvme_count_n(ctrl->nr_polled_cqes, (unsigned long)n);
	return n;
}

bool nvme_reissue(struct request *rq)
{
	struct nvme_ctrl *ctrl = set_to_ctrl(rq->set);
	struct nvme_iod *iod = blk_mq_rq_to_pdu(rq);

	if (!READ_ONCE(iod->queued))
		return true;	/* started, not placed yet: its ->queue_rq will place it */
	if (iod->reissues >= NVME_MAX_REISSUES)
		return false;
	iod->reissues++;
	iod->issued_ns = time_ns();
	if (nvme_submit_cmd(&ctrl->ioq, &iod->cmd, true, iod))
		return false;
	nvme_count(ctrl->nr_reissued);
	return true;
}

static bool rq_in_flight(struct request *rq)
{
	return READ_ONCE(rq->state) == MQ_RQ_IN_FLIGHT;
}

/*
 * A request passed its deadline (kblockd, process context, may sleep; the
 * block layer only times out started requests, whose iod is theirs).
 * Not yet at the device for a whole period (re-issued by a reset since,
 * or started but still inside ->queue_rq), or a reset under way that will re-issue
 * it: another period. Its completion posted but its interrupt lost: reap,
 * done. Otherwise reset the controller, which re-issues it (another
 * period) or fails it (done).
 */
static enum blk_eh_timer_return nvme_timeout(struct request *rq)
{
	struct nvme_ctrl *ctrl = set_to_ctrl(rq->set);
	struct nvme_iod *iod = blk_mq_rq_to_pdu(rq);
	u64 waited = time_ns() - iod->issued_ns;

	if (READ_ONCE(ctrl->state) == NVME_CTRL_DEAD)
		return BLK_EH_FAIL;
	if (!READ_ONCE(iod->queued) || waited < rq->disk->timeout_ns ||
	    READ_ONCE(ctrl->state) == NVME_CTRL_RESETTING)
		return BLK_EH_RESET_TIMER;
	nvme_process_cq(&ctrl->ioq);
	if (!rq_in_flight(rq)) {
		printk("%s: command id %#x was complete but its interrupt never came\n", ctrl->name,
		       iod->cmd.command_id);
		return BLK_EH_DONE;
	}
	printk("%s: %s command id %#x (%s sector %llu, %u bytes) timed out after %llu ms, CSTS %#x\n",
	       ctrl->name, rq->disk->disk_name, iod->cmd.command_id, blk_op_str(req_op(rq)),
	       (unsigned long long)blk_rq_pos(rq), blk_rq_bytes(rq), (unsigned long long)waited / 1000000,
	       nvme_read_csts(ctrl));
	nvme_reset_ctrl(ctrl, "I/O timeout");
	return rq_in_flight(rq) ? BLK_EH_RESET_TIMER : BLK_EH_DONE;
}

/* The request's PRP list page, allocated with the tag set: none on the I/O path. */
static int nvme_init_request(struct blk_mq_tag_set *set, struct request *rq)
{
	struct nvme_iod *iod = blk_mq_rq_to_pdu(rq);
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	if (!p)
		return -ENOMEM;
	iod->prp_dma = page_to_phys(p);
	iod->prp_list = phys_to_virt(iod->prp_dma);
	return 0;
}

/* Free the PRP list page, unless the controller could not be confirmed stopped (leaked). */
static void nvme_exit_request(struct blk_mq_tag_set *set, struct request *rq)
{
	struct nvme_iod *iod = blk_mq_rq_to_pdu(rq);

	if (iod->prp_list && !set_to_ctrl(set)->dma_unsafe)
		free_pages(pfn_to_page(PHYS_PFN(iod->prp_dma)), 0);
	iod->prp_list = NULL;
}

const struct blk_mq_ops nvme_mq_ops = {
	.queue_rq = nvme_queue_rq,
	.commit_rqs = nvme_commit_rqs,
	.timeout = nvme_timeout,
	.poll = nvme_poll,
	.init_request = nvme_init_request,
	.exit_request = nvme_exit_request,
};
