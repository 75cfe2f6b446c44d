/*
 * NVM Express: what the host driver needs of the specification (NVMe Base
 * Specification 1.4 and 2.0, NVM Command Set 1.0), and the protocol helpers
 * that do not touch hardware: PRP lists, completion status, identify
 * checks (drivers/nvme/prp.c, status.c, identify.c; host-compilable and
 * tested in tests/host/test_nvme.c). The driver is drivers/nvme/;
 * docs/nvme.md describes it.
 *
 * Every multi-byte field is little-endian on the wire; x86 is too, so the
 * structures below are used as they are.
 */
#ifndef PAGODA_NVME_H
#define PAGODA_NVME_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>
#include <pagoda/blk_types.h>

/* ---- controller registers (BAR0; base spec 3.1) ---- */

#define NVME_REG_CAP		0x00	/* 64-bit: capabilities */
#define NVME_REG_VS		0x08	/* version */
#define NVME_REG_INTMS		0x0c	/* interrupt mask set (INTx/MSI only) */
#define NVME_REG_INTMC		0x10	/* interrupt mask clear */
#define NVME_REG_CC		0x14	/* controller configuration */
#define NVME_REG_CSTS		0x1c	/* controller status */
#define NVME_REG_AQA		0x24	/* admin queue sizes */
#define NVME_REG_ASQ		0x28	/* 64-bit: admin submission queue base */
#define NVME_REG_ACQ		0x30	/* 64-bit: admin completion queue base */
#define NVME_REG_DBS		0x1000	/* doorbells: SQ y tail, then CQ y head, each 4 << DSTRD apart */

#define NVME_CAP_MQES(cap)	((u32)((cap) & 0xffff))		/* max queue entries - 1 */
#define NVME_CAP_TO(cap)	((u32)(((cap) >> 24) & 0xff))	/* ready timeout, 500 ms units */
#define NVME_CAP_DSTRD(cap)	((u32)(((cap) >> 32) & 0xf))	/* doorbell stride: 4 << DSTRD bytes */
#define NVME_CAP_CSS(cap)	((u32)(((cap) >> 37) & 0xff))	/* command sets supported */
#define NVME_CAP_MPSMIN(cap)	((u32)(((cap) >> 48) & 0xf))	/* min page size: 4 KiB << n */
#define NVME_CAP_MPSMAX(cap)	((u32)(((cap) >> 52) & 0xf))
#define NVME_CAP_CSS_NVM	0x01	/* the NVM command set */

#define NVME_CC_EN		(1u << 0)
#define NVME_CC_CSS_NVM		(0u << 4)
#define NVME_CC_MPS(shift)	((u32)((shift) - 12) << 7)	/* host page size 2^shift */
#define NVME_CC_AMS_RR		(0u << 11)	/* round-robin arbitration */
#define NVME_CC_SHN_NORMAL	(1u << 14)
#define NVME_CC_SHN_MASK	(3u << 14)
#define NVME_CC_IOSQES(n)	((u32)(n) << 16)	/* I/O SQ entry size 2^n */
#define NVME_CC_IOCQES(n)	((u32)(n) << 20)

#define NVME_CSTS_RDY		(1u << 0)
#define NVME_CSTS_CFS		(1u << 1)	/* controller fatal status */
#define NVME_CSTS_SHST_MASK	(3u << 2)
#define NVME_CSTS_SHST_CMPLT	(2u << 2)	/* shutdown processing complete */

#define NVME_AQA(sq_entries, cq_entries)	\
	((u32)((sq_entries) - 1) | (u32)((cq_entries) - 1) << 16)

/* Doorbell offsets of queue @qid with stride 4 << @dstrd. */
static inline u32 nvme_sq_doorbell(u16 qid, u32 dstrd)
{
	return NVME_REG_DBS + (2u * qid) * (4u << dstrd);
}

static inline u32 nvme_cq_doorbell(u16 qid, u32 dstrd)
{
	return NVME_REG_DBS + (2u * qid + 1) * (4u << dstrd);
}

/* ---- commands and completions (base spec 4.2, 4.6) ---- */

#define NVME_SQES_SHIFT		6	/* 64-byte submission entries */
#define NVME_CQES_SHIFT		4	/* 16-byte completion entries */

struct nvme_command {
	u8 opcode;
	u8 flags;		/* FUSE (1:0), PSDT (7:6): 0 = PRPs */
	u16 command_id;
	u32 nsid;
	u32 cdw2, cdw3;
	u64 metadata;
	u64 prp1, prp2;
	u32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_completion {
	u32 result;		/* DW0: command specific */
	u32 rsvd;
	u16 sq_head;		/* how far the controller has consumed the SQ */
	u16 sq_id;
	u16 command_id;
	u16 status;		/* bit 0: phase tag; 15:1 the status field */
};

BUILD_BUG_ON(sizeof(struct nvme_command) != 1u << NVME_SQES_SHIFT);
BUILD_BUG_ON(sizeof(struct nvme_completion) != 1u << NVME_CQES_SHIFT);

/* Admin opcodes. */
#define NVME_ADMIN_DELETE_SQ	0x00
#define NVME_ADMIN_CREATE_SQ	0x01
#define NVME_ADMIN_DELETE_CQ	0x04
#define NVME_ADMIN_CREATE_CQ	0x05
#define NVME_ADMIN_IDENTIFY	0x06
#define NVME_ADMIN_SET_FEATURES	0x09

/* NVM command set opcodes. */
#define NVME_CMD_FLUSH		0x00
#define NVME_CMD_WRITE		0x01
#define NVME_CMD_READ		0x02

#define NVME_RW_FUA		(1u << 30)	/* CDW12 */

/* Identify CNS values (CDW10). */
#define NVME_ID_CNS_NS		0x00
#define NVME_ID_CNS_CTRL	0x01
#define NVME_ID_CNS_NS_ACTIVE	0x02	/* active namespace ids above CDW1.NSID (NVMe 1.1) */

#define NVME_FEAT_NUM_QUEUES	0x07

/* Create I/O queue flags (CDW11). */
#define NVME_QUEUE_PHYS_CONTIG	(1u << 0)
#define NVME_CQ_IRQ_ENABLED	(1u << 1)

/* The status field: status >> 1 of a completion, without the phase tag. */
#define NVME_SC(st)		((st) & 0xff)		/* status code */
#define NVME_SCT(st)		(((st) >> 8) & 0x7)	/* status code type */
#define NVME_STATUS_MORE	(1u << 13)
#define NVME_STATUS_DNR		(1u << 14)		/* do not retry */

#define NVME_SCT_GENERIC	0x0
#define NVME_SCT_CMD_SPECIFIC	0x1
#define NVME_SCT_MEDIA		0x2
#define NVME_SCT_PATH		0x3
#define NVME_SCT_VENDOR		0x7

/* ---- Identify data (base spec 5.15; NVM command set 4.1.5) ---- */

struct nvme_id_ctrl {
	u16 vid;		/*   0 */
	u16 ssvid;		/*   2 */
	char sn[20];		/*   4 serial number, ASCII, space padded */
	char mn[40];		/*  24 model number */
	char fr[8];		/*  64 firmware revision */
	u8 rab;			/*  72 */
	u8 ieee[3];		/*  73 */
	u8 cmic;		/*  76 */
	u8 mdts;		/*  77 max data transfer: 2^n units of CAP.MPSMIN; 0: none */
	u16 cntlid;		/*  78 */
	u32 ver;		/*  80 */
	u32 rtd3r;		/*  84 */
	u32 rtd3e;		/*  88 RTD3 entry latency (us): shutdown time */
	u8 rsvd92[164];		/*  92 */
	u16 oacs;		/* 256 */
	u8 rsvd258[254];	/* 258 */
	u8 sqes;		/* 512 SQ entry sizes: required 3:0, max 7:4 (2^n) */
	u8 cqes;		/* 513 */
	u16 maxcmd;		/* 514 */
	u32 nn;			/* 516 number of namespaces (highest id) */
	u16 oncs;		/* 520 */
	u16 fuses;		/* 522 */
	u8 fna;			/* 524 */
	u8 vwc;			/* 525 bit 0: volatile write cache present */
	u8 rsvd526[3570];	/* 526 */
};

struct nvme_lbaf {
	u16 ms;			/* metadata bytes per block */
	u8 ds;			/* LBA data size: 2^ds bytes */
	u8 rp;			/* relative performance */
};

struct nvme_id_ns {
	u64 nsze;		/*   0 size in logical blocks */
	u64 ncap;		/*   8 */
	u64 nuse;		/*  16 */
	u8 nsfeat;		/*  24 bit 4: OPTPERF (npwg... valid) */
	u8 nlbaf;		/*  25 number of LBA formats - 1 */
	u8 flbas;		/*  26 format in use: 3:0, and 6:5 above 16 formats */
	u8 mc;			/*  27 */
	u8 dpc;			/*  28 */
	u8 dps;			/*  29 */
	u8 nmic;		/*  30 */
	u8 rescap;		/*  31 */
	u8 fpi;			/*  32 */
	u8 dlfeat;		/*  33 */
	u16 nawun;		/*  34 */
	u16 nawupf;		/*  36 */
	u16 nacwu;		/*  38 */
	u16 nabsn;		/*  40 */
	u16 nabo;		/*  42 */
	u16 nabspf;		/*  44 */
	u16 noiob;		/*  46 */
	u8 nvmcap[16];		/*  48 */
	u16 npwg;		/*  64 preferred write granularity - 1 (blocks) */
	u16 npwa;		/*  66 */
	u16 npdg;		/*  68 */
	u16 npda;		/*  70 */
	u16 nows;		/*  72 */
	u8 rsvd74[25];		/*  74 */
	u8 nsattr;		/*  99 bit 0: write protected */
	u8 rsvd100[28];		/* 100 */
	struct nvme_lbaf lbaf[64];	/* 128 (16 in NVMe 1.4, 64 in 2.0) */
	u8 rsvd384[3712];	/* 384 */
};

BUILD_BUG_ON(sizeof(struct nvme_id_ctrl) != 4096);
BUILD_BUG_ON(sizeof(struct nvme_id_ns) != 4096);

#define NVME_NS_FEAT_OPTPERF	(1u << 4)
#define NVME_NS_ATTR_WP		(1u << 0)
#define NVME_NS_LIST_ENTRIES	1024	/* ids in one active-namespace list page */

/* ---- helpers (host-compilable) ---- */

/*
 * The controller facts the driver uses, checked (drivers/nvme/identify.c).
 * Strings are trimmed of their padding and NUL terminated.
 */
struct nvme_ctrl_info {
	char serial[21], model[41], firmware[9];
	u32 version;		/* VER: major << 16 | minor << 8 | tertiary (0 before 1.2) */
	u32 nn;
	u64 max_transfer;	/* bytes, from MDTS; 0: no limit */
	u32 shutdown_us;	/* RTD3E; 0: not reported */
	bool vwc;		/* volatile write cache */
};

/*
 * Check identify controller data @id for a controller with minimum page
 * size 4 KiB << @mpsmin, and fill @info. Returns 0, or -EINVAL with a
 * reason in @why (64-byte submission and 16-byte completion entries not
 * supported, a maximum transfer below one page).
 */
int nvme_parse_id_ctrl(const struct nvme_id_ctrl *id, u32 mpsmin, struct nvme_ctrl_info *info,
		       char *why, size_t why_len);

/* What a namespace's identify data says, once checked (drivers/nvme/identify.c). */
struct nvme_ns_info {
	u64 nr_blocks;		/* NSZE */
	u32 lba_shift;		/* log2 of the logical block size: 9..PAGE_SHIFT */
	u32 physical_block_size;	/* bytes; >= the logical size */
	unsigned int format;	/* the LBA format in use */
	bool read_only;		/* write protected */
};

/*
 * Check identify namespace data @id and fill @info. Returns 0; -ENODEV for
 * an inactive namespace (NSZE 0); -EINVAL with a reason in @why for one
 * the driver cannot use: a format index beyond NLBAF, metadata per block,
 * a block size outside 512..4096 bytes, a size that overflows 2^64 bytes.
 */
int nvme_parse_id_ns(const struct nvme_id_ns *id, struct nvme_ns_info *info, char *why,
		     size_t why_len);

/*
 * Builds the PRP entries of one command (base spec 4.3) from a request's
 * DMA segments in order: PRP1 holds the first byte's address (dword
 * aligned, any offset), every later entry a page start; with more than two
 * entries PRP2 points at a list page of up to @list_cap entries. The
 * segments must obey NVMe's page rule (every segment but the first starts
 * at a page start, every segment but the last ends at a page end), which
 * the block layer's virtual boundary guarantees.
 */
struct nvme_prp_builder {
	u64 prp1, prp2;
	u64 *list;		/* the list page (kernel view), or NULL: no list */
	u64 list_dma;		/* its bus address */
	u32 list_cap;		/* entries it holds */
	u32 nr_entries;		/* PRP entries so far (PRP1 included) */
	u32 next;		/* 0: no segment yet; 1: the last ended on a page end; 2: mid-page */
	u64 last_entry;		/* the address of the entry that would go into PRP2 */
	u32 bytes;		/* data bytes so far */
};

void nvme_prp_init(struct nvme_prp_builder *b, u64 *list, u64 list_dma, u32 list_cap);
/*
 * Add @len bytes at bus address @addr. 0, or -EINVAL when the segment
 * breaks the page rule or dword alignment, -E2BIG when the list is full.
 */
int nvme_prp_add(struct nvme_prp_builder *b, u64 addr, u32 len);
/* Finish: prp1 and prp2 are ready. -EINVAL if no data was added. */
int nvme_prp_finish(struct nvme_prp_builder *b);

/* The block status of an NVMe status field (0: BLK_STS_OK). */
blk_status_t nvme_status_to_blk(u16 status);
/* The specification's name of a status field ("Unrecovered Read Error"), or NULL. */
const char *nvme_status_name(u16 status);
/* "Write Fault (sct 0x2, sc 0x80, dnr)" of @status into @buf. */
void nvme_format_status(char *buf, size_t len, u16 status);

/*
 * Is the completion entry @cqe new for a reader expecting phase @phase?
 * The controller inverts the phase tag it writes each time it wraps.
 */
static inline bool nvme_cqe_pending(const volatile struct nvme_completion *cqe, u8 phase)
{
	return (cqe->status & 1) == phase;
}

/* Advance a completion queue head of @depth entries, flipping @phase at the wrap. */
static inline u16 nvme_cq_advance(u16 head, u16 depth, u8 *phase)
{
	if (++head == depth) {
		head = 0;
		*phase ^= 1;
	}
	return head;
}

#endif
