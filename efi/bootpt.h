/*
 * The loader's hand-over page tables: 4- or 5-level, built from a pool of
 * pages below 4 GiB (CR3 is loaded from 32-bit mode in the trampoline).
 * They map: identity [0, 4 GiB) for the trampoline, the direct map of RAM at
 * the mode's direct-map base, and the kernel image. 2 MiB leaves except for
 * the kernel (4 KiB). The kernel replaces them with its own early on.
 */
#ifndef EFI_BOOTPT_H
#define EFI_BOOTPT_H

#include <stdint.h>

struct bootpt {
	uint64_t *pool;		/* zeroed pages, identity mapped */
	unsigned pool_pages;
	unsigned used;
	unsigned levels;	/* 4 or 5 */
	uint64_t *root;
};

/* Returns 0, or -1 when the pool runs out. */
int bootpt_init(struct bootpt *pt, void *pool, unsigned pool_pages, unsigned levels);
int bootpt_map_2m(struct bootpt *pt, uint64_t va, uint64_t pa, uint64_t size);
int bootpt_map_4k(struct bootpt *pt, uint64_t va, uint64_t pa, uint64_t size);

#endif
