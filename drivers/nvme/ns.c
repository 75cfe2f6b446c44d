/*
 * Namespaces: which ones the controller has (Identify Active Namespace
 * List, or 1..NN before NVMe 1.1 or when the list fails), what each one is
 * (Identify Namespace, checked by nvme_parse_id_ns), and a disk for each
 * usable one: nvme<controller>n<nsid>, on the controller's tag set. A
 * namespace the driver cannot use (metadata, odd block size, nonsense) is
 * logged and skipped; the others go on.
 */
#include "nvme.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/vsprintf.h>
#include <asm/io.h>
#include <mm/slab.h>

#define NVME_VS_1_1		0x00010100

/* The active namespace list into @ids (at most NVME_MAX_NAMESPACES); -errno if unreadable. */
static int list_active(struct nvme_ctrl *ctrl, u32 *ids, unsigned int *n)
{
	const u32 *list = ctrl->id_buf;
	u32 prev = 0;
	int err = nvme_identify(ctrl, 0, NVME_ID_CNS_NS_ACTIVE);

	*n = 0;
	if (err)
		return err;
	for (unsigned int i = 0; i < NVME_NS_LIST_ENTRIES && list[i]; i++) {
		if (list[i] <= prev) {
			printk("%s: active namespace list not in increasing order at entry %u (%u after %u): rest ignored\n",
			       ctrl->name, i, list[i], prev);
			break;
		}
		if (*n == NVME_MAX_NAMESPACES) {
			printk("%s: more than %u namespaces: namespace %u and above not used\n",
			       ctrl->name, NVME_MAX_NAMESPACES, list[i]);
			break;
		}
		ids[(*n)++] = prev = list[i];
	}
	return 0;
}

/* Namespace ids to look at; reset_mutex held (ctrl->id_buf). */
static unsigned int list_namespaces(struct nvme_ctrl *ctrl, u32 *ids)
{
	unsigned int n = 0;
	u32 nn = ctrl->info.nn;

	if (readl((u8 __iomem *)ctrl->bar + NVME_REG_VS) >= NVME_VS_1_1 && !list_active(ctrl, ids, &n))
		return n;
	if (nn > NVME_MAX_NAMESPACES) {
		printk("%s: %u namespaces: only 1-%u are used\n", ctrl->name, nn, NVME_MAX_NAMESPACES);
		nn = NVME_MAX_NAMESPACES;
	}
	for (u32 id = 1; id <= nn; id++)
		ids[n++] = id;
	return n;
}

/* Identify namespace @nsid into @info. 0, or -ENODEV (inactive: say nothing), or -errno. */
static int identify_ns(struct nvme_ctrl *ctrl, u32 nsid, struct nvme_ns_info *info)
{
	char why[128];
	int err;

	mutex_lock(&ctrl->reset_mutex);
	err = nvme_identify(ctrl, nsid, NVME_ID_CNS_NS);
	if (!err)
		err = nvme_parse_id_ns(ctrl->id_buf, info, why, sizeof(why));
	mutex_unlock(&ctrl->reset_mutex);
	if (err == -EINVAL)
		printk("%s: namespace %u not used: %s\n", ctrl->name, nsid, why);
	return err;
}

/* What the block layer must respect so that every request is one NVMe command. */
static void ns_limits(struct nvme_ctrl *ctrl, const struct nvme_ns_info *info,
		      struct queue_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->logical_block_size = 1u << info->lba_shift;
	lim->physical_block_size = info->physical_block_size;
	lim->max_hw_sectors = (u32)(ctrl->max_transfer >> SECTOR_SHIFT);
	lim->max_segments = (u16)(ctrl->max_transfer / PAGE_SIZE + 1);
	lim->virt_boundary_mask = PAGE_SIZE - 1;	/* PRPs: pages after the first start at 0 */
	lim->dma_alignment = 3;				/* PRP1 needs a dword-aligned address */
	if (ctrl->info.vwc)
		lim->features = BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
}

/* A disk for namespace @nsid, if it is usable. */
static void add_ns(struct nvme_ctrl *ctrl, u32 nsid)
{
	struct nvme_ns_info info;
	struct queue_limits lim;
	struct nvme_ns *ns;
	int err = identify_ns(ctrl, nsid, &info);

	if (err)
		return;
	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		goto fail;
	ns->ctrl = ctrl;
	ns->nsid = nsid;
	ns->lba_shift = info.lba_shift;
	ns_limits(ctrl, &info, &lim);
	ns->disk = blk_mq_alloc_disk(&ctrl->set, &lim, ns, &err);
	if (!ns->disk)
		goto fail;
	snprintf(ns->disk->disk_name, sizeof(ns->disk->disk_name), "%sn%u", ctrl->name, nsid);
	set_capacity(ns->disk, info.nr_blocks << (info.lba_shift - SECTOR_SHIFT));
	set_disk_ro(ns->disk, info.read_only);
	err = add_disk(ns->disk);
	if (err)
		goto fail;
	ctrl->ns[ctrl->nr_ns++] = ns;
	return;
fail:
	printk("%s: namespace %u: no disk (error %d)\n", ctrl->name, nsid, err ? err : -ENOMEM);
	if (ns && ns->disk)
		put_disk(ns->disk);
	kfree(ns);
}

void nvme_scan_namespaces(struct nvme_ctrl *ctrl)
{
	u32 ids[NVME_MAX_NAMESPACES];
	unsigned int n;

	mutex_lock(&ctrl->reset_mutex);
	n = list_namespaces(ctrl, ids);
	mutex_unlock(&ctrl->reset_mutex);
	for (unsigned int i = 0; i < n; i++)
		add_ns(ctrl, ids[i]);
	if (!ctrl->nr_ns)
		printk("%s: no usable namespace\n", ctrl->name);
}

void nvme_remove_namespaces(struct nvme_ctrl *ctrl)
{
	for (unsigned int i = 0; i < ctrl->nr_ns; i++) {
		del_gendisk(ctrl->ns[i]->disk);
		put_disk(ctrl->ns[i]->disk);
		kfree(ctrl->ns[i]);
		ctrl->ns[i] = NULL;
	}
	ctrl->nr_ns = 0;
}
