/*
 * Capability lists: the linked list in the first 256 bytes of
 * configuration space (PCI 3.0, 6.7) and the extended one of PCI Express
 * at 0x100-0xfff. Both are read from the device, so both are walked as
 * untrusted input: a pointer into the header, past the space, or back to
 * a capability already seen ends the walk and says so (drivers/pci/
 * internal.h). Host-compilable.
 */
#include "internal.h"
#include <pagoda/errno.h>

#define CAP_SLOT(pos)		((pos) / 4 - PCI_STD_HEADER_SIZEOF / 4)	/* 0..47 */
#define EXT_CAP_SLOT(pos)	(((pos) - PCI_EXT_CAP_START) / 4)		/* 0..959 */

const char *pci_cap_end_str(enum pci_cap_end end)
{
	switch (end) {
	case PCI_CAP_END_LOOP:
		return "loops back";
	case PCI_CAP_END_RANGE:
		return "points outside the capability area";
	default:
		return "ends";
	}
}

/* Offset of the register that holds the first pointer of @dev's list. */
static u8 pci_cap_head(const struct pci_dev *dev)
{
	return dev->hdr_type == PCI_HEADER_TYPE_CARDBUS ? PCI_CB_CAPABILITY_LIST
							 : PCI_CAPABILITY_LIST;
}

void pci_cap_iter_init(struct pci_cap_iter *it, const struct pci_dev *dev)
{
	u16 status;

	*it = (struct pci_cap_iter){ .dev = dev };
	if (pci_read_config_word(dev, PCI_STATUS, &status) || status == 0xffff ||
	    !(status & PCI_STATUS_CAP_LIST))
		return;
	pci_read_config_byte(dev, pci_cap_head(dev), &it->next);
}

void pci_cap_iter_from(struct pci_cap_iter *it, const struct pci_dev *dev, u8 pos)
{
	*it = (struct pci_cap_iter){ .dev = dev };
	if (pos >= PCI_STD_HEADER_SIZEOF)
		pci_read_config_byte(dev, pos + PCI_CAP_LIST_NEXT, &it->next);
}

/*
 * Step to the capability it->next points at. The two low bits of a
 * pointer are reserved and ignored (PCI 3.0, 6.7). An id of 0xff is what
 * a function that stopped answering returns: the list ends there.
 */
bool pci_cap_iter_next(struct pci_cap_iter *it)
{
	u8 pos = it->next & ~3u;
	u16 hdr;

	if (!it->next)
		return false;
	if (pos < PCI_STD_HEADER_SIZEOF) {
		it->end = PCI_CAP_END_RANGE;
		it->bad = it->next;
		it->next = 0;
		return false;
	}
	if (it->seen & (1ull << CAP_SLOT(pos))) {
		it->end = PCI_CAP_END_LOOP;
		it->bad = pos;
		it->next = 0;
		return false;
	}
	it->seen |= 1ull << CAP_SLOT(pos);
	if (pci_read_config_word(it->dev, pos, &hdr) || (hdr & 0xff) == 0xff) {
		it->next = 0;
		return false;
	}
	it->pos = pos;
	it->id = hdr & 0xff;
	it->next = hdr >> 8;
	return true;
}

void pci_ext_cap_iter_init(struct pci_ext_cap_iter *it, const struct pci_dev *dev)
{
	*it = (struct pci_ext_cap_iter){ .dev = dev };
	if (dev->root->cfg_size >= PCI_CFG_SPACE_EXP_SIZE && dev->pcie_cap)
		it->next = PCI_EXT_CAP_START;
}

/*
 * Step to the extended capability at it->next. A header of 0 (at 0x100:
 * no extended capabilities) or all-ones ends the list quietly.
 */
bool pci_ext_cap_iter_next(struct pci_ext_cap_iter *it)
{
	u16 pos = it->next;
	unsigned int slot;
	u32 hdr;

	if (!pos)
		return false;
	it->next = 0;
	if (pos < PCI_EXT_CAP_START || pos > PCI_CFG_SPACE_EXP_SIZE - 4) {
		it->end = PCI_CAP_END_RANGE;
		it->bad = pos;
		return false;
	}
	slot = EXT_CAP_SLOT(pos);
	if (it->seen[slot / 64] & (1ull << (slot % 64))) {
		it->end = PCI_CAP_END_LOOP;
		it->bad = pos;
		return false;
	}
	it->seen[slot / 64] |= 1ull << (slot % 64);
	if (pci_read_config_dword(it->dev, pos, &hdr) || hdr == 0 || hdr == 0xffffffffu)
		return false;
	it->pos = pos;
	it->id = PCI_EXT_CAP_ID(hdr);
	it->next = PCI_EXT_CAP_NEXT(hdr);
	return true;
}

/* The first capability @cap the iterator reaches, or 0. */
static u8 pci_cap_iter_find(struct pci_cap_iter *it, int cap)
{
	while (pci_cap_iter_next(it))
		if (it->id == cap)
			return it->pos;
	return 0;
}

u8 pci_find_capability(const struct pci_dev *dev, int cap)
{
	struct pci_cap_iter it;

	pci_cap_iter_init(&it, dev);
	return pci_cap_iter_find(&it, cap);
}

u8 pci_find_next_capability(const struct pci_dev *dev, u8 pos, int cap)
{
	struct pci_cap_iter it;

	pci_cap_iter_from(&it, dev, pos);
	return pci_cap_iter_find(&it, cap);
}

u16 pci_find_ext_capability(const struct pci_dev *dev, int cap)
{
	struct pci_ext_cap_iter it;

	pci_ext_cap_iter_init(&it, dev);
	while (pci_ext_cap_iter_next(&it))
		if (it.id == cap)
			return it.pos;
	return 0;
}

/*
 * Is [offset, offset + len) inside memory BAR @bir of @dev? The BAR must be
 * implemented (not the upper half of a 64-bit one), assigned, and memory.
 */
static bool pci_bar_holds(const struct pci_dev *dev, unsigned int bir, u64 offset, u64 len)
{
	const struct pci_bar *b;

	if (bir >= pci_nr_bars(dev))
		return false;
	b = &dev->bar[bir];
	if (!(b->flags & PCI_BAR_MEM) || !b->size || !b->start)
		return false;
	return offset <= b->size && len <= b->size - offset;
}

int pci_msix_decode(struct pci_dev *dev)
{
	struct pci_msix_info *m = &dev->msix;
	u16 flags;
	u32 table, pba;

	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(dev, dev->msix_cap + PCI_MSIX_TABLE, &table);
	pci_read_config_dword(dev, dev->msix_cap + PCI_MSIX_PBA, &pba);
	m->table_size = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	m->table_bar = table & PCI_MSIX_TABLE_BIR;
	m->table_offset = table & PCI_MSIX_TABLE_OFFSET;
	m->pba_bar = pba & PCI_MSIX_PBA_BIR;
	m->pba_offset = pba & PCI_MSIX_PBA_OFFSET;
	if (!pci_bar_holds(dev, m->table_bar, m->table_offset,
			   (u64)m->table_size * PCI_MSIX_ENTRY_SIZE)) {
		pci_dev_log(dev, "MSI-X table (%u entries at BAR%u+%#x) is not inside a memory BAR: "
			    "MSI-X not used\n", m->table_size, m->table_bar, m->table_offset);
		return -EINVAL;
	}
	if (!pci_bar_holds(dev, m->pba_bar, m->pba_offset,
			   DIV_ROUND_UP((u64)m->table_size, 64) * 8)) {
		pci_dev_log(dev, "MSI-X pending bits (BAR%u+%#x) are not inside a memory BAR: "
			    "MSI-X not used\n", m->pba_bar, m->pba_offset);
		return -EINVAL;
	}
	return 0;
}
