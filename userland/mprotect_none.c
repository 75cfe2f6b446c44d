/*
 * mprotect_none: an access to a PROT_NONE page raises SIGSEGV with si_addr
 * the faulting byte and si_code SEGV_ACCERR; a handler that makes the page
 * accessible again and returns resumes the faulting instruction. A
 * system call given a PROT_NONE buffer fails with EFAULT whichever way it
 * copies (the kernel cannot read or write such a page either).
 */
#include "utest.h"
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG	4096

static volatile unsigned char *page;
static volatile int fixes;

static void read_byte(void *addr)
{
	(void)*(volatile unsigned char *)addr;
}

static void write_byte(void *addr)
{
	*(volatile unsigned char *)addr = 1;
}

static void fix_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr & ~(uintptr_t)(PG - 1);

	(void)sig;
	(void)uc;
	fixes++;
	mprotect((void *)a, PG, PROT_READ | PROT_WRITE);
}

int main(void)
{
	struct sigaction sa;
	struct ut_sig s;

	ut_plan("mprotect_none", 9);
	page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return ut_bail("mmap");
	page[0] = 7;
	ut_ok(mprotect((void *)page, PG, PROT_NONE) == 0, "mprotect(PROT_NONE) succeeds");
	ut_catch(read_byte, (void *)(page + 100), &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_ACCERR, (void *)(page + 100),
		      "a read of a PROT_NONE page is SIGSEGV, SEGV_ACCERR at the byte");
	ut_catch(write_byte, (void *)(page + PG + 5), &s);
	ut_ok(s.signo == 0 && page[PG + 5] == 1, "the next page keeps its own protection");
	/* raw system calls: libc must not touch the buffer itself */
	errno = 0;
	ut_ok(syscall(SYS_write, 1, page, 1) == -1 && errno == EFAULT,
	      "write() from a PROT_NONE buffer is EFAULT");
	errno = 0;
	ut_ok(syscall(SYS_rt_sigprocmask, SIG_BLOCK, page + 64, NULL, 8) == -1 && errno == EFAULT,
	      "a call reading a PROT_NONE argument (rt_sigprocmask set) is EFAULT");
	errno = 0;
	ut_ok(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, page + 64, 8) == -1 && errno == EFAULT,
	      "a call writing into a PROT_NONE argument (rt_sigprocmask oldset) is EFAULT");

	mprotect((void *)page, PG, PROT_READ);
	ut_catch(write_byte, (void *)(page + 8), &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_ACCERR, (void *)(page + 8),
		      "a write to a PROT_READ page is SIGSEGV, SEGV_ACCERR");

	mprotect((void *)page, PG, PROT_NONE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fix_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	page[16] = 5;				/* faults once, the handler fixes it */
	ut_ok(fixes == 1 && page[16] == 5 && page[0] == 7,
	      "a handler that mprotects the page back and returns resumes the write");
	signal(SIGSEGV, SIG_DFL);
	ut_ok(munmap((void *)page, 2 * PG) == 0, "the mapping unmaps after the handler ran");
	return ut_done();
}
