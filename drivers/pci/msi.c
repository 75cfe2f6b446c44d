/*
 * Message-signalled interrupts: MSI-X, with MSI as the fallback (PCI 3.0
 * 6.8; PCIe Base 6.1.4). A message is a write of the data word to the
 * address that the interrupt layer composes for a CPU vector
 * (irq_msi_compose: the local APIC's window at 0xfee00000), so the device
 * needs bus mastering to send it: pci_alloc_irq_vectors() turns it on.
 *
 * MSI-X: the table (16 bytes per entry: address, data, vector control) and
 * the pending-bit array live in memory BARs, located at enumeration and
 * checked against the BARs (pci_msix_decode). Entries are programmed only
 * while masked, as the specification requires; enabling happens with the
 * function mask set, every entry masked, and the function mask is released
 * once that is so.
 *
 * MSI: one vector. Several MSI vectors would have to be a contiguous,
 * aligned block of CPU vectors; without interrupt remapping Linux does not
 * give x86 functions more than one either.
 *
 * The state (dev->irq) belongs to the driver bound to the device; these
 * calls are made from its task context, one at a time for a device.
 * pci_irq_mask()/pci_irq_unmask() may also come from its interrupt handler.
 */
#include "internal.h"
#include <pagoda/irq.h>
#include <asm/io.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <mm/slab.h>

static void __iomem *pci_msix_entry(const struct pci_dev *dev, unsigned int nr)
{
	return (u8 __iomem *)dev->irq.msix_table + nr * PCI_MSIX_ENTRY_SIZE;
}

static void pci_msix_entry_set_mask(const struct pci_dev *dev, unsigned int nr, bool masked)
{
	void __iomem *ctrl = (u8 __iomem *)pci_msix_entry(dev, nr) + PCI_MSIX_ENTRY_VECTOR_CTRL;
	u32 v = readl(ctrl);

	v = masked ? v | PCI_MSIX_ENTRY_CTRL_MASKBIT : v & ~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	writel(v, ctrl);
	readl(ctrl);		/* the write has reached the device */
}

static void pci_msix_unmap(struct pci_dev *dev)
{
	if (dev->irq.msix_table)
		pci_iounmap(dev, dev->irq.msix_table);
	if (dev->irq.msix_pba)
		pci_iounmap(dev, dev->irq.msix_pba);
	dev->irq.msix_table = dev->irq.msix_pba = NULL;
}

/*
 * Map the MSI-X table and pending bits, enable MSI-X under the function
 * mask, mask every entry of the table (the firmware may have left some
 * open), then lift the function mask. 0 or -ENOMEM.
 */
static int pci_msix_setup(struct pci_dev *dev)
{
	const struct pci_msix_info *m = &dev->msix;
	int flags = dev->msix_cap + PCI_MSIX_FLAGS;

	dev->irq.msix_table = pci_iomap_range(dev, m->table_bar, m->table_offset,
					      (u64)m->table_size * PCI_MSIX_ENTRY_SIZE);
	dev->irq.msix_pba = pci_iomap_range(dev, m->pba_bar, m->pba_offset,
					    DIV_ROUND_UP((u64)m->table_size, 64) * 8);
	if (!dev->irq.msix_table || !dev->irq.msix_pba) {
		pci_msix_unmap(dev);
		return -ENOMEM;
	}
	pci_update_config_word(dev, PCI_COMMAND, 0, PCI_COMMAND_MEMORY);
	pci_update_config_word(dev, flags, 0, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned int i = 0; i < m->table_size; i++)
		pci_msix_entry_set_mask(dev, i, true);
	pci_update_config_word(dev, flags, PCI_MSIX_FLAGS_MASKALL, 0);
	return 0;
}

/* Grant @nvec vectors in @mode: the vector array, all unrequested. */
static int pci_irq_state_init(struct pci_dev *dev, unsigned int mode, unsigned int nvec)
{
	dev->irq.vector = kmalloc(nvec * sizeof(int), GFP_KERNEL);
	if (!dev->irq.vector)
		return -ENOMEM;
	for (unsigned int i = 0; i < nvec; i++)
		dev->irq.vector[i] = -1;
	dev->irq.mode = mode;
	dev->irq.nvec = nvec;
	return 0;
}

int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs, unsigned int max_vecs,
			  unsigned int flags)
{
	int err;

	if (!min_vecs || min_vecs > max_vecs || dev->irq.mode || dev->broken)
		return -EINVAL;
	if ((flags & PCI_IRQ_MSIX) && dev->msix_cap && dev->msix.table_size >= min_vecs) {
		unsigned int nvec = MIN(max_vecs, (unsigned int)dev->msix.table_size);

		err = pci_irq_state_init(dev, PCI_IRQ_MSIX, nvec);
		if (!err)
			err = pci_msix_setup(dev);
		if (err) {
			kfree(dev->irq.vector);
			dev->irq = (struct pci_irq_state){ 0 };
			return err;
		}
	} else if ((flags & PCI_IRQ_MSI) && dev->msi_cap && min_vecs == 1) {
		err = pci_irq_state_init(dev, PCI_IRQ_MSI, 1);
		if (err)
			return err;
	} else {
		return (dev->msix_cap && (flags & PCI_IRQ_MSIX)) ||
		       (dev->msi_cap && (flags & PCI_IRQ_MSI)) ? -ENOSPC : -ENODEV;
	}
	pci_update_config_word(dev, PCI_COMMAND, 0, PCI_COMMAND_INTX_DISABLE);
	pci_set_master(dev);
	return (int)dev->irq.nvec;
}

/* Program and enable the function's single MSI message with @msg. */
static void pci_msi_program(struct pci_dev *dev, const struct msi_msg *msg)
{
	int cap = dev->msi_cap;
	u16 flags;

	pci_read_config_word(dev, cap + PCI_MSI_FLAGS, &flags);
	pci_update_config_word(dev, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 0);
	pci_write_config_dword(dev, cap + PCI_MSI_ADDRESS_LO, (u32)msg->address);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		pci_write_config_dword(dev, cap + PCI_MSI_ADDRESS_HI, (u32)(msg->address >> 32));
		pci_write_config_word(dev, cap + PCI_MSI_DATA_64, (u16)msg->data);
	} else {
		pci_write_config_word(dev, cap + PCI_MSI_DATA_32, (u16)msg->data);
	}
	/* one message (QSIZE 0), enabled */
	pci_update_config_word(dev, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_QSIZE, PCI_MSI_FLAGS_ENABLE);
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		pci_irq_unmask(dev, 0);
}

int pci_request_irq(struct pci_dev *dev, unsigned int nr, irq_handler_t fn, void *data,
		    const char *name)
{
	struct msi_msg msg;
	int vector;

	if (!dev->irq.mode || nr >= dev->irq.nvec || dev->irq.vector[nr] >= 0)
		return -EINVAL;
	vector = irq_vector_alloc(fn, data, name);
	if (vector < 0)
		return vector;
	irq_msi_compose(vector, &msg);
	dev->irq.vector[nr] = vector;
	if (dev->irq.mode == PCI_IRQ_MSI) {
		pci_msi_program(dev, &msg);
		return 0;
	}
	/* the entry is masked: writing it is allowed */
	writel((u32)msg.address, (u8 __iomem *)pci_msix_entry(dev, nr) + PCI_MSIX_ENTRY_LOWER_ADDR);
	writel((u32)(msg.address >> 32),
	       (u8 __iomem *)pci_msix_entry(dev, nr) + PCI_MSIX_ENTRY_UPPER_ADDR);
	writel(msg.data, (u8 __iomem *)pci_msix_entry(dev, nr) + PCI_MSIX_ENTRY_DATA);
	pci_msix_entry_set_mask(dev, nr, false);
	return 0;
}

void pci_free_irq(struct pci_dev *dev, unsigned int nr)
{
	if (!dev->irq.mode || nr >= dev->irq.nvec || dev->irq.vector[nr] < 0)
		return;
	if (dev->irq.mode == PCI_IRQ_MSIX)
		pci_msix_entry_set_mask(dev, nr, true);
	else
		pci_update_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 0);
	irq_vector_free(dev->irq.vector[nr]);
	dev->irq.vector[nr] = -1;
}

void pci_free_irq_vectors(struct pci_dev *dev)
{
	if (!dev->irq.mode)
		return;
	for (unsigned int i = 0; i < dev->irq.nvec; i++)
		pci_free_irq(dev, i);
	if (dev->irq.mode == PCI_IRQ_MSIX) {
		pci_update_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS,
				       PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
		pci_msix_unmap(dev);
	}
	pci_update_config_word(dev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 0);
	kfree(dev->irq.vector);
	dev->irq = (struct pci_irq_state){ 0 };
}

int pci_irq_vector(const struct pci_dev *dev, unsigned int nr)
{
	if (!dev->irq.mode || nr >= dev->irq.nvec || dev->irq.vector[nr] < 0)
		return -EINVAL;
	return dev->irq.vector[nr];
}

/* Set or clear MSI's per-vector mask bit 0; -EINVAL without the feature. */
static int pci_msi_set_mask(struct pci_dev *dev, bool masked)
{
	u16 flags;
	int reg;

	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &flags);
	if (!(flags & PCI_MSI_FLAGS_MASKBIT))
		return -EINVAL;
	reg = dev->msi_cap + (flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
	pci_update_config_word(dev, reg, masked ? 0 : 1, masked ? 1 : 0);
	return 0;
}

int pci_irq_mask(struct pci_dev *dev, unsigned int nr)
{
	if (!dev->irq.mode || nr >= dev->irq.nvec)
		return -EINVAL;
	if (dev->irq.mode == PCI_IRQ_MSI)
		return pci_msi_set_mask(dev, true);
	pci_msix_entry_set_mask(dev, nr, true);
	return 0;
}

int pci_irq_unmask(struct pci_dev *dev, unsigned int nr)
{
	if (!dev->irq.mode || nr >= dev->irq.nvec)
		return -EINVAL;
	if (dev->irq.mode == PCI_IRQ_MSI)
		return pci_msi_set_mask(dev, false);
	pci_msix_entry_set_mask(dev, nr, false);
	return 0;
}

bool pci_msix_pending(struct pci_dev *dev, unsigned int nr)
{
	const u8 __iomem *pba = dev->irq.msix_pba;

	if (dev->irq.mode != PCI_IRQ_MSIX || nr >= dev->irq.nvec)
		return false;
	return readl(pba + (nr / 32) * 4) & (1u << (nr % 32));
}

void pci_msix_function_mask(struct pci_dev *dev)
{
	if (dev->irq.mode == PCI_IRQ_MSIX)
		pci_update_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, 0,
				       PCI_MSIX_FLAGS_MASKALL);
}

void pci_msix_function_unmask(struct pci_dev *dev)
{
	if (dev->irq.mode == PCI_IRQ_MSIX)
		pci_update_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS,
				       PCI_MSIX_FLAGS_MASKALL, 0);
}
