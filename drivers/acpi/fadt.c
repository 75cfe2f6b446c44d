/*
 * FADT ("FACP"), HPET and MCFG: fixed-layout tables, each field read only
 * when the table is long enough to hold it. Host-compilable.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include "internal.h"

#define FADT_V1_LEN		116	/* ACPI 1.0: up to Flags */
#define FADT_RESET_END		129	/* RESET_REG and RESET_VALUE */
#define FADT_X_DSDT_END		148
#define FADT_X_BLOCK(n)		(148 + 12 * (n))	/* X_PM1a_EVT_BLK = 0 ... */

static void gas_read(const u8 *p, struct acpi_gas *g)
{
	g->space_id = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access_size = p[3];
	g->address = acpi_get64(p + 4);
}

/*
 * One PM block: the X_ generic address @xidx when the table holds it and
 * its address is set, else the 32-bit I/O port at @off32 with @len bytes.
 */
static void pm_block(const u8 *tab, u32 len, unsigned int xidx, unsigned int off32,
		     u8 blen, struct acpi_gas *g)
{
	memset(g, 0, sizeof(*g));
	if (len >= FADT_X_BLOCK(xidx + 1)) {
		gas_read(tab + FADT_X_BLOCK(xidx), g);
		if (g->address)
			return;
	}
	memset(g, 0, sizeof(*g));
	g->address = acpi_get32(tab + off32);
	if (!g->address)
		return;
	g->space_id = ACPI_SPACE_IO;
	g->bit_width = (u8)(blen * 8);
}

int acpi_parse_fadt(const u8 *tab, u32 len, struct acpi_fadt *f)
{
	memset(f, 0, sizeof(*f));
	if (len < FADT_V1_LEN) {
		printk("acpi: FADT: length %u is shorter than ACPI 1.0's %u\n", len,
		       FADT_V1_LEN);
		return -EINVAL;
	}
	f->revision = tab[8];
	f->length = len;
	f->facs = acpi_get32(tab + 36);
	f->dsdt = acpi_get32(tab + 40);
	f->sci_irq = acpi_get16(tab + 46);
	f->smi_cmd = acpi_get32(tab + 48);
	f->acpi_enable = tab[52];
	f->acpi_disable = tab[53];
	f->iapc_boot_arch = acpi_get16(tab + 109);
	f->flags = acpi_get32(tab + 112);
	f->hw_reduced = f->flags & ACPI_FADT_HW_REDUCED;
	pm_block(tab, len, 0, 56, tab[88], &f->pm1a_evt);
	pm_block(tab, len, 1, 60, tab[88], &f->pm1b_evt);
	pm_block(tab, len, 2, 64, tab[89], &f->pm1a_cnt);
	pm_block(tab, len, 3, 68, tab[89], &f->pm1b_cnt);
	pm_block(tab, len, 5, 76, tab[91], &f->pm_tmr);
	if (len >= FADT_RESET_END) {
		gas_read(tab + 116, &f->reset_reg);
		f->reset_value = tab[128];
		f->reset_supported = (f->flags & ACPI_FADT_RESET_REG_SUP) &&
				     f->reset_reg.address;
	}
	if (len >= FADT_X_DSDT_END) {
		u64 xfacs = acpi_get64(tab + 132), xdsdt = acpi_get64(tab + 140);

		if (xfacs)
			f->facs = xfacs;
		if (xdsdt)
			f->dsdt = xdsdt;
	}
	return 0;
}

int acpi_parse_hpet(const u8 *tab, u32 len, struct acpi_hpet *h)
{
	memset(h, 0, sizeof(*h));
	if (len < 56) {
		printk("acpi: HPET: length %u is shorter than 56\n", len);
		return -EINVAL;
	}
	h->block_id = acpi_get32(tab + 36);
	gas_read(tab + 40, &h->base);
	h->number = tab[52];
	h->min_tick = acpi_get16(tab + 53);
	return 0;
}

int acpi_parse_mcfg(const u8 *tab, u32 len, struct acpi_mcfg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < 44) {
		printk("acpi: MCFG: length %u is shorter than 44\n", len);
		return -EINVAL;
	}
	for (u32 off = 44; len - off >= 16; off += 16) {
		const u8 *e = tab + off;
		struct acpi_mcfg_window w = {
			.base = acpi_get64(e), .segment = acpi_get16(e + 8),
			.start_bus = e[10], .end_bus = e[11],
		};

		if (w.end_bus < w.start_bus || !w.base) {
			printk("acpi: MCFG: window at offset %u (buses %u-%u, base %#llx) ignored\n",
			       off, w.start_bus, w.end_bus, (unsigned long long)w.base);
			continue;
		}
		if (m->nr == ACPI_MCFG_MAX) {
			printk("acpi: MCFG: more than %d windows; the rest ignored\n",
			       ACPI_MCFG_MAX);
			break;
		}
		m->win[m->nr++] = w;
	}
	return 0;
}
