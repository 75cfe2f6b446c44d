/*
 * Types shared by the block layer, its drivers and its users: sectors,
 * device numbers, operations and flags, completion status, bio vectors.
 * docs/block-layer.md. Host-compilable.
 */
#ifndef PAGODA_BLK_TYPES_H
#define PAGODA_BLK_TYPES_H

#include <pagoda/types.h>

/* Block addresses are in 512-byte sectors everywhere, whatever the disk's block size. */
typedef u64 sector_t;
#define SECTOR_SHIFT		9
#define SECTOR_SIZE		(1u << SECTOR_SHIFT)

/*
 * Device numbers, encoded as the Linux kernel does internally (12-bit
 * major, 20-bit minor). User space sees another encoding (st_rdev): the
 * /dev issue converts.
 */
#ifdef HOST_TEST
#include <sys/types.h>		/* the host's dev_t (wider, same values) */
#else
typedef u32 dev_t;
#endif
#define MINORBITS		20
#define MINORMASK		((1u << MINORBITS) - 1)
#define MKDEV(ma, mi)		((dev_t)(((u32)(ma) << MINORBITS) | (u32)(mi)))
#define MAJOR(dev)		((unsigned int)((dev) >> MINORBITS))
#define MINOR(dev)		((unsigned int)((dev) & MINORMASK))

/*
 * Operation and flags in one word, with Linux's values so that messages
 * read the same ("op 0x1:(WRITE) flags 0x20000").
 */
typedef u32 blk_opf_t;
#define REQ_OP_BITS		8
#define REQ_OP_MASK		((1u << REQ_OP_BITS) - 1)
enum req_op {
	REQ_OP_READ	= 0,
	REQ_OP_WRITE	= 1,
	REQ_OP_FLUSH	= 2,	/* write the device's volatile cache to media; no data */
};
#define REQ_SYNC		(1u << 11)	/* someone waits for it (a hint) */
#define REQ_FUA			(1u << 17)	/* the write is on media when it completes */
#define REQ_PREFLUSH		(1u << 18)	/* flush the cache before this write */
#define REQ_POLLED		(1u << 22)	/* completed by polling (blk_execute_polled) */

static inline enum req_op opf_op(blk_opf_t opf)
{
	return (enum req_op)(opf & REQ_OP_MASK);
}

static inline bool op_is_write(enum req_op op)
{
	return op == REQ_OP_WRITE;
}

/* "READ", "WRITE", "FLUSH" or "UNKNOWN". */
const char *blk_op_str(enum req_op op);

/*
 * How a request or bio ended. Drivers return and complete with these;
 * submitters see blk_status_to_errno(). BLK_STS_RESOURCE from queue_rq
 * means "busy, try again later", never an error.
 */
typedef u8 blk_status_t;
#define BLK_STS_OK		0
#define BLK_STS_NOTSUPP		1	/* -EOPNOTSUPP */
#define BLK_STS_TIMEOUT		2	/* -ETIMEDOUT */
#define BLK_STS_NOSPC		3	/* -ENOSPC */
#define BLK_STS_RESOURCE	4	/* -ENOMEM: queue_rq is busy, retry */
#define BLK_STS_INVAL		5	/* -EINVAL: misaligned or unsplittable */
#define BLK_STS_ROFS		6	/* -EROFS: write to a read-only device */
#define BLK_STS_OFFLINE		7	/* -ENODEV: the disk is gone */
#define BLK_STS_IOERR		8	/* -EIO: the device failed, or beyond its end */
#define BLK_STS_MAX		9

int blk_status_to_errno(blk_status_t status);
/* The word Linux uses in its messages: "I/O", "timeout", ... */
const char *blk_status_str(blk_status_t status);

struct page;

/*
 * One run of physically contiguous memory: @bv_len bytes from @bv_offset
 * (< PAGE_SIZE) into @bv_page. A vector may run on into the pages after
 * bv_page (a multi-page allocation); it is never split at page boundaries
 * by the block layer unless a limit requires it.
 */
struct bio_vec {
	struct page *bv_page;
	u32 bv_len;
	u32 bv_offset;
};

#endif
