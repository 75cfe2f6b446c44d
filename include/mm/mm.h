/*
 * Address spaces: mm_struct, VMAs and the page-fault entry points.
 * Host-compilable (no arch header): host tests build an mm over simulated
 * RAM and drive mmap/munmap/mprotect/brk and handle_mm_fault() directly.
 *
 * Ownership and locks (docs/lock-order.md):
 *   mm->mmap_lock        the VMA tree and every VMA field: a sleeping
 *                        reader/writer semaphore (mm/mmap_lock.h); read by
 *                        the fault path and VMA readers, write by mmap,
 *                        munmap, mprotect, brk, mremap, madvise and fork
 *   mm->page_table_lock  the user half of mm->pt (every level) and page
 *                        mapcounts, a spinlock taken inside mmap_lock
 * Code that needs a lock held ends in _locked.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include <pagoda/types.h>
#include <pagoda/rbtree.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>
#include <pagoda/rwsem.h>
#include <mm/fault.h>
#include <mm/pgtable.h>
#include <mm/mmap_lock.h>

struct page;
struct pmm;
struct file;
struct vm_area_struct;
struct shared_anon;

/* ---- vm_flags ---- */
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL	/* mprotect may add PROT_READ later */
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_GROWSDOWN	0x00000100UL	/* the stack: grows on faults below it */
#define VM_LOCKED	0x00002000UL	/* mlock (not implemented yet: never set) */
#define VM_SEQ_READ	0x00008000UL	/* madvise(MADV_SEQUENTIAL) */
#define VM_RAND_READ	0x00010000UL	/* madvise(MADV_RANDOM) */
#define VM_DONTEXPAND	0x00040000UL	/* mremap may not grow it */
#define VM_HUGEPAGE	0x20000000UL	/* madvise(MADV_HUGEPAGE) */
#define VM_NOHUGEPAGE	0x40000000UL	/* madvise(MADV_NOHUGEPAGE), MAP_STACK */
#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)

/* Linux values: mmap(2), mprotect(2), madvise(2). */
#define PROT_NONE	0x0
#define PROT_READ	0x1
#define PROT_WRITE	0x2
#define PROT_EXEC	0x4
#define PROT_SEM	0x8		/* accepted by mprotect, no effect */
#define PROT_GROWSDOWN	0x01000000
#define PROT_GROWSUP	0x02000000
#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE	0x0f
#define MAP_FIXED	0x10
#define MAP_ANONYMOUS	0x20
#define MAP_GROWSDOWN	0x0100
#define MAP_DENYWRITE	0x0800
#define MAP_EXECUTABLE	0x1000
#define MAP_LOCKED	0x2000
#define MAP_NORESERVE	0x4000
#define MAP_POPULATE	0x8000
#define MAP_NONBLOCK	0x10000
#define MAP_STACK	0x20000
#define MAP_HUGETLB	0x40000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_32BIT	0x40
#define MAP_UNINITIALIZED 0x4000000
#define MAP_HUGE_2MB	(21U << 26)
#define MAP_HUGE_1GB	(30U << 26)
/* The flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK; others: EOPNOTSUPP). */
#define LEGACY_MAP_MASK	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | \
			 MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | \
			 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | \
			 MAP_32BIT | MAP_HUGE_2MB | MAP_HUGE_1GB)
#define MREMAP_MAYMOVE	1
#define MREMAP_FIXED	2
#define MS_ASYNC	1
#define MS_INVALIDATE	2
#define MS_SYNC		4
#define MADV_NORMAL	0
#define MADV_RANDOM	1
#define MADV_SEQUENTIAL	2
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define MADV_FREE	8
#define MADV_HUGEPAGE	14
#define MADV_NOHUGEPAGE	15

/* Linux's defaults, in bytes. */
#define STACK_GUARD_GAP		(256UL << PAGE_SHIFT)	/* kept below a VM_GROWSDOWN vma */
#define RLIMIT_STACK_DEFAULT	(8UL << 20)
#define MMAP_MIN_ADDR		0x10000UL		/* page 0..64 KiB never mappable */
#define MAX_MAP_COUNT		65530			/* vm.max_map_count */
/*
 * The 47-bit window: all of user space with 4 levels; with 5 levels
 * mappings go above it only when a hint asks for it (as Linux). The stack
 * top, and task_size with 4 levels.
 */
#define DEFAULT_MAP_WINDOW	((1UL << 47) - PAGE_SIZE)
#define TASK_SIZE_L5		((1UL << 56) - PAGE_SIZE)
/*
 * Top-down mmap placement starts at mmap_base = window - gap, the gap being
 * the stack limit plus STACK_GUARD_GAP but at least MMAP_GAP_MIN (Linux's
 * mmap_base() without randomisation): 0x7ffff7fff000 by default.
 */
#define MMAP_GAP_MIN		(128UL << 20)

/* ---- per-VMA operations (file and shared mappings; the page-cache issue adds files) ---- */

struct vm_fault {
	/* inputs, valid for the whole fault */
	struct vm_area_struct *vma;
	uintptr_t address;		/* faulting address, page aligned */
	uintptr_t real_address;		/* exact faulting address (CR2) */
	unsigned int flags;		/* FAULT_FLAG_* */
	unsigned long pgoff;		/* page offset within vma's object */
	/* filled in along the way, under mm->page_table_lock where noted */
	pmd_t *pmd;			/* the pmd covering address */
	pte_t *pte;			/* the pte, once the table exists (ptl) */
	pte_t orig_pte;			/* snapshot taken before the decision */
	struct page *page;		/* ->fault()'s result, with a reference */
	struct page *cow_page;		/* private copy for a write fault */
};

struct vm_operations_struct {
	/*
	 * Find or create the page backing vmf->pgoff; return it in vmf->page
	 * with a reference held. Returns 0 or VM_FAULT_* error bits.
	 */
	vm_fault_t (*fault)(struct vm_fault *vmf);
	/*
	 * Map pages already in memory of [start_pgoff, end_pgoff] (within
	 * vmf->pmd's pte table) around vmf->address (fault-around). Never
	 * sleeps. VM_FAULT_NOPAGE if vmf->address's page got mapped, else 0.
	 */
	vm_fault_t (*map_pages)(struct vm_fault *vmf, unsigned long start_pgoff,
				unsigned long end_pgoff);
	/* A write is about to make vmf->page writable. */
	vm_fault_t (*page_mkwrite)(struct vm_fault *vmf);
	void (*open)(struct vm_area_struct *vma);	/* vma duplicated or split */
	void (*close)(struct vm_area_struct *vma);	/* vma going away */
	const char *(*name)(struct vm_area_struct *vma);	/* for /proc/self/maps */
};

struct vm_area_struct {
	uintptr_t vm_start;		/* first byte */
	uintptr_t vm_end;		/* first byte after */
	unsigned long vm_flags;		/* VM_* */
	pgprot_t vm_page_prot;		/* arch_pgprot() of the access flags */
	struct mm_struct *vm_mm;
	struct rb_node vm_rb;		/* in mm->mm_rb, keyed by vm_start */
	const struct vm_operations_struct *vm_ops;	/* NULL: private anonymous */
	struct file *vm_file;		/* mapped file, referenced (NULL: anonymous) */
	struct list_head shared;	/* in vm_file->f_mapping->i_mmap (i_mmap_rwsem) */
	unsigned long vm_pgoff;		/* offset of vm_start in the object, pages */
	struct shared_anon *shared_anon;	/* MAP_SHARED|MAP_ANONYMOUS object */
	const char *vm_name;		/* "[heap]", "[stack]" or NULL */
};

struct fault_counters {
	unsigned long anon;		/* do_anonymous_page gave a new zeroed page */
	unsigned long zero_page;	/* do_anonymous_page mapped the zero page */
	unsigned long wp_copy;		/* do_wp_page copied */
	unsigned long wp_reuse;		/* do_wp_page made the page writable in place */
	unsigned long shared;		/* shared anonymous (->fault) */
	unsigned long stack_expand;	/* the stack vma grew */
	unsigned long sigsegv;		/* unserved: SIGSEGV */
	unsigned long sigbus;		/* unserved: SIGBUS */
	unsigned long spurious;		/* raced or TLB-stale: nothing to do */
	unsigned long minor, major;	/* as getrusage(2) counts them */
};

struct mm_struct {
	struct rb_root mm_rb;		/* VMAs by address (mmap_lock) */
	unsigned int map_count;		/* number of VMAs */
	struct page_table pt;		/* user half owned; kernel half shared */
	struct pmm *pmm;		/* where user pages come from */
	struct rw_semaphore mmap_lock;	/* include/mm/mmap_lock.h */
	spinlock_t page_table_lock;
	int users;			/* references; mm_put() frees at 0 */

	uintptr_t task_size;		/* end of user space (4- or 5-level) */
	uintptr_t mmap_base;		/* top-down placement starts below this */
	uintptr_t start_code, end_code, start_data, end_data;
	uintptr_t start_brk, brk;	/* heap: [start_brk, brk) */
	uintptr_t start_stack;		/* initial stack pointer */
	uintptr_t arg_start, arg_end, env_start, env_end;
	unsigned long stack_limit;	/* RLIMIT_STACK, bytes */
	struct file *exe_file;		/* the program exec ran: referenced, writes denied */

	unsigned long total_vm;		/* pages mapped by VMAs */
	unsigned long rss_anon;		/* resident private pages (statm) */
	unsigned long rss_shared;	/* resident shared pages (statm) */
	struct fault_counters faults;
};

/* Global fault counters, summed over every mm. */
extern struct fault_counters global_faults;

/* The shared zero page: mapped read-only for reads of untouched anon memory. */
extern struct page *zero_page;
void zero_page_init(struct pmm *pmm);
/* Is @pfn the zero page? Mappings of it hold no reference: zap and fork skip it. */
bool is_zero_pfn(pfn_t pfn);

/*
 * ---- shared anonymous memory (mm/shared_anon.c) ----
 * The object behind MAP_SHARED|MAP_ANONYMOUS: @pages pages, zero-filled on
 * first touch from the faulting mm's pmm. Returned with one reference, which
 * the vma mm_mmap() creates owns: set vma->shared_anon to it, vma->vm_ops to
 * &shared_anon_vm_ops and vma->vm_pgoff to 0. ->open() takes a reference for
 * each vma copied (fork) or split off (which keeps vm_pgoff consistent);
 * ->close() drops one, after the vma's ptes are zapped; the last frees the
 * object and its pages. NULL on -ENOMEM. Its pages are not PG_anon: mapping
 * one counts in rss_shared, so zap subtracts from rss_shared for them.
 */
struct shared_anon *shared_anon_create(size_t pages);
/* Drop a reference without a vma (mm_mmap's error path). */
void shared_anon_put(struct shared_anon *sa);
/* Pages allocated in the object so far. */
size_t shared_anon_nr_resident(struct shared_anon *sa);
extern const struct vm_operations_struct shared_anon_vm_ops;

/* ---- address spaces (mm/mmap.c) ---- */

/*
 * New empty address space: a page table whose kernel half is shared with
 * @kernel (may be NULL on the host), user pages and tables from @pmm,
 * user space ending at @task_size. NULL on -ENOMEM.
 */
struct mm_struct *mm_create(struct pmm *pmm, const struct page_table *kernel,
			    uintptr_t task_size);
void mm_get(struct mm_struct *mm);
/*
 * Drop a reference; at 0 unmap everything, free all user pages and tables
 * (the kernel half stays: it is pinned). The last put must not run while
 * @mm's tables are loaded in CR3: switch to kernel_pt first.
 */
void mm_put(struct mm_struct *mm);

/*
 * Make @file @mm's program (Linux's set_mm_exe_file at exec): @mm takes
 * over the caller's file reference and the write denial the caller took
 * on its inode (deny_write_access), so the file cannot be opened for
 * writing while any address space runs it. Both are given back when @mm
 * goes (mm_put); fork's copy takes its own (dup_mm).
 */
void mm_set_exe_file(struct mm_struct *mm, struct file *file);

/* DEFAULT_MAP_WINDOW with 4-level paging, TASK_SIZE_L5 with 5. */
uintptr_t mm_default_task_size(void);

/*
 * The pte protection of a vma with @vm_flags: user, readable, writable for
 * VM_WRITE (shared and private alike: do_wp_page and mprotect keep pages
 * that must be copied, or whose object wants a write notification,
 * read-only), executable for VM_EXEC. With no access flag at all
 * (PROT_NONE) a protnone leaf (PP_NONE): not present to the CPU, so user
 * and kernel accesses alike fault (a syscall given such a buffer gets
 * EFAULT, as on Linux), while the pte keeps its page.
 */
pgprot_t vm_get_page_prot(unsigned long vm_flags);

/*
 * Must the first store to each page of @vma go through a write fault, so
 * its object hears of it (->page_mkwrite: a file system allocates blocks
 * and accounts the page dirty)? Shared writable mappings of an object with
 * a page_mkwrite: their clean pages are mapped read-only whatever
 * vm_page_prot says (Linux's vma_wants_writenotify).
 */
static inline bool vma_wants_writenotify(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
	       vma->vm_ops && vma->vm_ops->page_mkwrite;
}

/*
 * ---- file-backed vmas (mm/vma.c) ----
 * A vma mapping a file holds a reference on it (vm_file) and sits on its
 * mapping's i_mmap list (the reverse map: truncate and writeback find the
 * ptes of a file page through it). vma_open_copy() is called for every
 * copy of a vma (split, fork, mremap): the copy takes its own file
 * reference, joins i_mmap, and its object's ->open() runs.
 * vma_unlink_file() takes a vma off i_mmap; it must happen before the
 * vma's page tables are freed (a walker of i_mmap may be inside them), so
 * munmap and exit call it first; vma_destroy() does it otherwise and then
 * drops the file reference.
 */
void vma_link_file(struct vm_area_struct *vma);
void vma_unlink_file(struct vm_area_struct *vma);
void vma_open_copy(struct vm_area_struct *copy);

/* The user address of page @pgoff of @vma's object (which @vma must cover). */
static inline uintptr_t vma_pgoff_address(const struct vm_area_struct *vma, unsigned long pgoff)
{
	return vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
}

/*
 * Zap the ptes of every vma mapping pages [first, last] of @mapping
 * (private copies included, as truncate needs). Takes i_mmap_rwsem for
 * read and each mm's page_table_lock; the mms' mmap_locks are not needed.
 */
struct address_space;
void unmap_mapping_pages(struct address_space *mapping, unsigned long first, unsigned long last);
/*
 * Write-protect and clean every pte of a shared vma that maps @page (a
 * page-cache page, locked), as writeback needs: the next store faults and
 * dirties it again. Returns true if any of those ptes was dirty.
 */
bool page_mkclean(struct page *page);

/*
 * For reclaim (@page locked, in a page cache): remove every pte that maps
 * it (its Dirty bit moved to the page), so it can be dropped. True when
 * no pte maps it any more.
 */
bool try_to_unmap_page(struct page *page);
/*
 * How many ptes mapping @page (locked, in a page cache) were used since
 * last asked: their Accessed bits are counted and cleared.
 */
unsigned int page_referenced(struct page *page);

/* The vm_ops of a file mapped through the page cache (fault, fault-around, page_mkwrite). */
extern const struct vm_operations_struct generic_file_vm_ops;
/* file_operations->mmap of a page-cache file: generic_file_vm_ops. 0, or -ENOEXEC without ->read_folio. */
int generic_file_mmap(struct file *file, struct vm_area_struct *vma);

/* First VMA with vm_end > @addr, or NULL. O(log n). */
struct vm_area_struct *find_vma(struct mm_struct *mm, uintptr_t addr);
/* The VMA containing @addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, uintptr_t addr);
/* The first VMA overlapping [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uintptr_t start,
					     uintptr_t end);
/* Neighbours in address order; @vma NULL gives the last / the first VMA. */
struct vm_area_struct *vma_prev(struct mm_struct *mm, struct vm_area_struct *vma);
struct vm_area_struct *vma_next(struct mm_struct *mm, struct vm_area_struct *vma);

/*
 * The syscalls' mm halves, with Linux semantics and error codes (checked
 * against the man pages); the syscall layer only converts arguments.
 * Return an address or -errno.
 */
long mm_mmap(struct mm_struct *mm, uintptr_t addr, size_t len, int prot, int flags,
	     struct file *file, unsigned long pgoff);
long mm_munmap(struct mm_struct *mm, uintptr_t addr, size_t len);
long mm_mprotect(struct mm_struct *mm, uintptr_t addr, size_t len, int prot);
long mm_brk(struct mm_struct *mm, uintptr_t brk);	/* returns the new (or old) break */
long mm_mremap(struct mm_struct *mm, uintptr_t old, size_t old_len, size_t new_len,
	       int flags, uintptr_t new_addr);
long mm_madvise(struct mm_struct *mm, uintptr_t addr, size_t len, int advice);
/*
 * msync(2) (mm/msync.c): MS_SYNC writes the file pages that shared file
 * mappings of the range map and waits, reporting a writeback error once
 * per open file; MS_ASYNC does nothing more (Linux: dirty pages are
 * already tracked); MS_INVALIDATE only checks. 0, -EINVAL, -ENOMEM (a hole
 * in the range, after doing the rest), -EBUSY, -EIO.
 */
long mm_msync(struct mm_struct *mm, uintptr_t addr, size_t len, int flags);
/*
 * mincore(2) for @pages pages from @addr into @vec (kernel memory): 1 for a
 * page in memory (mapped, or a file page in the cache), else 0. -EINVAL
 * for an unaligned @addr, -ENOMEM if a page is not mapped.
 */
long mm_mincore(struct mm_struct *mm, uintptr_t addr, size_t pages, u8 *vec);
/* MADV_WILLNEED on [start, end) of a file vma: start reading its pages. mmap_lock held. */
void madvise_willneed_file(struct vm_area_struct *vma, uintptr_t start, uintptr_t end);

/*
 * Remove the PTEs of [start, end) inside @vma: drop each page's mapcount and
 * reference (the zero page is skipped), flush the TLB. Tables stay. An
 * object's page whose pte is dirty is marked PG_dirty first, so a store
 * through the mapping is not lost with the pte.
 */
void zap_page_range(struct vm_area_struct *vma, uintptr_t start, uintptr_t end);

/*
 * Format @mm's VMAs as Linux's /proc/PID/maps into @buf (at most @len bytes,
 * NUL terminated). Returns the full length needed.
 */
size_t mm_format_maps(struct mm_struct *mm, char *buf, size_t len);
/*
 * Linux's /proc/PID/pagemap entries for the @n pages from @addr into @out:
 * for a present pte PM_PRESENT and the pfn (Linux shows it to
 * CAP_SYS_ADMIN; everything runs as root here), PM_FILE for a page that is
 * not anonymous (a file's page, shared anonymous memory), and
 * PM_MMAP_EXCLUSIVE when exactly one pte maps the page; 0 for anything
 * else. Pagoda has no soft-dirty tracking or swap: those bits stay 0.
 */
#define PM_PFN_MASK		((1ULL << 55) - 1)
#define PM_MMAP_EXCLUSIVE	(1ULL << 56)
#define PM_FILE			(1ULL << 61)
#define PM_PRESENT		(1ULL << 63)
void mm_pagemap(struct mm_struct *mm, uintptr_t addr, u64 *out, size_t n);

/* Linux's /proc/PID/statm: "size resident shared text lib data dt\n". */
size_t mm_format_statm(struct mm_struct *mm, char *buf, size_t len);

/* Does @vma allow an access with fault @flags? (mm/memory.c) */
bool vma_access_ok(const struct vm_area_struct *vma, unsigned int flags);

/*
 * Grow a VM_GROWSDOWN @vma down to cover @addr, as Linux does: within
 * mm->stack_limit of the stack top, never closer than STACK_GUARD_GAP to the
 * VMA below. 0 or -ENOMEM. Caller holds mmap_lock.
 */
int expand_stack_locked(struct vm_area_struct *vma, uintptr_t addr);

/* ---- the fault path (mm/memory.c) ---- */

/*
 * Resolve a user page fault at @addr with FAULT_FLAG_* @flags in @mm:
 * find_vma, the stack-growth check, the access check, then
 * handle_mm_fault(). Never sends a signal: returns 0 (or VM_FAULT_MAJOR)
 * when served, else VM_FAULT_SIGSEGV (with *si_code = SEGV_MAPERR or
 * SEGV_ACCERR) or VM_FAULT_SIGBUS (*si_code = BUS_ADRERR) / VM_FAULT_OOM,
 * or VM_FAULT_RETRY when it gave up because a fatal signal is pending (no
 * signal to send: the task is dying). The arch layer turns that into a
 * signal. May sleep. Takes mmap_lock for read (for write to grow a stack):
 * the caller must not hold it.
 */
vm_fault_t do_user_addr_fault(struct mm_struct *mm, uintptr_t addr, unsigned int flags,
			      int *si_code);

/*
 * Serve a fault inside @vma (access already checked). Caller holds
 * mmap_lock for read. With FAULT_FLAG_ALLOW_RETRY a handler may drop it to
 * wait and return VM_FAULT_RETRY (the lock is then no longer held, and
 * @vma may be gone); otherwise it is held on return. May sleep.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, uintptr_t addr, unsigned int flags);

/*
 * For a ->fault handler about to wait for I/O: if this attempt may be
 * retried (fault_flag_allow_retry_first()), release mmap_lock and return
 * true; the handler then waits without touching vmf->vma and returns
 * VM_FAULT_RETRY. False: it must wait holding the lock.
 */
bool fault_release_mmap_lock(struct vm_fault *vmf);

/*
 * Fault-around's store (->map_pages): map @page (referenced, locked,
 * uptodate) read-only at @addr of vmf->vma, inside the pte table under
 * vmf->pmd, if that pte is none. True when mapped: the pte took the
 * caller's reference. False (pte already set): the reference is still
 * the caller's. Takes page_table_lock; never sleeps.
 */
bool vmf_map_page_readonly(struct vm_fault *vmf, struct page *page, uintptr_t addr);

/*
 * Make [addr, addr + len) of @mm present for a kernel access (uaccess
 * fixup path and get_user_pages): faults each page in as the user would.
 * 0 or -EFAULT.
 */
int fault_in_user_range(struct mm_struct *mm, uintptr_t addr, size_t len, bool write);

/*
 * fork's copy of an address space (mm/fork.c): every VMA duplicated; private
 * writable pages become copy-on-write (the PTE is write-protected in both
 * parent and child, the parent's TLB entry flushed, mapcount and refcount
 * raised); shared mappings stay shared (same pages, writable where the VMA
 * is); the zero page stays the zero page. Caller holds no mm lock. NULL on
 * -ENOMEM (the parent is unchanged apart from write-protected PTEs, which
 * are harmless: the next write goes through do_wp_page and reuses).
 */
struct mm_struct *dup_mm(struct mm_struct *old);

/*
 * Read or write @len bytes at @addr in another address space (exec fills a
 * new mm before switching to it): faults the pages in as a user access of
 * that kind would, then copies through the direct map. 0 or -EFAULT.
 */
int access_remote_vm(struct mm_struct *mm, uintptr_t addr, void *buf, size_t len,
		     bool write);

#endif
