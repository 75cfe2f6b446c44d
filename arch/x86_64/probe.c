/*
 * ktest_probe_read/write: one byte access whose fault is recovered through
 * the exception table (traps.c) instead of oopsing. Tests use them to check
 * that an access faults, and with which address and flags.
 */
#include <pagoda/ktest.h>
#include <pagoda/errno.h>
#include <asm/traps.h>

int ktest_probe_read(const volatile u8 *addr, u8 *val, struct ktest_fault *f)
{
	int err = 0;
	u8 v = 0;

	__asm__ volatile("1:	movb (%[addr]), %[v]\n"
			 ASM_EXTABLE_EFAULT
			 : [v] "+q"(v), [err] "+r"(err)
			 : [addr] "r"(addr), [efault] "i"(-EFAULT)
			 : "memory");
	*val = v;
	if (err && f) {
		f->addr = last_fixup_addr;
		f->flags = last_fixup_flags;
	}
	return err;
}

int ktest_probe_write(volatile u8 *addr, u8 val, struct ktest_fault *f)
{
	int err = 0;

	__asm__ volatile("1:	movb %[v], (%[addr])\n"
			 ASM_EXTABLE_EFAULT
			 : [err] "+r"(err)
			 : [addr] "r"(addr), [v] "q"(val), [efault] "i"(-EFAULT)
			 : "memory");
	if (err && f) {
		f->addr = last_fixup_addr;
		f->flags = last_fixup_flags;
	}
	return err;
}
