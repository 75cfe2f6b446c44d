#include <asm/stacktrace.h>
#include <pagoda/ksyms.h>
#include <pagoda/printk.h>
#include <pagoda/sections.h>
#include <mm/arch.h>
#include <mm/pmm.h>

#define MAX_FRAMES	32

void print_symbol_line(uintptr_t addr)
{
	unsigned long off, size;
	const char *name = ksym_lookup(addr, &off, &size);

	if (name)
		printk("  [<%016lx>] %s+0x%lx/0x%lx\n", addr, name, off, size);
	else
		printk("  [<%016lx>] ?\n", addr);
}

/*
 * A frame pointer we may dereference without faulting again: 8-byte aligned
 * and inside the kernel image (boot and IST stacks live in .bss) or the
 * direct map of managed RAM (later task stacks).
 */
static bool plausible_frame(uintptr_t fp)
{
	uintptr_t dmap_end = direct_map_base + PFN_PHYS(kernel_pmm.base_pfn +
							kernel_pmm.nr_pages);

	if (fp & 7)
		return false;
	if (fp + 16 > (uintptr_t)boot_stack_guard && fp < (uintptr_t)boot_stack)
		return false;	/* unmapped: reading it would fault again */
	if (fp >= (uintptr_t)__kernel_start && fp + 16 <= (uintptr_t)__kernel_end)
		return true;
	return fp >= direct_map_base + PFN_PHYS(kernel_pmm.base_pfn) &&
	       fp + 16 <= dmap_end && kernel_pmm.nr_pages;
}

void show_backtrace(uintptr_t rip, uintptr_t rbp)
{
	printk("Call trace:\n");
	print_symbol_line(rip);
	for (int i = 0; i < MAX_FRAMES && plausible_frame(rbp); i++) {
		uintptr_t ret = ((uintptr_t *)rbp)[1];
		uintptr_t next = ((uintptr_t *)rbp)[0];

		if (!ret)
			break;
		print_symbol_line(ret);
		if (next <= rbp)
			break;
		rbp = next;
	}
}
