/*
 * bench/file_write.c - write faults and fsync on a file on ext2 on NVMe.
 * Four rows, in this order in one boot, on /data (64 MiB, written on the
 * host) and /new (created here); one op = one 4 KiB page unless said:
 *
 * - file_private_write (page_fault2-style): /data fully read with read(2)
 *   first (cached; every byte checked), then a writable MAP_PRIVATE mapping
 *   of it and one 8-byte store per page: a copy-on-write fault that copies
 *   the page-cache page into a private anonymous page. Checked: the
 *   mapping holds the stores, the file (read(2) afterwards) does not.
 * - file_shared_write (page_fault3-style): a writable MAP_SHARED mapping of
 *   the same cached, clean file, one store per page: a write fault that
 *   maps the page-cache page writable and dirties it (page_mkwrite). Then,
 *   outside the measurement, fsync(/data) (so its 64 MiB are not still
 *   dirty in the next rows) and a read(2) check that the file holds the
 *   stores.
 * - file_shared_write_dirty: /new written with write(2) (64 MiB of the
 *   pattern, outside the measurement: the pages are dirty in the cache, not
 *   yet written back), then a writable MAP_SHARED mapping and one store per
 *   page: the same fault on pages that are already dirty.
 * - file_fsync: fsync(/new) with those 64 MiB dirty; one op = the whole
 *   fsync (writeback of 16,384 pages, the inode and the disk's cache
 *   flush), including the time the CPU sat idle waiting for the emulated
 *   disk, which under -icount follows the host's clock. Checked: read(2)
 *   of /new afterwards returns the stores and the pattern.
 *
 * mmap and munmap are outside the measured loops.
 *
 * usage: file_write
 */
#include "bench.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define NEW_FILE	BENCH_MOUNT_DIR "/new"

enum { PRIVATE_WRITE, SHARED_WRITE, SHARED_WRITE_DIRTY, FSYNC, NROWS };
static const char *const rows[NROWS] = {
	"file_private_write", "file_shared_write", "file_shared_write_dirty", "file_fsync",
};

/* What each store row XORs into the first word of every page. */
static const uint64_t store_mark[NROWS] = {
	[PRIVATE_WRITE] = 0x1111000000000001ULL,
	[SHARED_WRITE] = 0x2222000000000002ULL,
	[SHARED_WRITE_DIRTY] = 0x3333000000000003ULL,
};

/* Report the failure against row @from and every row after it; end the program. */
static void __attribute__((noreturn)) fail_rows(unsigned from, const char *call, int err)
{
	for (unsigned r = from; r < NROWS; r++)
		bench_say("BENCH-ERROR %s %s failed: %s%s", rows[r], call, strerror(err),
			  r > from ? " (in an earlier row)" : "");
	bench_finish(1);
}

/* The same, for a bench_check_file() result @bad that is not 0. */
static void __attribute__((noreturn)) fail_check(unsigned from, long long bad, const char *failed)
{
	char what[160];

	if (bad < 0)
		fail_rows(from, failed, errno);
	snprintf(what, sizeof(what), "%s (the word at offset %lld)", failed, bad - 1);
	fail_rows(from, what, EINVAL);
}

/* Store mark ^ pattern into the first word of every page. */
static void store_pages(volatile uint64_t *p, uint64_t mark)
{
	for (unsigned long i = 0; i < BENCH_FILE_PAGES; i++)
		p[i * (PAGE_SIZE / 8)] = mark ^ bench_pattern(i * PAGE_SIZE);
}

/* 1 if every page's first word is mark ^ pattern, else 0. */
static int pages_hold(const volatile uint64_t *p, uint64_t mark)
{
	for (unsigned long i = 0; i < BENCH_FILE_PAGES; i++)
		if (p[i * (PAGE_SIZE / 8)] != (mark ^ bench_pattern(i * PAGE_SIZE)))
			return 0;
	return 1;
}

/*
 * Row @row: map @fd writable with @flags, one store per page, check the
 * mapping, unmap. Prints the row's lines.
 */
static void measure_stores(unsigned row, int fd, int flags)
{
	struct bench_sample before, after;
	void *p = mmap(NULL, BENCH_FILE_BYTES, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED)
		fail_rows(row, "mmap", errno);
	bench_say("BENCH-BEGIN %s", rows[row]);
	bench_sample(&before);
	store_pages(p, store_mark[row]);
	bench_sample(&after);
	bench_say("BENCH-END %s", rows[row]);
	if (!pages_hold(p, store_mark[row]))
		fail_rows(row, "the check that the mapping holds the stores", EINVAL);
	bench_result(rows[row], "page", BENCH_FILE_PAGES, p, &before, &after);
	if (munmap(p, BENCH_FILE_BYTES) != 0)
		fail_rows(row + 1, "munmap", errno);
}

/* Row FSYNC: time fsync(@fd) alone; its result is printed after the check. */
static void measure_fsync(int fd, struct bench_sample *before, struct bench_sample *after)
{
	int ret, err;

	bench_say("BENCH-BEGIN %s", rows[FSYNC]);
	bench_sample(before);
	ret = fsync(fd);
	err = errno;
	bench_sample(after);
	bench_say("BENCH-END %s", rows[FSYNC]);
	if (ret != 0)
		fail_rows(FSYNC, "fsync", err);
}

int main(void)
{
	struct bench_sample before, after;
	const char *failed = "";
	long long bad;
	int fd, fd2;

	if (bench_mount_disk(&failed) != 0)
		fail_rows(0, failed, errno);
	fd = open(BENCH_DATA_FILE, O_RDWR);
	if (fd < 0)
		fail_rows(0, "open " BENCH_DATA_FILE, errno);
	bad = bench_check_file(fd, 0, &failed);	/* caches it */
	if (bad != 0)
		fail_check(0, bad, failed);

	measure_stores(PRIVATE_WRITE, fd, MAP_PRIVATE);
	bad = bench_check_file(fd, 0, &failed);
	if (bad != 0)
		fail_check(SHARED_WRITE, bad, "private stores reached the file: read back");

	measure_stores(SHARED_WRITE, fd, MAP_SHARED);
	if (fsync(fd) != 0)
		fail_rows(SHARED_WRITE_DIRTY, "fsync " BENCH_DATA_FILE, errno);
	bad = bench_check_file(fd, store_mark[SHARED_WRITE], &failed);
	if (bad != 0)
		fail_check(SHARED_WRITE_DIRTY, bad, "shared stores: read back");

	fd2 = open(NEW_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd2 < 0)
		fail_rows(SHARED_WRITE_DIRTY, "open " NEW_FILE, errno);
	if (bench_write_pattern(fd2) != 0)
		fail_rows(SHARED_WRITE_DIRTY, "write " NEW_FILE, errno);
	measure_stores(SHARED_WRITE_DIRTY, fd2, MAP_SHARED);

	measure_fsync(fd2, &before, &after);
	bad = bench_check_file(fd2, store_mark[SHARED_WRITE_DIRTY], &failed);
	if (bad != 0)
		fail_check(FSYNC, bad, failed);
	bench_result(rows[FSYNC], "fsync_of_64_MiB", 1, NULL, &before, &after);
	bench_finish(0);
}
