/*
 * CRC-32 (IEEE 802.3 polynomial, reflected: the one of zlib, PNG, gzip and
 * the UEFI GPT headers). lib/crc32.c. Host-compilable.
 */
#ifndef PAGODA_CRC32_H
#define PAGODA_CRC32_H

#include <pagoda/types.h>

/*
 * The CRC of @len bytes at @p continuing from @crc, zlib's convention: start
 * with 0, and crc32_ieee(crc32_ieee(0, a, n), b, m) is the CRC of a then b.
 * crc32_ieee(0, "123456789", 9) == 0xcbf43926. Any context; no allocation.
 */
u32 crc32_ieee(u32 crc, const void *p, size_t len);

#endif
