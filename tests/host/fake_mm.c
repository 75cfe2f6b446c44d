/* The shared simulated machine of the mm host tests: see fake_mm.h. */
#include "fake_mm.h"
#include "fake_arch.h"
#include "ktap.h"
#include <mm/arch.h>
#include <mm/mm.h>
#include <mm/page_ref.h>
#include <mm/slab.h>
#include <stdlib.h>
#include <string.h>

struct pmm upmm;
unsigned long user_free_start;
unsigned long kernel_free_start;

static struct page *upages;
static pfn_t user_base_pfn;
static unsigned long user_nr_pages;

void fake_mm_machine_init(pfn_t ram_base_pfn, unsigned long kernel_pages,
			  unsigned long user_pages)
{
	struct page *kpages = calloc(kernel_pages, sizeof(*kpages));

	upages = calloc(user_pages, sizeof(*upages));
	if (!kpages || !upages)
		abort();
	user_base_pfn = ram_base_pfn + kernel_pages;
	user_nr_pages = user_pages;
	fake_ram_init(PFN_PHYS(ram_base_pfn), (kernel_pages + user_pages) * PAGE_SIZE);
	pmm_init(&kernel_pmm, kpages, ram_base_pfn, kernel_pages);
	pmm_add_free_range(&kernel_pmm, ram_base_pfn, kernel_pages);
	kmalloc_init();
}

unsigned long kernel_free_settled(void)
{
	kmalloc_shrink();
	return pmm_nr_free(&kernel_pmm);
}

void fake_mm_user_reset(unsigned int levels)
{
	pgtable_levels = levels;
	pgtable_has_pud_leaf = true;
	memset(phys_to_virt(PFN_PHYS(user_base_pfn)), 0xa5, user_nr_pages * PAGE_SIZE);
	pmm_init(&upmm, upages, user_base_pfn, user_nr_pages);
	pmm_add_free_range(&upmm, user_base_pfn, user_nr_pages);
	zero_page_init(&upmm);
	memset(&global_faults, 0, sizeof(global_faults));
	fake_tlb_page_flushes = fake_tlb_full_flushes = 0;
	user_free_start = pmm_nr_free(&upmm);
	kernel_free_start = kernel_free_settled();
}

void fake_mm_user_check(void)
{
	KT_EXPECT_EQ(pmm_nr_free(&upmm), user_free_start);
	KT_EXPECT_EQ(kernel_free_settled(), kernel_free_start);
}
