/*
 * PCI and PCI Express: configuration access, enumeration, BARs,
 * capabilities, MSI/MSI-X and a small driver model (docs/pci.md).
 *
 *   drivers/pci/access.c   config accessors and pci_lock (host-compilable)
 *   drivers/pci/probe.c    bus scan, bridges, BAR sizing (host-compilable)
 *   drivers/pci/cap.c      capability lists (host-compilable)
 *   drivers/pci/driver.c   pci_driver matching and probing (host-compilable)
 *   drivers/pci/show.c     class names, the boot listing, /proc/bus/pci/devices
 *   drivers/pci/ecam.c     ECAM (MCFG) configuration access
 *   drivers/pci/msi.c      MSI and MSI-X through the local APIC
 *   drivers/pci/pci.c      pci_init, device enable, bus mastering, pci_iomap
 *   arch/x86_64/pci.c      port I/O configuration access (0xcf8/0xcfc)
 *
 * The kernel enumerates once, at subsys_initcall (after ACPI and the
 * interrupt controllers, before any driver): every bus reachable from each
 * root bus, behind bridges as the firmware numbered them. Nothing is
 * assigned: bus numbers, BARs and bridge windows are the firmware's.
 * Drivers register at device_initcall; probes run in the boot task with
 * interrupts on and may sleep.
 *
 * The device list is built once and never changes afterwards (no
 * hot-plug), so walking it takes no lock. A bound driver owns its device:
 * the MSI/MSI-X calls and pci_set_master() are made by that driver, from
 * task context, not concurrently with each other for one device.
 */
#ifndef PAGODA_PCI_H
#define PAGODA_PCI_H

#include <pagoda/compiler.h>
#include <pagoda/init.h>
#include <pagoda/irq.h>
#include <pagoda/list.h>
#include <pagoda/pci_regs.h>
#include <pagoda/types.h>

#define PCI_NUM_BARS		6
#define PCI_BRIDGE_NUM_BARS	2
#define PCI_MAX_BUS		256
#define PCI_DEVFN(slot, fn)	((u8)((((slot) & 0x1f) << 3) | ((fn) & 0x07)))
#define PCI_SLOT(devfn)		(((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)		((devfn) & 0x07)
#define PCI_ANY_ID		(~0u)

/* ---- configuration access mechanisms ---- */

/*
 * One way to reach configuration space: ECAM, port I/O, or a host test's
 * simulated machine. Called with pci_lock held (interrupts off), with
 * @where aligned to @size (1, 2 or 4) and inside the root's cfg_size.
 * Returns 0 or -errno (-ENODEV: nothing decodes that bus); a failed read
 * need not set *val (the caller gives all-ones). Must not sleep.
 */
struct pci_cfg_ops {
	const char *name;
	int (*read)(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
		    u32 *val);
	int (*write)(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
		     u32 val);
};

/* A host bridge: one root bus and the bus numbers below it. */
struct pci_root {
	struct list_head node;		/* pci_system.roots */
	u16 segment;
	u8 bus_start, bus_end;		/* buses it decodes; scanning starts at bus_start */
	u16 cfg_size;			/* PCI_CFG_SPACE_SIZE or PCI_CFG_SPACE_EXP_SIZE */
	const struct pci_cfg_ops *ops;
	void *ctx;			/* for ops */
	u64 visited[PCI_MAX_BUS / 64];	/* buses scanned (bridge-loop detection) */
};

/* ---- BARs ---- */

#define PCI_BAR_IO		(1u << 0)
#define PCI_BAR_MEM		(1u << 1)
#define PCI_BAR_MEM64		(1u << 2)	/* occupies this slot and the next */
#define PCI_BAR_PREFETCH	(1u << 3)

/*
 * A decoded BAR. size 0: not implemented (or the upper half of a 64-bit
 * BAR). start is what the firmware assigned; 0 means unassigned. On x86
 * bus addresses are CPU physical addresses.
 */
struct pci_bar {
	u64 start;
	u64 size;
	u32 flags;		/* PCI_BAR_* */
	u8 raw_flags;		/* the register's low bits (0-3), as /proc shows them */
};

/* ---- interrupts ---- */

#define PCI_IRQ_INTX		(1u << 0)	/* not supported yet: needs ACPI _PRT */
#define PCI_IRQ_MSI		(1u << 1)
#define PCI_IRQ_MSIX		(1u << 2)
#define PCI_IRQ_ALL_TYPES	(PCI_IRQ_INTX | PCI_IRQ_MSI | PCI_IRQ_MSIX)

/* Where the MSI-X table and pending bits live (checked against the BARs). */
struct pci_msix_info {
	u16 table_size;		/* entries */
	u8 table_bar, pba_bar;
	u32 table_offset, pba_offset;
};

/* The driver's interrupt state: filled by pci_alloc_irq_vectors(). */
struct pci_irq_state {
	unsigned int mode;		/* 0, PCI_IRQ_MSI or PCI_IRQ_MSIX */
	unsigned int nvec;		/* vectors granted */
	int *vector;			/* CPU vector of each, -1 before pci_request_irq() */
	void __iomem *msix_table;	/* the mapped table, MSI-X only */
	void __iomem *msix_pba;
};

struct pci_driver;

struct pci_dev {
	struct list_head node;		/* pci_system.devices, sorted by address */
	struct pci_root *root;
	struct pci_dev *bridge;		/* the bridge above, NULL on a root bus */
	u8 bus, devfn;
	char name[16];			/* "0000:00:1f.2" */

	u16 vendor, device;
	u16 subsystem_vendor, subsystem_device;
	u32 class;			/* class << 16 | subclass << 8 | prog-if */
	u8 revision;
	u8 hdr_type;			/* PCI_HEADER_TYPE_* without the MFD bit */
	bool multifunction;
	u8 pin;				/* 0 none, 1-4 INTA-INTD */
	u8 irq_line;			/* the firmware's interrupt line register */
	u8 secondary, subordinate;	/* bridges: bus numbers behind */
	bool bridge_followed;		/* bridges: the buses behind were scanned */

	struct pci_bar bar[PCI_NUM_BARS];
	u8 msi_cap, msix_cap, pcie_cap;	/* capability offsets, 0: absent */
	u8 nr_vendor_caps;
	u16 nr_ext_caps;
	u8 cap_ids[16];			/* the list in order, for the listing */
	u8 nr_caps;
	struct pci_msix_info msix;	/* valid when msix_cap != 0 */

	const char *broken;		/* why it is skipped (no driver binds), or NULL */

	/* Set while a driver is bound; pci_bus_mutex. */
	struct pci_driver *driver;
	void *driver_data;
	struct pci_irq_state irq;	/* owned by the bound driver */
};

/* Everything one enumeration found. The kernel keeps one: pci_system. */
struct pci_system {
	struct list_head roots;		/* struct pci_root */
	struct list_head devices;	/* struct pci_dev, by segment, bus, devfn */
	unsigned int nr_devices, nr_buses, nr_broken;
};

extern struct pci_system pci_system;

#define for_each_pci_dev(d) list_for_each_entry(d, &pci_system.devices, node)

/* ---- configuration space (drivers/pci/access.c) ---- */

/*
 * Read or write one register of @dev: 0, or -EINVAL (@where not aligned
 * to the access size, or beyond the configuration space the root's
 * mechanism reaches: 256 bytes without ECAM), or the mechanism's error.
 * A failed read gives all-ones, as an absent device does. Takes pci_lock
 * (a spinlock, interrupts off): any context, never sleeps.
 */
int pci_read_config_byte(const struct pci_dev *dev, int where, u8 *val);
int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val);
int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val);
int pci_write_config_byte(const struct pci_dev *dev, int where, u8 val);
int pci_write_config_word(const struct pci_dev *dev, int where, u16 val);
int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val);

/* The same by address, for enumeration before a pci_dev exists. */
int pci_bus_read_config(struct pci_root *root, u8 bus, u8 devfn, int where,
			unsigned int size, u32 *val);
int pci_bus_write_config(struct pci_root *root, u8 bus, u8 devfn, int where,
			 unsigned int size, u32 val);

/*
 * Read-modify-write of a 16-bit register under one hold of pci_lock:
 * clear @clear, then set @set. Returns the old value (all-ones on error).
 */
u16 pci_update_config_word(const struct pci_dev *dev, int where, u16 clear, u16 set);

/* ---- enumeration (drivers/pci/probe.c) ---- */

void pci_system_init(struct pci_system *sys);
/* A root with @ops; NULL on -ENOMEM. Not yet on sys->roots. */
struct pci_root *pci_root_alloc(u16 segment, u8 bus_start, u8 bus_end, u16 cfg_size,
				const struct pci_cfg_ops *ops, void *ctx);
/*
 * Add @root to @sys and enumerate every bus reachable from its first bus:
 * each device and function, and the buses behind bridges as the firmware
 * numbered them. A bridge whose bus numbers do not fit under its parent or
 * lead to a bus already scanned (a loop) is logged and not followed; a
 * function with a broken capability list or a senseless BAR is logged and
 * marked broken. Returns the number of functions found, or -ENOMEM (what
 * was found so far stays in @sys). Sleeps (allocates); run once, at boot.
 */
int pci_scan_root(struct pci_system *sys, struct pci_root *root);
/* Free every device and root of @sys (host tests; the kernel never does). */
void pci_system_destroy(struct pci_system *sys);

/* The function at an address, the next one matching ids or class, or NULL. */
struct pci_dev *pci_find_slot(u16 segment, u8 bus, u8 devfn);
struct pci_dev *pci_find_device(u32 vendor, u32 device, struct pci_dev *from);
struct pci_dev *pci_find_class(u32 class, struct pci_dev *from);	/* 24-bit class */

static inline u64 pci_resource_start(const struct pci_dev *dev, int bar)
{
	return dev->bar[bar].start;
}

static inline u64 pci_resource_len(const struct pci_dev *dev, int bar)
{
	return dev->bar[bar].size;
}

static inline u32 pci_resource_flags(const struct pci_dev *dev, int bar)
{
	return dev->bar[bar].flags;
}

/* Is the function PCI Express (has the capability)? */
static inline bool pci_is_pcie(const struct pci_dev *dev)
{
	return dev->pcie_cap != 0;
}

/* ---- capabilities (drivers/pci/cap.c) ---- */

/*
 * Offset of the first capability @cap (PCI_CAP_ID_*), or of the next one
 * after the capability at @pos; 0 if there is none. The walk is bounded: a
 * list that loops or points into the header ends it.
 */
u8 pci_find_capability(const struct pci_dev *dev, int cap);
u8 pci_find_next_capability(const struct pci_dev *dev, u8 pos, int cap);
/* An extended capability (PCI_EXT_CAP_ID_*): 0 without ECAM or if absent. */
u16 pci_find_ext_capability(const struct pci_dev *dev, int cap);

/* ---- using a device (drivers/pci/pci.c) ---- */

/*
 * Turn on memory and I/O decoding for the kinds of BARs @dev implements
 * (the firmware may have left them off). 0, or -ENODEV for a broken
 * device. pci_disable_device() turns bus mastering off.
 */
int pci_enable_device(struct pci_dev *dev);
void pci_disable_device(struct pci_dev *dev);
/* Let @dev initiate transactions (DMA, MSI writes), or stop it. */
void pci_set_master(struct pci_dev *dev);
void pci_clear_master(struct pci_dev *dev);
/*
 * pci_clear_master(), then read the command register back: true when it
 * reads back with bus mastering off, so the device can no longer read or
 * write memory (nor send an MSI) and what it wrote before has landed.
 * False when it still reads on, or the device does not answer (all-ones):
 * a driver then must not free what it gave the device. Any context.
 */
bool pci_clear_master_sync(struct pci_dev *dev);

/*
 * Map @len bytes (0: the rest of the BAR) at @offset of memory BAR @bar,
 * uncached, for register access. NULL (with a message) for an I/O or
 * absent BAR, an unassigned one, a range past the BAR's end, or one that
 * overlaps RAM. pci_iounmap() undoes it.
 */
void __iomem *pci_iomap_range(struct pci_dev *dev, int bar, u64 offset, u64 len);
void __iomem *pci_iomap(struct pci_dev *dev, int bar, u64 maxlen);
void pci_iounmap(struct pci_dev *dev, void __iomem *addr);

/* ---- MSI and MSI-X (drivers/pci/msi.c) ---- */

/*
 * Choose the interrupt mechanism for @dev and how many vectors it gets:
 * MSI-X (when @flags allows it and the device has a usable table) with
 * up to @max_vecs entries, else MSI with one vector (x86 without
 * interrupt remapping cannot give several MSI vectors a function
 * would need to be contiguous and aligned; Linux gives one too). MSI-X
 * is enabled with every entry masked; MSI stays off until the vector is
 * requested. INTx is disabled in the command register once a message
 * mechanism is chosen. Returns the number of vectors (>= @min_vecs), or
 * -EINVAL (bad counts, vectors already allocated), -ENOSPC (fewer than
 * @min_vecs available), -ENODEV (neither mechanism usable), -ENOMEM.
 * Task context, the driver owning @dev.
 */
int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs, unsigned int max_vecs,
			  unsigned int flags);
/* Free every requested vector, disable MSI/MSI-X, give INTx back. */
void pci_free_irq_vectors(struct pci_dev *dev);

/*
 * Allocate a CPU vector running @fn(@data) in interrupt context, program
 * message @nr (an MSI-X entry or the MSI registers) with it, and unmask
 * it. 0, or -EINVAL (no such message or already requested), or the
 * interrupt layer's error (-ENOSPC: no vector left).
 */
int pci_request_irq(struct pci_dev *dev, unsigned int nr, irq_handler_t fn, void *data,
		    const char *name);
/* Mask message @nr and give its CPU vector back. */
void pci_free_irq(struct pci_dev *dev, unsigned int nr);
/* The CPU vector of message @nr, or -EINVAL if not requested. */
int pci_irq_vector(const struct pci_dev *dev, unsigned int nr);

/*
 * Mask or unmask one message: an MSI-X entry's mask bit, or MSI's
 * per-vector mask bit (-EINVAL if the function has none). A
 * message raised while masked is kept pending by the device and sent at
 * unmask. Any context.
 */
int pci_irq_mask(struct pci_dev *dev, unsigned int nr);
int pci_irq_unmask(struct pci_dev *dev, unsigned int nr);
/* MSI-X: is message @nr pending (raised while masked)? */
bool pci_msix_pending(struct pci_dev *dev, unsigned int nr);
/* MSI-X function mask: hold (or release) every message of the function. */
void pci_msix_function_mask(struct pci_dev *dev);
void pci_msix_function_unmask(struct pci_dev *dev);

/* ---- drivers (drivers/pci/driver.c) ---- */

/*
 * One line of a driver's id table. PCI_ANY_ID matches anything; the class
 * matches when (dev->class ^ class) & class_mask is 0. The table ends with
 * an all-zero entry.
 */
struct pci_device_id {
	u32 vendor, device;
	u32 subvendor, subdevice;
	u32 class, class_mask;
	unsigned long driver_data;
};

#define PCI_DEVICE(v, d)						\
	.vendor = (v), .device = (d), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#define PCI_DEVICE_CLASS(cls, mask)					\
	.vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .subvendor = PCI_ANY_ID,	\
	.subdevice = PCI_ANY_ID, .class = (cls), .class_mask = (mask)

struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;
	/*
	 * Bind to @dev: 0, or -errno to decline (the next driver may try).
	 * Task context, interrupts on, pci_bus_mutex held: may sleep (wait for
	 * a device reset), must not register or unregister drivers.
	 */
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *dev);	/* unbind; may sleep */
	struct list_head node;			/* pci_bus_mutex */
};

/* The entry of @ids that matches @dev, or NULL. */
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
					 const struct pci_dev *dev);

/*
 * Add @drv and probe it against every enumerated device without a driver
 * that its table matches (broken devices never). Returns the number of
 * devices bound. Takes pci_bus_mutex: task context, may sleep.
 */
int pci_register_driver(struct pci_driver *drv);
/* Unbind @drv from its devices (calling remove) and forget it. */
void pci_unregister_driver(struct pci_driver *drv);

static inline void pci_set_drvdata(struct pci_dev *dev, void *data)
{
	dev->driver_data = data;
}

static inline void *pci_get_drvdata(const struct pci_dev *dev)
{
	return dev->driver_data;
}

/* Register @drv at device_initcall, after PCI is enumerated. */
#define module_pci_driver(drv)						\
	static int drv##_register(void)					\
	{								\
		pci_register_driver(&(drv));				\
		return 0;						\
	}								\
	device_initcall(drv##_register)

/* ---- the listing (drivers/pci/show.c) ---- */

/* lspci's name of a class ("SATA controller"), or of its base class. */
const char *pci_class_name(u32 class);
/* One line describing @dev (ids, class, BARs, interrupt, capabilities). */
size_t pci_format_dev(const struct pci_dev *dev, char *buf, size_t len);
/* Print every device of @sys, one line each (the boot listing). */
void pci_print_devices(const struct pci_system *sys);
/*
 * /proc/bus/pci/devices of @sys, in Linux's format: per function the bus
 * and devfn, vendor and device, irq, then start|flags and size of the six
 * BARs and the ROM (never sized: 0), then the driver's name. Writes at
 * most @len bytes (NUL terminated); returns the length the whole text
 * needs, as snprintf does.
 */
size_t pci_format_proc_devices(const struct pci_system *sys, char *buf, size_t len);

/*
 * The interrupt number /proc and the listing show: the first requested
 * MSI/MSI-X vector, else the firmware's line register when a pin is
 * wired, else 0.
 */
unsigned int pci_dev_irq(const struct pci_dev *dev);

#endif
