/*
 * Reader of cpio "newc" archives (the initramfs format: `cpio -o -H newc`).
 * Host-compilable: tests/host/test_cpio.c feeds it malformed archives.
 *
 * An entry is a 110-byte ASCII header ("070701" or "070702", then thirteen
 * 8-digit hex numbers), the NUL-terminated name padded so that header plus
 * name end on a 4-byte boundary, then the data padded to 4 bytes. The entry
 * named "TRAILER!!!" ends the archive.
 *
 * Every length comes from the archive, so every one is checked against the
 * bytes that remain before it is used: a bad archive gives -EINVAL, never a
 * read outside the buffer.
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>

#define CPIO_HDR_SIZE	110
#define CPIO_MAGIC_LEN	6
#define CPIO_TRAILER	"TRAILER!!!"

/* Header fields after the magic, in archive order. */
enum cpio_field {
	F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
	F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
	NR_CPIO_FIELDS
};

void cpio_iter_init(struct cpio_iter *it, const void *data, size_t size)
{
	it->base = data;
	it->size = size;
	it->off = 0;
}

static int hex_digit(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly eight hex digits; false for anything else. */
static bool parse_hex8(const u8 *p, u32 *out)
{
	u32 v = 0;

	for (int i = 0; i < 8; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return false;
		v = v << 4 | (u32)d;
	}
	*out = v;
	return true;
}

static bool parse_header(const u8 *h, u32 field[NR_CPIO_FIELDS])
{
	if (memcmp(h, "070701", CPIO_MAGIC_LEN) && memcmp(h, "070702", CPIO_MAGIC_LEN))
		return false;
	for (int i = 0; i < NR_CPIO_FIELDS; i++)
		if (!parse_hex8(h + CPIO_MAGIC_LEN + 8 * i, &field[i]))
			return false;
	return true;
}

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	u32 field[NR_CPIO_FIELDS];
	size_t left, name_off, data_off, next;
	const char *name;

	if (it->off >= it->size)
		return 0;			/* the data ended cleanly */
	left = it->size - it->off;
	if (left < CPIO_HDR_SIZE || !parse_header(it->base + it->off, field))
		return -EINVAL;
	name_off = it->off + CPIO_HDR_SIZE;
	if (field[F_NAMESIZE] == 0 || field[F_NAMESIZE] > it->size - name_off)
		return -EINVAL;
	name = (const char *)it->base + name_off;
	if (name[field[F_NAMESIZE] - 1] != '\0')
		return -EINVAL;
	data_off = align4(name_off + field[F_NAMESIZE]);
	if (data_off > it->size || field[F_FILESIZE] > it->size - data_off)
		return -EINVAL;
	if (!strcmp(name, CPIO_TRAILER)) {
		it->off = it->size;
		return 0;
	}
	next = align4(data_off + field[F_FILESIZE]);
	it->off = next < it->size ? next : it->size;	/* the last pad may be cut */
	e->name = name;
	e->mode = field[F_MODE];
	/* Linux's new_encode_dev */
	e->rdev = (field[F_RDEVMINOR] & 0xff) | (field[F_RDEVMAJOR] << 8) |
		  ((field[F_RDEVMINOR] & ~0xffu) << 12);
	e->data = it->base + data_off;
	e->size = field[F_FILESIZE];
	return 1;
}
