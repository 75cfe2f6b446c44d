#include <pagoda/time.h>
#include <asm/cpu.h>

static u64 tsc_base, tsc_khz;

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
	return tsc_to_ns(rdtsc() - tsc_base);
}
