/*
 * Writeback policy (mm/page-writeback.c): which dirty page-cache pages
 * are written when, with Linux's default tunables; the flusher thread;
 * the throttle of tasks that dirty pages faster than the disks take them;
 * sync(2). The mechanism (writing one mapping's pages) is in
 * include/mm/pagemap.h. Host-compilable, but for the flusher thread.
 */
#ifndef MM_WRITEBACK_H
#define MM_WRITEBACK_H

#include <pagoda/types.h>

struct address_space;
struct pmm;

/*
 * /proc/sys/vm/dirty_* (fs/proc_sys.c), with Linux's defaults; ratios in
 * percent of dirtyable memory. As in Linux, a limit is given either as a
 * ratio or in bytes: setting one clears the other (the sysctl handlers
 * do), and a non-zero byte count wins.
 */
struct writeback_tunables {
	unsigned int dirty_background_ratio;	/* 10: the flusher starts */
	unsigned int dirty_ratio;		/* 20: writers write themselves */
	unsigned long dirty_background_bytes;	/* 0: use the ratio */
	unsigned long dirty_bytes;		/* 0: use the ratio */
	u64 dirty_expire_ns;			/* 30 s: a dirtying this old is written */
	u64 dirty_writeback_interval_ns;	/* 5 s: how often the flusher looks; 0: never by itself */
};
extern struct writeback_tunables wb_tunables;

/* The flusher's interval changed: let it sleep with the new one (no writing forced). */
void writeback_interval_changed(void);

/*
 * @mapping has a dirty page now (set_page_dirty calls it on the first):
 * put it on the dirty list, remembering @now if it was clean. Any context
 * but interrupt handlers.
 */
void mapping_note_dirty(struct address_space *mapping, u64 now);
/* Take @mapping off the dirty list (it is going away, or was written clean). */
void mapping_forget_dirty(struct address_space *mapping);

/*
 * Start writing (WB_SYNC_NONE) every mapping whose first dirtying is older
 * than dirty_expire at @now, or every dirty mapping with @all. A mapping
 * still dirty afterwards goes back on the list, dirtied "now". Returns how
 * many mappings were written. Sleeps (page locks).
 */
unsigned long writeback_expired(u64 now, bool all);

/*
 * Dirty pages allowed before the flusher starts / before writers are
 * throttled, as Linux's domain_dirty_limits(): the byte count in pages
 * (rounded up) when set, else the ratio of the dirtyable pages; a
 * background threshold not below the dirty one becomes half of it.
 */
unsigned long dirty_background_threshold(struct pmm *pmm);
unsigned long dirty_threshold(struct pmm *pmm);

/*
 * After a task dirtied a page of @mapping (a store through a shared
 * mapping, a write()): wake the flusher past the background threshold;
 * past the dirty threshold, write @mapping's dirty pages before going on.
 * True if it had to write; a mapping with no writepage (ramfs) is never
 * throttled. Called with no page locked. Sleeps.
 */
bool balance_dirty_pages(struct address_space *mapping);

/* Wake the flusher now (kernel; the host's tests provide their own). */
void wakeup_flusher(void);
/*
 * Sleep a moment (10 ms) so a woken flusher can start writing: reclaim's
 * wait when every page it found was dirty and none was under writeback
 * yet (the host's tests provide their own).
 */
void writeback_pause(void);

/* sync(2): write every dirty mapping and wait for it; 0 or the first error. */
int sync_all_mappings(void);

#endif
