/*
 * The path walk: names to (mount, dentry) pairs, component by component
 * from the root, the working directory or a directory descriptor; ".",
 * ".." (up across mount points, never above the task's root), mount
 * points crossed downwards, symlinks followed (at most MAXSYMLINKS in
 * one walk, then -ELOOP), trailing slashes. And the namespace changes
 * built on it: create, mkdir, mknod, symlink, link, unlink, rmdir,
 * rename, with Linux's errors in Linux's order. docs/vfs.md.
 *
 * Locking: a lookup that misses the dcache takes the directory's i_rwsem
 * for writing around ->lookup (a later lookup of the same name finds the
 * dentry it left); every namespace change holds its parent's i_rwsem for
 * writing, rename both parents under rename_mutex.
 */
#include <pagoda/fs.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/mutex.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <mm/slab.h>

enum { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

struct nameidata {
	struct path path;		/* where the walk is (referenced) */
	struct path root;		/* the task's root (referenced) */
	int total_links;		/* symlinks followed so far */
	/* link_path_walk's result: the last component, not yet walked */
	struct qstr last;
	int last_type;
	bool trailing_slash;
};

static DEFINE_MUTEX(rename_mutex);

static bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

static bool is_dir(const struct dentry *d)
{
	return d->d_inode && S_ISDIR(d->d_inode->i_mode);
}

static bool is_symlink(const struct dentry *d)
{
	return d->d_inode && S_ISLNK(d->d_inode->i_mode);
}

static bool mnt_rdonly(const struct vfsmount *m)
{
	return m->mnt_sb->s_flags & SB_RDONLY;
}

static struct dentry *dget_parent(struct dentry *d)
{
	struct dentry *p;

	spin_lock(&dcache_lock);
	p = d->d_parent;
	if (p->d_count++ == 0)
		list_del_init(&p->d_lru);
	spin_unlock(&dcache_lock);
	return p;
}

/* Set up a walk of @name from @dfd: root and starting point referenced. */
static int nd_init(struct nameidata *nd, int dfd, const char *name)
{
	struct fs_struct *fs = current_fs();

	memset(nd, 0, sizeof(*nd));
	if (name[0] == '/') {
		nd->path = fs->root;
	} else if (dfd == AT_FDCWD) {
		nd->path = fs->pwd;
	} else {
		struct file *f = dfd >= 0 ? fd_get(current->files, dfd) : NULL;

		if (!f)
			return -EBADF;
		if (!f->f_path.dentry || !is_dir(f->f_path.dentry))
			return -ENOTDIR;
		nd->path = f->f_path;
	}
	nd->root = fs->root;
	path_get(&nd->root);
	path_get(&nd->path);
	return 0;
}

static void nd_exit(struct nameidata *nd)
{
	path_put(&nd->path);
	path_put(&nd->root);
}

/* Step down through whatever is mounted on @p. */
static void follow_mount(struct path *p)
{
	struct vfsmount *m;

	while (p->dentry->d_mounted && (m = lookup_mnt(p))) {
		dput(p->dentry);
		mntput(p->mnt);
		p->mnt = m;
		p->dentry = dget(m->mnt_root);
	}
}

/* "..": up one directory, out of mounts whose root we are at, never above nd->root. */
static void follow_dotdot(const struct nameidata *nd, struct path *p)
{
	*p = nd->path;
	path_get(p);
	for (;;) {
		struct dentry *parent;
		struct vfsmount *pm;

		if (path_equal(p, &nd->root))
			break;
		if (p->dentry != p->mnt->mnt_root) {
			parent = dget_parent(p->dentry);
			dput(p->dentry);
			p->dentry = parent;
			break;
		}
		if (p->mnt->mnt_parent == p->mnt)
			break;			/* the root of everything */
		pm = mntget(p->mnt->mnt_parent);
		parent = dget(p->mnt->mnt_mountpoint);
		path_put(p);
		p->mnt = pm;
		p->dentry = parent;
	}
	follow_mount(p);
}

/*
 * The child @name of the directory @dir, referenced (negative if absent).
 * @locked: the caller holds @dir's i_rwsem for writing.
 */
static struct dentry *lookup_one(struct dentry *dir, const struct qstr *name, bool locked)
{
	struct inode *inode = dir->d_inode;
	struct dentry *d = d_lookup(dir, name), *res;

	if (d)
		return d;
	if (!inode->i_op || !inode->i_op->lookup)
		return ERR_PTR(-ENOTDIR);
	if (!locked)
		down_write(&inode->i_rwsem);
	d = d_lookup(dir, name);		/* someone else's miss came first */
	if (!d) {
		d = d_alloc(dir, name);
		if (!d) {
			d = ERR_PTR(-ENOMEM);
		} else {
			res = inode->i_op->lookup(inode, d);
			if (IS_ERR(res)) {
				dput(d);
				d = res;
			} else if (!d->d_hashed) {
				d_add(d, NULL);
			}
		}
	}
	if (!locked)
		up_write(&inode->i_rwsem);
	return d;
}

/*
 * Split the rest of @name into its components and walk all but the last
 * from nd->path (each must be a directory, symlinks followed); the last
 * goes to nd->last/last_type/trailing_slash.
 */
static int link_path_walk(struct nameidata *nd, const char *name);

static int walk_to(struct nameidata *nd, const char *name, unsigned int flags, struct path *out);

/* Follow the symlink @link (referenced) met in nd->path: nd->path becomes its target. */
static int follow_link(struct nameidata *nd, struct path *link, unsigned int flags)
{
	struct inode *inode = link->dentry->d_inode;
	struct path save = nd->path, res;
	const char *target;
	int err;

	if (++nd->total_links > MAXSYMLINKS)
		return -ELOOP;
	target = inode->i_op && inode->i_op->get_link ? inode->i_op->get_link(link->dentry, inode)
						       : NULL;
	if (!target)
		return -EINVAL;
	if (!*target)
		return -ENOENT;
	if (target[0] == '/')
		nd->path = nd->root;
	path_get(&nd->path);
	err = walk_to(nd, target, flags, &res);
	/* walk_to consumed the start it was given */
	nd->path = save;
	if (err)
		return err;
	path_put(&nd->path);
	nd->path = res;
	return 0;
}

/* The existing child @name of nd->path, through mounts, referenced in @next; -ENOENT. */
static int lookup_positive(struct nameidata *nd, const struct qstr *name, struct path *next)
{
	next->dentry = lookup_one(nd->path.dentry, name, false);
	if (IS_ERR(next->dentry))
		return (int)PTR_ERR(next->dentry);
	if (!next->dentry->d_inode) {
		dput(next->dentry);
		return -ENOENT;
	}
	next->mnt = mntget(nd->path.mnt);
	follow_mount(next);
	return 0;
}

/*
 * Walk nd->path's child @name (not the last component): nd->path moves
 * to it, through mounts and symlinks. -ENOTDIR if nd->path is no
 * directory, -ENOENT if the child is absent.
 */
static int walk_component(struct nameidata *nd, const struct qstr *name, int type)
{
	struct path next;
	int err;

	if (!is_dir(nd->path.dentry))
		return -ENOTDIR;
	if (type == LAST_DOT)
		return 0;
	if (type == LAST_DOTDOT) {
		follow_dotdot(nd, &next);
		path_put(&nd->path);
		nd->path = next;
		return 0;
	}
	err = lookup_positive(nd, name, &next);
	if (err)
		return err;
	if (is_symlink(next.dentry)) {
		err = follow_link(nd, &next, LOOKUP_FOLLOW);
		path_put(&next);
		return err;
	}
	path_put(&nd->path);
	nd->path = next;
	return 0;
}

static int component_type(const char *c, u32 len)
{
	if (len == 1 && c[0] == '.')
		return LAST_DOT;
	if (len == 2 && c[0] == '.' && c[1] == '.')
		return LAST_DOTDOT;
	return LAST_NORM;
}

static int link_path_walk(struct nameidata *nd, const char *name)
{
	while (*name == '/')
		name++;
	nd->trailing_slash = false;
	if (!*name) {
		nd->last_type = LAST_ROOT;
		return 0;
	}
	for (;;) {
		u32 len = 0;
		const char *rest;
		struct qstr q;
		int type, err;

		while (name[len] && name[len] != '/')
			len++;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		type = component_type(name, len);
		q = qstr_hash(name, len);
		rest = name + len;
		while (*rest == '/')
			rest++;
		if (!*rest) {
			nd->last = q;
			nd->last_type = type;
			nd->trailing_slash = name[len] == '/';
			return 0;
		}
		err = walk_component(nd, &q, type);
		if (err)
			return err;
		name = rest;
	}
}

/*
 * The last component of the walk (after link_path_walk): into @out,
 * referenced. @flags: LOOKUP_FOLLOW, LOOKUP_DIRECTORY.
 */
static int walk_last(struct nameidata *nd, unsigned int flags, struct path *out)
{
	struct path next;
	int err;

	if (nd->last_type == LAST_ROOT || nd->last_type == LAST_DOT) {
		if (nd->last_type == LAST_DOT && !is_dir(nd->path.dentry))
			return -ENOTDIR;
		next = nd->path;
		path_get(&next);
	} else if (!is_dir(nd->path.dentry)) {
		return -ENOTDIR;
	} else if (nd->last_type == LAST_DOTDOT) {
		follow_dotdot(nd, &next);
	} else {
		err = lookup_positive(nd, &nd->last, &next);
		if (err)
			return err;
		if (is_symlink(next.dentry) && ((flags & LOOKUP_FOLLOW) || nd->trailing_slash ||
						(flags & LOOKUP_DIRECTORY))) {
			bool slash = nd->trailing_slash;

			err = follow_link(nd, &next, LOOKUP_FOLLOW);
			path_put(&next);
			if (err)
				return err;
			next = nd->path;
			path_get(&next);
			nd->trailing_slash = slash;
		}
	}
	if ((nd->trailing_slash || (flags & LOOKUP_DIRECTORY)) && !is_dir(next.dentry)) {
		path_put(&next);
		return -ENOTDIR;
	}
	*out = next;
	return 0;
}

/* Walk all of @name from nd->path (consumed: released on return). */
static int walk_to(struct nameidata *nd, const char *name, unsigned int flags, struct path *out)
{
	int err = link_path_walk(nd, name);

	if (!err)
		err = walk_last(nd, flags, out);
	path_put(&nd->path);
	nd->path = (struct path){ NULL, NULL };
	return err;
}

static int check_name(const char *name)
{
	size_t n = 0;

	while (n < PATH_MAX && name[n])
		n++;
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	return n ? 0 : -ENOENT;
}

int kern_path_at(int dfd, const char *name, unsigned int flags, struct path *out)
{
	struct nameidata nd;
	int err = check_name(name);

	if (err)
		return err;
	err = nd_init(&nd, dfd, name);
	if (err)
		return err;
	err = walk_to(&nd, name, flags, out);
	path_put(&nd.root);
	return err;
}

int kern_path(const char *name, unsigned int flags, struct path *out)
{
	return kern_path_at(AT_FDCWD, name, flags, out);
}

/*
 * Walk to the parent of @name's last component: nd->path is the parent
 * (referenced), nd->last the name. The caller ends with nd_exit().
 */
static int path_parentat(struct nameidata *nd, int dfd, const char *name)
{
	int err = check_name(name);

	if (err)
		return err;
	err = nd_init(nd, dfd, name);
	if (err)
		return err;
	err = link_path_walk(nd, name);
	if (!err && nd->last_type == LAST_NORM && !is_dir(nd->path.dentry))
		err = -ENOTDIR;
	if (err)
		nd_exit(nd);
	return err;
}

/* ---- creating ---- */

/*
 * The negative dentry for a new object at @name, its parent locked
 * (i_rwsem for writing) in nd->path. -EEXIST (the name exists, or is "."
 * or ".."), -EROFS, -ENOENT (a trailing slash on a non-directory).
 */
static struct dentry *filename_create(struct nameidata *nd, int dfd, const char *name, bool dir)
{
	struct inode *pinode;
	struct dentry *d;
	int err = path_parentat(nd, dfd, name);

	if (err)
		return ERR_PTR(err);
	if (nd->last_type != LAST_NORM) {
		nd_exit(nd);
		return ERR_PTR(-EEXIST);
	}
	pinode = nd->path.dentry->d_inode;
	down_write(&pinode->i_rwsem);
	d = lookup_one(nd->path.dentry, &nd->last, true);
	if (IS_ERR(d))
		goto fail;
	err = 0;
	if (d->d_inode)
		err = -EEXIST;
	else if (nd->trailing_slash && !dir)
		err = -ENOENT;
	else if (mnt_rdonly(nd->path.mnt))
		err = -EROFS;
	if (!err)
		return d;
	dput(d);
	d = ERR_PTR(err);
fail:
	up_write(&pinode->i_rwsem);
	nd_exit(nd);
	return d;
}

static void done_path_create(struct nameidata *nd, struct dentry *d)
{
	up_write(&nd->path.dentry->d_inode->i_rwsem);
	dput(d);
	nd_exit(nd);
}

static u32 apply_umask(u32 mode)
{
	return mode & ~current_fs()->umask;
}

long vfs_mkdirat(int dfd, const char *name, u32 mode)
{
	struct nameidata nd;
	struct dentry *d = filename_create(&nd, dfd, name, true);
	struct inode *dir;
	long err;

	if (IS_ERR(d))
		return PTR_ERR(d);
	dir = nd.path.dentry->d_inode;
	err = dir->i_op->mkdir ? dir->i_op->mkdir(dir, d, S_IFDIR | apply_umask(mode & 07777))
			       : -EPERM;
	done_path_create(&nd, d);
	return err;
}

/* mknod of a regular file, device node, FIFO or socket (the type is in @mode). */
long vfs_mknodat(int dfd, const char *name, u32 mode, u32 rdev)
{
	struct nameidata nd;
	struct dentry *d;
	struct inode *dir;
	long err;

	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	d = filename_create(&nd, dfd, name, false);
	if (IS_ERR(d))
		return PTR_ERR(d);
	dir = nd.path.dentry->d_inode;
	mode = (mode & S_IFMT) | apply_umask(mode & 07777);
	if (S_ISREG(mode))
		err = dir->i_op->create ? dir->i_op->create(dir, d, mode) : -EPERM;
	else
		err = dir->i_op->mknod ? dir->i_op->mknod(dir, d, mode, rdev) : -EPERM;
	done_path_create(&nd, d);
	return err;
}

long vfs_symlinkat(const char *target, int dfd, const char *name)
{
	struct nameidata nd;
	struct dentry *d;
	struct inode *dir;
	long err;

	if (!*target)
		return -ENOENT;
	d = filename_create(&nd, dfd, name, false);
	if (IS_ERR(d))
		return PTR_ERR(d);
	dir = nd.path.dentry->d_inode;
	err = dir->i_op->symlink ? dir->i_op->symlink(dir, d, target) : -EPERM;
	done_path_create(&nd, d);
	return err;
}

long vfs_linkat(int olddfd, const char *oldname, int newdfd, const char *newname, int flags)
{
	struct nameidata nd;
	struct path old;
	struct dentry *d;
	struct inode *dir;
	long err;

	err = kern_path_at(olddfd, oldname, (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0, &old);
	if (err)
		return err;
	d = filename_create(&nd, newdfd, newname, false);
	if (IS_ERR(d)) {
		path_put(&old);
		return PTR_ERR(d);
	}
	dir = nd.path.dentry->d_inode;
	if (old.mnt != nd.path.mnt)
		err = -EXDEV;
	else if (is_dir(old.dentry))
		err = -EPERM;
	else if (!dir->i_op->link)
		err = -EPERM;
	else if (!old.dentry->d_inode->i_nlink)
		err = -ENOENT;			/* unlinked meanwhile (an open file's name) */
	else
		err = dir->i_op->link(old.dentry, dir, d);
	done_path_create(&nd, d);
	path_put(&old);
	return err;
}

/* ---- removing ---- */

/* The locked parent and the positive child for unlink/rmdir. */
static struct dentry *lookup_for_remove(struct nameidata *nd)
{
	struct inode *pinode = nd->path.dentry->d_inode;
	struct dentry *d;

	down_write(&pinode->i_rwsem);
	d = lookup_one(nd->path.dentry, &nd->last, true);
	if (!IS_ERR(d) && !d->d_inode) {
		dput(d);
		d = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(d))
		up_write(&pinode->i_rwsem);
	return d;
}

/* Why "." / ".." / "/" cannot be removed: Linux's answers for rmdir and unlink. */
static long remove_special(int last_type, bool dir)
{
	if (!dir)
		return -EISDIR;
	if (last_type == LAST_DOTDOT)
		return -ENOTEMPTY;
	return last_type == LAST_DOT ? -EINVAL : -EBUSY;
}

/* The type checks of rmdir (@dir) or unlink on the positive @d. */
static long remove_check(const struct nameidata *nd, struct dentry *d, bool dir)
{
	if (dir)
		return is_dir(d) ? 0 : -ENOTDIR;
	if (nd->trailing_slash)
		return is_dir(d) ? -EISDIR : -ENOTDIR;
	return is_dir(d) ? -EISDIR : 0;
}

/* rmdir (@dir) or unlink of @name. */
static long vfs_remove(int dfd, const char *name, bool dir)
{
	struct nameidata nd;
	struct inode *pdir;
	struct dentry *d;
	long err = path_parentat(&nd, dfd, name);

	if (err)
		return err;
	if (nd.last_type != LAST_NORM) {
		err = remove_special(nd.last_type, dir);
		goto out;
	}
	if (mnt_rdonly(nd.path.mnt)) {
		err = -EROFS;
		goto out;
	}
	d = lookup_for_remove(&nd);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		goto out;
	}
	pdir = nd.path.dentry->d_inode;
	err = remove_check(&nd, d, dir);
	if (!err && d->d_mounted)
		err = -EBUSY;
	if (!err && !(dir ? pdir->i_op->rmdir : pdir->i_op->unlink))
		err = -EPERM;
	if (!err)
		err = dir ? pdir->i_op->rmdir(pdir, d) : pdir->i_op->unlink(pdir, d);
	if (!err)
		d_delete(d);
	up_write(&pdir->i_rwsem);
	dput(d);
out:
	nd_exit(&nd);
	return err;
}

long vfs_rmdirat(int dfd, const char *name)
{
	return vfs_remove(dfd, name, true);
}

long vfs_unlinkat(int dfd, const char *name)
{
	return vfs_remove(dfd, name, false);
}

/* ---- rename ---- */

/* Is @a an ancestor of (or) @b, within one super block? (rename_mutex held) */
static bool is_subdir(struct dentry *b, struct dentry *a)
{
	bool yes = false;

	spin_lock(&dcache_lock);
	for (struct dentry *d = b;; d = d->d_parent) {
		if (d == a) {
			yes = true;
			break;
		}
		if (d->d_parent == d)
			break;
	}
	spin_unlock(&dcache_lock);
	return yes;
}

static void lock_two_dirs(struct inode *a, struct inode *b)
{
	if (a == b) {
		down_write(&a->i_rwsem);
		return;
	}
	if ((uintptr_t)a > (uintptr_t)b) {
		struct inode *t = a;

		a = b;
		b = t;
	}
	down_write(&a->i_rwsem);
	down_write(&b->i_rwsem);
}

static void unlock_two_dirs(struct inode *a, struct inode *b)
{
	up_write(&a->i_rwsem);
	if (a != b)
		up_write(&b->i_rwsem);
}

static long rename_checks(struct dentry *old, struct dentry *new, struct nameidata *on,
			  struct nameidata *nn, unsigned int flags)
{
	if (!old->d_inode)
		return -ENOENT;
	if (!is_dir(old) && (on->trailing_slash || nn->trailing_slash))
		return -ENOTDIR;
	if (old == new)
		return 0;
	if (is_subdir(nn->path.dentry, old))
		return -EINVAL;			/* into itself */
	if (new->d_inode && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (is_subdir(on->path.dentry, new))
		return -ENOTEMPTY;		/* over an ancestor of the source */
	if (new->d_inode) {
		if (is_dir(old) && !is_dir(new))
			return -ENOTDIR;
		if (!is_dir(old) && is_dir(new))
			return -EISDIR;
	}
	if (old->d_mounted || new->d_mounted)
		return -EBUSY;
	return 1;				/* go ahead */
}

long vfs_renameat2(int olddfd, const char *oldname, int newdfd, const char *newname,
		   unsigned int flags)
{
	struct nameidata on, nn;
	struct dentry *old = NULL, *new = NULL;
	struct inode *odir, *ndir;
	long err;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;			/* not supported (tmpfs has them; ramfs neither) */
	err = path_parentat(&on, olddfd, oldname);
	if (err)
		return err;
	err = path_parentat(&nn, newdfd, newname);
	if (err)
		goto out_old;
	err = -EXDEV;
	if (on.path.mnt != nn.path.mnt)
		goto out;
	err = -EBUSY;
	if (on.last_type != LAST_NORM)
		goto out;
	if (nn.last_type != LAST_NORM) {
		err = (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
		goto out;
	}
	err = -EROFS;
	if (mnt_rdonly(on.path.mnt))
		goto out;
	odir = on.path.dentry->d_inode;
	ndir = nn.path.dentry->d_inode;
	mutex_lock(&rename_mutex);
	lock_two_dirs(odir, ndir);
	old = lookup_one(on.path.dentry, &on.last, true);
	if (IS_ERR(old)) {
		err = PTR_ERR(old);
		old = NULL;
		goto unlock;
	}
	new = lookup_one(nn.path.dentry, &nn.last, true);
	if (IS_ERR(new)) {
		err = PTR_ERR(new);
		new = NULL;
		goto unlock;
	}
	err = rename_checks(old, new, &on, &nn, flags);
	if (err <= 0)
		goto unlock;
	if (old->d_inode == new->d_inode) {	/* two links of one file: nothing to do */
		err = 0;
		goto unlock;
	}
	err = odir->i_op->rename ? odir->i_op->rename(odir, old, ndir, new, flags) : -EPERM;
	if (!err)
		d_move(old, new);
unlock:
	unlock_two_dirs(odir, ndir);
	mutex_unlock(&rename_mutex);
	dput(old);
	dput(new);
out:
	nd_exit(&nn);
out_old:
	nd_exit(&on);
	return err;
}

/* ---- opening ---- */

/*
 * open(2) from nd->path: walk to the last component, create it if asked,
 * follow a final symlink (recursively: a dangling link with O_CREAT
 * creates its target, as on Linux), then open.
 */
static struct file *path_openat(struct nameidata *nd, const char *name, unsigned int flags,
				u32 mode, long *err)
{
	struct path path;
	struct dentry *d;
	struct inode *dir;
	bool created = false;
	struct file *f;
	int e;

	e = link_path_walk(nd, name);
	if (e)
		goto fail;
	if (nd->last_type != LAST_NORM) {
		if (flags & O_CREAT) {
			e = -EISDIR;
			goto fail;
		}
		e = walk_last(nd, (flags & O_DIRECTORY) ? LOOKUP_DIRECTORY : 0, &path);
		if (e)
			goto fail;
		goto open;
	}
	if (!is_dir(nd->path.dentry)) {
		e = -ENOTDIR;
		goto fail;
	}
	dir = nd->path.dentry->d_inode;
	if (!(flags & O_CREAT)) {
		d = lookup_one(nd->path.dentry, &nd->last, false);
	} else {
		down_write(&dir->i_rwsem);
		d = lookup_one(nd->path.dentry, &nd->last, true);
		if (!IS_ERR(d) && !d->d_inode) {
			if (nd->trailing_slash)
				e = -EISDIR;
			else if (mnt_rdonly(nd->path.mnt))
				e = -EROFS;
			else if (!dir->i_op->create)
				e = -EACCES;
			else
				e = dir->i_op->create(dir, d, S_IFREG | apply_umask(mode & 07777));
			if (e) {
				up_write(&dir->i_rwsem);
				dput(d);
				goto fail;
			}
			created = true;
		}
		up_write(&dir->i_rwsem);
	}
	if (IS_ERR(d)) {
		e = (int)PTR_ERR(d);
		goto fail;
	}
	if (!d->d_inode) {
		dput(d);
		e = -ENOENT;
		goto fail;
	}
	if (!created && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		dput(d);
		e = -EEXIST;
		goto fail;
	}
	path.dentry = d;
	path.mnt = mntget(nd->path.mnt);
	follow_mount(&path);
	if (is_symlink(path.dentry)) {
		struct inode *inode = path.dentry->d_inode;
		const char *target;
		struct path save = nd->path;

		if (flags & O_NOFOLLOW) {
			path_put(&path);
			e = -ELOOP;
			goto fail;
		}
		if (++nd->total_links > MAXSYMLINKS) {
			path_put(&path);
			e = -ELOOP;
			goto fail;
		}
		target = inode->i_op->get_link(path.dentry, inode);
		if (!*target) {
			path_put(&path);
			e = -ENOENT;
			goto fail;
		}
		/* the walk restarts at the link's directory (or the root) and consumes it */
		if (target[0] == '/')
			nd->path = nd->root;
		path_get(&nd->path);
		/* "link/" must end at a directory */
		f = path_openat(nd, target, flags | (nd->trailing_slash ? O_DIRECTORY : 0), mode, err);
		path_put(&save);
		path_put(&path);
		nd->path = (struct path){ NULL, NULL };
		return f;
	}
	if (nd->trailing_slash && !is_dir(path.dentry)) {
		path_put(&path);
		e = -ENOTDIR;
		goto fail;
	}
open:
	if (created)
		flags &= ~(unsigned int)O_TRUNC;
	f = file_open_path(&path, flags, err);
	path_put(&path);
	path_put(&nd->path);
	nd->path = (struct path){ NULL, NULL };
	return f;
fail:
	path_put(&nd->path);
	nd->path = (struct path){ NULL, NULL };
	*err = e;
	return NULL;
}

struct file *do_filp_open(int dfd, const char *name, unsigned int flags, u32 mode, long *err)
{
	struct nameidata nd;
	struct file *f;
	int e = check_name(name);

	if (!e)
		e = nd_init(&nd, dfd, name);
	if (e) {
		*err = e;
		return NULL;
	}
	f = path_openat(&nd, name, flags, mode, err);
	path_put(&nd.root);
	return f;
}

struct file *file_open(const char *path, unsigned int flags, long *err)
{
	return do_filp_open(AT_FDCWD, path, flags, 0666, err);
}

/* ---- readlink, d_path ---- */

long vfs_readlink(struct dentry *dentry, char *buf, size_t len)
{
	struct inode *inode = dentry->d_inode;
	const char *target;
	size_t n;

	if (!inode || !S_ISLNK(inode->i_mode) || !inode->i_op->get_link)
		return -EINVAL;
	target = inode->i_op->get_link(dentry, inode);
	n = strlen(target);
	if (n > len)
		n = len;
	memcpy(buf, target, n);
	return (long)n;
}

/* Put @n bytes at @s before *@end (not before @buf): false if they do not fit. */
static bool prepend(char **end, char *buf, const char *s, size_t n)
{
	if ((size_t)(*end - buf) < n)
		return false;
	*end -= n;
	memcpy(*end, s, n);
	return true;
}

char *d_path(const struct path *p, const struct path *root, char *buf, size_t len)
{
	struct vfsmount *m = p->mnt;
	struct dentry *d = p->dentry;
	char *end = buf + len;

	if (!prepend(&end, buf, "", 1))
		return ERR_PTR(-ENAMETOOLONG);
	spin_lock(&dcache_lock);
	while (!(d == root->dentry && m == root->mnt)) {
		if (d == m->mnt_root) {
			if (m->mnt_parent == m)
				break;
			d = m->mnt_mountpoint;
			m = m->mnt_parent;
			continue;
		}
		if (!prepend(&end, buf, d->d_name.name, d->d_name.len) || !prepend(&end, buf, "/", 1)) {
			spin_unlock(&dcache_lock);
			return ERR_PTR(-ENAMETOOLONG);
		}
		d = d->d_parent;
	}
	spin_unlock(&dcache_lock);
	if (!end[0] && !prepend(&end, buf, "/", 1))
		return ERR_PTR(-ENAMETOOLONG);
	return end;
}

#define DELETED_SUFFIX	" (deleted)"

const char *file_maps_path(struct file *f, char *buf, size_t len)
{
	const size_t suffix = sizeof(DELETED_SUFFIX) - 1;
	struct dentry *d = f->f_path.dentry;
	char *p;

	if (!d || !f->f_path.mnt || len <= suffix)
		return NULL;
	/* room for the suffix after the name: d_path ends its string at buf[len - suffix - 1] */
	p = d_path(&f->f_path, &current_fs()->root, buf, len - suffix);
	if (IS_ERR(p))
		return NULL;
	if (!d->d_hashed && d->d_parent != d)	/* Linux's d_unlinked() */
		memcpy(buf + len - suffix - 1, DELETED_SUFFIX, suffix + 1);
	return p;
}

/* ---- for the kernel: the initramfs and /dev ---- */

int kern_mknod_path(const char *name, u32 mode, u32 rdev, const char *target, bool parents,
		    struct path *out)
{
	long err;

	if (parents) {
		/* make each missing parent directory, as mkdir -p */
		char *copy = kmalloc(PATH_MAX, GFP_KERNEL);
		size_t n = strlen(name);

		if (!copy)
			return -ENOMEM;
		if (n >= PATH_MAX) {
			kfree(copy);
			return -ENAMETOOLONG;
		}
		memcpy(copy, name, n + 1);
		for (size_t i = 1; i < n; i++) {
			if (copy[i] != '/' || copy[i - 1] == '/')
				continue;
			copy[i] = '\0';
			err = vfs_mkdirat(AT_FDCWD, copy, 0755);
			copy[i] = '/';
			if (err && err != -EEXIST) {
				kfree(copy);
				return (int)err;
			}
		}
		kfree(copy);
	}
	switch (mode & S_IFMT) {
	case S_IFDIR:
		err = vfs_mkdirat(AT_FDCWD, name, mode & 07777);
		break;
	case S_IFLNK:
		err = vfs_symlinkat(target, AT_FDCWD, name);
		break;
	default:
		err = vfs_mknodat(AT_FDCWD, name, mode, rdev);
		break;
	}
	if (err)
		return (int)err;
	return out ? kern_path(name, 0, out) : 0;
}
