/*
 * The oops: everything a person needs to understand a kernel fault, printed
 * on the console, then the machine stops with POWEROFF_CRASH (QEMU exit 37).
 * Format (the crash-scenario test parses it; docs/crash-dumps.md explains it):
 *
 *   Oops: page fault in kernel mode [#1]
 *   BUG: unable to handle page fault at address 0x...
 *   #PF: error code 0x...: not-present page, write access, kernel mode, ...
 *   RIP: 0008:0x... function+0x12/0x40
 *   registers, control registers
 *   Page walk of 0x... (N-level paging, CR3 0x...):
 *     one line per live table level, entry raw and decoded
 *   Call trace:
 *     symbolised frames
 *   ---[ end trace ]---
 */
#include <asm/traps.h>
#include <asm/cpu.h>
#include <asm/pte_bits.h>
#include <asm/stacktrace.h>
#include <pagoda/ksyms.h>
#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <pagoda/sections.h>
#include <mm/pgtable.h>

static int oops_count;

static const char *level_name(unsigned int level)
{
	switch (level) {
	case 5: return "PML5 (pgd)";
	case 4: return pgtable_l5_enabled() ? "PML4 (p4d)" : "PML4 (pgd/p4d)";
	case 3: return "PDPT (pud)";
	case 2: return "PD   (pmd)";
	case 1: return "PT   (pte)";
	}
	return "?";
}

static bool is_canonical(uintptr_t addr)
{
	unsigned int bits = pgtable_l5_enabled() ? 57 : 48;
	intptr_t sext = (intptr_t)(addr << (64 - bits)) >> (64 - bits);

	return (uintptr_t)sext == addr;
}

static void show_pf_error_code(u64 ec)
{
	printk("#PF: error code 0x%04llx: %s page, %s access, %s mode%s%s%s%s\n",
	       (unsigned long long)ec,
	       ec & X86_PF_PROT ? "present (protection violation on a)" : "not-present",
	       ec & X86_PF_INSTR ? "instruction fetch" : ec & X86_PF_WRITE ? "write" : "read",
	       ec & X86_PF_USER ? "user" : "kernel",
	       ec & X86_PF_RSVD ? ", RESERVED BIT SET in a table entry" : "",
	       ec & X86_PF_PK ? ", protection key" : "",
	       ec & X86_PF_SHSTK ? ", shadow stack" : "",
	       ec & X86_PF_SGX ? ", SGX" : "");
	printk("#PF: bits: P=%d W/R=%d U/S=%d RSVD=%d I/D=%d PK=%d SS=%d\n",
	       (int)(ec & 1), (int)(ec >> 1 & 1), (int)(ec >> 2 & 1), (int)(ec >> 3 & 1),
	       (int)(ec >> 4 & 1), (int)(ec >> 5 & 1), (int)(ec >> 6 & 1));
}

static void show_regs(const struct pt_regs *r)
{
	unsigned long off, size;
	const char *fn = ksym_lookup(r->rip, &off, &size);

	if (fn)
		printk("RIP: %04llx:%016llx %s+0x%lx/0x%lx\n", (unsigned long long)r->cs,
		       (unsigned long long)r->rip, fn, off, size);
	else
		printk("RIP: %04llx:%016llx (not in kernel text)\n",
		       (unsigned long long)r->cs, (unsigned long long)r->rip);
	printk("RSP: %04llx:%016llx EFLAGS: %08llx\n", (unsigned long long)r->ss,
	       (unsigned long long)r->rsp, (unsigned long long)r->rflags);
	printk("RAX: %016llx RBX: %016llx RCX: %016llx\n", (unsigned long long)r->rax,
	       (unsigned long long)r->rbx, (unsigned long long)r->rcx);
	printk("RDX: %016llx RSI: %016llx RDI: %016llx\n", (unsigned long long)r->rdx,
	       (unsigned long long)r->rsi, (unsigned long long)r->rdi);
	printk("RBP: %016llx R08: %016llx R09: %016llx\n", (unsigned long long)r->rbp,
	       (unsigned long long)r->r8, (unsigned long long)r->r9);
	printk("R10: %016llx R11: %016llx R12: %016llx\n", (unsigned long long)r->r10,
	       (unsigned long long)r->r11, (unsigned long long)r->r12);
	printk("R13: %016llx R14: %016llx R15: %016llx\n", (unsigned long long)r->r13,
	       (unsigned long long)r->r14, (unsigned long long)r->r15);
	printk("CR0: %016llx CR2: %016llx CR3: %016llx CR4: %016llx\n",
	       (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
	       (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

/* The walk of @addr through the live tables, one line per level. */
static void show_page_walk(uintptr_t addr)
{
	phys_addr_t root = read_cr3() & X86_PTE_ADDR_MASK;
	struct pt_walk w;
	char desc[96];

	printk("Page walk of %016lx (%u-level paging, CR3 %016llx):\n", addr,
	       pgtable_levels, (unsigned long long)root);
	if (!is_canonical(addr)) {
		printk("  address is non-canonical for %u-level paging: no walk\n",
		       pgtable_levels);
		return;
	}
	pt_walk_record(root, addr, &w);
	for (unsigned int i = 0; i < w.nr_steps; i++) {
		const struct pt_walk_step *s = &w.step[i];

		x86_pte_describe(s->entry, s->level, desc, sizeof(desc));
		printk("  L%u %s [%3u] @ %016llx = %016llx %s\n", s->level,
		       level_name(s->level), s->index, (unsigned long long)s->table,
		       (unsigned long long)s->entry, desc);
	}
}

void die(struct pt_regs *regs, const char *title, uintptr_t addr, bool have_addr)
{
	kernel_dying = true;
	if (++oops_count > 1) {
		printk("Oops: %s while printing an oops; stopping\n", title);
		machine_poweroff(POWEROFF_CRASH);
	}
	printk("Oops: %s in %s mode [#%d]\n", title,
	       user_mode(regs) ? "user" : "kernel", oops_count);
	if (regs->vector == 14) {
		printk("BUG: unable to handle page fault at address %016lx\n", addr);
		show_pf_error_code(regs->error_code);
	} else if (regs->vector == 8) {
		uintptr_t cr2 = read_cr2();

		printk("BUG: double fault; last page fault address (CR2) %016lx\n", cr2);
		if (cr2 >= (uintptr_t)boot_stack_guard && cr2 < (uintptr_t)boot_stack)
			printk("BUG: kernel stack overflow: CR2 is in the boot stack's guard page\n");
		addr = cr2;
		have_addr = true;	/* walk the page that faulted first */
	} else if (have_addr) {
		printk("BUG: %s, probably for %saddress %016lx\n", title,
		       is_canonical(addr) ? "" : "non-canonical ", addr);
		printk("error code 0x%llx\n", (unsigned long long)regs->error_code);
	} else {
		printk("error code 0x%llx\n", (unsigned long long)regs->error_code);
	}
	show_regs(regs);
	if (have_addr)
		show_page_walk(addr);
	show_backtrace(regs->rip, regs->rbp);
	printk("---[ end trace ]---\n");
	machine_poweroff(POWEROFF_CRASH);
}
