/*
 * mm->mmap_lock: a reader/writer semaphore (include/pagoda/rwsem.h), named
 * as Linux names its operations so the rules read the same
 * (docs/lock-order.md): page faults and readers of the VMA tree take it
 * for read; anything that changes a VMA takes it for write. It may be held
 * across sleeps (allocation, I/O); it is never held on the way back to user
 * mode. Host-compilable (the host's rwsem is a single-threaded stand-in).
 */
#ifndef MM_MMAP_LOCK_H
#define MM_MMAP_LOCK_H

#include <pagoda/rwsem.h>
#include <pagoda/printk.h>

struct mm_struct;

#define mm_mmap_lock(mm)	(&(mm)->mmap_lock)

#define mmap_read_lock(mm)		down_read(mm_mmap_lock(mm))
#define mmap_read_lock_killable(mm)	down_read_killable(mm_mmap_lock(mm))
#define mmap_read_trylock(mm)		down_read_trylock(mm_mmap_lock(mm))
#define mmap_read_unlock(mm)		up_read(mm_mmap_lock(mm))
#define mmap_write_lock(mm)		down_write(mm_mmap_lock(mm))
#define mmap_write_lock_killable(mm)	down_write_killable(mm_mmap_lock(mm))
#define mmap_write_trylock(mm)		down_write_trylock(mm_mmap_lock(mm))
#define mmap_write_unlock(mm)		up_write(mm_mmap_lock(mm))
#define mmap_write_downgrade(mm)	downgrade_write(mm_mmap_lock(mm))

/* The caller holds mmap_lock (for read or write) / for write: a broken rule panics. */
#define mmap_assert_locked(mm)		BUG_ON(!rwsem_is_locked(mm_mmap_lock(mm)))
#define mmap_assert_write_locked(mm)	BUG_ON(!rwsem_is_write_locked(mm_mmap_lock(mm)))

#endif
