/*
 * iov_iter: moving bytes between kernel memory and a user buffer, an
 * array of user iovecs or an array of kernel buffers (include/pagoda/uio.h).
 * Host-testable: tests/host/test_iov_iter.c supplies copy_to_user,
 * copy_from_user, clear_user and access_ok over a fake user space.
 *
 * User copies go one user page at a time: copy_to_user() is all or nothing,
 * and faults happen per page, so stopping at the first page that faults
 * gives exactly the bytes Linux's copy would have moved.
 */
#include <pagoda/uio.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <pagoda/uaccess.h>
#include <mm/arch.h>
#include <mm/pmm.h>
#include <mm/slab.h>

void iov_iter_ubuf(struct iov_iter *i, unsigned int direction, void *buf, size_t count)
{
	*i = (struct iov_iter){ .iter_type = ITER_UBUF, .data_source = (u8)direction,
				.ubuf = buf, .count = count, .nr_segs = 1 };
}

void iov_iter_init(struct iov_iter *i, unsigned int direction, const struct iovec *iov,
		   unsigned long nr_segs, size_t count)
{
	*i = (struct iov_iter){ .iter_type = ITER_IOVEC, .data_source = (u8)direction,
				.iov = iov, .count = count, .nr_segs = nr_segs };
}

void iov_iter_kvec(struct iov_iter *i, unsigned int direction, const struct kvec *kvec,
		   unsigned long nr_segs, size_t count)
{
	*i = (struct iov_iter){ .iter_type = ITER_KVEC, .data_source = (u8)direction,
				.kvec = kvec, .count = count, .nr_segs = nr_segs };
}

/* The current segment: its base and the bytes left in it (count-bounded). */
static void *seg_base(const struct iov_iter *i, size_t *left)
{
	size_t len;
	u8 *base;

	switch (i->iter_type) {
	case ITER_UBUF:
		*left = i->count;
		return (u8 *)i->ubuf + i->iov_offset;
	case ITER_IOVEC:
		base = i->iov->iov_base;
		len = i->iov->iov_len;
		break;
	default:
		base = i->kvec->iov_base;
		len = i->kvec->iov_len;
		break;
	}
	*left = MIN(len - i->iov_offset, i->count);
	return base + i->iov_offset;
}

/* Move past the current segment once it is used up (skipping empty ones). */
static void seg_next(struct iov_iter *i)
{
	if (i->iter_type == ITER_UBUF)
		return;
	for (;;) {
		size_t len = i->iter_type == ITER_IOVEC ? i->iov->iov_len : i->kvec->iov_len;

		if (i->iov_offset < len || i->nr_segs <= 1 || !i->count)
			return;
		i->iov_offset = 0;
		i->nr_segs--;
		if (i->iter_type == ITER_IOVEC)
			i->iov++;
		else
			i->kvec++;
	}
}

void iov_iter_advance(struct iov_iter *i, size_t bytes)
{
	bytes = MIN(bytes, i->count);
	if (i->iter_type == ITER_UBUF) {
		i->iov_offset += bytes;
		i->count -= bytes;
		return;
	}
	seg_next(i);
	while (bytes) {
		size_t left, n;

		seg_base(i, &left);
		n = MIN(left, bytes);
		i->iov_offset += n;
		i->count -= n;
		bytes -= n;
		seg_next(i);
	}
}

void iov_iter_revert(struct iov_iter *i, size_t bytes)
{
	i->count += bytes;
	if (i->iter_type == ITER_UBUF) {
		i->iov_offset -= bytes;
		return;
	}
	while (bytes) {
		size_t n = MIN(bytes, i->iov_offset);

		i->iov_offset -= n;
		bytes -= n;
		if (!bytes)
			break;
		/* back into the previous segment, from its end */
		i->nr_segs++;
		if (i->iter_type == ITER_IOVEC) {
			i->iov--;
			i->iov_offset = i->iov->iov_len;
		} else {
			i->kvec--;
			i->iov_offset = i->kvec->iov_len;
		}
	}
}

enum copy_op { TO_ITER, FROM_ITER, ZERO_ITER };

/* Bytes from @uaddr to the end of its user page, at most @n. */
static size_t user_chunk(const void *uaddr, size_t n)
{
	size_t to_end = PAGE_SIZE - ((uintptr_t)uaddr & (PAGE_SIZE - 1));

	return MIN(n, to_end);
}

/* One user piece: 0 if it copied, else it faulted. */
static int user_piece(enum copy_op op, void *uaddr, u8 *kaddr, size_t n)
{
	switch (op) {
	case TO_ITER:
		return copy_to_user(uaddr, kaddr, n);
	case FROM_ITER:
		return copy_from_user(kaddr, uaddr, n);
	default:
		return clear_user(uaddr, n);
	}
}

static void kernel_piece(enum copy_op op, void *seg, u8 *kaddr, size_t n)
{
	switch (op) {
	case TO_ITER:
		memcpy(seg, kaddr, n);
		break;
	case FROM_ITER:
		memcpy(kaddr, seg, n);
		break;
	default:
		memset(seg, 0, n);
		break;
	}
}

/* The one copy loop: @bytes between @kaddr (NULL for zeroing) and the iterator. */
static size_t iter_copy(enum copy_op op, u8 *kaddr, size_t bytes, struct iov_iter *i)
{
	size_t done = 0;

	bytes = MIN(bytes, i->count);
	seg_next(i);
	while (done < bytes) {
		size_t left, n;
		u8 *seg = seg_base(i, &left);

		n = MIN(left, bytes - done);
		if (user_backed_iter(i)) {
			n = user_chunk(seg, n);
			if (user_piece(op, seg, kaddr ? kaddr + done : NULL, n))
				break;
		} else {
			kernel_piece(op, seg, kaddr ? kaddr + done : NULL, n);
		}
		done += n;
		i->iov_offset += n;
		i->count -= n;
		seg_next(i);
	}
	return done;
}

size_t copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i)
{
	if (i->data_source == ITER_SOURCE)
		return 0;
	return iter_copy(TO_ITER, (u8 *)addr, bytes, i);
}

size_t copy_from_iter(void *addr, size_t bytes, struct iov_iter *i)
{
	if (i->data_source != ITER_SOURCE)
		return 0;
	return iter_copy(FROM_ITER, addr, bytes, i);
}

size_t iov_iter_zero(size_t bytes, struct iov_iter *i)
{
	if (i->data_source == ITER_SOURCE)
		return 0;
	return iter_copy(ZERO_ITER, NULL, bytes, i);
}

size_t fault_in_iov_iter_readable(const struct iov_iter *i, size_t bytes)
{
	struct iov_iter it = *i;
	size_t done = 0;

	if (!user_backed_iter(i))
		return 0;
	bytes = MIN(bytes, it.count);
	seg_next(&it);
	while (done < bytes) {
		size_t left, n;
		u8 *seg = seg_base(&it, &left), one;

		n = user_chunk(seg, MIN(left, bytes - done));
		if (copy_from_user(&one, seg, 1))	/* one byte serves the page */
			break;
		done += n;
		it.iov_offset += n;
		it.count -= n;
		seg_next(&it);
	}
	return bytes - done;
}

static u8 *page_kaddr(struct pmm *pmm, struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(pmm, page)));
}

size_t copy_page_to_iter(struct pmm *pmm, struct page *page, size_t offset, size_t bytes,
			 struct iov_iter *i)
{
	if (offset + bytes > PAGE_SIZE)
		return 0;
	return copy_to_iter(page_kaddr(pmm, page) + offset, bytes, i);
}

size_t copy_page_from_iter(struct pmm *pmm, struct page *page, size_t offset, size_t bytes,
			   struct iov_iter *i)
{
	if (offset + bytes > PAGE_SIZE)
		return 0;
	return copy_from_iter(page_kaddr(pmm, page) + offset, bytes, i);
}

long import_iovec(unsigned int direction, const struct iovec *uvec, unsigned long nr_segs,
		  unsigned int fast_segs, struct iovec **iovp, struct iov_iter *i)
{
	struct iovec *iov = *iovp;
	size_t total = 0;
	long err;

	if (nr_segs > UIO_MAXIOV) {
		*iovp = NULL;
		return -EINVAL;
	}
	if (nr_segs > fast_segs) {
		iov = kmalloc(nr_segs * sizeof(*iov), GFP_KERNEL);
		if (!iov) {
			*iovp = NULL;
			return -ENOMEM;
		}
	}
	if (nr_segs && copy_from_user(iov, uvec, nr_segs * sizeof(*iov))) {
		err = -EFAULT;
		goto fail;
	}
	for (unsigned long k = 0; k < nr_segs; k++) {
		size_t len = iov[k].iov_len;

		if ((long)len < 0) {
			err = -EINVAL;
			goto fail;
		}
		if (!access_ok((uintptr_t)iov[k].iov_base, len)) {
			err = -EFAULT;
			goto fail;
		}
		if (len > MAX_RW_COUNT - total) {
			len = MAX_RW_COUNT - total;
			iov[k].iov_len = len;
		}
		total += len;
	}
	iov_iter_init(i, direction, iov, nr_segs, total);
	*iovp = iov == *iovp ? NULL : iov;
	return (long)total;
fail:
	if (iov != *iovp)
		kfree(iov);
	*iovp = NULL;
	return err;
}

int import_ubuf(unsigned int direction, void *buf, size_t len, struct iov_iter *i)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!access_ok((uintptr_t)buf, len))
		return -EFAULT;
	iov_iter_ubuf(i, direction, buf, len);
	return 0;
}
