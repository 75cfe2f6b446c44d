/*
 * Memory counters read by /proc/meminfo and /proc/vmstat (include/mm/vmstat.h):
 * the page-state pass over a pmm's struct pages and the derived figures
 * (MemAvailable, CommitLimit). Host-compilable. vm_committed_pages(), which
 * walks the tasks, is in fs/proc_mm.c.
 */
#include <mm/vmstat.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/pagemap.h>
#include <mm/page_ref.h>
#include <mm/slab.h>

struct vm_events vm_events;

/* Is @page in a page cache (not anonymous, not a slab or a page table)? */
static bool page_in_cache(const struct page *page)
{
	return page->mapping && !page_test_flag(page, PG_anon) &&
	       !page_test_flag(page, PG_slab) && !page_test_flag(page, PG_buddy);
}

void mem_state_count(struct pmm *pmm, struct mem_state *st)
{
	*st = (struct mem_state){ 0 };
	for (unsigned long i = 0; i < pmm->nr_pages; i++) {
		const struct page *page = &pmm->pages[i];
		unsigned long flags = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);

		if (flags & ((1UL << PG_buddy) | (1UL << PG_reserved)))
			continue;
		if (flags & (1UL << PG_slab)) {
			st->slab++;
		} else if ((flags & (1UL << PG_head)) && !page->mapping &&
			   READ_ONCE(page->private) == KMALLOC_LARGE_MAGIC) {
			st->slab += 1UL << page->order;	/* Linux counts large kmallocs as slab */
		} else if (flags & (1UL << PG_pgtable)) {
			st->page_tables++;
		} else if (flags & (1UL << PG_anon)) {
			if (page_mapcount(page) > 0)
				st->anon++;
		} else if (page_in_cache(page)) {
			const struct address_space *mapping = READ_ONCE(page->mapping);

			if (!mapping)
				continue;		/* left its cache under us */
			if (page_mapcount(page) > 0)
				st->file_mapped++;
			if (mapping->flags & AS_UNEVICTABLE)
				st->unevictable++;
			if (mapping->flags & AS_SHMEM)
				st->shmem_cache++;
		}
	}
}

unsigned long vm_commit_limit_pages(struct pmm *pmm)
{
	return pmm->nr_managed * 50 / 100;	/* overcommit_ratio 50, no swap, no hugetlb */
}

unsigned long mem_available_pages(struct pmm *pmm)
{
	unsigned long wmark = pmm->watermark_low;
	unsigned long free = pmm_nr_free(pmm);
	unsigned long file = READ_ONCE(pmm->lru.nr_active) + READ_ONCE(pmm->lru.nr_inactive);
	long avail = (long)free - (long)wmark;

	avail += (long)(file - MIN(file / 2, wmark));
	return avail < 0 ? 0 : (unsigned long)avail;
}
