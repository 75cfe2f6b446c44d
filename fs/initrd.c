/*
 * The file system's start-up (an fs init call): the file system types are
 * registered, a ramfs becomes "/", the initrd the loader left in
 * PAGODA_MEM_INITRD memory is unpacked into it (fs/initramfs.c), then
 * devtmpfs is mounted on /dev and proc on /proc.
 */
#include <pagoda/boot_info.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/printk.h>
#include <mm/arch.h>

/* Mount @type on the directory @dir of the root (made if missing). */
static int mount_on(const char *type, const char *dir)
{
	struct path where;
	long err = vfs_mkdirat(AT_FDCWD, dir, 0755);

	if (err && err != -EEXIST)
		return (int)err;
	err = kern_path(dir, LOOKUP_FOLLOW, &where);
	if (err)
		return (int)err;
	err = do_mount(type, type, &where, 0, NULL);
	path_put(&where);
	return (int)err;
}

static int fs_init(void)
{
	const struct boot_info *bi = boot_info_get();
	int err;

	err = init_ramfs_fs();
	if (!err)
		err = procfs_init();
	if (!err)
		err = console_init_devices();
	if (!err)
		err = shmem_init();
	if (!err)
		err = mount_root("ramfs");
	if (err)
		return err;
	if (bi->initrd_phys && bi->initrd_size) {
		err = unpack_cpio(phys_to_virt(bi->initrd_phys), bi->initrd_size);
		if (err == -ENOMEM)
			return err;
		if (err)
			printk("initrd: malformed cpio archive (error %d): "
			       "only the files before the bad header are unpacked\n", err);
		printk("initrd: %llu KiB at phys %llx unpacked into the root ramfs\n",
		       (unsigned long long)(bi->initrd_size >> 10),
		       (unsigned long long)bi->initrd_phys);
	} else {
		printk("initrd: none\n");
	}
	err = mount_on("devtmpfs", "/dev");
	if (!err)
		err = mount_on("proc", "/proc");
	return err;
}
fs_initcall(fs_init);
