/*
 * bench/file.h - what the file-backed benchmarks (file_read, file_write)
 * share: the data file's pattern, mounting the benchmark disk, and checking
 * a file's bytes with read(2).
 *
 * The disk is a raw ext2 image (4 KiB blocks) made on the host by
 * bench/bench.mk with mke2fs -d; QEMU attaches it to both kernels as an NVMe
 * namespace, /dev/nvme0n1. It holds /data, BENCH_FILE_BYTES of
 * bench_pattern(), and room for another file as large.
 *
 * bench_pattern() is also what the host tool bench/mkdata.c writes, so the
 * programs check the bytes the disk holds against the same definition.
 */
#ifndef BENCH_FILE_H
#define BENCH_FILE_H

#include <stdint.h>
#include <sys/types.h>

#define BENCH_FILE_BYTES	(64UL << 20)
#define BENCH_FILE_PAGES	(BENCH_FILE_BYTES / 4096UL)
#define BENCH_DISK_DEV		"/dev/nvme0n1"
#define BENCH_MOUNT_DIR		"/mnt"
#define BENCH_DATA_FILE		BENCH_MOUNT_DIR "/data"

/* The 8-byte word at file offset @off (a multiple of 8); never 0 at a page's start. */
static inline uint64_t bench_pattern(uint64_t off)
{
	return ((off >> 3) + 1) * 0x9E3779B97F4A7C15ULL ^ 0x5041474F44410000ULL;
}

/*
 * Mount the benchmark disk's ext2 volume on BENCH_MOUNT_DIR. Where
 * BENCH_DISK_DEV is missing (Linux's rdinit runs with the built-in
 * initramfs's /dev, no devtmpfs) mount devtmpfs on /dev, then wait up to
 * 30 s for the node (Linux probes NVMe asynchronously). 0, or -1 with errno
 * set and *@failed naming the call.
 */
int bench_mount_disk(const char **failed);

/*
 * Read all of @fd from offset 0 with read(2), 1 MiB at a time, and compare
 * every word with bench_pattern(), except the first word of each page when
 * @first_word is non-zero: that one must be @first_word ^ bench_pattern(off).
 * Also checks the size is BENCH_FILE_BYTES. 0 if every byte matched; -1 with
 * errno set on a failed call (*@failed names it); or the offset of the first
 * wrong word + 1 (with *@failed = "the bytes read back").
 */
long long bench_check_file(int fd, uint64_t first_word, const char **failed);

/*
 * Write BENCH_FILE_BYTES of bench_pattern() to @fd from offset 0 with
 * write(2), 1 MiB at a time. 0, or -1 with errno set.
 */
int bench_write_pattern(int fd);

#endif
