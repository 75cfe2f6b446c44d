/* GDT, TSS and IDT. Arch-only. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <pagoda/types.h>

/* Selectors. The order from 0x18 up is what SYSRET requires (issue 3). */
#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER32_CS	0x18
#define USER_DS		0x20
#define USER_CS		0x28
#define TSS_SEL		0x30

/* Interrupt stack table slots (1-based as in the IDT gate). */
#define IST_DOUBLE_FAULT	1
#define IST_NMI			2
#define IST_MACHINE_CHECK	3
#define IST_STACK_SIZE		16384

void gdt_init(void);
void idt_init(void);
/* TSS.rsp0: kernel stack for entries from ring 3 (arch/x86_64/gdt.c). */
void tss_set_rsp0(uintptr_t rsp0);

/* Hardware interrupt vectors: the 8259 pair remapped above the exceptions. */
#define IRQ_VECTOR_BASE		32
#define NR_IRQ_VECTORS		(256 - IRQ_VECTOR_BASE)
/* pt_regs.vector of a frame built by the SYSCALL entry (syscall.asm). */
#define SYSCALL_VECTOR_MARK	0x100

#endif
