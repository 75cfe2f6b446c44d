/*
 * Mount, sync and unmount: the superblock checks, the feature policy, the
 * descriptor table in memory, and the volume's clean/in-use state.
 */
#include "ext2_priv.h"
#include <mm/slab.h>
#include <pagoda/vsprintf.h>

int ext2_corrupt(struct ext2_fs *fs, struct ext2_inode *inode, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (!fs->rdonly) {
		fs->mount_state |= EXT2_ERROR_FS;
		fs->sb.s_state = cpu_to_le16(le16_to_cpu(fs->sb.s_state) | EXT2_ERROR_FS);
	}
	if (inode && inode->corrupt_logged)
		return -EUCLEAN;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (inode) {
		inode->corrupt_logged = true;
		printk("ext2 %s: inode %u: %s\n", fs->name, inode->ino, msg);
	} else {
		printk("ext2 %s: %s\n", fs->name, msg);
	}
	return -EUCLEAN;
}

static int bad_super(const char *name, const char *what, u32 value)
{
	printk("ext2 %s: superblock: %s (%u) is invalid\n", name, what, value);
	return -EINVAL;
}

/* The geometry from a superblock already known to be ext2's, checked. */
static int read_geometry(struct ext2_fs *fs, u64 dev_bytes)
{
	const struct ext2_super_block *sb = &fs->sb;
	u32 log = le32_to_cpu(sb->s_log_block_size);
	u32 rev = le32_to_cpu(sb->s_rev_level);
	u32 bits;
	u64 gdt_blocks, group0_end;

	if (log > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG)
		return bad_super(fs->name, "block size log", log);
	fs->block_size = 1024u << log;
	bits = fs->block_size * 8;
	fs->addr_per_block = fs->block_size / 4;
	if (le32_to_cpu(sb->s_log_frag_size) != log)
		return bad_super(fs->name, "fragment size log", le32_to_cpu(sb->s_log_frag_size));
	if (rev > EXT2_DYNAMIC_REV)
		return bad_super(fs->name, "revision", rev);
	fs->inode_size = rev == EXT2_GOOD_OLD_REV ? EXT2_GOOD_OLD_INODE_SIZE
						  : le16_to_cpu(sb->s_inode_size);
	fs->first_ino = rev == EXT2_GOOD_OLD_REV ? EXT2_GOOD_OLD_FIRST_INO
						 : le32_to_cpu(sb->s_first_ino);
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
	    !is_power_of_2(fs->inode_size))
		return bad_super(fs->name, "inode size", fs->inode_size);
	fs->blocks_count = le32_to_cpu(sb->s_blocks_count);
	fs->inodes_count = le32_to_cpu(sb->s_inodes_count);
	fs->first_data_block = le32_to_cpu(sb->s_first_data_block);
	fs->blocks_per_group = le32_to_cpu(sb->s_blocks_per_group);
	fs->inodes_per_group = le32_to_cpu(sb->s_inodes_per_group);
	if (fs->first_data_block != (fs->block_size == 1024 ? 1u : 0u))
		return bad_super(fs->name, "first data block", fs->first_data_block);
	if (fs->blocks_count <= fs->first_data_block)
		return bad_super(fs->name, "blocks count", fs->blocks_count);
	if (dev_bytes && (u64)fs->blocks_count * fs->block_size > dev_bytes)
		return bad_super(fs->name, "blocks count past the device end", fs->blocks_count);
	if (le32_to_cpu(sb->s_r_blocks_count) > fs->blocks_count)
		return bad_super(fs->name, "reserved blocks count", le32_to_cpu(sb->s_r_blocks_count));
	if (!fs->blocks_per_group || fs->blocks_per_group > bits || fs->blocks_per_group % 8)
		return bad_super(fs->name, "blocks per group", fs->blocks_per_group);
	if (!fs->inodes_per_group || fs->inodes_per_group > bits ||
	    fs->inodes_per_group % (fs->block_size / fs->inode_size))
		return bad_super(fs->name, "inodes per group", fs->inodes_per_group);
	fs->groups = DIV_ROUND_UP(fs->blocks_count - fs->first_data_block, fs->blocks_per_group);
	if ((u64)fs->groups * fs->inodes_per_group != fs->inodes_count)
		return bad_super(fs->name, "inodes count", fs->inodes_count);
	if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino >= fs->inodes_count)
		return bad_super(fs->name, "first inode", fs->first_ino);
	fs->inode_table_blocks = fs->inodes_per_group / (fs->block_size / fs->inode_size);
	gdt_blocks = DIV_ROUND_UP((u64)fs->groups * sizeof(struct ext2_group_desc), fs->block_size);
	group0_end = fs->first_data_block + MIN(fs->blocks_per_group,
						fs->blocks_count - fs->first_data_block);
	if (fs->first_data_block + 1 + gdt_blocks > group0_end)
		return bad_super(fs->name, "groups count", fs->groups);
	fs->gdt_blocks = (u32)gdt_blocks;
	if (fs->first_data_block + 1 + gdt_blocks + le16_to_cpu(sb->s_reserved_gdt_blocks) >
	    group0_end)
		return bad_super(fs->name, "reserved descriptor blocks",
				 le16_to_cpu(sb->s_reserved_gdt_blocks));
	return 0;
}

/* 0, -EINVAL for incompatible features; sets fs->rdonly for ro_compat ones. */
static int check_features(struct ext2_fs *fs)
{
	u32 incompat = le32_to_cpu(fs->sb.s_feature_incompat);
	u32 ro_compat = le32_to_cpu(fs->sb.s_feature_ro_compat);

	if (le32_to_cpu(fs->sb.s_rev_level) == EXT2_GOOD_OLD_REV)
		return 0;
	if (incompat & ~EXT2_FEATURE_INCOMPAT_SUPPORTED) {
		printk("ext2 %s: unsupported incompatible features 0x%x: not mounted\n",
		       fs->name, incompat & ~EXT2_FEATURE_INCOMPAT_SUPPORTED);
		return -EINVAL;
	}
	if ((ro_compat & ~EXT2_FEATURE_RO_COMPAT_SUPPORTED) && !fs->rdonly) {
		printk("ext2 %s: unsupported read-only-compatible features 0x%x: mounted read-only\n",
		       fs->name, ro_compat & ~EXT2_FEATURE_RO_COMPAT_SUPPORTED);
		fs->rdonly = true;
	}
	fs->filetype = incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	return 0;
}

/*
 * File size limits: the indirect tree's reach, then i_blocks (32 bits of
 * 512-byte units, counting the indirect blocks too: @meta bounds them for
 * a file of @cap blocks), then 2 GiB without large_file.
 */
static void compute_limits(struct ext2_fs *fs)
{
	u64 p = fs->addr_per_block;
	u64 tree = EXT2_NDIR_BLOCKS + p + p * p + p * p * p;
	u64 cap = 0xffffffffull / (fs->block_size >> 9);
	u64 meta = 3 + cap / p + cap / (p * p) + 1;

	fs->max_blocks = MIN(tree, cap - meta);
	fs->max_bytes = fs->max_blocks * fs->block_size;
	if (!(le32_to_cpu(fs->sb.s_feature_ro_compat) & EXT2_FEATURE_RO_COMPAT_LARGE_FILE))
		fs->max_bytes = MIN(fs->max_bytes, 0x7fffffffull);
}

static int read_gdt(struct ext2_fs *fs)
{
	u32 free_blocks = 0, free_inodes = 0;

	fs->gdt = kmalloc((size_t)fs->gdt_blocks * fs->block_size, GFP_KERNEL);
	fs->gdt_dirty = kmalloc(fs->gdt_blocks, GFP_KERNEL | __GFP_ZERO);
	if (!fs->gdt || !fs->gdt_dirty)
		return -ENOMEM;
	for (u32 i = 0; i < fs->gdt_blocks; i++) {
		int err = fs->ops->read(fs->ctx, fs->first_data_block + 1 + i, fs->block_size,
					fs->gdt + (size_t)i * fs->block_size);
		if (err) {
			printk("ext2 %s: reading the group descriptors: error %d\n", fs->name, err);
			return err;
		}
	}
	if (ext2_check_groups(fs))
		return -EINVAL;
	/* The summary counts follow the descriptors, as Linux recounts at mount. */
	for (u32 g = 0; g < fs->groups; g++) {
		free_blocks += le16_to_cpu(ext2_gd(fs, g)->bg_free_blocks_count);
		free_inodes += le16_to_cpu(ext2_gd(fs, g)->bg_free_inodes_count);
	}
	fs->sb.s_free_blocks_count = cpu_to_le32(free_blocks);
	fs->sb.s_free_inodes_count = cpu_to_le32(free_inodes);
	return 0;
}

/* Put the in-memory superblock into its block (through the cache). */
static int write_super(struct ext2_fs *fs)
{
	u32 block = EXT2_SUPER_OFFSET / fs->block_size;
	struct ext2_buf *b;
	int err = ext2_bread(fs, block, &b);

	if (err)
		return err;
	fs->sb.s_wtime = cpu_to_le32(ext2_now(fs));
	memcpy(b->data + EXT2_SUPER_OFFSET % fs->block_size, &fs->sb, sizeof(fs->sb));
	ext2_bdirty(b);
	ext2_brelse(fs, b);
	return 0;
}

static int flush_gdt(struct ext2_fs *fs)
{
	int first = 0;

	for (u32 i = 0; i < fs->gdt_blocks; i++) {
		int err;

		if (!fs->gdt_dirty[i])
			continue;
		err = fs->ops->write(fs->ctx, fs->first_data_block + 1 + i, fs->block_size,
				     fs->gdt + (size_t)i * fs->block_size);
		if (err && !first)
			first = err;
		if (!err)
			fs->gdt_dirty[i] = 0;
	}
	return first;
}

int ext2_sync(struct ext2_fs *fs)
{
	int err, e;

	if (fs->rdonly)
		return 0;
	err = write_super(fs);
	e = flush_gdt(fs);
	if (!err)
		err = e;
	e = ext2_bflush_all(fs);
	if (!err)
		err = e;
	if (fs->ops->flush) {
		e = fs->ops->flush(fs->ctx);
		if (!err)
			err = e;
	}
	if (!err && fs->wb_error) {
		err = fs->wb_error;
		fs->wb_error = 0;
	}
	return err;
}

static void fs_free(struct ext2_fs *fs)
{
	ext2_bdestroy(fs);
	kfree(fs->gdt);
	kfree(fs->gdt_dirty);
	kfree(fs);
}

static void warn_unchecked(struct ext2_fs *fs)
{
	u16 state = le16_to_cpu(fs->sb.s_state);

	if (!(state & EXT2_VALID_FS))
		printk("ext2 %s: warning: mounting an unchecked volume, e2fsck is recommended\n",
		       fs->name);
	else if (state & EXT2_ERROR_FS)
		printk("ext2 %s: warning: mounting a volume with errors, e2fsck is recommended\n",
		       fs->name);
}

static int mount_rw(struct ext2_fs *fs)
{
	warn_unchecked(fs);
	fs->mount_state = le16_to_cpu(fs->sb.s_state);
	fs->sb.s_state = cpu_to_le16(le16_to_cpu(fs->sb.s_state) & ~EXT2_VALID_FS);
	le16_add(&fs->sb.s_mnt_count, 1);
	fs->sb.s_mtime = cpu_to_le32(ext2_now(fs));
	return ext2_sync(fs);
}

int ext2_mount(const struct ext2_mount_args *args, struct ext2_fs **out)
{
	struct ext2_fs *fs = kmalloc(sizeof(*fs), GFP_KERNEL | __GFP_ZERO);
	int err;

	if (!fs)
		return -ENOMEM;
	fs->ops = args->ops;
	fs->ctx = args->ctx;
	fs->now = args->now;
	fs->next_generation = ext2_now(fs);
	fs->rdonly = args->flags & EXT2_MOUNT_RDONLY;
	strncpy(fs->name, args->name ? args->name : "?", sizeof(fs->name) - 1);
	list_init(&fs->bufs);

	err = fs->ops->read(fs->ctx, EXT2_SUPER_OFFSET / 1024, 1024, &fs->sb);
	if (err) {
		printk("ext2 %s: reading the superblock: error %d\n", fs->name, err);
		goto fail;
	}
	err = -EINVAL;
	if (le16_to_cpu(fs->sb.s_magic) != EXT2_SUPER_MAGIC) {
		printk("ext2 %s: no ext2 superblock (magic 0x%04x)\n", fs->name,
		       le16_to_cpu(fs->sb.s_magic));
		goto fail;
	}
	if (read_geometry(fs, args->dev_bytes) || check_features(fs))
		goto fail;
	compute_limits(fs);
	err = read_gdt(fs);
	if (err)
		goto fail;
	if (!fs->rdonly) {
		err = mount_rw(fs);
		if (err)
			goto fail;
	}
	*out = fs;
	return 0;
fail:
	fs_free(fs);
	return err;
}

int ext2_unmount(struct ext2_fs *fs)
{
	int err = 0;

	if (!fs->rdonly) {
		fs->sb.s_state = cpu_to_le16(fs->mount_state);
		err = ext2_sync(fs);
	}
	fs_free(fs);
	return err;
}

bool ext2_is_rdonly(const struct ext2_fs *fs)
{
	return fs->rdonly;
}

u32 ext2_block_size(const struct ext2_fs *fs)
{
	return fs->block_size;
}

const struct ext2_super_block *ext2_super(const struct ext2_fs *fs)
{
	return &fs->sb;
}

u64 ext2_max_blocks(const struct ext2_fs *fs)
{
	return fs->max_blocks;
}

u64 ext2_max_bytes(const struct ext2_fs *fs)
{
	return fs->max_bytes;
}

void ext2_statfs(const struct ext2_fs *fs, struct ext2_statfs *st)
{
	u32 free = le32_to_cpu(fs->sb.s_free_blocks_count);
	u32 reserved = le32_to_cpu(fs->sb.s_r_blocks_count);

	st->block_size = fs->block_size;
	st->blocks = fs->blocks_count;
	st->free_blocks = free;
	st->avail_blocks = free > reserved ? free - reserved : 0;
	st->inodes = fs->inodes_count;
	st->free_inodes = le32_to_cpu(fs->sb.s_free_inodes_count);
	st->name_max = EXT2_NAME_LEN;
}
