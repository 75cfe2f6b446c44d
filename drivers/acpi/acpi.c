/*
 * The kernel's ACPI tables: found from the loader's RSDP once at boot,
 * parsed with the host-tested parsers (tables.c, madt.c, fadt.c, aml.c)
 * and kept for the interrupt, timer, power and PCI code.
 *
 * Tables in RAM (ACPI reclaim and NVS ranges are RAM to the memory map)
 * are read through the direct map; anything else through ioremap().
 * `acpi=dump` hex-dumps the RSDP and every table to the console
 * (tools/acpi-capture.sh turns that into tests/host/data/acpi/).
 */
#include <pagoda/acpi.h>
#include <pagoda/boot_info.h>
#include <pagoda/cmdline.h>
#include <pagoda/errno.h>
#include <pagoda/io.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <mm/arch.h>
#include <mm/memmap.h>

static struct acpi_tables tables;
static struct acpi_madt madt;
static struct acpi_fadt fadt;
static struct acpi_hpet hpet;
static struct acpi_mcfg mcfg;
static bool have_madt, have_fadt, have_hpet;
static struct acpi_sleep_type s5;
static int s5_err = -ENOENT;

/*
 * acpi_map_fn for the running kernel: the direct map for RAM, ioremap()
 * for anything else (firmware that keeps tables in reserved memory); such
 * a mapping stays: the parser keeps pointers into them. A root
 * table listing hundreds of such addresses (a corrupt XSDT) would fill the
 * MMIO window the devices need, so only this many are mapped; the rest are
 * refused with a message (the parser ignores a table it cannot map).
 */
#define ACPI_MAX_IOREMAPS	64

static const void *kernel_map(void *ctx, u64 phys, u64 len)
{
	static unsigned int nr_ioremaps;
	const void *p;

	if (memmap_is_ram(kernel_memmap(), phys, len))
		return phys_to_virt(phys);
	if (nr_ioremaps == ACPI_MAX_IOREMAPS) {
		printk("acpi: table at %#llx outside RAM not mapped: %u such mappings already\n",
		       (unsigned long long)phys, ACPI_MAX_IOREMAPS);
		return NULL;
	}
	p = (const void *)ioremap(phys, len);
	nr_ioremaps += p != NULL;
	return p;
}

static void dump_bytes(const char *sig, u64 phys, const u8 *p, u32 len)
{
	printk("acpi-dump: %s %llx %u\n", sig, (unsigned long long)phys, len);
	for (u32 off = 0; off < len; off += 32) {
		char line[80];
		u32 n = MIN(32u, len - off);

		for (u32 i = 0; i < n; i++) {
			line[2 * i] = "0123456789abcdef"[p[off + i] >> 4];
			line[2 * i + 1] = "0123456789abcdef"[p[off + i] & 15];
		}
		line[2 * n] = 0;
		printk("acpi-dump: %llx: %s\n", (unsigned long long)(phys + off), line);
	}
}

/* The XSDT or RSDT at @phys, if it has that signature and a sane length. */
static void dump_root(u64 phys, const char *sig)
{
	const u8 *h = phys ? kernel_map(NULL, phys, ACPI_HEADER_LEN) : NULL;
	u32 len = h ? (u32)h[4] | (u32)h[5] << 8 | (u32)h[6] << 16 | (u32)h[7] << 24 : 0;

	if (!h || memcmp(h, sig, 4) != 0 || len < ACPI_HEADER_LEN || len > 65536)
		return;
	dump_bytes(sig, phys, kernel_map(NULL, phys, len), len);
}

/* `acpi=dump`: the RSDP, root tables and every accepted table, as hex lines. */
static void dump_tables(u64 rsdp)
{
	const u8 *r = kernel_map(NULL, rsdp, ACPI_RSDP_V2_LEN);

	dump_bytes("RSDP", rsdp, r, r[15] >= 2 ? ACPI_RSDP_V2_LEN : ACPI_RSDP_V1_LEN);
	dump_root(r[15] >= 2 ? (u64)r[24] | (u64)r[25] << 8 | (u64)r[26] << 16 |
		  (u64)r[27] << 24 | (u64)r[28] << 32 | (u64)r[29] << 40 |
		  (u64)r[30] << 48 | (u64)r[31] << 56 : 0, "XSDT");
	dump_root((u64)r[16] | (u64)r[17] << 8 | (u64)r[18] << 16 | (u64)r[19] << 24, "RSDT");
	for (unsigned int i = 0; i < tables.nr; i++)
		dump_bytes(tables.table[i].sig, tables.table[i].phys, tables.table[i].data,
			   tables.table[i].length);
	printk("acpi-dump: end\n");
}

static void print_tables(u64 rsdp)
{
	printk("acpi: RSDP at %#llx revision %u OEM \"%s\"; %s at %#llx lists %u tables "
	       "(%u ignored)\n", (unsigned long long)rsdp, tables.rsdp_revision, tables.oem_id,
	       tables.xsdt ? "XSDT" : "RSDT", (unsigned long long)tables.root_phys,
	       tables.nr, tables.ignored);
	for (unsigned int i = 0; i < tables.nr; i++) {
		const struct acpi_table_ref *t = &tables.table[i];

		printk("acpi: %s %#014llx %6u bytes rev %u %.6s %.8s\n", t->sig,
		       (unsigned long long)t->phys, t->length, t->data[8],
		       (const char *)t->data + 10, (const char *)t->data + 16);
	}
}

static void setup_madt(void)
{
	u32 len;
	const u8 *t = acpi_table_find(&tables, "APIC", 0, &len);
	unsigned int capable, enabled;

	if (!t || acpi_parse_madt(t, len, &madt) < 0 || madt.nr_cpus == 0) {
		printk("acpi: no usable MADT\n");
		return;
	}
	have_madt = true;
	enabled = acpi_madt_enabled_cpus(&madt, &capable);
	printk("acpi: MADT: local APIC at %#llx%s, %u processors (%u enabled, %u online-capable), "
	       "%u I/O APIC, %u overrides, %u NMI sources, %u LAPIC NMIs%s\n",
	       (unsigned long long)madt.lapic_addr,
	       madt.lapic_addr_override ? " (override)" : "", madt.nr_cpus, enabled,
	       capable, madt.nr_ioapics, madt.nr_overrides, madt.nr_nmi_sources,
	       madt.nr_lapic_nmis, madt.pcat_compat ? ", 8259 pair present" : "");
	for (unsigned int i = 0; i < madt.nr_ioapics; i++)
		printk("acpi: IOAPIC id %u at %#x, GSI base %u\n", madt.ioapic[i].id,
		       madt.ioapic[i].address, madt.ioapic[i].gsi_base);
	for (unsigned int i = 0; i < madt.nr_overrides; i++)
		printk("acpi: override: bus %u IRQ %u -> GSI %u, flags %#x\n",
		       madt.override[i].bus, madt.override[i].source, madt.override[i].gsi,
		       madt.override[i].flags);
}

static void print_gas(const char *name, const struct acpi_gas *g)
{
	static const char *const spaces[] = { "mem", "io", "pcicfg" };

	if (!g->address)
		return;
	printk("acpi: FADT: %s %s %#llx width %u\n", name,
	       g->space_id < 3 ? spaces[g->space_id] : "space?",
	       (unsigned long long)g->address, g->bit_width);
}

static void setup_fadt(void)
{
	u32 len;
	const u8 *t = acpi_table_find(&tables, "FACP", 0, &len);

	if (!t || acpi_parse_fadt(t, len, &fadt) < 0) {
		printk("acpi: no usable FADT\n");
		return;
	}
	have_fadt = true;
	printk("acpi: FADT: revision %u, SCI IRQ %u, SMI_CMD %#x (enable %#x), boot arch %#x%s%s, "
	       "flags %#x%s\n", fadt.revision, fadt.sci_irq, fadt.smi_cmd, fadt.acpi_enable,
	       fadt.iapc_boot_arch, fadt.iapc_boot_arch & ACPI_BOOT_8042 ? " (8042)" : "",
	       fadt.iapc_boot_arch & ACPI_BOOT_NO_MSI ? " (no MSI)" : "", fadt.flags,
	       fadt.hw_reduced ? " (hardware-reduced)" : "");
	print_gas("PM1a_CNT", &fadt.pm1a_cnt);
	print_gas("PM1b_CNT", &fadt.pm1b_cnt);
	if (fadt.reset_supported)
		printk("acpi: FADT: reset register %s %#llx value %#x\n",
		       fadt.reset_reg.space_id == ACPI_SPACE_IO ? "io" :
		       fadt.reset_reg.space_id == ACPI_SPACE_MEMORY ? "mem" : "pcicfg",
		       (unsigned long long)fadt.reset_reg.address, fadt.reset_value);
}

static void setup_hpet_mcfg(void)
{
	u32 len;
	const u8 *t = acpi_table_find(&tables, "HPET", 0, &len);

	if (t && acpi_parse_hpet(t, len, &hpet) == 0 && hpet.base.address) {
		have_hpet = true;
		printk("acpi: HPET %u: block at %#llx, id %#x, min tick %u\n", hpet.number,
		       (unsigned long long)hpet.base.address, hpet.block_id, hpet.min_tick);
	}
	t = acpi_table_find(&tables, "MCFG", 0, &len);
	if (t)
		acpi_parse_mcfg(t, len, &mcfg);
	for (unsigned int i = 0; i < mcfg.nr; i++)
		printk("acpi: MCFG: ECAM at %#llx, segment %u, buses %u-%u\n",
		       (unsigned long long)mcfg.win[i].base, mcfg.win[i].segment,
		       mcfg.win[i].start_bus, mcfg.win[i].end_bus);
}

/* \_S5_ from the DSDT, else the first SSDT that declares it. */
static void setup_s5(void)
{
	u32 len;
	const u8 *t = acpi_table_find(&tables, "DSDT", 0, &len);
	int err = t ? aml_find_sleep_type(t, len, "_S5_", &s5) : -ENOENT;

	for (unsigned int i = 0; err && (t = acpi_table_find(&tables, "SSDT", i, &len)); i++) {
		int e = aml_find_sleep_type(t, len, "_S5_", &s5);

		if (e != -ENOENT || err == -ENOENT)
			err = e;
	}
	s5_err = err;
	if (!err)
		printk("acpi: \\_S5_: SLP_TYPa %u, SLP_TYPb %u\n", s5.slp_typa, s5.slp_typb);
	else
		printk("acpi: \\_S5_ not found (%d): ACPI power-off unavailable\n", err);
}

void acpi_init(void)
{
	u64 rsdp = boot_info_get()->acpi_rsdp;
	char arg[16];
	int err;

	if (!rsdp) {
		printk("acpi: the loader found no RSDP; running without ACPI\n");
		return;
	}
	err = acpi_tables_init(&tables, rsdp, kernel_map, NULL);
	if (err) {
		printk("acpi: no usable tables from the RSDP at %#llx (%d)\n",
		       (unsigned long long)rsdp, err);
		return;
	}
	print_tables(rsdp);
	if (cmdline_value("acpi", arg, sizeof(arg)) && strcmp(arg, "dump") == 0)
		dump_tables(rsdp);
	setup_madt();
	setup_fadt();
	setup_hpet_mcfg();
	setup_s5();
}

const struct acpi_tables *acpi_get_tables(void)
{
	return &tables;
}

const struct acpi_madt *acpi_get_madt(void)
{
	return have_madt ? &madt : NULL;
}

const struct acpi_fadt *acpi_get_fadt(void)
{
	return have_fadt ? &fadt : NULL;
}

const struct acpi_hpet *acpi_get_hpet(void)
{
	return have_hpet ? &hpet : NULL;
}

const struct acpi_mcfg_window *acpi_mcfg_windows(unsigned int *nr)
{
	*nr = mcfg.nr;
	return mcfg.win;
}

int acpi_get_s5(struct acpi_sleep_type *st)
{
	if (!s5_err)
		*st = s5;
	return s5_err;
}
