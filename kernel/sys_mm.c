/*
 * The memory-management system calls: argument conversion only. The
 * semantics (placement, splitting, Linux's error codes) live in mm/mmap.c,
 * where the host tests check them.
 */
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <mm/mm.h>

SYSCALL_DEFINE(__NR_mmap, mmap)
{
	int flags = (int)a3;
	struct file *file = NULL;

	if (a5 & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		file = fd_get(current->files, (int)a4);
		if (!file)
			return -EBADF;
	}
	return mm_mmap(current->mm, a0, a1, (int)a2, flags, file, a5 >> PAGE_SHIFT);
}

SYSCALL_DEFINE(__NR_munmap, munmap)
{
	return mm_munmap(current->mm, a0, a1);
}

SYSCALL_DEFINE(__NR_mprotect, mprotect)
{
	return mm_mprotect(current->mm, a0, a1, (int)a2);
}

SYSCALL_DEFINE(__NR_brk, brk)
{
	return mm_brk(current->mm, a0);
}

SYSCALL_DEFINE(__NR_mremap, mremap)
{
	return mm_mremap(current->mm, a0, a1, a2, (int)a3, a4);
}

SYSCALL_DEFINE(__NR_madvise, madvise)
{
	return mm_madvise(current->mm, a0, a1, (int)a2);
}
