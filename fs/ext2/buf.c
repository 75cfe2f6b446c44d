/*
 * The metadata block cache of one ext2 fs: a list of blocks, most recently
 * used first. Referenced blocks stay; past EXT2_BUF_CACHE_MAX blocks the
 * least recently used unreferenced ones are written back (if dirty) and
 * dropped. A block whose write-back fails stays cached and dirty and the
 * error is kept for ext2_sync(). The list is searched linearly: it is
 * short by construction.
 */
#include "ext2_priv.h"
#include <mm/slab.h>

static struct ext2_buf *buf_find(struct ext2_fs *fs, u32 block)
{
	struct ext2_buf *b;

	list_for_each_entry(b, &fs->bufs, lru)
		if (b->block == block)
			return b;
	return NULL;
}

static int buf_write(struct ext2_fs *fs, struct ext2_buf *b)
{
	int err = fs->ops->write(fs->ctx, b->block, fs->block_size, b->data);

	if (err) {
		if (!fs->wb_error)
			fs->wb_error = err;
		printk("ext2 %s: writing block %u: error %d\n", fs->name, b->block, err);
		return err;
	}
	b->dirty = false;
	return 0;
}

static void buf_free(struct ext2_fs *fs, struct ext2_buf *b)
{
	list_del(&b->lru);
	fs->nr_bufs--;
	kfree(b->data);
	kfree(b);
}

/* Trim unreferenced blocks from the cold end down to EXT2_BUF_CACHE_MAX. */
static void buf_shrink(struct ext2_fs *fs)
{
	struct list_head *pos = fs->bufs.prev;

	while (fs->nr_bufs > EXT2_BUF_CACHE_MAX && pos != &fs->bufs) {
		struct ext2_buf *b = list_entry(pos, struct ext2_buf, lru);

		pos = pos->prev;
		if (b->refs || (b->dirty && buf_write(fs, b)))
			continue;
		buf_free(fs, b);
	}
}

/* A cache entry for @block, referenced and most recent; *fresh if new. */
static int buf_get(struct ext2_fs *fs, u32 block, struct ext2_buf **bp, bool *fresh)
{
	struct ext2_buf *b;

	if (block >= fs->blocks_count)
		return ext2_corrupt(fs, NULL, "metadata block %u past the volume end", block);
	b = buf_find(fs, block);
	*fresh = !b;
	if (b) {
		list_del(&b->lru);
	} else {
		b = kmalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			return -ENOMEM;
		b->data = kmalloc(fs->block_size, GFP_KERNEL);
		if (!b->data) {
			kfree(b);
			return -ENOMEM;
		}
		b->block = block;
		b->refs = 0;
		b->dirty = false;
		fs->nr_bufs++;
	}
	list_add(&b->lru, &fs->bufs);
	b->refs++;
	*bp = b;
	return 0;
}

int ext2_bread(struct ext2_fs *fs, u32 block, struct ext2_buf **bp)
{
	bool fresh;
	int err = buf_get(fs, block, bp, &fresh);

	if (err || !fresh)
		return err;
	err = fs->ops->read(fs->ctx, block, fs->block_size, (*bp)->data);
	if (err) {
		printk("ext2 %s: reading block %u: error %d\n", fs->name, block, err);
		buf_free(fs, *bp);
		*bp = NULL;
	}
	return err;
}

int ext2_bzero(struct ext2_fs *fs, u32 block, struct ext2_buf **bp)
{
	bool fresh;
	int err = buf_get(fs, block, bp, &fresh);

	if (err)
		return err;
	memset((*bp)->data, 0, fs->block_size);
	(*bp)->dirty = true;
	return 0;
}

void ext2_brelse(struct ext2_fs *fs, struct ext2_buf *b)
{
	if (!b)
		return;
	b->refs--;
	if (fs->nr_bufs > EXT2_BUF_CACHE_MAX)
		buf_shrink(fs);
}

void ext2_bforget(struct ext2_fs *fs, u32 block)
{
	struct ext2_buf *b = buf_find(fs, block);

	if (b && !b->refs)
		buf_free(fs, b);
}

int ext2_bflush_all(struct ext2_fs *fs)
{
	struct ext2_buf *b;
	int first = 0;

	list_for_each_entry(b, &fs->bufs, lru) {
		if (b->dirty) {
			int err = buf_write(fs, b);

			if (err && !first)
				first = err;
		}
	}
	return first;
}

void ext2_bdestroy(struct ext2_fs *fs)
{
	while (!list_empty(&fs->bufs))
		buf_free(fs, list_first_entry(&fs->bufs, struct ext2_buf, lru));
}

int ext2_data_read(struct ext2_fs *fs, u32 block, void *buf)
{
	struct ext2_buf *b = buf_find(fs, block);

	if (b) {
		memcpy(buf, b->data, fs->block_size);
		return 0;
	}
	return fs->ops->read(fs->ctx, block, fs->block_size, buf);
}

int ext2_data_write(struct ext2_fs *fs, u32 block, const void *buf)
{
	struct ext2_buf *b = buf_find(fs, block);

	if (b) {
		memcpy(b->data, buf, fs->block_size);
		b->dirty = true;
		return 0;
	}
	return fs->ops->write(fs->ctx, block, fs->block_size, buf);
}
