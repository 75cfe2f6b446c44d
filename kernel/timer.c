/*
 * Kernel timers (include/pagoda/timer.h): one list of pending timers sorted
 * by expiry, run from the tick. Protection: interrupts off (one CPU; the
 * tick runs with interrupts off, so a timer function can never run while
 * mod_timer or del_timer hold them off).
 */
#include <pagoda/timer.h>
#include <asm/irqflags.h>

static LIST_HEAD(timer_list_head);

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *t))
{
	list_init(&t->entry);
	t->expires_ns = 0;
	t->function = fn;
}

bool timer_pending(const struct timer_list *t)
{
	return !list_empty(&t->entry);
}

/* Insert @t in expiry order (after timers that expire at the same time). */
static void timer_enqueue(struct timer_list *t)
{
	struct list_head *pos;

	list_for_each(pos, &timer_list_head) {
		struct timer_list *other = list_entry(pos, struct timer_list, entry);

		if (other->expires_ns > t->expires_ns)
			break;
	}
	/* before pos: the first later timer, or the head (end of the list) */
	list_add_tail(&t->entry, pos);
}

bool mod_timer(struct timer_list *t, u64 expires_ns)
{
	unsigned long flags = local_irq_save();
	bool was_pending = timer_pending(t);

	if (was_pending)
		list_del_init(&t->entry);
	t->expires_ns = expires_ns;
	timer_enqueue(t);
	local_irq_restore(flags);
	return was_pending;
}

bool del_timer(struct timer_list *t)
{
	unsigned long flags = local_irq_save();
	bool was_pending = timer_pending(t);

	if (was_pending)
		list_del_init(&t->entry);
	local_irq_restore(flags);
	return was_pending;
}

/*
 * The due timers move to a private list first, then each is unlinked and
 * run: a function that re-arms its timer (or another), even for a time
 * already past, puts it back on the pending list for a later tick rather
 * than looping here.
 */
void run_timers(u64 now_ns)
{
	struct list_head due = LIST_HEAD_INIT(due);

	while (!list_empty(&timer_list_head)) {
		struct timer_list *t = list_first_entry(&timer_list_head,
							struct timer_list, entry);

		if (t->expires_ns > now_ns)
			break;
		list_del_init(&t->entry);
		list_add_tail(&t->entry, &due);
	}
	while (!list_empty(&due)) {
		struct timer_list *t = list_first_entry(&due, struct timer_list, entry);

		list_del_init(&t->entry);
		t->function(t);
	}
}
