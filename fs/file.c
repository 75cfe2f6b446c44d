/*
 * Open files: struct file, its reference count, and open(2)'s checks of
 * the flags against the inode. Host-compilable (tests/host/test_cpio.c).
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/slab.h>

/* Flags open(2) consumes; F_GETFL does not show them (as Linux). */
#define OPEN_ONLY_FLAGS	(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

/* Linux's st_dev values for what we serve: the initrd and the devices. */
#define RAMFS_DEV	0x1
#define DEVICE_DEV	0x6

static bool wants_write(unsigned int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* open(2)'s permission and type checks, in Linux's order. */
static long open_check(const struct inode *inode, unsigned int flags)
{
	if (S_ISDIR(inode->mode)) {
		if (wants_write(flags) || (flags & O_CREAT))
			return -EISDIR;
		return 0;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (wants_write(flags) && !inode->fops->write_iter)
		/* read-only initrd: EROFS; generated read-only files: EACCES */
		return (inode->mode & 0222) ? -EROFS : -EACCES;
	return 0;
}

struct file *file_open_inode(struct inode *inode, unsigned int flags, long *err)
{
	struct file *f;
	long ret = open_check(inode, flags);

	if (ret) {
		*err = ret;
		return NULL;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	f->refs = 1;
	f->flags = (flags & ~OPEN_ONLY_FLAGS) | O_LARGEFILE;
	f->inode = inode;
	f->ops = inode->fops;
	if (f->ops->open) {
		ret = f->ops->open(inode, f);
		if (ret) {
			kfree(f);
			*err = ret;
			return NULL;
		}
	}
	f->f_mapping = inode->i_mapping;
	if (f->f_mapping) {
		file_ra_state_init(&f->f_ra, f->f_mapping);
		f->f_wb_err = filemap_sample_wb_err(f->f_mapping);
	}
	return f;
}

struct file *file_open(const char *path, unsigned int flags, long *err)
{
	struct inode *inode = ramfs_walk(NULL, path, err);

	if (!inode) {
		/* creating anything on the read-only initrd */
		if (*err == -ENOENT && (flags & O_CREAT))
			*err = -EROFS;
		return NULL;
	}
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		*err = -EEXIST;
		return NULL;
	}
	return file_open_inode(inode, flags, err);
}

static u64 dir_nlink(const struct inode *dir)
{
	u64 n = 2;

	for (const struct inode *c = dir->children; c; c = c->next)
		n += S_ISDIR(c->mode);
	return n;
}

void inode_stat(const struct inode *inode, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_blksize = PAGE_SIZE;
	if (!inode) {
		st->st_mode = S_IFCHR | 0600;
		st->st_dev = DEVICE_DEV;
		st->st_nlink = 1;
		return;
	}
	st->st_ino = inode->ino;
	st->st_mode = inode->mode;
	st->st_nlink = S_ISDIR(inode->mode) ? dir_nlink(inode) : 1;
	st->st_size = (s64)inode->size;
	st->st_blocks = (s64)DIV_ROUND_UP(inode->size, 512);
	st->st_dev = S_ISCHR(inode->mode) ? DEVICE_DEV : RAMFS_DEV;
	st->st_rdev = inode->rdev;
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
