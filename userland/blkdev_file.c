/*
 * blkdev_file: block devices as files. tests/blkdev_file.sh makes disk
 * images filled with a known pattern (`blkdev_file --make-image FILE SIZE
 * SEED`) and runs this program twice with the same arguments:
 *
 *   on Pagoda    blkdev_file SIZE SEED /dev/nvme0n1 /dev/vda /dev/vdb /dev/nvme1n1
 *                (tools/pagoda-run --disk: NVMe, virtio-blk, virtio-blk ro, NVMe)
 *   on the host  blkdev_file SIZE SEED /dev/loopA /dev/loopB /dev/loopC /dev/loopD
 *                (losetup; the last one losetup -r), as root
 *
 * The output must be the same. For each writable device: the ioctls
 * (BLKGETSIZE64 and BLKGETSIZE against SIZE, BLKSSZGET, BLKPBSZGET,
 * BLKROGET, an unknown one), lseek SEEK_END, fstat, the host's pattern
 * read back, reads and writes at and across the end (0, ENOSPC, short),
 * a write() (seen at once through another node of the same device
 * number, made with mknod in /tmp), a shared mapping written and msync'd, a private mapping
 * written (the device keeps its bytes), fsync, fdatasync, BLKFLSBUF then
 * the new bytes read back from the disk, BLKROSET making writes EPERM,
 * O_EXCL (a second exclusive open is EBUSY). The read-only device:
 * open for writing succeeds, BLKROGET says 1, write is EPERM, reads work,
 * a shared mapping that may write it is EINVAL, a private one works.
 * A fourth, sparse disk of 640 MiB (more than pagoda-run's 512 MiB of
 * RAM) is read whole: the cache's clean pages are reclaimed on the way.
 * The host then compares each image with `blkdev_file --expect-image`.
 */
#define _GNU_SOURCE
#include "utest.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define BLKROSET	0x125d
#define BLKROGET	0x125e
#define BLKGETSIZE	0x1260
#define BLKFLSBUF	0x1261
#define BLKSSZGET	0x1268
#define BLKGETSIZE64	0x80081272
#define BLKPBSZGET	0x127b

#define PG		4096
/* what the program writes, at fixed offsets */
#define W_OFF		(8192 + 100)	/* write(): unaligned, over three pages */
#define W_LEN		10000
#define M_OFF		65536		/* shared mapping of 32 pages */
#define M_LEN		131072
#define M_SKIP		50		/* bytes left alone at each end of it */
#define E_LEN		4096		/* pwrite at SIZE - 512: 512 bytes land */
#define TESTS_PER_DISK	26
#define TESTS_RO	7
#define BIG_SIZE	(640ULL << 20)	/* more than pagoda-run's 512 MiB of RAM */
#define TESTS_BIG	2

static unsigned long long disk_size;
static unsigned int seed;

/* The image the host makes: byte @off of pattern @s. */
static unsigned char pattern(unsigned long long off, unsigned int s)
{
	unsigned long long x = off * 2654435761ULL + s * 40503ULL;

	return (unsigned char)((x >> 13) ^ (off >> 9) ^ s);
}

/* What byte @off of a writable device holds after this program. */
static unsigned char expected(unsigned long long off)
{
	if (off >= W_OFF && off < W_OFF + W_LEN)
		return pattern(off, seed + 1);
	if (off >= M_OFF + M_SKIP && off < M_OFF + M_LEN - M_SKIP)
		return pattern(off, seed + 2);
	if (off >= disk_size - 512)
		return pattern(off, seed + 3);
	return pattern(off, seed);
}

/* Do the @len bytes at @off of @buf equal @gen's? */
static int same(const unsigned char *buf, unsigned long long off, size_t len,
		unsigned char (*gen)(unsigned long long))
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != gen(off + i))
			return 0;
	return 1;
}

static unsigned char base(unsigned long long off)
{
	return pattern(off, seed);
}

static unsigned char buf[M_LEN];

static void fill(unsigned long long off, size_t len, unsigned int s)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(off + i, s);
}

/* Does pread of @len bytes at @off give @gen's bytes? */
static int reads_as(int fd, unsigned long long off, size_t len,
		    unsigned char (*gen)(unsigned long long))
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len && same(buf, off, len, gen);
}

#define LOOP_MAJOR	7

static int driver_unknown_ioctl_errno(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && major(st.st_rdev) == LOOP_MAJOR ? EINVAL : ENOTTY;
}

static void test_ioctls(int fd)
{
	unsigned long long size64 = 0;
	unsigned long sectors = 0;
	int ssz = 0, ro = -1;
	unsigned int psz = 0;

	ut_ok(ioctl(fd, BLKGETSIZE64, &size64) == 0 && size64 == disk_size,
	      "BLKGETSIZE64 is the image's size in bytes");
	ut_ok(ioctl(fd, BLKGETSIZE, &sectors) == 0 && sectors == disk_size / 512,
	      "BLKGETSIZE is its size in 512-byte sectors");
	ut_ok(ioctl(fd, BLKSSZGET, &ssz) == 0 && ssz == 512, "BLKSSZGET: 512-byte logical blocks");
	ut_ok(ioctl(fd, BLKPBSZGET, &psz) == 0 && psz >= 512 && !(psz & (psz - 1)),
	      "BLKPBSZGET: a power of two, at least the logical block size");
	ut_ok(ioctl(fd, BLKROGET, &ro) == 0 && ro == 0, "BLKROGET: 0 on a writable disk");
	/* the driver answers what the block layer does not know: NVMe and virtio-blk ENOTTY, loop EINVAL */
	ut_ok(ut_err_is(ioctl(fd, 0x12ff, &ro), driver_unknown_ioctl_errno(fd)),
	      "an unknown ioctl is ENOTTY (loop on the host: EINVAL, its driver's answer)");
}

static void test_seek_stat(int fd)
{
	struct stat st;

	ut_ok(lseek(fd, 0, SEEK_END) == (off_t)disk_size, "lseek SEEK_END is the device size");
	ut_ok(fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && st.st_size == 0 && st.st_rdev != 0,
	      "fstat: a block device node, st_size 0, a device number");
}

static void test_ends(int fd)
{
	ut_ok(reads_as(fd, 0, 3 * PG + 7, base) && reads_as(fd, disk_size - 2 * PG, 2 * PG, base),
	      "the host's pattern reads back at the start and at the end");
	ut_ok(lseek(fd, 0, SEEK_END) == (off_t)disk_size && read(fd, buf, 100) == 0,
	      "read at the end returns 0");
	ut_ok(pread(fd, buf, PG, (off_t)disk_size - 100) == 100 && same(buf, disk_size - 100, 100, base),
	      "a read across the end is short");
	ut_ok(ut_err_is(pwrite(fd, buf, 10, (off_t)disk_size), ENOSPC) &&
	      ut_err_is(pwrite(fd, buf, 10, (off_t)disk_size + PG), ENOSPC),
	      "a write at or after the end is ENOSPC");
	fill(disk_size - 512, E_LEN, seed + 3);
	ut_ok(pwrite(fd, buf, E_LEN, (off_t)disk_size - 512) == 512,
	      "a write across the end is short: the bytes up to the end");
}

/*
 * Another node with the device's number, opened while the bytes just
 * written are still only in the cache: it reads them (one cache per device).
 */
static void test_alias_node(int fd)
{
	static const char alias[] = "/tmp/blkdev_file.alias";
	struct stat st;
	int afd = -1, ok;

	mkdir("/tmp", 01777);
	unlink(alias);
	ok = fstat(fd, &st) == 0 && mknod(alias, S_IFBLK | 0600, st.st_rdev) == 0 &&
	     (afd = open(alias, O_RDONLY)) >= 0 && reads_as(afd, W_OFF, W_LEN, expected);
	ut_ok(ok, "another node of the same device reads the unsynced write (one cache per device)");
	if (afd >= 0)
		close(afd);
	unlink(alias);
}

static void test_write_read(int fd)
{
	fill(W_OFF, W_LEN, seed + 1);
	ut_ok(lseek(fd, W_OFF, SEEK_SET) == W_OFF && write(fd, buf, W_LEN) == W_LEN,
	      "write() of 10000 bytes at an unaligned offset");
	ut_ok(reads_as(fd, W_OFF - 100, 100, base) && reads_as(fd, W_OFF, W_LEN, expected) &&
	      reads_as(fd, W_OFF + W_LEN, 300, base),
	      "read() sees the new bytes and the old ones around them");
	test_alias_node(fd);
}

static void test_mappings(int fd)
{
	unsigned char *m = mmap(NULL, M_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, M_OFF);
	unsigned char *p;
	int ok;

	if (!ut_ok(m != MAP_FAILED, "mmap MAP_SHARED of the device")) {
		ut_ok(0, "stores through it reach read() and survive msync");
		ut_ok(0, "a private mapping's stores stay private");
		return;
	}
	ok = same(m, M_OFF, M_LEN, base);
	for (size_t i = M_SKIP; i < M_LEN - M_SKIP; i++)
		m[i] = pattern(M_OFF + i, seed + 2);
	ok = ok && msync(m, M_LEN, MS_SYNC) == 0 && reads_as(fd, M_OFF, M_LEN, expected);
	ut_ok(ok && munmap(m, M_LEN) == 0, "stores through it reach read() and survive msync");

	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok = p != MAP_FAILED && same(p, 0, 2 * PG, base);
	if (ok) {
		memset(p + 10, 0xa5, 3 * PG / 2);
		ok = p[10] == 0xa5 && reads_as(fd, 0, 2 * PG, base) && munmap(p, 2 * PG) == 0;
	}
	ut_ok(ok, "a private mapping's stores stay private");
}

static void test_sync(int fd)
{
	ut_ok(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync and fdatasync succeed");
	ut_ok(ioctl(fd, BLKFLSBUF, 0) == 0 && reads_as(fd, W_OFF - PG, W_LEN + 2 * PG, expected) &&
	      reads_as(fd, M_OFF, M_LEN, expected) && reads_as(fd, disk_size - PG, PG, expected),
	      "after BLKFLSBUF the written bytes read back from the disk");
}

static void test_roset(int fd)
{
	int one = 1, zero = 0, ro = -1;

	ut_ok(ioctl(fd, BLKROSET, &one) == 0 && ioctl(fd, BLKROGET, &ro) == 0 && ro == 1 &&
	      ut_err_is(pwrite(fd, buf, 10, 0), EPERM),
	      "BLKROSET 1: BLKROGET says so and write is EPERM");
	ut_ok(ioctl(fd, BLKROSET, &zero) == 0 && ioctl(fd, BLKROGET, &ro) == 0 && ro == 0 &&
	      pread(fd, buf, 10, 0) == 10 && pwrite(fd, buf, 10, 0) == 10,
	      "BLKROSET 0: writable again");
}

static void test_excl(const char *dev)
{
	int a = open(dev, O_RDONLY | O_EXCL), b;

	b = open(dev, O_RDONLY | O_EXCL);
	ut_ok(a >= 0 && b < 0 && errno == EBUSY, "a second O_EXCL open is EBUSY");
	if (b >= 0)
		close(b);
	b = open(dev, O_RDONLY);
	ut_ok(b >= 0, "an open without O_EXCL is not refused");
	if (b >= 0)
		close(b);
	if (a >= 0)
		close(a);
}

static void test_disk(int n, const char *dev)
{
	int fd = open(dev, O_RDWR);

	ut_diag("disk %d: writable", n);
	if (!ut_ok(fd >= 0, "open O_RDWR")) {
		for (int i = 1; i < TESTS_PER_DISK; i++)
			ut_ok(0, "(not run: the device did not open)");
		return;
	}
	test_ioctls(fd);
	test_seek_stat(fd);
	test_ends(fd);
	test_write_read(fd);
	test_mappings(fd);
	test_sync(fd);
	test_roset(fd);
	close(fd);
	test_excl(dev);
}

/* A private mapping of a read-only disk works, and so does a shared one of an O_RDONLY open. */
static void ro_private_mapping(int fd, const char *dev)
{
	unsigned char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), *s;
	int ok = p != MAP_FAILED && same(p, 0, PG, base);
	int rfd = open(dev, O_RDONLY);

	if (p != MAP_FAILED) {
		p[0] ^= 0xff;
		munmap(p, PG);
	}
	s = rfd >= 0 ? mmap(NULL, PG, PROT_READ, MAP_SHARED, rfd, 0) : MAP_FAILED;
	ok = ok && s != MAP_FAILED && same(s, 0, PG, base);
	if (s != MAP_FAILED)
		munmap(s, PG);
	if (rfd >= 0)
		close(rfd);
	ut_ok(ok, "a private mapping, and a shared one of an O_RDONLY open, read the disk");
}

static void test_ro_disk(const char *dev)
{
	int fd = open(dev, O_RDWR), ro = -1;

	ut_diag("disk 3: read-only");
	ut_ok(fd >= 0, "open O_RDWR of a read-only disk succeeds (as Linux)");
	ut_ok(ioctl(fd, BLKROGET, &ro) == 0 && ro == 1, "BLKROGET: 1");
	ut_ok(ut_err_is(pwrite(fd, buf, 10, 0), EPERM), "write is EPERM");
	ut_ok(reads_as(fd, 0, 2 * PG, base) && reads_as(fd, disk_size - PG, PG, base),
	      "reads return the host's pattern");
	ut_ok(ut_err_is((long)mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0), EINVAL),
	      "a shared mapping that may write it (open O_RDWR) is EINVAL");
	ro_private_mapping(fd, dev);
	ut_ok(fsync(fd) == 0, "fsync of the clean cache succeeds");
	if (fd >= 0)
		close(fd);
}

/*
 * A sparse disk larger than the machine's memory read whole through its
 * node: the cache's clean pages must be reclaimed as the read goes on.
 */
static void test_big_disk(const char *dev)
{
	int fd = open(dev, O_RDONLY);
	unsigned long long size64 = 0, total = 0;
	int zeros = 1;
	ssize_t r;

	ut_diag("disk 4: larger than memory");
	ut_ok(fd >= 0 && ioctl(fd, BLKGETSIZE64, &size64) == 0 && size64 == BIG_SIZE,
	      "BLKGETSIZE64 of the 640 MiB disk");
	while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r && zeros; i++)
			zeros = buf[i] == 0;
		total += (unsigned long long)r;
	}
	ut_ok(total == BIG_SIZE && zeros, "read() of all of it returns its zeros (reclaim makes room)");
	if (fd >= 0)
		close(fd);
}

/* --make-image FILE SIZE SEED, --expect-image FILE SIZE SEED: the host's images. */
static int make_image(const char *file, int final)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return 1;
	for (unsigned long long off = 0; off < disk_size; off += sizeof(buf)) {
		size_t n = disk_size - off < sizeof(buf) ? disk_size - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = final ? expected(off + i) : pattern(off + i, seed);
		if (ut_write_all(fd, buf, n))
			return 1;
	}
	return close(fd) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && (!strcmp(argv[1], "--make-image") || !strcmp(argv[1], "--expect-image"))) {
		disk_size = strtoull(argv[3], NULL, 0);
		seed = (unsigned int)strtoul(argv[4], NULL, 0);
		return make_image(argv[2], !strcmp(argv[1], "--expect-image"));
	}
	if (argc != 7) {
		fprintf(stderr, "usage: blkdev_file SIZE SEED DISK1 DISK2 RO-DISK BIG-DISK\n"
				"       blkdev_file --make-image|--expect-image FILE SIZE SEED\n");
		return 2;
	}
	disk_size = strtoull(argv[1], NULL, 0);
	seed = (unsigned int)strtoul(argv[2], NULL, 0);
	ut_plan("blkdev_file", 2 * TESTS_PER_DISK + TESTS_RO + TESTS_BIG);
	test_disk(1, argv[3]);
	test_disk(2, argv[4]);
	test_ro_disk(argv[5]);
	test_big_disk(argv[6]);
	return ut_done();
}
