/*
 * The kernel's own page tables (mm/kmap.c), built once at boot to replace
 * the loader's: kernel text RX, rodata and the symbol table R, data and bss
 * RW+NX, the direct map of all RAM RW+NX with 1 GiB / 2 MiB leaves where
 * aligned. Nothing in the user half. All kernel mappings are global.
 * Every kernel-half top-level entry has its next-level table from the start
 * and is pinned (pt_pin_top_level()): address spaces share those tables.
 */
#ifndef MM_KMAP_H
#define MM_KMAP_H

#include <pagoda/types.h>

struct memmap;
struct page_table;
struct pmm;

struct kmap_stats {
	unsigned long direct_map_bytes;	/* RAM covered by the direct map */
};

/*
 * Build @pt from @pmm: the image at virtual __kernel_start, physically at
 * @kernel_phys, and a direct map of every RAM range of @map. Does not load
 * it. Returns 0 or -ENOMEM.
 */
int kmap_build(struct page_table *pt, struct pmm *pmm, const struct memmap *map,
	       phys_addr_t kernel_phys, struct kmap_stats *stats);

#endif
