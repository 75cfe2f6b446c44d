/*
 * The modern virtio PCI transport (virtio 1.1/1.2, 4.1), driver side:
 * drivers/virtio/virtio_pci_modern.c; docs/virtio.md.
 *
 * A virtio 1.x PCI function describes where its register blocks are with
 * vendor-specific capabilities (4.1.4): each names a type (common
 * configuration, notifications, ISR status, device-specific
 * configuration, PCI configuration access), a BAR, an offset and a
 * length. vp_modern_probe() finds the first usable one of each type it
 * needs and maps it with pci_iomap_range(); everything after that is
 * register access through the maps:
 *
 *   common   feature words, status, the queue being set up (selected by
 *            queue_select), MSI-X vectors
 *   notify   the doorbells: queue q's is at queue_notify_off(q) *
 *            notify_off_multiplier inside it, written with q's index
 *   isr      with MSI (not MSI-X): which kind of interrupt it was; read clears
 *   device   the device type's own configuration (virtio-blk: capacity...)
 *
 * A legacy or transitional function without these capabilities is not
 * driven (there is no legacy I/O-port driver). The calls are made by the
 * one driver bound to the function, one at a time (its probe, its reset
 * path); they do not lock. vp_reset() sleeps; the others do not.
 */
#ifndef PAGODA_VIRTIO_PCI_H
#define PAGODA_VIRTIO_PCI_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>

struct pci_dev;

/* Capability types (cfg_type, 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* Fields of struct virtio_pci_cap (offsets from the capability). */
#define VIRTIO_PCI_CAP_LEN_FIELD	2	/* u8 cap_len */
#define VIRTIO_PCI_CAP_TYPE_FIELD	3	/* u8 cfg_type */
#define VIRTIO_PCI_CAP_BAR_FIELD	4	/* u8 bar */
#define VIRTIO_PCI_CAP_OFFSET_FIELD	8	/* le32 offset in the BAR */
#define VIRTIO_PCI_CAP_LENGTH_FIELD	12	/* le32 length */
#define VIRTIO_PCI_CAP_SIZE		16
#define VIRTIO_PCI_NOTIFY_MULT_FIELD	16	/* le32 notify_off_multiplier (notify cap only) */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE	20

/* The common configuration structure (4.1.4.3), register offsets. */
#define VIRTIO_PCI_COMMON_DFSELECT	0	/* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF		4	/* le32 device_feature (RO) */
#define VIRTIO_PCI_COMMON_GFSELECT	8	/* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF		12	/* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX		16	/* le16 msix_config */
#define VIRTIO_PCI_COMMON_NUMQ		18	/* le16 num_queues (RO) */
#define VIRTIO_PCI_COMMON_STATUS	20	/* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGENERATION	21	/* u8 config_generation (RO) */
#define VIRTIO_PCI_COMMON_Q_SELECT	22	/* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE	24	/* le16 queue_size */
#define VIRTIO_PCI_COMMON_Q_MSIX	26	/* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE	28	/* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF	30	/* le16 queue_notify_off (RO) */
#define VIRTIO_PCI_COMMON_Q_DESCLO	32	/* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_DESCHI	36
#define VIRTIO_PCI_COMMON_Q_AVAILLO	40	/* le64 queue_driver (the available ring) */
#define VIRTIO_PCI_COMMON_Q_AVAILHI	44
#define VIRTIO_PCI_COMMON_Q_USEDLO	48	/* le64 queue_device (the used ring) */
#define VIRTIO_PCI_COMMON_Q_USEDHI	52
#define VIRTIO_PCI_COMMON_SIZE		56	/* virtio 1.0/1.1; 1.2 adds fields we do not use */

/* ISR status bits (4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE		0x1
#define VIRTIO_PCI_ISR_CONFIG		0x2

struct virtio_pci_device {
	struct pci_dev *pci;
	void __iomem *common;
	void __iomem *isr;
	void __iomem *device;		/* NULL if the function has none */
	u32 device_len;
	void __iomem *notify;
	u32 notify_len;
	u32 notify_off_multiplier;
	u16 num_queues;			/* what the device says it has */
};

/*
 * Find and map @pci's common, notify, ISR and device-specific structures.
 * Returns 0, or -ENODEV (with a message) when a required one is missing
 * or unusable: a capability whose BAR is not an assigned memory BAR,
 * whose range runs past the BAR, or that is shorter than its structure;
 * -ENOMEM if a map fails. On error nothing stays mapped. Sleeps never.
 */
int vp_modern_probe(struct virtio_pci_device *vp, struct pci_dev *pci);
/* Unmap what vp_modern_probe() mapped. */
void vp_modern_remove(struct virtio_pci_device *vp);

/* The device status byte, and setting more of its bits (2.1). */
u8 vp_get_status(struct virtio_pci_device *vp);
void vp_add_status(struct virtio_pci_device *vp, u8 bits);

/*
 * Reset: write 0 to the status and wait until the device reads back 0
 * (4.1.4.3.2), polling every millisecond for up to @timeout_ns. Once it
 * returns 0 the device uses none of the memory it was given, raises no
 * interrupt, and has forgotten its queues and vectors. -ETIMEDOUT if the
 * status never came back to 0. Process context: sleeps.
 */
int vp_reset(struct virtio_pci_device *vp, u64 timeout_ns);

/* The 64 feature bits the device offers. */
u64 vp_get_features(struct virtio_pci_device *vp);
/*
 * Write @features as the driver's, set FEATURES_OK and read the status
 * back (2.2.1): 0 if the device kept FEATURES_OK, -ENODEV if it refused
 * the set.
 */
int vp_finalize_features(struct virtio_pci_device *vp, u64 features);

/*
 * The device-specific configuration: reads of @size (1, 2, 4 or 8) bytes
 * at @off. The caller checks the field lies inside device_len first
 * (vp_config_has). 8-byte fields are read as two 4-byte halves: wrap the
 * reads in a config_generation loop (4.1.4.3.1) for a consistent value.
 */
static inline bool vp_config_has(const struct virtio_pci_device *vp, u32 off, u32 size)
{
	return vp->device && off <= vp->device_len && size <= vp->device_len - off;
}

u8 vp_config_generation(struct virtio_pci_device *vp);
u8 vp_config_read8(struct virtio_pci_device *vp, u32 off);
u16 vp_config_read16(struct virtio_pci_device *vp, u32 off);
u32 vp_config_read32(struct virtio_pci_device *vp, u32 off);
u64 vp_config_read64(struct virtio_pci_device *vp, u32 off);

/* The largest size the device allows for queue @index; 0: no such queue. */
u16 vp_queue_max_size(struct virtio_pci_device *vp, u16 index);

/*
 * Program queue @index: @num entries and the three areas at @desc, @avail
 * and @used (physical); its doorbell address goes to *notify_out. Returns
 * 0, or -EINVAL (with a message) when the doorbell would lie outside the
 * notify structure. Then vp_queue_vector() and vp_queue_enable(), all
 * before DRIVER_OK.
 */
int vp_queue_setup(struct virtio_pci_device *vp, u16 index, u16 num, phys_addr_t desc,
		   phys_addr_t avail, phys_addr_t used, void __iomem **notify_out);
/*
 * Route queue @index's interrupts to MSI-X @vector (VIRTIO_MSI_NO_VECTOR:
 * none). Returns the device's read-back: VIRTIO_MSI_NO_VECTOR when it
 * refused the vector (4.1.5.1.2).
 */
u16 vp_queue_vector(struct virtio_pci_device *vp, u16 index, u16 vector);
void vp_queue_enable(struct virtio_pci_device *vp, u16 index);

/* Route configuration-change interrupts to MSI-X @vector; returns the device's read-back. */
u16 vp_config_vector(struct virtio_pci_device *vp, u16 vector);

/* With MSI or INTx: read (and so clear) the ISR status. */
u8 vp_read_isr(struct virtio_pci_device *vp);

/* Ring queue @index's doorbell at @notify (from vp_queue_setup). Any context. */
void vp_notify(void __iomem *notify, u16 index);

#endif
