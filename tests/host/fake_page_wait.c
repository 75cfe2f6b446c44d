/*
 * The page lock and page-bit waits of include/mm/pagemap.h for host tests
 * (mm/page_wait.c in the kernel). The host runs one thread, so nothing
 * can sleep: where the kernel would wait for a bit to clear, this runs the
 * test's fake_page_io hook (which completes the I/O it left pending, as
 * an interrupt handler would) and then requires the bit to be clear: a
 * wait that could never end panics instead of hanging the test.
 */
#include <mm/pagemap.h>
#include <pagoda/printk.h>
#include "fake_page_wait.h"

void (*fake_page_io)(void);
unsigned long fake_page_waits;

/* Where the kernel would sleep until @bit of @page clears. */
static void wait_for_bit_clear(struct page *page, enum page_flag bit)
{
	if (!page_test_flag(page, bit))
		return;
	fake_page_waits++;
	if (fake_page_io)
		fake_page_io();
	if (page_test_flag(page, bit))
		panic("fake_page_wait: page %p would wait for bit %d forever", (void *)page, bit);
}

bool trylock_page(struct page *page)
{
	return !page_test_and_set_flag(page, PG_locked);
}

void lock_page(struct page *page)
{
	if (trylock_page(page))
		return;
	wait_for_bit_clear(page, PG_locked);
	if (!trylock_page(page))
		panic("fake_page_wait: lock_page(%p) lost the lock", (void *)page);
}

int lock_page_killable(struct page *page)
{
	lock_page(page);
	return 0;
}

void unlock_page(struct page *page)
{
	if (!page_test_and_clear_flag(page, PG_locked))
		panic("unlock_page: page %p is not locked", (void *)page);
}

void wait_on_page_locked(struct page *page)
{
	wait_for_bit_clear(page, PG_locked);
}

int wait_on_page_locked_killable(struct page *page)
{
	wait_for_bit_clear(page, PG_locked);
	return 0;
}

void wait_on_page_writeback(struct page *page)
{
	wait_for_bit_clear(page, PG_writeback);
}

void page_wake_waiters(struct page *page)
{
}
