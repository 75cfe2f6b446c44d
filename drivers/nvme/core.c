/*
 * The NVMe PCI driver: probe, remove, and the register-level bring-up of a
 * controller (docs/nvme.md).
 *
 * Bring-up (base specification 7.6.1): read CAP; disable the controller
 * (CC.EN = 0, wait for CSTS.RDY = 0: the firmware may have left it
 * running with queues in memory that is now ours); program the admin
 * queue (AQA, ASQ, ACQ); enable with CC = NVM command set, 4 KiB pages,
 * 64/16-byte entries; wait for CSTS.RDY = 1, CSTS.CFS meaning failure;
 * then admin commands: Identify Controller, Set Features (Number of
 * Queues), Create I/O Completion Queue, Create I/O Submission Queue; then
 * the namespaces (ns.c). Every wait is bounded by CAP.TO, and a register
 * reading all-ones (a device that went away) ends it at once.
 */
#include "nvme.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/vsprintf.h>
#include <asm/io.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include <mm/slab.h>

#define MS			1000000ull
#define NVME_MIN_IO_DEPTH	3	/* one regular tag, the polled tag, the empty slot */

static LIST_HEAD(nvme_ctrls);			/* nvme_ctrls_lock */
static spinlock_t nvme_ctrls_lock = SPINLOCK_INIT;	/* irqsave: walked at power-off */
static u64 nvme_instances;			/* bitmap, nvme_ctrls_lock */

/* ---- registers ---- */

static u32 reg_read(struct nvme_ctrl *ctrl, u32 off)
{
	return readl((u8 __iomem *)ctrl->bar + off);
}

static void reg_write(struct nvme_ctrl *ctrl, u32 off, u32 val)
{
	writel(val, (u8 __iomem *)ctrl->bar + off);
}

/* 64-bit registers as two 32-bit accesses, low half first: every controller takes that. */
static u64 reg_read64(struct nvme_ctrl *ctrl, u32 off)
{
	u64 lo = reg_read(ctrl, off);

	return lo | (u64)reg_read(ctrl, off + 4) << 32;
}

static void reg_write64(struct nvme_ctrl *ctrl, u32 off, u64 val)
{
	reg_write(ctrl, off, (u32)val);
	reg_write(ctrl, off + 4, (u32)(val >> 32));
}

u32 nvme_read_csts(struct nvme_ctrl *ctrl)
{
	return reg_read(ctrl, NVME_REG_CSTS);
}

/* Sleep about a millisecond (a tick), or spin 10 us where sleeping is impossible. */
static void nvme_delay(void)
{
	u64 until;

	if (scheduler_running && !irqs_disabled() && !kernel_dying) {
		sleep_until_ns(time_ns() + MS);
		return;
	}
	until = time_ns() + 10000;
	while (time_ns() < until)
		__builtin_ia32_pause();
}

int nvme_wait_csts(struct nvme_ctrl *ctrl, u32 mask, u32 want, bool cfs_fails, u64 timeout_ns,
		   const char *what)
{
	u64 start = time_ns(), deadline = start + timeout_ns;

	for (;;) {
		u32 csts = nvme_read_csts(ctrl);

		if (csts == ~0u) {
			printk("%s: no answer from the device (CSTS reads all-ones) waiting for %s\n",
			       ctrl->name, what);
			return -ENODEV;
		}
		if ((csts & NVME_CSTS_CFS) && cfs_fails) {
			printk("%s: controller fatal status (CSTS.CFS, CSTS %#x) waiting for %s\n",
			       ctrl->name, csts, what);
			return -EIO;
		}
		if ((csts & mask) == want)
			return 0;
		if (time_ns() > deadline) {
			printk("%s: %s did not happen within %llu ms (CSTS %#x)\n", ctrl->name, what,
			       (time_ns() - start) / MS, csts);
			return -ETIMEDOUT;
		}
		nvme_delay();
	}
}

int nvme_disable_ctrl(struct nvme_ctrl *ctrl)
{
	u32 cc;
	int err;

	nvme_queue_set_live(&ctrl->adminq, false);
	nvme_queue_set_live(&ctrl->ioq, false);
	cc = reg_read(ctrl, NVME_REG_CC);
	if (cc == ~0u) {
		printk("%s: no answer from the device (CC reads all-ones)\n", ctrl->name);
		return -ENODEV;
	}
	reg_write(ctrl, NVME_REG_CC, cc & ~(NVME_CC_EN | NVME_CC_SHN_MASK));
	err = nvme_wait_csts(ctrl, NVME_CSTS_RDY, 0, false, ctrl->ready_timeout_ns,
			     "the controller to stop (CSTS.RDY = 0)");
	if (!err)
		ctrl->may_dma = false;	/* it dropped every queue: none of our memory is its */
	return err;
}

bool nvme_cut_dma(struct nvme_ctrl *ctrl, bool stopped)
{
	if (pci_clear_master_sync(ctrl->pdev) || stopped || !ctrl->may_dma)
		return true;
	ctrl->dma_unsafe = true;
	printk("%s: could not confirm the controller stopped (CSTS.RDY nor bus mastering): its rings, identify and PRP pages are leaked, never freed\n",
	       ctrl->name);
	return false;
}

int nvme_enable_ctrl(struct nvme_ctrl *ctrl)
{
	struct nvme_queue *aq = &ctrl->adminq;
	u64 asq = aq->sq_dma;
	int err;

	nvme_reset_queue(aq);
	ctrl->may_dma = true;		/* from the admin queue's addresses on */
	if (ctrl->debug.fail_next_enable) {
		ctrl->debug.fail_next_enable = false;
		asq |= 0x200;		/* not page aligned: the controller must refuse to start */
	}
	reg_write(ctrl, NVME_REG_AQA, NVME_AQA(aq->depth, aq->depth));
	reg_write64(ctrl, NVME_REG_ASQ, asq);
	reg_write64(ctrl, NVME_REG_ACQ, aq->cq_dma);
	reg_write(ctrl, NVME_REG_CC, NVME_CC_CSS_NVM | NVME_CC_MPS(PAGE_SHIFT) | NVME_CC_AMS_RR |
		  NVME_CC_IOSQES(NVME_SQES_SHIFT) | NVME_CC_IOCQES(NVME_CQES_SHIFT) | NVME_CC_EN);
	err = nvme_wait_csts(ctrl, NVME_CSTS_RDY, NVME_CSTS_RDY, true, ctrl->ready_timeout_ns,
			     "the controller to become ready (CSTS.RDY = 1)");
	if (!err)
		nvme_queue_set_live(aq, true);
	return err;
}

/* ---- I/O queue ---- */

/*
 * Identify Controller, checked, into ctrl->info. After a reset the
 * controller must still be the one probed: another serial number is
 * treated as a failure.
 */
static int nvme_identify_ctrl(struct nvme_ctrl *ctrl)
{
	struct nvme_ctrl_info info;
	char why[96];
	int err = nvme_identify(ctrl, 0, NVME_ID_CNS_CTRL);

	if (err)
		return err;
	err = nvme_parse_id_ctrl(ctrl->id_buf, NVME_CAP_MPSMIN(ctrl->cap), &info, why, sizeof(why));
	if (err) {
		printk("%s: unusable controller: %s\n", ctrl->name, why);
		return err;
	}
	if (ctrl->state != NVME_CTRL_NEW && strcmp(info.serial, ctrl->info.serial)) {
		printk("%s: serial number %s after the reset, %s before\n", ctrl->name, info.serial,
		       ctrl->info.serial);
		return -ENODEV;
	}
	ctrl->info = info;
	return 0;
}

/*
 * Create I/O queue pair 1 on the controller (completion queue first, the
 * submission queue bound to it), from empty rings, and make it live.
 * 0 or the admin command's error. Sleeps.
 */
static int nvme_create_io_queue(struct nvme_ctrl *ctrl)
{
	struct nvme_queue *q = &ctrl->ioq;
	u32 size_id = (u32)(q->depth - 1) << 16 | q->qid;
	struct nvme_command cq = {
		.opcode = NVME_ADMIN_CREATE_CQ, .prp1 = q->cq_dma, .cdw10 = size_id,
		.cdw11 = (u32)q->vector << 16 | NVME_CQ_IRQ_ENABLED | NVME_QUEUE_PHYS_CONTIG,
	};
	struct nvme_command sq = {
		.opcode = NVME_ADMIN_CREATE_SQ, .prp1 = q->sq_dma, .cdw10 = size_id,
		.cdw11 = (u32)q->qid << 16 | NVME_QUEUE_PHYS_CONTIG,
	};
	int err;

	nvme_reset_queue(q);
	err = nvme_admin_exec(ctrl, &cq, NULL, "Create I/O Completion Queue");
	if (!err)
		err = nvme_admin_exec(ctrl, &sq, NULL, "Create I/O Submission Queue");
	if (!err)
		nvme_queue_set_live(q, true);
	return err;
}

int nvme_setup_io(struct nvme_ctrl *ctrl)
{
	struct nvme_command nq = {
		.opcode = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES,
		.cdw11 = 0,		/* one SQ and one CQ (0's based) */
	};
	int err = nvme_identify_ctrl(ctrl);

	if (!err)
		err = nvme_admin_exec(ctrl, &nq, NULL, "Set Features (Number of Queues)");
	if (!err)
		err = nvme_create_io_queue(ctrl);
	return err;
}

/* ---- probe ---- */

/* The lowest free controller number into ctrl->instance and ctrl->name; -ENOSPC. */
static int nvme_get_instance(struct nvme_ctrl *ctrl)
{
	unsigned long flags;
	int ret = -ENOSPC;

	spin_lock_irqsave(&nvme_ctrls_lock, flags);
	for (unsigned int i = 0; i < NVME_MAX_CTRLS; i++)
		if (!(nvme_instances & (1ull << i))) {
			nvme_instances |= 1ull << i;
			ctrl->instance = i;
			ret = 0;
			break;
		}
	spin_unlock_irqrestore(&nvme_ctrls_lock, flags);
	snprintf(ctrl->name, sizeof(ctrl->name), "nvme%u", ctrl->instance);
	return ret;
}

static void nvme_put_instance(struct nvme_ctrl *ctrl)
{
	unsigned long flags;

	spin_lock_irqsave(&nvme_ctrls_lock, flags);
	nvme_instances &= ~(1ull << ctrl->instance);
	spin_unlock_irqrestore(&nvme_ctrls_lock, flags);
}

/*
 * CAP: what this driver needs of it. 0, or -ENODEV with the reason logged
 * (a device that reads all-ones, no NVM command set, pages above 4 KiB,
 * a queue too small to be useful, doorbells beyond BAR0).
 */
static int nvme_check_cap(struct nvme_ctrl *ctrl)
{
	u64 cap = ctrl->cap;
	const char *why = NULL;

	ctrl->dstrd = NVME_CAP_DSTRD(cap);
	ctrl->ready_timeout_ns = (u64)MAX(NVME_CAP_TO(cap), 1u) * 500 * MS;
	if (cap == ~0ull)
		why = "CAP reads all-ones: the device does not answer";
	else if (!(NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM))
		why = "the NVM command set is not supported";
	else if (NVME_CAP_MPSMIN(cap))
		why = "its minimum memory page size is above 4 KiB";
	else if (NVME_CAP_MQES(cap) + 1 < NVME_MIN_IO_DEPTH)
		why = "its queues are too small (CAP.MQES)";
	else if (ctrl->bar_len < nvme_cq_doorbell(1, ctrl->dstrd) + 4)
		why = "BAR0 is too small for the doorbells of one I/O queue";
	if (why) {
		printk("%s: unusable controller (CAP %#llx): %s\n", ctrl->name,
		       (unsigned long long)cap, why);
		return -ENODEV;
	}
	ctrl->io_depth = (u16)MIN(NVME_CAP_MQES(cap) + 1, (u32)NVME_IO_DEPTH_MAX);
	return 0;
}

/*
 * Enable the function, map BAR0 (the registers and doorbells), read and
 * check CAP. 0 or -errno (logged when the device is unusable). What it
 * mapped is undone by nvme_free_ctrl(). Sleeps.
 */
static int nvme_map_bar(struct nvme_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;
	int err = pci_enable_device(pdev);

	if (err)
		return err;
	if (!(pci_resource_flags(pdev, 0) & PCI_BAR_MEM)) {
		printk("%s: BAR0 is not a memory BAR\n", ctrl->name);
		return -ENODEV;
	}
	ctrl->bar_len = pci_resource_len(pdev, 0);
	ctrl->bar = pci_iomap(pdev, 0, 0);
	if (!ctrl->bar)
		return -ENOMEM;
	ctrl->cap = reg_read64(ctrl, NVME_REG_CAP);
	return nvme_check_cap(ctrl);
}

/*
 * One message for both queues, or one each: MSI-X when it has two
 * entries, else shared (MSI-X of one entry, or MSI). Each message is
 * requested with nvme_irq and unmasked. 0 or -errno (logged); on failure
 * nothing stays allocated. No INTx: the controller is then not used. Sleeps.
 */
static int nvme_setup_irqs(struct nvme_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;
	int n = pci_alloc_irq_vectors(pdev, 1, 2, PCI_IRQ_MSIX | PCI_IRQ_MSI);

	if (n < 0) {
		printk("%s: neither MSI-X nor MSI usable (error %d); INTx is not supported\n",
		       ctrl->name, n);
		return n;
	}
	ctrl->nr_vectors = (unsigned int)n;
	ctrl->irq_mode = pdev->irq.mode;
	for (unsigned int i = 0; i < ctrl->nr_vectors; i++) {
		struct nvme_vector *v = &ctrl->vec[i];
		int err;

		v->ctrl = ctrl;
		v->nr = i;
		snprintf(v->name, sizeof(v->name), n == 1 ? "%s" : "%sq%u", ctrl->name, i);
		err = pci_request_irq(pdev, i, nvme_irq, v, v->name);
		if (err) {
			printk("%s: interrupt message %u: error %d\n", ctrl->name, i, err);
			pci_free_irq_vectors(pdev);
			return err;
		}
	}
	return 0;
}

/*
 * The controller's tag set: io_depth - 2 tags (one ring slot stays empty,
 * one tag is the block layer's polled one), an nvme_iod and a PRP list
 * page per request. 0 or -ENOMEM/-EINVAL. Sleeps; takes tag_sets_mutex,
 * so never called with reset_mutex held.
 */
static int nvme_alloc_tag_set(struct nvme_ctrl *ctrl)
{
	struct blk_mq_tag_set *set = &ctrl->set;

	set->ops = &nvme_mq_ops;
	set->queue_depth = ctrl->io_depth - 2u;	/* the empty slot and the polled tag */
	set->cmd_size = sizeof(struct nvme_iod);
	set->name = ctrl->name;
	set->driver_data = ctrl;
	return blk_mq_alloc_tag_set(set);
}

/* The two boot-log lines of a controller: what it is, how it is driven. */
static void nvme_log_ctrl(struct nvme_ctrl *ctrl)
{
	u32 vs = reg_read(ctrl, NVME_REG_VS);
	char mt[32];

	blk_format_size(mt, sizeof(mt), ctrl->max_transfer);
	printk("%s: %s (serial %s, firmware %s), NVMe %u.%u\n", ctrl->name, ctrl->info.model,
	       ctrl->info.serial, ctrl->info.firmware, vs >> 16, (vs >> 8) & 0xff);
	printk("%s: 1 I/O queue pair of %u entries (CAP.MQES %u), %s with %u vector%s, doorbell stride %u, max transfer %s%s\n",
	       ctrl->name, ctrl->io_depth, NVME_CAP_MQES(ctrl->cap) + 1,
	       ctrl->irq_mode == PCI_IRQ_MSIX ? "MSI-X" : "MSI", ctrl->nr_vectors,
	       ctrl->nr_vectors == 1 ? " (admin and I/O share it)" : "s", 4u << ctrl->dstrd, mt,
	       ctrl->info.vwc ? ", volatile write cache" : "");
}

/*
 * Free whatever of @ctrl exists: vectors (masked first), rings, the
 * identify page, the BAR mapping, the number. The controller must be
 * stopped (nvme_cut_dma) or never enabled; when it could not be confirmed
 * stopped (dma_unsafe) the rings and the identify page are leaked.
 */
static void nvme_free_ctrl(struct nvme_ctrl *ctrl)
{
	if (ctrl->nr_vectors)
		pci_free_irq_vectors(ctrl->pdev);
	ctrl->nr_vectors = 0;
	if (!ctrl->dma_unsafe) {
		nvme_free_queue(&ctrl->ioq);
		nvme_free_queue(&ctrl->adminq);
		if (ctrl->id_buf)
			free_pages(pfn_to_page(PHYS_PFN(ctrl->id_dma)), 0);
	}
	if (ctrl->bar)
		pci_iounmap(ctrl->pdev, ctrl->bar);
	nvme_put_instance(ctrl);
	kfree(ctrl);
}

/* A zeroed controller for @pdev with its locks, number and identify page; NULL if out of memory. */
static struct nvme_ctrl *nvme_alloc_ctrl(struct pci_dev *pdev)
{
	struct nvme_ctrl *ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	struct page *id;

	if (!ctrl)
		return NULL;
	ctrl->pdev = pdev;
	ctrl->state = NVME_CTRL_NEW;
	list_init(&ctrl->node);
	mutex_init(&ctrl->admin_mutex, "nvme admin_mutex");
	mutex_init(&ctrl->reset_mutex, "nvme reset_mutex");
	spin_lock_init(&ctrl->admin_lock);
	init_completion(&ctrl->admin_done);
	if (nvme_get_instance(ctrl)) {
		kfree(ctrl);
		return NULL;
	}
	id = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	if (!id) {
		nvme_free_ctrl(ctrl);
		return NULL;
	}
	ctrl->id_dma = page_to_phys(id);
	ctrl->id_buf = phys_to_virt(ctrl->id_dma);
	return ctrl;
}

/*
 * Everything up to a live I/O queue. 0 or -errno (logged). The queues
 * exist before the interrupts are requested: a message the firmware left
 * pending may arrive as soon as its vector is unmasked.
 */
static int nvme_bring_up(struct nvme_ctrl *ctrl)
{
	int err;

	err = nvme_map_bar(ctrl);
	if (!err)
		err = nvme_alloc_queue(ctrl, &ctrl->adminq, 0, NVME_AQ_DEPTH, 0);
	if (!err)
		err = nvme_alloc_queue(ctrl, &ctrl->ioq, 1, ctrl->io_depth, 0);
	if (!err)
		err = nvme_setup_irqs(ctrl);
	if (err)
		return err;
	ctrl->ioq.vector = ctrl->nr_vectors > 1 ? 1 : 0;
	pci_set_master(ctrl->pdev);
	err = nvme_disable_ctrl(ctrl);
	if (!err)
		err = nvme_enable_ctrl(ctrl);
	if (!err)
		err = nvme_setup_io(ctrl);
	if (err)
		return err;
	ctrl->max_transfer = NVME_MAX_TRANSFER;
	if (ctrl->info.max_transfer && ctrl->info.max_transfer < ctrl->max_transfer)
		ctrl->max_transfer = ctrl->info.max_transfer;
	return 0;
}

/*
 * Bind to an NVMe function: bring the controller up, create its tag set,
 * publish it, then make disks of its namespaces (add_disk reads their
 * partition tables, through this driver). Returns 0, or -errno with
 * everything undone and the reason logged: a controller that cannot be
 * used is left alone (disabled when it was enabled). Task context,
 * pci_bus_mutex held; sleeps. A namespace that cannot be used does not
 * fail the probe.
 */
static int nvme_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct nvme_ctrl *ctrl = nvme_alloc_ctrl(pdev);
	unsigned long flags;
	int err;

	if (!ctrl)
		return -ENOMEM;
	err = nvme_bring_up(ctrl);
	if (err)
		goto fail;
	nvme_log_ctrl(ctrl);
	err = nvme_alloc_tag_set(ctrl);
	if (err)
		goto fail;
	ctrl->state = NVME_CTRL_LIVE;
	pci_set_drvdata(pdev, ctrl);
	spin_lock_irqsave(&nvme_ctrls_lock, flags);
	list_add_tail(&ctrl->node, &nvme_ctrls);
	spin_unlock_irqrestore(&nvme_ctrls_lock, flags);
	nvme_scan_namespaces(ctrl);
	return 0;
fail:
	/* no DMA into what is freed next: disabled, else bus mastering off, else leaked */
	nvme_cut_dma(ctrl, ctrl->bar && !nvme_disable_ctrl(ctrl));
	printk("%s: %s not brought up (error %d)\n", ctrl->name, pdev->name, err);
	nvme_free_ctrl(ctrl);
	return err;
}

/*
 * Unbind: unpublish, delete the disks (waiting for their I/O, which a
 * dead controller fails at once), shut the controller down (CC.SHN), turn
 * its bus mastering off, free the interrupt vectors (no completion can
 * reach the requests after that), then the tag set and the rest; what a
 * controller that could not be confirmed stopped was given is leaked.
 * Task context, pci_bus_mutex held; sleeps.
 */
static void nvme_remove(struct pci_dev *pdev)
{
	struct nvme_ctrl *ctrl = pci_get_drvdata(pdev);
	unsigned long flags;

	spin_lock_irqsave(&nvme_ctrls_lock, flags);
	list_del_init(&ctrl->node);
	spin_unlock_irqrestore(&nvme_ctrls_lock, flags);
	nvme_remove_namespaces(ctrl);		/* waits for their I/O */
	mutex_lock(&ctrl->reset_mutex);
	nvme_cut_dma(ctrl, nvme_shutdown_ctrl(ctrl));
	ctrl->state = NVME_CTRL_DEAD;
	mutex_unlock(&ctrl->reset_mutex);
	pci_free_irq_vectors(pdev);		/* before the requests they complete */
	ctrl->nr_vectors = 0;
	blk_mq_free_tag_set(&ctrl->set);
	pci_set_drvdata(pdev, NULL);
	nvme_free_ctrl(ctrl);
}

static const struct pci_device_id nvme_ids[] = {
	{ PCI_DEVICE_CLASS(0x010802, 0xffffff) },	/* mass storage, NVM, NVM Express */
	{ 0 },
};

struct pci_driver nvme_driver = {
	.name = "nvme",
	.id_table = nvme_ids,
	.probe = nvme_probe,
	.remove = nvme_remove,
};

static int nvme_init(void)
{
	nvme_register_shutdown();
	pci_register_driver(&nvme_driver);
	return 0;
}
device_initcall(nvme_init);

/* ---- the list of controllers ---- */

struct nvme_ctrl *nvme_find_ctrl(const char *serial)
{
	struct nvme_ctrl *ctrl, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&nvme_ctrls_lock, flags);
	list_for_each_entry(ctrl, &nvme_ctrls, node)
		if (!strcmp(ctrl->info.serial, serial)) {
			found = ctrl;
			break;
		}
	spin_unlock_irqrestore(&nvme_ctrls_lock, flags);
	return found;
}

unsigned int nvme_nr_ctrls(void)
{
	struct nvme_ctrl *ctrl;
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&nvme_ctrls_lock, flags);
	list_for_each_entry(ctrl, &nvme_ctrls, node)
		n++;
	spin_unlock_irqrestore(&nvme_ctrls_lock, flags);
	return n;
}

/*
 * Shut every controller down (power-off and restart; interrupts off).
 * The list cannot change under us: it is only changed with its spinlock
 * held and interrupts off, and this runs on the only CPU with interrupts off.
 */
void nvme_shutdown_all(void)
{
	struct nvme_ctrl *ctrl;

	list_for_each_entry(ctrl, &nvme_ctrls, node)
		nvme_shutdown_ctrl(ctrl);
}

/* ---- test knobs (tests/kernel/ktest_nvme.c) ---- */

void nvme_debug_drop_commands(struct nvme_ctrl *ctrl, unsigned int n)
{
	unsigned long flags;

	spin_lock_irqsave(&ctrl->ioq.sq_lock, flags);
	ctrl->debug.drop_cmds = n;
	spin_unlock_irqrestore(&ctrl->ioq.sq_lock, flags);
}

void nvme_debug_fail_next_enable(struct nvme_ctrl *ctrl)
{
	mutex_lock(&ctrl->reset_mutex);
	ctrl->debug.fail_next_enable = true;
	mutex_unlock(&ctrl->reset_mutex);
}

int nvme_debug_submit_stray(struct nvme_ctrl *ctrl, u16 cid)
{
	struct nvme_command c = {
		.opcode = NVME_CMD_FLUSH,
		.command_id = cid,
		.nsid = ctrl->nr_ns ? ctrl->ns[0]->nsid : 1,
	};

	return nvme_submit_cmd(&ctrl->ioq, &c, true, NULL);
}
