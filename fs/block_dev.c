/*
 * Block devices as files (include/pagoda/blkdev.h, docs/vfs.md): the
 * file operations of every block-device node, the page cache of a block
 * device, exclusive claims, and the block-device ioctls.
 *
 * The cache. Each block device opened as a file gets a struct bdev_cache:
 * an inode of no file system whose i_data is the device's page cache
 * (i_size = the device size) and an identity block map for fs/mpage.c.
 * Every open of every node naming the device shares it. It is made at
 * the first open and, at the last close, written back, waited for and
 * dropped (Linux's blkdev_put does the same: a block device's cache lives
 * while it is open). Its pages are ordinary page-cache pages: on the LRU
 * (reclaim), on the flusher's dirty list, written by sync(2) and at
 * power-off (sync_blockdevs), counted in page_cache_stats and, apart, by
 * nr_blockdev_pages() (/proc/meminfo "Buffers").
 *
 * The block map uses the device's initial block size as Linux's
 * set_init_blocksize chooses it: the logical block size, doubled while
 * it divides the device size, up to a page (BLKBSZGET answers it).
 *
 * Claims. An O_EXCL open and a mount claim the device (bd_claim); a
 * second holder gets -EBUSY, as does a holder of the whole disk while a
 * partition is claimed and the other way round (Linux's bd_may_claim).
 * Opening without O_EXCL is never refused for a claim: Linux lets a
 * mounted device be opened and written through its node too (with
 * CONFIG_BLK_DEV_WRITE_MOUNTED, its default).
 *
 * Locking: bdev_files_mutex covers bd_cache, bd_holder/bd_holders, each
 * cache's nr_files and the list of caches; bdev_caches_lock (a spinlock)
 * covers the list as well, for nr_blockdev_pages() readers that may not
 * sleep. Order: mm->mmap_lock (a last close from munmap) ->
 * bdev_files_mutex -> page locks, wb_list_mutex (eviction), bdev_lock
 * (docs/lock-order.md).
 */
#include <fs/mpage.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <mm/writeback.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/mutex.h>
#include <pagoda/string.h>
#include <pagoda/uaccess.h>

/* Linux's block-device ioctls (include/uapi/linux/fs.h) */
#define BLKROSET	0x125d		/* _IO(0x12, 93) */
#define BLKROGET	0x125e		/* _IO(0x12, 94) */
#define BLKGETSIZE	0x1260		/* _IO(0x12, 96) */
#define BLKFLSBUF	0x1261		/* _IO(0x12, 97) */
#define BLKSSZGET	0x1268		/* _IO(0x12, 104) */
#define BLKBSZGET	0x80081270	/* _IOR(0x12, 112, size_t) */
#define BLKGETSIZE64	0x80081272	/* _IOR(0x12, 114, size_t) */
#define BLKPBSZGET	0x127b		/* _IO(0x12, 123) */

#define LLONG_MAX_OFF	((loff_t)0x7fffffffffffffffLL)

struct bdev_cache {
	struct inode *inode;		/* i_data: the cache; i_private: this */
	struct blockmap map;		/* identity map on the device */
	struct block_device *bdev;
	int nr_files;			/* open files on it (bdev_files_mutex) */
	struct list_head link;		/* bdev_caches */
};

static DEFINE_MUTEX(bdev_files_mutex);
static spinlock_t bdev_caches_lock = SPINLOCK_INIT;
static LIST_HEAD(bdev_caches);

/* A partition's claim shows on its whole disk as this holder (Linux's bd_may_claim marker). */
static char claimed_by_partition;

static struct bdev_cache *page_cache_of(const struct page *page)
{
	return page->mapping->host->i_private;
}

static struct bdev_cache *file_cache(const struct file *f)
{
	return f->private;
}

static struct block_device *file_bdev(const struct file *f)
{
	return file_cache(f)->bdev;
}

static u8 *page_kaddr(struct address_space *mapping, struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(mapping->pmm, page)));
}

/* ---- claims ---- */

static bool may_claim(struct block_device *bdev, void *holder)
{
	struct block_device *whole = bdev->bd_disk->part0;

	if (bdev->bd_holder)
		return bdev->bd_holder == holder;
	return whole == bdev || !whole->bd_holder || whole->bd_holder == &claimed_by_partition;
}

/* bd_claim with bdev_files_mutex held. */
static int bd_claim_locked(struct block_device *bdev, void *holder)
{
	struct block_device *whole = bdev->bd_disk->part0;

	if (!may_claim(bdev, holder))
		return -EBUSY;
	bdev->bd_holder = holder;
	bdev->bd_holders++;
	if (whole != bdev) {
		whole->bd_holder = &claimed_by_partition;
		whole->bd_holders++;
	}
	return 0;
}

int bd_claim(struct block_device *bdev, void *holder)
{
	int err;

	mutex_lock(&bdev_files_mutex);
	err = bd_claim_locked(bdev, holder);
	mutex_unlock(&bdev_files_mutex);
	return err;
}

static void bd_release_locked(struct block_device *bdev)
{
	struct block_device *whole = bdev->bd_disk->part0;

	if (--bdev->bd_holders == 0)
		bdev->bd_holder = NULL;
	if (whole != bdev && --whole->bd_holders == 0)
		whole->bd_holder = NULL;
}

void bd_release(struct block_device *bdev, void *holder)
{
	mutex_lock(&bdev_files_mutex);
	if (bdev->bd_holder == holder && bdev->bd_holders > 0)
		bd_release_locked(bdev);
	mutex_unlock(&bdev_files_mutex);
}

/* ---- the cache's address_space operations ---- */

static int blkdev_read_folio(struct file *file, struct page *page)
{
	return mpage_read_folio(&page_cache_of(page)->map, page);
}

static void blkdev_readahead(struct readahead_control *rac)
{
	mpage_readahead(&((struct bdev_cache *)rac->mapping->host->i_private)->map, rac);
}

static int blkdev_writepage(struct page *page, struct writeback_control *wbc)
{
	return mpage_writepage(&page_cache_of(page)->map, page, wbc);
}

/* Bytes of page @index inside the device (the last page may be partial). */
static size_t page_bytes_in_device(struct bdev_cache *c, pgoff_t index)
{
	loff_t size = i_size_read(c->inode), start = (loff_t)index << PAGE_SHIFT;

	if (start >= size)
		return 0;
	return size - start < (loff_t)PAGE_SIZE ? (size_t)(size - start) : PAGE_SIZE;
}

/*
 * Read the device's bytes of the locked page @index into @buf (a page of
 * direct-map memory) now, zeros past the device's end. The write path
 * holds the page lock, so it cannot use the asynchronous read.
 */
static int read_page_now(struct bdev_cache *c, pgoff_t index, u8 *buf)
{
	size_t valid = page_bytes_in_device(c, index);
	int err = 0;

	if (valid)
		err = blkdev_read(c->bdev, (sector_t)index << (PAGE_SHIFT - 9), buf, valid);
	memset(buf + valid, 0, PAGE_SIZE - valid);
	return err;
}

/* A write that does not cover the page's bytes on the device reads them first. */
static int blkdev_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
			      unsigned int len, struct page *page)
{
	struct bdev_cache *c = mapping->host->i_private;
	size_t offset = (size_t)pos & (PAGE_SIZE - 1);
	int err;

	if (PageUptodate(page) || (offset == 0 && len >= page_bytes_in_device(c, page->index)))
		return 0;
	err = read_page_now(c, page->index, page_kaddr(mapping, page));
	if (err)
		return err;
	page_set_flag(page, PG_uptodate);
	return 0;
}

/*
 * A page the write was to cover whole (not read first) but whose copy
 * came up short: the rest comes from the device, or the page stays not
 * uptodate and the write reports the error.
 */
static int fill_short_copy(struct bdev_cache *c, struct address_space *mapping,
			   struct page *page, unsigned int copied)
{
	u8 *bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	int err;

	if (!bounce)
		return -ENOMEM;
	err = read_page_now(c, page->index, bounce);
	if (!err)
		memcpy(page_kaddr(mapping, page) + copied, bounce + copied, PAGE_SIZE - copied);
	kfree(bounce);
	return err;
}

static int blkdev_write_end(struct file *file, struct address_space *mapping, loff_t pos,
			    unsigned int len, unsigned int copied, struct page *page)
{
	struct bdev_cache *c = mapping->host->i_private;
	size_t valid = page_bytes_in_device(c, page->index);

	if (!copied)
		return 0;
	if (!PageUptodate(page)) {		/* a whole-page write (write_begin read nothing) */
		if (copied < len) {
			int err = fill_short_copy(c, mapping, page, copied);

			if (err)
				return err;
		}
		memset(page_kaddr(mapping, page) + valid, 0, PAGE_SIZE - valid);
		page_set_flag(page, PG_uptodate);
	}
	set_page_dirty(page);
	return (int)copied;
}

static const struct address_space_operations blkdev_aops = {
	.read_folio = blkdev_read_folio,
	.readahead = blkdev_readahead,
	.writepage = blkdev_writepage,
	.write_begin = blkdev_write_begin,
	.write_end = blkdev_write_end,
};

/* ---- the cache's life: first open, last close ---- */

/* Linux's set_init_blocksize: the logical block size, doubled while it divides the size. */
static unsigned int init_blkbits(struct block_device *bdev)
{
	u64 size = (u64)bdev_nr_sectors(bdev) << 9;
	unsigned int bsize = bdev_logical_block_size(bdev);

	while (bsize < PAGE_SIZE && !(size & bsize))
		bsize <<= 1;
	return (unsigned int)__builtin_ctz(bsize);
}

/* The cache of @bdev for a new open file (bdev_files_mutex held): made if absent. */
static struct bdev_cache *cache_get(struct block_device *bdev, u32 rdev)
{
	struct bdev_cache *c = bdev->bd_cache;

	if (c) {
		c->nr_files++;
		return c;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->inode = new_inode(NULL);
	if (!c->inode) {
		kfree(c);
		return NULL;
	}
	c->inode->i_mode = S_IFBLK | 0600;
	c->inode->i_rdev = rdev;
	c->inode->i_private = c;
	i_size_write(c->inode, (loff_t)bdev_nr_sectors(bdev) << 9);
	inode_init_mapping(c->inode, &blkdev_aops, 0);
	c->map.bdev = bdev;
	c->map.blkbits = init_blkbits(bdev);
	c->map.get_block = blkdev_get_block;
	c->map.owner = c;
	c->bdev = bdev;
	c->nr_files = 1;
	bdev->bd_cache = c;
	spin_lock(&bdev_caches_lock);
	list_add_tail(&c->link, &bdev_caches);
	spin_unlock(&bdev_caches_lock);
	return c;
}

/*
 * A file on @c closed (bdev_files_mutex held). The last one writes the
 * cache back, waits, and drops it (iput: the inode has no file system,
 * so eviction writes its dirty pages, truncates them and takes the
 * mapping off the dirty list before it is freed).
 */
static void cache_put(struct bdev_cache *c)
{
	if (--c->nr_files > 0)
		return;
	spin_lock(&bdev_caches_lock);
	list_del(&c->link);
	spin_unlock(&bdev_caches_lock);
	c->bdev->bd_cache = NULL;
	filemap_write_and_wait_range(c->inode->i_mapping, 0, LLONG_MAX_OFF);
	iput(c->inode);
	kfree(c);
}

/* ---- file operations ---- */

static int blkdev_open(struct inode *inode, struct file *f)
{
	struct block_device *bdev = blkdev_get_by_dev(new_decode_dev(inode->i_rdev));
	struct bdev_cache *c;
	int err = 0;

	if (!bdev)
		return -ENXIO;
	if (READ_ONCE(bdev->bd_removed)) {
		blkdev_put(bdev);
		return -ENXIO;
	}
	mutex_lock(&bdev_files_mutex);
	if (f->flags & O_EXCL) {
		err = bd_claim_locked(bdev, f);		/* the file itself is the holder */
		if (err)
			goto out;
	}
	c = cache_get(bdev, inode->i_rdev);
	if (!c) {
		if (f->flags & O_EXCL)
			bd_release_locked(bdev);
		err = -ENOMEM;
		goto out;
	}
	f->private = c;
	f->f_mapping = c->inode->i_mapping;
out:
	mutex_unlock(&bdev_files_mutex);
	if (err)
		blkdev_put(bdev);
	return err;
}

static void blkdev_release(struct file *f)
{
	struct bdev_cache *c = file_cache(f);
	struct block_device *bdev = c->bdev;

	mutex_lock(&bdev_files_mutex);
	if (bdev->bd_holder == f)
		bd_release_locked(bdev);
	cache_put(c);
	mutex_unlock(&bdev_files_mutex);
	blkdev_put(bdev);
}

static long blkdev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return filemap_read(iocb, to);		/* stops at i_size: 0 at the end */
}

/*
 * Linux's blkdev_write_iter: -EPERM on a read-only device, -ENOSPC at or
 * after the end, a short write across it; the pages are dirtied in the
 * cache and written back later (or by fsync).
 */
static long blkdev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *f = iocb->ki_filp;
	struct address_space *mapping = f->f_mapping;
	loff_t size = i_size_read(mapping->host);
	long ret;

	if (bdev_read_only(file_bdev(f)))
		return -EPERM;
	if (!iov_iter_count(from))
		return 0;
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = size;
	if (iocb->ki_pos >= size)
		return -ENOSPC;
	if (iov_iter_count(from) > (u64)(size - iocb->ki_pos))
		iov_iter_truncate(from, (size_t)(size - iocb->ki_pos));
	ret = generic_perform_write(iocb, from);
	if (ret > 0)
		balance_dirty_pages(mapping);
	return ret;
}

/* Linux's blkdev_fsync: the range written and waited for, then a cache flush. */
static int blkdev_fsync(struct file *f, loff_t start, loff_t end, int datasync)
{
	int err = filemap_write_and_wait_range(f->f_mapping, start, end);
	int seen = filemap_check_wb_err(f->f_mapping, &f->f_wb_err);
	int flush = blkdev_issue_flush(file_bdev(f));

	if (flush == -EOPNOTSUPP)
		flush = 0;
	return err ? err : seen ? seen : flush;
}

/*
 * Linux's blkdev_mmap: on a read-only device a shared mapping that may
 * write (the file is open for writing) is -EINVAL
 * (generic_file_readonly_mmap); anything else maps the cache.
 */
static int blkdev_mmap(struct file *f, struct vm_area_struct *vma)
{
	if (bdev_read_only(file_bdev(f)) &&
	    (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE))
		return -EINVAL;
	return generic_file_mmap(f, vma);
}

static long put_int(u64 arg, int v)
{
	return copy_to_user((void *)(uintptr_t)arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long put_u64(u64 arg, u64 v)
{
	return copy_to_user((void *)(uintptr_t)arg, &v, sizeof(v)) ? -EFAULT : 0;
}

/* BLKFLSBUF: write back, then drop what nobody uses (Linux's sync_blockdev + invalidate_bdev). */
static long flush_buffers(struct file *f)
{
	filemap_write_and_wait_range(f->f_mapping, 0, LLONG_MAX_OFF);
	invalidate_mapping_pages(f->f_mapping, 0, ~0UL);
	return 0;
}

static long blkdev_ioctl(struct file *f, unsigned int cmd, u64 arg)
{
	struct bdev_cache *c = file_cache(f);
	struct block_device *bdev = c->bdev;
	u64 bytes = (u64)bdev_nr_sectors(bdev) << 9;
	int n;

	switch (cmd) {
	case BLKGETSIZE64:
		return put_u64(arg, bytes);
	case BLKGETSIZE:		/* 512-byte sectors in an unsigned long */
		if ((bytes >> 9) > ~0UL)
			return -EFBIG;
		return put_u64(arg, bytes >> 9);
	case BLKSSZGET:
		return put_int(arg, (int)bdev_logical_block_size(bdev));
	case BLKPBSZGET:
		return put_int(arg, (int)(bdev->bd_disk->limits.physical_block_size ?
					  bdev->bd_disk->limits.physical_block_size :
					  bdev_logical_block_size(bdev)));
	case BLKBSZGET:
		return put_int(arg, 1 << c->map.blkbits);
	case BLKROGET:
		return put_int(arg, bdev_read_only(bdev));
	case BLKROSET:
		if (copy_from_user(&n, (const void *)(uintptr_t)arg, sizeof(n)))
			return -EFAULT;
		bdev_set_read_only(bdev, n != 0);
		return 0;
	case BLKFLSBUF:
		return flush_buffers(f);
	}
	return -ENOTTY;
}

const struct file_operations def_blk_fops = {
	.open = blkdev_open,
	.release = blkdev_release,
	.read_iter = blkdev_read_iter,
	.write_iter = blkdev_write_iter,
	.ioctl = blkdev_ioctl,
	.fsync = blkdev_fsync,
	.mmap = blkdev_mmap,
	.seekable = true,
};

/* ---- every cache ---- */

unsigned long nr_blockdev_pages(void)
{
	unsigned long n = 0;
	struct list_head *pos;

	spin_lock(&bdev_caches_lock);
	list_for_each(pos, &bdev_caches)
		n += READ_ONCE(list_entry(pos, struct bdev_cache, link)->inode->i_data.nrpages);
	spin_unlock(&bdev_caches_lock);
	return n;
}

int sync_blockdevs(void)
{
	struct list_head *pos;
	int err = 0;

	mutex_lock(&bdev_files_mutex);	/* no cache goes while we write it */
	list_for_each(pos, &bdev_caches) {
		struct bdev_cache *c = list_entry(pos, struct bdev_cache, link);
		int e = filemap_write_and_wait_range(c->inode->i_mapping, 0, LLONG_MAX_OFF);

		if (!e) {
			e = blkdev_issue_flush(c->bdev);
			if (e == -EOPNOTSUPP)
				e = 0;
		}
		if (!err)
			err = e;
	}
	mutex_unlock(&bdev_files_mutex);
	return err;
}
