# fs/: open files, descriptor tables, the initrd's in-memory tree, /proc,
# the console file and the file system calls. Linked into the kernel.
# cpio.c, ramfs.c and file.c are host-compilable (tests/host/test_cpio.c).
FS_SRCS := fs/cpio.c fs/ramfs.c fs/file.c fs/fdtable.c fs/console.c fs/procfs.c \
	fs/sys_file.c fs/initrd.c
KERNEL_SRCS += $(FS_SRCS)
