/*
 * Block and inode bitmaps: allocation and freeing, with the group
 * descriptors' free and used-dirs counts and the superblock's free counts
 * kept equal to what the bitmaps say (e2fsck compares all three).
 */
#include "ext2_priv.h"

u32 ext2_bitmap_find_zero(const u8 *map, u32 start, u32 end)
{
	u32 bit = start;

	while (bit < end) {
		if (!(bit & 7) && map[bit >> 3] == 0xff) {
			bit += 8;
			continue;
		}
		if (!ext2_test_bit(map, bit))
			return bit;
		bit++;
	}
	return end;
}

/* Claim the first clear bit of [start, end), then of [0, start); end if none. */
static u32 bitmap_claim(u8 *map, u32 start, u32 end)
{
	u32 bit = ext2_bitmap_find_zero(map, start, end);

	if (bit == end && start) {
		bit = ext2_bitmap_find_zero(map, 0, start);
		if (bit == start)
			bit = end;
	}
	if (bit < end)
		ext2_set_bit(map, bit);
	return bit;
}

static void count_blocks(struct ext2_fs *fs, u32 group, int delta)
{
	le16_add(&ext2_gd(fs, group)->bg_free_blocks_count, delta);
	le32_add(&fs->sb.s_free_blocks_count, delta);
	ext2_gd_dirty(fs, group);
}

static void count_inodes(struct ext2_fs *fs, u32 group, int delta, bool dir)
{
	struct ext2_group_desc *gd = ext2_gd(fs, group);

	le16_add(&gd->bg_free_inodes_count, delta);
	if (dir)
		le16_add(&gd->bg_used_dirs_count, -delta);
	le32_add(&fs->sb.s_free_inodes_count, delta);
	ext2_gd_dirty(fs, group);
}

int ext2_alloc_block(struct ext2_fs *fs, u32 goal, u32 *block)
{
	u32 g0, start;

	if (!le32_to_cpu(fs->sb.s_free_blocks_count))
		return -ENOSPC;
	if (goal < fs->first_data_block || goal >= fs->blocks_count)
		goal = fs->first_data_block;
	g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
	start = goal - ext2_group_first_block(fs, g0);
	for (u32 i = 0; i < fs->groups; i++) {
		u32 g = (g0 + i) % fs->groups, n = ext2_group_nblocks(fs, g), bit;
		struct ext2_group_desc *gd = ext2_gd(fs, g);
		struct ext2_buf *b;
		int err;

		if (!le16_to_cpu(gd->bg_free_blocks_count))
			continue;
		err = ext2_bread(fs, le32_to_cpu(gd->bg_block_bitmap), &b);
		if (err)
			return err;
		bit = bitmap_claim(b->data, i ? 0 : MIN(start, n - 1), n);
		if (bit == n) {
			ext2_brelse(fs, b);
			ext2_corrupt(fs, NULL, "group %u: block bitmap full, free count %u",
				     g, le16_to_cpu(gd->bg_free_blocks_count));
			continue;
		}
		ext2_bdirty(b);
		ext2_brelse(fs, b);
		*block = ext2_group_first_block(fs, g) + bit;
		if (!ext2_data_block_ok(fs, *block))
			return ext2_corrupt(fs, NULL, "block bitmap: metadata block %u marked free",
					    *block);
		count_blocks(fs, g, -1);
		ext2_bforget(fs, *block);
		return 0;
	}
	return -ENOSPC;
}

int ext2_free_blocks(struct ext2_fs *fs, struct ext2_inode *owner, u32 block, u32 count)
{
	int ret = 0;

	for (u32 blk = block; blk < block + count; blk++) {
		u32 g, bit;
		struct ext2_buf *b;
		int err;

		if (!ext2_data_block_ok(fs, blk)) {
			ret = ext2_corrupt(fs, owner, "freeing block %u outside the data area", blk);
			continue;
		}
		g = (blk - fs->first_data_block) / fs->blocks_per_group;
		bit = blk - ext2_group_first_block(fs, g);
		err = ext2_bread(fs, le32_to_cpu(ext2_gd(fs, g)->bg_block_bitmap), &b);
		if (err)
			return err;
		if (!ext2_test_bit(b->data, bit)) {
			ret = ext2_corrupt(fs, owner, "freeing block %u: already free", blk);
		} else {
			ext2_clear_bit(b->data, bit);
			ext2_bdirty(b);
			count_blocks(fs, g, 1);
			ext2_bforget(fs, blk);
		}
		ext2_brelse(fs, b);
	}
	return ret;
}

int ext2_alloc_ino(struct ext2_fs *fs, u32 group, bool dir, u32 *ino)
{
	if (!le32_to_cpu(fs->sb.s_free_inodes_count))
		return -ENOSPC;
	for (u32 i = 0; i < fs->groups; i++) {
		u32 g = (group + i) % fs->groups, n = fs->inodes_per_group, bit;
		struct ext2_group_desc *gd = ext2_gd(fs, g);
		u32 first = g ? 0 : fs->first_ino - 1;
		struct ext2_buf *b;
		int err;

		if (!le16_to_cpu(gd->bg_free_inodes_count))
			continue;
		err = ext2_bread(fs, le32_to_cpu(gd->bg_inode_bitmap), &b);
		if (err)
			return err;
		bit = ext2_bitmap_find_zero(b->data, first, n);
		if (bit == n) {
			ext2_brelse(fs, b);
			ext2_corrupt(fs, NULL, "group %u: inode bitmap full, free count %u",
				     g, le16_to_cpu(gd->bg_free_inodes_count));
			continue;
		}
		ext2_set_bit(b->data, bit);
		ext2_bdirty(b);
		ext2_brelse(fs, b);
		count_inodes(fs, g, -1, dir);
		*ino = g * fs->inodes_per_group + bit + 1;
		return 0;
	}
	return -ENOSPC;
}

int ext2_free_ino(struct ext2_fs *fs, u32 ino, bool dir)
{
	u32 g = (ino - 1) / fs->inodes_per_group, bit = (ino - 1) % fs->inodes_per_group;
	struct ext2_buf *b;
	int err;

	if (ino < fs->first_ino || ino > fs->inodes_count)
		return ext2_corrupt(fs, NULL, "freeing reserved or bad inode %u", ino);
	err = ext2_bread(fs, le32_to_cpu(ext2_gd(fs, g)->bg_inode_bitmap), &b);
	if (err)
		return err;
	if (!ext2_test_bit(b->data, bit)) {
		err = ext2_corrupt(fs, NULL, "freeing inode %u: already free", ino);
	} else {
		ext2_clear_bit(b->data, bit);
		ext2_bdirty(b);
		count_inodes(fs, g, 1, dir);
	}
	ext2_brelse(fs, b);
	return err;
}
