/*
 * kernel_addr: user code cannot touch the kernel's half of the address
 * space: a read or write of a kernel address is SIGSEGV (SEGV_MAPERR, the
 * address in si_addr, as Linux reports it), and a non-canonical address is
 * SIGSEGV with si_code SI_KERNEL (a general protection fault).
 */
#include "utest.h"

static void read_word(void *addr)
{
	(void)*(volatile long *)addr;
}

static void write_word(void *addr)
{
	*(volatile long *)addr = 0;
}

int main(void)
{
	void *text = (void *)0xffffffff80100000UL;	/* kernel image area */
	void *direct = (void *)0xffff888000100000UL;	/* direct map (4-level base) */
	void *noncanon = (void *)0x8000000000000000UL;
	struct ut_sig s;

	ut_plan("kernel_addr", 4);
	ut_catch(read_word, text, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, text,
		      "reading the kernel image area is SIGSEGV at the address");
	ut_catch(write_word, text, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, text,
		      "writing the kernel image area is SIGSEGV at the address");
	ut_catch(read_word, direct, &s);
	ut_ok(s.signo == SIGSEGV, "reading the direct map area is SIGSEGV");
	ut_catch(read_word, noncanon, &s);
	ut_expect_sig(&s, SIGSEGV, 0x80, NULL,
		      "a non-canonical address is SIGSEGV with SI_KERNEL");
	return ut_done();
}
