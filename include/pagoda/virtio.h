/*
 * Virtio 1.x, the parts every transport and device driver shares: the
 * device status bits, the reserved (transport and ring) feature bits and
 * the device ids. docs/virtio.md; the virtio 1.1/1.2 specification,
 * sections 2.1 (status), 2.2 (features) and 6 (reserved features).
 *
 * Every multi-byte field a virtio 1.x device shares with the driver is
 * little-endian, as x86 is: Pagoda reads and writes them as plain
 * integers. Host-compilable.
 */
#ifndef PAGODA_VIRTIO_H
#define PAGODA_VIRTIO_H

#include <pagoda/types.h>

/* Device status (2.1): each step of the handshake sets one more bit. */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01	/* the driver noticed the device */
#define VIRTIO_STATUS_DRIVER		0x02	/* ... and knows how to drive it */
#define VIRTIO_STATUS_DRIVER_OK		0x04	/* set up: the device may run */
#define VIRTIO_STATUS_FEATURES_OK	0x08	/* features accepted (read back!) */
#define VIRTIO_STATUS_NEEDS_RESET	0x40	/* the device hit an error it cannot recover from */
#define VIRTIO_STATUS_FAILED		0x80	/* the driver gave up on the device */

/* Reserved feature bits (6): rings and transport. */
#define VIRTIO_F_RING_INDIRECT_DESC	28	/* descriptors may point at a table of descriptors */
#define VIRTIO_F_RING_EVENT_IDX		29	/* used_event/avail_event suppression (not taken) */
#define VIRTIO_F_VERSION_1		32	/* virtio 1.x: required, no legacy interface */
#define VIRTIO_F_ACCESS_PLATFORM	33	/* behind an IOMMU (not taken: none here) */
#define VIRTIO_F_RING_PACKED		34	/* packed rings (not taken: split rings only) */

#define VIRTIO_BIT(b)			(1ull << (b))

/* Device types (5): the modern PCI device id is 0x1040 + the type. */
#define VIRTIO_ID_BLOCK			2

/* A message vector of the PCI transport that means "none" (4.1.4.3, 4.1.5.1.2). */
#define VIRTIO_MSI_NO_VECTOR		0xffff

#endif
