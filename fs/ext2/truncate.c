/*
 * Truncate: free the blocks of an inode from a file block on, down the
 * indirect trees. An indirect block that keeps some entries (the new end
 * falls inside its range) is kept with the rest zeroed; one left empty is
 * freed with its entries. i_blocks drops by every block freed.
 */
#include "ext2_priv.h"

/* Free one block the inode owned (data or indirect). */
static int drop_block(struct ext2_fs *fs, struct ext2_inode *inode, u32 block)
{
	u32 units = fs->block_size >> 9;

	inode->blocks = inode->blocks >= units ? inode->blocks - units : 0;
	return ext2_free_blocks(fs, inode, block, 1);
}

/*
 * Free what indirect block @block maps from entry-relative file block
 * @from on; @levels is 1 when its entries are data blocks. *empty tells
 * whether every entry is zero afterwards. @path holds the indirect blocks
 * above it (@depth of them) so a block repeated on the path is refused.
 */
static int free_branch(struct ext2_fs *fs, struct ext2_inode *inode, u32 block,
		       int levels, u64 from, u32 *path, int depth, bool *empty)
{
	u64 span = 1;
	struct ext2_buf *b;
	__le32 *slots;
	int err = 0;

	for (int i = 0; i < depth; i++)
		if (path[i] == block)
			return ext2_corrupt(fs, inode, "block %u appears twice on one path", block);
	if (!ext2_data_block_ok(fs, block))
		return ext2_corrupt(fs, inode, "block pointer %u outside the data area", block);
	err = ext2_bread(fs, block, &b);
	if (err)
		return err;
	path[depth] = block;
	for (int i = 1; i < levels; i++)
		span *= fs->addr_per_block;
	slots = (__le32 *)b->data;
	for (u32 i = (u32)(from / span); i < fs->addr_per_block && !err; i++) {
		u32 child = le32_to_cpu(slots[i]);
		u64 sub = i == from / span ? from % span : 0;
		bool child_empty = true;

		if (!child)
			continue;
		if (levels > 1)
			err = free_branch(fs, inode, child, levels - 1, sub, path, depth + 1,
					  &child_empty);
		else
			for (int d = 0; d <= depth; d++)
				if (path[d] == child)
					err = ext2_corrupt(fs, inode, "block %u maps itself", child);
		if (err || !child_empty)
			continue;
		slots[i] = cpu_to_le32(0);
		ext2_bdirty(b);
		err = drop_block(fs, inode, child);
	}
	*empty = true;
	for (u32 i = 0; i < fs->addr_per_block; i++)
		if (le32_to_cpu(slots[i]))
			*empty = false;
	ext2_brelse(fs, b);
	return err;
}

/* Free file blocks from @first on. */
static int free_from(struct ext2_fs *fs, struct ext2_inode *inode, u64 first)
{
	u64 p = fs->addr_per_block, start = EXT2_NDIR_BLOCKS, span = p;
	u32 path[3];
	int err = 0;

	for (u64 i = first; i < EXT2_NDIR_BLOCKS && !err; i++) {
		u32 block = inode->block[i];

		inode->block[i] = 0;
		if (block)
			err = drop_block(fs, inode, block);
	}
	for (int levels = 1; levels <= 3 && !err; levels++, start += span, span *= p) {
		u32 slot = EXT2_IND_BLOCK + levels - 1;
		bool empty;

		if (!inode->block[slot] || first >= start + span)
			continue;
		err = free_branch(fs, inode, inode->block[slot], levels,
				  first > start ? first - start : 0, path, 0, &empty);
		if (!err && empty) {
			err = drop_block(fs, inode, inode->block[slot]);
			inode->block[slot] = 0;
		}
	}
	return err;
}

int ext2_truncate_blocks(struct ext2_fs *fs, struct ext2_inode *inode, u64 new_size)
{
	int err = ext2_check_rw(fs), werr;

	if (err)
		return err;
	if (!ext2_has_block_map(fs, inode))
		return -EINVAL;
	if (new_size > fs->max_bytes)
		return -EFBIG;
	err = free_from(fs, inode, DIV_ROUND_UP(new_size, fs->block_size));
	inode->size = new_size;
	if (inode->alloc_goal && !inode->blocks)
		inode->alloc_goal = 0;
	werr = ext2_write_inode(fs, inode);
	return err ? err : werr;
}
