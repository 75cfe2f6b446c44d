/*
 * Partition scanning: the entry point that picks a parser, and the checks
 * every parser's partitions go through (include/pagoda/partitions.h).
 * Host-compilable: no kernel header beyond printk and string.
 */
#include <pagoda/partitions.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <stdarg.h>
#ifdef HOST_TEST
#include <stdio.h>
#else
#include <pagoda/vsprintf.h>
#endif

const char *part_table_kind_name(enum part_table_kind kind)
{
	switch (kind) {
	case PART_TABLE_GPT:
		return "GPT";
	case PART_TABLE_MBR:
		return "MBR";
	default:
		return "none";
	}
}

void part_warn(const struct part_source *src, struct part_table *pt, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	pt->warnings++;
	if (src->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("%s: %s\n", src->name, msg);
}

int part_read(const struct part_source *src, struct part_table *pt, u64 lba, void *buf)
{
	int err;

	if (lba >= src->nr_blocks) {
		part_warn(src, pt, "partition table points at block %llu, past the end (%llu blocks)",
			  (unsigned long long)lba, (unsigned long long)src->nr_blocks);
		return -EIO;
	}
	err = src->read_block(src->ctx, lba, buf);
	if (err)
		part_warn(src, pt, "cannot read block %llu of the partition table (error %d)",
			  (unsigned long long)lba, err);
	return err;
}

/* Do [s1, s1 + n1) and [s2, s2 + n2) share a block? */
static bool ranges_overlap(u64 s1, u64 n1, u64 s2, u64 n2)
{
	return s1 < s2 + n2 && s2 < s1 + n1;
}

/* The data partition of @pt that overlaps @e, or NULL. */
static const struct part_entry *find_overlap(const struct part_table *pt,
					     const struct part_entry *e)
{
	for (unsigned int i = 0; i < pt->nr; i++) {
		const struct part_entry *o = &pt->parts[i];

		if (o->flags & PART_FLAG_EXTENDED)
			continue;
		if (ranges_overlap(o->start, o->nr_blocks, e->start, e->nr_blocks))
			return o;
	}
	return NULL;
}

static bool number_used(const struct part_table *pt, unsigned int number)
{
	for (unsigned int i = 0; i < pt->nr; i++)
		if (pt->parts[i].number == number)
			return true;
	return false;
}

/* Keep parts[] sorted by number (parsers may add out of order). */
static void insert_sorted(struct part_table *pt, const struct part_entry *e)
{
	unsigned int i = pt->nr;

	while (i > 0 && pt->parts[i - 1].number > e->number) {
		pt->parts[i] = pt->parts[i - 1];
		i--;
	}
	pt->parts[i] = *e;
	pt->nr++;
}

bool part_add(const struct part_source *src, struct part_table *pt,
	      const struct part_entry *e, u64 first, u64 last)
{
	const struct part_entry *o;

	if (e->number < 1 || e->number > PART_MAX) {
		part_warn(src, pt, "partition %u: number out of range 1-%u, ignored",
			  e->number, PART_MAX);
		return false;
	}
	if (number_used(pt, e->number) || pt->nr >= PART_MAX) {
		part_warn(src, pt, "partition %u: number already used, ignored", e->number);
		return false;
	}
	if (e->nr_blocks == 0 || e->start < first || e->start > last ||
	    e->nr_blocks - 1 > last - e->start) {
		part_warn(src, pt, "partition %u: blocks %llu-%llu lie outside %llu-%llu, refused",
			  e->number, (unsigned long long)e->start,
			  (unsigned long long)(e->start + e->nr_blocks - 1),
			  (unsigned long long)first, (unsigned long long)last);
		return false;
	}
	if (!(e->flags & PART_FLAG_EXTENDED) && (o = find_overlap(pt, e))) {
		part_warn(src, pt, "partition %u overlaps partition %u, refused",
			  e->number, o->number);
		return false;
	}
	insert_sorted(pt, e);
	return true;
}

static bool source_ok(const struct part_source *src)
{
	u32 bs = src->block_size;

	return bs >= 512 && bs <= PART_BLOCK_MAX && (bs & (bs - 1)) == 0 &&
	       src->read_block && src->name;
}

int part_scan(const struct part_source *src, struct part_table *pt)
{
	int err;

	memset(pt, 0, sizeof(*pt));
	if (!source_ok(src))
		return -EINVAL;
	if (src->nr_blocks < 2)
		return 0;		/* too small for any table */
	err = part_read(src, pt, 0, pt->buf[0]);
	if (err)
		return err;
	if (part_mbr_is_protective(pt->buf[0]))
		err = part_parse_gpt(src, pt);
	else
		err = part_parse_mbr(src, pt);
	if (err)
		pt->kind = PART_TABLE_NONE;	/* a table we could not read is no table */
	if (pt->kind == PART_TABLE_NONE)
		pt->nr = 0;
	return err;
}
