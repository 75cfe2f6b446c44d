/*
 * The boot CPU's local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode.
 *
 * x2APIC is used only when CPUID.1:ECX[21] reports it; the xAPIC register
 * page comes from the MADT (its 64-bit override entry when present) or,
 * without a MADT, from IA32_APIC_BASE. Application processors are listed
 * by the MADT and left parked: no INIT/SIPI is sent.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/io.h>
#include <pagoda/irq.h>
#include <pagoda/printk.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/io.h>

static void __iomem *lapic_mmio;
static enum apic_mode mode;


u32 lapic_read(u32 reg)
{
	if (mode == APIC_X2APIC)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return readl((u8 __iomem *)lapic_mmio + reg);
}

void lapic_write(u32 reg, u32 v)
{
	if (mode == APIC_X2APIC)
		wrmsr(0x800 + (reg >> 4), v);
	else
		writel(v, (u8 __iomem *)lapic_mmio + reg);
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

u32 lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);

	return mode == APIC_X2APIC ? id : id >> 24;
}

enum apic_mode lapic_mode(void)
{
	return mode;
}

void lapic_send_self_ipi(u8 vector)
{
	if (mode == APIC_X2APIC) {
		wrmsr(0x800 + (APIC_SELF_IPI >> 4), vector);
		return;
	}
	while (lapic_read(APIC_ICR_LOW) & APIC_ICR_PENDING)
		__builtin_ia32_pause();
	lapic_write(APIC_ICR_HIGH, 0);
	lapic_write(APIC_ICR_LOW, APIC_ICR_SELF | vector);
}

/* LVT bits for an MADT NMI entry: NMI delivery with its polarity and trigger. */
static u32 lint_nmi_lvt(u16 mps_flags)
{
	u32 lvt = APIC_DM_NMI;

	if ((mps_flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW)
		lvt |= APIC_LVT_ACTIVE_LOW;
	if ((mps_flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL)
		lvt |= APIC_LVT_LEVEL;
	return lvt;
}

/*
 * LINT0 masked (the 8259 is not used, so no ExtINT); LINT1 and LINT0 as NMI
 * where a MADT Local APIC NMI entry names this processor or all of them.
 */
/* The MADT's ACPI processor UID of the CPU whose local APIC id is @apic_id, or -1. */
static s64 madt_uid_of(const struct acpi_madt *m, u32 apic_id)
{
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		if (m->cpu[i].apic_id == apic_id)
			return m->cpu[i].uid;
	return -1;
}

static void lapic_setup_lints(void)
{
	const struct acpi_madt *m = acpi_get_madt();
	u32 lvt[2] = { APIC_LVT_MASKED, APIC_LVT_MASKED };
	s64 uid = m ? madt_uid_of(m, lapic_id()) : -1;

	for (unsigned int i = 0; m && i < m->nr_lapic_nmis; i++) {
		const struct acpi_madt_lapic_nmi *n = &m->lapic_nmi[i];
		bool mine = n->uid == 0xffffffffu || (uid >= 0 && n->uid == (u64)uid);

		if (mine)
			lvt[n->lint] = lint_nmi_lvt(n->flags);
	}
	lapic_write(APIC_LVT_LINT0, lvt[0]);
	lapic_write(APIC_LVT_LINT1, lvt[1]);
}

int lapic_init(void)
{
	const struct acpi_madt *m = acpi_get_madt();
	u64 base = rdmsr(MSR_APIC_BASE);
	u64 msr_phys = base & ~0xfffull & ((1ull << 52) - 1);
	u64 phys = m ? m->lapic_addr : msr_phys;

	if (cpu_features.x2apic) {
		mode = APIC_X2APIC;
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		mode = APIC_XAPIC;
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		lapic_mmio = ioremap(phys, PAGE_SIZE);
		if (!lapic_mmio && phys != msr_phys) {
			printk("apic: the MADT's local APIC address %#llx cannot be mapped; "
			       "using IA32_APIC_BASE's %#llx\n", (unsigned long long)phys,
			       (unsigned long long)msr_phys);
			phys = msr_phys;
			lapic_mmio = ioremap(phys, PAGE_SIZE);
		}
		if (!lapic_mmio)
			return -ENOMEM;
	}
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | IRQ_TIMER_VECTOR);
	lapic_setup_lints();
	lapic_write(APIC_LVT_ERROR, IRQ_ERROR_VECTOR);
	lapic_write(APIC_ESR, 0);
	lapic_write(APIC_ESR, 0);
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | IRQ_SPURIOUS_VECTOR);
	lapic_eoi();
	printk("apic: local APIC id %u in %s mode at %#llx, version %#x\n", lapic_id(),
	       mode == APIC_X2APIC ? "x2APIC" : "xAPIC",
	       (unsigned long long)(mode == APIC_X2APIC ? 0 : phys),
	       lapic_read(APIC_VERSION) & 0xff);
	return 0;
}
