/*
 * /proc/meminfo and /proc/vmstat in Linux 6.1's formats, from the
 * counters of include/mm/vmstat.h. Linux lines whose config Pagoda does
 * not have are left out as Linux leaves them out (zswap, highmem, THP,
 * CMA, memory failure, hugetlb); lines Linux always prints whose
 * concept Pagoda lacks print 0 (docs/user-space.md, "/proc").
 */
#include <fs/proc.h>
#include <pagoda/bio.h>
#include <pagoda/task.h>
#include <pagoda/vsprintf.h>
#include <asm/irqflags.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/vmscan.h>
#include <mm/vmstat.h>
#include <mm/writeback.h>

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

#define COMMIT_MMS_SEEN	64	/* distinct address spaces remembered to count each once */

/*
 * The hook for overcommit accounting (include/mm/vmstat.h): today the
 * mapped size of each live address space, each counted once (a vfork
 * child shares its parent's); past COMMIT_MMS_SEEN distinct ones a
 * shared one may count twice.
 */
unsigned long vm_committed_pages(void)
{
	const struct mm_struct *seen[COMMIT_MMS_SEEN];
	unsigned int nseen = 0;
	unsigned long pages = 0, flags;
	struct list_head *pos;

	flags = local_irq_save();
	list_for_each(pos, &task_all_list) {
		const struct task *t = list_entry(pos, struct task, all_list);
		unsigned int i;

		if (!t->mm)
			continue;
		for (i = 0; i < nseen && seen[i] != t->mm; i++)
			;
		if (i < nseen)
			continue;
		if (nseen < COMMIT_MMS_SEEN)
			seen[nseen++] = t->mm;
		pages += READ_ONCE(t->mm->total_vm);
	}
	local_irq_restore(flags);
	return pages;
}

/* Kernel stacks in use, in KiB (each task has one of KERNEL_STACK_SIZE). */
static unsigned long kernel_stack_kb(void)
{
	unsigned long n = 0, flags;
	struct list_head *pos;

	flags = local_irq_save();
	list_for_each(pos, &task_all_list)
		n++;
	local_irq_restore(flags);
	return n * (KERNEL_STACK_SIZE >> 10);
}

/* Everything both files show, gathered once per generation. */
struct mem_figures {
	struct mem_state st;
	unsigned long total, free, available;
	unsigned long file_pages;	/* page cache + shared anonymous (Linux's NR_FILE_PAGES) */
	unsigned long shmem;
	unsigned long active_anon, inactive_anon, active_file, inactive_file, unevictable;
	unsigned long dirty, writeback;
	unsigned long kernel_stack_kb;
	unsigned long page_tables;	/* of user address spaces: the kernel's own are not counted */
};

static void gather(struct mem_figures *m)
{
	struct pmm *pmm = &kernel_pmm;
	unsigned long shared_anon = READ_ONCE(vm_events.shmem_pages);

	mem_state_count(pmm, &m->st);
	m->total = pmm->nr_managed;
	m->free = pmm_nr_free(pmm);
	m->available = mem_available_pages(pmm);
	m->file_pages = READ_ONCE(page_cache_stats.nr_file_pages) + shared_anon;
	m->shmem = shared_anon + m->st.shmem_cache;
	/* no anon LRU: anonymous and shmem pages stay where Linux adds them, the inactive list */
	m->active_anon = 0;
	m->inactive_anon = m->st.anon + m->shmem;
	m->active_file = READ_ONCE(pmm->lru.nr_active);
	m->inactive_file = READ_ONCE(pmm->lru.nr_inactive);
	m->unevictable = m->st.unevictable - MIN(m->st.unevictable, m->st.shmem_cache);
	m->dirty = READ_ONCE(page_cache_stats.nr_dirty);
	m->writeback = READ_ONCE(page_cache_stats.nr_writeback);
	m->kernel_stack_kb = kernel_stack_kb();
	m->page_tables = m->st.page_tables - MIN(m->st.page_tables, READ_ONCE(kernel_pt.nr_table_pages));
}

/* "Name:" padded to 16 columns, the value right-aligned in 8, " kB": Linux's show_val_kb(). */
static void kb_line(struct proc_out *o, const char *name, unsigned long kb)
{
	proc_printf(o, "%-16s%8lu kB\n", name, kb);
}

size_t proc_meminfo_show(char *buf, size_t len)
{
	struct proc_out o = PROC_OUT_INIT(buf, len);
	struct mem_figures m;
	unsigned long buffers = 0;	/* no block device has a page cache yet */
	unsigned long cached;

	gather(&m);
	cached = m.file_pages - buffers;
	kb_line(&o, "MemTotal:", K(m.total));
	kb_line(&o, "MemFree:", K(m.free));
	kb_line(&o, "MemAvailable:", K(m.available));
	kb_line(&o, "Buffers:", K(buffers));
	kb_line(&o, "Cached:", K(cached));
	kb_line(&o, "SwapCached:", 0);
	kb_line(&o, "Active:", K(m.active_anon + m.active_file));
	kb_line(&o, "Inactive:", K(m.inactive_anon + m.inactive_file));
	kb_line(&o, "Active(anon):", K(m.active_anon));
	kb_line(&o, "Inactive(anon):", K(m.inactive_anon));
	kb_line(&o, "Active(file):", K(m.active_file));
	kb_line(&o, "Inactive(file):", K(m.inactive_file));
	kb_line(&o, "Unevictable:", K(m.unevictable));
	kb_line(&o, "Mlocked:", 0);
	kb_line(&o, "SwapTotal:", 0);
	kb_line(&o, "SwapFree:", 0);
	kb_line(&o, "Dirty:", K(m.dirty));
	kb_line(&o, "Writeback:", K(m.writeback));
	kb_line(&o, "AnonPages:", K(m.st.anon));
	kb_line(&o, "Mapped:", K(m.st.file_mapped));
	kb_line(&o, "Shmem:", K(m.shmem));
	kb_line(&o, "KReclaimable:", 0);
	kb_line(&o, "Slab:", K(m.st.slab));
	kb_line(&o, "SReclaimable:", 0);
	kb_line(&o, "SUnreclaim:", K(m.st.slab));
	kb_line(&o, "KernelStack:", m.kernel_stack_kb);
	kb_line(&o, "PageTables:", K(m.page_tables));
	kb_line(&o, "SecPageTables:", 0);
	kb_line(&o, "NFS_Unstable:", 0);
	kb_line(&o, "Bounce:", 0);
	kb_line(&o, "WritebackTmp:", 0);
	kb_line(&o, "CommitLimit:", K(vm_commit_limit_pages(&kernel_pmm)));
	kb_line(&o, "Committed_AS:", K(vm_committed_pages()));
	kb_line(&o, "VmallocTotal:", (unsigned long)((vmalloc_end() - vmalloc_start() - 1) >> 10));
	kb_line(&o, "VmallocUsed:", 0);
	kb_line(&o, "VmallocChunk:", 0);
	kb_line(&o, "Percpu:", 0);
	return o.pos;
}

static void stat_line(struct proc_out *o, const char *name, unsigned long long v)
{
	proc_printf(o, "%s %llu\n", name, v);
}

size_t proc_vmstat_show(char *buf, size_t len)
{
	struct proc_out o = PROC_OUT_INIT(buf, len);
	const struct fault_counters *f = &global_faults;
	struct pmm *pmm = &kernel_pmm;
	struct mem_figures m;

	gather(&m);
	/* the zone's counters (one zone: Normal) */
	stat_line(&o, "nr_free_pages", m.free);
	stat_line(&o, "nr_zone_inactive_anon", m.inactive_anon);
	stat_line(&o, "nr_zone_active_anon", m.active_anon);
	stat_line(&o, "nr_zone_inactive_file", m.inactive_file);
	stat_line(&o, "nr_zone_active_file", m.active_file);
	stat_line(&o, "nr_zone_unevictable", m.unevictable);
	stat_line(&o, "nr_zone_write_pending", m.dirty + m.writeback);
	/* the node's */
	stat_line(&o, "nr_inactive_anon", m.inactive_anon);
	stat_line(&o, "nr_active_anon", m.active_anon);
	stat_line(&o, "nr_inactive_file", m.inactive_file);
	stat_line(&o, "nr_active_file", m.active_file);
	stat_line(&o, "nr_unevictable", m.unevictable);
	stat_line(&o, "nr_slab_reclaimable", 0);
	stat_line(&o, "nr_slab_unreclaimable", m.st.slab);
	stat_line(&o, "nr_anon_pages", m.st.anon);
	stat_line(&o, "nr_mapped", m.st.file_mapped);
	stat_line(&o, "nr_file_pages", m.file_pages);
	stat_line(&o, "nr_dirty", m.dirty);
	stat_line(&o, "nr_writeback", m.writeback);
	stat_line(&o, "nr_shmem", m.shmem);
	stat_line(&o, "nr_dirtied", READ_ONCE(page_cache_stats.nr_dirtied));
	stat_line(&o, "nr_written", READ_ONCE(page_cache_stats.nr_written));
	stat_line(&o, "nr_kernel_stack", m.kernel_stack_kb);
	stat_line(&o, "nr_page_table_pages", m.page_tables);
	/* the writeback thresholds */
	stat_line(&o, "nr_dirty_threshold", dirty_threshold(pmm));
	stat_line(&o, "nr_dirty_background_threshold", dirty_background_threshold(pmm));
	/* the events */
	stat_line(&o, "pgpgin", blk_sectors_submitted[REQ_OP_READ] / 2);
	stat_line(&o, "pgpgout", blk_sectors_submitted[REQ_OP_WRITE] / 2);
	stat_line(&o, "pgalloc_normal", READ_ONCE(pmm->pgalloc));
	stat_line(&o, "pgfree", READ_ONCE(pmm->pgfree));
	stat_line(&o, "pgactivate", READ_ONCE(vm_events.pgactivate));
	stat_line(&o, "pgdeactivate", READ_ONCE(vm_events.pgdeactivate));
	stat_line(&o, "pgfault", READ_ONCE(f->minor) + READ_ONCE(f->major));
	stat_line(&o, "pgmajfault", READ_ONCE(page_cache_stats.pgmajfault));
	stat_line(&o, "pgrefill", READ_ONCE(vm_events.pgrefill));
	stat_line(&o, "pgreuse", READ_ONCE(f->wp_reuse));
	/* no kswapd: every reclaim is direct, by the allocating task, of file pages */
	stat_line(&o, "pgsteal_kswapd", 0);
	stat_line(&o, "pgsteal_direct", READ_ONCE(reclaim_stats.freed));
	stat_line(&o, "pgscan_kswapd", 0);
	stat_line(&o, "pgscan_direct", READ_ONCE(reclaim_stats.scanned));
	stat_line(&o, "pgscan_anon", 0);
	stat_line(&o, "pgscan_file", READ_ONCE(reclaim_stats.scanned));
	stat_line(&o, "pgsteal_anon", 0);
	stat_line(&o, "pgsteal_file", READ_ONCE(reclaim_stats.freed));
	stat_line(&o, "drop_pagecache", READ_ONCE(vm_events.drop_pagecache));
	stat_line(&o, "drop_slab", READ_ONCE(vm_events.drop_slab));
	return o.pos;
}
