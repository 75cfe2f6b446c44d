/*
 * Shared anonymous memory: the object behind MAP_SHARED|MAP_ANONYMOUS
 * (Linux backs it with a shmem file, "/dev/zero (deleted)" in
 * /proc/PID/maps). Every vma that maps it (the original, the pieces of a
 * split, a fork's copies) sees the same pages, indexed by page offset in
 * the object: vmf->pgoff = vma->vm_pgoff + page index in the vma.
 *
 * Pages are allocated zero-filled on first touch, from the pmm of the mm
 * that touches them, and live until the object dies with its last vma. The
 * object holds one reference on each of its pages; each pte mapping one
 * holds another (do_fault() in mm/memory.c takes it from ->fault()).
 *
 * Slots: a two-level table, so a large sparse mapping costs little: chunk[i]
 * is one page-sized array of SA_CHUNK_PAGES page pointers for page offsets
 * i * SA_CHUNK_PAGES.., allocated on first touch (kmalloc).
 *
 * Lock: sa->lock protects refs, the slots and nr_resident. It nests inside
 * mmap_lock (faults, vma open/close) and is never held across an
 * allocation: allocate, lock, re-check, back out (STYLE.md rule 6).
 *
 * Host-compilable.
 */
#include <mm/vmstat.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/spinlock.h>

#define SA_CHUNK_PAGES	(PAGE_SIZE / sizeof(struct page *))
#define SA_KMALLOC_MAX	(PAGE_SIZE << (MAX_ORDER - 1))	/* kmalloc's largest block */

struct shared_anon {
	spinlock_t lock;
	int refs;			/* vmas using it (lock) */
	size_t nr_pages;		/* size of the object, fixed */
	size_t nr_resident;		/* pages allocated so far (lock) */
	struct pmm *pmm;		/* its pages' pmm, set by the first page (lock) */
	size_t nr_chunks;
	struct page **chunk[];		/* nr_chunks slot arrays, NULL until touched (lock) */
};

struct shared_anon *shared_anon_create(size_t pages)
{
	size_t nr_chunks = DIV_ROUND_UP(pages, SA_CHUNK_PAGES);
	struct shared_anon *sa;

	if (!pages || nr_chunks > (SA_KMALLOC_MAX - sizeof(*sa)) / sizeof(sa->chunk[0]))
		return NULL;
	sa = kzalloc(sizeof(*sa) + nr_chunks * sizeof(sa->chunk[0]), GFP_KERNEL);
	if (!sa)
		return NULL;
	spin_lock_init(&sa->lock);
	sa->refs = 1;
	sa->nr_pages = pages;
	sa->nr_chunks = nr_chunks;
	return sa;
}

size_t shared_anon_nr_resident(struct shared_anon *sa)
{
	size_t n;

	spin_lock(&sa->lock);
	n = sa->nr_resident;
	spin_unlock(&sa->lock);
	return n;
}

/*
 * Free the object and drop its reference on every page. By now every pte
 * that mapped one is gone (zap before close), so each page goes back to
 * its pmm; one still held elsewhere is reported and left to its holder.
 */
static void shared_anon_free(struct shared_anon *sa)
{
	for (size_t c = 0; c < sa->nr_chunks; c++) {
		if (!sa->chunk[c])
			continue;
		for (size_t i = 0; i < SA_CHUNK_PAGES; i++) {
			struct page *page = sa->chunk[c][i];

			if (!page)
				continue;
			WARN_ON(page->refcount != 1 || page_mapcount(page) != 0);
			put_page(sa->pmm, page);
			__atomic_fetch_sub(&vm_events.shmem_pages, 1, __ATOMIC_RELAXED);
		}
		kfree(sa->chunk[c]);
	}
	kfree(sa);
}

void shared_anon_put(struct shared_anon *sa)
{
	int refs;

	spin_lock(&sa->lock);
	refs = --sa->refs;
	spin_unlock(&sa->lock);
	if (refs < 0)
		panic("shared_anon_put: object %p put once too often", (void *)sa);
	if (refs == 0)
		shared_anon_free(sa);
}

/* The slot of @pgoff, or NULL while its chunk does not exist. Lock held. */
static struct page **sa_slot_locked(struct shared_anon *sa, unsigned long pgoff)
{
	struct page **chunk = sa->chunk[pgoff / SA_CHUNK_PAGES];

	return chunk ? &chunk[pgoff % SA_CHUNK_PAGES] : NULL;
}

/* The page at @pgoff with a new reference for the caller, or NULL. */
static struct page *sa_find_get(struct shared_anon *sa, unsigned long pgoff)
{
	struct page **slot, *page = NULL;

	spin_lock(&sa->lock);
	slot = sa_slot_locked(sa, pgoff);
	if (slot && *slot) {
		page = *slot;
		get_page(page);
	}
	spin_unlock(&sa->lock);
	return page;
}

/* Make sure the chunk holding @pgoff exists. 0 or -ENOMEM. */
static int sa_chunk_alloc(struct shared_anon *sa, unsigned long pgoff)
{
	size_t c = pgoff / SA_CHUNK_PAGES;
	struct page **chunk;

	spin_lock(&sa->lock);
	chunk = sa->chunk[c];
	spin_unlock(&sa->lock);
	if (chunk)
		return 0;
	chunk = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!chunk)
		return -ENOMEM;
	spin_lock(&sa->lock);
	if (!sa->chunk[c]) {
		sa->chunk[c] = chunk;
		chunk = NULL;
	}
	spin_unlock(&sa->lock);
	kfree(chunk);			/* lost the race: NULL is a no-op */
	return 0;
}

/*
 * Store @new (refcount 1: the object's reference) at @pgoff unless another
 * fault filled the slot first, then return whichever page is there with a
 * new reference for the caller. @new is freed if it lost.
 */
static struct page *sa_insert_get(struct shared_anon *sa, unsigned long pgoff,
				  struct page *new, struct pmm *pmm)
{
	struct page **slot, *page, *loser = NULL;

	spin_lock(&sa->lock);
	if (sa->pmm && sa->pmm != pmm)
		panic("shared_anon_fault: object %p shared between two pmms", (void *)sa);
	sa->pmm = pmm;
	slot = sa_slot_locked(sa, pgoff);
	if (*slot) {
		loser = new;
	} else {
		new->index = pgoff;
		*slot = new;
		sa->nr_resident++;
		__atomic_fetch_add(&vm_events.shmem_pages, 1, __ATOMIC_RELAXED);
	}
	page = *slot;
	get_page(page);
	spin_unlock(&sa->lock);
	if (loser)
		put_page(pmm, loser);
	return page;
}

/*
 * vm_ops->fault: the page at vmf->pgoff, allocated zeroed from the faulting
 * mm's pmm on first touch, in vmf->page with a reference. SIGBUS beyond the
 * end of the object (a vma grown by mremap), OOM if a page or slot array
 * cannot be allocated.
 */
static vm_fault_t shared_anon_fault(struct vm_fault *vmf)
{
	struct shared_anon *sa = vmf->vma->shared_anon;
	struct pmm *pmm = vmf->vma->vm_mm->pmm;
	struct page *new;

	if (vmf->pgoff >= sa->nr_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = sa_find_get(sa, vmf->pgoff);
	if (vmf->page)
		return 0;
	if (sa_chunk_alloc(sa, vmf->pgoff))
		return VM_FAULT_OOM;
	new = pmm_alloc_pages(pmm, 0, GFP_KERNEL | __GFP_ZERO);
	if (!new)
		return VM_FAULT_OOM;
	vmf->page = sa_insert_get(sa, vmf->pgoff, new, pmm);
	return 0;
}

/* vm_ops->open: a vma was copied (fork) or split off; it shares the object. */
static void shared_anon_open(struct vm_area_struct *vma)
{
	struct shared_anon *sa = vma->shared_anon;

	spin_lock(&sa->lock);
	if (sa->refs <= 0)
		panic("shared_anon_open: object %p is dead", (void *)sa);
	sa->refs++;
	spin_unlock(&sa->lock);
}

/* vm_ops->close: a vma went away (its ptes already zapped). */
static void shared_anon_close(struct vm_area_struct *vma)
{
	shared_anon_put(vma->shared_anon);
}

/* Linux names these mappings after the shmem file behind them. */
static const char *shared_anon_name(struct vm_area_struct *vma)
{
	return "/dev/zero (deleted)";
}

const struct vm_operations_struct shared_anon_vm_ops = {
	.fault = shared_anon_fault,
	.open = shared_anon_open,
	.close = shared_anon_close,
	.name = shared_anon_name,
};
