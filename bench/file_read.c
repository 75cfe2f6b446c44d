/*
 * bench/file_read.c - read faults on a file on ext2 on NVMe: a 64 MiB file
 * (/data on the benchmark disk, written on the host), one load per 4 KiB
 * page through a PROT_READ, MAP_SHARED mapping. Two rows, in one boot:
 *
 * - file_cold_read: the first thing after boot that touches /data's pages
 *   (the program only mounts, opens and fstats it before), so every page
 *   comes from the disk: a fault that misses starts read-around (a window
 *   centred on it) and waits for it, a fault on the window's marker starts
 *   reading the next window ahead. Includes the time the CPU sat idle
 *   waiting for the emulated disk, which under -icount follows the host's
 *   clock.
 * - file_warm_read: after read(2) of the whole file (outside the
 *   measurement; it checks every byte), a fresh mapping of the now cached
 *   file: the faults find the pages in the page cache and map them, with
 *   fault-around mapping neighbouring cached pages in the same fault (16
 *   pages on both kernels), so faults/op is about 1/16.
 *
 * One op = one page loaded (and its word checked against the pattern). mmap
 * and munmap are outside the measured loops.
 *
 * usage: file_read
 */
#include "bench.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

static const char *const rows[] = { "file_cold_read", "file_warm_read" };
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* Report the failure against row @from and every row after it; end the program. */
static void __attribute__((noreturn)) fail_rows(unsigned from, const char *call, int err)
{
	for (unsigned r = from; r < NROWS; r++)
		bench_say("BENCH-ERROR %s %s failed: %s%s", rows[r], call, strerror(err),
			  r > from ? " (in an earlier row)" : "");
	bench_finish(1);
}

/* Load the first word of every page; 0, or the first page whose word is wrong + 1. */
static unsigned long load_pages(const volatile uint64_t *p)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < BENCH_FILE_PAGES; i++)
		if (p[i * (PAGE_SIZE / 8)] != bench_pattern(i * PAGE_SIZE) && !bad)
			bad = i + 1;
	return bad;
}

/* Row @row: map @fd, load every page, unmap; prints the row's lines. */
static void measure_loads(unsigned row, int fd)
{
	struct bench_sample before, after;
	unsigned long bad;
	void *p = mmap(NULL, BENCH_FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		fail_rows(row, "mmap", errno);
	bench_say("BENCH-BEGIN %s", rows[row]);
	bench_sample(&before);
	bad = load_pages(p);
	bench_sample(&after);
	bench_say("BENCH-END %s", rows[row]);
	if (bad)
		fail_rows(row, "the check of the loaded words (page mismatched)", EINVAL);
	bench_result(rows[row], "page", BENCH_FILE_PAGES, p, &before, &after);
	if (munmap(p, BENCH_FILE_BYTES) != 0)
		fail_rows(row + 1 < NROWS ? row + 1 : row, "munmap", errno);
}

int main(void)
{
	const char *failed = "";
	long long bad;
	int fd;

	if (bench_mount_disk(&failed) != 0)
		fail_rows(0, failed, errno);
	fd = open(BENCH_DATA_FILE, O_RDONLY);
	if (fd < 0)
		fail_rows(0, "open " BENCH_DATA_FILE, errno);

	measure_loads(0, fd);		/* file_cold_read */

	bad = bench_check_file(fd, 0, &failed);
	if (bad != 0)
		fail_rows(1, failed, bad < 0 ? errno : EINVAL);
	measure_loads(1, fd);		/* file_warm_read */
	bench_finish(0);
}
