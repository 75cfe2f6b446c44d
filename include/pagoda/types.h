/* Basic fixed-width types shared by the kernel, the loader and host tests. */
#ifndef PAGODA_TYPES_H
#define PAGODA_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;	/* a physical address */
typedef u64 pfn_t;		/* a physical frame number: phys >> PAGE_SHIFT */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define PHYS_PFN(p)	((pfn_t)((p) >> PAGE_SHIFT))
#define PFN_PHYS(f)	((phys_addr_t)(f) << PAGE_SHIFT)

/* Is @n a power of two (1, 2, 4, ...; not 0)? Linux's is_power_of_2. */
static inline bool is_power_of_2(u64 n)
{
	return n && !(n & (n - 1));
}

#endif
