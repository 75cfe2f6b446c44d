/*
 * The small arch API that mm/ uses to reach the hardware (STYLE.md rule 5).
 * mm/ includes this, never an arch/x86_64 header. The kernel implements it in
 * arch/x86_64/; host tests implement it over simulated memory in
 * tests/host/fake_arch.c (direct_map_base points into a host buffer and the
 * TLB calls only count).
 */
#ifndef MM_ARCH_H
#define MM_ARCH_H

#include <pagoda/types.h>

/*
 * Virtual address of physical address 0 in the direct map. Set once at boot
 * (it differs between 4- and 5-level paging); host tests point it at their
 * simulated RAM.
 */
extern uintptr_t direct_map_base;

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)(direct_map_base + pa);
}

/* Only valid for addresses inside the direct map. */
static inline phys_addr_t virt_to_phys(const void *va)
{
	return (phys_addr_t)((uintptr_t)va - direct_map_base);
}

/*
 * Physical address width of the CPU (CPUID 80000008h; 52, the
 * architectural limit, until the arch code says): no physical address at
 * or above 1 << phys_addr_bits can be mapped (the bits would be reserved
 * in a page-table entry).
 */
extern unsigned int phys_addr_bits;

/*
 * Invalidate this CPU's TLB entry for one virtual address, with the cached
 * upper-level (paging-structure) entries used to reach it / all non-global
 * TLB entries and every cached upper-level entry. Neither is needed for a
 * none entry that becomes present.
 */
void arch_flush_tlb_page(uintptr_t va);
void arch_flush_tlb_all(void);

/* Switch this CPU to the hierarchy whose top table is at physical @root. */
void arch_load_page_table(phys_addr_t root);

#endif
