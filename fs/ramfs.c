/*
 * ramfs (also mounted as "tmpfs"): a writable file system that lives in
 * the dcache and the page cache and nowhere else, as Linux's ramfs.
 * Regular files keep their bytes in page-cache pages (AS_UNEVICTABLE:
 * there is no backing store, so a page once cached stays until truncate
 * or the file goes); those pages are uptodate from the moment they are
 * written and never dirty (nothing to write back), and a hole reads as
 * zeros (->read_folio fills a zero page). Directories are their dentries'
 * child lists; each positive dentry is pinned by one extra reference
 * taken at create and dropped at unlink, so the dcache never forgets a
 * file. Symlinks keep their target in i_link. Device nodes get the
 * driver by number at open (init_special_inode).
 *
 * The root file system is a ramfs the initrd is unpacked into
 * (fs/cpio.c), /dev a devtmpfs (the same code, fs/console.c).
 *
 * Locking: the VFS holds the parent directory's i_rwsem for writing
 * around every namespace change; file writes and truncate hold the
 * file's i_rwsem.
 */
#include <pagoda/fs.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/init.h>
#include <pagoda/string.h>
#include <pagoda/sched.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/page_ref.h>
#include <mm/slab.h>

static const struct inode_operations ramfs_dir_iops;
static const struct inode_operations ramfs_file_iops;
static const struct inode_operations ramfs_symlink_iops;
static const struct file_operations ramfs_file_fops;
const struct file_operations simple_dir_fops;

static u8 *page_kaddr(struct address_space *mapping, struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(mapping->pmm, page)));
}

/* ->read_folio: a page never written is a hole: zeros. */
static int ramfs_read_folio(struct file *f, struct page *page)
{
	memset(page_kaddr(page->mapping, page), 0, PAGE_SIZE);
	page_set_flag(page, PG_uptodate);
	unlock_page(page);
	return 0;
}

/*
 * ->write_begin: a new page is zeros around what the write will copy.
 * A sealed file (i_rwsem held by the writer) refuses, as Linux's
 * shmem_write_begin: any write under F_SEAL_WRITE/F_SEAL_FUTURE_WRITE,
 * one past the end under F_SEAL_GROW (-EPERM; a write that already
 * copied earlier pages returns short).
 */
static int ramfs_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
			     unsigned int len, struct page *page)
{
	size_t from = (size_t)pos & (PAGE_SIZE - 1);
	unsigned int seals = mapping->host->i_seals;
	u8 *kaddr;

	if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if ((seals & F_SEAL_GROW) && pos + len > i_size_read(mapping->host))
		return -EPERM;

	if (PageUptodate(page))
		return 0;
	kaddr = page_kaddr(mapping, page);
	memset(kaddr, 0, from);
	memset(kaddr + from + len, 0, PAGE_SIZE - from - len);
	return 0;
}

/* ->write_end: uptodate whatever was copied (a short copy left zeros), never dirty. */
static int ramfs_write_end(struct file *file, struct address_space *mapping, loff_t pos,
			   unsigned int len, unsigned int copied, struct page *page)
{
	if (!PageUptodate(page)) {
		size_t from = (size_t)pos & (PAGE_SIZE - 1);

		if (copied < len)
			memset(page_kaddr(mapping, page) + from + copied, 0, len - copied);
		page_set_flag(page, PG_uptodate);
	}
	return (int)copied;
}

/* ->dirty_folio: no backing store, nothing to write: a page is never dirty (Linux's noop_dirty_folio). */
static bool noop_dirty_folio(struct address_space *mapping, struct page *page)
{
	return false;
}

static const struct address_space_operations ramfs_aops = {
	.read_folio = ramfs_read_folio,
	.write_begin = ramfs_write_begin,
	.write_end = ramfs_write_end,
	.dirty_folio = noop_dirty_folio,
};

static struct file_system_type tmpfs_type;

struct inode *ramfs_get_inode(struct super_block *sb, const struct inode *dir, u32 mode, u32 rdev)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_mode = mode;
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &ramfs_file_iops;
		inode->i_fop = &ramfs_file_fops;
		inode_init_mapping(inode, &ramfs_aops,
				   AS_UNEVICTABLE | (sb->s_type == &tmpfs_type ? AS_SHMEM : 0));
		inode->i_seals = F_SEAL_SEAL;	/* tmpfs: sealing off unless memfd allows it */
		break;
	case S_IFDIR:
		inode->i_op = &ramfs_dir_iops;
		inode->i_fop = &simple_dir_fops;
		inode->i_nlink = 2;
		break;
	case S_IFLNK:
		inode->i_op = &ramfs_symlink_iops;
		break;
	default:
		init_special_inode(inode, mode, rdev);
		break;
	}
	return inode;
}

static void dir_changed(struct inode *dir)
{
	dir->i_mtime = dir->i_ctime = current_time();
}

/* Attach a new inode to @d and pin the dentry (ramfs keeps it until unlink). */
static void ramfs_instantiate(struct inode *dir, struct dentry *d, struct inode *inode)
{
	d_instantiate(d, inode);
	dget(d);
	dir_changed(dir);
}

static int ramfs_mknod(struct inode *dir, struct dentry *d, u32 mode, u32 rdev)
{
	struct inode *inode = ramfs_get_inode(dir->i_sb, dir, mode, rdev);

	if (!inode)
		return -ENOSPC;
	ramfs_instantiate(dir, d, inode);
	return 0;
}

static int ramfs_create(struct inode *dir, struct dentry *d, u32 mode)
{
	return ramfs_mknod(dir, d, mode | S_IFREG, 0);
}

static int ramfs_mkdir(struct inode *dir, struct dentry *d, u32 mode)
{
	int err = ramfs_mknod(dir, d, mode | S_IFDIR, 0);

	if (!err)
		inc_nlink(dir);
	return err;
}

static int ramfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	size_t n = strlen(target);
	struct inode *inode;

	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	inode = ramfs_get_inode(dir->i_sb, dir, S_IFLNK | 0777, 0);
	if (!inode)
		return -ENOSPC;
	inode->i_link = kmalloc(n + 1, GFP_KERNEL);
	if (!inode->i_link) {
		iput(inode);
		return -ENOMEM;
	}
	memcpy(inode->i_link, target, n + 1);
	i_size_write(inode, (loff_t)n);
	ramfs_instantiate(dir, d, inode);
	return 0;
}

static int ramfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct inode *inode = old->d_inode;

	inode->i_ctime = current_time();
	inc_nlink(inode);
	ramfs_instantiate(dir, d, igrab(inode));
	return 0;
}

/* Any positive child? (ENOTEMPTY) */
int simple_empty(struct dentry *dir)
{
	return !d_has_positive_child(dir);
}

static int ramfs_unlink(struct inode *dir, struct dentry *d)
{
	struct inode *inode = d->d_inode;

	inode->i_ctime = current_time();
	drop_nlink(inode);
	dir_changed(dir);
	dput(d);			/* the pin */
	return 0;
}

static int ramfs_rmdir(struct inode *dir, struct dentry *d)
{
	if (!simple_empty(d))
		return -ENOTEMPTY;
	drop_nlink(d->d_inode);
	drop_nlink(dir);
	return ramfs_unlink(dir, d);
}

static int ramfs_rename(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
			struct dentry *new, unsigned int flags)
{
	bool dir = S_ISDIR(old->d_inode->i_mode);

	if (new->d_inode) {
		if (dir && !simple_empty(new))
			return -ENOTEMPTY;
		if (dir) {
			drop_nlink(new->d_inode);
			drop_nlink(new_dir);
		}
		ramfs_unlink(new_dir, new);
	}
	if (dir && old_dir != new_dir) {
		drop_nlink(old_dir);
		inc_nlink(new_dir);
	}
	dir_changed(old_dir);
	dir_changed(new_dir);
	old->d_inode->i_ctime = current_time();
	return 0;
}

/* ->lookup: every name ramfs has is in the dcache, so a miss is a negative dentry. */
struct dentry *simple_lookup(struct inode *dir, struct dentry *d)
{
	if (d->d_name.len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	d_add(d, NULL);
	return NULL;
}

static const char *ramfs_get_link(struct dentry *d, struct inode *inode)
{
	return inode->i_link;
}

/*
 * truncate: the new size, then the pages past it go (unmapped first) and
 * the tail is zeroed. F_SEAL_SHRINK/F_SEAL_GROW refuse a smaller/larger
 * size (-EPERM, Linux's shmem_setattr).
 */
static int ramfs_setsize(struct dentry *d, loff_t size)
{
	struct inode *inode = d->d_inode;
	loff_t old = i_size_read(inode);

	if (((inode->i_seals & F_SEAL_SHRINK) && size < old) ||
	    ((inode->i_seals & F_SEAL_GROW) && size > old))
		return -EPERM;

	i_size_write(inode, size);
	if (size < old)
		truncate_pagecache(inode, size);
	inode->i_mtime = inode->i_ctime = current_time();
	return 0;
}

static const struct inode_operations ramfs_dir_iops = {
	.lookup = simple_lookup,
	.create = ramfs_create,
	.mkdir = ramfs_mkdir,
	.mknod = ramfs_mknod,
	.symlink = ramfs_symlink,
	.link = ramfs_link,
	.unlink = ramfs_unlink,
	.rmdir = ramfs_rmdir,
	.rename = ramfs_rename,
};

static const struct inode_operations ramfs_file_iops = {
	.setsize = ramfs_setsize,
};

static const struct inode_operations ramfs_symlink_iops = {
	.get_link = ramfs_get_link,
};

/* fsync: nothing to write (no backing store), only errors to report (none). */
static int noop_fsync(struct file *f, loff_t start, loff_t end, int datasync)
{
	return 0;
}

#define FALLOC_FL_KEEP_SIZE	0x01

/*
 * fallocate(2) of tmpfs (Linux's shmem_fallocate, mode 0 and KEEP_SIZE):
 * every page of the range is put in the cache (zeros where there was
 * none), then the size grows to the range's end unless KEEP_SIZE; mtime
 * and ctime are now. Out of memory is -ENOSPC (the pages added so far
 * stay). Under F_SEAL_GROW a range past the end is -EPERM, even with
 * KEEP_SIZE (as Linux's). ramfs has no fallocate in Linux: -EOPNOTSUPP, as there, and so
 * is any other mode (PUNCH_HOLE, ZERO_RANGE... are not done here).
 */
static long ramfs_fallocate(struct file *f, int mode, loff_t off, loff_t len)
{
	struct inode *inode = f->inode;
	struct address_space *mapping = inode->i_mapping;
	pgoff_t idx, last = (pgoff_t)((off + len - 1) >> PAGE_SHIFT);
	long err = 0;

	if (inode->i_sb->s_type != &tmpfs_type || (mode & ~FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	down_write(&inode->i_rwsem);
	if ((inode->i_seals & F_SEAL_GROW) && off + len > i_size_read(inode)) {	/* KEEP_SIZE too */
		up_write(&inode->i_rwsem);
		return -EPERM;
	}
	for (idx = (pgoff_t)(off >> PAGE_SHIFT); idx <= last; idx++) {
		struct page *page = read_mapping_page(mapping, idx, f);

		if (IS_ERR(page)) {
			err = PTR_ERR(page) == -ENOMEM ? -ENOSPC : PTR_ERR(page);
			break;
		}
		put_page(mapping->pmm, page);
		if (current_fatal_signal_pending()) {
			err = -EINTR;
			break;
		}
	}
	if (!err && !(mode & FALLOC_FL_KEEP_SIZE) && off + len > i_size_read(inode))
		i_size_write(inode, off + len);
	if (!err)
		inode->i_mtime = inode->i_ctime = current_time();
	up_write(&inode->i_rwsem);
	return err;
}

/* ---- file seals (tmpfs files, memfd_create; Linux's mm/memfd.c) ---- */

#define F_ALL_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
			 F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

unsigned int *shmem_seals(struct inode *inode)
{
	if (!inode || !inode->i_sb || inode->i_sb->s_type != &tmpfs_type || !S_ISREG(inode->i_mode))
		return NULL;
	return &inode->i_seals;
}

/* Is some shared mapping of @mapping able to write it (VM_SHARED with VM_MAYWRITE)? */
static bool mapped_writable(struct address_space *mapping)
{
	struct vm_area_struct *vma;
	bool found = false;

	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE)) {
			found = true;
			break;
		}
	}
	up_read(&mapping->i_mmap_rwsem);
	return found;
}

/*
 * F_ADD_SEALS: -EPERM unless open for writing or once F_SEAL_SEAL is on,
 * -EINVAL for an unknown seal or a file that cannot be sealed, -EBUSY
 * for F_SEAL_WRITE while a shared mapping may write the file. F_SEAL_EXEC
 * on a file with an x bit brings the write seals along (W^X, Linux's).
 */
long shmem_add_seals(struct file *f, unsigned long seals)
{
	struct inode *inode = f->inode;
	unsigned int *cur;
	long err = 0;

	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EPERM;
	if (seals & ~(unsigned long)F_ALL_SEALS)
		return -EINVAL;
	down_write(&inode->i_rwsem);
	cur = shmem_seals(inode);
	if (!cur)
		err = -EINVAL;
	else if (*cur & F_SEAL_SEAL)
		err = -EPERM;
	if (!err && (seals & F_SEAL_EXEC) && (inode->i_mode & 0111))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	if (!err && (seals & F_SEAL_WRITE) && !(*cur & F_SEAL_WRITE) &&
	    mapped_writable(inode->i_mapping))
		err = -EBUSY;
	if (!err)
		*cur |= (unsigned int)seals;
	up_write(&inode->i_rwsem);
	return err;
}

/*
 * ->mmap of tmpfs files: under F_SEAL_WRITE/F_SEAL_FUTURE_WRITE a shared
 * writable mapping is -EPERM and a shared read-only one can never become
 * writable (VM_MAYWRITE off: mprotect is then -EACCES), as Linux's.
 */
static int ramfs_mmap(struct file *f, struct vm_area_struct *vma)
{
	if ((f->inode->i_seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) &&
	    (vma->vm_flags & VM_SHARED)) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	return generic_file_mmap(f, vma);
}

static const struct file_operations ramfs_file_fops = {
	.read_iter = filemap_read,
	.write_iter = generic_file_write_iter,
	.mmap = ramfs_mmap,
	.fallocate = ramfs_fallocate,
	.seekable = true,
};

/* ---- directories of in-memory file systems (ramfs, procfs) ---- */

static long dir_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return -EISDIR;
}

static unsigned int dtype(u32 mode)
{
	return (mode >> 12) & 15;
}

/*
 * getdents64 of a directory kept in the dcache: ".", "..", then the
 * positive children in creation order; f->pos counts entries.
 */
static int dcache_readdir(struct file *f,
			  bool (*emit)(void *ctx, const char *name, u32 len, u64 ino,
				       unsigned int type, u64 next_pos),
			  void *ctx)
{
	struct dentry *dir = f->f_path.dentry;
	struct list_head *pos;
	u64 n = 0;

	if (f->pos == 0) {
		if (!emit(ctx, ".", 1, dir->d_inode->i_ino, dtype(S_IFDIR), 1))
			return 0;
		f->pos = 1;
	}
	if (f->pos == 1) {
		struct dentry *parent = dir->d_parent;

		if (!emit(ctx, "..", 2, parent->d_inode ? parent->d_inode->i_ino : 1,
			  dtype(S_IFDIR), 2))
			return 0;
		f->pos = 2;
	}
	spin_lock(&dcache_lock);
	list_for_each(pos, &dir->d_subdirs) {
		struct dentry *c = list_entry(pos, struct dentry, d_child);

		if (!c->d_inode || !c->d_hashed)
			continue;
		if (n++ < f->pos - 2)
			continue;
		if (!emit(ctx, c->d_name.name, c->d_name.len, c->d_inode->i_ino,
			  dtype(c->d_inode->i_mode), f->pos + 1))
			break;
		f->pos++;
	}
	spin_unlock(&dcache_lock);
	return 0;
}

const struct file_operations simple_dir_fops = {
	.read_iter = dir_read_iter,
	.iterate = dcache_readdir,
	.fsync = noop_fsync,
	.seekable = true,
};

/* ---- the file system types ---- */

static const struct super_operations ramfs_sops = {
	.sync_fs = NULL,
};

/* A fresh ramfs super block with its root directory (mode 0755, or 01777 for tmpfs). */
struct super_block *ramfs_make_super(struct file_system_type *type, u32 root_mode)
{
	struct super_block *sb = alloc_super(type, &ramfs_sops);
	struct inode *root;

	if (!sb)
		return ERR_PTR(-ENOMEM);
	root = ramfs_get_inode(sb, NULL, S_IFDIR | root_mode, 0);
	sb->s_root = root ? d_make_root(root) : NULL;
	if (!sb->s_root) {
		kill_litter_super(sb);
		return ERR_PTR(-ENOMEM);
	}
	return sb;
}

static struct super_block *ramfs_mount(struct file_system_type *type, int flags, const char *dev,
				       void *data)
{
	return ramfs_make_super(type, 0755);
}

static struct super_block *tmpfs_mount(struct file_system_type *type, int flags, const char *dev,
				       void *data)
{
	return ramfs_make_super(type, 01777);
}

static struct file_system_type ramfs_type = {
	.name = "ramfs",
	.mount = ramfs_mount,
	.kill_sb = kill_litter_super,
};

static struct file_system_type tmpfs_type = {
	.name = "tmpfs",
	.mount = tmpfs_mount,
	.kill_sb = kill_litter_super,
};

struct dentry *simple_add_child(struct dentry *parent, const char *name, struct inode *inode)
{
	struct qstr q = qstr_hash(name, (u32)strlen(name));
	struct dentry *d = d_alloc(parent, &q);

	if (!d) {
		iput(inode);
		return NULL;
	}
	d_add(d, inode);		/* our reference stays: the pin */
	if (S_ISDIR(inode->i_mode))
		inc_nlink(parent->d_inode);
	return d;
}

int init_ramfs_fs(void)
{
	int err = register_filesystem(&ramfs_type);

	return err ? err : register_filesystem(&tmpfs_type);
}
