/*
 * From the firmware's memory map to the physical allocator. Host-compilable
 * (tests/host/test_memmap.c feeds it synthetic UEFI maps).
 *
 * Policy (docs/physical-memory.md): each UEFI type gets a mem_use.
 *   MEM_USABLE      conventional, boot-services code/data, loader code/data:
 *                   free as soon as the kernel runs (it copied what it needs)
 *   MEM_USABLE_LATE PAGODA_MEM_BOOT (boot_info, memory map, loader page
 *                   tables, trampoline): free once the kernel runs on its
 *                   own page tables
 *   MEM_KEEP        RAM that stays allocated: kernel image, initrd, runtime
 *                   services, ACPI tables and NVS, persistent memory
 *   MEM_NOT_RAM     reserved, unusable, MMIO, unaccepted: never touched
 * Pages below 1 MiB are never given to the allocator (page 0 stays unmapped;
 * the low area is kept for the SMP trampoline of a later step).
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include <pagoda/types.h>

struct pmm;

enum mem_use {
	MEM_USABLE,
	MEM_USABLE_LATE,
	MEM_KEEP,
	MEM_NOT_RAM,
};

struct mem_range {
	phys_addr_t start;	/* page aligned */
	phys_addr_t end;	/* exclusive */
	u32 efi_type;
	enum mem_use use;
};

#define MEMMAP_MAX_RANGES	512
#define LOW_MEMORY_LIMIT	0x100000UL	/* below: never allocated */

struct memmap {
	unsigned int nr;
	struct mem_range range[MEMMAP_MAX_RANGES];	/* sorted, non-overlapping */
};

enum mem_use memmap_classify(u32 efi_type);
const char *memmap_type_name(u32 efi_type);

/*
 * Parse a UEFI memory map (@size bytes, stride @desc_size) into @map: sorted,
 * adjacent ranges of the same type merged. Overlapping descriptors (a broken
 * firmware map) are trimmed so that the more restrictive use wins. Returns 0,
 * -EINVAL for a malformed map (stride too small, size not a multiple), or
 * -ENOSPC if it has more than MEMMAP_MAX_RANGES ranges after merging.
 */
int memmap_parse_efi(struct memmap *map, const void *descs, u64 size, u64 desc_size);

/* Lowest and highest (exclusive) pfn of RAM (anything but MEM_NOT_RAM). */
void memmap_ram_span(const struct memmap *map, pfn_t *lo, pfn_t *hi);

/*
 * Take @bytes (page rounded) out of the highest MEM_USABLE range that fits,
 * aligned to @align; the range is split and the piece becomes MEM_KEEP with
 * @efi_type. Returns the physical address, or 0 if nothing fits.
 */
phys_addr_t memmap_carve(struct memmap *map, u64 bytes, u64 align, u32 efi_type);

/*
 * Give every range of @use to @pmm (above LOW_MEMORY_LIMIT). Returns the
 * number of pages given.
 */
unsigned long memmap_free_to_pmm(const struct memmap *map, struct pmm *pmm,
				 enum mem_use use);

/* Sum of pages of @use. */
unsigned long memmap_count_pages(const struct memmap *map, enum mem_use use);

/*
 * Is every byte of [start, start + len) RAM of some kind (anything but
 * MEM_NOT_RAM), i.e. reachable through the direct map? False for len
 * ranges that wrap.
 */
bool memmap_is_ram(const struct memmap *map, phys_addr_t start, u64 len);

#ifdef __KERNEL__
/* The boot memory map as kernel_main parsed it (kernel/main.c). */
const struct memmap *kernel_memmap(void);
#endif

#define PAGODA_MEM_PAGE_ARRAY	0x80000004u	/* struct page array, carved by the kernel */

#endif
