/*
 * The modern virtio PCI transport (include/pagoda/virtio_pci.h;
 * docs/virtio.md): capability discovery and mapping, the status
 * handshake, feature words, device configuration, queue programming,
 * MSI-X vector routing and doorbells.
 *
 * Capabilities are believed only as far as they make sense: a structure
 * is used when its BAR is an assigned memory BAR, its range lies inside
 * the BAR and it is long enough for the fields we touch; otherwise the
 * next capability of the same type is tried (4.1.4.1: the driver uses the
 * first one it can), and if none is usable the device is refused with a
 * message naming the structure.
 */
#include <pagoda/virtio_pci.h>
#include <pagoda/virtio.h>
#include <pagoda/errno.h>
#include <pagoda/pci.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <asm/io.h>

#define MS	1000000ull

/* One vendor-specific capability as the device describes it. */
struct vp_cap {
	u8 pos;		/* in configuration space; 0: none found */
	u8 type, bar;
	u32 offset, length;
};

static const char *const vp_cap_names[] = {
	[VIRTIO_PCI_CAP_COMMON_CFG] = "common configuration",
	[VIRTIO_PCI_CAP_NOTIFY_CFG] = "notification",
	[VIRTIO_PCI_CAP_ISR_CFG] = "ISR status",
	[VIRTIO_PCI_CAP_DEVICE_CFG] = "device configuration",
};

/* Read the capability at @pos. False if it is too short to be a virtio one. */
static bool vp_read_cap(struct pci_dev *pci, u8 pos, struct vp_cap *cap)
{
	u8 len = 0;

	pci_read_config_byte(pci, pos + VIRTIO_PCI_CAP_LEN_FIELD, &len);
	if (len < VIRTIO_PCI_CAP_SIZE)
		return false;
	cap->pos = pos;
	pci_read_config_byte(pci, pos + VIRTIO_PCI_CAP_TYPE_FIELD, &cap->type);
	pci_read_config_byte(pci, pos + VIRTIO_PCI_CAP_BAR_FIELD, &cap->bar);
	pci_read_config_dword(pci, pos + VIRTIO_PCI_CAP_OFFSET_FIELD, &cap->offset);
	pci_read_config_dword(pci, pos + VIRTIO_PCI_CAP_LENGTH_FIELD, &cap->length);
	return true;
}

/* Can we map @cap, with at least @min bytes? Says why not. */
static bool vp_cap_usable(struct pci_dev *pci, const struct vp_cap *cap, u32 min)
{
	const char *why = NULL;

	if (cap->bar >= PCI_NUM_BARS)
		why = "names no BAR";
	else if (!(pci->bar[cap->bar].flags & PCI_BAR_MEM) || !pci->bar[cap->bar].start)
		why = "is not in an assigned memory BAR";
	else if (cap->length < min)
		why = "is too short";
	else if ((u64)cap->offset + cap->length > pci->bar[cap->bar].size)
		why = "runs past the end of its BAR";
	if (why)
		printk("virtio-pci %s: %s structure at cap %#x (BAR%u + %#x, %#x bytes) %s\n",
		       pci->name, vp_cap_names[cap->type], cap->pos, cap->bar, cap->offset,
		       cap->length, why);
	return !why;
}

/* The first usable capability of @type with at least @min bytes; pos 0 if none. */
static struct vp_cap vp_find_cap(struct pci_dev *pci, u8 type, u32 min)
{
	struct vp_cap cap = { 0 };
	u8 pos = pci_find_capability(pci, PCI_CAP_ID_VNDR);

	for (; pos; pos = pci_find_next_capability(pci, pos, PCI_CAP_ID_VNDR))
		if (vp_read_cap(pci, pos, &cap) && cap.type == type &&
		    vp_cap_usable(pci, &cap, min))
			return cap;
	return (struct vp_cap){ 0 };
}

static void __iomem *vp_map(struct pci_dev *pci, const struct vp_cap *cap)
{
	return pci_iomap_range(pci, cap->bar, cap->offset, cap->length);
}

void vp_modern_remove(struct virtio_pci_device *vp)
{
	void __iomem **maps[] = { &vp->common, &vp->isr, &vp->device, &vp->notify };

	for (unsigned int i = 0; i < ARRAY_SIZE(maps); i++) {
		if (*maps[i])
			pci_iounmap(vp->pci, *maps[i]);
		*maps[i] = NULL;
	}
}

int vp_modern_probe(struct virtio_pci_device *vp, struct pci_dev *pci)
{
	struct vp_cap common = vp_find_cap(pci, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_SIZE);
	struct vp_cap notify = vp_find_cap(pci, VIRTIO_PCI_CAP_NOTIFY_CFG, 2);
	struct vp_cap isr = vp_find_cap(pci, VIRTIO_PCI_CAP_ISR_CFG, 1);
	struct vp_cap device = vp_find_cap(pci, VIRTIO_PCI_CAP_DEVICE_CFG, 1);
	const struct vp_cap *need[] = { &common, &notify, &isr };
	u8 cap_len = 0;

	*vp = (struct virtio_pci_device){ .pci = pci };
	for (unsigned int i = 0; i < ARRAY_SIZE(need); i++) {
		if (!need[i]->pos) {
			printk("virtio-pci %s: no usable %s structure\n", pci->name,
			       vp_cap_names[i + 1]);
			return -ENODEV;
		}
	}
	pci_read_config_byte(pci, notify.pos + VIRTIO_PCI_CAP_LEN_FIELD, &cap_len);
	if (cap_len < VIRTIO_PCI_NOTIFY_CAP_SIZE) {
		printk("virtio-pci %s: notification capability too short (%u bytes)\n",
		       pci->name, cap_len);
		return -ENODEV;
	}
	pci_read_config_dword(pci, notify.pos + VIRTIO_PCI_NOTIFY_MULT_FIELD,
			      &vp->notify_off_multiplier);
	vp->common = vp_map(pci, &common);
	vp->notify = vp_map(pci, &notify);
	vp->isr = vp_map(pci, &isr);
	if (device.pos)
		vp->device = vp_map(pci, &device);
	if (!vp->common || !vp->notify || !vp->isr || (device.pos && !vp->device)) {
		vp_modern_remove(vp);
		return -ENOMEM;
	}
	vp->notify_len = notify.length;
	vp->device_len = device.pos ? device.length : 0;
	vp->num_queues = readw(vp->common + VIRTIO_PCI_COMMON_NUMQ);
	return 0;
}

u8 vp_get_status(struct virtio_pci_device *vp)
{
	return readb(vp->common + VIRTIO_PCI_COMMON_STATUS);
}

void vp_add_status(struct virtio_pci_device *vp, u8 bits)
{
	writeb(vp_get_status(vp) | bits, vp->common + VIRTIO_PCI_COMMON_STATUS);
}

int vp_reset(struct virtio_pci_device *vp, u64 timeout_ns)
{
	u64 deadline = time_ns() + timeout_ns;

	writeb(0, vp->common + VIRTIO_PCI_COMMON_STATUS);
	while (vp_get_status(vp)) {
		if (time_ns() > deadline)
			return -ETIMEDOUT;
		sleep_until_ns(time_ns() + MS);
	}
	return 0;
}

u64 vp_get_features(struct virtio_pci_device *vp)
{
	u64 f;

	writel(0, vp->common + VIRTIO_PCI_COMMON_DFSELECT);
	f = readl(vp->common + VIRTIO_PCI_COMMON_DF);
	writel(1, vp->common + VIRTIO_PCI_COMMON_DFSELECT);
	return f | (u64)readl(vp->common + VIRTIO_PCI_COMMON_DF) << 32;
}

int vp_finalize_features(struct virtio_pci_device *vp, u64 features)
{
	writel(0, vp->common + VIRTIO_PCI_COMMON_GFSELECT);
	writel((u32)features, vp->common + VIRTIO_PCI_COMMON_GF);
	writel(1, vp->common + VIRTIO_PCI_COMMON_GFSELECT);
	writel((u32)(features >> 32), vp->common + VIRTIO_PCI_COMMON_GF);
	vp_add_status(vp, VIRTIO_STATUS_FEATURES_OK);
	return (vp_get_status(vp) & VIRTIO_STATUS_FEATURES_OK) ? 0 : -ENODEV;
}

u8 vp_config_generation(struct virtio_pci_device *vp)
{
	return readb(vp->common + VIRTIO_PCI_COMMON_CFGGENERATION);
}

u8 vp_config_read8(struct virtio_pci_device *vp, u32 off)
{
	return readb(vp->device + off);
}

u16 vp_config_read16(struct virtio_pci_device *vp, u32 off)
{
	return readw(vp->device + off);
}

u32 vp_config_read32(struct virtio_pci_device *vp, u32 off)
{
	return readl(vp->device + off);
}

u64 vp_config_read64(struct virtio_pci_device *vp, u32 off)
{
	return readl(vp->device + off) | (u64)readl(vp->device + off + 4) << 32;
}

u16 vp_queue_max_size(struct virtio_pci_device *vp, u16 index)
{
	writew(index, vp->common + VIRTIO_PCI_COMMON_Q_SELECT);
	return readw(vp->common + VIRTIO_PCI_COMMON_Q_SIZE);
}

static void vp_write64(struct virtio_pci_device *vp, u32 lo, u64 val)
{
	writel((u32)val, vp->common + lo);
	writel((u32)(val >> 32), vp->common + lo + 4);
}

int vp_queue_setup(struct virtio_pci_device *vp, u16 index, u16 num, phys_addr_t desc,
		   phys_addr_t avail, phys_addr_t used, void __iomem **notify_out)
{
	void __iomem *c = vp->common;
	u64 off;

	writew(index, c + VIRTIO_PCI_COMMON_Q_SELECT);
	off = (u64)readw(c + VIRTIO_PCI_COMMON_Q_NOFF) * vp->notify_off_multiplier;
	if (off + 2 > vp->notify_len) {
		printk("virtio-pci %s: queue %u's doorbell at %#llx lies outside the %#x-byte notify structure\n",
		       vp->pci->name, index, (unsigned long long)off, vp->notify_len);
		return -EINVAL;
	}
	writew(num, c + VIRTIO_PCI_COMMON_Q_SIZE);
	vp_write64(vp, VIRTIO_PCI_COMMON_Q_DESCLO, desc);
	vp_write64(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, avail);
	vp_write64(vp, VIRTIO_PCI_COMMON_Q_USEDLO, used);
	*notify_out = (u8 __iomem *)vp->notify + off;
	return 0;
}

u16 vp_queue_vector(struct virtio_pci_device *vp, u16 index, u16 vector)
{
	writew(index, vp->common + VIRTIO_PCI_COMMON_Q_SELECT);
	writew(vector, vp->common + VIRTIO_PCI_COMMON_Q_MSIX);
	return readw(vp->common + VIRTIO_PCI_COMMON_Q_MSIX);
}

void vp_queue_enable(struct virtio_pci_device *vp, u16 index)
{
	writew(index, vp->common + VIRTIO_PCI_COMMON_Q_SELECT);
	writew(1, vp->common + VIRTIO_PCI_COMMON_Q_ENABLE);
}

u16 vp_config_vector(struct virtio_pci_device *vp, u16 vector)
{
	writew(vector, vp->common + VIRTIO_PCI_COMMON_MSIX);
	return readw(vp->common + VIRTIO_PCI_COMMON_MSIX);
}

u8 vp_read_isr(struct virtio_pci_device *vp)
{
	return readb(vp->isr);
}

void vp_notify(void __iomem *notify, u16 index)
{
	writew(index, notify);
}
