/* mm/memmap.c: UEFI memory map parsing, policy and the hand-over to the buddy allocator. */
#include "ktap.h"
#include "fake_arch.h"
#include <mm/memmap.h>
#include <mm/pmm.h>
#include <pagoda/boot_info.h>
#include <pagoda/errno.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1UL << 20)

/* A descriptor stride larger than the struct, as real firmware uses. */
#define STRIDE 48
static unsigned char buf[STRIDE * 64];
static unsigned int nd;

static void reset(void)
{
	memset(buf, 0, sizeof(buf));
	nd = 0;
}

static void add(u32 type, u64 start, u64 bytes)
{
	struct efi_memory_descriptor *d = (void *)(buf + STRIDE * nd++);

	d->type = type;
	d->phys_start = start;
	d->nr_pages = bytes / PAGE_SIZE;
}

static void t_classify(void)
{
	KT_EXPECT_EQ(memmap_classify(EFI_CONVENTIONAL_MEMORY), MEM_USABLE);
	KT_EXPECT_EQ(memmap_classify(EFI_BOOT_SERVICES_DATA), MEM_USABLE);
	KT_EXPECT_EQ(memmap_classify(EFI_LOADER_DATA), MEM_USABLE);
	KT_EXPECT_EQ(memmap_classify(PAGODA_MEM_BOOT), MEM_USABLE_LATE);
	KT_EXPECT_EQ(memmap_classify(PAGODA_MEM_KERNEL), MEM_KEEP);
	KT_EXPECT_EQ(memmap_classify(EFI_RUNTIME_SERVICES_CODE), MEM_KEEP);
	KT_EXPECT_EQ(memmap_classify(EFI_ACPI_RECLAIM_MEMORY), MEM_KEEP);
	KT_EXPECT_EQ(memmap_classify(EFI_MEMORY_MAPPED_IO), MEM_NOT_RAM);
	KT_EXPECT_EQ(memmap_classify(EFI_RESERVED_MEMORY), MEM_NOT_RAM);
	KT_EXPECT_EQ(memmap_classify(0x7fffffff), MEM_NOT_RAM);
}

static void t_sorted_merged(void)
{
	static struct memmap map;

	reset();
	add(EFI_CONVENTIONAL_MEMORY, 8 * MiB, 8 * MiB);
	add(EFI_CONVENTIONAL_MEMORY, 0, 4 * MiB);
	add(EFI_CONVENTIONAL_MEMORY, 4 * MiB, 4 * MiB);
	add(EFI_MEMORY_MAPPED_IO, 0xfec00000, 4096);
	KT_ASSERT(memmap_parse_efi(&map, buf, nd * STRIDE, STRIDE) == 0);
	KT_EXPECT_EQ(map.nr, 2);
	KT_EXPECT_EQ(map.range[0].start, 0);
	KT_EXPECT_EQ(map.range[0].end, 16 * MiB);
	KT_EXPECT_EQ(map.range[1].use, MEM_NOT_RAM);
}

static void t_overlap_restrictive_wins(void)
{
	static struct memmap map;

	reset();
	add(EFI_CONVENTIONAL_MEMORY, 0, 16 * MiB);
	add(EFI_RUNTIME_SERVICES_DATA, 8 * MiB, 1 * MiB);
	KT_ASSERT(memmap_parse_efi(&map, buf, nd * STRIDE, STRIDE) == 0);
	for (unsigned i = 0; i < map.nr; i++)
		if (map.range[i].use == MEM_USABLE)
			KT_EXPECT(map.range[i].end <= 8 * MiB || map.range[i].start >= 9 * MiB);
	KT_EXPECT_EQ(memmap_count_pages(&map, MEM_KEEP), MiB / PAGE_SIZE);
}

static void t_malformed_rejected(void)
{
	static struct memmap map;

	reset();
	add(EFI_CONVENTIONAL_MEMORY, 0, 16 * MiB);
	KT_EXPECT_EQ(memmap_parse_efi(&map, buf, STRIDE, 8), -EINVAL);		/* stride too small */
	KT_EXPECT_EQ(memmap_parse_efi(&map, buf, STRIDE + 1, STRIDE), -EINVAL);	/* ragged size */
	reset();
	add(EFI_CONVENTIONAL_MEMORY, 0x1234, 16 * MiB);				/* unaligned */
	KT_EXPECT_EQ(memmap_parse_efi(&map, buf, nd * STRIDE, STRIDE), -EINVAL);
	reset();
	add(EFI_CONVENTIONAL_MEMORY, 0xfffffffffffff000ULL, 2 * PAGE_SIZE);	/* wraps */
	KT_EXPECT_EQ(memmap_parse_efi(&map, buf, nd * STRIDE, STRIDE), -EINVAL);
}

static void t_carve_takes_from_usable(void)
{
	static struct memmap map;
	phys_addr_t at;

	reset();
	add(EFI_CONVENTIONAL_MEMORY, 0, 64 * MiB);
	add(EFI_RUNTIME_SERVICES_CODE, 64 * MiB, 1 * MiB);
	KT_ASSERT(memmap_parse_efi(&map, buf, nd * STRIDE, STRIDE) == 0);
	at = memmap_carve(&map, 3 * MiB + 5, 2 * MiB, PAGODA_MEM_PAGE_ARRAY);
	KT_EXPECT(at != 0);
	KT_EXPECT_EQ(at % (2 * MiB), 0);
	KT_EXPECT(at + 3 * MiB + PAGE_SIZE <= 64 * MiB);
	KT_EXPECT_EQ(memmap_count_pages(&map, MEM_USABLE), (61 * MiB - PAGE_SIZE) / PAGE_SIZE);
	KT_EXPECT_EQ(memmap_carve(&map, 1ULL << 40, PAGE_SIZE, PAGODA_MEM_PAGE_ARRAY), 0);
}

static void t_span_and_free(void)
{
	static struct memmap map;
	static struct pmm pmm;
	pfn_t lo, hi;
	struct page *pages;
	unsigned long given, late;

	reset();
	add(EFI_CONVENTIONAL_MEMORY, 0, 8 * MiB);
	add(PAGODA_MEM_BOOT, 8 * MiB, 1 * MiB);
	add(PAGODA_MEM_KERNEL, 9 * MiB, 1 * MiB);
	add(EFI_MEMORY_MAPPED_IO, 0xfe000000, 1 * MiB);
	KT_ASSERT(memmap_parse_efi(&map, buf, nd * STRIDE, STRIDE) == 0);
	memmap_ram_span(&map, &lo, &hi);
	KT_EXPECT_EQ(lo, 0);
	KT_EXPECT_EQ(hi, (10 * MiB) / PAGE_SIZE);
	fake_ram_init(0, 10 * MiB);
	pages = calloc(hi - lo, sizeof(*pages));
	pmm_init(&pmm, pages, lo, hi - lo);
	given = memmap_free_to_pmm(&map, &pmm, MEM_USABLE);
	/* the first MiB is never given */
	KT_EXPECT_EQ(given, (7 * MiB) / PAGE_SIZE);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), given);
	late = memmap_free_to_pmm(&map, &pmm, MEM_USABLE_LATE);
	KT_EXPECT_EQ(late, MiB / PAGE_SIZE);
	KT_EXPECT_EQ(pmm_nr_free(&pmm), given + late);
	free(pages);
	fake_ram_free();
}

int main(void)
{
	static const struct kt_case cases[] = {
		KT_CASE(t_classify, "each UEFI memory type gets the documented use"),
		KT_CASE(t_sorted_merged, "descriptors are sorted and equal neighbours merged"),
		KT_CASE(t_overlap_restrictive_wins, "overlapping descriptors: the more restrictive use wins"),
		KT_CASE(t_malformed_rejected, "a malformed memory map is rejected with -EINVAL"),
		KT_CASE(t_carve_takes_from_usable, "carve takes an aligned piece of usable memory"),
		KT_CASE(t_span_and_free, "usable memory above 1 MiB reaches the allocator, boot data later"),
	};
	return kt_run_suite("memmap", cases, KT_N(cases));
}
