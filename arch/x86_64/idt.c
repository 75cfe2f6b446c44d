/*
 * IDT: the 32 exception vectors and the 224 interrupt vectors (32-255)
 * through the stubs in entry.asm. All are interrupt gates (IF cleared on
 * entry) with DPL 0: an `int n` from user mode raises #GP instead.
 */
#include <asm/desc.h>
#include <pagoda/compiler.h>

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 zero;
} __packed;

extern const u64 isr_stub_table[32];
extern const u64 irq_stub_table[NR_IRQ_VECTORS];
static struct idt_gate idt[256] __aligned(16);

static void set_gate(unsigned vec, u64 handler, unsigned ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e,	/* P, DPL0, 64-bit interrupt gate */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	struct { u16 limit; u64 base; } __packed idtr = { sizeof(idt) - 1, (u64)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, isr_stub_table[v], 0);
	set_gate(2, isr_stub_table[2], IST_NMI);
	set_gate(8, isr_stub_table[8], IST_DOUBLE_FAULT);
	set_gate(18, isr_stub_table[18], IST_MACHINE_CHECK);
	for (unsigned v = 0; v < NR_IRQ_VECTORS; v++)
		set_gate(IRQ_VECTOR_BASE + v, irq_stub_table[v], 0);
	__asm__ volatile("lidt %0" :: "m"(idtr));
}
