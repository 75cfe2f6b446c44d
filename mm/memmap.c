/* The firmware memory map and its hand-over to the buddy allocator. */
#include <mm/memmap.h>
#include <mm/pmm.h>
#include <pagoda/boot_info.h>
#include <pagoda/errno.h>

enum mem_use memmap_classify(u32 type)
{
	switch (type) {
	case EFI_CONVENTIONAL_MEMORY:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
		return MEM_USABLE;
	case PAGODA_MEM_BOOT:
		return MEM_USABLE_LATE;
	case PAGODA_MEM_KERNEL:
	case PAGODA_MEM_INITRD:
	case PAGODA_MEM_PAGE_ARRAY:
	case EFI_RUNTIME_SERVICES_CODE:
	case EFI_RUNTIME_SERVICES_DATA:
	case EFI_ACPI_RECLAIM_MEMORY:
	case EFI_ACPI_MEMORY_NVS:
	case EFI_PERSISTENT_MEMORY:
	case EFI_PAL_CODE:
		return MEM_KEEP;
	default:
		return MEM_NOT_RAM;
	}
}

const char *memmap_type_name(u32 type)
{
	static const char *const names[] = {
		"reserved", "loader code", "loader data", "boot code", "boot data",
		"runtime code", "runtime data", "conventional", "unusable",
		"ACPI reclaim", "ACPI NVS", "MMIO", "MMIO port", "PAL code",
		"persistent", "unaccepted",
	};

	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	switch (type) {
	case PAGODA_MEM_KERNEL:		return "pagoda kernel";
	case PAGODA_MEM_INITRD:		return "pagoda initrd";
	case PAGODA_MEM_BOOT:		return "pagoda boot data";
	case PAGODA_MEM_PAGE_ARRAY:	return "struct page array";
	}
	return "unknown";
}

static void insert_sorted(struct memmap *map, const struct mem_range *r)
{
	unsigned int i = map->nr;

	while (i > 0 && map->range[i - 1].start > r->start) {
		map->range[i] = map->range[i - 1];
		i--;
	}
	map->range[i] = *r;
	map->nr++;
}

static void remove_range(struct memmap *map, unsigned int i)
{
	for (; i + 1 < map->nr; i++)
		map->range[i] = map->range[i + 1];
	map->nr--;
}

/* Resolve overlaps (more restrictive use wins), then merge equal neighbours. */
static void normalise(struct memmap *map)
{
	unsigned int i = 1;

	while (i < map->nr) {
		struct mem_range *prev = &map->range[i - 1], *cur = &map->range[i];

		if (cur->start < prev->end) {
			if (cur->use > prev->use)
				prev->end = cur->start;
			else
				cur->start = prev->end;
			if (prev->end <= prev->start) {
				remove_range(map, i - 1);
				continue;
			}
			if (cur->end <= cur->start) {
				remove_range(map, i);
				continue;
			}
		}
		if (cur->start == prev->end && cur->efi_type == prev->efi_type) {
			prev->end = cur->end;
			remove_range(map, i);
			continue;
		}
		i++;
	}
}

int memmap_parse_efi(struct memmap *map, const void *descs, u64 size, u64 desc_size)
{
	map->nr = 0;
	if (desc_size < sizeof(struct efi_memory_descriptor) || size % desc_size)
		return -EINVAL;
	for (u64 off = 0; off < size; off += desc_size) {
		const struct efi_memory_descriptor *d =
			(const void *)((const char *)descs + off);
		struct mem_range r;

		if (!d->nr_pages || d->phys_start & (PAGE_SIZE - 1) ||
		    d->nr_pages > (~0ULL - d->phys_start) >> PAGE_SHIFT)
			return -EINVAL;
		r.start = d->phys_start;
		r.end = d->phys_start + (d->nr_pages << PAGE_SHIFT);
		r.efi_type = d->type;
		r.use = memmap_classify(d->type);
		if (map->nr == MEMMAP_MAX_RANGES) {
			normalise(map);
			if (map->nr == MEMMAP_MAX_RANGES)
				return -ENOSPC;
		}
		insert_sorted(map, &r);
	}
	normalise(map);
	return 0;
}

void memmap_ram_span(const struct memmap *map, pfn_t *lo, pfn_t *hi)
{
	*lo = ~0ULL;
	*hi = 0;
	for (unsigned int i = 0; i < map->nr; i++) {
		const struct mem_range *r = &map->range[i];

		if (r->use == MEM_NOT_RAM)
			continue;
		if (PHYS_PFN(r->start) < *lo)
			*lo = PHYS_PFN(r->start);
		if (PHYS_PFN(r->end) > *hi)
			*hi = PHYS_PFN(r->end);
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

static int split_range(struct memmap *map, unsigned int i, phys_addr_t at)
{
	struct mem_range tail = map->range[i];

	if (at <= tail.start || at >= tail.end)
		return 0;
	if (map->nr == MEMMAP_MAX_RANGES)
		return -ENOSPC;
	map->range[i].end = at;
	tail.start = at;
	insert_sorted(map, &tail);
	return 0;
}

phys_addr_t memmap_carve(struct memmap *map, u64 bytes, u64 align, u32 efi_type)
{
	bytes = (bytes + PAGE_SIZE - 1) & PAGE_MASK;
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	for (unsigned int i = map->nr; i-- > 0;) {
		struct mem_range *r = &map->range[i];
		phys_addr_t at;

		if (r->use != MEM_USABLE || r->end - r->start < bytes)
			continue;
		at = (r->end - bytes) & ~(align - 1);
		if (at < r->start || at < LOW_MEMORY_LIMIT)
			continue;
		if (split_range(map, i, at + bytes) || split_range(map, i, at))
			return 0;
		for (unsigned int j = 0; j < map->nr; j++)
			if (map->range[j].start == at) {
				map->range[j].efi_type = efi_type;
				map->range[j].use = memmap_classify(efi_type);
			}
		return at;
	}
	return 0;
}

unsigned long memmap_free_to_pmm(const struct memmap *map, struct pmm *pmm,
				 enum mem_use use)
{
	unsigned long given = 0;

	for (unsigned int i = 0; i < map->nr; i++) {
		const struct mem_range *r = &map->range[i];
		phys_addr_t start = r->start < LOW_MEMORY_LIMIT ? LOW_MEMORY_LIMIT : r->start;

		if (r->use != use || start >= r->end)
			continue;
		pmm_add_free_range(pmm, PHYS_PFN(start), PHYS_PFN(r->end - start));
		given += PHYS_PFN(r->end - start);
	}
	return given;
}

unsigned long memmap_count_pages(const struct memmap *map, enum mem_use use)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < map->nr; i++)
		if (map->range[i].use == use)
			n += PHYS_PFN(map->range[i].end - map->range[i].start);
	return n;
}

bool memmap_is_ram(const struct memmap *map, phys_addr_t start, u64 len)
{
	phys_addr_t end = start + len;

	if (end < start)
		return false;
	for (unsigned int i = 0; i < map->nr && start < end; i++) {
		const struct mem_range *r = &map->range[i];

		if (r->end <= start)
			continue;
		if (r->start > start || r->use == MEM_NOT_RAM)
			return false;
		start = r->end;
	}
	return start >= end;
}
