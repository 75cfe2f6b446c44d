/*
 * msync_mincore: mincore(2) says which pages are in memory (an anonymous
 * page once touched, every page of a file read through its mapping);
 * msync(2) of private and shared read-only file mappings succeeds; both
 * calls give Linux's errors for bad arguments, unmapped ranges and bad
 * vectors.
 */
#include "utest.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG	4096L

int main(int argc, char **argv)
{
	unsigned char vec[8], *anon, *file, sum = 0;
	struct stat st;
	long pages;
	int fd, all;

	(void)argc;
	ut_plan("msync_mincore", 12);
	anon = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		return ut_bail("mmap");
	anon[PG] = 1;
	anon[3 * PG] = 3;
	ut_ok(mincore(anon, 4 * PG, vec) == 0 && !(vec[0] & 1) && (vec[1] & 1) && !(vec[2] & 1) &&
	      (vec[3] & 1), "mincore: only the anonymous pages written are in memory");

	fd = open(argv[0], O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return ut_bail("open of the program");
	pages = (st.st_size + PG - 1) / PG;
	file = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED)
		return ut_bail("mmap of the program");
	for (long i = 0; i < st.st_size; i += PG)
		sum += *(volatile unsigned char *)(file + i);	/* really read each page */
	unsigned char *fvec = malloc(pages);
	all = fvec && mincore(file, st.st_size, fvec) == 0;
	for (long i = 0; all && i < pages; i++)
		all = fvec[i] & 1;
	ut_ok(all, "mincore: every page of a file read through its mapping is in memory");
	free(fvec);
	(void)sum;

	ut_ok(msync(file, st.st_size, MS_SYNC) == 0, "msync MS_SYNC of a shared read-only file mapping");
	ut_ok(msync(anon, 4 * PG, MS_SYNC | MS_INVALIDATE) == 0, "msync of anonymous memory succeeds");
	ut_ok(msync(anon, 4 * PG, MS_ASYNC) == 0, "msync MS_ASYNC succeeds");
	errno = 0;
	ut_ok(msync(anon + 1, PG, MS_SYNC) == -1 && errno == EINVAL, "msync of an unaligned address: EINVAL");
	errno = 0;
	ut_ok(msync(anon, PG, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL, "msync MS_SYNC|MS_ASYNC: EINVAL");
	errno = 0;
	ut_ok(msync(anon, PG, 8) == -1 && errno == EINVAL, "msync with an unknown flag: EINVAL");
	munmap(anon + 2 * PG, PG);
	errno = 0;
	ut_ok(msync(anon, 4 * PG, MS_SYNC) == -1 && errno == ENOMEM, "msync over a hole: ENOMEM");
	errno = 0;
	ut_ok(mincore(anon + 1, PG, vec) == -1 && errno == EINVAL, "mincore of an unaligned address: EINVAL");
	errno = 0;
	ut_ok(mincore(anon, 4 * PG, vec) == -1 && errno == ENOMEM, "mincore over a hole: ENOMEM");
	errno = 0;
	ut_ok(mincore(anon, PG, (unsigned char *)8) == -1 && errno == EFAULT, "mincore into a bad vector: EFAULT");
	munmap(file, st.st_size);
	close(fd);
	return ut_done();
}
