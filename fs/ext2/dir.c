/*
 * Directories: linear walks over the records of each block. Every record
 * is checked before it is used (rec_len a multiple of 4, at least 12 and
 * the size of its name, not crossing the block, inode number in range), so
 * a bad record stops the walk with -EUCLEAN and cannot make it loop.
 * An htree (dir_index) directory is read the same way: its index blocks
 * look like empty records. Any change clears its EXT2_INDEX_FL, as Linux's
 * ext2 does, and it stays a valid linear directory.
 */
#include "ext2_priv.h"

#define NO_RECORD	0xffffffffu

/* One record of a walk; the callback may change it and dirty w->b. */
struct dir_walk {
	struct ext2_inode *dir;
	u64 lblk;
	struct ext2_buf *b;
	u32 off, prev;			/* this record; the previous one or NO_RECORD */
	struct ext2_dir_entry *de;
	u32 rec_len, name_len;
};

/* 0: go on; > 0: stop, the walk returns it; < 0: an error. */
typedef int (*dir_walk_fn)(struct ext2_fs *fs, struct dir_walk *w, void *arg);

static u32 rec_len_from_disk(const struct ext2_fs *fs, __le16 v)
{
	u32 len = le16_to_cpu(v);

	return fs->block_size == 65536 && (len == 0 || len == 65535) ? 65536 : len;
}

static __le16 rec_len_to_disk(u32 len)
{
	return cpu_to_le16(len == 65536 ? 65535 : (u16)len);
}

static void set_rec_len(struct ext2_dir_entry *de, u32 len)
{
	de->rec_len = rec_len_to_disk(len);
}

static int check_record(struct ext2_fs *fs, struct dir_walk *w)
{
	u32 room = fs->block_size - w->off;
	struct ext2_dir_entry *de = (struct ext2_dir_entry *)(w->b->data + w->off);
	u32 ino;

	if (room < EXT2_DIR_REC_LEN(1))
		goto bad;
	w->de = de;
	w->rec_len = rec_len_from_disk(fs, de->rec_len);
	w->name_len = fs->filetype ? de->name_len : de->name_len | (u32)de->file_type << 8;
	ino = le32_to_cpu(de->inode);
	if (w->rec_len < EXT2_DIR_REC_LEN(1) || w->rec_len % 4 || w->rec_len > room ||
	    w->rec_len < EXT2_DIR_REC_LEN(w->name_len) || ino > fs->inodes_count)
		goto bad;
	return 0;
bad:
	return ext2_corrupt(fs, w->dir, "directory block %llu offset %u: bad entry",
			    (unsigned long long)w->lblk, w->off);
}

/* The block holding directory block @lblk, read through the cache. */
static int dir_block(struct ext2_fs *fs, struct ext2_inode *dir, u64 lblk, struct ext2_buf **bp)
{
	u32 pblock;
	bool new;
	int err = ext2_get_block(fs, dir, lblk, false, &pblock, &new);

	if (err)
		return err;
	if (!pblock)
		return ext2_corrupt(fs, dir, "hole at directory block %llu", (unsigned long long)lblk);
	return ext2_bread(fs, pblock, bp);
}

/* Call @fn for each record from byte position @pos on (see ext2_dir_iterate). */
static int dir_walk(struct ext2_fs *fs, struct ext2_inode *dir, u64 pos, dir_walk_fn fn, void *arg)
{
	struct dir_walk w = { .dir = dir };
	u64 nblocks = dir->size / fs->block_size;

	if (!ext2_is_dir(dir))
		return -ENOTDIR;
	for (w.lblk = pos / fs->block_size; w.lblk < nblocks; w.lblk++) {
		u32 skip = w.lblk == pos / fs->block_size ? pos % fs->block_size : 0;
		int ret = dir_block(fs, dir, w.lblk, &w.b);

		if (ret)
			return ret;
		w.prev = NO_RECORD;
		for (w.off = 0; w.off < fs->block_size && !ret; w.off += w.rec_len) {
			ret = check_record(fs, &w);
			if (!ret && w.off >= skip)
				ret = fn(fs, &w, arg);
			w.prev = w.off;
		}
		ext2_brelse(fs, w.b);
		if (ret)
			return ret;
	}
	return 0;
}

static bool record_is(const struct dir_walk *w, const char *name, size_t len)
{
	return le32_to_cpu(w->de->inode) && w->name_len == len && !memcmp(w->de->name, name, len);
}

static int check_name(size_t len)
{
	if (!len)
		return -ENOENT;
	return len > EXT2_NAME_LEN ? -ENAMETOOLONG : 0;
}

u8 ext2_mode_to_ft(u16 mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR: return EXT2_FT_DIR;
	case EXT2_S_IFCHR: return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK: return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO: return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK: return EXT2_FT_SOCK;
	case EXT2_S_IFLNK: return EXT2_FT_SYMLINK;
	}
	return EXT2_FT_UNKNOWN;
}

unsigned int ext2_ft_to_dt(u8 file_type)
{
	static const u8 dt[EXT2_FT_MAX] = { 0, 8, 4, 2, 6, 1, 12, 10 };

	return file_type < EXT2_FT_MAX ? dt[file_type] : 0;
}

void ext2_dir_drop_index(struct ext2_inode *dir)
{
	dir->flags &= ~EXT2_INDEX_FL;
}

/* A change to @dir's records: times, the index flag, the inode written. */
static int dir_changed(struct ext2_fs *fs, struct ext2_inode *dir)
{
	ext2_dir_drop_index(dir);
	dir->mtime = dir->ctime = ext2_now(fs);
	return ext2_write_inode(fs, dir);
}

static void fill_record(struct ext2_fs *fs, struct ext2_dir_entry *de, const char *name,
			size_t len, u32 ino, u16 mode)
{
	de->inode = cpu_to_le32(ino);
	de->name_len = (u8)len;
	de->file_type = fs->filetype ? ext2_mode_to_ft(mode) : 0;
	memcpy(de->name, name, len);
}

/* ---- the entry of one name: lookup, remove, repoint ---- */

enum named_op { NAMED_LOOKUP, NAMED_REMOVE, NAMED_SET };

struct named_arg {
	const char *name;
	size_t len;
	enum named_op op;
	u32 ino;			/* found; for NAMED_SET, the new one */
	u16 mode;			/* NAMED_SET: the new file type */
};

static int named_fn(struct ext2_fs *fs, struct dir_walk *w, void *arg)
{
	struct named_arg *a = arg;
	struct ext2_dir_entry *prev;

	if (!record_is(w, a->name, a->len))
		return 0;
	switch (a->op) {
	case NAMED_LOOKUP:
		a->ino = le32_to_cpu(w->de->inode);
		return 1;
	case NAMED_REMOVE:	/* merge into the previous record, or mark unused */
		a->ino = le32_to_cpu(w->de->inode);
		if (w->prev == NO_RECORD) {
			w->de->inode = cpu_to_le32(0);
		} else {
			prev = (struct ext2_dir_entry *)(w->b->data + w->prev);
			set_rec_len(prev, rec_len_from_disk(fs, prev->rec_len) + w->rec_len);
		}
		break;
	case NAMED_SET:
		w->de->inode = cpu_to_le32(a->ino);
		if (fs->filetype)
			w->de->file_type = ext2_mode_to_ft(a->mode);
		break;
	}
	ext2_bdirty(w->b);
	return 1;
}

/* Walk to @a->name and apply @a->op; -ENOENT when it is not there. */
static int named(struct ext2_fs *fs, struct ext2_inode *dir, struct named_arg *a)
{
	int ret = a->op == NAMED_LOOKUP ? 0 : ext2_check_rw(fs);

	if (!ret)
		ret = check_name(a->len);
	if (!ret)
		ret = dir_walk(fs, dir, 0, named_fn, a);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	return a->op == NAMED_LOOKUP ? 0 : dir_changed(fs, dir);
}

int ext2_dir_lookup(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		    size_t len, u32 *ino)
{
	struct named_arg a = { .name = name, .len = len, .op = NAMED_LOOKUP };
	int ret = named(fs, dir, &a);

	if (!ret)
		*ino = a.ino;
	return ret;
}

int ext2_dir_remove(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		    size_t len, u32 *ino)
{
	struct named_arg a = { .name = name, .len = len, .op = NAMED_REMOVE };
	int ret = named(fs, dir, &a);

	if (!ret && ino)
		*ino = a.ino;
	return ret;
}

int ext2_dir_set_entry(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		       size_t len, u32 ino, u16 mode)
{
	struct named_arg a = { .name = name, .len = len, .op = NAMED_SET, .ino = ino, .mode = mode };

	return named(fs, dir, &a);
}

int ext2_dir_set_dotdot(struct ext2_fs *fs, struct ext2_inode *dir, u32 parent_ino)
{
	return ext2_dir_set_entry(fs, dir, "..", 2, parent_ino, EXT2_S_IFDIR);
}

/* ---- iterate ---- */

struct iterate_arg {
	ext2_dir_actor actor;
	void *arg;
	u64 *pos;
};

static int iterate_fn(struct ext2_fs *fs, struct dir_walk *w, void *arg)
{
	struct iterate_arg *a = arg;
	u64 here = w->lblk * fs->block_size + w->off, next = here + w->rec_len;
	u32 ino = le32_to_cpu(w->de->inode);

	*a->pos = here;
	if (ino && a->actor(a->arg, w->de->name, w->name_len, ino,
			    fs->filetype ? ext2_ft_to_dt(w->de->file_type) : 0, next))
		return 1;
	*a->pos = next;
	return 0;
}

int ext2_dir_iterate(struct ext2_fs *fs, struct ext2_inode *dir, u64 *pos,
		     ext2_dir_actor actor, void *arg)
{
	struct iterate_arg a = { actor, arg, pos };
	int ret;

	if (*pos >= dir->size)
		return 0;
	ret = dir_walk(fs, dir, *pos, iterate_fn, &a);
	if (!ret && *pos < dir->size)
		*pos = dir->size;
	return ret < 0 ? ret : 0;
}

/* ---- add ---- */

struct add_arg {
	const char *name;
	size_t len;
	u32 ino;
	u16 mode;
};

/* Put the entry in this record's slack, or in the record itself if unused. */
static int add_fn(struct ext2_fs *fs, struct dir_walk *w, void *arg)
{
	struct add_arg *a = arg;
	u32 need = EXT2_DIR_REC_LEN(a->len), used;
	struct ext2_dir_entry *de = w->de;

	used = le32_to_cpu(de->inode) ? EXT2_DIR_REC_LEN(w->name_len) : 0;
	if (w->rec_len - used < need)
		return 0;
	if (used) {
		set_rec_len(de, used);
		de = (struct ext2_dir_entry *)((u8 *)de + used);
		set_rec_len(de, w->rec_len - used);
	}
	fill_record(fs, de, a->name, a->len, a->ino, a->mode);
	ext2_bdirty(w->b);
	return 1;
}

/* Map directory block @lblk (allocating it) and give it zeroed, for filling. */
static int new_dir_block(struct ext2_fs *fs, struct ext2_inode *dir, u64 lblk,
			 struct ext2_buf **bp)
{
	u32 pblock;
	bool new;
	int err = ext2_get_block(fs, dir, lblk, true, &pblock, &new);

	return err ? err : ext2_bzero(fs, pblock, bp);
}

/* A new last block holding only the entry. */
static int add_block(struct ext2_fs *fs, struct ext2_inode *dir, struct add_arg *a)
{
	u64 lblk = dir->size / fs->block_size;
	struct ext2_dir_entry *de;
	struct ext2_buf *b;
	int err;

	if (dir->size + fs->block_size > 0xffffffffull)
		return -EFBIG;
	err = new_dir_block(fs, dir, lblk, &b);
	if (err)
		return err;
	de = (struct ext2_dir_entry *)b->data;
	set_rec_len(de, fs->block_size);
	fill_record(fs, de, a->name, a->len, a->ino, a->mode);
	ext2_brelse(fs, b);
	dir->size += fs->block_size;
	return 0;
}

int ext2_dir_add(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
		 size_t len, u32 ino, u16 mode)
{
	struct add_arg a = { name, len, ino, mode };
	u32 found;
	int ret = ext2_check_rw(fs);

	if (!ret)
		ret = check_name(len);
	if (!ret)
		ret = ext2_dir_lookup(fs, dir, name, len, &found);
	if (!ret)
		return -EEXIST;
	if (ret != -ENOENT)
		return ret;
	ret = dir_walk(fs, dir, 0, add_fn, &a);
	if (!ret)
		ret = add_block(fs, dir, &a);
	if (ret < 0)
		return ret;
	return dir_changed(fs, dir);
}

/* ---- empty, init ---- */

static int nonempty_fn(struct ext2_fs *fs, struct dir_walk *w, void *arg)
{
	if (!le32_to_cpu(w->de->inode) || record_is(w, ".", 1) || record_is(w, "..", 2))
		return 0;
	return 1;
}

int ext2_dir_is_empty(struct ext2_fs *fs, struct ext2_inode *dir)
{
	int ret = dir_walk(fs, dir, 0, nonempty_fn, NULL);

	return ret < 0 ? ret : !ret;
}

int ext2_dir_init(struct ext2_fs *fs, struct ext2_inode *dir, u32 parent_ino)
{
	struct ext2_dir_entry *de;
	struct ext2_buf *b;
	int err = new_dir_block(fs, dir, 0, &b);

	if (err)
		return err;
	de = (struct ext2_dir_entry *)b->data;
	set_rec_len(de, EXT2_DIR_REC_LEN(1));
	fill_record(fs, de, ".", 1, dir->ino, EXT2_S_IFDIR);
	de = (struct ext2_dir_entry *)(b->data + EXT2_DIR_REC_LEN(1));
	set_rec_len(de, fs->block_size - EXT2_DIR_REC_LEN(1));
	fill_record(fs, de, "..", 2, parent_ino, EXT2_S_IFDIR);
	ext2_brelse(fs, b);
	dir->size = fs->block_size;
	return ext2_write_inode(fs, dir);
}
