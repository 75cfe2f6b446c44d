/*
 * Batching TLB flushes for one page-table operation (zap, mprotect, fork's
 * write-protect): collect the addresses whose entries lost permissions or
 * went away, then flush them one by one, or the whole TLB past
 * TLB_FLUSH_CEILING addresses (Linux's tlb_single_page_flush_ceiling).
 * Host-compilable: the flushes go through mm/arch.h.
 */
#ifndef MM_TLB_H
#define MM_TLB_H

#include <mm/arch.h>

#define TLB_FLUSH_CEILING	33

struct tlb_batch {
	bool flush_all;
	unsigned int nr;
	uintptr_t addrs[TLB_FLUSH_CEILING];
};

/*
 * Start an empty batch. The address array is left alone (it is only read
 * below nr), so a batch on the stack costs two stores, not a 264-byte clear.
 */
static inline void tlb_batch_init(struct tlb_batch *b)
{
	b->flush_all = false;
	b->nr = 0;
}

static inline void tlb_batch_add(struct tlb_batch *b, uintptr_t addr)
{
	if (b->flush_all)
		return;
	if (b->nr == TLB_FLUSH_CEILING)
		b->flush_all = true;
	else
		b->addrs[b->nr++] = addr;
}

/* Flush what was collected and start over. */
static inline void tlb_batch_flush(struct tlb_batch *b)
{
	if (b->flush_all)
		arch_flush_tlb_all();
	else
		for (unsigned int i = 0; i < b->nr; i++)
			arch_flush_tlb_page(b->addrs[i]);
	b->flush_all = false;
	b->nr = 0;
}

#endif
