/*
 * Files, file descriptors and the in-memory file system of the initrd
 * (fs/). The page-cache issue adds struct address_space and disk-backed
 * inodes behind the same struct file.
 */
#ifndef PAGODA_FS_H
#define PAGODA_FS_H

#include <pagoda/types.h>
#include <pagoda/uio.h>
#include <mm/pagemap.h>

struct file;
struct inode;
struct vm_area_struct;

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
#define S_IFLNK		0120000
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)

#define O_LARGEFILE	0100000		/* always set on 64-bit, as Linux */
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS	0x200
#define PATH_MAX	4096
#define NAME_MAX	255

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

/* One read or write in progress: the file and the position it works at. */
struct kiocb {
	struct file *ki_filp;
	loff_t ki_pos;			/* advanced by the bytes moved */
	unsigned int ki_flags;		/* IOCB_* */
};

#define IOCB_APPEND	0x1		/* write at the end of the file (O_APPEND) */

static inline void init_sync_kiocb(struct kiocb *kiocb, struct file *f, loff_t pos);

struct file_operations {
	/*
	 * Move data between the file at iocb->ki_pos and @iter (user or
	 * kernel memory), advancing ki_pos. Returns the bytes moved (short
	 * when a user copy faulted part way) or -errno when nothing moved
	 * (-EFAULT if the first user byte faulted).
	 */
	long (*read_iter)(struct kiocb *iocb, struct iov_iter *to);
	long (*write_iter)(struct kiocb *iocb, struct iov_iter *from);
	long (*ioctl)(struct file *f, unsigned int cmd, u64 arg);
	void (*release)(struct file *f);
	/*
	 * Optional: called by file_open() once @f is set up (f->inode,
	 * f->flags); may fill f->private (procfs generates its text here).
	 * 0 or -errno (the open fails and ->release is not called).
	 */
	int (*open)(struct inode *inode, struct file *f);
	/*
	 * Optional: mmap(2) of the file: set vma->vm_ops (generic_file_mmap
	 * for page-cache files). 0 or -errno. Without it mmap is -ENODEV.
	 */
	int (*mmap)(struct file *f, struct vm_area_struct *vma);
	/* Seekable? false: lseek/pread give -ESPIPE (the console). */
	bool seekable;
};

struct file {
	int refs;
	unsigned int flags;		/* O_* */
	u64 pos;
	struct inode *inode;		/* NULL for devices without one */
	const struct file_operations *ops;
	void *private;
	struct address_space *f_mapping;	/* its inode's pages (NULL: none cached) */
	struct file_ra_state f_ra;		/* readahead state of this open file */
	u32 f_wb_err;				/* writeback errors seen (filemap_check_wb_err) */
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
	u32 rdev;			/* S_IFCHR: Linux makedev(major, minor) */
	struct address_space *i_mapping;	/* its page cache (NULL: not cached) */
	struct address_space i_data;		/* where i_mapping points, once set up */
};

static inline void init_sync_kiocb(struct kiocb *kiocb, struct file *f, loff_t pos)
{
	kiocb->ki_filp = f;
	kiocb->ki_pos = pos;
	kiocb->ki_flags = (f->flags & O_APPEND) ? IOCB_APPEND : 0;
}

/*
 * In-kernel reads and writes of an open file at *@pos (advanced): the
 * bytes moved or -errno. -EINVAL if the file has no read_iter/write_iter.
 */
long kernel_read(struct file *f, void *buf, size_t len, u64 *pos);
long kernel_write(struct file *f, const void *buf, size_t len, u64 *pos);

/* The file's size in bytes (the page cache's bound: a fault past it is SIGBUS). */
static inline loff_t i_size_read(const struct inode *inode)
{
	return (loff_t)inode->size;
}

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

/*
 * Resolve @path: absolute, or relative to the directory @base (NULL: the
 * root, which is also the only working directory today). Handles "//",
 * "." and "..". Returns the inode or NULL with *err = -ENOENT, -ENOTDIR
 * (a component is not a directory), -ENAMETOOLONG (a component over
 * NAME_MAX, or the path over PATH_MAX).
 */
struct inode *ramfs_walk(struct inode *base, const char *path, long *err);
/*
 * ramfs_create() with the reason for a NULL: -ENOTDIR (a parent on the path
 * is a file), -EEXIST (a directory where a file should go or the other way
 * round), -ENAMETOOLONG (a component longer than the 63 bytes ramfs keeps),
 * -EINVAL (empty path), -ENOMEM. Leading '/' are optional. Missing parent
 * directories are created (mode 0755); an existing file is replaced.
 */
struct inode *ramfs_mknod(const char *path, u32 mode, const void *data, size_t size,
			  long *err);
struct inode *ramfs_root(void);
/* A regular file's ->open and ->mmap: its page cache (fs/ramfs_pagecache.c). */
int ramfs_file_open(struct inode *inode, struct file *f);
int ramfs_file_mmap(struct file *f, struct vm_area_struct *vma);
/*
 * Drop every clean, unmapped, unused cached page of the initrd's files
 * (as `echo 1 > /proc/sys/vm/drop_caches`). Returns the pages dropped.
 */
unsigned long ramfs_drop_caches(void);
/* Drop the whole tree (host tests; the kernel never unloads its initrd). */
void ramfs_reset(void);

/* ---- the cpio "newc" reader (fs/cpio.c), host-testable ---- */

struct cpio_entry {
	const char *name;		/* NUL terminated, inside the archive */
	u32 mode;
	const u8 *data;
	size_t size;
};

struct cpio_iter {
	const u8 *base;
	size_t size;
	size_t off;			/* next header */
};

void cpio_iter_init(struct cpio_iter *it, const void *data, size_t size);
/*
 * The next entry: 1 with *e filled, 0 at the "TRAILER!!!" entry (or at the
 * clean end of the data), -EINVAL for a malformed header: bad magic, a
 * number that is not 8 hex digits, a name without its NUL, a name or file
 * that runs past the end of the archive.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/* ---- files ---- */

struct file *file_open(const char *path, unsigned int flags, long *err);
struct file *file_get(struct file *f);
void file_put(struct file *f);
/* The console as a file: reads return 0 (EOF), writes go to COM1. */
struct file *console_file(void);
/* Add /dev/console and /dev/null to the tree (fs/console.c). */
int console_init_devices(void);

/*
 * Open an inode already found (openat with a dirfd, /proc files). Checks
 * @flags against the inode as open(2) does: -EISDIR for writing a
 * directory, -ENOTDIR for O_DIRECTORY on a non-directory, -EROFS for
 * writing, truncating or creating on the read-only initrd.
 */
struct file *file_open_inode(struct inode *inode, unsigned int flags, long *err);
/* Fill a struct stat for @inode (NULL: an anonymous device file). */
void inode_stat(const struct inode *inode, struct linux_stat *st);

/* ---- per-task descriptor table (fs/fdtable.c) ---- */

#define NR_OPEN_MAX	64

struct files_struct {
	int refs;
	struct file *fd[NR_OPEN_MAX];
	u64 cloexec;			/* bit per fd */
};

struct files_struct *files_create(void);
/*
 * fork: a new table with the same descriptors and close-on-exec bits, each
 * open file referenced once more (offsets are shared, as after fork on
 * Linux: they live in struct file). NULL on -ENOMEM.
 */
struct files_struct *files_dup(const struct files_struct *old);
void files_put(struct files_struct *files);
int fd_install(struct files_struct *files, struct file *f);	/* lowest free fd or -EMFILE */
struct file *fd_get(struct files_struct *files, int fd);	/* borrowed, NULL if bad */
/*
 * fd_install() from @min up (F_DUPFD): the table takes over the caller's
 * reference on success. -EMFILE when full, -EINVAL when @min is out of range.
 */
int fd_install_from(struct files_struct *files, struct file *f, int min, bool cloexec);
/* Put @f at @fd, closing what was there (dup2). Takes the reference. */
void fd_install_at(struct files_struct *files, int fd, struct file *f, bool cloexec);
/* close(2): 0 or -EBADF. */
int fd_close(struct files_struct *files, int fd);
bool fd_get_cloexec(struct files_struct *files, int fd);
void fd_set_cloexec(struct files_struct *files, int fd, bool on);
/*
 * A new table with fds 0, 1 and 2 on the console (the first user process
 * of spawn_user). NULL on -ENOMEM.
 */
struct files_struct *files_create_console(void);

/* ---- /proc (fs/procfs.c): text generated at open from current->mm ---- */
int procfs_init(void);

#endif
