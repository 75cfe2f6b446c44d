/*
 * Exception dispatch and the arch half of the page-fault path.
 *
 * do_page_fault() is the first box of the seed diagram
 * (docs/fault-path.md): it reads CR2 and the error code, turns the error
 * code into portable FAULT_FLAG_* bits, and decides: a fixup from the
 * exception table, or an oops. User faults and handle_mm_fault() arrive
 * with user space (issue 3); today every page fault is a kernel fault.
 */
#include <asm/traps.h>
#include <asm/cpu.h>
#include <pagoda/printk.h>
#include <mm/fault.h>

extern const struct exception_table_entry __ex_table_start[], __ex_table_end[];

uintptr_t last_fixup_addr;
unsigned int last_fixup_flags;

static const char *const exception_names[32] = {
	"divide error", "debug", "non-maskable interrupt", "breakpoint",
	"overflow", "bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved (15)", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection fault", "reserved (22)", "reserved (23)", "reserved (24)",
	"reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection",
	"VMM communication", "security exception", "reserved (31)",
};

unsigned int x86_pf_to_fault_flags(u64 ec)
{
	unsigned int flags = 0;

	if (ec & X86_PF_WRITE)
		flags |= FAULT_FLAG_WRITE;
	if (ec & X86_PF_USER)
		flags |= FAULT_FLAG_USER;
	if (ec & X86_PF_INSTR)
		flags |= FAULT_FLAG_INSTRUCTION;
	if (ec & X86_PF_PROT)
		flags |= FAULT_FLAG_PROTECTION;
	if (ec & X86_PF_RSVD)
		flags |= FAULT_FLAG_RESERVED;
	if (ec & X86_PF_PK)
		flags |= FAULT_FLAG_PKEY;
	if (ec & X86_PF_SHSTK)
		flags |= FAULT_FLAG_SHADOW_STACK;
	return flags;
}

static const struct exception_table_entry *search_exception_table(uintptr_t rip)
{
	for (const struct exception_table_entry *e = __ex_table_start;
	     e < __ex_table_end; e++)
		if (e->insn == rip)
			return e;
	return NULL;
}

bool fixup_exception(struct pt_regs *regs, uintptr_t addr, unsigned int flags)
{
	const struct exception_table_entry *e = search_exception_table(regs->rip);

	if (!e)
		return false;
	last_fixup_addr = addr;
	last_fixup_flags = flags;
	regs->rip = e->fixup;
	return true;
}

void do_page_fault(struct pt_regs *regs)
{
	uintptr_t addr = read_cr2();
	unsigned int flags = x86_pf_to_fault_flags(regs->error_code);

	/* A reserved bit in a live entry means a corrupt table: never fix up. */
	if (!(flags & FAULT_FLAG_RESERVED) && fixup_exception(regs, addr, flags))
		return;
	die(regs, "page fault", addr, true);
}

static void do_general_protection(struct pt_regs *regs)
{
	uintptr_t addr = 0;
	bool have = insn_memory_operand(regs, &addr);

	if (fixup_exception(regs, addr, 0))
		return;
	die(regs, "general protection fault", addr, have);
}

void exception_dispatch(struct pt_regs *regs)
{
	switch (regs->vector) {
	case 14:
		do_page_fault(regs);
		return;
	case 13:
		do_general_protection(regs);
		return;
	default:
		die(regs, exception_names[regs->vector & 31], 0, false);
	}
}
