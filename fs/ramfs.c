/*
 * The in-memory tree that holds the initrd: directories made from the
 * archive's paths, regular files whose data points straight into the initrd
 * memory (PAGODA_MEM_INITRD, kept for the kernel's lifetime), and device and
 * /proc nodes added by the kernel. Read-only for user space.
 * Host-compilable (tests/host/test_cpio.c).
 *
 * Mapping a file: a regular file gets a page cache (its address_space) on
 * its first open (fs/ramfs_pagecache.c); ->read_folio copies from the
 * initrd, so mmap(2) serves its pages through filemap_fault like any
 * file's. The file is read-only, so read(2) copying straight from the
 * initrd sees the same bytes.
 *
 * Locking: the tree is built by the fs init call before any user task runs
 * and is only read afterwards, so it needs none.
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/slab.h>

#define RAMFS_NAME_MAX	((int)sizeof(((struct inode *)0)->name) - 1)

static long ramfs_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	const struct inode *inode = iocb->ki_filp->inode;
	u64 pos = (u64)iocb->ki_pos;
	size_t n, done;

	if (pos >= inode->size || !iov_iter_count(to))
		return 0;
	n = MIN(iov_iter_count(to), (size_t)(inode->size - pos));
	done = copy_to_iter(inode->data + pos, n, to);
	if (!done)
		return -EFAULT;
	iocb->ki_pos += (loff_t)done;
	return (long)done;
}

static long ramfs_dir_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return -EISDIR;
}

static const struct file_operations ramfs_file_fops = {
	.read_iter = ramfs_file_read_iter,
	.open = ramfs_file_open,
	.mmap = ramfs_file_mmap,
	.seekable = true,
};

static const struct file_operations ramfs_dir_fops = {
	.read_iter = ramfs_dir_read_iter,
	.seekable = true,
};

static struct inode root_inode = {
	.ino = 1,
	.mode = S_IFDIR | 0755,
	.fops = &ramfs_dir_fops,
	.parent = &root_inode,
	.name = "/",
};

static u64 next_ino = 2;

struct inode *ramfs_root(void)
{
	return &root_inode;
}

/* A child of @dir named by the @len bytes at @name, or NULL. */
static struct inode *find_child(struct inode *dir, const char *name, size_t len)
{
	if (len > (size_t)RAMFS_NAME_MAX)
		return NULL;
	for (struct inode *c = dir->children; c; c = c->next)
		if (!strncmp(c->name, name, len) && c->name[len] == '\0')
			return c;
	return NULL;
}

/* Length of the path component at @p (up to '/' or the end). */
static size_t component_len(const char *p)
{
	size_t n = 0;

	while (p[n] && p[n] != '/')
		n++;
	return n;
}

static size_t slashes(const char *p)
{
	size_t n = 0;

	while (p[n] == '/')
		n++;
	return n;
}

struct inode *ramfs_walk(struct inode *base, const char *path, long *err)
{
	struct inode *cur = (!base || path[0] == '/') ? &root_inode : base;
	size_t total = 0;

	while (total < PATH_MAX && path[total])
		total++;
	if (total >= PATH_MAX) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	if (!total) {
		*err = -ENOENT;
		return NULL;
	}
	for (const char *p = path;;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = component_len(p);
		if (len > NAME_MAX) {
			*err = -ENAMETOOLONG;
			return NULL;
		}
		if (!S_ISDIR(cur->mode)) {
			*err = -ENOTDIR;
			return NULL;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.')
			cur = cur->parent;
		else if (!(len == 1 && p[0] == '.'))
			cur = find_child(cur, p, len);
		if (!cur) {
			*err = -ENOENT;
			return NULL;
		}
		p += len;
	}
	/* "file/" names a directory that is not one */
	if (path[total - 1] == '/' && !S_ISDIR(cur->mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	return cur;
}

struct inode *ramfs_lookup(const char *path)
{
	long err;

	return ramfs_walk(NULL, path, &err);
}

static struct inode *new_child(struct inode *dir, const char *name, size_t len, u32 mode)
{
	struct inode *in = kzalloc(sizeof(*in), GFP_KERNEL);

	if (!in)
		return NULL;
	in->ino = next_ino++;
	in->mode = mode;
	in->fops = S_ISDIR(mode) ? &ramfs_dir_fops : &ramfs_file_fops;
	in->parent = dir;
	memcpy(in->name, name, len);
	in->name[len] = '\0';
	in->next = dir->children;
	dir->children = in;
	return in;
}

struct inode *ramfs_mknod(const char *path, u32 mode, const void *data, size_t size,
			  long *err)
{
	struct inode *dir = &root_inode, *in = NULL;

	for (const char *p = path;;) {
		size_t len;
		bool last;

		while (*p == '/')
			p++;
		len = component_len(p);
		if (!len) {
			*err = -EINVAL;
			return NULL;
		}
		if (len > (size_t)RAMFS_NAME_MAX) {
			*err = -ENAMETOOLONG;
			return NULL;
		}
		last = !p[len + slashes(p + len)];
		in = find_child(dir, p, len);
		if (!last) {
			if (!in)
				in = new_child(dir, p, len, S_IFDIR | 0755);
			if (!in) {
				*err = -ENOMEM;
				return NULL;
			}
			if (!S_ISDIR(in->mode)) {
				*err = -ENOTDIR;
				return NULL;
			}
			dir = in;
			p += len;
			continue;
		}
		if (in && S_ISDIR(in->mode) != S_ISDIR(mode)) {
			*err = -EEXIST;
			return NULL;
		}
		if (!in)
			in = new_child(dir, p, len, mode);
		if (!in) {
			*err = -ENOMEM;
			return NULL;
		}
		break;
	}
	in->mode = mode;
	if (!S_ISDIR(mode)) {
		in->data = data;
		in->size = size;
	}
	return in;
}

struct inode *ramfs_create(const char *path, u32 mode, const void *data, size_t size)
{
	long err;

	return ramfs_mknod(path, mode, data, size, &err);
}

static void free_children(struct inode *dir)
{
	struct inode *c = dir->children, *next;

	for (; c; c = next) {
		next = c->next;
		free_children(c);
		kfree(c);	/* host tests only: they never give a file a page cache */
	}
	dir->children = NULL;
}

void ramfs_reset(void)
{
	free_children(&root_inode);
	next_ino = 2;
}
