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

/* The assembly side's offsets (asm/regs.inc) must agree. */
_Static_assert(__builtin_offsetof(struct pt_regs, r11) == 4 * 8, "regs.inc PT_R11");
_Static_assert(__builtin_offsetof(struct pt_regs, rcx) == 12 * 8, "regs.inc PT_RCX");
_Static_assert(__builtin_offsetof(struct pt_regs, rip) == 17 * 8, "regs.inc PT_RIP");
_Static_assert(__builtin_offsetof(struct pt_regs, cs) == 18 * 8, "regs.inc PT_CS");
_Static_assert(__builtin_offsetof(struct pt_regs, rflags) == 19 * 8, "regs.inc PT_RFLAGS");
_Static_assert(__builtin_offsetof(struct pt_regs, ss) == 21 * 8, "regs.inc PT_SS");

static inline bool user_mode(const struct pt_regs *r)
{
	return (r->cs & 3) == 3;
}

#endif
