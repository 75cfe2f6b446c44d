/*
 * ECAM, the PCI Express enhanced configuration access mechanism (PCIe
 * Base 7.2.2): each function's 4096-byte configuration space is memory at
 * base + (bus << 20 | device << 15 | function << 12), where the ACPI MCFG
 * table gives base for bus 0 of a segment and the bus range it decodes.
 *
 * A whole window is up to 256 MiB; mapped with 4 KiB pages it would cost
 * 512 KiB of page tables for buses that mostly do not exist. Each bus is
 * ioremap()ed instead (1 MiB) the first time it is accessed: a q35 guest
 * maps bus 0 and one bus per populated root port.
 *
 * Accesses are single uncached loads and stores, made with pci_lock held
 * (drivers/pci/access.c); the first access to a bus maps it under that
 * lock (ioremap never sleeps).
 */
#include "internal.h"
#include <asm/io.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <mm/slab.h>

#define ECAM_BUS_SIZE		(1ull << 20)
#define ECAM_MAX_PHYS		(1ull << 52)	/* the architectural physical address limit */

struct pci_ecam {
	u64 base;				/* bus 0 of the segment */
	u8 bus_start, bus_end;
	void __iomem *bus_map[PCI_MAX_BUS];	/* pci_lock; NULL until first used */
	u64 map_failed[PCI_MAX_BUS / 64];	/* ioremap failed once: not retried */
};

/* The mapping of @bus, made now if this is its first access; NULL if none. */
static void __iomem *pci_ecam_bus_locked(struct pci_ecam *e, u8 bus)
{
	u64 bit = 1ull << (bus % 64);

	if (bus < e->bus_start || bus > e->bus_end)
		return NULL;
	if (!e->bus_map[bus] && !(e->map_failed[bus / 64] & bit)) {
		e->bus_map[bus] = ioremap(e->base + ((u64)bus << 20), ECAM_BUS_SIZE);
		if (!e->bus_map[bus])
			e->map_failed[bus / 64] |= bit;
	}
	return e->bus_map[bus];
}

static int pci_ecam_read(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
			 u32 *val)
{
	u8 __iomem *p = pci_ecam_bus_locked(ctx, bus);

	if (!p)
		return -ENODEV;
	p += (u32)devfn << 12 | where;
	switch (size) {
	case 1:
		*val = readb(p);
		break;
	case 2:
		*val = readw(p);
		break;
	default:
		*val = readl(p);
		break;
	}
	return 0;
}

static int pci_ecam_write(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
			  u32 val)
{
	u8 __iomem *p = pci_ecam_bus_locked(ctx, bus);

	if (!p)
		return -ENODEV;
	p += (u32)devfn << 12 | where;
	switch (size) {
	case 1:
		writeb((u8)val, p);
		break;
	case 2:
		writew((u16)val, p);
		break;
	default:
		writel(val, p);
		break;
	}
	return 0;
}

static const struct pci_cfg_ops pci_ecam_ops = {
	.name = "ECAM",
	.read = pci_ecam_read,
	.write = pci_ecam_write,
};

/*
 * Does the window make sense? Its base must be 1 MiB aligned and the range
 * of its buses below the physical address limit, and it must not cover
 * RAM (a table that put config space over memory would have every probe
 * write into it). The reason is logged.
 */
static bool pci_ecam_window_ok(u64 base, u16 seg, u8 start, u8 end)
{
	u64 lo = base + ((u64)start << 20), hi = base + (((u64)end + 1) << 20);

	if (base & (ECAM_BUS_SIZE - 1) || hi > ECAM_MAX_PHYS || hi < base) {
		printk("pci: MCFG window %#llx (segment %04x buses %02x-%02x) is misaligned "
		       "or out of range: not used\n", (unsigned long long)base, seg, start, end);
		return false;
	}
	if (pci_range_overlaps_ram(lo, hi - lo)) {
		printk("pci: MCFG window %#llx-%#llx overlaps RAM: not used\n",
		       (unsigned long long)lo, (unsigned long long)hi - 1);
		return false;
	}
	return true;
}

struct pci_root *pci_ecam_root(u64 base, u16 seg, u8 start, u8 end)
{
	struct pci_ecam *e;
	struct pci_root *root;

	if (!pci_ecam_window_ok(base, seg, start, end))
		return NULL;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return NULL;
	e->base = base;
	e->bus_start = start;
	e->bus_end = end;
	root = pci_root_alloc(seg, start, end, PCI_CFG_SPACE_EXP_SIZE, &pci_ecam_ops, e);
	if (!root)
		kfree(e);
	return root;
}
