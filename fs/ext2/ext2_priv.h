/*
 * fs/ext2/ internals: the fs object, the metadata block cache, group
 * descriptors, bitmaps and the corruption report shared by the library's
 * files. Nothing outside fs/ext2/ includes this.
 */
#ifndef FS_EXT2_PRIV_H
#define FS_EXT2_PRIV_H

#include <fs/ext2.h>
#include <pagoda/errno.h>
#include <pagoda/list.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>

/* A cached metadata block (buf.c). */
struct ext2_buf {
	struct list_head lru;		/* in fs->bufs, most recently used first */
	u32 block;
	int refs;			/* ext2_bread() holds, ext2_brelse() drops */
	bool dirty;			/* differs from the disk */
	u8 *data;			/* one fs block */
};

/* Unreferenced blocks the cache keeps; referenced ones are never evicted. */
#define EXT2_BUF_CACHE_MAX	64

struct ext2_fs {
	const struct ext2_io_ops *ops;
	void *ctx;
	u32 (*now)(void);
	char name[32];
	bool rdonly;
	u16 mount_state;		/* s_state to leave at unmount: as found, plus errors */
	u32 next_generation;		/* i_generation of the last new inode */
	int wb_error;			/* first eviction write error, for ext2_sync() */

	struct ext2_super_block sb;	/* the primary copy, free counts current */
	u32 block_size;
	u32 addr_per_block;		/* block numbers per indirect block */
	u32 blocks_count, inodes_count;
	u32 first_data_block;
	u32 blocks_per_group, inodes_per_group;
	u32 inode_size, first_ino;
	u32 groups;
	u32 gdt_blocks;			/* descriptor table blocks */
	u32 inode_table_blocks;		/* per group */
	bool filetype;			/* dirents carry file_type */
	u64 max_blocks, max_bytes;

	u8 *gdt;			/* the descriptor table, gdt_blocks blocks */
	u8 *gdt_dirty;			/* one flag per descriptor table block */

	struct list_head bufs;		/* struct ext2_buf */
	u32 nr_bufs;
};

static inline u32 ext2_now(struct ext2_fs *fs)
{
	return fs->now ? fs->now() : 0;
}

/* ---- corruption (super.c) ---- */

/*
 * Log "ext2 NAME: inode INO: ..." (once per inode when @inode is given),
 * mark the volume as having errors, return -EUCLEAN.
 */
__printf(3, 4) int ext2_corrupt(struct ext2_fs *fs, struct ext2_inode *inode,
				const char *fmt, ...);

/* -EROFS on a read-only mount. */
static inline int ext2_check_rw(const struct ext2_fs *fs)
{
	return fs->rdonly ? -EROFS : 0;
}

/* ---- the metadata cache (buf.c) ---- */

/* Block @block, read from disk unless cached; -EUCLEAN past the volume. */
int ext2_bread(struct ext2_fs *fs, u32 block, struct ext2_buf **bp);
/* Block @block zero-filled and dirty, without reading it (new metadata). */
int ext2_bzero(struct ext2_fs *fs, u32 block, struct ext2_buf **bp);
void ext2_brelse(struct ext2_fs *fs, struct ext2_buf *b);
static inline void ext2_bdirty(struct ext2_buf *b)
{
	b->dirty = true;
}
/* A freed block: its cached copy (if any, unreferenced) is dropped unwritten. */
void ext2_bforget(struct ext2_fs *fs, u32 block);
/* Write every dirty block; the first error. */
int ext2_bflush_all(struct ext2_fs *fs);
/* Drop the whole cache (after ext2_bflush_all). */
void ext2_bdestroy(struct ext2_fs *fs);
/* File data: through a cached copy if the block has one, else the device. */
int ext2_data_read(struct ext2_fs *fs, u32 block, void *buf);
int ext2_data_write(struct ext2_fs *fs, u32 block, const void *buf);

/* ---- groups (group.c) ---- */

static inline struct ext2_group_desc *ext2_gd(struct ext2_fs *fs, u32 group)
{
	return (struct ext2_group_desc *)fs->gdt + group;
}
void ext2_gd_dirty(struct ext2_fs *fs, u32 group);
u32 ext2_group_first_block(const struct ext2_fs *fs, u32 group);
/* Blocks in @group: blocks_per_group but for a shorter last group. */
u32 ext2_group_nblocks(const struct ext2_fs *fs, u32 group);
/* Does @group start with a superblock backup and descriptor table copy? */
bool ext2_group_has_super(const struct ext2_fs *fs, u32 group);
/*
 * May @block hold file data or an indirect/directory block? It must be in
 * the volume and not a superblock, descriptor table (reserved included),
 * bitmap or inode table block of its group.
 */
bool ext2_data_block_ok(struct ext2_fs *fs, u32 block);
/* Descriptor table checks for ext2_mount(): 0 or -EINVAL (logged). */
int ext2_check_groups(struct ext2_fs *fs);

/* ---- bitmaps (balloc.c, ialloc.c) ---- */

/*
 * Allocate a free block, the first at or after @goal in its group, else in
 * the following groups (wrapping). Counts updated; -ENOSPC.
 */
int ext2_alloc_block(struct ext2_fs *fs, u32 goal, u32 *block);
/* Free @count blocks from @block; -EUCLEAN (logged) if one was free already. */
int ext2_free_blocks(struct ext2_fs *fs, struct ext2_inode *owner, u32 block, u32 count);
/* Allocate an inode number, preferring @group; counts updated; -ENOSPC. */
int ext2_alloc_ino(struct ext2_fs *fs, u32 group, bool dir, u32 *ino);
int ext2_free_ino(struct ext2_fs *fs, u32 ino, bool dir);

/* First clear bit in [start, end) of @map, or end. */
u32 ext2_bitmap_find_zero(const u8 *map, u32 start, u32 end);
static inline bool ext2_test_bit(const u8 *map, u32 bit)
{
	return map[bit >> 3] & (1u << (bit & 7));
}
static inline void ext2_set_bit(u8 *map, u32 bit)
{
	map[bit >> 3] |= (u8)(1u << (bit & 7));
}
static inline void ext2_clear_bit(u8 *map, u32 bit)
{
	map[bit >> 3] &= (u8)~(1u << (bit & 7));
}

/* ---- inodes (inode.c) ---- */

static inline bool ext2_is_dir(const struct ext2_inode *i)
{
	return (i->mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}
static inline bool ext2_is_fast_symlink(const struct ext2_fs *fs, const struct ext2_inode *i)
{
	u32 acl_blocks = i->file_acl ? fs->block_size >> 9 : 0;

	return (i->mode & EXT2_S_IFMT) == EXT2_S_IFLNK && i->blocks == acl_blocks;
}
/* Does the inode's i_block hold block numbers (not a device or a target)? */
bool ext2_has_block_map(const struct ext2_fs *fs, const struct ext2_inode *i);
/* Add @n fs blocks to i_blocks (512-byte units); n may be negative. */
static inline void ext2_add_blocks(const struct ext2_fs *fs, struct ext2_inode *i, int n)
{
	i->blocks += (u32)(n * (int)(fs->block_size >> 9));
}

/* ---- directories (dir.c) ---- */

u8 ext2_mode_to_ft(u16 mode);
/* Point the existing entry @name at @ino (rename over a name); -ENOENT. */
int ext2_dir_set_entry(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		       size_t len, u32 ino, u16 mode);
/* Clear EXT2_INDEX_FL: a change to an htree directory keeps it linear. */
void ext2_dir_drop_index(struct ext2_inode *dir);

#endif
