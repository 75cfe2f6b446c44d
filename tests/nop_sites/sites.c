/*
 * Fixture of tests/nop_sites.sh (not part of the kernel): stac/clac through
 * the kernel's own helpers (recorded sites), and, when the test asks for
 * it, a bare clac or a record that names an instruction other than
 * stac/clac. tools/check-nop-sites.sh must accept the first build and
 * refuse the other two.
 */
#include <asm/cpu.h>

void fixture_recorded(void);
void fixture_recorded(void)
{
	stac();
	clac();
}

#ifdef FIXTURE_UNRECORDED
void fixture_unrecorded(void);
void fixture_unrecorded(void)
{
	__asm__ volatile("clac" ::: "memory");
}
#endif

#ifdef FIXTURE_BAD_RECORD
void fixture_bad_record(void);
void fixture_bad_record(void)
{
	__asm__ volatile(NOP_SITE("ud2; nop", NOP_SITE_SMAP) ::: "memory");
}
#endif
