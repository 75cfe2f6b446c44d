/*
 * execve(2): copy the file name, argv and envp out of the caller's memory,
 * build and install the new address space (exec_load, kernel/exec.c), then
 * turn the system call's own user registers into the new program's first
 * ones. On any error the caller is untouched and gets -errno; on success
 * the old address space is gone completely (exec_load frees it) and the
 * system call "returns" into the new program.
 *
 * exec_load also does the rest of Linux's exec-time work: comm becomes the
 * basename, caught signals go back to SIG_DFL, close-on-exec descriptors
 * close. Here: the registers (arch_setup_exec_regs: FS/GS bases 0, initial
 * FPU state), clear_child_tid dropped (it named the old memory), and a
 * vfork parent woken.
 *
 * Limits: the strings of argv and envp together (NULs included) at most
 * EXEC_ARG_MAX bytes, the same budget as the initial stack exec_load builds
 * them into, and at most EXECVE_MAX_STRINGS pointers per vector; beyond
 * either -E2BIG (Linux's limits are larger and depend on RLIMIT_STACK; the
 * error is the same). A NULL argv or envp is an empty vector, as Linux
 * accepts; an empty argv becomes { "" }, as Linux 5.18+ does, so that no
 * program starts with argc 0.
 */
#include <pagoda/syscall.h>
#include <pagoda/errno.h>
#include <pagoda/exec.h>
#include <pagoda/fs.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <mm/slab.h>

#define EXECVE_MAX_STRINGS	2048

/* Kernel copies of the arguments: strings packed into one buffer. */
struct exec_args {
	char *path;			/* PATH_MAX bytes */
	char *strings;			/* EXEC_ARG_MAX bytes */
	size_t used;			/* bytes of @strings taken */
	const char **argv, **envp;	/* EXECVE_MAX_STRINGS + 1 each */
};

static void exec_args_free(struct exec_args *a)
{
	kfree(a->path);
	kfree(a->strings);
	kfree(a->argv);
	kfree(a->envp);
}

static int exec_args_alloc(struct exec_args *a)
{
	size_t vec = (EXECVE_MAX_STRINGS + 1) * sizeof(char *);

	memset(a, 0, sizeof(*a));
	a->path = kmalloc(PATH_MAX, GFP_KERNEL);
	a->strings = kmalloc(EXEC_ARG_MAX, GFP_KERNEL);
	a->argv = kmalloc(vec, GFP_KERNEL);
	a->envp = kmalloc(vec, GFP_KERNEL);
	if (!a->path || !a->strings || !a->argv || !a->envp) {
		exec_args_free(a);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Copy the NULL-terminated user vector @uvec into @out (kernel pointers into
 * a->strings). 0, -EFAULT (a bad pointer anywhere), -E2BIG (too many strings
 * or bytes).
 */
static int copy_strings(struct exec_args *a, uintptr_t uvec, const char **out)
{
	size_t n = 0;

	for (; uvec; n++) {
		u64 uptr;
		long len;

		if (get_user_u64(uptr, uvec + n * sizeof(u64)))
			return -EFAULT;
		if (!uptr)
			break;
		if (n == EXECVE_MAX_STRINGS)
			return -E2BIG;
		len = strncpy_from_user(a->strings + a->used, (const char *)uptr,
					EXEC_ARG_MAX - a->used);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return (int)len;
		out[n] = a->strings + a->used;
		a->used += (size_t)len + 1;
	}
	out[n] = NULL;
	return 0;
}

/* The file name: -EFAULT, -ENAMETOOLONG, -ENOENT for "" (Linux). */
static int copy_path(struct exec_args *a, uintptr_t upath)
{
	long len = strncpy_from_user(a->path, (const char *)upath, PATH_MAX);

	if (len < 0)
		return (int)len;
	return len ? 0 : -ENOENT;
}

/* execve(path, argv, envp) */
SYSCALL_DEFINE(__NR_execve, execve)
{
	struct exec_args a;
	uintptr_t entry, stack;
	int err = exec_args_alloc(&a);

	if (err)
		return err;
	err = copy_path(&a, a0);
	if (!err)
		err = copy_strings(&a, a1, a.argv);
	if (!err && !a.argv[0]) {
		a.argv[0] = "";		/* Linux 5.18+: never start a program with argc 0 */
		a.argv[1] = NULL;
	}
	if (!err)
		err = copy_strings(&a, a2, a.envp);
	if (!err)
		err = exec_load(a.path, a.argv, a.envp, &entry, &stack);
	exec_args_free(&a);
	if (err)
		return err;
	current->clear_child_tid = 0;
	arch_setup_exec_regs(current_pt_regs(), entry, stack);
	task_vfork_done(current);
	return 0;
}
