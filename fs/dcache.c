/*
 * The dentry cache: names in directories, found by (parent, name) in a
 * hash table, positive (with an inode) or negative (the name is known to
 * be absent). A dentry holds a reference on its parent and on its inode.
 * Dentries with no references stay cached (the unused list) until
 * shrink_dcache() frees them, or at once when they are no longer hashed.
 * In-memory file systems pin their positive dentries with one extra
 * reference (Linux's ramfs does the same), so only negative and dropped
 * dentries are ever shrunk.
 *
 * Locking: dcache_lock, a spinlock, covers the hash chains, the parent's
 * child lists, d_count, d_inode changes and the unused list. Namespace
 * changes also hold the parent directory's i_rwsem (docs/vfs.md).
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/slab.h>

#define D_HASH_BITS	8
#define D_HASH_SIZE	(1u << D_HASH_BITS)

spinlock_t dcache_lock = SPINLOCK_INIT;
static struct list_head d_hash_table[D_HASH_SIZE];
static bool d_hash_ready;
static LIST_HEAD(dentry_unused);

static void d_hash_init(void)
{
	if (d_hash_ready)
		return;
	for (unsigned int i = 0; i < D_HASH_SIZE; i++)
		list_init(&d_hash_table[i]);
	d_hash_ready = true;
}

struct qstr qstr_hash(const char *name, u32 len)
{
	u32 h = 2166136261u;		/* FNV-1a */

	for (u32 i = 0; i < len; i++)
		h = (h ^ (u8)name[i]) * 16777619u;
	return (struct qstr){ .name = name, .len = len, .hash = h };
}

static struct list_head *d_bucket(const struct dentry *parent, u32 hash)
{
	uintptr_t p = (uintptr_t)parent >> 4;

	return &d_hash_table[(hash ^ (u32)p ^ (u32)(p >> D_HASH_BITS)) & (D_HASH_SIZE - 1)];
}

static bool d_name_is(const struct dentry *d, const struct qstr *name)
{
	return d->d_name.hash == name->hash && d->d_name.len == name->len &&
	       !memcmp(d->d_name.name, name->name, name->len);
}

static struct dentry *__d_alloc(struct super_block *sb, const struct qstr *name)
{
	struct dentry *d = kzalloc(sizeof(*d), GFP_KERNEL);
	char *copy = d ? d->d_iname : NULL;

	if (!d)
		return NULL;
	if (name->len >= DNAME_INLINE_LEN) {
		copy = kmalloc(name->len + 1, GFP_KERNEL);
		if (!copy) {
			kfree(d);
			return NULL;
		}
	}
	memcpy(copy, name->name, name->len);
	copy[name->len] = '\0';
	d->d_name = (struct qstr){ .name = copy, .len = name->len, .hash = name->hash };
	d->d_count = 1;
	d->d_sb = sb;
	d->d_parent = d;
	list_init(&d->d_child);
	list_init(&d->d_subdirs);
	list_init(&d->d_hash);
	list_init(&d->d_lru);
	return d;
}

struct dentry *d_alloc(struct dentry *parent, const struct qstr *name)
{
	struct dentry *d = __d_alloc(parent->d_sb, name);

	if (!d)
		return NULL;
	spin_lock(&dcache_lock);
	parent->d_count++;
	if (parent->d_count == 1)
		list_del_init(&parent->d_lru);
	d->d_parent = parent;
	list_add_tail(&d->d_child, &parent->d_subdirs);
	spin_unlock(&dcache_lock);
	return d;
}

struct dentry *d_make_root(struct inode *inode)
{
	struct qstr name = qstr_hash("/", 1);
	struct dentry *d;

	d_hash_init();
	d = __d_alloc(inode->i_sb, &name);
	if (!d) {
		iput(inode);
		return NULL;
	}
	d->d_inode = inode;
	return d;
}

struct dentry *dget(struct dentry *d)
{
	spin_lock(&dcache_lock);
	if (d->d_count++ == 0)
		list_del_init(&d->d_lru);
	spin_unlock(&dcache_lock);
	return d;
}

static void d_free(struct dentry *d)
{
	if (d->d_name.name != d->d_iname)
		kfree((void *)d->d_name.name);
	kfree(d);
}

/*
 * Free @d (count 0, unhashed; dcache_lock held, and held again on return):
 * off its parent's list, its inode put. Returns its parent if that lost
 * its last reference and is unhashed (it must go too), else NULL.
 */
static struct dentry *d_kill(struct dentry *d)
{
	struct dentry *parent = d->d_parent == d ? NULL : d->d_parent;
	struct inode *inode = d->d_inode;
	struct dentry *next = NULL;

	list_del_init(&d->d_child);
	list_del_init(&d->d_lru);
	d->d_inode = NULL;
	if (parent && --parent->d_count == 0 && parent->d_parent != parent) {
		if (parent->d_hashed)
			list_add_tail(&parent->d_lru, &dentry_unused);
		else
			next = parent;
	}
	spin_unlock(&dcache_lock);
	iput(inode);
	d_free(d);
	spin_lock(&dcache_lock);
	return next;
}

void dput(struct dentry *d)
{
	if (!d)
		return;
	spin_lock(&dcache_lock);
	while (d) {
		if (--d->d_count > 0)
			break;
		if (d->d_hashed) {
			list_add_tail(&d->d_lru, &dentry_unused);
			break;
		}
		if (d->d_parent == d) {		/* an unmounted root: its super block frees it */
			spin_unlock(&dcache_lock);
			iput(d->d_inode);
			d_free(d);
			return;
		}
		d = d_kill(d);
	}
	spin_unlock(&dcache_lock);
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
	spin_lock(&dcache_lock);
	d->d_inode = inode;
	spin_unlock(&dcache_lock);
}

static void __d_rehash(struct dentry *d)
{
	list_add(&d->d_hash, d_bucket(d->d_parent, d->d_name.hash));
	d->d_hashed = true;
}

void d_rehash(struct dentry *d)
{
	spin_lock(&dcache_lock);
	if (!d->d_hashed)
		__d_rehash(d);
	spin_unlock(&dcache_lock);
}

void d_add(struct dentry *d, struct inode *inode)
{
	spin_lock(&dcache_lock);
	d->d_inode = inode;
	if (!d->d_hashed)
		__d_rehash(d);
	spin_unlock(&dcache_lock);
}

static void __d_drop(struct dentry *d)
{
	if (d->d_hashed) {
		list_del_init(&d->d_hash);
		d->d_hashed = false;
	}
}

void d_drop(struct dentry *d)
{
	spin_lock(&dcache_lock);
	__d_drop(d);
	spin_unlock(&dcache_lock);
}

struct dentry *d_lookup(struct dentry *parent, const struct qstr *name)
{
	struct list_head *head = d_bucket(parent, name->hash), *pos;
	struct dentry *found = NULL;

	spin_lock(&dcache_lock);
	list_for_each(pos, head) {
		struct dentry *d = list_entry(pos, struct dentry, d_hash);

		if (d->d_parent == parent && d_name_is(d, name)) {
			if (d->d_count++ == 0)
				list_del_init(&d->d_lru);
			found = d;
			break;
		}
	}
	spin_unlock(&dcache_lock);
	return found;
}

void d_delete(struct dentry *d)
{
	struct inode *inode = NULL;

	spin_lock(&dcache_lock);
	if (d->d_count == 1) {			/* only the caller: it turns negative */
		inode = d->d_inode;
		d->d_inode = NULL;
	} else {				/* in use (open): it leaves the cache */
		__d_drop(d);
	}
	spin_unlock(&dcache_lock);
	iput(inode);
}

void d_move(struct dentry *d, struct dentry *target)
{
	struct dentry *old_parent;
	struct qstr name;
	char *copy;

	/* the new name first (it may need memory) */
	if (target->d_name.len >= DNAME_INLINE_LEN) {
		copy = kmalloc(target->d_name.len + 1, GFP_KERNEL);
		if (!copy)		/* keep the old name: lookups of the new one miss */
			copy = NULL;
	} else {
		copy = NULL;
	}
	spin_lock(&dcache_lock);
	__d_drop(target);
	__d_drop(d);
	if (d->d_name.name != d->d_iname)
		kfree((void *)d->d_name.name);
	if (target->d_name.len < DNAME_INLINE_LEN) {
		memcpy(d->d_iname, target->d_name.name, target->d_name.len + 1);
		name = (struct qstr){ d->d_iname, target->d_name.len, target->d_name.hash };
	} else if (copy) {
		memcpy(copy, target->d_name.name, target->d_name.len + 1);
		name = (struct qstr){ copy, target->d_name.len, target->d_name.hash };
	} else {
		name = (struct qstr){ d->d_iname, 0, 0 };
		d->d_iname[0] = '\0';
	}
	d->d_name = name;
	old_parent = d->d_parent;
	if (old_parent != target->d_parent) {
		list_del(&d->d_child);
		d->d_parent = target->d_parent;
		d->d_parent->d_count++;		/* the child's reference moves too */
		list_add_tail(&d->d_child, &d->d_parent->d_subdirs);
	}
	__d_rehash(d);
	spin_unlock(&dcache_lock);
	if (old_parent != d->d_parent)
		dput(old_parent);
}

bool d_has_positive_child(struct dentry *dir)
{
	struct list_head *pos;
	bool any = false;

	spin_lock(&dcache_lock);
	list_for_each(pos, &dir->d_subdirs) {
		struct dentry *c = list_entry(pos, struct dentry, d_child);

		if (c->d_inode && c->d_hashed) {
			any = true;
			break;
		}
	}
	spin_unlock(&dcache_lock);
	return any;
}

unsigned long shrink_dcache(void)
{
	unsigned long n = 0;

	spin_lock(&dcache_lock);
	while (!list_empty(&dentry_unused)) {
		struct dentry *d = list_entry(dentry_unused.next, struct dentry, d_lru);

		list_del_init(&d->d_lru);
		if (d->d_count || !list_empty(&d->d_subdirs) || d->d_parent == d)
			continue;
		__d_drop(d);
		n++;
		for (struct dentry *p = d_kill(d); p; p = d_kill(p))
			n++;
	}
	spin_unlock(&dcache_lock);
	return n;
}
