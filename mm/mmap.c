/*
 * Address spaces: mm_struct life cycle, placement and the mm halves of
 * mmap, munmap, mprotect, brk, mremap and madvise, with Linux's semantics
 * and error codes (checked against Linux 6.x and the man pages); the VMA
 * tree itself is mm/vma.c. Also the range operations on user ptes that
 * those need: zap, change protection, move.
 *
 * Locks (docs/lock-order.md): every entry point here takes mm->mmap_lock
 * for write (expand_stack_locked() expects it held) and takes
 * mm->page_table_lock around pte changes, inside it: zap and mprotect one
 * pte table at a time, with a preemption point between tables. Pages are
 * released with put_page() under page_table_lock (order: page_table_lock
 * -> pmm->lock), only after the TLB entries that could still reach them
 * were flushed.
 *
 * Page tables: zap_page_range() clears ptes and leaves the tables; munmap
 * then frees the tables that map nothing but the gap it left between the
 * neighbouring vmas (pt_free_range(), Linux's floor/ceiling rule: decided
 * from addresses, no table is scanned for entries). mm_put() frees the
 * rest; the kernel half is pinned (pgtable.h) and never freed here.
 *
 * Placement is Linux's x86-64 top-down layout without randomisation:
 * below mmap_base (0x7ffff7fff000 with the default stack limit), hints
 * honoured when the range is free, MAP_FIXED replacing. The free-gap search
 * walks the tree from the top, O(n) in the VMAs it passes (Linux keeps a
 * subtree gap in its tree to make it O(log n); not needed at our sizes).
 *
 * Host-compilable: no arch header.
 */
#include "vma.h"
#include <mm/arch.h>
#include <mm/tlb.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <mm/pagemap.h>
#include <mm/slab.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>
#include <pagoda/string.h>
#include <pagoda/vsprintf.h>

#define BATCH_PAGES		64	/* > the ceiling: big zaps flush once per batch */

static const char heap_name[] = "[heap]";

static uintptr_t page_align(uintptr_t x)
{
	return ALIGN_UP(x, PAGE_SIZE);
}

/* ---- batched TLB flushes and page releases ---- */

/*
 * Ptes cleared or downgraded in one operation: the addresses to flush and
 * the pages whose last pte reference went away. A page is released only
 * after a flush, so no stale TLB entry can reach it once it is reused.
 */
struct pte_batch {
	struct pmm *pmm;
	struct tlb_batch tlb;
	unsigned int nr_pages;
	struct page *pages[BATCH_PAGES];
};

/* An empty batch releasing to @pmm; the arrays are not cleared (read below their counts only). */
static void batch_init(struct pte_batch *b, struct pmm *pmm)
{
	b->pmm = pmm;
	tlb_batch_init(&b->tlb);
	b->nr_pages = 0;
}

static void batch_flush(struct pte_batch *b)
{
	tlb_batch_flush(&b->tlb);
	for (unsigned int i = 0; i < b->nr_pages; i++)
		put_page(b->pmm, b->pages[i]);
	b->nr_pages = 0;
}

static void batch_add_addr(struct pte_batch *b, uintptr_t addr)
{
	tlb_batch_add(&b->tlb, addr);
}

/* Queue the pte's reference on @page; the caller queued its address first. */
static void batch_add_page(struct pte_batch *b, struct page *page)
{
	if (b->nr_pages == BATCH_PAGES)
		batch_flush(b);
	b->pages[b->nr_pages++] = page;
}

/* ---- walking the ptes of a user range ---- */

typedef void (*pte_visit_t)(void *ctx, pte_t *pte, uintptr_t addr);

struct pte_visit {
	pte_visit_t visit;
	void *ctx;
	struct mm_struct *mm;		/* set: lock per table (walk_ptes_preemptible) */
	struct pte_batch *batch;	/* ... flushed before the lock is dropped */
};

static int visit_pte_range(void *arg, pmd_t *pmd, uintptr_t start, uintptr_t end)
{
	struct pte_visit *v = arg;
	pte_t *pte = pte_offset(pmd, start);

	if (v->mm)
		spin_lock(&v->mm->page_table_lock);
	for (uintptr_t addr = start; addr < end; addr += PAGE_SIZE, pte++)
		if (!pte_none(*pte))
			v->visit(v->ctx, pte, addr);
	if (v->mm) {
		batch_flush(v->batch);
		spin_unlock(&v->mm->page_table_lock);
		cond_resched();
	}
	return 0;
}

/*
 * Call @visit on every pte of [start, end) that is not none, skipping whole
 * blocks where an upper level is absent (pt_walk_range()). User ranges hold
 * no large leaves; one would be skipped. Allocates nothing. Caller holds
 * page_table_lock.
 */
static void walk_ptes(struct page_table *pt, uintptr_t start, uintptr_t end,
		      pte_visit_t visit, void *ctx)
{
	static const struct pt_range_ops ops = { .pte_range = visit_pte_range };
	struct pte_visit v = { .visit = visit, .ctx = ctx };

	if (start < end)
		pt_walk_range(pt, start, end, &ops, &v);
}

/*
 * walk_ptes() over @mm's range taking page_table_lock around each pte table
 * and not across them: @batch (what @visit collected) is flushed and its
 * pages released before the lock is dropped, and the task may be switched
 * out between tables, so a large range does not hold the CPU. Only for a
 * caller that holds mmap_lock for write (or owns the mm alone: exit), so no
 * fault can change a table between two visits. May sleep.
 */
static void walk_ptes_preemptible(struct mm_struct *mm, uintptr_t start, uintptr_t end,
				  pte_visit_t visit, void *ctx, struct pte_batch *batch)
{
	static const struct pt_range_ops ops = { .pte_range = visit_pte_range };
	struct pte_visit v = { .visit = visit, .ctx = ctx, .mm = mm, .batch = batch };

	if (start < end)
		pt_walk_range(&mm->pt, start, end, &ops, &v);
}

/* The struct page behind a user pte's @pfn, or NULL if @mm's pmm has none. */
static struct page *mm_user_page(struct mm_struct *mm, pfn_t pfn)
{
	return pmm_has_pfn(mm->pmm, pfn) ? pmm_pfn_to_page(mm->pmm, pfn) : NULL;
}

/* ---- zap ---- */

struct zap_ctx {
	struct mm_struct *mm;
	struct pte_batch batch;
};

static void zap_pte(void *arg, pte_t *pte, uintptr_t addr)
{
	struct zap_ctx *z = arg;
	pte_t old = *pte;
	struct page *page;

	pte_clear(pte);
	if (!pte_present(old))
		return;
	batch_add_addr(&z->batch, addr);
	page = mm_user_page(z->mm, pte_pfn(old));
	if (!page || page_test_flag(page, PG_zero))
		return;
	if (page_test_flag(page, PG_anon)) {
		z->mm->rss_anon--;
	} else {
		z->mm->rss_shared--;
		if (pte_dirty(old))	/* the CPU's record of a store: writeback's now */
			set_page_dirty(page);
	}
	page_mapcount_dec(page);
	batch_add_page(&z->batch, page);
}

/*
 * See mm.h. Clamped to @vma. Takes page_table_lock one pte table at a time
 * and may switch tasks between tables (walk_ptes_preemptible); the caller
 * holds mmap_lock for write or is the mm's last user. The tables stay
 * (munmap frees the empty ones).
 */
void zap_page_range(struct vm_area_struct *vma, uintptr_t start, uintptr_t end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct zap_ctx z;

	z.mm = mm;
	batch_init(&z.batch, mm->pmm);
	start = MAX(start, vma->vm_start);
	end = MIN(end, vma->vm_end);
	if (start >= end)
		return;
	walk_ptes_preemptible(mm, start, end, zap_pte, &z, &z.batch);
}

/*
 * Free the tables of the hole [start, end) that no vma needs any more:
 * those mapping nothing but the gap between the vmas around the hole
 * (pt_free_range(), which decides from addresses and reads no pte). Every
 * pte in that gap is none: ptes live only inside vmas, and the hole's were
 * zapped. The caller holds mmap_lock; takes page_table_lock.
 */
static void free_pgtables(struct mm_struct *mm, uintptr_t start, uintptr_t end)
{
	struct vm_area_struct *next = find_vma(mm, start);
	struct vm_area_struct *prev = vma_prev(mm, next);

	spin_lock(&mm->page_table_lock);
	pt_free_range(&mm->pt, start, end, prev ? prev->vm_end : 0,
		      next ? next->vm_start : 0);
	spin_unlock(&mm->page_table_lock);
}

/* ---- change protection ---- */

struct prot_ctx {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct pte_batch batch;
};

/*
 * May the present pte @old in @vma become writable right away? A shared
 * page may unless its object wants a write notification and the pte is
 * clean. A private page only if it is an anonymous page this pte alone maps
 * (not the zero page, not shared with a fork child): otherwise the next
 * write must fault so do_wp_page() copies.
 */
static bool pte_may_write(const struct vm_area_struct *vma, struct page *page, pte_t old)
{
	if (vma->vm_flags & VM_SHARED)
		return !vma_wants_writenotify(vma) || pte_dirty(old);
	return page && page_test_flag(page, PG_anon) && !page_test_flag(page, PG_zero) &&
	       page_mapcount(page) == 1;
}

static void protect_pte(void *arg, pte_t *pte, uintptr_t addr)
{
	struct prot_ctx *c = arg;
	pte_t old = *pte, new;
	pfn_t pfn;

	if (!pte_present(old))
		return;
	pfn = pte_pfn(old);
	new = pte_modify(old, c->vma->vm_page_prot);
	if (pte_write(new) && !pte_may_write(c->vma, mm_user_page(c->mm, pfn), old))
		new = pte_wrprotect(new);
	if (pte_same(new, old))
		return;
	set_pte(pte, new);
	batch_add_addr(&c->batch, addr);
}

/*
 * Rewrite the present ptes of [start, end) in @vma to its vm_page_prot,
 * one pte table at a time under page_table_lock (walk_ptes_preemptible:
 * mprotect holds mmap_lock for write).
 */
static void change_protection(struct vm_area_struct *vma, uintptr_t start, uintptr_t end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct prot_ctx c = { .mm = mm, .vma = vma };

	batch_init(&c.batch, mm->pmm);
	walk_ptes_preemptible(mm, start, end, protect_pte, &c, &c.batch);
}

/* ---- move ptes (mremap) ---- */

struct move_ctx {
	struct mm_struct *mm;
	uintptr_t delta;		/* new address - old address (mod 2^64) */
	int err;
	struct pte_batch batch;
};

/* The pte for @va, allocating the tables on the way. NULL on -ENOMEM. */
static pte_t *pte_alloc_walk(struct page_table *pt, uintptr_t va)
{
	p4d_t *p4d = p4d_alloc(pt, pgd_offset_pgd(pt->pgd, va), va);
	pud_t *pud = p4d ? pud_alloc(pt, p4d, va) : NULL;
	pmd_t *pmd = pud ? pmd_alloc(pt, pud, va) : NULL;

	return pmd ? pte_alloc(pt, pmd, va) : NULL;
}

static void prealloc_pte(void *arg, pte_t *pte, uintptr_t addr)
{
	struct move_ctx *m = arg;

	if (!m->err && !pte_alloc_walk(&m->mm->pt, addr + m->delta))
		m->err = -ENOMEM;
}

static void move_pte(void *arg, pte_t *pte, uintptr_t addr)
{
	struct move_ctx *m = arg;
	pte_t *dst = pt_lookup_pte(&m->mm->pt, addr + m->delta);
	pte_t old = *pte;

	BUG_ON(!dst || !pte_none(*dst));
	pte_clear(pte);
	set_pte(dst, old);
	if (pte_present(old))
		batch_add_addr(&m->batch, addr);
}

/*
 * Move the ptes of [old, old + len) to [new, ...) (disjoint ranges): the
 * same pages, same bits, no reference or rss change. All tables the new
 * range needs are allocated first, so it either moves everything or
 * nothing (-ENOMEM; tables allocated stay, empty, for munmap or mm_put).
 */
static int move_page_tables(struct mm_struct *mm, uintptr_t old, uintptr_t new,
			    size_t len)
{
	struct move_ctx m = { .mm = mm, .delta = new - old, .batch = { .pmm = mm->pmm } };

	spin_lock(&mm->page_table_lock);
	walk_ptes(&mm->pt, old, old + len, prealloc_pte, &m);
	if (!m.err) {
		walk_ptes(&mm->pt, old, old + len, move_pte, &m);
		batch_flush(&m.batch);
	}
	spin_unlock(&mm->page_table_lock);
	return m.err;
}

/* ---- address spaces ---- */

uintptr_t mm_default_task_size(void)
{
	return pgtable_l5_enabled() ? TASK_SIZE_L5 : DEFAULT_MAP_WINDOW;
}

pgprot_t vm_get_page_prot(unsigned long vm_flags)
{
	unsigned int pp = PP_USER | PP_READ;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return arch_pgprot(PP_NONE);
	if (vm_flags & VM_WRITE)
		pp |= PP_WRITE;
	if (vm_flags & VM_EXEC)
		pp |= PP_EXEC;
	return arch_pgprot(pp);
}

/* Linux's mmap_base() without randomisation (see MMAP_GAP_MIN in mm.h). */
static uintptr_t mmap_base_of(uintptr_t task_size, unsigned long stack_limit)
{
	uintptr_t window = MIN(task_size, DEFAULT_MAP_WINDOW);
	unsigned long gap = stack_limit + STACK_GUARD_GAP;
	unsigned long gap_max = window / 6 * 5;

	gap = MAX(gap, MMAP_GAP_MIN);
	gap = MIN(gap, gap_max);
	return page_align(window - gap);
}

/*
 * See mm.h. The kernel half: the pinned top-level entries of @kernel are
 * copied, so the kernel's later mappings are visible here too. Without a
 * kernel (host tests) the upper half is pinned empty all the same.
 */
struct mm_struct *mm_create(struct pmm *pmm, const struct page_table *kernel,
			    uintptr_t task_size)
{
	struct mm_struct *mm = kzalloc(sizeof(*mm), GFP_KERNEL);

	if (!mm)
		return NULL;
	if (pt_init(&mm->pt, pmm)) {
		kfree(mm);
		return NULL;
	}
	if (kernel)
		pt_share_pinned(&mm->pt, kernel);
	else
		mm->pt.pinned_from = PTRS_PER_TABLE / 2;
	mm->mm_rb = RB_ROOT;
	mm->pmm = pmm;
	init_rwsem(&mm->mmap_lock, "mmap_lock");
	spin_lock_init(&mm->page_table_lock);
	mm->users = 1;
	mm->task_size = task_size;
	mm->stack_limit = RLIMIT_STACK_DEFAULT;
	mm->mmap_base = mmap_base_of(task_size, mm->stack_limit);
	return mm;
}

/* mm->users is updated atomically: /proc readers, fork and exit race on it. */
void mm_get(struct mm_struct *mm)
{
	BUG_ON(__atomic_fetch_add(&mm->users, 1, __ATOMIC_RELAXED) <= 0);
}

/* Zap, unlink and destroy every vma, then free the user page tables. */
static void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	while ((vma = vma_next(mm, NULL))) {
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		vma_unlink(mm, vma);
		mm->total_vm -= vma_pages(vma);
		vma_destroy(vma);
	}
	pt_destroy(&mm->pt);
}

void mm_set_exe_file(struct mm_struct *mm, struct file *file)
{
	BUG_ON(mm->exe_file);
	mm->exe_file = file;
}

/* The program's write denial and reference go with its last address space. */
static void mm_drop_exe_file(struct mm_struct *mm)
{
	struct file *file = mm->exe_file;

	if (!file)
		return;
	mm->exe_file = NULL;
	allow_write_access(file->inode);
	file_put(file);
}

void mm_put(struct mm_struct *mm)
{
	int left = __atomic_sub_fetch(&mm->users, 1, __ATOMIC_ACQ_REL);

	BUG_ON(left < 0);
	if (left > 0)
		return;
	exit_mmap(mm);
	mm_drop_exe_file(mm);
	WARN_ON(mm->rss_anon || mm->rss_shared || mm->total_vm);
	kfree(mm);
}

/* ---- placement ---- */

/* Linux's round_hint_to_min(): a hint below MMAP_MIN_ADDR moves up to it. */
static uintptr_t round_hint_to_min(uintptr_t hint)
{
	hint &= PAGE_MASK;
	if (hint && hint < MMAP_MIN_ADDR)
		return MMAP_MIN_ADDR;
	return hint;
}

/* Linux's mmap_address_hint_valid(): inside user space, not straddling the window. */
static bool hint_valid(struct mm_struct *mm, uintptr_t hint, size_t len)
{
	if (hint < MMAP_MIN_ADDR || mm->task_size - len < hint)
		return false;
	return (hint > DEFAULT_MAP_WINDOW) == (hint + len > DEFAULT_MAP_WINDOW);
}

/*
 * The highest @len bytes inside [low, high) clear of every vma and of the
 * guard gap below a VM_GROWSDOWN one; 0 if none. Walks down from @high.
 */
static uintptr_t gap_topdown(struct mm_struct *mm, size_t len, uintptr_t low,
			     uintptr_t high)
{
	struct vm_area_struct *next, *prev;

	if (high < low || high - low < len)
		return 0;
	next = find_vma(mm, high);
	prev = vma_prev(mm, next);
	for (;;) {
		uintptr_t gap_end = next ? MIN(vm_start_gap(next), high) : high;
		uintptr_t gap_start = prev ? MAX(prev->vm_end, low) : low;

		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_end - len;
		if (!prev || vm_start_gap(prev) <= low)
			return 0;
		next = prev;
		prev = vma_prev(mm, prev);
	}
}

/* The lowest @len bytes inside [low, high) clear of every vma; 0 if none. */
static uintptr_t gap_bottomup(struct mm_struct *mm, size_t len, uintptr_t low,
			      uintptr_t high)
{
	struct vm_area_struct *next = find_vma(mm, low);
	uintptr_t start = low;

	for (;;) {
		uintptr_t gap_end = next ? MIN(vm_start_gap(next), high) : high;

		if (gap_end > start && gap_end - start >= len)
			return start;
		if (!next || next->vm_end >= high)
			return 0;
		start = MAX(next->vm_end, low);
		next = vma_next(mm, next);
	}
}

/*
 * Linux's arch_get_unmapped_area_topdown(): the hint if that range is free,
 * else the highest free range below mmap_base (above the 47-bit window too
 * when the hint is there), else bottom-up from a third of the window. 0 if
 * the address space is full.
 */
static uintptr_t place_topdown(struct mm_struct *mm, uintptr_t hint, size_t len)
{
	uintptr_t high = mm->mmap_base, window = MIN(mm->task_size, DEFAULT_MAP_WINDOW);
	uintptr_t addr;

	if (hint) {
		struct vm_area_struct *vma;

		hint &= PAGE_MASK;
		if (hint_valid(mm, hint, len)) {
			vma = find_vma(mm, hint);
			if (!vma || hint + len <= vm_start_gap(vma))
				return hint;
		}
		if (hint > DEFAULT_MAP_WINDOW && mm->task_size > DEFAULT_MAP_WINDOW) {
			high += mm->task_size - DEFAULT_MAP_WINDOW;
			window = mm->task_size;
		}
	}
	addr = gap_topdown(mm, len, MMAP_MIN_ADDR, high);
	if (!addr)
		addr = gap_bottomup(mm, len, page_align(window / 3), window);
	return addr;
}

/*
 * Linux's get_unmapped_area(): an address for [addr, addr + len), chosen
 * or (MAP_FIXED) checked. -ENOMEM (no room, or beyond task_size), -EINVAL
 * (fixed and unaligned), -EPERM (fixed below MMAP_MIN_ADDR).
 */
static long get_unmapped_area(struct mm_struct *mm, uintptr_t addr, size_t len,
			      int flags)
{
	if (len > mm->task_size)
		return -ENOMEM;
	if (!(flags & MAP_FIXED)) {
		addr = place_topdown(mm, addr, len);
		if (!addr)
			return -ENOMEM;
	}
	if (addr > mm->task_size - len)
		return -ENOMEM;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (addr < MMAP_MIN_ADDR)
		return -EPERM;
	return (long)addr;
}

/* ---- munmap ---- */

/* Zap, unlink and destroy one vma wholly inside a range being unmapped. */
static void remove_vma(struct mm_struct *mm, struct vm_area_struct *vma)
{
	zap_page_range(vma, vma->vm_start, vma->vm_end);
	vma_unlink(mm, vma);
	mm->total_vm -= vma_pages(vma);
	vma_destroy(vma);
}

/*
 * Unmap [start, end) (page aligned, inside user space): split the vmas at
 * both ends, remove everything inside, free the tables that emptied.
 * 0, or -ENOMEM if a split failed (then nothing was unmapped).
 */
static int do_munmap_locked(struct mm_struct *mm, uintptr_t start, uintptr_t end)
{
	struct vm_area_struct *vma, *last, *next;

	if (start >= end)
		return 0;
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return 0;
	/* one vma becoming three needs room for two more */
	if (vma->vm_start < start && vma->vm_end > end && mm->map_count + 1 >= MAX_MAP_COUNT)
		return -ENOMEM;
	if (vma->vm_start < start) {
		if (vma_split(mm, vma, start))
			return -ENOMEM;
		vma = vma_next(mm, vma);
	}
	last = find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end && vma_split(mm, last, end))
		return -ENOMEM;
	while (vma && vma->vm_start < end) {
		next = vma_next(mm, vma);
		remove_vma(mm, vma);
		vma = next;
	}
	free_pgtables(mm, start, end);
	return 0;
}

/* munmap(2)'s argument checks, then do_munmap_locked(). Holds mmap_lock. */
static long munmap_locked(struct mm_struct *mm, uintptr_t start, size_t len)
{
	if ((start & ~PAGE_MASK) || start > mm->task_size || len > mm->task_size - start)
		return -EINVAL;
	len = page_align(len);
	if (len == 0)
		return -EINVAL;
	return do_munmap_locked(mm, start, start + len);
}

long mm_munmap(struct mm_struct *mm, uintptr_t addr, size_t len)
{
	long ret;

	mmap_write_lock(mm);
	ret = munmap_locked(mm, addr, len);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- mmap ---- */

static unsigned long calc_vm_prot_bits(int prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static unsigned long calc_vm_flag_bits(int flags)
{
	unsigned long vm_flags = 0;

	if (flags & MAP_GROWSDOWN)
		vm_flags |= VM_GROWSDOWN;
	if (flags & MAP_STACK)
		vm_flags |= VM_NOHUGEPAGE;	/* Linux 6.7 on */
	return vm_flags;
}

/*
 * Give the new @vma its object: @file's (a reference, the file's ->mmap
 * sets vm_ops, then the vma joins the file's i_mmap), or a new
 * shared_anon object for a shared anonymous vma. 0 or -errno (then
 * nothing is held).
 */
static int vma_attach_object(struct vm_area_struct *vma, struct file *file)
{
	int err;

	list_init(&vma->shared);
	if (file) {
		vma->vm_file = file_get(file);
		err = file->ops->mmap(file, vma);
		if (err) {
			file_put(file);
			vma->vm_file = NULL;
			return err;
		}
		vma_link_file(vma);
		return 0;
	}
	if (vma->vm_flags & VM_SHARED) {
		vma->shared_anon = shared_anon_create(vma_pages(vma));
		if (!vma->shared_anon)
			return -ENOMEM;
		vma->vm_ops = &shared_anon_vm_ops;
	}
	return 0;
}

/*
 * Create the vma [addr, addr + len) with @vm_flags over @file at @pgoff
 * (or anonymous), replacing whatever was mapped there (MAP_FIXED), and
 * merge it with compatible neighbours. Returns @addr or -errno.
 */
static long mmap_region(struct mm_struct *mm, uintptr_t addr, size_t len,
			unsigned long vm_flags, unsigned long pgoff, struct file *file)
{
	struct vm_area_struct *vma;
	int err;

	if (do_munmap_locked(mm, addr, addr + len))
		return -ENOMEM;
	vma = vma_alloc(mm);
	if (!vma)
		return -ENOMEM;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_page_prot = vm_get_page_prot(vm_flags);
	vma->vm_pgoff = pgoff;
	err = vma_attach_object(vma, file);
	if (err) {
		kfree(vma);
		return err;
	}
	vma_link(mm, vma);
	mm->total_vm += len >> PAGE_SHIFT;
	vma_merge_neighbours(mm, vma);
	return (long)addr;
}

/*
 * The vm_flags of a mapping of @file, or -errno, with Linux's checks in
 * Linux's order (do_mmap): the file must be open for reading; a shared
 * writable mapping needs it open for writing (EACCES); a shared mapping
 * of a file not open for writing can never become writable (VM_MAYWRITE
 * and VM_SHARED off, VM_MAYSHARE kept). MAP_SHARED_VALIDATE refuses flags
 * it does not know (EOPNOTSUPP).
 */
static long file_mmap_flags(struct file *file, int prot, int flags, unsigned long vm_flags)
{
	unsigned int acc = file->flags & O_ACCMODE;

	switch (flags & MAP_TYPE) {
	case MAP_SHARED_VALIDATE:
		if (flags & ~LEGACY_MAP_MASK)
			return -EOPNOTSUPP;
		/* fall through */
	case MAP_SHARED:
		if ((prot & PROT_WRITE) && acc != O_RDWR)
			return -EACCES;
		vm_flags |= VM_SHARED | VM_MAYSHARE;
		if (acc != O_RDWR)
			vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		/* fall through */
	case MAP_PRIVATE:
		if (acc == O_WRONLY)
			return -EACCES;
		if (!file->ops->mmap)
			return -ENODEV;
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		return (long)vm_flags;
	default:
		return -EINVAL;
	}
}

/*
 * do_mmap() after the length checks, under mmap_lock. The order of the
 * checks is Linux's, so a call with several faults gets Linux's errno.
 */
static long do_mmap_locked(struct mm_struct *mm, uintptr_t addr, size_t len, int prot,
			   int flags, struct file *file, unsigned long pgoff)
{
	unsigned long vm_flags;
	long ret;

	if (mm->map_count > MAX_MAP_COUNT)
		return -ENOMEM;
	ret = get_unmapped_area(mm, addr, len, flags);
	if (ret < 0)
		return ret;
	addr = (uintptr_t)ret;
	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;
	vm_flags = calc_vm_prot_bits(prot) | calc_vm_flag_bits(flags) |
		   VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (!(flags & MAP_ANONYMOUS)) {
		int type = flags & MAP_TYPE;

		if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE && type != MAP_PRIVATE)
			return -EINVAL;
		if (!file)
			return -EBADF;	/* the syscall layer's fd lookup says so first */
		ret = file_mmap_flags(file, prot, flags, vm_flags);
		if (ret < 0)
			return ret;
		return mmap_region(mm, addr, len, (unsigned long)ret, pgoff, file);
	}
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		pgoff = 0;
		vm_flags |= VM_SHARED | VM_MAYSHARE;
		break;
	case MAP_PRIVATE:
		pgoff = addr >> PAGE_SHIFT;
		break;
	default:	/* MAP_SHARED_VALIDATE too: Linux refuses it for anonymous memory */
		return -EINVAL;
	}
	return mmap_region(mm, addr, len, vm_flags, pgoff, NULL);
}

long mm_mmap(struct mm_struct *mm, uintptr_t addr, size_t len, int prot, int flags,
	     struct file *file, unsigned long pgoff)
{
	long ret;

	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED))
		addr = round_hint_to_min(addr);
	len = page_align(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	mmap_write_lock(mm);
	ret = do_mmap_locked(mm, addr, len, prot, flags, file, pgoff);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- mprotect ---- */

/*
 * Give [start, end) of @vma the flags @newflags and the matching ptes.
 * Returns the vma covering the range afterwards (merged where possible),
 * or NULL on -ENOMEM from a split.
 */
static struct vm_area_struct *mprotect_fixup(struct mm_struct *mm,
					     struct vm_area_struct *vma, uintptr_t start,
					     uintptr_t end, unsigned long newflags)
{
	if (newflags == vma->vm_flags)
		return vma;
	vma = vma_isolate(mm, vma, start, end);
	if (!vma)
		return NULL;
	vma->vm_flags = newflags;
	vma->vm_page_prot = vm_get_page_prot(newflags);
	change_protection(vma, start, end);
	return vma_merge_neighbours(mm, vma);
}

/*
 * Linux's do_mprotect_pkey() after the argument checks: vma by vma, so a
 * hole or a refused vma stops the walk with what came before it changed.
 */
static long mprotect_locked(struct mm_struct *mm, uintptr_t start, uintptr_t end,
			    int prot, int grows)
{
	unsigned long newbits = calc_vm_prot_bits(prot), newflags;
	struct vm_area_struct *vma = find_vma(mm, start);
	uintptr_t nstart, tmp;

	if (!vma)
		return -ENOMEM;
	if (grows & PROT_GROWSDOWN) {
		if (vma->vm_start >= end)
			return -ENOMEM;
		start = vma->vm_start;
		if (!(vma->vm_flags & VM_GROWSDOWN))
			return -EINVAL;
	} else {
		if (vma->vm_start > start)
			return -ENOMEM;
		if (grows & PROT_GROWSUP)
			return -EINVAL;	/* x86 has no VM_GROWSUP vma */
	}
	for (nstart = start;;) {
		if (!vma || vma->vm_start > nstart)	/* a hole */
			return -ENOMEM;
		newflags = newbits | (vma->vm_flags & ~VM_ACCESS_FLAGS);
		/* each VM_MAY* sits 4 bits above its VM_* */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
			return -EACCES;
		tmp = MIN(vma->vm_end, end);
		vma = mprotect_fixup(mm, vma, nstart, tmp, newflags);
		if (!vma)
			return -ENOMEM;
		nstart = vma->vm_end;
		if (nstart >= end)
			return 0;
		vma = vma_next(mm, vma);
	}
}

long mm_mprotect(struct mm_struct *mm, uintptr_t start, size_t len, int prot)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	uintptr_t end;
	long ret;

	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = page_align(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = mprotect_locked(mm, start, end, prot, grows);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- brk ---- */

#define VM_BRK_FLAGS	(VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/*
 * Map [addr, addr + len) as heap: grow the "[heap]" vma ending at @addr, or
 * create one. The caller checked that the range is free. 0 or -ENOMEM.
 */
static int do_brk_locked(struct mm_struct *mm, uintptr_t addr, size_t len)
{
	struct vm_area_struct *prev = vma_prev(mm, find_vma(mm, addr));
	struct vm_area_struct *vma;

	if (prev && prev->vm_end == addr && prev->vm_flags == VM_BRK_FLAGS &&
	    !prev->vm_ops && prev->vm_name == heap_name) {
		prev->vm_end += len;
		mm->total_vm += len >> PAGE_SHIFT;
		return 0;
	}
	vma = vma_alloc(mm);
	if (!vma)
		return -ENOMEM;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = VM_BRK_FLAGS;
	vma->vm_page_prot = vm_get_page_prot(VM_BRK_FLAGS);
	vma->vm_pgoff = addr >> PAGE_SHIFT;
	vma->vm_name = heap_name;
	vma_link(mm, vma);
	mm->total_vm += len >> PAGE_SHIFT;
	return 0;
}

/*
 * Linux's brk(2): 0 or an address below start_brk, a break that would run
 * into a mapping (keeping a page and the stack guard gap free) or leave
 * user space, and a failed allocation all leave the break where it was and
 * return it. Shrinking unmaps.
 */
static uintptr_t brk_locked(struct mm_struct *mm, uintptr_t brk)
{
	uintptr_t newbrk = page_align(brk), oldbrk = page_align(mm->brk);
	struct vm_area_struct *next;

	if (brk < mm->start_brk || newbrk < brk || newbrk > mm->task_size)
		return mm->brk;
	if (brk > mm->brk && oldbrk < MMAP_MIN_ADDR)	/* no heap set up (exec does) */
		return mm->brk;
	if (newbrk == oldbrk) {
		mm->brk = brk;
		return brk;
	}
	if (brk <= mm->brk) {
		struct vm_area_struct *vma = find_vma(mm, newbrk);

		if (!vma || vma->vm_start >= oldbrk || do_munmap_locked(mm, newbrk, oldbrk))
			return mm->brk;
		mm->brk = brk;
		return brk;
	}
	next = find_vma(mm, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		return mm->brk;
	if (do_brk_locked(mm, oldbrk, newbrk - oldbrk))
		return mm->brk;
	mm->brk = brk;
	return brk;
}

long mm_brk(struct mm_struct *mm, uintptr_t brk)
{
	uintptr_t ret;

	mmap_write_lock(mm);
	ret = brk_locked(mm, brk);
	mmap_write_unlock(mm);
	return (long)ret;
}

/* ---- mremap ---- */

/*
 * Linux's vma_to_resize(): may [addr, addr + old_len) of @vma become
 * new_len long? 0, -EFAULT (range leaves the vma, or the vma may not
 * grow) or -EINVAL (page offset overflow).
 */
static long vma_to_resize(struct vm_area_struct *vma, uintptr_t addr, size_t old_len,
			  size_t new_len)
{
	unsigned long pgoff;

	if (old_len > vma->vm_end - addr)
		return -EFAULT;
	if (new_len == old_len)
		return 0;
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (new_len > old_len && (vma->vm_flags & VM_DONTEXPAND))
		return -EFAULT;
	return 0;
}

/* Can @vma grow by @delta bytes in place? */
static bool vma_expandable(struct mm_struct *mm, struct vm_area_struct *vma, size_t delta)
{
	uintptr_t end = vma->vm_end + delta;

	if (end < vma->vm_end || end > mm->task_size)
		return false;
	return !find_vma_intersection(mm, vma->vm_end, end);
}

/*
 * Move [old, old + old_len) of @vma to a new vma [new, new + new_len): a
 * copy of @vma (->open() called) with the ptes moved, not copied; then the
 * old range is unmapped (nothing left to zap there). Returns @new or
 * -ENOMEM with nothing changed.
 */
static long move_vma(struct mm_struct *mm, struct vm_area_struct *vma, uintptr_t old,
		     size_t old_len, size_t new_len, uintptr_t new)
{
	struct vm_area_struct *copy;

	if (mm->map_count >= MAX_MAP_COUNT - 3)
		return -ENOMEM;
	copy = vma_alloc(mm);
	if (!copy)
		return -ENOMEM;
	*copy = *vma;
	copy->vm_rb = (struct rb_node){ 0 };
	copy->vm_start = new;
	copy->vm_end = new + new_len;
	copy->vm_pgoff = vma->vm_pgoff + ((old - vma->vm_start) >> PAGE_SHIFT);
	/* linked (and on i_mmap) before its ptes arrive, so rmap walkers always find them */
	vma_link(mm, copy);
	vma_open_copy(copy);
	if (move_page_tables(mm, old, new, old_len)) {
		vma_unlink(mm, copy);
		vma_destroy(copy);
		return -ENOMEM;
	}
	mm->total_vm += new_len >> PAGE_SHIFT;
	/* as Linux: if the old range cannot be split off, it stays, empty */
	WARN_ON(do_munmap_locked(mm, old, old + old_len));
	vma_merge_neighbours(mm, copy);
	return (long)new;
}

/* Linux's mremap_to(): MREMAP_FIXED to @new. */
static long mremap_to(struct mm_struct *mm, uintptr_t addr, size_t old_len,
		      uintptr_t new, size_t new_len)
{
	struct vm_area_struct *vma;
	long ret;

	if (new & ~PAGE_MASK)
		return -EINVAL;
	if (new_len > mm->task_size || new > mm->task_size - new_len)
		return -EINVAL;
	if (addr + old_len > new && new + new_len > addr)
		return -EINVAL;
	if (new < MMAP_MIN_ADDR)
		return -EPERM;
	if (do_munmap_locked(mm, new, new + new_len))
		return -ENOMEM;
	if (old_len > new_len) {
		if (do_munmap_locked(mm, addr + new_len, addr + old_len))
			return -ENOMEM;
		old_len = new_len;
	}
	vma = vma_lookup(mm, addr);	/* the unmaps may have split it */
	if (!vma)
		return -EFAULT;
	ret = vma_to_resize(vma, addr, old_len, new_len);
	if (ret)
		return ret;
	return move_vma(mm, vma, addr, old_len, new_len, new);
}

/* Grow [addr, addr + old_len) to new_len: in place if there is room, else move. */
static long mremap_grow(struct mm_struct *mm, struct vm_area_struct *vma, uintptr_t addr,
			size_t old_len, size_t new_len, int flags)
{
	long ret = vma_to_resize(vma, addr, old_len, new_len);

	if (ret)
		return ret;
	if (old_len == vma->vm_end - addr && vma_expandable(mm, vma, new_len - old_len)) {
		vma->vm_end += new_len - old_len;
		mm->total_vm += (new_len - old_len) >> PAGE_SHIFT;
		vma_merge_neighbours(mm, vma);
		return (long)addr;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	ret = get_unmapped_area(mm, 0, new_len,
				vma->vm_flags & VM_MAYSHARE ? MAP_SHARED : MAP_PRIVATE);
	if (ret < 0)
		return ret;
	return move_vma(mm, vma, addr, old_len, new_len, (uintptr_t)ret);
}

static long mremap_locked(struct mm_struct *mm, uintptr_t addr, size_t old_len,
			  size_t new_len, int flags, uintptr_t new_addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (!vma)
		return -EFAULT;
	/* old_len 0 duplicates a shared mapping; private ones refuse it */
	if (!old_len && !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (flags & MREMAP_FIXED)
		return mremap_to(mm, addr, old_len, new_addr, new_len);
	if (old_len >= new_len) {
		long ret = 0;

		if (old_len > new_len)
			ret = munmap_locked(mm, addr + new_len, old_len - new_len);
		return ret ? ret : (long)addr;
	}
	return mremap_grow(mm, vma, addr, old_len, new_len, flags);
}

/*
 * mremap(2). MREMAP_DONTUNMAP is not supported (-EINVAL, as an unknown
 * flag). Growing a shared anonymous mapping beyond its object is allowed,
 * as on Linux; touching the new part gives SIGBUS.
 */
long mm_mremap(struct mm_struct *mm, uintptr_t addr, size_t old_len, size_t new_len,
	       int flags, uintptr_t new_addr)
{
	long ret;

	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	old_len = page_align(old_len);
	new_len = page_align(new_len);
	if (!new_len)
		return -EINVAL;
	mmap_write_lock(mm);
	ret = mremap_locked(mm, addr, old_len, new_len, flags, new_addr);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- madvise ---- */

static bool madvise_known(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
		return true;
	default:
		return false;
	}
}

/* The vm_flags @advice gives a vma that has @flags. */
static unsigned long madvise_flags(unsigned long flags, int advice)
{
	switch (advice) {
	case MADV_NORMAL:
		return flags & ~(VM_SEQ_READ | VM_RAND_READ);
	case MADV_RANDOM:
		return (flags & ~VM_SEQ_READ) | VM_RAND_READ;
	case MADV_SEQUENTIAL:
		return (flags & ~VM_RAND_READ) | VM_SEQ_READ;
	case MADV_HUGEPAGE:
		return (flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
	case MADV_NOHUGEPAGE:
		return (flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
	default:
		return flags;
	}
}

/* Apply @advice to [start, end), which lies inside @vma. 0 or -errno. */
static long madvise_vma(struct mm_struct *mm, struct vm_area_struct *vma,
			uintptr_t start, uintptr_t end, int advice)
{
	unsigned long newflags;

	switch (advice) {
	case MADV_FREE:
		/* only private anonymous memory; freeing now is a valid lazy free */
		if (vma->vm_ops || vma->vm_file || (vma->vm_flags & VM_SHARED))
			return -EINVAL;
		/* fall through */
	case MADV_DONTNEED:
		zap_page_range(vma, start, end);
		return 0;
	case MADV_WILLNEED:
		if (vma->vm_file)
			madvise_willneed_file(vma, start, end);
		return 0;
	}
	newflags = madvise_flags(vma->vm_flags, advice);
	if (newflags == vma->vm_flags)
		return 0;
	vma = vma_isolate(mm, vma, start, end);
	if (!vma)
		return -ENOMEM;
	vma->vm_flags = newflags;
	vma_merge_neighbours(mm, vma);
	return 0;
}

/*
 * Linux's madvise_walk_vmas(): advise every vma part inside [start, end);
 * holes do not stop the walk but make the result -ENOMEM.
 */
static long madvise_locked(struct mm_struct *mm, uintptr_t start, uintptr_t end,
			   int advice)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	long unmapped = 0, err;
	uintptr_t tmp;

	for (;;) {
		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = MIN(vma->vm_end, end);
		err = madvise_vma(mm, vma, start, tmp, advice);
		if (err)
			return err;
		start = tmp;
		if (start >= end)
			break;
		vma = find_vma(mm, start);
	}
	return unmapped;
}

long mm_madvise(struct mm_struct *mm, uintptr_t start, size_t len_in, int advice)
{
	size_t len;
	uintptr_t end;
	long ret;

	if (!madvise_known(advice))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	len = page_align(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	mmap_write_lock(mm);
	ret = madvise_locked(mm, start, end, advice);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- stack growth ---- */

/*
 * See mm.h. Linux's expand_downwards(): a vma below that is accessible and
 * not a stack itself must stay STACK_GUARD_GAP away, and the stack may not
 * exceed stack_limit bytes. Does not count the fault (the caller does).
 */
int expand_stack_locked(struct vm_area_struct *vma, uintptr_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *prev;
	unsigned long grow;

	mmap_assert_write_locked(mm);
	if (!(vma->vm_flags & VM_GROWSDOWN))
		return -ENOMEM;
	addr &= PAGE_MASK;
	if (addr >= vma->vm_start)
		return 0;
	if (addr < MMAP_MIN_ADDR)
		return -ENOMEM;
	prev = vma_prev(mm, vma);
	if (prev && addr < prev->vm_end)
		return -ENOMEM;
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && (prev->vm_flags & VM_ACCESS_FLAGS) &&
	    addr - prev->vm_end < STACK_GUARD_GAP)
		return -ENOMEM;
	if (vma->vm_end - addr > mm->stack_limit)
		return -ENOMEM;
	grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	vma->vm_start = addr;		/* still above prev: its rank is unchanged */
	vma->vm_pgoff -= grow;
	mm->total_vm += grow;
	return 0;
}

/* ---- /proc/PID/maps and statm ---- */

/* Bounded output that keeps counting past the end (snprintf style). */
struct text_out {
	char *buf;
	size_t len;
	size_t pos;
};

static void out_str(struct text_out *o, const char *s)
{
	for (; *s; s++, o->pos++)
		if (o->pos + 1 < o->len)
			o->buf[o->pos] = *s;
}

static void out_spaces(struct text_out *o, size_t n)
{
	for (; n; n--, o->pos++)
		if (o->pos + 1 < o->len)
			o->buf[o->pos] = ' ';
}

static size_t out_finish(struct text_out *o)
{
	if (o->len)
		o->buf[MIN(o->pos, o->len - 1)] = '\0';
	return o->pos;
}

/*
 * The name Linux's show_map_vma() prints: the object's (->name), ours
 * (vm_name: brk names its vma "[heap]"), else as Linux by address: an
 * anonymous vma overlapping [start_brk, brk) is "[heap]", one holding
 * start_stack "[stack]" (so exec only has to set mm->start_stack).
 */
static const char *vma_name(struct vm_area_struct *vma)
{
	const struct mm_struct *mm = vma->vm_mm;
	const char *name = NULL;

	if (vma->vm_ops && vma->vm_ops->name)
		name = vma->vm_ops->name(vma);
	if (name || vma->vm_name)
		return name ? name : vma->vm_name;
	if (vma->vm_file || vma->shared_anon)
		return NULL;
	/* strict, as Linux 6.6+ vma_is_initial_heap(): with no heap yet
	 * (brk == start_brk) the bss vma that ends there is not the heap */
	if (vma->vm_start < mm->brk && vma->vm_end > mm->start_brk)
		return heap_name;
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return "[stack]";
	return NULL;
}

/* A path as Linux's seq_path(..., "\n"): a newline in a name is shown as \012. */
static void out_path(struct text_out *o, const char *s)
{
	for (; *s; s++) {
		char c[2] = { *s, 0 };

		out_str(o, *s == '\n' ? "\\012" : c);
	}
}

/* The device and inode columns of a mapped file: its super block's dev_t, its inode number. */
static void file_dev_ino(const struct file *file, unsigned int *major, unsigned int *minor,
			 unsigned long *ino)
{
	const struct inode *inode = file ? file->inode : NULL;
	u32 dev = inode && inode->i_sb ? new_decode_dev(inode->i_sb->s_dev) : 0;

	*major = dev >> 20;
	*minor = dev & 0xfffff;
	*ino = inode ? (unsigned long)inode->i_ino : 0;
}

/*
 * One line as Linux's show_map_vma(): "start-end perms offset maj:min
 * inode " (the offset, device and inode only for a file mapping), then,
 * if the vma has a name (a file's path, [heap], [stack]...), padding to
 * column 72 (25 + 6 * sizeof(void *) - 1) and one more space, so the name
 * starts at column 74 counting from 1. @pathbuf (PATH_MAX bytes, or NULL)
 * is scratch space for a file's path.
 */
static void format_maps_line(struct text_out *o, struct vm_area_struct *vma, char *pathbuf)
{
	unsigned long f = vma->vm_flags, ino;
	const char *name = vma_name(vma), *path = NULL;
	/* Linux shows an offset only for a vma backed by an object */
	bool has_object = vma->vm_file || vma->shared_anon;
	unsigned int major, minor;
	char head[112];
	int n;

	file_dev_ino(vma->vm_file, &major, &minor, &ino);
	if (vma->vm_file && pathbuf)
		path = file_maps_path(vma->vm_file, pathbuf, PATH_MAX);
	n = snprintf(head, sizeof(head), "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ",
		     (unsigned long)vma->vm_start, (unsigned long)vma->vm_end,
		     f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
		     f & VM_EXEC ? 'x' : '-', f & VM_MAYSHARE ? 's' : 'p',
		     has_object ? vma->vm_pgoff << PAGE_SHIFT : 0UL, major, minor, ino);
	out_str(o, head);
	if (path || name) {
		out_spaces(o, n < 72 ? (size_t)(72 - n) : 0);
		out_spaces(o, 1);
		if (path)
			out_path(o, path);
		else
			out_str(o, name);
	}
	out_str(o, "\n");
}

size_t mm_format_maps(struct mm_struct *mm, char *buf, size_t len)
{
	struct text_out o = { .buf = buf, .len = len };
	char *pathbuf = kmalloc(PATH_MAX, GFP_KERNEL);	/* NULL: files shown without their path */

	mmap_read_lock(mm);
	for (struct vm_area_struct *vma = vma_next(mm, NULL); vma; vma = vma_next(mm, vma))
		format_maps_line(&o, vma, pathbuf);
	mmap_read_unlock(mm);
	kfree(pathbuf);
	return out_finish(&o);
}

/* One pte as Linux's pagemap_pte_range() reports it (pagemap bits in mm.h). */
static u64 pagemap_entry(struct mm_struct *mm, pte_t *pte)
{
	struct page *page;
	pfn_t pfn;
	u64 e;

	if (!pte || !pte_present(*pte))
		return 0;
	pfn = pte_pfn(*pte);
	e = PM_PRESENT | ((u64)pfn & PM_PFN_MASK);
	page = is_zero_pfn(pfn) ? NULL : mm_user_page(mm, pfn);
	if (page && !page_test_flag(page, PG_anon))
		e |= PM_FILE;
	if (page && page_mapcount(page) == 1)
		e |= PM_MMAP_EXCLUSIVE;
	return e;
}

void mm_pagemap(struct mm_struct *mm, uintptr_t addr, u64 *out, size_t n)
{
	mmap_read_lock(mm);
	spin_lock(&mm->page_table_lock);
	for (size_t i = 0; i < n; i++, addr += PAGE_SIZE)
		out[i] = addr < mm->task_size ? pagemap_entry(mm, pt_lookup_pte(&mm->pt, addr)) : 0;
	spin_unlock(&mm->page_table_lock);
	mmap_read_unlock(mm);
}

/*
 * As Linux's task_statm(): size total_vm; resident anon + shared; shared
 * rss_shared; text the pages of [start_code, end_code); data the private
 * writable and the stack vmas (data_vm + stack_vm); lib and dt 0.
 */
size_t mm_format_statm(struct mm_struct *mm, char *buf, size_t len)
{
	unsigned long text, data = 0;
	struct text_out o = { .buf = buf, .len = len };
	char line[128];

	mmap_read_lock(mm);
	for (struct vm_area_struct *vma = vma_next(mm, NULL); vma; vma = vma_next(mm, vma)) {
		unsigned long f = vma->vm_flags;

		if ((f & VM_GROWSDOWN) || (f & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			data += vma_pages(vma);
	}
	text = (page_align(mm->end_code) - (mm->start_code & PAGE_MASK)) >> PAGE_SHIFT;
	snprintf(line, sizeof(line), "%lu %lu %lu %lu 0 %lu 0\n", mm->total_vm,
		 mm->rss_anon + mm->rss_shared, mm->rss_shared, text, data);
	mmap_read_unlock(mm);
	out_str(&o, line);
	return out_finish(&o);
}
