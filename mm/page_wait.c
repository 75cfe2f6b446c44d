/*
 * Sleeping on a page's bits: the page lock (PG_locked) and writeback
 * (PG_writeback) of include/mm/pagemap.h. Kernel-only: host tests link
 * tests/host/fake_page_wait.c instead, which runs the test's pending I/O
 * where this file would sleep.
 *
 * struct page has no room for a wait queue: waiters sleep on one of
 * PAGE_WAIT_TABLE_SIZE queues chosen by hashing the page's address, as
 * Linux's page_waitqueue(). A queue is shared by unrelated pages, so a
 * wake-up wakes every waiter on it and each re-checks its own page's bit
 * (wait_event's condition); a waiter for a lock retries the lock itself.
 */
#include <mm/pagemap.h>
#include <pagoda/task.h>
#include <pagoda/wait.h>
#include <pagoda/errno.h>
#include <pagoda/init.h>

#define PAGE_WAIT_TABLE_BITS	8
#define PAGE_WAIT_TABLE_SIZE	(1U << PAGE_WAIT_TABLE_BITS)

static struct wait_queue_head page_wait_table[PAGE_WAIT_TABLE_SIZE];

/* Before any page cache exists (arch_initcall: filesystems come later). */
static int page_wait_table_init(void)
{
	for (unsigned int i = 0; i < PAGE_WAIT_TABLE_SIZE; i++)
		init_waitqueue_head(&page_wait_table[i]);
	return 0;
}
arch_initcall(page_wait_table_init);

/* The queue of @page: a multiplicative hash of its struct page address. */
static struct wait_queue_head *page_waitqueue(const struct page *page)
{
	u64 h = (u64)(uintptr_t)page * 0x9e3779b97f4a7c15ull;

	return &page_wait_table[h >> (64 - PAGE_WAIT_TABLE_BITS)];
}

void page_wake_waiters(struct page *page)
{
	wake_up_all(page_waitqueue(page));
}

bool trylock_page(struct page *page)
{
	return !page_test_and_set_flag(page, PG_locked);
}

void lock_page(struct page *page)
{
	might_sleep();
	if (trylock_page(page))
		return;
	wait_event(*page_waitqueue(page), trylock_page(page));
}

int lock_page_killable(struct page *page)
{
	might_sleep();
	if (trylock_page(page))
		return 0;
	return wait_event_killable(*page_waitqueue(page), trylock_page(page));
}

void unlock_page(struct page *page)
{
	if (!page_test_and_clear_flag(page, PG_locked))
		panic("unlock_page: page %p is not locked", (void *)page);
	page_wake_waiters(page);
}

void wait_on_page_locked(struct page *page)
{
	if (PageLocked(page))
		wait_event(*page_waitqueue(page), !PageLocked(page));
}

int wait_on_page_locked_killable(struct page *page)
{
	if (!PageLocked(page))
		return 0;
	return wait_event_killable(*page_waitqueue(page), !PageLocked(page));
}

void wait_on_page_writeback(struct page *page)
{
	if (page_test_flag(page, PG_writeback))
		wait_event(*page_waitqueue(page), !page_test_flag(page, PG_writeback));
}
