/*
 * Partition table parsers (block/partitions/): GPT and MBR (with extended
 * and logical partitions). Host-compilable: a parser reads the disk only
 * through the caller's read_block callback, so host tests run it on byte
 * buffers and the kernel runs it on a block device (block/genhd.c).
 *
 * A parser never trusts the disk. A table that is corrupt, points outside
 * the disk, overlaps itself or loops gives a logged message (counted in
 * part_table.warnings) and no partitions, or only the valid ones. Nothing
 * on disk can make it panic, read outside the disk, or loop without bound.
 *
 * Numbers are Linux's: GPT entry i is partition i + 1 (unused entries leave
 * gaps); MBR primaries are 1-4 and logical partitions 5, 6, ... in chain
 * order; the extended partition itself is kept as Linux keeps it, as a
 * stub of one logical block (two 512-byte sectors on 512-byte disks).
 */
#ifndef PAGODA_PARTITIONS_H
#define PAGODA_PARTITIONS_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>
#include <pagoda/uuid.h>

#define PART_MAX		128	/* partition numbers 1..PART_MAX */
#define PART_NAME_MAX		112	/* a GPT name (36 UTF-16 units) as UTF-8, NUL included */
#define PART_BLOCK_MAX		4096	/* the largest logical block a parser reads */
#define PART_GPT_ARRAY_MAX	(1u << 20)	/* bytes of GPT entries we agree to read */
#define PART_MBR_LOGICAL_MAX	(PART_MAX - 4)	/* logical partitions 5..PART_MAX */

enum part_table_kind {
	PART_TABLE_NONE,	/* no table recognised (or none valid) */
	PART_TABLE_MBR,
	PART_TABLE_GPT,
};

/* part_entry.flags */
#define PART_FLAG_BOOTABLE	0x01	/* MBR boot indicator 0x80 */
#define PART_FLAG_EXTENDED	0x02	/* the MBR extended container (a stub) */
#define PART_FLAG_LOGICAL	0x04	/* an MBR logical partition */

struct part_entry {
	unsigned int number;		/* 1..PART_MAX: the "p1" of the name */
	u64 start;			/* first logical block */
	u64 nr_blocks;			/* logical blocks, at least 1 */
	unsigned int flags;		/* PART_FLAG_* */
	u8 mbr_type;			/* MBR system id; 0 for GPT */
	guid_t type_guid;		/* GPT partition type (null for MBR) */
	guid_t uuid;			/* GPT unique partition GUID (null for MBR) */
	u64 attributes;			/* GPT attribute bits */
	char name[PART_NAME_MAX];	/* GPT name as UTF-8; "" for MBR */
};

struct part_table {
	enum part_table_kind kind;
	bool used_backup_gpt;		/* primary GPT bad, backup header used */
	guid_t disk_guid;		/* GPT */
	u32 mbr_signature;		/* MBR disk signature (bytes 440-443) */
	unsigned int warnings;		/* problems found (each logged once) */
	unsigned int nr;		/* entries used in parts[], by number */
	struct part_entry parts[PART_MAX];
	/* scratch for the parsers: one block each */
	u8 buf[2][PART_BLOCK_MAX] __aligned(16);
};

/*
 * Where a parser reads: a disk of @nr_blocks logical blocks of @block_size
 * bytes (512..PART_BLOCK_MAX, a power of two). read_block() copies block
 * @lba (always < nr_blocks) into @buf and returns 0 or a negative errno.
 */
struct part_source {
	const char *name;		/* the disk, for messages */
	u32 block_size;
	u64 nr_blocks;
	int (*read_block)(void *ctx, u64 lba, void *buf);
	void *ctx;
	bool quiet;			/* count warnings, print nothing (fuzzing) */
};

/*
 * Find the partition table of @src and fill @pt (zeroed here). Tries GPT
 * (when the MBR is protective), then MBR. Returns 0 (pt->kind says what
 * was found; NONE is not an error), -EINVAL for a bad @src, or the
 * negative errno of a failed read (then pt holds no partitions). Sleeps
 * only as read_block does; allocates nothing; @pt is large (~40 KiB):
 * the caller allocates it, never on a kernel stack.
 */
int part_scan(const struct part_source *src, struct part_table *pt);

/* "GPT", "MBR" or "none". */
const char *part_table_kind_name(enum part_table_kind kind);

/* ---- for the parsers (block/partitions/core.c) ---- */

/* Log "NAME: message" (unless quiet) and count a warning. */
__printf(3, 4) void part_warn(const struct part_source *src, struct part_table *pt,
			      const char *fmt, ...);
/*
 * Add partition @e (number, start, nr_blocks and the format's fields set)
 * to @pt after checking it: inside the disk's usable blocks
 * [first, last], not empty, number in range and unused, no overlap with a
 * data partition already added (the extended stub is exempt). Returns true
 * if added; otherwise logs why and returns false.
 */
bool part_add(const struct part_source *src, struct part_table *pt,
	      const struct part_entry *e, u64 first, u64 last);
/* Read block @lba into @buf, refusing (-EIO, logged) blocks outside the disk. */
int part_read(const struct part_source *src, struct part_table *pt, u64 lba, void *buf);

int part_parse_gpt(const struct part_source *src, struct part_table *pt);
int part_parse_mbr(const struct part_source *src, struct part_table *pt);
/* Does block 0 (@mbr) hold a protective MBR (an 0xEE entry starting at LBA 1)? */
bool part_mbr_is_protective(const u8 *mbr);

#endif
