/*
 * Kernel access to user memory (include/pagoda/uaccess.h).
 *
 * Every entry point first checks the whole range with access_ok(), so a
 * kernel or non-canonical address never reaches an instruction (a
 * non-canonical access would raise #GP, which carries no address). Then it
 * opens the SMAP window (stac) for exactly one string instruction or one
 * small asm loop and closes it (clac) right after.
 *
 * The instruction that touches user memory has an exception-table entry. A
 * page fault on it first goes to the user half of the fault path
 * (do_page_fault -> do_user_addr_fault): an untouched anonymous page, a
 * stack growth or a copy-on-write is served there and the instruction simply
 * restarts. Only a fault the fault path cannot serve reaches
 * fixup_exception(), which resumes at the fixup label below; a `rep` string
 * instruction leaves the number of bytes still to do in rcx, so the fixup
 * has nothing to compute.
 */
#include <pagoda/uaccess.h>
#include <pagoda/sched.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <asm/cpu.h>
#include <asm/traps.h>
#include <mm/layout.h>

uintptr_t user_addr_limit(void)
{
	return pgtable_l5_enabled() ? USER_SPACE_END_L5 : USER_SPACE_END_L4;
}

bool access_ok(uintptr_t addr, size_t len)
{
	uintptr_t end = user_addr_limit();

	return addr <= end && len <= end - addr;
}

/*
 * stac/clac raise #UD on a CPU without SMAP, where the window is always open
 * anyway: both are nop sites, patched to NOPs at boot on such a CPU
 * (asm/alternative.h), so no branch is needed here.
 */
static inline void user_access_begin(void)
{
	stac();
}

static inline void user_access_end(void)
{
	clac();
}

/*
 * Copy @len bytes between a user and a kernel buffer (either direction: the
 * caller has checked the user side with access_ok()). Returns the number of
 * bytes not copied: 0, or what was left when an unservable fault stopped the
 * copy.
 */
static size_t raw_copy_user(void *dst, const void *src, size_t len)
{
	user_access_begin();
	__asm__ volatile("1:	rep movsb\n"
			 "2:\n"
			 ASM_EXTABLE(1b, 2b)
			 : "+c"(len), "+D"(dst), "+S"(src)
			 :
			 : "memory");
	user_access_end();
	return len;
}

/* Zero @len user bytes at checked @udst; returns the bytes not cleared. */
static size_t raw_clear_user(void *udst, size_t len)
{
	user_access_begin();
	__asm__ volatile("1:	rep stosb\n"
			 "2:\n"
			 ASM_EXTABLE(1b, 2b)
			 : "+c"(len), "+D"(udst)
			 : "a"(0)
			 : "memory");
	user_access_end();
	return len;
}

/*
 * Copy bytes from checked @usrc to @dst up to and including the first NUL,
 * at most @max bytes. Returns the string length (NUL excluded), @max when no
 * NUL was found in @max bytes, or -EFAULT when a read faulted.
 */
static long raw_strncpy_user(char *dst, const char *usrc, size_t max)
{
	long n = 0;

	user_access_begin();
	__asm__ volatile("0:	cmp %[max], %[n]\n"
			 "	je 3f\n"
			 "1:	movb (%[src], %[n]), %%al\n"
			 "	movb %%al, (%[dst], %[n])\n"
			 "	test %%al, %%al\n"
			 "	jz 3f\n"
			 "	inc %[n]\n"
			 "	jmp 0b\n"
			 "	.pushsection .text.fixup, \"ax\"\n"
			 "2:	mov %[efault], %[n]\n"
			 "	jmp 3f\n"
			 "	.popsection\n"
			 "3:\n"
			 ASM_EXTABLE(1b, 2b)
			 : [n] "+r"(n)
			 : [src] "r"(usrc), [dst] "r"(dst), [max] "r"(max),
			   [efault] "i"(-EFAULT)
			 : "rax", "memory", "cc");
	user_access_end();
	return n;
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	size_t left;

	if (!len)
		return 0;
	might_fault();
	if (!access_ok((uintptr_t)usrc, len)) {
		memset(dst, 0, len);
		return -EFAULT;
	}
	left = raw_copy_user(dst, usrc, len);
	if (!left)
		return 0;
	/* As Linux: never leave stale kernel bytes in the tail. */
	memset((u8 *)dst + (len - left), 0, left);
	return -EFAULT;
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	if (!len)
		return 0;
	might_fault();
	if (!access_ok((uintptr_t)udst, len))
		return -EFAULT;
	return raw_copy_user(udst, src, len) ? -EFAULT : 0;
}

int clear_user(void *udst, size_t len)
{
	if (!len)
		return 0;
	might_fault();
	if (!access_ok((uintptr_t)udst, len))
		return -EFAULT;
	return raw_clear_user(udst, len) ? -EFAULT : 0;
}

/*
 * The string may end anywhere before @max, so only its first byte must be in
 * user space; the scan is capped at the end of user space, and running into
 * that cap without a NUL is -EFAULT (the next byte is not user memory),
 * whereas reaching @max without a NUL is -ENAMETOOLONG.
 */
long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
	uintptr_t src = (uintptr_t)usrc, end = user_addr_limit();
	size_t limit;
	long n;

	if (!max)
		return -ENAMETOOLONG;
	might_fault();
	if (src >= end)
		return -EFAULT;
	limit = MIN(max, end - src);
	n = raw_strncpy_user(dst, usrc, limit);
	if (n < 0)
		return n;
	if ((size_t)n < limit)
		return n;
	return limit < max ? -EFAULT : -ENAMETOOLONG;
}
