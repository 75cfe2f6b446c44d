/*
 * fs_syscalls: the file system calls give Linux's results and error codes:
 * open/read/lseek/pread/fstat on a regular file (the program's own ELF),
 * directories, dup/dup2/fcntl descriptor rules, access, getcwd, readv and
 * writev validation, and /proc/self/statm and maps.
 */
#include "utest.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

static int err_is(long r, int e)
{
	return r == -1 && errno == e;
}

int main(int argc, char **argv)
{
	char buf[64], path[512], maps[8192];
	struct iovec iov[2];
	struct winsize ws;
	struct stat st;
	int fd, d;
	off_t end;

	(void)argc;
	ut_plan("fs_syscalls", 14);
	fd = open(argv[0], O_RDONLY);
	ut_ok(fd >= 0 && read(fd, buf, 4) == 4 && !memcmp(buf, "\177ELF", 4),
	      "open and read of a regular file (the program's own ELF)");
	end = lseek(fd, 0, SEEK_END);
	ut_ok(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && end == st.st_size,
	      "fstat's size matches lseek(SEEK_END)");
	ut_ok(err_is(lseek(fd, -1, SEEK_SET), EINVAL) && err_is(lseek(fd, 0, 42), EINVAL) &&
	      lseek(fd, 0, SEEK_CUR) == end, "lseek to a negative offset or bad whence is EINVAL");
	lseek(fd, 8, SEEK_SET);
	ut_ok(pread(fd, buf, 3, 1) == 3 && !memcmp(buf, "ELF", 3) && lseek(fd, 0, SEEK_CUR) == 8 &&
	      err_is(pread(fd, buf, 1, -1), EINVAL),
	      "pread reads at its offset and leaves the file position alone");
	ut_ok(err_is(write(fd, "x", 1), EBADF) && err_is(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY) &&
	      err_is(read(99, buf, 1), EBADF) && err_is(close(99), EBADF),
	      "write to a read-only fd is EBADF, a tty ioctl on a file ENOTTY");
	d = dup(fd);
	ut_ok(d == fd + 1 && dup2(fd, 20) == 20 && fcntl(fd, F_DUPFD, 30) == 30 &&
	      dup2(20, 20) == 20 && err_is(dup2(99, 21), EBADF) &&
	      (fcntl(20, F_GETFL) & O_ACCMODE) == O_RDONLY,
	      "dup takes the lowest free fd; dup2 and F_DUPFD place it");
	ut_ok(fcntl(20, F_GETFD) == 0 && fcntl(20, F_SETFD, FD_CLOEXEC) == 0 &&
	      fcntl(20, F_GETFD) == FD_CLOEXEC && fcntl(fd, F_GETFD) == 0 &&
	      close(20) == 0 && err_is(close(20), EBADF) && err_is(fcntl(20, F_GETFD), EBADF),
	      "FD_CLOEXEC is per descriptor; close twice is EBADF");
	snprintf(path, sizeof(path), "%s/x", argv[0]);
	d = open("/", O_RDONLY | O_DIRECTORY);
	ut_ok(err_is(open("/no/such/file", O_RDONLY), ENOENT) && err_is(open(path, O_RDONLY), ENOTDIR) &&
	      d >= 0 && err_is(read(d, buf, 1), EISDIR) && err_is(open(argv[0], O_RDONLY | O_DIRECTORY), ENOTDIR),
	      "open gives ENOENT and ENOTDIR; read of a directory is EISDIR");
	ut_ok(stat("/", &st) == 0 && S_ISDIR(st.st_mode) && access(argv[0], R_OK | X_OK) == 0 &&
	      err_is(access("/no/such/file", F_OK), ENOENT) && err_is(access(argv[0], 0x40), EINVAL),
	      "stat of / is a directory; access checks and errors");
	ut_ok(getcwd(buf, sizeof(buf)) == buf && buf[0] == '/' &&
	      err_is((long)(getcwd(buf, 1) ? 0 : -1), ERANGE),
	      "getcwd is absolute; a 1-byte buffer is ERANGE");
	lseek(fd, 0, SEEK_SET);
	iov[0] = (struct iovec){ buf, 2 };
	iov[1] = (struct iovec){ buf + 10, 2 };
	ut_ok(readv(fd, iov, 2) == 4 && !memcmp(buf, "\177E", 2) && !memcmp(buf + 10, "LF", 2),
	      "readv scatters into its iovecs in order");
	iov[0] = (struct iovec){ buf, (size_t)-1 };
	ut_ok(err_is(writev(1, iov, -1), EINVAL) && err_is(writev(1, iov, 1), EINVAL) &&
	      err_is(writev(1, iov, 1025), EINVAL) && writev(1, iov, 0) == 0,
	      "writev with a negative count or length, or over 1024 iovecs, is EINVAL");
	ut_ok(err_is(lseek(1, 0, SEEK_CUR), ESPIPE) && write(1, buf, 0) == 0,
	      "stdout does not seek (ESPIPE); a 0-byte write is 0");
	ut_ok(ut_read_file("/proc/self/maps", maps, sizeof(maps)) > 0 && strstr(maps, " r-xp ") &&
	      ut_resident_pages() > 0, "/proc/self/maps and statm describe this process");
	return ut_done();
}
