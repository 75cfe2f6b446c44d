/* lib/vsprintf.c agrees with the host libc on every format the kernel uses. */
#include "ktap.h"
#include <pagoda/vsprintf.h>
#include <stdio.h>
#include <string.h>

/* The kernel's vsnprintf under another name, compiled from lib/vsprintf.c. */
#define CHECK(...)							\
	do {								\
		char a[128], b[128];					\
		int na = pagoda_snprintf(a, sizeof(a), __VA_ARGS__);	\
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);		\
		if (strcmp(a, b) || na != nb) {				\
			printf("    # %s:%d: \"%s\" (%d) vs libc \"%s\" (%d)\n", \
			       __FILE__, __LINE__, a, na, b, nb);	\
			kt_case_failed = 1;				\
		}							\
	} while (0)

int pagoda_snprintf(char *buf, size_t size, const char *fmt, ...);

static void t_integers(void)
{
	CHECK("%d %i %u", -42, 17, 4000000000u);
	CHECK("%ld %lu %lld %llu", -1L, ~0UL, -9223372036854775807LL - 1, ~0ULL);
	CHECK("%zu %x %X %o", (size_t)12345, 0xbeefu, 0xbeefu, 8u);
	CHECK("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
	CHECK("%.3d|%8.3d|%-8.3x|", 7, 7, 0xa);
	CHECK("%#x %#014llx %#X", 255u, 0x1234ULL, 255u);
	CHECK("%016lx %16lx", 0xffffffff80100000UL, 0x1UL);
}

static void t_strings(void)
{
	CHECK("%s|%10s|%-10s|%.2s|%c", "abc", "right", "left", "trunc", 'x');
	CHECK("%%|%d%%", 3);
}

static void t_truncation(void)
{
	char small[8];
	int n = pagoda_snprintf(small, sizeof(small), "%s", "0123456789");

	KT_EXPECT_EQ(n, 10);
	KT_EXPECT(!strcmp(small, "0123456"));
	n = pagoda_snprintf(NULL, 0, "%d", 12345);
	KT_EXPECT_EQ(n, 5);
}

int main(void)
{
	static const struct kt_case cases[] = {
		KT_CASE(t_integers, "integer conversions, widths, flags and precision match libc"),
		KT_CASE(t_strings, "string and char conversions match libc"),
		KT_CASE(t_truncation, "output is truncated and NUL terminated, full length returned"),
	};
	return kt_run_suite("vsprintf", cases, KT_N(cases));
}
