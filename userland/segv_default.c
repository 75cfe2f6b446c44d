/*
 * segv_default: a fault without a handler kills the program with SIGSEGV
 * (the default action); the test list expects "killed by signal 11".
 */
#include "utest.h"

int main(void)
{
	volatile int *volatile bad = (volatile int *)16;

	ut_plan("segv_default", 1);
	ut_ok(1, "about to touch an unmapped address with no handler");
	*bad = 1;
	ut_line("    # still alive after the fault");
	return 0;
}
