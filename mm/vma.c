/*
 * The VMA tree of an address space: a red-black tree of vm_area_structs
 * keyed by vm_start (lib/rbtree.c), with find_vma() in O(log n), and the
 * split and merge steps that munmap, mprotect, madvise and mremap are built
 * from (mm/mmap.c).
 *
 * VMAs never overlap, so ordering by vm_start is ordering by vm_end too.
 * Merges keep the lower vma of a pair, and stack growth lowers vm_start only
 * down to the end of the previous vma: no key changes its rank, so a vma is
 * never re-inserted.
 *
 * Lock: mm->mmap_lock, held by every caller (mm.h). Host-compilable.
 */
#include "vma.h"
#include <mm/slab.h>
#include <mm/pagemap.h>
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>

/* ---- lookup ---- */

static struct vm_area_struct *rb_vma(struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb) : NULL;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, uintptr_t addr)
{
	struct rb_node *n = mm->mm_rb.node;
	struct vm_area_struct *best = NULL;

	while (n) {
		struct vm_area_struct *vma = rb_vma(n);

		if (vma->vm_end > addr) {
			best = vma;
			if (vma->vm_start <= addr)
				break;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, uintptr_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uintptr_t start,
					     uintptr_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

struct vm_area_struct *vma_prev(struct mm_struct *mm, struct vm_area_struct *vma)
{
	return rb_vma(vma ? rb_prev(&vma->vm_rb) : rb_last(&mm->mm_rb));
}

struct vm_area_struct *vma_next(struct mm_struct *mm, struct vm_area_struct *vma)
{
	return rb_vma(vma ? rb_next(&vma->vm_rb) : rb_first(&mm->mm_rb));
}

uintptr_t vm_start_gap(const struct vm_area_struct *vma)
{
	uintptr_t start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN)
		start = start > STACK_GUARD_GAP ? start - STACK_GUARD_GAP : 0;
	return start;
}

/* ---- life cycle ---- */

struct vm_area_struct *vma_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kzalloc(sizeof(*vma), GFP_KERNEL);

	if (vma)
		vma->vm_mm = mm;
	return vma;
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.node, *parent = NULL;

	while (*link) {
		struct vm_area_struct *cur = rb_vma(*link);

		parent = *link;
		if (vma->vm_end <= cur->vm_start)
			link = &parent->left;
		else if (vma->vm_start >= cur->vm_end)
			link = &parent->right;
		else
			panic("vma_link: [%#lx, %#lx) overlaps [%#lx, %#lx)",
			      (unsigned long)vma->vm_start, (unsigned long)vma->vm_end,
			      (unsigned long)cur->vm_start, (unsigned long)cur->vm_end);
	}
	rb_link_node(&vma->vm_rb, parent, link);
	rb_insert_color(&vma->vm_rb, &mm->mm_rb);
	mm->map_count++;
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	rb_erase(&vma->vm_rb, &mm->mm_rb);
	mm->map_count--;
}

void vma_destroy(struct vm_area_struct *vma)
{
	if (vma->vm_ops && vma->vm_ops->close)
		vma->vm_ops->close(vma);
	if (vma->vm_file) {
		vma_unlink_file(vma);
		file_put(vma->vm_file);
	}
	kfree(vma);
}

/* ---- the reverse map of file vmas ---- */

static struct address_space *vma_mapping(const struct vm_area_struct *vma)
{
	return vma->vm_file ? vma->vm_file->f_mapping : NULL;
}

void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	list_init(&vma->shared);
	if (!mapping)
		return;
	down_write(&mapping->i_mmap_rwsem);
	list_add_tail(&vma->shared, &mapping->i_mmap);
	up_write(&mapping->i_mmap_rwsem);
}

void vma_unlink_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	if (!mapping || list_empty(&vma->shared))
		return;
	down_write(&mapping->i_mmap_rwsem);
	list_del_init(&vma->shared);
	up_write(&mapping->i_mmap_rwsem);
}

void vma_open_copy(struct vm_area_struct *copy)
{
	if (copy->vm_file) {
		file_get(copy->vm_file);
		vma_link_file(copy);
	}
	if (copy->vm_ops && copy->vm_ops->open)
		copy->vm_ops->open(copy);
}

/* ---- split ---- */

int vma_split(struct mm_struct *mm, struct vm_area_struct *vma, uintptr_t addr)
{
	struct vm_area_struct *upper;

	BUG_ON(addr <= vma->vm_start || addr >= vma->vm_end || addr & ~PAGE_MASK);
	if (mm->map_count >= MAX_MAP_COUNT)
		return -ENOMEM;
	upper = vma_alloc(mm);
	if (!upper)
		return -ENOMEM;
	*upper = *vma;
	upper->vm_rb = (struct rb_node){ 0 };
	upper->vm_start = addr;
	upper->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	/*
	 * On the file's reverse map before the lower half shrinks: a walker
	 * of i_mmap (writeback's page_mkclean, truncate) must never miss the
	 * ptes of [addr, end), so for a moment the range is covered twice.
	 */
	vma_open_copy(upper);
	vma->vm_end = addr;
	vma_link(mm, upper);
	return 0;
}

struct vm_area_struct *vma_isolate(struct mm_struct *mm, struct vm_area_struct *vma,
				   uintptr_t start, uintptr_t end)
{
	if (start > vma->vm_start) {
		if (vma_split(mm, vma, start))
			return NULL;
		vma = vma_next(mm, vma);
	}
	if (end < vma->vm_end && vma_split(mm, vma, end))
		return NULL;
	return vma;
}

/* ---- merge ---- */

static bool same_name(const char *a, const char *b)
{
	if (a == b)
		return true;
	return a && b && strcmp(a, b) == 0;
}

/* May @lo and the vma right above it, @hi, become one? */
static bool vma_mergeable(const struct vm_area_struct *lo,
			  const struct vm_area_struct *hi)
{
	return lo->vm_end == hi->vm_start &&
	       lo->vm_flags == hi->vm_flags &&
	       lo->vm_page_prot.val == hi->vm_page_prot.val &&
	       lo->vm_ops == hi->vm_ops &&
	       lo->vm_file == hi->vm_file &&
	       lo->shared_anon == hi->shared_anon &&
	       lo->vm_pgoff + vma_pages(lo) == hi->vm_pgoff &&
	       same_name(lo->vm_name, hi->vm_name);
}

/* @lo takes over @hi's range; @hi is unlinked and destroyed. */
static void vma_absorb(struct mm_struct *mm, struct vm_area_struct *lo,
		       struct vm_area_struct *hi)
{
	lo->vm_end = hi->vm_end;
	vma_unlink(mm, hi);
	vma_destroy(hi);
}

struct vm_area_struct *vma_merge_neighbours(struct mm_struct *mm,
					    struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma_next(mm, vma);
	struct vm_area_struct *prev = vma_prev(mm, vma);

	if (next && vma_mergeable(vma, next))
		vma_absorb(mm, vma, next);
	if (prev && vma_mergeable(prev, vma)) {
		vma_absorb(mm, prev, vma);
		vma = prev;
	}
	return vma;
}
