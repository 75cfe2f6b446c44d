/*
 * PCI in the running kernel: choosing the configuration mechanism and
 * enumerating at boot (pci_init), then what drivers call to use a device:
 * decoding and bus mastering in the command register, and mapping BARs.
 *
 * Mechanism: ECAM for each window of the ACPI MCFG table (4096-byte
 * configuration spaces), unless the command line says pci=nommconf (as
 * Linux does); port I/O (asm/pci.h) for segment 0 when no window covers
 * bus 0 - QEMU's -machine pc has no MCFG.
 */
#include "internal.h"
#include <asm/pci.h>
#include <pagoda/acpi.h>
#include <pagoda/cmdline.h>
#include <pagoda/errno.h>
#include <pagoda/init.h>
#include <pagoda/io.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <mm/memmap.h>

bool pci_range_overlaps_ram(u64 start, u64 len)
{
	const struct memmap *map = kernel_memmap();
	u64 end = start + len;

	for (unsigned int i = 0; i < map->nr; i++) {
		const struct mem_range *r = &map->range[i];

		if (r->use != MEM_NOT_RAM && r->start < end && start < r->end)
			return true;
	}
	return false;
}

/* pci=nommconf on the command line: never use ECAM. */
static bool pci_ecam_disabled(void)
{
	char arg[32];

	return cmdline_value("pci", arg, sizeof(arg)) && !strcmp(arg, "nommconf");
}

/*
 * Add an ECAM root to @roots for each usable MCFG window. Returns whether
 * one covers bus 0 of segment 0 (then port I/O is not needed); sets
 * *seg0_first to the lowest segment-0 bus ECAM decodes (256 if none), below
 * which port I/O serves.
 */
static bool pci_add_ecam_roots(struct list_head *roots, unsigned int *seg0_first)
{
	unsigned int nr;
	const struct acpi_mcfg_window *w = acpi_mcfg_windows(&nr);
	bool bus0 = false;

	*seg0_first = PCI_MAX_BUS;
	if (nr && pci_ecam_disabled()) {
		printk("pci: pci=nommconf: MCFG ignored\n");
		return false;
	}
	for (unsigned int i = 0; i < nr; i++) {
		struct pci_root *root = pci_ecam_root(w[i].base, w[i].segment, w[i].start_bus,
						      w[i].end_bus);

		if (!root)
			continue;
		printk("pci: ECAM at %#llx for segment %04x buses %02x-%02x\n",
		       (unsigned long long)w[i].base, w[i].segment, w[i].start_bus, w[i].end_bus);
		list_add_tail(&root->node, roots);
		if (!w[i].segment) {
			bus0 |= !w[i].start_bus;
			*seg0_first = MIN(*seg0_first, (unsigned int)w[i].start_bus);
		}
	}
	return bus0;
}

/* Port I/O for segment 0 buses 0..@last, when the chipset has it. */
static void pci_add_conf1_root(struct list_head *roots, unsigned int last)
{
	struct pci_root *root;

	if (!pci_conf1_present()) {
		printk("pci: no ECAM window covers bus 0 and port I/O does not answer\n");
		return;
	}
	root = pci_root_alloc(0, 0, (u8)last, PCI_CFG_SPACE_SIZE, &pci_conf1_ops, NULL);
	if (!root)
		return;
	printk("pci: port I/O (0xcf8/0xcfc) for segment 0000 buses 00-%02x\n", last);
	list_add_tail(&root->node, roots);
}

/*
 * Enumerate every root into pci_system and print the listing. A root that
 * runs out of memory keeps what it found; enumeration never fails the
 * boot (a machine without PCI is still a machine).
 */
static int pci_init(void)
{
	LIST_HEAD(roots);
	unsigned int seg0_first;

	if (!pci_add_ecam_roots(&roots, &seg0_first))
		pci_add_conf1_root(&roots, seg0_first - 1);
	while (!list_empty(&roots)) {
		struct pci_root *root = list_first_entry(&roots, struct pci_root, node);
		int n;

		list_del(&root->node);
		n = pci_scan_root(&pci_system, root);
		if (n < 0)
			printk("pci: scan of segment %04x bus %02x stopped: error %d\n",
			       root->segment, root->bus_start, n);
	}
	printk("pci: %u functions on %u buses, %u skipped\n", pci_system.nr_devices,
	       pci_system.nr_buses, pci_system.nr_broken);
	pci_print_devices(&pci_system);
	return 0;
}
subsys_initcall(pci_init);

/* ---- using a device ---- */

int pci_enable_device(struct pci_dev *dev)
{
	u16 set = 0;

	if (dev->broken)
		return -ENODEV;
	for (unsigned int i = 0; i < pci_nr_bars(dev); i++) {
		if (dev->bar[i].flags & PCI_BAR_IO)
			set |= PCI_COMMAND_IO;
		if (dev->bar[i].flags & PCI_BAR_MEM)
			set |= PCI_COMMAND_MEMORY;
	}
	pci_update_config_word(dev, PCI_COMMAND, 0, set);
	return 0;
}

void pci_disable_device(struct pci_dev *dev)
{
	pci_clear_master(dev);
}

void pci_set_master(struct pci_dev *dev)
{
	pci_update_config_word(dev, PCI_COMMAND, 0, PCI_COMMAND_MASTER);
}

void pci_clear_master(struct pci_dev *dev)
{
	pci_update_config_word(dev, PCI_COMMAND, PCI_COMMAND_MASTER, 0);
}

bool pci_clear_master_sync(struct pci_dev *dev)
{
	u16 cmd;

	pci_clear_master(dev);
	/*
	 * A configuration read's completion may not pass the function's
	 * earlier posted writes (PCIe ordering): once it is back, what the
	 * device wrote before it saw the new command register is in memory.
	 */
	if (pci_read_config_word(dev, PCI_COMMAND, &cmd) || cmd == 0xffff)
		return false;		/* no answer: nothing is confirmed */
	return !(cmd & PCI_COMMAND_MASTER);
}

void __iomem *pci_iomap_range(struct pci_dev *dev, int bar, u64 offset, u64 len)
{
	const struct pci_bar *b;

	if (bar < 0 || (unsigned int)bar >= pci_nr_bars(dev)) {
		pci_dev_log(dev, "iomap: no BAR%d\n", bar);
		return NULL;
	}
	b = &dev->bar[bar];
	if (!(b->flags & PCI_BAR_MEM) || !b->size || !b->start) {
		pci_dev_log(dev, "iomap: BAR%d is not an assigned memory BAR\n", bar);
		return NULL;
	}
	if (offset >= b->size) {
		pci_dev_log(dev, "iomap: offset %#llx is past BAR%d's %#llx bytes\n",
			    (unsigned long long)offset, bar, (unsigned long long)b->size);
		return NULL;
	}
	if (!len || len > b->size - offset)
		len = b->size - offset;
	if (pci_range_overlaps_ram(b->start + offset, len)) {
		pci_dev_log(dev, "iomap: BAR%d at %#llx overlaps RAM\n", bar,
			    (unsigned long long)b->start);
		return NULL;
	}
	return ioremap(b->start + offset, len);
}

void __iomem *pci_iomap(struct pci_dev *dev, int bar, u64 maxlen)
{
	return pci_iomap_range(dev, bar, 0, maxlen);
}

void pci_iounmap(struct pci_dev *dev, void __iomem *addr)
{
	iounmap(addr);
}
