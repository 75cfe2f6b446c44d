/*
 * Host tests of the NVMe driver's protocol helpers (include/pagoda/nvme.h):
 * PRP entries and lists built from DMA segments (drivers/nvme/prp.c), the
 * checks of Identify Controller and Identify Namespace data against
 * nonsense (drivers/nvme/identify.c), completion status to block status
 * and the specification's names (drivers/nvme/status.c), and the phase
 * tag walk of a completion queue.
 */
#include <pagoda/errno.h>
#include <pagoda/nvme.h>
#include "ktap.h"
#include <stdlib.h>
#include <string.h>

#define PG		4096ull
#define LIST_DMA	0xabc000ull

static u64 list[512];

struct seg {
	u64 addr;
	u32 len;
};

/* Feed @n segments; the first error, or 0 after a successful finish. */
static int build(struct nvme_prp_builder *b, const struct seg *s, unsigned int n, u32 cap)
{
	memset(list, 0xee, sizeof(list));
	nvme_prp_init(b, list, LIST_DMA, cap);
	for (unsigned int i = 0; i < n; i++) {
		int err = nvme_prp_add(b, s[i].addr, s[i].len);

		if (err)
			return err;
	}
	return nvme_prp_finish(b);
}

static void t_prp_within_one_page_needs_only_prp1(void)
{
	struct nvme_prp_builder b;
	struct seg s[] = { { 0x10000 + 512, 1024 } };

	KT_ASSERT(build(&b, s, 1, 512) == 0);
	KT_EXPECT_EQ(b.prp1, 0x10000 + 512);
	KT_EXPECT_EQ(b.prp2, 0);
	KT_EXPECT_EQ(b.nr_entries, 1);
	KT_EXPECT_EQ(b.bytes, 1024);
}

static void t_prp_two_pages_use_prp2_directly(void)
{
	struct nvme_prp_builder b;
	struct seg aligned[] = { { 0x20000, 8192 } };
	struct seg unaligned[] = { { 0x20000 + 3072, 2048 } };	/* crosses into the next page */

	KT_ASSERT(build(&b, aligned, 1, 512) == 0);
	KT_EXPECT_EQ(b.prp1, 0x20000);
	KT_EXPECT_EQ(b.prp2, 0x21000);
	KT_EXPECT_EQ(list[0], 0xeeeeeeeeeeeeeeeeull);	/* no list written */
	KT_ASSERT(build(&b, unaligned, 1, 512) == 0);
	KT_EXPECT_EQ(b.prp1, 0x20000 + 3072);
	KT_EXPECT_EQ(b.prp2, 0x21000);
}

static void t_prp_three_pages_go_to_a_list(void)
{
	struct nvme_prp_builder b;
	struct seg s[] = { { 0x30000 + 4, 4092 }, { 0x50000, 4096 }, { 0x70000, 4 } };

	KT_ASSERT(build(&b, s, 3, 512) == 0);
	KT_EXPECT_EQ(b.prp1, 0x30000 + 4);
	KT_EXPECT_EQ(b.prp2, LIST_DMA);
	KT_EXPECT_EQ(b.nr_entries, 3);
	KT_EXPECT_EQ(list[0], 0x50000);
	KT_EXPECT_EQ(list[1], 0x70000);
	KT_EXPECT_EQ(b.bytes, 8192);
}

/* 2 MiB at an unaligned start spans 513 pages: PRP1 and a full 512-entry list. */
static void t_prp_two_mib_unaligned_fill_one_list_page(void)
{
	struct nvme_prp_builder b;
	struct seg s[] = { { 0x1000000 + 512, 2u << 20 } };
	struct seg more[] = { { 0x1000000 + 512, (2u << 20) + 4096 } };

	KT_ASSERT(build(&b, s, 1, 512) == 0);
	KT_EXPECT_EQ(b.nr_entries, 513);
	KT_EXPECT_EQ(list[0], 0x1001000);
	KT_EXPECT_EQ(list[511], 0x1000000 + 512 * PG);
	KT_EXPECT_EQ(build(&b, more, 1, 512), -E2BIG);
}

static void t_prp_segments_breaking_the_page_rule_are_refused(void)
{
	struct nvme_prp_builder b;
	struct seg gap_after_first[] = { { 0x40000, 2048 }, { 0x60000, 4096 } };
	struct seg second_unaligned[] = { { 0x40000, 4096 }, { 0x60000 + 512, 512 } };
	struct seg odd_start[] = { { 0x40002, 512 } };
	struct seg middle_short[] = { { 0x40000, 4096 }, { 0x60000, 2048 }, { 0x70000, 4096 } };

	KT_EXPECT_EQ(build(&b, gap_after_first, 2, 512), -EINVAL);
	KT_EXPECT_EQ(build(&b, second_unaligned, 2, 512), -EINVAL);
	KT_EXPECT_EQ(build(&b, odd_start, 1, 512), -EINVAL);
	KT_EXPECT_EQ(build(&b, middle_short, 3, 512), -EINVAL);
	nvme_prp_init(&b, list, LIST_DMA, 512);
	KT_EXPECT_EQ(nvme_prp_finish(&b), -EINVAL);		/* no data */
}

static void t_prp_without_a_list_page_holds_two_entries(void)
{
	struct nvme_prp_builder b;
	struct seg two[] = { { 0x80000, 8192 } };
	struct seg three[] = { { 0x80000, 12288 } };

	nvme_prp_init(&b, NULL, 0, 512);
	KT_EXPECT_EQ(nvme_prp_add(&b, two[0].addr, two[0].len), 0);
	nvme_prp_init(&b, NULL, 0, 512);
	KT_EXPECT_EQ(nvme_prp_add(&b, three[0].addr, three[0].len), -E2BIG);
}

/* Random requests under the page rule: the entries are exactly the pages touched. */
static void t_prp_random_requests_cover_every_page_once(void)
{
	srand(7);
	for (int round = 0; round < 2000; round++) {
		struct seg s[16];
		unsigned int n = 1 + (unsigned int)rand() % 16;
		u64 pages = 0, expect_pages = 0;
		struct nvme_prp_builder b;
		u32 total = 0;

		for (unsigned int i = 0; i < n; i++) {
			u64 base = (u64)(1 + rand() % 100000) * PG;
			u32 first_off = i == 0 ? (u32)(rand() % 1024) * 4 : 0;
			u32 len = (u32)(1 + rand() % 3) * (u32)PG - first_off;

			if (i == n - 1 && n > 1)
				len = (u32)(1 + rand() % 8191) & ~3u;
			if (!len)
				len = 4;
			s[i] = (struct seg){ base + first_off, len };
			expect_pages += (ALIGN_UP(base + first_off + len, PG) - ALIGN_DOWN(base + first_off, PG)) / PG;
			total += len;
		}
		KT_ASSERT(build(&b, s, n, 512) == 0);
		pages = b.nr_entries;
		KT_EXPECT_EQ(pages, expect_pages);
		KT_EXPECT_EQ(b.bytes, total);
		KT_EXPECT_EQ(b.prp1, s[0].addr);
		if (pages == 2)
			KT_EXPECT_EQ(b.prp2 & (PG - 1), 0);
		if (pages > 2) {
			KT_EXPECT_EQ(b.prp2, LIST_DMA);
			for (u64 i = 0; i < pages - 1; i++)
				KT_EXPECT_EQ(list[i] & (PG - 1), 0);
		}
		if (kt_case_failed)
			return;
	}
}

/* ---- identify ---- */

static struct nvme_id_ctrl *good_ctrl(void)
{
	static struct nvme_id_ctrl id;

	memset(&id, 0, sizeof(id));
	memcpy(id.sn, "pagoda0             ", 20);
	memcpy(id.mn, "QEMU NVMe Ctrl                          ", 40);
	memcpy(id.fr, "7.2.22  ", 8);
	id.mdts = 7;
	id.sqes = 0x66;
	id.cqes = 0x44;
	id.nn = 256;
	id.vwc = 1;
	return &id;
}

static void t_identify_controller_fields(void)
{
	struct nvme_ctrl_info info;
	struct nvme_id_ctrl *id = good_ctrl();
	char why[96];

	KT_ASSERT(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)) == 0);
	KT_EXPECT(!strcmp(info.serial, "pagoda0"));
	KT_EXPECT(!strcmp(info.model, "QEMU NVMe Ctrl"));
	KT_EXPECT(!strcmp(info.firmware, "7.2.22"));
	KT_EXPECT_EQ(info.max_transfer, 512 * 1024);
	KT_EXPECT_EQ(info.nn, 256);
	KT_EXPECT(info.vwc);
	id->mdts = 0;				/* no limit */
	id->vwc = 0;
	KT_ASSERT(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.max_transfer, 0);
	KT_EXPECT(!info.vwc);
	id->mdts = 3;				/* units of the minimum page size */
	KT_ASSERT(nvme_parse_id_ctrl(id, 1, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.max_transfer, 64 * 1024);
	id->mdts = 200;				/* nonsense: no limit, not an overflow */
	KT_ASSERT(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.max_transfer, 0);
	id->sn[3] = '\x01';			/* garbage in strings stays printable */
	KT_ASSERT(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)) == 0);
	KT_EXPECT(!strcmp(info.serial, "pag?da0"));
}

static void t_identify_controller_refuses_other_entry_sizes(void)
{
	struct nvme_ctrl_info info;
	struct nvme_id_ctrl *id = good_ctrl();
	char why[96] = "";

	id->sqes = 0x77;			/* requires 128-byte entries */
	KT_EXPECT_EQ(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)), -EINVAL);
	KT_EXPECT(strstr(why, "64-byte submission entries") != NULL);
	id = good_ctrl();
	id->cqes = 0x33;			/* at most 8-byte completions */
	KT_EXPECT_EQ(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)), -EINVAL);
	KT_EXPECT(strstr(why, "16-byte completion entries") != NULL);
	id = good_ctrl();
	id->sqes = id->cqes = 0;		/* NVMe 1.0 devices may not report: fine */
	KT_EXPECT_EQ(nvme_parse_id_ctrl(id, 0, &info, why, sizeof(why)), 0);
}

static struct nvme_id_ns *good_ns(void)
{
	static struct nvme_id_ns id;

	memset(&id, 0, sizeof(id));
	id.nsze = id.ncap = 65536;
	id.nlbaf = 1;
	id.flbas = 0;
	id.lbaf[0] = (struct nvme_lbaf){ .ms = 0, .ds = 9 };
	id.lbaf[1] = (struct nvme_lbaf){ .ms = 0, .ds = 12 };
	return &id;
}

static void t_identify_namespace_512_and_4096(void)
{
	struct nvme_ns_info info;
	struct nvme_id_ns *id = good_ns();
	char why[128];

	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.nr_blocks, 65536);
	KT_EXPECT_EQ(info.lba_shift, 9);
	KT_EXPECT_EQ(info.physical_block_size, 512);
	KT_EXPECT(!info.read_only);
	id->flbas = 1;
	id->nsattr = NVME_NS_ATTR_WP;
	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.lba_shift, 12);
	KT_EXPECT_EQ(info.format, 1);
	KT_EXPECT(info.read_only);
}

static void t_identify_namespace_physical_block_from_npwg(void)
{
	struct nvme_ns_info info;
	struct nvme_id_ns *id = good_ns();
	char why[128];

	id->nsfeat = NVME_NS_FEAT_OPTPERF;
	id->npwg = 7;				/* 8 blocks of 512 */
	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.physical_block_size, 4096);
	id->npwg = 2;				/* 1536: not a power of two, ignored */
	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.physical_block_size, 512);
	id->nsfeat = 0;
	id->npwg = 7;				/* not valid without OPTPERF */
	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.physical_block_size, 512);
}

static void t_identify_namespace_refusals(void)
{
	struct nvme_ns_info info;
	struct nvme_id_ns *id;
	char why[128] = "";

	id = good_ns();
	id->nsze = 0;				/* inactive */
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -ENODEV);
	id = good_ns();
	id->lbaf[0].ms = 8;
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -EINVAL);
	KT_EXPECT(strstr(why, "8 bytes of metadata") != NULL);
	id = good_ns();
	id->flbas = 5;				/* only 2 formats */
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -EINVAL);
	KT_EXPECT(strstr(why, "LBA format 5 in use but 2 formats") != NULL);
	id = good_ns();
	id->lbaf[0].ds = 13;			/* 8 KiB blocks */
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -EINVAL);
	id->lbaf[0].ds = 0;			/* garbage */
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -EINVAL);
	id = good_ns();
	id->nsze = ~0ull;			/* 2^64 blocks of 512 bytes */
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -EINVAL);
	id = good_ns();
	id->nlbaf = 200;			/* more formats than the structure has */
	KT_EXPECT_EQ(nvme_parse_id_ns(id, &info, why, sizeof(why)), -EINVAL);
}

/* Above 16 formats (NVMe 2.0) FLBAS bits 6:5 extend the index. */
static void t_identify_namespace_format_index_above_16(void)
{
	struct nvme_ns_info info;
	struct nvme_id_ns *id = good_ns();
	char why[128];

	id->nlbaf = 19;
	id->lbaf[18] = (struct nvme_lbaf){ .ms = 0, .ds = 12 };
	id->flbas = 0x2 | 1u << 5;		/* 16 + 2 */
	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.format, 18);
	KT_EXPECT_EQ(info.lba_shift, 12);
	id->nlbaf = 15;				/* with 16 formats bits 6:5 mean nothing */
	id->lbaf[2] = (struct nvme_lbaf){ .ms = 0, .ds = 9 };
	KT_ASSERT(nvme_parse_id_ns(id, &info, why, sizeof(why)) == 0);
	KT_EXPECT_EQ(info.format, 2);
}

/* ---- status ---- */

static u16 status(u16 sct, u16 sc, u16 flags)
{
	return (u16)(sct << 8 | sc | flags);
}

static void t_status_to_block_status(void)
{
	KT_EXPECT_EQ(nvme_status_to_blk(0), BLK_STS_OK);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_MEDIA, 0x81, 0)), BLK_STS_IOERR);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_MEDIA, 0x80, NVME_STATUS_DNR)), BLK_STS_IOERR);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_GENERIC, 0x01, 0)), BLK_STS_NOTSUPP);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_GENERIC, 0x20, 0)), BLK_STS_ROFS);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_GENERIC, 0x81, 0)), BLK_STS_NOSPC);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_GENERIC, 0x80, 0)), BLK_STS_IOERR);
	KT_EXPECT_EQ(nvme_status_to_blk(status(NVME_SCT_VENDOR, 0x42, 0)), BLK_STS_IOERR);
	/* the retry bits do not turn an error into success */
	KT_EXPECT_EQ(nvme_status_to_blk(NVME_STATUS_DNR | NVME_STATUS_MORE), BLK_STS_OK);
}

static void t_status_names_and_format(void)
{
	char buf[96];

	KT_EXPECT(!strcmp(nvme_status_name(status(NVME_SCT_MEDIA, 0x81, 0)), "Unrecovered Read Error"));
	KT_EXPECT(!strcmp(nvme_status_name(status(NVME_SCT_MEDIA, 0x80, 0)), "Write Fault"));
	KT_EXPECT(nvme_status_name(status(NVME_SCT_MEDIA, 0x99, 0)) == NULL);
	nvme_format_status(buf, sizeof(buf), status(NVME_SCT_MEDIA, 0x81, NVME_STATUS_DNR));
	KT_EXPECT(!strcmp(buf, "Unrecovered Read Error (sct 0x2, sc 0x81, dnr)"));
	nvme_format_status(buf, sizeof(buf), status(NVME_SCT_VENDOR, 0xc0, 0));
	KT_EXPECT(!strcmp(buf, "Unknown Status (sct 0x7, sc 0xc0)"));
}

/* ---- completion queue ---- */

/* A fake device posting @n completions into a ring of @depth, phase tags as the spec says. */
struct fake_cq {
	struct nvme_completion e[8];
	u16 tail;
	u8 phase;
};

static void post(struct fake_cq *cq, u16 depth, u16 cid)
{
	cq->e[cq->tail] = (struct nvme_completion){ .command_id = cid, .status = cq->phase };
	if (++cq->tail == depth) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
}

static void t_phase_tag_walk_across_wraps(void)
{
	struct fake_cq cq = { .phase = 1 };
	u16 depth = 5, head = 0, next_cid = 0, posted = 0;
	u8 phase = 1;

	srand(11);
	for (int round = 0; round < 500; round++) {
		int n = rand() % depth;		/* never more than depth - 1 outstanding */

		for (int i = 0; i < n; i++)
			post(&cq, depth, posted++);
		while (nvme_cqe_pending(&cq.e[head], phase)) {
			KT_EXPECT_EQ(cq.e[head].command_id, next_cid);
			next_cid++;
			head = nvme_cq_advance(head, depth, &phase);
		}
		KT_EXPECT_EQ(next_cid, posted);
		if (kt_case_failed)
			return;
	}
}

static const struct kt_case cases[] = {
	KT_CASE(t_prp_within_one_page_needs_only_prp1, "a transfer within one page needs only PRP1"),
	KT_CASE(t_prp_two_pages_use_prp2_directly, "a transfer over two pages puts the second in PRP2"),
	KT_CASE(t_prp_three_pages_go_to_a_list, "three pages or more go to a PRP list that PRP2 points to"),
	KT_CASE(t_prp_two_mib_unaligned_fill_one_list_page,
		"2 MiB at an unaligned start fills exactly one list page; more is refused"),
	KT_CASE(t_prp_segments_breaking_the_page_rule_are_refused,
		"segments breaking the PRP page rule or dword alignment are refused"),
	KT_CASE(t_prp_without_a_list_page_holds_two_entries, "without a list page only two entries fit"),
	KT_CASE(t_prp_random_requests_cover_every_page_once,
		"random requests: one entry per page touched, list entries page aligned"),
	KT_CASE(t_identify_controller_fields, "identify controller: strings, MDTS, VWC, nonsense MDTS"),
	KT_CASE(t_identify_controller_refuses_other_entry_sizes,
		"a controller without 64/16-byte queue entries is refused with the reason"),
	KT_CASE(t_identify_namespace_512_and_4096, "namespaces with 512- and 4096-byte blocks, write protect"),
	KT_CASE(t_identify_namespace_physical_block_from_npwg,
		"the physical block size comes from NPWG only when OPTPERF says it is valid"),
	KT_CASE(t_identify_namespace_refusals,
		"inactive, metadata, bad format index, odd block sizes and overflowing sizes are refused"),
	KT_CASE(t_identify_namespace_format_index_above_16, "format indexes above 16 use FLBAS bits 6:5"),
	KT_CASE(t_status_to_block_status, "NVMe status codes map to block statuses"),
	KT_CASE(t_status_names_and_format, "status names and the log format"),
	KT_CASE(t_phase_tag_walk_across_wraps, "the phase tag finds every new completion across wraps"),
};

int main(void)
{
	return kt_run_suite("nvme", cases, KT_N(cases));
}
