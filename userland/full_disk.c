/*
 * full_disk: an ext2 volume that runs out of blocks (KTAP).
 *
 *   full_disk DIR DEVICE     (Pagoda, or the host with a loop device)
 *
 * Mounts the small ext2 volume DEVICE on DIR and fills it: write() returns
 * what fitted and then fails with ENOSPC, and the file keeps exactly the
 * bytes reported written; a store through a shared mapping into a hole of
 * a sparse file is SIGBUS (BUS_ADRERR at the address), because the block
 * cannot be allocated (ext2's page_mkwrite). Once the big file is gone, the same stores succeed and reach
 * the file. Unmounts at the end, so the host can run e2fsck -fn.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "utest.h"

#define CHUNK	(64 * 1024)
#define PAGE	4096

static char path_big[512], path_sparse[512];

static unsigned char big_byte(size_t off)
{
	return (unsigned char)(off * 7 + (off >> 12));
}

/* Fill the volume; returns the bytes write() reported, *err the errno that ended it. */
static size_t fill_volume(int *err, int *short_seen)
{
	static unsigned char buf[CHUNK];
	int fd = open(path_big, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	size_t total = 0;

	*err = 0;
	*short_seen = 0;
	if (fd < 0) {
		*err = errno;
		return 0;
	}
	for (;;) {
		for (size_t i = 0; i < CHUNK; i++)
			buf[i] = big_byte(total + i);
		ssize_t n = write(fd, buf, CHUNK);

		if (n < 0) {
			*err = errno;
			break;
		}
		if (n < CHUNK)
			*short_seen = 1;
		total += (size_t)n;
	}
	if (fsync(fd) && !*err)
		*err = errno;
	close(fd);
	return total;
}

/*
 * Take the last free blocks: a write that fails can leave blocks it
 * allocated free again (an indirect block, Linux's ext2_write_failed), so
 * small files of one block each are written until one cannot be.
 */
static void take_last_blocks(void)
{
	static char page[4096];
	char path[600];

	for (int i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), "%s.pad%d", path_big, i);
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		ssize_t n = fd >= 0 ? write(fd, page, sizeof(page)) : -1;

		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)sizeof(page))
			break;
	}
	sync();
}

static int file_holds(size_t size)
{
	static unsigned char buf[CHUNK];
	int fd = open(path_big, O_RDONLY);
	size_t off = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || (size_t)st.st_size != size)
		return 0;
	while (off < size) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != big_byte(off + (size_t)i)) {
				close(fd);
				return 0;
			}
		off += (size_t)n;
	}
	close(fd);
	return off == size;
}

static void store(void *p)
{
	*(volatile char *)p = 'x';
}

/* Map the sparse file shared and store into its first page; *sig as caught. */
static int store_into_hole(struct ut_sig *sig, char **addr)
{
	int fd = open(path_sparse, O_RDWR);

	if (fd < 0)
		return 0;
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	close(fd);
	if (p == MAP_FAILED)
		return 0;
	*addr = p + PAGE;
	ut_catch(store, p + PAGE, sig);
	int ok = msync(p, 4 * PAGE, MS_SYNC) == 0 || sig->signo;

	munmap(p, 4 * PAGE);
	return ok;
}

int main(int argc, char **argv)
{
	struct ut_sig sig;
	char *addr = NULL;
	int err, short_seen, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: full_disk DIR DEVICE\n");
		return 2;
	}
	ut_plan("full_disk", 6);
	if ((mkdir(argv[1], 0755) && errno != EEXIST) || mount(argv[2], argv[1], "ext2", 0, NULL))
		return ut_bail("mount -t ext2");
	snprintf(path_big, sizeof(path_big), "%s/big.bin", argv[1]);
	snprintf(path_sparse, sizeof(path_sparse), "%s/sparse.bin", argv[1]);
	fd = open(path_sparse, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 4 * PAGE) || close(fd))
		return ut_bail("a sparse file");

	size_t written = fill_volume(&err, &short_seen);

	if (err != ENOSPC)
		ut_diag("the fill ended with errno %d after %zu bytes", err, written);
	ut_ok(err == ENOSPC && written > 1024 * 1024,
	      "write() until the volume is full: the bytes that fit, then ENOSPC");
	ut_ok(file_holds(written), "the file holds exactly the bytes write() reported");
	take_last_blocks();

	if (store_into_hole(&sig, &addr))
		ut_expect_sig(&sig, SIGBUS, BUS_ADRERR, addr,
			      "a store into a hole through a shared mapping is SIGBUS, BUS_ADRERR, at the address");
	else
		ut_ok(0, "a store into a hole through a shared mapping is SIGBUS, BUS_ADRERR, at the address");

	ut_ok(unlink(path_big) == 0 && store_into_hole(&sig, &addr) && sig.signo == 0,
	      "with the big file gone the same store succeeds");
	char page[PAGE];

	fd = open(path_sparse, O_RDONLY);
	ut_ok(fd >= 0 && pread(fd, page, PAGE, PAGE) == PAGE && page[0] == 'x' && page[1] == 0,
	      "read() sees the stored byte, the rest of the page zeros");
	if (fd >= 0)
		close(fd);
	ut_ok(umount2(argv[1], 0) == 0, "the volume unmounts");
	return ut_done();
}
