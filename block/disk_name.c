/*
 * Block device names as Linux gives them, and sizes as people read them
 * (include/pagoda/blkdev.h). Host-compilable (tests/host/test_disk_name.c).
 */
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#ifdef HOST_TEST
#include <stdio.h>
#else
#include <pagoda/vsprintf.h>
#endif

/*
 * Bijective base 26: a..z, then aa..zz, then aaa... (index 0 is "a",
 * 26 is "aa", 702 is "aaa").
 */
int disk_name_letters(char *buf, size_t size, const char *prefix, unsigned int index)
{
	char letters[8];
	int n = 0;
	size_t plen = strlen(prefix);
	unsigned long v = (unsigned long)index + 1;

	while (v) {
		v--;
		letters[n++] = (char)('a' + v % 26);
		v /= 26;
	}
	if (plen + (size_t)n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, prefix, plen);
	for (int i = 0; i < n; i++)
		buf[plen + i] = letters[n - 1 - i];
	buf[plen + n] = '\0';
	return 0;
}

int disk_part_name(char *buf, size_t size, const char *disk, unsigned int partno)
{
	size_t len = strlen(disk);
	bool digit = len && disk[len - 1] >= '0' && disk[len - 1] <= '9';
	int n = snprintf(buf, size, "%s%s%u", disk, digit ? "p" : "", partno);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void blk_format_size(char *buf, size_t size, u64 bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	u64 unit = 1, whole, tenths;

	while (u + 1 < ARRAY_SIZE(units) && bytes >= (unit << 10)) {
		unit <<= 10;
		u++;
	}
	if (u == 0) {
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
		return;
	}
	whole = bytes / unit;
	tenths = ((bytes % unit) * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
		 (unsigned long long)tenths, units[u]);
}
