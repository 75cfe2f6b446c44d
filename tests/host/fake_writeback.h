/* Host stand-ins for the clock and the flusher (tests/host/fake_writeback.c). */
#ifndef FAKE_WRITEBACK_H
#define FAKE_WRITEBACK_H

#include <pagoda/types.h>

extern u64 fake_now_ns;			/* time_ns() returns it */
extern unsigned long fake_flusher_wakeups;	/* wakeup_flusher() calls */

#endif
