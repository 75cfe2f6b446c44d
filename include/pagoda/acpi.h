/*
 * ACPI: the firmware's tables, read once at boot (docs/acpi-and-interrupts.md).
 *
 * Two layers:
 *  - parsers (drivers/acpi/tables.c, madt.c, fadt.c, aml.c): pure C, no arch
 *    header, compiled on the host too. They read tables through a mapper
 *    callback and fill plain structs; bad bytes give an error code and a
 *    one-line message, never a panic and never a read outside the table.
 *  - the kernel's instance (drivers/acpi/acpi.c): acpi_init() finds the
 *    tables from the loader's RSDP and keeps the parsed MADT, FADT, HPET,
 *    MCFG and \_S5 for the interrupt, timer, power and PCI code.
 *
 * Nothing here evaluates AML: \_S5_ is found by decoding the DSDT/SSDT term
 * lists (aml.c), which is all a power-off needs.
 */
#ifndef PAGODA_ACPI_H
#define PAGODA_ACPI_H

#include <pagoda/types.h>

#define ACPI_HEADER_LEN		36
#define ACPI_RSDP_V1_LEN	20
#define ACPI_RSDP_V2_LEN	36
#define ACPI_MAX_TABLES		64
#define ACPI_TABLE_MAX_LEN	(4u << 20)	/* longer is taken as corrupt */

/* Generic Address Structure (ACPI 6.5, 5.2.3.2), decoded. */
struct acpi_gas {
	u8 space_id;		/* ACPI_SPACE_* */
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;		/* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
	u64 address;
};

#define ACPI_SPACE_MEMORY	0
#define ACPI_SPACE_IO		1
#define ACPI_SPACE_PCI_CONFIG	2

/*
 * Maps [phys, phys + len) for reading and returns its address, or NULL if
 * the range cannot be mapped (not memory, too long). The mapping stays
 * valid as long as the struct acpi_tables that used it.
 */
typedef const void *(*acpi_map_fn)(void *ctx, u64 phys, u64 len);

struct acpi_table_ref {
	char sig[5];		/* NUL terminated */
	u32 length;
	u64 phys;
	const u8 *data;		/* the whole table, mapped */
};

/* The tables reachable from one RSDP, each with a valid checksum. */
struct acpi_tables {
	u8 rsdp_revision;
	bool xsdt;		/* the root table used is the XSDT */
	u64 root_phys;		/* XSDT or RSDT */
	char oem_id[7];
	unsigned int nr;
	struct acpi_table_ref table[ACPI_MAX_TABLES];
	unsigned int ignored;	/* tables refused (checksum, length, mapping) */
};

/*
 * Read the RSDP at @rsdp_phys and every table its XSDT (revision >= 2 with
 * a valid extended checksum) or RSDT lists, plus the DSDT named by the
 * FADT. A table with a bad checksum, a length shorter than its header or
 * one that cannot be mapped is left out with a one-line message naming it.
 * Returns 0, or -ENOENT (no RSDP), -EINVAL (bad RSDP or root table).
 */
int acpi_tables_init(struct acpi_tables *at, u64 rsdp_phys, acpi_map_fn map, void *ctx);

/*
 * The @instance'th (0-based) table with signature @sig (4 characters), or
 * NULL. *len gets its length when @len is not NULL.
 */
const u8 *acpi_table_find(const struct acpi_tables *at, const char *sig,
			  unsigned int instance, u32 *len);

/* Sum of @len bytes is zero (ACPI's checksum rule). */
bool acpi_checksum_ok(const void *p, size_t len);

/* ---- MADT (APIC) ---- */

#define ACPI_MADT_MAX_CPUS	64
#define ACPI_MADT_MAX_IOAPICS	8
#define ACPI_MADT_MAX_OVERRIDES	24
#define ACPI_MADT_MAX_NMIS	16

/* MPS INTI flags of overrides and NMI entries. */
#define ACPI_MPS_POLARITY_MASK	0x3
#define ACPI_MPS_POLARITY_HIGH	0x1
#define ACPI_MPS_POLARITY_LOW	0x3
#define ACPI_MPS_TRIGGER_MASK	0xc
#define ACPI_MPS_TRIGGER_EDGE	0x4
#define ACPI_MPS_TRIGGER_LEVEL	0xc

struct acpi_madt_cpu {
	u32 apic_id;
	u32 uid;		/* ACPI processor id (x2APIC: UID) */
	bool enabled;
	bool online_capable;
	bool x2apic;		/* from a Local x2APIC entry */
};

struct acpi_madt_ioapic {
	u8 id;
	u32 address;
	u32 gsi_base;
};

struct acpi_madt_override {
	u8 bus;			/* 0: ISA */
	u8 source;		/* bus-relative IRQ */
	u32 gsi;
	u16 flags;		/* ACPI_MPS_* */
};

struct acpi_madt_nmi_source {
	u16 flags;
	u32 gsi;
};

struct acpi_madt_lapic_nmi {
	u32 uid;		/* 0xffffffff: all processors (an xAPIC entry's 0xff is stored so) */
	u16 flags;
	u8 lint;		/* 0 or 1 */
};

struct acpi_madt {
	u64 lapic_addr;		/* the override entry's address when present */
	bool lapic_addr_override;
	bool pcat_compat;	/* dual 8259 present */
	unsigned int nr_cpus, nr_ioapics, nr_overrides, nr_nmi_sources, nr_lapic_nmis;
	struct acpi_madt_cpu cpu[ACPI_MADT_MAX_CPUS];
	struct acpi_madt_ioapic ioapic[ACPI_MADT_MAX_IOAPICS];
	struct acpi_madt_override override[ACPI_MADT_MAX_OVERRIDES];
	struct acpi_madt_nmi_source nmi_source[ACPI_MADT_MAX_NMIS];
	struct acpi_madt_lapic_nmi lapic_nmi[ACPI_MADT_MAX_NMIS];
	unsigned int dropped;	/* entries beyond the arrays above */
	unsigned int bad;	/* entries too short for their type */
};

/*
 * Decode the MADT @tab of @len bytes into @m. Returns 0, or -EINVAL when
 * the table is too short for its fixed part or an entry runs past its
 * end (entries before it are kept; a message says where).
 */
int acpi_parse_madt(const u8 *tab, u32 len, struct acpi_madt *m);

/* Number of enabled processors (and online-capable ones in *capable). */
unsigned int acpi_madt_enabled_cpus(const struct acpi_madt *m, unsigned int *capable);

/*
 * ISA IRQ @irq through the overrides: the GSI and the MPS flags with
 * "conforms" resolved to ISA's defaults (edge, active high).
 */
u32 acpi_isa_irq_to_gsi(const struct acpi_madt *m, unsigned int irq, u16 *flags);

/* ---- FADT (FACP) ---- */

#define ACPI_FADT_RESET_REG_SUP		(1u << 10)
#define ACPI_FADT_HW_REDUCED		(1u << 20)
#define ACPI_BOOT_LEGACY_DEVICES	(1u << 0)
#define ACPI_BOOT_8042			(1u << 1)
#define ACPI_BOOT_NO_VGA		(1u << 2)
#define ACPI_BOOT_NO_MSI		(1u << 3)
#define ACPI_BOOT_NO_ASPM		(1u << 4)
#define ACPI_BOOT_NO_CMOS_RTC		(1u << 5)

#define ACPI_PM1_SCI_EN		(1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP_MASK	(7u << 10)
#define ACPI_PM1_SLP_EN		(1u << 13)

struct acpi_fadt {
	u8 revision;
	u32 length;
	u64 dsdt;		/* X_DSDT when set, else DSDT */
	u64 facs;
	u16 sci_irq;
	u32 smi_cmd;		/* 0: ACPI mode is fixed (no transition) */
	u8 acpi_enable, acpi_disable;
	struct acpi_gas pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm_tmr;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u32 flags;		/* ACPI_FADT_* */
	u16 iapc_boot_arch;	/* ACPI_BOOT_* */
	bool reset_supported;	/* RESET_REG_SUP and a reset register present */
	bool hw_reduced;
};

/*
 * Decode the FADT. The X_ generic addresses win over the 32-bit block
 * fields when the table is long enough to hold them and they are non-zero.
 * Returns 0 or -EINVAL (shorter than the ACPI 1.0 FADT).
 */
int acpi_parse_fadt(const u8 *tab, u32 len, struct acpi_fadt *f);

/* ---- HPET, MCFG ---- */

struct acpi_hpet {
	u32 block_id;		/* event timer block id (vendor, comparators...) */
	struct acpi_gas base;	/* the register block */
	u8 number;
	u16 min_tick;
};

int acpi_parse_hpet(const u8 *tab, u32 len, struct acpi_hpet *h);

#define ACPI_MCFG_MAX		16

struct acpi_mcfg_window {
	u64 base;		/* ECAM base: bus start_bus at offset 0 */
	u16 segment;
	u8 start_bus, end_bus;
};

struct acpi_mcfg {
	unsigned int nr;
	struct acpi_mcfg_window win[ACPI_MCFG_MAX];
};

/* Returns 0 or -EINVAL; windows with end_bus < start_bus are left out. */
int acpi_parse_mcfg(const u8 *tab, u32 len, struct acpi_mcfg *m);

/* ---- AML: the \_Sx_ sleep packages ---- */

struct acpi_sleep_type {
	u8 slp_typa;		/* for PM1a_CNT.SLP_TYP */
	u8 slp_typb;		/* for PM1b_CNT.SLP_TYP */
};

/*
 * Find the object \@name (a 4-character NameSeg such as "_S5_") declared
 * with Name() in the AML of the DSDT or SSDT @tab (@len bytes, header
 * included) and decode its Package: SLP_TYPa and SLP_TYPb. The term list
 * is walked by its structure, never scanned for the bytes of the name.
 * Returns 0; -ENOENT when the walk ends without the name; -EINVAL when an
 * opcode cannot be decoded or the AML is malformed (a message names the
 * opcode or problem and the table offset).
 */
int aml_find_sleep_type(const u8 *tab, u32 len, const char *name,
			struct acpi_sleep_type *st);

/* ---- the kernel's tables (drivers/acpi/acpi.c) ---- */
#ifdef __KERNEL__
/* Find and parse the tables from boot_info's RSDP; logs what it found. */
void acpi_init(void);
const struct acpi_tables *acpi_get_tables(void);
const struct acpi_madt *acpi_get_madt(void);	/* NULL without a MADT */
const struct acpi_fadt *acpi_get_fadt(void);	/* NULL without a FADT */
const struct acpi_hpet *acpi_get_hpet(void);	/* NULL without an HPET table */
/* The PCI Express ECAM windows of the MCFG; *nr = 0 without one. */
const struct acpi_mcfg_window *acpi_mcfg_windows(unsigned int *nr);
/* \_S5_ from the DSDT or an SSDT: 0 or -ENOENT / -EINVAL as aml_find_sleep_type. */
int acpi_get_s5(struct acpi_sleep_type *st);
#endif

#endif
