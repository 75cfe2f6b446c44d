/*
 * exec_nx: jumping into a page mapped without PROT_EXEC raises SIGSEGV
 * (SEGV_ACCERR, si_addr the page); the same bytes run once the page is
 * made executable. The stack is not executable either.
 */
#include "utest.h"
#include <sys/mman.h>

#define PG	4096UL

static const unsigned char ret_insn[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov $42,%eax; ret */
static volatile int result;

static void call(void *code)
{
	result = ((int (*)(void))code)();
}

int main(void)
{
	unsigned char stack_code[16] __attribute__((aligned(16)));
	unsigned char *p;
	struct ut_sig s;

	ut_plan("exec_nx", 4);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ut_bail("mmap");
	memcpy(p, ret_insn, sizeof(ret_insn));
	ut_catch(call, p, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_ACCERR, p,
		      "executing from a non-executable page is SIGSEGV, SEGV_ACCERR");
	memcpy(stack_code, ret_insn, sizeof(ret_insn));
	ut_catch(call, stack_code, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_ACCERR, stack_code, "the stack is not executable");
	ut_ok(mprotect(p, PG, PROT_READ | PROT_EXEC) == 0, "mprotect adds PROT_EXEC");
	result = 0;
	ut_catch(call, p, &s);
	ut_ok(s.signo == 0 && result == 42, "the same code runs from an executable page");
	return ut_done();
}
