/*
 * cow_read: a kernel write into copy-on-write memory (read() and readv()
 * from /proc/self/maps, which exists on Linux and Pagoda) breaks COW through
 * the user-access path: the reader gets the data, the other process keeps
 * its copy, nothing hangs. The buffer straddles a page boundary, so the copy
 * faults twice in the middle of one system call.
 */
#include "cow_common.h"
#include <sys/uio.h>

#define PAGES	2
#define OFF	(PG - 64)	/* the read starts 64 bytes before page 1 */
#define LEN	PG

static struct cow_sync *sync_page;
static unsigned char *buf, *ref;

/* One read() or readv() of /proc/self/maps into @iov; bytes or -1. */
static long read_maps(const struct iovec *iov, int iovcnt)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	long n;

	if (fd < 0)
		return -1;
	n = iovcnt == 1 ? read(fd, iov[0].iov_base, iov[0].iov_len) : readv(fd, iov, iovcnt);
	close(fd);
	return n;
}

/*
 * Read the maps into buf + OFF (one read(), or a readv() split at the page
 * boundary), then again into the reference buffer, with no mapping change in
 * between. The byte count if the two agree and the data crossed into page
 * 1, else -1.
 */
static long read_into_buf(int vectored)
{
	struct iovec two[2] = {
		{ buf + OFF, PG - OFF }, { buf + PG, LEN - (PG - OFF) },
	};
	struct iovec one = { buf + OFF, LEN }, r = { ref, LEN };
	long n = vectored ? read_maps(two, 2) : read_maps(&one, 1);
	long m = read_maps(&r, 1);

	return n > 64 && n == m && memcmp(buf + OFF, ref, (size_t)n) == 0 ? n : -1;
}

/* 1 if the read got @n bytes and buf outside them still holds the pattern of @seed. */
static int rest_intact(long n, int seed)
{
	if (n < 0)
		return 0;
	for (unsigned long i = 0; i < PAGES * PG; i++) {
		unsigned char want = cow_byte(seed, i / PG);

		if ((i < OFF || i >= OFF + (unsigned long)n) && buf[i] != want)
			return 0;
	}
	return 1;
}

/* ---- the child reads ---- */

static int child_reads(void *arg)
{
	long n = read_into_buf(arg != NULL);

	return (n < 0 ? COW_BIT(0) : 0) | (rest_intact(n, 100) ? 0 : COW_BIT(1));
}

static void child_read(int vectored)
{
	const char *how = vectored ? "readv()" : "read()";
	char what[160];
	int st;

	cow_fill(buf, PAGES, 100);
	st = cow_wait_child(cow_fork(child_reads, vectored ? buf : NULL));
	snprintf(what, sizeof(what),
		 "%s by the child into a COW buffer across two pages gets the data", how);
	cow_ok_child(st, 0, what);
	snprintf(what, sizeof(what),
		 "%s by the child leaves the rest of its COW pages as they were", how);
	cow_ok_child(st, 1, what);
	snprintf(what, sizeof(what),
		 "%s by the child into a COW buffer leaves the parent's copy unchanged", how);
	ut_ok(cow_holds(buf, PAGES, 100), what);
}

/* ---- the parent reads while the child holds the pages ---- */

static int child_holds(void *arg)
{
	(void)arg;
	if (cow_wait(sync_page, 0, 1))
		return COW_ALL_FAILED;
	return cow_holds(buf, PAGES, 101) ? 0 : COW_BIT(0);
}

static void parent_read(void)
{
	pid_t pid;
	int got, audit, st;

	cow_fill(buf, PAGES, 101);
	pid = cow_fork(child_holds, NULL);
	got = rest_intact(read_into_buf(0), 101);
	audit = cow_audit_clean();
	cow_post(sync_page, 0);
	st = cow_wait_child(pid);
	ut_ok(got, "read() by the parent into a COW buffer the child shares gets the data");
	cow_ok_child(st, 0,
		     "read() by the parent into a COW buffer leaves the child's copy unchanged");
	ut_ok(audit,
	      "the kernel's memory audit, where it has one, is clean after the parent's read");
}

/* ---- the child reads into a mapping of the zero page ---- */

static int child_reads_zero(void *arg)
{
	(void)arg;
	return rest_intact(read_into_buf(0), COW_ZEROS) ? 0 : COW_BIT(0);
}

static void zero_page_read(void)
{
	int zeros = cow_holds(buf, PAGES, COW_ZEROS), st;	/* maps the zero page */

	st = cow_wait_child(cow_fork(child_reads_zero, NULL));
	zeros &= cow_holds(buf, PAGES, COW_ZEROS);
	cow_ok_child(st, 0, "read() by the child into a zero-page mapping gets the data");
	ut_ok(zeros,
	      "read() by the child into a zero-page mapping leaves the parent reading zeros");
}

static void child_read_plain(void)
{
	child_read(0);
}

static void child_readv(void)
{
	child_read(1);
}

int main(void)
{
	static void (*const cases[])(void) = {
		child_read_plain, child_readv, parent_read, zero_page_read,
	};

	ut_plan("cow_read", 11);
	sync_page = cow_sync_map();
	ref = cow_map(LEN / PG);
	if (!sync_page || !ref)
		return ut_bail("mmap");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* buf is mapped once per case: the maps text differs only in its address */
		buf = cow_map(PAGES);
		if (!buf)
			return ut_bail("mmap");
		memset(sync_page, 0, sizeof(*sync_page));
		cases[i]();
		munmap(buf, PAGES * PG);
	}
	return ut_done();
}
