/*
 * Inodes: reading one from its table with checks, writing it back, a new
 * one, and the release of one whose last link is gone.
 */
#include "ext2_priv.h"

/* The table block holding @ino and the inode's bytes inside it. */
static int inode_slot(struct ext2_fs *fs, u32 ino, struct ext2_buf **bp,
		      struct ext2_disk_inode **raw)
{
	u32 group = (ino - 1) / fs->inodes_per_group;
	u64 byte = (u64)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
	u32 block = le32_to_cpu(ext2_gd(fs, group)->bg_inode_table) + (u32)(byte / fs->block_size);
	int err = ext2_bread(fs, block, bp);

	if (!err)
		*raw = (struct ext2_disk_inode *)((*bp)->data + byte % fs->block_size);
	return err;
}

static bool valid_ino(const struct ext2_fs *fs, u32 ino)
{
	return ino == EXT2_ROOT_INO || (ino >= fs->first_ino && ino <= fs->inodes_count);
}

static void decode(struct ext2_inode *in, const struct ext2_disk_inode *raw)
{
	in->mode = le16_to_cpu(raw->i_mode);
	in->uid = le16_to_cpu(raw->i_uid) | (u32)le16_to_cpu(raw->i_uid_high) << 16;
	in->gid = le16_to_cpu(raw->i_gid) | (u32)le16_to_cpu(raw->i_gid_high) << 16;
	in->size = le32_to_cpu(raw->i_size);
	if ((in->mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		in->size |= (u64)le32_to_cpu(raw->i_size_high) << 32;
	in->atime = le32_to_cpu(raw->i_atime);
	in->ctime = le32_to_cpu(raw->i_ctime);
	in->mtime = le32_to_cpu(raw->i_mtime);
	in->dtime = le32_to_cpu(raw->i_dtime);
	in->links = le16_to_cpu(raw->i_links_count);
	in->blocks = le32_to_cpu(raw->i_blocks);
	in->flags = le32_to_cpu(raw->i_flags);
	in->generation = le32_to_cpu(raw->i_generation);
	in->file_acl = le32_to_cpu(raw->i_file_acl);
	for (int i = 0; i < EXT2_N_BLOCKS; i++)
		in->block[i] = le32_to_cpu(raw->i_block[i]);
}

static void encode(struct ext2_disk_inode *raw, const struct ext2_inode *in)
{
	bool reg = (in->mode & EXT2_S_IFMT) == EXT2_S_IFREG;

	raw->i_mode = cpu_to_le16(in->mode);
	raw->i_uid = cpu_to_le16((u16)in->uid);
	raw->i_uid_high = cpu_to_le16((u16)(in->uid >> 16));
	raw->i_gid = cpu_to_le16((u16)in->gid);
	raw->i_gid_high = cpu_to_le16((u16)(in->gid >> 16));
	raw->i_size = cpu_to_le32((u32)in->size);
	raw->i_size_high = cpu_to_le32(reg ? (u32)(in->size >> 32) : 0);
	raw->i_atime = cpu_to_le32(in->atime);
	raw->i_ctime = cpu_to_le32(in->ctime);
	raw->i_mtime = cpu_to_le32(in->mtime);
	raw->i_dtime = cpu_to_le32(in->dtime);
	raw->i_links_count = cpu_to_le16(in->links);
	raw->i_blocks = cpu_to_le32(in->blocks);
	raw->i_flags = cpu_to_le32(in->flags);
	raw->i_generation = cpu_to_le32(in->generation);
	raw->i_file_acl = cpu_to_le32(in->file_acl);
	for (int i = 0; i < EXT2_N_BLOCKS; i++)
		raw->i_block[i] = cpu_to_le32(in->block[i]);
}

static bool valid_type(u16 mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: case EXT2_S_IFDIR: case EXT2_S_IFLNK: case EXT2_S_IFCHR:
	case EXT2_S_IFBLK: case EXT2_S_IFIFO: case EXT2_S_IFSOCK:
		return true;
	}
	return false;
}

/* Fields that would make later calls read or trust the wrong bytes. */
static int check_inode(struct ext2_fs *fs, struct ext2_inode *in)
{
	if (!in->links)
		return ext2_corrupt(fs, in, "deleted inode (no links) is referenced");
	if (!valid_type(in->mode))
		return ext2_corrupt(fs, in, "bad mode 0%o", in->mode);
	if (in->flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
		return ext2_corrupt(fs, in, "extents or inline data (flags 0x%x)", in->flags);
	if ((in->mode & EXT2_S_IFMT) == EXT2_S_IFLNK &&
	    in->size >= (ext2_is_fast_symlink(fs, in) ? EXT2_FAST_SYMLINK_MAX : fs->block_size))
		return ext2_corrupt(fs, in, "symlink size %llu", (unsigned long long)in->size);
	if (ext2_is_dir(in) && in->size % fs->block_size)
		return ext2_corrupt(fs, in, "directory size %llu", (unsigned long long)in->size);
	return 0;
}

int ext2_iget(struct ext2_fs *fs, u32 ino, struct ext2_inode *inode)
{
	struct ext2_disk_inode *raw;
	struct ext2_buf *b;
	int err;

	if (!valid_ino(fs, ino))
		return -EINVAL;
	err = inode_slot(fs, ino, &b, &raw);
	if (err)
		return err;
	memset(inode, 0, sizeof(*inode));
	inode->ino = ino;
	decode(inode, raw);
	ext2_brelse(fs, b);
	return check_inode(fs, inode);
}

int ext2_write_inode(struct ext2_fs *fs, const struct ext2_inode *inode)
{
	struct ext2_disk_inode *raw;
	struct ext2_buf *b;
	int err = ext2_check_rw(fs);

	if (err)
		return err;
	if (!valid_ino(fs, inode->ino))
		return -EINVAL;
	err = inode_slot(fs, inode->ino, &b, &raw);
	if (err)
		return err;
	encode(raw, inode);
	ext2_bdirty(b);
	ext2_brelse(fs, b);
	return 0;
}

bool ext2_has_block_map(const struct ext2_fs *fs, const struct ext2_inode *i)
{
	switch (i->mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: case EXT2_S_IFDIR:
		return true;
	case EXT2_S_IFLNK:
		return !ext2_is_fast_symlink(fs, i);
	}
	return false;
}

/* Zero the whole slot (old xattrs go) and give it mke2fs's extra size. */
static int clear_slot(struct ext2_fs *fs, u32 ino)
{
	struct ext2_disk_inode *raw;
	struct ext2_buf *b;
	int err = inode_slot(fs, ino, &b, &raw);

	if (err)
		return err;
	memset(raw, 0, fs->inode_size);
	if (fs->inode_size >= EXT2_GOOD_OLD_INODE_SIZE + EXT2_EXTRA_ISIZE_DEFAULT)
		raw->i_extra_isize = cpu_to_le16(EXT2_EXTRA_ISIZE_DEFAULT);
	ext2_bdirty(b);
	ext2_brelse(fs, b);
	return 0;
}

int ext2_new_inode(struct ext2_fs *fs, const struct ext2_inode *dir, u16 mode,
		   u32 uid, u32 gid, struct ext2_inode *inode)
{
	bool is_dir = (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	u32 group = dir ? (dir->ino - 1) / fs->inodes_per_group : 0, ino;
	int err = ext2_check_rw(fs);

	if (err)
		return err;
	err = ext2_alloc_ino(fs, group, is_dir, &ino);
	if (err)
		return err;
	err = clear_slot(fs, ino);
	if (err) {
		ext2_free_ino(fs, ino, is_dir);
		return err;
	}
	memset(inode, 0, sizeof(*inode));
	inode->ino = ino;
	inode->mode = mode;
	inode->uid = uid;
	inode->gid = gid;
	inode->atime = inode->ctime = inode->mtime = ext2_now(fs);
	inode->generation = ++fs->next_generation;
	return ext2_write_inode(fs, inode);
}

/* Drop the inode's reference to its shared extended attribute block. */
static int release_xattr_block(struct ext2_fs *fs, struct ext2_inode *inode)
{
	struct ext2_xattr_header *h;
	struct ext2_buf *b;
	u32 block = inode->file_acl, refs;
	int err;

	if (!ext2_data_block_ok(fs, block))
		return ext2_corrupt(fs, inode, "xattr block %u outside the data area", block);
	err = ext2_bread(fs, block, &b);
	if (err)
		return err;
	h = (struct ext2_xattr_header *)b->data;
	refs = le32_to_cpu(h->h_refcount);
	if (le32_to_cpu(h->h_magic) != EXT2_XATTR_MAGIC || !refs) {
		ext2_brelse(fs, b);
		return ext2_corrupt(fs, inode, "bad xattr block %u", block);
	}
	h->h_refcount = cpu_to_le32(refs - 1);
	ext2_bdirty(b);
	ext2_brelse(fs, b);
	inode->file_acl = 0;
	ext2_add_blocks(fs, inode, -1);
	return refs == 1 ? ext2_free_blocks(fs, inode, block, 1) : 0;
}

int ext2_evict_inode(struct ext2_fs *fs, struct ext2_inode *inode)
{
	int err = ext2_check_rw(fs);

	if (err)
		return err;
	if (inode->links)
		return -EINVAL;
	if (ext2_has_block_map(fs, inode))
		err = ext2_truncate_blocks(fs, inode, 0);
	else
		memset(inode->block, 0, sizeof(inode->block));
	inode->size = 0;
	if (!err && inode->file_acl)
		err = release_xattr_block(fs, inode);
	inode->dtime = ext2_now(fs);
	if (!inode->dtime)
		inode->dtime = 1;	/* e2fsck: a free inode with a mode needs a dtime */
	if (!err)
		err = ext2_write_inode(fs, inode);
	if (!err)
		err = ext2_free_ino(fs, inode->ino, ext2_is_dir(inode));
	return err;
}
