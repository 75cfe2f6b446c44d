/* The arch API of include/mm/arch.h for the real machine. */
#include <mm/arch.h>
#include <asm/cpu.h>

uintptr_t direct_map_base;

void arch_flush_tlb_page(uintptr_t va)
{
	invlpg(va);
}

/* Reloading CR3 drops non-global entries; toggling PGE drops global ones too. */
void arch_flush_tlb_all(void)
{
	u64 cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

void arch_load_page_table(phys_addr_t root)
{
	write_cr3(root);
}
