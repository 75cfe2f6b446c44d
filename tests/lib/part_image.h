/*
 * Partition-table image builders for tests, host and kernel alike
 * (tests/lib/part_image.c): a protective MBR with a primary and a backup
 * GPT, or an MBR with primaries and a chain of EBRs, written into a buffer
 * that holds the whole disk image. Tests then corrupt what they want and,
 * where they need a valid checksum again, call img_gpt_fix_header_crc().
 * The layout is the one sgdisk writes: 128 entries of 128 bytes, the
 * primary array from block 2, the backup array just before the backup
 * header in the last block.
 */
#ifndef TESTS_PART_IMAGE_H
#define TESTS_PART_IMAGE_H

#include <pagoda/types.h>
#include <pagoda/uuid.h>

#define IMG_GPT_ENTRIES		128
#define IMG_GPT_ENTRY_SIZE	128

struct img_gpt_part {
	u32 index;		/* entry slot: partition index + 1 */
	u64 first, last;	/* inclusive, in logical blocks */
	guid_t type, uuid;
	const char *name;	/* ASCII */
};

struct img_mbr_part {
	u8 type;		/* 0x83 Linux, 0x05 extended, ... */
	bool boot;
	u32 start, nr;		/* logical blocks; for a logical: absolute start */
	u32 ebr;		/* logical only: block of its EBR */
};

/* Blocks one entry array takes. */
u64 img_gpt_array_blocks(u32 bs);
/* First and last usable blocks of a disk of @nr_blocks. */
u64 img_gpt_first_usable(u32 bs);
u64 img_gpt_last_usable(u32 bs, u64 nr_blocks);

/*
 * Write a protective MBR, the primary GPT (block 1, array from 2) and the
 * backup GPT (last block, array before it) with @n partitions into @img
 * (@nr_blocks blocks of @bs bytes, zeroed by the caller).
 */
void img_write_gpt(u8 *img, u32 bs, u64 nr_blocks, const guid_t *disk_guid,
		   const struct img_gpt_part *parts, unsigned int n);
/* Recompute the header CRC of the GPT header at block @lba. */
void img_gpt_fix_header_crc(u8 *img, u32 bs, u64 lba);
/*
 * Recompute the array CRC of the header at @lba (then its header CRC) of an
 * image of @nr_blocks; does nothing if the header's array lies outside it.
 */
void img_gpt_fix_array_crc(u8 *img, u32 bs, u64 nr_blocks, u64 lba);

/* MBR entry @i (0-3) of the boot record at @blk. */
void img_mbr_set(u8 *blk, unsigned int i, const struct img_mbr_part *p);
/* 0x55 0xaa at the end of the record at @blk. */
void img_mbr_sign(u8 *blk);
/*
 * An MBR with @n primaries (n <= 4) and, inside the extended one among
 * them, @nl logical partitions, each with its EBR at logical[i].ebr linked
 * in array order.
 */
void img_write_mbr(u8 *img, u32 bs, const struct img_mbr_part *prim, unsigned int n,
		   const struct img_mbr_part *logical, unsigned int nl);

/* Little-endian stores for tests that patch fields. */
void img_put_le32(u8 *p, u32 v);
void img_put_le64(u8 *p, u64 v);

#endif
