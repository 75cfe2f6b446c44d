/*
 * Just enough of an AML decoder to read the \_Sx_ sleep packages.
 *
 * The walk follows the grammar of ACPI 6.5 chapter 20 over the term list
 * of a DSDT or SSDT: the bodies of Scope, Device, Processor, PowerResource
 * and ThermalZone are entered (they open a namespace scope); Method, If,
 * Else, While, Field, IndexField, BankField, Buffer and Package are
 * stepped over by their PkgLength; Name, Alias, External, OperationRegion,
 * Mutex, Event, DataRegion and the CreateXField operators are parsed with
 * their operands. Every Name() is resolved to an absolute path (root '\',
 * parent '^' prefixes, dual and multi-name paths) and compared with the
 * wanted \NAME. Anything else stops the walk with a message naming the
 * opcode and its offset: no guessing, no byte scanning.
 *
 * Host-compilable; bounded recursion and path lengths, so arbitrary bytes
 * end in -EINVAL or -ENOENT, never in a read outside the table.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include "internal.h"

#define AML_MAX_SEGS	32	/* segments of an absolute path */
#define AML_MAX_NEST	16	/* nested scope bodies */

enum aml_op {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_ALIAS = 0x06, AML_NAME = 0x08,
	AML_BYTE = 0x0a, AML_WORD = 0x0b, AML_DWORD = 0x0c, AML_STRING = 0x0d,
	AML_QWORD = 0x0e, AML_SCOPE = 0x10, AML_BUFFER = 0x11, AML_PACKAGE = 0x12,
	AML_VAR_PACKAGE = 0x13, AML_METHOD = 0x14, AML_EXTERNAL = 0x15,
	AML_DUAL_NAME = 0x2e, AML_MULTI_NAME = 0x2f, AML_EXT = 0x5b,
	AML_ROOT = 0x5c, AML_PARENT = 0x5e,
	AML_LOCAL0 = 0x60, AML_ARG6 = 0x6e,
	AML_CREATE_DWORD_FIELD = 0x8a, AML_CREATE_WORD_FIELD = 0x8b,
	AML_CREATE_BYTE_FIELD = 0x8c, AML_CREATE_BIT_FIELD = 0x8d,
	AML_CREATE_QWORD_FIELD = 0x8f,
	AML_IF = 0xa0, AML_ELSE = 0xa1, AML_WHILE = 0xa2, AML_ONES = 0xff,
};

enum aml_ext_op {
	AML_MUTEX = 0x01, AML_EVENT = 0x02, AML_CREATE_FIELD = 0x13, AML_REVISION = 0x30,
	AML_OP_REGION = 0x80, AML_FIELD = 0x81, AML_DEVICE = 0x82, AML_PROCESSOR = 0x83,
	AML_POWER_RES = 0x84, AML_THERMAL_ZONE = 0x85, AML_INDEX_FIELD = 0x86,
	AML_BANK_FIELD = 0x87, AML_DATA_REGION = 0x88,
};

/* An absolute namespace path: nsegs NameSegs from the root. */
struct aml_path {
	unsigned int nsegs;
	char seg[AML_MAX_SEGS][4];
};

struct aml_walk {
	const u8 *tab;
	u32 len;
	char sig[5];
	const char *want;		/* NameSeg at the root */
	struct acpi_sleep_type *st;
	struct aml_path scope;		/* current scope */
	unsigned int nest;
};

/* A decoding failure: one message, -EINVAL. */
static int aml_fail(const struct aml_walk *w, u32 off, const char *what, unsigned int op)
{
	printk("acpi: %s: AML %s 0x%02x at offset %#x; walk stopped\n", w->sig, what, op, off);
	return -EINVAL;
}

static int aml_truncated(const struct aml_walk *w, u32 off)
{
	printk("acpi: %s: AML object at offset %#x runs past its end; walk stopped\n",
	       w->sig, off);
	return -EINVAL;
}

/*
 * PkgLength at *pos (ACPI 6.5 20.2.4): sets *end to the end of the package
 * it measures (it counts its own bytes) and moves *pos past the encoding.
 * Fails when the package would run past @limit.
 */
static int pkg_length(const struct aml_walk *w, u32 *pos, u32 limit, u32 *end)
{
	u32 start = *pos, n, len;
	u8 lead;

	if (start >= limit)
		return aml_truncated(w, start);
	lead = w->tab[start];
	n = lead >> 6;
	if (limit - start < n + 1)
		return aml_truncated(w, start);
	if (n == 0) {
		len = lead & 0x3f;
	} else {
		if (lead & 0x30)
			return aml_fail(w, start, "PkgLength lead byte", lead);
		len = lead & 0x0f;
		for (u32 i = 0; i < n; i++)
			len |= (u32)w->tab[start + 1 + i] << (4 + 8 * i);
	}
	if (len < n + 1 || len > limit - start)
		return aml_truncated(w, start);
	*pos = start + n + 1;
	*end = start + len;
	return 0;
}

static bool lead_name_char(u8 c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(u8 c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/* Append the NameSeg at @off to @p. */
static int name_seg(const struct aml_walk *w, u32 off, u32 limit, struct aml_path *p)
{
	const u8 *s = w->tab + off;

	if (limit - off < 4)
		return aml_truncated(w, off);
	if (!lead_name_char(s[0]) || !name_char(s[1]) || !name_char(s[2]) || !name_char(s[3]))
		return aml_fail(w, off, "bad NameSeg starting with", s[0]);
	if (p->nsegs == AML_MAX_SEGS)
		return aml_fail(w, off, "name path deeper than Pagoda's limit at", s[0]);
	memcpy(p->seg[p->nsegs++], s, 4);
	return 0;
}

/*
 * NameString at *pos, resolved against the current scope into @p: '\'
 * starts at the root, each '^' drops one trailing segment of the scope,
 * then a NameSeg, DualNamePath, MultiNamePath or NullName follows.
 */
static int name_string(const struct aml_walk *w, u32 *pos, u32 limit, struct aml_path *p)
{
	u32 off = *pos;
	unsigned int count;
	int err;

	*p = w->scope;
	if (off < limit && w->tab[off] == AML_ROOT) {
		p->nsegs = 0;
		off++;
	} else {
		while (off < limit && w->tab[off] == AML_PARENT) {
			if (p->nsegs == 0)
				return aml_fail(w, off, "'^' above the root:", AML_PARENT);
			p->nsegs--;
			off++;
		}
	}
	if (off >= limit)
		return aml_truncated(w, off);
	switch (w->tab[off]) {
	case AML_ZERO:		/* NullName */
		*pos = off + 1;
		return 0;
	case AML_DUAL_NAME:
		count = 2;
		off++;
		break;
	case AML_MULTI_NAME:
		if (limit - off < 2)
			return aml_truncated(w, off);
		count = w->tab[off + 1];
		off += 2;
		break;
	default:
		count = 1;
		break;
	}
	for (unsigned int i = 0; i < count; i++, off += 4) {
		err = name_seg(w, off, limit, p);
		if (err)
			return err;
	}
	*pos = off;
	return 0;
}

static bool is_name_start(u8 c)
{
	return lead_name_char(c) || c == AML_ROOT || c == AML_PARENT ||
	       c == AML_DUAL_NAME || c == AML_MULTI_NAME;
}

/* Step over @n bytes of fixed operands. */
static int skip_bytes(const struct aml_walk *w, u32 *pos, u32 limit, u32 n)
{
	if (limit - *pos < n)
		return aml_truncated(w, *pos);
	*pos += n;
	return 0;
}

/* Step over an object measured by a PkgLength that follows its opcode. */
static int skip_package(const struct aml_walk *w, u32 *pos, u32 limit)
{
	u32 end;
	int err = pkg_length(w, pos, limit, &end);

	if (!err)
		*pos = end;
	return err;
}

/*
 * A DataObject (or, with @term_arg, a TermArg's simple forms: LocalX, ArgX
 * and a name reference): step over it.
 */
static int skip_data(const struct aml_walk *w, u32 *pos, u32 limit, bool term_arg)
{
	u32 off = *pos;
	u8 op;

	if (off >= limit)
		return aml_truncated(w, off);
	op = w->tab[off];
	*pos = off + 1;
	switch (op) {
	case AML_ZERO: case AML_ONE: case AML_ONES:
		return 0;
	case AML_BYTE:
		return skip_bytes(w, pos, limit, 1);
	case AML_WORD:
		return skip_bytes(w, pos, limit, 2);
	case AML_DWORD:
		return skip_bytes(w, pos, limit, 4);
	case AML_QWORD:
		return skip_bytes(w, pos, limit, 8);
	case AML_STRING:
		while (*pos < limit && w->tab[*pos])
			(*pos)++;
		return skip_bytes(w, pos, limit, 1);
	case AML_BUFFER: case AML_PACKAGE: case AML_VAR_PACKAGE:
		return skip_package(w, pos, limit);
	case AML_EXT:
		if (off + 1 < limit && w->tab[off + 1] == AML_REVISION)
			return skip_bytes(w, pos, limit, 1);
		break;
	default:
		if (term_arg && op >= AML_LOCAL0 && op <= AML_ARG6)
			return 0;
		if (term_arg && is_name_start(op)) {
			struct aml_path p;

			*pos = off;
			return name_string(w, pos, limit, &p);
		}
		break;
	}
	return aml_fail(w, off, term_arg ? "cannot decode TermArg opcode" :
			"cannot decode data object opcode", op);
}

/* One integer package element: ZeroOp, OneOp, OnesOp or a prefixed constant. */
static int package_integer(const struct aml_walk *w, u32 *pos, u32 limit, u64 *v)
{
	u32 off = *pos;
	unsigned int size;

	if (off >= limit)
		return aml_truncated(w, off);
	switch (w->tab[off]) {
	case AML_ZERO:	*v = 0; *pos = off + 1; return 0;
	case AML_ONE:	*v = 1; *pos = off + 1; return 0;
	case AML_ONES:	*v = ~0ull; *pos = off + 1; return 0;
	case AML_BYTE:	size = 1; break;
	case AML_WORD:	size = 2; break;
	case AML_DWORD:	size = 4; break;
	case AML_QWORD:	size = 8; break;
	default:
		return aml_fail(w, off, "sleep package element is not an integer: opcode",
				w->tab[off]);
	}
	if (limit - off - 1 < size)
		return aml_truncated(w, off);
	*v = 0;
	for (unsigned int i = 0; i < size; i++)
		*v |= (u64)w->tab[off + 1 + i] << (8 * i);
	*pos = off + 1 + size;
	return 0;
}

/*
 * The Package of the wanted Name: PkgLength, NumElements, elements. One
 * element carries SLP_TYPa in bits 0-7 and SLP_TYPb in bits 8-15 (old
 * firmware); two or more carry one value each.
 */
static int sleep_package(struct aml_walk *w, u32 *pos, u32 limit)
{
	u32 off = *pos, end;
	u64 v[2] = { 0, 0 };
	unsigned int n, i;
	int err;

	if (off >= limit || w->tab[off] != AML_PACKAGE)
		return aml_fail(w, off, "sleep object is not a Package but opcode",
				off < limit ? w->tab[off] : 0);
	*pos = off + 1;
	err = pkg_length(w, pos, limit, &end);
	if (err)
		return err;
	if (*pos >= end)
		return aml_truncated(w, off);
	n = w->tab[(*pos)++];
	for (i = 0; i < n && i < 2 && *pos < end; i++) {
		err = package_integer(w, pos, end, &v[i]);
		if (err)
			return err;
	}
	if (i == 0)
		return aml_fail(w, off, "sleep package has no element; NumElements", n);
	w->st->slp_typa = (u8)v[0];
	w->st->slp_typb = i == 1 ? (u8)(v[0] >> 8) : (u8)v[1];
	*pos = end;
	return 1;
}

static bool is_wanted(const struct aml_walk *w, const struct aml_path *p)
{
	return p->nsegs == 1 && memcmp(p->seg[0], w->want, 4) == 0;
}

static int term_list(struct aml_walk *w, u32 pos, u32 end);

/*
 * A named object with a body: PkgLength, NameString, @fixed bytes of
 * operands, then a term list walked as the scope of that name.
 */
static int scope_body(struct aml_walk *w, u32 *pos, u32 limit, u32 fixed)
{
	struct aml_path saved = w->scope, p;
	u32 end;
	int err = pkg_length(w, pos, limit, &end);

	if (err)
		return err;
	err = name_string(w, pos, end, &p);
	if (!err)
		err = skip_bytes(w, pos, end, fixed);
	if (err)
		return err;
	if (w->nest == AML_MAX_NEST)
		return aml_fail(w, *pos, "scopes nested deeper than Pagoda's limit at", 0);
	w->scope = p;
	w->nest++;
	err = term_list(w, *pos, end);
	w->nest--;
	w->scope = saved;
	*pos = end;
	return err;
}

/* Name(NameString, DataRefObject): decode it if it is the wanted name. */
static int name_op(struct aml_walk *w, u32 *pos, u32 limit)
{
	struct aml_path p;
	int err = name_string(w, pos, limit, &p);

	if (err)
		return err;
	if (is_wanted(w, &p))
		return sleep_package(w, pos, limit);
	return skip_data(w, pos, limit, false);
}

/* NameString followed by @fixed bytes, then @nargs TermArgs (no body). */
static int named_with_args(struct aml_walk *w, u32 *pos, u32 limit, u32 fixed,
			   unsigned int nargs)
{
	struct aml_path p;
	int err = name_string(w, pos, limit, &p);

	if (!err)
		err = skip_bytes(w, pos, limit, fixed);
	for (unsigned int i = 0; !err && i < nargs; i++)
		err = skip_data(w, pos, limit, true);
	return err;
}

/* @nargs TermArgs, then a NameString (the CreateXField operators). */
static int args_then_name(struct aml_walk *w, u32 *pos, u32 limit, unsigned int nargs)
{
	struct aml_path p;
	int err = 0;

	for (unsigned int i = 0; !err && i < nargs; i++)
		err = skip_data(w, pos, limit, true);
	return err ? err : name_string(w, pos, limit, &p);
}

/* The 0x5b-prefixed opcodes; *pos is past the prefix byte. */
static int ext_op(struct aml_walk *w, u32 *pos, u32 limit)
{
	u32 off = *pos;
	u8 op;

	if (off >= limit)
		return aml_truncated(w, off - 1);
	op = w->tab[off];
	*pos = off + 1;
	switch (op) {
	case AML_MUTEX:		return named_with_args(w, pos, limit, 1, 0);
	case AML_EVENT:		return named_with_args(w, pos, limit, 0, 0);
	case AML_OP_REGION:	return named_with_args(w, pos, limit, 1, 2);
	case AML_DATA_REGION:	return named_with_args(w, pos, limit, 0, 3);
	case AML_CREATE_FIELD:	return args_then_name(w, pos, limit, 3);
	case AML_FIELD: case AML_INDEX_FIELD: case AML_BANK_FIELD:
		return skip_package(w, pos, limit);
	case AML_DEVICE: case AML_THERMAL_ZONE:
		return scope_body(w, pos, limit, 0);
	case AML_PROCESSOR:	return scope_body(w, pos, limit, 6);
	case AML_POWER_RES:	return scope_body(w, pos, limit, 3);
	}
	return aml_fail(w, off - 1, "cannot decode opcode 0x5b", op);
}

/* One TermObj at *pos. Returns 1 when the wanted package was decoded. */
static int term_obj(struct aml_walk *w, u32 *pos, u32 limit)
{
	u32 off = *pos;
	u8 op = w->tab[off];
	struct aml_path p;

	*pos = off + 1;
	switch (op) {
	case AML_SCOPE:		return scope_body(w, pos, limit, 0);
	case AML_NAME:		return name_op(w, pos, limit);
	case AML_ALIAS: {
		int err = name_string(w, pos, limit, &p);

		return err ? err : name_string(w, pos, limit, &p);
	}
	case AML_EXTERNAL:	return named_with_args(w, pos, limit, 2, 0);
	case AML_METHOD: case AML_IF: case AML_ELSE: case AML_WHILE:
		return skip_package(w, pos, limit);
	case AML_CREATE_BIT_FIELD: case AML_CREATE_BYTE_FIELD:
	case AML_CREATE_WORD_FIELD: case AML_CREATE_DWORD_FIELD:
	case AML_CREATE_QWORD_FIELD:
		return args_then_name(w, pos, limit, 2);
	case AML_EXT:		return ext_op(w, pos, limit);
	}
	return aml_fail(w, off, "cannot decode opcode", op);
}

static int term_list(struct aml_walk *w, u32 pos, u32 end)
{
	while (pos < end) {
		int r = term_obj(w, &pos, end);

		if (r)
			return r;
	}
	return 0;
}

int aml_find_sleep_type(const u8 *tab, u32 len, const char *name,
			struct acpi_sleep_type *st)
{
	struct aml_walk w = { .tab = tab, .len = len, .want = name, .st = st };
	int r;

	if (len < ACPI_HEADER_LEN)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		w.sig[i] = tab[i] >= 0x20 && tab[i] < 0x7f ? (char)tab[i] : '?';
	r = term_list(&w, ACPI_HEADER_LEN, len);
	return r == 1 ? 0 : r ? r : -ENOENT;
}
