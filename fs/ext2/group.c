/*
 * Block groups: where each group's blocks, backups, bitmaps and inode
 * table are, the descriptor table checks done at mount, and the test that
 * keeps a corrupt block pointer from reaching the volume's metadata.
 */
#include "ext2_priv.h"

void ext2_gd_dirty(struct ext2_fs *fs, u32 group)
{
	fs->gdt_dirty[group * sizeof(struct ext2_group_desc) / fs->block_size] = 1;
}

u32 ext2_group_first_block(const struct ext2_fs *fs, u32 group)
{
	return fs->first_data_block + group * fs->blocks_per_group;
}

u32 ext2_group_nblocks(const struct ext2_fs *fs, u32 group)
{
	u32 left = fs->blocks_count - ext2_group_first_block(fs, group);

	return MIN(left, fs->blocks_per_group);
}

static bool is_power_of(u32 n, u32 base)
{
	while (n > 1 && n % base == 0)
		n /= base;
	return n == 1;
}

bool ext2_group_has_super(const struct ext2_fs *fs, u32 group)
{
	if (group <= 1 ||
	    !(le32_to_cpu(fs->sb.s_feature_ro_compat) & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

/* Blocks at the start of a group taken by the superblock and descriptor copies. */
static u32 group_super_blocks(const struct ext2_fs *fs, u32 group)
{
	if (!ext2_group_has_super(fs, group))
		return 0;
	return 1 + fs->gdt_blocks + le16_to_cpu(fs->sb.s_reserved_gdt_blocks);
}

bool ext2_data_block_ok(struct ext2_fs *fs, u32 block)
{
	u32 group, off, table;
	struct ext2_group_desc *gd;

	if (block < fs->first_data_block || block >= fs->blocks_count)
		return false;
	group = (block - fs->first_data_block) / fs->blocks_per_group;
	off = block - ext2_group_first_block(fs, group);
	if (off < group_super_blocks(fs, group))
		return false;
	gd = ext2_gd(fs, group);
	table = le32_to_cpu(gd->bg_inode_table);
	return block != le32_to_cpu(gd->bg_block_bitmap) &&
	       block != le32_to_cpu(gd->bg_inode_bitmap) &&
	       (block < table || block - table >= fs->inode_table_blocks);
}

static int bad_group(struct ext2_fs *fs, u32 group, const char *what, u32 value)
{
	printk("ext2 %s: group %u: %s (%u) is invalid\n", fs->name, group, what, value);
	return -EINVAL;
}

int ext2_check_groups(struct ext2_fs *fs)
{
	for (u32 g = 0; g < fs->groups; g++) {
		struct ext2_group_desc *gd = ext2_gd(fs, g);
		u32 first = ext2_group_first_block(fs, g) + group_super_blocks(fs, g);
		u32 end = ext2_group_first_block(fs, g) + ext2_group_nblocks(fs, g);
		u32 bb = le32_to_cpu(gd->bg_block_bitmap);
		u32 ib = le32_to_cpu(gd->bg_inode_bitmap);
		u32 it = le32_to_cpu(gd->bg_inode_table);

		if (first > end)
			return bad_group(fs, g, "size", end - ext2_group_first_block(fs, g));
		if (bb < first || bb >= end)
			return bad_group(fs, g, "block bitmap", bb);
		if (ib < first || ib >= end)
			return bad_group(fs, g, "inode bitmap", ib);
		if (it < first || it >= end || end - it < fs->inode_table_blocks)
			return bad_group(fs, g, "inode table", it);
		if (le16_to_cpu(gd->bg_free_blocks_count) > ext2_group_nblocks(fs, g))
			return bad_group(fs, g, "free blocks count",
					 le16_to_cpu(gd->bg_free_blocks_count));
		if (le16_to_cpu(gd->bg_free_inodes_count) > fs->inodes_per_group)
			return bad_group(fs, g, "free inodes count",
					 le16_to_cpu(gd->bg_free_inodes_count));
		if (le16_to_cpu(gd->bg_used_dirs_count) > fs->inodes_per_group)
			return bad_group(fs, g, "used directories count",
					 le16_to_cpu(gd->bg_used_dirs_count));
	}
	return 0;
}
