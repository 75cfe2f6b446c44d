/*
 * guard_gap: the stack grows on demand, but not to within the stack guard
 * gap (256 pages) of the mapping below it: a mapping placed inside the gap
 * stops the growth with SIGSEGV.
 */
#include "utest.h"
#include <sys/mman.h>

#define FRAME	1024
#define PG	4096UL
#define GAP	(256 * PG)

static volatile unsigned long target;

/* Recurse until the frame is below @target. */
static __attribute__((noinline)) unsigned long descend(unsigned long n)
{
	volatile unsigned char frame[FRAME];

	frame[0] = (unsigned char)n;
	if ((unsigned long)frame < target)
		return frame[0];
	return descend(n + 1) + frame[FRAME - 1];
}

static void grow(void *unused)
{
	(void)unused;
	descend(0);
}

int main(void)
{
	struct ut_vma st;
	struct ut_sig s;
	void *m;

	ut_plan("guard_gap", 5);
	ut_ok(ut_altstack() == 0, "sigaltstack installs an alternate signal stack");
	ut_maps_find("[stack]", &st);
	target = st.start - 64 * PG;		/* 64 pages below the VMA */
	ut_catch(grow, NULL, &s);
	ut_ok(s.signo == 0, "the stack grows 64 pages below its VMA");
	ut_maps_find("[stack]", &st);
	m = mmap((void *)(st.start - GAP / 2), PG, PROT_READ | PROT_WRITE,
		 MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ut_ok(m == (void *)(st.start - GAP / 2), "a mapping may be placed inside the guard gap");
	target = st.start - 16 * PG;
	ut_catch(grow, NULL, &s);
	if (!ut_ok(s.signo == SIGSEGV && s.code == SEGV_MAPERR,
		   "then the stack cannot grow: SIGSEGV (SEGV_MAPERR)"))
		ut_diag("got %s code %d", ut_signame(s.signo), s.code);
	munmap(m, PG);
	ut_catch(grow, NULL, &s);
	ut_ok(s.signo == 0, "with the mapping gone the same growth works");
	return ut_done();
}
