/*
 * exec_nx: jumping into a page mapped without PROT_EXEC raises SIGSEGV
 * (SEGV_ACCERR, si_addr the page); the same bytes run once the page is
 * made executable. The stack is not executable either.
 *
 * On a CPU without NX (CPUID 80000001h EDX[20] clear, e.g. QEMU's
 * -cpu qemu64,-nx) no page can be readable and not executable, on Linux as
 * on Pagoda: the two no-exec checks are then skipped, not failed.
 */
#include "utest.h"
#include <cpuid.h>
#include <sys/mman.h>

#define PG	4096UL

static const unsigned char ret_insn[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov $42,%eax; ret */
static volatile int result;

static void call(void *code)
{
	result = ((int (*)(void))code)();
}

static int cpu_has_nx(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000001, &a, &b, &c, &d))
		return 0;
	return (d >> 20) & 1;
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
	memcpy(stack_code, ret_insn, sizeof(ret_insn));
	if (cpu_has_nx()) {
		ut_catch(call, p, &s);
		ut_expect_sig(&s, SIGSEGV, SEGV_ACCERR, p,
			      "executing from a non-executable page is SIGSEGV, SEGV_ACCERR");
		ut_catch(call, stack_code, &s);
		ut_expect_sig(&s, SIGSEGV, SEGV_ACCERR, stack_code, "the stack is not executable");
	} else {
		ut_skip("executing from a non-executable page is SIGSEGV, SEGV_ACCERR",
			"CPU without NX");
		ut_skip("the stack is not executable", "CPU without NX");
	}
	ut_ok(mprotect(p, PG, PROT_READ | PROT_EXEC) == 0, "mprotect adds PROT_EXEC");
	result = 0;
	ut_catch(call, p, &s);
	ut_ok(s.signo == 0 && result == 42, "the same code runs from an executable page");
	return ut_done();
}
