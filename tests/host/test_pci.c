/*
 * Host tests of the PCI core (drivers/pci/{access,probe,cap,driver,show}.c)
 * on simulated configuration spaces.
 *
 * The fake machine is a set of functions, each 4096 bytes of configuration
 * space with a write mask per byte, the way hardware behaves: a BAR's
 * address bits below its size are read-only zero, so writing all-ones and
 * reading back gives the size, exactly as the sizing code expects from a
 * real device. A slot with no function reads all-ones. The machine also
 * records any write to a BAR made while the function decodes its space.
 */
#include "ktap.h"
#include "fake_arch.h"
#include "host_support.h"
#include "../../drivers/pci/internal.h"
#include <asm/pci.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include <pagoda/errno.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE	0x1000000UL
#define RAM_PAGES	512UL
#define MAX_FNS		300

struct fake_fn {
	u8 bus, devfn;
	u8 cfg[PCI_CFG_SPACE_EXP_SIZE];
	u8 wmask[PCI_CFG_SPACE_EXP_SIZE];
	unsigned int bar_writes_decoding;	/* BAR writes while IO/MEM decode was on */
};

static struct fake_fn *fns[MAX_FNS];
static unsigned int nr_fns;
static unsigned long cfg_accesses;

static struct fake_fn *fake_find(u8 bus, u8 devfn)
{
	for (unsigned int i = 0; i < nr_fns; i++)
		if (fns[i]->bus == bus && fns[i]->devfn == devfn)
			return fns[i];
	return NULL;
}

static int fake_read(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
		     u32 *val)
{
	struct fake_fn *f = fake_find(bus, devfn);

	cfg_accesses++;
	*val = 0;
	if (!f) {
		*val = 0xffffffffu;
		return 0;
	}
	for (unsigned int i = 0; i < size; i++)
		*val |= (u32)f->cfg[where + i] << (8 * i);
	return 0;
}

static int fake_write(void *ctx, u16 seg, u8 bus, u8 devfn, u16 where, unsigned int size,
		      u32 val)
{
	struct fake_fn *f = fake_find(bus, devfn);

	cfg_accesses++;
	if (!f)
		return 0;
	if (where >= PCI_BASE_ADDRESS_0 && where < PCI_BASE_ADDRESS_0 + 24 &&
	    (f->cfg[PCI_COMMAND] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		f->bar_writes_decoding++;
	for (unsigned int i = 0; i < size; i++) {
		u8 b = (u8)(val >> (8 * i)), m = f->wmask[where + i];

		f->cfg[where + i] = (u8)((f->cfg[where + i] & ~m) | (b & m));
	}
	return 0;
}

static const struct pci_cfg_ops fake_ops = {
	.name = "fake",
	.read = fake_read,
	.write = fake_write,
};

static void put16(struct fake_fn *f, int off, u16 v)
{
	f->cfg[off] = (u8)v;
	f->cfg[off + 1] = (u8)(v >> 8);
}

static void put32(struct fake_fn *f, int off, u32 v)
{
	put16(f, off, (u16)v);
	put16(f, off + 2, (u16)(v >> 16));
}

static void wmask32(struct fake_fn *f, int off, u32 m)
{
	for (int i = 0; i < 4; i++)
		f->wmask[off + i] = (u8)(m >> (8 * i));
}

/* A function with ids, class (24 bits), header type; command decodes I/O and memory. */
static struct fake_fn *fake_add(u8 bus, u8 slot, u8 fn, u16 vendor, u16 device, u32 class,
				u8 hdr)
{
	struct fake_fn *f = calloc(1, sizeof(*f));

	if (!f || nr_fns == MAX_FNS)
		abort();
	f->bus = bus;
	f->devfn = PCI_DEVFN(slot, fn);
	put16(f, PCI_VENDOR_ID, vendor);
	put16(f, PCI_DEVICE_ID, device);
	put32(f, PCI_REVISION_ID, class << 8 | 0x01);
	f->cfg[PCI_HEADER_TYPE] = hdr;
	put16(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	f->wmask[PCI_COMMAND] = 0xff;
	f->wmask[PCI_COMMAND + 1] = 0x07;
	fns[nr_fns++] = f;
	return f;
}

static struct fake_fn *fake_endpoint(u8 bus, u8 slot, u8 fn, u16 vendor, u16 device)
{
	return fake_add(bus, slot, fn, vendor, device, 0x010802, PCI_HEADER_TYPE_NORMAL);
}

static void fake_bar_mem32(struct fake_fn *f, int i, u32 base, u32 size, bool pref)
{
	int off = PCI_BASE_ADDRESS_0 + 4 * i;

	put32(f, off, base | (pref ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0));
	wmask32(f, off, ~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
}

static void fake_bar_mem64(struct fake_fn *f, int i, u64 base, u64 size, bool pref)
{
	int off = PCI_BASE_ADDRESS_0 + 4 * i;
	u64 mask = ~(size - 1);

	put32(f, off, (u32)base | PCI_BASE_ADDRESS_MEM_TYPE_64 |
		      (pref ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0));
	put32(f, off + 4, (u32)(base >> 32));
	wmask32(f, off, (u32)mask & PCI_BASE_ADDRESS_MEM_MASK);
	wmask32(f, off + 4, (u32)(mask >> 32));
}

static void fake_bar_io(struct fake_fn *f, int i, u32 base, u32 size, bool io16)
{
	int off = PCI_BASE_ADDRESS_0 + 4 * i;

	put32(f, off, base | PCI_BASE_ADDRESS_SPACE_IO);
	wmask32(f, off, ~(size - 1) & (io16 ? 0xfffcu : PCI_BASE_ADDRESS_IO_MASK));
}

static struct fake_fn *fake_bridge(u8 bus, u8 slot, u8 sec, u8 sub)
{
	struct fake_fn *f = fake_add(bus, slot, 0, 0x1b36, 0x000c, 0x060400,
				     PCI_HEADER_TYPE_BRIDGE);

	f->cfg[PCI_PRIMARY_BUS] = bus;
	f->cfg[PCI_SECONDARY_BUS] = sec;
	f->cfg[PCI_SUBORDINATE_BUS] = sub;
	return f;
}

/* Capability @id at @pos whose next pointer is @next; the first one sets the head. */
static void fake_cap(struct fake_fn *f, u8 pos, u8 id, u8 next)
{
	if (!(f->cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST)) {
		f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
		f->cfg[PCI_CAPABILITY_LIST] = pos;
	}
	f->cfg[pos] = id;
	f->cfg[pos + 1] = next;
}

static void fake_ext_cap(struct fake_fn *f, u16 pos, u16 id, u16 next)
{
	put32(f, pos, (u32)id | 1u << 16 | (u32)next << 20);
}

/* An MSI-X capability at @pos: @entries, table at BAR @tbar + @toff, PBA at @pbar + @poff. */
static void fake_msix(struct fake_fn *f, u8 pos, u8 next, u16 entries, u8 tbar, u32 toff,
		      u8 pbar, u32 poff)
{
	fake_cap(f, pos, PCI_CAP_ID_MSIX, next);
	put16(f, pos + PCI_MSIX_FLAGS, entries - 1);
	put32(f, pos + PCI_MSIX_TABLE, toff | tbar);
	put32(f, pos + PCI_MSIX_PBA, poff | pbar);
}

/* ---- the machine around each case ---- */

static struct pci_root *root;

static void machine_reset(void)
{
	pci_system_destroy(&pci_system);
	pci_drivers_reset();
	for (unsigned int i = 0; i < nr_fns; i++)
		free(fns[i]);
	nr_fns = 0;
	root = NULL;
}

/* Scan the fake machine through a root of @cfg_size bytes; returns functions found. */
static int scan(u16 cfg_size)
{
	pci_system_destroy(&pci_system);
	for (unsigned int i = 0; i < nr_fns; i++)
		fns[i]->bar_writes_decoding = 0;
	root = pci_root_alloc(0, 0, 255, cfg_size, &fake_ops, NULL);
	if (!root)
		abort();
	return pci_scan_root(&pci_system, root);
}

static struct pci_dev *dev_at(u8 bus, u8 slot, u8 fn)
{
	return pci_find_slot(0, bus, PCI_DEVFN(slot, fn));
}

static unsigned long free_pages_settled(void)
{
	kmalloc_shrink();
	return pmm_nr_free(&kernel_pmm);
}

/* ---- configuration access ---- */

static void t_conf1_address(void)
{
	KT_EXPECT_EQ(pci_conf1_address(0, 0, 0), 0x80000000u);
	KT_EXPECT_EQ(pci_conf1_address(0x12, PCI_DEVFN(0x1f, 2), 0x3d), 0x8012fa3cu);
	KT_EXPECT_EQ(pci_conf1_address(0xff, 0xff, 0xff), 0x80fffffcu);
}

static void t_bad_register_reads_all_ones(void)
{
	struct pci_dev *dev;
	u32 v;
	u16 w;

	fake_endpoint(0, 1, 0, 0x8086, 0x1234);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 1);
	dev = dev_at(0, 1, 0);
	KT_ASSERT(dev);
	KT_EXPECT_EQ(pci_read_config_word(dev, 1, &w), -EINVAL);
	KT_EXPECT_EQ(w, 0xffff);
	KT_EXPECT_EQ(pci_read_config_dword(dev, 0x102, &v), -EINVAL);
	KT_EXPECT_EQ(pci_read_config_dword(dev, 0x100, &v), -EINVAL);	/* no ECAM */
	KT_EXPECT_EQ(v, 0xffffffffu);
	KT_EXPECT_EQ(pci_write_config_dword(dev, 0xfe, 0), -EINVAL);
	KT_EXPECT_EQ(pci_read_config_dword(dev, PCI_VENDOR_ID, &v), 0);
	KT_EXPECT_EQ(v, 0x12348086u);
	machine_reset();
}

/* ---- enumeration ---- */

static void t_absent_slots_skipped(void)
{
	struct fake_fn *f;

	fake_endpoint(0, 0, 0, 0x8086, 0x29c0);
	/* slot 3 answers all-ones in every register: nothing there */
	f = fake_endpoint(0, 3, 0, 0xffff, 0xffff);
	memset(f->cfg, 0xff, sizeof(f->cfg));
	fake_endpoint(0, 4, 0, 0x0000, 0x0000);		/* vendor 0: absent too */
	fake_endpoint(0, 31, 0, 0x8086, 0x2918);
	KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 2);
	KT_EXPECT(dev_at(0, 0, 0) && dev_at(0, 31, 0));
	KT_EXPECT(!dev_at(0, 3, 0) && !dev_at(0, 4, 0));
	KT_EXPECT_EQ(pci_system.nr_buses, 1);
	machine_reset();
}

static void t_multifunction(void)
{
	struct fake_fn *f;

	f = fake_endpoint(0, 2, 0, 0x8086, 0x0001);
	f->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
	fake_endpoint(0, 2, 2, 0x8086, 0x0002);
	fake_endpoint(0, 2, 7, 0x8086, 0x0007);
	/* slot 5 is single-function: an alias at function 1 must not be listed */
	fake_endpoint(0, 5, 0, 0x1af4, 0x1042);
	fake_endpoint(0, 5, 1, 0x1af4, 0x1042);
	KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 4);
	KT_EXPECT(dev_at(0, 2, 0) && dev_at(0, 2, 2) && dev_at(0, 2, 7));
	KT_EXPECT(dev_at(0, 2, 0) && dev_at(0, 2, 0)->multifunction);
	KT_EXPECT(dev_at(0, 5, 0) && !dev_at(0, 5, 1));
	machine_reset();
}

static void t_ids_and_interrupt_pin(void)
{
	struct fake_fn *f = fake_endpoint(0, 4, 0, 0x1af4, 0x1001);
	struct pci_dev *dev;

	put16(f, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	put16(f, PCI_SUBSYSTEM_ID, 0x0002);
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->cfg[PCI_INTERRUPT_LINE] = 11;
	f = fake_endpoint(0, 5, 0, 0x1234, 0x5678);
	f->cfg[PCI_INTERRUPT_PIN] = 9;		/* no such pin */
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	host_printk_quiet(false);
	dev = dev_at(0, 4, 0);
	KT_ASSERT(dev);
	KT_EXPECT_EQ(dev->vendor, 0x1af4);
	KT_EXPECT_EQ(dev->device, 0x1001);
	KT_EXPECT_EQ(dev->class, 0x010802);
	KT_EXPECT_EQ(dev->revision, 0x01);
	KT_EXPECT_EQ(dev->subsystem_vendor, 0x1af4);
	KT_EXPECT_EQ(dev->subsystem_device, 0x0002);
	KT_EXPECT_EQ(dev->pin, 1);
	KT_EXPECT_EQ(dev->irq_line, 11);
	KT_EXPECT(!strcmp(dev->name, "0000:00:04.0"));
	KT_EXPECT_EQ(dev_at(0, 5, 0)->pin, 0);
	machine_reset();
}

/* ---- BARs ---- */

static void t_bar_mem32_and_prefetch(void)
{
	struct fake_fn *f = fake_endpoint(0, 1, 0, 0x1234, 0x1111);
	struct pci_dev *dev;

	fake_bar_mem32(f, 0, 0xc0000000u, 16u << 20, true);
	fake_bar_mem32(f, 2, 0xc15cc000u, 0x1000, false);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 1);
	dev = dev_at(0, 1, 0);
	KT_ASSERT(dev && !dev->broken);
	KT_EXPECT_EQ(dev->bar[0].start, 0xc0000000u);
	KT_EXPECT_EQ(dev->bar[0].size, 16u << 20);
	KT_EXPECT_EQ(dev->bar[0].flags, PCI_BAR_MEM | PCI_BAR_PREFETCH);
	KT_EXPECT_EQ(dev->bar[0].raw_flags, PCI_BASE_ADDRESS_MEM_PREFETCH);
	KT_EXPECT_EQ(dev->bar[2].start, 0xc15cc000u);
	KT_EXPECT_EQ(dev->bar[2].size, 0x1000);
	KT_EXPECT_EQ(dev->bar[2].flags, PCI_BAR_MEM);
	KT_EXPECT_EQ(dev->bar[1].size, 0);	/* not implemented */
	KT_EXPECT_EQ(dev->bar[5].size, 0);
	machine_reset();
}

static void t_bar_mem64_above_4g(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1b36, 0x0010);
	struct pci_dev *dev;

	fake_bar_mem64(f, 0, 0xe040000000ull, 0x4000, false);
	fake_bar_mem64(f, 2, 0x800000000ull, 8ull << 30, true);	/* 8 GiB: size bits only above 4G */
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 1);
	dev = dev_at(0, 3, 0);
	KT_ASSERT(dev && !dev->broken);
	KT_EXPECT_EQ(dev->bar[0].start, 0xe040000000ull);
	KT_EXPECT_EQ(dev->bar[0].size, 0x4000);
	KT_EXPECT_EQ(dev->bar[0].flags, PCI_BAR_MEM | PCI_BAR_MEM64);
	KT_EXPECT_EQ(dev->bar[0].raw_flags, PCI_BASE_ADDRESS_MEM_TYPE_64);
	KT_EXPECT_EQ(dev->bar[1].size, 0);	/* the upper half is not a BAR of its own */
	KT_EXPECT_EQ(dev->bar[1].flags, 0);
	KT_EXPECT_EQ(dev->bar[2].start, 0x800000000ull);
	KT_EXPECT_EQ(dev->bar[2].size, 8ull << 30);
	KT_EXPECT_EQ(dev->bar[2].flags, PCI_BAR_MEM | PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	KT_EXPECT_EQ(dev->bar[3].size, 0);
	machine_reset();
}

static void t_bar_io(void)
{
	struct fake_fn *f = fake_endpoint(0, 31, 2, 0x8086, 0x2922);
	struct pci_dev *dev;

	fake_bar_io(f, 4, 0xc040, 0x20, true);
	fake_bar_io(f, 5, 0x10000, 0x100, false);	/* a 32-bit I/O decoder */
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 0);	/* function 2 without function 0 */
	fake_endpoint(0, 31, 0, 0x8086, 0x2918)->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	dev = dev_at(0, 31, 2);
	KT_ASSERT(dev && !dev->broken);
	KT_EXPECT_EQ(dev->bar[4].start, 0xc040);
	KT_EXPECT_EQ(dev->bar[4].size, 0x20);
	KT_EXPECT_EQ(dev->bar[4].flags, PCI_BAR_IO);
	KT_EXPECT_EQ(dev->bar[4].raw_flags, PCI_BASE_ADDRESS_SPACE_IO);
	KT_EXPECT_EQ(dev->bar[5].start, 0x10000);
	KT_EXPECT_EQ(dev->bar[5].size, 0x100);
	machine_reset();
}

static void t_sizing_restores_and_disables_decode(void)
{
	struct fake_fn *f = fake_endpoint(0, 2, 0, 0x1af4, 0x1001);
	struct fake_fn *host = fake_add(0, 0, 0, 0x8086, 0x29c0, 0x060000, 0);
	u8 before[PCI_CFG_SPACE_SIZE];

	fake_bar_io(f, 0, 0x7200, 0x80, true);
	fake_bar_mem32(f, 1, 0xc15cb000u, 0x1000, false);
	fake_bar_mem64(f, 4, 0xe040000000ull, 0x4000, true);
	put16(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	fake_bar_mem32(host, 0, 0xfe000000u, 0x1000, false);
	memcpy(before, f->cfg, sizeof(before));
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	KT_EXPECT(!memcmp(before, f->cfg, sizeof(before)));
	KT_EXPECT_EQ(f->bar_writes_decoding, 0);
	/* the host bridge keeps decoding: its BAR writes happen with decode on */
	KT_EXPECT(host->bar_writes_decoding > 0);
	KT_EXPECT_EQ(dev_at(0, 0, 0)->bar[0].size, 0x1000);
	machine_reset();
}

static void t_bar_64bit_in_last_slot_broken(void)
{
	struct fake_fn *f = fake_endpoint(0, 6, 0, 0x1234, 0x0001);
	struct pci_dev *dev;

	fake_bar_mem32(f, 0, 0xc0000000u, 0x1000, false);
	put32(f, PCI_BASE_ADDRESS_0 + 20, 0xd0000000u | PCI_BASE_ADDRESS_MEM_TYPE_64);
	wmask32(f, PCI_BASE_ADDRESS_0 + 20, 0xfffff000u);
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 1);
	host_printk_quiet(false);
	dev = dev_at(0, 6, 0);
	KT_ASSERT(dev);
	KT_EXPECT(dev->broken && !strcmp(dev->broken, "BAR"));
	KT_EXPECT(strstr(host_printk_last(), "64-bit BAR in the last slot"));
	KT_EXPECT_EQ(pci_system.nr_broken, 1);
	machine_reset();
}

static void t_bar_with_hole_broken(void)
{
	struct fake_fn *f = fake_endpoint(0, 6, 0, 0x1234, 0x0002);
	struct fake_fn *g = fake_endpoint(0, 7, 0, 0x1234, 0x0003);

	put32(f, PCI_BASE_ADDRESS_0, 0xc0000000u);
	wmask32(f, PCI_BASE_ADDRESS_0, 0xfff0f000u);	/* size bits with a hole */
	put32(g, PCI_BASE_ADDRESS_0, 0xc0000006u);	/* reserved memory type 3 */
	wmask32(g, PCI_BASE_ADDRESS_0, 0xfffff000u);
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	host_printk_quiet(false);
	KT_EXPECT(dev_at(0, 6, 0)->broken);
	KT_EXPECT(dev_at(0, 7, 0)->broken);
	KT_EXPECT_EQ(pci_system.nr_broken, 2);
	machine_reset();
}

/* ---- bridges ---- */

static void t_device_behind_bridge(void)
{
	struct pci_dev *dev;

	fake_add(0, 0, 0, 0x8086, 0x29c0, 0x060000, 0);
	fake_bridge(0, 4, 1, 1);
	fake_bridge(0, 5, 2, 3);
	fake_endpoint(1, 0, 0, 0x1b36, 0x0010);
	fake_bridge(2, 0, 3, 3);		/* a switch below the second port */
	fake_endpoint(3, 0, 0, 0x1af4, 0x1042);
	fake_endpoint(4, 0, 0, 0x1af4, 0x1042);	/* on a bus no bridge leads to */
	KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 6);
	KT_EXPECT_EQ(pci_system.nr_buses, 4);
	dev = dev_at(1, 0, 0);
	KT_ASSERT(dev);
	KT_EXPECT(dev->bridge == dev_at(0, 4, 0));
	dev = dev_at(3, 0, 0);
	KT_ASSERT(dev);
	KT_EXPECT(dev->bridge == dev_at(2, 0, 0));
	KT_EXPECT(dev_at(2, 0, 0)->bridge == dev_at(0, 5, 0));
	KT_EXPECT(!dev_at(4, 0, 0));
	KT_EXPECT(dev_at(0, 4, 0)->bridge_followed);
	/* the list is sorted by bus then devfn whatever the scan order */
	dev = list_first_entry(&pci_system.devices, struct pci_dev, node);
	KT_EXPECT(dev == dev_at(0, 0, 0));
	dev = list_entry(pci_system.devices.prev, struct pci_dev, node);
	KT_EXPECT(dev == dev_at(3, 0, 0));
	machine_reset();
}

static void t_bridge_bus_loop_refused(void)
{
	fake_bridge(0, 1, 1, 2);
	fake_bridge(1, 0, 2, 2);
	fake_bridge(2, 0, 1, 1);	/* back up to bus 1: a loop */
	fake_bridge(2, 1, 2, 2);	/* to its own bus */
	fake_bridge(0, 2, 2, 2);	/* a second bridge claiming bus 2 */
	fake_endpoint(2, 5, 0, 0x1234, 0x0001);
	host_printk_quiet(true);
	KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 6);
	host_printk_quiet(false);
	KT_EXPECT_EQ(pci_system.nr_buses, 3);
	KT_EXPECT(dev_at(2, 5, 0));
	KT_EXPECT(!dev_at(2, 0, 0)->bridge_followed);
	KT_EXPECT(!dev_at(2, 1, 0)->bridge_followed);
	/* exactly one of the two bridges to bus 2 was followed */
	KT_EXPECT(dev_at(1, 0, 0)->bridge_followed != dev_at(0, 2, 0)->bridge_followed);
	KT_EXPECT(dev_at(2, 5, 0)->bridge == dev_at(0, 2, 0));
	machine_reset();
}

static void t_bridge_range_outside_parent_refused(void)
{
	fake_bridge(0, 1, 1, 2);
	fake_bridge(1, 0, 3, 5);	/* 3-5 is not inside 1-2 */
	fake_endpoint(3, 0, 0, 0x1234, 0x0001);
	fake_bridge(0, 2, 8, 7);	/* subordinate below secondary */
	fake_endpoint(8, 0, 0, 0x1234, 0x0002);
	fake_bridge(0, 3, 0, 0);	/* never numbered by the firmware */
	host_printk_quiet(true);
	KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 4);
	host_printk_quiet(false);
	KT_EXPECT(!dev_at(3, 0, 0) && !dev_at(8, 0, 0));
	KT_EXPECT_EQ(pci_system.nr_buses, 2);
	machine_reset();

	/*
	 * Bus 5 is scanned before bus 1 (its bridge comes first on bus 0); its
	 * bridge names bus 3, below its own number: refused, so bus 3 belongs
	 * to the bridge on bus 1 that really leads there.
	 */
	fake_bridge(0, 1, 5, 6);
	fake_bridge(0, 2, 1, 4);
	fake_bridge(5, 0, 3, 3);
	fake_bridge(1, 0, 3, 3);
	fake_endpoint(3, 0, 0, 0x1234, 0x0003);
	host_printk_quiet(true);
	KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 5);
	host_printk_quiet(false);
	KT_ASSERT(dev_at(3, 0, 0));
	KT_EXPECT(dev_at(3, 0, 0)->bridge == dev_at(1, 0, 0));
	KT_EXPECT(!dev_at(5, 0, 0)->bridge_followed);
	machine_reset();
}

static void t_bridge_chain_ends(void)
{
	unsigned int found;

	/* bus n has a bridge to bus n + 1, all the way to 255 */
	for (unsigned int b = 0; b < 255; b++)
		fake_bridge((u8)b, 0, (u8)(b + 1), 255);
	fake_endpoint(255, 0, 0, 0x1234, 0x0001);
	fake_endpoint(255, 1, 0, 0x1234, 0x0002)->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	fns[nr_fns - 1]->cfg[PCI_SECONDARY_BUS] = 0;	/* wraps to bus 0 */
	fns[nr_fns - 1]->cfg[PCI_SUBORDINATE_BUS] = 255;
	host_printk_quiet(true);
	found = (unsigned int)scan(PCI_CFG_SPACE_SIZE);
	host_printk_quiet(false);
	KT_EXPECT_EQ(found, 257);
	KT_EXPECT_EQ(pci_system.nr_buses, 256);
	KT_EXPECT(dev_at(255, 0, 0));
	machine_reset();
}

/* ---- capabilities ---- */

static void t_caps_found(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1af4, 0x1042);
	struct pci_dev *dev;
	u8 pos;
	int n = 0;

	fake_bar_mem32(f, 1, 0xc1000000u, 0x1000, false);
	fake_bar_mem64(f, 4, 0xe020000000ull, 0x4000, true);
	fake_msix(f, 0x98, 0x84, 2, 1, 0, 1, 0x800);
	fake_cap(f, 0x84, PCI_CAP_ID_VNDR, 0x70);
	fake_cap(f, 0x70, PCI_CAP_ID_VNDR, 0x60);
	fake_cap(f, 0x60, PCI_CAP_ID_EXP, 0x50);
	fake_cap(f, 0x50, PCI_CAP_ID_MSI, 0x41);	/* the low bits of a pointer are ignored */
	fake_cap(f, 0x40, PCI_CAP_ID_VNDR, 0);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 1);
	dev = dev_at(0, 3, 0);
	KT_ASSERT(dev && !dev->broken);
	KT_EXPECT_EQ(dev->msix_cap, 0x98);
	KT_EXPECT_EQ(dev->msi_cap, 0x50);
	KT_EXPECT_EQ(dev->pcie_cap, 0x60);
	KT_EXPECT_EQ(dev->nr_vendor_caps, 3);
	KT_EXPECT_EQ(dev->nr_caps, 6);
	KT_EXPECT_EQ(pci_find_capability(dev, PCI_CAP_ID_EXP), 0x60);
	KT_EXPECT_EQ(pci_find_capability(dev, PCI_CAP_ID_PM), 0);
	for (pos = pci_find_capability(dev, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_capability(dev, pos, PCI_CAP_ID_VNDR))
		n++;
	KT_EXPECT_EQ(n, 3);
	KT_EXPECT_EQ(dev->msix.table_size, 2);
	KT_EXPECT_EQ(dev->msix.table_bar, 1);
	KT_EXPECT_EQ(dev->msix.pba_offset, 0x800);
	machine_reset();
}

static void t_cap_loop_broken(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1234, 0x0001);
	struct fake_fn *g = fake_endpoint(0, 4, 0, 0x1234, 0x0002);
	struct pci_cap_iter it;
	unsigned int steps = 0;

	fake_cap(f, 0x40, PCI_CAP_ID_PM, 0x50);
	fake_cap(f, 0x50, PCI_CAP_ID_VNDR, 0x60);
	fake_cap(f, 0x60, PCI_CAP_ID_VNDR, 0x50);	/* back to 0x50 */
	fake_cap(g, 0x40, PCI_CAP_ID_VNDR, 0x40);	/* to itself */
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	host_printk_quiet(false);
	KT_EXPECT(dev_at(0, 3, 0)->broken && dev_at(0, 4, 0)->broken);
	KT_EXPECT(strstr(host_printk_last(), "capability list loops back at 0x40"));
	/* a driver's search on such a list ends too */
	KT_EXPECT_EQ(pci_find_capability(dev_at(0, 3, 0), PCI_CAP_ID_MSIX), 0);
	pci_cap_iter_init(&it, dev_at(0, 3, 0));
	while (pci_cap_iter_next(&it))
		steps++;
	KT_EXPECT_EQ(steps, 3);
	KT_EXPECT_EQ(it.end, PCI_CAP_END_LOOP);
	KT_EXPECT_EQ(it.bad, 0x50);
	machine_reset();
}

static void t_cap_pointer_into_header(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1234, 0x0001);
	struct fake_fn *g = fake_endpoint(0, 4, 0, 0x1234, 0x0002);
	struct pci_cap_iter it;

	fake_cap(f, 0x40, PCI_CAP_ID_PM, 0x10);		/* into the BARs */
	fake_cap(g, 0x80, PCI_CAP_ID_MSI, 0);
	g->cfg[PCI_STATUS] &= ~PCI_STATUS_CAP_LIST;	/* the list is not valid */
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	host_printk_quiet(false);
	KT_EXPECT(dev_at(0, 3, 0)->broken);
	pci_cap_iter_init(&it, dev_at(0, 3, 0));
	KT_EXPECT(pci_cap_iter_next(&it) && it.id == PCI_CAP_ID_PM);
	KT_EXPECT(!pci_cap_iter_next(&it));
	KT_EXPECT_EQ(it.end, PCI_CAP_END_RANGE);
	KT_EXPECT_EQ(it.bad, 0x10);
	KT_EXPECT(!dev_at(0, 4, 0)->broken);
	KT_EXPECT_EQ(dev_at(0, 4, 0)->msi_cap, 0);
	machine_reset();
}

static void t_ext_caps(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x8086, 0x10d3);
	struct fake_fn *g = fake_endpoint(0, 4, 0, 0x8086, 0x10d3);

	fake_cap(f, 0xe0, PCI_CAP_ID_EXP, 0);
	fake_ext_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x140);
	fake_ext_cap(f, 0x140, PCI_EXT_CAP_ID_DSN, 0);
	fake_cap(g, 0xe0, PCI_CAP_ID_EXP, 0);
	fake_ext_cap(g, 0x100, PCI_EXT_CAP_ID_ERR, 0x140);
	fake_ext_cap(g, 0x140, PCI_EXT_CAP_ID_DSN, 0x100);	/* loops */
	/* through port I/O the extended space is out of reach: both fine */
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	KT_EXPECT(!dev_at(0, 3, 0)->broken && !dev_at(0, 4, 0)->broken);
	KT_EXPECT_EQ(pci_find_ext_capability(dev_at(0, 3, 0), PCI_EXT_CAP_ID_DSN), 0);
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_EXP_SIZE) == 2);
	host_printk_quiet(false);
	KT_EXPECT_EQ(pci_find_ext_capability(dev_at(0, 3, 0), PCI_EXT_CAP_ID_DSN), 0x140);
	KT_EXPECT_EQ(pci_find_ext_capability(dev_at(0, 3, 0), PCI_EXT_CAP_ID_SRIOV), 0);
	KT_EXPECT_EQ(dev_at(0, 3, 0)->nr_ext_caps, 2);
	KT_EXPECT(dev_at(0, 4, 0)->broken);
	KT_EXPECT(strstr(host_printk_last(), "extended capability list loops back at 0x100"));
	KT_EXPECT_EQ(pci_find_ext_capability(dev_at(0, 4, 0), PCI_EXT_CAP_ID_SRIOV), 0);
	machine_reset();
}

static void t_msix_table_outside_bar(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1af4, 0x1042);
	struct fake_fn *g = fake_endpoint(0, 4, 0, 0x1af4, 0x1042);
	struct fake_fn *h = fake_endpoint(0, 5, 0, 0x1af4, 0x1042);

	fake_bar_mem32(f, 1, 0xc1000000u, 0x1000, false);
	fake_msix(f, 0x40, 0x50, 2, 1, 0xff8, 1, 0x800);	/* 32 bytes at 0xff8: 8 past the end */
	fake_cap(f, 0x50, PCI_CAP_ID_MSI, 0);
	fake_bar_mem64(g, 0, 0xe000000000ull, 0x4000, false);
	fake_msix(g, 0x40, 0, 4, 1, 0, 1, 0x800);		/* BIR 1: the upper half of BAR0 */
	fake_bar_io(h, 0, 0x7000, 0x100, true);
	fake_msix(h, 0x40, 0, 1, 0, 0, 0, 0x80);		/* an I/O BAR */
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 3);
	host_printk_quiet(false);
	KT_EXPECT(!dev_at(0, 3, 0)->broken);
	KT_EXPECT_EQ(dev_at(0, 3, 0)->msix_cap, 0);
	KT_EXPECT_EQ(dev_at(0, 3, 0)->msi_cap, 0x50);
	KT_EXPECT_EQ(dev_at(0, 4, 0)->msix_cap, 0);
	KT_EXPECT_EQ(dev_at(0, 5, 0)->msix_cap, 0);
	machine_reset();
}

/* ---- drivers ---- */

static const struct pci_device_id nvme_ids[] = {
	{ PCI_DEVICE_CLASS(0x010802, 0xffffff) },
	{ 0 },
};

static const struct pci_device_id virtio_blk_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1042) },
	{ PCI_DEVICE(0x1af4, 0x1001), .driver_data = 1 },
	{ 0 },
};

static void t_id_match(void)
{
	struct pci_dev nvme = { .vendor = 0x1b36, .device = 0x0010, .class = 0x010802 };
	struct pci_dev ahci = { .vendor = 0x8086, .device = 0x2922, .class = 0x010601 };
	struct pci_dev nvme_other_if = { .vendor = 0x1b36, .device = 0x0010, .class = 0x010803 };
	struct pci_dev vblk = { .vendor = 0x1af4, .device = 0x1001, .class = 0x010000 };
	struct pci_dev vnet = { .vendor = 0x1af4, .device = 0x1000, .class = 0x020000 };
	static const struct pci_device_id storage_any[] = {
		{ PCI_DEVICE_CLASS(0x010000, 0xff0000) },
		{ 0 },
	};

	KT_EXPECT(pci_match_id(nvme_ids, &nvme) == &nvme_ids[0]);
	KT_EXPECT(!pci_match_id(nvme_ids, &ahci));
	KT_EXPECT(!pci_match_id(nvme_ids, &nvme_other_if));
	KT_EXPECT(pci_match_id(virtio_blk_ids, &vblk) == &virtio_blk_ids[1]);
	KT_EXPECT(!pci_match_id(virtio_blk_ids, &vnet));
	KT_EXPECT(pci_match_id(storage_any, &ahci) && pci_match_id(storage_any, &vblk));
	KT_EXPECT(!pci_match_id(storage_any, &vnet));
	KT_EXPECT(!pci_match_id(NULL, &vnet));
}

static unsigned int probes, removes;
static int probe_result;
static struct pci_dev *last_probed;

static int fake_probe(struct pci_dev *dev, const struct pci_device_id *id)
{
	probes++;
	last_probed = dev;
	if (!probe_result)
		pci_set_drvdata(dev, (void *)id);
	return probe_result;
}

static void fake_remove(struct pci_dev *dev)
{
	removes++;
}

static void t_driver_register_probe_remove(void)
{
	struct pci_driver nvme = { .name = "nvme", .id_table = nvme_ids,
				   .probe = fake_probe, .remove = fake_remove };
	struct pci_driver other = { .name = "other", .id_table = nvme_ids,
				    .probe = fake_probe, .remove = fake_remove };
	struct fake_fn *bad;

	fake_endpoint(0, 1, 0, 0x1b36, 0x0010);				/* NVMe class */
	fake_add(0, 2, 0, 0x8086, 0x2922, 0x010601, 0);			/* AHCI */
	bad = fake_endpoint(0, 3, 0, 0x1b36, 0x0010);			/* NVMe, broken */
	fake_cap(bad, 0x40, PCI_CAP_ID_VNDR, 0x40);
	host_printk_quiet(true);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 3);
	probes = removes = 0;
	probe_result = -ENODEV;
	KT_EXPECT_EQ(pci_register_driver(&other), 0);	/* declines */
	KT_EXPECT_EQ(probes, 1);
	KT_EXPECT(!dev_at(0, 1, 0)->driver);
	probe_result = 0;
	KT_EXPECT_EQ(pci_register_driver(&nvme), 1);
	host_printk_quiet(false);
	KT_EXPECT_EQ(probes, 2);
	KT_EXPECT(last_probed == dev_at(0, 1, 0));
	KT_EXPECT(dev_at(0, 1, 0)->driver == &nvme);
	KT_EXPECT(pci_get_drvdata(dev_at(0, 1, 0)) == &nvme_ids[0]);
	KT_EXPECT(!dev_at(0, 2, 0)->driver && !dev_at(0, 3, 0)->driver);
	pci_unregister_driver(&nvme);
	KT_EXPECT_EQ(removes, 1);
	KT_EXPECT(!dev_at(0, 1, 0)->driver && !pci_get_drvdata(dev_at(0, 1, 0)));
	pci_unregister_driver(&other);
	KT_EXPECT_EQ(removes, 1);
	machine_reset();
}

/* ---- the listing and /proc/bus/pci/devices ---- */

static void t_proc_devices_format(void)
{
	struct pci_driver drv = { .name = "virtio-pci", .id_table = virtio_blk_ids,
				  .probe = fake_probe };
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1af4, 0x1001);
	char buf[1024];
	size_t need;
	static const char want[] =
		"0000\t80860000\t0"
		"\t               0\t               0\t               0\t               0"
		"\t               0\t               0\t               0"
		"\t               0\t               0\t               0\t               0"
		"\t               0\t               0\t               0\t\n"
		"0018\t1af41001\tb"
		"\t            7201\t        c15cb000\t               0\t               0"
		"\t      e04000000c\t               0\t               0"
		"\t              80\t            1000\t               0\t               0"
		"\t            4000\t               0\t               0\tvirtio-pci\n";

	fake_add(0, 0, 0, 0x8086, 0x0000, 0x060000, 0);
	fake_bar_io(f, 0, 0x7200, 0x80, true);
	fake_bar_mem32(f, 1, 0xc15cb000u, 0x1000, false);
	fake_bar_mem64(f, 4, 0xe040000000ull, 0x4000, true);
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->cfg[PCI_INTERRUPT_LINE] = 11;
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	probe_result = 0;
	host_printk_quiet(true);
	pci_register_driver(&drv);
	host_printk_quiet(false);
	need = pci_format_proc_devices(&pci_system, buf, sizeof(buf));
	KT_EXPECT_EQ(need, strlen(want));
	KT_EXPECT(!strcmp(buf, want));
	if (strcmp(buf, want))
		printf("    # got:\n%s", buf);
	/* a short buffer gets a NUL-terminated prefix and the full length */
	KT_EXPECT_EQ(pci_format_proc_devices(&pci_system, buf, 10), strlen(want));
	KT_EXPECT(!strncmp(buf, want, 9) && buf[9] == '\0');
	pci_unregister_driver(&drv);
	machine_reset();
}

static void t_listing_line(void)
{
	struct fake_fn *f = fake_endpoint(0, 3, 0, 0x1af4, 0x1001);
	char line[320];

	fake_bar_io(f, 0, 0x7200, 0x80, true);
	fake_bar_mem32(f, 1, 0xc15cb000u, 0x1000, false);
	fake_bar_mem64(f, 4, 0xe040000000ull, 0x4000, true);
	put32(f, PCI_REVISION_ID, 0x01000000);
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->cfg[PCI_INTERRUPT_LINE] = 11;
	fake_msix(f, 0x98, 0x84, 2, 1, 0, 1, 0x800);
	fake_cap(f, 0x84, PCI_CAP_ID_VNDR, 0x70);
	fake_cap(f, 0x70, PCI_CAP_ID_VNDR, 0);
	fake_bridge(0, 4, 1, 1);
	KT_ASSERT(scan(PCI_CFG_SPACE_SIZE) == 2);
	pci_format_dev(dev_at(0, 3, 0), line, sizeof(line));
	KT_EXPECT(!strcmp(line, "0000:00:03.0 [1af4:1001] class 0100 SCSI storage controller "
			  "(rev 00), BAR0 io 0x7200 size 0x80, BAR1 mem 0xc15cb000 size 0x1000, "
			  "BAR4 mem64 pref 0xe040000000 size 0x4000, INTA line 11, caps MSI-X(2) "
			  "vendor(2)"));
	printf("    # %s\n", line);
	pci_format_dev(dev_at(0, 4, 0), line, sizeof(line));
	KT_EXPECT(!strcmp(line, "0000:00:04.0 [1b36:000c] class 0604 PCI bridge (rev 01), "
			  "buses 01-01"));
	printf("    # %s\n", line);
	KT_EXPECT(!strcmp(pci_class_name(0x010802), "Non-Volatile memory controller"));
	KT_EXPECT(!strcmp(pci_class_name(0x018000), "Mass storage controller"));
	KT_EXPECT(!strcmp(pci_class_name(0xff0000), "Unassigned class"));
	machine_reset();
}

static void t_no_leak(void)
{
	unsigned long before = free_pages_settled();

	for (int round = 0; round < 3; round++) {
		fake_bridge(0, 1, 1, 1);
		for (u8 s = 0; s < 32; s++)
			fake_endpoint(1, s, 0, 0x1234, s);
		KT_EXPECT_EQ(scan(PCI_CFG_SPACE_SIZE), 33);
		machine_reset();
	}
	KT_EXPECT_EQ(free_pages_settled(), before);
}

static const struct kt_case cases[] = {
	KT_CASE(t_conf1_address, "port I/O address encodes bus, devfn and the dword offset"),
	KT_CASE(t_bad_register_reads_all_ones,
		"misaligned or out-of-space config accesses fail and read all-ones"),
	KT_CASE(t_absent_slots_skipped, "slots reading all-ones or vendor 0 are absent and the scan goes on"),
	KT_CASE(t_multifunction, "functions 1-7 are scanned only when function 0 says multi-function"),
	KT_CASE(t_ids_and_interrupt_pin, "ids, class, revision, subsystem and interrupt pin/line are read"),
	KT_CASE(t_bar_mem32_and_prefetch, "32-bit memory BARs: base, size and prefetch flag"),
	KT_CASE(t_bar_mem64_above_4g, "64-bit BARs are sized across both registers, upper slot empty"),
	KT_CASE(t_bar_io, "I/O BARs with 16- and 32-bit decoders"),
	KT_CASE(t_sizing_restores_and_disables_decode,
		"BAR sizing runs with decode off and restores BARs and command (host bridge excepted)"),
	KT_CASE(t_bar_64bit_in_last_slot_broken, "a 64-bit BAR in the last slot marks the function broken"),
	KT_CASE(t_bar_with_hole_broken, "size bits with a hole or a reserved type mark the function broken"),
	KT_CASE(t_device_behind_bridge, "devices behind bridges are found on the secondary buses"),
	KT_CASE(t_bridge_bus_loop_refused, "bridges to a bus already scanned (a loop) are refused"),
	KT_CASE(t_bridge_range_outside_parent_refused,
		"bridges whose bus range is empty or outside the parent's are not followed"),
	KT_CASE(t_bridge_chain_ends, "a chain of 255 bridges scans 256 buses and stops"),
	KT_CASE(t_caps_found, "MSI, MSI-X, PCIe and every vendor-specific capability are found"),
	KT_CASE(t_cap_loop_broken, "a looping capability list ends the walk and marks the function broken"),
	KT_CASE(t_cap_pointer_into_header, "a capability pointer into the header ends the walk"),
	KT_CASE(t_ext_caps, "extended capabilities through ECAM only; a looping list is refused"),
	KT_CASE(t_msix_table_outside_bar, "an MSI-X table outside a memory BAR turns MSI-X off only"),
	KT_CASE(t_id_match, "id tables match by vendor/device and by class under a mask"),
	KT_CASE(t_driver_register_probe_remove,
		"registration probes matching free devices, a failed probe leaves them free, remove"),
	KT_CASE(t_proc_devices_format, "/proc/bus/pci/devices lines are in Linux's format"),
	KT_CASE(t_listing_line, "the boot listing line names class, BARs, pin and capabilities"),
	KT_CASE(t_no_leak, "destroying the enumeration gives back every page"),
};

int main(void)
{
	static struct page pages[RAM_PAGES];

	fake_ram_init(RAM_BASE, RAM_PAGES * PAGE_SIZE);
	pmm_init(&kernel_pmm, pages, PHYS_PFN(RAM_BASE), RAM_PAGES);
	pmm_add_free_range(&kernel_pmm, PHYS_PFN(RAM_BASE), RAM_PAGES);
	kmalloc_init();
	return kt_run_suite("pci", cases, KT_N(cases));
}
