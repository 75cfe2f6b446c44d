/*
 * Partition-table image builders for tests (tests/lib/part_image.h).
 * Field offsets follow the UEFI specification's GPT header and entry
 * layouts and the classic MBR; block/partitions/ has its own definitions
 * on purpose, so that a wrong offset there is not hidden by sharing it.
 */
#include "part_image.h"
#include <pagoda/crc32.h>
#include <pagoda/string.h>

void img_put_le32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

void img_put_le64(u8 *p, u64 v)
{
	img_put_le32(p, (u32)v);
	img_put_le32(p + 4, (u32)(v >> 32));
}

static u32 get_le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

u64 img_gpt_array_blocks(u32 bs)
{
	return (IMG_GPT_ENTRIES * IMG_GPT_ENTRY_SIZE + bs - 1) / bs;
}

u64 img_gpt_first_usable(u32 bs)
{
	return 2 + img_gpt_array_blocks(bs);
}

u64 img_gpt_last_usable(u32 bs, u64 nr_blocks)
{
	return nr_blocks - 2 - img_gpt_array_blocks(bs);
}

void img_mbr_set(u8 *blk, unsigned int i, const struct img_mbr_part *p)
{
	u8 *e = blk + 446 + 16 * i;

	memset(e, 0, 16);
	e[0] = p->boot ? 0x80 : 0;
	e[4] = p->type;
	img_put_le32(e + 8, p->start);
	img_put_le32(e + 12, p->nr);
}

void img_mbr_sign(u8 *blk)
{
	blk[510] = 0x55;
	blk[511] = 0xaa;
}

void img_gpt_fix_header_crc(u8 *img, u32 bs, u64 lba)
{
	u8 *h = img + lba * bs;
	u32 size = get_le32(h + 12);

	if (size > bs)
		size = bs;
	img_put_le32(h + 16, 0);
	img_put_le32(h + 16, crc32_ieee(0, h, size));
}

void img_gpt_fix_array_crc(u8 *img, u32 bs, u64 nr_blocks, u64 lba)
{
	u8 *h = img + lba * bs;
	u64 array_lba = get_le32(h + 72) | (u64)get_le32(h + 76) << 32;
	u64 bytes = (u64)get_le32(h + 80) * get_le32(h + 84);

	if (array_lba >= nr_blocks || bytes > (nr_blocks - array_lba) * bs)
		return;
	img_put_le32(h + 88, crc32_ieee(0, img + array_lba * bs, bytes));
	img_gpt_fix_header_crc(img, bs, lba);
}

static void write_entry(u8 *array, const struct img_gpt_part *p)
{
	u8 *e = array + (u64)p->index * IMG_GPT_ENTRY_SIZE;

	memset(e, 0, IMG_GPT_ENTRY_SIZE);
	memcpy(e, &p->type, 16);
	memcpy(e + 16, &p->uuid, 16);
	img_put_le64(e + 32, p->first);
	img_put_le64(e + 40, p->last);
	for (unsigned int i = 0; p->name && p->name[i] && i < 36; i++)
		e[56 + 2 * i] = (u8)p->name[i];		/* ASCII as UTF-16LE */
}

static void write_header(u8 *img, u32 bs, u64 nr_blocks, const guid_t *disk_guid,
			 u64 my, u64 alt, u64 array_lba, u32 array_crc)
{
	u8 *h = img + my * bs;

	memset(h, 0, bs);
	memcpy(h, "EFI PART", 8);
	img_put_le32(h + 8, 0x00010000);
	img_put_le32(h + 12, 92);
	img_put_le64(h + 24, my);
	img_put_le64(h + 32, alt);
	img_put_le64(h + 40, img_gpt_first_usable(bs));
	img_put_le64(h + 48, img_gpt_last_usable(bs, nr_blocks));
	memcpy(h + 56, disk_guid, 16);
	img_put_le64(h + 72, array_lba);
	img_put_le32(h + 80, IMG_GPT_ENTRIES);
	img_put_le32(h + 84, IMG_GPT_ENTRY_SIZE);
	img_put_le32(h + 88, array_crc);
	img_gpt_fix_header_crc(img, bs, my);
}

void img_write_gpt(u8 *img, u32 bs, u64 nr_blocks, const guid_t *disk_guid,
		   const struct img_gpt_part *parts, unsigned int n)
{
	u64 ablocks = img_gpt_array_blocks(bs);
	u64 backup_array = nr_blocks - 1 - ablocks;
	u8 *array = img + 2 * bs;
	struct img_mbr_part pmbr = {
		.type = 0xee, .start = 1,
		.nr = nr_blocks - 1 > 0xffffffffu ? 0xffffffffu : (u32)(nr_blocks - 1),
	};
	u32 crc;

	memset(img, 0, bs);
	img_mbr_set(img, 0, &pmbr);
	img_mbr_sign(img);
	memset(array, 0, ablocks * bs);
	for (unsigned int i = 0; i < n; i++)
		write_entry(array, &parts[i]);
	crc = crc32_ieee(0, array, IMG_GPT_ENTRIES * IMG_GPT_ENTRY_SIZE);
	memcpy(img + backup_array * bs, array, ablocks * bs);
	write_header(img, bs, nr_blocks, disk_guid, 1, nr_blocks - 1, 2, crc);
	write_header(img, bs, nr_blocks, disk_guid, nr_blocks - 1, 1, backup_array, crc);
}

/* Write the EBR of logical[i], linking to logical[i + 1] if any. */
static void write_ebr(u8 *img, u32 bs, const struct img_mbr_part *ext,
		      const struct img_mbr_part *logical, unsigned int i, unsigned int nl)
{
	const struct img_mbr_part *l = &logical[i];
	u8 *blk = img + (u64)l->ebr * bs;
	struct img_mbr_part data = { .type = l->type, .boot = l->boot,
				     .start = l->start - l->ebr, .nr = l->nr };

	memset(blk, 0, bs);
	img_mbr_set(blk, 0, &data);
	if (i + 1 < nl) {
		const struct img_mbr_part *n = &logical[i + 1];
		struct img_mbr_part link = { .type = 0x05, .start = n->ebr - ext->start,
					     .nr = n->start + n->nr - n->ebr };

		img_mbr_set(blk, 1, &link);
	}
	img_mbr_sign(blk);
}

void img_write_mbr(u8 *img, u32 bs, const struct img_mbr_part *prim, unsigned int n,
		   const struct img_mbr_part *logical, unsigned int nl)
{
	const struct img_mbr_part *ext = NULL;

	memset(img, 0, bs);
	img_put_le32(img + 440, 0x12345678);
	for (unsigned int i = 0; i < n && i < 4; i++) {
		img_mbr_set(img, i, &prim[i]);
		if (prim[i].type == 0x05 || prim[i].type == 0x0f || prim[i].type == 0x85)
			ext = &prim[i];
	}
	img_mbr_sign(img);
	for (unsigned int i = 0; ext && i < nl; i++)
		write_ebr(img, bs, ext, logical, i, nl);
}
