/*
 * File data by byte range through ext2_get_block(), one block at a time
 * through a bounce buffer: for host tests, slow symlinks and kernel
 * bring-up. The kernel's page cache maps blocks itself instead.
 */
#include "ext2_priv.h"
#include <mm/slab.h>

/*
 * Copy @len bytes at @pos between @buf and the file, block by block. A
 * read maps without allocating (holes give zeros); a write allocates and
 * reads a block first only when it changes part of an old one. Returns
 * bytes done, or the error when none were.
 */
static long file_copy(struct ext2_fs *fs, struct ext2_inode *inode, u64 pos,
		      u8 *buf, size_t len, bool write)
{
	u32 bs = fs->block_size;
	size_t done = 0;
	u8 *tmp = kmalloc(bs, GFP_KERNEL);
	int err = 0;

	if (!tmp)
		return -ENOMEM;
	while (done < len) {
		u64 at = pos + done;
		u32 off = at % bs, n = (u32)MIN((u64)(bs - off), (u64)(len - done)), pblock;
		bool new;

		err = ext2_get_block(fs, inode, at / bs, write, &pblock, &new);
		if (err)
			break;
		if (!pblock || (write && new))
			memset(tmp, 0, bs);
		else if ((!write || n < bs) && (err = ext2_data_read(fs, pblock, tmp)))
			break;
		if (!write) {
			memcpy(buf + done, tmp + off, n);
		} else {
			memcpy(tmp + off, buf + done, n);
			if ((err = ext2_data_write(fs, pblock, tmp)))
				break;
		}
		done += n;
	}
	kfree(tmp);
	return done ? (long)done : err;
}

long ext2_file_read(struct ext2_fs *fs, struct ext2_inode *inode, u64 pos,
		    void *buf, size_t len)
{
	if (pos >= inode->size)
		return 0;
	return file_copy(fs, inode, pos, buf, (size_t)MIN((u64)len, inode->size - pos), false);
}

long ext2_file_write(struct ext2_fs *fs, struct ext2_inode *inode, u64 pos,
		     const void *buf, size_t len)
{
	long done;
	int err = ext2_check_rw(fs);

	if (err)
		return err;
	if (pos >= fs->max_bytes)
		return -EFBIG;
	len = (size_t)MIN((u64)len, fs->max_bytes - pos);
	/* file_copy only reads @buf when writing */
	done = file_copy(fs, inode, pos, (u8 *)buf, len, true);
	if (done <= 0)
		return done;
	if (pos + (u64)done > inode->size)
		inode->size = pos + (u64)done;
	inode->mtime = inode->ctime = ext2_now(fs);
	err = ext2_write_inode(fs, inode);
	return err ? err : done;
}

/* Zero the bytes of the block holding @size that lie past it. */
static int zero_tail(struct ext2_fs *fs, struct ext2_inode *inode, u64 size)
{
	u32 bs = fs->block_size, off = size % bs, pblock;
	bool new;
	u8 *tmp;
	int err;

	if (!off)
		return 0;
	err = ext2_get_block(fs, inode, size / bs, false, &pblock, &new);
	if (err || !pblock)
		return err;
	tmp = kmalloc(bs, GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	err = ext2_data_read(fs, pblock, tmp);
	if (!err) {
		memset(tmp + off, 0, bs - off);
		err = ext2_data_write(fs, pblock, tmp);
	}
	kfree(tmp);
	return err;
}

int ext2_file_truncate(struct ext2_fs *fs, struct ext2_inode *inode, u64 new_size)
{
	int err = ext2_check_rw(fs);

	if (err)
		return err;
	if (new_size < inode->size && (err = zero_tail(fs, inode, new_size)))
		return err;
	inode->mtime = inode->ctime = ext2_now(fs);
	return ext2_truncate_blocks(fs, inode, new_size);
}
