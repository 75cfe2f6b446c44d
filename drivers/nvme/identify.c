/*
 * Checking what a controller says about itself and its namespaces
 * (Identify, base specification 5.15; NVM command set 4.1.5). A device
 * may answer nonsense: every value the driver relies on is checked here
 * and a refusal comes with the reason, never a crash.
 * Host-compilable (tests/host/test_nvme.c).
 */
#include <pagoda/errno.h>
#include <pagoda/nvme.h>
#include <pagoda/string.h>
#include <pagoda/vsprintf.h>

#define NVME_MAX_PHYS_BLOCK	(1u << 20)	/* a larger "preferred write" is not a block */

/* Copy a space-padded ASCII field of @n bytes into @dst (n + 1 bytes), trimmed. */
static void copy_field(char *dst, const char *src, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? c : (c ? '?' : ' ');
		if (dst[i] != ' ')
			len = i + 1;
	}
	dst[len] = '\0';
}

/* Entry size byte (SQES/CQES): required size 3:0 and maximum 7:4, as powers of two. */
static bool entry_size_ok(u8 sizes, unsigned int want)
{
	unsigned int required = sizes & 0xf, max = sizes >> 4;

	if (!sizes)
		return true;		/* not reported (NVMe 1.0 devices): assume the standard size */
	return required <= want && max >= want;
}

int nvme_parse_id_ctrl(const struct nvme_id_ctrl *id, u32 mpsmin, struct nvme_ctrl_info *info,
		       char *why, size_t why_len)
{
	memset(info, 0, sizeof(*info));
	copy_field(info->serial, id->sn, sizeof(id->sn));
	copy_field(info->model, id->mn, sizeof(id->mn));
	copy_field(info->firmware, id->fr, sizeof(id->fr));
	info->version = id->ver;
	info->nn = id->nn;
	info->vwc = id->vwc & 1;
	info->shutdown_us = id->rtd3e;
	if (!entry_size_ok(id->sqes, NVME_SQES_SHIFT)) {
		snprintf(why, why_len, "SQES %#x: 64-byte submission entries not supported", id->sqes);
		return -EINVAL;
	}
	if (!entry_size_ok(id->cqes, NVME_CQES_SHIFT)) {
		snprintf(why, why_len, "CQES %#x: 16-byte completion entries not supported", id->cqes);
		return -EINVAL;
	}
	/* MDTS counts in units of the minimum page size; past 2^40 bytes it is no limit */
	if (id->mdts && 12 + mpsmin + id->mdts <= 40)
		info->max_transfer = 1ull << (12 + mpsmin + id->mdts);
	return 0;
}

/* The LBA format in use: FLBAS bits 3:0, with bits 6:5 above when there are more than 16. */
static unsigned int format_index(const struct nvme_id_ns *id)
{
	unsigned int fmt = id->flbas & 0xf;

	if (id->nlbaf >= 16)
		fmt |= ((id->flbas >> 5) & 3u) << 4;
	return fmt;
}

/* Physical block size: the preferred write granularity when the device reports one. */
static u32 physical_block(const struct nvme_id_ns *id, u32 lba_shift)
{
	u64 pwg = ((u64)id->npwg + 1) << lba_shift;

	if ((id->nsfeat & NVME_NS_FEAT_OPTPERF) && pwg <= NVME_MAX_PHYS_BLOCK && !(pwg & (pwg - 1)))
		return (u32)pwg;
	return 1u << lba_shift;
}

int nvme_parse_id_ns(const struct nvme_id_ns *id, struct nvme_ns_info *info, char *why,
		     size_t why_len)
{
	unsigned int fmt = format_index(id);
	const struct nvme_lbaf *f;

	memset(info, 0, sizeof(*info));
	if (!id->nsze)
		return -ENODEV;
	if (id->nlbaf >= ARRAY_SIZE(id->lbaf) || fmt > id->nlbaf) {
		snprintf(why, why_len, "LBA format %u in use but %u formats described", fmt,
			 id->nlbaf + 1u);
		return -EINVAL;
	}
	f = &id->lbaf[fmt];
	if (f->ms) {
		snprintf(why, why_len,
			 "LBA format %u has %u bytes of metadata per block; only formats without metadata are supported",
			 fmt, f->ms);
		return -EINVAL;
	}
	if (f->ds < 9 || f->ds > PAGE_SHIFT) {
		snprintf(why, why_len,
			 "LBA format %u has 2^%u-byte blocks; only 512 to %lu bytes are supported", fmt,
			 f->ds, PAGE_SIZE);
		return -EINVAL;
	}
	if (id->nsze >> (64 - f->ds)) {
		snprintf(why, why_len, "%llu blocks of 2^%u bytes overflow 64 bits",
			 (unsigned long long)id->nsze, f->ds);
		return -EINVAL;
	}
	info->nr_blocks = id->nsze;
	info->lba_shift = f->ds;
	info->format = fmt;
	info->physical_block_size = physical_block(id, f->ds);
	info->read_only = id->nsattr & NVME_NS_ATTR_WP;
	return 0;
}
