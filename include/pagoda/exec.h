/*
 * Loading user programs (kernel/exec.c): static ELF, ET_EXEC or static-PIE
 * (ET_DYN without PT_INTERP), mapped from the file's page cache.
 */
#ifndef PAGODA_EXEC_H
#define PAGODA_EXEC_H

#include <pagoda/types.h>
#include <pagoda/elf.h>

struct task;
struct mm_struct;

/* Auxiliary vector entry types (Linux include/uapi/linux/auxvec.h). */
#define AT_NULL		0
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_BASE		7
#define AT_FLAGS	8
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_HWCAP	16
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_EXECFN	31

/*
 * Where a static PIE (ET_DYN without PT_INTERP) is loaded: Linux's
 * ELF_ET_DYN_BASE without randomisation, 2/3 of the 47-bit window.
 */
#define ELF_ET_DYN_BASE	0x555555554000UL

/* Bytes of the initial stack's argument block (strings, vectors, auxv) at most. */
#define EXEC_ARG_MAX	(64UL << 10)
/* The stack VMA exec creates below the stack top; it grows on faults. */
#define EXEC_STACK_INIT	(128UL << 10)

/* What elf_user_check() learned about a valid image (addresses biased). */
struct elf_user_image {
	uintptr_t bias;			/* added to every p_vaddr (ET_DYN) */
	uintptr_t entry;
	uintptr_t phdr;			/* AT_PHDR: the program headers in memory */
	unsigned int phnum;
	const Elf64_Phdr *phdrs;	/* inside the file */
	uintptr_t start_code, end_code, start_data, end_data;
	uintptr_t brk;			/* end of the highest segment, page aligned */
	bool exec_stack;		/* PT_GNU_STACK asks for PF_X */
};

/*
 * Validate a user program image of @size bytes (kernel/exec_elf.c,
 * host-testable) for exec: ELF64, little endian, x86-64, ET_EXEC or ET_DYN
 * without PT_INTERP, program headers inside the file, every PT_LOAD inside
 * the file and, once biased (ET_DYN goes to @dyn_base), inside
 * [MMAP_MIN_ADDR, @limit), in ascending order without overlap, with sane
 * sizes and alignment, and the entry inside an executable segment.
 * Returns 0 with *img filled, or -ENOEXEC with *why set to a reason.
 * Never reads outside [image, image + size).
 */
int elf_user_check(const void *image, size_t size, uintptr_t dyn_base, uintptr_t limit,
		   struct elf_user_image *img, const char **why);

/* The program headers' bytes at most (Linux: ELF_MIN_ALIGN). */
#define ELF_MAX_PHDR_BYTES	4096

/*
 * elf_user_check() in the two steps exec takes, reading only the headers
 * of a file of @file_size bytes: elf_check_ehdr() checks the ELF header
 * (which says where the program headers are: e_phoff, e_phnum *
 * sizeof(Elf64_Phdr) <= ELF_MAX_PHDR_BYTES bytes inside the file); then
 * elf_check_phdrs() checks those program headers, read by the caller, and
 * fills *img (img->phdrs points into @ph). 0 or -ENOEXEC with *why set.
 */
int elf_check_ehdr(const Elf64_Ehdr *eh, u64 file_size, const char **why);
int elf_check_phdrs(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, u64 file_size,
		    uintptr_t dyn_base, uintptr_t limit, struct elf_user_image *img,
		    const char **why);

/* Where exec_build_stack() put things (for mm->arg_start etc.). */
struct exec_stack_layout {
	uintptr_t sp;			/* argc is here: the process's first rsp */
	uintptr_t arg_start, arg_end, env_start, env_end;
	uintptr_t random;		/* AT_RANDOM's 16 bytes */
	uintptr_t execfn;		/* AT_EXECFN's string */
};

/*
 * Lay out the System V initial process stack in @buf, which stands for the
 * user addresses [top - len, top): argc, argv[], NULL, envp[], NULL, the
 * auxiliary vector (@aux: @naux type/value pairs, then AT_RANDOM,
 * AT_EXECFN and AT_NULL, which this adds), padding, the 16 random bytes,
 * then the argument and environment strings and @execfn at the top. The
 * final sp is 16-byte aligned as the x86-64 ABI requires at process entry.
 * Returns the bytes used from the top, or -E2BIG if they exceed @len.
 * Host-testable (kernel/exec_elf.c).
 */
long exec_build_stack(u8 *buf, size_t len, uintptr_t top, const char *const *argv,
		      const char *const *envp, const char *execfn, const u8 random[16],
		      const u64 (*aux)[2], size_t naux, struct exec_stack_layout *out);

/*
 * Build a new address space for @path with the System V initial stack
 * (argc, argv, envp, auxv with AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ,
 * AT_ENTRY, AT_RANDOM, AT_BASE, AT_UID..., AT_EXECFN), then install it in
 * the current task, replacing the old one, and set *entry / *stack for the
 * return to user mode. The program's segments are private mappings of
 * its file (demand paged from the page cache), and the new mm keeps the
 * file as its exe_file, its writes denied. On any error the current task
 * is left untouched: -ENOENT, -EACCES, -ETXTBSY (open for writing),
 * -ENOEXEC (malformed ELF), -ENOMEM, -E2BIG, -EFAULT.
 * @argv and @envp are kernel arrays of kernel strings, NULL terminated.
 */
int exec_load(const char *path, const char *const *argv, const char *const *envp,
	      uintptr_t *entry, uintptr_t *stack);

/*
 * Start @path as a new process, child of the current task: the kernel's own
 * spawn, which starts the first user process (kernel/uinit.c); every later
 * one is forked. Returns the pid or -errno.
 */
int spawn_user(const char *path, const char *const *argv, const char *const *envp);

#endif
