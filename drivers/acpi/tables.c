/*
 * RSDP -> XSDT/RSDT -> tables, with every checksum verified.
 * Host-compilable: memory is reached only through the caller's mapper.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include "internal.h"

bool acpi_checksum_ok(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

/* A printable copy of a 4-byte signature (bytes outside ' '..'~' as '?'). */
static void sig_copy(char out[5], const u8 *sig)
{
	for (int i = 0; i < 4; i++)
		out[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? (char)sig[i] : '?';
	out[4] = 0;
}

/*
 * Map the table at @phys: its header first, then its whole length, and
 * verify the checksum. Returns the mapping and fills @ref, or NULL after
 * printing one line that names the table and the reason. @what names the
 * table when its header cannot be read ("XSDT entry 3").
 */
static const u8 *map_table(acpi_map_fn map, void *ctx, u64 phys, const char *what,
			   struct acpi_table_ref *ref)
{
	const u8 *hdr = map(ctx, phys, ACPI_HEADER_LEN);
	const u8 *tab;
	u32 len;

	if (!hdr) {
		printk("acpi: ignoring %s at %#llx: header cannot be mapped\n", what,
		       (unsigned long long)phys);
		return NULL;
	}
	sig_copy(ref->sig, hdr);
	len = acpi_get32(hdr + 4);
	if (len < ACPI_HEADER_LEN) {
		printk("acpi: ignoring %s at %#llx: length %u is shorter than its header\n",
		       ref->sig, (unsigned long long)phys, len);
		return NULL;
	}
	if (len > ACPI_TABLE_MAX_LEN || !(tab = map(ctx, phys, len))) {
		printk("acpi: ignoring %s at %#llx: length %u runs past what can be mapped\n",
		       ref->sig, (unsigned long long)phys, len);
		return NULL;
	}
	if (!acpi_checksum_ok(tab, len)) {
		printk("acpi: ignoring %s at %#llx: bad checksum\n", ref->sig,
		       (unsigned long long)phys);
		return NULL;
	}
	ref->length = len;
	ref->phys = phys;
	ref->data = tab;
	return tab;
}

/* Append the table at @phys to @at unless it is refused or the list is full. */
static void add_table(struct acpi_tables *at, acpi_map_fn map, void *ctx, u64 phys,
		      const char *what)
{
	struct acpi_table_ref ref;

	if (at->nr == ACPI_MAX_TABLES) {
		printk("acpi: ignoring %s at %#llx: more than %d tables\n", what,
		       (unsigned long long)phys, ACPI_MAX_TABLES);
		at->ignored++;
		return;
	}
	if (!phys || !map_table(map, ctx, phys, what, &ref)) {
		if (!phys)
			printk("acpi: ignoring %s: null address\n", what);
		at->ignored++;
		return;
	}
	at->table[at->nr++] = ref;
}

/*
 * Check the RSDP: signature, the 20-byte checksum, and for revision >= 2
 * the extended checksum over its length. Returns 0 with *use_xsdt set when
 * the XSDT may be used, or -EINVAL.
 */
static int check_rsdp(const u8 *r, acpi_map_fn map, void *ctx, u64 phys, bool *use_xsdt)
{
	const u8 *full;
	u32 len;

	*use_xsdt = false;
	if (memcmp(r, "RSD PTR ", 8) != 0) {
		printk("acpi: no RSDP signature at %#llx\n", (unsigned long long)phys);
		return -EINVAL;
	}
	if (!acpi_checksum_ok(r, ACPI_RSDP_V1_LEN)) {
		printk("acpi: RSDP at %#llx: bad checksum\n", (unsigned long long)phys);
		return -EINVAL;
	}
	if (r[15] < 2)
		return 0;
	len = acpi_get32(r + 20);
	full = len >= ACPI_RSDP_V2_LEN && len <= 4096 ? map(ctx, phys, len) : NULL;
	if (!full || !acpi_checksum_ok(full, len)) {
		printk("acpi: RSDP at %#llx: bad extended checksum or length %u; using the RSDT\n",
		       (unsigned long long)phys, len);
		return 0;
	}
	*use_xsdt = acpi_get64(r + 24) != 0;
	return 0;
}

/* The DSDT is not listed in the root table: the FADT names it. */
static void add_dsdt(struct acpi_tables *at, acpi_map_fn map, void *ctx)
{
	u32 len;
	const u8 *fadt = acpi_table_find(at, "FACP", 0, &len);
	u64 dsdt = 0;

	if (!fadt)
		return;
	if (len >= 148)
		dsdt = acpi_get64(fadt + 140);	/* X_DSDT */
	if (!dsdt && len >= 44)
		dsdt = acpi_get32(fadt + 40);
	if (dsdt)
		add_table(at, map, ctx, dsdt, "DSDT");
}

int acpi_tables_init(struct acpi_tables *at, u64 rsdp_phys, acpi_map_fn map, void *ctx)
{
	struct acpi_table_ref root;
	const u8 *r, *rt;
	bool use_xsdt;
	unsigned int esize, n;
	int err;

	memset(at, 0, sizeof(*at));
	if (!rsdp_phys || !(r = map(ctx, rsdp_phys, ACPI_RSDP_V2_LEN)))
		return -ENOENT;
	err = check_rsdp(r, map, ctx, rsdp_phys, &use_xsdt);
	if (err)
		return err;
	at->rsdp_revision = r[15];
	memcpy(at->oem_id, r + 9, 6);
	at->xsdt = use_xsdt;
	at->root_phys = use_xsdt ? acpi_get64(r + 24) : acpi_get32(r + 16);
	rt = map_table(map, ctx, at->root_phys, use_xsdt ? "XSDT" : "RSDT", &root);
	if (!rt || memcmp(root.sig, use_xsdt ? "XSDT" : "RSDT", 4) != 0) {
		printk("acpi: no usable %s at %#llx\n", use_xsdt ? "XSDT" : "RSDT",
		       (unsigned long long)at->root_phys);
		return -EINVAL;
	}
	esize = use_xsdt ? 8 : 4;
	n = (root.length - ACPI_HEADER_LEN) / esize;
	for (unsigned int i = 0; i < n; i++) {
		const u8 *e = rt + ACPI_HEADER_LEN + i * esize;
		char what[24] = "XSDT entry ";

		if (!use_xsdt)
			memcpy(what, "RSDT", 4);
		what[11] = (char)('0' + i / 10 % 10);
		what[12] = (char)('0' + i % 10);
		add_table(at, map, ctx, use_xsdt ? acpi_get64(e) : acpi_get32(e), what);
	}
	add_dsdt(at, map, ctx);
	return 0;
}

const u8 *acpi_table_find(const struct acpi_tables *at, const char *sig,
			  unsigned int instance, u32 *len)
{
	for (unsigned int i = 0; i < at->nr; i++) {
		if (memcmp(at->table[i].sig, sig, 4) != 0 || instance--)
			continue;
		if (len)
			*len = at->table[i].length;
		return at->table[i].data;
	}
	return NULL;
}
