/*
 * Exception dispatch and the arch half of the page-fault path.
 *
 * do_page_fault() is the first box of the seed diagram
 * (docs/fault-path.md): it reads CR2 and the error code and turns the error
 * code into portable FAULT_FLAG_* bits. Then:
 *
 *   user mode            do_user_addr_fault() on current->mm; an unserved
 *                        fault becomes a signal (the seed's __do_user_fault):
 *                        SIGSEGV with SEGV_MAPERR/SEGV_ACCERR, SIGBUS, or
 *                        death by SIGKILL when memory ran out.
 *   kernel mode, user    the kernel touching user memory on the user's
 *   address              behalf (uaccess: an exception-table entry, SMAP
 *                        window open): served like the user's own access and
 *                        the instruction restarts; if it cannot be served,
 *                        the exception-table fixup (-EFAULT). Without an
 *                        entry, or an instruction fetch, or outside the SMAP
 *                        window: an oops (the seed's __do_kernel_fault).
 *   kernel mode, kernel  exception-table fixup or oops, as before.
 *   address
 *
 * Other exceptions from user mode become the signal Linux sends for them
 * (do_user_trap()); from kernel mode they oops. mm never sends a signal:
 * the vm_fault_t it returns is turned into one here (STYLE.md rule 2).
 */
#include <asm/traps.h>
#include <asm/cpu.h>
#include <pagoda/printk.h>
#include <pagoda/signal.h>
#include <pagoda/task.h>
#include <pagoda/sched.h>
#include <asm/irqflags.h>
#include <mm/fault.h>
#include <mm/mm.h>
#include <mm/vmscan.h>

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

/* ---- page faults ---- */

/* The current task's address space, or NULL (early boot, kernel threads). */
static struct mm_struct *current_mm(void)
{
	return current ? current->mm : NULL;
}

/*
 * The lower canonical half is user space in both paging modes (whether a
 * given address is below the mm's task_size is mm's question). A
 * non-canonical address raises #GP, never #PF.
 */
static bool user_half(uintptr_t addr)
{
	return (s64)addr >= 0;
}

/* getrusage(2): a served fault counts for the task that took it. */
static void account_task_fault(vm_fault_t ret)
{
	if (!current)
		return;
	if (ret & VM_FAULT_MAJOR)
		current->maj_flt++;
	else
		current->min_flt++;
}

/*
 * The seed's __do_user_fault: turn an unserved user fault into its signal.
 * Out of memory kills the task (Linux would run the OOM killer, which
 * today could only pick the faulting task anyway).
 */
static void user_fault_signal(vm_fault_t ret, int si_code, uintptr_t addr)
{
	if (ret & VM_FAULT_OOM) {
		printk("Out of memory: killing pid %d (%s) on a page fault at %016lx\n",
		       current->pid, current->comm, (unsigned long)addr);
		show_mem(&kernel_pmm);
		do_exit(SIGKILL);
	}
	if (ret & VM_FAULT_SIGBUS)
		force_sig_fault(SIGBUS, si_code, addr);
	else
		force_sig_fault(SIGSEGV, si_code, addr);
}

/* A fault in user mode (CPL 3): serve it, or signal the task. */
static void do_user_page_fault(struct pt_regs *regs, uintptr_t addr, unsigned int flags)
{
	struct mm_struct *mm = current_mm();
	vm_fault_t ret;
	int si_code;

	if (!mm)
		die(regs, "page fault in user mode without an address space", addr, true);
	ret = do_user_addr_fault(mm, addr, flags, &si_code);
	if (ret & VM_FAULT_ERROR)
		user_fault_signal(ret, si_code, addr);
	else if (!(ret & VM_FAULT_RETRY))	/* RETRY: a fatal signal ends the task */
		account_task_fault(ret);
}

/*
 * May this kernel fault on a user address sleep to be served? Not when the
 * faulting code ran with interrupts off, preemption disabled (a spinlock
 * held) or page faults disabled (Linux's faulthandler_disabled()): its
 * user copy then fails with -EFAULT instead.
 */
static bool kernel_fault_may_sleep(const struct pt_regs *regs)
{
	return (regs->rflags & X86_RFLAGS_IF) && preempt_count() == 0 &&
	       !pagefault_disabled();
}

/*
 * The kernel faulted on a user address. Serve it like the user's own access
 * only from a deliberate user access: an instruction with an exception-table
 * entry, not an instruction fetch (SMEP), inside the SMAP window (RFLAGS.AC
 * set, on a CPU with SMAP; a kernel touching user memory with AC clear is a
 * bug, as Linux treats it), in a context that may sleep. Returns true when
 * served: the instruction runs again. Otherwise the caller fixes up or
 * oopses. Interrupts are on while the fault is served.
 */
static bool kernel_fault_on_user_served(struct pt_regs *regs, uintptr_t addr,
					unsigned int flags)
{
	struct mm_struct *mm = current_mm();
	vm_fault_t ret;
	int si_code;

	if (!mm || (flags & FAULT_FLAG_INSTRUCTION))
		return false;
	if (cpu_features.smap && !(regs->rflags & RFLAGS_AC))
		return false;
	if (!search_exception_table(regs->rip) || !kernel_fault_may_sleep(regs))
		return false;
	local_irq_enable();
	ret = do_user_addr_fault(mm, addr, flags, &si_code);
	local_irq_disable();
	if (ret & (VM_FAULT_ERROR | VM_FAULT_RETRY))
		return false;
	account_task_fault(ret);
	return true;
}

/* Why a kernel fault on a user address could not be handled, for the oops. */
static const char *kernel_user_fault_title(const struct pt_regs *regs, unsigned int flags)
{
	if (flags & FAULT_FLAG_INSTRUCTION)
		return "page fault (SMEP: kernel instruction fetch from user memory)";
	if (cpu_features.smap && !(regs->rflags & RFLAGS_AC))
		return "page fault (SMAP: kernel access to user memory outside stac/clac)";
	return "page fault (kernel access to user memory without an exception-table entry)";
}

/*
 * A fault in kernel mode. On a user address: served if it is a deliberate
 * user access (above); else the exception-table fixup, which makes a probe
 * or a user copy return -EFAULT; else an oops. On a kernel address: fixup
 * or oops, as always (kernel memory is never faulted in).
 */
static void do_kernel_page_fault(struct pt_regs *regs, uintptr_t addr, unsigned int flags)
{
	if (user_half(addr)) {
		if (kernel_fault_on_user_served(regs, addr, flags))
			return;
		if (!(flags & FAULT_FLAG_INSTRUCTION) && fixup_exception(regs, addr, flags))
			return;
		die(regs, kernel_user_fault_title(regs, flags), addr, true);
	}
	if (fixup_exception(regs, addr, flags))
		return;
	die(regs, "page fault", addr, true);
}

/*
 * The seed's do_page_fault. CR2 is read first, while interrupts are still
 * off (another fault, in a task this one is preempted by, would overwrite
 * it). A user-mode fault then runs with interrupts on and may sleep; a
 * kernel fault turns them on only to serve a user access (above); a fault
 * on a kernel address keeps them off all the way to its fixup or oops.
 * The entry code turns them off again before the return.
 */
void do_page_fault(struct pt_regs *regs)
{
	uintptr_t addr = read_cr2();
	unsigned int flags = x86_pf_to_fault_flags(regs->error_code);

	/* A reserved bit in a live entry means a corrupt table: never serve or fix up. */
	if (flags & FAULT_FLAG_RESERVED)
		die(regs, "page fault", addr, true);
	if (user_mode(regs)) {
		local_irq_enable();
		do_user_page_fault(regs, addr, flags);
		local_irq_disable();
	} else {
		do_kernel_page_fault(regs, addr, flags);
	}
}

/* ---- other exceptions from user mode: signals, as Linux sends them ---- */

/* x87 status/control words and MXCSR as the faulting instruction left them. */
static unsigned int x87_unmasked_exceptions(void)
{
	u16 sw, cw;

	__asm__ volatile("fnstsw %0; fnstcw %1" : "=m"(sw), "=m"(cw));
	return sw & ~cw;
}

static unsigned int sse_unmasked_exceptions(void)
{
	u32 mxcsr;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	return mxcsr & ~(mxcsr >> 7);
}

/*
 * si_code of a floating-point exception from its unmasked, raised flags
 * (x87 status word or MXCSR, same bit order), in Linux's precedence. 0: a
 * spurious trap, no signal.
 */
static int fpe_code(unsigned int err)
{
	if (err & 0x001)
		return FPE_FLTINV;	/* invalid operation (and x87 stack fault) */
	if (err & 0x004)
		return FPE_FLTDIV;
	if (err & 0x008)
		return FPE_FLTOVF;
	if (err & 0x012)
		return FPE_FLTUND;	/* denormal or underflow */
	if (err & 0x020)
		return FPE_FLTRES;
	return 0;
}

/* #DB from user mode: single step or a breakpoint register, from DR6. */
static int debug_si_code(void)
{
	u64 dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	__asm__ volatile("mov %0, %%dr6" :: "r"(0xffff0ff0UL));	/* DR6 is sticky */
	if (dr6 & (1UL << 14))
		return TRAP_TRACE;
	if (dr6 & 0xf)
		return TRAP_HWBKPT;
	return TRAP_BRKPT;
}

/*
 * An exception raised by a user instruction: the signal Linux sends for it
 * (arch/x86/kernel/traps.c), with si_addr the faulting instruction where
 * Linux gives one and SI_KERNEL where it sends a plain force_sig(). Returns
 * false for the vectors that are never the user's doing (NMI, double
 * fault, machine check, #NM with eager FPU switching, reserved): those oops.
 */
static bool do_user_trap(struct pt_regs *regs)
{
	int code;

	switch (regs->vector) {
	case 0:				/* #DE */
		force_sig_fault(SIGFPE, FPE_INTDIV, regs->rip);
		return true;
	case 1:				/* #DB */
		force_sig_fault(SIGTRAP, debug_si_code(), regs->rip);
		return true;
	case 3:				/* #BP: int3 */
		force_sig_fault(SIGTRAP, SI_KERNEL, 0);
		return true;
	case 4: case 5: case 10:	/* #OF (into), #BR (bound), #TS */
	case 13: case 21:		/* #GP, #CP */
		force_sig_fault(SIGSEGV, SI_KERNEL, 0);
		return true;
	case 6:				/* #UD */
		force_sig_fault(SIGILL, ILL_ILLOPN, regs->rip);
		return true;
	case 11: case 12:		/* #NP, #SS */
		force_sig_fault(SIGBUS, SI_KERNEL, 0);
		return true;
	case 16:			/* #MF */
	case 19:			/* #XM */
		code = fpe_code(regs->vector == 16 ? x87_unmasked_exceptions()
						   : sse_unmasked_exceptions());
		if (code)
			force_sig_fault(SIGFPE, code, regs->rip);
		return true;
	case 17:			/* #AC */
		force_sig_fault(SIGBUS, BUS_ADRALN, 0);
		return true;
	default:
		return false;
	}
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
	if (regs->vector >= 32) {
		irq_dispatch(regs);
		return;
	}
	if (regs->vector == 14) {
		do_page_fault(regs);
		return;
	}
	if (user_mode(regs) && do_user_trap(regs))
		return;
	if (regs->vector == 13) {
		do_general_protection(regs);
		return;
	}
	die(regs, exception_names[regs->vector], 0, false);
}
