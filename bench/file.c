/* bench/file.c - see file.h. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define CHUNK		(1UL << 20)
#define WORDS		(CHUNK / 8)
#define WAIT_MS		30000

static uint64_t chunk[WORDS];

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait for @path to exist, mounting devtmpfs on /dev first if it does not. */
static int wait_for_node(const char *path, const char **failed)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 0;
	if (mkdir("/dev", 0755) != 0 && errno != EEXIST) {
		*failed = "mkdir /dev";
		return -1;
	}
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0) {
		*failed = "mount devtmpfs on /dev";
		return -1;
	}
	for (long waited = 0; stat(path, &st) != 0; waited += 10) {
		if (waited >= WAIT_MS) {
			*failed = "waiting 30 s for " BENCH_DISK_DEV;
			return -1;
		}
		sleep_ms(10);
	}
	return 0;
}

int bench_mount_disk(const char **failed)
{
	if (wait_for_node(BENCH_DISK_DEV, failed) != 0)
		return -1;
	if (mkdir(BENCH_MOUNT_DIR, 0755) != 0 && errno != EEXIST) {
		*failed = "mkdir " BENCH_MOUNT_DIR;
		return -1;
	}
	if (mount(BENCH_DISK_DEV, BENCH_MOUNT_DIR, "ext2", 0, NULL) != 0) {
		*failed = "mount -t ext2 " BENCH_DISK_DEV " " BENCH_MOUNT_DIR;
		return -1;
	}
	return 0;
}

/* Read exactly CHUNK bytes at @off into chunk[]; 0, or -1 (errno; EIO at EOF). */
static int read_chunk(int fd, uint64_t off)
{
	char *p = (char *)chunk;

	for (size_t done = 0; done < CHUNK;) {
		ssize_t n = pread(fd, p + done, CHUNK - done, (off_t)(off + done));

		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += n;
	}
	return 0;
}

long long bench_check_file(int fd, uint64_t first_word, const char **failed)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		*failed = "fstat";
		return -1;
	}
	if ((uint64_t)st.st_size != BENCH_FILE_BYTES) {
		*failed = "the file's size";
		errno = EINVAL;
		return -1;
	}
	for (uint64_t off = 0; off < BENCH_FILE_BYTES; off += CHUNK) {
		if (read_chunk(fd, off) != 0) {
			*failed = "read";
			return -1;
		}
		for (uint64_t w = 0; w < WORDS; w++) {
			uint64_t at = off + w * 8, want = bench_pattern(at);

			if (first_word && at % 4096 == 0)
				want ^= first_word;
			if (chunk[w] != want) {
				*failed = "the bytes read back";
				return (long long)at + 1;
			}
		}
	}
	return 0;
}

int bench_write_pattern(int fd)
{
	for (uint64_t off = 0; off < BENCH_FILE_BYTES; off += CHUNK) {
		const char *p = (const char *)chunk;

		for (uint64_t w = 0; w < WORDS; w++)
			chunk[w] = bench_pattern(off + w * 8);
		for (size_t done = 0; done < CHUNK;) {
			ssize_t n = pwrite(fd, p + done, CHUNK - done, (off_t)(off + done));

			if (n <= 0) {
				if (n == 0)
					errno = EIO;
				return -1;
			}
			done += n;
		}
	}
	return 0;
}
