/*
 * When a controller stops answering: reset, offline; and the orderly end,
 * shutdown at power-off (docs/nvme.md).
 *
 * Reset (a request timed out, or asked for): with the block layer's
 * dispatch quiesced, disable the controller (which drops every queue and
 * every command it holds), reap what it had completed before, bring it up
 * as at probe (admin queue, enable, Identify Controller, the I/O queue
 * pair), then re-issue each request still in flight from the command
 * saved in its iod, same command id: reads and writes are idempotent and
 * the data buffers are still the caller's, so a re-issue is safe, and the
 * requests that merely shared the queue with a stuck one are not failed
 * for it. A request already re-issued NVME_MAX_REISSUES times fails with
 * -EIO instead (a command that kills the controller every time must not
 * loop forever). Then dispatch resumes.
 *
 * Offline: a controller that does not come back (CSTS.CFS or no CSTS.RDY
 * after enable, a register reading all-ones, Identify failing) is marked
 * dead for good; its bus mastering is turned off (read back), then every
 * request in flight fails with -EIO, and ->queue_rq fails every new one
 * at once. Its disks stay (a timeout handler may not
 * delete disks) and their users get errors, never a hang.
 */
#include "nvme.h"
#include <pagoda/errno.h>
#include <pagoda/init.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/time.h>
#include <asm/io.h>

#define NS_PER_US		1000ull
#define NVME_SHUTDOWN_MAX_NS	(60ull * 1000000000)

struct reissue_counts {
	unsigned int reissued, failed;
};

static void fail_rq(struct request *rq, void *data)
{
	unsigned int *n = data;

	if (blk_mq_complete_request(rq, BLK_STS_IOERR))
		(*n)++;
}

/*
 * Offline for good. CC.EN is cleared (the controller may still listen),
 * but a dead controller is not trusted to confirm it stopped: its bus
 * mastering is turned off and read back before any request is failed, so
 * it cannot write into buffers handed back to their owners. Should even
 * that not be confirmed, the requests are still failed (leaving them
 * pending would hang their owners and remove for good: the log says so)
 * and the controller's own memory is leaked.
 */
void nvme_kill_ctrl(struct nvme_ctrl *ctrl, const char *why)
{
	unsigned int failed = 0;
	u32 cc;

	WRITE_ONCE(ctrl->state, NVME_CTRL_DEAD);
	nvme_queue_set_live(&ctrl->adminq, false);
	nvme_queue_set_live(&ctrl->ioq, false);
	cc = readl((u8 __iomem *)ctrl->bar + NVME_REG_CC);
	if (cc != ~0u && (cc & NVME_CC_EN))	/* let it stop, if it still listens */
		writel(cc & ~NVME_CC_EN, (u8 __iomem *)ctrl->bar + NVME_REG_CC);
	if (!nvme_cut_dma(ctrl, false))
		printk("%s: failing its requests anyway: their buffers may still be written\n",
		       ctrl->name);
	blk_mq_tagset_busy_iter(&ctrl->set, fail_rq, &failed);
	printk("%s: controller offline (%s): %u requests in flight failed; its disks fail all I/O from now on\n",
	       ctrl->name, why, failed);
}

/*
 * busy_iter callback of a reset: put @rq's saved command on the new queue,
 * or fail it after NVME_MAX_REISSUES. Only started requests come here, so
 * the iod is this use's (not the tag's previous command).
 */
static void reissue_rq(struct request *rq, void *data)
{
	struct reissue_counts *c = data;
	struct nvme_iod *iod = blk_mq_rq_to_pdu(rq);

	if (nvme_reissue(rq)) {
		c->reissued++;
		return;
	}
	printk("%s: command id %#x (%s sector %llu) given up after %u resets\n",
	       rq->disk->disk_name, iod->cmd.command_id, blk_op_str(req_op(rq)),
	       (unsigned long long)blk_rq_pos(rq), iod->reissues + 1u);
	if (blk_mq_complete_request(rq, BLK_STS_IOERR))
		c->failed++;
}

/* Disable and bring up again. 0 or the error that makes the controller dead. */
static int nvme_restart(struct nvme_ctrl *ctrl)
{
	int err = nvme_disable_ctrl(ctrl);

	nvme_process_cq(&ctrl->ioq);	/* what it finished before the disable */
	if (!err)
		nvme_forget_commands(ctrl);	/* it dropped the rest */
	if (!err)
		err = nvme_enable_ctrl(ctrl);
	if (!err)
		err = nvme_setup_io(ctrl);
	return err;
}

int nvme_reset_ctrl(struct nvme_ctrl *ctrl, const char *why)
{
	struct reissue_counts c = { 0, 0 };
	u64 start;
	int err;

	might_sleep();
	mutex_lock(&ctrl->reset_mutex);
	if (ctrl->state == NVME_CTRL_DEAD) {
		mutex_unlock(&ctrl->reset_mutex);
		return -ENODEV;
	}
	start = time_ns();
	printk("%s: resetting the controller (%s)\n", ctrl->name, why);
	nvme_count(ctrl->nr_resets);	/* begun: counted before any request it ends */
	WRITE_ONCE(ctrl->state, NVME_CTRL_RESETTING);
	blk_mq_quiesce(&ctrl->set);
	err = nvme_restart(ctrl);
	if (err) {
		nvme_count(ctrl->nr_reset_failed);
		nvme_kill_ctrl(ctrl, "it did not come back from a reset");
	} else {
		blk_mq_tagset_busy_iter(&ctrl->set, reissue_rq, &c);
		WRITE_ONCE(ctrl->state, NVME_CTRL_LIVE);
		ctrl->last_reset_ns = time_ns() - start;
		printk("%s: controller reset in %llu us: %u commands re-issued, %u failed\n",
		       ctrl->name, ctrl->last_reset_ns / NS_PER_US, c.reissued, c.failed);
	}
	blk_mq_unquiesce(&ctrl->set);
	mutex_unlock(&ctrl->reset_mutex);
	return err;
}

/*
 * Normal shutdown (CC.SHN = 01b, base specification 7.6.2): the controller
 * writes back its volatile cache and reports CSTS.SHST = complete. Waits
 * RTD3E (at least 5 s, at most 60 s), spinning when interrupts are off.
 * Commands still queued are not waited for. A dead controller is left
 * alone. Any context.
 */
bool nvme_shutdown_ctrl(struct nvme_ctrl *ctrl)
{
	u8 __iomem *cc_reg = (u8 __iomem *)ctrl->bar + NVME_REG_CC;
	u64 limit = ctrl->info.shutdown_us * NS_PER_US, start = time_ns();
	u32 cc;

	if (READ_ONCE(ctrl->state) == NVME_CTRL_DEAD)
		return false;
	cc = readl(cc_reg);
	if (cc == ~0u || !(cc & NVME_CC_EN))
		return false;
	nvme_queue_set_live(&ctrl->ioq, false);
	nvme_queue_set_live(&ctrl->adminq, false);
	writel((cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL, cc_reg);
	limit = MIN(MAX(limit, NVME_SHUTDOWN_TIMEOUT_NS), NVME_SHUTDOWN_MAX_NS);
	if (nvme_wait_csts(ctrl, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_CMPLT, true, limit,
			   "shutdown to complete (CSTS.SHST)"))
		return false;
	printk("%s: shutdown complete in %llu us\n", ctrl->name, (time_ns() - start) / NS_PER_US);
	return true;
}

static struct shutdown_hook nvme_shutdown_hook = {
	.fn = nvme_shutdown_all,
	.name = "nvme",
};

void nvme_register_shutdown(void)
{
	register_shutdown_hook(&nvme_shutdown_hook);
}
