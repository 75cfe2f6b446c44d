/*
 * ioremap(): the MMIO window of the kernel half (include/pagoda/io.h).
 *
 * The window is a fixed range of the vmalloc area (docs/memory-layout.md),
 * handed out first-fit from a short sorted list of free ranges, page
 * granular, with one unmapped guard page after each mapping so a register
 * access past a BAR faults instead of touching the next device.
 *
 * Lock: ioremap_lock protects the free list and the window's page-table
 * entries (kernel_pt is otherwise changed only at boot). Table pages are
 * allocated with it held, without sleeping (GFP flags of mm/pgtable.c).
 * Host-compilable: no arch header.
 */
#include <pagoda/io.h>
#include <pagoda/errno.h>
#include <pagoda/list.h>
#include <pagoda/printk.h>
#include <pagoda/spinlock.h>
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/pgtable.h>
#include <mm/slab.h>

#define IOREMAP_WINDOW_OFFSET	(1UL << 40)	/* vmalloc_start() + 1 TiB */
#define IOREMAP_WINDOW_SIZE	(64UL << 30)	/* 64 GiB of device registers */
#define IOREMAP_MAX_AREAS	256

/* A mapped or free piece of the window, [start, end) page aligned. */
struct io_area {
	uintptr_t start, end;
	bool used;
};

/* Sorted by address, adjacent, covering the whole window once set up. */
static struct io_area areas[IOREMAP_MAX_AREAS];
static unsigned int nr_areas;
static spinlock_t ioremap_lock = SPINLOCK_INIT;

uintptr_t ioremap_window_start(void)
{
	return vmalloc_start() + IOREMAP_WINDOW_OFFSET;
}

uintptr_t ioremap_window_end(void)
{
	return ioremap_window_start() + IOREMAP_WINDOW_SIZE;
}

/*
 * One free area over the whole window, on first use. The window depends on
 * the paging mode, fixed at boot; host tests switch modes between cases,
 * with nothing mapped, so a changed window starts over.
 */
static void areas_init_locked(void)
{
	if (nr_areas && areas[0].start == ioremap_window_start())
		return;
	areas[0] = (struct io_area){ ioremap_window_start(), ioremap_window_end(), false };
	nr_areas = 1;
}

/* Split areas[i] at @at (strictly inside it). False if the table is full. */
static bool area_split_locked(unsigned int i, uintptr_t at)
{
	if (nr_areas == IOREMAP_MAX_AREAS)
		return false;
	for (unsigned int j = nr_areas; j > i + 1; j--)
		areas[j] = areas[j - 1];
	areas[i + 1] = (struct io_area){ at, areas[i].end, areas[i].used };
	areas[i].end = at;
	nr_areas++;
	return true;
}

static void area_remove_locked(unsigned int i)
{
	for (unsigned int j = i; j + 1 < nr_areas; j++)
		areas[j] = areas[j + 1];
	nr_areas--;
}

/* Take @pages pages (plus a guard page) first-fit; 0 if none is free. */
static uintptr_t area_alloc_locked(size_t pages)
{
	size_t need = (pages + 1) * PAGE_SIZE;

	areas_init_locked();
	for (unsigned int i = 0; i < nr_areas; i++) {
		if (areas[i].used || areas[i].end - areas[i].start < need)
			continue;
		if (areas[i].end - areas[i].start > need &&
		    !area_split_locked(i, areas[i].start + need))
			return 0;
		areas[i].used = true;
		return areas[i].start;
	}
	return 0;
}

/* Free the used area starting at @va, merging with free neighbours. */
static size_t area_free_locked(uintptr_t va)
{
	for (unsigned int i = 0; i < nr_areas; i++) {
		size_t size;

		if (areas[i].start != va || !areas[i].used)
			continue;
		size = areas[i].end - areas[i].start;
		areas[i].used = false;
		if (i + 1 < nr_areas && !areas[i + 1].used) {
			areas[i].end = areas[i + 1].end;
			area_remove_locked(i + 1);
		}
		if (i > 0 && !areas[i - 1].used) {
			areas[i - 1].end = areas[i].end;
			area_remove_locked(i);
		}
		return size;
	}
	return 0;
}

void __iomem *ioremap(phys_addr_t phys, size_t size)
{
	phys_addr_t base = phys & PAGE_MASK;
	size_t span;
	uintptr_t va;
	int err;

	if (!size || phys + size < phys ||
	    (phys_addr_bits < 64 && phys + size > (1ULL << phys_addr_bits))) {
		printk("ioremap: bad range %#llx+%#zx (the CPU has %u physical address bits)\n",
		       (unsigned long long)phys, size, phys_addr_bits);
		return NULL;
	}
	span = ALIGN_UP(phys + size, PAGE_SIZE) - base;
	spin_lock(&ioremap_lock);
	va = area_alloc_locked(span >> PAGE_SHIFT);
	if (!va) {
		spin_unlock(&ioremap_lock);
		printk("ioremap: window full for %#llx+%#zx\n", (unsigned long long)phys, size);
		return NULL;
	}
	err = pt_map(&kernel_pt, va, base, span,
		     arch_pgprot(PP_READ | PP_WRITE | PP_GLOBAL | PP_NOCACHE), PT_MAP_4K);
	if (err) {
		pt_unmap(&kernel_pt, va, span);
		area_free_locked(va);
		spin_unlock(&ioremap_lock);
		printk("ioremap: cannot map %#llx+%#zx (error %d)\n",
		       (unsigned long long)phys, size, err);
		return NULL;
	}
	spin_unlock(&ioremap_lock);
	return (void __iomem *)(va + (phys - base));
}

void iounmap(volatile void *addr)
{
	uintptr_t va = (uintptr_t)addr & PAGE_MASK;
	size_t size;

	if (!addr)
		return;
	spin_lock(&ioremap_lock);
	size = area_free_locked(va);
	if (!size) {
		spin_unlock(&ioremap_lock);
		panic("iounmap: %p was not returned by ioremap", (void *)addr);
	}
	/* the guard page was never mapped; pt_unmap flushes each page */
	pt_unmap(&kernel_pt, va, size - PAGE_SIZE);
	spin_unlock(&ioremap_lock);
}
