/*
 * ext2_disk: files on a real disk. tests/ext2_disk.sh makes a tree with
 * `ext2_disk --make-tree DIR`, puts it on ext2 images with `mke2fs -t ext2
 * -b 4096 -d DIR`, and runs this program twice:
 *
 *   on Pagoda   ext2_disk /dev/vda /dev/nvme0n1   (tools/pagoda-run --disk)
 *               each device is mounted (-t ext2) on /mntN and worked in;
 *   on the host ext2_disk COPY1 COPY2             (copies of the tree)
 *               each directory is worked in as it is.
 *
 * The output must be the same. Each volume: the files mke2fs made read
 * back (read, a private mapping, a symlink, getdents64), then files are
 * created, written (a 200 KiB file through indirect blocks, holes filled
 * by write), truncated down and up, renamed (over a file, RENAME_NOREPLACE,
 * a directory to another parent), linked, unlinked (also while open),
 * directories made and removed, symlinks fast and slow, a sparse file
 * written through a shared mapping and msync'd, fsync, sync, syncfs,
 * statfs, chmod/chown/utimensat of attrs.txt (read back after the remount
 * and by debugfs on the host). First of all, a copy of this program that the tree holds
 * (bin/prog) is exec'd from the volume: its maps show the file's device
 * and inode, it is ETXTBSY while it runs, and on a disk just mounted its
 * untouched pages are not read (a far page of it is not cached until its
 * first touch, a major fault; checked on Pagoda only: the host's copy is
 * in its cache). The last volume is unmounted and mounted again and what was
 * written is read back from the disk; the others stay mounted, so the
 * kernel's power-off unmounts them. The host then checks the images with
 * `e2fsck -fn` and compares the files left here with `debugfs -R cat`.
 */
#define _GNU_SOURCE
#include "utest.h"
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define PG		4096
#define BIG_SIZE	300000		/* the tree's big.bin: single indirect with 4 KiB blocks */
#define WRITTEN_SIZE	(200 * 1024 + 123)
#define SPARSE_END	(1024 * 1024 + 5)
#define TESTS_PER_DISK	16
#define PROG		"bin/prog"	/* a copy of this program in the tree */

static unsigned char big_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

static unsigned char written_byte(size_t i)
{
	return (unsigned char)(i * 13 + 5 + i / 1000);
}

/* The file at @path is @size bytes of @byte(i). */
static int file_matches(const char *path, size_t size, unsigned char (*byte)(size_t))
{
	static unsigned char buf[7777];
	int fd = open(path, O_RDONLY), ok = 1;
	size_t off = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || (size_t)st.st_size != size)
		ok = 0;
	while (ok) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0)
			ok = 0;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && ok; i++)
			ok = buf[i] == byte(off + (size_t)i);
		off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	return ok && off == size;
}

static int make_file(const char *path, size_t size, unsigned char (*byte)(size_t))
{
	static unsigned char buf[PG];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < size; off += PG) {
		size_t n = size - off < PG ? size - off : PG;

		for (size_t i = 0; i < n; i++)
			buf[i] = byte(off + i);
		if (ut_write_all(fd, buf, n)) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

/* ---- the tree mke2fs -d puts on the images ---- */

/* A copy of this program (its own executable, @self) at PROG in the tree, mode 0755. */
static int copy_program(const char *self)
{
	static unsigned char buf[PG];
	int in = open(self, O_RDONLY), out = -1, ok = 0;
	ssize_t n;

	if (in >= 0 && !mkdir("bin", 0755))
		out = open(PROG, O_WRONLY | O_CREAT | O_EXCL, 0755);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) >= 0) {
		if (n == 0) {
			ok = 1;
			break;
		}
		if (ut_write_all(out, buf, (size_t)n))
			break;
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		ok = 0;
	return ok ? 0 : -1;
}

static int make_tree(const char *dir, const char *self)
{
	char name[64];

	if (mkdir(dir, 0755) || chdir(dir) || copy_program(self))
		return 1;
	if (ut_write_file("hello.txt", "hello from mke2fs -d\n") ||
	    make_file("big.bin", BIG_SIZE, big_byte) || mkdir("sub", 0755) ||
	    ut_write_file("sub/nested.txt", "nested\n") || mkdir("sub/deeper", 0755) ||
	    ut_write_file("sub/deeper/deep.txt", "deep\n") || symlink("hello.txt", "link.txt") ||
	    mkdir("many", 0755))
		return 1;
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "many/file-with-a-longer-name-%02d", i);
		if (ut_write_file(name, name))
			return 1;
	}
	return 0;
}

/* ---- exec from the volume ---- */

#define EXEC_BAD_MAPS	1	/* the text is not a mapping of the program's file */
#define EXEC_NOT_BUSY	2	/* the running program opened for writing */
#define EXEC_NOT_DEMAND	4	/* a far page was cached before its first touch, or no major fault */

/*
 * 1 MiB of read-only data in the program file: its middle page is over
 * 512 KiB from the text and the data, beyond any readahead window (at
 * most 32 pages) the start-up's faults open, so it is read from the disk
 * only when touched.
 */
#define FAR_BYTES	(1 << 20)
static const unsigned char far_rodata[FAR_BYTES] = { [0 ... FAR_BYTES - 1] = 1 };

/*
 * Demand paging: the far page is not in memory after exec (mincore of
 * its mapping: no cached page), touching it is a major fault.
 */
static int far_page_read_on_demand(void)
{
	const volatile unsigned char *p = &far_rodata[FAR_BYTES / 2];
	void *page = (void *)((unsigned long)p & ~(PG - 1UL));
	struct rusage before, after;
	unsigned char vec = 1;

	return !mincore(page, PG, &vec) && !(vec & 1) && !getrusage(RUSAGE_SELF, &before) &&
	       *p == 1 && !getrusage(RUSAGE_SELF, &after) && after.ru_majflt > before.ru_majflt;
}

/*
 * The program exec'd from the volume (--exec-child COLD): its text is a
 * private r-xp mapping of its own file (device and inode as stat says),
 * the file cannot be opened for writing while it runs, and with COLD (a
 * volume just mounted: nothing of the file is cached) a page it has not
 * touched yet is not in memory and comes from the disk when touched (a
 * major fault). Exit status: the EXEC_* bits that failed.
 */
static int exec_child(const char *self, int cold)
{
	static char maps[64 * 1024];
	unsigned long text = (unsigned long)exec_child, start, end, ino;
	unsigned int maj, min;
	struct stat st;
	char perms[5];
	int bad = EXEC_BAD_MAPS;

	if (!stat(self, &st) && ut_read_file("/proc/self/maps", maps, sizeof(maps)) > 0)
		for (char *line = maps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			if (sscanf(line, "%lx-%lx %4s %*x %x:%x %lu", &start, &end, perms, &maj, &min,
				   &ino) == 6 && start <= text && text < end &&
			    !strcmp(perms, "r-xp") && ino == st.st_ino &&
			    maj == (unsigned int)major(st.st_dev) && min == (unsigned int)minor(st.st_dev))
				bad = 0;
	if (!ut_err_is(open(self, O_WRONLY), ETXTBSY))
		bad |= EXEC_NOT_BUSY;
	if (cold && !far_page_read_on_demand())
		bad |= EXEC_NOT_DEMAND;
	return bad;
}

/* Run PROG from the volume; @cold: it was just mounted (Pagoda), expect major faults. */
static void t_exec(int cold)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execl(PROG, PROG, "--exec-child", cold ? "1" : "0", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ut_diag("exec from the volume: status %#x", status);
	ut_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a program on the volume runs from it (its device and inode in maps, ETXTBSY; cold: a far page read on first touch, major)");
}

/* ---- checks ---- */

/* "name/type,..." of @path sorted, and the number of entries (small reads: several calls). */
static int listing(const char *path, char *out, size_t len)
{
	static char names[64][64];
	char buf[200], *sorted[64];
	int fd = open(path, O_RDONLY | O_DIRECTORY), n = 0;
	long got;

	out[0] = '\0';
	if (fd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got; off += ((struct linux_dirent64 *)(buf + off))->d_reclen) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);

			if (n < 64) {
				snprintf(names[n], sizeof(names[n]), "%s/%d", de->d_name, de->d_type);
				sorted[n] = names[n];
			}
			n++;
		}
	}
	close(fd);
	if (got < 0 || n > 64)
		return -1;
	qsort(sorted, (size_t)n, sizeof(sorted[0]), ut_cmp_str);
	for (int i = 0; i < n && n < 8; i++) {
		strncat(out, sorted[i], len - strlen(out) - 2);
		if (i + 1 < n)
			strncat(out, ",", len - strlen(out) - 1);
	}
	return n;
}

static void t_read_tree(void)
{
	char target[64];
	ssize_t n = readlink("link.txt", target, sizeof(target));

	ut_ok(ut_file_is("hello.txt", "hello from mke2fs -d\n") && ut_file_is("sub/nested.txt", "nested\n") &&
	      ut_file_is("sub/deeper/deep.txt", "deep\n") && file_matches("big.bin", BIG_SIZE, big_byte) &&
	      n == 9 && !memcmp(target, "hello.txt", 9) && ut_file_is("link.txt", "hello from mke2fs -d\n") &&
	      ut_file_is("many/file-with-a-longer-name-39", "many/file-with-a-longer-name-39"),
	      "the files mke2fs -d made read back: small, 300 KiB (indirect block), nested, through a symlink");
}

static void t_listing(void)
{
	char out[512];
	int n = listing("sub", out, sizeof(out)), m = listing("many", out + 256, 256);

	ut_ok(n == 4 && !strcmp(out, "../4,./4,deeper/4,nested.txt/8") && m == 42,
	      "getdents64 lists a directory with types, and one of 42 entries in small reads");
}

static void t_private_map(void)
{
	int fd = open("big.bin", O_RDONLY), ok = fd >= 0;
	unsigned char *p = ok ? mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
			      : MAP_FAILED;

	ok = p != MAP_FAILED;
	for (size_t i = 0; ok && i < BIG_SIZE; i++)
		ok = p[i] == big_byte(i);
	if (ok) {
		p[5] = 0;			/* a private copy: the file keeps its byte */
		ok = munmap(p, BIG_SIZE) == 0 && file_matches("big.bin", BIG_SIZE, big_byte);
	}
	if (fd >= 0)
		close(fd);
	ut_ok(ok, "a private mapping of the 300 KiB file reads it; a store there stays private");
}

static void t_write_read(void)
{
	int fd = open("new.txt", O_RDWR | O_CREAT | O_EXCL, 0644), ok = fd >= 0;
	char buf[64] = "";
	struct stat st;

	ok = ok && ut_write_all(fd, "first line\n", 11) == 0 && close(fd) == 0;
	fd = open("new.txt", O_WRONLY | O_APPEND);
	ok = ok && fd >= 0 && ut_write_all(fd, "second line\n", 12) == 0 && close(fd) == 0;
	fd = open("new.txt", O_RDONLY);
	ok = ok && fd >= 0 && pread(fd, buf, sizeof(buf), 6) == 17 && !memcmp(buf, "line\nsecond line\n", 17) &&
	     fstat(fd, &st) == 0 && st.st_size == 23 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	     close(fd) == 0;
	ok = ok && ut_err_is(open("new.txt", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	ut_ok(ok, "create, write, append, pread, fstat; O_EXCL on an existing name is EEXIST");
}

static void t_big_write(void)
{
	static unsigned char buf[WRITTEN_SIZE];
	int fd = open("written.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644), ok = fd >= 0;

	for (size_t i = 0; i < WRITTEN_SIZE; i++)
		buf[i] = written_byte(i);
	ok = ok && ut_write_all(fd, buf, 70001) == 0 && ut_write_all(fd, buf + 70001, 70001) == 0 &&
	     ut_write_all(fd, buf + 140002, WRITTEN_SIZE - 140002) == 0 && close(fd) == 0;
	ut_ok(ok && file_matches("written.bin", WRITTEN_SIZE, written_byte),
	      "a 200 KiB file written in pieces across pages reads back");
}

static int zeros(int fd, off_t off, size_t n)
{
	static char buf[8192];

	if (n > sizeof(buf) || pread(fd, buf, n, off) != (ssize_t)n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i])
			return 0;
	return 1;
}

static void t_holes(void)
{
	int fd = open("sparse.bin", O_RDWR | O_CREAT | O_TRUNC, 0644), ok = fd >= 0;
	char buf[8];
	struct stat st;

	ok = ok && pwrite(fd, "end", 3, SPARSE_END - 3) == 3 && fstat(fd, &st) == 0 &&
	     st.st_size == SPARSE_END && zeros(fd, 0, 8192) && zeros(fd, 512 * 1024, 4096);
	ok = ok && pwrite(fd, "mid", 3, 300001) == 3 && pread(fd, buf, 5, 300000) == 5 &&
	     !memcmp(buf, "\0mid\0", 5) && zeros(fd, 299000, 1000) && zeros(fd, 300004, 4000) &&
	     pread(fd, buf, 8, SPARSE_END - 3) == 3 && !memcmp(buf, "end", 3);
	if (fd >= 0)
		close(fd);
	ut_ok(ok, "a sparse file: holes read as zeros, a write into a hole fills it");
}

static void t_truncate(void)
{
	static char buf[10000];
	int fd = open("trunc.bin", O_RDWR | O_CREAT | O_TRUNC, 0644), ok = fd >= 0;
	struct stat st;

	memset(buf, 'a', sizeof(buf));
	ok = ok && ut_write_all(fd, buf, sizeof(buf)) == 0 && ftruncate(fd, 5000) == 0 &&
	     fstat(fd, &st) == 0 && st.st_size == 5000 && truncate("trunc.bin", 9000) == 0 &&
	     fstat(fd, &st) == 0 && st.st_size == 9000 && zeros(fd, 5000, 4000) &&
	     pread(fd, buf, 5000, 0) == 5000 && buf[0] == 'a' && buf[4999] == 'a' &&
	     pread(fd, buf, 10, 9000) == 0;
	ok = ok && ftruncate(fd, 0) == 0 && pwrite(fd, "x", 1, 4096) == 1 && fstat(fd, &st) == 0 &&
	     st.st_size == 4097 && zeros(fd, 0, 4096);
	if (fd >= 0)
		close(fd);
	ut_ok(ok, "truncate down zeroes the tail, up reads zeros, to 0 then write past a hole");
}

static void t_rename(void)
{
	int ok = ut_write_file("r1", "one") == 0 && ut_write_file("r3", "three") == 0 &&
		 rename("r1", "r2") == 0 && ut_err_is(access("r1", F_OK), ENOENT) && ut_file_is("r2", "one");

	ok = ok && rename("r2", "r3") == 0 && ut_file_is("r3", "one") && ut_write_file("r4", "four") == 0 &&
	     ut_err_is(syscall(SYS_renameat2, AT_FDCWD, "r4", AT_FDCWD, "r3", 1 /* NOREPLACE */), EEXIST) &&
	     ut_file_is("r3", "one") && ut_file_is("r4", "four");
	ok = ok && mkdir("d1", 0755) == 0 && rename("r3", "d1/moved.txt") == 0 && mkdir("d3", 0755) == 0 &&
	     rename("d1", "d3/d2") == 0 && ut_file_is("d3/d2/moved.txt", "one") &&
	     ut_file_is("d3/d2/../../r4", "four") && ut_err_is(rename("d3", "d3/d2/x"), EINVAL) &&
	     unlink("r4") == 0;
	ut_ok(ok, "rename: a new name, over a file, RENAME_NOREPLACE is EEXIST, a directory to another parent");
}

static void t_links(void)
{
	static char buf[8192];
	struct stat st;
	int fd, ok = link("hello.txt", "hard.txt") == 0 && stat("hello.txt", &st) == 0 && st.st_nlink == 2 &&
		     ut_file_is("hard.txt", "hello from mke2fs -d\n") && unlink("hard.txt") == 0 &&
		     stat("hello.txt", &st) == 0 && st.st_nlink == 1;

	memset(buf, 'g', sizeof(buf));
	fd = open("gone.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok = ok && fd >= 0 && unlink("gone.txt") == 0 && ut_write_all(fd, buf, sizeof(buf)) == 0 &&
	     ut_err_is(access("gone.txt", F_OK), ENOENT) && fstat(fd, &st) == 0 && st.st_nlink == 0 &&
	     pread(fd, buf, 10, 8000) == 10 && buf[9] == 'g';
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	ut_ok(ok, "a hard link counts; a file unlinked while open keeps its data until closed");
}

static void t_dirs(void)
{
	struct stat st;
	int ok = mkdir("e", 0755) == 0 && ut_write_file("e/f", "f") == 0 && ut_err_is(rmdir("e"), ENOTEMPTY) &&
		 ut_err_is(mkdir("e", 0755), EEXIST) && ut_err_is(unlink("e"), EISDIR) &&
		 ut_err_is(rmdir("e/f"), ENOTDIR) && unlink("e/f") == 0 && rmdir("e") == 0 &&
		 ut_err_is(rmdir("e"), ENOENT) && stat("sub", &st) == 0 && st.st_nlink == 3;

	ut_ok(ok, "mkdir, rmdir: ENOTEMPTY, EEXIST, EISDIR, ENOTDIR, ENOENT; a directory's link count");
}

static void t_symlinks(void)
{
	char target[200], got[200];
	ssize_t n;
	int ok;

	memset(target, 'x', 120);
	memcpy(target, "sub/../", 7);
	strcpy(target + 120, "/../hello.txt");
	ok = symlink("sub/nested.txt", "sl") == 0 && ut_file_is("sl", "nested\n") &&
	     symlink(target, "slow") == 0;
	n = readlink("slow", got, sizeof(got));
	ok = ok && n == (ssize_t)strlen(target) && !memcmp(got, target, (size_t)n) &&
	     ut_err_is(open("slow", O_RDONLY), ENOENT) && unlink("slow") == 0 && unlink("sl") == 0;
	ut_ok(ok, "symlinks: a fast one followed, a slow one (over 60 bytes) read back");
}

static void t_shared_map(void)
{
	int fd = open("mapped.bin", O_RDWR | O_CREAT | O_TRUNC, 0644), ok = fd >= 0;
	unsigned char *p = MAP_FAILED;

	ok = ok && ftruncate(fd, 3 * PG) == 0;
	if (ok)
		p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok = ok && p != MAP_FAILED;
	if (ok) {
		for (int i = 0; i < PG; i++) {
			p[i] = (unsigned char)(i * 3);
			p[2 * PG + i] = (unsigned char)(i * 5 + 1);
		}
		ok = msync(p, 3 * PG, MS_SYNC) == 0 && munmap(p, 3 * PG) == 0;
	}
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	fd = open("mapped.bin", O_RDONLY);
	if (fd >= 0) {
		static unsigned char buf[3 * PG];

		ok = ok && pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf);
		for (int i = 0; ok && i < PG; i++)
			ok = buf[i] == (unsigned char)(i * 3) && buf[PG + i] == 0 &&
			     buf[2 * PG + i] == (unsigned char)(i * 5 + 1);
		close(fd);
	} else {
		ok = 0;
	}
	ut_ok(ok, "stores through a shared mapping of a sparse file, msync, then read() sees them");
}

static void t_sync_statfs(int disk)
{
	struct statfs sf;
	int fd = open("synced.txt", O_RDWR | O_CREAT | O_TRUNC, 0644), ok = fd >= 0;

	ok = ok && ut_write_all(fd, "synced\n", 7) == 0 && fsync(fd) == 0 && fdatasync(fd) == 0 &&
	     syncfs(fd) == 0 && close(fd) == 0;
	sync();
	ok = ok && statfs(".", &sf) == 0 && sf.f_bsize > 0 && sf.f_namelen == 255 &&
	     (!disk || (sf.f_type == 0xEF53 && sf.f_bsize == 4096 && sf.f_bfree > 0 &&
			sf.f_bfree < sf.f_blocks && sf.f_files > 0));
	ut_ok(ok, "fsync, fdatasync, syncfs, sync; statfs");
}

/* attrs.txt: mode, owner and times set by chmod, chown and utimensat (whole seconds: ext2). */
#define ATTRS_MODE	0100640
#define ATTRS_UID	1234
#define ATTRS_GID	5678
#define ATTRS_ATIME	999999999
#define ATTRS_MTIME	1000000000

static int attrs_are_set(void)
{
	struct stat st;

	return stat("attrs.txt", &st) == 0 && st.st_mode == ATTRS_MODE && st.st_uid == ATTRS_UID &&
	       st.st_gid == ATTRS_GID && st.st_atim.tv_sec == ATTRS_ATIME &&
	       st.st_mtim.tv_sec == ATTRS_MTIME && st.st_mtim.tv_nsec == 0;
}

static void t_attrs(void)
{
	struct timespec t[2] = { { ATTRS_ATIME, 0 }, { ATTRS_MTIME, 0 } };
	int ok = ut_write_file("attrs.txt", "attrs") == 0 && chmod("attrs.txt", 04640) == 0 &&
		 chown("attrs.txt", ATTRS_UID, ATTRS_GID) == 0 &&
		 utimensat(AT_FDCWD, "attrs.txt", t, 0) == 0;

	ut_ok(ok && attrs_are_set(), "chmod, chown (S_ISUID dropped), utimensat on the volume");
}

/* What is left for the host to compare with debugfs, as read back now. */
static void t_persisted(const char *what)
{
	int fd = open("sparse.bin", O_RDONLY), ok = fd >= 0;
	char buf[4];

	ok = ok && pread(fd, buf, 3, 300001) == 3 && !memcmp(buf, "mid", 3) && zeros(fd, 0, 4096);
	if (fd >= 0)
		close(fd);
	ok = ok && file_matches("written.bin", WRITTEN_SIZE, written_byte) &&
	     ut_file_is("d3/d2/moved.txt", "one") && ut_file_is("new.txt", "first line\nsecond line\n") &&
	     ut_file_is("synced.txt", "synced\n") && file_matches("big.bin", BIG_SIZE, big_byte) &&
	     attrs_are_set();
	ut_ok(ok, what);
}

static int run_disk(const char *arg, int k, int last)
{
	int disk = !strncmp(arg, "/dev/", 5);
	char dir[4096];

	if (disk) {
		snprintf(dir, sizeof(dir), "/mnt%d", k);
		if ((mkdir(dir, 0755) && errno != EEXIST) || mount(arg, dir, "ext2", 0, NULL))
			return ut_bail("mount -t ext2");
	} else if (!realpath(arg, dir)) {	/* absolute: the checks end with chdir("/") */
		return ut_bail("the directory to work in");
	}
	if (chdir(dir))
		return ut_bail("chdir to the volume");
	ut_line("    # volume %d", k);
	t_exec(disk);			/* first: nothing of the program is cached yet */
	t_read_tree();
	t_listing();
	t_private_map();
	t_write_read();
	t_big_write();
	t_holes();
	t_truncate();
	t_rename();
	t_links();
	t_dirs();
	t_symlinks();
	t_shared_map();
	t_attrs();
	t_sync_statfs(disk);
	if (chdir("/"))
		return ut_bail("chdir /");
	if (last && disk) {
		/* cold: everything comes from the disk again */
		if (umount2(dir, 0) || mount(arg, dir, "ext2", 0, NULL))
			return ut_bail("umount2 and mount again");
	}
	if (chdir(dir))
		return ut_bail("chdir to the volume");
	t_persisted(last ? "after an unmount and a new mount the files read back from the disk"
			 : "the files read back");
	return chdir("/") ? ut_bail("chdir /") : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--make-tree"))
		return make_tree(argv[2], "/proc/self/exe");
	if (argc == 3 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv[0], !strcmp(argv[2], "1"));
	if (argc < 2) {
		fprintf(stderr, "usage: ext2_disk DEVICE-OR-DIR... | --make-tree DIR\n");
		return 2;
	}
	ut_plan("ext2_disk", (argc - 1) * TESTS_PER_DISK);
	for (int i = 1; i < argc; i++)
		if (run_disk(argv[i], i, i == argc - 1))
			return 1;
	return ut_done();
}
