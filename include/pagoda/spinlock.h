/*
 * Spinlocks. Pagoda is uniprocessor today (SMP is a roadmap step), but every
 * shared structure already names the lock that protects it, so SMP only has
 * to make these real. Built on compiler atomics: host-compilable.
 */
#ifndef PAGODA_SPINLOCK_H
#define PAGODA_SPINLOCK_H

#include <pagoda/types.h>

/*
 * In the kernel a held spinlock disables preemption (kernel/sched.c), so a
 * task is never switched out while holding one; schedule() panics if
 * called with a spinlock held. Host tests have no scheduler.
 */
#ifdef __KERNEL__
#include <asm/irqflags.h>
void preempt_disable(void);
void preempt_enable(void);
#else
static inline void preempt_disable(void) {}
static inline void preempt_enable(void) {}
static inline unsigned long local_irq_save(void) { return 0; }
static inline void local_irq_restore(unsigned long flags) { (void)flags; }
#endif

typedef struct {
	volatile u32 locked;
} spinlock_t;

#define SPINLOCK_INIT	{ 0 }

static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
}

static inline void spin_lock(spinlock_t *l)
{
	preempt_disable();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

/* Take @l if it is free: true when taken (preemption then disabled). */
static inline bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return true;
	preempt_enable();
	return false;
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	preempt_enable();
}

static inline bool spin_is_locked(const spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

/*
 * For a lock an interrupt handler also takes (wait queues, completions,
 * driver queues): interrupts off while it is held, so the handler cannot
 * interrupt its own lock holder. Restores the interrupt state of @flags.
 */
#define spin_lock_irqsave(l, flags)			\
	do {						\
		(flags) = local_irq_save();		\
		spin_lock(l);				\
	} while (0)

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	local_irq_restore(flags);
}

#ifdef __KERNEL__
#include <pagoda/printk.h>		/* kernel_dying */

/*
 * For the locks the crash path's polled I/O takes (a block tag set's, a
 * driver queue's): spin_lock_irqsave(), except while kernel_dying, when
 * the dying context may have been interrupted holding the lock: then it
 * is only tried, and the caller goes on without it (touching only what
 * the crash path owns). Interrupts are off on return either way. Returns
 * whether the lock is held; give that to spin_unlock_irqrestore_if().
 */
static inline bool spin_lock_irqsave_or_try_dying(spinlock_t *l, unsigned long *flags)
{
	if (unlikely(kernel_dying)) {
		*flags = local_irq_save();
		return spin_trylock(l);
	}
	spin_lock_irqsave(l, *flags);
	return true;
}

/* Undo spin_lock_irqsave_or_try_dying(): unlock if @locked, restore @flags. */
static inline void spin_unlock_irqrestore_if(spinlock_t *l, unsigned long flags, bool locked)
{
	if (locked)
		spin_unlock(l);
	local_irq_restore(flags);
}
#endif

#endif
