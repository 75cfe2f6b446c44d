/*
 * The file system's start-up (an fs init call): the initrd the loader left
 * in PAGODA_MEM_INITRD memory becomes the ramfs tree, then the device and
 * /proc nodes are added. The initrd memory is never freed: ramfs files point
 * into it.
 */
#include <pagoda/boot_info.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/printk.h>
#include <mm/arch.h>


static int fs_init(void)
{
	const struct boot_info *bi = boot_info_get();
	int err;

	if (bi->initrd_phys && bi->initrd_size) {
		err = ramfs_load_cpio(phys_to_virt(bi->initrd_phys), bi->initrd_size);
		if (err == -ENOMEM)
			return err;
		if (err)
			printk("initrd: malformed cpio archive (error %d): "
			       "only the files before the bad header are loaded\n", err);
		printk("initrd: %llu KiB at phys %llx\n",
		       (unsigned long long)(bi->initrd_size >> 10),
		       (unsigned long long)bi->initrd_phys);
	} else {
		printk("initrd: none\n");
	}
	err = console_init_devices();
	if (!err)
		err = procfs_init();
	return err;
}
fs_initcall(fs_init);
