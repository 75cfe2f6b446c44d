/*
 * GUIDs as UEFI stores them (GPT partition types and ids): 16 bytes whose
 * first three fields are little-endian. Host-compilable.
 *
 * GUID_INIT(0xc12a7328, 0xf81f, 0x11d2, 0xba, 0x4b, ...) is the GUID written
 * "c12a7328-f81f-11d2-ba4b-..." in its usual text form, laid out as on disk.
 */
#ifndef PAGODA_UUID_H
#define PAGODA_UUID_H

#include <pagoda/types.h>
#include <pagoda/string.h>

typedef struct {
	u8 b[16];
} guid_t;

#define GUID_STRING_LEN	36	/* without the NUL */

#define GUID_INIT(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)		\
	((guid_t){ { (a) & 0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff,	\
		     ((a) >> 24) & 0xff, (b) & 0xff, ((b) >> 8) & 0xff,	\
		     (c) & 0xff, ((c) >> 8) & 0xff,				\
		     (d0), (d1), (d2), (d3), (d4), (d5), (d6), (d7) } })

static inline bool guid_equal(const guid_t *a, const guid_t *b)
{
	return memcmp(a, b, sizeof(guid_t)) == 0;
}

static inline bool guid_is_null(const guid_t *g)
{
	for (unsigned int i = 0; i < sizeof(g->b); i++)
		if (g->b[i])
			return false;
	return true;
}

/*
 * The text form, lower case, into @buf (GUID_STRING_LEN + 1 bytes):
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". Returns @buf.
 */
static inline char *guid_to_str(const guid_t *g, char *buf)
{
	/* byte order of the text form: fields 1-3 little-endian, then as stored */
	static const u8 order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const char hex[] = "0123456789abcdef";
	char *p = buf;

	for (unsigned int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[g->b[order[i]] >> 4];
		*p++ = hex[g->b[order[i]] & 0xf];
	}
	*p = '\0';
	return buf;
}

#endif
