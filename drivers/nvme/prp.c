/*
 * PRP lists (NVMe base specification 4.3): how a command tells the
 * controller where its data lies. PRP1 is the address of the first byte
 * (any dword-aligned offset into a page); every further page of the
 * transfer is one entry holding a page start. Two entries fit the command
 * itself (PRP2 is the second page); more go into a list page that PRP2
 * points to. Pages are 4 KiB here (CC.MPS = 0, the host page size).
 *
 * Host-compilable (tests/host/test_nvme.c). The driver's caller is
 * drivers/nvme/io.c, feeding the segments of a request in order.
 */
#include <pagoda/errno.h>
#include <pagoda/nvme.h>
#include <pagoda/string.h>

#define NVME_PAGE	PAGE_SIZE

void nvme_prp_init(struct nvme_prp_builder *b, u64 *list, u64 list_dma, u32 list_cap)
{
	memset(b, 0, sizeof(*b));
	b->list = list;
	b->list_dma = list_dma;
	b->list_cap = list ? list_cap : 0;
}

/*
 * Append one entry after PRP1 (a page start). The second entry waits in
 * last_entry until a third shows a list is needed. 0 or -E2BIG.
 */
static int prp_push(struct nvme_prp_builder *b, u64 page)
{
	u32 idx = b->nr_entries - 1;	/* list slot of this entry if a list is used */

	if (b->nr_entries == 1) {
		b->last_entry = page;
		b->nr_entries++;
		return 0;
	}
	if (idx >= b->list_cap)
		return -E2BIG;
	if (idx == 1)
		b->list[0] = b->last_entry;
	b->list[idx] = page;
	b->nr_entries++;
	return 0;
}

/* Entries for every page start in [from, end). */
static int prp_push_pages(struct nvme_prp_builder *b, u64 from, u64 end)
{
	for (u64 page = from; page < end; page += NVME_PAGE) {
		int err = prp_push(b, page);

		if (err)
			return err;
	}
	return 0;
}

int nvme_prp_add(struct nvme_prp_builder *b, u64 addr, u32 len)
{
	u64 end = addr + len;
	int err;

	if (!len)
		return 0;
	if (addr & 3)
		return -EINVAL;		/* PRP offsets are dword aligned */
	if (!b->nr_entries) {
		b->prp1 = addr;
		b->nr_entries = 1;
		err = prp_push_pages(b, ALIGN_DOWN(addr, NVME_PAGE) + NVME_PAGE, end);
	} else {
		/* the previous segment must have ended on a page end, this one start on a page */
		if (b->next != 1 || (addr & (NVME_PAGE - 1)))
			return -EINVAL;
		err = prp_push_pages(b, addr, end);
	}
	if (err)
		return err;
	b->next = (end & (NVME_PAGE - 1)) ? 2 : 1;	/* 1: ended on a page end */
	b->bytes += len;
	return 0;
}

int nvme_prp_finish(struct nvme_prp_builder *b)
{
	if (!b->nr_entries)
		return -EINVAL;
	if (b->nr_entries == 1)
		b->prp2 = 0;
	else if (b->nr_entries == 2)
		b->prp2 = b->last_entry;
	else
		b->prp2 = b->list_dma;
	return 0;
}
