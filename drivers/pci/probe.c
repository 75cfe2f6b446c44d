/*
 * Enumeration: every function reachable from a root bus, the buses behind
 * bridges as the firmware numbered them, BAR sizing and the capability
 * scan. Nothing here assigns anything: OVMF (and any PC firmware) has
 * already numbered the buses and placed the BARs and bridge windows, and
 * Pagoda reads what it did.
 *
 * Buses are scanned breadth-first from a queue; a bus is queued at most
 * once (the root's visited bitmap), so a bridge that names a bus already
 * scanned - a loop, or two bridges claiming one bus - is refused, and the
 * scan ends after at most 256 buses whatever the hardware says. A bridge's
 * secondary bus must lie above its own bus and its range inside its
 * parent's (PCI-to-PCI Bridge 1.2, 3.2.5.3); anything else is logged and
 * not followed.
 *
 * Bad input (a BAR that makes no sense, a capability list that loops or
 * points outside) marks the function broken with a message: it stays in
 * the list and the listing, and no driver binds to it.
 *
 * Host-compilable: host tests scan simulated configuration spaces.
 */
#include "internal.h"
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/vsprintf.h>
#include <mm/slab.h>

struct pci_system pci_system = {
	.roots = LIST_HEAD_INIT(pci_system.roots),
	.devices = LIST_HEAD_INIT(pci_system.devices),
};

void pci_dev_log(const struct pci_dev *dev, const char *fmt, ...)
{
	char buf[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("pci %s: %s", dev->name, buf);
}

unsigned int pci_nr_bars(const struct pci_dev *dev)
{
	switch (dev->hdr_type) {
	case PCI_HEADER_TYPE_NORMAL:
		return PCI_NUM_BARS;
	case PCI_HEADER_TYPE_BRIDGE:
		return PCI_BRIDGE_NUM_BARS;
	case PCI_HEADER_TYPE_CARDBUS:
		return 1;	/* the socket/ExCA register block */
	default:
		return 0;
	}
}

void pci_system_init(struct pci_system *sys)
{
	*sys = (struct pci_system){ .nr_devices = 0 };
	list_init(&sys->roots);
	list_init(&sys->devices);
}

struct pci_root *pci_root_alloc(u16 segment, u8 bus_start, u8 bus_end, u16 cfg_size,
				const struct pci_cfg_ops *ops, void *ctx)
{
	struct pci_root *root = kzalloc(sizeof(*root), GFP_KERNEL);

	if (!root)
		return NULL;
	list_init(&root->node);
	root->segment = segment;
	root->bus_start = bus_start;
	root->bus_end = bus_end;
	root->cfg_size = cfg_size;
	root->ops = ops;
	root->ctx = ctx;
	return root;
}

void pci_system_destroy(struct pci_system *sys)
{
	while (!list_empty(&sys->devices)) {
		struct pci_dev *dev = list_first_entry(&sys->devices, struct pci_dev, node);

		list_del(&dev->node);
		kfree(dev);
	}
	while (!list_empty(&sys->roots)) {
		struct pci_root *root = list_first_entry(&sys->roots, struct pci_root, node);

		list_del(&root->node);
		kfree(root);
	}
	sys->nr_devices = sys->nr_buses = sys->nr_broken = 0;
}

/* ---- BARs ---- */

/*
 * Write all-ones to the BAR register at @off, read what sticks, put the
 * original back. Returns the original; *sized gets the read-back.
 */
static u32 pci_bar_probe(struct pci_dev *dev, int off, u32 *sized)
{
	u32 orig;

	pci_read_config_dword(dev, off, &orig);
	pci_write_config_dword(dev, off, 0xffffffffu);
	pci_read_config_dword(dev, off, sized);
	pci_write_config_dword(dev, off, orig);
	return orig;
}

/*
 * The size a BAR's writable address bits give, 0 when none are writable.
 * @mask has all-ones where the register held ones after the all-ones
 * write, over the BAR's full width (bits above a 32-bit BAR set). The
 * writable bits must be one contiguous run up to the top: a hole means the
 * register is not a BAR a sane device would have (*bad is set).
 */
static u64 pci_bar_size_from_mask(u64 mask, bool *bad)
{
	u64 size;

	*bad = false;
	if (!mask)
		return 0;
	size = mask & -mask;
	if ((mask | (size - 1)) != ~0ull) {
		*bad = true;
		return 0;
	}
	return size;
}

/* An I/O BAR from its original value and read-back. 0, or -EINVAL. */
static int pci_decode_io_bar(struct pci_dev *dev, unsigned int i, u32 orig, u32 sized)
{
	u32 mask = sized & PCI_BASE_ADDRESS_IO_MASK;
	struct pci_bar *b = &dev->bar[i];
	bool bad;

	if (!mask)
		return 0;			/* not implemented */
	if (!(mask & 0xffff0000u))
		mask |= 0xffff0000u;		/* a 16-bit decoder: upper bits read 0 */
	b->size = pci_bar_size_from_mask(0xffffffff00000000ull | mask, &bad);
	if (bad) {
		pci_dev_log(dev, "BAR%u: I/O size bits %#x are not contiguous\n", i, sized);
		return -EINVAL;
	}
	b->start = orig & PCI_BASE_ADDRESS_IO_MASK;
	b->flags = PCI_BAR_IO;
	b->raw_flags = orig & ~PCI_BASE_ADDRESS_IO_MASK;
	return 0;
}

/*
 * A memory BAR; a 64-bit one also sizes the next slot (its upper half).
 * Returns the number of extra slots used (0 or 1) or -EINVAL.
 */
static int pci_decode_mem_bar(struct pci_dev *dev, unsigned int i, unsigned int nr,
			      u32 orig, u32 sized)
{
	u32 type = orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK;
	struct pci_bar *b = &dev->bar[i];
	u32 orig_hi = 0, sized_hi = 0xffffffffu;
	bool bad;

	if (type == PCI_BASE_ADDRESS_MEM_TYPE_MASK) {
		pci_dev_log(dev, "BAR%u: reserved memory type (%#x)\n", i, orig);
		return -EINVAL;
	}
	if (type == PCI_BASE_ADDRESS_MEM_TYPE_64) {
		if (i + 1 >= nr) {
			pci_dev_log(dev, "BAR%u: 64-bit BAR in the last slot\n", i);
			return -EINVAL;
		}
		orig_hi = pci_bar_probe(dev, PCI_BASE_ADDRESS_0 + 4 * (i + 1), &sized_hi);
	} else if (!(sized & PCI_BASE_ADDRESS_MEM_MASK)) {
		return 0;			/* no writable address bit: not implemented */
	}
	b->size = pci_bar_size_from_mask((u64)sized_hi << 32 | (sized & PCI_BASE_ADDRESS_MEM_MASK),
					 &bad);
	if (bad) {
		pci_dev_log(dev, "BAR%u: memory size bits %#x:%08x are not contiguous\n", i,
			    sized_hi, sized);
		b->size = 0;
		return -EINVAL;
	}
	if (b->size) {
		b->start = (u64)orig_hi << 32 | (orig & PCI_BASE_ADDRESS_MEM_MASK);
		b->flags = PCI_BAR_MEM;
		if (type == PCI_BASE_ADDRESS_MEM_TYPE_64)
			b->flags |= PCI_BAR_MEM64;
		if (orig & PCI_BASE_ADDRESS_MEM_PREFETCH)
			b->flags |= PCI_BAR_PREFETCH;
		b->raw_flags = orig & ~PCI_BASE_ADDRESS_MEM_MASK;
	}
	return type == PCI_BASE_ADDRESS_MEM_TYPE_64;
}

/*
 * Size BAR slot @i. Returns the extra slots it used (1 for a 64-bit BAR)
 * or -EINVAL for a register that makes no sense.
 */
static int pci_size_bar(struct pci_dev *dev, unsigned int i, unsigned int nr)
{
	u32 sized, orig = pci_bar_probe(dev, PCI_BASE_ADDRESS_0 + 4 * i, &sized);

	if (orig == 0xffffffffu && sized == 0xffffffffu) {
		pci_dev_log(dev, "BAR%u reads all-ones: the function does not answer\n", i);
		return -EINVAL;
	}
	if (!sized)
		return 0;
	if (orig & PCI_BASE_ADDRESS_SPACE_IO)
		return pci_decode_io_bar(dev, i, orig, sized);
	return pci_decode_mem_bar(dev, i, nr, orig, sized);
}

/*
 * Size every BAR of @dev with its decoding turned off in the command
 * register, so that the all-ones pattern written to a BAR never makes the
 * function answer at a bogus address; the command register is restored.
 * Host bridges keep decoding on (their BARs, when they have any, may map
 * something the platform uses; Linux does the same). The ROM BAR is not
 * sized. Returns 0 or -EINVAL (a BAR that makes no sense).
 */
static int pci_read_bases(struct pci_dev *dev)
{
	unsigned int nr = pci_nr_bars(dev);
	bool host = (dev->class >> 8) == PCI_CLASS_BRIDGE_HOST;
	u16 cmd, decode;
	int err = 0;

	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	decode = host ? 0 : cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	if (decode)
		pci_write_config_word(dev, PCI_COMMAND, cmd & ~decode);
	for (unsigned int i = 0; i < nr && !err; i++) {
		int used = pci_size_bar(dev, i, nr);

		if (used < 0)
			err = used;
		else
			i += (unsigned int)used;
	}
	if (decode)
		pci_write_config_word(dev, PCI_COMMAND, cmd);
	return err;
}

/* ---- capabilities ---- */

/*
 * Walk @dev's capability lists once, remembering where MSI, MSI-X and the
 * PCI Express capability are and the ids in order. A list that loops or
 * points outside marks the function broken. An MSI-X table that lies
 * outside its BAR only turns MSI-X off (MSI may still work).
 */
static void pci_scan_caps(struct pci_dev *dev)
{
	struct pci_cap_iter it;
	struct pci_ext_cap_iter eit;

	pci_cap_iter_init(&it, dev);
	while (pci_cap_iter_next(&it)) {
		if (dev->nr_caps < ARRAY_SIZE(dev->cap_ids))
			dev->cap_ids[dev->nr_caps++] = it.id;
		if (it.id == PCI_CAP_ID_MSI && !dev->msi_cap)
			dev->msi_cap = it.pos;
		else if (it.id == PCI_CAP_ID_MSIX && !dev->msix_cap)
			dev->msix_cap = it.pos;
		else if (it.id == PCI_CAP_ID_EXP && !dev->pcie_cap)
			dev->pcie_cap = it.pos;
		else if (it.id == PCI_CAP_ID_VNDR)
			dev->nr_vendor_caps++;
	}
	if (it.end != PCI_CAP_END_OK) {
		pci_dev_log(dev, "capability list %s at %#x: function skipped\n",
			    pci_cap_end_str(it.end), it.bad);
		dev->broken = "capability list";
		return;
	}
	pci_ext_cap_iter_init(&eit, dev);
	while (pci_ext_cap_iter_next(&eit))
		dev->nr_ext_caps++;
	if (eit.end != PCI_CAP_END_OK) {
		pci_dev_log(dev, "extended capability list %s at %#x: function skipped\n",
			    pci_cap_end_str(eit.end), eit.bad);
		dev->broken = "extended capability list";
		return;
	}
	if (dev->msix_cap && pci_msix_decode(dev))
		dev->msix_cap = 0;
}

/* ---- functions ---- */

/* Read the identification and interrupt registers into a new @dev. */
static void pci_read_header(struct pci_dev *dev, u32 id, u8 hdr)
{
	u32 class_rev;

	dev->vendor = id & 0xffff;
	dev->device = id >> 16;
	dev->hdr_type = hdr & PCI_HEADER_TYPE_MASK;
	dev->multifunction = hdr & PCI_HEADER_TYPE_MFD;
	pci_read_config_dword(dev, PCI_REVISION_ID, &class_rev);
	dev->revision = class_rev & 0xff;
	dev->class = class_rev >> 8;
	if (dev->hdr_type == PCI_HEADER_TYPE_NORMAL) {
		pci_read_config_word(dev, PCI_SUBSYSTEM_VENDOR_ID, &dev->subsystem_vendor);
		pci_read_config_word(dev, PCI_SUBSYSTEM_ID, &dev->subsystem_device);
	}
	if (dev->hdr_type <= PCI_HEADER_TYPE_CARDBUS) {
		pci_read_config_byte(dev, PCI_INTERRUPT_PIN, &dev->pin);
		pci_read_config_byte(dev, PCI_INTERRUPT_LINE, &dev->irq_line);
	}
	if (dev->pin > 4) {
		pci_dev_log(dev, "interrupt pin %u does not exist: taken as none\n", dev->pin);
		dev->pin = 0;
	}
	if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE ||
	    dev->hdr_type == PCI_HEADER_TYPE_CARDBUS) {
		pci_read_config_byte(dev, PCI_SECONDARY_BUS, &dev->secondary);
		pci_read_config_byte(dev, PCI_SUBORDINATE_BUS, &dev->subordinate);
	}
}

/* Insert @dev into @sys->devices in (segment, bus, devfn) order. */
static void pci_add_device(struct pci_system *sys, struct pci_dev *dev)
{
	u32 key = (u32)dev->root->segment << 16 | (u32)dev->bus << 8 | dev->devfn;
	struct pci_dev *pos;

	list_for_each_entry(pos, &sys->devices, node) {
		u32 k = (u32)pos->root->segment << 16 | (u32)pos->bus << 8 | pos->devfn;

		if (k > key)
			break;
	}
	list_add_tail(&dev->node, &pos->node);
	sys->nr_devices++;
	if (dev->broken)
		sys->nr_broken++;
}

/*
 * Probe the function at (@bus, @devfn). Returns 0 when nothing answers
 * (vendor 0xffff, or 0x0000 as some bridges return), 1 with the function
 * added to @sys (*out set), or -ENOMEM.
 */
static int pci_scan_function(struct pci_system *sys, struct pci_root *root, u8 bus, u8 devfn,
			     struct pci_dev *bridge, struct pci_dev **out)
{
	struct pci_dev *dev;
	u32 id, hdr;

	*out = NULL;
	if (pci_bus_read_config(root, bus, devfn, PCI_VENDOR_ID, 4, &id))
		return 0;
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return 0;
	pci_bus_read_config(root, bus, devfn, PCI_HEADER_TYPE, 1, &hdr);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->root = root;
	dev->bus = bus;
	dev->devfn = devfn;
	dev->bridge = bridge;
	snprintf(dev->name, sizeof(dev->name), "%04x:%02x:%02x.%u", root->segment, bus,
		 PCI_SLOT(devfn), PCI_FUNC(devfn));
	pci_read_header(dev, id, (u8)hdr);
	if (dev->hdr_type > PCI_HEADER_TYPE_CARDBUS) {
		pci_dev_log(dev, "unknown header type %#x: function skipped\n", dev->hdr_type);
		dev->broken = "header type";
	}
	if (!dev->broken && pci_read_bases(dev))
		dev->broken = "BAR";
	if (!dev->broken)
		pci_scan_caps(dev);
	pci_add_device(sys, dev);
	*out = dev;
	return 1;
}

/* ---- buses and bridges ---- */

struct pci_bus_work {
	u8 bus;
	u8 limit;		/* highest bus number allowed below this bus */
	struct pci_dev *bridge;	/* the bridge leading here, NULL for the root bus */
};

struct pci_scan {
	struct pci_system *sys;
	struct pci_root *root;
	struct pci_bus_work queue[PCI_MAX_BUS];
	unsigned int head, tail;
	int found;
};

static bool pci_bus_visited(const struct pci_root *root, u8 bus)
{
	return root->visited[bus / 64] & (1ull << (bus % 64));
}

static void pci_queue_bus(struct pci_scan *s, u8 bus, u8 limit, struct pci_dev *bridge)
{
	s->root->visited[bus / 64] |= 1ull << (bus % 64);
	s->queue[s->tail++] = (struct pci_bus_work){ bus, limit, bridge };
}

/*
 * Follow the PCI-to-PCI bridge @dev found on a bus whose children may use
 * buses up to @limit: queue its secondary bus unless its numbers make no
 * sense or the bus was already scanned. CardBus bridges are listed only.
 */
static void pci_follow_bridge(struct pci_scan *s, struct pci_dev *dev, u8 limit)
{
	u8 sec = dev->secondary, sub = dev->subordinate;

	if (dev->hdr_type == PCI_HEADER_TYPE_CARDBUS) {
		pci_dev_log(dev, "CardBus bridge: bus %02x not scanned\n", sec);
		return;
	}
	if (!sec && !sub) {
		pci_dev_log(dev, "bridge without bus numbers (not configured by the firmware): "
			    "not followed\n");
		return;
	}
	if (sec <= dev->bus || sub < sec || sub > limit) {
		pci_dev_log(dev, "bridge to buses %02x-%02x refused: not inside %02x-%02x\n",
			    sec, sub, dev->bus + 1, limit);
		return;
	}
	if (pci_bus_visited(s->root, sec)) {
		pci_dev_log(dev, "bridge to bus %02x refused: that bus was already scanned "
			    "(a loop)\n", sec);
		return;
	}
	dev->bridge_followed = true;
	pci_queue_bus(s, sec, sub, dev);
}

/* Scan the functions of one slot: all eight when function 0 says multi-function. */
static int pci_scan_slot(struct pci_scan *s, const struct pci_bus_work *w, u8 slot)
{
	for (u8 fn = 0; fn < 8; fn++) {
		struct pci_dev *dev;
		int ret = pci_scan_function(s->sys, s->root, w->bus, PCI_DEVFN(slot, fn),
					    w->bridge, &dev);

		if (ret < 0)
			return ret;
		if (!ret) {
			if (fn == 0)
				return 0;
			continue;
		}
		s->found++;
		if (fn == 0 && !dev->multifunction)
			return 0;
	}
	return 0;
}

/* Scan every slot of bus @w, then follow the bridges found on it. */
static int pci_scan_bus(struct pci_scan *s, const struct pci_bus_work *w)
{
	struct pci_dev *dev;
	int err;

	s->sys->nr_buses++;
	for (u8 slot = 0; slot < 32; slot++) {
		err = pci_scan_slot(s, w, slot);
		if (err)
			return err;
	}
	list_for_each_entry(dev, &s->sys->devices, node)
		if (dev->root == s->root && dev->bus == w->bus && !dev->broken &&
		    (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE ||
		     dev->hdr_type == PCI_HEADER_TYPE_CARDBUS))
			pci_follow_bridge(s, dev, w->limit);
	return 0;
}

int pci_scan_root(struct pci_system *sys, struct pci_root *root)
{
	struct pci_scan *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int err = 0, found;

	if (!s)
		return -ENOMEM;
	list_add_tail(&root->node, &sys->roots);
	s->sys = sys;
	s->root = root;
	pci_queue_bus(s, root->bus_start, root->bus_end, NULL);
	while (s->head < s->tail && !err)
		err = pci_scan_bus(s, &s->queue[s->head++]);
	found = s->found;
	kfree(s);
	return err ? err : found;
}

/* ---- lookups ---- */

struct pci_dev *pci_find_slot(u16 segment, u8 bus, u8 devfn)
{
	struct pci_dev *dev;

	for_each_pci_dev(dev)
		if (dev->root->segment == segment && dev->bus == bus && dev->devfn == devfn)
			return dev;
	return NULL;
}

/* The device after @from (the first if NULL) in the list, or NULL at the end. */
static struct pci_dev *pci_next_dev(struct pci_dev *from)
{
	struct list_head *next = from ? from->node.next : pci_system.devices.next;

	return next == &pci_system.devices ? NULL : list_entry(next, struct pci_dev, node);
}

struct pci_dev *pci_find_device(u32 vendor, u32 device, struct pci_dev *from)
{
	for (struct pci_dev *dev = pci_next_dev(from); dev; dev = pci_next_dev(dev))
		if ((vendor == PCI_ANY_ID || dev->vendor == vendor) &&
		    (device == PCI_ANY_ID || dev->device == device))
			return dev;
	return NULL;
}

struct pci_dev *pci_find_class(u32 class, struct pci_dev *from)
{
	for (struct pci_dev *dev = pci_next_dev(from); dev; dev = pci_next_dev(dev))
		if (dev->class == class)
			return dev;
	return NULL;
}
