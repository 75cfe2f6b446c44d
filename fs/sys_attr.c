/*
 * The attribute system calls on the Linux x86-64 ABI: chmod, fchmod,
 * fchmodat, fchmodat2, chown, fchown, lchown, fchownat, utime, utimes,
 * futimesat, utimensat. Each finds its inode (a path or a descriptor),
 * fills a struct iattr and hands it to notify_change() (fs/attr.c), with
 * Linux's argument checks in Linux's order (fs/open.c, fs/utimes.c).
 */
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>

#define UTIME_NOW	((1L << 30) - 1)
#define UTIME_OMIT	((1L << 30) - 2)

static struct file *fget(u64 fd)
{
	unsigned int ufd = (unsigned int)fd;

	if (ufd >= NR_OPEN_MAX)
		return NULL;
	return fd_get(current->files, (int)ufd);
}

/* notify_change() on what @p (or @fdinode, for a descriptor without a path) names. */
static long change_path(struct path *p, struct inode *fdinode, struct iattr *ia)
{
	long err = notify_change(p->mnt, p->dentry ? p->dentry->d_inode : fdinode, ia);

	path_put(p);
	return err;
}

/* notify_change() on an open file. */
static long change_file(u64 fd, struct iattr *ia)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	return notify_change(f->f_path.mnt, f->inode, ia);
}

/* The path the *at calls name (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH), then the change. */
static long change_at(s64 dfd, u64 upath, u64 flags, struct iattr *ia)
{
	struct inode *fdinode;
	struct path p;
	long err = user_path_at(dfd, upath, flags, &p, &fdinode);

	if (err)
		return err;
	return change_path(&p, fdinode, ia);
}

/* ---- chmod ---- */

static struct iattr chmod_attr(u64 mode)
{
	return (struct iattr){ .ia_valid = ATTR_MODE | ATTR_CTIME,
			       .ia_mode = (u32)mode & S_IALLUGO };
}

static long do_fchmodat(s64 dfd, u64 upath, u64 mode, u64 flags)
{
	struct iattr ia = chmod_attr(mode);

	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return change_at(dfd, upath, flags, &ia);
}

SYSCALL_DEFINE(__NR_chmod, chmod)
{
	return do_fchmodat(AT_FDCWD, a0, a1, 0);
}

SYSCALL_DEFINE(__NR_fchmodat, fchmodat)
{
	return do_fchmodat((s64)(int)a0, a1, a2, 0);	/* no flags argument */
}

SYSCALL_DEFINE(__NR_fchmodat2, fchmodat2)
{
	return do_fchmodat((s64)(int)a0, a1, a2, (unsigned int)a3);
}

SYSCALL_DEFINE(__NR_fchmod, fchmod)
{
	struct iattr ia = chmod_attr(a1);

	return change_file(a0, &ia);
}

/* ---- chown ---- */

/*
 * Linux's chown_common: (u32)-1 leaves an id; a non-directory loses
 * S_ISUID and, with group-exec, S_ISGID (root keeps S_ISGID of a file
 * without group-exec: mandatory-locking marker), even when no id changes.
 */
static struct iattr chown_attr(const struct inode *inode, u64 user, u64 group)
{
	struct iattr ia = { .ia_valid = ATTR_CTIME };

	if ((u32)user != (u32)-1) {
		ia.ia_valid |= ATTR_UID;
		ia.ia_uid = (u32)user;
	}
	if ((u32)group != (u32)-1) {
		ia.ia_valid |= ATTR_GID;
		ia.ia_gid = (u32)group;
	}
	if (!S_ISDIR(inode->i_mode))
		ia.ia_valid |= ATTR_KILL_SUID | ATTR_KILL_SGID;
	return ia;
}

static long do_fchownat(s64 dfd, u64 upath, u64 user, u64 group, u64 flags)
{
	struct inode *fdinode, *inode;
	struct iattr ia;
	struct path p;
	long err;

	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = user_path_at(dfd, upath, flags, &p, &fdinode);
	if (err)
		return err;
	inode = p.dentry ? p.dentry->d_inode : fdinode;
	ia = chown_attr(inode, user, group);
	return change_path(&p, fdinode, &ia);
}

SYSCALL_DEFINE(__NR_chown, chown)
{
	return do_fchownat(AT_FDCWD, a0, a1, a2, 0);
}

SYSCALL_DEFINE(__NR_lchown, lchown)
{
	return do_fchownat(AT_FDCWD, a0, a1, a2, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE(__NR_fchownat, fchownat)
{
	return do_fchownat((s64)(int)a0, a1, a2, a3, (unsigned int)a4);
}

SYSCALL_DEFINE(__NR_fchown, fchown)
{
	struct file *f = fget(a0);
	struct iattr ia;

	if (!f)
		return -EBADF;
	ia = chown_attr(f->inode, a1, a2);
	return notify_change(f->f_path.mnt, f->inode, &ia);
}

/* ---- utimes ---- */

static bool nsec_valid(long nsec)
{
	return nsec == UTIME_OMIT || nsec == UTIME_NOW || (nsec >= 0 && nsec <= 999999999);
}

/*
 * Linux's vfs_utimes: NULL @times (or both UTIME_NOW) is now for both;
 * UTIME_OMIT leaves one; ctime is always now. -EINVAL for a bad tv_nsec.
 */
static long utimes_attr(const struct timespec64 *times, struct iattr *ia)
{
	ia->ia_valid = ATTR_CTIME | ATTR_ATIME | ATTR_MTIME;
	if (!times)
		return 0;
	if (!nsec_valid(times[0].tv_nsec) || !nsec_valid(times[1].tv_nsec))
		return -EINVAL;
	if (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW)
		return 0;
	ia->ia_valid |= ATTR_TOUCH;
	if (times[0].tv_nsec == UTIME_OMIT)
		ia->ia_valid &= ~(unsigned int)ATTR_ATIME;
	else if (times[0].tv_nsec != UTIME_NOW) {
		ia->ia_atime = times[0];
		ia->ia_valid |= ATTR_ATIME_SET;
	}
	if (times[1].tv_nsec == UTIME_OMIT)
		ia->ia_valid &= ~(unsigned int)ATTR_MTIME;
	else if (times[1].tv_nsec != UTIME_NOW) {
		ia->ia_mtime = times[1];
		ia->ia_valid |= ATTR_MTIME_SET;
	}
	return 0;
}

/*
 * Linux's do_utimes: a NULL path with a descriptor (futimens) changes
 * the open file (flags must be 0); otherwise the path (AT_SYMLINK_NOFOLLOW,
 * AT_EMPTY_PATH). The lookup's errors come before -EINVAL for the times.
 */
static long do_utimes(s64 dfd, u64 upath, const struct timespec64 *times, u64 flags)
{
	struct inode *fdinode;
	struct iattr ia;
	struct path p;
	long err;

	if (!upath && (int)dfd != AT_FDCWD) {
		struct file *f;

		if (flags)
			return -EINVAL;
		f = fget((u64)(unsigned int)dfd);
		if (!f)
			return -EBADF;
		err = utimes_attr(times, &ia);
		return err ? err : notify_change(f->f_path.mnt, f->inode, &ia);
	}
	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = user_path_at(dfd, upath, flags, &p, &fdinode);
	if (err)
		return err;
	err = utimes_attr(times, &ia);
	if (err) {
		path_put(&p);
		return err;
	}
	return change_path(&p, fdinode, &ia);
}

SYSCALL_DEFINE(__NR_utimensat, utimensat)
{
	struct timespec64 t[2];

	if (a2) {
		if (copy_from_user(t, (const void *)(uintptr_t)a2, sizeof(t)))
			return -EFAULT;
		if (t[0].tv_nsec == UTIME_OMIT && t[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	return do_utimes((s64)(int)a0, a1, a2 ? t : NULL, (unsigned int)a3);
}

struct linux_timeval {
	s64 tv_sec, tv_usec;
};

/* utimes/futimesat: microseconds, each in [0, 10^6) or -EINVAL. */
static long do_futimesat(s64 dfd, u64 upath, u64 utv)
{
	struct linux_timeval tv[2];
	struct timespec64 t[2];

	if (!utv)
		return do_utimes(dfd, upath, NULL, 0);
	if (copy_from_user(tv, (const void *)(uintptr_t)utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		t[i].tv_sec = tv[i].tv_sec;
		t[i].tv_nsec = (long)tv[i].tv_usec * 1000;
	}
	return do_utimes(dfd, upath, t, 0);
}

SYSCALL_DEFINE(__NR_utimes, utimes)
{
	return do_futimesat(AT_FDCWD, a0, a1);
}

SYSCALL_DEFINE(__NR_futimesat, futimesat)
{
	return do_futimesat((s64)(int)a0, a1, a2);
}

SYSCALL_DEFINE(__NR_utime, utime)
{
	s64 ub[2];			/* struct utimbuf: actime, modtime */
	struct timespec64 t[2];

	if (!a1)
		return do_utimes(AT_FDCWD, a0, NULL, 0);
	if (copy_from_user(ub, (const void *)(uintptr_t)a1, sizeof(ub)))
		return -EFAULT;
	t[0] = (struct timespec64){ ub[0], 0 };
	t[1] = (struct timespec64){ ub[1], 0 };
	return do_utimes(AT_FDCWD, a0, t, 0);
}
