#include "bootpt.h"

#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define PS	(1ULL << 7)
#define ADDR	0x000ffffffffff000ULL

static uint64_t *alloc_table(struct bootpt *pt)
{
	uint64_t *t;

	if (pt->used == pt->pool_pages)
		return 0;
	t = pt->pool + 512ULL * pt->used++;
	for (int i = 0; i < 512; i++)
		t[i] = 0;
	return t;
}

int bootpt_init(struct bootpt *pt, void *pool, unsigned pool_pages, unsigned levels)
{
	pt->pool = pool;
	pt->pool_pages = pool_pages;
	pt->used = 0;
	pt->levels = levels;
	pt->root = alloc_table(pt);
	return pt->root ? 0 : -1;
}

/* Entry for @va in the table at @depth levels above the leaf (0 = PT). */
static uint64_t *walk(struct bootpt *pt, uint64_t va, unsigned leaf_level)
{
	uint64_t *table = pt->root;

	for (unsigned level = pt->levels; level > leaf_level; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t *e = &table[idx];

		if (!(*e & P)) {
			uint64_t *next = alloc_table(pt);

			if (!next)
				return 0;
			*e = (uint64_t)(uintptr_t)next | P | RW;
		}
		table = (uint64_t *)(uintptr_t)(*e & ADDR);
	}
	return &table[(va >> (12 + 9 * (leaf_level - 1))) & 511];
}

int bootpt_map_2m(struct bootpt *pt, uint64_t va, uint64_t pa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += 1ULL << 21) {
		uint64_t *e = walk(pt, va + off, 2);

		if (!e)
			return -1;
		*e = (pa + off) | P | RW | PS;
	}
	return 0;
}

int bootpt_map_4k(struct bootpt *pt, uint64_t va, uint64_t pa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t *e = walk(pt, va + off, 1);

		if (!e)
			return -1;
		*e = (pa + off) | P | RW;
	}
	return 0;
}
