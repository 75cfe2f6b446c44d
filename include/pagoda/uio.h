/*
 * Scatter-gather I/O descriptors (lib/iov_iter.c): what a read or a write
 * moves data between, so that file systems copy straight to and from user
 * memory without a bounce buffer. Host-testable (tests/host/test_iov_iter.c).
 *
 * An iov_iter walks one of:
 *   ITER_UBUF   one user buffer (read(2), write(2), pread64, pwrite64);
 *   ITER_IOVEC  an array of user iovecs (readv(2), writev(2));
 *   ITER_KVEC   an array of kernel buffers (kernel_read(), kernel_write()).
 *
 * Copies return the bytes moved. A user copy that faults part way stops
 * there and reports what it moved (Linux's semantics: the system call then
 * returns a short count, or -EFAULT only when nothing moved). User memory
 * faults at page granularity, so copies go a user page at a time and the
 * short count is exact.
 */
#ifndef PAGODA_UIO_H
#define PAGODA_UIO_H

#include <pagoda/types.h>
#include <pagoda/compiler.h>

struct page;
struct pmm;

#define UIO_MAXIOV	1024
#define UIO_FASTIOV	8
/* Linux: INT_MAX & PAGE_MASK, the most one read or write moves. */
#define MAX_RW_COUNT	(0x7fffffffUL & PAGE_MASK)

/* A user iovec as readv(2) takes it (struct iovec). */
struct iovec {
	void *iov_base;			/* user address */
	size_t iov_len;
};

/* A kernel buffer. */
struct kvec {
	void *iov_base;
	size_t iov_len;
};

enum iter_type {
	ITER_UBUF,
	ITER_IOVEC,
	ITER_KVEC,
};

/* Direction: the iterator is where data goes (a read) or comes from (a write). */
#define ITER_DEST	0		/* READ in Linux's older naming */
#define ITER_SOURCE	1		/* WRITE */

struct iov_iter {
	u8 iter_type;
	u8 data_source;			/* ITER_SOURCE or ITER_DEST */
	size_t iov_offset;		/* into the current segment (ubuf: into the buffer) */
	size_t count;			/* bytes left */
	union {
		const struct iovec *iov;
		const struct kvec *kvec;
		void *ubuf;
	};
	unsigned long nr_segs;		/* segments left, the current one included */
};

void iov_iter_ubuf(struct iov_iter *i, unsigned int direction, void *buf, size_t count);
void iov_iter_init(struct iov_iter *i, unsigned int direction, const struct iovec *iov,
		   unsigned long nr_segs, size_t count);
void iov_iter_kvec(struct iov_iter *i, unsigned int direction, const struct kvec *kvec,
		   unsigned long nr_segs, size_t count);

static inline size_t iov_iter_count(const struct iov_iter *i)
{
	return i->count;
}

static inline bool user_backed_iter(const struct iov_iter *i)
{
	return i->iter_type == ITER_UBUF || i->iter_type == ITER_IOVEC;
}

/* Cut the iterator to at most @count bytes (the caller may restore i->count later). */
static inline void iov_iter_truncate(struct iov_iter *i, size_t count)
{
	if (i->count > count)
		i->count = count;
}

/* Step over @bytes (at most what is left) without copying. */
void iov_iter_advance(struct iov_iter *i, size_t bytes);
/* Step back over @bytes already advanced (a read that must give data back). */
void iov_iter_revert(struct iov_iter *i, size_t bytes);

/* Copy @bytes from @addr into the iterator (a read). Returns the bytes copied. */
size_t copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i);
/* Copy @bytes out of the iterator to @addr (a write). Returns the bytes copied. */
size_t copy_from_iter(void *addr, size_t bytes, struct iov_iter *i);
/* Write @bytes zeros into the iterator. Returns the bytes written. */
size_t iov_iter_zero(size_t bytes, struct iov_iter *i);
/*
 * The page-cache forms: @bytes at @offset of @page (a page of @pmm,
 * offset + bytes <= PAGE_SIZE).
 */
size_t copy_page_to_iter(struct pmm *pmm, struct page *page, size_t offset, size_t bytes,
			 struct iov_iter *i);
size_t copy_page_from_iter(struct pmm *pmm, struct page *page, size_t offset, size_t bytes,
			   struct iov_iter *i);

/*
 * Fault in the user pages of the next @bytes of @i for reading (before a
 * copy that must not fault: under a page lock). Returns the bytes that
 * could NOT be faulted in (0: all of them); kernel iterators need none.
 */
size_t fault_in_iov_iter_readable(const struct iov_iter *i, size_t bytes);

/*
 * readv/writev: copy in @nr_segs iovecs from the user array @uvec and set
 * up @i over them. *@iovp is @fast (UIO_FASTIOV entries) when they fit,
 * else a kmalloc'd array; kfree(*@iovp) afterwards is right either way
 * (NULL when @fast was used). Returns the total bytes (clamped to
 * MAX_RW_COUNT, each segment cut so the sum stays within it) or -EINVAL
 * (more than UIO_MAXIOV segments, a length with the sign bit set, a total
 * past SSIZE_MAX), -EFAULT (the array unreadable or a segment outside user
 * space), -ENOMEM.
 */
long import_iovec(unsigned int direction, const struct iovec *uvec, unsigned long nr_segs,
		  unsigned int fast_segs, struct iovec **iovp, struct iov_iter *i);
/* One user buffer: -EFAULT outside user space; @len clamped to MAX_RW_COUNT. */
int import_ubuf(unsigned int direction, void *buf, size_t len, struct iov_iter *i);

#endif
