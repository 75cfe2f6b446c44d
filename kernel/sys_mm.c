/*
 * The memory-management system calls: argument conversion only. The
 * semantics (placement, splitting, Linux's error codes) live in mm/mmap.c,
 * where the host tests check them.
 */
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/uaccess.h>
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

SYSCALL_DEFINE(__NR_msync, msync)
{
	return mm_msync(current->mm, a0, a1, (int)a2);
}

/*
 * mincore(addr, length, vec): the residency of each page, a chunk at a
 * time into a kernel buffer, then to the user's vector (EFAULT if it
 * cannot take it), as Linux does without holding mmap_lock over the copy.
 */
SYSCALL_DEFINE(__NR_mincore, mincore)
{
	static const size_t chunk = 512;
	uintptr_t addr = a0;
	size_t pages;
	u8 buf[512];

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (a1 > current->mm->task_size - MIN(addr, current->mm->task_size) ||
	    addr >= current->mm->task_size)
		return -ENOMEM;
	pages = (a1 + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (pages && !access_ok(a2, pages))
		return -EFAULT;
	for (size_t done = 0; done < pages;) {
		size_t n = MIN(pages - done, chunk);
		long err = mm_mincore(current->mm, addr + done * PAGE_SIZE, n, buf);

		if (err)
			return err;
		if (copy_to_user((u8 *)a2 + done, buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}
