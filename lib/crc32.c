/*
 * CRC-32, byte at a time from a 256-entry table (include/pagoda/crc32.h).
 * The table is computed on first use: the partition scan is the only user
 * on the I/O path and it is far from hot. Two callers racing to build it
 * write the same values, so no lock is needed.
 */
#include <pagoda/crc32.h>
#include <pagoda/compiler.h>

#define CRC32_POLY_REFLECTED	0xedb88320u

static u32 crc32_table[256];
static bool crc32_table_ready;

static void crc32_build_table(void)
{
	for (u32 i = 0; i < 256; i++) {
		u32 c = i;

		for (int bit = 0; bit < 8; bit++)
			c = (c & 1) ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
		crc32_table[i] = c;
	}
	barrier();	/* the table before the flag */
	WRITE_ONCE(crc32_table_ready, true);
}

u32 crc32_ieee(u32 crc, const void *p, size_t len)
{
	const u8 *b = p;
	u32 c = ~crc;

	if (!READ_ONCE(crc32_table_ready))
		crc32_build_table();
	while (len--)
		c = crc32_table[(c ^ *b++) & 0xff] ^ (c >> 8);
	return ~c;
}
