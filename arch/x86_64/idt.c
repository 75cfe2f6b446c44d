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

enum gate_dpl {
	GATE_KERNEL_ONLY = 0,	/* `int N` from ring 3 raises #GP instead */
	GATE_USER = 3,		/* ring 3 may raise it with int3 / into */
};

static void set_gate_dpl(unsigned vec, u64 handler, unsigned ist, enum gate_dpl dpl)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e | (dpl << 5),	/* P, DPL, 64-bit interrupt gate */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

static void set_gate(unsigned vec, u64 handler, unsigned ist)
{
	set_gate_dpl(vec, handler, ist, GATE_KERNEL_ONLY);
}

void idt_init(void)
{
	struct { u16 limit; u64 base; } __packed idtr = { sizeof(idt) - 1, (u64)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, isr_stub_table[v], 0);
	/* int3 and into from user space deliver SIGTRAP / SIGSEGV as on Linux */
	set_gate_dpl(3, isr_stub_table[3], 0, GATE_USER);
	set_gate_dpl(4, isr_stub_table[4], 0, GATE_USER);
	set_gate(2, isr_stub_table[2], IST_NMI);
	set_gate(8, isr_stub_table[8], IST_DOUBLE_FAULT);
	set_gate(18, isr_stub_table[18], IST_MACHINE_CHECK);
	for (unsigned v = 0; v < NR_IRQ_VECTORS; v++)
		set_gate(IRQ_VECTOR_BASE + v, irq_stub_table[v], 0);
	__asm__ volatile("lidt %0" :: "m"(idtr));
}
