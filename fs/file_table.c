/*
 * The reference count of struct file. Apart from fs/file.c so that mm/
 * (a mapped file's vma holds a reference) links it on the host too.
 */
#include <pagoda/fs.h>
#include <mm/slab.h>

/*
 * The host's mm tests link this file without the VFS: their files have no
 * path. The kernel's path_put (fs/namespace.c) replaces this one.
 */
__attribute__((weak)) void path_put(const struct path *p)
{
}

/* Without the VFS (host mm tests) a mapped file has no path to show. */
__attribute__((weak)) const char *file_maps_path(struct file *f, char *buf, size_t len)
{
	return NULL;
}

/*
 * References are atomic: the console file is shared by every process, and a
 * task can be preempted in the middle of a plain increment.
 */
struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (f->ops->release)
		f->ops->release(f);
	if (f->f_write_access)
		put_write_access(f->inode);
	if (f->f_path.dentry)
		path_put(&f->f_path);
	kfree(f);
}
