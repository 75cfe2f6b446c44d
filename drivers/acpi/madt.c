/*
 * MADT ("APIC"): local APIC address, processors, I/O APICs, interrupt
 * source overrides, NMI sources and local APIC NMI lines.
 * Host-compilable; every entry is bounds-checked against the table.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include "internal.h"

#define MADT_FIXED_LEN	44	/* header, local APIC address, flags */

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,
	MADT_NMI_SOURCE = 3,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDR = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 10,
};

/* Minimum length of each entry type Pagoda decodes (0: not decoded). */
static u8 madt_min_len(u8 type)
{
	switch (type) {
	case MADT_LAPIC:	return 8;
	case MADT_IOAPIC:	return 12;
	case MADT_OVERRIDE:	return 10;
	case MADT_NMI_SOURCE:	return 8;
	case MADT_LAPIC_NMI:	return 6;
	case MADT_LAPIC_ADDR:	return 12;
	case MADT_X2APIC:	return 16;
	case MADT_X2APIC_NMI:	return 12;
	default:		return 0;
	}
}

static void add_cpu(struct acpi_madt *m, u32 apic_id, u32 uid, u32 flags, bool x2apic)
{
	if (m->nr_cpus == ACPI_MADT_MAX_CPUS) {
		m->dropped++;
		return;
	}
	m->cpu[m->nr_cpus++] = (struct acpi_madt_cpu){
		.apic_id = apic_id, .uid = uid, .enabled = flags & 1,
		.online_capable = (flags >> 1) & 1, .x2apic = x2apic,
	};
}

static void add_lapic_nmi(struct acpi_madt *m, u32 uid, u16 flags, u8 lint)
{
	if (m->nr_lapic_nmis == ACPI_MADT_MAX_NMIS) {
		m->dropped++;
		return;
	}
	m->lapic_nmi[m->nr_lapic_nmis++] = (struct acpi_madt_lapic_nmi){
		.uid = uid, .flags = flags, .lint = lint & 1,
	};
}

static void add_ioapic(struct acpi_madt *m, const u8 *e)
{
	if (m->nr_ioapics == ACPI_MADT_MAX_IOAPICS) {
		m->dropped++;
		return;
	}
	m->ioapic[m->nr_ioapics++] = (struct acpi_madt_ioapic){
		.id = e[2], .address = acpi_get32(e + 4), .gsi_base = acpi_get32(e + 8),
	};
}

static void add_override(struct acpi_madt *m, const u8 *e)
{
	if (m->nr_overrides == ACPI_MADT_MAX_OVERRIDES) {
		m->dropped++;
		return;
	}
	m->override[m->nr_overrides++] = (struct acpi_madt_override){
		.bus = e[2], .source = e[3], .gsi = acpi_get32(e + 4),
		.flags = acpi_get16(e + 8),
	};
}

static void add_nmi_source(struct acpi_madt *m, const u8 *e)
{
	if (m->nr_nmi_sources == ACPI_MADT_MAX_NMIS) {
		m->dropped++;
		return;
	}
	m->nmi_source[m->nr_nmi_sources++] = (struct acpi_madt_nmi_source){
		.flags = acpi_get16(e + 2), .gsi = acpi_get32(e + 4),
	};
}

/* One entry whose length was checked against madt_min_len(). */
static void madt_entry(struct acpi_madt *m, const u8 *e)
{
	switch (e[0]) {
	case MADT_LAPIC:
		add_cpu(m, e[3], e[2], acpi_get32(e + 4), false);
		break;
	case MADT_X2APIC:
		add_cpu(m, acpi_get32(e + 4), acpi_get32(e + 12), acpi_get32(e + 8), true);
		break;
	case MADT_IOAPIC:
		add_ioapic(m, e);
		break;
	case MADT_OVERRIDE:
		add_override(m, e);
		break;
	case MADT_NMI_SOURCE:
		add_nmi_source(m, e);
		break;
	case MADT_LAPIC_NMI:
		add_lapic_nmi(m, e[2] == 0xff ? 0xffffffffu : e[2], acpi_get16(e + 3), e[5]);
		break;
	case MADT_X2APIC_NMI:
		add_lapic_nmi(m, acpi_get32(e + 4), acpi_get16(e + 2), e[8]);
		break;
	case MADT_LAPIC_ADDR:
		m->lapic_addr = acpi_get64(e + 4);
		m->lapic_addr_override = true;
		break;
	}
}

int acpi_parse_madt(const u8 *tab, u32 len, struct acpi_madt *m)
{
	u32 off = MADT_FIXED_LEN;

	memset(m, 0, sizeof(*m));
	if (len < MADT_FIXED_LEN) {
		printk("acpi: MADT: length %u is shorter than its fixed part\n", len);
		return -EINVAL;
	}
	m->lapic_addr = acpi_get32(tab + 36);
	m->pcat_compat = acpi_get32(tab + 40) & 1;
	while (off < len) {
		const u8 *e = tab + off;
		u8 elen, min;

		if (len - off < 2 || (elen = e[1]) < 2 || elen > len - off) {
			printk("acpi: MADT: entry at offset %u runs past the table; "
			       "later entries ignored\n", off);
			return -EINVAL;
		}
		min = madt_min_len(e[0]);
		if (elen < min) {
			printk("acpi: MADT: entry type %u at offset %u is %u bytes, needs %u; "
			       "ignored\n", e[0], off, elen, min);
			m->bad++;
		} else if (min) {
			madt_entry(m, e);
		}
		off += elen;
	}
	if (m->dropped)
		printk("acpi: MADT: %u entries beyond Pagoda's limits ignored\n", m->dropped);
	return 0;
}

unsigned int acpi_madt_enabled_cpus(const struct acpi_madt *m, unsigned int *capable)
{
	unsigned int n = 0, c = 0;

	for (unsigned int i = 0; i < m->nr_cpus; i++) {
		n += m->cpu[i].enabled;
		c += !m->cpu[i].enabled && m->cpu[i].online_capable;
	}
	if (capable)
		*capable = c;
	return n;
}

u32 acpi_isa_irq_to_gsi(const struct acpi_madt *m, unsigned int irq, u16 *flags)
{
	u16 f = 0;
	u32 gsi = irq;

	for (unsigned int i = 0; i < m->nr_overrides; i++) {
		if (m->override[i].bus == 0 && m->override[i].source == irq) {
			gsi = m->override[i].gsi;
			f = m->override[i].flags;
			break;
		}
	}
	if ((f & ACPI_MPS_POLARITY_MASK) == 0)
		f |= ACPI_MPS_POLARITY_HIGH;
	if ((f & ACPI_MPS_TRIGGER_MASK) == 0)
		f |= ACPI_MPS_TRIGGER_EDGE;
	if (flags)
		*flags = f;
	return gsi;
}
