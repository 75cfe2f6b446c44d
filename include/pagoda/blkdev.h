/*
 * Disks and block devices. block/genhd.c, block/blk_core.c;
 * docs/block-layer.md.
 *
 * A driver describes each disk (an NVMe namespace, a virtio-blk device, a
 * test RAM disk) with a struct gendisk attached to the tag set of its
 * controller (include/pagoda/blk_mq.h), then add_disk() registers it: the
 * whole disk and each partition found on it become a struct block_device
 * with a name and a device number, and the disk is logged:
 *
 *   nvme0n1: 64.0 MiB, 131072 512-byte logical blocks (physical 512)
 *   nvme0n1: p1 p2 (GPT)
 *
 * Users find a block device by name or number (blkdev_get_by_name("vda1"))
 * or walk them all (blkdev_for_each), read and write it with bios
 * (include/pagoda/bio.h) or the kernel-buffer helpers below, and put it
 * back with blkdev_put().
 */
#ifndef PAGODA_BLKDEV_H
#define PAGODA_BLKDEV_H

#include <pagoda/blk_types.h>
#include <pagoda/bio.h>
#include <pagoda/list.h>
#include <pagoda/mutex.h>
#include <pagoda/uuid.h>
#include <pagoda/wait.h>
#include <pagoda/partitions.h>

struct blk_mq_tag_set;
struct bdev_cache;
struct file_operations;

#define BDEVNAME_SIZE		32	/* "nvme0n1p128" and room to spare */
#define BLK_DEFAULT_TIMEOUT_NS	(30ull * 1000000000ull)	/* Linux's 30 s */

/*
 * Device numbers (dev_t) reserved for block devices, Linux's:
 *   259  BLOCK_EXT_MAJOR  disks with no major of their own (NVMe namespaces:
 *                        nvme0n1 is 259:0) and partitions past a disk's own
 *                        minors; minors handed out in order
 *   254  VIRTBLK_MAJOR    virtio-blk, 16 minors a disk (vda 254:0, vda1
 *                        254:1 ... vda15; vdb 254:16); Linux allocates this
 *                        major dynamically, and 254 is what it gets first
 *     8  SCSI_DISK0_MAJOR sd (AHCI, USB storage: roadmap), 16 minors a disk
 */
#define SCSI_DISK0_MAJOR	8
#define VIRTBLK_MAJOR		254
#define BLOCK_EXT_MAJOR		259
#define BLK_EXT_MINORS		4096	/* minors of 259 we hand out */

/* What the hardware can take in one request (all set by the driver). */
struct queue_limits {
	u32 logical_block_size;		/* 512 .. PAGE_SIZE, a power of two */
	u32 physical_block_size;	/* >= logical; 0: = logical */
	u32 max_hw_sectors;		/* per request, 512-byte units; 0: 2560 */
	u16 max_segments;		/* DMA segments per request; 0: 128 */
	u32 max_segment_size;		/* bytes per segment; 0: 65536 (no limit with a virt boundary) */
	/*
	 * Virtual boundary (NVMe PRP lists): with mask m != 0, inside one
	 * request every segment but the first starts at an address with
	 * (addr & m) == 0 and every segment but the last ends at one. The
	 * core splits where a bio breaks the rule. m + 1 a power of two.
	 */
	u64 virt_boundary_mask;
	u32 dma_alignment;		/* mask: vector offsets and lengths; 0: 511 */
	u32 features;			/* BLK_FEAT_* */
};

#define BLK_FEAT_WRITE_CACHE	0x01	/* volatile write cache: flushes reach the driver */
#define BLK_FEAT_FUA		0x02	/* the device does REQ_FUA itself */

/* gendisk.state */
#define GD_ADDED		0x01	/* add_disk() done, not yet deleted */
#define GD_DEAD			0x02	/* del_gendisk() started: new bios fail */

struct gendisk {
	char disk_name[BDEVNAME_SIZE];	/* set by the driver before add_disk */
	int major, first_minor;		/* the driver's, or 0: BLOCK_EXT_MAJOR */
	int minors;			/* own minors (whole disk + partitions); 0: none */
	struct queue_limits limits;	/* validated by blk_mq_alloc_disk */
	bool read_only;
	u64 timeout_ns;			/* per request; blk_queue_rq_timeout() */
	void *private_data;		/* the driver's */
	struct blk_mq_tag_set *set;
	struct list_head set_node;	/* in set->disks (set->lock) */

	/* below: the block layer's */
	struct block_device *part0;	/* the whole disk */
	struct list_head parts;		/* its partitions' bd_disk_node, by number (open_mutex) */
	enum part_table_kind part_kind;
	struct mutex open_mutex;	/* partition (re)scan vs. partition lookups */
	unsigned int state;		/* GD_*: written under set->lock */
	unsigned long nr_inflight;	/* bios inside the block layer (set->lock) */
	struct wait_queue_head inflight_wait;	/* del_gendisk waits for 0 */
	int refs;			/* driver's + one per open block device (bdev_lock) */
	struct list_head disk_node;	/* in the list of all disks (bdev_lock) */
	/* counters (set->lock): bios ended, by op, and their sectors */
	unsigned long ios[3];
	u64 sectors[3];
};

/* The whole disk or one partition. */
struct block_device {
	dev_t bd_dev;
	char bd_name[BDEVNAME_SIZE];	/* "vda", "vda1", "nvme0n1p2" */
	struct gendisk *bd_disk;
	u16 bd_partno;			/* 0: the whole disk */
	bool bd_read_only;		/* this partition (or the disk's part0) only */
	bool bd_removed;		/* gone (rescan, del_gendisk): I/O fails */
	sector_t bd_start_sect;		/* on the disk */
	sector_t bd_nr_sectors;
	/* from the partition table (zero for the whole disk) */
	u8 bd_mbr_type;
	guid_t bd_part_type;		/* GPT type GUID (the crash dump looks for its own) */
	guid_t bd_part_uuid;
	char bd_part_name[PART_NAME_MAX];
	int bd_openers;			/* references from lookups (bdev_lock) */
	/* its device files (fs/block_dev.c; bdev_files_mutex) */
	struct bdev_cache *bd_cache;	/* the page cache while a file is open, or NULL */
	void *bd_holder;		/* exclusive claim (O_EXCL open, a mount), or NULL */
	int bd_holders;			/* claims by bd_holder; partitions' claims on part0 */
	struct list_head bd_disk_node;	/* disk->parts (open_mutex) */
	struct list_head bd_list;	/* all block devices (bdev_lock) */
};

/* ---- for drivers: disks ---- */

/*
 * A new disk on @set with limits @lim (NULL: all defaults; zero fields get
 * the defaults; impossible ones give -EINVAL) and @private_data. The
 * driver then sets disk_name (and major/first_minor/minors if it has its
 * own numbers), set_capacity(), and calls add_disk(). Returns the disk, or
 * NULL with *err = -ENOMEM or -EINVAL. Sleeps.
 */
struct gendisk *blk_mq_alloc_disk(struct blk_mq_tag_set *set, const struct queue_limits *lim,
				  void *private_data, int *err);
/* Size in 512-byte sectors (a multiple of the logical block size). Before add_disk. */
void set_capacity(struct gendisk *disk, sector_t sectors);
static inline sector_t get_capacity(const struct gendisk *disk);
void set_disk_ro(struct gendisk *disk, bool read_only);
/* Deadline of each request of this disk (Linux's default 30 s). */
void blk_queue_rq_timeout(struct gendisk *disk, u64 timeout_ns);

/*
 * Register @disk: number it, log it, read its partition table and register
 * the partitions. Returns 0 or -errno (-EEXIST for a name in use, -ENOSPC
 * when out of minors); a partition table that cannot be read is logged,
 * not an error. Process context; sleeps (does I/O).
 */
int add_disk(struct gendisk *disk);
/*
 * Unregister @disk: new bios fail with BLK_STS_OFFLINE, wait for the bios
 * already inside to end (the driver must still be completing them, or
 * time out) and for kblockd to leave any ->timeout() it is running, then
 * remove its block devices (those still held by users stay allocated
 * until blkdev_put, failing I/O). Afterwards no ->timeout() of the disk's
 * requests runs. Sleeps; never from a ->timeout() nor with a lock one
 * takes.
 */
void del_gendisk(struct gendisk *disk);
/* Drop the driver's reference (after del_gendisk, or instead of add_disk). */
void put_disk(struct gendisk *disk);

/*
 * Read the partition table again and replace the partitions (Linux's
 * BLKRRPART). -EBUSY while a partition is held by a user. Sleeps.
 */
int disk_rescan_partitions(struct gendisk *disk);

/* ---- for users: block devices ---- */

/* The block device named @name, with a reference, or NULL. Sleeps (bdev_lock). */
struct block_device *blkdev_get_by_name(const char *name);
/* The block device numbered @dev, with a reference, or NULL. Sleeps. */
struct block_device *blkdev_get_by_dev(dev_t dev);
/*
 * The first partition (in blkdev_for_each order) whose GPT type GUID is
 * @type, with a reference, or NULL: how the crash dump finds its
 * partition. Look it up at boot and keep it: this sleeps. Sleeps.
 */
struct block_device *blkdev_get_by_part_type(const guid_t *type);
/* Take another reference / drop one. Sleeps (bdev_lock). */
void blkdev_get(struct block_device *bdev);
void blkdev_put(struct block_device *bdev);
/*
 * Call fn(bdev, arg) for every registered block device, disks in the order
 * they were added, each whole disk before its partitions, until fn returns
 * non-zero; returns that value or 0. fn runs under bdev_lock (a mutex): it
 * may sleep but must not look block devices up. Sleeps.
 */
int blkdev_for_each(int (*fn)(struct block_device *bdev, void *arg), void *arg);

static inline sector_t bdev_nr_sectors(const struct block_device *bdev)
{
	return bdev->bd_nr_sectors;
}

static inline u32 bdev_logical_block_size(const struct block_device *bdev)
{
	return bdev->bd_disk->limits.logical_block_size;
}

static inline bool bdev_is_partition(const struct block_device *bdev)
{
	return bdev->bd_partno != 0;
}

static inline bool bdev_read_only(const struct block_device *bdev)
{
	return bdev->bd_read_only || bdev->bd_disk->read_only;
}

/* Make one partition (or the whole disk's part0) read-only or writable. */
void bdev_set_read_only(struct block_device *bdev, bool read_only);

static inline sector_t get_capacity(const struct gendisk *disk)
{
	return disk->part0->bd_nr_sectors;
}

/*
 * Read or write @len bytes of a kernel buffer (kmalloc or direct-map
 * memory; not a stack or vmalloc address: -EINVAL) at @sector, sleeping
 * until done. For metadata users and tests. Returns 0 or -errno.
 */
int blkdev_read(struct block_device *bdev, sector_t sector, void *buf, size_t len);
int blkdev_write(struct block_device *bdev, sector_t sector, const void *buf, size_t len);
/*
 * Make completed writes durable: a FLUSH to the disk if it has a volatile
 * write cache, else nothing. 0 or -errno. Sleeps.
 */
int blkdev_issue_flush(struct block_device *bdev);

/*
 * Polled I/O for the crash path: submit @bio and wait for it by calling
 * the driver's poll operation, never sleeping and never needing an
 * interrupt; it works with interrupts off. Uses the tag set's reserved
 * tag, so it does not wait behind regular I/O. The bio must fit the disk
 * as submit_bio's checks say; it is split like any other, one request at
 * a time. Gives up after @timeout_ns (0: the disk's timeout) with
 * -ETIMEDOUT. Returns 0 or -errno (-EOPNOTSUPP: the driver cannot poll;
 * -EBUSY: another polled request is in progress; -ENODEV: the disk was
 * deleted); bi_end_io is called on every path, before returning. While
 * the kernel is dying a reserved tag left busy (by the context that died)
 * is taken over instead of -EBUSY. Does not allocate, never sleeps; any
 * context.
 */
int blk_execute_polled(struct bio *bio, u64 timeout_ns);
/* blk_execute_polled() of a kernel buffer (direct map), in chunks of up to 64 KiB. */
int blkdev_rw_polled(struct block_device *bdev, enum req_op op, sector_t sector,
		     void *buf, size_t len, u64 timeout_ns);

/*
 * devtmpfs (fs/console.c): /dev/NAME, a block-device node of @bdev's
 * number, made when a disk or partition is registered and removed with
 * it. Process context; sleeps.
 */
void devtmpfs_add_bdev(struct block_device *bdev);
void devtmpfs_remove_bdev(struct block_device *bdev);

/*
 * ---- block devices as files (fs/block_dev.c; docs/vfs.md) ----
 *
 * Opening a block-device node (def_blk_fops, the i_fop of every S_IFBLK
 * inode) gives a file on the device's own page cache: one address_space
 * per block device, shared by every open of every node naming it, made
 * at the first open and written back and dropped at the last close (as
 * Linux's blkdev_put). Reads, writes and mmap go through the generic
 * page-cache paths with the identity block map (fs/mpage.c).
 */
extern const struct file_operations def_blk_fops;

/*
 * Claim @bdev exclusively for @holder (Linux's bd_prepare_to_claim and
 * bd_finish_claiming): 0, or -EBUSY when another holder has it, or has
 * the whole disk (for a partition), or a partition of it (for the whole
 * disk). The same holder may claim again; each claim is released with
 * bd_release(). Sleeps (bdev_files_mutex).
 */
int bd_claim(struct block_device *bdev, void *holder);
void bd_release(struct block_device *bdev, void *holder);
/*
 * Pages in the page caches of block devices (/proc/meminfo "Buffers", as
 * Linux's nr_blockdev_pages). Any context but interrupt handlers; a
 * snapshot.
 */
unsigned long nr_blockdev_pages(void);
/*
 * sync(2) and power-off: write every block device's dirty cached pages,
 * wait for them and flush the disks' write caches. 0 or the first error.
 * Sleeps.
 */
int sync_blockdevs(void);

/* ---- names (block/disk_name.c, host-compilable) ---- */

/*
 * Linux's letter names: @prefix + "a".."z", "aa".."zz", "aaa"... for
 * @index 0, 1, ... (vda, vdb, ..., vdz, vdaa). Returns 0, or -ENAMETOOLONG
 * if it does not fit @size.
 */
int disk_name_letters(char *buf, size_t size, const char *prefix, unsigned int index);
/* @disk + partition @partno: "vda1", "nvme0n1p1" ('p' after a digit). 0 or -ENAMETOOLONG. */
int disk_part_name(char *buf, size_t size, const char *disk, unsigned int partno);
/* "64.0 MiB": @bytes in the largest binary unit it reaches, one decimal. */
void blk_format_size(char *buf, size_t size, u64 bytes);

#endif
