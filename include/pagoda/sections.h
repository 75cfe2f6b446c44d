/* Kernel image boundaries from arch/x86_64/kernel.ld (virtual addresses). */
#ifndef PAGODA_SECTIONS_H
#define PAGODA_SECTIONS_H

extern char __kernel_start[], __kernel_end[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __ksyms_start[], __ksyms_end[];
extern char boot_stack_guard[], boot_stack[];	/* arch/x86_64/entry.asm; guard is unmapped */

#endif
