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

#endif
