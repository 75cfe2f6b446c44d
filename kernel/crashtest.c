#include "crashtest.h"
#include <pagoda/printk.h>
#include <pagoda/mutex.h>
#include <pagoda/string.h>
#include <mm/layout.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>

#define CRASH_WINDOW_OFFSET	(3UL << 30)	/* inside the vmalloc area */

/*
 * Map one page at the window, then read the page after it: every table level
 * down to the PT is present, the final PTE is not. Not static and noinline:
 * the oops must name this function.
 */
__attribute__((noinline)) void crash_unmapped_read(void)
{
	uintptr_t va = vmalloc_start() + CRASH_WINDOW_OFFSET;
	struct page *p = alloc_pages(__GFP_ZERO, 0);

	if (!p || pt_map(&kernel_pt, va, page_to_phys(p), PAGE_SIZE,
			 arch_pgprot(PP_READ | PP_WRITE), PT_MAP_4K))
		panic("crash_unmapped_read: cannot set up the mapping");
	printk("crashtest: reading unmapped address %016lx\n", va + PAGE_SIZE);
	(void)*(volatile u64 *)(va + PAGE_SIZE);
}

__attribute__((noinline)) void crash_noncanonical_write(void)
{
	volatile u64 *p = (volatile u64 *)0xdead000000000000UL;

	printk("crashtest: writing non-canonical address %016lx\n", (uintptr_t)p);
	*p = 1;
}

static const char crash_rodata[16] = "read-only data";

__attribute__((noinline)) void crash_rodata_write(void)
{
	volatile char *p = (volatile char *)crash_rodata;

	printk("crashtest: writing read-only kernel data at %016lx\n", (uintptr_t)p);
	*p = 'X';
}

/* Recursion bounded only by @limit (1 << 30 here): runs into the guard page. */
__attribute__((noinline)) unsigned long crash_stack_overflow(unsigned long depth,
							     unsigned long limit)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth == limit)
		return 0;
	return crash_stack_overflow(depth + 1, limit) + frame[0];
}

/*
 * Sleep with a spinlock held: might_sleep() in mutex_lock() must panic
 * with "BUG: sleeping function called from invalid context".
 */
__attribute__((noinline)) void crash_sleep_in_atomic(void)
{
	static spinlock_t lock = SPINLOCK_INIT;
	static DEFINE_MUTEX(mutex);

	printk("crashtest: taking a mutex with a spinlock held\n");
	spin_lock(&lock);
	mutex_lock(&mutex);
	mutex_unlock(&mutex);
	spin_unlock(&lock);
}

void crashtest_run(const char *name)
{
	if (!strcmp(name, "unmapped"))
		crash_unmapped_read();
	else if (!strcmp(name, "noncanonical"))
		crash_noncanonical_write();
	else if (!strcmp(name, "rodata-write"))
		crash_rodata_write();
	else if (!strcmp(name, "stack-overflow"))
		crash_stack_overflow(0, 1UL << 30);
	else if (!strcmp(name, "sleep-in-atomic"))
		crash_sleep_in_atomic();
	printk("crashtest: unknown or survived crash test \"%s\"\n", name);
}
