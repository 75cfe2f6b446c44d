/*
 * What enumeration found, for people and for tools: lspci's class names,
 * one boot-log line per function, and /proc/bus/pci/devices in Linux's
 * format (drivers/pci/proc.c there: "%02x%02x\t%04x%04x\t%x", then start
 * | flags and size of BARs 0-5 and the ROM as "\t%16llx", then a tab and
 * the driver's name). Host-compilable.
 */
#include "internal.h"
#include <pagoda/printk.h>
#include <pagoda/vsprintf.h>

struct pci_class_name {
	u16 class;		/* class << 8 | subclass */
	const char *name;
};

/* The subclasses lspci names most often; the rest get their base class. */
static const struct pci_class_name pci_subclass_names[] = {
	{ 0x0000, "Non-VGA unclassified device" },
	{ 0x0001, "VGA compatible unclassified device" },
	{ 0x0100, "SCSI storage controller" },
	{ 0x0101, "IDE interface" },
	{ 0x0102, "Floppy disk controller" },
	{ 0x0104, "RAID bus controller" },
	{ 0x0105, "ATA controller" },
	{ 0x0106, "SATA controller" },
	{ 0x0107, "Serial Attached SCSI controller" },
	{ 0x0108, "Non-Volatile memory controller" },
	{ 0x0200, "Ethernet controller" },
	{ 0x0280, "Network controller" },
	{ 0x0300, "VGA compatible controller" },
	{ 0x0302, "3D controller" },
	{ 0x0401, "Multimedia audio controller" },
	{ 0x0403, "Audio device" },
	{ 0x0500, "RAM memory" },
	{ 0x0600, "Host bridge" },
	{ 0x0601, "ISA bridge" },
	{ 0x0604, "PCI bridge" },
	{ 0x0607, "CardBus bridge" },
	{ 0x0700, "Serial controller" },
	{ 0x0880, "System peripheral" },
	{ 0x0c03, "USB controller" },
	{ 0x0c05, "SMBus" },
};

static const char *const pci_base_class_names[] = {
	"Unclassified device", "Mass storage controller", "Network controller",
	"Display controller", "Multimedia controller", "Memory controller", "Bridge",
	"Communication controller", "Generic system peripheral", "Input device controller",
	"Docking station", "Processor", "Serial bus controller", "Wireless controller",
	"Intelligent controller", "Satellite communications controller",
	"Encryption controller", "Signal processing controller", "Processing accelerators",
	"Non-Essential Instrumentation",
};

const char *pci_class_name(u32 class)
{
	u16 sub = (class >> 8) & 0xffff;
	u8 base = class >> 16;

	for (size_t i = 0; i < ARRAY_SIZE(pci_subclass_names); i++)
		if (pci_subclass_names[i].class == sub)
			return pci_subclass_names[i].name;
	if (base < ARRAY_SIZE(pci_base_class_names))
		return pci_base_class_names[base];
	return base == 0xff ? "Unassigned class" : "Unknown class";
}

static const char *pci_cap_name(u8 id)
{
	switch (id) {
	case PCI_CAP_ID_PM:
		return "PM";
	case PCI_CAP_ID_MSI:
		return "MSI";
	case PCI_CAP_ID_MSIX:
		return "MSI-X";
	case PCI_CAP_ID_EXP:
		return "PCIe";
	case PCI_CAP_ID_VNDR:
		return "vendor";
	case PCI_CAP_ID_VPD:
		return "VPD";
	case PCI_CAP_ID_SLOTID:
		return "SlotID";
	case PCI_CAP_ID_PCIX:
		return "PCI-X";
	case PCI_CAP_ID_HT:
		return "HT";
	case PCI_CAP_ID_SHPC:
		return "SHPC";
	case PCI_CAP_ID_SSVID:
		return "SSVID";
	case PCI_CAP_ID_SATA:
		return "SATA";
	case PCI_CAP_ID_AF:
		return "AF";
	default:
		return NULL;
	}
}

unsigned int pci_dev_irq(const struct pci_dev *dev)
{
	if (dev->irq.mode && dev->irq.nvec && dev->irq.vector && dev->irq.vector[0] >= 0)
		return (unsigned int)dev->irq.vector[0];
	if (dev->pin && dev->irq_line != 0xff)
		return dev->irq_line;
	return 0;
}

/* Append to a bounded buffer, counting what would not fit (snprintf style). */
struct pci_text {
	char *buf;
	size_t len, used;
};

__printf(2, 3) static void pci_text_add(struct pci_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->used < t->len ? t->buf + t->used : NULL,
		      t->used < t->len ? t->len - t->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n;
}

static void pci_format_bars(struct pci_text *t, const struct pci_dev *dev)
{
	for (unsigned int i = 0; i < pci_nr_bars(dev); i++) {
		const struct pci_bar *b = &dev->bar[i];

		if (!b->size)
			continue;
		pci_text_add(t, ", BAR%u %s%s %#llx size %#llx", i,
			     b->flags & PCI_BAR_IO ? "io" :
			     b->flags & PCI_BAR_MEM64 ? "mem64" : "mem",
			     b->flags & PCI_BAR_PREFETCH ? " pref" : "",
			     (unsigned long long)b->start, (unsigned long long)b->size);
	}
}

static void pci_format_caps(struct pci_text *t, const struct pci_dev *dev)
{
	unsigned int vendor = 0;

	if (!dev->nr_caps)
		return;
	pci_text_add(t, ", caps");
	for (unsigned int i = 0; i < dev->nr_caps; i++) {
		u8 id = dev->cap_ids[i];
		const char *name = pci_cap_name(id);

		if (id == PCI_CAP_ID_VNDR) {
			vendor++;
			continue;
		}
		if (id == PCI_CAP_ID_MSIX && dev->msix_cap)
			pci_text_add(t, " MSI-X(%u)", dev->msix.table_size);
		else if (name)
			pci_text_add(t, " %s", name);
		else
			pci_text_add(t, " %#04x", id);
	}
	if (vendor)
		pci_text_add(t, " vendor(%u)", vendor);
	if (dev->nr_ext_caps)
		pci_text_add(t, " +%u extended", dev->nr_ext_caps);
}

size_t pci_format_dev(const struct pci_dev *dev, char *buf, size_t len)
{
	struct pci_text t = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	pci_text_add(&t, "%s [%04x:%04x] class %04x %s (rev %02x", dev->name, dev->vendor,
		     dev->device, dev->class >> 8, pci_class_name(dev->class), dev->revision);
	if (dev->subsystem_vendor || dev->subsystem_device)
		pci_text_add(&t, ", subsystem %04x:%04x", dev->subsystem_vendor,
			     dev->subsystem_device);
	pci_text_add(&t, ")");
	if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE || dev->hdr_type == PCI_HEADER_TYPE_CARDBUS)
		pci_text_add(&t, ", buses %02x-%02x%s", dev->secondary, dev->subordinate,
			     dev->bridge_followed ? "" : " (not scanned)");
	pci_format_bars(&t, dev);
	if (dev->pin)
		pci_text_add(&t, ", INT%c line %u", 'A' + dev->pin - 1, dev->irq_line);
	pci_format_caps(&t, dev);
	if (dev->broken)
		pci_text_add(&t, ", skipped (bad %s)", dev->broken);
	return t.used;
}

void pci_print_devices(const struct pci_system *sys)
{
	const struct pci_dev *dev;
	char line[320];

	list_for_each_entry(dev, &sys->devices, node) {
		pci_format_dev(dev, line, sizeof(line));
		printk("pci %s\n", line);
	}
}

/* One /proc/bus/pci/devices line (Linux: show_device in drivers/pci/proc.c). */
static void pci_format_proc_line(struct pci_text *t, const struct pci_dev *dev)
{
	pci_text_add(t, "%02x%02x\t%04x%04x\t%x", dev->bus, dev->devfn, dev->vendor,
		     dev->device, pci_dev_irq(dev));
	for (unsigned int i = 0; i <= PCI_NUM_BARS; i++) {
		const struct pci_bar *b = i < PCI_NUM_BARS ? &dev->bar[i] : NULL;

		pci_text_add(t, "\t%16llx", b && b->size ?
			     (unsigned long long)(b->start | b->raw_flags) : 0ull);
	}
	for (unsigned int i = 0; i <= PCI_NUM_BARS; i++) {
		const struct pci_bar *b = i < PCI_NUM_BARS ? &dev->bar[i] : NULL;

		pci_text_add(t, "\t%16llx", b ? (unsigned long long)b->size : 0ull);
	}
	pci_text_add(t, "\t%s\n", dev->driver ? dev->driver->name : "");
}

size_t pci_format_proc_devices(const struct pci_system *sys, char *buf, size_t len)
{
	struct pci_text t = { buf, len, 0 };
	const struct pci_dev *dev;

	if (len)
		buf[0] = '\0';
	list_for_each_entry(dev, &sys->devices, node)
		pci_format_proc_line(&t, dev);
	return t.used;
}
