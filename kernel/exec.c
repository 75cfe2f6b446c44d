/*
 * exec of static ELF programs from any file system (execve and the kernel's
 * own spawn_user(), which starts the first process, init, and pagoda-run's
 * program).
 *
 * exec_load() builds the new address space completely before it touches
 * the caller: open the file and deny writes to it (ETXTBSY both ways, as
 * Linux's deny_write_access), read and check its ELF and program headers
 * (kernel/exec_elf.c), mm_create, map every PT_LOAD as a private mapping
 * of the file (demand paging from the page cache: nothing is read or
 * copied at exec but the headers and the one partial bss page), the
 * [stack] VMA and the System V initial stack. Only then does it swap the
 * task's mm, which keeps the file as its exe_file; any failure before that
 * frees the new mm, gives the file back and leaves the task as it was.
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

/* What padzero stores: the rest of a segment's last file page. */
static const u8 exec_zeros[PAGE_SIZE];

/*
 * Linux's padzero(): zero [@addr, end of its page) through the user
 * mapping, as a store by the program would. In a private file mapping the
 * store is a write fault: the page is copied (COW) and the file's page in
 * the cache keeps its bytes. 0, or -EFAULT if the page cannot be written.
 */
static int pad_zero(struct mm_struct *mm, uintptr_t addr)
{
	size_t n = PAGE_SIZE - (addr & (PAGE_SIZE - 1));

	if (n == PAGE_SIZE)
		return 0;
	return access_remote_vm(mm, addr, (void *)exec_zeros, n, true) ? -EFAULT : 0;
}

/*
 * One PT_LOAD, as Linux's elf_load(): the pages that hold its file bytes
 * become a private mapping of @file at the congruent offset (demand paged
 * from the page cache: text is shared with every process running the
 * file, writable data is copied on the first store); if the segment is
 * writable and has a bss, the rest of its last file page is zeroed
 * (pad_zero: that one page is copied now); whole pages of bss after it are
 * anonymous memory, readable and writable (Linux maps them with brk's
 * flags, executable if the segment is).
 */
static int map_segment(struct mm_struct *mm, struct file *file, const Elf64_Phdr *ph,
		       uintptr_t bias)
{
	uintptr_t vaddr = ph->p_vaddr + bias, start = ALIGN_DOWN(vaddr, PAGE_SIZE);
	uintptr_t in_page = vaddr - start, zero_start = start;
	int prot = prot_of(ph->p_flags);
	long ret;

	if (ph->p_filesz) {
		/* p_offset and p_vaddr agree within a page (elf_check_phdrs) */
		ret = mm_mmap(mm, start, in_page + ph->p_filesz, prot, MAP_FIXED | MAP_PRIVATE,
			      file, (ph->p_offset - in_page) >> PAGE_SHIFT);
		if (ret < 0)
			return (int)ret;
		zero_start = vaddr + ph->p_filesz;
		/* Linux ignores padzero's failure on a segment that is not writable */
		if (ph->p_memsz > ph->p_filesz && (prot & PROT_WRITE) && pad_zero(mm, zero_start))
			return -EFAULT;
	}
	if (ph->p_memsz > ph->p_filesz) {
		uintptr_t bss = ALIGN_UP(zero_start, PAGE_SIZE);
		uintptr_t end = ALIGN_UP(vaddr + ph->p_memsz, PAGE_SIZE);

		if (end > bss) {
			ret = mm_mmap(mm, bss, end - bss,
				      PROT_READ | PROT_WRITE | (prot & PROT_EXEC),
				      MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
			if (ret < 0)
				return (int)ret;
		}
	}
	return 0;
}

/* Every PT_LOAD in file order (a later one may share a page with the one before: it wins). */
static int map_segments(struct mm_struct *mm, struct file *file,
			const struct elf_user_image *im)
{
	for (unsigned int i = 0; i < im->phnum; i++) {
		const Elf64_Phdr *ph = &im->phdrs[i];
		int err;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		err = map_segment(mm, file, ph, im->bias);
		if (err)
			return err;
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

/*
 * Open @path for exec, as Linux's do_open_execat: -ENOENT, -ENOTDIR,
 * -ELOOP..., -EACCES (not a regular file, or no execute bit), -ETXTBSY
 * (open for writing somewhere). The file comes back with its inode's
 * writes denied (deny_write_access), for the caller to hand to the new mm
 * or give back (exec_close).
 */
static struct file *exec_open(const char *path, long *err)
{
	struct file *f = NULL;
	struct inode *inode;
	struct path p;
	long e = kern_path(path, LOOKUP_FOLLOW, &p);

	if (e) {
		*err = e;
		return NULL;
	}
	inode = p.dentry->d_inode;
	if (!S_ISREG(inode->i_mode) || !(inode->i_mode & 0111))
		e = -EACCES;
	else
		f = file_open_path(&p, O_RDONLY, &e);
	path_put(&p);
	if (f) {
		e = deny_write_access(f->inode);
		if (e) {
			file_put(f);
			f = NULL;
		}
	}
	*err = e;
	return f;
}

static void exec_close(struct file *f)
{
	allow_write_access(f->inode);
	file_put(f);
}

/* @len bytes of @f at @pos into @buf: 0, -errno, or -EIO if the file ends first. */
static int read_exact(struct file *f, void *buf, size_t len, u64 pos)
{
	u8 *p = buf;

	while (len) {
		long n = kernel_read(f, p, len, &pos);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The ELF header and the program headers, as exec reads them. */
struct exec_headers {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[ELF_MAX_PHDR_BYTES / sizeof(Elf64_Phdr)];
};

/*
 * Read and check the headers of @f (Linux reads them, never the whole
 * file): 0 with *im filled (im->phdrs points into @h), -ENOEXEC (logged
 * with the reason), or a read error.
 */
static int exec_read_headers(struct file *f, const char *path, struct exec_headers *h,
			     struct elf_user_image *im)
{
	u64 size = (u64)i_size_read(f->inode);
	const char *why = NULL;
	int err;

	err = read_exact(f, &h->eh, MIN(size, sizeof(h->eh)), 0);
	if (!err)
		err = elf_check_ehdr(&h->eh, size, &why);
	if (!err)
		err = read_exact(f, h->ph, h->eh.e_phnum * sizeof(Elf64_Phdr), h->eh.e_phoff);
	if (!err)
		err = elf_check_phdrs(&h->eh, h->ph, size, ELF_ET_DYN_BASE, exec_segment_limit(),
				      im, &why);
	if (err == -ENOEXEC)
		printk("exec: %s: %s\n", path, why);
	return err;
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

/* The new address space: the program's segments, the stack and its contents. */
static int exec_build_mm(struct mm_struct *mm, struct file *file,
			 const struct elf_user_image *im, const char *path,
			 const char *const *argv, const char *const *envp, uintptr_t *stack)
{
	int err = map_segments(mm, file, im);

	if (!err)
		err = map_stack(mm, im->exec_stack);
	if (!err)
		err = setup_stack(mm, im, path, argv, envp, stack);
	return err;
}

int exec_load(const char *path, const char *const *argv, const char *const *envp,
	      uintptr_t *entry, uintptr_t *stack)
{
	struct exec_headers *h = NULL;
	struct mm_struct *mm = NULL;
	struct elf_user_image im;
	struct file *file;
	long lerr;
	int err;

	file = exec_open(path, &lerr);
	if (!file)
		return (int)lerr;
	h = kmalloc(sizeof(*h), GFP_KERNEL);
	err = h ? exec_read_headers(file, path, h, &im) : -ENOMEM;
	if (!err) {
		mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
		if (!mm)
			err = -ENOMEM;
	}
	if (!err)
		err = exec_build_mm(mm, file, &im, path, argv, envp, stack);
	kfree(h);				/* im.phdrs pointed into it */
	if (err) {
		if (mm)
			mm_put(mm);
		exec_close(file);
		return err;
	}
	mm->start_code = im.start_code;
	mm->end_code = im.end_code;
	mm->start_data = im.start_data;
	mm->end_data = im.end_data;
	mm->start_brk = mm->brk = im.brk;
	mm->stack_limit = RLIMIT_STACK_DEFAULT;
	mm_set_exe_file(mm, file);		/* its reference and write denial */
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
