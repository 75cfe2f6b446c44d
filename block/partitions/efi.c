/*
 * GPT partition tables (UEFI specification, chapter "GUID Partition Table
 * Disk Layout"). Host-compilable.
 *
 * Block 0 holds a protective MBR (checked by part_scan before we are
 * called). The primary header is at block 1; its copy, the backup header,
 * at the last block, each with its own array of partition entries. All
 * numbers are little-endian; LBAs count logical blocks.
 *
 * A header is valid when: signature "EFI PART"; header size 92..block
 * size; the CRC32 of the header (CRC field taken as zero) matches; MyLBA is
 * the block it was read from; FirstUsableLBA <= LastUsableLBA < the disk's
 * block count; the entry size is 128 << n; the array (at most
 * PART_GPT_ARRAY_MAX bytes) lies inside the disk and outside the usable
 * range; and the CRC32 of the whole array matches.
 *
 * The primary is used when valid (a bad backup is reported); otherwise the
 * backup at the last block; otherwise there is no table. Entries whose
 * type GUID is zero are unused. A used entry that ends before it starts,
 * leaves the usable range or overlaps an earlier entry is refused with a
 * message; the other entries stay.
 */
#include <pagoda/partitions.h>
#include <pagoda/crc32.h>
#include <pagoda/string.h>

#define GPT_SIGNATURE		"EFI PART"
#define GPT_HEADER_MIN		92
#define GPT_ENTRY_MIN		128
#define GPT_NAME_UNITS		36

/* Header field offsets. */
#define GPT_H_SIG		0
#define GPT_H_SIZE		12
#define GPT_H_CRC		16
#define GPT_H_MY_LBA		24
#define GPT_H_ALT_LBA		32
#define GPT_H_FIRST_USABLE	40
#define GPT_H_LAST_USABLE	48
#define GPT_H_DISK_GUID		56
#define GPT_H_ENTRIES_LBA	72
#define GPT_H_NR_ENTRIES	80
#define GPT_H_ENTRY_SIZE	84
#define GPT_H_ENTRIES_CRC	88

/* Entry field offsets. */
#define GPT_E_TYPE		0
#define GPT_E_UUID		16
#define GPT_E_FIRST		32
#define GPT_E_LAST		40
#define GPT_E_ATTR		48
#define GPT_E_NAME		56

/* What we keep of a header once it has been checked. */
struct gpt_header {
	u64 my_lba, alt_lba;
	u64 first_usable, last_usable;
	guid_t disk_guid;
	u64 entries_lba;
	u32 nr_entries, entry_size, entries_crc;
	u64 array_blocks;
};

static u32 get_le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 get_le64(const u8 *p)
{
	return get_le32(p) | (u64)get_le32(p + 4) << 32;
}

/* CRC of the header's first @size bytes with its CRC field read as zero. */
static u32 gpt_header_crc(const u8 *blk, u32 size)
{
	static const u8 zero[4];
	u32 crc = crc32_ieee(0, blk, GPT_H_CRC);

	crc = crc32_ieee(crc, zero, sizeof(zero));
	return crc32_ieee(crc, blk + GPT_H_CRC + 4, size - GPT_H_CRC - 4);
}

static bool entry_size_ok(u32 size)
{
	return size >= GPT_ENTRY_MIN && size <= PART_GPT_ARRAY_MAX &&
	       (size & (size - 1)) == 0;
}

/* Fill @h from block @blk read at @lba; NULL if fine, else what is wrong. */
static const char *gpt_check_header(const struct part_source *src, const u8 *blk, u64 lba,
				    struct gpt_header *h)
{
	u32 size = get_le32(blk + GPT_H_SIZE);
	u64 array_bytes;

	if (memcmp(blk + GPT_H_SIG, GPT_SIGNATURE, 8))
		return "no GPT signature";
	if (size < GPT_HEADER_MIN || size > src->block_size)
		return "bad header size";
	if (gpt_header_crc(blk, size) != get_le32(blk + GPT_H_CRC))
		return "header CRC mismatch";
	h->my_lba = get_le64(blk + GPT_H_MY_LBA);
	h->alt_lba = get_le64(blk + GPT_H_ALT_LBA);
	h->first_usable = get_le64(blk + GPT_H_FIRST_USABLE);
	h->last_usable = get_le64(blk + GPT_H_LAST_USABLE);
	memcpy(&h->disk_guid, blk + GPT_H_DISK_GUID, sizeof(guid_t));
	h->entries_lba = get_le64(blk + GPT_H_ENTRIES_LBA);
	h->nr_entries = get_le32(blk + GPT_H_NR_ENTRIES);
	h->entry_size = get_le32(blk + GPT_H_ENTRY_SIZE);
	h->entries_crc = get_le32(blk + GPT_H_ENTRIES_CRC);
	if (h->my_lba != lba)
		return "header is not where it says it is (MyLBA)";
	if (h->first_usable > h->last_usable || h->last_usable >= src->nr_blocks ||
	    h->first_usable < 2)
		return "usable block range outside the disk";
	if (!entry_size_ok(h->entry_size))
		return "bad partition entry size";
	array_bytes = (u64)h->nr_entries * h->entry_size;
	if (array_bytes > PART_GPT_ARRAY_MAX)
		return "partition entry array too large";
	h->array_blocks = (array_bytes + src->block_size - 1) / src->block_size;
	if (h->entries_lba < 2 || h->entries_lba > src->nr_blocks ||
	    h->array_blocks > src->nr_blocks - h->entries_lba)
		return "partition entry array outside the disk";
	if (h->array_blocks && h->entries_lba <= h->last_usable &&
	    h->entries_lba + h->array_blocks > h->first_usable)
		return "partition entry array inside the usable range";
	return NULL;
}

/* CRC of the entry array of @h; 0 or a read error. */
static int gpt_array_crc(const struct part_source *src, struct part_table *pt,
			 const struct gpt_header *h, u32 *crc)
{
	u64 left = (u64)h->nr_entries * h->entry_size;
	u8 *blk = pt->buf[1];

	*crc = 0;
	for (u64 i = 0; i < h->array_blocks; i++) {
		u32 n = left < src->block_size ? (u32)left : src->block_size;
		int err = part_read(src, pt, h->entries_lba + i, blk);

		if (err)
			return err;
		*crc = crc32_ieee(*crc, blk, n);
		left -= n;
	}
	return 0;
}

/*
 * Read and check the header at @lba and its array. Returns 1 when valid
 * (@h filled), 0 when not (logged as @which), or a read error.
 */
static int gpt_read_header(const struct part_source *src, struct part_table *pt, u64 lba,
			   const char *which, struct gpt_header *h)
{
	const char *why;
	u32 crc;
	int err;

	err = part_read(src, pt, lba, pt->buf[1]);
	if (err)
		return err;
	why = gpt_check_header(src, pt->buf[1], lba, h);
	if (!why) {
		err = gpt_array_crc(src, pt, h, &crc);
		if (err)
			return err;
		if (crc != h->entries_crc)
			why = "partition entry array CRC mismatch";
	}
	if (why) {
		part_warn(src, pt, "%s GPT header at block %llu is invalid: %s", which,
			  (unsigned long long)lba, why);
		return 0;
	}
	return 1;
}

/* Append code point @c as UTF-8 if it fits in [*p, end). */
static void put_utf8(char **p, char *end, u32 c)
{
	u8 tmp[4];
	int n;

	if (c < 0x80) {
		tmp[0] = c;
		n = 1;
	} else if (c < 0x800) {
		tmp[0] = 0xc0 | (c >> 6);
		tmp[1] = 0x80 | (c & 0x3f);
		n = 2;
	} else if (c < 0x10000) {
		tmp[0] = 0xe0 | (c >> 12);
		tmp[1] = 0x80 | ((c >> 6) & 0x3f);
		tmp[2] = 0x80 | (c & 0x3f);
		n = 3;
	} else {
		tmp[0] = 0xf0 | (c >> 18);
		tmp[1] = 0x80 | ((c >> 12) & 0x3f);
		tmp[2] = 0x80 | ((c >> 6) & 0x3f);
		tmp[3] = 0x80 | (c & 0x3f);
		n = 4;
	}
	if (end - *p < n)
		return;
	memcpy(*p, tmp, n);
	*p += n;
}

/*
 * The entry's UTF-16LE name as UTF-8 (up to the first NUL); unpaired
 * surrogates become U+FFFD.
 */
static void gpt_name(const u8 *e, char *out, size_t size)
{
	char *p = out, *end = out + size - 1;

	for (unsigned int i = 0; i < GPT_NAME_UNITS; i++) {
		u32 c = e[2 * i] | (u32)e[2 * i + 1] << 8;

		if (c == 0)
			break;
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < GPT_NAME_UNITS) {
			u32 lo = e[2 * i + 2] | (u32)e[2 * i + 3] << 8;

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c <= 0xdfff) {
			c = 0xfffd;
		}
		put_utf8(&p, end, c);
	}
	*p = '\0';
}

/*
 * Entry @index (128 bytes at @e) into @pt, if used and valid. Returns true
 * for a used entry past PART_MAX (ignored; the caller reports them once).
 */
static bool gpt_add_entry(const struct part_source *src, struct part_table *pt,
			  const struct gpt_header *h, const u8 *e, u32 index)
{
	struct part_entry pe = { .number = index + 1 };
	u64 last;

	memcpy(&pe.type_guid, e + GPT_E_TYPE, sizeof(guid_t));
	if (guid_is_null(&pe.type_guid))
		return false;
	if (index >= PART_MAX)
		return true;
	memcpy(&pe.uuid, e + GPT_E_UUID, sizeof(guid_t));
	pe.start = get_le64(e + GPT_E_FIRST);
	last = get_le64(e + GPT_E_LAST);
	pe.attributes = get_le64(e + GPT_E_ATTR);
	if (last < pe.start) {
		part_warn(src, pt, "partition %u: ends (block %llu) before it starts (block %llu), refused",
			  pe.number, (unsigned long long)last, (unsigned long long)pe.start);
		return false;
	}
	pe.nr_blocks = last - pe.start + 1;	/* 0 if it wrapped: refused below */
	gpt_name(e + GPT_E_NAME, pe.name, sizeof(pe.name));
	part_add(src, pt, &pe, h->first_usable, h->last_usable);
	return false;
}

/* Add every used entry of the (checked) array of @h. */
static int gpt_add_entries(const struct part_source *src, struct part_table *pt,
			   const struct gpt_header *h)
{
	u32 per_block = h->entry_size <= src->block_size ? src->block_size / h->entry_size : 0;
	u32 blocks_per_entry = per_block ? 1 : h->entry_size / src->block_size;
	u32 index = 0, beyond = 0;

	while (index < h->nr_entries) {
		u64 lba = h->entries_lba + (per_block ? index / per_block :
					    (u64)index * blocks_per_entry);
		int err = part_read(src, pt, lba, pt->buf[1]);

		if (err)
			return err;
		do {
			u32 off = per_block ? (index % per_block) * h->entry_size : 0;

			beyond += gpt_add_entry(src, pt, h, pt->buf[1] + off, index);
			index++;
		} while (per_block && index % per_block && index < h->nr_entries);
	}
	if (beyond)
		part_warn(src, pt, "%u GPT entries beyond partition %u ignored", beyond, PART_MAX);
	return 0;
}

/* The primary is good: say so if its backup is not where it should be or is bad. */
static int gpt_check_backup(const struct part_source *src, struct part_table *pt,
			    const struct gpt_header *primary)
{
	struct gpt_header b;
	int ret;

	if (primary->alt_lba != src->nr_blocks - 1)
		part_warn(src, pt, "backup GPT header not at the end of the disk (block %llu of %llu)",
			  (unsigned long long)primary->alt_lba,
			  (unsigned long long)src->nr_blocks);
	if (primary->alt_lba >= src->nr_blocks || primary->alt_lba < 2)
		return 0;
	ret = gpt_read_header(src, pt, primary->alt_lba, "backup", &b);
	return ret < 0 ? ret : 0;
}

int part_parse_gpt(const struct part_source *src, struct part_table *pt)
{
	struct gpt_header h;
	int ret;

	ret = gpt_read_header(src, pt, 1, "primary", &h);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		ret = gpt_check_backup(src, pt, &h);
		if (ret < 0)
			return ret;
	} else {
		ret = gpt_read_header(src, pt, src->nr_blocks - 1, "backup", &h);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			part_warn(src, pt, "no valid GPT header: no partitions");
			return 0;
		}
		part_warn(src, pt, "primary GPT is invalid, using the backup at block %llu",
			  (unsigned long long)(src->nr_blocks - 1));
		pt->used_backup_gpt = true;
	}
	pt->kind = PART_TABLE_GPT;
	pt->disk_guid = h.disk_guid;
	return gpt_add_entries(src, pt, &h);
}
