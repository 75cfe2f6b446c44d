/*
 * The namespace and metadata system calls on the Linux x86-64 ABI:
 * mkdir(at), mknod(at), rmdir, unlink(at), rename(at)(2), link(at),
 * symlink(at), readlink(at), truncate, ftruncate, getdents64, chdir,
 * fchdir, getcwd, umask, statx, fsync, fdatasync, sync, syncfs. The work
 * is in fs/namei.c; this file copies arguments in and results out, with
 * Linux's argument checks in Linux's order.
 */
#include <pagoda/errno.h>
#include <pagoda/err.h>
#include <pagoda/fs.h>
#include <pagoda/string.h>
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <mm/slab.h>

char *getname_kernel_copy(u64 upath, bool empty_ok, long *err);

#define AT_STATX_SYNC_TYPE	0x6000
#define AT_NO_AUTOMOUNT		0x800
#define STATX_BASIC_STATS	0x7ffU
#define STATX__RESERVED		0x80000000U

static struct file *fget(u64 fd)
{
	unsigned int ufd = (unsigned int)fd;

	if (ufd >= NR_OPEN_MAX)
		return NULL;
	return fd_get(current->files, (int)ufd);
}

/* The call @fn on a copied-in path. */
#define WITH_NAME(upath, expr)						\
	({								\
		long __err;						\
		char *name = getname_kernel_copy((upath), false, &__err); \
		if (name) {						\
			__err = (expr);					\
			kfree(name);					\
		}							\
		__err;							\
	})

SYSCALL_DEFINE(__NR_mkdirat, mkdirat)
{
	return WITH_NAME(a1, vfs_mkdirat((int)a0, name, (u32)a2));
}

SYSCALL_DEFINE(__NR_mkdir, mkdir)
{
	return WITH_NAME(a0, vfs_mkdirat(AT_FDCWD, name, (u32)a1));
}

SYSCALL_DEFINE(__NR_mknodat, mknodat)
{
	return WITH_NAME(a1, vfs_mknodat((int)a0, name, (u32)a2, (u32)a3));
}

SYSCALL_DEFINE(__NR_mknod, mknod)
{
	return WITH_NAME(a0, vfs_mknodat(AT_FDCWD, name, (u32)a1, (u32)a2));
}

SYSCALL_DEFINE(__NR_rmdir, rmdir)
{
	return WITH_NAME(a0, vfs_rmdirat(AT_FDCWD, name));
}

SYSCALL_DEFINE(__NR_unlink, unlink)
{
	return WITH_NAME(a0, vfs_unlinkat(AT_FDCWD, name));
}

SYSCALL_DEFINE(__NR_unlinkat, unlinkat)
{
	if (a2 & ~(u64)AT_REMOVEDIR)
		return -EINVAL;
	if (a2 & AT_REMOVEDIR)
		return WITH_NAME(a1, vfs_rmdirat((int)a0, name));
	return WITH_NAME(a1, vfs_unlinkat((int)a0, name));
}

/* The two directories and the flags of a call naming two paths (rename, link). */
struct two_paths {
	int olddfd, newdfd;
	unsigned int flags;
	long (*fn)(const struct two_paths *tp, const char *oldname, const char *newname);
};

static long two_names(const struct two_paths *tp, u64 uold, u64 unew)
{
	char *newname;
	long err;

	newname = getname_kernel_copy(unew, false, &err);
	if (!newname)
		return err;
	err = WITH_NAME(uold, tp->fn(tp, name, newname));
	kfree(newname);
	return err;
}

static long rename_fn(const struct two_paths *tp, const char *oldname, const char *newname)
{
	return vfs_renameat2(tp->olddfd, oldname, tp->newdfd, newname, tp->flags);
}

static long do_renameat2(int olddfd, u64 uold, int newdfd, u64 unew, unsigned int flags)
{
	struct two_paths tp = { olddfd, newdfd, flags, rename_fn };

	return two_names(&tp, uold, unew);
}

SYSCALL_DEFINE(__NR_rename, rename)
{
	return do_renameat2(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL_DEFINE(__NR_renameat, renameat)
{
	return do_renameat2((int)a0, a1, (int)a2, a3, 0);
}

SYSCALL_DEFINE(__NR_renameat2, renameat2)
{
	return do_renameat2((int)a0, a1, (int)a2, a3, (unsigned int)a4);
}

static long link_fn(const struct two_paths *tp, const char *oldname, const char *newname)
{
	return vfs_linkat(tp->olddfd, oldname, tp->newdfd, newname, (int)tp->flags);
}

static long do_linkat(int olddfd, u64 uold, int newdfd, u64 unew, int flags)
{
	struct two_paths tp = { olddfd, newdfd, (unsigned int)flags, link_fn };

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_EMPTY_PATH)
		return -ENOENT;			/* needs CAP_DAC_READ_SEARCH games: not yet */
	return two_names(&tp, uold, unew);
}

SYSCALL_DEFINE(__NR_link, link)
{
	return do_linkat(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL_DEFINE(__NR_linkat, linkat)
{
	return do_linkat((int)a0, a1, (int)a2, a3, (int)a4);
}

static long do_symlinkat(u64 utarget, int dfd, u64 unew)
{
	char *target;
	long err;

	target = getname_kernel_copy(utarget, false, &err);
	if (!target)
		return err;
	err = WITH_NAME(unew, vfs_symlinkat(target, dfd, name));
	kfree(target);
	return err;
}

SYSCALL_DEFINE(__NR_symlink, symlink)
{
	return do_symlinkat(a0, AT_FDCWD, a1);
}

SYSCALL_DEFINE(__NR_symlinkat, symlinkat)
{
	return do_symlinkat(a0, (int)a1, a2);
}

static long do_readlinkat(int dfd, u64 upath, u64 ubuf, s64 bufsiz)
{
	struct path p;
	char *buf;
	long err;

	if (bufsiz <= 0)
		return -EINVAL;
	err = WITH_NAME(upath, kern_path_at(dfd, name, 0, &p));
	if (err)
		return err;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf) {
		path_put(&p);
		return -ENOMEM;
	}
	err = vfs_readlink(p.dentry, buf, MIN((size_t)bufsiz, (size_t)PATH_MAX));
	if (err > 0 && copy_to_user((void *)(uintptr_t)ubuf, buf, (size_t)err))
		err = -EFAULT;
	kfree(buf);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(__NR_readlink, readlink)
{
	return do_readlinkat(AT_FDCWD, a0, a1, (s64)(int)a2);
}

SYSCALL_DEFINE(__NR_readlinkat, readlinkat)
{
	return do_readlinkat((int)a0, a1, a2, (s64)(int)a3);
}

/* ---- truncate ---- */

SYSCALL_DEFINE(__NR_truncate, truncate)
{
	struct inode *inode;
	struct path p;
	long err;

	if ((s64)a1 < 0)
		return -EINVAL;
	err = WITH_NAME(a0, kern_path(name, LOOKUP_FOLLOW, &p));
	if (err)
		return err;
	inode = p.dentry->d_inode;
	if (S_ISDIR(inode->i_mode))
		err = -EISDIR;
	else if (!S_ISREG(inode->i_mode))
		err = -EINVAL;
	else if (p.mnt->mnt_sb->s_flags & SB_RDONLY)
		err = -EROFS;
	else
		err = vfs_truncate_path(&p, (loff_t)a1);	/* ETXTBSY while it runs */
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(__NR_ftruncate, ftruncate)
{
	struct file *f = fget(a0);
	unsigned int acc;

	if (!f)
		return -EBADF;
	if ((s64)a1 < 0)
		return -EINVAL;
	acc = f->flags & O_ACCMODE;
	if (!f->f_path.dentry || !S_ISREG(f->inode->i_mode) || acc == O_RDONLY)
		return -EINVAL;
	return do_truncate(f->f_path.mnt, f->f_path.dentry, (loff_t)a1);
}

/* ---- getdents64 ---- */

struct dirent_buf {
	u8 *buf;
	size_t size, used;
	bool too_small;			/* the first entry did not fit */
};

struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;
	u16 d_reclen;
	u8 d_type;
	char d_name[];
};

static bool emit_dirent(void *ctx, const char *name, u32 len, u64 ino, unsigned int type,
			u64 next_pos)
{
	struct dirent_buf *db = ctx;
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	struct linux_dirent64 *de;

	if (db->used + reclen > db->size) {
		if (!db->used)
			db->too_small = true;
		return false;
	}
	de = (struct linux_dirent64 *)(db->buf + db->used);
	memset(de, 0, reclen);
	de->d_ino = ino;
	de->d_off = (s64)next_pos;
	de->d_reclen = (u16)reclen;
	de->d_type = (u8)type;
	memcpy(de->d_name, name, len);
	db->used += reclen;
	return true;
}

#define GETDENTS_MAX	(64 * 1024)

SYSCALL_DEFINE(__NR_getdents64, getdents64)
{
	struct file *f = fget(a0);
	struct dirent_buf db = { 0 };
	struct inode *inode;
	long err;

	if (!f)
		return -EBADF;
	if (!f->ops->iterate)
		return -ENOTDIR;
	if (!access_ok(a1, a2))
		return -EFAULT;
	db.size = MIN((size_t)(unsigned int)a2, (size_t)GETDENTS_MAX);
	db.buf = kmalloc(db.size ? db.size : 1, GFP_KERNEL);
	if (!db.buf)
		return -ENOMEM;
	inode = f->inode;
	down_read(&inode->i_rwsem);
	err = f->ops->iterate(f, emit_dirent, &db);
	up_read(&inode->i_rwsem);
	if (!err && db.too_small)
		err = -EINVAL;
	if (!err && db.used && copy_to_user((void *)(uintptr_t)a1, db.buf, db.used))
		err = -EFAULT;
	kfree(db.buf);
	return err ? err : (long)db.used;
}

/* ---- working directory, umask ---- */

/* The current task's own fs_struct (made from init's on first change). */
static struct fs_struct *own_fs(void)
{
	if (!current->fs)
		current->fs = fs_dup(current_fs());
	return current->fs;
}

static long set_pwd(struct path *p)
{
	struct fs_struct *fs;
	struct path old;

	if (!S_ISDIR(p->dentry->d_inode->i_mode)) {
		path_put(p);
		return -ENOTDIR;
	}
	fs = own_fs();
	if (!fs) {
		path_put(p);
		return -ENOMEM;
	}
	old = fs->pwd;
	fs->pwd = *p;
	path_put(&old);
	return 0;
}

SYSCALL_DEFINE(__NR_chdir, chdir)
{
	struct path p;
	long err = WITH_NAME(a0, kern_path(name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p));

	return err ? err : set_pwd(&p);
}

SYSCALL_DEFINE(__NR_fchdir, fchdir)
{
	struct file *f = fget(a0);
	struct path p;

	if (!f)
		return -EBADF;
	if (!f->f_path.dentry)
		return -ENOTDIR;
	p = f->f_path;
	path_get(&p);
	return set_pwd(&p);
}

SYSCALL_DEFINE(__NR_getcwd, getcwd)
{
	struct fs_struct *fs = current_fs();
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL), *s;
	long err, len;

	if (!buf)
		return -ENOMEM;
	if (!fs->pwd.dentry->d_hashed && fs->pwd.dentry != fs->pwd.mnt->mnt_root) {
		err = -ENOENT;			/* removed */
		goto out;
	}
	s = d_path(&fs->pwd, &fs->root, buf, PATH_MAX);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto out;
	}
	len = (long)(buf + PATH_MAX - s);	/* with the NUL */
	if ((u64)len > a1)
		err = -ERANGE;
	else if (copy_to_user((void *)(uintptr_t)a0, s, (size_t)len))
		err = -EFAULT;
	else
		err = len;
out:
	kfree(buf);
	return err;
}

SYSCALL_DEFINE(__NR_umask, umask)
{
	struct fs_struct *fs = own_fs();
	u32 old;

	if (!fs)
		return -ENOMEM;
	old = fs->umask;
	fs->umask = (u32)a0 & 0777;
	return old;
}

/* ---- statx ---- */

struct statx_timestamp {
	s64 tv_sec;
	u32 tv_nsec;
	s32 reserved;
};

struct linux_statx {
	u32 stx_mask, stx_blksize;
	u64 stx_attributes;
	u32 stx_nlink, stx_uid, stx_gid;
	u16 stx_mode, spare0;
	u64 stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	u64 spare2[14];
};

/* Linux's new_decode_dev halves. */
static u32 dev_major(u64 dev)
{
	return (u32)((dev & 0xfff00) >> 8);
}

static u32 dev_minor(u64 dev)
{
	return (u32)((dev & 0xff) | ((dev >> 12) & 0xfff00));
}

SYSCALL_DEFINE(__NR_statx, statx)
{
	int dfd = (int)a0;
	unsigned int flags = (unsigned int)a2, mask = (unsigned int)a3;
	struct linux_statx sx;
	struct linux_stat st;
	struct inode *fdinode;
	struct path p;
	long err;

	if (mask & STATX__RESERVED)
		return -EINVAL;
	if (flags & ~(unsigned int)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
				    AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	{
		/* the path lookup of fstatat, AT_EMPTY_PATH included */
		char *name = getname_kernel_copy(a1, flags & AT_EMPTY_PATH, &err);

		if (!name)
			return err;
		fdinode = NULL;
		p.mnt = NULL;
		p.dentry = NULL;
		if (!name[0]) {
			if (dfd == AT_FDCWD) {
				p = current_fs()->pwd;
				path_get(&p);
			} else {
				struct file *f = fget((u64)(unsigned int)dfd);

				if (!f) {
					kfree(name);
					return -EBADF;
				}
				if (f->f_path.dentry) {
					p = f->f_path;
					path_get(&p);
				} else {
					fdinode = f->inode;
				}
			}
		} else {
			err = kern_path_at(dfd, name,
					   (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
			if (err) {
				kfree(name);
				return err;
			}
		}
		kfree(name);
	}
	inode_stat(p.dentry ? p.dentry->d_inode : fdinode, &st);
	path_put(&p);
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (u32)st.st_blksize;
	sx.stx_nlink = (u32)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (u16)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (u64)st.st_size;
	sx.stx_blocks = (u64)st.st_blocks;
	sx.stx_atime = (struct statx_timestamp){ (s64)st.st_atime_sec, (u32)st.st_atime_nsec, 0 };
	sx.stx_mtime = (struct statx_timestamp){ (s64)st.st_mtime_sec, (u32)st.st_mtime_nsec, 0 };
	sx.stx_ctime = (struct statx_timestamp){ (s64)st.st_ctime_sec, (u32)st.st_ctime_nsec, 0 };
	sx.stx_rdev_major = dev_major(st.st_rdev);
	sx.stx_rdev_minor = dev_minor(st.st_rdev);
	sx.stx_dev_major = dev_major(st.st_dev);
	sx.stx_dev_minor = dev_minor(st.st_dev);
	if (copy_to_user((void *)(uintptr_t)a4, &sx, sizeof(sx)))
		return -EFAULT;
	return 0;
}

/* ---- fsync, sync ---- */

static long do_fsync(u64 fd, int datasync)
{
	struct file *f = fget(fd);

	return f ? vfs_fsync(f, datasync) : -EBADF;
}

SYSCALL_DEFINE(__NR_fsync, fsync)
{
	return do_fsync(a0, 0);
}

SYSCALL_DEFINE(__NR_fdatasync, fdatasync)
{
	return do_fsync(a0, 1);
}

SYSCALL_DEFINE(__NR_sync, sync)
{
	sync_filesystems();
	return 0;
}

SYSCALL_DEFINE(__NR_syncfs, syncfs)
{
	struct file *f = fget(a0);
	struct super_block *sb;

	if (!f)
		return -EBADF;
	sb = f->f_path.mnt ? f->f_path.mnt->mnt_sb : NULL;
	if (sb && sb->s_op && sb->s_op->sync_fs)
		return sb->s_op->sync_fs(sb, 1);
	return 0;
}

/* ---- statfs ---- */

#define RAMFS_MAGIC	0x858458f6
#define TMPFS_MAGIC	0x01021994
#define PROC_SUPER_MAGIC 0x9fa0

/* statfs of the file system @sb: its own answer, or an in-memory one's (Linux's magic numbers). */
static long sb_statfs(struct super_block *sb, u64 ubuf)
{
	struct linux_statfs st;
	long err = 0;

	memset(&st, 0, sizeof(st));
	st.f_bsize = PAGE_SIZE;
	st.f_frsize = PAGE_SIZE;
	st.f_namelen = NAME_MAX;
	st.f_fsid[0] = (s32)sb->s_dev;
	if (sb->s_op && sb->s_op->statfs) {
		err = sb->s_op->statfs(sb, &st);
	} else {
		const char *t = sb->s_type->name;

		st.f_type = !strcmp(t, "proc") ? PROC_SUPER_MAGIC :
			    !strcmp(t, "ramfs") ? RAMFS_MAGIC : TMPFS_MAGIC;
	}
	if (sb->s_flags & SB_RDONLY)
		st.f_flags |= 1;		/* ST_RDONLY */
	if (!err && copy_to_user((void *)(uintptr_t)ubuf, &st, sizeof(st)))
		err = -EFAULT;
	return err;
}

SYSCALL_DEFINE(__NR_statfs, statfs)
{
	struct path p;
	long err;
	char *name = getname_kernel_copy(a0, false, &err);

	if (!name)
		return err;
	err = kern_path(name, LOOKUP_FOLLOW, &p);
	kfree(name);
	if (err)
		return err;
	err = sb_statfs(p.dentry->d_sb, a1);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(__NR_fstatfs, fstatfs)
{
	struct file *f = fget(a0);

	if (!f)
		return -EBADF;
	if (!f->f_path.dentry)
		return -ENOSYS;			/* the console: no file system behind it */
	return sb_statfs(f->f_path.dentry->d_sb, a1);
}
