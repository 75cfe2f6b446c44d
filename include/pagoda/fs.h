/*
 * Files, file descriptors and the in-memory file system of the initrd
 * (fs/). The page-cache issue adds struct address_space and disk-backed
 * inodes behind the same struct file.
 */
#ifndef PAGODA_FS_H
#define PAGODA_FS_H

#include <pagoda/types.h>
#include <pagoda/uio.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>
#include <pagoda/rwsem.h>
#include <pagoda/errno.h>
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

#define O_NOFOLLOW	0400000
#define O_PATH		010000000
#define AT_REMOVEDIR	0x200
#define AT_SYMLINK_FOLLOW 0x400
#define RENAME_NOREPLACE 0x1
#define RENAME_EXCHANGE	0x2
#define RENAME_WHITEOUT	0x4

#define S_IFMT		0170000
#define S_IFSOCK	0140000
#define S_IFLNK		0120000
#define S_IFREG		0100000
#define S_IFBLK		0060000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFIFO		0010000
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)	(((m) & S_IFMT) == S_IFBLK)
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)
#define S_ISFIFO(m)	(((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m)	(((m) & S_IFMT) == S_IFSOCK)
#define S_IALLUGO	07777

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
	/* getdents64: emit entries from f->pos through @emit until it returns false. */
	int (*iterate)(struct file *f, bool (*emit)(void *ctx, const char *name, u32 len,
						    u64 ino, unsigned int type, u64 next_pos),
		       void *ctx);
	/* fsync/fdatasync of [start, end]: 0 or -errno. NULL: generic (write and wait the pages). */
	int (*fsync)(struct file *f, loff_t start, loff_t end, int datasync);
	/*
	 * Optional: mmap(2) of the file: set vma->vm_ops (generic_file_mmap
	 * for page-cache files). 0 or -errno. Without it mmap is -ENODEV.
	 */
	int (*mmap)(struct file *f, struct vm_area_struct *vma);
	/*
	 * Optional: fallocate(2) of [@off, @off + @len) (checked by the
	 * call: @len > 0, no overflow, a regular file open for writing);
	 * @mode FALLOC_FL_*. 0 or -errno. NULL: -EOPNOTSUPP, as Linux.
	 */
	long (*fallocate)(struct file *f, int mode, loff_t off, loff_t len);
	/* Seekable? false: lseek/pread give -ESPIPE (the console). */
	bool seekable;
};

struct vfsmount;
struct dentry;

/* A place in the tree: a dentry as seen through a mount. */
struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	int refs;
	unsigned int flags;		/* O_* */
	u64 pos;
	struct inode *inode;		/* f_path.dentry's inode (or a device's own) */
	struct path f_path;		/* where it was opened (NULLs: the console) */
	const struct file_operations *ops;
	void *private;
	bool f_write_access;			/* holds write access to inode (get_write_access) */
	struct address_space *f_mapping;	/* its inode's pages (NULL: none cached) */
	struct file_ra_state f_ra;		/* readahead state of this open file */
	u32 f_wb_err;				/* writeback errors seen (filemap_check_wb_err) */
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

/*
 * VFS objects (docs/vfs.md): super_block, inode, dentry, vfsmount and the
 * operations a file system supplies. Everything here runs in task context.
 */
struct super_block;
struct dentry;
struct vfsmount;
struct file_system_type;

/* struct statfs as x86-64 Linux lays it out (120 bytes). */
struct linux_statfs {
	s64 f_type, f_bsize;
	u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	s32 f_fsid[2];
	s64 f_namelen, f_frsize, f_flags;
	s64 f_spare[4];
};

/*
 * Device numbers as user space sees them (st_dev, st_rdev, i_rdev):
 * Linux's new_encode_dev of (major, minor), from the kernel's dev_t
 * (major << 20 | minor, include/pagoda/blk_types.h) and back.
 */
static inline u32 new_encode_dev(u32 dev)
{
	u32 major = dev >> 20, minor = dev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static inline u32 new_decode_dev(u32 dev)
{
	u32 major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

	return (major << 20) | minor;
}

struct timespec64 {
	s64 tv_sec;
	long tv_nsec;
};

/* Names: a component of a path (not NUL terminated in a path walk). */
struct qstr {
	const char *name;
	u32 len;
	u32 hash;
};

#define SB_RDONLY	0x1		/* MS_RDONLY */

struct iattr;

struct super_operations {
	/* Last reference of an inode dropped: free its private state (pages are gone). */
	void (*evict_inode)(struct inode *inode);
	/* Write back the file system's metadata (sync, syncfs); 0 or -errno. */
	int (*sync_fs)(struct super_block *sb, int wait);
	/* The last mount went: release the file system's private state. */
	void (*put_super)(struct super_block *sb);
	/* statfs(2)/fstatfs(2): fill @st (f_type, f_bsize, counts, f_namelen). 0 or -errno. */
	int (*statfs)(struct super_block *sb, struct linux_statfs *st);
	/*
	 * Optional: notify_change()'s change of mode, owner or times: apply
	 * @ia with setattr_copy() and store the result where the file system
	 * keeps it (ext2: the inode table, a dirty buffer for the next sync),
	 * atomically with the file system's own updates of the inode. The
	 * inode's i_rwsem held for writing. 0 or -errno. NULL: setattr_copy()
	 * alone (ramfs: the VFS inode is the only copy).
	 */
	int (*setattr)(struct inode *inode, const struct iattr *ia);
};

struct super_block {
	const struct super_operations *s_op;
	struct file_system_type *s_type;
	struct dentry *s_root;
	u32 s_dev;			/* st_dev of its files */
	unsigned long s_flags;		/* SB_* */
	int s_active;			/* mounts of it (sb_lock) */
	u64 s_next_ino;			/* in-memory file systems number their inodes */
	void *s_fs_info;
	struct list_head s_list;	/* super_blocks */
};

/* Attribute changes: truncate (->setsize), then notify_change()'s (fs/attr.c). */
#define ATTR_MODE	0x1
#define ATTR_UID	0x2
#define ATTR_GID	0x4
#define ATTR_SIZE	0x8
#define ATTR_ATIME	0x10
#define ATTR_MTIME	0x20
#define ATTR_CTIME	0x40
#define ATTR_ATIME_SET	0x80		/* ia_atime given (else: now) */
#define ATTR_MTIME_SET	0x100
#define ATTR_KILL_SUID	0x800		/* chown of a non-directory: drop S_ISUID */
#define ATTR_KILL_SGID	0x1000		/* ... and S_ISGID when group-exec is set */
#define ATTR_TOUCH	0x2000		/* utimes: the times alone (no other field) */

struct iattr {
	unsigned int ia_valid;		/* ATTR_* */
	u32 ia_mode, ia_uid, ia_gid;
	struct timespec64 ia_atime, ia_mtime;
};

struct inode_operations {
	/*
	 * Find @dentry's name in @dir: d_add() the inode (or NULL: a negative
	 * dentry) and return NULL, or ERR_PTR(-errno). Directories only.
	 */
	struct dentry *(*lookup)(struct inode *dir, struct dentry *dentry);
	/* Namespace changes: @dir's i_rwsem held for writing; @dentry negative. */
	int (*create)(struct inode *dir, struct dentry *dentry, u32 mode);
	int (*mkdir)(struct inode *dir, struct dentry *dentry, u32 mode);
	int (*mknod)(struct inode *dir, struct dentry *dentry, u32 mode, u32 rdev);
	int (*symlink)(struct inode *dir, struct dentry *dentry, const char *target);
	int (*link)(struct dentry *old, struct inode *dir, struct dentry *dentry);
	/* @dentry positive; rmdir: an empty directory (checked by the file system). */
	int (*unlink)(struct inode *dir, struct dentry *dentry);
	int (*rmdir)(struct inode *dir, struct dentry *dentry);
	/* Both directories locked (rename_lock held); flags RENAME_NOREPLACE. */
	int (*rename)(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
		      struct dentry *new, unsigned int flags);
	/* A symlink's target, NUL terminated, valid while the inode is referenced. */
	const char *(*get_link)(struct dentry *dentry, struct inode *inode);
	/* Change the size (ATTR_SIZE); i_rwsem held for writing. */
	int (*setsize)(struct dentry *dentry, loff_t size);
	/* Optional: adjust what inode_stat() filled from the inode (st_blocks, st_blksize). */
	void (*getattr)(const struct inode *inode, struct linux_stat *st);
};

struct inode {
	u64 i_ino;
	u32 i_mode;			/* S_IF* | permission bits */
	u32 i_nlink;
	u32 i_uid, i_gid;
	u32 i_rdev;			/* S_IFCHR/S_IFBLK: Linux's new_encode_dev */
	loff_t i_size;			/* i_size_read(); written under i_size_lock */
	spinlock_t i_size_lock;
	struct timespec64 i_atime, i_mtime, i_ctime;
	const struct inode_operations *i_op;
	const struct file_operations *i_fop;
	struct super_block *i_sb;
	struct address_space *i_mapping;	/* its page cache (NULL: none) */
	struct address_space i_data;		/* where i_mapping points */
	int i_count;			/* references: dentries, open files (inode_lock) */
	int i_writecount;		/* > 0: writers, < 0: running programs (atomic) */
	struct rw_semaphore i_rwsem;	/* namespace changes in a directory; writes, truncate */
	char *i_link;			/* symlink target (in-memory file systems) */
	unsigned int i_seals;		/* tmpfs files: F_SEAL_* (memfd), under i_rwsem */
	void *i_private;
	struct list_head i_sb_list;
};

/* The file's size in bytes (the page cache's bound: a fault past it is SIGBUS). */
static inline loff_t i_size_read(const struct inode *inode)
{
	return __atomic_load_n(&inode->i_size, __ATOMIC_ACQUIRE);
}

/* Set the size: i_rwsem held for writing (or the inode not yet visible). */
void i_size_write(struct inode *inode, loff_t size);

/*
 * Writers against running programs (Linux's i_writecount): a positive
 * count is the open files that may write the inode (and truncate(2)
 * while it runs), a negative one the address spaces whose program it is
 * (mm->exe_file) and the execs reading it. Each side refuses the other
 * with -ETXTBSY: a running program cannot be opened for writing or
 * truncated, and a file open for writing cannot be executed.
 */
static inline int get_write_access(struct inode *inode)
{
	int v = __atomic_load_n(&inode->i_writecount, __ATOMIC_RELAXED);

	do {
		if (v < 0)
			return -ETXTBSY;
	} while (!__atomic_compare_exchange_n(&inode->i_writecount, &v, v + 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 0;
}

static inline void put_write_access(struct inode *inode)
{
	__atomic_sub_fetch(&inode->i_writecount, 1, __ATOMIC_ACQ_REL);
}

static inline int deny_write_access(struct inode *inode)
{
	int v = __atomic_load_n(&inode->i_writecount, __ATOMIC_RELAXED);

	do {
		if (v > 0)
			return -ETXTBSY;
	} while (!__atomic_compare_exchange_n(&inode->i_writecount, &v, v - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 0;
}

static inline void allow_write_access(struct inode *inode)
{
	__atomic_add_fetch(&inode->i_writecount, 1, __ATOMIC_ACQ_REL);
}

#define DNAME_INLINE_LEN	40

#define DCACHE_MOUNTED		0x1	/* some mount sits on it */

struct dentry {
	int d_count;			/* references (dcache_lock) */
	unsigned int d_flags;		/* DCACHE_* */
	bool d_hashed;			/* findable by d_lookup */
	struct dentry *d_parent;	/* itself for a root */
	struct qstr d_name;		/* points into d_iname or a kmalloc'd copy */
	char d_iname[DNAME_INLINE_LEN];
	struct inode *d_inode;		/* NULL: negative */
	struct super_block *d_sb;
	struct list_head d_child;	/* in d_parent->d_subdirs */
	struct list_head d_subdirs;
	struct list_head d_hash;	/* hash chain by (parent, name) */
	struct list_head d_lru;		/* unused (count 0) dentries, for shrink_dcache */
	int d_mounted;			/* mounts on it */
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
	struct vfsmount *mnt_parent;	/* itself for the root mount */
	struct dentry *mnt_mountpoint;	/* in mnt_parent */
	int mnt_count;			/* references (mount_lock) */
	int mnt_flags;			/* MNT_* */
	struct list_head mnt_list;	/* every mount, in mount order */
	char mnt_devname[32];
};

#define MNT_DETACHED	0x1	/* lazily unmounted: gone from the tree */

struct file_system_type {
	const char *name;
	/* Make (or find) the super block for a mount: its s_root set. ERR_PTR on failure. */
	struct super_block *(*mount)(struct file_system_type *fs, int flags, const char *dev,
				     void *data);
	/* The last mount of @sb went. */
	void (*kill_sb)(struct super_block *sb);
	struct file_system_type *next;
};

/* Per task: root and working directory (fs_struct), inherited by fork. */
struct fs_struct {
	int users;
	struct path root, pwd;
	u32 umask;
};

/* ---- inodes (fs/inode.c) ---- */

/* A new inode of @sb: one reference, i_nlink 1, i_mapping NULL. NULL on -ENOMEM. */
struct inode *new_inode(struct super_block *sb);
struct inode *igrab(struct inode *inode);
/*
 * Another reference to @inode unless its last one already went (it is
 * being evicted): NULL then. For file systems that keep their own table
 * of live inodes (ext2), looked up under their own lock.
 */
struct inode *igrab_live(struct inode *inode);
/* Drop a reference; the last one of an unlinked inode evicts it (pages, private state). */
void iput(struct inode *inode);
/* Give @inode a page cache of its own (i_data) from @pmm. */
void inode_init_mapping(struct inode *inode, const struct address_space_operations *a_ops,
			unsigned long as_flags);
/* Current time for timestamps (CLOCK_REALTIME). */
struct timespec64 current_time(void);
/* Device nodes: i_fop chosen by the device number at open (def_chr_fops). */
void init_special_inode(struct inode *inode, u32 mode, u32 rdev);
void inc_nlink(struct inode *inode);
void drop_nlink(struct inode *inode);
void clear_nlink(struct inode *inode);

/* ---- dentries (fs/dcache.c) ---- */

struct dentry *dget(struct dentry *d);
void dput(struct dentry *d);
/* A new unhashed, negative child of @parent named @name (copied). NULL on -ENOMEM. */
struct dentry *d_alloc(struct dentry *parent, const struct qstr *name);
/* A root dentry for @inode (takes the inode reference). NULL on -ENOMEM (inode put). */
struct dentry *d_make_root(struct inode *inode);
/* Attach @inode (its reference) to the negative @d. */
void d_instantiate(struct dentry *d, struct inode *inode);
/* d_instantiate + hash (->lookup). */
void d_add(struct dentry *d, struct inode *inode);
/* The hashed child of @parent named @name, referenced, or NULL. */
struct dentry *d_lookup(struct dentry *parent, const struct qstr *name);
/* Make @d findable (if no other dentry of that name is). */
void d_rehash(struct dentry *d);
/* Take @d out of the hash (rmdir, unlink of a busy dentry, rename target). */
void d_drop(struct dentry *d);
/* After unlink/rmdir: the dentry turns negative (or is dropped if in use). */
void d_delete(struct dentry *d);
/* Rename: @d takes @target's place (name, parent); @target is dropped. */
void d_move(struct dentry *d, struct dentry *target);
/* Free every unused dentry (count 0) that can go. Returns how many. */
unsigned long shrink_dcache(void);
/* Does @dir have a positive child (rmdir's ENOTEMPTY)? */
bool d_has_positive_child(struct dentry *dir);
struct qstr qstr_hash(const char *name, u32 len);
/* Lock: the dcache's one spinlock (hash, children, counts). */
extern spinlock_t dcache_lock;

/* ---- super blocks and mounts (fs/super.c, fs/namespace.c) ---- */

int register_filesystem(struct file_system_type *fs);
/* A new super block of @type with s_dev a fresh anonymous device number. */
struct super_block *alloc_super(struct file_system_type *type, const struct super_operations *op);
/* Free a super block whose root and inodes are gone (kill_sb of in-memory file systems). */
void kill_litter_super(struct super_block *sb);
/*
 * kill_sb of a disk file system: the unused dentries go (their inodes are
 * written back and evicted), then the root, then ->put_super, then the
 * super block.
 */
void kill_block_super(struct super_block *sb);
/* Mount @type at @where (NULL: make it the root). 0 or -errno. */
int do_mount(const char *type, const char *dev, struct path *where, unsigned long flags,
	     struct vfsmount **out);
/*
 * umount2 of the mount whose root is @p (referenced by the caller, who
 * still puts it): 0, -EINVAL (not a mount's root), -EBUSY (in use, or "/").
 * @flags: MNT_DETACH (2) takes it out of the tree even while in use.
 */
int path_umount(struct path *p, int flags);
/* A mount of @type in no tree (memfd's tmpfs): ERR_PTR on failure. */
struct vfsmount *kern_mount(const char *type);
struct vfsmount *mntget(struct vfsmount *m);
void mntput(struct vfsmount *m);
void path_get(const struct path *p);
void path_put(const struct path *p);
/* The mount on @p (mount point dentry in mount @p->mnt), referenced, or NULL. */
struct vfsmount *lookup_mnt(const struct path *p);
/* Sync every mounted file system's pages and metadata. */
void sync_filesystems(void);
/*
 * Power-off (kernel/uinit.c, kernel/main.c): sync every file system, then
 * detach every mount but the root, last mounted first, so each file
 * system whose last user is gone is unmounted cleanly (ext2 marks its
 * volume clean). One still in use is left synced and logged. Sleeps.
 */
void unmount_all(void);
/* Mount @type as "/" (fs init): every task's root and working directory. */
int mount_root(const char *type);
/*
 * root= (fs/do_mounts.c): make @p the root and working directory of every
 * task that has no fs_struct of its own (the first process and what it
 * starts inherit it), as Linux's switch to the real root. unmount_all()
 * puts the initramfs back first, so the volume unmounts cleanly.
 */
void set_init_fs_root(const struct path *p);
/*
 * The command line's root= (with rootfstype=, ro/rw): mount that block
 * device on /root of the initramfs and make it "/", then devtmpfs on its
 * /dev and proc on its /proc if those directories exist. Returns false
 * when there is no root=; a root that cannot be mounted is Linux's panic
 * ("VFS: Unable to mount root fs on ..."). Sleeps.
 */
bool mount_root_device(void);
/* The root mount (the initramfs). */
extern struct path init_root;
/* The current task's fs_struct (the init one for tasks without their own). */
struct fs_struct *current_fs(void);
struct fs_struct *fs_dup(const struct fs_struct *old);
void fs_put(struct fs_struct *fs);

/* ---- path walk (fs/namei.c) ---- */

#define LOOKUP_FOLLOW		0x1	/* follow a symlink in the last component */
#define LOOKUP_DIRECTORY	0x2	/* the result must be a directory */
#define MAXSYMLINKS		40

/*
 * Resolve @name (absolute, or relative to @dfd: AT_FDCWD or an open
 * directory) to a referenced path. -ENOENT, -ENOTDIR, -ENAMETOOLONG,
 * -ELOOP, -EBADF, -ENOMEM.
 */
int kern_path_at(int dfd, const char *name, unsigned int flags, struct path *out);
int kern_path(const char *name, unsigned int flags, struct path *out);
/*
 * Make a file system object at @name (mkdir -p for missing parents when
 * @parents): a regular file, directory, device node or symlink
 * (@target). Returns the new dentry's referenced inode's dentry through
 * @out (path referenced) or -errno. Used by the initramfs unpacker and /dev.
 */
int kern_mknod_path(const char *name, u32 mode, u32 rdev, const char *target, bool parents,
		    struct path *out);
/* The namespace calls behind the system calls: 0 or -errno, Linux's errors. */
long vfs_mkdirat(int dfd, const char *name, u32 mode);
long vfs_mknodat(int dfd, const char *name, u32 mode, u32 rdev);
long vfs_symlinkat(const char *target, int dfd, const char *name);
long vfs_linkat(int olddfd, const char *oldname, int newdfd, const char *newname, int flags);
long vfs_unlinkat(int dfd, const char *name);
long vfs_rmdirat(int dfd, const char *name);
long vfs_renameat2(int olddfd, const char *oldname, int newdfd, const char *newname,
		   unsigned int flags);
/* A symlink's target (at most @len bytes copied into @buf); bytes or -errno. */
long vfs_readlink(struct dentry *dentry, char *buf, size_t len);
/* The path of @p as seen from @root, into the end of @buf; returns its start or ERR_PTR. */
char *d_path(const struct path *p, const struct path *root, char *buf, size_t len);
/*
 * The name /proc/PID/maps shows for a mapping of @f: its path from the
 * current task's root, with " (deleted)" after it once it was unlinked
 * (Linux's d_path), built in @buf (@len bytes). NULL if it does not fit
 * or the file has no path (the host's mm tests link a stand-in that says so).
 */
const char *file_maps_path(struct file *f, char *buf, size_t len);

/* ---- ramfs (fs/ramfs.c), the in-memory file system of "ramfs" and "tmpfs" ---- */

/* Generic helpers in-memory file systems share (procfs too). */
struct inode *ramfs_get_inode(struct super_block *sb, const struct inode *dir, u32 mode, u32 rdev);
int simple_empty(struct dentry *dir);
/* ->lookup of a directory whose names all live in the dcache: a miss is negative. */
struct dentry *simple_lookup(struct inode *dir, struct dentry *d);
/* Directories in the dcache: getdents64 of their children. */
extern const struct file_operations simple_dir_fops;
/*
 * Add @inode (its reference) to @parent as @name, pinned (in-memory file
 * systems building their tree before it is mounted). The dentry, or NULL
 * on -ENOMEM (inode put).
 */
struct dentry *simple_add_child(struct dentry *parent, const char *name, struct inode *inode);
/* A fresh ramfs super block and root directory (devtmpfs uses it too). */
struct super_block *ramfs_make_super(struct file_system_type *type, u32 root_mode);
int init_ramfs_fs(void);

/* ---- reading and writing through the page cache (mm/filemap_rw.c) ---- */

/* Read from the page cache into @to at iocb->ki_pos (read_folio for missing pages). */
long filemap_read(struct kiocb *iocb, struct iov_iter *to);
/* Copy @from into the page cache at iocb->ki_pos (write_begin/write_end hooks); i_size grows. */
long generic_perform_write(struct kiocb *iocb, struct iov_iter *from);
/* ->write_iter of page-cache files: i_rwsem, O_APPEND, EFBIG limits, then the copy. */
long generic_file_write_iter(struct kiocb *iocb, struct iov_iter *from);

/* ---- the cpio "newc" reader (fs/cpio.c), host-testable ---- */

struct cpio_entry {
	const char *name;		/* NUL terminated, inside the archive */
	u32 mode;
	u32 rdev;			/* S_IFCHR/S_IFBLK: Linux's encoding */
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
/*
 * Unpack a cpio "newc" archive into the root file system (Linux's
 * initramfs): directories, regular files (copied into their page cache),
 * symlinks and device nodes. A malformed archive stops at the first bad
 * header with -EINVAL (what came before stays).
 */
int unpack_cpio(const void *data, size_t size);

/* ---- files ---- */

/* open(2) of @name relative to @dfd: O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW... */
struct file *do_filp_open(int dfd, const char *name, unsigned int flags, u32 mode, long *err);
struct file *file_open(const char *path, unsigned int flags, long *err);
struct file *file_get(struct file *f);
void file_put(struct file *f);
/* The console as a file: reads return 0 (EOF), writes go to COM1. */
struct file *console_file(void);
/* The devtmpfs nodes: /dev/console and /dev/null (fs/console.c). */
int console_init_devices(void);
/* Character devices by number: the file_operations of (major, minor) or NULL. */
const struct file_operations *chrdev_fops(u32 rdev);

/*
 * Open the object at @path (referenced by the caller; the file takes its
 * own references). Checks @flags as open(2) does: -EISDIR for writing a
 * directory, -ENOTDIR for O_DIRECTORY on a non-directory, -EROFS for
 * writing on a read-only mount, -EACCES for writing a file without
 * ->write_iter, -ENXIO for a device node without a driver.
 */
struct file *file_open_path(const struct path *path, unsigned int flags, long *err);
/*
 * fsync(2)/fdatasync(2) of an open file (fs/sys_file.c): the file's
 * ->fsync, else its dirty pages written and waited for and writeback
 * errors reported once; -EINVAL for a file with no pages (the console).
 */
long vfs_fsync(struct file *f, int datasync);
/* Fill a struct stat for @inode (NULL: an anonymous device file). */
void inode_stat(const struct inode *inode, struct linux_stat *st);
/*
 * chmod, chown and utimes (fs/attr.c): apply @ia (ATTR_MODE, ATTR_UID,
 * ATTR_GID, ATTR_ATIME/MTIME with or without *_SET, ATTR_KILL_SUID/SGID)
 * to @inode under its i_rwsem with ctime now, through the super block's
 * ->setattr when it has one. @mnt (NULL: a descriptor without a mount) read-only is
 * -EROFS; a mode change of a symlink is -EOPNOTSUPP (Linux's
 * notify_change); everyone is root, so no -EPERM.
 */
int notify_change(struct vfsmount *mnt, struct inode *inode, struct iattr *ia);
/* @ia's fields into @inode, ctime now (->setattr calls it under its own lock). */
void setattr_copy(struct inode *inode, const struct iattr *ia);
/*
 * The system calls' path argument (fs/sys_file.c): the object @upath
 * names relative to @dirfd, a symlink followed unless @flags has
 * AT_SYMLINK_NOFOLLOW; with AT_EMPTY_PATH, "" is @dirfd itself (a
 * descriptor without a path, the console, comes back as *@fdinode with
 * @out's fields NULL). @out referenced (path_put it). 0 or -errno.
 */
long user_path_at(s64 dirfd, u64 upath, u64 flags, struct path *out, struct inode **fdinode);
/* File seals (fcntl F_ADD_SEALS/F_GET_SEALS), Linux's values. */
#define F_SEAL_SEAL		0x0001
#define F_SEAL_SHRINK		0x0002
#define F_SEAL_GROW		0x0004
#define F_SEAL_WRITE		0x0008
#define F_SEAL_FUTURE_WRITE	0x0010
#define F_SEAL_EXEC		0x0020
/* @inode's seals if it is a tmpfs file (which can be sealed), else NULL (fs/ramfs.c). */
unsigned int *shmem_seals(struct inode *inode);
/* fcntl F_ADD_SEALS (memfd_add_seals): 0, -EINVAL, -EPERM, -EBUSY (fs/ramfs.c). */
long shmem_add_seals(struct file *f, unsigned long seals);
/* Mount memfd's internal tmpfs (boot, after the file system types): 0 or -errno. */
int shmem_init(void);
/* An unlinked file of the kernel's internal tmpfs named @name (memfd_create), O_RDWR. */
struct file *shmem_file_setup(const char *name, long *err);
/* Truncate @dentry's inode to @size (truncate, ftruncate, O_TRUNC). */
int do_truncate(struct vfsmount *mnt, struct dentry *dentry, loff_t size);
/*
 * do_truncate() of @path's regular file by a caller that holds no write
 * access to it (truncate(2), open's O_TRUNC): takes it for the moment, so
 * a running program is -ETXTBSY, as Linux's vfs_truncate/handle_truncate.
 */
int vfs_truncate_path(const struct path *path, loff_t size);
/*
 * Read the whole regular file at @path (at most @max bytes) into
 * physically contiguous memory, NUL terminated: its size, or -errno
 * (-EACCES for a non-regular file, -EFBIG). Free with kernel_free_file().
 */
long kernel_read_file(const char *path, void **buf, size_t max);
void kernel_free_file(void *buf, size_t size);

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
