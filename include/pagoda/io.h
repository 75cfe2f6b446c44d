/*
 * Device memory: mapping MMIO registers into the kernel's address space.
 *
 * ioremap() maps a physical range that is not RAM (or that must not be
 * cached: a device's BAR, the local APIC, the HPET, an ECAM window) into
 * the MMIO window of the kernel half (docs/memory-layout.md), uncached,
 * global, not executable. Every address space shares the kernel half, so
 * the mapping is valid in all of them at once.
 *
 * The register accessors (readl, writel, ...) and port I/O (inb, outb,
 * ...) are arch: <asm/io.h>. Drivers include both.
 *
 * Host-compilable (mm/ioremap.c): tests map over simulated memory.
 */
#ifndef PAGODA_IO_H
#define PAGODA_IO_H

#include <pagoda/types.h>
#include <pagoda/compiler.h>

/*
 * Map [phys, phys + size) uncached and return the virtual address of
 * @phys (the offset inside its page is kept). Sleeps never; may be called
 * from boot code before the scheduler runs. NULL if size is 0, the range
 * wraps or reaches beyond the CPU's physical address width (an address
 * from a corrupt firmware table), the window is full or a page table
 * cannot be allocated (the failure is logged with the range).
 */
void __iomem *ioremap(phys_addr_t phys, size_t size);

/* Unmap what ioremap() returned (any address inside the first page). */
void iounmap(volatile void *addr);

/* The MMIO window ioremap() allocates from: [start, end). */
uintptr_t ioremap_window_start(void);
uintptr_t ioremap_window_end(void);

#endif
