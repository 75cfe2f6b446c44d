/*
 * PCI configuration mechanism #1: port I/O through 0xcf8/0xcfc
 * (asm/pci.h). The caller (drivers/pci/access.c) holds pci_lock with
 * interrupts off, so nothing can come between writing the address and
 * moving the data.
 */
#include <asm/pci.h>
#include <asm/cpu.h>
#include <asm/io.h>
#include <pagoda/errno.h>

static int pci_conf1_read(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
			  u32 *val)
{
	u16 data = PCI_CONF1_DATA_PORT + (where & 3);

	if (seg || where >= PCI_CFG_SPACE_SIZE)
		return -ENODEV;
	outl(PCI_CONF1_ADDRESS_PORT, pci_conf1_address(bus, devfn, where));
	switch (size) {
	case 1:
		*val = inb(data);
		break;
	case 2:
		*val = inw(data);
		break;
	default:
		*val = inl(data);
		break;
	}
	return 0;
}

static int pci_conf1_write(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
			   u32 val)
{
	u16 data = PCI_CONF1_DATA_PORT + (where & 3);

	if (seg || where >= PCI_CFG_SPACE_SIZE)
		return -ENODEV;
	outl(PCI_CONF1_ADDRESS_PORT, pci_conf1_address(bus, devfn, where));
	switch (size) {
	case 1:
		outb(data, (u8)val);
		break;
	case 2:
		outw(data, (u16)val);
		break;
	default:
		outl(data, val);
		break;
	}
	return 0;
}

const struct pci_cfg_ops pci_conf1_ops = {
	.name = "port I/O",
	.read = pci_conf1_read,
	.write = pci_conf1_write,
};

bool pci_conf1_present(void)
{
	u32 saved = inl(PCI_CONF1_ADDRESS_PORT);
	bool ok;

	outl(PCI_CONF1_ADDRESS_PORT, PCI_CONF1_ENABLE);
	ok = inl(PCI_CONF1_ADDRESS_PORT) == PCI_CONF1_ENABLE;
	outl(PCI_CONF1_ADDRESS_PORT, saved);
	return ok;
}
