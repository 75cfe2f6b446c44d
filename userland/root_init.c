/*
 * root_init: the first process of a Pagoda booted with root= on an ext2
 * disk (tests/root_fs.sh puts it at /sbin/init of a mke2fs -d image and
 * boots with tools/pagoda-run --root, so the kernel finds it by Linux's
 * default search). Pagoda only: Linux would need its own kernel boot.
 *
 *   root_init            (root mounted rw) "/" is the ext2 volume, /dev
 *                        and /proc are mounted, the boot disk is busy
 *                        for O_EXCL, a file is written and fsync'd; a
 *                        second ext2 disk /dev/vda is opened for writing
 *                        through its node and mounted anyway (Linux's
 *                        default), a file written there, unmounted; an
 *                        O_EXCL holder makes its mount EBUSY
 *   root_init ro         (root mounted ro, the default) creating a file
 *                        in "/" is EROFS
 *
 * The host then checks both images with e2fsck -fn and reads the files
 * with debugfs.
 */
#define _GNU_SOURCE
#include "utest.h"
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define EXT2_SUPER_MAGIC	0xef53
#define PROC_SUPER_MAGIC	0x9fa0
#define ROOT_TEXT		"written by root_init on the ext2 root\n"
#define SECOND_TEXT		"written on /dev/vda while its node was open\n"

static int fs_type_is(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

static void test_layout(void)
{
	struct stat st;

	ut_ok(fs_type_is("/", EXT2_SUPER_MAGIC), "\"/\" is the ext2 volume");
	ut_ok(stat("/dev/nvme0n1", &st) == 0 && S_ISBLK(st.st_mode),
	      "devtmpfs is mounted on /dev: /dev/nvme0n1 is a block device");
	ut_ok(fs_type_is("/proc", PROC_SUPER_MAGIC) && stat("/proc/self/maps", &st) == 0,
	      "proc is mounted on /proc");
	ut_ok(access("/sbin/init", X_OK) == 0, "this program is /sbin/init of the volume");
}

static void test_root_device_busy(void)
{
	int fd = open("/dev/nvme0n1", O_RDONLY | O_EXCL);

	ut_ok(fd < 0 && errno == EBUSY, "O_EXCL open of the mounted root device is EBUSY");
	if (fd >= 0)
		close(fd);
	fd = open("/dev/nvme0n1", O_RDONLY);
	ut_ok(fd >= 0, "a plain open of it succeeds");
	if (fd >= 0)
		close(fd);
}

static void test_write_root(void)
{
	int fd = open("/hello.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ut_ok(fd >= 0 && ut_write_all(fd, ROOT_TEXT, strlen(ROOT_TEXT)) == 0 && fsync(fd) == 0 &&
	      close(fd) == 0 && ut_file_is("/hello.txt", ROOT_TEXT),
	      "a file written in \"/\" reads back after fsync");
	ut_ok(mkdir("/newdir", 0755) == 0, "mkdir in \"/\"");
}

/* Mounting a device whose node is open for writing: allowed, as on Linux by default. */
static void test_second_disk(void)
{
	int node = open("/dev/vda", O_RDWR), ex;
	char sb[1024];

	ut_ok(node >= 0 && pread(node, sb, sizeof(sb), 1024) == (ssize_t)sizeof(sb) &&
	      (unsigned char)sb[56] == 0x53 && (unsigned char)sb[57] == 0xef,
	      "/dev/vda opened read-write: its ext2 superblock magic reads through the node");
	ut_ok(mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0, "and it mounts while the node is open");
	ut_ok(ut_write_file("/mnt/second.txt", SECOND_TEXT) == 0 &&
	      ut_file_is("/mnt/second.txt", SECOND_TEXT), "a file written on it reads back");
	ut_ok(umount("/mnt") == 0, "it unmounts");
	if (node >= 0)
		close(node);
	ex = open("/dev/vda", O_RDONLY | O_EXCL);
	ut_ok(ex >= 0 && ut_err_is(mount("/dev/vda", "/mnt", "ext2", 0, NULL), EBUSY),
	      "held with O_EXCL, it does not mount: EBUSY");
	if (ex >= 0)
		close(ex);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ro")) {
		ut_plan("root_init_ro", 2);
		ut_ok(fs_type_is("/", EXT2_SUPER_MAGIC), "\"/\" is the ext2 volume");
		ut_ok(ut_err_is(open("/new.txt", O_WRONLY | O_CREAT, 0644), EROFS),
		      "mounted read-only (root= without rw): creating a file is EROFS");
		return ut_done();
	}
	ut_plan("root_init", 13);
	test_layout();
	test_root_device_busy();
	test_write_root();
	test_second_disk();
	return ut_done();
}
