/*
 * stack_growth: recursion 4 MiB deep grows the [stack] VMA on demand;
 * recursion past RLIMIT_STACK (8 MiB) gets SIGSEGV, caught on an alternate
 * signal stack.
 */
#include "utest.h"
#include <sys/resource.h>

#define FRAME	1024
#define MIB	(1UL << 20)

static volatile unsigned long deepest;

/* Uses about FRAME bytes of stack per level; never a tail call. */
static __attribute__((noinline)) unsigned long recurse(unsigned long depth)
{
	volatile unsigned char frame[FRAME];

	frame[0] = (unsigned char)depth;
	frame[FRAME - 1] = (unsigned char)depth;
	deepest = (unsigned long)frame;
	if (depth == 0)
		return frame[0];
	return recurse(depth - 1) + frame[FRAME - 1];
}

static void deep(void *levels)
{
	recurse((unsigned long)levels);
}

int main(void)
{
	struct rlimit rl;
	struct ut_vma st;
	struct ut_sig s;
	unsigned long top = (unsigned long)&rl;

	ut_plan("stack_growth", 4);
	/* the host's limit may be larger: every system tests against 8 MiB */
	getrlimit(RLIMIT_STACK, &rl);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 8 * MIB) {
		rl.rlim_cur = 8 * MIB;
		setrlimit(RLIMIT_STACK, &rl);
	}
	ut_catch(deep, (void *)(4 * MIB / FRAME), &s);
	ut_ok(s.signo == 0 && top - deepest >= 4 * MIB, "recursion 4 MiB deep works");
	ut_ok(ut_maps_find("[stack]", &st) == 0 && st.end - st.start >= 4 * MIB &&
	      !strcmp(st.perms, "rw-p"), "the [stack] VMA grew to cover it");
	ut_ok(ut_altstack() == 0, "sigaltstack installs an alternate signal stack");
	ut_catch(deep, (void *)(16 * MIB / FRAME), &s);
	if (!ut_ok(s.signo == SIGSEGV && s.code == SEGV_MAPERR,
		   "recursion beyond RLIMIT_STACK gets SIGSEGV (SEGV_MAPERR)"))
		ut_diag("got %s code %d", ut_signame(s.signo), s.code);
	return ut_done();
}
