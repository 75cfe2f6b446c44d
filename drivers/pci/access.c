/*
 * Configuration space accessors (include/pagoda/pci.h).
 *
 * Every access goes through its root's mechanism (struct pci_cfg_ops) with
 * pci_lock held, interrupts off. Port I/O needs it: an address written to
 * 0xcf8 and the data moved through 0xcfc are two steps another access must
 * not come between, even one from an interrupt handler. ECAM accesses are
 * single loads and stores and would not, but taking one lock for both
 * keeps read-modify-write sequences (pci_update_config_word) atomic
 * whatever the mechanism, as Linux's pci_lock does.
 *
 * Lock order: pci_lock is a spinning lock taken with interrupts off; the
 * ECAM mechanism maps a bus on first use under it (ioremap_lock, then the
 * page allocator's lock, nest inside). Host-compilable.
 */
#include <pagoda/pci.h>
#include <pagoda/errno.h>
#include <pagoda/spinlock.h>

static spinlock_t pci_lock = SPINLOCK_INIT;

/* Is (where, size) an aligned register inside @root's configuration space? */
static bool pci_cfg_range_ok(const struct pci_root *root, int where, unsigned int size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	if (where < 0 || (where & (int)(size - 1)))
		return false;
	return (unsigned int)where + size <= root->cfg_size;
}

static u32 pci_size_ones(unsigned int size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* One read with pci_lock held; all-ones on any failure. */
static int pci_read_locked(struct pci_root *root, u8 bus, u8 devfn, int where,
			   unsigned int size, u32 *val)
{
	int err;

	*val = pci_size_ones(size);
	if (!pci_cfg_range_ok(root, where, size))
		return -EINVAL;
	err = root->ops->read(root->ctx, root->segment, bus, devfn, (u16)where, size, val);
	if (err)
		*val = pci_size_ones(size);
	else
		*val &= pci_size_ones(size);
	return err;
}

static int pci_write_locked(struct pci_root *root, u8 bus, u8 devfn, int where,
			    unsigned int size, u32 val)
{
	if (!pci_cfg_range_ok(root, where, size))
		return -EINVAL;
	return root->ops->write(root->ctx, root->segment, bus, devfn, (u16)where, size,
				val & pci_size_ones(size));
}

int pci_bus_read_config(struct pci_root *root, u8 bus, u8 devfn, int where,
			unsigned int size, u32 *val)
{
	unsigned long flags;
	int err;

	spin_lock_irqsave(&pci_lock, flags);
	err = pci_read_locked(root, bus, devfn, where, size, val);
	spin_unlock_irqrestore(&pci_lock, flags);
	return err;
}

int pci_bus_write_config(struct pci_root *root, u8 bus, u8 devfn, int where,
			 unsigned int size, u32 val)
{
	unsigned long flags;
	int err;

	spin_lock_irqsave(&pci_lock, flags);
	err = pci_write_locked(root, bus, devfn, where, size, val);
	spin_unlock_irqrestore(&pci_lock, flags);
	return err;
}

int pci_read_config_byte(const struct pci_dev *dev, int where, u8 *val)
{
	u32 v;
	int err = pci_bus_read_config(dev->root, dev->bus, dev->devfn, where, 1, &v);

	*val = (u8)v;
	return err;
}

int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val)
{
	u32 v;
	int err = pci_bus_read_config(dev->root, dev->bus, dev->devfn, where, 2, &v);

	*val = (u16)v;
	return err;
}

int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val)
{
	return pci_bus_read_config(dev->root, dev->bus, dev->devfn, where, 4, val);
}

int pci_write_config_byte(const struct pci_dev *dev, int where, u8 val)
{
	return pci_bus_write_config(dev->root, dev->bus, dev->devfn, where, 1, val);
}

int pci_write_config_word(const struct pci_dev *dev, int where, u16 val)
{
	return pci_bus_write_config(dev->root, dev->bus, dev->devfn, where, 2, val);
}

int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val)
{
	return pci_bus_write_config(dev->root, dev->bus, dev->devfn, where, 4, val);
}

u16 pci_update_config_word(const struct pci_dev *dev, int where, u16 clear, u16 set)
{
	unsigned long flags;
	u32 old;

	spin_lock_irqsave(&pci_lock, flags);
	if (!pci_read_locked(dev->root, dev->bus, dev->devfn, where, 2, &old)) {
		u16 new = (u16)((old & ~clear) | set);

		if (new != old)
			pci_write_locked(dev->root, dev->bus, dev->devfn, where, 2, new);
	}
	spin_unlock_irqrestore(&pci_lock, flags);
	return (u16)old;
}
