/*
 * File block → volume block through i_block: 12 direct pointers, then a
 * single, a double and a triple indirect tree. Every pointer read from
 * the disk is checked before it is followed (ext2_data_block_ok, and not a
 * block already on the same path, so an indirect block pointing at itself
 * is caught); the walk is at most four steps long, so no corruption can
 * make it loop.
 */
#include "ext2_priv.h"

#define EXT2_MAX_DEPTH	4	/* i_block slot + three indirect levels */

/*
 * The slot in i_block, then the index in each indirect block, for @iblock
 * (below fs->max_blocks). Returns the number of steps (1..4).
 */
static int block_path(const struct ext2_fs *fs, u64 iblock, u32 idx[EXT2_MAX_DEPTH])
{
	u64 p = fs->addr_per_block;

	if (iblock < EXT2_NDIR_BLOCKS) {
		idx[0] = (u32)iblock;
		return 1;
	}
	iblock -= EXT2_NDIR_BLOCKS;
	if (iblock < p) {
		idx[0] = EXT2_IND_BLOCK;
		idx[1] = (u32)iblock;
		return 2;
	}
	iblock -= p;
	if (iblock < p * p) {
		idx[0] = EXT2_DIND_BLOCK;
		idx[1] = (u32)(iblock / p);
		idx[2] = (u32)(iblock % p);
		return 3;
	}
	iblock -= p * p;
	idx[0] = EXT2_TIND_BLOCK;
	idx[1] = (u32)(iblock / (p * p));
	idx[2] = (u32)(iblock / p % p);
	idx[3] = (u32)(iblock % p);
	return 4;
}

/* -EUCLEAN (logged once) unless @block may be followed from this path. */
static int check_ptr(struct ext2_fs *fs, struct ext2_inode *inode, u32 block,
		     const u32 *path, int depth)
{
	if (!ext2_data_block_ok(fs, block))
		return ext2_corrupt(fs, inode, "block pointer %u outside the data area", block);
	for (int i = 0; i < depth; i++)
		if (path[i] == block)
			return ext2_corrupt(fs, inode, "block %u appears twice on one path", block);
	return 0;
}

/*
 * A new block for @inode: after its last allocation, else after @parent
 * (the indirect block that will point at it, 0 for i_block), else at the
 * start of the inode's group.
 */
static int alloc_for(struct ext2_fs *fs, struct ext2_inode *inode, u32 parent,
		     bool indirect, u32 *block)
{
	u32 goal = inode->alloc_goal ? inode->alloc_goal + 1 : parent ? parent + 1 :
		ext2_group_first_block(fs, (inode->ino - 1) / fs->inodes_per_group);
	int err = ext2_alloc_block(fs, goal, block);
	struct ext2_buf *b;

	if (err)
		return err;
	inode->alloc_goal = *block;
	ext2_add_blocks(fs, inode, 1);
	if (!indirect)
		return 0;
	err = ext2_bzero(fs, *block, &b);
	if (err) {
		ext2_free_blocks(fs, inode, *block, 1);
		ext2_add_blocks(fs, inode, -1);
		return err;
	}
	ext2_brelse(fs, b);
	return 0;
}

/* Walk (and with @create, grow) the path; *changed when the inode changed. */
static int map_block(struct ext2_fs *fs, struct ext2_inode *inode, u64 iblock, bool create,
		     u32 *pblock, bool *new, bool *changed)
{
	u32 idx[EXT2_MAX_DEPTH], path[EXT2_MAX_DEPTH] = { 0 };
	int depth = block_path(fs, iblock, idx);
	u32 block = inode->block[idx[0]];
	int err;

	if (!block) {
		if (!create)
			return 0;
		err = alloc_for(fs, inode, 0, depth > 1, &block);
		if (err)
			return err;
		inode->block[idx[0]] = block;
		*changed = true;
		*new = depth == 1;
	} else if ((err = check_ptr(fs, inode, block, path, 0))) {
		return err;
	}
	for (int level = 1; level < depth; level++) {
		__le32 *slot;
		struct ext2_buf *b;

		path[level - 1] = block;
		err = ext2_bread(fs, block, &b);
		if (err)
			return err;
		slot = (__le32 *)b->data + idx[level];
		block = le32_to_cpu(*slot);
		if (!block) {
			if (!create) {
				ext2_brelse(fs, b);
				return 0;
			}
			err = alloc_for(fs, inode, path[level - 1], level + 1 < depth, &block);
			if (!err) {
				*slot = cpu_to_le32(block);
				ext2_bdirty(b);
				*changed = true;
				*new = level + 1 == depth;
			}
		} else {
			err = check_ptr(fs, inode, block, path, level);
		}
		ext2_brelse(fs, b);
		if (err)
			return err;
	}
	*pblock = block;
	return 0;
}

int ext2_get_block(struct ext2_fs *fs, struct ext2_inode *inode, u64 iblock,
		   bool create, u32 *pblock, bool *new)
{
	bool changed = false;
	int err, werr;

	*pblock = 0;
	*new = false;
	if (create && (err = ext2_check_rw(fs)))
		return err;
	if (!ext2_has_block_map(fs, inode))
		return -EINVAL;
	if (iblock >= fs->max_blocks)
		return -EFBIG;
	err = map_block(fs, inode, iblock, create, pblock, new, &changed);
	if (err)
		*pblock = 0;
	if (!changed)
		return err;
	werr = ext2_write_inode(fs, inode);
	return err ? err : werr;
}
