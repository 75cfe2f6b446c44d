/*
 * The HPET's main counter, for calibrating the local APIC timer and for
 * tests: the block from the ACPI HPET table, mapped with ioremap(), the
 * counter enabled (legacy replacement routing left off: the HPET raises no
 * interrupt here).
 */
#include <pagoda/acpi.h>
#include <pagoda/io.h>
#include <pagoda/printk.h>
#include <asm/apic.h>
#include <asm/io.h>

#define HPET_GCAP_ID		0x000
#define HPET_GEN_CONF		0x010
#define HPET_MAIN_COUNTER	0x0f0
#define HPET_CONF_ENABLE	(1u << 0)
#define HPET_CAP_64BIT		(1u << 13)
#define HPET_MAX_PERIOD_FS	100000000u	/* 100 ns: the spec's slowest */

static void __iomem *hpet_regs;
static u64 hpet_hz;
static bool hpet_64bit;

bool hpet_init(void)
{
	const struct acpi_hpet *h = acpi_get_hpet();
	u64 cap;
	u32 period;

	if (hpet_regs)
		return true;
	if (!h || h->base.space_id != ACPI_SPACE_MEMORY)
		return false;
	hpet_regs = ioremap(h->base.address, 0x400);
	if (!hpet_regs)
		return false;
	cap = readq((u8 __iomem *)hpet_regs + HPET_GCAP_ID);
	period = (u32)(cap >> 32);
	if (period == 0 || period > HPET_MAX_PERIOD_FS) {
		printk("hpet: counter period %u fs is out of range; not used\n", period);
		iounmap(hpet_regs);
		hpet_regs = NULL;
		return false;
	}
	hpet_hz = 1000000000000000ull / period;
	hpet_64bit = cap & HPET_CAP_64BIT;
	writel(readl((u8 __iomem *)hpet_regs + HPET_GEN_CONF) | HPET_CONF_ENABLE,
	       (u8 __iomem *)hpet_regs + HPET_GEN_CONF);
	printk("hpet: %llu Hz %s-bit main counter at %#llx, %u comparators\n",
	       (unsigned long long)hpet_hz, hpet_64bit ? "64" : "32",
	       (unsigned long long)h->base.address, (unsigned int)((cap >> 8) & 0x1f) + 1);
	return true;
}

bool hpet_present(void)
{
	return hpet_regs != NULL;
}

u64 hpet_read_counter(void)
{
	if (!hpet_regs)
		return 0;
	if (hpet_64bit)
		return readq((u8 __iomem *)hpet_regs + HPET_MAIN_COUNTER);
	return readl((u8 __iomem *)hpet_regs + HPET_MAIN_COUNTER);
}

u64 hpet_frequency(void)
{
	return hpet_hz;
}
