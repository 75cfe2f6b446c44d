/*
 * file_map: mmap(2) of a regular file (this program's own binary, which
 * exists on the host and in Pagoda's initrd alike): shared and private
 * read mappings see the file's bytes; a private write stays private; an
 * offset mapping starts at its page; the tail of the last page is zeros
 * and a page wholly past the end is SIGBUS (BUS_ADRERR); a fork child
 * sees the same pages; and mmap's and mprotect's errors are Linux's.
 */
#include "utest.h"
#include "cow_common.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>



static void touch(void *addr)
{
	(void)*(volatile unsigned char *)addr;
}

static int all_zero(const unsigned char *p, long n)
{
	for (long i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	unsigned char *buf, *shared, *priv, *off, *tail, orig;
	long size, pages, rounded;
	struct ut_sig s;
	struct stat st;
	int fd, dir, status;
	pid_t pid;

	(void)argc;
	ut_plan("file_map", 16);
	fd = open(argv[0], O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return ut_bail("open/fstat of the program");
	size = st.st_size;
	pages = (size + PG - 1) / PG;
	rounded = pages * PG;
	buf = malloc(size);
	if (!buf || pread(fd, buf, size, 0) != size)
		return ut_bail("read of the program");
	if (size < 4 * (long)PG || size % (long)PG == 0)
		return ut_bail("a program of at least 4 pages, not a whole number of them");

	shared = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ut_ok(shared != MAP_FAILED && memcmp(shared, buf, size) == 0,
	      "a shared read mapping shows the file's bytes");
	priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ut_ok(priv != MAP_FAILED && memcmp(priv, buf, size) == 0,
	      "a private writable mapping shows the file's bytes");
	orig = priv[PG + 7];
	priv[PG + 7] = (unsigned char)~orig;
	ut_ok(priv[PG + 7] == (unsigned char)~orig && shared[PG + 7] == orig,
	      "a private write is seen by its mapping only");
	ut_ok(pread(fd, buf, 16, PG) == 16 && buf[7] == orig && memcmp(priv, shared, PG) == 0,
	      "the file and the rest of the private mapping are unchanged");
	pread(fd, buf, size, 0);

	off = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
	ut_ok(off != MAP_FAILED && memcmp(off, buf + 2 * PG, 2 * PG) == 0,
	      "a mapping at a page offset starts at that page of the file");

	tail = mmap(NULL, rounded + PG, PROT_READ, MAP_SHARED, fd, 0);
	ut_ok(tail != MAP_FAILED && all_zero(tail + size, rounded - size),
	      "the last page reads zeros past the end of the file");
	ut_catch(touch, tail + rounded + 10, &s);
	ut_expect_sig(&s, SIGBUS, BUS_ADRERR, tail + rounded + 10,
		      "a page wholly past the end of the file is SIGBUS, BUS_ADRERR");

	pid = fork();
	if (pid == 0)
		_exit(memcmp(shared, buf, size) == 0 && priv[PG + 7] == (unsigned char)~orig ? 0 : 1);
	ut_ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "a fork child sees the same file and private pages");
	ut_ok(cow_audit_clean(),
	      "the kernel's memory audit, where it has one, is clean with the file mapped four times");

	errno = 0;
	ut_ok(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL,
	      "an offset that is not page aligned is EINVAL");
	errno = 0;
	ut_ok(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EACCES, "a shared writable mapping of a read-only file is EACCES");
	errno = 0;
	ut_ok(mprotect(shared, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "mprotect cannot make a shared mapping of a read-only file writable");
	errno = 0;
	ut_ok(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0) == MAP_FAILED && errno == EBADF,
	      "a bad descriptor is EBADF");
	dir = open("/", O_RDONLY);
	errno = 0;
	ut_ok(dir >= 0 && mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dir, 0) == MAP_FAILED &&
	      errno == ENODEV, "a directory cannot be mapped: ENODEV");
	close(dir);

	close(fd);
	ut_ok(memcmp(shared, buf, size) == 0, "a mapping outlives the descriptor it came from");
	ut_ok(munmap(shared, size) == 0 && munmap(priv, size) == 0 && munmap(off, 2 * PG) == 0 &&
	      munmap(tail, rounded + PG) == 0, "every mapping unmaps");
	free(buf);
	return ut_done();
}
