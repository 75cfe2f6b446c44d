/*
 * The page cache of the initrd's regular files (fs/ramfs.c): an
 * address_space made on a file's first open, filled from the initrd by
 * ->read_folio, mapped by generic_file_mmap. Kernel-only: the host's
 * tests/host/test_cpio.c stands in for ramfs_file_open/ramfs_file_mmap.
 *
 * Locking: a file's address_space is set up once, under
 * ramfs_mapping_lock; the tree itself is never changed after boot.
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/slab.h>

/* ->read_folio: the page's bytes from the initrd, zeros past the end of the file. */
static int ramfs_read_folio(struct file *f, struct page *page)
{
	struct address_space *mapping = page->mapping;
	const struct inode *inode = mapping->host;
	u8 *dst = phys_to_virt(PFN_PHYS(pmm_page_to_pfn(mapping->pmm, page)));
	u64 off = (u64)page->index << PAGE_SHIFT;
	size_t n = off < inode->size ? (size_t)MIN((u64)PAGE_SIZE, inode->size - off) : 0;

	memcpy(dst, inode->data + off, n);
	memset(dst + n, 0, PAGE_SIZE - n);
	page_read_done(page, 0);
	return 0;
}

static const struct address_space_operations ramfs_aops = {
	.read_folio = ramfs_read_folio,
};

static spinlock_t ramfs_mapping_lock = SPINLOCK_INIT;

/*
 * ->open of a regular file: give the inode its page cache (its own
 * i_data, so opening allocates nothing) the first time. Never fails.
 */
int ramfs_file_open(struct inode *inode, struct file *f)
{
	spin_lock(&ramfs_mapping_lock);
	if (!inode->i_mapping) {
		address_space_init(&inode->i_data, inode, &ramfs_aops, &kernel_pmm);
		inode->i_data.flags |= AS_UNEVICTABLE;
		inode->i_mapping = &inode->i_data;
	}
	spin_unlock(&ramfs_mapping_lock);
	return 0;
}

/* Drop the clean, unused cached pages of @dir's files and below. */
static unsigned long drop_tree_caches(struct inode *dir)
{
	unsigned long n = 0;

	for (struct inode *c = dir->children; c; c = c->next) {
		if (S_ISDIR(c->mode))
			n += drop_tree_caches(c);
		else if (c->i_mapping)
			n += invalidate_mapping_pages(c->i_mapping, 0, ~0UL);
	}
	return n;
}

unsigned long ramfs_drop_caches(void)
{
	return drop_tree_caches(ramfs_root());
}

int ramfs_file_mmap(struct file *f, struct vm_area_struct *vma)
{
	return generic_file_mmap(f, vma);
}
