/*
 * The initramfs: the cpio archive the loader left in memory unpacked into
 * the root ramfs at boot, as Linux does: directories, regular files (their
 * bytes copied into page-cache pages), symlinks and device nodes, with the
 * archive's modes (umask 0 while unpacking). Hard links in the archive
 * become separate copies. The archive's memory is not used afterwards.
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/slab.h>

/* Skip "./" and "/" prefixes: archive names are relative to the root. */
static const char *cpio_path(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else
			return name;
	}
}

static int unpack_file(const char *path, const struct cpio_entry *e)
{
	struct file *f;
	long err;
	u64 pos = 0;

	err = kern_mknod_path(path, S_IFREG | (e->mode & 07777), 0, NULL, true, NULL);
	if (err && err != -EEXIST)
		return (int)err;
	f = file_open(path, O_WRONLY | O_TRUNC, &err);
	if (!f)
		return (int)err;
	while (pos < e->size) {
		long n = kernel_write(f, e->data + pos, e->size - pos, &pos);

		if (n <= 0) {
			file_put(f);
			return n ? (int)n : -EIO;
		}
	}
	file_put(f);
	return 0;
}

static int unpack_one(const char *path, const struct cpio_entry *e)
{
	u32 type = e->mode & S_IFMT;
	char *target;
	int err;

	switch (type) {
	case S_IFREG:
		return unpack_file(path, e);
	case S_IFDIR:
		err = kern_mknod_path(path, e->mode, 0, NULL, true, NULL);
		return err == -EEXIST ? 0 : err;
	case S_IFLNK:
		if (e->size >= PATH_MAX)
			return -ENAMETOOLONG;
		target = kmalloc(e->size + 1, GFP_KERNEL);
		if (!target)
			return -ENOMEM;
		memcpy(target, e->data, e->size);
		target[e->size] = '\0';
		err = kern_mknod_path(path, e->mode, 0, target, true, NULL);
		kfree(target);
		return err;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return kern_mknod_path(path, e->mode, e->rdev, NULL, true, NULL);
	}
	return 0;				/* unknown types: skipped */
}

int unpack_cpio(const void *data, size_t size)
{
	struct fs_struct *fs = current_fs();
	char *path = kmalloc(PATH_MAX, GFP_KERNEL);
	u32 old_umask = fs->umask;
	struct cpio_iter it;
	struct cpio_entry e;
	int ret, err = 0;

	if (!path)
		return -ENOMEM;
	fs->umask = 0;
	cpio_iter_init(&it, data, size);
	while ((ret = cpio_next(&it, &e)) > 0) {
		const char *rel = cpio_path(e.name);
		size_t n = strlen(rel);

		if (!*rel || !strcmp(rel, "."))
			continue;		/* the root itself */
		if (n + 2 > PATH_MAX)
			continue;
		path[0] = '/';
		memcpy(path + 1, rel, n + 1);
		err = unpack_one(path, &e);
		if (err == -ENOMEM)
			break;
		err = 0;			/* a bad entry is skipped, as Linux's initramfs does */
	}
	fs->umask = old_umask;
	kfree(path);
	return err ? err : ret;
}
