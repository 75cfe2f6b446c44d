/*
 * The register frame saved by every exception stub (arch/x86_64/entry.asm).
 * The order matches the pushes there: keep both in sync.
 */
#ifndef ASM_REGS_H
#define ASM_REGS_H

#include <pagoda/types.h>

struct pt_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector;		/* pushed by the stub */
	u64 error_code;		/* pushed by the CPU, or 0 by the stub */
	u64 rip, cs, rflags, rsp, ss;	/* the CPU's interrupt frame */
};

static inline bool user_mode(const struct pt_regs *r)
{
	return (r->cs & 3) == 3;
}

#endif
