/*
 * The simulated machine the mm host tests share (test_fault, test_fork,
 * test_audit): one fake RAM region holding two pmms, kernel_pmm for kmalloc
 * (mm_structs, vmas, shared-anon slot arrays) and a private user pmm, upmm,
 * for user pages, page tables and the zero page.
 *
 *   fake_mm_machine_init()  once per binary: RAM, kernel_pmm, kmalloc
 *   fake_mm_user_reset()    before each case: paging mode, a fresh upmm and
 *                           zero page, counters cleared, free counts taken
 *   fake_mm_user_check()    after each case (every mm put): both pmms have
 *                           every page back
 */
#ifndef FAKE_MM_H
#define FAKE_MM_H

#include <mm/pmm.h>

extern struct pmm upmm;
extern unsigned long user_free_start;	/* upmm free pages after the zero page */
extern unsigned long kernel_free_start;	/* kernel_free_settled() at the reset */

/*
 * Fake RAM for @kernel_pages of kernel_pmm from @ram_base_pfn, then
 * @user_pages of upmm right after; kernel_pmm filled and kmalloc set up.
 */
void fake_mm_machine_init(pfn_t ram_base_pfn, unsigned long kernel_pages,
			  unsigned long user_pages);

/* kernel_pmm's free count once the kmalloc caches dropped their empty slabs. */
unsigned long kernel_free_settled(void);

/*
 * Switch to @levels-level paging (1 GiB leaves supported), fill the user
 * RAM with 0xa5, rebuild upmm with every page free, make its zero page,
 * clear global_faults and the fake TLB counters, and record
 * user_free_start and kernel_free_start.
 */
void fake_mm_user_reset(unsigned int levels);

/* Expect upmm and kernel_pmm back at the counts fake_mm_user_reset() took. */
void fake_mm_user_check(void);

#endif
