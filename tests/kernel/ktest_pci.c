/*
 * In-kernel tests of PCI, `ktest=pci`: what boot enumeration found on the
 * QEMU machine, BAR sizes against what QEMU 7.2's `info pci` reports for
 * the same devices, a device behind a PCI Express root port, both
 * configuration mechanisms reading the same registers, MMIO through
 * pci_iomap, and MSI-X and MSI interrupts raised by real (emulated)
 * devices without a full driver: e1000e's interrupt-cause-set register
 * (MSI-X, "other" cause), and QEMU's edu device (MSI, its raise register),
 * the latter from a pci_driver's probe.
 *
 * Cases that need a device the machine lacks are skipped; tests/check.sh's
 * pci-q35 scenario adds them all and rejects any skip:
 *   -device virtio-blk-pci (transitional, bus 0), pcie-root-port + nvme,
 *   pcie-root-port + virtio-blk-pci (modern), e1000e, edu
 */
#include <pagoda/acpi.h>
#include <pagoda/cmdline.h>
#include <pagoda/completion.h>
#include <pagoda/errno.h>
#include <pagoda/irq.h>
#include <pagoda/ktest.h>
#include <pagoda/pci.h>
#include <pagoda/sched.h>
#include <pagoda/string.h>
#include <asm/io.h>
#include <asm/irqflags.h>
#include <asm/pci.h>
#include <mm/slab.h>

#define MS		1000000ll

/* Does @text contain @word? (The kernel has no strstr.) */
static bool contains(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (; *text; text++)
		if (!strncmp(text, word, n))
			return true;
	return false;
}

/* ---- what the machine must have ---- */

static void t_host_bridge(struct ktest *t)
{
	struct pci_dev *dev = pci_find_slot(0, 0, PCI_DEVFN(0, 0));

	KTEST_ASSERT(t, dev);
	KTEST_EXPECT_EQ(t, dev->class >> 8, PCI_CLASS_BRIDGE_HOST);
	KTEST_EXPECT_EQ(t, dev->vendor, 0x8086);	/* q35's 29c0, pc's 1237 */
	KTEST_EXPECT(t, dev->device == 0x29c0 || dev->device == 0x1237);
	KTEST_EXPECT(t, !dev->broken);
}

static void t_isa_bridge(struct ktest *t)
{
	struct pci_dev *dev = pci_find_class(PCI_CLASS_BRIDGE_ISA << 8, NULL);

	KTEST_ASSERT(t, dev);
	/* q35: ICH9 LPC at 00:1f.0; pc: PIIX3 at 00:01.0 */
	if (dev->device == 0x2918)
		KTEST_EXPECT_EQ(t, dev->devfn, PCI_DEVFN(0x1f, 0));
	else
		KTEST_EXPECT(t, dev->device == 0x7000 && dev->devfn == PCI_DEVFN(1, 0));
	KTEST_EXPECT(t, dev->multifunction);
}

/* ECAM exactly when the MCFG names a window (and pci=nommconf is not given). */
static void t_mechanism_matches_firmware(struct ktest *t)
{
	struct pci_dev *dev = pci_find_slot(0, 0, 0);
	unsigned int nr;
	char arg[16];

	KTEST_ASSERT(t, dev);
	acpi_mcfg_windows(&nr);
	if (cmdline_value("pci", arg, sizeof(arg)) && !strcmp(arg, "nommconf"))
		nr = 0;
	if (nr) {
		KTEST_EXPECT(t, !strcmp(dev->root->ops->name, "ECAM"));
		KTEST_EXPECT_EQ(t, dev->root->cfg_size, PCI_CFG_SPACE_EXP_SIZE);
	} else {
		KTEST_EXPECT(t, !strcmp(dev->root->ops->name, "port I/O"));
		KTEST_EXPECT_EQ(t, dev->root->cfg_size, PCI_CFG_SPACE_SIZE);
	}
}

/*
 * Where ECAM is used, port I/O must read the same first 64 bytes of every
 * function on bus 0 (two independent paths to one register file). The
 * status register's changing bits are left out.
 */
static void t_ecam_and_port_io_agree(struct ktest *t)
{
	struct pci_dev *dev = pci_find_slot(0, 0, 0);
	struct pci_root *conf1;
	unsigned int compared = 0;

	KTEST_ASSERT(t, dev);
	if (strcmp(dev->root->ops->name, "ECAM")) {
		ktest_skip(t, "port I/O is the only mechanism here");
		return;
	}
	KTEST_ASSERT(t, pci_conf1_present());
	conf1 = pci_root_alloc(0, 0, 255, PCI_CFG_SPACE_SIZE, &pci_conf1_ops, NULL);
	KTEST_ASSERT(t, conf1);
	for_each_pci_dev(dev) {
		if (dev->bus || dev->root->segment)
			continue;
		for (int off = 0; off < 64; off += 4) {
			u32 a, b;

			if (off == PCI_COMMAND)
				continue;
			pci_read_config_dword(dev, off, &a);
			pci_bus_read_config(conf1, 0, dev->devfn, off, 4, &b);
			if (a != b)
				ktest_fail(t, __FILE__, __LINE__, "%s+%#x: ECAM %#x, port I/O %#x",
					   dev->name, off, a, b);
			compared++;
		}
	}
	kfree(conf1);
	KTEST_EXPECT(t, compared >= 3 * 15);
}

/* ---- BAR sizes (QEMU 7.2 `info pci` on q35) ---- */

struct bar_want {
	u16 vendor, device;
	u8 bar;
	u32 flags;
	u64 size;
};

static const struct bar_want bar_wants[] = {
	{ 0x1af4, 0x1001, 0, PCI_BAR_IO, 0x80 },			/* virtio-blk, transitional */
	{ 0x1af4, 0x1001, 1, PCI_BAR_MEM, 0x1000 },
	{ 0x1af4, 0x1001, 4, PCI_BAR_MEM | PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000 },
	{ 0x1af4, 0x1042, 1, PCI_BAR_MEM, 0x1000 },			/* virtio-blk, modern */
	{ 0x1af4, 0x1042, 4, PCI_BAR_MEM | PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000 },
	{ 0x1b36, 0x0010, 0, PCI_BAR_MEM | PCI_BAR_MEM64, 0x4000 },	/* nvme */
	{ 0x8086, 0x10d3, 0, PCI_BAR_MEM, 0x20000 },			/* e1000e */
	{ 0x8086, 0x10d3, 1, PCI_BAR_MEM, 0x20000 },
	{ 0x8086, 0x10d3, 2, PCI_BAR_IO, 0x20 },
	{ 0x8086, 0x10d3, 3, PCI_BAR_MEM, 0x4000 },
	{ 0x1234, 0x11e8, 0, PCI_BAR_MEM, 0x100000 },			/* edu */
	{ 0x1b36, 0x000c, 0, PCI_BAR_MEM, 0x1000 },			/* pcie-root-port */
	{ 0x8086, 0x2922, 4, PCI_BAR_IO, 0x20 },			/* ICH9 AHCI */
	{ 0x8086, 0x2922, 5, PCI_BAR_MEM, 0x1000 },
	{ 0x8086, 0x7010, 4, PCI_BAR_IO, 0x10 },			/* PIIX3 IDE (pc) */
	{ 0x1234, 0x1111, 0, PCI_BAR_MEM | PCI_BAR_PREFETCH, 0x1000000 },	/* std VGA */
	{ 0x1234, 0x1111, 2, PCI_BAR_MEM, 0x1000 },
};

static void t_bar_sizes_match_qemu(struct ktest *t)
{
	unsigned int checked = 0;

	for (size_t i = 0; i < ARRAY_SIZE(bar_wants); i++) {
		const struct bar_want *w = &bar_wants[i];

		for (struct pci_dev *dev = pci_find_device(w->vendor, w->device, NULL); dev;
		     dev = pci_find_device(w->vendor, w->device, dev)) {
			const struct pci_bar *b = &dev->bar[w->bar];

			if (b->size != w->size || b->flags != w->flags || !b->start)
				ktest_fail(t, __FILE__, __LINE__,
					   "%s BAR%u: size %#llx flags %#x start %#llx, want size "
					   "%#llx flags %#x", dev->name, w->bar,
					   (unsigned long long)b->size, b->flags,
					   (unsigned long long)b->start,
					   (unsigned long long)w->size, w->flags);
			if (b->flags & PCI_BAR_MEM64)
				KTEST_EXPECT_EQ(t, dev->bar[w->bar + 1].size, 0);
			checked++;
		}
	}
	if (!checked)
		ktest_skip(t, "none of the devices whose sizes are known (tests/check.sh pci-q35)");
}

/* ---- bridges ---- */

/* [base, limit] of a bridge's non-prefetchable memory window. */
static void bridge_mem_window(struct pci_dev *br, u64 *base, u64 *limit)
{
	u16 b, l;

	pci_read_config_word(br, PCI_MEMORY_BASE, &b);
	pci_read_config_word(br, PCI_MEMORY_LIMIT, &l);
	*base = (u64)(b & 0xfff0) << 16;
	*limit = ((u64)(l & 0xfff0) << 16) | 0xfffff;
}

static void bridge_pref_window(struct pci_dev *br, u64 *base, u64 *limit)
{
	u16 b, l;
	u32 bu = 0, lu = 0;

	pci_read_config_word(br, PCI_PREF_MEMORY_BASE, &b);
	pci_read_config_word(br, PCI_PREF_MEMORY_LIMIT, &l);
	if ((b & 0xf) == 1) {
		pci_read_config_dword(br, PCI_PREF_BASE_UPPER32, &bu);
		pci_read_config_dword(br, PCI_PREF_LIMIT_UPPER32, &lu);
	}
	*base = (u64)bu << 32 | (u64)(b & 0xfff0) << 16;
	*limit = (u64)lu << 32 | ((u64)(l & 0xfff0) << 16) | 0xfffff;
}

/*
 * A function behind a bridge (a PCI Express root port, a PCI-to-PCI
 * bridge) sits on the bridge's secondary bus, and each memory BAR the
 * firmware gave it lies inside the bridge's forwarding window (so the BARs
 * were read from the right function and sized right).
 */
static void t_device_behind_bridge(struct ktest *t)
{
	unsigned int found = 0;
	struct pci_dev *dev;

	for_each_pci_dev(dev) {
		struct pci_dev *br = dev->bridge;

		if (!br)
			continue;
		found++;
		KTEST_EXPECT_EQ(t, br->class >> 8, PCI_CLASS_BRIDGE_PCI);
		KTEST_EXPECT_EQ(t, dev->bus, br->secondary);
		KTEST_EXPECT(t, br->bridge_followed);
		KTEST_EXPECT(t, dev->bus > br->bus && dev->bus <= br->subordinate);
		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar *b = &dev->bar[i];
			u64 base, limit;

			if (!(b->flags & PCI_BAR_MEM) || !b->start)
				continue;
			if (b->flags & PCI_BAR_PREFETCH)
				bridge_pref_window(br, &base, &limit);
			else
				bridge_mem_window(br, &base, &limit);
			if (b->start < base || b->start + b->size - 1 > limit)
				ktest_fail(t, __FILE__, __LINE__,
					   "%s BAR%u %#llx+%#llx outside %s window %#llx-%#llx",
					   dev->name, i, (unsigned long long)b->start,
					   (unsigned long long)b->size, br->name,
					   (unsigned long long)base, (unsigned long long)limit);
		}
	}
	if (!found)
		ktest_skip(t, "no device behind a bridge (add pcie-root-port and a device on it)");
	dev = pci_find_device(0x1b36, 0x0010, NULL);
	if (dev && dev->bridge)
		KTEST_EXPECT(t, dev->bus >= 1);
}

/* Some function has a usable MSI-X table (q35 with any virtio, nvme or e1000e). */
static void t_msix_capable_device(struct ktest *t)
{
	struct pci_dev *dev;
	unsigned int n = 0;

	for_each_pci_dev(dev) {
		if (!dev->msix_cap)
			continue;
		n++;
		KTEST_EXPECT(t, dev->msix.table_size >= 1);
		KTEST_EXPECT(t, dev->bar[dev->msix.table_bar].flags & PCI_BAR_MEM);
		KTEST_EXPECT_EQ(t, pci_find_capability(dev, PCI_CAP_ID_MSIX), dev->msix_cap);
	}
	if (!n)
		ktest_skip(t, "no MSI-X device on this machine");
	dev = pci_find_device(0x1b36, 0x0010, NULL);
	if (dev)
		KTEST_EXPECT_EQ(t, dev->msix.table_size, 65);	/* QEMU nvme: 64 I/O queues + admin */
	dev = pci_find_device(0x1af4, 0x1042, NULL);
	if (dev) {
		KTEST_EXPECT_EQ(t, dev->nr_vendor_caps, 5);	/* virtio: common, notify, isr, device, pci */
		KTEST_EXPECT(t, dev->pcie_cap);
	}
}

/* ---- MMIO ---- */

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04	/* reads back the complement of what was written */
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64

static void t_iomap(struct ktest *t)
{
	struct pci_dev *dev = pci_find_device(0x1234, 0x11e8, NULL);
	struct pci_dev *vblk = pci_find_device(0x1af4, 0x1001, NULL);
	u8 __iomem *regs;

	if (!dev) {
		ktest_skip(t, "needs -device edu");
		return;
	}
	KTEST_ASSERT(t, pci_enable_device(dev) == 0);
	regs = pci_iomap(dev, 0, 0x1000);
	KTEST_ASSERT(t, regs);
	KTEST_EXPECT_EQ(t, readl(regs + EDU_ID) & 0xff, 0xed);
	writel(0x12345678, regs + EDU_LIVENESS);
	KTEST_EXPECT_EQ(t, readl(regs + EDU_LIVENESS), ~0x12345678u);
	pci_iounmap(dev, regs);
	/* past the BAR's end, and an I/O BAR, are refused */
	KTEST_EXPECT(t, !pci_iomap_range(dev, 0, 0x100000, 4));
	if (vblk)
		KTEST_EXPECT(t, !pci_iomap(vblk, 0, 0));
}

/* ---- MSI-X: e1000e's "other" interrupt cause ---- */

#define E1000_ICR	0x00c0	/* cause, read to clear */
#define E1000_ICS	0x00c8	/* cause set */
#define E1000_IMS	0x00d0	/* mask set (enable) */
#define E1000_IMC	0x00d8	/* mask clear (disable) */
#define E1000_EIAC	0x00dc	/* auto-clear of causes on MSI-X */
#define E1000_IVAR	0x00e4	/* cause -> MSI-X vector */
#define E1000_ICR_OTHER	(1u << 24)
#define E1000_IVAR_OTHER_VALID_VEC(v)	((0x8u | (v)) << 16)

struct irq_probe {
	struct completion done;
	volatile unsigned int hits;
	volatile bool in_irq;
};

static void irq_probe_handler(void *data)
{
	struct irq_probe *p = data;

	p->hits++;
	p->in_irq = in_interrupt();
	complete(&p->done);
}

/* Wait up to @ms for the handler; true if it ran. */
static bool irq_probe_wait(struct irq_probe *p, long long ms)
{
	return wait_for_completion_timeout(&p->done, ms * MS) > 0;
}

/*
 * Program e1000e to send its "other" cause as MSI-X entry @entry. EIAC
 * makes the device clear the cause (and, IAME being off, its enable bit)
 * each time it sends the message, so every raise re-enables it.
 */
static void e1000e_route_other(u8 __iomem *regs, unsigned int entry)
{
	writel(E1000_IVAR_OTHER_VALID_VEC(entry), regs + E1000_IVAR);
	writel(E1000_ICR_OTHER, regs + E1000_EIAC);
	readl(regs + E1000_ICR);
}

static void e1000e_raise_other(u8 __iomem *regs)
{
	writel(E1000_ICR_OTHER, regs + E1000_IMS);
	writel(E1000_ICR_OTHER, regs + E1000_ICS);
}

static void t_msix_delivered(struct ktest *t)
{
	struct pci_dev *dev = pci_find_device(0x8086, 0x10d3, NULL);
	struct irq_probe p = { .hits = 0 };
	u8 __iomem *regs;
	int n, vec;

	if (!dev || !dev->msix_cap) {
		ktest_skip(t, "needs -device e1000e");
		return;
	}
	init_completion(&p.done);
	KTEST_ASSERT(t, pci_enable_device(dev) == 0);
	n = pci_alloc_irq_vectors(dev, 1, 2, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	KTEST_ASSERT(t, n == 2);
	KTEST_EXPECT_EQ(t, dev->irq.mode, PCI_IRQ_MSIX);
	KTEST_ASSERT(t, pci_request_irq(dev, 1, irq_probe_handler, &p, "ktest-e1000e") == 0);
	vec = pci_irq_vector(dev, 1);
	KTEST_EXPECT(t, vec >= IRQ_FIRST_DEVICE_VECTOR && vec <= IRQ_LAST_DEVICE_VECTOR);
	KTEST_EXPECT_EQ(t, pci_irq_vector(dev, 0), -EINVAL);
	regs = pci_iomap(dev, 0, 0);
	KTEST_ASSERT(t, regs);
	{
		u16 cmd, flags;

		pci_read_config_word(dev, PCI_COMMAND, &cmd);
		pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &flags);
		KTEST_EXPECT(t, cmd & PCI_COMMAND_MASTER);
		KTEST_EXPECT(t, cmd & PCI_COMMAND_INTX_DISABLE);
		KTEST_EXPECT(t, flags & PCI_MSIX_FLAGS_ENABLE);
		KTEST_EXPECT(t, !(flags & PCI_MSIX_FLAGS_MASKALL));
	}
	e1000e_route_other(regs, 1);

	e1000e_raise_other(regs);
	KTEST_EXPECT(t, irq_probe_wait(&p, 1000));
	KTEST_EXPECT_EQ(t, p.hits, 1);
	KTEST_EXPECT(t, p.in_irq);
	KTEST_EXPECT_EQ(t, irq_vector_count(vec), 1);

	/* masked: held by the device as pending, sent at unmask */
	KTEST_EXPECT_EQ(t, pci_irq_mask(dev, 1), 0);
	e1000e_raise_other(regs);
	KTEST_EXPECT(t, !irq_probe_wait(&p, 50));
	KTEST_EXPECT(t, pci_msix_pending(dev, 1));
	KTEST_EXPECT_EQ(t, p.hits, 1);
	KTEST_EXPECT_EQ(t, pci_irq_unmask(dev, 1), 0);
	KTEST_EXPECT(t, irq_probe_wait(&p, 1000));
	KTEST_EXPECT_EQ(t, p.hits, 2);
	KTEST_EXPECT(t, !pci_msix_pending(dev, 1));

	/* the function mask holds every entry the same way */
	pci_msix_function_mask(dev);
	e1000e_raise_other(regs);
	KTEST_EXPECT(t, !irq_probe_wait(&p, 50));
	KTEST_EXPECT_EQ(t, p.hits, 2);
	pci_msix_function_unmask(dev);
	KTEST_EXPECT(t, irq_probe_wait(&p, 1000));
	KTEST_EXPECT_EQ(t, p.hits, 3);

	writel(0xffffffffu, regs + E1000_IMC);
	readl(regs + E1000_ICR);
	pci_iounmap(dev, regs);
	pci_free_irq_vectors(dev);
	KTEST_EXPECT_EQ(t, pci_irq_vector(dev, 1), -EINVAL);
	{
		u16 cmd, flags;

		pci_read_config_word(dev, PCI_COMMAND, &cmd);
		pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &flags);
		KTEST_EXPECT(t, !(flags & PCI_MSIX_FLAGS_ENABLE));
		KTEST_EXPECT(t, !(cmd & PCI_COMMAND_INTX_DISABLE));
	}
	pci_clear_master(dev);
}

/* ---- MSI from a driver's probe: the edu device ---- */

struct edu_result {
	bool probed, sleepable, delivered;
	int nvec;
	unsigned int removed;
	struct irq_probe irq;
	u8 __iomem *regs;
};

static struct edu_result edu;

static void edu_irq(void *data)
{
	struct edu_result *e = data;

	writel(readl(e->regs + EDU_IRQ_STATUS), e->regs + EDU_IRQ_ACK);
	irq_probe_handler(&e->irq);
}

static int edu_probe(struct pci_dev *dev, const struct pci_device_id *id)
{
	int err;

	edu.probed = true;
	edu.sleepable = !in_atomic() && !irqs_disabled();
	err = pci_enable_device(dev);
	if (err)
		return err;
	edu.regs = pci_iomap(dev, 0, 0x1000);
	if (!edu.regs)
		return -ENOMEM;
	edu.nvec = pci_alloc_irq_vectors(dev, 1, 4, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (edu.nvec < 0)
		goto fail;
	err = pci_request_irq(dev, 0, edu_irq, &edu, "ktest-edu");
	if (err) {
		pci_free_irq_vectors(dev);
		goto fail;
	}
	writel(0x1, edu.regs + EDU_IRQ_RAISE);
	edu.delivered = irq_probe_wait(&edu.irq, 1000);	/* sleeps in the probe */
	pci_set_drvdata(dev, &edu);
	return 0;
fail:
	pci_iounmap(dev, edu.regs);
	return err ? err : edu.nvec;
}

static void edu_remove(struct pci_dev *dev)
{
	struct edu_result *e = pci_get_drvdata(dev);

	pci_free_irq_vectors(dev);
	pci_iounmap(dev, e->regs);
	pci_clear_master(dev);
	e->removed++;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ 0 },
};

static struct pci_driver edu_driver = {
	.name = "ktest-edu",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};

static void t_driver_probe_gets_msi(struct ktest *t)
{
	struct pci_dev *dev = pci_find_device(0x1234, 0x11e8, NULL);
	char *text;
	u16 flags;

	if (!dev) {
		ktest_skip(t, "needs -device edu");
		return;
	}
	memset(&edu, 0, sizeof(edu));
	init_completion(&edu.irq.done);
	KTEST_EXPECT_EQ(t, pci_register_driver(&edu_driver), 1);
	KTEST_EXPECT(t, edu.probed && edu.sleepable);
	KTEST_EXPECT_EQ(t, edu.nvec, 1);		/* edu has MSI only: one vector */
	KTEST_EXPECT(t, edu.delivered);
	KTEST_EXPECT_EQ(t, edu.irq.hits, 1);
	KTEST_EXPECT(t, dev->driver == &edu_driver);
	KTEST_EXPECT_EQ(t, dev->irq.mode, PCI_IRQ_MSI);
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &flags);
	KTEST_EXPECT(t, flags & PCI_MSI_FLAGS_ENABLE);
	KTEST_EXPECT_EQ(t, flags & PCI_MSI_FLAGS_QSIZE, 0);
	KTEST_EXPECT_EQ(t, pci_dev_irq(dev), (unsigned int)pci_irq_vector(dev, 0));

	/* /proc/bus/pci/devices names the driver on the edu line */
	text = kmalloc(8192, GFP_KERNEL);
	KTEST_ASSERT(t, text);
	pci_format_proc_devices(&pci_system, text, 8192);
	KTEST_EXPECT(t, contains(text, "\t123411e8\t"));
	KTEST_EXPECT(t, contains(text, "\tktest-edu\n"));
	kfree(text);

	pci_unregister_driver(&edu_driver);
	KTEST_EXPECT_EQ(t, edu.removed, 1);
	KTEST_EXPECT(t, !dev->driver);
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &flags);
	KTEST_EXPECT(t, !(flags & PCI_MSI_FLAGS_ENABLE));
}

/* ---- /proc/bus/pci/devices ---- */

/* One line per function, 17 tab-separated fields, bus+devfn first. */
static void t_proc_devices(struct ktest *t)
{
	size_t need = pci_format_proc_devices(&pci_system, NULL, 0);
	char *text = kmalloc(need + 1, GFP_KERNEL);
	unsigned int lines = 0, tabs = 0;
	struct pci_dev *first = list_first_entry(&pci_system.devices, struct pci_dev, node);

	KTEST_ASSERT(t, text);
	KTEST_EXPECT_EQ(t, pci_format_proc_devices(&pci_system, text, need + 1), need);
	for (const char *p = text; *p; p++) {
		if (*p == '\t')
			tabs++;
		if (*p == '\n') {
			KTEST_EXPECT_EQ(t, tabs, 17);
			tabs = 0;
			lines++;
		}
	}
	KTEST_EXPECT_EQ(t, lines, pci_system.nr_devices);
	KTEST_EXPECT(t, !strncmp(text, "0000\t8086", 9));
	KTEST_EXPECT_EQ(t, first->bus, 0);
	kfree(text);
}

static const struct ktest_case pci_cases[] = {
	KTEST_CASE(t_host_bridge, "the host bridge is 00:00.0"),
	KTEST_CASE(t_isa_bridge, "the LPC/ISA bridge is found where the chipset puts it"),
	KTEST_CASE(t_mechanism_matches_firmware,
		   "ECAM exactly when the MCFG names a window and pci=nommconf is absent"),
	KTEST_CASE(t_ecam_and_port_io_agree, "ECAM and port I/O read the same registers"),
	KTEST_CASE(t_bar_sizes_match_qemu, "BAR sizes and kinds match what QEMU reports"),
	KTEST_CASE(t_device_behind_bridge,
		   "devices behind a bridge are on its secondary bus, BARs in its window"),
	KTEST_CASE(t_msix_capable_device, "devices with MSI-X have a usable table"),
	KTEST_CASE(t_iomap, "pci_iomap reaches device registers and refuses bad ranges"),
	KTEST_CASE(t_msix_delivered,
		   "an MSI-X vector is delivered, held while masked and sent at unmask"),
	KTEST_CASE(t_driver_probe_gets_msi,
		   "a driver's probe runs sleepable and receives an MSI; remove disables it"),
	KTEST_CASE(t_proc_devices, "/proc/bus/pci/devices has one 17-field line per function"),
};

KTEST_SUITE(pci_suite, "pci", pci_cases);
