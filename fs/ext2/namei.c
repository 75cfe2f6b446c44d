/*
 * Names: create, mkdir, symlink, link, unlink, rmdir and rename, each the
 * directory records plus the link counts they imply (a directory has 2 +
 * one per subdirectory, whose ".." points at it).
 */
#include "ext2_priv.h"
#include <mm/slab.h>

/* Undo a new inode that could not be linked. */
static void discard_new(struct ext2_fs *fs, struct ext2_inode *inode)
{
	inode->links = 0;
	ext2_evict_inode(fs, inode);
}

static int check_parent(struct ext2_fs *fs, struct ext2_inode *dir)
{
	int err = ext2_check_rw(fs);

	if (err)
		return err;
	if (!ext2_is_dir(dir))
		return -ENOTDIR;
	return dir->links ? 0 : -ENOENT;	/* removed while in use */
}

/* Give a new inode its first link and its name in @dir. */
static int link_new(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		    size_t len, struct ext2_inode *inode)
{
	int err;

	if (!inode->links)
		inode->links = 1;
	err = ext2_write_inode(fs, inode);
	if (!err)
		err = ext2_dir_add(fs, dir, name, len, inode->ino, inode->mode);
	if (err)
		discard_new(fs, inode);
	return err;
}

int ext2_create(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		size_t len, u16 mode, u32 uid, u32 gid, u32 rdev,
		struct ext2_inode *inode)
{
	u16 type = mode & EXT2_S_IFMT;
	int err = check_parent(fs, dir);

	if (err)
		return err;
	if (type == EXT2_S_IFDIR || type == EXT2_S_IFLNK)
		return -EINVAL;
	if (!type)
		mode |= EXT2_S_IFREG;
	err = ext2_new_inode(fs, dir, mode, uid, gid, inode);
	if (err)
		return err;
	if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK) {
		/* Linux's encodings: the old 16-bit one in block[0] when it fits. */
		if (rdev < 0x10000)
			inode->block[0] = rdev;
		else
			inode->block[1] = rdev;
	}
	return link_new(fs, dir, name, len, inode);
}

int ext2_mkdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
	       size_t len, u16 mode, u32 uid, u32 gid, struct ext2_inode *inode)
{
	int err = check_parent(fs, dir);

	if (err)
		return err;
	if (dir->links >= EXT2_LINK_MAX)
		return -EMLINK;
	err = ext2_new_inode(fs, dir, EXT2_S_IFDIR | (mode & 07777), uid, gid, inode);
	if (err)
		return err;
	inode->links = 2;
	err = ext2_dir_init(fs, inode, dir->ino);
	if (err) {
		discard_new(fs, inode);
		return err;
	}
	err = link_new(fs, dir, name, len, inode);
	if (err)
		return err;
	dir->links++;
	return ext2_write_inode(fs, dir);
}

/* A symlink target in a data block of its own (zero-padded). */
static int write_slow_target(struct ext2_fs *fs, struct ext2_inode *inode,
			     const char *target, size_t tlen)
{
	u8 *buf = kmalloc(fs->block_size, GFP_KERNEL | __GFP_ZERO);
	u32 block;
	int err;

	if (!buf)
		return -ENOMEM;
	err = ext2_alloc_block(fs, ext2_group_first_block(fs, (inode->ino - 1) /
							  fs->inodes_per_group), &block);
	if (!err) {
		inode->block[0] = block;
		ext2_add_blocks(fs, inode, 1);
		inode->size = tlen;
		memcpy(buf, target, tlen);
		err = ext2_data_write(fs, block, buf);
	}
	kfree(buf);
	return err;
}

int ext2_symlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		 size_t len, const char *target, size_t tlen, u32 uid, u32 gid,
		 struct ext2_inode *inode)
{
	int err = check_parent(fs, dir);

	if (err)
		return err;
	if (!tlen)
		return -ENOENT;
	if (tlen >= fs->block_size)
		return -ENAMETOOLONG;
	err = ext2_new_inode(fs, dir, EXT2_S_IFLNK | 0777, uid, gid, inode);
	if (err)
		return err;
	if (tlen < EXT2_FAST_SYMLINK_MAX) {
		memcpy(inode->block, target, tlen);	/* bytes as on disk: x86 is LE */
		inode->size = tlen;
	} else {
		err = write_slow_target(fs, inode, target, tlen);
		if (err) {
			discard_new(fs, inode);
			return err;
		}
	}
	return link_new(fs, dir, name, len, inode);
}

long ext2_readlink(struct ext2_fs *fs, struct ext2_inode *inode, char *buf, size_t size)
{
	size_t n;

	if ((inode->mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
		return -EINVAL;
	n = (size_t)MIN((u64)size, inode->size);
	if (!ext2_is_fast_symlink(fs, inode))
		return ext2_file_read(fs, inode, 0, buf, n);
	memcpy(buf, inode->block, n);
	return (long)n;
}

int ext2_link(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
	      size_t len, struct ext2_inode *inode)
{
	int err = check_parent(fs, dir);

	if (err)
		return err;
	if (ext2_is_dir(inode))
		return -EPERM;
	if (inode->links >= EXT2_LINK_MAX)
		return -EMLINK;
	err = ext2_dir_add(fs, dir, name, len, inode->ino, inode->mode);
	if (err)
		return err;
	inode->links++;
	inode->ctime = ext2_now(fs);
	return ext2_write_inode(fs, inode);
}

static bool is_dot_or_dotdot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* Does @name in @dir name @inode? 0, -ENOENT, or -errno. */
static int names(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		 size_t len, const struct ext2_inode *inode)
{
	u32 ino;
	int err = ext2_dir_lookup(fs, dir, name, len, &ino);

	if (err)
		return err;
	return ino == inode->ino ? 0 : -ENOENT;
}

int ext2_unlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		size_t len, struct ext2_inode *inode)
{
	int err = check_parent(fs, dir);

	if (!err && ext2_is_dir(inode))
		err = -EISDIR;
	if (!err)
		err = names(fs, dir, name, len, inode);
	if (!err)
		err = ext2_dir_remove(fs, dir, name, len, NULL);
	if (err)
		return err;
	if (inode->links)
		inode->links--;
	inode->ctime = ext2_now(fs);
	return ext2_write_inode(fs, inode);
}

int ext2_rmdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
	       size_t len, struct ext2_inode *inode)
{
	int err = check_parent(fs, dir);

	if (err)
		return err;
	if (is_dot_or_dotdot(name, len))
		return -EINVAL;
	if (!ext2_is_dir(inode))
		return -ENOTDIR;
	err = names(fs, dir, name, len, inode);
	if (!err) {
		err = ext2_dir_is_empty(fs, inode);
		err = err < 0 ? err : err ? 0 : -ENOTEMPTY;
	}
	if (!err)
		err = ext2_dir_remove(fs, dir, name, len, NULL);
	if (err)
		return err;
	inode->links = 0;
	inode->ctime = ext2_now(fs);
	err = ext2_write_inode(fs, inode);
	if (dir->links > 2)
		dir->links--;
	return err ? err : ext2_write_inode(fs, dir);
}

/* The ".." of directory @ino, which must be a directory. */
static int parent_of(struct ext2_fs *fs, u32 ino, u32 *parent)
{
	struct ext2_inode d;
	int err = ext2_iget(fs, ino, &d);

	if (err)
		return err;
	if (!ext2_is_dir(&d))
		return ext2_corrupt(fs, &d, "\"..\" names a non-directory");
	return ext2_dir_lookup(fs, &d, "..", 2, parent);
}

/*
 * -EINVAL if directory @dir_ino is @moved or below it. Walks ".." to the
 * root; a cycle (corruption) is found by Brent's method: -EUCLEAN.
 */
static int check_not_below(struct ext2_fs *fs, u32 moved, u32 dir_ino)
{
	u32 cur = dir_ino, mark = dir_ino, steps = 0, limit = 1;

	while (cur != EXT2_ROOT_INO) {
		int err;

		if (cur == moved)
			return -EINVAL;
		err = parent_of(fs, cur, &cur);
		if (err)
			return err;
		if (cur == mark)
			return ext2_corrupt(fs, NULL, "directory loop through inode %u", cur);
		if (++steps == limit) {
			mark = cur;
			limit *= 2;
			steps = 0;
		}
	}
	return 0;
}

/* The target checks of rename; 1 when there is nothing to do. */
static int rename_checks(struct ext2_fs *fs, struct ext2_inode *old_dir, const char *old_name,
			 size_t old_len, struct ext2_inode *new_dir, const char *new_name,
			 size_t new_len, struct ext2_inode *inode, struct ext2_inode *victim)
{
	bool dir = ext2_is_dir(inode);
	int err = check_parent(fs, old_dir);

	if (!err)
		err = check_parent(fs, new_dir);
	if (!err && (is_dot_or_dotdot(old_name, old_len) || is_dot_or_dotdot(new_name, new_len)))
		err = -EINVAL;
	if (!err)
		err = names(fs, old_dir, old_name, old_len, inode);
	if (err)
		return err;
	if (victim) {
		err = names(fs, new_dir, new_name, new_len, victim);
		if (err || victim->ino == inode->ino)
			return err ? err : 1;
		if (ext2_is_dir(victim) != dir)
			return dir ? -ENOTDIR : -EISDIR;
		if (dir) {
			err = ext2_dir_is_empty(fs, victim);
			if (err <= 0)
				return err < 0 ? err : -ENOTEMPTY;
		}
	} else if (dir && old_dir->ino != new_dir->ino && new_dir->links >= EXT2_LINK_MAX) {
		return -EMLINK;
	}
	if (dir && old_dir->ino != new_dir->ino)
		return check_not_below(fs, inode->ino, new_dir->ino);
	return 0;
}

int ext2_rename(struct ext2_fs *fs, struct ext2_inode *old_dir, const char *old_name,
		size_t old_len, struct ext2_inode *new_dir, const char *new_name,
		size_t new_len, struct ext2_inode *inode, struct ext2_inode *victim)
{
	bool dir = ext2_is_dir(inode), moved = old_dir->ino != new_dir->ino;
	int err = rename_checks(fs, old_dir, old_name, old_len, new_dir, new_name, new_len,
				inode, victim);

	if (err)
		return err > 0 ? 0 : err;
	if (victim)
		err = ext2_dir_set_entry(fs, new_dir, new_name, new_len, inode->ino, inode->mode);
	else
		err = ext2_dir_add(fs, new_dir, new_name, new_len, inode->ino, inode->mode);
	if (!err)
		err = ext2_dir_remove(fs, old_dir, old_name, old_len, NULL);
	if (!err && dir && moved)
		err = ext2_dir_set_dotdot(fs, inode, new_dir->ino);
	if (err)
		return err;
	if (victim) {
		victim->links = ext2_is_dir(victim) ? 0 : victim->links - 1;
		victim->ctime = ext2_now(fs);
		if (ext2_is_dir(victim))
			new_dir->links--;
		err = ext2_write_inode(fs, victim);
	}
	if (dir && moved) {
		old_dir->links--;
		new_dir->links++;
	}
	inode->ctime = ext2_now(fs);
	if (!err)
		err = ext2_write_inode(fs, inode);
	if (!err)
		err = ext2_write_inode(fs, old_dir);
	if (!err && moved)
		err = ext2_write_inode(fs, new_dir);
	return err;
}
