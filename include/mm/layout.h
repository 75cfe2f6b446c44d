/*
 * The kernel's virtual memory layout (docs/memory-layout.md), as Linux lays
 * out x86-64 so tools and habits carry over. Regions that depend on the
 * paging mode are functions of pgtable_levels.
 */
#ifndef MM_LAYOUT_H
#define MM_LAYOUT_H

#include <pagoda/types.h>
#include <mm/pgtable.h>

#define DIRECT_MAP_BASE_L4	0xffff888000000000UL
#define DIRECT_MAP_BASE_L5	0xff11000000000000UL
#define VMALLOC_BASE_L4		0xffffc90000000000UL	/* 32 TiB */
#define VMALLOC_BASE_L5		0xffa0000000000000UL	/* 12.5 PiB */
#define VMALLOC_SIZE_L4		(32UL << 40)
#define VMALLOC_SIZE_L5		(12800UL << 40)
#define KERNEL_IMAGE_BASE	0xffffffff80000000UL	/* -mcmodel=kernel: top 2 GiB */

#define USER_SPACE_END_L4	0x0000800000000000UL
#define USER_SPACE_END_L5	0x0100000000000000UL

static inline uintptr_t vmalloc_start(void)
{
	return pgtable_l5_enabled() ? VMALLOC_BASE_L5 : VMALLOC_BASE_L4;
}

static inline uintptr_t vmalloc_end(void)
{
	return vmalloc_start() +
	       (pgtable_l5_enabled() ? VMALLOC_SIZE_L5 : VMALLOC_SIZE_L4);
}

/* The kernel's own page tables (mm/kmap.c); the kernel half of every CR3. */
extern struct page_table kernel_pt;

#endif
