/*
 * In-kernel tests of the VFS, `ktest=vfs`: the path walk across mount
 * points both ways, d_path, negative dentries cached and shrunk, umount's
 * EBUSY while a path is held and MNT_DETACH while it is, and ramfs files
 * written, read, truncated and evicted through the page cache. The
 * userland program vfs_files covers the system calls on Linux and Pagoda
 * alike; these look at what only the kernel sees.
 *
 * Each case removes what it made and shrinks the dcache, so the runner's
 * free-page check covers dentries, inodes and pages too.
 */
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/ktest.h>
#include <pagoda/string.h>
#include <mm/slab.h>

#define KDIR	"/ktest_vfs"

static int mount_tmpfs(const char *dir)
{
	struct path where;
	int err = kern_path(dir, LOOKUP_FOLLOW, &where);

	if (err)
		return err;
	err = do_mount("tmpfs", "ktest", &where, 0, NULL);
	path_put(&where);
	return err;
}

static int umount_at(const char *dir, int flags)
{
	struct path p;
	int err = kern_path(dir, LOOKUP_FOLLOW, &p);

	if (err)
		return err;
	err = path_umount(&p, flags);
	path_put(&p);
	return err;
}

static void case_mount_crossing(struct ktest *t)
{
	struct path top, up, file;
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL), *s;

	KTEST_ASSERT(t, buf);
	KTEST_ASSERT(t, vfs_mkdirat(AT_FDCWD, KDIR, 0755) == 0);
	KTEST_EXPECT_EQ(t, vfs_mkdirat(AT_FDCWD, KDIR "/m", 0755), 0);
	KTEST_EXPECT_EQ(t, mount_tmpfs(KDIR "/m"), 0);
	KTEST_EXPECT_EQ(t, kern_mknod_path(KDIR "/m/a/b/f", S_IFREG | 0644, 0, NULL, true, &file), 0);
	KTEST_EXPECT(t, file.mnt != init_root.mnt);
	s = d_path(&file, &init_root, buf, PATH_MAX);
	KTEST_EXPECT(t, !IS_ERR(s) && !strcmp(s, KDIR "/m/a/b/f"));
	/* ".." out of the mount's root lands in the parent mount */
	KTEST_EXPECT_EQ(t, kern_path(KDIR, 0, &top), 0);
	KTEST_EXPECT_EQ(t, kern_path(KDIR "/m/a/../..", 0, &up), 0);
	KTEST_EXPECT(t, up.mnt == top.mnt && up.dentry == top.dentry);
	path_put(&up);
	/* and back down through the mount point */
	KTEST_EXPECT_EQ(t, kern_path(KDIR "/m/../m/a/b/f", 0, &up), 0);
	KTEST_EXPECT(t, up.mnt == file.mnt && up.dentry == file.dentry);
	path_put(&up);
	/* held: busy; let go: it goes, with its files */
	KTEST_EXPECT_EQ(t, umount_at(KDIR "/m", 0), -EBUSY);
	KTEST_EXPECT_EQ(t, umount_at(KDIR "/m/a", 0), -EINVAL);
	KTEST_EXPECT_EQ(t, umount_at("/", 0), -EBUSY);
	path_put(&file);
	KTEST_EXPECT_EQ(t, umount_at(KDIR "/m", 0), 0);
	KTEST_EXPECT_EQ(t, kern_path(KDIR "/m/a", 0, &up), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_rmdirat(AT_FDCWD, KDIR "/m"), 0);
	KTEST_EXPECT_EQ(t, vfs_rmdirat(AT_FDCWD, KDIR), 0);
	path_put(&top);
	kfree(buf);
	shrink_dcache();
}

static void case_detach(struct ktest *t)
{
	struct path held, p;

	KTEST_ASSERT(t, vfs_mkdirat(AT_FDCWD, KDIR, 0755) == 0);
	KTEST_EXPECT_EQ(t, mount_tmpfs(KDIR), 0);
	KTEST_EXPECT_EQ(t, kern_mknod_path(KDIR "/f", S_IFREG | 0644, 0, NULL, false, &held), 0);
	KTEST_EXPECT_EQ(t, umount_at(KDIR, 2 /* MNT_DETACH */), 0);
	/* gone from the tree at once, the held file still whole */
	KTEST_EXPECT_EQ(t, kern_path(KDIR "/f", 0, &p), -ENOENT);
	KTEST_EXPECT(t, held.dentry->d_inode && S_ISREG(held.dentry->d_inode->i_mode));
	path_put(&held);		/* the last user: the tmpfs goes */
	KTEST_EXPECT_EQ(t, vfs_rmdirat(AT_FDCWD, KDIR), 0);
	shrink_dcache();
}

static void case_negative_dentries(struct ktest *t)
{
	struct qstr name = qstr_hash("no-such-name", 12);
	struct path p;
	struct dentry *d;

	KTEST_EXPECT_EQ(t, kern_path("/no-such-name", 0, &p), -ENOENT);
	d = d_lookup(init_root.dentry, &name);
	KTEST_EXPECT(t, d && !d->d_inode);		/* the miss is remembered */
	dput(d);
	KTEST_EXPECT(t, shrink_dcache() >= 1);
	KTEST_EXPECT(t, d_lookup(init_root.dentry, &name) == NULL);
	/* a name made later replaces the negative dentry */
	KTEST_EXPECT_EQ(t, kern_path("/no-such-name", 0, &p), -ENOENT);
	KTEST_EXPECT_EQ(t, kern_mknod_path("/no-such-name", S_IFREG | 0600, 0, NULL, false, NULL), 0);
	KTEST_EXPECT_EQ(t, kern_path("/no-such-name", 0, &p), 0);
	if (!t->failed)
		path_put(&p);
	KTEST_EXPECT_EQ(t, vfs_unlinkat(AT_FDCWD, "/no-such-name"), 0);
	shrink_dcache();
}

static void case_ramfs_pages(struct ktest *t)
{
	static const char text[] = "ramfs keeps its bytes in the page cache";
	char *buf = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	struct inode *inode;
	struct file *f;
	long err;
	u64 pos = 2 * PAGE_SIZE + 100;

	KTEST_ASSERT(t, buf);
	f = do_filp_open(AT_FDCWD, "/ktest_vfs_file", O_RDWR | O_CREAT | O_EXCL, 0600, &err);
	KTEST_ASSERT(t, f);
	inode = f->inode;
	KTEST_EXPECT(t, inode->i_mapping && (inode->i_mapping->flags & AS_UNEVICTABLE));
	KTEST_EXPECT_EQ(t, kernel_write(f, text, sizeof(text), &pos), (long)sizeof(text));
	KTEST_EXPECT_EQ(t, i_size_read(inode), (loff_t)(2 * PAGE_SIZE + 100 + sizeof(text)));
	KTEST_EXPECT_EQ(t, inode->i_mapping->nrpages, 1);	/* the hole has no pages */
	pos = 0;
	memset(buf, 0x5a, 3 * PAGE_SIZE);
	KTEST_EXPECT_EQ(t, kernel_read(f, buf, 3 * PAGE_SIZE, &pos),
			(long)(2 * PAGE_SIZE + 100 + sizeof(text)));
	KTEST_EXPECT(t, buf[0] == 0 && buf[PAGE_SIZE] == 0 &&
		     !memcmp(buf + 2 * PAGE_SIZE + 100, text, sizeof(text)));
	KTEST_EXPECT_EQ(t, do_truncate(f->f_path.mnt, f->f_path.dentry, 10), 0);
	KTEST_EXPECT_EQ(t, i_size_read(inode), 10);
	KTEST_EXPECT(t, find_get_page(inode->i_mapping, 2) == NULL);
	KTEST_EXPECT_EQ(t, vfs_unlinkat(AT_FDCWD, "/ktest_vfs_file"), 0);
	KTEST_EXPECT_EQ(t, inode->i_nlink, 0);
	file_put(f);			/* the last reference: evicted, pages freed */
	kfree(buf);
	shrink_dcache();
}

static const struct ktest_case vfs_cases[] = {
	KTEST_CASE(case_mount_crossing, "the walk crosses mount points both ways; umount is EBUSY while held"),
	KTEST_CASE(case_detach, "MNT_DETACH takes a busy mount out of the tree; it goes with its last user"),
	KTEST_CASE(case_negative_dentries, "misses are cached as negative dentries, shrunk, replaced by a create"),
	KTEST_CASE(case_ramfs_pages, "ramfs files live in unevictable page-cache pages; holes, truncate, eviction"),
};

KTEST_SUITE(vfs_suite, "vfs", vfs_cases);
