/*
 * File system calls on the Linux x86-64 ABI: read, write, readv, writev,
 * pread64, pwrite64, preadv, pwritev, preadv2, pwritev2, fallocate, open, openat, creat, close, lseek, fstat, stat, lstat,
 * newfstatat, access, faccessat, faccessat2, ioctl, fcntl, dup, dup2, dup3.
 * The namespace calls are in fs/sys_namei.c.
 *
 * Error codes and their order follow Linux (fs/read_write.c, fs/open.c,
 * fs/fcntl.c, lib/iov_iter.c): a bad descriptor is -EBADF before anything
 * else; a bad user pointer is -EFAULT, never an oops (uaccess.h).
 *
 * Data moves through an iov_iter (include/pagoda/uio.h) straight between
 * user memory and the file's ->read_iter/->write_iter: no bounce buffer.
 */
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/string.h>
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <mm/slab.h>


#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC	1030
#define F_ADD_SEALS	1033
#define F_GET_SEALS	1034
#define FD_CLOEXEC	1
#define O_DIRECT	040000
#define O_NOATIME	01000000
#define FASYNC		020000
#define SETFL_MASK	(O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME)

#define SEEK_DATA	3
#define SEEK_HOLE	4

#define FIONCLEX	0x5450
#define FIOCLEX		0x5451

#define R_OK		4
#define W_OK		2
#define X_OK		1

#define AT_NO_AUTOMOUNT	0x800

/* Descriptor arguments are `unsigned int` in Linux's prototypes. */
static struct file *fget(u64 fd)
{
	unsigned int ufd = (unsigned int)fd;

	if (ufd >= NR_OPEN_MAX)
		return NULL;
	return fd_get(current->files, (int)ufd);
}

static bool can_read(const struct file *f)
{
	unsigned int acc = f->flags & O_ACCMODE;

	return (acc == O_RDONLY || acc == O_RDWR) && f->ops->read_iter;
}

static bool can_write(const struct file *f)
{
	unsigned int acc = f->flags & O_ACCMODE;

	return (acc == O_WRONLY || acc == O_RDWR) && f->ops->write_iter;
}

enum rw_dir { RW_READ, RW_WRITE };

/*
 * Move the bytes of @iter between @f at *@pos and memory: the bytes moved
 * (short when a user copy faulted part way), or -errno if nothing moved.
 * *@pos advances by the bytes moved.
 */
static long file_rw(struct file *f, enum rw_dir dir, struct iov_iter *iter, u64 *pos)
{
	struct kiocb kio;
	long n;

	if (!iov_iter_count(iter))
		return 0;
	init_sync_kiocb(&kio, f, (loff_t)*pos);
	n = dir == RW_READ ? f->ops->read_iter(&kio, iter) : f->ops->write_iter(&kio, iter);
	if (n > 0)
		*pos = (u64)kio.ki_pos;
	return n;
}

/* One user buffer as an iterator (its length already checked and clamped). */
static long file_rw_ubuf(struct file *f, enum rw_dir dir, u64 ubuf, size_t len, u64 *pos)
{
	struct iov_iter iter;

	iov_iter_ubuf(&iter, dir == RW_READ ? ITER_DEST : ITER_SOURCE, (void *)(uintptr_t)ubuf,
		      len);
	return file_rw(f, dir, &iter, pos);
}

/* rw_verify_area and the access checks of vfs_read/vfs_write. */
static long rw_check(struct file *f, enum rw_dir dir, u64 ubuf, u64 len)
{
	if (dir == RW_READ ? !can_read(f) : !can_write(f))
		return -EBADF;
	if (!access_ok(ubuf, len))
		return -EFAULT;
	if ((s64)len < 0)
		return -EINVAL;
	return 0;
}

static long do_rw(u64 fd, enum rw_dir dir, u64 ubuf, u64 len)
{
	struct file *f = fget(fd);
	long err;

	if (!f)
		return -EBADF;
	err = rw_check(f, dir, ubuf, len);
	if (err)
		return err;
	return file_rw_ubuf(f, dir, ubuf, MIN(len, MAX_RW_COUNT), &f->pos);
}

SYSCALL_DEFINE(__NR_read, read)
{
	return do_rw(a0, RW_READ, a1, a2);
}

SYSCALL_DEFINE(__NR_write, write)
{
	return do_rw(a0, RW_WRITE, a1, a2);
}

static long do_prw(u64 fd, enum rw_dir dir, u64 ubuf, u64 len, u64 upos)
{
	struct file *f = fget(fd);
	u64 pos = upos;
	long err;

	if (!f)
		return -EBADF;
	if ((s64)upos < 0)
		return -EINVAL;
	if (!f->ops->seekable)
		return -ESPIPE;
	err = rw_check(f, dir, ubuf, len);
	if (err)
		return err;
	return file_rw_ubuf(f, dir, ubuf, MIN(len, MAX_RW_COUNT), &pos);
}

SYSCALL_DEFINE(__NR_pread64, pread64)
{
	return do_prw(a0, RW_READ, a1, a2, a3);
}

SYSCALL_DEFINE(__NR_pwrite64, pwrite64)
{
	return do_prw(a0, RW_WRITE, a1, a2, a3);
}

/* preadv2/pwritev2 flags (RWF_*) Pagoda honours; any other bit is -EOPNOTSUPP. */
#define RWF_HIPRI	0x01		/* polled I/O: nothing to poll here, ignored */
#define RWF_DSYNC	0x02
#define RWF_SYNC	0x04
#define RWF_APPEND	0x10
#define RWF_NOAPPEND	0x20
#define RWF_SUPPORTED	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND | RWF_NOAPPEND)

/*
 * The vectored transfer of readv/writev/preadv/pwritev(2): @iter at *@pos
 * (f->pos, or a private copy for the p* calls) with the RWF_* @flags.
 * -EBADF for the wrong access mode, -EOPNOTSUPP for an unknown flag
 * (Linux's kiocb_set_rw_flags: only when there are bytes to move); a write with
 * RWF_DSYNC/RWF_SYNC is fsync'd before it returns (its error wins).
 */
static long rwv_iter(struct file *f, enum rw_dir dir, struct iov_iter *iter, u64 *pos,
		     u64 flags)
{
	struct kiocb kio;
	long n, err;

	if (dir == RW_READ ? !can_read(f) : !can_write(f))
		return -EBADF;
	if (!iov_iter_count(iter))
		return 0;		/* before the flags, as Linux's vfs_readv */
	if (flags & ~(u64)RWF_SUPPORTED)
		return -EOPNOTSUPP;
	init_sync_kiocb(&kio, f, (loff_t)*pos);
	if (flags & RWF_APPEND)
		kio.ki_flags |= IOCB_APPEND;
	if (flags & RWF_NOAPPEND)
		kio.ki_flags &= ~(unsigned int)IOCB_APPEND;
	n = dir == RW_READ ? f->ops->read_iter(&kio, iter) : f->ops->write_iter(&kio, iter);
	if (n > 0)
		*pos = (u64)kio.ki_pos;
	if (n > 0 && dir == RW_WRITE && (flags & (RWF_DSYNC | RWF_SYNC))) {
		err = vfs_fsync(f, !(flags & RWF_SYNC));
		if (err)
			return err;
	}
	return n;
}

/* @pos NULL: the file's own position (readv, writev, preadv2 at -1). */
static long do_rwv(u64 fd, enum rw_dir dir, u64 uvec, u64 cnt, s64 *pos, u64 flags)
{
	struct iovec fast[UIO_FASTIOV], *iov = fast;
	struct file *f = fget(fd);
	struct iov_iter iter;
	u64 ppos;
	long ret;

	if (!f)
		return -EBADF;
	if (pos && !f->ops->seekable)
		return -ESPIPE;
	ret = import_iovec(dir == RW_READ ? ITER_DEST : ITER_SOURCE,
			   (const struct iovec *)(uintptr_t)uvec, cnt, UIO_FASTIOV, &iov, &iter);
	if (ret < 0)
		return ret;
	if (pos) {
		ppos = (u64)*pos;
		ret = rwv_iter(f, dir, &iter, &ppos, flags);
	} else {
		ret = rwv_iter(f, dir, &iter, &f->pos, flags);
	}
	kfree(iov);
	return ret;
}

SYSCALL_DEFINE(__NR_readv, readv)
{
	return do_rwv(a0, RW_READ, a1, a2, NULL, 0);
}

SYSCALL_DEFINE(__NR_writev, writev)
{
	return do_rwv(a0, RW_WRITE, a1, a2, NULL, 0);
}

/*
 * preadv/pwritev(fd, iov, cnt, pos_l, pos_h): on x86-64 the offset is
 * pos_l whole (Linux's pos_from_hilo shifts pos_h out by two 32-bit
 * shifts), negative is -EINVAL before the descriptor is looked at.
 * The *2 variants take RWF_* flags; an offset of -1 is the file position.
 */
static long do_prwv(u64 fd, enum rw_dir dir, u64 uvec, u64 cnt, u64 pos_l, u64 flags,
		    bool minus_one_is_cur)
{
	s64 pos = (s64)pos_l;

	if (minus_one_is_cur && pos == -1)
		return do_rwv(fd, dir, uvec, cnt, NULL, flags);
	if (pos < 0)
		return -EINVAL;
	return do_rwv(fd, dir, uvec, cnt, &pos, flags);
}

SYSCALL_DEFINE(__NR_preadv, preadv)
{
	return do_prwv(a0, RW_READ, a1, a2, a3, 0, false);
}

SYSCALL_DEFINE(__NR_pwritev, pwritev)
{
	return do_prwv(a0, RW_WRITE, a1, a2, a3, 0, false);
}

SYSCALL_DEFINE(__NR_preadv2, preadv2)
{
	return do_prwv(a0, RW_READ, a1, a2, a3, a5, true);
}

SYSCALL_DEFINE(__NR_pwritev2, pwritev2)
{
	return do_prwv(a0, RW_WRITE, a1, a2, a3, a5, true);
}

/* ---- fallocate ---- */

#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#define FALLOC_FL_ALL_MODES	0x7f	/* KEEP_SIZE ... UNSHARE_RANGE: known to Linux */
#define FALLOC_FL_WRITE_ZEROES	0x80
#define MAX_LFS_FILESIZE	((s64)0x7fffffffffffffffLL)

/*
 * Linux's vfs_fallocate, its checks in its order: -EINVAL for a negative
 * offset or a length <= 0, -EOPNOTSUPP for an unknown mode or PUNCH_HOLE
 * without KEEP_SIZE, -EBADF unless open for writing, -ESPIPE for a pipe,
 * -EISDIR, -ENODEV for anything but a regular file or block device,
 * -EFBIG past the largest file, -EOPNOTSUPP without ->fallocate (ramfs,
 * ext2, block devices: as Linux's).
 */
SYSCALL_DEFINE(__NR_fallocate, fallocate)
{
	struct file *f = fget(a0);
	int mode = (int)a1;
	s64 off = (s64)a2, len = (s64)a3, end;
	struct inode *inode;

	if (!f)
		return -EBADF;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(FALLOC_FL_ALL_MODES | FALLOC_FL_WRITE_ZEROES))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	inode = f->inode;
	if (S_ISFIFO(inode->i_mode))
		return -ESPIPE;
	if (S_ISDIR(inode->i_mode))
		return -EISDIR;
	if (!S_ISREG(inode->i_mode) && !S_ISBLK(inode->i_mode))
		return -ENODEV;
	if (__builtin_add_overflow(off, len, &end) || end > MAX_LFS_FILESIZE)
		return -EFBIG;
	if (!f->ops->fallocate)
		return -EOPNOTSUPP;
	return f->ops->fallocate(f, mode, (loff_t)off, (loff_t)len);
}

/*
 * Copy a path from user space into a new PATH_MAX buffer. -EFAULT,
 * -ENAMETOOLONG, -ENOENT for "" (unless @empty_ok), -ENOMEM.
 */
char *getname_kernel_copy(u64 upath, bool empty_ok, long *err);

char *getname_kernel_copy(u64 upath, bool empty_ok, long *err)
{
	char *name = kmalloc(PATH_MAX, GFP_KERNEL);
	long n;

	if (!name) {
		*err = -ENOMEM;
		return NULL;
	}
	n = strncpy_from_user(name, (const char *)(uintptr_t)upath, PATH_MAX);
	if (n == 0 && !empty_ok)
		n = -ENOENT;
	if (n < 0) {
		kfree(name);
		*err = n;
		return NULL;
	}
	return name;
}

static long do_openat(u64 dirfd, u64 upath, u64 flags, u64 mode)
{
	struct file *f;
	char *path;
	long err, fd;

	path = getname_kernel_copy(upath, false, &err);
	if (!path)
		return err;
	f = do_filp_open((int)dirfd, path, (unsigned int)flags, (u32)mode, &err);
	kfree(path);
	if (!f)
		return err;
	fd = fd_install_from(current->files, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(__NR_open, open)
{
	return do_openat((u64)(s64)AT_FDCWD, a0, a1, a2);
}

SYSCALL_DEFINE(__NR_openat, openat)
{
	return do_openat(a0, a1, a2, a3);
}

SYSCALL_DEFINE(__NR_creat, creat)
{
	return do_openat((u64)(s64)AT_FDCWD, a0, O_CREAT | O_WRONLY | O_TRUNC, a1);
}

SYSCALL_DEFINE(__NR_close, close)
{
	if ((unsigned int)a0 >= NR_OPEN_MAX)
		return -EBADF;
	return fd_close(current->files, (int)(unsigned int)a0);
}

static long seek_base(struct file *f, int whence, s64 off, s64 *base)
{
	/* the size of what the file reads: a block device's, not its node's */
	const struct inode *host = f->f_mapping && f->f_mapping->host ? f->f_mapping->host : f->inode;
	u64 size = host ? (u64)i_size_read(host) : 0;

	switch (whence) {
	case SEEK_SET:
		*base = 0;
		return 0;
	case SEEK_CUR:
		*base = (s64)f->pos;
		return 0;
	case SEEK_END:
		*base = (s64)size;
		return 0;
	case SEEK_DATA:
	case SEEK_HOLE:
		/* a file without holes: data up to the end, then one hole */
		if (off < 0 || (u64)off >= size)
			return -ENXIO;
		*base = whence == SEEK_DATA ? 0 : (s64)size - off;
		return 0;
	}
	return -EINVAL;
}

SYSCALL_DEFINE(__NR_lseek, lseek)
{
	struct file *f = fget(a0);
	s64 off = (s64)a1, base, pos;
	long err;

	if (!f)
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	err = seek_base(f, (int)a2, off, &base);
	if (err)
		return err;
	if (__builtin_add_overflow(base, off, &pos))
		return -EOVERFLOW;
	if (pos < 0)
		return -EINVAL;
	f->pos = (u64)pos;
	return pos;
}

static long stat_to_user(const struct inode *inode, u64 ubuf)
{
	struct linux_stat st;

	inode_stat(inode, &st);
	if (copy_to_user((void *)(uintptr_t)ubuf, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(__NR_fstat, fstat)
{
	struct file *f = fget(a0);

	if (!f)
		return -EBADF;
	return stat_to_user(f->inode, a1);
}

/*
 * The object @upath names relative to @dirfd (AT_EMPTY_PATH with "": the
 * descriptor itself), referenced in @out; *@fdinode for a descriptor
 * without a path (the console). 0 or -errno.
 */
long user_path_at(s64 dirfd, u64 upath, u64 flags, struct path *out, struct inode **fdinode)
{
	char *path;
	long err;

	*fdinode = NULL;
	out->mnt = NULL;
	out->dentry = NULL;
	path = getname_kernel_copy(upath, flags & AT_EMPTY_PATH, &err);
	if (!path)
		return err;
	if (!path[0]) {		/* AT_EMPTY_PATH: the descriptor itself */
		kfree(path);
		if ((int)dirfd == AT_FDCWD) {
			*out = current_fs()->pwd;
			path_get(out);
			return 0;
		}
		struct file *f = fget((u64)(int)dirfd);

		if (!f)
			return -EBADF;
		if (f->f_path.dentry) {
			*out = f->f_path;
			path_get(out);
		} else {
			*fdinode = f->inode;
		}
		return 0;
	}
	err = kern_path_at((int)dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, out);
	kfree(path);
	return err;
}

static long do_fstatat(s64 dirfd, u64 upath, u64 ubuf, u64 flags)
{
	struct inode *fdinode;
	struct path p;
	long err;

	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	err = user_path_at(dirfd, upath, flags, &p, &fdinode);
	if (err)
		return err;
	err = stat_to_user(p.dentry ? p.dentry->d_inode : fdinode, ubuf);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(__NR_stat, stat)
{
	return do_fstatat(AT_FDCWD, a0, a1, 0);
}

SYSCALL_DEFINE(__NR_lstat, lstat)
{
	return do_fstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE(__NR_newfstatat, newfstatat)
{
	return do_fstatat((s64)a0, a1, a2, a3);
}

/*
 * access(2) as root: W_OK is -EROFS on a read-only mount (except devices);
 * X_OK needs an execute bit on anything but a directory.
 */
static long do_faccessat(s64 dirfd, u64 upath, u64 mode, u64 flags)
{
	struct inode *inode, *fdinode;
	struct path p;
	long err;

	if (mode & ~(u64)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(u64)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = user_path_at(dirfd, upath, flags, &p, &fdinode);
	if (err)
		return err;
	inode = p.dentry ? p.dentry->d_inode : fdinode;
	if ((mode & W_OK) && p.mnt && (p.mnt->mnt_sb->s_flags & SB_RDONLY) &&
	    (S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode) || S_ISLNK(inode->i_mode)))
		err = -EROFS;
	else if ((mode & X_OK) && !S_ISDIR(inode->i_mode) && !(inode->i_mode & 0111))
		err = -EACCES;
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(__NR_access, access)
{
	return do_faccessat(AT_FDCWD, a0, a1, 0);
}

SYSCALL_DEFINE(__NR_faccessat, faccessat)
{
	return do_faccessat((s64)a0, a1, a2, 0);
}

SYSCALL_DEFINE(__NR_faccessat2, faccessat2)
{
	return do_faccessat((s64)a0, a1, a2, a3);
}

SYSCALL_DEFINE(__NR_ioctl, ioctl)
{
	struct file *f = fget(a0);
	unsigned int cmd = (unsigned int)a1;

	if (!f)
		return -EBADF;
	switch (cmd) {		/* the ones every descriptor answers */
	case FIOCLEX:
		fd_set_cloexec(current->files, (int)(unsigned int)a0, true);
		return 0;
	case FIONCLEX:
		fd_set_cloexec(current->files, (int)(unsigned int)a0, false);
		return 0;
	}
	if (!f->ops->ioctl)
		return -ENOTTY;
	return f->ops->ioctl(f, cmd, a2);
}

static long do_dupfd(struct file *f, u64 min, bool cloexec)
{
	long fd;

	if (min >= NR_OPEN_MAX)
		return -EINVAL;
	fd = fd_install_from(current->files, file_get(f), (int)min, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(__NR_fcntl, fcntl)
{
	struct file *f = fget(a0);
	int fd = (int)(unsigned int)a0;

	if (!f)
		return -EBADF;
	switch ((unsigned int)a1) {
	case F_DUPFD:
		return do_dupfd(f, a2, false);
	case F_DUPFD_CLOEXEC:
		return do_dupfd(f, a2, true);
	case F_GETFD:
		return fd_get_cloexec(current->files, fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		fd_set_cloexec(current->files, fd, a2 & FD_CLOEXEC);
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~SETFL_MASK) | ((unsigned int)a2 & SETFL_MASK);
		return 0;
	case F_ADD_SEALS:
		return a2 > 0xffffffffULL ? -EINVAL : shmem_add_seals(f, (unsigned long)a2);
	case F_GET_SEALS: {
		unsigned int *seals = shmem_seals(f->inode);

		return seals ? (long)*seals : -EINVAL;
	}
	}
	return -EINVAL;
}

SYSCALL_DEFINE(__NR_dup, dup)
{
	struct file *f = fget(a0);
	long fd;

	if (!f)
		return -EBADF;
	fd = fd_install(current->files, file_get(f));
	if (fd < 0)
		file_put(f);
	return fd;
}

static long do_dup3(u64 oldfd, u64 newfd, u64 flags)
{
	unsigned int nfd = (unsigned int)newfd;
	struct file *f;

	if (flags & ~(u64)O_CLOEXEC)
		return -EINVAL;
	if ((unsigned int)oldfd == nfd)
		return -EINVAL;
	if (nfd >= NR_OPEN_MAX)
		return -EBADF;
	f = fget(oldfd);
	if (!f)
		return -EBADF;
	fd_install_at(current->files, (int)nfd, file_get(f), flags & O_CLOEXEC);
	return (long)nfd;
}

SYSCALL_DEFINE(__NR_dup2, dup2)
{
	if ((unsigned int)a0 == (unsigned int)a1)
		return fget(a0) ? (long)(unsigned int)a1 : -EBADF;
	return do_dup3(a0, a1, 0);
}

SYSCALL_DEFINE(__NR_dup3, dup3)
{
	return do_dup3(a0, a1, a2);
}

long vfs_fsync(struct file *f, int datasync)
{
	int err, err2;

	if (f->ops->fsync)
		return f->ops->fsync(f, 0, (loff_t)0x7fffffffffffffffLL, datasync);
	if (!f->f_mapping)
		return -EINVAL;
	err = filemap_write_and_wait_range(f->f_mapping, 0, (loff_t)0x7fffffffffffffffLL);
	err2 = filemap_check_wb_err(f->f_mapping, &f->f_wb_err);
	return err ? err : err2;
}
