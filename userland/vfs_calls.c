/*
 * vfs_calls: the attribute, vectored-I/O and anonymous-file system calls.
 * In a fresh directory (as vfs_files: $TMPDIR, /tmp or "."): chmod,
 * fchmod, fchmodat, fchmodat2 (mode bits, ctime, symlinks, errors);
 * chown, fchown, lchown, fchownat (-1 keeps an id, set-id bits dropped
 * from non-directories, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, errors);
 * utimensat (times to the nanosecond, UTIME_NOW, UTIME_OMIT, NULL times,
 * AT_SYMLINK_NOFOLLOW, the futimens form, EINVAL for a bad tv_nsec after
 * the lookup's errors), utimes, futimesat, utime; preadv, pwritev,
 * preadv2, pwritev2 (offsets, the file position untouched or used at -1,
 * RWF_* flags, errors); fallocate (a tmpfs file, KEEP_SIZE, its errors in
 * Linux's order; ramfs has none when run as root); memfd_create (an
 * unlinked 0777 file, MFD_CLOEXEC, "/memfd:NAME (deleted)" in maps, read,
 * write, ftruncate, a MAP_SHARED mapping shared with a fork child, name
 * and flag errors); file seals (F_ADD_SEALS/F_GET_SEALS: SHRINK, GROW,
 * WRITE with its EBUSY and mmap/mprotect rules, FUTURE_WRITE, SEAL, EXEC
 * and MFD_NOEXEC_SEAL); and mremap of a shared file mapping (moved, grown
 * inside the file, grown past its end: SIGBUS, shrunk).
 * Everything is removed at the end.
 */
#define _GNU_SOURCE
#include "utest.h"
#include <limits.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define PG		4096
#define NR_fchmodat2	452
#define NR_memfd_create	319
#define NR_preadv2	327
#define NR_pwritev2	328
#define NR_utime	132
#define NR_futimesat	261
#define NR_fallocate	285
#define RWF_DSYNC_	0x2
#define MFD_CLOEXEC_	0x1U

static time_t start;		/* before the first call: every "now" is at least this */

static int mode_is(const char *path, unsigned int mode)
{
	struct stat st;

	return lstat(path, &st) == 0 && st.st_mode == mode;
}

static int owner_is(const char *path, int follow, unsigned int uid, unsigned int gid)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return 0;
	return st.st_uid == uid && st.st_gid == gid;
}

/* A timestamp taken now: not before the program started (coarse clocks: a second's slack). */
static int is_now(const struct timespec *ts)
{
	return ts->tv_sec >= start - 1 && ts->tv_sec <= time(NULL) + 1;
}

static int ts_is(const struct timespec *ts, long sec, long nsec)
{
	return ts->tv_sec == sec && ts->tv_nsec == nsec;
}

static int ctime_now(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && is_now(&st.st_ctim);
}

static void touch(void *addr)
{
	(void)*(volatile unsigned char *)addr;
}

/* ---- chmod ---- */

static void t_chmod(void)
{
	int fd, dfd;

	ut_write_file("f", "data");
	symlink("f", "ln");
	mkdir("d", 0755);
	ut_ok(chmod("f", 0170000 | 07640) == 0 && mode_is("f", 0107640) && ctime_now("f") &&
	      chmod("d", 0700) == 0 && mode_is("d", 040700),
	      "chmod sets the mode's 07777 bits only, keeps the type, sets ctime");
	fd = open("f", O_RDONLY);
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	ut_ok(fd >= 0 && fchmod(fd, 0600) == 0 && mode_is("f", 0100600) &&
	      syscall(SYS_fchmodat, dfd, "f", 0604) == 0 && mode_is("f", 0100604) &&
	      chmod("ln", 0640) == 0 && mode_is("f", 0100640) && mode_is("ln", 0120777),
	      "fchmod and fchmodat change the file; chmod of a symlink changes its target");
	ut_ok(syscall(NR_fchmodat2, dfd, "f", 0611, AT_SYMLINK_NOFOLLOW) == 0 && mode_is("f", 0100611) &&
	      ut_err_is(syscall(NR_fchmodat2, dfd, "ln", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP) &&
	      syscall(NR_fchmodat2, fd, "", 0644, AT_EMPTY_PATH) == 0 && mode_is("f", 0100644) &&
	      ut_err_is(syscall(NR_fchmodat2, dfd, "f", 0600, 0x8000), EINVAL),
	      "fchmodat2: AT_SYMLINK_NOFOLLOW (EOPNOTSUPP on a symlink), AT_EMPTY_PATH, EINVAL flags");
	ut_ok(ut_err_is(chmod("missing", 0600), ENOENT) && ut_err_is(chmod("f/x", 0600), ENOTDIR) &&
	      ut_err_is(chmod("", 0600), ENOENT) && ut_err_is(fchmod(999, 0600), EBADF) &&
	      ut_err_is(fchmod(-1, 0600), EBADF) &&
	      ut_err_is(syscall(SYS_fchmodat, 999, "f", 0600), EBADF) &&
	      ut_err_is(syscall(SYS_chmod, (char *)1, 0600), EFAULT),
	      "chmod errors: ENOENT, ENOTDIR, EBADF, EFAULT");
	close(fd);
	close(dfd);
}

/* ---- chown ---- */

static void t_chown(void)
{
	int fd = open("f", O_RDONLY);

	ut_ok(chown("f", 1234, 5678) == 0 && owner_is("f", 1, 1234, 5678) && ctime_now("f") &&
	      chown("f", -1, 42) == 0 && owner_is("f", 1, 1234, 42) &&
	      fchown(fd, 7, -1) == 0 && owner_is("f", 1, 7, 42) &&
	      chown("f", -1, -1) == 0 && owner_is("f", 1, 7, 42),
	      "chown and fchown set uid and gid; -1 keeps one; ctime is set");
	ut_ok(lchown("ln", 11, 12) == 0 && owner_is("ln", 0, 11, 12) && owner_is("f", 1, 7, 42) &&
	      fchownat(AT_FDCWD, "ln", 13, 14, 0) == 0 && owner_is("f", 1, 13, 14) &&
	      owner_is("ln", 0, 11, 12) &&
	      fchownat(AT_FDCWD, "ln", 15, 16, AT_SYMLINK_NOFOLLOW) == 0 && owner_is("ln", 0, 15, 16) &&
	      fchownat(fd, "", 0, 0, AT_EMPTY_PATH) == 0 && owner_is("f", 1, 0, 0),
	      "lchown and fchownat(AT_SYMLINK_NOFOLLOW) change the link, chown its target; AT_EMPTY_PATH");
	ut_ok(chmod("f", 06755) == 0 && chown("f", -1, -1) == 0 && mode_is("f", 0100755) &&
	      chmod("f", 02644) == 0 && chown("f", 0, 0) == 0 && mode_is("f", 0102644) &&
	      chmod("f", 04644) == 0 && fchown(fd, -1, 3) == 0 && mode_is("f", 0100644) &&
	      chmod("d", 06755) == 0 && chown("d", 1, 1) == 0 && mode_is("d", 046755),
	      "chown of a file drops S_ISUID, and S_ISGID with group-exec; a directory keeps both");
	ut_ok(ut_err_is(chown("missing", 0, 0), ENOENT) && ut_err_is(lchown("f/x", 0, 0), ENOTDIR) &&
	      ut_err_is(fchown(999, 0, 0), EBADF) &&
	      ut_err_is(fchownat(AT_FDCWD, "f", 0, 0, 0x8000), EINVAL) &&
	      ut_err_is(fchownat(AT_FDCWD, "", 0, 0, 0), ENOENT) &&
	      ut_err_is(fchownat(999, "", 0, 0, AT_EMPTY_PATH), EBADF),
	      "chown errors: ENOENT, ENOTDIR, EBADF, EINVAL flags, \"\" without AT_EMPTY_PATH");
	chown("d", 0, 0);
	chown("f", 0, 0);
	lchown("ln", 0, 0);
	close(fd);
}

/* ---- utimensat and its older relatives ---- */

static int times_are(const char *path, int follow, long as, long an, long ms, long mn)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return 0;
	return ts_is(&st.st_atim, as, an) && ts_is(&st.st_mtim, ms, mn);
}

static void t_utimes(void)
{
	struct timespec t[2] = { { 100, 500 }, { 200, 600 } };
	struct timeval tv[2] = { { 400, 7 }, { 500, 8 } };
	long ub[2] = { 600, 700 };
	struct stat st;
	int fd = open("f", O_RDWR);

	ut_ok(utimensat(AT_FDCWD, "f", t, 0) == 0 && times_are("f", 1, 100, 500, 200, 600) &&
	      ctime_now("f"),
	      "utimensat sets atime and mtime to the nanosecond, ctime to now");
	t[0].tv_nsec = UTIME_OMIT;
	t[1] = (struct timespec){ 300, 0 };
	ut_ok(utimensat(AT_FDCWD, "f", t, 0) == 0 && times_are("f", 1, 100, 500, 300, 0),
	      "UTIME_OMIT leaves atime");
	t[0] = (struct timespec){ 1, UTIME_NOW };
	t[1].tv_nsec = UTIME_OMIT;
	ut_ok(utimensat(AT_FDCWD, "f", t, 0) == 0 && stat("f", &st) == 0 && is_now(&st.st_atim) &&
	      ts_is(&st.st_mtim, 300, 0),
	      "UTIME_NOW sets atime to now, UTIME_OMIT leaves mtime");
	t[0] = (struct timespec){ 5, 0 };
	ut_ok(utimensat(AT_FDCWD, "f", (struct timespec[2]){ { 5, 0 }, { 6, 0 } }, 0) == 0 &&
	      utimensat(AT_FDCWD, "f", NULL, 0) == 0 && stat("f", &st) == 0 &&
	      is_now(&st.st_atim) && is_now(&st.st_mtim) &&
	      utimensat(AT_FDCWD, "f", (struct timespec[2]){ { 5, 0 }, { 6, 0 } }, 0) == 0 &&
	      utimensat(AT_FDCWD, "missing",
			(struct timespec[2]){ { 0, UTIME_OMIT }, { 0, UTIME_OMIT } }, 0) == 0 &&
	      times_are("f", 1, 5, 0, 6, 0),
	      "NULL times is now for both; both UTIME_OMIT succeeds before any lookup");
	ut_ok(utimensat(AT_FDCWD, "ln", (struct timespec[2]){ { 7, 1 }, { 8, 2 } },
			AT_SYMLINK_NOFOLLOW) == 0 &&
	      times_are("ln", 0, 7, 1, 8, 2) && times_are("f", 1, 5, 0, 6, 0) &&
	      utimensat(fd, NULL, (struct timespec[2]){ { 9, 3 }, { 10, 4 } }, 0) == 0 &&
	      times_are("f", 1, 9, 3, 10, 4) &&
	      utimensat(fd, "", (struct timespec[2]){ { 11, 0 }, { 12, 0 } }, AT_EMPTY_PATH) == 0 &&
	      times_are("f", 1, 11, 0, 12, 0),
	      "AT_SYMLINK_NOFOLLOW sets the link's times; the futimens form and AT_EMPTY_PATH the file's");
	ut_ok(ut_err_is(utimensat(AT_FDCWD, "f", (struct timespec[2]){ { 1, 1000000000 }, { 1, 0 } }, 0),
			EINVAL) &&
	      ut_err_is(utimensat(AT_FDCWD, "f", (struct timespec[2]){ { 1, 0 }, { 1, -1 } }, 0), EINVAL) &&
	      ut_err_is(utimensat(AT_FDCWD, "missing",
				  (struct timespec[2]){ { 1, -1 }, { 1, 0 } }, 0), ENOENT) &&
	      ut_err_is(utimensat(AT_FDCWD, "f", NULL, 0x8000), EINVAL) &&
	      ut_err_is(utimensat(fd, NULL, NULL, AT_SYMLINK_NOFOLLOW), EINVAL) &&
	      ut_err_is(utimensat(999, NULL, NULL, 0), EBADF) &&
	      ut_err_is(syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0), EFAULT) &&
	      ut_err_is(syscall(SYS_utimensat, AT_FDCWD, "f", (void *)1, 0), EFAULT) &&
	      times_are("f", 1, 11, 0, 12, 0),
	      "utimensat errors: EINVAL tv_nsec (after ENOENT), EINVAL flags, EBADF, EFAULT");
	ut_ok(syscall(SYS_utimes, "f", tv) == 0 && times_are("f", 1, 400, 7000, 500, 8000) &&
	      syscall(NR_futimesat, AT_FDCWD, "f", (struct timeval[2]){ { 1, 2 }, { 3, 4 } }) == 0 &&
	      times_are("f", 1, 1, 2000, 3, 4000) &&
	      syscall(NR_utime, "f", ub) == 0 && times_are("f", 1, 600, 0, 700, 0) &&
	      ut_err_is(syscall(SYS_utimes, "f", (struct timeval[2]){ { 1, 1000000 }, { 1, 0 } }),
			EINVAL) &&
	      ut_err_is(syscall(SYS_utimes, "f", (struct timeval[2]){ { 1, 0 }, { 1, -1 } }), EINVAL) &&
	      syscall(SYS_utimes, "f", NULL) == 0 && stat("f", &st) == 0 && is_now(&st.st_mtim),
	      "utimes, futimesat, utime: microseconds and seconds, EINVAL tv_usec, NULL is now");
	close(fd);
}

/* ---- preadv, pwritev and the *2 variants ---- */

static void t_preadv(void)
{
	char a[4], b[4], c[8];
	struct iovec rv[2] = { { a, 4 }, { b, 4 } };
	struct iovec wv[2] = { { "XY", 2 }, { "Z", 1 } };
	struct iovec one = { c, 3 };
	int fd = open("v", O_RDWR | O_CREAT | O_TRUNC, 0644), ro, wo;

	write(fd, "0123456789abcdef", 16);
	lseek(fd, 1, SEEK_SET);
	ut_ok(preadv(fd, rv, 2, 4) == 8 && !memcmp(a, "4567", 4) && !memcmp(b, "89ab", 4) &&
	      pwritev(fd, wv, 2, 2) == 3 && lseek(fd, 0, SEEK_CUR) == 1 &&
	      pread(fd, c, 6, 0) == 6 && !memcmp(c, "01XYZ5", 6) && preadv(fd, rv, 2, 16) == 0,
	      "preadv/pwritev work at the offset and leave the file position");
	ut_ok(syscall(NR_preadv2, fd, &one, 1, -1L, 0L, 0) == 3 && !memcmp(c, "1XY", 3) &&
	      lseek(fd, 0, SEEK_CUR) == 4 &&
	      syscall(NR_pwritev2, fd, wv, 1, -1L, 0L, 0) == 2 && lseek(fd, 0, SEEK_CUR) == 6 &&
	      syscall(NR_preadv2, fd, &one, 1, 10L, 0L, 0) == 3 && !memcmp(c, "abc", 3) &&
	      lseek(fd, 0, SEEK_CUR) == 6 &&
	      syscall(NR_pwritev2, fd, wv, 2, 14L, 0L, RWF_DSYNC_) == 3 &&
	      pread(fd, c, 8, 10) == 7 && !memcmp(c, "abcdXYZ", 7),
	      "preadv2/pwritev2: offset -1 is the file position (advanced), others leave it; RWF_DSYNC");
	ro = open("v", O_RDONLY);
	wo = open("v", O_WRONLY);
	ut_ok(ut_err_is(preadv(fd, rv, 2, -2), EINVAL) && ut_err_is(preadv(999, rv, 2, 0), EBADF) &&
	      ut_err_is(preadv(999, rv, 2, -1), EINVAL) &&
	      ut_err_is(preadv(wo, rv, 2, 0), EBADF) && ut_err_is(pwritev(ro, wv, 2, 0), EBADF) &&
	      ut_err_is(preadv(fd, rv, -1, 0), EINVAL) && ut_err_is(preadv(fd, rv, 1025, 0), EINVAL) &&
	      ut_err_is(preadv(fd, (struct iovec *)1, 1, 0), EFAULT) &&
	      ut_err_is(syscall(NR_preadv2, fd, &one, 1, 0L, 0L, 0x10000), EOPNOTSUPP) &&
	      syscall(NR_preadv2, fd, &one, 0, 0L, 0L, 0x10000) == 0 &&
	      ut_err_is(syscall(NR_pwritev2, fd, wv, 1, -2L, 0L, 0), EINVAL),
	      "preadv/pwritev errors: EINVAL offset and count, EBADF, EFAULT, EOPNOTSUPP flags");
	close(ro);
	close(wo);
	close(fd);
	unlink("v");
}

/* ---- memfd_create and fallocate ---- */

static int memfd(const char *name, unsigned int flags)
{
	return (int)syscall(NR_memfd_create, name, flags);
}

static int all_zero(const char *p, long n)
{
	for (long i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void t_memfd(void)
{
	static char maps[64 * 1024];
	char name[300], buf[PG];
	struct stat st;
	int fd = memfd("vfs_calls", MFD_CLOEXEC_), fd2, status;
	char *m;
	pid_t pid;

	ut_ok(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC && fstat(fd, &st) == 0 &&
	      st.st_mode == 0100777 && st.st_nlink == 0 && st.st_size == 0 &&
	      (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
	      "memfd_create: an empty, unlinked, read-write 0777 file; MFD_CLOEXEC");
	fd2 = memfd("", 0);
	ut_ok(fd2 >= 0 && fcntl(fd2, F_GETFD) == 0 && close(fd2) == 0,
	      "memfd_create without MFD_CLOEXEC, with an empty name");
	ut_ok(write(fd, "hello", 5) == 5 && pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5) &&
	      ftruncate(fd, 3 * PG) == 0 && fstat(fd, &st) == 0 && st.st_size == 3 * PG &&
	      pread(fd, buf, PG, PG) == PG && all_zero(buf, PG),
	      "a memfd is written, read back and grown by ftruncate (zeros)");
	m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ut_ok(m != MAP_FAILED && !memcmp(m, "hello", 5) && ut_read_file("/proc/self/maps", maps,
									 sizeof(maps)) > 0 &&
	      strstr(maps, " /memfd:vfs_calls (deleted)\n") != NULL,
	      "a memfd mapping shows its bytes; maps names it /memfd:NAME (deleted)");
	pid = fork();
	if (pid == 0) {
		char *c = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);

		if (c == MAP_FAILED)
			_exit(1);
		memcpy(c, "child", 5);
		m[2 * PG] = 'k';
		_exit(0);
	}
	ut_ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0 && !memcmp(m + PG, "child", 5) && m[2 * PG] == 'k' &&
	      pread(fd, buf, 5, PG) == 5 && !memcmp(buf, "child", 5),
	      "a fork child's stores through its own and the inherited mapping reach the parent's");
	munmap(m, 3 * PG);
	memset(name, 'n', sizeof(name));
	name[249] = '\0';
	fd2 = memfd(name, 0);
	ut_ok(fd2 >= 0 && close(fd2) == 0 && (name[249] = 'n', name[250] = '\0', 1) &&
	      ut_err_is(memfd(name, 0), EINVAL) && ut_err_is(memfd("x", 0x100), EINVAL) &&
	      ut_err_is(memfd("x", 0x18), EINVAL) && ut_err_is(memfd(NULL, 0), EFAULT),
	      "memfd_create: a 249-byte name works, 250 is EINVAL; EINVAL flags; EFAULT");

	/* fallocate on the memfd (tmpfs: Linux's shmem_fallocate) */
	ftruncate(fd, 0);
	pwrite(fd, "keep", 4, 100);
	ut_ok(syscall(NR_fallocate, fd, 0, 0L, 2L * PG) == 0 && fstat(fd, &st) == 0 &&
	      st.st_size == 2 * PG && pread(fd, buf, 4, 100) == 4 && !memcmp(buf, "keep", 4) &&
	      pread(fd, buf, PG, PG) == PG && all_zero(buf, PG) &&
	      syscall(NR_fallocate, fd, FALLOC_FL_KEEP_SIZE, 2L * PG, 5L * PG) == 0 &&
	      fstat(fd, &st) == 0 && st.st_size == 2 * PG &&
	      syscall(NR_fallocate, fd, 0, 10L, 20L) == 0 && fstat(fd, &st) == 0 &&
	      st.st_size == 2 * PG && syscall(NR_fallocate, fd, 0, 3L * PG, 1L) == 0 &&
	      fstat(fd, &st) == 0 && st.st_size == 3 * PG + 1,
	      "fallocate of a tmpfs file: grows it (zeros, data kept), KEEP_SIZE keeps the size");
	{
		int ro = open("f", O_RDONLY), nul = open("/dev/null", O_RDWR);

		ut_ok(ut_err_is(syscall(NR_fallocate, fd, 0, 0L, 0L), EINVAL) &&
		      ut_err_is(syscall(NR_fallocate, fd, 0, 0L, -1L), EINVAL) &&
		      ut_err_is(syscall(NR_fallocate, fd, 0, -1L, 1L), EINVAL) &&
		      ut_err_is(syscall(NR_fallocate, 999, 0, 0L, 1L), EBADF) &&
		      ut_err_is(syscall(NR_fallocate, ro, 0, 0L, 1L), EBADF) &&
		      ut_err_is(syscall(NR_fallocate, ro, 0, 0L, 0L), EINVAL) &&
		      ut_err_is(syscall(NR_fallocate, fd, 0x10000, 0L, 1L), EOPNOTSUPP) &&
		      ut_err_is(syscall(NR_fallocate, fd, FALLOC_FL_PUNCH_HOLE, 0L, 1L), EOPNOTSUPP) &&
		      ut_err_is(syscall(NR_fallocate, nul, 0, 0L, 1L), ENODEV) &&
		      ut_err_is(syscall(NR_fallocate, fd, 0, LLONG_MAX - 10, 100L), EFBIG),
		      "fallocate errors: EINVAL range, EBADF, EOPNOTSUPP mode, ENODEV, EFBIG");
		close(ro);
		close(nul);
	}
	close(fd);
}

/* ---- file seals (memfd_create MFD_ALLOW_SEALING, fcntl F_ADD_SEALS/F_GET_SEALS) ---- */

#define F_ADD_SEALS_	1033
#define F_GET_SEALS_	1034
#define SEAL_SEAL	0x01
#define SEAL_SHRINK	0x02
#define SEAL_GROW	0x04
#define SEAL_WRITE	0x08
#define SEAL_FUTURE	0x10
#define SEAL_EXEC	0x20
#define MFD_ALLOW_SEALING_	0x2U
#define MFD_NOEXEC_SEAL_	0x8U

static int size_is(int fd, long size)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_size == size;
}

static void t_seals(void)
{
	int plain = memfd("plain", 0), fd = memfd("sealed", MFD_ALLOW_SEALING_), reg, nx, ex;
	char *m, *r;
	struct stat st;

	reg = open("f", O_RDWR);
	ut_ok(fcntl(plain, F_GET_SEALS_) == SEAL_SEAL &&
	      ut_err_is(fcntl(plain, F_ADD_SEALS_, SEAL_WRITE), EPERM) &&
	      fcntl(fd, F_GET_SEALS_) == 0 && ut_err_is(fcntl(fd, F_ADD_SEALS_, 0x100), EINVAL) &&
	      ut_err_is(fcntl(reg, F_GET_SEALS_), EINVAL) &&
	      ut_err_is(fcntl(reg, F_ADD_SEALS_, SEAL_GROW), EINVAL),
	      "seals: F_SEAL_SEAL without MFD_ALLOW_SEALING, none with it; EINVAL elsewhere and for unknown seals");
	close(reg);
	close(plain);
	write(fd, "abcd", 4);
	ut_ok(fcntl(fd, F_ADD_SEALS_, SEAL_SHRINK | SEAL_GROW) == 0 &&
	      fcntl(fd, F_GET_SEALS_) == (SEAL_SHRINK | SEAL_GROW) &&
	      ut_err_is(ftruncate(fd, 2), EPERM) && ut_err_is(ftruncate(fd, 8), EPERM) &&
	      ftruncate(fd, 4) == 0 && pwrite(fd, "X", 1, 3) == 1 &&
	      ut_err_is(pwrite(fd, "Y", 1, 4), EPERM) &&
	      ut_err_is(syscall(NR_fallocate, fd, 0, 0L, 8L), EPERM) &&
	      ut_err_is(syscall(NR_fallocate, fd, FALLOC_FL_KEEP_SIZE, 0L, 8L), EPERM) &&
	      syscall(NR_fallocate, fd, FALLOC_FL_KEEP_SIZE, 0L, 4L) == 0 && size_is(fd, 4),
	      "F_SEAL_SHRINK and F_SEAL_GROW: ftruncate, a write or fallocate (even KEEP_SIZE) past the end are EPERM");
	m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ut_ok(m != MAP_FAILED && ut_err_is(fcntl(fd, F_ADD_SEALS_, SEAL_WRITE), EBUSY) &&
	      munmap(m, PG) == 0 && fcntl(fd, F_ADD_SEALS_, SEAL_WRITE) == 0 &&
	      ut_err_is(pwrite(fd, "Z", 1, 0), EPERM) &&
	      mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM &&
	      (r = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0)) != MAP_FAILED && r[3] == 'X' &&
	      ut_err_is(mprotect(r, PG, PROT_READ | PROT_WRITE), EACCES) && munmap(r, PG) == 0 &&
	      (r = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)) != MAP_FAILED &&
	      (r[0] = 'p', r[0] == 'p') && munmap(r, PG) == 0,
	      "F_SEAL_WRITE: EBUSY while mapped shared writable; then write, shared writable mmap and mprotect fail");
	ut_ok(fcntl(fd, F_ADD_SEALS_, SEAL_SEAL) == 0 &&
	      ut_err_is(fcntl(fd, F_ADD_SEALS_, SEAL_EXEC), EPERM) &&
	      fcntl(fd, F_GET_SEALS_) == (SEAL_SEAL | SEAL_SHRINK | SEAL_GROW | SEAL_WRITE),
	      "F_SEAL_SEAL: no seal can be added after it");
	close(fd);
	fd = memfd("future", MFD_ALLOW_SEALING_);
	ftruncate(fd, PG);
	m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ut_ok(m != MAP_FAILED && fcntl(fd, F_ADD_SEALS_, SEAL_FUTURE) == 0 &&
	      (m[0] = 'm', 1) && ut_err_is(pwrite(fd, "w", 1, 1), EPERM) &&
	      mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM &&
	      pread(fd, &r, 1, 0) == 1 && *(char *)&r == 'm',
	      "F_SEAL_FUTURE_WRITE: a mapping made before still writes; write() and new ones are EPERM");
	munmap(m, PG);
	close(fd);
	nx = memfd("noexec", MFD_NOEXEC_SEAL_);
	ex = memfd("exec", MFD_ALLOW_SEALING_);
	ut_ok(nx >= 0 && fstat(nx, &st) == 0 && st.st_mode == 0100666 &&
	      fcntl(nx, F_GET_SEALS_) == SEAL_EXEC && ut_err_is(fchmod(nx, 0755), EPERM) &&
	      fchmod(nx, 0644) == 0 && fcntl(nx, F_ADD_SEALS_, SEAL_GROW) == 0 &&
	      fcntl(ex, F_ADD_SEALS_, SEAL_EXEC) == 0 &&
	      fcntl(ex, F_GET_SEALS_) == (SEAL_EXEC | SEAL_SHRINK | SEAL_GROW | SEAL_WRITE | SEAL_FUTURE),
	      "MFD_NOEXEC_SEAL: 0666 with F_SEAL_EXEC (x bits fixed); F_SEAL_EXEC on 0777 brings the write seals");
	close(nx);
	close(ex);
}

/* fallocate where Linux has none (ramfs) and where it has (tmpfs): mounts, so root only. */
static void t_fallocate_mounts(void)
{
	const char *what = "fallocate: ramfs has none (EOPNOTSUPP), a mounted tmpfs allocates";
	int fd, fd2;

	if (geteuid() != 0) {
		ut_skip(what, "not root");
		return;
	}
	mkdir("rm", 0755);
	mkdir("tm", 0755);
	if (mount("none", "rm", "ramfs", 0, NULL) || mount("none", "tm", "tmpfs", 0, NULL)) {
		ut_ok(0, what);
		return;
	}
	fd = open("rm/x", O_RDWR | O_CREAT, 0644);
	fd2 = open("tm/x", O_RDWR | O_CREAT, 0644);
	ut_ok(ut_err_is(syscall(NR_fallocate, fd, 0, 0L, 4096L), EOPNOTSUPP) &&
	      syscall(NR_fallocate, fd2, 0, 0L, 4096L) == 0 && lseek(fd2, 0, SEEK_END) == 4096,
	      what);
	close(fd);
	close(fd2);
	umount2("rm", 0);
	umount2("tm", 0);
	rmdir("rm");
	rmdir("tm");
}

/* ---- mremap of a shared file mapping ---- */

static void t_mremap_file(void)
{
	static unsigned char pattern[4 * PG];
	unsigned char *m, *n, *p;
	struct ut_sig s;
	char c;
	int fd = open("mr", O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; i < 4 * PG; i++)
		pattern[i] = (unsigned char)(i * 7 + i / PG);
	write(fd, pattern, sizeof(pattern));
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	/* something right after it, so growing has to move */
	mmap(m + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	n = mremap(m, 2 * PG, 3 * PG, MREMAP_MAYMOVE);
	ut_ok(m != MAP_FAILED && n != MAP_FAILED && n != m && !memcmp(n, pattern, 3 * PG) &&
	      (n[5] = 'Q', pread(fd, &c, 1, 5) == 1) && c == 'Q',
	      "mremap moves a shared file mapping: the file's bytes there, a store reaches read()");
	ut_catch(touch, m, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, m, "the old address of the moved mapping is unmapped");
	munmap(m + 2 * PG, PG);
	p = mremap(n, 3 * PG, 4 * PG, MREMAP_MAYMOVE);
	pattern[5] = 'Q';
	ut_ok(p != MAP_FAILED && !memcmp(p, pattern, 4 * PG),
	      "mremap grows a file mapping to the end of the file");
	n = mremap(p, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
	ut_ok(n != MAP_FAILED && !memcmp(n, pattern, 4 * PG), "mremap grows it past the end of the file");
	ut_catch(touch, n + 4 * PG + 1, &s);
	ut_expect_sig(&s, SIGBUS, BUS_ADRERR, n + 4 * PG + 1,
		      "a page of the grown mapping past the end of the file is SIGBUS, BUS_ADRERR");
	p = mremap(n, 6 * PG, PG, 0);
	ut_ok(p == n && p[0] == pattern[0] && (p[1] = 'S', pread(fd, &c, 1, 1) == 1) && c == 'S',
	      "mremap shrinks a file mapping in place; it still writes the file");
	ut_catch(touch, p + PG, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, p + PG, "what the shrink gave back is unmapped");
	munmap(p, PG);
	close(fd);
	unlink("mr");
}

int main(void)
{
	char dir[256];
	const char *base = getenv("TMPDIR");

	ut_plan("vfs_calls", 40);
	start = time(NULL);
	if (!base || access(base, W_OK))
		base = access("/tmp", W_OK) ? "." : "/tmp";
	snprintf(dir, sizeof(dir), "%s/vfs_calls.XXXXXX", base);
	if (!mkdtemp(dir) || chdir(dir))
		return ut_bail("a fresh directory to work in");
	umask(022);
	t_chmod();
	t_chown();
	t_utimes();
	t_preadv();
	t_memfd();
	t_seals();
	t_fallocate_mounts();
	t_mremap_file();
	unlink("ln");
	unlink("f");
	rmdir("d");
	chdir("/");
	if (rmdir(dir))
		ut_diag("the directory is not empty at the end: %s", strerror(errno));
	return ut_done();
}
