/*
 * Open files: struct file, open(2)'s checks of the flags against the
 * object, stat, truncate and in-kernel reads of whole files.
 */
#include <pagoda/fs.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include <mm/slab.h>

/* Flags open(2) consumes; F_GETFL does not show them (as Linux). */
#define OPEN_ONLY_FLAGS	(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

/* st_dev of files without a super block (the console). */
#define DEVICE_DEV	0x6

static bool wants_write(unsigned int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* open(2)'s type and permission checks, in Linux's order. */
static long open_check(const struct path *path, const struct inode *inode, unsigned int flags)
{
	if (S_ISLNK(inode->i_mode))
		return -ELOOP;
	if (S_ISDIR(inode->i_mode)) {
		if (wants_write(flags) || (flags & O_CREAT))
			return -EISDIR;
		return 0;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (!wants_write(flags) || S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode))
		return 0;
	if (path->mnt && (path->mnt->mnt_sb->s_flags & SB_RDONLY))
		return -EROFS;
	if (!inode->i_fop->write_iter)
		return -EACCES;		/* generated read-only files (/proc) */
	return 0;
}

struct file *file_open_path(const struct path *path, unsigned int flags, long *err)
{
	struct inode *inode = path->dentry->d_inode;
	struct file *f;
	long ret = open_check(path, inode, flags);

	if (ret) {
		*err = ret;
		return NULL;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	/* Linux's do_dentry_open: a writer of a regular file excludes running it */
	if ((flags & O_ACCMODE) != O_RDONLY && S_ISREG(inode->i_mode)) {
		ret = get_write_access(inode);
		if (ret) {
			kfree(f);
			*err = ret;
			return NULL;
		}
		f->f_write_access = true;
	}
	f->refs = 1;
	f->flags = flags | O_LARGEFILE;		/* ->open sees O_EXCL (block devices) */
	f->inode = inode;
	f->f_path = *path;
	path_get(&f->f_path);
	f->ops = inode->i_fop;
	if (f->ops->open) {
		ret = f->ops->open(inode, f);
		if (ret) {
			if (f->f_write_access)
				put_write_access(inode);
			path_put(&f->f_path);
			kfree(f);
			*err = ret;
			return NULL;
		}
	}
	f->flags &= ~OPEN_ONLY_FLAGS;
	if (!f->f_mapping)		/* a block device's ->open sets its own cache */
		f->f_mapping = inode->i_mapping;
	if (f->f_mapping) {
		file_ra_state_init(&f->f_ra, f->f_mapping);
		f->f_wb_err = filemap_sample_wb_err(f->f_mapping);
	}
	if ((flags & O_TRUNC) && S_ISREG(inode->i_mode) && i_size_read(inode)) {
		/* O_RDONLY|O_TRUNC truncates too: write access for the moment (handle_truncate) */
		ret = vfs_truncate_path(path, 0);
		if (ret) {
			file_put(f);
			*err = ret;
			return NULL;
		}
	}
	return f;
}

int do_truncate(struct vfsmount *mnt, struct dentry *dentry, loff_t size)
{
	struct inode *inode = dentry->d_inode;
	int err;

	if (size < 0)
		return -EINVAL;
	if (!inode->i_op || !inode->i_op->setsize)
		return -EPERM;
	down_write(&inode->i_rwsem);
	err = inode->i_op->setsize(dentry, size);
	up_write(&inode->i_rwsem);
	return err;
}

int vfs_truncate_path(const struct path *path, loff_t size)
{
	struct inode *inode = path->dentry->d_inode;
	int err = get_write_access(inode);

	if (err)
		return err;
	err = do_truncate(path->mnt, path->dentry, size);
	put_write_access(inode);
	return err;
}

void inode_stat(const struct inode *inode, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_blksize = PAGE_SIZE;
	if (!inode || !inode->i_sb) {
		st->st_mode = inode ? inode->i_mode : S_IFCHR | 0600;
		st->st_dev = DEVICE_DEV;
		st->st_nlink = 1;
		st->st_ino = inode ? inode->i_ino : 0;
		st->st_rdev = inode ? inode->i_rdev : 0;
		return;
	}
	st->st_dev = inode->i_sb->s_dev;
	st->st_ino = inode->i_ino;
	st->st_mode = inode->i_mode;
	st->st_nlink = inode->i_nlink;
	st->st_uid = inode->i_uid;
	st->st_gid = inode->i_gid;
	st->st_rdev = inode->i_rdev;
	st->st_size = i_size_read(inode);
	st->st_blocks = (s64)DIV_ROUND_UP((u64)st->st_size, 512);
	st->st_atime_sec = (u64)inode->i_atime.tv_sec;
	st->st_atime_nsec = (u64)inode->i_atime.tv_nsec;
	st->st_mtime_sec = (u64)inode->i_mtime.tv_sec;
	st->st_mtime_nsec = (u64)inode->i_mtime.tv_nsec;
	st->st_ctime_sec = (u64)inode->i_ctime.tv_sec;
	st->st_ctime_nsec = (u64)inode->i_ctime.tv_nsec;
	if (inode->i_op && inode->i_op->getattr)
		inode->i_op->getattr(inode, st);
}

static long kernel_rw(struct file *f, struct kvec *kv, unsigned int dir, u64 *pos)
{
	struct iov_iter iter;
	struct kiocb kio;
	long n;

	if (dir == ITER_DEST ? !f->ops->read_iter : !f->ops->write_iter)
		return -EINVAL;
	iov_iter_kvec(&iter, dir, kv, 1, kv->iov_len);
	init_sync_kiocb(&kio, f, (loff_t)*pos);
	n = dir == ITER_DEST ? f->ops->read_iter(&kio, &iter) : f->ops->write_iter(&kio, &iter);
	if (n > 0)
		*pos = (u64)kio.ki_pos;
	return n;
}

long kernel_read(struct file *f, void *buf, size_t len, u64 *pos)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };

	return kernel_rw(f, &kv, ITER_DEST, pos);
}

long kernel_write(struct file *f, const void *buf, size_t len, u64 *pos)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_rw(f, &kv, ITER_SOURCE, pos);
}

static unsigned int size_order(size_t size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

long kernel_read_file(const char *path, void **buf, size_t max)
{
	struct file *f;
	struct page *pages;
	u64 pos = 0;
	long err, size;
	u8 *dst;

	f = file_open(path, O_RDONLY, &err);
	if (!f)
		return err;
	size = (long)i_size_read(f->inode);
	if (!S_ISREG(f->inode->i_mode)) {
		err = -EACCES;
		goto out;
	}
	if ((size_t)size > max || size_order((size_t)size + 1) >= MAX_ORDER) {
		err = -EFBIG;
		goto out;
	}
	pages = alloc_pages(GFP_KERNEL, size_order((size_t)size + 1));
	if (!pages) {
		err = -ENOMEM;
		goto out;
	}
	dst = phys_to_virt(page_to_phys(pages));
	while ((long)pos < size) {
		long n = kernel_read(f, dst + pos, (size_t)size - pos, &pos);

		if (n <= 0) {
			free_pages(pages, size_order((size_t)size + 1));
			err = n ? n : -EIO;
			goto out;
		}
	}
	dst[size] = '\0';
	*buf = dst;
	err = size;
out:
	file_put(f);
	return err;
}

void kernel_free_file(void *buf, size_t size)
{
	free_pages(pfn_to_page(PHYS_PFN(virt_to_phys(buf))), size_order(size + 1));
}
