/*
 * vfs_files: real files. In a fresh directory (under $TMPDIR or /tmp on
 * the host, under the working directory where there is no /tmp, as on
 * Pagoda's root ramfs): create, read, write, append, holes, truncate,
 * unlink of an open file, rename (replacing, RENAME_NOREPLACE, the
 * directory rules), hard links, symlinks and readlink, ELOOP on a loop
 * and after 40 links, mkdir/rmdir, a getdents64 listing (sorted here),
 * ENAMETOOLONG, chdir/fchdir/getcwd, *at calls with a directory fd,
 * umask, statx, fsync; a file written then mapped MAP_SHARED, and a file
 * extended by write() read through a mapping made before; a tmpfs mounted
 * on a new directory (EXDEV across it, EBUSY while used, umount2) when
 * run as root. Everything is removed at the end.
 */
#include "utest.h"
#include <dirent.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define PG	4096

/* "name/type,name/type,..." of directory @path, sorted by name. */
static void listing(const char *path, char *out, size_t len)
{
	char buf[4096], names[32][64], *sorted[32];
	int fd = open(path, O_RDONLY | O_DIRECTORY), n = 0;
	long got;

	out[0] = '\0';
	if (fd < 0)
		return;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got && n < 32;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);

			snprintf(names[n], sizeof(names[n]), "%s/%d", de->d_name, de->d_type);
			sorted[n] = names[n];
			n++;
			off += de->d_reclen;
		}
	}
	close(fd);
	qsort(sorted, (size_t)n, sizeof(sorted[0]), ut_cmp_str);
	for (int i = 0; i < n; i++) {
		strncat(out, sorted[i], len - strlen(out) - 2);
		if (i + 1 < n)
			strncat(out, ",", len - strlen(out) - 1);
	}
}

static void touch(void *addr)
{
	(void)*(volatile unsigned char *)addr;
}

struct statx_ts {
	long long tv_sec;
	unsigned int tv_nsec;
	int pad;
};

struct statx_buf {
	unsigned int stx_mask, stx_blksize;
	unsigned long long stx_attributes;
	unsigned int stx_nlink, stx_uid, stx_gid;
	unsigned short stx_mode, pad0;
	unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	unsigned int stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	unsigned long long spare[14];
};

static void t_create_rw(void)
{
	char buf[64];
	struct stat st;
	int fd;

	fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	ut_ok(fd >= 0 && write(fd, "hello", 5) == 5 && pread(fd, buf, 16, 0) == 5 &&
	      !memcmp(buf, "hello", 5) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	      st.st_size == 5 && st.st_nlink == 1 && ut_err_is(open("f", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST),
	      "O_CREAT|O_EXCL makes a file that reads back what was written; again is EEXIST");
	close(fd);
	fd = open("f", O_WRONLY | O_APPEND);
	ut_ok(fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, " world", 6) == 6 &&
	      lseek(fd, 0, SEEK_CUR) == 11 && ut_file_is("f", "hello world"),
	      "O_APPEND writes at the end wherever the offset was");
	close(fd);
	fd = open("f", O_RDWR);
	ut_ok(fd >= 0 && pwrite(fd, "!", 1, 3 * PG + 10) == 1 && fstat(fd, &st) == 0 &&
	      st.st_size == 3 * PG + 11 && pread(fd, buf, 8, PG) == 8 &&
	      !memcmp(buf, "\0\0\0\0\0\0\0\0", 8) && pread(fd, buf, 64, 3 * PG + 10) == 1 && buf[0] == '!',
	      "a write past the end leaves a hole that reads as zeros");
	ut_ok(ftruncate(fd, 4) == 0 && pread(fd, buf, 64, 0) == 4 && !memcmp(buf, "hell", 4) &&
	      ftruncate(fd, 2 * PG) == 0 && pread(fd, buf, 8, 4) == 8 &&
	      !memcmp(buf, "\0\0\0\0\0\0\0\0", 8) && truncate("f", 1) == 0 &&
	      fstat(fd, &st) == 0 && st.st_size == 1 && ut_err_is(truncate("f", -1), EINVAL) &&
	      ut_err_is(truncate(".", 0), EISDIR) && ut_err_is(ftruncate(fd, -1), EINVAL),
	      "truncate and ftruncate shrink (cut bytes are zeros when it grows again) and extend");
	close(fd);
	fd = open("f", O_RDONLY);
	ut_ok(ut_err_is(ftruncate(fd, 0), EINVAL) && ut_err_is(write(fd, "x", 1), EBADF),
	      "ftruncate or write of a read-only descriptor is refused");
	close(fd);
	fd = open("f", O_WRONLY | O_TRUNC);
	ut_ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0 && fsync(fd) == 0 &&
	      fdatasync(fd) == 0 && ut_err_is(fsync(99), EBADF),
	      "O_TRUNC empties the file; fsync and fdatasync succeed");
	close(fd);
	sync();
}

static void t_unlink_rename_link(void)
{
	struct stat st, st2;
	char buf[16];
	int fd;

	ut_write_file("g", "data");
	fd = open("g", O_RDONLY);
	ut_ok(unlink("g") == 0 && ut_err_is(open("g", O_RDONLY), ENOENT) && fd >= 0 &&
	      read(fd, buf, 16) == 4 && fstat(fd, &st) == 0 && st.st_nlink == 0 &&
	      ut_err_is(unlink("g"), ENOENT) && ut_err_is(unlink("."), EISDIR),
	      "an unlinked file is gone from its directory but still readable while open");
	close(fd);
	ut_write_file("a", "A");
	ut_write_file("b", "B");
	stat("a", &st);
	ut_ok(rename("a", "b") == 0 && ut_err_is(access("a", F_OK), ENOENT) && ut_file_is("b", "A") &&
	      stat("b", &st2) == 0 && st2.st_ino == st.st_ino && rename("b", "b") == 0,
	      "rename replaces the target with the same inode; a rename onto itself is a no-op");
	ut_write_file("c", "C");
	mkdir("d1", 0755);
	mkdir("d2", 0755);
	ut_write_file("d2/x", "x");
	ut_ok(ut_err_is(syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "c", 1), EEXIST) &&
	      ut_err_is(rename("d1", "d2"), ENOTEMPTY) && ut_err_is(rename("b", "d1"), EISDIR) &&
	      ut_err_is(rename("d1", "c"), ENOTDIR) && ut_err_is(rename("d2", "d2/sub"), EINVAL) &&
	      ut_err_is(rename("nope", "z"), ENOENT) && ut_err_is(rename("b/", "z"), ENOTDIR) &&
	      rename("d1", "d3") == 0 && rename("d2/x", "d3/x") == 0 && ut_file_is("d3/x", "x"),
	      "rename: RENAME_NOREPLACE, ENOTEMPTY, EISDIR, ENOTDIR, EINVAL into itself, across directories");
	ut_ok(link("b", "b2") == 0 && stat("b", &st) == 0 && stat("b2", &st2) == 0 &&
	      st.st_nlink == 2 && st.st_ino == st2.st_ino && ut_err_is(link("b", "c"), EEXIST) &&
	      ut_err_is(link("d3", "d4"), EPERM) && ut_err_is(link("nope", "z"), ENOENT) &&
	      unlink("b") == 0 && ut_file_is("b2", "A") && stat("b2", &st) == 0 && st.st_nlink == 1,
	      "link: one inode, two names, nlink counts them; EEXIST, EPERM for a directory");
	unlink("b2");
	unlink("c");
	unlink("d3/x");
	rmdir("d2");
	rmdir("d3");
}

static void t_symlinks(void)
{
	char buf[64], name[16], next[16];
	struct stat st, lst;
	int ok = 1;

	ut_write_file("t", "target");
	ut_ok(symlink("t", "l") == 0 && readlink("l", buf, sizeof(buf)) == 1 && buf[0] == 't' &&
	      ut_err_is(syscall(SYS_readlink, "l", buf, 0), EINVAL) && ut_err_is(readlink("t", buf, sizeof(buf)), EINVAL) &&
	      stat("l", &st) == 0 && lstat("l", &lst) == 0 && S_ISREG(st.st_mode) &&
	      S_ISLNK(lst.st_mode) && lst.st_size == 1 && ut_file_is("l", "target") &&
	      ut_err_is(symlink("t", "l"), EEXIST),
	      "symlink and readlink; stat follows, lstat does not");
	ut_ok(ut_err_is(open("l", O_RDONLY | O_NOFOLLOW), ELOOP) && symlink("missing", "dang") == 0 &&
	      ut_err_is(open("dang", O_RDONLY), ENOENT) && lstat("dang", &lst) == 0 &&
	      close(open("dang", O_WRONLY | O_CREAT, 0644)) == 0 && access("missing", F_OK) == 0,
	      "O_NOFOLLOW on a symlink is ELOOP; O_CREAT through a dangling symlink makes its target");
	ut_ok(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0 &&
	      ut_err_is(open("loop1", O_RDONLY), ELOOP) && ut_err_is(stat("loop1/x", &st), ELOOP),
	      "a symlink loop is ELOOP");
	/* l0 -> l1 -> ... -> l40 -> t: 41 links from l0, 40 from l1 */
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		snprintf(next, sizeof(next), i == 40 ? "t" : "l%d", i + 1);
		ok &= symlink(next, name) == 0;
	}
	ut_ok(ok && stat("l1", &st) == 0 && ut_err_is(stat("l0", &st), ELOOP),
	      "40 symlinks in one walk resolve; 41 are ELOOP");
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		unlink(name);
	}
	mkdir("sd", 0755);
	symlink("sd", "sdl");
	ut_ok(ut_write_file("sdl/in", "in") == 0 && ut_file_is("sd/in", "in") && lstat("sdl/", &st) == 0 &&
	      S_ISDIR(st.st_mode) && ut_err_is(open("t/", O_RDONLY), ENOTDIR) &&
	      ut_err_is(open("l/", O_RDONLY), ENOTDIR),
	      "a symlink to a directory in the middle of a path and with a trailing slash");
	unlink("sd/in");
	rmdir("sd");
	unlink("sdl");
	unlink("loop1");
	unlink("loop2");
	unlink("dang");
	unlink("missing");
	unlink("l");
	unlink("t");
}

static void t_dirs(void)
{
	char list[512], name[300], cwd[4096];
	struct stat st, st2;
	int dfd, fd;

	ut_ok(mkdir("dd", 0755) == 0 && ut_err_is(mkdir("dd", 0755), EEXIST) &&
	      ut_err_is(mkdir("no/dd", 0755), ENOENT) && ut_write_file("dd/f", "f") == 0 &&
	      ut_err_is(mkdir("dd/f/x", 0755), ENOTDIR) && ut_err_is(rmdir("dd"), ENOTEMPTY) &&
	      ut_err_is(rmdir("dd/f"), ENOTDIR) && ut_err_is(rmdir("dd/."), EINVAL) &&
	      ut_err_is(open("dd/f/", O_RDONLY), ENOTDIR) && ut_err_is(rmdir("nope"), ENOENT),
	      "mkdir and rmdir: EEXIST, ENOENT, ENOTDIR, ENOTEMPTY, EINVAL for \".\"");
	mkdir("dd/sub", 0755);
	symlink("f", "dd/ln");
	listing("dd", list, sizeof(list));
	ut_ok(!strcmp(list, "../4,./4,f/8,ln/10,sub/4") && stat("dd", &st) == 0 && st.st_nlink == 3,
	      "getdents64 lists \".\", \"..\" and each entry with its type; a directory's nlink counts subdirectories");
	memset(name, 'n', 256);
	name[256] = '\0';
	ut_ok(ut_err_is(open(name, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG) &&
	      (name[255] = '\0', ut_write_file(name, "") == 0) && unlink(name) == 0,
	      "a 256-byte name is ENAMETOOLONG, 255 bytes are fine");
	ut_ok(chdir("dd/sub") == 0 && getcwd(cwd, sizeof(cwd)) && strlen(cwd) > 7 &&
	      !strcmp(cwd + strlen(cwd) - 7, "/dd/sub") && ut_file_is("../f", "f") &&
	      chdir("..") == 0 && ut_file_is("f", "f") && chdir("..") == 0 &&
	      ut_err_is(chdir("dd/f"), ENOTDIR) && stat("/..", &st) == 0 && stat("/", &st2) == 0 &&
	      st.st_ino == st2.st_ino,
	      "chdir and getcwd; relative paths and \"..\" from the working directory; \"/..\" is \"/\"");
	dfd = open("dd", O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "f", O_RDONLY);
	ut_ok(dfd >= 0 && fd >= 0 && mkdirat(dfd, "m", 0700) == 0 &&
	      fstatat(dfd, "m", &st, 0) == 0 && S_ISDIR(st.st_mode) &&
	      ut_err_is(unlinkat(dfd, "m", 0), EISDIR) && ut_err_is(unlinkat(dfd, "m", 0x1), EINVAL) &&
	      unlinkat(dfd, "m", AT_REMOVEDIR) == 0 && ut_err_is(openat(fd, "x", O_RDONLY), ENOTDIR) &&
	      ut_err_is(openat(99, "x", O_RDONLY), EBADF) && fchdir(dfd) == 0 && ut_file_is("f", "f") &&
	      chdir("..") == 0,
	      "openat, mkdirat, fstatat and unlinkat relative to a directory descriptor; fchdir");
	close(fd);
	close(dfd);
	mode_t old = umask(077);
	ut_ok(ut_write_file("um", "") == 0 && stat("um", &st) == 0 && (st.st_mode & 0777) == 0600 &&
	      umask(old) == 077 && mkdir("umd", 0777) == 0 && stat("umd", &st) == 0 &&
	      (st.st_mode & 0777) == (0777 & ~old),
	      "umask applies to new files and directories");
	struct statx_buf sx;
	ut_ok(syscall(SYS_statx, AT_FDCWD, "um", 0, 0x7ff, &sx) == 0 && (sx.stx_mode & 0777) == 0600 &&
	      sx.stx_size == 0 && sx.stx_nlink == 1 && (sx.stx_mask & 0x7ff) == 0x7ff &&
	      ut_err_is(syscall(SYS_statx, AT_FDCWD, "um", 0, 0x80000000u, &sx), EINVAL) &&
	      ut_err_is(syscall(SYS_statx, AT_FDCWD, "none", 0, 0x7ff, &sx), ENOENT),
	      "statx gives the basic fields; a reserved mask bit is EINVAL");
	unlink("um");
	rmdir("umd");
	unlink("dd/ln");
	unlink("dd/f");
	rmdir("dd/sub");
	ut_ok(chdir("dd") == 0 && rmdir("../dd") == 0 && ut_err_is((long)(getcwd(cwd, sizeof(cwd)) ? 0 : -1), ENOENT) &&
	      chdir("..") == 0 && getcwd(cwd, sizeof(cwd)) == cwd,
	      "getcwd in a removed directory is ENOENT; \"..\" still leads out of it");
}

static void t_mmap(void)
{
	unsigned char page[PG], *m;
	struct ut_sig s;
	int fd, ok = 1;

	for (int i = 0; i < PG; i++)
		page[i] = (unsigned char)(i * 13 + 7);
	fd = open("mf", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok = fd >= 0 && write(fd, page, PG) == PG && write(fd, page, PG) == PG;
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ut_ok(ok && m != MAP_FAILED && !memcmp(m, page, PG) && !memcmp(m + PG, page, PG),
	      "a file written with write() then mapped MAP_SHARED shows the bytes");
	memcpy(m + 100, "shared", 6);
	ut_ok(pread(fd, page, 6, 100) == 6 && !memcmp(page, "shared", 6),
	      "a store through the shared mapping is seen by read()");
	munmap(m, 2 * PG);
	ftruncate(fd, 10);
	m = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	ut_catch(touch, m + PG, &s);
	ok = m != MAP_FAILED && s.signo == SIGBUS;
	lseek(fd, 0, SEEK_END);
	memset(page, 'z', PG);
	ok = ok && write(fd, page, PG) == PG;
	ut_catch(touch, m + PG, &s);
	ut_ok(ok && s.signo == 0 && m[PG + 9] == 'z' && m[PG + 10] == 0 && m[10] == 'z',
	      "a file extended by write() is read through a mapping made before (SIGBUS before)");
	munmap(m, 2 * PG);
	close(fd);
	unlink("mf");
}

static void t_mount(void)
{
	struct stat st, st2;
	int fd;

	if (geteuid() != 0) {
		ut_skip("a tmpfs mounted on a new directory: its own device, EXDEV across, mount and umount2 errors", "not root");
		ut_skip("umount2 is EBUSY while a file is open or a working directory is inside, then succeeds", "not root");
		return;
	}
	mkdir("mnt", 0755);
	ut_write_file("outside", "o");
	ut_ok(mount("none", "mnt", "tmpfs", 0, NULL) == 0 && ut_write_file("mnt/in", "in") == 0 &&
	      stat("mnt", &st) == 0 && stat(".", &st2) == 0 && st.st_dev != st2.st_dev &&
	      ut_err_is(rename("mnt/in", "in"), EXDEV) && ut_err_is(link("outside", "mnt/o"), EXDEV) &&
	      ut_err_is(mount("none", "outside", "tmpfs", 0, NULL), ENOTDIR) &&
	      ut_err_is(mount("none", "mnt", "no-such-fs", 0, NULL), ENODEV) &&
	      ut_err_is(umount2("mnt/in", 0), EINVAL) && ut_err_is(umount2("mnt", 0x100), EINVAL),
	      "a tmpfs mounted on a new directory: its own device, EXDEV across, mount and umount2 errors");
	fd = open("mnt/in", O_RDONLY);
	ut_ok(ut_err_is(umount2("mnt", 0), EBUSY) && close(fd) == 0 && chdir("mnt") == 0 &&
	      ut_err_is(umount2("../mnt", 0), EBUSY) && chdir("..") == 0 && umount2("mnt", 0) == 0 &&
	      ut_err_is(access("mnt/in", F_OK), ENOENT) && rmdir("mnt") == 0,
	      "umount2 is EBUSY while a file is open or a working directory is inside, then succeeds");
	unlink("outside");
}

int main(void)
{
	char dir[256];
	const char *base = getenv("TMPDIR");

	ut_plan("vfs_files", 29);
	if (!base || access(base, W_OK))
		base = access("/tmp", W_OK) ? "." : "/tmp";
	snprintf(dir, sizeof(dir), "%s/vfs_files.XXXXXX", base);
	if (!mkdtemp(dir) || chdir(dir))
		return ut_bail("a fresh directory to work in");
	t_create_rw();
	t_unlink_rename_link();
	t_symlinks();
	t_dirs();
	t_mmap();
	t_mount();
	unlink("f");
	chdir("..");
	ut_ok(rmdir(dir) == 0, "everything made is removed again");
	return ut_done();
}
