/*
 * ext2 read-write library: the on-disk format and nothing of the VFS.
 * fs/ext2/; docs/ext2.md. Host-compilable (tests/host/test_ext2.c runs it
 * on images made by mke2fs and checks them with e2fsck).
 *
 *   struct ext2_mount_args a = { .ops = &my_ops, .ctx = dev, .dev_bytes = size,
 *                                .now = clock_seconds, .name = "nvme0n1p1" };
 *   ext2_mount(&a, &fs);                 validates, marks the volume in use
 *   ext2_iget(fs, EXT2_ROOT_INO, &root); ext2_dir_lookup(fs, &root, "a", 1, &ino);
 *   ext2_get_block(fs, &inode, iblock, true, &pblock, &new);   the page cache
 *   ext2_unmount(fs);                    writes back, marks the volume clean
 *
 * Block I/O: every read and write of the volume goes through the caller's
 * ext2_io_ops in whole blocks. Metadata (bitmaps, descriptor table,
 * inode tables, indirect and directory blocks) passes through a small
 * write-back cache owned by the fs (fs/ext2/buf.c): changes reach the disk
 * at ext2_sync()/ext2_unmount() or when the cache evicts a block. File data
 * never stays in it: the page cache reads and writes data blocks itself,
 * at the numbers ext2_get_block() returns.
 *
 * Inodes: struct ext2_inode is the caller's (embed it in the VFS inode).
 * Every call that changes an inode (block mapping, truncate, directory and
 * link operations) also writes it to its inode table block before
 * returning; a caller that changes fields itself (size after a write,
 * times, mode, owner) calls ext2_write_inode(). Keep one copy per inode
 * number and pass the same pointer when two arguments are one inode
 * (rename inside a directory): a second copy would be overwritten by the
 * first one's write.
 *
 * Locking: none inside. The caller serializes every call on one fs (one
 * mutex per mounted ext2 is enough); two fs objects are independent.
 *
 * Errors: -EIO from the device; -EUCLEAN when the image is corrupt (a
 * block number outside the volume, a bad directory record, a freed bit
 * already free...), logged with the inode or block; -EROFS on a read-only
 * mount; -ENOSPC, -EFBIG, -ENOMEM, -ENOENT, -EEXIST, -ENOTEMPTY, -EMLINK,
 * -ENAMETOOLONG, -ENOTDIR, -EISDIR, -EINVAL as Linux's ext2 returns them.
 * Corruption also sets EXT2_ERROR_FS in s_state on a read-write mount, so
 * e2fsck checks the volume at its next run.
 */
#ifndef FS_EXT2_H
#define FS_EXT2_H

#include <pagoda/types.h>
#include <fs/ext2_disk.h>

struct ext2_fs;

/*
 * The device under a volume. Block @block of @block_size bytes starts at
 * byte block * block_size. Each returns 0 or a negative errno. ext2_mount()
 * reads the superblock with block_size 1024 first, every later call uses
 * the volume's block size. flush makes earlier writes durable (may be NULL).
 */
struct ext2_io_ops {
	int (*read)(void *ctx, u64 block, u32 block_size, void *buf);
	int (*write)(void *ctx, u64 block, u32 block_size, const void *buf);
	int (*flush)(void *ctx);
};

#define EXT2_MOUNT_RDONLY	0x1

struct ext2_mount_args {
	const struct ext2_io_ops *ops;
	void *ctx;			/* passed to every op */
	u64 dev_bytes;			/* device size, 0 if unknown */
	unsigned int flags;		/* EXT2_MOUNT_* */
	u32 (*now)(void);		/* seconds since 1970 for timestamps */
	const char *name;		/* device name for messages */
};

/*
 * Validate the superblock and descriptor table and return a new fs in
 * *fs. -EINVAL (logged, with the reason) for a volume that is not ext2 or
 * whose superblock or descriptors contradict themselves or the device
 * size, or with incompatible features other than filetype (the bits are
 * named); -EIO; -ENOMEM. Unknown read-only-compatible features mount
 * read-only with a message. A read-write mount clears EXT2_VALID_FS,
 * counts the mount and sets s_mtime, and writes the superblock at once.
 */
int ext2_mount(const struct ext2_mount_args *args, struct ext2_fs **fs);

/* Write back everything, mark the volume clean (rw), flush, free the fs. */
int ext2_unmount(struct ext2_fs *fs);

/*
 * Write back the cached metadata, the descriptors and the superblock (with
 * its free counts), then flush. The volume stays marked in use. Returns the
 * first error, including a write-back error met earlier by an eviction.
 */
int ext2_sync(struct ext2_fs *fs);

bool ext2_is_rdonly(const struct ext2_fs *fs);
u32 ext2_block_size(const struct ext2_fs *fs);
/* The superblock as the fs keeps it in memory (free counts current). */
const struct ext2_super_block *ext2_super(const struct ext2_fs *fs);

struct ext2_statfs {
	u32 block_size;
	u64 blocks, free_blocks, avail_blocks;	/* avail: free less the root reserve */
	u64 inodes, free_inodes;
	u32 name_max;
};
void ext2_statfs(const struct ext2_fs *fs, struct ext2_statfs *st);

/* ---- inodes (fs/ext2/inode.c) ---- */

/* An inode decoded from its table; the caller owns it. */
struct ext2_inode {
	u32 ino;
	u16 mode;			/* EXT2_S_IF* | permissions */
	u16 links;
	u32 uid, gid;
	u64 size;
	u32 atime, ctime, mtime, dtime;
	u32 blocks;			/* 512-byte units, indirect blocks included */
	u32 flags;			/* EXT2_*_FL */
	u32 generation;
	u32 file_acl;			/* xattr block (kept, not interpreted) */
	u32 block[EXT2_N_BLOCKS];	/* as on disk; device numbers in block[0..1] */
	/* library state, not on disk */
	u32 alloc_goal;			/* last block allocated: the next goal */
	bool corrupt_logged;		/* one -EUCLEAN message per inode */
};

/*
 * Read inode @ino. -EINVAL for a number that is not the root and below
 * s_first_ino or above s_inodes_count; -EUCLEAN (logged) for an inode that
 * is free (no links), has no valid file type, or uses extents or inline
 * data.
 */
int ext2_iget(struct ext2_fs *fs, u32 ino, struct ext2_inode *inode);

/* Encode @inode into its inode table slot (bytes past the 128 kept). */
int ext2_write_inode(struct ext2_fs *fs, const struct ext2_inode *inode);

/*
 * Allocate an inode for a file of @mode, in @dir's group when it has a
 * free one, and write it: mode, owner, times = now, no links (the caller
 * links it), no blocks. A directory counts in its group's used-dirs.
 * -ENOSPC when no inode is free.
 */
int ext2_new_inode(struct ext2_fs *fs, const struct ext2_inode *dir, u16 mode,
		   u32 uid, u32 gid, struct ext2_inode *inode);

/*
 * Release an inode whose last link and last user are gone: free its blocks
 * (and its xattr block's reference), set dtime, free its number.
 * -EINVAL when it still has links.
 */
int ext2_evict_inode(struct ext2_fs *fs, struct ext2_inode *inode);

/* ---- block mapping (fs/ext2/inode_map.c, fs/ext2/truncate.c) ---- */

/*
 * Map file block @iblock of @inode to a volume block in *pblock. A hole
 * gives *pblock = 0 without @create; with @create a data block is
 * allocated (near the inode's last allocation, else its group), with the
 * indirect blocks on its path (zeroed), i_blocks counting all of them, and
 * *new = true: the caller must write the whole new block (its contents on
 * disk are stale). -EFBIG past ext2_max_blocks(), -ENOSPC, -EUCLEAN for a
 * pointer outside the data area or one that repeats a block of its own
 * path (logged once per inode), -EROFS.
 */
int ext2_get_block(struct ext2_fs *fs, struct ext2_inode *inode, u64 iblock,
		   bool create, u32 *pblock, bool *new);

/* How many file blocks an inode can map (the largest iblock + 1). */
u64 ext2_max_blocks(const struct ext2_fs *fs);
/* The largest file size: limited by the mapping and large_file. */
u64 ext2_max_bytes(const struct ext2_fs *fs);

/*
 * Set the size to @new_size; when it shrinks, free every data block from
 * DIV_ROUND_UP(new_size, block size) on and the indirect blocks left
 * empty (a partial indirect block keeps its lower entries, zeroing the
 * rest). The tail of the last partial block is not touched: the page cache
 * zeroes it (ext2_file_truncate() does for the data helpers).
 */
int ext2_truncate_blocks(struct ext2_fs *fs, struct ext2_inode *inode, u64 new_size);

/* ---- file data through get_block (fs/ext2/file.c) ---- */

/* Read up to @len bytes at @pos (holes read as zeros); bytes read or -errno. */
long ext2_file_read(struct ext2_fs *fs, struct ext2_inode *inode, u64 pos,
		    void *buf, size_t len);
/*
 * Write @len bytes at @pos, allocating blocks, growing the size, setting
 * mtime/ctime; bytes written (short if the volume fills) or -errno.
 */
long ext2_file_write(struct ext2_fs *fs, struct ext2_inode *inode, u64 pos,
		     const void *buf, size_t len);
/* truncate(2): zero the tail of the new last block, then truncate_blocks. */
int ext2_file_truncate(struct ext2_fs *fs, struct ext2_inode *inode, u64 new_size);

/* ---- directories (fs/ext2/dir.c) ---- */

/* The inode number of @name in @dir, or -ENOENT. */
int ext2_dir_lookup(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		    size_t len, u32 *ino);

/*
 * Called for each entry by ext2_dir_iterate(): @type is a DT_* value (0
 * without the filetype feature), @next the position after this entry.
 * Return nonzero to stop before consuming the entry.
 */
typedef int (*ext2_dir_actor)(void *arg, const char *name, size_t len, u32 ino,
			      unsigned int type, u64 next);

/*
 * Call @actor for each entry from byte position *pos on (getdents64's
 * cookie; a position in the middle of a record, left by a concurrent
 * change, resumes at the next record). *pos is left at the first entry
 * not consumed. 0 at the end or when the actor stopped, else -errno.
 */
int ext2_dir_iterate(struct ext2_fs *fs, struct ext2_inode *dir, u64 *pos,
		     ext2_dir_actor actor, void *arg);

/* Add @name → @ino (type from @mode); -EEXIST if the name is there. */
int ext2_dir_add(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		 size_t len, u32 ino, u16 mode);
/* Remove @name (its record merges into the previous one); -ENOENT. */
int ext2_dir_remove(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		    size_t len, u32 *ino);
/* 1 when @dir holds only "." and "..", 0 when not, or -errno. */
int ext2_dir_is_empty(struct ext2_fs *fs, struct ext2_inode *dir);
/* Make @dir's first block: "." → dir, ".." → @parent_ino. */
int ext2_dir_init(struct ext2_fs *fs, struct ext2_inode *dir, u32 parent_ino);
/* Point @dir's ".." at @parent_ino (rename across directories). */
int ext2_dir_set_dotdot(struct ext2_fs *fs, struct ext2_inode *dir, u32 parent_ino);

/* DT_* (getdents64) for an EXT2_FT_* value. */
unsigned int ext2_ft_to_dt(u8 file_type);

/* ---- names, links, symlinks (fs/ext2/namei.c) ---- */

/*
 * Create a file of @mode (regular, device with @rdev as Linux's
 * new_encode_dev, fifo, socket) named @name in @dir. *inode is the new one.
 */
int ext2_create(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		size_t len, u16 mode, u32 uid, u32 gid, u32 rdev,
		struct ext2_inode *inode);
int ext2_mkdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
	       size_t len, u16 mode, u32 uid, u32 gid, struct ext2_inode *inode);
/* A fast symlink when @tlen < 60, else one data block; -ENAMETOOLONG past it. */
int ext2_symlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		 size_t len, const char *target, size_t tlen, u32 uid, u32 gid,
		 struct ext2_inode *inode);
/* The target into @buf (no NUL); its length or -errno. */
long ext2_readlink(struct ext2_fs *fs, struct ext2_inode *inode, char *buf, size_t size);

/* Another name for @inode (not a directory); -EMLINK at 65000 links. */
int ext2_link(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
	      size_t len, struct ext2_inode *inode);
/*
 * Remove @name, which must name @inode, and drop a link. When links reach
 * 0 the caller calls ext2_evict_inode() once the file is no longer open.
 */
int ext2_unlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		size_t len, struct ext2_inode *inode);
/* As unlink for an empty directory (-ENOTEMPTY): links go to 0. */
int ext2_rmdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
	       size_t len, struct ext2_inode *inode);
/*
 * Move @old_name (naming @inode) in @old_dir to @new_name in @new_dir.
 * @victim is what @new_name names now (NULL when nothing): it loses the
 * link (a directory must be empty, both must be directories or neither).
 * A directory moved to another parent gets its ".." rewritten and the
 * parents' link counts follow. -EINVAL when @new_dir is @inode or inside
 * it (found by walking ".." up to the root; a ".." loop is -EUCLEAN).
 */
int ext2_rename(struct ext2_fs *fs, struct ext2_inode *old_dir, const char *old_name,
		size_t old_len, struct ext2_inode *new_dir, const char *new_name,
		size_t new_len, struct ext2_inode *inode, struct ext2_inode *victim);

#define EXT2_LINK_MAX		65000

#endif
