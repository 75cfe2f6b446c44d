/* Monotonic time since kernel entry (arch/x86_64/time.c, from the TSC). */
#ifndef PAGODA_TIME_H
#define PAGODA_TIME_H

#include <pagoda/types.h>

/* @tsc_hz from the loader's measurement; 0 leaves timestamps at zero. */
void time_init(u64 tsc_hz);
u64 time_ns(void);		/* ns since time_init() */
u64 tsc_to_ns(u64 ticks);
/*
 * Replace the TSC rate with a better measurement (the timer calibration
 * against the HPET or PIT); time_ns() goes on from where it was. Call with
 * interrupts off.
 */
void time_set_tsc_hz(u64 tsc_hz);
u64 time_tsc_hz(void);		/* the rate time_ns() uses */
/* Seconds since the Unix epoch from the CMOS clock (arch/x86_64/rtc.c); 0 if unreadable. */
u64 arch_rtc_read_seconds(void);

#endif
