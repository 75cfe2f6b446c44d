/*
 * Admin commands: identify, queue creation, features. One at a time
 * (admin_mutex), each with a fresh command id, submitted on the admin
 * queue and waited for; the interrupt handler (or a reap after the
 * deadline) hands the completion over through admin_lock and a
 * completion. A completion carrying another id (a command given up on,
 * or a device answering garbage) is logged and dropped.
 */
#include "nvme.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/string.h>
#include <asm/irqflags.h>

/* Called for each admin completion, after the queue lock is dropped. Any context. */
void nvme_admin_complete(struct nvme_ctrl *ctrl, const struct nvme_completion *cqe)
{
	unsigned long flags;
	bool ours;

	spin_lock_irqsave(&ctrl->admin_lock, flags);
	ours = ctrl->admin_waiting && cqe->command_id == ctrl->admin_cid && cqe->sq_id == 0;
	if (ours) {
		ctrl->admin_cqe = *cqe;
		ctrl->admin_waiting = false;
	}
	spin_unlock_irqrestore(&ctrl->admin_lock, flags);
	if (ours) {
		complete(&ctrl->admin_done);
		return;
	}
	nvme_count(ctrl->nr_unknown_cid);
	printk("%s: admin completion for unknown command id %#x (queue %u, status %#x): dropped\n",
	       ctrl->name, cqe->command_id, cqe->sq_id, cqe->status >> 1);
}

/* Start waiting for command id @cid; returns it. */
static u16 admin_expect(struct nvme_ctrl *ctrl)
{
	unsigned long flags;
	u16 cid;

	spin_lock_irqsave(&ctrl->admin_lock, flags);
	cid = ++ctrl->admin_cid;
	ctrl->admin_waiting = true;
	spin_unlock_irqrestore(&ctrl->admin_lock, flags);
	reinit_completion(&ctrl->admin_done);
	return cid;
}

/* Stop waiting (timeout or submission failure). True if the completion came after all. */
static bool admin_give_up(struct nvme_ctrl *ctrl)
{
	unsigned long flags;
	bool came;

	spin_lock_irqsave(&ctrl->admin_lock, flags);
	came = !ctrl->admin_waiting;
	ctrl->admin_waiting = false;
	spin_unlock_irqrestore(&ctrl->admin_lock, flags);
	return came;
}

/*
 * Wait for the admin completion. On the deadline, reap the queue once: a
 * completion found that way means the interrupt did not arrive (said
 * once, then used). 0 or -ETIMEDOUT.
 */
static int admin_wait(struct nvme_ctrl *ctrl, const char *what)
{
	if (wait_for_completion_timeout(&ctrl->admin_done, (s64)NVME_ADMIN_TIMEOUT_NS))
		return 0;
	nvme_process_cq(&ctrl->adminq);
	if (admin_give_up(ctrl)) {
		printk("%s: admin command %s completed without its interrupt\n", ctrl->name, what);
		return 0;
	}
	printk("%s: admin command %s timed out after %llu ms (CSTS %#x)\n", ctrl->name, what,
	       NVME_ADMIN_TIMEOUT_NS / 1000000, nvme_read_csts(ctrl));
	return -ETIMEDOUT;
}

int nvme_admin_exec(struct nvme_ctrl *ctrl, struct nvme_command *cmd, u32 *result,
		    const char *what)
{
	char status[96];
	u16 st;
	int err;

	might_sleep();
	mutex_lock(&ctrl->admin_mutex);
	cmd->command_id = admin_expect(ctrl);
	err = nvme_submit_cmd(&ctrl->adminq, cmd, true, NULL);
	if (err) {
		admin_give_up(ctrl);
		goto out;
	}
	err = admin_wait(ctrl, what);
	if (err)
		goto out;
	st = ctrl->admin_cqe.status >> 1;
	if (st) {
		nvme_format_status(status, sizeof(status), st);
		printk("%s: admin command %s failed: %s\n", ctrl->name, what, status);
		err = -EIO;
		goto out;
	}
	if (result)
		*result = ctrl->admin_cqe.result;
out:
	mutex_unlock(&ctrl->admin_mutex);
	return err;
}

/*
 * Identify (@cns) into ctrl->id_buf: the controller, namespace @nsid, or
 * the active namespace ids above @nsid. Caller serialises use of the
 * buffer (probe or reset_mutex). 0 or -errno.
 */
int nvme_identify(struct nvme_ctrl *ctrl, u32 nsid, u32 cns)
{
	struct nvme_command c = {
		.opcode = NVME_ADMIN_IDENTIFY,
		.nsid = nsid,
		.prp1 = ctrl->id_dma,
		.cdw10 = cns,
	};
	static const char *const what[] = {
		[NVME_ID_CNS_NS] = "Identify Namespace",
		[NVME_ID_CNS_CTRL] = "Identify Controller",
		[NVME_ID_CNS_NS_ACTIVE] = "Identify Active Namespace List",
	};

	memset(ctrl->id_buf, 0, PAGE_SIZE);
	return nvme_admin_exec(ctrl, &c, NULL, cns < ARRAY_SIZE(what) ? what[cns] : "Identify");
}
