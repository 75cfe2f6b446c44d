/*
 * Inodes: allocation, reference counts, link counts, sizes and the page
 * cache each one owns (docs/vfs.md). There is no inode cache: in-memory
 * file systems keep their inodes pinned by their dentries (ramfs, procfs,
 * devtmpfs), so an inode whose last reference goes is gone for good and
 * is evicted at once: its pages dropped, ->evict_inode called, freed. A
 * disk file system (ext2) keeps its inodes while their dentries are
 * cached; at eviction a linked file's dirty pages are written back first,
 * and the file system finds live inodes by number with igrab_live().
 *
 * Locking: i_count under inode_lock (a spinlock); i_size written under
 * i_size_lock by a holder of i_rwsem, read locklessly (i_size_read).
 */
#include <pagoda/fs.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/pmm.h>
#include <mm/writeback.h>
#include <mm/slab.h>

static spinlock_t inode_lock = SPINLOCK_INIT;

u64 ktime_get_real_ns(void);

struct timespec64 current_time(void)
{
	u64 ns = ktime_get_real_ns();

	return (struct timespec64){ .tv_sec = (s64)(ns / 1000000000ULL),
				    .tv_nsec = (long)(ns % 1000000000ULL) };
}

struct inode *new_inode(struct super_block *sb)
{
	struct inode *inode = kzalloc(sizeof(*inode), GFP_KERNEL);

	if (!inode)
		return NULL;
	inode->i_sb = sb;
	inode->i_ino = sb ? sb->s_next_ino++ : 0;
	inode->i_nlink = 1;
	inode->i_count = 1;
	spin_lock_init(&inode->i_size_lock);
	init_rwsem(&inode->i_rwsem, "i_rwsem");
	inode->i_atime = inode->i_mtime = inode->i_ctime = current_time();
	list_init(&inode->i_sb_list);
	return inode;
}

void inode_init_mapping(struct inode *inode, const struct address_space_operations *a_ops,
			unsigned long as_flags)
{
	address_space_init(&inode->i_data, inode, a_ops, &kernel_pmm);
	inode->i_data.flags |= as_flags;
	inode->i_mapping = &inode->i_data;
}

struct inode *igrab(struct inode *inode)
{
	spin_lock(&inode_lock);
	inode->i_count++;
	spin_unlock(&inode_lock);
	return inode;
}

struct inode *igrab_live(struct inode *inode)
{
	struct inode *ret = NULL;

	spin_lock(&inode_lock);
	if (inode->i_count > 0) {
		inode->i_count++;
		ret = inode;
	}
	spin_unlock(&inode_lock);
	return ret;
}

static void evict(struct inode *inode)
{
	/*
	 * A file that still has links keeps its data: the dirty pages of a
	 * disk file system go to disk before the cache is dropped (there is
	 * no inode cache to keep them in). ramfs pages are never dirty.
	 */
	if (inode->i_mapping && inode->i_nlink && !(inode->i_mapping->flags & AS_UNEVICTABLE))
		filemap_write_and_wait_range(inode->i_mapping, 0, (loff_t)0x7fffffffffffffffLL);
	if (inode->i_mapping) {
		truncate_inode_pages(inode->i_mapping, 0);
		mapping_forget_dirty(inode->i_mapping);	/* off the flusher's list before it goes */
	}
	if (inode->i_sb && inode->i_sb->s_op && inode->i_sb->s_op->evict_inode)
		inode->i_sb->s_op->evict_inode(inode);
	kfree(inode->i_link);
	kfree(inode);
}

void iput(struct inode *inode)
{
	bool last;

	if (!inode)
		return;
	spin_lock(&inode_lock);
	last = --inode->i_count == 0;
	spin_unlock(&inode_lock);
	if (last)
		evict(inode);
}

void i_size_write(struct inode *inode, loff_t size)
{
	spin_lock(&inode->i_size_lock);
	__atomic_store_n(&inode->i_size, size, __ATOMIC_RELEASE);
	spin_unlock(&inode->i_size_lock);
}

void inc_nlink(struct inode *inode)
{
	inode->i_nlink++;
}

void drop_nlink(struct inode *inode)
{
	if (inode->i_nlink)
		inode->i_nlink--;
}

void clear_nlink(struct inode *inode)
{
	inode->i_nlink = 0;
}

/* Opening a device node: the driver's operations by device number (block devices: fs/block_dev.c). */
static int chrdev_open(struct inode *inode, struct file *f)
{
	const struct file_operations *fops = chrdev_fops(inode->i_rdev);

	if (!fops)
		return -ENXIO;
	f->ops = fops;
	return fops->open ? fops->open(inode, f) : 0;
}

static const struct file_operations def_chr_fops = {
	.open = chrdev_open,
};

static int bad_open(struct inode *inode, struct file *f)
{
	return -ENXIO;
}

static const struct file_operations bad_sock_fops = {
	.open = bad_open,
};

void init_special_inode(struct inode *inode, u32 mode, u32 rdev)
{
	inode->i_mode = mode;
	if (S_ISCHR(mode)) {
		inode->i_fop = &def_chr_fops;
		inode->i_rdev = rdev;
	} else if (S_ISBLK(mode)) {
		inode->i_fop = &def_blk_fops;
		inode->i_rdev = rdev;
	} else {
		inode->i_fop = &bad_sock_fops;	/* FIFOs and sockets: not yet */
	}
}
