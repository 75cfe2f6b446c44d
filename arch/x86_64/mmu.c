/* The arch API of include/mm/arch.h for the real machine. */
#include <mm/arch.h>
#include <asm/cpu.h>

uintptr_t direct_map_base;
unsigned int phys_addr_bits = 52;

/*
 * INVLPG drops the address's TLB entry, global or not, and the cached
 * paging-structure entries for it (Intel drops all of them for the PCID).
 */
void arch_flush_tlb_page(uintptr_t va)
{
	invlpg(va);
}

/*
 * A CR3 reload drops every non-global TLB entry and the paging-structure
 * caches, which is what the callers need: they flush user ranges, or freed
 * tables whose global leaves were flushed one by one. The global kernel
 * entries stay (toggling CR4.PGE would drop them too, and under QEMU's TCG
 * costs two full TLB flushes instead of one).
 */
void arch_flush_tlb_all(void)
{
	write_cr3(read_cr3());
}

void arch_load_page_table(phys_addr_t root)
{
	write_cr3(root);
}
