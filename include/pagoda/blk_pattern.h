/*
 * Deterministic test data keyed by disk sector, for every block test:
 * the in-kernel suites (testblk, and NVMe/virtio-blk on QEMU disks) and
 * the host, which recreates the expected disk image with
 * build/tools/blk-pattern (tools/blk-pattern.c) to `cmp` it with the
 * image QEMU wrote. Host-compilable.
 *
 * Sector s (512 bytes) under seed k holds 64 little-endian 64-bit words:
 * word 0 is s itself (a misplaced sector names where it came from), word
 * 1 is k, and word i >= 2 is mix64(k * 2^32 + s * 64 + i) (a SplitMix64
 * finaliser, below). The data of sector s therefore depends only on (k, s):
 * where in a request or buffer it travelled does not matter.
 */
#ifndef PAGODA_BLK_PATTERN_H
#define PAGODA_BLK_PATTERN_H

#include <pagoda/types.h>
#include <pagoda/string.h>

#define BLK_PATTERN_SECTOR	512

/* SplitMix64's output function. */
static inline u64 blk_pattern_mix64(u64 z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline u64 blk_pattern_word(u64 seed, u64 sector, unsigned int i)
{
	if (i == 0)
		return sector;
	if (i == 1)
		return seed;
	return blk_pattern_mix64((seed << 32) + sector * 64 + i);
}

static inline void blk_pattern_put64(u8 *p, u64 v)
{
	for (int b = 0; b < 8; b++)
		p[b] = (u8)(v >> (8 * b));
}

/* Fill @bytes (a multiple of 512) at @buf with sectors @first... under @seed. */
static inline void blk_pattern_fill(void *buf, u64 first, size_t bytes, u64 seed)
{
	u8 *p = (u8 *)buf;

	for (size_t s = 0; s < bytes / BLK_PATTERN_SECTOR; s++)
		for (unsigned int i = 0; i < BLK_PATTERN_SECTOR / 8; i++, p += 8)
			blk_pattern_put64(p, blk_pattern_word(seed, first + s, i));
}

/*
 * Check @bytes at @buf against sectors @first... under @seed: returns the
 * offset of the first wrong byte, or @bytes if all are right.
 */
static inline size_t blk_pattern_check(const void *buf, u64 first, size_t bytes, u64 seed)
{
	const u8 *p = (const u8 *)buf;
	u8 want[8];

	for (size_t off = 0; off + 8 <= bytes; off += 8) {
		u64 s = first + off / BLK_PATTERN_SECTOR;

		blk_pattern_put64(want, blk_pattern_word(seed, s, (off % BLK_PATTERN_SECTOR) / 8));
		for (int b = 0; b < 8; b++)
			if (p[off + b] != want[b])
				return off + b;
	}
	return bytes;
}

#endif
