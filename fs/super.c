/*
 * Super blocks and file system types: the registry mount(2) looks names
 * up in, anonymous device numbers for in-memory file systems (Linux's
 * major 0), and sync of every mounted file system.
 *
 * Locking: sb_lock (a spinlock) covers the type list, the super block
 * list and s_active.
 */
#include <pagoda/fs.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/slab.h>

static spinlock_t sb_lock = SPINLOCK_INIT;
static struct file_system_type *file_systems;
static LIST_HEAD(super_blocks);
static u32 next_anon_dev = 1;		/* 0:1, 0:2, ... as Linux's set_anon_super */

int register_filesystem(struct file_system_type *fs)
{
	spin_lock(&sb_lock);
	for (struct file_system_type *t = file_systems; t; t = t->next) {
		if (!strcmp(t->name, fs->name)) {
			spin_unlock(&sb_lock);
			return -EBUSY;
		}
	}
	fs->next = file_systems;
	file_systems = fs;
	spin_unlock(&sb_lock);
	return 0;
}

struct file_system_type *get_fs_type(const char *name)
{
	struct file_system_type *t;

	spin_lock(&sb_lock);
	for (t = file_systems; t; t = t->next)
		if (!strcmp(t->name, name))
			break;
	spin_unlock(&sb_lock);
	return t;
}

struct super_block *alloc_super(struct file_system_type *type, const struct super_operations *op)
{
	struct super_block *sb = kzalloc(sizeof(*sb), GFP_KERNEL);

	if (!sb)
		return NULL;
	sb->s_type = type;
	sb->s_op = op;
	sb->s_next_ino = 1;
	spin_lock(&sb_lock);
	sb->s_dev = next_anon_dev++;		/* major 0 */
	list_add_tail(&sb->s_list, &super_blocks);
	spin_unlock(&sb_lock);
	return sb;
}

/* Drop every pinned dentry below @d (in-memory file systems), children first. */
static void kill_children(struct dentry *d)
{
	for (;;) {
		struct dentry *c = NULL;
		struct list_head *pos;

		spin_lock(&dcache_lock);
		list_for_each(pos, &d->d_subdirs) {
			struct dentry *x = list_entry(pos, struct dentry, d_child);

			if (x->d_hashed) {
				c = x;
				break;
			}
		}
		if (c && c->d_count++ == 0)	/* ours while we work on it */
			list_del_init(&c->d_lru);
		spin_unlock(&dcache_lock);
		if (!c)
			break;
		kill_children(c);
		d_drop(c);
		if (c->d_inode)
			dput(c);		/* the file system's pin */
		dput(c);
	}
}

/* The end of every kill_*_super: the file system's put_super, off the list, freed. */
static void put_super_free(struct super_block *sb)
{
	if (sb->s_op && sb->s_op->put_super)
		sb->s_op->put_super(sb);
	spin_lock(&sb_lock);
	list_del(&sb->s_list);
	spin_unlock(&sb_lock);
	kfree(sb);
}

void kill_litter_super(struct super_block *sb)
{
	if (sb->s_root) {
		shrink_dcache();
		kill_children(sb->s_root);
		dput(sb->s_root);
		sb->s_root = NULL;
	}
	put_super_free(sb);
}

void kill_block_super(struct super_block *sb)
{
	if (sb->s_root) {
		shrink_dcache();		/* the unused dentries, children first */
		dput(sb->s_root);
		sb->s_root = NULL;
	}
	put_super_free(sb);
}

/* sync(2): every super block's metadata (ramfs, procfs: nothing to write), then block devices. */
void sync_filesystems(void)
{
	struct super_block *batch[16];
	unsigned int n = 0;
	struct list_head *pos;

	spin_lock(&sb_lock);
	list_for_each(pos, &super_blocks) {
		struct super_block *sb = list_entry(pos, struct super_block, s_list);

		if (sb->s_active && sb->s_op && sb->s_op->sync_fs && n < ARRAY_SIZE(batch))
			batch[n++] = sb;
	}
	spin_unlock(&sb_lock);
	for (unsigned int i = 0; i < n; i++)
		batch[i]->s_op->sync_fs(batch[i], 1);
	sync_blockdevs();		/* then the block devices' own caches, as Linux's sync_bdevs */
}
