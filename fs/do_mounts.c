/*
 * root= on the command line: a disk file system becomes "/" in place of
 * the initramfs (Linux's prepare_namespace and mount_root, done here by
 * kernel/uinit.c before the first process starts; docs/vfs.md).
 *
 *   root=/dev/NAME   the block device (a disk or a partition: nvme0n1,
 *                    vda, nvme0n1p2); Linux's other forms (PARTUUID=,
 *                    MAJ:MIN) are not taken
 *   rootfstype=T     the file system type (default: ext2, the only disk
 *                    file system here)
 *   ro / rw          mounted read-only (the default, as Linux) or
 *                    read-write
 *
 * The volume is mounted on /root of the initramfs and made the root and
 * working directory of the tasks to come (the initramfs stays mounted
 * underneath, out of reach, as Linux's rootfs does). devtmpfs is then
 * mounted on its /dev and proc on its /proc when those directories exist
 * (devtmpfs as Linux's CONFIG_DEVTMPFS_MOUNT; proc is Pagoda's: on Linux
 * init mounts it). A root that is missing or does not mount is Linux's
 * panic, after the same messages.
 */
#include <pagoda/blkdev.h>
#include <pagoda/cmdline.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>

#define MS_RDONLY	1

/* "Please append a correct root= ..." lists the block devices as Linux does. */
static int print_one_bdev(struct block_device *bdev, void *arg)
{
	printk("%s%4u:%-4u %10llu %s\n", bdev_is_partition(bdev) ? "  " : "",
	       (unsigned int)(bdev->bd_dev >> 20), (unsigned int)(bdev->bd_dev & 0xfffff),
	       (unsigned long long)(bdev_nr_sectors(bdev) >> 1), bdev->bd_name);
	return 0;
}

static __noreturn void no_root_device(const char *root)
{
	printk("VFS: Cannot open root device \"%s\" or unknown-block(0,0): error %d\n", root,
	       -ENXIO);
	printk("Please append a correct \"root=\" boot option; here are the available partitions:\n");
	blkdev_for_each(print_one_bdev, NULL);
	panic("VFS: Unable to mount root fs on unknown-block(0,0)");
}

static __noreturn void root_not_mounted(const char *root, const char *type, u32 dev, int err)
{
	printk("VFS: Cannot mount root fs on %s as %s: error %d\n", root, type, err);
	printk("List of all bdev filesystems:\n ext2\n\n");
	panic("VFS: Unable to mount root fs on unknown-block(%u,%u)", dev >> 20, dev & 0xfffff);
}

/* Mount @type on @dir of the new root if @dir is an existing directory there. */
static void mount_if_dir(const char *type, const char *dir)
{
	struct path where;
	int err = kern_path(dir, LOOKUP_FOLLOW, &where);

	if (err)
		return;
	if (S_ISDIR(where.dentry->d_inode->i_mode)) {
		err = do_mount(type, type, &where, 0, NULL);
		if (err)
			printk("%s: error mounting on %s: %d\n", type, dir, err);
		else
			printk("%s: mounted on %s\n", type, dir);
	}
	path_put(&where);
}

/* Mount @dev (a /dev path) as @type on /root of the initramfs; the mount's root in @root. */
static int mount_on_slash_root(const char *dev, const char *type, unsigned long flags,
			       struct path *root)
{
	struct vfsmount *m;
	struct path where;
	long err = vfs_mkdirat(AT_FDCWD, "/root", 0700);

	if (err && err != -EEXIST)
		return (int)err;
	err = kern_path("/root", LOOKUP_FOLLOW, &where);
	if (err)
		return (int)err;
	err = do_mount(type, dev, &where, flags, &m);
	path_put(&where);
	if (err)
		return (int)err;
	root->mnt = m;
	root->dentry = m->mnt_root;
	return 0;
}

bool mount_root_device(void)
{
	char root[64], type[32] = "ext2";
	struct block_device *bdev;
	unsigned long flags = cmdline_has("rw") ? 0 : MS_RDONLY;
	struct path newroot;
	u32 dev;
	int err;

	if (!cmdline_value("root", root, sizeof(root)))
		return false;
	cmdline_value("rootfstype", type, sizeof(type));
	bdev = strncmp(root, "/dev/", 5) ? NULL : blkdev_get_by_name(root + 5);
	if (!bdev)
		no_root_device(root);
	dev = bdev->bd_dev;
	blkdev_put(bdev);
	err = mount_on_slash_root(root, type, flags, &newroot);
	if (err)
		root_not_mounted(root, type, dev, err);
	set_init_fs_root(&newroot);
	printk("VFS: Mounted root (%s filesystem)%s on device %u:%u.\n", type,
	       (newroot.mnt->mnt_sb->s_flags & SB_RDONLY) ? " readonly" : "", dev >> 20,
	       dev & 0xfffff);
	mount_if_dir("devtmpfs", "/dev");
	mount_if_dir("proc", "/proc");
	return true;
}
