/*
 * PCI configuration space registers, as the PCI Local Bus (3.0), PCI-to-PCI
 * Bridge (1.2) and PCI Express Base specifications lay them out. The names
 * follow Linux's so drivers read the same. Offsets are bytes into a
 * function's configuration space (256 bytes; 4096 with PCI Express).
 */
#ifndef PAGODA_PCI_REGS_H
#define PAGODA_PCI_REGS_H

#define PCI_CFG_SPACE_SIZE	256
#define PCI_CFG_SPACE_EXP_SIZE	4096

/* ---- the common header (every header type) ---- */
#define PCI_VENDOR_ID		0x00	/* 16 bits; 0xffff: no function here */
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04	/* 16 bits */
#define  PCI_COMMAND_IO		0x0001	/* respond to I/O space accesses */
#define  PCI_COMMAND_MEMORY	0x0002	/* respond to memory space accesses */
#define  PCI_COMMAND_MASTER	0x0004	/* may initiate transactions (DMA, MSI) */
#define  PCI_COMMAND_PARITY	0x0040
#define  PCI_COMMAND_SERR	0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400	/* the function may not assert INTx# */
#define PCI_STATUS		0x06	/* 16 bits */
#define  PCI_STATUS_INTERRUPT	0x0008	/* INTx# asserted (read only) */
#define  PCI_STATUS_CAP_LIST	0x0010	/* PCI_CAPABILITY_LIST is valid */
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09	/* programming interface */
#define PCI_CLASS_DEVICE	0x0a	/* 16 bits: class << 8 | subclass */
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e
#define  PCI_HEADER_TYPE_MASK	0x7f
#define  PCI_HEADER_TYPE_NORMAL	0
#define  PCI_HEADER_TYPE_BRIDGE	1
#define  PCI_HEADER_TYPE_CARDBUS 2
#define  PCI_HEADER_TYPE_MFD	0x80	/* functions 1-7 may exist */
#define PCI_BIST		0x0f

/* ---- type 0 (endpoints) ---- */
#define PCI_BASE_ADDRESS_0	0x10	/* six 32-bit BARs, 0x10-0x24 */
#define  PCI_BASE_ADDRESS_SPACE_IO	0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_MASK	0x06
#define  PCI_BASE_ADDRESS_MEM_TYPE_32	0x00
#define  PCI_BASE_ADDRESS_MEM_TYPE_1M	0x02	/* below 1 MiB: PCI 2.x only */
#define  PCI_BASE_ADDRESS_MEM_TYPE_64	0x04	/* this BAR and the next one */
#define  PCI_BASE_ADDRESS_MEM_PREFETCH	0x08
#define  PCI_BASE_ADDRESS_MEM_MASK	(~0x0fu)
#define  PCI_BASE_ADDRESS_IO_MASK	(~0x03u)
#define PCI_CARDBUS_CIS		0x28
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34	/* types 0 and 1: first capability */
#define PCI_INTERRUPT_LINE	0x3c	/* what the firmware routed INTx to */
#define PCI_INTERRUPT_PIN	0x3d	/* 0 none, 1-4 INTA#-INTD# */
#define PCI_MIN_GNT		0x3e
#define PCI_MAX_LAT		0x3f

/* ---- type 1 (PCI-to-PCI bridges) ---- */
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1a
#define PCI_SEC_LATENCY_TIMER	0x1b
#define PCI_IO_BASE		0x1c
#define PCI_IO_LIMIT		0x1d
#define PCI_SEC_STATUS		0x1e
#define PCI_MEMORY_BASE		0x20
#define PCI_MEMORY_LIMIT	0x22
#define PCI_PREF_MEMORY_BASE	0x24
#define PCI_PREF_MEMORY_LIMIT	0x26
#define PCI_PREF_BASE_UPPER32	0x28
#define PCI_PREF_LIMIT_UPPER32	0x2c
#define PCI_IO_BASE_UPPER16	0x30
#define PCI_IO_LIMIT_UPPER16	0x32
#define PCI_ROM_ADDRESS1	0x38
#define PCI_BRIDGE_CONTROL	0x3e

/* ---- type 2 (CardBus bridges) ---- */
#define PCI_CB_CAPABILITY_LIST	0x14
#define PCI_CB_PRIMARY_BUS	0x18
#define PCI_CB_CARD_BUS		0x19
#define PCI_CB_SUBORDINATE_BUS	0x1a

/* ---- capabilities (a list in the first 256 bytes) ---- */
#define PCI_CAP_LIST_ID		0	/* capability id */
#define PCI_CAP_LIST_NEXT	1	/* next pointer; 0 ends the list */
#define PCI_CAP_FLAGS		2	/* 16 bits, capability specific */
#define PCI_STD_HEADER_SIZEOF	0x40	/* capabilities live above the header */

#define PCI_CAP_ID_PM		0x01	/* power management */
#define PCI_CAP_ID_AGP		0x02
#define PCI_CAP_ID_VPD		0x03
#define PCI_CAP_ID_SLOTID	0x04
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_CHSWP	0x06
#define PCI_CAP_ID_PCIX		0x07
#define PCI_CAP_ID_HT		0x08
#define PCI_CAP_ID_VNDR		0x09	/* vendor specific (virtio's structures) */
#define PCI_CAP_ID_DBG		0x0a
#define PCI_CAP_ID_SHPC		0x0c	/* standard hot-plug controller */
#define PCI_CAP_ID_SSVID	0x0d	/* bridge subsystem vendor/device */
#define PCI_CAP_ID_SECDEV	0x0f
#define PCI_CAP_ID_EXP		0x10	/* PCI Express */
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_SATA		0x12
#define PCI_CAP_ID_AF		0x13

/* MSI: message control and the message registers */
#define PCI_MSI_FLAGS		2	/* 16 bits */
#define  PCI_MSI_FLAGS_ENABLE	0x0001
#define  PCI_MSI_FLAGS_QMASK	0x000e	/* log2 of vectors the function can use */
#define  PCI_MSI_FLAGS_QSIZE	0x0070	/* log2 of vectors enabled */
#define  PCI_MSI_FLAGS_64BIT	0x0080
#define  PCI_MSI_FLAGS_MASKBIT	0x0100	/* per-vector masking */
#define PCI_MSI_ADDRESS_LO	4
#define PCI_MSI_ADDRESS_HI	8	/* 64-bit capability only */
#define PCI_MSI_DATA_32		8
#define PCI_MSI_MASK_32		12
#define PCI_MSI_PENDING_32	16
#define PCI_MSI_DATA_64		12
#define PCI_MSI_MASK_64		16
#define PCI_MSI_PENDING_64	20

/* MSI-X: message control, table and pending-bit array locations */
#define PCI_MSIX_FLAGS		2	/* 16 bits */
#define  PCI_MSIX_FLAGS_QSIZE	0x07ff	/* table size - 1 */
#define  PCI_MSIX_FLAGS_MASKALL	0x4000	/* function mask */
#define  PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		4	/* 32 bits: offset | BIR */
#define  PCI_MSIX_TABLE_BIR	0x00000007
#define  PCI_MSIX_TABLE_OFFSET	0xfffffff8
#define PCI_MSIX_PBA		8
#define  PCI_MSIX_PBA_BIR	0x00000007
#define  PCI_MSIX_PBA_OFFSET	0xfffffff8
#define PCI_MSIX_ENTRY_SIZE		16
#define PCI_MSIX_ENTRY_LOWER_ADDR	0
#define PCI_MSIX_ENTRY_UPPER_ADDR	4
#define PCI_MSIX_ENTRY_DATA		8
#define PCI_MSIX_ENTRY_VECTOR_CTRL	12
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT	0x00000001

/* PCI Express capability */
#define PCI_EXP_FLAGS		2	/* 16 bits */
#define  PCI_EXP_FLAGS_VERS	0x000f
#define  PCI_EXP_FLAGS_TYPE	0x00f0	/* device/port type, below */
#define  PCI_EXP_TYPE_ENDPOINT	0x0
#define  PCI_EXP_TYPE_LEG_END	0x1
#define  PCI_EXP_TYPE_ROOT_PORT	0x4
#define  PCI_EXP_TYPE_UPSTREAM	0x5
#define  PCI_EXP_TYPE_DOWNSTREAM 0x6
#define  PCI_EXP_TYPE_PCI_BRIDGE 0x7
#define  PCI_EXP_TYPE_PCIE_BRIDGE 0x8
#define  PCI_EXP_TYPE_RC_END	0x9	/* root complex integrated endpoint */
#define  PCI_EXP_TYPE_RC_EC	0xa

/* ---- extended capabilities (PCI Express, offsets 0x100-0xfff) ---- */
#define PCI_EXT_CAP_START	0x100
#define PCI_EXT_CAP_ID(h)	((h) & 0xffff)
#define PCI_EXT_CAP_VER(h)	(((h) >> 16) & 0xf)
#define PCI_EXT_CAP_NEXT(h)	(((h) >> 20) & 0xffc)
#define PCI_EXT_CAP_ID_ERR	0x0001	/* advanced error reporting */
#define PCI_EXT_CAP_ID_VC	0x0002
#define PCI_EXT_CAP_ID_DSN	0x0003	/* device serial number */
#define PCI_EXT_CAP_ID_ARI	0x000e
#define PCI_EXT_CAP_ID_SRIOV	0x0010
#define PCI_EXT_CAP_ID_VNDR	0x000b

/* ---- class codes (dev->class >> 8: class << 8 | subclass) ---- */
#define PCI_CLASS_STORAGE_SCSI		0x0100
#define PCI_CLASS_STORAGE_IDE		0x0101
#define PCI_CLASS_STORAGE_SATA		0x0106
#define PCI_CLASS_STORAGE_EXPRESS	0x0108	/* NVM Express: prog-if 02 */
#define PCI_CLASS_NETWORK_ETHERNET	0x0200
#define PCI_CLASS_DISPLAY_VGA		0x0300
#define PCI_CLASS_BRIDGE_HOST		0x0600
#define PCI_CLASS_BRIDGE_ISA		0x0601
#define PCI_CLASS_BRIDGE_PCI		0x0604
#define PCI_CLASS_BRIDGE_CARDBUS	0x0607
#define PCI_CLASS_SERIAL_SMBUS		0x0c05

#endif
