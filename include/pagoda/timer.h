/*
 * Kernel timers: a function called from the timer interrupt once a time
 * has passed (kernel/timer.c). Checked at each tick, so up to one tick
 * late (10 ms at HZ = 100). The callback runs in interrupt context with
 * interrupts off: it may wake tasks and complete completions, never sleep.
 * Times are absolute time_ns() values (include/pagoda/time.h).
 */
#ifndef PAGODA_TIMER_H
#define PAGODA_TIMER_H

#include <pagoda/types.h>
#include <pagoda/list.h>

struct timer_list {
	struct list_head entry;		/* in the pending list, sorted; empty when not pending */
	u64 expires_ns;
	void (*function)(struct timer_list *t);
};

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *t));
/*
 * (Re)arm @t to fire at @expires_ns (a time in the past fires at the next
 * tick). Returns true if it was pending already. Any context.
 */
bool mod_timer(struct timer_list *t, u64 expires_ns);
/* Disarm; true if it was pending. After it returns the callback is not running. */
bool del_timer(struct timer_list *t);
bool timer_pending(const struct timer_list *t);

/* From the tick, interrupts off: run every timer whose time has come. */
void run_timers(u64 now_ns);

#endif
