/* GDT with a 64-bit TSS whose IST stacks serve #DF, NMI and #MC. */
#include <asm/desc.h>
#include <pagoda/compiler.h>

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

static struct tss tss;
static u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);

/* Flat descriptors; base and limit are ignored in 64-bit mode. */
static u64 gdt[8] __aligned(16) = {
	[KERNEL_CS / 8] = 0x00af9a000000ffffULL,	/* L, P, DPL0, code */
	[KERNEL_DS / 8] = 0x00cf92000000ffffULL,	/* P, DPL0, data */
	[USER32_CS / 8] = 0x00cffa000000ffffULL,	/* D, P, DPL3, code */
	[USER_DS / 8] = 0x00cff2000000ffffULL,		/* P, DPL3, data */
	[USER_CS / 8] = 0x00affa000000ffffULL,		/* L, P, DPL3, code */
};

static void set_tss_descriptor(void)
{
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;

	gdt[TSS_SEL / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (0x89ULL << 40) |	/* P, available 64-bit TSS */
			   (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[TSS_SEL / 8 + 1] = base >> 32;
}

/*
 * The stack the CPU switches to on an interrupt or exception from ring 3:
 * the top of the current task's kernel stack (set by every context switch).
 */
void tss_set_rsp0(uintptr_t rsp0)
{
	tss.rsp[0] = rsp0;
}

void gdt_init(void)
{
	struct { u16 limit; u64 base; } __packed gdtr = { sizeof(gdt) - 1, (u64)gdt };

	tss.ist[IST_DOUBLE_FAULT - 1] = (u64)&ist_stacks[0][IST_STACK_SIZE];
	tss.ist[IST_NMI - 1] = (u64)&ist_stacks[1][IST_STACK_SIZE];
	tss.ist[IST_MACHINE_CHECK - 1] = (u64)&ist_stacks[2][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss);
	set_tss_descriptor();

	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"movw %w3, %%ax\n\t"
		"ltr %%ax"
		:: "m"(gdtr), "i"(KERNEL_CS), "i"(KERNEL_DS), "i"(TSS_SEL)
		: "rax", "memory");
}
