/*
 * MBR ("msdos") partition tables: four primary entries in block 0, and
 * logical partitions in a chain of extended boot records (EBRs) inside an
 * extended partition. Host-compilable.
 *
 * Layout of block 0 (and of each EBR): bytes 446-509 hold four 16-byte
 * entries (boot indicator, CHS start, system id, CHS end, first block
 * (LE32), block count (LE32)); bytes 510-511 are 0x55 0xaa. CHS fields are
 * ignored: only the LBA fields count, in logical blocks (4096-byte blocks on
 * 4Kn disks).
 *
 * In an EBR, the data entry's start is relative to that EBR and the link
 * entry's start is relative to the start of the extended partition. Only
 * the first two entries of an EBR are read (the other two are garbage on
 * some disks). The chain is followed while each EBR lies inside the
 * extended partition and has not been seen before, for at most
 * PART_MBR_LOGICAL_MAX records: a loop or a wild link ends it with a
 * message, keeping the logical partitions found so far.
 */
#include <pagoda/partitions.h>
#include <pagoda/string.h>

#define MBR_ENTRIES_OFF		446
#define MBR_ENTRY_SIZE		16
#define MBR_SIG_OFF		510
#define MBR_DISK_SIG_OFF	440

#define MBR_TYPE_EMPTY		0x00
#define MBR_TYPE_DOS_EXT	0x05
#define MBR_TYPE_W95_EXT_LBA	0x0f
#define MBR_TYPE_LINUX_EXT	0x85
#define MBR_TYPE_GPT_PROTECTIVE	0xee

struct mbr_entry {
	u8 boot;
	u8 type;
	u32 start;		/* LBA */
	u32 nr;			/* blocks */
};

static u32 get_le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static bool mbr_signature_ok(const u8 *blk)
{
	return blk[MBR_SIG_OFF] == 0x55 && blk[MBR_SIG_OFF + 1] == 0xaa;
}

static struct mbr_entry mbr_entry(const u8 *blk, unsigned int i)
{
	const u8 *p = blk + MBR_ENTRIES_OFF + i * MBR_ENTRY_SIZE;

	return (struct mbr_entry){ .boot = p[0], .type = p[4],
				   .start = get_le32(p + 8), .nr = get_le32(p + 12) };
}

static bool is_extended(u8 type)
{
	return type == MBR_TYPE_DOS_EXT || type == MBR_TYPE_W95_EXT_LBA ||
	       type == MBR_TYPE_LINUX_EXT;
}

static bool entry_used(const struct mbr_entry *e)
{
	return e->type != MBR_TYPE_EMPTY && e->nr != 0;
}

bool part_mbr_is_protective(const u8 *mbr)
{
	if (!mbr_signature_ok(mbr))
		return false;
	for (unsigned int i = 0; i < 4; i++) {
		struct mbr_entry e = mbr_entry(mbr, i);

		if (e.type == MBR_TYPE_GPT_PROTECTIVE && e.start == 1)
			return true;
	}
	return false;
}

/*
 * A FAT boot sector also ends in 0x55 0xaa; Linux tells them apart by the
 * boot indicators, which are 0x00 or 0x80 in a real table.
 */
static bool boot_indicators_ok(const u8 *blk)
{
	for (unsigned int i = 0; i < 4; i++) {
		u8 b = mbr_entry(blk, i).boot;

		if (b != 0x00 && b != 0x80)
			return false;
	}
	return true;
}

/* The extended partition as a device: one block (two 512-byte sectors), as Linux. */
static u64 extended_stub_blocks(const struct part_source *src, u64 size)
{
	u64 stub = src->block_size == 512 ? 2 : 1;

	return size < stub ? size : stub;
}

static bool ebr_seen(const u64 *seen, unsigned int n, u64 lba)
{
	for (unsigned int i = 0; i < n; i++)
		if (seen[i] == lba)
			return true;
	return false;
}

/* Add the data entry @d of the EBR at @ebr as logical partition @number. */
static void add_logical(const struct part_source *src, struct part_table *pt,
			const struct mbr_entry *d, u64 ebr, unsigned int number,
			u64 ext_start, u64 ext_size)
{
	struct part_entry e = {
		.number = number,
		.start = ebr + d->start,
		.nr_blocks = d->nr,
		.flags = PART_FLAG_LOGICAL | (d->boot == 0x80 ? PART_FLAG_BOOTABLE : 0),
		.mbr_type = d->type,
	};

	part_add(src, pt, &e, ext_start, ext_start + ext_size - 1);
}

/*
 * Follow the EBR chain of the extended partition [ext_start, +ext_size),
 * numbering logical partitions from *next. Returns 0 or a read error.
 */
static int parse_extended(const struct part_source *src, struct part_table *pt,
			  u64 ext_start, u64 ext_size, unsigned int *next)
{
	u64 seen[PART_MBR_LOGICAL_MAX];
	unsigned int nseen = 0;
	u64 ebr = ext_start;
	u8 *blk = pt->buf[1];

	for (;;) {
		struct mbr_entry d = { 0 }, link = { 0 };
		int err;

		if (ebr_seen(seen, nseen, ebr)) {
			part_warn(src, pt, "extended partition: EBR chain loops back to block %llu",
				  (unsigned long long)ebr);
			return 0;
		}
		if (nseen == PART_MBR_LOGICAL_MAX) {
			part_warn(src, pt, "extended partition: more than %u EBRs, chain cut",
				  PART_MBR_LOGICAL_MAX);
			return 0;
		}
		seen[nseen++] = ebr;
		err = part_read(src, pt, ebr, blk);
		if (err)
			return err;
		if (!mbr_signature_ok(blk)) {
			part_warn(src, pt, "extended partition: no EBR signature at block %llu",
				  (unsigned long long)ebr);
			return 0;
		}
		for (unsigned int i = 0; i < 2; i++) {
			struct mbr_entry e = mbr_entry(blk, i);

			if (!entry_used(&e))
				continue;
			if (is_extended(e.type)) {
				if (!entry_used(&link))
					link = e;
			} else if (!entry_used(&d)) {
				d = e;
			}
		}
		if (entry_used(&d)) {
			if (*next > PART_MAX) {
				part_warn(src, pt, "more than %u partitions, the rest ignored",
					  PART_MAX);
				return 0;
			}
			add_logical(src, pt, &d, ebr, (*next)++, ext_start, ext_size);
		}
		if (!entry_used(&link))
			return 0;
		if (link.start >= ext_size) {
			part_warn(src, pt, "extended partition: EBR link to block %llu leaves the extended partition",
				  (unsigned long long)(ext_start + link.start));
			return 0;
		}
		ebr = ext_start + link.start;
	}
}

int part_parse_mbr(const struct part_source *src, struct part_table *pt)
{
	const u8 *mbr = pt->buf[0];
	struct { u64 start, size; } ext[4];
	unsigned int next = 5, nr_ext = 0;
	int err;

	if (!mbr_signature_ok(mbr) || !boot_indicators_ok(mbr))
		return 0;		/* no MBR here: kind stays NONE */
	pt->kind = PART_TABLE_MBR;
	pt->mbr_signature = get_le32(mbr + MBR_DISK_SIG_OFF);
	for (unsigned int i = 0; i < 4; i++) {
		struct mbr_entry m = mbr_entry(mbr, i);
		struct part_entry e = {
			.number = i + 1, .start = m.start, .nr_blocks = m.nr,
			.mbr_type = m.type, .flags = m.boot == 0x80 ? PART_FLAG_BOOTABLE : 0,
		};

		if (!entry_used(&m))
			continue;
		if (m.type == MBR_TYPE_GPT_PROTECTIVE) {
			part_warn(src, pt, "MBR entry %u: GPT protective entry not at block 1, ignored",
				  i + 1);
			continue;
		}
		if (is_extended(m.type)) {
			e.flags |= PART_FLAG_EXTENDED;
			e.nr_blocks = extended_stub_blocks(src, m.nr);
			/* the whole container must fit, not just its stub */
			if (m.start == 0 || (u64)m.start + m.nr > src->nr_blocks) {
				part_warn(src, pt, "partition %u: extended partition blocks %u-%llu lie outside the disk, refused",
					  i + 1, m.start, (unsigned long long)m.start + m.nr - 1);
				continue;
			}
			if (part_add(src, pt, &e, 1, src->nr_blocks - 1))
				ext[nr_ext++] = (typeof(ext[0])){ m.start, m.nr };
			continue;
		}
		part_add(src, pt, &e, 1, src->nr_blocks - 1);
	}
	for (unsigned int i = 0; i < nr_ext; i++) {
		err = parse_extended(src, pt, ext[i].start, ext[i].size, &next);
		if (err)
			return err;
	}
	return 0;
}
