/*
 * What the files of drivers/pci/ share and host tests reach into; drivers
 * use include/pagoda/pci.h only.
 */
#ifndef DRIVERS_PCI_INTERNAL_H
#define DRIVERS_PCI_INTERNAL_H

#include <pagoda/pci.h>

/* ---- capability walks (cap.c) ---- */

/* How a capability walk ended. */
enum pci_cap_end {
	PCI_CAP_END_OK,		/* a next pointer of 0 (or a function that stopped answering) */
	PCI_CAP_END_LOOP,	/* a pointer to a capability already visited */
	PCI_CAP_END_RANGE,	/* a pointer into the header or past the space */
};

/*
 * Iterator over the capability list in the first 256 bytes. Start it with
 * pci_cap_iter_init(); each pci_cap_iter_next() that returns true leaves
 * the capability's offset in pos and its id in id. After it returns false,
 * end says why and bad holds the offending pointer. At most 48 steps: a
 * visited bitmap catches any loop on its first repeat.
 */
struct pci_cap_iter {
	const struct pci_dev *dev;
	u8 next;		/* pointer to follow next */
	u8 pos, id;		/* current capability */
	u8 bad;
	enum pci_cap_end end;
	u64 seen;		/* bit (offset / 4 - 16) per visited capability */
};

/* From the list head (nothing to walk without PCI_STATUS_CAP_LIST). */
void pci_cap_iter_init(struct pci_cap_iter *it, const struct pci_dev *dev);
/* From the next pointer of the capability at @pos. */
void pci_cap_iter_from(struct pci_cap_iter *it, const struct pci_dev *dev, u8 pos);
bool pci_cap_iter_next(struct pci_cap_iter *it);

/* The same for extended capabilities at 0x100-0xfff (ECAM only). */
struct pci_ext_cap_iter {
	const struct pci_dev *dev;
	u16 next, pos, id, bad;
	enum pci_cap_end end;
	u64 seen[(PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 4 / 64];
};

void pci_ext_cap_iter_init(struct pci_ext_cap_iter *it, const struct pci_dev *dev);
bool pci_ext_cap_iter_next(struct pci_ext_cap_iter *it);

/* "loops", "points outside": for messages about a walk's end. */
const char *pci_cap_end_str(enum pci_cap_end end);

/*
 * Where @dev's MSI-X table and pending-bit array are (capability at
 * dev->msix_cap), checked against its BARs: 0 with dev->msix filled, or
 * -EINVAL when either lies outside an implemented, assigned memory BAR
 * (a message says which).
 */
int pci_msix_decode(struct pci_dev *dev);

/* ---- enumeration (probe.c) ---- */

/* printk with the "pci 0000:00:1f.2: " prefix. */
__printf(2, 3) void pci_dev_log(const struct pci_dev *dev, const char *fmt, ...);

/* Number of BAR slots of a header type (6, 2, 1 or 0). */
unsigned int pci_nr_bars(const struct pci_dev *dev);

/* ---- the driver model (driver.c) ---- */

/* Forget every registered driver (host tests, between cases). */
void pci_drivers_reset(void);

#ifdef __KERNEL__
/* ---- the kernel's mechanisms (ecam.c, pci.c) ---- */

/*
 * A root for the MCFG window whose bus 0 is at @base, decoding buses
 * @start-@end of segment @seg, with ECAM access (buses mapped on first
 * use). NULL, with a message, for a window that makes no sense (misaligned,
 * beyond the physical address limit, over RAM) or on -ENOMEM.
 */
struct pci_root *pci_ecam_root(u64 base, u16 seg, u8 start, u8 end);

/* Does [start, start + len) overlap RAM of any kind in the boot memory map? */
bool pci_range_overlaps_ram(u64 start, u64 len);
#endif

#endif
