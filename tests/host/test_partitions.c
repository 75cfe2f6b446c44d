/*
 * Host tests of the partition parsers (block/partitions/): images made by
 * sgdisk, sfdisk and fdisk (tests/host/mkpartimg.sh, checked against what
 * fdisk itself lists), hand-built tables with one defect each, and a fuzz
 * loop of random mutations. Under ASan the read callback also checks that
 * no parser asks for a block outside the disk.
 */
#include <pagoda/partitions.h>
#include <pagoda/errno.h>
#include "ktap.h"
#include "../lib/part_image.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMG_DIR		"build/test/part"

/* A disk in memory; reads at or past fail_from fail with -EIO. */
struct mem_disk {
	u8 *img;
	u32 bs;
	u64 nr_blocks;
	u64 fail_from;
	unsigned long reads;
	bool out_of_range;
};

static int mem_read(void *ctx, u64 lba, void *buf)
{
	struct mem_disk *d = ctx;

	d->reads++;
	if (lba >= d->nr_blocks) {
		d->out_of_range = true;
		return -EIO;
	}
	if (lba >= d->fail_from)
		return -EIO;
	memcpy(buf, d->img + lba * d->bs, d->bs);
	return 0;
}

static struct part_table *pt;

static int scan(struct mem_disk *d, bool quiet)
{
	struct part_source src = {
		.name = "testdisk", .block_size = d->bs, .nr_blocks = d->nr_blocks,
		.read_block = mem_read, .ctx = d, .quiet = quiet,
	};

	if (!d->fail_from)
		d->fail_from = ~0ull;
	return part_scan(&src, pt);
}

static struct mem_disk new_disk(u32 bs, u64 nr_blocks)
{
	struct mem_disk d = { .bs = bs, .nr_blocks = nr_blocks };

	d.img = calloc(nr_blocks, bs);
	return d;
}

static const struct part_entry *find_part(unsigned int number)
{
	for (unsigned int i = 0; i < pt->nr; i++)
		if (pt->parts[i].number == number)
			return &pt->parts[i];
	return NULL;
}

/* ---- images from the standard tools ---- */

static bool load_image(const char *name, u32 bs, struct mem_disk *d)
{
	char path[256];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), IMG_DIR "/%s.img", name);
	f = fopen(path, "rb");
	if (!f) {
		printf("    # cannot open %s (made by tests/host/mkpartimg.sh)\n", path);
		return false;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	*d = new_disk(bs, (u64)size / bs);
	if (fread(d->img, 1, size, f) != (size_t)size) {
		fclose(f);
		return false;
	}
	fclose(f);
	return true;
}

static void guid_upper(const guid_t *g, char *out)
{
	guid_to_str(g, out);
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p -= 'a' - 'A';
}

/*
 * Compare the parse of NAME.img with fdisk's listing NAME.expect. GPT
 * lines: "n start blocks TYPE-UUID UUID [name...]"; MBR lines:
 * "n start blocks id [*]". The extended container is a stub here, as in
 * Linux, so only its start is compared and its length is the stub's.
 */
static void check_against_fdisk(const char *name, u32 bs, enum part_table_kind kind)
{
	struct mem_disk d;
	char path[256], line[512];
	unsigned int lines = 0;
	FILE *f;

	KT_ASSERT(load_image(name, bs, &d));
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT_EQ(pt->kind, kind);
	KT_EXPECT_EQ(pt->warnings, 0);
	snprintf(path, sizeof(path), IMG_DIR "/%s.expect", name);
	f = fopen(path, "r");
	KT_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int n;
		unsigned long long start, blocks;
		char a[64] = "", b[64] = "", rest[128] = "";
		const struct part_entry *e;
		int got = sscanf(line, "%u %llu %llu %63s %63s %127[^\n]", &n, &start, &blocks,
				 a, b, rest);

		KT_ASSERT(got >= 4);
		lines++;
		e = find_part(n);
		KT_EXPECT(e != NULL);
		if (!e)
			continue;
		KT_EXPECT_EQ(e->start, start);
		if (kind == PART_TABLE_GPT) {
			char s[40];

			KT_EXPECT_EQ(e->nr_blocks, blocks);
			guid_upper(&e->type_guid, s);
			KT_EXPECT(!strcmp(s, a));
			guid_upper(&e->uuid, s);
			KT_EXPECT(!strcmp(s, b));
			KT_EXPECT(!strcmp(e->name, rest));
		} else {
			unsigned int id = (unsigned int)strtoul(a, NULL, 16);

			KT_EXPECT_EQ(e->mbr_type, id);
			KT_EXPECT_EQ(!!(e->flags & PART_FLAG_BOOTABLE), !strcmp(b, "*"));
			if (id == 0x05 || id == 0x0f || id == 0x85) {
				KT_EXPECT(e->flags & PART_FLAG_EXTENDED);
				KT_EXPECT_EQ(e->nr_blocks, bs == 512 ? 2 : 1);
			} else {
				KT_EXPECT_EQ(e->nr_blocks, blocks);
				KT_EXPECT_EQ(!!(e->flags & PART_FLAG_LOGICAL), n >= 5);
			}
		}
	}
	fclose(f);
	KT_EXPECT(lines >= 3);
	KT_EXPECT_EQ(pt->nr, lines);
	KT_EXPECT(!d.out_of_range);
	free(d.img);
}

static void t_sgdisk_gpt_512(void)
{
	check_against_fdisk("gpt-sgdisk-512", 512, PART_TABLE_GPT);
}

static void t_fdisk_gpt_4k(void)
{
	check_against_fdisk("gpt-fdisk-4k", 4096, PART_TABLE_GPT);
}

static void t_sfdisk_mbr_512(void)
{
	check_against_fdisk("mbr-sfdisk-512", 512, PART_TABLE_MBR);
	KT_EXPECT_EQ(pt->mbr_signature, 0x12345678);
}

static void t_fdisk_mbr_4k(void)
{
	check_against_fdisk("mbr-fdisk-4k", 4096, PART_TABLE_MBR);
}

/* ---- hand-built GPTs ---- */

#define LINUX_FS	GUID_INIT(0x0fc63daf, 0x8483, 0x4772, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4)
#define ESP		GUID_INIT(0xc12a7328, 0xf81f, 0x11d2, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b)
#define DISK_GUID	GUID_INIT(0x01234567, 0x89ab, 0xcdef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef)

/* Two partitions (slots 0 and 2: p1 and p3) on a disk of @nr blocks. */
static struct mem_disk gpt_disk(u32 bs, u64 nr)
{
	struct mem_disk d = new_disk(bs, nr);
	u64 first = img_gpt_first_usable(bs);
	struct img_gpt_part p[2] = {
		{ .index = 0, .first = first, .last = first + 99, .type = ESP,
		  .uuid = GUID_INIT(0x11111111, 0x2222, 0x3333, 4, 4, 5, 5, 5, 5, 5, 5),
		  .name = "EFI system" },
		{ .index = 2, .first = first + 100, .last = img_gpt_last_usable(bs, nr),
		  .type = LINUX_FS,
		  .uuid = GUID_INIT(0xaaaaaaaa, 0xbbbb, 0xcccc, 0xd, 0xd, 0xe, 0xe, 0xe, 0xe, 0xe, 0xe),
		  .name = "root" },
	};
	guid_t dg = DISK_GUID;

	img_write_gpt(d.img, bs, nr, &dg, p, 2);
	return d;
}

static void expect_two_gpt_parts(u32 bs, u64 nr)
{
	const struct part_entry *e1 = find_part(1), *e3 = find_part(3);
	u64 first = img_gpt_first_usable(bs);
	guid_t esp = ESP, lfs = LINUX_FS, dg = DISK_GUID;

	KT_EXPECT_EQ(pt->kind, PART_TABLE_GPT);
	KT_EXPECT_EQ(pt->nr, 2);
	KT_ASSERT(e1 && e3);
	KT_EXPECT_EQ(e1->start, first);
	KT_EXPECT_EQ(e1->nr_blocks, 100);
	KT_EXPECT(guid_equal(&e1->type_guid, &esp));
	KT_EXPECT(!strcmp(e1->name, "EFI system"));
	KT_EXPECT_EQ(e3->start, first + 100);
	KT_EXPECT_EQ(e3->start + e3->nr_blocks - 1, img_gpt_last_usable(bs, nr));
	KT_EXPECT(guid_equal(&e3->type_guid, &lfs));
	KT_EXPECT(!strcmp(e3->name, "root"));
	KT_EXPECT(guid_equal(&pt->disk_guid, &dg));
}

static void t_gpt_valid_both_block_sizes(void)
{
	static const u32 sizes[] = { 512, 4096 };

	for (unsigned int i = 0; i < 2; i++) {
		struct mem_disk d = gpt_disk(sizes[i], 1024);

		KT_EXPECT_EQ(scan(&d, false), 0);
		expect_two_gpt_parts(sizes[i], 1024);
		KT_EXPECT_EQ(pt->warnings, 0);
		KT_EXPECT(!pt->used_backup_gpt);
		free(d.img);
	}
}

/* A flipped bit in the primary header, then in the primary array: backup used. */
static void t_gpt_corrupt_primary_uses_backup(void)
{
	static const u32 sizes[] = { 512, 4096 };

	for (unsigned int i = 0; i < 2; i++) {
		u32 bs = sizes[i];
		struct mem_disk d = gpt_disk(bs, 1024);

		d.img[bs + 40] ^= 1;		/* FirstUsableLBA: header CRC now wrong */
		KT_EXPECT_EQ(scan(&d, false), 0);
		KT_EXPECT(pt->used_backup_gpt);
		KT_EXPECT(pt->warnings >= 1);
		expect_two_gpt_parts(bs, 1024);
		free(d.img);

		d = gpt_disk(bs, 1024);
		d.img[2 * bs + 32] ^= 0x80;	/* first entry's start: array CRC wrong */
		KT_EXPECT_EQ(scan(&d, false), 0);
		KT_EXPECT(pt->used_backup_gpt);
		expect_two_gpt_parts(bs, 1024);
		free(d.img);
	}
}

static void t_gpt_both_corrupt_gives_none(void)
{
	struct mem_disk d = gpt_disk(512, 1024);

	d.img[512 + 3] = 'X';				/* primary signature */
	d.img[1023 * 512 + 16] ^= 0xff;			/* backup header CRC */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT_EQ(pt->kind, PART_TABLE_NONE);
	KT_EXPECT_EQ(pt->nr, 0);
	KT_EXPECT(pt->warnings >= 3);
	free(d.img);
}

static void t_gpt_bad_backup_reported_primary_used(void)
{
	struct mem_disk d = gpt_disk(512, 1024);

	d.img[1023 * 512 + 60] ^= 1;	/* disk GUID byte: CRC mismatch */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(!pt->used_backup_gpt);
	KT_EXPECT_EQ(pt->warnings, 1);
	expect_two_gpt_parts(512, 1024);
	free(d.img);
}

/* A valid GPT behind an MBR without an 0xEE entry is not used. */
static void t_gpt_needs_protective_mbr(void)
{
	struct mem_disk d = gpt_disk(512, 1024);
	struct img_mbr_part linux_part = { .type = 0x83, .start = 1, .nr = 1023 };

	img_mbr_set(d.img, 0, &linux_part);
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT_EQ(pt->kind, PART_TABLE_MBR);
	KT_EXPECT(find_part(1) && find_part(1)->mbr_type == 0x83);
	KT_EXPECT(!find_part(3));
	memset(d.img, 0, 512);			/* no MBR at all */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT_EQ(pt->kind, PART_TABLE_NONE);
	KT_EXPECT_EQ(pt->nr, 0);
	free(d.img);
}

/* Rewrite entry @slot of both arrays and fix every CRC. */
static void set_entry_both(struct mem_disk *d, u32 slot, u64 first, u64 last)
{
	u64 ab = img_gpt_array_blocks(d->bs);
	u8 *arrays[2] = { d->img + 2 * d->bs, d->img + (d->nr_blocks - 1 - ab) * d->bs };

	for (int i = 0; i < 2; i++) {
		u8 *e = arrays[i] + slot * 128;

		if (!e[0] && !e[1]) {
			guid_t t = LINUX_FS;

			memcpy(e, &t, 16);
		}
		img_put_le64(e + 32, first);
		img_put_le64(e + 40, last);
	}
	img_gpt_fix_array_crc(d->img, d->bs, d->nr_blocks, 1);
	img_gpt_fix_array_crc(d->img, d->bs, d->nr_blocks, d->nr_blocks - 1);
}

static void t_gpt_entry_past_end_refused(void)
{
	struct mem_disk d = gpt_disk(512, 1024);

	set_entry_both(&d, 5, 900, 5000);		/* p6 beyond the disk */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(!find_part(6));
	KT_EXPECT_EQ(pt->nr, 2);
	KT_EXPECT_EQ(pt->warnings, 1);
	set_entry_both(&d, 5, 0, 0xffffffffffffffffull);	/* whole 64-bit range */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(!find_part(6));
	KT_EXPECT_EQ(pt->warnings, 1);
	set_entry_both(&d, 5, 500, 400);		/* ends before it starts */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(!find_part(6));
	KT_EXPECT_EQ(pt->warnings, 1);
	free(d.img);
}

static void t_gpt_overlap_refused(void)
{
	struct mem_disk d = gpt_disk(512, 1024);
	u64 first = img_gpt_first_usable(512);

	set_entry_both(&d, 1, first + 50, first + 60);	/* p2 inside p1 */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(find_part(1));
	KT_EXPECT(!find_part(2));
	KT_EXPECT(find_part(3));
	KT_EXPECT_EQ(pt->warnings, 1);
	free(d.img);
}

static void t_gpt_header_fields_checked(void)
{
	static const struct { unsigned int off; u64 value; bool is64; } bad[] = {
		{ 24, 7, true },		/* MyLBA not 1 */
		{ 12, 600, false },		/* header size > block */
		{ 12, 91, false },		/* header size < 92 */
		{ 84, 100, false },		/* entry size not 128 << n */
		{ 80, 0x100000, false },	/* array far too big */
		{ 72, 1020, true },		/* array runs past the end */
		{ 72, 40, true },		/* array inside the usable range */
		{ 48, 1024, true },		/* last usable past the end */
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mem_disk d = gpt_disk(512, 1024);

		if (bad[i].is64)
			img_put_le64(d.img + 512 + bad[i].off, bad[i].value);
		else
			img_put_le32(d.img + 512 + bad[i].off, (u32)bad[i].value);
		img_gpt_fix_header_crc(d.img, 512, 1);
		KT_EXPECT_EQ(scan(&d, false), 0);
		KT_EXPECT(pt->used_backup_gpt);
		KT_EXPECT(!d.out_of_range);
		expect_two_gpt_parts(512, 1024);
		free(d.img);
	}
}

/* Entries of 256 bytes (128 << 1) are valid; only the first 128 bytes count. */
static void t_gpt_larger_entry_size(void)
{
	struct mem_disk d = new_disk(512, 1024);
	guid_t dg = DISK_GUID, t = LINUX_FS;
	u8 *h, *array;
	u64 a = 2;

	img_write_gpt(d.img, 512, 1024, &dg, NULL, 0);
	h = d.img + 512;
	img_put_le32(h + 80, 64);		/* 64 entries of 256 bytes: same 32 blocks */
	img_put_le32(h + 84, 256);
	array = d.img + a * 512;
	memcpy(array + 3 * 256, &t, 16);	/* slot 3: p4 */
	img_put_le64(array + 3 * 256 + 32, 100);
	img_put_le64(array + 3 * 256 + 40, 199);
	array[3 * 256 + 200] = 0xee;		/* beyond 128 bytes: ignored but CRC'd */
	img_gpt_fix_array_crc(d.img, 512, d.nr_blocks, 1);
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT_EQ(pt->kind, PART_TABLE_GPT);
	KT_EXPECT(!pt->used_backup_gpt);
	KT_ASSERT(find_part(4));
	KT_EXPECT_EQ(find_part(4)->start, 100);
	KT_EXPECT_EQ(find_part(4)->nr_blocks, 100);
	KT_EXPECT_EQ(pt->nr, 1);
	free(d.img);
}

/* UTF-16 names: BMP characters and a surrogate pair come out as UTF-8. */
static void t_gpt_name_utf16_to_utf8(void)
{
	struct mem_disk d = gpt_disk(512, 1024);
	u8 *e = d.img + 2 * 512 + 56;		/* p1's name */
	static const u16 name[] = { 'd', 0x00e9, 0x20ac, 0xd83d, 0xde00, 0xdc00, 'x', 0 };

	memset(e, 0, 72);
	for (unsigned int i = 0; i < sizeof(name) / 2; i++) {
		e[2 * i] = name[i] & 0xff;
		e[2 * i + 1] = name[i] >> 8;
	}
	img_gpt_fix_array_crc(d.img, 512, d.nr_blocks, 1);
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_ASSERT(find_part(1));
	/* d, e-acute, euro sign, U+1F600, unpaired low surrogate, x */
	KT_EXPECT(!strcmp(find_part(1)->name,
			  "d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdx"));
	free(d.img);
}

/* A device that fails past some block: an error, no partitions, no crash. */
static void t_truncated_reads_give_error(void)
{
	struct mem_disk d = gpt_disk(512, 1024);

	d.fail_from = 10;			/* the primary array is cut short */
	KT_EXPECT_EQ(scan(&d, false), -EIO);
	KT_EXPECT_EQ(pt->nr, 0);
	KT_EXPECT_EQ(pt->kind, PART_TABLE_NONE);
	d.fail_from = 1;			/* only the MBR reads */
	KT_EXPECT_EQ(scan(&d, false), -EIO);
	KT_EXPECT_EQ(pt->nr, 0);
	d.fail_from = 1000;			/* primary fine, backup unreadable */
	KT_EXPECT_EQ(scan(&d, false), -EIO);
	KT_EXPECT_EQ(pt->nr, 0);
	KT_EXPECT(!d.out_of_range);
	free(d.img);
}

/* ---- hand-built MBRs ---- */

/* p1 primary, p2 extended [100, 900) with logicals p5 [200,300) p6 [400,500) p7 [600,700). */
static const struct img_mbr_part mbr_prim[] = {
	{ .type = 0x83, .boot = true, .start = 10, .nr = 90 },
	{ .type = 0x05, .start = 100, .nr = 800 },
};
static const struct img_mbr_part mbr_logical[] = {
	{ .type = 0x83, .ebr = 100, .start = 200, .nr = 100 },
	{ .type = 0x82, .ebr = 350, .start = 400, .nr = 100 },
	{ .type = 0x83, .ebr = 550, .start = 600, .nr = 100 },
};

static struct mem_disk mbr_disk(u32 bs)
{
	struct mem_disk d = new_disk(bs, 1024);

	img_write_mbr(d.img, bs, mbr_prim, 2, mbr_logical, 3);
	return d;
}

static void t_mbr_logical_numbering(void)
{
	static const u32 sizes[] = { 512, 4096 };

	for (unsigned int i = 0; i < 2; i++) {
		struct mem_disk d = mbr_disk(sizes[i]);

		KT_EXPECT_EQ(scan(&d, false), 0);
		KT_EXPECT_EQ(pt->kind, PART_TABLE_MBR);
		KT_EXPECT_EQ(pt->warnings, 0);
		KT_EXPECT_EQ(pt->nr, 5);
		KT_ASSERT(find_part(1) && find_part(2) && find_part(5) && find_part(6) && find_part(7));
		KT_EXPECT(find_part(1)->flags & PART_FLAG_BOOTABLE);
		KT_EXPECT(find_part(2)->flags & PART_FLAG_EXTENDED);
		KT_EXPECT_EQ(find_part(2)->nr_blocks, sizes[i] == 512 ? 2 : 1);
		KT_EXPECT_EQ(find_part(5)->start, 200);
		KT_EXPECT_EQ(find_part(6)->start, 400);
		KT_EXPECT_EQ(find_part(6)->mbr_type, 0x82);
		KT_EXPECT_EQ(find_part(7)->start, 600);
		KT_EXPECT_EQ(find_part(7)->nr_blocks, 100);
		KT_EXPECT(find_part(7)->flags & PART_FLAG_LOGICAL);
		free(d.img);
	}
}

/* Set the link entry of the EBR at @ebr to point at @target (relative to the extended start). */
static void set_link(struct mem_disk *d, u32 ebr, u32 target_rel)
{
	struct img_mbr_part link = { .type = 0x05, .start = target_rel, .nr = 100 };

	img_mbr_set(d->img + (u64)ebr * d->bs, 1, &link);
}

static void t_mbr_ebr_loop_ends(void)
{
	struct mem_disk d = mbr_disk(512);

	set_link(&d, 550, 0);			/* the last EBR links back to the first */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(find_part(5) && find_part(6) && find_part(7));
	KT_EXPECT(!find_part(8));
	KT_EXPECT_EQ(pt->warnings, 1);
	set_link(&d, 100, 0);			/* the first links to itself */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(find_part(5) && !find_part(6));
	KT_EXPECT_EQ(pt->warnings, 1);
	KT_EXPECT(d.reads < 10);
	free(d.img);
}

static void t_mbr_ebr_link_outside_extended(void)
{
	struct mem_disk d = mbr_disk(512);

	set_link(&d, 350, 5000);
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(find_part(5) && find_part(6) && !find_part(7));
	KT_EXPECT_EQ(pt->warnings, 1);
	KT_EXPECT(!d.out_of_range);
	free(d.img);
}

static void t_mbr_bad_entries_refused(void)
{
	struct mem_disk d = mbr_disk(512);
	struct img_mbr_part past = { .type = 0x83, .start = 1000, .nr = 100 };
	struct img_mbr_part overlap = { .type = 0x83, .start = 50, .nr = 10 };
	struct img_mbr_part logical_out = { .type = 0x83, .start = 900, .nr = 10 };

	img_mbr_set(d.img, 2, &past);		/* p3 runs past the end of the disk */
	img_mbr_set(d.img, 3, &overlap);	/* p4 inside p1 */
	img_mbr_set(d.img + 350 * 512, 0, &logical_out);	/* p6 at 350+900: outside */
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT(find_part(1) && find_part(2));
	KT_EXPECT(!find_part(3) && !find_part(4));
	KT_EXPECT(find_part(5) && !find_part(6) && find_part(7));	/* numbers stay */
	KT_EXPECT_EQ(pt->warnings, 3);
	free(d.img);
}

/* A FAT boot sector ends in 55 aa too; its "boot indicators" are code bytes. */
static void t_mbr_fat_boot_sector_is_not_a_table(void)
{
	struct mem_disk d = new_disk(512, 1024);

	memset(d.img + 446, 0x90, 64);
	img_mbr_sign(d.img);
	KT_EXPECT_EQ(scan(&d, false), 0);
	KT_EXPECT_EQ(pt->kind, PART_TABLE_NONE);
	KT_EXPECT_EQ(pt->nr, 0);
	free(d.img);
}

/* ---- fuzzing ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The result of any scan must still make sense. */
static void check_invariants(const struct mem_disk *d)
{
	KT_EXPECT(!d->out_of_range);
	KT_EXPECT(pt->nr <= PART_MAX);
	for (unsigned int i = 0; i < pt->nr; i++) {
		const struct part_entry *a = &pt->parts[i];

		KT_EXPECT(a->number >= 1 && a->number <= PART_MAX);
		KT_EXPECT(i == 0 || pt->parts[i - 1].number < a->number);
		KT_EXPECT(a->nr_blocks >= 1);
		KT_EXPECT(a->start >= 1 && a->start < d->nr_blocks);
		KT_EXPECT(a->nr_blocks <= d->nr_blocks - a->start);
		KT_EXPECT(memchr(a->name, 0, sizeof(a->name)) != NULL);
		for (unsigned int j = 0; j < i; j++) {
			const struct part_entry *b = &pt->parts[j];

			if ((a->flags | b->flags) & PART_FLAG_EXTENDED)
				continue;
			KT_EXPECT(a->start >= b->start + b->nr_blocks ||
				  b->start >= a->start + a->nr_blocks);
		}
	}
}

/* Flip random bytes in the table blocks; sometimes repair the CRCs so the parse goes deeper. */
static void mutate(struct mem_disk *d, bool gpt)
{
	unsigned int n = 1 + rnd() % 8;
	u64 ab = img_gpt_array_blocks(d->bs);

	for (unsigned int i = 0; i < n; i++) {
		u64 blk, off;

		switch (rnd() % 4) {
		case 0:
			blk = 0;			/* MBR */
			off = 440 + rnd() % 72;
			break;
		case 1:
			blk = gpt ? 1 : 100 + rnd() % 2 * 250;	/* header or an EBR */
			off = gpt ? rnd() % 96 : 446 + rnd() % 66;
			break;
		case 2:
			blk = gpt ? 2 + rnd() % ab : 550;	/* entries or an EBR */
			off = rnd() % d->bs;
			break;
		default:
			blk = d->nr_blocks - 1;			/* backup header */
			off = rnd() % 96;
			break;
		}
		d->img[blk * d->bs + off] = (rnd() % 3) ? (u8)rnd() : (u8)(d->img[blk * d->bs + off] ^ (1u << (rnd() % 8)));
	}
	if (gpt && rnd() % 2) {
		img_gpt_fix_array_crc(d->img, d->bs, d->nr_blocks, 1);
		if (rnd() % 2)
			img_gpt_fix_array_crc(d->img, d->bs, d->nr_blocks, d->nr_blocks - 1);
	}
}

static void fuzz(bool gpt, u32 bs, unsigned int rounds)
{
	unsigned int with_parts = 0, with_warnings = 0;

	for (unsigned int r = 0; r < rounds; r++) {
		struct mem_disk d = gpt ? gpt_disk(bs, 1024) : mbr_disk(bs);
		int err;

		mutate(&d, gpt);
		err = scan(&d, true);
		KT_EXPECT(err == 0 || err == -EIO);
		check_invariants(&d);
		with_parts += pt->nr > 0;
		with_warnings += pt->warnings > 0;
		free(d.img);
		if (kt_case_failed) {
			printf("    # failed in round %u\n", r);
			return;
		}
	}
	printf("    # fuzz %s/%u: %u rounds, %u kept partitions, %u gave messages\n",
	       gpt ? "GPT" : "MBR", bs, rounds, with_parts, with_warnings);
}

static void t_fuzz_gpt(void)
{
	fuzz(true, 512, 1500);
	fuzz(true, 4096, 500);
}

static void t_fuzz_mbr(void)
{
	fuzz(false, 512, 1500);
	fuzz(false, 4096, 500);
}

static const struct kt_case cases[] = {
	KT_CASE(t_sgdisk_gpt_512, "GPT made by sgdisk (512-byte blocks) parses as fdisk lists it"),
	KT_CASE(t_fdisk_gpt_4k, "GPT made by fdisk on 4096-byte blocks parses as fdisk lists it"),
	KT_CASE(t_sfdisk_mbr_512, "MBR with logical partitions made by sfdisk parses as fdisk lists it"),
	KT_CASE(t_fdisk_mbr_4k, "MBR with logical partitions on 4096-byte blocks parses as fdisk lists it"),
	KT_CASE(t_gpt_valid_both_block_sizes, "hand-built GPT: types, ids, names, disk GUID on 512 and 4096"),
	KT_CASE(t_gpt_corrupt_primary_uses_backup, "bad primary header or array CRC: the backup is used"),
	KT_CASE(t_gpt_both_corrupt_gives_none, "both GPT headers bad: no partitions, a message"),
	KT_CASE(t_gpt_bad_backup_reported_primary_used, "bad backup with a good primary: primary used, reported"),
	KT_CASE(t_gpt_needs_protective_mbr, "a GPT without a protective MBR is not used"),
	KT_CASE(t_gpt_entry_past_end_refused, "GPT entries past the end or reversed are refused, others kept"),
	KT_CASE(t_gpt_overlap_refused, "an overlapping GPT entry is refused, others kept"),
	KT_CASE(t_gpt_header_fields_checked, "bad MyLBA, header size, entry size, array place: header refused"),
	KT_CASE(t_gpt_larger_entry_size, "GPT entries of 256 bytes are read"),
	KT_CASE(t_gpt_name_utf16_to_utf8, "GPT names are converted from UTF-16 to UTF-8"),
	KT_CASE(t_truncated_reads_give_error, "a read error while scanning gives the error and no partitions"),
	KT_CASE(t_mbr_logical_numbering, "MBR logical partitions are numbered from 5 (512 and 4096)"),
	KT_CASE(t_mbr_ebr_loop_ends, "an EBR chain that loops ends with a message"),
	KT_CASE(t_mbr_ebr_link_outside_extended, "an EBR link leaving the extended partition ends the chain"),
	KT_CASE(t_mbr_bad_entries_refused, "MBR entries past the end, overlapping or outside the extended are refused"),
	KT_CASE(t_mbr_fat_boot_sector_is_not_a_table, "a FAT boot sector is not taken for an MBR"),
	KT_CASE(t_fuzz_gpt, "fuzzed GPTs: no crash, no read outside the disk, sane partitions"),
	KT_CASE(t_fuzz_mbr, "fuzzed MBRs: no crash, no read outside the disk, sane partitions"),
};

int main(void)
{
	int ret;

	pt = malloc(sizeof(*pt));
	ret = kt_run_suite("partitions", cases, KT_N(cases));
	free(pt);
	return ret;
}
