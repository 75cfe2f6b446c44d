#include "fake_arch.h"
#include <mm/arch.h>
#include <stdlib.h>
#include <string.h>

uintptr_t direct_map_base;
unsigned int phys_addr_bits = 52;
unsigned long fake_tlb_page_flushes;
unsigned long fake_tlb_full_flushes;

static void *fake_ram;

void *fake_ram_init(phys_addr_t phys_base, size_t bytes)
{
	fake_ram = aligned_alloc(PAGE_SIZE, bytes);
	if (!fake_ram)
		abort();
	memset(fake_ram, 0xa5, bytes);
	direct_map_base = (uintptr_t)fake_ram - phys_base;
	return fake_ram;
}

void fake_ram_free(void)
{
	free(fake_ram);
	fake_ram = NULL;
}

void arch_flush_tlb_page(uintptr_t va)
{
	(void)va;
	fake_tlb_page_flushes++;
}

void arch_flush_tlb_all(void)
{
	fake_tlb_full_flushes++;
}
