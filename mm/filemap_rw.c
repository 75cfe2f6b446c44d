/*
 * read(2) and write(2) through the page cache: filemap_read copies cached
 * pages to an iov_iter (reading missing ones through ->read_folio, with
 * readahead), generic_perform_write copies an iov_iter into cached pages
 * (the file system's write_begin/write_end around each page). Apart from
 * mm/filemap.c so the two can change independently; only the pagemap.h
 * interface is used.
 *
 * A write copies from user memory while it holds a page lock. The source
 * may be a mapping of the very page being written: a fault there would
 * wait for that lock forever. So the source is faulted in before the page
 * is locked and the copy itself runs with page faults disabled (a short
 * copy is retried after faulting in again), as Linux does.
 */
#include <mm/pagemap.h>
#include <mm/arch.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <mm/writeback.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/sched.h>
#include <pagoda/string.h>

#define MAX_LFS_FILESIZE	((loff_t)0x7fffffffffffffffLL)

long filemap_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	loff_t pos = iocb->ki_pos;
	size_t copied = 0;
	long err = 0;

	if (pos < 0)
		return -EINVAL;
	while (iov_iter_count(to)) {
		pgoff_t index = (pgoff_t)pos >> PAGE_SHIFT;
		size_t offset = (size_t)pos & (PAGE_SIZE - 1), n, c;
		loff_t isize = i_size_read(inode);
		struct page *page;

		if (pos >= isize)
			break;
		page = find_get_page(mapping, index);
		if (!page) {
			unsigned long want = (unsigned long)DIV_ROUND_UP(
				MIN((u64)(isize - pos), (u64)iov_iter_count(to)) + offset, PAGE_SIZE);

			page_cache_sync_readahead(mapping, &file->f_ra, file, index, want);
			page = find_get_page(mapping, index);
		}
		if (page && page_test_flag(page, PG_readahead))
			page_cache_async_readahead(mapping, &file->f_ra, file, page, index, 1);
		if (page && !PageUptodate(page)) {
			wait_on_page_locked(page);	/* a read under way */
			if (!PageUptodate(page)) {
				put_page(mapping->pmm, page);
				page = NULL;
			}
		}
		if (!page) {
			page = read_mapping_page(mapping, index, file);
			if (IS_ERR(page)) {
				err = PTR_ERR(page);
				break;
			}
		}
		/* the size again: a truncate may have raced with the lookup */
		isize = i_size_read(inode);
		if (pos >= isize) {
			put_page(mapping->pmm, page);
			break;
		}
		n = MIN(PAGE_SIZE - offset, (size_t)MIN((u64)(isize - pos), (u64)iov_iter_count(to)));
		c = copy_page_to_iter(mapping->pmm, page, offset, n, to);
		put_page(mapping->pmm, page);
		copied += c;
		pos += (loff_t)c;
		if (c < n) {
			if (!copied)
				err = -EFAULT;
			break;
		}
	}
	file->f_ra.prev_pos = pos;
	iocb->ki_pos = pos;
	return copied ? (long)copied : err;
}

/* Zero the parts of a new page outside [from, to) (no backing store to read them from). */
static void zero_outside(struct address_space *mapping, struct page *page, size_t from, size_t to)
{
	u8 *kaddr = phys_to_virt(PFN_PHYS(pmm_page_to_pfn(mapping->pmm, page)));

	memset(kaddr, 0, from);
	memset(kaddr + to, 0, PAGE_SIZE - to);
}

long generic_perform_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct address_space *mapping = file->f_mapping;
	const struct address_space_operations *a_ops = mapping->a_ops;
	struct inode *inode = mapping->host;
	loff_t pos = iocb->ki_pos;
	size_t written = 0;
	int empty = 0;
	long err = 0;

	while (iov_iter_count(from)) {
		size_t offset = (size_t)pos & (PAGE_SIZE - 1);
		size_t bytes = MIN(PAGE_SIZE - offset, iov_iter_count(from));
		pgoff_t index = (pgoff_t)pos >> PAGE_SHIFT;
		struct page *page;
		size_t copied;

		if (fault_in_iov_iter_readable(from, bytes) == bytes) {
			err = -EFAULT;
			break;
		}
		page = pagecache_get_page(mapping, index, FGP_LOCK | FGP_CREAT, GFP_KERNEL);
		if (!page) {
			err = -ENOMEM;
			break;
		}
		if (a_ops->write_begin) {
			err = a_ops->write_begin(file, mapping, pos, (unsigned int)bytes, page);
			if (err) {
				unlock_page(page);
				put_page(mapping->pmm, page);
				break;
			}
		} else if (!PageUptodate(page)) {
			zero_outside(mapping, page, offset, offset + bytes);
		}
		pagefault_disable();
		copied = copy_page_from_iter(mapping->pmm, page, offset, bytes, from);
		pagefault_enable();
		if (a_ops->write_end) {
			long r = a_ops->write_end(file, mapping, pos, (unsigned int)bytes,
						  (unsigned int)copied, page);

			if (r < 0) {
				err = r;
				unlock_page(page);
				put_page(mapping->pmm, page);
				break;
			}
		} else {
			if (!PageUptodate(page)) {
				if (copied < bytes)
					zero_outside(mapping, page, offset, offset + copied);
				page_set_flag(page, PG_uptodate);
			}
			if (copied)
				set_page_dirty(page);
		}
		if (copied && pos + (loff_t)copied > i_size_read(inode))
			i_size_write(inode, pos + (loff_t)copied);
		unlock_page(page);
		put_page(mapping->pmm, page);
		if (copied)
			balance_dirty_pages(mapping);	/* the dirty limit: maybe write some first */
		pos += (loff_t)copied;
		written += copied;
		/* nothing copied: the source went away after the fault-in; try once more */
		if (copied) {
			empty = 0;
		} else if (++empty > 1) {
			err = -EFAULT;
			break;
		}
	}
	iocb->ki_pos = pos;
	return written ? (long)written : err;
}

long generic_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = iocb->ki_filp->f_mapping->host;
	long ret;

	if (!iov_iter_count(from))
		return 0;
	down_write(&inode->i_rwsem);
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = i_size_read(inode);
	if (iocb->ki_pos < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (iocb->ki_pos >= MAX_LFS_FILESIZE) {
		ret = -EFBIG;
		goto out;
	}
	iov_iter_truncate(from, (size_t)MIN((u64)(MAX_LFS_FILESIZE - iocb->ki_pos),
					   (u64)iov_iter_count(from)));
	ret = generic_perform_write(iocb, from);
	if (ret > 0)
		inode->i_mtime = inode->i_ctime = current_time();
out:
	up_write(&inode->i_rwsem);
	return ret;
}
