#ifndef ASM_TRAPS_H
#define ASM_TRAPS_H

#include <asm/regs.h>
#include <pagoda/compiler.h>

/* x86 #PF error-code bits */
#define X86_PF_PROT	(1UL << 0)	/* 0: not present, 1: protection */
#define X86_PF_WRITE	(1UL << 1)
#define X86_PF_USER	(1UL << 2)
#define X86_PF_RSVD	(1UL << 3)
#define X86_PF_INSTR	(1UL << 4)
#define X86_PF_PK	(1UL << 5)
#define X86_PF_SHSTK	(1UL << 6)
#define X86_PF_SGX	(1UL << 15)

void exception_dispatch(struct pt_regs *regs);
/* Hardware interrupts, vectors 32..255 (arch/x86_64/irq.c). */
void irq_dispatch(struct pt_regs *regs);
void do_page_fault(struct pt_regs *regs);
unsigned int x86_pf_to_fault_flags(u64 error_code);

/*
 * Exception table: an instruction that may fault on purpose (user access,
 * probes) has an entry {insn, fixup}; a kernel fault at insn resumes at fixup.
 */
struct exception_table_entry {
	u64 insn;
	u64 fixup;
};

/*
 * Inline-asm pieces for an instruction that may fault on purpose.
 * ASM_EXTABLE(insn, fixup): one entry {insn, fixup} in __ex_table.
 * ASM_EXTABLE_EFAULT: for an instruction labelled 1:, emits its
 * continuation label 2: and a fixup that stores -EFAULT in the operand
 * named [err] and resumes at 2:. The asm must provide [err] "+r" and
 * [efault] "i"(-EFAULT).
 */
#define ASM_EXTABLE(insn, fixup)			\
	"	.pushsection __ex_table, \"a\"\n"	\
	"	.balign 8\n"				\
	"	.quad " #insn ", " #fixup "\n"		\
	"	.popsection\n"

#define ASM_EXTABLE_EFAULT				\
	"2:\n"						\
	"	.pushsection .text.fixup, \"ax\"\n"	\
	"3:	movl %[efault], %[err]\n"		\
	"	jmp 2b\n"					\
	"	.popsection\n"				\
	ASM_EXTABLE(1b, 3b)

/* If regs->rip has a fixup, record the fault, move rip there, return true. */
bool fixup_exception(struct pt_regs *regs, uintptr_t addr, unsigned int flags);

/* The fault most recently recovered by fixup_exception() (for probes). */
extern uintptr_t last_fixup_addr;
extern unsigned int last_fixup_flags;

/* Print an oops for @regs and stop the machine. */
__noreturn void die(struct pt_regs *regs, const char *title, uintptr_t addr,
		    bool have_addr);

/*
 * Effective address of the memory operand of the instruction at @regs->rip,
 * decoded from its bytes (for #GP, which does not report one). false when
 * the instruction has no memory operand the decoder understands.
 */
bool insn_memory_operand(const struct pt_regs *regs, uintptr_t *addr);

#endif
