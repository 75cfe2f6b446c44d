/*
 * wild_write: system calls given wild pointers fail with EFAULT (the
 * kernel recovers from the fault in its user copy), never crash.
 */
#include "utest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define PG	4096UL

static int efault(long r)
{
	return r == -1 && errno == EFAULT;
}

int main(int argc, char **argv)
{
	void *unmapped, *kernel = (void *)0xffffffff80100000UL;
	void *noncanon = (void *)0x8000000000000000UL;
	struct iovec iov[2] = { { "ok", 2 }, { (void *)0x1000, 8 } };
	struct stat st;
	char buf[8];
	int fd;

	(void)argc;
	ut_plan("wild_write", 7);
	unmapped = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, PG);
	ut_ok(efault(write(1, unmapped, 10)), "write() from an unmapped buffer is EFAULT");
	ut_ok(efault(write(1, kernel, 10)), "write() from a kernel address is EFAULT");
	ut_ok(efault(write(1, noncanon, 10)), "write() from a non-canonical address is EFAULT");
	fd = open(argv[0], O_RDONLY);
	ut_ok(fd >= 0 && efault(read(fd, kernel, sizeof(buf))),
	      "read() into a kernel address is EFAULT");
	close(fd);
	ut_ok(efault(writev(1, iov + 1, 1)), "writev() with a wild iovec base is EFAULT");
	ut_ok(efault(open((const char *)unmapped, O_RDONLY)), "open() of a wild path is EFAULT");
	ut_ok(efault(syscall(SYS_stat, "/", kernel)) && stat("/", &st) == 0,
	      "stat() into a kernel address is EFAULT");
	return ut_done();
}
