/*
 * /proc/sys/vm/: the writeback tunables (mm/page-writeback.c's
 * wb_tunables), drop_caches and fault_around_bytes, read and written as
 * Linux's handlers do (kernel/sysctl.c's proc_dointvec_minmax and
 * proc_doulongvec_minmax, mm/page-writeback.c's dirty_* handlers,
 * fs/drop_caches.c; fault_around_bytes is a debugfs file in Linux 6.1,
 * with its rules, docs/user-space.md):
 *
 *   - a value is read as one number followed by a newline;
 *   - a write (at offset 0) is one number, optionally signed for the int
 *     ones, in C notation (0x.. hex, 0.. octal), after optional blanks,
 *     followed by blanks or nothing; anything else, a missing number or
 *     one out of the file's range is EINVAL and changes nothing; the
 *     bytes up to the end of the trailing blanks count as written.
 */
#include <fs/proc.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <pagoda/vsprintf.h>
#include <pagoda/xarray.h>
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <mm/writeback.h>

#define NS_PER_CENTISEC		10000000ull
#define PTRS_PER_TABLE		512	/* fault_around_bytes: at most one page table's worth */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * Parse one number at *@p (base from its prefix, as strtoul's base 0)
 * into *@v and *@neg (a leading '-'), advancing *@p. -EINVAL without
 * digits, on overflow, or when the number is followed by anything but a
 * blank or the end.
 */
static int parse_number(const char **p, unsigned long *v, bool *neg)
{
	const char *s = *p;
	unsigned int base = 10, digits = 0;
	unsigned long x = 0;

	*neg = *s == '-';
	if (*neg)
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (;; s++, digits++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (d >= base)
			break;
		if (x > (~0UL - d) / base)
			return -EINVAL;
		x = x * base + d;
	}
	if (!digits || (*s && !is_blank(*s)))
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

/*
 * A sysctl write of one value: blanks, the number, blanks. Returns the
 * bytes consumed and the value in *@v and *@neg, or -EINVAL.
 */
static long parse_sysctl_value(const char *buf, size_t len, unsigned long *v, bool *neg)
{
	const char *p = buf;

	while (is_blank(*p))
		p++;
	if (!*p || parse_number(&p, v, neg))
		return -EINVAL;
	while (is_blank(*p))
		p++;
	return (long)MIN(len, (size_t)(p - buf));
}

/* proc_dointvec_minmax: an int in [@min, @max]. */
static long store_int(const char *buf, size_t len, int min, int max, int *out)
{
	unsigned long v;
	bool neg;
	long n = parse_sysctl_value(buf, len, &v, &neg);
	long long x;

	if (n < 0)
		return n;
	if (v > (neg ? 0x80000000UL : 0x7fffffffUL))
		return -EINVAL;
	x = neg ? -(long long)v : (long long)v;
	if (x < min || x > max)
		return -EINVAL;
	*out = (int)x;
	return n;
}

/* proc_doulongvec_minmax: an unsigned long, at least @min (no sign allowed). */
static long store_ulong(const char *buf, size_t len, unsigned long min, unsigned long *out)
{
	unsigned long v;
	bool neg;
	long n = parse_sysctl_value(buf, len, &v, &neg);

	if (n < 0)
		return n;
	if (neg || v < min)
		return -EINVAL;
	*out = v;
	return n;
}

static size_t show_ulong(char *buf, size_t len, unsigned long v)
{
	return (size_t)snprintf(buf, len, "%lu\n", v);
}

static size_t show_int(char *buf, size_t len, int v)
{
	return (size_t)snprintf(buf, len, "%d\n", v);
}

/* ---- the writeback limits: a ratio or a byte count, setting one clears the other ---- */

size_t sysctl_dirty_ratio_show(char *buf, size_t len)
{
	return show_int(buf, len, (int)READ_ONCE(wb_tunables.dirty_ratio));
}

long sysctl_dirty_ratio_store(const char *buf, size_t len)
{
	int v;
	long n = store_int(buf, len, 0, 100, &v);

	if (n >= 0) {
		WRITE_ONCE(wb_tunables.dirty_ratio, (unsigned int)v);
		WRITE_ONCE(wb_tunables.dirty_bytes, 0);
	}
	return n;
}

size_t sysctl_dirty_background_ratio_show(char *buf, size_t len)
{
	return show_int(buf, len, (int)READ_ONCE(wb_tunables.dirty_background_ratio));
}

long sysctl_dirty_background_ratio_store(const char *buf, size_t len)
{
	int v;
	long n = store_int(buf, len, 0, 100, &v);

	if (n >= 0) {
		WRITE_ONCE(wb_tunables.dirty_background_ratio, (unsigned int)v);
		WRITE_ONCE(wb_tunables.dirty_background_bytes, 0);
	}
	return n;
}

size_t sysctl_dirty_bytes_show(char *buf, size_t len)
{
	return show_ulong(buf, len, READ_ONCE(wb_tunables.dirty_bytes));
}

/* Linux's minimum: two pages. */
long sysctl_dirty_bytes_store(const char *buf, size_t len)
{
	unsigned long v;
	long n = store_ulong(buf, len, 2 * PAGE_SIZE, &v);

	if (n >= 0) {
		WRITE_ONCE(wb_tunables.dirty_bytes, v);
		WRITE_ONCE(wb_tunables.dirty_ratio, 0);
	}
	return n;
}

size_t sysctl_dirty_background_bytes_show(char *buf, size_t len)
{
	return show_ulong(buf, len, READ_ONCE(wb_tunables.dirty_background_bytes));
}

long sysctl_dirty_background_bytes_store(const char *buf, size_t len)
{
	unsigned long v;
	long n = store_ulong(buf, len, 1, &v);

	if (n >= 0) {
		WRITE_ONCE(wb_tunables.dirty_background_bytes, v);
		WRITE_ONCE(wb_tunables.dirty_background_ratio, 0);
	}
	return n;
}

/* ---- the flusher's clocks, in centiseconds ---- */

size_t sysctl_dirty_expire_centisecs_show(char *buf, size_t len)
{
	return show_int(buf, len, (int)(READ_ONCE(wb_tunables.dirty_expire_ns) / NS_PER_CENTISEC));
}

long sysctl_dirty_expire_centisecs_store(const char *buf, size_t len)
{
	int v;
	long n = store_int(buf, len, 0, 0x7fffffff, &v);

	if (n >= 0)
		WRITE_ONCE(wb_tunables.dirty_expire_ns, (u64)v * NS_PER_CENTISEC);
	return n;
}

size_t sysctl_dirty_writeback_centisecs_show(char *buf, size_t len)
{
	return show_int(buf, len,
			(int)(READ_ONCE(wb_tunables.dirty_writeback_interval_ns) / NS_PER_CENTISEC));
}

/*
 * Linux takes any int here (proc_dointvec); a negative one, stored in
 * its unsigned interval, is a very long one. Here it is refused
 * (EINVAL): the one difference, docs/user-space.md.
 */
long sysctl_dirty_writeback_centisecs_store(const char *buf, size_t len)
{
	int v;
	long n = store_int(buf, len, 0, 0x7fffffff, &v);

	if (n >= 0) {
		WRITE_ONCE(wb_tunables.dirty_writeback_interval_ns, (u64)v * NS_PER_CENTISEC);
		writeback_interval_changed();
	}
	return n;
}

/* ---- drop_caches ---- */

/* Past the first write of a value with bit 2 (4) set, no more log lines, as Linux's "stfu". */
static bool drop_caches_quiet;

/*
 * 1: the clean unmapped page cache; 2: the unused dentries (and the
 * inodes only they held, with their pages), the page-cache index's spare
 * nodes and the empty slabs; 3: both; 4 silences the log line. 1 to 4.
 */
long sysctl_drop_caches_store(const char *buf, size_t len)
{
	int v;
	long n = store_int(buf, len, 1, 4, &v);

	if (n < 0)
		return n;
	if (v & 1) {
		drop_pagecache(&kernel_pmm);
		vm_events.drop_pagecache++;
	}
	if (v & 2) {
		shrink_dcache();
		xa_shrink_cache();
		kmalloc_shrink();
		vm_events.drop_slab++;
	}
	if (!drop_caches_quiet)
		printk("%s (%d): drop_caches: %d\n", current->comm, current->pid, v);
	drop_caches_quiet |= (v & 4) != 0;
	return n;
}

/* ---- fault_around_bytes (Linux 6.1: debugfs, "%llu\n", kstrtoull) ---- */

size_t sysctl_fault_around_bytes_show(char *buf, size_t len)
{
	return show_ulong(buf, len, READ_ONCE(fault_around_bytes));
}

/*
 * One unsigned number (any base prefix), a newline at most after it; at
 * most PTRS_PER_TABLE pages, else EINVAL; rounded down to a power of
 * two, at least one page (which turns fault-around off).
 */
long sysctl_fault_around_bytes_store(const char *buf, size_t len)
{
	const char *p = buf;
	unsigned long v, rounded = PAGE_SIZE;
	bool neg;

	if (parse_number(&p, &v, &neg) || neg || (*p && !(p[0] == '\n' && !p[1])))
		return -EINVAL;
	if (v / PAGE_SIZE > PTRS_PER_TABLE)
		return -EINVAL;
	while (rounded * 2 <= v)
		rounded *= 2;
	WRITE_ONCE(fault_around_bytes, rounded);
	return (long)len;
}
