/*
 * Kernel access to user memory (arch/x86_64/uaccess.c). Every access checks
 * the range against the current task's user space, opens the SMAP window
 * (stac/clac) only around the copy, and recovers from a fault through the
 * exception table: a fault that the fault path can serve (a not-yet-touched
 * page, a stack growth, copy-on-write) is served and the copy goes on; one it
 * cannot serve makes the call return -EFAULT. Never an oops.
 */
#ifndef PAGODA_UACCESS_H
#define PAGODA_UACCESS_H

#include <pagoda/types.h>

/* Is [addr, addr + len) inside user space (no wrap)? Does not check mapping. */
bool access_ok(uintptr_t addr, size_t len);

/*
 * The end of user space for access_ok(): USER_SPACE_END_L4 or _L5
 * (include/mm/layout.h) by the paging mode. Every address below it is
 * canonical.
 */
uintptr_t user_addr_limit(void);

/* 0 on success, -EFAULT if any byte could not be copied. */
int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);
int clear_user(void *udst, size_t len);

/*
 * Copy a NUL-terminated string of at most @max bytes (NUL included) into
 * @dst. Returns its length (without the NUL), -ENAMETOOLONG if no NUL within
 * @max, or -EFAULT.
 */
long strncpy_from_user(char *dst, const char *usrc, size_t max);

#define get_user_u64(dst, uptr)	copy_from_user(&(dst), (const void *)(uptr), 8)
#define put_user_u64(val, uptr)	({ u64 __v = (val); copy_to_user((void *)(uptr), &__v, 8); })

#endif
