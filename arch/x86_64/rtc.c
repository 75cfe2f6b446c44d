/*
 * The CMOS real-time clock, read once at boot to start CLOCK_REALTIME
 * (kernel/sys_process.c). Only the PC's MC146818-compatible registers; the
 * clock is taken to run in UTC, as QEMU's does by default.
 */
#include <pagoda/time.h>
#include <asm/cpu.h>

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_STATUS_A	0x0a
#define RTC_STATUS_B	0x0b
#define RTC_CENTURY	0x32	/* ACPI FADT's usual century register */
#define RTC_UIP		0x80	/* status A: update in progress */
#define RTC_BINARY	0x04	/* status B: values are binary, not BCD */
#define RTC_24H		0x02	/* status B: 24-hour clock */
#define RTC_PM		0x80	/* hours: PM bit in 12-hour mode */

struct rtc_time {
	unsigned int sec, min, hour, day, mon, year, century;
};

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void rtc_snapshot(struct rtc_time *t)
{
	while (cmos_read(RTC_STATUS_A) & RTC_UIP)
		;
	t->sec = cmos_read(RTC_SECONDS);
	t->min = cmos_read(RTC_MINUTES);
	t->hour = cmos_read(RTC_HOURS);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
}

static unsigned int bcd(unsigned int v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static s64 days_from_civil(s64 y, unsigned int m, unsigned int d)
{
	s64 era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (s64)doe - 719468;
}

u64 arch_rtc_read_seconds(void)
{
	struct rtc_time a, b;
	u8 status_b;
	bool pm;
	s64 year;

	/* read until two snapshots agree: no update happened in between */
	rtc_snapshot(&b);
	do {
		a = b;
		rtc_snapshot(&b);
	} while (a.sec != b.sec || a.min != b.min || a.hour != b.hour ||
		 a.day != b.day || a.mon != b.mon || a.year != b.year);
	status_b = cmos_read(RTC_STATUS_B);
	pm = a.hour & RTC_PM;
	a.hour &= ~RTC_PM;
	if (!(status_b & RTC_BINARY)) {
		a.sec = bcd(a.sec);
		a.min = bcd(a.min);
		a.hour = bcd(a.hour);
		a.day = bcd(a.day);
		a.mon = bcd(a.mon);
		a.year = bcd(a.year);
		a.century = bcd(a.century);
	}
	if (!(status_b & RTC_24H))
		a.hour = (a.hour % 12) + (pm ? 12 : 0);
	year = a.century >= 19 && a.century <= 99 ? a.century * 100 + a.year : 2000 + a.year;
	if (a.mon < 1 || a.mon > 12 || a.day < 1 || a.day > 31)
		return 0;
	return (u64)(days_from_civil(year, a.mon, a.day) * 86400 +
		     a.hour * 3600 + a.min * 60 + a.sec);
}
