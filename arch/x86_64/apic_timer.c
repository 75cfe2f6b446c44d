/*
 * The scheduler tick from the local APIC timer.
 *
 * Calibration first: the APIC timer's clock and the TSC are measured
 * against the HPET's main counter or, without an HPET, PIT channel 2, three
 * windows of 25 ms, the median kept; the TSC rate then replaces the
 * loader's rougher one in time_ns().
 *
 * TSC-deadline mode when CPUID.1:ECX[24] says the timer has it: each tick
 * arms IA32_TSC_DEADLINE at the next tick boundary (tsc_hz / HZ apart).
 * Otherwise periodic mode with the count for 1/HZ s. `apic_timer=periodic`
 * forces periodic mode. The boot log says which mode, the calibration
 * source and the measured frequencies.
 *
 * Ticks are tick boundaries on the TSC, not interrupts: an interrupt that
 * comes late (QEMU under TCG drops periodic interrupts when its vCPU does
 * not run) is followed by the ticks it stands for, so jiffies and task
 * times keep time (apic_timer_ticks_due).
 */
#include <pagoda/cmdline.h>
#include <pagoda/irq.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/io.h>

#define APIC_DIVIDE_16		0x3
#define APIC_DIVISOR		16
#define CALIBRATE_MS		25
#define CALIBRATE_ROUNDS	3

#define PIT_HZ			1193182u
#define PIT_CH2			0x42
#define PIT_CMD			0x43
#define PIT_CH2_MODE2		0xb4	/* channel 2, lo/hi byte, mode 2, binary */
#define PIT_CH2_LATCH		0x80	/* latch channel 2's count */
#define PORT_B			0x61	/* bit 0: ch2 gate, bit 1: speaker */

#define HZ_MAX_CATCH_UP		1000	/* ticks one interrupt may stand for (10 s at HZ = 100) */

enum timer_mode { TIMER_PERIODIC, TIMER_TSC_DEADLINE };

static enum timer_mode tmode;
static const char *calibration_source = "none";
static u64 apic_hz;		/* the timer's input clock, before the divider */
static u64 tsc_hz;		/* measured in the same windows */
static u64 tsc_per_tick, next_tick;	/* next tick boundary on the TSC */

/* Start the APIC timer one-shot from 0xffffffff; return the count consumed so far. */
static void apic_count_start(void)
{
	lapic_write(APIC_TIMER_DIV, APIC_DIVIDE_16);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | IRQ_TIMER_VECTOR);
	lapic_write(APIC_TIMER_INIT, 0xffffffffu);
}

static u32 apic_count_elapsed(void)
{
	return 0xffffffffu - lapic_read(APIC_TIMER_CUR);
}

/* One calibration window: APIC timer ticks (after the divider) and TSC ticks. */
struct window {
	u64 ns, apic, tsc;
};

/*
 * How long a window may take at most, in TSC ticks: ten times its length
 * at the loader's TSC rate (which may be off by tens of percent, never by
 * ten times). A reference clock that does not move (an HPET whose counter
 * is stopped, a PIT whose clock the firmware gated) ends the window there
 * with ns = 0 instead of hanging the boot with interrupts off.
 */
static u64 window_tsc_limit(void)
{
	u64 hz = time_tsc_hz();

	return hz ? hz / 1000 * CALIBRATE_MS * 10 : ~0ull;
}

/* CALIBRATE_MS of HPET time; the end values are read back to back. */
static void window_hpet(struct window *w)
{
	u64 target = hpet_frequency() * CALIBRATE_MS / 1000, h0, h1, t0;
	u64 limit = window_tsc_limit();

	h0 = hpet_read_counter();
	t0 = rdtsc();
	apic_count_start();
	do {
		h1 = hpet_read_counter();
		w->tsc = rdtsc() - t0;
		w->apic = apic_count_elapsed();
	} while (h1 - h0 < target && w->tsc < limit);
	w->ns = h1 - h0 < target ? 0 : (h1 - h0) * 1000000000ull / hpet_frequency();
}

static u16 pit_ch2_read(void)
{
	u8 lo, hi;

	outb(PIT_CMD, PIT_CH2_LATCH);
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (u16)(hi << 8 | lo);
}

/*
 * The same against PIT channel 2 counting down from 0xffff (about 55 ms a
 * turn): the counter itself is read at both ends, so the window is what
 * the PIT counted, whenever it started.
 */
static void window_pit(struct window *w)
{
	u32 want = PIT_HZ * CALIBRATE_MS / 1000, done;
	u64 limit = window_tsc_limit();
	u16 c0;
	u64 t0;

	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, PIT_CH2_MODE2);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	pit_ch2_read();			/* the count is loaded on the next PIT clock */
	c0 = pit_ch2_read();
	t0 = rdtsc();
	apic_count_start();
	do {
		done = (u16)(c0 - pit_ch2_read());
		w->tsc = rdtsc() - t0;
		w->apic = apic_count_elapsed();
	} while (done < want && w->tsc < limit);
	w->ns = done < want ? 0 : (u64)done * 1000000000ull / PIT_HZ;
}

static u64 median3(u64 a, u64 b, u64 c)
{
	return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

/*
 * The reference clock did not move: time one window of the APIC timer
 * against the TSC at the loader's rate instead (the loader measured it
 * against the firmware's Stall()), and say so.
 */
static void calibrate_against_loader_tsc(void)
{
	u64 t0, tsc, hz = time_tsc_hz(), span = hz / 1000 * CALIBRATE_MS;
	u32 apic;

	printk("apic: the %s did not advance: calibrating against the loader's TSC rate\n",
	       calibration_source);
	calibration_source = "loader's TSC rate";
	t0 = rdtsc();
	apic_count_start();
	do {
		tsc = rdtsc() - t0;
		apic = apic_count_elapsed();
	} while (tsc < span);
	lapic_write(APIC_TIMER_INIT, 0);
	apic_hz = (u64)apic * APIC_DIVISOR * hz / tsc;
	tsc_hz = 0;		/* keep the loader's: nothing better was measured */
}

static void calibrate(void)
{
	u64 ahz[CALIBRATE_ROUNDS], thz[CALIBRATE_ROUNDS];

	calibration_source = hpet_present() ? "HPET" : "PIT channel 2";
	for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
		struct window w = { 0, 0, 0 };

		if (hpet_present())
			window_hpet(&w);
		else
			window_pit(&w);
		ahz[i] = w.ns ? w.apic * APIC_DIVISOR * 1000000000ull / w.ns : 0;
		thz[i] = w.ns ? w.tsc * 1000000000ull / w.ns : 0;
	}
	lapic_write(APIC_TIMER_INIT, 0);
	apic_hz = median3(ahz[0], ahz[1], ahz[2]);
	tsc_hz = median3(thz[0], thz[1], thz[2]);
	if (!apic_hz && time_tsc_hz())
		calibrate_against_loader_tsc();
}

static bool want_tsc_deadline(void)
{
	char arg[16];

	if (cmdline_value("apic_timer", arg, sizeof(arg)) && strcmp(arg, "periodic") == 0)
		return false;
	return cpu_features.tsc_deadline;
}

/*
 * Each interrupt stands for the next tick boundary, and for every further
 * boundary the TSC has already passed (ticks lost while the CPU did not
 * run), up to HZ_MAX_CATCH_UP ticks (10 s); a timer running ahead of the TSC by more
 * than two ticks is pulled back. In TSC-deadline mode the next boundary
 * is armed.
 */
unsigned int apic_timer_ticks_due(void)
{
	u64 now = rdtsc();
	unsigned int n = 1;

	next_tick += tsc_per_tick;
	while (next_tick <= now && n < HZ_MAX_CATCH_UP) {
		next_tick += tsc_per_tick;
		n++;
	}
	if (next_tick <= now || next_tick > now + 2 * tsc_per_tick)
		next_tick = now + tsc_per_tick;
	if (tmode == TIMER_TSC_DEADLINE)
		wrmsr(MSR_TSC_DEADLINE, next_tick);
	return n;
}

static void start_tsc_deadline(void)
{
	tmode = TIMER_TSC_DEADLINE;
	lapic_write(APIC_LVT_TIMER, APIC_TIMER_TSC_DEADLINE | IRQ_TIMER_VECTOR);
	__asm__ volatile("mfence" ::: "memory");	/* LVT write before the MSR (SDM 10.5.4.1) */
	wrmsr(MSR_TSC_DEADLINE, next_tick);
}

static void start_periodic(unsigned int hz)
{
	u64 count = apic_hz / APIC_DIVISOR / hz;

	tmode = TIMER_PERIODIC;
	lapic_write(APIC_TIMER_DIV, APIC_DIVIDE_16);
	lapic_write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | IRQ_TIMER_VECTOR);
	lapic_write(APIC_TIMER_INIT, (u32)(count ? MIN(count, 0xffffffffull) : 1000000));
}

void apic_timer_init(unsigned int hz)
{
	u64 loader_hz = time_tsc_hz();

	calibrate();
	if (tsc_hz)
		time_set_tsc_hz(tsc_hz);
	else
		tsc_hz = loader_hz;
	tsc_per_tick = tsc_hz / hz;
	next_tick = rdtsc() + tsc_per_tick;
	if (want_tsc_deadline() && tsc_per_tick)
		start_tsc_deadline();
	else
		start_periodic(hz);
	printk("apic: timer in %s mode at %u Hz; calibrated against the %s: %llu.%03llu MHz "
	       "timer clock, TSC %llu.%03llu MHz (the loader measured %llu MHz)\n",
	       apic_timer_mode_name(), hz, calibration_source,
	       (unsigned long long)(apic_hz / 1000000),
	       (unsigned long long)(apic_hz / 1000 % 1000),
	       (unsigned long long)(tsc_hz / 1000000), (unsigned long long)(tsc_hz / 1000 % 1000),
	       (unsigned long long)(loader_hz / 1000000));
}

const char *apic_timer_mode_name(void)
{
	return tmode == TIMER_TSC_DEADLINE ? "TSC-deadline" : "periodic";
}

u64 apic_timer_frequency(void)
{
	return apic_hz;
}
