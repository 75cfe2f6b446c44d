/*
 * Memory counters for /proc/meminfo and /proc/vmstat (fs/proc_mm.c).
 *
 * Two kinds, as in Linux:
 *   - events, only ever incremented where they happen (plain increments,
 *     no lock: a lost update on a race is a miscount of one, as with
 *     Linux's per-cpu counters read without their lock): the fault
 *     counters (global_faults, mm/memory.c), page_cache_stats
 *     (mm/filemap.c), reclaim_stats (mm/vmscan.c), the pmm's
 *     pgalloc/pgfree (mm/buddy.c) and vm_events below;
 *   - states (how many pages are anonymous, mapped, page tables, slab...),
 *     which Pagoda does not keep in counters on the fault path: they are
 *     counted when asked, by one pass over the pmm's struct pages
 *     (mem_state_count()), so the anonymous fault path carries no extra
 *     instruction for them.
 * Host-compilable.
 */
#ifndef MM_VMSTAT_H
#define MM_VMSTAT_H

#include <pagoda/types.h>

struct pmm;

/* Events without a home in another subsystem's counters. */
struct vm_events {
	unsigned long pgactivate;	/* inactive -> active LRU moves */
	unsigned long pgdeactivate;	/* active -> inactive LRU moves */
	unsigned long pgrefill;		/* active pages looked at to refill the inactive list */
	unsigned long drop_pagecache;	/* writes of 1 or 3 to /proc/sys/vm/drop_caches */
	unsigned long drop_slab;	/* writes of 2 or 3 */
	unsigned long shmem_pages;	/* resident MAP_SHARED|MAP_ANONYMOUS pages (a state) */
};
extern struct vm_events vm_events;

/* Page states of one pmm, counted by mem_state_count(). In pages. */
struct mem_state {
	unsigned long anon;		/* PG_anon pages mapped by a pte (AnonPages) */
	unsigned long file_mapped;	/* page-cache pages mapped by a pte (Mapped) */
	unsigned long shmem_cache;	/* page-cache pages of tmpfs files (part of Shmem) */
	unsigned long unevictable;	/* page-cache pages of ramfs/tmpfs (never on the LRU) */
	unsigned long page_tables;	/* PG_pgtable, the kernel's own included */
	unsigned long slab;		/* PG_slab and large kmalloc blocks (Slab, all unreclaimable) */
};

/*
 * One pass over @pmm's struct pages. Racy by design (no lock: the
 * answer is a snapshot of moving counts, as Linux's are). O(pages):
 * about a millisecond per GiB; called by the /proc readers only.
 */
void mem_state_count(struct pmm *pmm, struct mem_state *st);

/*
 * Committed_AS: pages the address spaces could need if every private
 * writable and shared anonymous page were touched. An estimate (the
 * mapped size of every live address space) until overcommit accounting
 * keeps the exact sum (vm_committed_as in Linux): this is its hook.
 */
unsigned long vm_committed_pages(void);

/* CommitLimit: with no swap, half the RAM (overcommit_ratio 50), as Linux computes it. */
unsigned long vm_commit_limit_pages(struct pmm *pmm);

/*
 * MemAvailable, as Linux's si_mem_available(): free pages above the low
 * watermark, plus the evictable page cache less what reclaim would keep
 * (half of it, at most the low watermark).
 */
unsigned long mem_available_pages(struct pmm *pmm);

/*
 * /proc/sys/vm/drop_caches: 1 drops every clean, unmapped, unused page of
 * the evictable page cache (not ramfs/tmpfs: they are the only copy);
 * returns how many pages went. Sleeps.
 */
unsigned long drop_pagecache(struct pmm *pmm);

#endif
