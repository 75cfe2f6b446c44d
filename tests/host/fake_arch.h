/*
 * A simulated machine for host unit tests: physical RAM is a host buffer and
 * the direct map points at it, so mm/ code that calls phys_to_virt() works
 * unchanged. TLB flushes are only counted.
 */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <pagoda/types.h>

/*
 * Allocate @bytes of simulated RAM (page aligned, filled with 0xa5 so that
 * code relying on zeroed memory it did not zero is caught) starting at
 * physical address @phys_base, and point direct_map_base at it. One region
 * at a time; fake_ram_free() releases it.
 */
void *fake_ram_init(phys_addr_t phys_base, size_t bytes);
void fake_ram_free(void);

extern unsigned long fake_tlb_page_flushes;
extern unsigned long fake_tlb_full_flushes;

#endif
