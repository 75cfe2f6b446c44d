/*
 * When dirty page-cache pages are written back, with Linux's defaults:
 *
 *   - a mapping's pages are written once the oldest dirtying of it is
 *     older than dirty_expire (30 s);
 *   - the flusher looks every dirty_writeback_interval (5 s), and at once
 *     when dirty pages pass dirty_background_ratio (10 %) of the memory
 *     that could hold them (free + page cache);
 *   - a task that dirties pages while they pass dirty_ratio (20 %) writes
 *     back that mapping's pages itself before it goes on
 *     (balance_dirty_pages: the throttle).
 *
 * The dirty mappings are on one list, oldest dirtying first: a mapping
 * joins it when its first page is dirtied (set_page_dirty, via
 * mapping_note_dirty) and leaves it when a pass finds it clean.
 * Host-compilable: the flusher thread itself is kernel-only (the bottom of
 * this file); host tests drive writeback_expired() with their own clock.
 *
 * Locks: dirty_list_lock (irqsave, innermost: set_page_dirty may run under
 * i_pages_lock's callers) guards the list and each mapping's place on it;
 * the writing itself (filemap_fdatawrite_range) takes page locks, so it
 * runs with no spinlock held.
 */
#include <mm/writeback.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <pagoda/list.h>
#include <pagoda/spinlock.h>
#include <pagoda/mutex.h>

struct writeback_tunables wb_tunables = {
	.dirty_background_ratio = 10,
	.dirty_ratio = 20,
	.dirty_background_bytes = 0,
	.dirty_bytes = 0,
	.dirty_expire_ns = 30ull * 1000000000,
	.dirty_writeback_interval_ns = 5ull * 1000000000,
};

static spinlock_t dirty_list_lock = SPINLOCK_INIT;
static LIST_HEAD(dirty_mappings);	/* oldest dirtying first */
/*
 * Held while a mapping taken off the dirty list is written (the flusher,
 * sync): nothing else pins that mapping's inode, so an inode being
 * evicted waits here (mapping_forget_dirty) until its mapping is no
 * longer in use. Outside page locks.
 */
static DEFINE_MUTEX(wb_list_mutex);

void mapping_note_dirty(struct address_space *mapping, u64 now)
{
	unsigned long flags;

	spin_lock_irqsave(&dirty_list_lock, flags);
	if (list_empty(&mapping->dirty_link)) {
		mapping->dirtied_when = now;
		list_add_tail(&mapping->dirty_link, &dirty_mappings);
	}
	spin_unlock_irqrestore(&dirty_list_lock, flags);
}

void mapping_forget_dirty(struct address_space *mapping)
{
	unsigned long flags;

	mutex_lock(&wb_list_mutex);		/* not while the flusher or sync writes it */
	spin_lock_irqsave(&dirty_list_lock, flags);
	list_del_init(&mapping->dirty_link);
	spin_unlock_irqrestore(&dirty_list_lock, flags);
	mutex_unlock(&wb_list_mutex);
}

/*
 * The first mapping on the list that is due (dirtied at or before
 * @before), taken off the list, or NULL. Due mappings are at the front:
 * the list is in dirtying order.
 */
static struct address_space *take_due(u64 before)
{
	struct address_space *mapping = NULL;
	unsigned long flags;

	spin_lock_irqsave(&dirty_list_lock, flags);
	if (!list_empty(&dirty_mappings)) {
		struct address_space *first =
			list_first_entry(&dirty_mappings, struct address_space, dirty_link);

		if (first->dirtied_when <= before) {
			list_del_init(&first->dirty_link);
			mapping = first;
		}
	}
	spin_unlock_irqrestore(&dirty_list_lock, flags);
	return mapping;
}

/* Start writing @mapping's dirty pages; if some stay dirty (busy, redirtied), it goes back on the list. */
static void write_mapping(struct address_space *mapping, u64 now)
{
	filemap_fdatawrite_range(mapping, 0, -1, WB_SYNC_NONE);
	if (xa_marked(&mapping->i_pages, PAGECACHE_TAG_DIRTY))
		mapping_note_dirty(mapping, now);
}

unsigned long writeback_expired(u64 now, bool all)
{
	u64 before = all ? ~0ull : (now >= wb_tunables.dirty_expire_ns ?
				    now - wb_tunables.dirty_expire_ns : 0);
	unsigned long n = 0, limit = 0;
	struct address_space *mapping;
	unsigned long flags;

	/* each mapping on the list now at most once: re-added ones wait their turn */
	spin_lock_irqsave(&dirty_list_lock, flags);
	for (struct list_head *e = dirty_mappings.next; e != &dirty_mappings; e = e->next)
		limit++;
	spin_unlock_irqrestore(&dirty_list_lock, flags);
	mutex_lock(&wb_list_mutex);
	while (n < limit && (mapping = take_due(before))) {
		write_mapping(mapping, now);
		n++;
	}
	mutex_unlock(&wb_list_mutex);
	return n;
}

/* Pages that could hold page cache: free plus cached now. */
static unsigned long dirtyable_pages(struct pmm *pmm)
{
	return pmm_nr_free(pmm) + READ_ONCE(page_cache_stats.nr_file_pages);
}

static unsigned long limit_pages(unsigned long bytes, unsigned int ratio, unsigned long dirtyable)
{
	if (bytes)
		return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	return dirtyable * ratio / 100;
}

unsigned long dirty_threshold(struct pmm *pmm)
{
	return limit_pages(READ_ONCE(wb_tunables.dirty_bytes), READ_ONCE(wb_tunables.dirty_ratio),
			   dirtyable_pages(pmm));
}

unsigned long dirty_background_threshold(struct pmm *pmm)
{
	unsigned long dirtyable = dirtyable_pages(pmm);
	unsigned long thresh = limit_pages(READ_ONCE(wb_tunables.dirty_bytes),
					   READ_ONCE(wb_tunables.dirty_ratio), dirtyable);
	unsigned long bg = limit_pages(READ_ONCE(wb_tunables.dirty_background_bytes),
				       READ_ONCE(wb_tunables.dirty_background_ratio), dirtyable);

	return bg >= thresh ? thresh / 2 : bg;
}

bool balance_dirty_pages(struct address_space *mapping)
{
	/* pages under writeback are not free yet either: they count */
	unsigned long dirty = READ_ONCE(page_cache_stats.nr_dirty) +
			      READ_ONCE(page_cache_stats.nr_writeback);
	unsigned long thresh;

	if (!mapping->a_ops || !mapping->a_ops->writepage)
		return false;			/* nothing to write it to (ramfs) */
	thresh = dirty_threshold(mapping->pmm);
	if (dirty > dirty_background_threshold(mapping->pmm))
		wakeup_flusher();
	if (dirty <= thresh)
		return false;
	/* over the limit: this writer pays, writing its own mapping's pages and waiting for them */
	page_cache_stats.throttled++;
	filemap_fdatawrite_range(mapping, 0, -1, WB_SYNC_NONE);
	filemap_fdatawait_range(mapping, 0, -1);
	return true;
}

int sync_all_mappings(void)
{
	struct address_space *mapping;
	int err = 0, e;

	mutex_lock(&wb_list_mutex);
	while ((mapping = take_due(~0ull))) {
		e = filemap_write_and_wait_range(mapping, 0, -1);
		if (e && !err)
			err = e;
	}
	mutex_unlock(&wb_list_mutex);
	return err;
}

#ifndef HOST_TEST
#include <pagoda/init.h>
#include <pagoda/kthread.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/wait.h>

static DECLARE_WAIT_QUEUE_HEAD(flusher_wait);
static bool flusher_kicked;
static bool flusher_retune;	/* the interval changed: sleep again with the new one */

void wakeup_flusher(void)
{
	WRITE_ONCE(flusher_kicked, true);
	wake_up(&flusher_wait);
}

void writeback_pause(void)
{
	current->state = TASK_UNINTERRUPTIBLE;
	schedule_timeout(10 * 1000000ll);
}

void writeback_interval_changed(void)
{
	WRITE_ONCE(flusher_retune, true);
	wake_up(&flusher_wait);
}

/* Sleep one dirty_writeback_interval (for ever when it is 0) or until kicked or retuned. */
static void flusher_sleep(void)
{
	u64 interval = READ_ONCE(wb_tunables.dirty_writeback_interval_ns);

	if (interval)
		wait_event_timeout(flusher_wait, READ_ONCE(flusher_kicked) ||
				   READ_ONCE(flusher_retune) || kthread_should_stop(), interval);
	else
		wait_event(flusher_wait, READ_ONCE(flusher_kicked) || READ_ONCE(flusher_retune) ||
			   kthread_should_stop());
}

/*
 * The flusher: every dirty_writeback_interval, write the mappings whose
 * dirtying expired; when kicked (dirty pages past the background
 * threshold), write every dirty mapping.
 */
static int flusher(void *unused)
{
	while (!kthread_should_stop()) {
		bool kicked;

		flusher_sleep();
		kicked = __atomic_exchange_n(&flusher_kicked, false, __ATOMIC_ACQ_REL);
		if (__atomic_exchange_n(&flusher_retune, false, __ATOMIC_ACQ_REL) && !kicked)
			continue;	/* woken to re-read the interval: nothing is due for that */
		writeback_expired(time_ns(), kicked);
	}
	return 0;
}

static int flusher_init(void)
{
	if (!kthread_run(flusher, NULL, "flusher"))
		printk("writeback: no flusher thread (out of memory): dirty pages are written by sync and the throttle only\n");
	return 0;
}
late_initcall(flusher_init);
#endif
