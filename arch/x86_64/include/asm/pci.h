/*
 * PCI configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): an address written
 * to port 0xcf8, the data moved through ports 0xcfc-0xcff. Reaches the
 * first 256 bytes of each function of segment 0 on any PC; the fallback
 * when the ACPI MCFG table names no ECAM window (QEMU's -machine pc).
 * arch/x86_64/pci.c.
 */
#ifndef ASM_PCI_H
#define ASM_PCI_H

#include <pagoda/pci.h>

#define PCI_CONF1_ADDRESS_PORT	0xcf8
#define PCI_CONF1_DATA_PORT	0xcfc
#define PCI_CONF1_ENABLE	0x80000000u

/* The dword written to 0xcf8 to reach (bus, devfn, where & ~3). */
static inline u32 pci_conf1_address(u8 bus, u8 devfn, u16 where)
{
	return PCI_CONF1_ENABLE | (u32)bus << 16 | (u32)devfn << 8 | (where & 0xfc);
}

/* Segment 0 only; called with pci_lock held (the two steps are not atomic). */
extern const struct pci_cfg_ops pci_conf1_ops;

/*
 * Does the chipset implement mechanism #1? (The address register keeps
 * the enable bit written to it.) Boot only: before pci_lock is needed.
 */
bool pci_conf1_present(void);

#endif
