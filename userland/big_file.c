/*
 * big_file: a file larger than RAM, written, read and mapped (KTAP).
 *
 *   big_file DIR MIB [DEVICE]
 *
 * With DEVICE (on Pagoda) the ext2 volume DEVICE is mounted (-t ext2) on
 * DIR first and unmounted at the end; without, DIR is a directory to work
 * in (the host). The program writes DIR/big.bin of MIB MiB with write(),
 * fsyncs it, reads it back with read(), reads it through a shared read-only
 * mapping, changes one word of every page through a shared writable mapping
 * and msync(MS_SYNC)s it, then reads it with read() again. Every 8-byte
 * word holds a value derived from its offset (big_word), so a page read
 * from the wrong block, a lost write or a stale page shows up as a word
 * that does not match. With MIB twice the guest's RAM every pass forces
 * reclaim: clean pages dropped, mapped pages unmapped through the reverse
 * map, dirty mapped pages written back before they can go.
 *
 *   big_file --verify FILE MIB
 *
 * checks a copy of the file taken from the image on the host (debugfs
 * dump) holds the final contents; exit 0 when it does.
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

#include "utest.h"

#define CHUNK		(1024 * 1024)
#define PAGE		4096UL
#define WORDS_PER_PAGE	(PAGE / sizeof(uint64_t))

/* The word at byte offset off as written by write(). */
static uint64_t big_word(uint64_t off)
{
	return (off * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a5a5a00000000ULL ^ off;
}

/* The final value: the first word of each page flipped through the mapping. */
static uint64_t final_word(uint64_t off)
{
	uint64_t w = big_word(off);

	return off % PAGE == 0 ? ~w : w;
}

static uint64_t bad_offset;

/* Check len bytes at buf, the file's bytes from offset off. */
static int chunk_ok(const uint64_t *buf, uint64_t off, size_t len, int final)
{
	for (size_t i = 0; i < len / 8; i++) {
		uint64_t o = off + i * 8;

		if (buf[i] != (final ? final_word(o) : big_word(o))) {
			bad_offset = o;
			return 0;
		}
	}
	return 1;
}

static int write_file(const char *path, uint64_t size, uint64_t *buf)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0)
		return 0;
	for (uint64_t off = 0; off < size; off += CHUNK) {
		for (size_t i = 0; i < CHUNK / 8; i++)
			buf[i] = big_word(off + i * 8);
		if (ut_write_all(fd, buf, CHUNK)) {
			close(fd);
			return 0;
		}
	}
	int ok = fsync(fd) == 0;

	return close(fd) == 0 && ok;
}

static int read_file(const char *path, uint64_t size, uint64_t *buf, int final)
{
	int fd = open(path, O_RDONLY);
	uint64_t off = 0;

	if (fd < 0)
		return 0;
	while (off < size) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n != CHUNK || !chunk_ok(buf, off, CHUNK, final))
			break;
		off += CHUNK;
	}
	char extra;
	int at_end = off == size && read(fd, &extra, 1) == 0;

	close(fd);
	return at_end;
}

static void *map_file(const char *path, uint64_t size, int prot, int *fdp)
{
	int fd = open(path, prot & PROT_WRITE ? O_RDWR : O_RDONLY);

	if (fd < 0)
		return MAP_FAILED;
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	*fdp = fd;
	return p;
}

static int read_mapped(const char *path, uint64_t size)
{
	int fd;
	const uint64_t *p = map_file(path, size, PROT_READ, &fd);

	if (p == MAP_FAILED)
		return 0;
	int ok = 1;

	for (uint64_t off = 0; ok && off < size; off += CHUNK)
		ok = chunk_ok(p + off / 8, off, CHUNK, 0);
	munmap((void *)p, size);
	close(fd);
	return ok;
}

static int flip_mapped(const char *path, uint64_t size)
{
	int fd;
	uint64_t *p = map_file(path, size, PROT_READ | PROT_WRITE, &fd);

	if (p == MAP_FAILED)
		return 0;
	int ok = 1;

	for (uint64_t off = 0; off < size; off += PAGE) {
		uint64_t *w = p + off / 8;

		if (*w != big_word(off)) {
			bad_offset = off;
			ok = 0;
			break;
		}
		*w = ~*w;
	}
	if (msync(p, size, MS_SYNC))
		ok = 0;
	munmap(p, size);
	close(fd);
	return ok;
}

static int verify_copy(const char *path, uint64_t size)
{
	uint64_t *buf = malloc(CHUNK);

	if (!buf)
		return 1;
	int ok = read_file(path, size, buf, 1);

	if (!ok)
		fprintf(stderr, "big_file: %s differs at offset %llu\n", path,
			(unsigned long long)bad_offset);
	free(buf);
	return !ok;
}

static void report(int ok, const char *behaviour)
{
	if (!ok)
		ut_diag("first bad word at offset %llu (errno %d)",
			(unsigned long long)bad_offset, errno);
	ut_ok(ok, behaviour);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--verify"))
		return verify_copy(argv[2], strtoull(argv[3], NULL, 0) * CHUNK);
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: big_file DIR MIB [DEVICE] | --verify FILE MIB\n");
		return 2;
	}
	const char *dir = argv[1];
	uint64_t size = strtoull(argv[2], NULL, 0) * CHUNK;
	const char *dev = argc == 4 ? argv[3] : NULL;
	char path[512];
	uint64_t *buf = malloc(CHUNK);

	ut_plan("big_file", 6);
	if (!buf || !size)
		return ut_bail("a buffer and a size");
	if ((mkdir(dir, 0755) && errno != EEXIST) || (dev && mount(dev, dir, "ext2", 0, NULL)))
		return ut_bail("mount -t ext2");
	snprintf(path, sizeof(path), "%s/big.bin", dir);

	report(write_file(path, size, buf), "write() and fsync() a file larger than RAM");
	report(read_file(path, size, buf, 0), "read() gives back every word, then end of file");
	report(read_mapped(path, size), "a shared read-only mapping of all of it reads every word");
	report(flip_mapped(path, size),
	       "a store to every page of a shared writable mapping, then msync(MS_SYNC)");
	report(read_file(path, size, buf, 1), "read() sees every store made through the mapping");
	ut_ok(!dev || umount2(dir, 0) == 0, "the volume unmounts");
	free(buf);
	return ut_done();
}
