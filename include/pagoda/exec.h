/*
 * Loading user programs (kernel/exec.c): static ELF, ET_EXEC or static-PIE
 * (ET_DYN without PT_INTERP), from the in-memory file system.
 */
#ifndef PAGODA_EXEC_H
#define PAGODA_EXEC_H

#include <pagoda/types.h>

struct task;
struct mm_struct;

/*
 * Build a new address space for @path with the System V initial stack
 * (argc, argv, envp, auxv with AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ,
 * AT_ENTRY, AT_RANDOM, AT_BASE, AT_UID..., AT_EXECFN), then install it in
 * the current task, replacing the old one, and set *entry / *stack for the
 * return to user mode. On any error the current task is left untouched:
 * -ENOENT, -EACCES, -ENOEXEC (malformed ELF), -ENOMEM, -E2BIG, -EFAULT.
 * @argv and @envp are kernel arrays of kernel strings, NULL terminated.
 */
int exec_load(const char *path, const char *const *argv, const char *const *envp,
	      uintptr_t *entry, uintptr_t *stack);

/*
 * Start @path as a new process, child of the current task: the kernel's own
 * spawn, used by the in-kernel test init until fork/exec arrive. Returns the
 * pid or -errno.
 */
int spawn_user(const char *path, const char *const *argv, const char *const *envp);

#endif
