/*
 * Host tests of the ACPI parsers (drivers/acpi/): the tables QEMU 7.2 and
 * OVMF give Pagoda on -machine q35, on -machine pc and on q35 with
 * -smp 4,maxcpus=6 (captured with tools/acpi-capture.sh into
 * tests/host/data/acpi/), broken copies of them, hand-assembled AML for
 * every name-string form and package element encoding, malformed AML,
 * and a mutation loop under ASan.
 *
 * Each captured set is laid out at its original physical addresses in a
 * fake physical memory; the parsers reach it only through map_fake().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include "host_support.h"
#include "ktap.h"

#define DATA_DIR	"tests/host/data/acpi/"
#define MAX_REGIONS	16

struct region {
	u64 phys;
	u32 len;
	u8 *bytes;
	char name[64];
};

struct fake_phys {
	unsigned int nr;
	struct region r[MAX_REGIONS];
};

/* acpi_map_fn over a fake_phys: only ranges wholly inside one region. */
static const void *map_fake(void *ctx, u64 phys, u64 len)
{
	struct fake_phys *m = ctx;

	for (unsigned int i = 0; i < m->nr; i++) {
		struct region *r = &m->r[i];

		if (phys >= r->phys && phys - r->phys <= r->len && len <= r->len - (phys - r->phys))
			return r->bytes + (phys - r->phys);
	}
	return NULL;
}

static struct region *add_region(struct fake_phys *m, u64 phys, const void *bytes, u32 len,
				 const char *name)
{
	struct region *r = &m->r[m->nr++];

	r->phys = phys;
	r->len = len;
	r->bytes = malloc(len ? len : 1);
	memcpy(r->bytes, bytes, len);
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

static void free_fake(struct fake_phys *m)
{
	for (unsigned int i = 0; i < m->nr; i++)
		free(m->r[i].bytes);
	m->nr = 0;
}

/* Load tests/host/data/acpi/@machine/ (tables.txt: "PHYS FILE" lines). */
static bool load_machine(struct fake_phys *m, const char *machine)
{
	char path[256], file[64];
	unsigned long long phys;
	FILE *idx;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), DATA_DIR "%s/tables.txt", machine);
	idx = fopen(path, "r");
	if (!idx) {
		printf("    # cannot open %s\n", path);
		return false;
	}
	while (m->nr < MAX_REGIONS && fscanf(idx, "%llx %63s", &phys, file) == 2) {
		static u8 buf[1 << 16];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), DATA_DIR "%s/%s", machine, file);
		f = fopen(path, "rb");
		if (!f)
			break;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		add_region(m, phys, buf, (u32)n, file);
	}
	fclose(idx);
	return m->nr > 0;
}

static struct region *find_region(struct fake_phys *m, const char *prefix)
{
	for (unsigned int i = 0; i < m->nr; i++)
		if (strncmp(m->r[i].name, prefix, strlen(prefix)) == 0)
			return &m->r[i];
	return NULL;
}

static void fix_checksum(u8 *t, u32 len, unsigned int at)
{
	u8 sum = 0;

	t[at] = 0;
	for (u32 i = 0; i < len; i++)
		sum += t[i];
	t[at] = (u8)-sum;
}

static void put32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static const u64 q35_rsdp = 0x1f77d014, pc_rsdp = 0x1f77d014;

/* ---- the captured tables ---- */

static void t_q35_tables_found_through_xsdt(void)
{
	struct fake_phys m;
	struct acpi_tables at;
	static const char *const sigs[] = { "FACP", "APIC", "HPET", "MCFG", "WAET", "BGRT", "DSDT" };

	KT_ASSERT(load_machine(&m, "q35"));
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT_EQ(at.rsdp_revision, 2);
	KT_EXPECT(at.xsdt);
	KT_EXPECT_EQ(at.root_phys, 0x1f77c0e8);
	KT_EXPECT(memcmp(at.oem_id, "BOCHS ", 6) == 0);
	KT_EXPECT_EQ(at.nr, 7);
	KT_EXPECT_EQ(at.ignored, 0);
	for (unsigned int i = 0; i < 7; i++)
		KT_EXPECT(acpi_table_find(&at, sigs[i], 0, NULL) != NULL);
	KT_EXPECT(acpi_table_find(&at, "SSDT", 0, NULL) == NULL);
	KT_EXPECT(acpi_table_find(&at, "APIC", 1, NULL) == NULL);
	free_fake(&m);
}

static void t_pc_tables_found_without_mcfg(void)
{
	struct fake_phys m;
	struct acpi_tables at;
	u32 len = 0;

	KT_ASSERT(load_machine(&m, "pc"));
	KT_ASSERT(acpi_tables_init(&at, pc_rsdp, map_fake, &m) == 0);
	KT_EXPECT_EQ(at.nr, 6);
	KT_EXPECT(acpi_table_find(&at, "MCFG", 0, NULL) == NULL);
	KT_EXPECT(acpi_table_find(&at, "DSDT", 0, &len) != NULL);
	KT_EXPECT_EQ(len, 6476);
	free_fake(&m);
}

static void t_q35_madt_one_cpu_ioapic_overrides_nmi(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_madt madt;
	u16 flags;

	KT_ASSERT(load_machine(&m, "q35"));
	KT_ASSERT((r = find_region(&m, "APIC")));
	KT_ASSERT(acpi_parse_madt(r->bytes, r->len, &madt) == 0);
	KT_EXPECT_EQ(madt.lapic_addr, 0xfee00000);
	KT_EXPECT(!madt.lapic_addr_override);
	KT_EXPECT(madt.pcat_compat);
	KT_EXPECT_EQ(madt.nr_cpus, 1);
	KT_EXPECT_EQ(madt.cpu[0].apic_id, 0);
	KT_EXPECT(madt.cpu[0].enabled);
	KT_EXPECT_EQ(madt.nr_ioapics, 1);
	KT_EXPECT_EQ(madt.ioapic[0].id, 0);
	KT_EXPECT_EQ(madt.ioapic[0].address, 0xfec00000);
	KT_EXPECT_EQ(madt.ioapic[0].gsi_base, 0);
	KT_EXPECT_EQ(madt.nr_overrides, 5);
	KT_EXPECT_EQ(madt.nr_nmi_sources, 0);
	KT_EXPECT_EQ(madt.nr_lapic_nmis, 1);
	KT_EXPECT_EQ(madt.lapic_nmi[0].uid, 0xffffffffu);
	KT_EXPECT_EQ(madt.lapic_nmi[0].lint, 1);
	KT_EXPECT_EQ(madt.bad + madt.dropped, 0);
	/* the PIT's IRQ0 is wired to GSI 2; the PCI links are level, active high */
	KT_EXPECT_EQ(acpi_isa_irq_to_gsi(&madt, 0, &flags), 2);
	KT_EXPECT_EQ(flags, ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_EDGE);
	KT_EXPECT_EQ(acpi_isa_irq_to_gsi(&madt, 9, &flags), 9);
	KT_EXPECT_EQ(flags, ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_LEVEL);
	KT_EXPECT_EQ(acpi_isa_irq_to_gsi(&madt, 4, &flags), 4);
	KT_EXPECT_EQ(flags, ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_EDGE);
	free_fake(&m);
}

static void t_smp4_madt_lists_enabled_and_disabled_cpus(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_madt madt;
	unsigned int capable;

	KT_ASSERT(load_machine(&m, "q35-smp4"));
	KT_ASSERT((r = find_region(&m, "APIC")));
	KT_ASSERT(acpi_parse_madt(r->bytes, r->len, &madt) == 0);
	KT_EXPECT_EQ(madt.nr_cpus, 6);
	KT_EXPECT_EQ(acpi_madt_enabled_cpus(&madt, &capable), 4);
	KT_EXPECT_EQ(capable, 0);
	for (unsigned int i = 0; i < 6; i++) {
		KT_EXPECT_EQ(madt.cpu[i].apic_id, i);
		KT_EXPECT_EQ(madt.cpu[i].uid, i);
		KT_EXPECT_EQ(madt.cpu[i].enabled, i < 4);
	}
	free_fake(&m);
}

static void t_q35_fadt_fields(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_fadt f;

	KT_ASSERT(load_machine(&m, "q35"));
	KT_ASSERT((r = find_region(&m, "FACP")));
	KT_ASSERT(acpi_parse_fadt(r->bytes, r->len, &f) == 0);
	KT_EXPECT_EQ(f.revision, 3);
	KT_EXPECT_EQ(f.dsdt, 0x1f779000);
	KT_EXPECT_EQ(f.facs, 0x1f7dc000);
	KT_EXPECT_EQ(f.sci_irq, 9);
	KT_EXPECT_EQ(f.smi_cmd, 0xb2);
	KT_EXPECT_EQ(f.acpi_enable, 0x02);
	KT_EXPECT_EQ(f.acpi_disable, 0x03);
	KT_EXPECT_EQ(f.pm1a_cnt.space_id, ACPI_SPACE_IO);
	KT_EXPECT_EQ(f.pm1a_cnt.address, 0x604);
	KT_EXPECT_EQ(f.pm1a_cnt.bit_width, 16);
	KT_EXPECT_EQ(f.pm1b_cnt.address, 0);
	KT_EXPECT_EQ(f.pm1a_evt.address, 0x600);
	KT_EXPECT_EQ(f.pm_tmr.address, 0x608);
	KT_EXPECT(f.reset_supported);
	KT_EXPECT_EQ(f.reset_reg.space_id, ACPI_SPACE_IO);
	KT_EXPECT_EQ(f.reset_reg.address, 0xcf9);
	KT_EXPECT_EQ(f.reset_value, 0x0f);
	KT_EXPECT_EQ(f.iapc_boot_arch, ACPI_BOOT_8042);
	KT_EXPECT_EQ(f.flags, 0x84a5);
	KT_EXPECT(!f.hw_reduced);
	free_fake(&m);
}

static void t_pc_fadt_rev1_uses_32bit_blocks_no_reset_reg(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_fadt f;

	KT_ASSERT(load_machine(&m, "pc"));
	KT_ASSERT((r = find_region(&m, "FACP")));
	KT_ASSERT(acpi_parse_fadt(r->bytes, r->len, &f) == 0);
	KT_EXPECT_EQ(f.revision, 1);
	KT_EXPECT_EQ(f.length, 116);
	KT_EXPECT_EQ(f.dsdt, 0x1f77a000);
	KT_EXPECT_EQ(f.smi_cmd, 0xb2);
	KT_EXPECT_EQ(f.acpi_enable, 0xf1);
	KT_EXPECT_EQ(f.acpi_disable, 0xf0);
	KT_EXPECT_EQ(f.pm1a_cnt.space_id, ACPI_SPACE_IO);
	KT_EXPECT_EQ(f.pm1a_cnt.address, 0xb004);
	KT_EXPECT_EQ(f.pm1a_cnt.bit_width, 16);
	KT_EXPECT_EQ(f.pm_tmr.address, 0xb008);
	KT_EXPECT(!f.reset_supported);
	KT_EXPECT_EQ(f.iapc_boot_arch, 0);
	free_fake(&m);
}

static void t_fadt_prefers_x_blocks_when_set(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_fadt f;
	u8 t[244];

	KT_ASSERT(load_machine(&m, "q35"));
	KT_ASSERT((r = find_region(&m, "FACP")));
	memcpy(t, r->bytes, sizeof(t));
	t[176] = 0x04;
	t[177] = 0x10;			/* X_PM1a_CNT_BLK.Address = 0x1004 */
	put32(t + 140, 0);
	put32(t + 144, 0);		/* X_DSDT = 0: the 32-bit DSDT */
	put32(t + 40, 0x12345000);
	KT_ASSERT(acpi_parse_fadt(t, sizeof(t), &f) == 0);
	KT_EXPECT_EQ(f.pm1a_cnt.address, 0x1004);
	KT_EXPECT_EQ(f.dsdt, 0x12345000);
	/* a table cut before the X_ fields: 32-bit blocks, reset register kept */
	KT_ASSERT(acpi_parse_fadt(t, 132, &f) == 0);
	KT_EXPECT_EQ(f.pm1a_cnt.address, 0x604);
	KT_EXPECT(f.reset_supported);
	KT_EXPECT_EQ(acpi_parse_fadt(t, 100, &f), -EINVAL);
	/* hardware-reduced flag */
	put32(t + 112, ACPI_FADT_HW_REDUCED);
	KT_ASSERT(acpi_parse_fadt(t, sizeof(t), &f) == 0);
	KT_EXPECT(f.hw_reduced);
	KT_EXPECT(!f.reset_supported);
	free_fake(&m);
}

static void t_hpet_and_mcfg(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_hpet h;
	struct acpi_mcfg mc;

	KT_ASSERT(load_machine(&m, "q35"));
	KT_ASSERT((r = find_region(&m, "HPET")));
	KT_ASSERT(acpi_parse_hpet(r->bytes, r->len, &h) == 0);
	KT_EXPECT_EQ(h.base.address, 0xfed00000);
	KT_EXPECT_EQ(h.base.space_id, ACPI_SPACE_MEMORY);
	KT_EXPECT_EQ(h.block_id, 0x8086a201);
	KT_EXPECT_EQ(h.number, 0);
	KT_ASSERT((r = find_region(&m, "MCFG")));
	KT_ASSERT(acpi_parse_mcfg(r->bytes, r->len, &mc) == 0);
	KT_EXPECT_EQ(mc.nr, 1);
	KT_EXPECT_EQ(mc.win[0].base, 0xb0000000);
	KT_EXPECT_EQ(mc.win[0].segment, 0);
	KT_EXPECT_EQ(mc.win[0].start_bus, 0);
	KT_EXPECT_EQ(mc.win[0].end_bus, 255);
	KT_EXPECT_EQ(acpi_parse_mcfg(r->bytes, 40, &mc), -EINVAL);
	KT_EXPECT_EQ(acpi_parse_hpet(r->bytes, 50, &h), -EINVAL);
	free_fake(&m);
}

static void check_sleep_states(const char *machine)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_sleep_type st;

	KT_ASSERT(load_machine(&m, machine));
	KT_ASSERT((r = find_region(&m, "DSDT")));
	memset(&st, 0xee, sizeof(st));
	KT_EXPECT_EQ(aml_find_sleep_type(r->bytes, r->len, "_S5_", &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 0);
	KT_EXPECT_EQ(st.slp_typb, 0);
	/* QEMU's _S3 is {One, One, ...}, _S4 {0x02, 0x02, ...} */
	KT_EXPECT_EQ(aml_find_sleep_type(r->bytes, r->len, "_S3_", &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 1);
	KT_EXPECT_EQ(st.slp_typb, 1);
	KT_EXPECT_EQ(aml_find_sleep_type(r->bytes, r->len, "_S4_", &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 2);
	KT_EXPECT_EQ(st.slp_typb, 2);
	KT_EXPECT_EQ(aml_find_sleep_type(r->bytes, r->len, "_S6_", &st), -ENOENT);
	free_fake(&m);
}

static void t_q35_dsdt_sleep_states(void)
{
	check_sleep_states("q35");
}

static void t_pc_dsdt_sleep_states(void)
{
	check_sleep_states("pc");
}

/* ---- broken tables ---- */

static void t_bad_checksum_table_ignored_with_message(void)
{
	struct fake_phys m;
	struct acpi_tables at;

	KT_ASSERT(load_machine(&m, "q35"));
	find_region(&m, "HPET")->bytes[40] ^= 1;
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT(strstr(host_printk_last(), "ignoring HPET at 0x1f776000: bad checksum"));
	KT_EXPECT_EQ(at.nr, 6);
	KT_EXPECT_EQ(at.ignored, 1);
	KT_EXPECT(acpi_table_find(&at, "HPET", 0, NULL) == NULL);
	KT_EXPECT(acpi_table_find(&at, "APIC", 0, NULL) != NULL);
	free_fake(&m);
}

static void t_short_and_overlong_tables_ignored(void)
{
	struct fake_phys m;
	struct acpi_tables at;
	struct region *r;

	KT_ASSERT(load_machine(&m, "q35"));
	r = find_region(&m, "MCFG");
	put32(r->bytes + 4, 0x10000);		/* runs past its memory */
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT(strstr(host_printk_last(), "ignoring MCFG at 0x1f775000: length 65536 runs past"));
	r = find_region(&m, "WAET");
	put32(r->bytes + 4, 20);		/* shorter than the header */
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT(strstr(host_printk_last(), "ignoring WAET at 0x1f774000: length 20 is shorter"));
	KT_EXPECT_EQ(at.ignored, 2);
	KT_EXPECT(acpi_table_find(&at, "WAET", 0, NULL) == NULL);
	KT_EXPECT(acpi_table_find(&at, "MCFG", 0, NULL) == NULL);
	KT_EXPECT(acpi_table_find(&at, "DSDT", 0, NULL) != NULL);
	/* a whole table cut short in memory: same message */
	free_fake(&m);
	KT_ASSERT(load_machine(&m, "q35"));
	find_region(&m, "DSDT")->len = 4000;
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT(strstr(host_printk_last(), "ignoring DSDT"));
	KT_EXPECT(acpi_table_find(&at, "DSDT", 0, NULL) == NULL);
	free_fake(&m);
}

static void t_bad_rsdp_refused(void)
{
	struct fake_phys m;
	struct acpi_tables at;
	struct region *r;

	KT_ASSERT(load_machine(&m, "q35"));
	KT_EXPECT_EQ(acpi_tables_init(&at, 0, map_fake, &m), -ENOENT);
	KT_EXPECT_EQ(acpi_tables_init(&at, 0x5000, map_fake, &m), -ENOENT);
	r = find_region(&m, "RSDP");
	r->bytes[9] ^= 0x20;			/* OEM id: v1 checksum now wrong */
	KT_EXPECT_EQ(acpi_tables_init(&at, q35_rsdp, map_fake, &m), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "RSDP at 0x1f77d014: bad checksum"));
	r->bytes[9] ^= 0x20;
	r->bytes[0] = 'X';
	KT_EXPECT_EQ(acpi_tables_init(&at, q35_rsdp, map_fake, &m), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "no RSDP signature"));
	free_fake(&m);
}

static void t_rsdt_used_for_v1_rsdp_or_bad_extended_checksum(void)
{
	struct fake_phys m;
	struct acpi_tables at;
	struct region *r;

	KT_ASSERT(load_machine(&m, "q35"));
	r = find_region(&m, "RSDP");
	r->bytes[32] ^= 0xff;			/* extended checksum wrong */
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT(!at.xsdt);
	KT_EXPECT_EQ(at.root_phys, 0x1f77c074);
	KT_EXPECT_EQ(at.nr, 7);			/* six listed + the DSDT */
	r->bytes[32] ^= 0xff;
	r->bytes[15] = 0;			/* ACPI 1.0 RSDP */
	fix_checksum(r->bytes, ACPI_RSDP_V1_LEN, 8);
	KT_ASSERT(acpi_tables_init(&at, q35_rsdp, map_fake, &m) == 0);
	KT_EXPECT(!at.xsdt);
	KT_EXPECT_EQ(at.rsdp_revision, 0);
	KT_EXPECT(acpi_table_find(&at, "DSDT", 0, NULL) != NULL);
	free_fake(&m);
}

static void t_truncated_madt_keeps_earlier_entries(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_madt madt;
	u8 t[120];

	KT_ASSERT(load_machine(&m, "q35"));
	r = find_region(&m, "APIC");
	memcpy(t, r->bytes, sizeof(t));
	/* cut in the middle of the I/O APIC entry (offset 52, 12 bytes) */
	KT_EXPECT_EQ(acpi_parse_madt(t, 58, &madt), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "entry at offset 52 runs past the table"));
	KT_EXPECT_EQ(madt.nr_cpus, 1);
	KT_EXPECT_EQ(madt.nr_ioapics, 0);
	KT_EXPECT_EQ(acpi_parse_madt(t, 40, &madt), -EINVAL);
	/* an entry of length 0 would loop forever if it were trusted */
	t[53] = 0;
	KT_EXPECT_EQ(acpi_parse_madt(t, sizeof(t), &madt), -EINVAL);
	/* a known entry shorter than its type: counted as bad, walk goes on */
	memcpy(t, r->bytes, sizeof(t));
	t[53] = 8;				/* the I/O APIC entry claims 8 bytes */
	t[60] = 0x7f;				/* its last 4 bytes: an unknown type */
	t[61] = 4;
	KT_EXPECT_EQ(acpi_parse_madt(t, sizeof(t), &madt), 0);
	KT_EXPECT_EQ(madt.nr_ioapics, 0);
	KT_EXPECT_EQ(madt.bad, 1);
	KT_EXPECT_EQ(madt.nr_overrides, 5);
	free_fake(&m);
}

/* ---- hand-assembled AML ---- */

struct aml {
	u8 b[2048];
	size_t n;
};

static void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->b, "DSDT", 4);
	a->n = ACPI_HEADER_LEN;
}

static void emit(struct aml *a, const void *bytes, size_t n)
{
	memcpy(a->b + a->n, bytes, n);
	a->n += n;
}

#define E(a, ...) emit((a), (const u8[]){ __VA_ARGS__ }, sizeof((const u8[]){ __VA_ARGS__ }))

/* Reserve a two-byte PkgLength; close_pkg() fills it in. */
static size_t open_pkg(struct aml *a)
{
	a->n += 2;
	return a->n - 2;
}

static void close_pkg(struct aml *a, size_t at)
{
	size_t len = a->n - at;

	a->b[at] = (u8)(0x40 | (len & 0xf));
	a->b[at + 1] = (u8)(len >> 4);
}

static int aml_s5(struct aml *a, struct acpi_sleep_type *st)
{
	memset(st, 0xee, sizeof(*st));
	put32(a->b + 4, (u32)a->n);
	return aml_find_sleep_type(a->b, (u32)a->n, "_S5_", st);
}

/* Name(<name bytes>, Package(4) { 0x0a A, 0x0a B, Zero, Zero }) */
static void name_s5(struct aml *a, const void *name, size_t nlen, u8 va, u8 vb)
{
	size_t p;

	E(a, 0x08);
	emit(a, name, nlen);
	E(a, 0x12);
	p = open_pkg(a);
	E(a, 4, 0x0a, va, 0x0a, vb, 0x00, 0x00);
	close_pkg(a, p);
}

static void t_aml_root_name_and_scope_forms(void)
{
	struct aml a;
	struct acpi_sleep_type st;
	size_t p;

	aml_init(&a);				/* Name(_S5_, ...) at the root */
	name_s5(&a, "_S5_", 4, 5, 6);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 5);
	KT_EXPECT_EQ(st.slp_typb, 6);

	aml_init(&a);				/* Scope(\) { Name(_S5_) } */
	E(&a, 0x10);
	p = open_pkg(&a);
	E(&a, '\\', 0x00);
	name_s5(&a, "_S5_", 4, 3, 4);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 3);

	aml_init(&a);				/* Scope(\_SB) { Name(_S5_) } is \_SB._S5_ */
	E(&a, 0x10);
	p = open_pkg(&a);
	E(&a, '\\', '_', 'S', 'B', '_');
	name_s5(&a, "_S5_", 4, 3, 4);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), -ENOENT);

	aml_init(&a);				/* Scope(\_SB) { Name(^_S5_) } */
	E(&a, 0x10);
	p = open_pkg(&a);
	E(&a, '\\', '_', 'S', 'B', '_');
	name_s5(&a, "^_S5_", 5, 7, 1);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 7);
	KT_EXPECT_EQ(st.slp_typb, 1);
}

static void t_aml_dual_multi_and_parent_paths(void)
{
	struct aml a;
	struct acpi_sleep_type st;
	size_t p, q;

	aml_init(&a);		/* Device(\_SB.PCI0) (dual) { Name(\_S5_) } */
	E(&a, 0x5b, 0x82);
	p = open_pkg(&a);
	E(&a, '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	name_s5(&a, "\\_S5_", 5, 2, 2);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 2);

	aml_init(&a);		/* Scope(\_SB.PCI0.ISA_) (multi) { Name(^^^_S5_) } */
	E(&a, 0x10);
	p = open_pkg(&a);
	E(&a, '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_');
	name_s5(&a, "^^^_S5_", 7, 4, 5);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typb, 5);

	aml_init(&a);		/* same, but ^^ leaves \_SB: not the root object */
	E(&a, 0x10);
	p = open_pkg(&a);
	E(&a, '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_');
	name_s5(&a, "^^_S5_", 6, 4, 5);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), -ENOENT);

	aml_init(&a);		/* relative nesting: Scope(_SB_) { Device(PCI0) { Name(^^_S5_) } } */
	E(&a, 0x10);
	p = open_pkg(&a);
	E(&a, '_', 'S', 'B', '_');
	E(&a, 0x5b, 0x82);
	q = open_pkg(&a);
	E(&a, 'P', 'C', 'I', '0');
	name_s5(&a, "^^_S5_", 6, 6, 0);
	close_pkg(&a, q);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 6);

	aml_init(&a);		/* '^' above the root is malformed */
	name_s5(&a, "^_S5_", 5, 1, 1);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);
}

static void t_aml_package_element_encodings(void)
{
	struct aml a;
	struct acpi_sleep_type st;
	size_t p;

	aml_init(&a);		/* OneOp, OnesOp */
	E(&a, 0x08, '_', 'S', '5', '_', 0x12);
	p = open_pkg(&a);
	E(&a, 2, 0x01, 0xff);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 1);
	KT_EXPECT_EQ(st.slp_typb, 0xff);

	aml_init(&a);		/* WordPrefix, DWordPrefix */
	E(&a, 0x08, '_', 'S', '5', '_', 0x12);
	p = open_pkg(&a);
	E(&a, 4, 0x0b, 0x05, 0x00, 0x0c, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 5);
	KT_EXPECT_EQ(st.slp_typb, 6);

	aml_init(&a);		/* QWordPrefix, ZeroOp; one-byte PkgLength */
	E(&a, 0x08, '_', 'S', '5', '_', 0x12, 12, 2, 0x0e, 7, 0, 0, 0, 0, 0, 0, 0, 0x00);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 7);
	KT_EXPECT_EQ(st.slp_typb, 0);

	aml_init(&a);		/* one element: SLP_TYPa in bits 0-7, SLP_TYPb in 8-15 */
	E(&a, 0x08, '_', 'S', '5', '_', 0x12, 5, 1, 0x0b, 0x05, 0x03);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 5);
	KT_EXPECT_EQ(st.slp_typb, 3);

	aml_init(&a);		/* three-byte PkgLength around a Scope */
	E(&a, 0x10, 0x80, 0x00, 0x00, '\\', 0x00);
	name_s5(&a, "_S5_", 4, 1, 2);
	a.b[ACPI_HEADER_LEN + 1] = (u8)(0x80 | ((a.n - ACPI_HEADER_LEN - 1) & 0xf));
	a.b[ACPI_HEADER_LEN + 2] = (u8)((a.n - ACPI_HEADER_LEN - 1) >> 4);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typb, 2);
}

/* Every object kind the walker must step over, then \_S5_. */
static void t_aml_walks_over_other_objects(void)
{
	struct aml a;
	struct acpi_sleep_type st;
	size_t p, q;

	aml_init(&a);
	E(&a, 0x15, '\\', '_', 'S', 'B', '_', 0x06, 0x00);		/* External */
	E(&a, 0x5b, 0x80, 'D', 'B', 'G', '_', 0x01, 0x0b, 0x02, 0x04, 0x01); /* OpRegion */
	E(&a, 0x5b, 0x81);						/* Field */
	p = open_pkg(&a);
	E(&a, 'D', 'B', 'G', '_', 0x01, 'D', 'B', 'G', 'B', 0x08);
	close_pkg(&a, p);
	E(&a, 0x5b, 0x01, 'M', 'T', 'X', '_', 0x00);			/* Mutex */
	E(&a, 0x5b, 0x02, 'E', 'V', 'T', '_');				/* Event */
	E(&a, 0x06, 'D', 'B', 'G', 'B', 'A', 'L', 'I', 'S');		/* Alias */
	E(&a, 0x08, 'S', 'T', 'R', '_', 0x0d, 'h', 'i', 0x00);		/* Name(String) */
	E(&a, 0x08, 'B', 'U', 'F', '_', 0x11);				/* Name(Buffer) */
	p = open_pkg(&a);
	E(&a, 0x0a, 0x04, 1, 2, 3, 4);
	close_pkg(&a, p);
	E(&a, 0x8a, 'B', 'U', 'F', '_', 0x00, 'F', 'L', 'D', '0');	/* CreateDWordField */
	E(&a, 0x5b, 0x13, 'B', 'U', 'F', '_', 0x01, 0x0a, 3, 'F', 'L', 'D', '1'); /* CreateField */
	E(&a, 0x5b, 0x88, 'D', 'R', 'G', '_', 0x0d, 'A', 0, 0x0d, 0, 0x0d, 0); /* DataRegion */
	E(&a, 0xa0);							/* If {...} */
	p = open_pkg(&a);
	E(&a, 0x01, 0x70, 0x01, 0x60);
	close_pkg(&a, p);
	E(&a, 0xa1);							/* Else {...} */
	p = open_pkg(&a);
	E(&a, 0x70, 0x00, 0x60);
	close_pkg(&a, p);
	E(&a, 0x14);							/* Method */
	p = open_pkg(&a);
	E(&a, 'M', 'T', 'H', '_', 0x00, 0xa4, 0x00);
	close_pkg(&a, p);
	E(&a, 0x5b, 0x83);						/* Processor */
	p = open_pkg(&a);
	E(&a, 'C', 'P', 'U', '0', 0x00, 0x10, 0xb0, 0, 0, 0x06);
	E(&a, 0x08, 'I', 'N', 'P', 'R', 0x00);
	close_pkg(&a, p);
	E(&a, 0x5b, 0x84);						/* PowerResource */
	p = open_pkg(&a);
	E(&a, 'P', 'W', 'R', '_', 0x00, 0x00, 0x00);
	close_pkg(&a, p);
	E(&a, 0x5b, 0x85);						/* ThermalZone */
	p = open_pkg(&a);
	E(&a, 'T', 'Z', '0', '_');
	E(&a, 0x5b, 0x86);						/* IndexField inside */
	q = open_pkg(&a);
	E(&a, 'I', 'D', 'X', '_', 'D', 'A', 'T', '_', 0x01, 'F', 'O', 'O', '_', 0x08);
	close_pkg(&a, q);
	close_pkg(&a, p);
	E(&a, 0x08, 'R', 'E', 'V', '_', 0x5b, 0x30);			/* Name(Revision) */
	E(&a, 0x08, 'P', 'K', 'G', '_', 0x13);				/* Name(VarPackage) */
	p = open_pkg(&a);
	E(&a, 0x0a, 1, 0x00);
	close_pkg(&a, p);
	name_s5(&a, "_S5_", 4, 3, 3);
	KT_EXPECT_EQ(aml_s5(&a, &st), 0);
	KT_EXPECT_EQ(st.slp_typa, 3);
}

/* The name's bytes inside a Method or a Buffer are not a declaration. */
static void t_aml_hidden_bytes_are_not_a_declaration(void)
{
	struct aml a;
	struct acpi_sleep_type st;
	size_t p;

	aml_init(&a);
	E(&a, 0x14);
	p = open_pkg(&a);
	E(&a, 'M', 'T', 'H', '_', 0x00);
	name_s5(&a, "_S5_", 4, 5, 5);
	close_pkg(&a, p);
	E(&a, 0x08, 'B', 'U', 'F', '_', 0x11);
	p = open_pkg(&a);
	E(&a, 0x0a, 16);
	name_s5(&a, "_S5_", 4, 5, 5);
	close_pkg(&a, p);
	KT_EXPECT_EQ(aml_s5(&a, &st), -ENOENT);
}

static void t_aml_malformed_is_a_clean_failure(void)
{
	struct aml a;
	struct acpi_sleep_type st;

	aml_init(&a);				/* Store(One, Local0) at the top level */
	E(&a, 0x70, 0x01, 0x60);
	name_s5(&a, "_S5_", 4, 5, 5);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "cannot decode opcode 0x70 at offset 0x24"));

	aml_init(&a);				/* Scope longer than the table */
	E(&a, 0x10, 0x3f, '\\', 0x00);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "runs past its end"));

	aml_init(&a);				/* lower-case NameSeg */
	name_s5(&a, "_s5_", 4, 5, 5);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);

	aml_init(&a);				/* not a Package */
	E(&a, 0x08, '_', 'S', '5', '_', 0x0a, 0x05);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);

	aml_init(&a);				/* a String element */
	E(&a, 0x08, '_', 'S', '5', '_', 0x12, 6, 2, 0x0d, 'x', 0, 0x00);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);

	aml_init(&a);				/* an empty package */
	E(&a, 0x08, '_', 'S', '5', '_', 0x12, 2, 0);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);

	aml_init(&a);				/* unknown 0x5b opcode */
	E(&a, 0x5b, 0x99);
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "0x5b"));

	aml_init(&a);				/* scopes nested past the limit */
	{
		size_t pos[40];

		for (int i = 0; i < 40; i++) {
			E(&a, 0x10);
			pos[i] = open_pkg(&a);
			E(&a, 'A', 'B', 'C', (u8)('A' + i % 26));
		}
		name_s5(&a, "\\_S5_", 5, 1, 1);
		for (int i = 39; i >= 0; i--)
			close_pkg(&a, pos[i]);
	}
	KT_EXPECT_EQ(aml_s5(&a, &st), -EINVAL);
	KT_EXPECT(strstr(host_printk_last(), "nested deeper"));

	aml_init(&a);				/* empty term list: not found */
	KT_EXPECT_EQ(aml_s5(&a, &st), -ENOENT);
	KT_EXPECT_EQ(aml_find_sleep_type(a.b, 10, "_S5_", &st), -EINVAL);
}

/* ---- arbitrary bytes ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (u32)rng_state;
}

/* Every prefix of the captured DSDT: found only once the package is whole. */
static void t_aml_every_truncation(void)
{
	struct fake_phys m;
	struct region *r;
	struct acpi_sleep_type st;
	u32 full_ok_from = 0;

	host_printk_quiet(true);
	KT_ASSERT(load_machine(&m, "q35"));
	KT_ASSERT((r = find_region(&m, "DSDT")));
	for (u32 len = r->len; len >= ACPI_HEADER_LEN; len--) {
		u8 *copy = malloc(len);		/* exact size: ASan sees any overread */
		int e;

		memcpy(copy, r->bytes, len);
		e = aml_find_sleep_type(copy, len, "_S5_", &st);
		free(copy);
		KT_EXPECT(e == 0 || e == -ENOENT || e == -EINVAL);
		if (e == 0)
			full_ok_from = len;
		else if (full_ok_from)
			break;
	}
	host_printk_quiet(false);
	/* the package ends well inside the table; shorter prefixes fail */
	KT_EXPECT(full_ok_from > ACPI_HEADER_LEN && full_ok_from < r->len);
	free_fake(&m);
}

static void mutate(u8 *t, u32 len, unsigned int flips)
{
	for (unsigned int i = 0; i < flips; i++)
		t[ACPI_HEADER_LEN + rng() % (len - ACPI_HEADER_LEN)] = (u8)rng();
}

static void t_parsers_survive_mutated_tables(void)
{
	static const char *const machines[] = { "q35", "pc", "q35-smp4" };
	unsigned int outcomes[3] = { 0, 0, 0 };

	host_printk_quiet(true);

	for (unsigned int mi = 0; mi < 3; mi++) {
		struct fake_phys m;

		KT_ASSERT(load_machine(&m, machines[mi]));
		for (unsigned int iter = 0; iter < 3000; iter++) {
			struct region *r = &m.r[rng() % m.nr];
			u32 len = r->len < ACPI_HEADER_LEN + 1 ? 0 : r->len;
			u8 *t;
			struct acpi_madt madt;
			struct acpi_fadt fadt;
			struct acpi_hpet hpet;
			struct acpi_mcfg mcfg;
			struct acpi_sleep_type st;
			int e;

			if (!len)
				continue;
			t = malloc(len);
			memcpy(t, r->bytes, len);
			mutate(t, len, 1 + rng() % 8);
			if (rng() % 4 == 0)
				len = ACPI_HEADER_LEN + rng() % (len - ACPI_HEADER_LEN);
			acpi_parse_madt(t, len, &madt);
			KT_EXPECT(madt.nr_cpus <= ACPI_MADT_MAX_CPUS &&
				  madt.nr_overrides <= ACPI_MADT_MAX_OVERRIDES);
			acpi_parse_fadt(t, len, &fadt);
			acpi_parse_hpet(t, len, &hpet);
			acpi_parse_mcfg(t, len, &mcfg);
			KT_EXPECT(mcfg.nr <= ACPI_MCFG_MAX);
			e = aml_find_sleep_type(t, len, "_S5_", &st);
			KT_EXPECT(e == 0 || e == -ENOENT || e == -EINVAL);
			outcomes[e == 0 ? 0 : e == -ENOENT ? 1 : 2]++;
			free(t);
		}
		free_fake(&m);
	}
	host_printk_quiet(false);
	/* mutations of the DSDT must reach all three outcomes */
	KT_EXPECT(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0);
}

/* Random bytes in the RSDP, root table and a table header: no crash, no wild read. */
static void t_table_walk_survives_mutated_roots(void)
{
	unsigned int ok = 0;

	host_printk_quiet(true);
	for (unsigned int iter = 0; iter < 2000; iter++) {
		struct fake_phys m;
		struct acpi_tables at;
		struct region *r;
		int e;

		KT_ASSERT(load_machine(&m, "q35"));
		r = &m.r[rng() % m.nr];
		for (int i = 0; i < 1 + (int)(rng() % 3); i++)
			r->bytes[rng() % (r->len < 48 ? r->len : 48)] = (u8)rng();
		e = acpi_tables_init(&at, q35_rsdp, map_fake, &m);
		KT_EXPECT(e == 0 || e == -EINVAL || e == -ENOENT);
		KT_EXPECT(at.nr <= ACPI_MAX_TABLES);
		for (unsigned int i = 0; i < at.nr; i++)
			KT_EXPECT(acpi_checksum_ok(at.table[i].data, at.table[i].length));
		ok += e == 0;
		free_fake(&m);
	}
	host_printk_quiet(false);
	KT_EXPECT(ok > 0);
}

static const struct kt_case cases[] = {
	KT_CASE(t_q35_tables_found_through_xsdt, "q35: seven tables through the XSDT, checksums valid"),
	KT_CASE(t_pc_tables_found_without_mcfg, "pc: six tables, no MCFG"),
	KT_CASE(t_q35_madt_one_cpu_ioapic_overrides_nmi, "q35 MADT: LAPIC, CPU, I/O APIC, overrides, LINT1 NMI"),
	KT_CASE(t_smp4_madt_lists_enabled_and_disabled_cpus, "-smp 4,maxcpus=6 MADT: 4 enabled, 2 disabled CPUs"),
	KT_CASE(t_q35_fadt_fields, "q35 FADT: PM1a_CNT, SMI_CMD, reset register, boot flags"),
	KT_CASE(t_pc_fadt_rev1_uses_32bit_blocks_no_reset_reg, "pc FADT rev 1: 32-bit blocks, no reset register"),
	KT_CASE(t_fadt_prefers_x_blocks_when_set, "FADT: X_ blocks win when set; short tables refused"),
	KT_CASE(t_hpet_and_mcfg, "HPET block at 0xfed00000, MCFG ECAM at 0xb0000000"),
	KT_CASE(t_q35_dsdt_sleep_states, "q35 DSDT: \\_S5_ {0,0}, \\_S3_ {1,1}, \\_S4_ {2,2} decoded"),
	KT_CASE(t_pc_dsdt_sleep_states, "pc DSDT: \\_S5_ {0,0}, \\_S3_ {1,1}, \\_S4_ {2,2} decoded"),
	KT_CASE(t_bad_checksum_table_ignored_with_message, "a table with a bad checksum is ignored with a message"),
	KT_CASE(t_short_and_overlong_tables_ignored, "tables shorter than a header or past their memory are ignored"),
	KT_CASE(t_bad_rsdp_refused, "an RSDP with a bad signature or checksum is refused"),
	KT_CASE(t_rsdt_used_for_v1_rsdp_or_bad_extended_checksum, "the RSDT is used for ACPI 1.0 or a bad extended checksum"),
	KT_CASE(t_truncated_madt_keeps_earlier_entries, "a truncated MADT keeps the entries before the cut"),
	KT_CASE(t_aml_root_name_and_scope_forms, "AML: \\_S5_ at the root, in Scope(\\), through ^ from \\_SB"),
	KT_CASE(t_aml_dual_multi_and_parent_paths, "AML: dual and multi-name paths, ^ prefixes, relative nesting"),
	KT_CASE(t_aml_package_element_encodings, "AML: Zero/One/Ones/Byte/Word/DWord/QWord elements, PkgLength sizes"),
	KT_CASE(t_aml_walks_over_other_objects, "AML: the walk steps over every other object kind"),
	KT_CASE(t_aml_hidden_bytes_are_not_a_declaration, "AML: \\_S5_ bytes inside a Method or Buffer are not found"),
	KT_CASE(t_aml_malformed_is_a_clean_failure, "AML: malformed or undecodable AML fails cleanly"),
	KT_CASE(t_aml_every_truncation, "AML: every truncation of the q35 DSDT is handled"),
	KT_CASE(t_parsers_survive_mutated_tables, "parsers survive 9000 mutated tables"),
	KT_CASE(t_table_walk_survives_mutated_roots, "the table walk survives 2000 mutated RSDP/root/headers"),
};

int main(void)
{
	return kt_run_suite("acpi", cases, KT_N(cases));
}
