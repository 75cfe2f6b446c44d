/*
 * ext2 as a file system of the VFS ("ext2"): the glue between the on-disk
 * library (include/fs/ext2.h, the rest of fs/ext2/) and the VFS objects
 * (docs/vfs.md), with file data in the page cache (docs/ext2.md, "The
 * VFS side").
 *
 *   mount -t ext2 /dev/vda /mnt      the source is a block-device node;
 *                                    its number names the block_device
 *
 * Metadata goes through the library's block cache, read and written with
 * blkdev_read/blkdev_write through a bounce buffer (the library's buffers
 * need not meet the disk's DMA alignment). File data goes through the
 * page cache: read_folio/readahead/writepage are fs/mpage.c's over a
 * get_block that asks ext2_get_block; write_begin allocates the blocks a
 * write(2) covers (reading a page that is not uptodate first), and
 * page_mkwrite those of a page stored to through a shared mapping (so a
 * full volume is -ENOSPC at write(2) and SIGBUS at the store).
 *
 * Inodes: one VFS inode per ext2 inode number while anything (a cached
 * dentry, an open file) holds it, with the library's struct ext2_inode in
 * its struct ext2_inode_info (i_private): the one copy the library
 * contract asks for. Live inodes are on the super block's list, found by
 * number under the fs lock (igrab_live: one being evicted is waited for).
 * The VFS fields (size, links, times, owner) are copied from the ext2
 * inode after every library call that changes it; the VFS's own time
 * updates (write, truncate) go back at fsync, sync and eviction.
 *
 * Locking: one mutex per mounted volume (ext2_sb_info.lock) around every
 * library call and the inode list. It is innermost of the sleeping
 * locks: taken inside i_rwsem, mmap_lock and the page lock (get_block
 * runs with a page locked), and nothing that takes one of those (page
 * locks, i_rwsem, user copies, dput/iput) runs while it is held.
 */
#include <fs/ext2.h>
#include <fs/mpage.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/blkdev.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/mutex.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/string.h>
#include <pagoda/task.h>

#define EXT2_SUPER_MAGIC_NR	0xEF53
#define MS_RDONLY		1
#define LLONG_MAX_OFF		((loff_t)0x7fffffffffffffffLL)

struct ext2_sb_info {
	struct ext2_fs *fs;
	struct block_device *bdev;
	struct mutex lock;		/* every library call; the inode list */
	struct list_head inodes;	/* ext2_inode_info.link: the live inodes */
	unsigned int blkbits;
	void *bounce;			/* metadata I/O (lock held) */
	size_t bounce_size;
	struct list_head link;		/* ext2_supers */
};

struct ext2_inode_info {
	struct ext2_inode ei;		/* the library's copy: the only one */
	struct inode *inode;
	struct list_head link;		/* ext2_sb_info.inodes */
	struct blockmap map;		/* regular files: fs/mpage.c's view */
	char *target;			/* symlinks: the target, read once */
	bool times_dirty;		/* VFS times newer than ei's */
};

/* Mounted volumes, so one device is never mounted twice (two caches would fight). */
static DEFINE_MUTEX(ext2_supers_lock);
static LIST_HEAD(ext2_supers);

static const struct inode_operations ext2_dir_iops, ext2_file_iops, ext2_symlink_iops,
	ext2_special_iops;
static const struct file_operations ext2_dir_fops, ext2_file_fops;
static const struct address_space_operations ext2_aops;

static struct ext2_sb_info *EXT2_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

static struct ext2_inode_info *EXT2_I(const struct inode *inode)
{
	return inode->i_private;
}

static struct ext2_sb_info *I_SBI(const struct inode *inode)
{
	return inode->i_sb->s_fs_info;
}

/* ---- block I/O for the library (metadata) ---- */

u64 ktime_get_real_ns(void);

static u32 ext2_clock(void)
{
	return (u32)(ktime_get_real_ns() / 1000000000ULL);
}

/* A bounce buffer of at least @size bytes (lock held, or mount before anyone sees the fs). */
static void *bounce(struct ext2_sb_info *sbi, size_t size)
{
	if (size > sbi->bounce_size) {
		void *b = kmalloc(size, GFP_KERNEL);

		if (!b)
			return NULL;
		kfree(sbi->bounce);
		sbi->bounce = b;
		sbi->bounce_size = size;
	}
	return sbi->bounce;
}

/*
 * Block @block of @bs bytes: the logical blocks holding it (a 1 KiB
 * superblock read on a 4 KiB-sector disk reads the whole sector).
 */
static int io_rw(struct ext2_sb_info *sbi, u64 block, u32 bs, void *buf, bool write)
{
	u32 lbs = bdev_logical_block_size(sbi->bdev);
	u64 byte = block * bs, start = byte & ~(u64)(lbs - 1);
	size_t len = (size_t)(ALIGN_UP(byte + bs, (u64)lbs) - start);
	u8 *b = bounce(sbi, len);
	int err;

	if (!b)
		return -ENOMEM;
	if (byte + bs > (u64)bdev_nr_sectors(sbi->bdev) << 9)
		return -EIO;
	if (!write || len != bs) {
		err = blkdev_read(sbi->bdev, start >> 9, b, len);
		if (err)
			return err;
	}
	if (!write) {
		memcpy(buf, b + (byte - start), bs);
		return 0;
	}
	memcpy(b + (byte - start), buf, bs);
	return blkdev_write(sbi->bdev, start >> 9, b, len);
}

static int io_read(void *ctx, u64 block, u32 bs, void *buf)
{
	return io_rw(ctx, block, bs, buf, false);
}

static int io_write(void *ctx, u64 block, u32 bs, const void *buf)
{
	return io_rw(ctx, block, bs, (void *)buf, true);
}

static int io_flush(void *ctx)
{
	struct ext2_sb_info *sbi = ctx;

	return blkdev_issue_flush(sbi->bdev);
}

static const struct ext2_io_ops ext2_blkdev_ops = {
	.read = io_read,
	.write = io_write,
	.flush = io_flush,
};

/* ---- inodes ---- */

static struct timespec64 ts(u32 sec)
{
	return (struct timespec64){ .tv_sec = sec, .tv_nsec = 0 };
}

/*
 * The VFS inode's fields from the ext2 inode (after a library call changed
 * it). Times the VFS set and has not written yet (a write's mtime) win
 * over older ones of the library, and stay to be written.
 */
static void ext2_to_vfs(struct inode *inode)
{
	struct ext2_inode_info *ii = EXT2_I(inode);
	struct ext2_inode *ei = &ii->ei;

	if (ii->times_dirty) {
		ei->atime = MAX(ei->atime, (u32)inode->i_atime.tv_sec);
		ei->mtime = MAX(ei->mtime, (u32)inode->i_mtime.tv_sec);
		ei->ctime = MAX(ei->ctime, (u32)inode->i_ctime.tv_sec);
	}

	inode->i_mode = ei->mode;
	inode->i_nlink = ei->links;
	inode->i_uid = ei->uid;
	inode->i_gid = ei->gid;
	if (!S_ISREG(inode->i_mode) || i_size_read(inode) != (loff_t)ei->size)
		i_size_write(inode, (loff_t)ei->size);
	inode->i_atime = ts(ei->atime);
	inode->i_mtime = ts(ei->mtime);
	inode->i_ctime = ts(ei->ctime);
}

/* The VFS's own changes (times, owner, mode) into the ext2 inode and its table (lock held). */
static int vfs_to_ext2(struct ext2_sb_info *sbi, struct inode *inode)
{
	struct ext2_inode_info *ii = EXT2_I(inode);

	if (!ii->times_dirty || ext2_is_rdonly(sbi->fs))
		return 0;
	ii->ei.atime = (u32)inode->i_atime.tv_sec;
	ii->ei.mtime = (u32)inode->i_mtime.tv_sec;
	ii->ei.ctime = (u32)inode->i_ctime.tv_sec;
	ii->times_dirty = false;
	return ext2_write_inode(sbi->fs, &ii->ei);
}

static int ext2_map_block(struct blockmap *map, u64 iblock, u64 *pblock, bool create);

/*
 * A VFS inode for @ii (whose ei is filled), on the live list (lock held).
 * NULL on -ENOMEM (ii freed).
 */
static struct inode *ext2_make_inode(struct super_block *sb, struct ext2_inode_info *ii)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct inode *inode = new_inode(sb);

	if (!inode) {
		kfree(ii);
		return NULL;
	}
	inode->i_ino = ii->ei.ino;
	inode->i_private = ii;
	ii->inode = inode;
	ext2_to_vfs(inode);
	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &ext2_file_iops;
		inode->i_fop = &ext2_file_fops;
		inode_init_mapping(inode, &ext2_aops, 0);
		ii->map.bdev = sbi->bdev;
		ii->map.blkbits = sbi->blkbits;
		ii->map.get_block = ext2_map_block;
		ii->map.owner = inode;
		break;
	case S_IFDIR:
		inode->i_op = &ext2_dir_iops;
		inode->i_fop = &ext2_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &ext2_symlink_iops;
		break;
	default:
		init_special_inode(inode, inode->i_mode,
				   ii->ei.block[0] ? ii->ei.block[0] : ii->ei.block[1]);
		inode->i_op = &ext2_special_iops;
		break;
	}
	list_add(&ii->link, &sbi->inodes);
	return inode;
}

/*
 * The live VFS inode of number @ino, referenced: the one already on the
 * list, or a new one read from the table. Lock held (dropped and retaken
 * while an inode of that number is being evicted). ERR_PTR on error.
 */
static struct inode *ext2_iget_locked(struct super_block *sb, u32 ino)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct ext2_inode_info *ii;
	struct list_head *pos;
	struct inode *inode;
	int err;

again:
	list_for_each(pos, &sbi->inodes) {
		ii = list_entry(pos, struct ext2_inode_info, link);
		if (ii->ei.ino != ino)
			continue;
		inode = igrab_live(ii->inode);
		if (inode)
			return inode;
		/* its last reference went: wait until its eviction took it off the list */
		mutex_unlock(&sbi->lock);
		current->state = TASK_UNINTERRUPTIBLE;
		schedule_timeout(1000000);
		mutex_lock(&sbi->lock);
		goto again;
	}
	ii = kzalloc(sizeof(*ii), GFP_KERNEL);
	if (!ii)
		return ERR_PTR(-ENOMEM);
	err = ext2_iget(sbi->fs, ino, &ii->ei);
	if (err) {
		kfree(ii);
		return ERR_PTR(err);
	}
	inode = ext2_make_inode(sb, ii);
	return inode ? inode : ERR_PTR(-ENOMEM);
}

/* ->evict_inode: the pages are gone; free the inode on disk if unlinked, else write it. */
static void ext2_evict(struct inode *inode)
{
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	int err = 0;

	if (!ii)
		return;
	mutex_lock(&sbi->lock);
	if (!ext2_is_rdonly(sbi->fs)) {
		if (!ii->ei.links)
			err = ext2_evict_inode(sbi->fs, &ii->ei);
		else
			err = vfs_to_ext2(sbi, inode);
	}
	list_del(&ii->link);
	mutex_unlock(&sbi->lock);
	if (err)
		printk("ext2 (%s): inode %u: %s failed (%d)\n", sbi->bdev->bd_name, ii->ei.ino,
		       ii->ei.links ? "write-back" : "release", err);
	kfree(ii->target);
	kfree(ii);
	inode->i_private = NULL;
}

static void ext2_getattr(const struct inode *inode, struct linux_stat *st)
{
	st->st_blocks = EXT2_I(inode)->ei.blocks;
	st->st_blksize = 1 << I_SBI(inode)->blkbits;
}

/* ---- the page cache: get_block and address_space_operations ---- */

static int ext2_map_block(struct blockmap *map, u64 iblock, u64 *pblock, bool create)
{
	struct inode *inode = map->owner;
	struct ext2_sb_info *sbi = I_SBI(inode);
	bool new = false;
	u32 pb = 0;
	int err;

	mutex_lock(&sbi->lock);
	err = ext2_get_block(sbi->fs, &EXT2_I(inode)->ei, iblock, create, &pb, &new);
	mutex_unlock(&sbi->lock);
	if (err)
		return err;
	if (!pb)
		return MPAGE_HOLE;
	*pblock = pb;
	return 0;
}

static u8 *page_kaddr(struct address_space *mapping, struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(mapping->pmm, page)));
}

static int ext2_read_folio(struct file *file, struct page *page)
{
	return mpage_read_folio(&EXT2_I(page->mapping->host)->map, page);
}

static void ext2_readahead(struct readahead_control *rac)
{
	mpage_readahead(&EXT2_I(rac->mapping->host)->map, rac);
}

static int ext2_writepage(struct page *page, struct writeback_control *wbc)
{
	return mpage_writepage(&EXT2_I(page->mapping->host)->map, page, wbc);
}

/*
 * Fill the locked, not uptodate @page from the disk now (the write path
 * keeps the page locked, so it cannot use the asynchronous read): holes
 * and what lies past the end of the file are zeros.
 */
static int read_page_sync(struct inode *inode, struct page *page)
{
	struct ext2_inode_info *ii = EXT2_I(inode);
	unsigned int blkbits = ii->map.blkbits, bs = 1U << blkbits;
	unsigned int per_page = PAGE_SIZE >> blkbits;
	u8 *kaddr = page_kaddr(inode->i_mapping, page);
	loff_t size = i_size_read(inode), start = (loff_t)page->index << PAGE_SHIFT;
	u64 first = (u64)page->index * per_page;
	u64 end = ((u64)MAX(size, 0) + bs - 1) >> blkbits;

	for (unsigned int i = 0; i < per_page; i++) {
		u64 pblock;
		int err;

		if (first + i >= end) {
			memset(kaddr + i * bs, 0, bs);
			continue;
		}
		err = ext2_map_block(&ii->map, first + i, &pblock, false);
		if (err == MPAGE_HOLE) {
			memset(kaddr + i * bs, 0, bs);
			continue;
		}
		if (!err)
			err = blkdev_read(ii->map.bdev, pblock << (blkbits - 9), kaddr + i * bs, bs);
		if (err)
			return err;
	}
	if (size > start && size - start < (loff_t)PAGE_SIZE)
		memset(kaddr + (size - start), 0, PAGE_SIZE - (size_t)(size - start));
	page_set_flag(page, PG_uptodate);
	return 0;
}

/* Blocks past the size may have been allocated by a write that failed: give them back (lock held). */
static void trim_blocks(struct ext2_sb_info *sbi, struct ext2_inode_info *ii)
{
	int err = ext2_truncate_blocks(sbi->fs, &ii->ei, ii->ei.size);

	if (err)
		printk("ext2 (%s): inode %u: freeing blocks past the end failed (%d)\n",
		       sbi->bdev->bd_name, ii->ei.ino, err);
}

/* Allocate the blocks of file bytes [from, to) (lock held). */
static int alloc_range(struct ext2_sb_info *sbi, struct ext2_inode_info *ii, u64 from, u64 to)
{
	for (u64 b = from >> sbi->blkbits; b < DIV_ROUND_UP(to, 1ULL << sbi->blkbits); b++) {
		bool new;
		u32 pb;
		int err = ext2_get_block(sbi->fs, &ii->ei, b, true, &pb, &new);

		if (err)
			return err;
	}
	return 0;
}

static int ext2_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
			    unsigned int len, struct page *page)
{
	struct inode *inode = mapping->host;
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	int err;

	if ((u64)pos + len > ext2_max_bytes(sbi->fs))
		return -EFBIG;
	if (!PageUptodate(page)) {
		err = read_page_sync(inode, page);
		if (err)
			return err;
	}
	mutex_lock(&sbi->lock);
	err = alloc_range(sbi, ii, (u64)pos, (u64)pos + len);
	if (err)
		trim_blocks(sbi, ii);
	mutex_unlock(&sbi->lock);
	return err;
}

static int ext2_write_end(struct file *file, struct address_space *mapping, loff_t pos,
			  unsigned int len, unsigned int copied, struct page *page)
{
	struct inode *inode = mapping->host;
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	int err = 0;

	if (copied)
		set_page_dirty(page);
	mutex_lock(&sbi->lock);
	if (copied && (u64)pos + copied > ii->ei.size) {
		ii->ei.size = (u64)pos + copied;
		err = ext2_write_inode(sbi->fs, &ii->ei);
	}
	if (copied < len && (u64)pos + len > ii->ei.size)
		trim_blocks(sbi, ii);
	ii->times_dirty = true;
	mutex_unlock(&sbi->lock);
	return err ? err : (int)copied;
}

/* A store through a shared mapping: the page's blocks inside the file get allocated now. */
static int ext2_page_mkwrite(struct file *file, struct page *page)
{
	struct inode *inode = page->mapping->host;
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	u64 start = (u64)page->index << PAGE_SHIFT;
	u64 end = MIN(start + PAGE_SIZE, (u64)i_size_read(inode));
	int err;

	if (end <= start)
		return 0;
	mutex_lock(&sbi->lock);
	err = alloc_range(sbi, ii, start, end);
	if (err)
		trim_blocks(sbi, ii);
	mutex_unlock(&sbi->lock);
	if (!err) {
		inode->i_mtime = inode->i_ctime = current_time();
		ii->times_dirty = true;
	}
	return err;
}

static const struct address_space_operations ext2_aops = {
	.read_folio = ext2_read_folio,
	.readahead = ext2_readahead,
	.writepage = ext2_writepage,
	.write_begin = ext2_write_begin,
	.write_end = ext2_write_end,
	.page_mkwrite = ext2_page_mkwrite,
};

/* ---- files ---- */

/* truncate(2): the pages past the end go (unmapped first), then the blocks. */
static int ext2_setsize(struct dentry *d, loff_t size)
{
	struct inode *inode = d->d_inode;
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	loff_t old = i_size_read(inode);
	int err;

	if ((u64)size > ext2_max_bytes(sbi->fs))
		return -EFBIG;
	if (ext2_is_rdonly(sbi->fs) || (inode->i_sb->s_flags & SB_RDONLY))
		return -EROFS;
	i_size_write(inode, size);
	if (size < old)
		truncate_pagecache(inode, size);
	mutex_lock(&sbi->lock);
	err = size < old ? ext2_file_truncate(sbi->fs, &ii->ei, (u64)size)
			 : ext2_truncate_blocks(sbi->fs, &ii->ei, (u64)size);
	if (!err) {
		ii->ei.mtime = ii->ei.ctime = ext2_clock();
		err = ext2_write_inode(sbi->fs, &ii->ei);
	}
	ii->times_dirty = false;
	ext2_to_vfs(inode);
	mutex_unlock(&sbi->lock);
	return err;
}

/* The volume's metadata to the disk and a cache flush (lock not held). */
static int ext2_sync_meta(struct ext2_sb_info *sbi, struct inode *inode)
{
	int err = 0;

	mutex_lock(&sbi->lock);
	if (!ext2_is_rdonly(sbi->fs)) {
		if (inode)
			err = vfs_to_ext2(sbi, inode);
		int e2 = ext2_sync(sbi->fs);	/* ends with a flush */

		if (!err)
			err = e2;
	}
	mutex_unlock(&sbi->lock);
	return err;
}

static int ext2_fsync(struct file *f, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = f->inode;
	int err = 0, err2;

	if (f->f_mapping)
		err = filemap_write_and_wait_range(f->f_mapping, start, end);
	err2 = ext2_sync_meta(I_SBI(inode), inode);
	if (!err)
		err = err2;
	if (f->f_mapping) {
		err2 = filemap_check_wb_err(f->f_mapping, &f->f_wb_err);
		if (!err)
			err = err2;
	}
	return err;
}

static const struct file_operations ext2_file_fops = {
	.read_iter = filemap_read,
	.write_iter = generic_file_write_iter,
	.mmap = generic_file_mmap,
	.fsync = ext2_fsync,
	.seekable = true,
};

static const struct inode_operations ext2_file_iops = {
	.setsize = ext2_setsize,
	.getattr = ext2_getattr,
};

static const struct inode_operations ext2_special_iops = {
	.getattr = ext2_getattr,
};

/* ---- symlinks ---- */

static const char *ext2_get_link(struct dentry *d, struct inode *inode)
{
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	size_t size = (size_t)1 << sbi->blkbits;
	char *buf;
	long n;

	if (__atomic_load_n(&ii->target, __ATOMIC_ACQUIRE))
		return ii->target;
	buf = kmalloc(size + 1, GFP_KERNEL);
	if (!buf)
		return NULL;
	mutex_lock(&sbi->lock);
	n = ext2_readlink(sbi->fs, &ii->ei, buf, size);
	if (n >= 0 && !ii->target) {
		buf[n] = '\0';
		__atomic_store_n(&ii->target, buf, __ATOMIC_RELEASE);
		buf = NULL;
	}
	mutex_unlock(&sbi->lock);
	kfree(buf);
	return ii->target;
}

static const struct inode_operations ext2_symlink_iops = {
	.get_link = ext2_get_link,
	.getattr = ext2_getattr,
};

/* ---- directories ---- */

static struct dentry *ext2_lookup(struct inode *dir, struct dentry *d)
{
	struct ext2_sb_info *sbi = I_SBI(dir);
	struct inode *inode = NULL;
	u32 ino;
	int err;

	if (d->d_name.len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	mutex_lock(&sbi->lock);
	err = ext2_dir_lookup(sbi->fs, &EXT2_I(dir)->ei, d->d_name.name, d->d_name.len, &ino);
	if (!err) {
		inode = ext2_iget_locked(dir->i_sb, ino);
		if (IS_ERR(inode))
			err = (int)PTR_ERR(inode);
	}
	mutex_unlock(&sbi->lock);
	if (err == -ENOENT)
		inode = NULL;
	else if (err)
		return ERR_PTR(err);
	d_add(d, inode);
	return NULL;
}

/* After a library call changed these inodes: the VFS copies follow. */
static void refresh(struct inode *a, struct inode *b)
{
	if (a)
		ext2_to_vfs(a);
	if (b && b != a)
		ext2_to_vfs(b);
}

/*
 * A new inode for @d in @dir: @make fills the ext2 inode (ext2_create,
 * ext2_mkdir, ext2_symlink), then the VFS inode is attached to @d.
 */
struct mk_args {
	u32 mode, rdev;
	const char *target;
};

static int ext2_new(struct inode *dir, struct dentry *d, const struct mk_args *a)
{
	struct ext2_sb_info *sbi = I_SBI(dir);
	struct ext2_inode_info *dii = EXT2_I(dir);
	struct ext2_inode_info *ii = kzalloc(sizeof(*ii), GFP_KERNEL);
	const char *name = d->d_name.name;
	size_t len = d->d_name.len;
	struct inode *inode = NULL;
	int err;

	if (!ii)
		return -ENOMEM;
	mutex_lock(&sbi->lock);
	vfs_to_ext2(sbi, dir);
	if (a->target)
		err = ext2_symlink(sbi->fs, &dii->ei, name, len, a->target, strlen(a->target),
				   0, 0, &ii->ei);
	else if (S_ISDIR(a->mode))
		err = ext2_mkdir(sbi->fs, &dii->ei, name, len, (u16)a->mode, 0, 0, &ii->ei);
	else
		err = ext2_create(sbi->fs, &dii->ei, name, len, (u16)a->mode, 0, 0, a->rdev,
				  &ii->ei);
	if (!err) {
		inode = ext2_make_inode(dir->i_sb, ii);
		if (!inode)
			err = -ENOMEM;	/* on disk, linked: a later lookup finds it */
	} else {
		kfree(ii);
	}
	ext2_to_vfs(dir);
	mutex_unlock(&sbi->lock);
	if (inode)
		d_instantiate(d, inode);
	return err;
}

static int ext2_vfs_create(struct inode *dir, struct dentry *d, u32 mode)
{
	struct mk_args a = { .mode = S_IFREG | (mode & 07777) };

	return ext2_new(dir, d, &a);
}

static int ext2_vfs_mknod(struct inode *dir, struct dentry *d, u32 mode, u32 rdev)
{
	struct mk_args a = { .mode = mode, .rdev = rdev };

	return ext2_new(dir, d, &a);
}

static int ext2_vfs_mkdir(struct inode *dir, struct dentry *d, u32 mode)
{
	struct mk_args a = { .mode = S_IFDIR | (mode & 07777) };

	return ext2_new(dir, d, &a);
}

static int ext2_vfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	struct mk_args a = { .mode = S_IFLNK | 0777, .target = target };

	return ext2_new(dir, d, &a);
}

static int ext2_vfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct inode *inode = old->d_inode;
	struct ext2_sb_info *sbi = I_SBI(dir);
	int err;

	mutex_lock(&sbi->lock);
	err = ext2_link(sbi->fs, &EXT2_I(dir)->ei, d->d_name.name, d->d_name.len,
			&EXT2_I(inode)->ei);
	refresh(dir, inode);
	mutex_unlock(&sbi->lock);
	if (!err)
		d_instantiate(d, igrab(inode));
	return err;
}

static int ext2_vfs_unlink(struct inode *dir, struct dentry *d)
{
	struct inode *inode = d->d_inode;
	struct ext2_sb_info *sbi = I_SBI(dir);
	int err;

	mutex_lock(&sbi->lock);
	err = ext2_unlink(sbi->fs, &EXT2_I(dir)->ei, d->d_name.name, d->d_name.len,
			  &EXT2_I(inode)->ei);
	refresh(dir, inode);
	mutex_unlock(&sbi->lock);
	return err;
}

static int ext2_vfs_rmdir(struct inode *dir, struct dentry *d)
{
	struct inode *inode = d->d_inode;
	struct ext2_sb_info *sbi = I_SBI(dir);
	int err;

	mutex_lock(&sbi->lock);
	err = ext2_rmdir(sbi->fs, &EXT2_I(dir)->ei, d->d_name.name, d->d_name.len,
			 &EXT2_I(inode)->ei);
	refresh(dir, inode);
	mutex_unlock(&sbi->lock);
	return err;
}

static int ext2_vfs_rename(struct inode *odir, struct dentry *old, struct inode *ndir,
			   struct dentry *new, unsigned int flags)
{
	struct ext2_sb_info *sbi = I_SBI(odir);
	struct inode *inode = old->d_inode, *victim = new->d_inode;
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && victim)
		return -EEXIST;
	mutex_lock(&sbi->lock);
	err = ext2_rename(sbi->fs, &EXT2_I(odir)->ei, old->d_name.name, old->d_name.len,
			  &EXT2_I(ndir)->ei, new->d_name.name, new->d_name.len, &EXT2_I(inode)->ei,
			  victim ? &EXT2_I(victim)->ei : NULL);
	refresh(odir, ndir);
	refresh(inode, victim);
	mutex_unlock(&sbi->lock);
	return err;
}

struct iter_ctx {
	bool (*emit)(void *ctx, const char *name, u32 len, u64 ino, unsigned int type,
		     u64 next_pos);
	void *ctx;
};

static int iter_actor(void *arg, const char *name, size_t len, u32 ino, unsigned int type,
		      u64 next)
{
	struct iter_ctx *c = arg;

	return !c->emit(c->ctx, name, (u32)len, ino, type, next);
}

/*
 * getdents64: the records as they lie on disk ("." and ".." first); f->pos
 * is the byte position of the next record, stable across changes (the
 * library resumes at the next record from a position inside one). The
 * emitter fills a kernel buffer, so nothing here touches user memory.
 */
static int ext2_iterate(struct file *f,
			bool (*emit)(void *ctx, const char *name, u32 len, u64 ino,
				     unsigned int type, u64 next_pos),
			void *ctx)
{
	struct inode *dir = f->inode;
	struct ext2_sb_info *sbi = I_SBI(dir);
	struct iter_ctx c = { emit, ctx };
	u64 pos = f->pos;
	int err;

	mutex_lock(&sbi->lock);
	err = ext2_dir_iterate(sbi->fs, &EXT2_I(dir)->ei, &pos, iter_actor, &c);
	mutex_unlock(&sbi->lock);
	f->pos = pos;
	return err;
}

static long ext2_dir_read(struct kiocb *iocb, struct iov_iter *to)
{
	return -EISDIR;
}

static int ext2_dir_fsync(struct file *f, loff_t start, loff_t end, int datasync)
{
	return ext2_sync_meta(I_SBI(f->inode), f->inode);
}

static const struct file_operations ext2_dir_fops = {
	.read_iter = ext2_dir_read,
	.iterate = ext2_iterate,
	.fsync = ext2_dir_fsync,
	.seekable = true,
};

static const struct inode_operations ext2_dir_iops = {
	.lookup = ext2_lookup,
	.create = ext2_vfs_create,
	.mkdir = ext2_vfs_mkdir,
	.mknod = ext2_vfs_mknod,
	.symlink = ext2_vfs_symlink,
	.link = ext2_vfs_link,
	.unlink = ext2_vfs_unlink,
	.rmdir = ext2_vfs_rmdir,
	.rename = ext2_vfs_rename,
	.getattr = ext2_getattr,
};

/* ---- the super block ---- */

/*
 * sync(2), syncfs(2), umount: every live file's dirty pages, then the
 * times the VFS changed, the metadata cache, descriptors, superblock and
 * a cache flush. The inodes are taken off the list with references
 * under the lock and written without it (writeback takes the lock).
 */
static int ext2_sync_fs(struct super_block *sb, int wait)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct inode **batch = NULL;
	unsigned int n = 0, cap = 0;
	struct list_head *pos;
	int err = 0, e;

	mutex_lock(&sbi->lock);
	list_for_each(pos, &sbi->inodes)
		cap++;
	batch = cap ? kmalloc(cap * sizeof(*batch), GFP_KERNEL) : NULL;
	if (batch) {
		list_for_each(pos, &sbi->inodes) {
			struct ext2_inode_info *ii = list_entry(pos, struct ext2_inode_info, link);

			if (ii->inode->i_mapping && (batch[n] = igrab_live(ii->inode)))
				n++;
		}
	}
	mutex_unlock(&sbi->lock);
	for (unsigned int i = 0; i < n; i++) {
		e = filemap_write_and_wait_range(batch[i]->i_mapping, 0, LLONG_MAX_OFF);
		if (!err)
			err = e;
	}
	mutex_lock(&sbi->lock);
	if (!ext2_is_rdonly(sbi->fs)) {
		list_for_each(pos, &sbi->inodes) {
			struct ext2_inode_info *ii = list_entry(pos, struct ext2_inode_info, link);

			e = vfs_to_ext2(sbi, ii->inode);
			if (!err)
				err = e;
		}
		e = ext2_sync(sbi->fs);
		if (!err)
			err = e;
	}
	mutex_unlock(&sbi->lock);
	for (unsigned int i = 0; i < n; i++)
		iput(batch[i]);
	kfree(batch);
	return err;
}

static int ext2_vfs_statfs(struct super_block *sb, struct linux_statfs *st)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct ext2_statfs s;

	mutex_lock(&sbi->lock);
	ext2_statfs(sbi->fs, &s);
	mutex_unlock(&sbi->lock);
	st->f_type = EXT2_SUPER_MAGIC_NR;
	st->f_bsize = s.block_size;
	st->f_frsize = s.block_size;
	st->f_blocks = s.blocks;
	st->f_bfree = s.free_blocks;
	st->f_bavail = s.avail_blocks;
	st->f_files = s.inodes;
	st->f_ffree = s.free_inodes;
	st->f_namelen = s.name_max;
	return 0;
}

/* The last mount went (kill_block_super dropped the dentries and inodes): unmount the volume. */
static void ext2_put_super(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int err;

	mutex_lock(&sbi->lock);
	if (!list_empty(&sbi->inodes))
		printk("ext2 (%s): inodes still in use at unmount\n", sbi->bdev->bd_name);
	err = ext2_unmount(sbi->fs);		/* writes back, marks clean, flushes */
	mutex_unlock(&sbi->lock);
	if (err)
		printk("ext2 (%s): unmount: error %d: the volume may not be clean\n",
		       sbi->bdev->bd_name, err);
	else
		printk("ext2 (%s): unmounted\n", sbi->bdev->bd_name);
	mutex_lock(&ext2_supers_lock);
	list_del(&sbi->link);
	mutex_unlock(&ext2_supers_lock);
	bd_release(sbi->bdev, sbi);
	blkdev_put(sbi->bdev);
	kfree(sbi->bounce);
	kfree(sbi);
	sb->s_fs_info = NULL;
}

/*
 * ->setattr: chmod, chown and utimes (i_rwsem held). Under the volume
 * lock, so no library call's ext2_to_vfs() runs in between: the VFS
 * inode changes, then its mode, owner and times go into the ext2 inode
 * and its table block (a dirty buffer the next sync writes). Times keep
 * whole seconds on the disk (the extra fields of a large inode are left).
 */
static int ext2_vfs_setattr(struct inode *inode, const struct iattr *ia)
{
	struct ext2_sb_info *sbi = I_SBI(inode);
	struct ext2_inode_info *ii = EXT2_I(inode);
	int err;

	mutex_lock(&sbi->lock);
	if (ext2_is_rdonly(sbi->fs)) {
		mutex_unlock(&sbi->lock);
		return -EROFS;
	}
	setattr_copy(inode, ia);
	/* what the disk keeps, so a stat now and after a remount agree */
	inode->i_atime.tv_nsec = inode->i_mtime.tv_nsec = inode->i_ctime.tv_nsec = 0;
	ii->ei.mode = (u16)inode->i_mode;
	ii->ei.uid = inode->i_uid;
	ii->ei.gid = inode->i_gid;
	ii->ei.atime = (u32)inode->i_atime.tv_sec;
	ii->ei.mtime = (u32)inode->i_mtime.tv_sec;
	ii->ei.ctime = (u32)inode->i_ctime.tv_sec;
	ii->times_dirty = false;
	err = ext2_write_inode(sbi->fs, &ii->ei);
	mutex_unlock(&sbi->lock);
	return err;
}

static const struct super_operations ext2_sops = {
	.evict_inode = ext2_evict,
	.setattr = ext2_vfs_setattr,
	.sync_fs = ext2_sync_fs,
	.put_super = ext2_put_super,
	.statfs = ext2_vfs_statfs,
};

/* The block device the node at @path names: referenced, or ERR_PTR. */
static struct block_device *lookup_bdev(const char *path)
{
	struct block_device *bdev;
	struct path p;
	u32 rdev;
	int err;

	if (!path || !*path)
		return ERR_PTR(-EINVAL);
	err = kern_path(path, LOOKUP_FOLLOW, &p);
	if (err)
		return ERR_PTR(err);
	if (!S_ISBLK(p.dentry->d_inode->i_mode)) {
		path_put(&p);
		return ERR_PTR(-ENOTBLK);
	}
	rdev = p.dentry->d_inode->i_rdev;
	path_put(&p);
	bdev = blkdev_get_by_dev(new_decode_dev(rdev));
	return bdev ? bdev : ERR_PTR(-ENXIO);
}

static struct super_block *ext2_vfs_mount(struct file_system_type *type, int flags,
					  const char *dev, void *data)
{
	struct block_device *bdev = lookup_bdev(dev);
	struct ext2_mount_args args = { .ops = &ext2_blkdev_ops, .now = ext2_clock };
	struct ext2_sb_info *sbi, *other;
	struct super_block *sb = NULL;
	struct list_head *pos;
	struct inode *root;
	int err;

	if (IS_ERR(bdev))
		return ERR_PTR(PTR_ERR(bdev));
	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi) {
		blkdev_put(bdev);
		return ERR_PTR(-ENOMEM);
	}
	sbi->bdev = bdev;
	mutex_init(&sbi->lock, "ext2_sb_info.lock");
	list_init(&sbi->inodes);
	mutex_lock(&ext2_supers_lock);
	list_for_each(pos, &ext2_supers) {
		other = list_entry(pos, struct ext2_sb_info, link);
		if (other->bdev == bdev) {
			mutex_unlock(&ext2_supers_lock);
			err = -EBUSY;
			goto fail;
		}
	}
	list_add(&sbi->link, &ext2_supers);
	mutex_unlock(&ext2_supers_lock);
	/* the mount holds the device exclusively: an O_EXCL open of it is -EBUSY, as on Linux */
	err = bd_claim(bdev, sbi);
	if (err)
		goto fail_listed;

	args.ctx = sbi;
	args.dev_bytes = (u64)bdev_nr_sectors(bdev) << 9;
	args.name = bdev->bd_name;
	if ((flags & MS_RDONLY) || bdev_read_only(bdev))
		args.flags |= EXT2_MOUNT_RDONLY;
	if (!(flags & MS_RDONLY) && bdev_read_only(bdev))
		printk("ext2 (%s): the device is read-only: mounting read-only\n", bdev->bd_name);
	err = ext2_mount(&args, &sbi->fs);
	if (err)
		goto fail_listed;
	sbi->blkbits = (unsigned int)__builtin_ctz(ext2_block_size(sbi->fs));
	if (sbi->blkbits > PAGE_SHIFT) {
		printk("ext2 (%s): blocks of %u bytes are larger than a page: not supported\n",
		       bdev->bd_name, ext2_block_size(sbi->fs));
		ext2_unmount(sbi->fs);
		err = -EINVAL;
		goto fail_listed;
	}
	sb = alloc_super(type, &ext2_sops);
	if (!sb) {
		err = -ENOMEM;
		goto fail_fs;
	}
	sb->s_fs_info = sbi;
	sb->s_dev = new_encode_dev(bdev->bd_dev);
	if (ext2_is_rdonly(sbi->fs))
		sb->s_flags |= SB_RDONLY;
	mutex_lock(&sbi->lock);
	root = ext2_iget_locked(sb, EXT2_ROOT_INO);
	mutex_unlock(&sbi->lock);
	if (IS_ERR(root)) {
		err = (int)PTR_ERR(root);
		goto fail_sb;
	}
	if (!S_ISDIR(root->i_mode)) {
		printk("ext2 (%s): the root inode is not a directory\n", bdev->bd_name);
		iput(root);
		err = -EUCLEAN;
		goto fail_sb;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		err = -ENOMEM;
		goto fail_sb;
	}
	printk("ext2 (%s): mounted %s, %u-byte blocks\n", bdev->bd_name,
	       ext2_is_rdonly(sbi->fs) ? "read-only" : "read-write", ext2_block_size(sbi->fs));
	return sb;

fail_sb:
	kill_block_super(sb);		/* put_super unmounts and frees sbi */
	return ERR_PTR(err);
fail_fs:
	ext2_unmount(sbi->fs);
fail_listed:
	bd_release(bdev, sbi);			/* nothing if the claim itself failed */
	mutex_lock(&ext2_supers_lock);
	list_del(&sbi->link);
	mutex_unlock(&ext2_supers_lock);
fail:
	blkdev_put(bdev);
	kfree(sbi->bounce);
	kfree(sbi);
	return ERR_PTR(err);
}

static struct file_system_type ext2_fs_type = {
	.name = "ext2",
	.mount = ext2_vfs_mount,
	.kill_sb = kill_block_super,
};

static int ext2_vfs_init(void)
{
	return register_filesystem(&ext2_fs_type);
}
fs_initcall(ext2_vfs_init);
