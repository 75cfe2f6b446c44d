/*
 * x87/SSE/AVX register state of user tasks (arch/x86_64/process.c).
 *
 * The kernel is built with -mgeneral-regs-only and never touches these
 * registers, so the state is switched eagerly only between tasks that have
 * an address space: saved when a user task is switched out, restored when
 * one is switched in. The save format is XSAVE (standard form, components
 * of XCR0 = x87, SSE and AVX when present) when the CPU has XSAVE, else
 * FXSAVE; the switch saves with XSAVEOPT when the CPU has it. Either way the first 512 bytes are the FXSAVE layout user space
 * expects in a signal frame's fpstate.
 */
#ifndef ASM_FPU_H
#define ASM_FPU_H

#include <pagoda/types.h>

#define FPU_STATE_ALIGN		64

/* Bytes of a save area (512 for FXSAVE, CPUID.0xD:EBX for XSAVE). */
unsigned int arch_fpu_state_size(void);
bool arch_fpu_uses_xsave(void);
/* The XCR0 the kernel set (0 without XSAVE): the components a save holds. */
u64 arch_fpu_xfeatures(void);
/*
 * Save / load the CPU's state to / from @buf (FPU_STATE_ALIGN aligned); the
 * save is complete whatever was loaded last (XSAVE or FXSAVE; only the
 * context switch uses XSAVEOPT, arch/x86_64/process.c).
 */
void arch_fpu_save(void *buf);
void arch_fpu_restore(const void *buf);
/* The state a new program starts with (FCW 0x37f, MXCSR 0x1f80, all else 0). */
const void *arch_fpu_initial_state(void);

#endif
