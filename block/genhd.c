/*
 * Disks and their block devices: registration, names and numbers,
 * partitions, lookups (include/pagoda/blkdev.h; docs/block-layer.md).
 *
 * Locks, outer first:
 *   disk->open_mutex   partition (re)scans of that disk
 *   bdev_lock          the list of disks, each disk's partition list,
 *                      reference counts (bd_openers, disk->refs), the
 *                      extended minors
 *   set->lock          disk->state, disk->nr_inflight (block/blk_mq.c)
 * A partition list changes only with both open_mutex and bdev_lock held,
 * so a walk under either sees it whole.
 */
#include "blk.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <pagoda/string.h>
#include <pagoda/vsprintf.h>
#include <mm/slab.h>

#define BITS_PER_LONG		(8 * sizeof(unsigned long))

DEFINE_MUTEX(bdev_lock);
static LIST_HEAD(all_disks);			/* gendisk.disk_node, in add order */
static unsigned long ext_minors[BLK_EXT_MINORS / BITS_PER_LONG];	/* 259:N in use */

/* ---- device numbers ---- */

static int alloc_ext_minor(void)
{
	mutex_assert_held(&bdev_lock);
	for (unsigned int i = 0; i < BLK_EXT_MINORS; i++) {
		unsigned long bit = 1ul << (i % BITS_PER_LONG);

		if (!(ext_minors[i / BITS_PER_LONG] & bit)) {
			ext_minors[i / BITS_PER_LONG] |= bit;
			return (int)i;
		}
	}
	return -ENOSPC;
}

static void free_devt(dev_t dev)
{
	mutex_assert_held(&bdev_lock);
	if (MAJOR(dev) == BLOCK_EXT_MAJOR && MINOR(dev) < BLK_EXT_MINORS)
		ext_minors[MINOR(dev) / BITS_PER_LONG] &= ~(1ul << (MINOR(dev) % BITS_PER_LONG));
}

/* The number of partition @partno of @disk (0: the disk): its own minors first. */
static int alloc_devt(struct gendisk *disk, unsigned int partno, dev_t *dev)
{
	int minor;

	if (disk->major && (int)partno < disk->minors) {
		*dev = MKDEV(disk->major, disk->first_minor + partno);
		return 0;
	}
	minor = alloc_ext_minor();
	if (minor < 0)
		return minor;
	*dev = MKDEV(BLOCK_EXT_MAJOR, minor);
	return 0;
}

/* ---- lookups ---- */

/* Call fn for @disk's block devices (bdev_lock held). */
static int for_each_bdev_of(struct gendisk *disk, int (*fn)(struct block_device *, void *),
			    void *arg)
{
	struct block_device *part;
	int ret = fn(disk->part0, arg);

	if (ret)
		return ret;
	list_for_each_entry(part, &disk->parts, bd_disk_node) {
		ret = fn(part, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int for_each_bdev_locked(int (*fn)(struct block_device *, void *), void *arg)
{
	struct gendisk *disk;

	mutex_assert_held(&bdev_lock);
	list_for_each_entry(disk, &all_disks, disk_node) {
		int ret = for_each_bdev_of(disk, fn, arg);

		if (ret)
			return ret;
	}
	return 0;
}

int blkdev_for_each(int (*fn)(struct block_device *bdev, void *arg), void *arg)
{
	int ret;

	mutex_lock(&bdev_lock);
	ret = for_each_bdev_locked(fn, arg);
	mutex_unlock(&bdev_lock);
	return ret;
}

/* What a lookup looks for: a name, else a part type, else a number. */
struct bdev_match {
	const char *name;
	const guid_t *part_type;
	dev_t dev;
	struct block_device *found;
};

static int match_bdev(struct block_device *bdev, void *arg)
{
	struct bdev_match *m = arg;
	bool hit;

	if (m->name)
		hit = !strcmp(bdev->bd_name, m->name);
	else if (m->part_type)
		hit = bdev->bd_partno && guid_equal(&bdev->bd_part_type, m->part_type);
	else
		hit = bdev->bd_dev == m->dev;
	if (hit)
		m->found = bdev;
	return hit;
}

static void blkdev_get_locked(struct block_device *bdev)
{
	bdev->bd_openers++;
	bdev->bd_disk->refs++;
}

static struct block_device *blkdev_lookup(struct bdev_match *m)
{
	mutex_lock(&bdev_lock);
	if (for_each_bdev_locked(match_bdev, m))
		blkdev_get_locked(m->found);
	mutex_unlock(&bdev_lock);
	return m->found;
}

struct block_device *blkdev_get_by_name(const char *name)
{
	struct bdev_match m = { .name = name };

	return blkdev_lookup(&m);
}

struct block_device *blkdev_get_by_dev(dev_t dev)
{
	struct bdev_match m = { .dev = dev };

	return blkdev_lookup(&m);
}

struct block_device *blkdev_get_by_part_type(const guid_t *type)
{
	struct bdev_match m = { .part_type = type };

	return blkdev_lookup(&m);
}

void blkdev_get(struct block_device *bdev)
{
	mutex_lock(&bdev_lock);
	blkdev_get_locked(bdev);
	mutex_unlock(&bdev_lock);
}

static void disk_release_locked(struct gendisk *disk);

void blkdev_put(struct block_device *bdev)
{
	struct gendisk *disk = bdev->bd_disk;

	mutex_lock(&bdev_lock);
	BUG_ON(bdev->bd_openers <= 0);
	if (--bdev->bd_openers == 0 && bdev->bd_removed && bdev != disk->part0)
		kfree(bdev);		/* removed while held: ours to free now */
	if (--disk->refs == 0)
		disk_release_locked(disk);
	mutex_unlock(&bdev_lock);
}

void bdev_set_read_only(struct block_device *bdev, bool read_only)
{
	WRITE_ONCE(bdev->bd_read_only, read_only);
}

/* ---- disks ---- */

/* Fill in the defaults of @l and check it; -EINVAL for an impossible one. */
static int blk_validate_limits(struct queue_limits *l)
{
	u32 spb;

	if (!l->logical_block_size)
		l->logical_block_size = SECTOR_SIZE;
	if (!is_power_of_2(l->logical_block_size) || l->logical_block_size < SECTOR_SIZE ||
	    l->logical_block_size > PAGE_SIZE)
		return -EINVAL;
	spb = l->logical_block_size >> SECTOR_SHIFT;
	if (!l->physical_block_size)
		l->physical_block_size = l->logical_block_size;
	if (!is_power_of_2(l->physical_block_size) || l->physical_block_size < l->logical_block_size)
		return -EINVAL;
	if (!l->max_hw_sectors)
		l->max_hw_sectors = 2560;
	l->max_hw_sectors = ALIGN_DOWN(l->max_hw_sectors, spb);
	if (!l->max_hw_sectors || l->max_hw_sectors > (1u << 22))
		return -EINVAL;
	if (!l->max_segments)
		l->max_segments = 128;
	if (l->virt_boundary_mask) {
		if (!is_power_of_2(l->virt_boundary_mask + 1))
			return -EINVAL;
		l->max_segment_size = 0xffffffffu;	/* segments are cut at pages by the device */
	}
	if (!l->max_segment_size)
		l->max_segment_size = 65536;
	if (l->max_segment_size < PAGE_SIZE)
		return -EINVAL;
	if (!l->dma_alignment)
		l->dma_alignment = SECTOR_SIZE - 1;
	if (!is_power_of_2((u64)l->dma_alignment + 1) || l->dma_alignment >= PAGE_SIZE)
		return -EINVAL;
	return 0;
}

struct gendisk *blk_mq_alloc_disk(struct blk_mq_tag_set *set, const struct queue_limits *lim,
				  void *private_data, int *err)
{
	struct gendisk *disk = kzalloc(sizeof(*disk), GFP_KERNEL);
	struct block_device *part0 = kzalloc(sizeof(*part0), GFP_KERNEL);
	unsigned long flags;

	*err = -ENOMEM;
	if (!disk || !part0)
		goto fail;
	disk->limits = lim ? *lim : (struct queue_limits){ 0 };
	*err = blk_validate_limits(&disk->limits);
	if (*err)
		goto fail;
	disk->set = set;
	disk->private_data = private_data;
	disk->timeout_ns = BLK_DEFAULT_TIMEOUT_NS;
	disk->refs = 1;
	disk->part0 = part0;
	list_init(&disk->parts);
	list_init(&disk->disk_node);
	mutex_init(&disk->open_mutex, "open_mutex");
	init_waitqueue_head(&disk->inflight_wait);
	part0->bd_disk = disk;
	list_init(&part0->bd_disk_node);
	spin_lock_irqsave(&set->lock, flags);
	list_add_tail(&disk->set_node, &set->disks);
	spin_unlock_irqrestore(&set->lock, flags);
	*err = 0;
	return disk;
fail:
	kfree(part0);
	kfree(disk);
	return NULL;
}

void set_capacity(struct gendisk *disk, sector_t sectors)
{
	u32 spb = disk->limits.logical_block_size >> SECTOR_SHIFT;

	disk->part0->bd_nr_sectors = ALIGN_DOWN(sectors, (sector_t)spb);
}

void set_disk_ro(struct gendisk *disk, bool read_only)
{
	WRITE_ONCE(disk->read_only, read_only);
}

void blk_queue_rq_timeout(struct gendisk *disk, u64 timeout_ns)
{
	disk->timeout_ns = timeout_ns;
}

static int name_taken(struct block_device *bdev, void *arg)
{
	return !strcmp(bdev->bd_name, arg);
}

/* "nvme0n1: 64.0 MiB, 131072 512-byte logical blocks (physical 512)" */
static void print_disk(const struct gendisk *disk)
{
	const struct queue_limits *l = &disk->limits;
	sector_t sectors = get_capacity(disk);
	char size[32];

	blk_format_size(size, sizeof(size), sectors << SECTOR_SHIFT);
	printk("%s: %s, %llu %u-byte logical blocks (physical %u)%s%s\n", disk->disk_name, size,
	       (unsigned long long)(sectors / (l->logical_block_size >> SECTOR_SHIFT)),
	       l->logical_block_size, l->physical_block_size,
	       disk->read_only ? ", read-only" : "",
	       (l->features & BLK_FEAT_WRITE_CACHE) ? ", write cache" : "");
}

int add_disk(struct gendisk *disk)
{
	struct block_device *part0 = disk->part0;
	unsigned long flags;
	int err;

	might_sleep();
	if (!disk->disk_name[0] || !get_capacity(disk))
		return -EINVAL;
	mutex_lock(&bdev_lock);
	err = -EEXIST;
	if (for_each_bdev_locked(name_taken, disk->disk_name))
		goto out;
	err = alloc_devt(disk, 0, &part0->bd_dev);
	if (err)
		goto out;
	strncpy(part0->bd_name, disk->disk_name, BDEVNAME_SIZE - 1);
	list_add_tail(&disk->disk_node, &all_disks);
	spin_lock_irqsave(&disk->set->lock, flags);
	disk->state = GD_ADDED;
	spin_unlock_irqrestore(&disk->set->lock, flags);
out:
	mutex_unlock(&bdev_lock);
	if (err)
		return err;
	print_disk(disk);
	devtmpfs_add_bdev(part0);
	mutex_lock(&disk->open_mutex);
	blk_scan_partitions(disk);
	mutex_unlock(&disk->open_mutex);
	return 0;
}

/* Take @bdev out of its disk's list; free it unless a user holds it (bdev_lock held). */
static void remove_bdev_locked(struct block_device *bdev)
{
	devtmpfs_remove_bdev(bdev);
	WRITE_ONCE(bdev->bd_removed, true);
	free_devt(bdev->bd_dev);
	list_del_init(&bdev->bd_disk_node);
	if (bdev != bdev->bd_disk->part0 && bdev->bd_openers == 0)
		kfree(bdev);
}

/* Drop every partition of @disk (open_mutex and bdev_lock held). */
static void drop_partitions_locked(struct gendisk *disk)
{
	while (!list_empty(&disk->parts))
		remove_bdev_locked(list_first_entry(&disk->parts, struct block_device,
						    bd_disk_node));
}

void del_gendisk(struct gendisk *disk)
{
	struct blk_mq_tag_set *set = disk->set;
	unsigned long flags;

	might_sleep();
	spin_lock_irqsave(&set->lock, flags);
	disk->state |= GD_DEAD;
	spin_unlock_irqrestore(&set->lock, flags);
	wait_event(disk->inflight_wait, READ_ONCE(disk->nr_inflight) == 0);
	/*
	 * A request that completed while its ->timeout() ran has ended its
	 * bio, but the handler may still use the driver's state (the disk,
	 * the device): once we return the driver frees it.
	 */
	blk_timeout_sync();
	mutex_lock(&disk->open_mutex);
	mutex_lock(&bdev_lock);
	drop_partitions_locked(disk);
	remove_bdev_locked(disk->part0);
	list_del_init(&disk->disk_node);
	mutex_unlock(&bdev_lock);
	mutex_unlock(&disk->open_mutex);
	spin_lock_irqsave(&set->lock, flags);	/* the last bio's end has let go of the lock */
	disk->state &= ~GD_ADDED;
	list_del_init(&disk->set_node);
	spin_unlock_irqrestore(&set->lock, flags);
}

/* Free @disk, its last reference gone (bdev_lock held). */
static void disk_release_locked(struct gendisk *disk)
{
	unsigned long flags;

	if (!list_empty(&disk->set_node)) {	/* never added, or not deleted */
		BUG_ON(disk->state & GD_ADDED);
		spin_lock_irqsave(&disk->set->lock, flags);
		list_del_init(&disk->set_node);
		spin_unlock_irqrestore(&disk->set->lock, flags);
	}
	kfree(disk->part0);
	kfree(disk);
}

void put_disk(struct gendisk *disk)
{
	mutex_lock(&bdev_lock);
	if (--disk->refs == 0)
		disk_release_locked(disk);
	mutex_unlock(&bdev_lock);
}

/* ---- partitions ---- */

/* Register partition @e of @disk (open_mutex held). Logs and returns -errno on failure. */
static int add_partition(struct gendisk *disk, const struct part_entry *e)
{
	u32 spb = disk->limits.logical_block_size >> SECTOR_SHIFT;
	struct block_device *bdev = kzalloc(sizeof(*bdev), GFP_KERNEL);
	int err = -ENOMEM;

	if (!bdev)
		goto fail;
	bdev->bd_disk = disk;
	bdev->bd_partno = (u16)e->number;
	bdev->bd_start_sect = e->start * spb;
	bdev->bd_nr_sectors = e->nr_blocks * spb;
	bdev->bd_mbr_type = e->mbr_type;
	bdev->bd_part_type = e->type_guid;
	bdev->bd_part_uuid = e->uuid;
	memcpy(bdev->bd_part_name, e->name, sizeof(bdev->bd_part_name));
	err = disk_part_name(bdev->bd_name, sizeof(bdev->bd_name), disk->disk_name, e->number);
	if (err)
		goto fail;
	mutex_lock(&bdev_lock);
	err = for_each_bdev_locked(name_taken, bdev->bd_name) ? -EEXIST :
	      alloc_devt(disk, e->number, &bdev->bd_dev);
	if (!err)
		list_add_tail(&bdev->bd_disk_node, &disk->parts);
	mutex_unlock(&bdev_lock);
	if (err)
		goto fail;
	devtmpfs_add_bdev(bdev);
	return 0;
fail:
	printk("%s: partition %u not registered (error %d)\n", disk->disk_name, e->number, err);
	kfree(bdev);
	return err;
}

/*
 * The partition table as a source for the parsers: block @lba read into a
 * bounce block (a kmalloc of the block size is aligned to it, which any
 * DMA alignment accepts), then copied to the parser's buffer.
 */
struct scan_ctx {
	struct gendisk *disk;
	void *bounce;
};

static int disk_read_block(void *ctx, u64 lba, void *buf)
{
	struct scan_ctx *sc = ctx;
	u32 bs = sc->disk->limits.logical_block_size;
	int err = blkdev_read(sc->disk->part0, lba * (bs >> SECTOR_SHIFT), sc->bounce, bs);

	if (!err)
		memcpy(buf, sc->bounce, bs);
	return err;
}

/* "vda: p1 p2 < p5 p6 > (MBR)" */
static void print_partitions(const struct gendisk *disk, const struct part_table *pt)
{
	char line[256];
	size_t n = 0;
	bool in_logical = false;

	if (pt->kind == PART_TABLE_NONE) {
		printk("%s: no partition table\n", disk->disk_name);
		return;
	}
	for (unsigned int i = 0; i < pt->nr && n < sizeof(line) - 16; i++) {
		bool logical = pt->parts[i].flags & PART_FLAG_LOGICAL;

		if (logical != in_logical)
			n += snprintf(line + n, sizeof(line) - n, " %s", logical ? "<" : ">");
		in_logical = logical;
		n += snprintf(line + n, sizeof(line) - n, " p%u", pt->parts[i].number);
	}
	if (in_logical && n < sizeof(line) - 2)
		n += snprintf(line + n, sizeof(line) - n, " >");
	line[n] = '\0';
	printk("%s:%s (%s)\n", disk->disk_name, n ? line : " no partitions",
	       part_table_kind_name(pt->kind));
}

/*
 * Read @disk's partition table and register what it holds (open_mutex
 * held, no partitions registered). An unreadable or corrupt table is
 * logged and leaves the disk without partitions.
 */
void blk_scan_partitions(struct gendisk *disk)
{
	u32 bs = disk->limits.logical_block_size;
	struct scan_ctx sc = { disk, kmalloc(bs, GFP_KERNEL) };
	struct part_table *pt = kmalloc(sizeof(*pt), GFP_KERNEL);
	struct part_source src = {
		.name = disk->disk_name, .block_size = bs,
		.nr_blocks = get_capacity(disk) / (bs >> SECTOR_SHIFT),
		.read_block = disk_read_block, .ctx = &sc,
	};
	int err;

	mutex_assert_held(&disk->open_mutex);
	if (!pt || !sc.bounce) {
		printk("%s: no memory to read the partition table\n", disk->disk_name);
		goto out;
	}
	err = part_scan(&src, pt);
	if (err)
		printk("%s: partition table unreadable (error %d)\n", disk->disk_name, err);
	disk->part_kind = pt->kind;
	print_partitions(disk, pt);
	for (unsigned int i = 0; i < pt->nr; i++)
		add_partition(disk, &pt->parts[i]);
out:
	kfree(pt);
	kfree(sc.bounce);
}

static int held(struct block_device *bdev, void *arg)
{
	return bdev->bd_partno && bdev->bd_openers;
}

int disk_rescan_partitions(struct gendisk *disk)
{
	int err = 0;

	might_sleep();
	mutex_lock(&disk->open_mutex);
	mutex_lock(&bdev_lock);
	if (for_each_bdev_of(disk, held, NULL))
		err = -EBUSY;
	else
		drop_partitions_locked(disk);
	mutex_unlock(&bdev_lock);
	if (!err)
		blk_scan_partitions(disk);
	mutex_unlock(&disk->open_mutex);
	return err;
}
