# fs/: the VFS (inodes, dentry cache, path walk, super blocks, mounts:
# docs/vfs.md), ramfs/tmpfs, proc, devtmpfs and the console, open files,
# descriptor tables, the initramfs unpacker and the file system calls.
# cpio.c, fdtable.c and file_table.c are host-compilable (tests/host/test_cpio.c).
FS_SRCS := fs/cpio.c fs/ramfs.c fs/mpage.c fs/file.c fs/file_table.c fs/fdtable.c fs/console.c fs/procfs.c \
	fs/sys_file.c fs/initrd.c fs/initramfs.c fs/inode.c fs/dcache.c fs/super.c fs/namespace.c \
	fs/namei.c fs/sys_namei.c fs/proc_node.c fs/proc_mm.c fs/proc_sys.c \
	fs/block_dev.c fs/do_mounts.c fs/attr.c fs/sys_attr.c fs/memfd.c
KERNEL_SRCS += $(FS_SRCS)

# fs/ext2/: the ext2 on-disk format as a library (include/fs/ext2.h),
# host-compilable (tests/host/test_ext2.c); fs/ext2/vfs.c (kernel only) makes
# it the VFS's "ext2" (docs/ext2.md).
EXT2_SRCS := fs/ext2/super.c fs/ext2/group.c fs/ext2/buf.c fs/ext2/balloc.c \
	fs/ext2/inode.c fs/ext2/inode_map.c fs/ext2/truncate.c fs/ext2/file.c \
	fs/ext2/dir.c fs/ext2/namei.c
KERNEL_SRCS += $(EXT2_SRCS) fs/ext2/vfs.c
