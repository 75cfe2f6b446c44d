#include <mm/kmap.h>
#include <mm/memmap.h>
#include <mm/pgtable.h>
#include <mm/arch.h>
#include <pagoda/sections.h>
#include <pagoda/errno.h>

static int map_image_part(struct page_table *pt, char *start, char *end,
			  phys_addr_t kernel_phys, unsigned int prot)
{
	uintptr_t va = (uintptr_t)start;
	phys_addr_t pa = kernel_phys + (va - (uintptr_t)__kernel_start);

	if (end <= start)
		return 0;
	return pt_map(pt, va, pa, (uintptr_t)end - va, arch_pgprot(prot), PT_MAP_4K);
}

static int map_image(struct page_table *pt, phys_addr_t kernel_phys)
{
	const unsigned int g = PP_GLOBAL | PP_READ;
	int err;

	err = map_image_part(pt, __text_start, __text_end, kernel_phys, g | PP_EXEC);
	if (!err)
		err = map_image_part(pt, __rodata_start, __rodata_end, kernel_phys, g);
	/* data and bss, minus the boot stack's guard page */
	if (!err)
		err = map_image_part(pt, __data_start, boot_stack_guard, kernel_phys,
				     g | PP_WRITE);
	if (!err)
		err = map_image_part(pt, boot_stack, __data_end, kernel_phys, g | PP_WRITE);
	if (!err)
		err = map_image_part(pt, __ksyms_start, __ksyms_end, kernel_phys, g);
	return err;
}

/* Direct map of RAM ranges; neighbouring ranges are joined into one run. */
static int map_direct(struct page_table *pt, const struct memmap *map,
		      struct kmap_stats *st)
{
	pgprot_t prot = arch_pgprot(PP_GLOBAL | PP_READ | PP_WRITE);

	for (unsigned int i = 0; i < map->nr;) {
		phys_addr_t start = map->range[i].start, end;
		int err;

		if (map->range[i].use == MEM_NOT_RAM) {
			i++;
			continue;
		}
		end = map->range[i].end;
		for (i++; i < map->nr && map->range[i].use != MEM_NOT_RAM &&
			  map->range[i].start == end; i++)
			end = map->range[i].end;
		err = pt_map(pt, direct_map_base + start, start, end - start, prot,
			     PT_MAP_LARGE);
		if (err)
			return err;
		st->direct_map_bytes += end - start;
	}
	return 0;
}

int kmap_build(struct page_table *pt, struct pmm *pmm, const struct memmap *map,
	       phys_addr_t kernel_phys, struct kmap_stats *stats)
{
	int err = pt_init(pt, pmm);

	*stats = (struct kmap_stats){ 0 };
	/*
	 * Every kernel-half top-level entry gets its table now (256 pages)
	 * and is pinned, so each address space copies all of them once
	 * (mm_create()) and later kernel mappings show up everywhere.
	 */
	if (!err)
		err = pt_pin_top_level(pt, PTRS_PER_TABLE / 2);
	if (!err)
		err = map_image(pt, kernel_phys);
	if (!err)
		err = map_direct(pt, map, stats);
	return err;
}
