/*
 * Local APIC, I/O APIC, HPET and the tick: arch internals behind
 * include/pagoda/irq.h (docs/acpi-and-interrupts.md).
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <pagoda/types.h>

/* Local APIC register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + off / 16). */
#define APIC_ID		0x020
#define APIC_VERSION	0x030
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ESR	0x280
#define APIC_ICR_LOW	0x300
#define APIC_ICR_HIGH	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_INIT	0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0
#define APIC_SELF_IPI	0x3f0	/* x2APIC only */

#define APIC_SVR_ENABLE		(1u << 8)
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_LVT_LEVEL		(1u << 15)
#define APIC_LVT_ACTIVE_LOW	(1u << 13)
#define APIC_DM_NMI		(4u << 8)
#define APIC_TIMER_PERIODIC	(1u << 17)
#define APIC_TIMER_TSC_DEADLINE	(2u << 17)
#define APIC_ICR_SELF		(1u << 18)	/* destination shorthand: self */
#define APIC_ICR_PENDING	(1u << 12)

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_BASE_X2APIC	(1ull << 10)
#define MSR_TSC_DEADLINE	0x6e0

enum apic_mode { APIC_XAPIC, APIC_X2APIC };

/*
 * Enable this CPU's local APIC: xAPIC through ioremap() of the MADT's (or
 * IA32_APIC_BASE's) address, or x2APIC when CPUID.1:ECX[21] says so;
 * spurious vector 0xff, TPR 0, LINT0 masked, LINT1 per the MADT's NMI
 * entries, error vector. The timer stays masked. Returns 0 or -ENOMEM.
 */
int lapic_init(void);
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
void lapic_eoi(void);
u32 lapic_id(void);
enum apic_mode lapic_mode(void);
void lapic_send_self_ipi(u8 vector);

/*
 * Every I/O APIC in the MADT, every redirection entry masked. Returns the
 * number of I/O APICs set up (0 without a MADT).
 */
unsigned int ioapic_init(void);
/* Program @gsi's entry: @vector, IRQ_LEVEL/IRQ_ACTIVE_LOW @flags, masked or not. */
int ioapic_route(u32 gsi, u8 vector, unsigned int flags, bool masked);
int ioapic_mask(u32 gsi, bool masked);
/* The raw redirection entry of @gsi (tests); false if no I/O APIC serves it. */
bool ioapic_read_entry(u32 gsi, u64 *entry);
#define IOAPIC_RTE_MASKED	(1ull << 16)
#define IOAPIC_RTE_LEVEL	(1ull << 15)
#define IOAPIC_RTE_ACTIVE_LOW	(1ull << 13)

/* HPET main counter: mapped and running after hpet_init() returns true. */
bool hpet_init(void);
bool hpet_present(void);
u64 hpet_read_counter(void);
u64 hpet_frequency(void);	/* Hz */

/* The tick: calibrate and start the local APIC timer at @hz. */
void apic_timer_init(unsigned int hz);
/*
 * From irq_dispatch on IRQ_TIMER_VECTOR (interrupts off): how many ticks
 * this interrupt stands for (>= 1: ticks lost while the CPU did not run
 * are added); arms the next TSC deadline in that mode.
 */
unsigned int apic_timer_ticks_due(void);
const char *apic_timer_mode_name(void);
u64 apic_timer_frequency(void);		/* Hz of the APIC timer's input (bus clock) */

#endif
