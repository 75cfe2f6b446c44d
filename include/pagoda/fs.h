/*
 * Files, file descriptors and the in-memory file system of the initrd
 * (fs/). The page-cache issue adds struct address_space and disk-backed
 * inodes behind the same struct file.
 */
#ifndef PAGODA_FS_H
#define PAGODA_FS_H

#include <pagoda/types.h>

struct file;
struct inode;

/* Linux open(2) flags and stat modes. */
#define O_RDONLY	00
#define O_WRONLY	01
#define O_RDWR		02
#define O_ACCMODE	03
#define O_CREAT		0100
#define O_EXCL		0200
#define O_NOCTTY	0400
#define O_TRUNC		01000
#define O_APPEND	02000
#define O_NONBLOCK	04000
#define O_DIRECTORY	0200000
#define O_CLOEXEC	02000000
#define AT_FDCWD	(-100)
#define AT_EMPTY_PATH	0x1000
#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2

#define S_IFMT		0170000
#define S_IFREG		0100000
#define S_IFDIR		0040000
#define S_IFCHR		0020000

/* struct stat as x86-64 Linux lays it out (144 bytes). */
struct linux_stat {
	u64 st_dev, st_ino, st_nlink;
	u32 st_mode, st_uid, st_gid, pad0;
	u64 st_rdev;
	s64 st_size, st_blksize, st_blocks;
	u64 st_atime_sec, st_atime_nsec, st_mtime_sec, st_mtime_nsec;
	u64 st_ctime_sec, st_ctime_nsec;
	s64 reserved[3];
};

struct file_operations {
	/* @buf is a kernel buffer: the syscall layer copies to/from user space. */
	long (*read)(struct file *f, void *buf, size_t len, u64 *pos);
	long (*write)(struct file *f, const void *buf, size_t len, u64 *pos);
	long (*ioctl)(struct file *f, unsigned int cmd, u64 arg);
	void (*release)(struct file *f);
};

struct file {
	int refs;
	unsigned int flags;		/* O_* */
	u64 pos;
	struct inode *inode;		/* NULL for devices without one */
	const struct file_operations *ops;
	void *private;
};

struct inode {
	u64 ino;
	u32 mode;			/* S_IF* | permission bits */
	u64 size;
	const u8 *data;			/* ramfs: contents (initrd memory) */
	const struct file_operations *fops;
	struct inode *parent;
	struct inode *children;		/* directory: first child */
	struct inode *next;		/* next sibling */
	char name[64];
};

/* ---- the in-memory tree (fs/ramfs.c, fs/cpio.c) ---- */

/*
 * Populate the root from a cpio "newc" archive at @data. A malformed
 * archive stops at the first bad header with -EINVAL (what came before
 * stays), never crashes.
 */
int ramfs_load_cpio(const void *data, size_t size);
/* Look up an absolute path. NULL if absent. */
struct inode *ramfs_lookup(const char *path);
/* Add a file (used by /proc-like generated files and tests). */
struct inode *ramfs_create(const char *path, u32 mode, const void *data, size_t size);

/* ---- files ---- */

struct file *file_open(const char *path, unsigned int flags, long *err);
struct file *file_get(struct file *f);
void file_put(struct file *f);
/* The console as a file: reads return 0 (EOF), writes go to COM1. */
struct file *console_file(void);

/* ---- per-task descriptor table (fs/fdtable.c) ---- */

#define NR_OPEN_MAX	64

struct files_struct {
	int refs;
	struct file *fd[NR_OPEN_MAX];
	u64 cloexec;			/* bit per fd */
};

struct files_struct *files_create(void);
void files_put(struct files_struct *files);
int fd_install(struct files_struct *files, struct file *f);	/* lowest free fd or -EMFILE */
struct file *fd_get(struct files_struct *files, int fd);	/* borrowed, NULL if bad */

#endif
