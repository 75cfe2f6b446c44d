/*
 * fsync_kill: what fsync promised survives a machine killed right after.
 *
 *   fsync_kill DIR DEVICE     (on Pagoda, run by tests/fsync_kill.sh)
 *
 * Mounts the ext2 volume DEVICE on DIR, writes DIR/synced/a.bin (3 MiB,
 * through write()) and DIR/synced/b.bin (1 MiB, through a shared mapping
 * and msync(MS_SYNC)), fsyncs both files and the directories, prints the
 * marker line "fsync_kill: synced", and then keeps the file system busy
 * forever without syncing: files created, written, grown, truncated,
 * renamed and removed in DIR/churn. The host kills QEMU when it sees the
 * marker; `e2fsck -fp` must then repair the image (or find it clean) and
 * both synced files must read back exactly (fsync_kill --verify).
 *
 *   fsync_kill --verify A_COPY B_COPY
 *
 * checks copies of the two files taken from the image; exit 0 when both
 * hold what was synced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define A_SIZE	(3u << 20)
#define B_SIZE	(1u << 20)

static unsigned char pattern(unsigned int file, size_t off)
{
	return (unsigned char)((off * 131 + file * 17 + (off >> 12)) ^ (off >> 20));
}

static void fill(unsigned char *buf, unsigned int file, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(file, i);
}

static int fail(const char *what)
{
	printf("fsync_kill: %s failed: %s\n", what, strerror(errno));
	fflush(stdout);
	return 1;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	int r = fd >= 0 && fsync(fd) == 0 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return r;
}

static int write_synced(const char *dir)
{
	char path[256];
	unsigned char *buf = malloc(A_SIZE);
	int fd;

	if (!buf)
		return fail("malloc");
	snprintf(path, sizeof(path), "%s/synced", dir);
	if (mkdir(path, 0755))
		return fail("mkdir synced");
	snprintf(path, sizeof(path), "%s/synced/a.bin", dir);
	fill(buf, 1, A_SIZE);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	for (size_t off = 0; fd >= 0 && off < A_SIZE; off += 65536)
		if (write(fd, buf + off, 65536) != 65536)
			return fail("write a.bin");
	if (fd < 0 || fsync(fd) || close(fd))
		return fail("fsync a.bin");

	snprintf(path, sizeof(path), "%s/synced/b.bin", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, B_SIZE))
		return fail("create b.bin");
	unsigned char *map = mmap(NULL, B_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		return fail("mmap b.bin");
	fill(map, 2, B_SIZE);
	if (msync(map, B_SIZE, MS_SYNC) || munmap(map, B_SIZE) || fsync(fd) || close(fd))
		return fail("msync b.bin");
	snprintf(path, sizeof(path), "%s/synced", dir);
	if (fsync_path(path) || fsync_path(dir))
		return fail("fsync of the directories");
	free(buf);
	return 0;
}

/* Never returns: unsynced metadata and data changes until the machine dies. */
static void churn(const char *dir)
{
	static unsigned char buf[65536];
	char path[256], other[256];

	snprintf(path, sizeof(path), "%s/churn", dir);
	mkdir(path, 0755);
	fill(buf, 3, sizeof(buf));
	for (unsigned int round = 0;; round++) {
		snprintf(path, sizeof(path), "%s/churn/f%u", dir, round % 64);
		snprintf(other, sizeof(other), "%s/churn/g%u", dir, round % 61);
		int fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);

		if (fd >= 0) {
			for (unsigned int i = 0; i < 1 + round % 8; i++)
				if (write(fd, buf, sizeof(buf)) < 0)
					break;
			if (round % 5 == 0)
				ftruncate(fd, (off_t)(round % 7) * 10000);
			close(fd);
		}
		if (round % 3 == 0)
			rename(path, other);
		if (round % 11 == 0)
			unlink(other);
	}
}

static int verify(const char *path, unsigned int file, size_t size)
{
	unsigned char *want = malloc(size), *got = malloc(size + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n = 0, r;

	if (!want || !got || fd < 0) {
		fprintf(stderr, "fsync_kill: cannot read %s\n", path);
		return 1;
	}
	while ((r = read(fd, got + n, size + 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	fill(want, file, size);
	if ((size_t)n != size || memcmp(want, got, size)) {
		fprintf(stderr, "fsync_kill: %s: %zd bytes, %s\n", path, n,
			(size_t)n == size ? "contents differ" : "wrong size");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--verify"))
		return verify(argv[2], 1, A_SIZE) | verify(argv[3], 2, B_SIZE);
	if (argc != 3) {
		fprintf(stderr, "usage: fsync_kill DIR DEVICE | --verify A_COPY B_COPY\n");
		return 2;
	}
	if ((mkdir(argv[1], 0755) && errno != EEXIST) || mount(argv[2], argv[1], "ext2", 0, NULL))
		return fail("mount -t ext2");
	if (write_synced(argv[1]))
		return 1;
	printf("fsync_kill: synced\n");
	fflush(stdout);
	churn(argv[1]);
}
