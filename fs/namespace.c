/*
 * Mounts: the tree of vfsmounts (each a super block's root grafted on a
 * directory of its parent mount), lookup_mnt for the path walk, mount(2)
 * and umount2(2), and the per-task root and working directory
 * (fs_struct). docs/vfs.md.
 *
 * References: the tree holds one reference on each attached mount; paths
 * (open files, working directories, a walk in progress) hold one each. A
 * mount is busy for umount2 when anything beyond the tree and the caller
 * holds it, or something is mounted on it; MNT_DETACH takes it out of the
 * tree at once and frees it when its last path goes.
 *
 * Locking: mount_lock (a spinlock) covers the mount list, mnt_count and
 * d_mounted; namespace_sem (a mutex) serializes mount and umount.
 */
#include <fs/proc.h>
#include <pagoda/fs.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/mutex.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <mm/slab.h>

#define MS_RDONLY	1
#define MS_NOSUID	2
#define MS_NODEV	4
#define MS_NOEXEC	8
#define MS_SYNCHRONOUS	16
#define MS_REMOUNT	32
#define MS_NOATIME	1024
#define MS_NODIRATIME	2048
#define MS_BIND		4096
#define MS_MOVE		8192
#define MS_SILENT	32768
#define MS_RELATIME	(1 << 21)
#define MS_MGC_VAL	0xC0ED0000UL
#define MS_MGC_MSK	0xffff0000UL
/* flags a new mount may carry without changing what Pagoda does */
#define MS_PLAIN	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | \
			 MS_NOATIME | MS_NODIRATIME | MS_SILENT | MS_RELATIME)

#define MNT_FORCE	1
#define MNT_DETACH	2
#define MNT_EXPIRE	4
#define UMOUNT_NOFOLLOW	8

struct file_system_type *get_fs_type(const char *name);

static spinlock_t mount_lock = SPINLOCK_INIT;
static LIST_HEAD(mounts);
static struct mutex namespace_sem = MUTEX_INIT(namespace_sem);

struct path init_root;
static struct fs_struct init_fs = { .users = 1, .umask = 022 };

struct vfsmount *mntget(struct vfsmount *m)
{
	spin_lock(&mount_lock);
	m->mnt_count++;
	spin_unlock(&mount_lock);
	return m;
}

static void deactivate_super(struct super_block *sb)
{
	if (--sb->s_active == 0 && sb->s_type->kill_sb)
		sb->s_type->kill_sb(sb);
}

/* A detached mount's last reference went: give back what it held. */
static void mnt_free(struct vfsmount *m)
{
	struct vfsmount *parent = m->mnt_parent;

	dput(m->mnt_root);
	if (parent != m) {
		dput(m->mnt_mountpoint);
		mntput(parent);
	}
	deactivate_super(m->mnt_sb);
	kfree(m);
}

void mntput(struct vfsmount *m)
{
	bool last;

	if (!m)
		return;
	spin_lock(&mount_lock);
	last = --m->mnt_count == 0;
	spin_unlock(&mount_lock);
	if (last)
		mnt_free(m);
}

void path_get(const struct path *p)
{
	if (p->mnt)
		mntget(p->mnt);
	if (p->dentry)
		dget(p->dentry);
}

void path_put(const struct path *p)
{
	dput(p->dentry);
	mntput(p->mnt);
}

struct vfsmount *lookup_mnt(const struct path *p)
{
	struct vfsmount *found = NULL;
	struct list_head *pos;

	if (!p->dentry->d_mounted)
		return NULL;
	spin_lock(&mount_lock);
	list_for_each(pos, &mounts) {		/* the last one mounted there wins */
		struct vfsmount *m = list_entry(pos, struct vfsmount, mnt_list);

		if (m->mnt_parent == p->mnt && m->mnt_mountpoint == p->dentry && m != p->mnt)
			found = m;
	}
	if (found)
		found->mnt_count++;
	spin_unlock(&mount_lock);
	return found;
}

/* Anything mounted on a dentry of @m? (mount_lock held) */
static bool has_children(const struct vfsmount *m)
{
	struct list_head *pos;

	list_for_each(pos, &mounts) {
		const struct vfsmount *c = list_entry(pos, struct vfsmount, mnt_list);

		if (c->mnt_parent == m && c != m)
			return true;
	}
	return false;
}

int do_mount(const char *type, const char *dev, struct path *where, unsigned long flags,
	     struct vfsmount **out)
{
	struct file_system_type *fs = get_fs_type(type);
	struct super_block *sb;
	struct vfsmount *m;

	if (!fs)
		return -ENODEV;
	if (where && !S_ISDIR(where->dentry->d_inode->i_mode))
		return -ENOTDIR;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	sb = fs->mount(fs, (int)flags, dev, NULL);
	if (IS_ERR(sb)) {
		kfree(m);
		return (int)PTR_ERR(sb);
	}
	sb->s_active++;
	if (flags & MS_RDONLY)
		sb->s_flags |= SB_RDONLY;
	m->mnt_root = dget(sb->s_root);
	m->mnt_sb = sb;
	m->mnt_count = 1;			/* the tree's */
	strncpy(m->mnt_devname, dev ? dev : type, sizeof(m->mnt_devname) - 1);
	if (!where) {
		m->mnt_parent = m;
		m->mnt_mountpoint = m->mnt_root;
	} else {
		m->mnt_parent = mntget(where->mnt);
		m->mnt_mountpoint = dget(where->dentry);
	}
	spin_lock(&mount_lock);
	if (where) {
		where->dentry->d_mounted++;
		where->dentry->d_flags |= DCACHE_MOUNTED;
	}
	list_add_tail(&m->mnt_list, &mounts);
	spin_unlock(&mount_lock);
	if (out)
		*out = m;
	return 0;
}

/*
 * An internal mount of @type that is in no tree (Linux's kern_mount): its
 * root is its own parent, so d_path of a file in it is "/NAME"; never
 * listed in /proc/mounts nor unmounted. ERR_PTR on failure.
 */
struct vfsmount *kern_mount(const char *type)
{
	struct file_system_type *fs = get_fs_type(type);
	struct super_block *sb;
	struct vfsmount *m;

	if (!fs)
		return ERR_PTR(-ENODEV);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	sb = fs->mount(fs, 0, NULL, NULL);
	if (IS_ERR(sb)) {
		kfree(m);
		return (struct vfsmount *)sb;
	}
	sb->s_active++;
	m->mnt_root = dget(sb->s_root);
	m->mnt_sb = sb;
	m->mnt_count = 1;			/* the kernel's, never dropped */
	m->mnt_parent = m;
	m->mnt_mountpoint = m->mnt_root;
	strncpy(m->mnt_devname, type, sizeof(m->mnt_devname) - 1);
	list_init(&m->mnt_list);
	return m;
}

/* Take @m out of the tree (mount_lock held); the tree's reference is the caller's to drop. */
static void umount_tree_one(struct vfsmount *m)
{
	list_del_init(&m->mnt_list);
	m->mnt_flags |= MNT_DETACHED;
	if (m->mnt_parent != m && !--m->mnt_mountpoint->d_mounted)
		m->mnt_mountpoint->d_flags &= ~DCACHE_MOUNTED;
}

/* Detach @m and everything mounted below it (MNT_DETACH). */
static void umount_lazy(struct vfsmount *m)
{
	struct vfsmount *c;

	for (;;) {
		struct list_head *pos;

		c = NULL;
		spin_lock(&mount_lock);
		list_for_each(pos, &mounts) {
			struct vfsmount *x = list_entry(pos, struct vfsmount, mnt_list);

			if (x->mnt_parent == m && x != m)
				c = x;
		}
		spin_unlock(&mount_lock);
		if (!c)
			break;
		umount_lazy(c);
	}
	spin_lock(&mount_lock);
	umount_tree_one(m);
	spin_unlock(&mount_lock);
	mntput(m);				/* the tree's reference */
}

int path_umount(struct path *p, int flags)
{
	struct vfsmount *m = p->mnt;
	int err = 0;

	if (p->dentry != m->mnt_root)
		return -EINVAL;
	if (m->mnt_parent == m)
		return -EBUSY;			/* the root file system */
	mutex_lock(&namespace_sem);
	if (flags & MNT_DETACH) {
		umount_lazy(m);
	} else {
		spin_lock(&mount_lock);
		/* the tree's reference and the caller's: anything more is a user */
		if (m->mnt_count > 2 || has_children(m)) {
			err = -EBUSY;
		} else {
			umount_tree_one(m);
			m->mnt_count--;		/* the tree's: the caller's path_put frees it */
		}
		spin_unlock(&mount_lock);
	}
	mutex_unlock(&namespace_sem);
	return err;
}

void set_init_fs_root(const struct path *p)
{
	struct path old_root = init_fs.root, old_pwd = init_fs.pwd;

	path_get(p);
	path_get(p);
	init_fs.root = *p;
	init_fs.pwd = *p;
	path_put(&old_root);
	path_put(&old_pwd);
}

void unmount_all(void)
{
	sync_filesystems();
	/* a root= volume is a mount like the others once "/" is the initramfs again */
	if (init_fs.root.mnt != init_root.mnt || init_fs.pwd.mnt != init_root.mnt)
		set_init_fs_root(&init_root);
	mutex_lock(&namespace_sem);
	for (;;) {
		struct vfsmount *m = NULL;
		struct list_head *pos;
		bool busy;

		spin_lock(&mount_lock);
		list_for_each(pos, &mounts) {	/* the last mounted that is not "/" */
			struct vfsmount *x = list_entry(pos, struct vfsmount, mnt_list);

			if (x->mnt_parent != x)
				m = x;
		}
		/* the tree's reference only (children are detached first, below) */
		busy = m && m->mnt_count > 1 && !has_children(m);
		if (m)
			m->mnt_count++;		/* ours while we work */
		spin_unlock(&mount_lock);
		if (!m)
			break;
		if (busy && m->mnt_sb->s_active == 1)
			printk("umount: %s (%s) still in use at power-off: synced, not unmounted\n",
			       m->mnt_devname, m->mnt_sb->s_type->name);
		umount_lazy(m);
		mntput(m);
	}
	mutex_unlock(&namespace_sem);
}

/* ---- fs_struct ---- */

struct fs_struct *current_fs(void)
{
	return current && current->fs ? current->fs : &init_fs;
}

struct fs_struct *fs_dup(const struct fs_struct *old)
{
	struct fs_struct *fs = kmalloc(sizeof(*fs), GFP_KERNEL);

	if (!fs)
		return NULL;
	*fs = *old;
	fs->users = 1;
	path_get(&fs->root);
	path_get(&fs->pwd);
	return fs;
}

void fs_put(struct fs_struct *fs)
{
	if (!fs || fs == &init_fs || --fs->users > 0)
		return;
	path_put(&fs->root);
	path_put(&fs->pwd);
	kfree(fs);
}

/* Make the root mount (fs init): @type mounted as "/", every task's root and cwd. */
int mount_root(const char *type)
{
	struct vfsmount *m;
	int err = do_mount(type, "rootfs", NULL, 0, &m);

	if (err)
		return err;
	init_root.mnt = m;
	init_root.dentry = m->mnt_root;
	path_get(&init_root);
	init_fs.root = init_root;
	init_fs.pwd = init_root;
	path_get(&init_fs.root);
	path_get(&init_fs.pwd);
	return 0;
}

/* ---- system calls ---- */

static char *copy_string(u64 uaddr, size_t max, long *err)
{
	char *s = kmalloc(max, GFP_KERNEL);
	long n;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	n = strncpy_from_user(s, (const char *)(uintptr_t)uaddr, max);
	if (n < 0) {
		kfree(s);
		*err = n;
		return NULL;
	}
	return s;
}

char *getname_kernel_copy(u64 upath, bool empty_ok, long *err);

/* mount(source, target, filesystemtype, mountflags, data) */
SYSCALL_DEFINE(__NR_mount, mount)
{
	unsigned long flags = a3;
	char *dev = NULL, *target = NULL, *type = NULL;
	struct path where;
	long err;

	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	target = getname_kernel_copy(a1, false, &err);
	if (!target)
		return err;
	err = kern_path(target, LOOKUP_FOLLOW, &where);
	if (err)
		goto out;
	if (flags & MS_REMOUNT) {
		if (where.dentry != where.mnt->mnt_root) {
			err = -EINVAL;
		} else {
			struct super_block *sb = where.mnt->mnt_sb;

			sb->s_flags = (flags & MS_RDONLY) ? sb->s_flags | SB_RDONLY
							  : sb->s_flags & ~SB_RDONLY;
			err = 0;
		}
		goto out_path;
	}
	if (flags & ~(unsigned long)MS_PLAIN) {
		err = -EINVAL;			/* bind, move, propagation: not yet */
		goto out_path;
	}
	type = a2 ? copy_string(a2, PAGE_SIZE, &err) : NULL;
	if (!type) {
		if (!a2)
			err = -EINVAL;
		goto out_path;
	}
	if (a0) {
		dev = copy_string(a0, PAGE_SIZE, &err);
		if (!dev)
			goto out_path;
	}
	mutex_lock(&namespace_sem);
	err = do_mount(type, dev, &where, flags, NULL);
	mutex_unlock(&namespace_sem);
out_path:
	path_put(&where);
out:
	kfree(dev);
	kfree(type);
	kfree(target);
	return err;
}

SYSCALL_DEFINE(__NR_umount2, umount2)
{
	int flags = (int)a1;
	struct path p;
	char *name;
	long err;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	name = getname_kernel_copy(a0, false, &err);
	if (!name)
		return err;
	err = kern_path(name, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
	kfree(name);
	if (err)
		return err;
	if (flags & MNT_EXPIRE)
		err = -EAGAIN;			/* first call marks it, as Linux */
	else
		err = path_umount(&p, flags);
	path_put(&p);
	return err;
}

/* ---- /proc/mounts ---- */

/* @s with blank, tab, newline and backslash as octal escapes, as Linux's mangle() writes them. */
static void proc_put_escaped(struct proc_out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			proc_printf(o, "\\%03o", (unsigned char)*s);
		else
			proc_printf(o, "%c", *s);
	}
}

/*
 * One line per mount, in mount order, as Linux's show_vfsmnt(): device,
 * mount point (under the reader's root), type, options, "0 0". The
 * options are those that hold: "rw" or "ro", and "noatime" because
 * Pagoda never updates an access time on a read (Linux's default would
 * be relatime). Mounts taken out of the tree are not listed.
 */
size_t proc_mounts_show(char *buf, size_t len)
{
	struct proc_out o = PROC_OUT_INIT(buf, len);
	struct fs_struct *fs = current_fs();
	char *path = kmalloc(PATH_MAX, GFP_KERNEL);
	struct list_head *pos;

	if (!path)
		return 0;
	mutex_lock(&namespace_sem);
	list_for_each(pos, &mounts) {
		struct vfsmount *m = list_entry(pos, struct vfsmount, mnt_list);
		struct path where = { .mnt = m, .dentry = m->mnt_root };
		char *p = d_path(&where, &fs->root, path, PATH_MAX);

		if (IS_ERR(p))
			continue;
		proc_put_escaped(&o, m->mnt_devname);
		proc_printf(&o, " ");
		proc_put_escaped(&o, p);
		proc_printf(&o, " %s %s,noatime 0 0\n", m->mnt_sb->s_type->name,
			    (m->mnt_sb->s_flags & SB_RDONLY) ? "ro" : "rw");
	}
	mutex_unlock(&namespace_sem);
	kfree(path);
	return o.pos;
}
