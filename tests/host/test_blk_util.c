/*
 * Host tests of the block layer's small helpers: Linux's disk and
 * partition names (block/disk_name.c), sizes as the boot log prints them,
 * CRC-32 (lib/crc32.c), and the sector-keyed test pattern
 * (include/pagoda/blk_pattern.h) with its host tool build/tools/blk-pattern.
 */
#include <pagoda/blkdev.h>
#include <pagoda/blk_pattern.h>
#include <pagoda/crc32.h>
#include <pagoda/errno.h>
#include "ktap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *letters(const char *prefix, unsigned int i)
{
	static char buf[BDEVNAME_SIZE];

	return disk_name_letters(buf, sizeof(buf), prefix, i) ? "(error)" : buf;
}

static const char *part(const char *disk, unsigned int n)
{
	static char buf[BDEVNAME_SIZE];

	return disk_part_name(buf, sizeof(buf), disk, n) ? "(error)" : buf;
}

static void t_letter_names_like_linux(void)
{
	char small[5];

	KT_EXPECT(!strcmp(letters("vd", 0), "vda"));
	KT_EXPECT(!strcmp(letters("vd", 25), "vdz"));
	KT_EXPECT(!strcmp(letters("vd", 26), "vdaa"));
	KT_EXPECT(!strcmp(letters("vd", 27), "vdab"));
	KT_EXPECT(!strcmp(letters("sd", 701), "sdzz"));
	KT_EXPECT(!strcmp(letters("sd", 702), "sdaaa"));
	KT_EXPECT_EQ(disk_name_letters(small, sizeof(small), "vd", 702), -ENAMETOOLONG);
	KT_EXPECT_EQ(disk_name_letters(small, sizeof(small), "vd", 701), 0);
	KT_EXPECT(!strcmp(small, "vdzz"));
}

static void t_partition_names_get_p_after_a_digit(void)
{
	char small[6];

	KT_EXPECT(!strcmp(part("vda", 1), "vda1"));
	KT_EXPECT(!strcmp(part("sda", 15), "sda15"));
	KT_EXPECT(!strcmp(part("nvme0n1", 2), "nvme0n1p2"));
	KT_EXPECT(!strcmp(part("mmcblk0", 1), "mmcblk0p1"));
	KT_EXPECT(!strcmp(part("testblk12", 128), "testblk12p128"));
	KT_EXPECT_EQ(disk_part_name(small, sizeof(small), "vda", 10), 0);
	KT_EXPECT_EQ(disk_part_name(small, sizeof(small), "vda", 100), -ENAMETOOLONG);
}

static const char *size(u64 bytes)
{
	static char buf[32];

	blk_format_size(buf, sizeof(buf), bytes);
	return buf;
}

static void t_sizes_in_binary_units(void)
{
	KT_EXPECT(!strcmp(size(64ull << 20), "64.0 MiB"));
	KT_EXPECT(!strcmp(size(3ull << 29), "1.5 GiB"));
	KT_EXPECT(!strcmp(size(512), "512 bytes"));
	KT_EXPECT(!strcmp(size(1536), "1.5 KiB"));
	KT_EXPECT(!strcmp(size((2ull << 40) + (1ull << 40) / 10), "2.1 TiB"));
	KT_EXPECT(!strcmp(size((1ull << 20) - 1), "1024.0 KiB"));
}

static void t_crc32_known_value_and_chaining(void)
{
	const char *s = "123456789";

	KT_EXPECT_EQ(crc32_ieee(0, s, 9), 0xcbf43926u);
	KT_EXPECT_EQ(crc32_ieee(crc32_ieee(0, s, 4), s + 4, 5), 0xcbf43926u);
	KT_EXPECT_EQ(crc32_ieee(0, s, 0), 0);
}

static void t_pattern_depends_on_sector_and_seed_only(void)
{
	static u8 a[20 * 512], b[10 * 512], c[512];

	blk_pattern_fill(a, 0, sizeof(a), 5);
	blk_pattern_fill(b, 10, sizeof(b), 5);
	KT_EXPECT(!memcmp(a + 10 * 512, b, sizeof(b)));		/* position does not matter */
	KT_EXPECT_EQ(blk_pattern_check(a, 0, sizeof(a), 5), sizeof(a));
	KT_EXPECT_EQ(blk_pattern_check(b, 9, sizeof(b), 5), 0);	/* word 0 names the sector */
	for (unsigned int s = 1; s < 20; s++) {
		unsigned int same = 0;

		for (unsigned int w = 1; w < 64; w++)
			same += !memcmp(a + w * 8, a + s * 512 + w * 8, 8);
		KT_EXPECT_EQ(same, 1);				/* only the seed word */
	}
	blk_pattern_fill(c, 0, sizeof(c), 6);
	KT_EXPECT(memcmp(a, c, sizeof(c)));
	a[3 * 512 + 77] ^= 1;
	KT_EXPECT_EQ(blk_pattern_check(a, 0, sizeof(a), 5), 3 * 512 + 77);
}

/* The host tool writes exactly what the kernel's tests write. */
static void t_host_tool_matches_the_header(void)
{
	static u8 want[16 * 512], got[16 * 512 + 1];
	FILE *f = popen("build/tools/blk-pattern 7 100 16", "r");
	size_t n;

	KT_ASSERT(f);
	n = fread(got, 1, sizeof(got), f);
	KT_EXPECT_EQ(pclose(f), 0);
	KT_EXPECT_EQ(n, sizeof(want));
	blk_pattern_fill(want, 100, sizeof(want), 7);
	KT_EXPECT(!memcmp(want, got, sizeof(want)));
}

static const struct kt_case cases[] = {
	KT_CASE(t_letter_names_like_linux, "letter names run a..z, aa..zz, aaa as Linux's"),
	KT_CASE(t_partition_names_get_p_after_a_digit, "partition names get a 'p' after a digit"),
	KT_CASE(t_sizes_in_binary_units, "sizes print in binary units with one decimal"),
	KT_CASE(t_crc32_known_value_and_chaining, "CRC-32 gives the standard check value and chains"),
	KT_CASE(t_pattern_depends_on_sector_and_seed_only, "the test pattern depends on sector and seed only"),
	KT_CASE(t_host_tool_matches_the_header, "build/tools/blk-pattern writes the kernel's pattern"),
};

int main(void)
{
	return kt_run_suite("blk_util", cases, KT_N(cases));
}
