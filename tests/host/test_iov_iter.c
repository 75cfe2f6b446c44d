/*
 * lib/iov_iter.c on the host: copies to and from one user buffer, user
 * iovecs and kernel vectors; a fault part way gives a short count at the
 * page where it happened; advance and revert; import_iovec's checks
 * (UIO_MAXIOV, negative lengths, addresses outside user space, the total
 * clamped to MAX_RW_COUNT). "User space" is a page-aligned host array here
 * whose pages can be made to fault.
 */
#include "ktap.h"
#include <pagoda/errno.h>
#include <pagoda/uio.h>
#include <pagoda/uaccess.h>
#include <mm/slab.h>
#include <stdlib.h>
#include <string.h>

#define UPAGES	8

static unsigned char user[UPAGES * PAGE_SIZE] __attribute__((aligned(4096)));
static bool bad_page[UPAGES];

void *kmalloc(size_t size, gfp_t gfp)
{
	return (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
}

void kfree(const void *p)
{
	free((void *)p);
}

/* Addresses in user[] are user space; so is anything below 2^47 (never touched). */
bool access_ok(uintptr_t addr, size_t len)
{
	uintptr_t lo = (uintptr_t)user, hi = lo + sizeof(user);

	if (addr + len < addr)
		return false;
	return (addr >= lo && addr + len <= hi) || addr + len <= (1ULL << 47);
}

/* -EFAULT if any byte lies outside user[] or on a bad page (nothing copied then). */
static int check_user(const void *u, size_t len)
{
	uintptr_t a = (uintptr_t)u, lo = (uintptr_t)user;

	if (!len)
		return 0;
	if (a < lo || a + len > lo + sizeof(user))
		return -EFAULT;
	for (size_t p = (a - lo) / PAGE_SIZE; p <= (a + len - 1 - lo) / PAGE_SIZE; p++)
		if (bad_page[p])
			return -EFAULT;
	return 0;
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	if (check_user(udst, len))
		return -EFAULT;
	memcpy(udst, src, len);
	return 0;
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	if (check_user(usrc, len))
		return -EFAULT;
	memcpy(dst, usrc, len);
	return 0;
}

int clear_user(void *udst, size_t len)
{
	if (check_user(udst, len))
		return -EFAULT;
	memset(udst, 0, len);
	return 0;
}

static void reset(void)
{
	memset(user, 0xee, sizeof(user));
	memset(bad_page, 0, sizeof(bad_page));
}

static unsigned char src[3 * PAGE_SIZE];

static void fill_src(void)
{
	for (size_t k = 0; k < sizeof(src); k++)
		src[k] = (unsigned char)(k * 7 + 1);
}

static void t_ubuf(void)
{
	struct iov_iter it;

	reset();
	fill_src();
	iov_iter_ubuf(&it, ITER_DEST, user + 100, 5000);
	KT_EXPECT_EQ(copy_to_iter(src, 3000, &it), 3000);
	KT_EXPECT_EQ(iov_iter_count(&it), 2000);
	KT_EXPECT_EQ(copy_to_iter(src + 3000, 4000, &it), 2000);	/* only what is left */
	KT_EXPECT_EQ(iov_iter_count(&it), 0);
	KT_EXPECT(!memcmp(user + 100, src, 5000));
	KT_EXPECT_EQ(user[99], 0xee);
	KT_EXPECT_EQ(user[5100], 0xee);
	/* the wrong direction moves nothing */
	iov_iter_ubuf(&it, ITER_SOURCE, user, 10);
	KT_EXPECT_EQ(copy_to_iter(src, 10, &it), 0);
}

static void t_fault_midway(void)
{
	unsigned char dst[3 * PAGE_SIZE];
	struct iov_iter it;

	reset();
	fill_src();
	bad_page[2] = true;
	/* from 100 bytes before the end of page 0: page 1 whole, then page 2 faults */
	iov_iter_ubuf(&it, ITER_DEST, user + PAGE_SIZE - 100, 2 * PAGE_SIZE);
	KT_EXPECT_EQ(copy_to_iter(src, 2 * PAGE_SIZE, &it), 100 + PAGE_SIZE);
	KT_EXPECT_EQ(iov_iter_count(&it), PAGE_SIZE - 100);
	KT_EXPECT(!memcmp(user + PAGE_SIZE - 100, src, 100 + PAGE_SIZE));
	/* the first byte faults: nothing */
	iov_iter_ubuf(&it, ITER_SOURCE, user + 2 * PAGE_SIZE + 5, 10);
	KT_EXPECT_EQ(copy_from_iter(dst, 10, &it), 0);
	KT_EXPECT_EQ(iov_iter_count(&it), 10);
	/* zeroing stops at the same place */
	iov_iter_ubuf(&it, ITER_DEST, user + PAGE_SIZE, 2 * PAGE_SIZE);
	KT_EXPECT_EQ(iov_iter_zero(2 * PAGE_SIZE, &it), PAGE_SIZE);
	KT_EXPECT_EQ(user[PAGE_SIZE], 0);
	KT_EXPECT_EQ(user[2 * PAGE_SIZE - 1], 0);
}

static void t_iovec(void)
{
	struct iovec iov[4] = {
		{ user + 10, 5 }, { user + 50, 0 }, { user + PAGE_SIZE, 3000 }, { user + 5 * PAGE_SIZE, 100 },
	};
	unsigned char back[3105];
	struct iov_iter it;

	reset();
	fill_src();
	iov_iter_init(&it, ITER_DEST, iov, 4, 3105);
	KT_EXPECT_EQ(copy_to_iter(src, 4, &it), 4);
	KT_EXPECT_EQ(copy_to_iter(src + 4, 3101, &it), 3101);
	KT_EXPECT(!memcmp(user + 10, src, 5));
	KT_EXPECT(!memcmp(user + PAGE_SIZE, src + 5, 3000));
	KT_EXPECT(!memcmp(user + 5 * PAGE_SIZE, src + 3005, 100));
	KT_EXPECT_EQ(user[50], 0xee);
	/* back out through the same segments */
	iov_iter_init(&it, ITER_SOURCE, iov, 4, 3105);
	KT_EXPECT_EQ(copy_from_iter(back, sizeof(back), &it), sizeof(back));
	KT_EXPECT(!memcmp(back, src, sizeof(back)));
	/* a fault in the last segment: the first two full */
	bad_page[5] = true;
	iov_iter_init(&it, ITER_SOURCE, iov, 4, 3105);
	KT_EXPECT_EQ(copy_from_iter(back, sizeof(back), &it), 3005);
}

static void t_advance_revert(void)
{
	struct kvec kv[3] = { { src, 10 }, { src + 100, 20 }, { src + 200, 30 } };
	unsigned char out[60];
	struct iov_iter it;

	fill_src();
	iov_iter_kvec(&it, ITER_SOURCE, kv, 3, 60);
	iov_iter_advance(&it, 15);
	KT_EXPECT_EQ(iov_iter_count(&it), 45);
	KT_EXPECT_EQ(copy_from_iter(out, 1, &it), 1);
	KT_EXPECT_EQ(out[0], src[105]);
	iov_iter_revert(&it, 16);
	KT_EXPECT_EQ(iov_iter_count(&it), 60);
	KT_EXPECT_EQ(copy_from_iter(out, 60, &it), 60);
	KT_EXPECT(!memcmp(out, src, 10) && !memcmp(out + 10, src + 100, 20) &&
		  !memcmp(out + 30, src + 200, 30));
	iov_iter_revert(&it, 35);
	KT_EXPECT_EQ(copy_from_iter(out, 5, &it), 5);
	KT_EXPECT(!memcmp(out, src + 115, 5));	/* 25 in: 10, then 15 of 20 */
	/* advancing past the end stops at the end */
	iov_iter_advance(&it, 1000);
	KT_EXPECT_EQ(iov_iter_count(&it), 0);
}

static void t_import_iovec(void)
{
	struct iovec fast[UIO_FASTIOV], *iov;
	struct iovec *uv = (struct iovec *)(void *)user;
	struct iov_iter it;

	reset();
	/* within the fast array */
	uv[0] = (struct iovec){ user + PAGE_SIZE, 100 };
	uv[1] = (struct iovec){ user + 2 * PAGE_SIZE, 200 };
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 2, UIO_FASTIOV, &iov, &it), 300);
	KT_EXPECT(iov == NULL);
	KT_EXPECT_EQ(iov_iter_count(&it), 300);
	/* too many */
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, UIO_MAXIOV + 1, UIO_FASTIOV, &iov, &it), -EINVAL);
	/* more than the fast array: allocated, freed by the caller */
	for (int k = 0; k < 20; k++)
		uv[k] = (struct iovec){ user + 3 * PAGE_SIZE, 10 };
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 20, UIO_FASTIOV, &iov, &it), 200);
	KT_EXPECT(iov != NULL && iov != fast);
	kfree(iov);
	/* a negative length */
	uv[1].iov_len = (size_t)-1;
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 20, UIO_FASTIOV, &iov, &it), -EINVAL);
	KT_EXPECT(iov == NULL);
	/* outside user space */
	uv[1] = (struct iovec){ (void *)(uintptr_t)-4096, 10 };
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 2, UIO_FASTIOV, &iov, &it), -EFAULT);
	/* the array itself unreadable */
	bad_page[0] = true;
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 2, UIO_FASTIOV, &iov, &it), -EFAULT);
	bad_page[0] = false;
	/* totals clamp to MAX_RW_COUNT: the segment that crosses it is cut, later ones empty */
	uv[0] = (struct iovec){ (void *)0x1000, MAX_RW_COUNT - 10 };
	uv[1] = (struct iovec){ (void *)0x1000, 0x7fff0000UL };
	uv[2] = (struct iovec){ (void *)0x1000, 5 };
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 3, UIO_FASTIOV, &iov, &it), MAX_RW_COUNT);
	KT_EXPECT_EQ(fast[1].iov_len, 10);
	KT_EXPECT_EQ(fast[2].iov_len, 0);
	/* zero segments: an empty iterator */
	iov = fast;
	KT_EXPECT_EQ(import_iovec(ITER_DEST, uv, 0, UIO_FASTIOV, &iov, &it), 0);
	KT_EXPECT_EQ(iov_iter_count(&it), 0);
	/* a plain buffer is clamped, not refused */
	KT_EXPECT_EQ(import_ubuf(ITER_DEST, user, 100, &it), 0);
	KT_EXPECT_EQ(import_ubuf(ITER_DEST, (void *)(uintptr_t)-10, 100, &it), -EFAULT);
}

static const struct kt_case cases[] = {
	KT_CASE(t_ubuf, "one user buffer: copies count down, a copy past the end is cut"),
	KT_CASE(t_fault_midway, "a fault part way: the bytes before the faulting page, 0 if the first"),
	KT_CASE(t_iovec, "user iovecs: empty segments skipped, a fault in a later segment"),
	KT_CASE(t_advance_revert, "kernel vectors: advance and revert across segments"),
	KT_CASE(t_import_iovec, "import_iovec: fast array, UIO_MAXIOV, negative, EFAULT, empty"),
};

int main(void)
{
	return kt_run_suite("iov_iter", cases, KT_N(cases));
}
