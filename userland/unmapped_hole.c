/*
 * unmapped_hole: an access to an address no VMA covers raises SIGSEGV with
 * si_code SEGV_MAPERR and si_addr the faulting byte.
 */
#include "utest.h"
#include <sys/mman.h>

#define PG	4096

static void read_byte(void *addr)
{
	(void)*(volatile unsigned char *)addr;
}

static void write_byte(void *addr)
{
	*(volatile unsigned char *)addr = 1;
}

int main(void)
{
	unsigned char *p;
	struct ut_sig s;

	ut_plan("unmapped_hole", 4);
	p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ut_bail("mmap");
	munmap(p + PG, PG);
	ut_catch(read_byte, p + PG + 8, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, p + PG + 8,
		      "a read in an unmapped hole is SIGSEGV, SEGV_MAPERR at the byte");
	ut_catch(write_byte, p + 2 * PG - 1, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, p + 2 * PG - 1,
		      "a write to the last byte of the hole is SEGV_MAPERR");
	ut_catch(write_byte, p + 2 * PG, &s);
	ut_ok(s.signo == 0, "the page after the hole is still mapped");
	ut_catch(read_byte, (void *)0x18, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, (void *)0x18,
		      "a NULL-page read is SEGV_MAPERR");
	return ut_done();
}
