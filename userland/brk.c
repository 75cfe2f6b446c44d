/*
 * brk: the program break grows (fresh memory is zero and shows as [heap]),
 * shrinks (memory above it is gone), and refuses to go below its start.
 */
#include "utest.h"
#include <sys/syscall.h>

#define PG	4096UL
#define GROW	(1UL << 20)

static unsigned long sys_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

static void write_byte(void *addr)
{
	*(volatile unsigned char *)addr = 1;
}

int main(void)
{
	unsigned long b0, b;
	unsigned char *h;
	struct ut_vma heap;
	struct ut_sig s;
	int ok = 1;

	ut_plan("brk", 6);
	b0 = sys_brk(0);
	h = (unsigned char *)b0;
	b = sys_brk(b0 + GROW);
	if (!ut_ok(b == b0 + GROW, "brk grows the break by 1 MiB"))
		return ut_bail("brk");
	for (unsigned long i = 0; i < GROW; i += PG)
		ok &= h[i] == 0;
	memset(h, 0x5a, GROW);
	ut_ok(ok && h[GROW - 1] == 0x5a, "the new heap is zero-filled and writable");
	ut_ok(ut_maps_at(b0, &heap) == 0 && heap.end == b0 + GROW &&
	      !strcmp(heap.perms, "rw-p") && !strcmp(heap.name, "[heap]"),
	      "/proc/self/maps shows it as [heap], rw-p, up to the break");
	b = sys_brk(b0 + PG);
	ut_catch(write_byte, h + 2 * PG, &s);
	ut_expect_sig(&s, SIGSEGV, SEGV_MAPERR, h + 2 * PG,
		      "after shrinking, memory above the break is gone (SEGV_MAPERR)");
	b = sys_brk(b0 + 4 * PG);
	ut_ok(b == b0 + 4 * PG && h[2 * PG] == 0 && h[0] == 0x5a,
	      "grown again, the re-mapped pages are zero and the kept one is not");
	b = sys_brk(b0 - 16 * PG);
	ut_ok(b == b0 + 4 * PG, "brk below the start of the heap fails and returns the old break");
	return ut_done();
}
