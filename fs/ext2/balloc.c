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

/* Claim the first clear bit of [start, end), then of [lo, start); end if none. */
static u32 bitmap_claim(u8 *map, u32 lo, u32 start, u32 end)
{
	u32 bit = ext2_bitmap_find_zero(map, start, end);

	if (bit == end && start > lo) {
		bit = ext2_bitmap_find_zero(map, lo, start);
		if (bit == start)
			bit = end;
	}
	if (bit < end)
		ext2_set_bit(map, bit);
	return bit;
}

/*
 * Set a clear bit in the block (or inode) bitmap of the first group from
 * @g0 on whose descriptor counts a free one, starting at bit @start in @g0.
 * Reserved inodes are never handed out. A group whose count says free but
 * whose bitmap is full is reported and skipped. *group, *bit; -ENOSPC.
 */
static int claim_bit(struct ext2_fs *fs, bool inodes, u32 g0, u32 start, u32 *group, u32 *bit)
{
	for (u32 i = 0; i < fs->groups; i++) {
		u32 g = (g0 + i) % fs->groups;
		struct ext2_group_desc *gd = ext2_gd(fs, g);
		u32 free = le16_to_cpu(inodes ? gd->bg_free_inodes_count : gd->bg_free_blocks_count);
		u32 n = inodes ? fs->inodes_per_group : ext2_group_nblocks(fs, g);
		u32 lo = inodes && !g ? fs->first_ino - 1 : 0;
		struct ext2_buf *b;
		int err;

		if (!free)
			continue;
		err = ext2_bread(fs, le32_to_cpu(inodes ? gd->bg_inode_bitmap : gd->bg_block_bitmap), &b);
		if (err)
			return err;
		*bit = bitmap_claim(b->data, lo, i ? lo : MAX(lo, MIN(start, n - 1)), n);
		if (*bit < n)
			ext2_bdirty(b);
		ext2_brelse(fs, b);
		if (*bit < n) {
			*group = g;
			return 0;
		}
		ext2_corrupt(fs, NULL, "group %u: %s bitmap full, free count %u", g,
			     inodes ? "inode" : "block", free);
	}
	return -ENOSPC;
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
	u32 g0, group, bit;
	int err;

	if (!le32_to_cpu(fs->sb.s_free_blocks_count))
		return -ENOSPC;
	if (goal < fs->first_data_block || goal >= fs->blocks_count)
		goal = fs->first_data_block;
	g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
	err = claim_bit(fs, false, g0, goal - ext2_group_first_block(fs, g0), &group, &bit);
	if (err)
		return err;
	*block = ext2_group_first_block(fs, group) + bit;
	if (!ext2_data_block_ok(fs, *block))
		return ext2_corrupt(fs, NULL, "block bitmap: metadata block %u marked free", *block);
	count_blocks(fs, group, -1);
	ext2_bforget(fs, *block);
	return 0;
}

/* Clear bit @bit of group @g's block or inode bitmap; -EUCLEAN (logged) if clear. */
static int release_bit(struct ext2_fs *fs, struct ext2_inode *owner, bool inodes, u32 g, u32 bit)
{
	struct ext2_group_desc *gd = ext2_gd(fs, g);
	struct ext2_buf *b;
	int err = ext2_bread(fs, le32_to_cpu(inodes ? gd->bg_inode_bitmap : gd->bg_block_bitmap), &b);

	if (err)
		return err;
	if (ext2_test_bit(b->data, bit)) {
		ext2_clear_bit(b->data, bit);
		ext2_bdirty(b);
	} else {
		err = ext2_corrupt(fs, owner, "freeing %s %u: already free", inodes ? "inode" : "block",
				   inodes ? g * fs->inodes_per_group + bit + 1 :
					    ext2_group_first_block(fs, g) + bit);
	}
	ext2_brelse(fs, b);
	return err;
}

int ext2_free_blocks(struct ext2_fs *fs, struct ext2_inode *owner, u32 block, u32 count)
{
	int ret = 0;

	for (u32 blk = block; blk < block + count; blk++) {
		u32 g = (blk - fs->first_data_block) / fs->blocks_per_group;
		int err;

		if (!ext2_data_block_ok(fs, blk)) {
			ret = ext2_corrupt(fs, owner, "freeing block %u outside the data area", blk);
			continue;
		}
		err = release_bit(fs, owner, false, g, blk - ext2_group_first_block(fs, g));
		if (err == -EUCLEAN) {
			ret = err;
			continue;
		}
		if (err)
			return err;
		count_blocks(fs, g, 1);
		ext2_bforget(fs, blk);
	}
	return ret;
}

int ext2_alloc_ino(struct ext2_fs *fs, u32 group, bool dir, u32 *ino)
{
	u32 g, bit;
	int err;

	if (!le32_to_cpu(fs->sb.s_free_inodes_count))
		return -ENOSPC;
	err = claim_bit(fs, true, group, 0, &g, &bit);
	if (err)
		return err;
	count_inodes(fs, g, -1, dir);
	*ino = g * fs->inodes_per_group + bit + 1;
	return 0;
}

int ext2_free_ino(struct ext2_fs *fs, u32 ino, bool dir)
{
	u32 g = (ino - 1) / fs->inodes_per_group;
	int err;

	if (ino < fs->first_ino || ino > fs->inodes_count)
		return ext2_corrupt(fs, NULL, "freeing reserved or bad inode %u", ino);
	err = release_bit(fs, NULL, true, g, (ino - 1) % fs->inodes_per_group);
	if (!err)
		count_inodes(fs, g, 1, dir);
	return err;
}
