/*
 * The clock and the flusher wake-up of mm/page-writeback.c for host
 * tests: time is what the test says it is, and a wake-up of the flusher
 * (a kernel thread there) is only counted.
 */
#include <mm/writeback.h>
#include <pagoda/time.h>
#include "fake_writeback.h"

u64 fake_now_ns;
unsigned long fake_flusher_wakeups;

u64 time_ns(void)
{
	return fake_now_ns;
}

void wakeup_flusher(void)
{
	fake_flusher_wakeups++;
}

void writeback_pause(void)
{
}
