/*
 * exec of static ELF programs from the initrd (execve and the kernel's own
 * spawn_user(), which starts the first process, init, and pagoda-run's program).
 *
 * exec_load() builds the new address space completely before it touches
 * the caller: check the image (kernel/exec_elf.c), mm_create, map every
 * PT_LOAD as private anonymous memory and copy the file bytes in through
 * access_remote_vm (no page cache yet, so segments are copied at exec),
 * the [stack] VMA and the System V initial stack. Only then does it swap
 * the task's mm; any failure before that frees the new mm and leaves the
 * task as it was.
 *
 * User layout (as Linux without randomisation, docs/memory-layout.md):
 *   program at its link address (static PIE: ELF_ET_DYN_BASE),
 *   heap from the page after the highest segment (brk),
 *   mmap area top-down from mmap_base (mm/mmap.c),
 *   stack just below DEFAULT_MAP_WINDOW, growing down to RLIMIT_STACK.
 */
#include <pagoda/exec.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/printk.h>
#include <pagoda/signal.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/completion.h>
#include <asm/cpu.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pmm.h>
#include <mm/slab.h>

#define STACK_TOP	DEFAULT_MAP_WINDOW
#define CLOCKS_PER_SEC_USER	100		/* AT_CLKTCK: USER_HZ */

/* Segments must end below the lowest the stack may grow to, and its gap. */
static uintptr_t exec_segment_limit(void)
{
	return STACK_TOP - RLIMIT_STACK_DEFAULT - STACK_GUARD_GAP;
}

static int prot_of(u32 p_flags)
{
	return (p_flags & PF_R ? PROT_READ : 0) | (p_flags & PF_W ? PROT_WRITE : 0) |
	       (p_flags & PF_X ? PROT_EXEC : 0);
}

/*
 * Map and fill every PT_LOAD: all of them writable first (two segments may
 * share a page, and the copy writes through the user mapping), then each
 * gets its own protection. The bss needs no clearing: anonymous memory
 * starts zeroed.
 */
static int map_segments(struct mm_struct *mm, const struct elf_user_image *im,
			const u8 *file)
{
	long ret;

	for (unsigned int i = 0; i < im->phnum; i++) {
		const Elf64_Phdr *ph = &im->phdrs[i];
		uintptr_t start = ALIGN_DOWN(ph->p_vaddr + im->bias, PAGE_SIZE);
		uintptr_t end = ALIGN_UP(ph->p_vaddr + im->bias + ph->p_memsz, PAGE_SIZE);

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		ret = mm_mmap(mm, start, end - start, PROT_READ | PROT_WRITE,
			      MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		if (ret < 0)
			return (int)ret;
	}
	for (unsigned int i = 0; i < im->phnum; i++) {
		const Elf64_Phdr *ph = &im->phdrs[i];

		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		if (access_remote_vm(mm, ph->p_vaddr + im->bias, (void *)(file + ph->p_offset),
				     ph->p_filesz, true))
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < im->phnum; i++) {
		const Elf64_Phdr *ph = &im->phdrs[i];
		uintptr_t start = ALIGN_DOWN(ph->p_vaddr + im->bias, PAGE_SIZE);
		uintptr_t end = ALIGN_UP(ph->p_vaddr + im->bias + ph->p_memsz, PAGE_SIZE);

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		ret = mm_mprotect(mm, start, end - start, prot_of(ph->p_flags));
		if (ret < 0)
			return (int)ret;
	}
	return 0;
}

/* The [stack] VMA: EXEC_STACK_INIT bytes below STACK_TOP, growing down. */
static int map_stack(struct mm_struct *mm, bool exec_stack)
{
	int prot = PROT_READ | PROT_WRITE | (exec_stack ? PROT_EXEC : 0);
	struct vm_area_struct *vma;
	long ret;

	ret = mm_mmap(mm, STACK_TOP - EXEC_STACK_INIT, EXEC_STACK_INIT, prot,
		      MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, NULL, 0);
	if (ret < 0)
		return (int)ret;
	vma = vma_lookup(mm, STACK_TOP - 1);
	if (!vma)
		return -ENOMEM;
	vma->vm_flags |= VM_GROWSDOWN;
	vma->vm_name = "[stack]";
	return 0;
}

/*
 * AT_RANDOM's bytes (libc seeds its stack protector canary from them).
 * The TSC mixed through splitmix64: unpredictable enough for a canary
 * here, not a cryptographic source.
 */
static void exec_random(u8 out[16])
{
	static u64 state;

	for (int i = 0; i < 2; i++) {
		u64 z = (state += 0x9e3779b97f4a7c15ULL ^ rdtsc());

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(out + 8 * i, &z, 8);
	}
}

static u64 hwcap(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return d;			/* AT_HWCAP on x86: CPUID.1:EDX */
}

/* Build the initial stack in a scratch buffer and copy it into @mm. */
static int setup_stack(struct mm_struct *mm, const struct elf_user_image *im,
		       const char *path, const char *const *argv, const char *const *envp,
		       uintptr_t *sp)
{
	const u64 aux[][2] = {
		{ AT_HWCAP, hwcap() }, { AT_PAGESZ, PAGE_SIZE },
		{ AT_CLKTCK, CLOCKS_PER_SEC_USER }, { AT_PHDR, im->phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) }, { AT_PHNUM, im->phnum },
		{ AT_BASE, 0 }, { AT_FLAGS, 0 }, { AT_ENTRY, im->entry },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
		{ AT_SECURE, 0 },
	};
	struct exec_stack_layout l;
	u8 random[16];
	u8 *buf = kmalloc(EXEC_ARG_MAX, GFP_KERNEL);
	long used;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	exec_random(random);
	used = exec_build_stack(buf, EXEC_ARG_MAX, STACK_TOP, argv, envp, path, random,
				aux, ARRAY_SIZE(aux), &l);
	if (used < 0) {
		err = (int)used;
		goto out;
	}
	if (access_remote_vm(mm, l.sp, buf + EXEC_ARG_MAX - used, (size_t)used, true)) {
		err = -ENOMEM;
		goto out;
	}
	mm->start_stack = l.sp;
	mm->arg_start = l.arg_start;
	mm->arg_end = l.arg_end;
	mm->env_start = l.env_start;
	mm->env_end = l.env_end;
	*sp = l.sp;
out:
	kfree(buf);
	return err;
}

/* The largest program exec reads (it is read whole, then copied into place). */
#define EXEC_FILE_MAX	(64UL << 20)

/*
 * Find @path, check that it may be executed (-ENOENT, -ENOTDIR, -ELOOP,
 * -EACCES: not a regular file or no execute bit) and read it whole.
 * Returns its size (*data to kernel_free_file) or -errno.
 */
static long exec_read(const char *path, void **data)
{
	struct path p;
	struct inode *inode;
	long err = kern_path(path, LOOKUP_FOLLOW, &p);

	if (err)
		return err;
	inode = p.dentry->d_inode;
	if (!S_ISREG(inode->i_mode) || !(inode->i_mode & 0111))
		err = -EACCES;
	path_put(&p);
	if (err)
		return err;
	return kernel_read_file(path, data, EXEC_FILE_MAX);
}

/* Replace the current task's address space with @mm (preemption off). */
static void exec_install(struct mm_struct *mm, const char *path)
{
	struct task *t = current;
	struct mm_struct *old;
	const char *base = path;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1])
			base = p + 1;
	preempt_disable();
	old = t->mm;
	t->mm = mm;
	arch_activate_mm(t);
	preempt_enable();
	if (old)
		mm_put(old);
	memset(t->comm, 0, sizeof(t->comm));
	strncpy(t->comm, base, TASK_COMM_LEN - 1);
	t->fs_base = 0;
	t->gs_base = 0;
	signal_state_exec(&t->sig);
	if (t->files)
		for (int fd = 0; fd < NR_OPEN_MAX; fd++)
			if (fd_get(t->files, fd) && fd_get_cloexec(t->files, fd))
				fd_close(t->files, fd);
}

int exec_load(const char *path, const char *const *argv, const char *const *envp,
	      uintptr_t *entry, uintptr_t *stack)
{
	struct elf_user_image im;
	struct mm_struct *mm;
	const char *why;
	void *data;
	long size;
	int err;

	size = exec_read(path, &data);
	if (size < 0)
		return (int)size;
	err = elf_user_check(data, (size_t)size, ELF_ET_DYN_BASE, exec_segment_limit(), &im, &why);
	if (err) {
		printk("exec: %s: %s\n", path, why);
		kernel_free_file(data, (size_t)size);
		return err;
	}
	mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	if (!mm) {
		kernel_free_file(data, (size_t)size);
		return -ENOMEM;
	}
	err = map_segments(mm, &im, data);
	if (!err)
		err = map_stack(mm, im.exec_stack);
	if (!err)
		err = setup_stack(mm, &im, path, argv, envp, stack);
	kernel_free_file(data, (size_t)size);	/* im's pointers into it end here */
	if (err) {
		mm_put(mm);
		return err;
	}
	mm->start_code = im.start_code;
	mm->end_code = im.end_code;
	mm->start_data = im.start_data;
	mm->end_data = im.end_data;
	mm->start_brk = mm->brk = im.brk;
	mm->stack_limit = RLIMIT_STACK_DEFAULT;
	exec_install(mm, path);
	*entry = im.entry;
	return 0;
}

/* ---- spawn_user ---- */

/*
 * Hand-over between spawn_user() and the new task. The child reports its
 * exec result through @result and wakes @parent; after that it never
 * touches the struct again, and the parent frees it.
 */
struct spawn_req {
	char *path;
	char **argv, **envp;
	int result;
	struct completion done;		/* the child set result */
};

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		kfree(v[i]);
	kfree(v);
}

static char *kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kmalloc(n, GFP_KERNEL);

	if (d)
		memcpy(d, s, n);
	return d;
}

static char **dup_strv(const char *const *v)
{
	size_t n = 0;
	char **d;

	while (v && v[n])
		n++;
	d = kzalloc((n + 1) * sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		d[i] = kstrdup(v[i]);
		if (!d[i]) {
			free_strv(d);
			return NULL;
		}
	}
	return d;
}

static void spawn_req_free(struct spawn_req *req)
{
	kfree(req->path);
	free_strv(req->argv);
	free_strv(req->envp);
	kfree(req);
}

/* The new task: descriptors on the console, exec, then user mode. */
static int spawn_thread(void *arg)
{
	struct spawn_req *req = arg;
	uintptr_t entry, stack;
	int err = -ENOMEM;

	current->files = files_create_console();
	if (current->files)
		err = exec_load(req->path, (const char *const *)req->argv,
				(const char *const *)req->envp, &entry, &stack);
	if (err)
		printk("spawn: cannot exec %s: error %d\n", req->path, err);
	req->result = err;
	complete(&req->done);		/* req may be gone from here on */
	if (err)
		do_exit(127 << 8);
	arch_enter_user(entry, stack);
}

int spawn_user(const char *path, const char *const *argv, const char *const *envp)
{
	struct spawn_req *req = kzalloc(sizeof(*req), GFP_KERNEL);
	struct task *t;
	int pid, err;

	if (!req)
		return -ENOMEM;
	req->path = kstrdup(path);
	req->argv = dup_strv(argv);
	req->envp = dup_strv(envp);
	if (!req->path || !req->argv || !req->envp) {
		spawn_req_free(req);
		return -ENOMEM;
	}
	init_completion(&req->done);
	t = kernel_thread(path, spawn_thread, req);
	if (!t) {
		spawn_req_free(req);
		return -ENOMEM;
	}
	pid = t->pid;
	wait_for_completion(&req->done);
	err = req->result;
	spawn_req_free(req);
	if (err) {
		task_wait(pid, NULL);	/* reap the child that could not exec */
		return err;
	}
	return pid;
}
