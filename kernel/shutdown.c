/*
 * Shutdown hooks (include/pagoda/power.h): drivers' last words before
 * power-off or restart. The list is changed only with its spinlock held
 * and interrupts off, and walked by the one CPU after it turned interrupts
 * off for good, so the walk needs no lock (and takes none: the dying
 * context it is skipped in could hold it).
 */
#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <pagoda/spinlock.h>

static LIST_HEAD(shutdown_hooks);
static spinlock_t shutdown_hooks_lock = SPINLOCK_INIT;
static bool shutdown_hooks_ran;

void register_shutdown_hook(struct shutdown_hook *h)
{
	unsigned long flags;

	spin_lock_irqsave(&shutdown_hooks_lock, flags);
	list_add(&h->node, &shutdown_hooks);
	spin_unlock_irqrestore(&shutdown_hooks_lock, flags);
}

void unregister_shutdown_hook(struct shutdown_hook *h)
{
	unsigned long flags;

	spin_lock_irqsave(&shutdown_hooks_lock, flags);
	list_del_init(&h->node);
	spin_unlock_irqrestore(&shutdown_hooks_lock, flags);
}

void run_shutdown_hooks(void)
{
	struct shutdown_hook *h;

	if (kernel_dying || shutdown_hooks_ran)
		return;
	shutdown_hooks_ran = true;
	list_for_each_entry(h, &shutdown_hooks, node)
		h->fn();
}
