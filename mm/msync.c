/*
 * msync(2) and mincore(2), and madvise(MADV_WILLNEED)'s readahead of
 * file mappings: the address-space calls that look at a mapping's file.
 * Linux's checks, in Linux's order (mm/msync.c, mm/mincore.c).
 * Host-compilable.
 */
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>

/* ---- msync ---- */

/* The byte range of @vma's file that [start, end) of @vma maps. */
static void file_range(const struct vm_area_struct *vma, uintptr_t start, uintptr_t end,
		       loff_t *fstart, loff_t *fend)
{
	*fstart = (loff_t)((vma->vm_pgoff << PAGE_SHIFT) + (start - vma->vm_start));
	*fend = *fstart + (loff_t)(end - start) - 1;
}

/*
 * MS_SYNC of [start, end) inside @vma: write its file's pages of the
 * range and wait, then report a writeback error this open file has not
 * seen yet (as fsync). Drops and retakes mmap_lock around the I/O, as
 * Linux does; the vma may be gone after, so the caller looks it up again.
 */
static int msync_file_range(struct mm_struct *mm, struct vm_area_struct *vma, uintptr_t start,
			    uintptr_t end)
{
	struct file *file = file_get(vma->vm_file);
	loff_t fstart, fend;
	int err, seen;

	file_range(vma, start, end, &fstart, &fend);
	mmap_read_unlock(mm);
	err = filemap_write_and_wait_range(file->f_mapping, fstart, fend);
	seen = filemap_check_wb_err(file->f_mapping, &file->f_wb_err);	/* always moves on */
	if (!err)
		err = seen;
	file_put(file);
	mmap_read_lock(mm);
	return err;
}

long mm_msync(struct mm_struct *mm, uintptr_t start, size_t len, int flags)
{
	struct vm_area_struct *vma;
	uintptr_t end;
	long unmapped = 0;
	int err = 0;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	end = start + ALIGN_UP(len, PAGE_SIZE);
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	mmap_read_lock(mm);
	vma = find_vma(mm, start);
	for (;;) {
		uintptr_t stop;

		if (!vma) {
			err = -ENOMEM;
			break;
		}
		if (start < vma->vm_start) {
			unmapped = -ENOMEM;	/* a hole: go on, but say so (Linux) */
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		if ((flags & MS_INVALIDATE) && (vma->vm_flags & VM_LOCKED)) {
			err = -EBUSY;
			break;
		}
		stop = MIN(end, vma->vm_end);
		if ((flags & MS_SYNC) && vma->vm_file && (vma->vm_flags & VM_SHARED)) {
			err = msync_file_range(mm, vma, start, stop);
			if (err)
				break;
		}
		start = stop;
		if (start >= end)
			break;
		vma = find_vma(mm, start);
	}
	mmap_read_unlock(mm);
	return err ? err : unmapped;
}

/* ---- mincore ---- */

/* Is the page at @addr of @vma in memory: mapped, or (files) in the page cache? */
static u8 page_resident(struct mm_struct *mm, struct vm_area_struct *vma, uintptr_t addr)
{
	pte_t *pte = pt_lookup_pte(&mm->pt, addr);
	struct address_space *mapping;
	struct page *page;
	bool uptodate;

	if (pte && pte_present(*pte))
		return 1;
	if (!vma->vm_file)
		return 0;			/* anonymous, never touched (no swap) */
	mapping = vma->vm_file->f_mapping;
	page = find_get_page(mapping, vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT));
	if (!page)
		return 0;
	uptodate = PageUptodate(page);
	put_page(mapping->pmm, page);
	return uptodate;
}

long mm_mincore(struct mm_struct *mm, uintptr_t start, size_t pages, u8 *vec)
{
	struct vm_area_struct *vma;
	long ret = 0;

	if (start & ~PAGE_MASK)
		return -EINVAL;
	mmap_read_lock(mm);
	for (size_t i = 0; i < pages; i++) {
		uintptr_t addr = start + i * PAGE_SIZE;

		vma = vma_lookup(mm, addr);
		if (!vma) {
			ret = -ENOMEM;
			break;
		}
		vec[i] = page_resident(mm, vma, addr);
	}
	mmap_read_unlock(mm);
	return ret;
}

/* ---- madvise(MADV_WILLNEED) ---- */

void madvise_willneed_file(struct vm_area_struct *vma, uintptr_t start, uintptr_t end)
{
	struct file *file = vma->vm_file;
	pgoff_t first = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT);
	unsigned long nr = (end - start) >> PAGE_SHIFT;

	/* in readahead-sized chunks, not waited for (Linux's force_page_cache_readahead) */
	while (nr) {
		unsigned long chunk = MIN(nr, (unsigned long)VM_READAHEAD_PAGES * 2);

		page_cache_ra_unbounded(file->f_mapping, file, first, chunk, 0);
		first += chunk;
		nr -= chunk;
	}
}
