#include <pagoda/time.h>
#include <asm/cpu.h>

/*
 * time_ns() = base_ns + TSC ticks since tsc_base at tsc_khz. The rate
 * starts as the loader's measurement and is replaced once by the one the
 * APIC timer's calibration takes against the HPET or the PIT, which is
 * steadier (time_set_tsc_hz); base_ns keeps the clock continuous.
 */
static u64 tsc_base, tsc_khz, base_ns;

void time_init(u64 tsc_hz)
{
	tsc_base = rdtsc();
	tsc_khz = tsc_hz / 1000;
}

u64 tsc_to_ns(u64 ticks)
{
	if (!tsc_khz)
		return 0;
	/* ticks * 1e6 / khz, split to avoid overflow for long uptimes */
	return (ticks / tsc_khz) * 1000000 + (ticks % tsc_khz) * 1000000 / tsc_khz;
}

u64 time_ns(void)
{
	return base_ns + tsc_to_ns(rdtsc() - tsc_base);
}

void time_set_tsc_hz(u64 tsc_hz)
{
	u64 now = time_ns();

	tsc_base = rdtsc();
	base_ns = now;
	tsc_khz = tsc_hz / 1000;
}

u64 time_tsc_hz(void)
{
	return tsc_khz * 1000;
}
