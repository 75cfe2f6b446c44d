/*
 * The I/O APICs of the MADT: each mapped with ioremap(), every redirection
 * entry masked at start, entries programmed on request (irq.c) with fixed
 * delivery in physical destination mode to the boot CPU.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/io.h>
#include <pagoda/irq.h>
#include <pagoda/printk.h>
#include <asm/apic.h>
#include <asm/io.h>

#define IOAPIC_REGSEL	0x00
#define IOAPIC_WINDOW	0x10
#define IOAPIC_REG_ID	0x00
#define IOAPIC_REG_VER	0x01
#define IOAPIC_REG_RTE	0x10	/* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */

struct ioapic {
	void __iomem *regs;
	u32 gsi_base;
	unsigned int nr_entries;
	u8 id;
};

static struct ioapic ioapics[ACPI_MADT_MAX_IOAPICS];
static unsigned int nr_ioapics;

static u32 ioapic_reg_read(const struct ioapic *io, u8 reg)
{
	writel(reg, (u8 __iomem *)io->regs + IOAPIC_REGSEL);
	return readl((u8 __iomem *)io->regs + IOAPIC_WINDOW);
}

static void ioapic_reg_write(const struct ioapic *io, u8 reg, u32 v)
{
	writel(reg, (u8 __iomem *)io->regs + IOAPIC_REGSEL);
	writel(v, (u8 __iomem *)io->regs + IOAPIC_WINDOW);
}

static u64 rte_read(const struct ioapic *io, unsigned int pin)
{
	u32 lo = ioapic_reg_read(io, (u8)(IOAPIC_REG_RTE + 2 * pin));
	u32 hi = ioapic_reg_read(io, (u8)(IOAPIC_REG_RTE + 2 * pin + 1));

	return (u64)hi << 32 | lo;
}

/* High half first, low (with the mask bit) last, so no half-written entry fires. */
static void rte_write(const struct ioapic *io, unsigned int pin, u64 v)
{
	ioapic_reg_write(io, (u8)(IOAPIC_REG_RTE + 2 * pin), (u32)v | IOAPIC_RTE_MASKED);
	ioapic_reg_write(io, (u8)(IOAPIC_REG_RTE + 2 * pin + 1), (u32)(v >> 32));
	ioapic_reg_write(io, (u8)(IOAPIC_REG_RTE + 2 * pin), (u32)v);
}

/* The I/O APIC that serves @gsi and the pin on it, or NULL. */
static struct ioapic *gsi_to_ioapic(u32 gsi, unsigned int *pin)
{
	for (unsigned int i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->nr_entries) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

unsigned int ioapic_init(void)
{
	const struct acpi_madt *m = acpi_get_madt();

	for (unsigned int i = 0; m && i < m->nr_ioapics; i++) {
		struct ioapic *io = &ioapics[nr_ioapics];

		io->regs = ioremap(m->ioapic[i].address, 0x20);
		if (!io->regs) {
			printk("ioapic: cannot map I/O APIC %u at %#x; its GSIs stay unused\n",
			       m->ioapic[i].id, m->ioapic[i].address);
			continue;
		}
		io->id = m->ioapic[i].id;
		io->gsi_base = m->ioapic[i].gsi_base;
		io->nr_entries = ((ioapic_reg_read(io, IOAPIC_REG_VER) >> 16) & 0xff) + 1;
		for (unsigned int pin = 0; pin < io->nr_entries; pin++)
			rte_write(io, pin, IOAPIC_RTE_MASKED);
		printk("ioapic: id %u at %#x, GSI %u-%u, all %u entries masked\n", io->id,
		       m->ioapic[i].address, io->gsi_base, io->gsi_base + io->nr_entries - 1,
		       io->nr_entries);
		nr_ioapics++;
	}
	return nr_ioapics;
}

int ioapic_route(u32 gsi, u8 vector, unsigned int flags, bool masked)
{
	unsigned int pin;
	struct ioapic *io = gsi_to_ioapic(gsi, &pin);
	u64 rte = vector | (u64)lapic_id() << 56;

	if (!io)
		return -ENODEV;
	if (flags & IRQ_LEVEL)
		rte |= IOAPIC_RTE_LEVEL;
	if (flags & IRQ_ACTIVE_LOW)
		rte |= IOAPIC_RTE_ACTIVE_LOW;
	if (masked)
		rte |= IOAPIC_RTE_MASKED;
	rte_write(io, pin, rte);
	return 0;
}

int ioapic_mask(u32 gsi, bool masked)
{
	unsigned int pin;
	struct ioapic *io = gsi_to_ioapic(gsi, &pin);
	u64 rte;

	if (!io)
		return -ENODEV;
	rte = rte_read(io, pin);
	rte = masked ? rte | IOAPIC_RTE_MASKED : rte & ~IOAPIC_RTE_MASKED;
	rte_write(io, pin, rte);
	return 0;
}

bool ioapic_read_entry(u32 gsi, u64 *entry)
{
	unsigned int pin;
	struct ioapic *io = gsi_to_ioapic(gsi, &pin);

	if (!io)
		return false;
	*entry = rte_read(io, pin);
	return true;
}
