/*
 * The pure halves of exec: checking a user ELF image and laying out the
 * initial process stack. No allocation, no address space, no arch header:
 * tests/host/test_elf_exec.c runs both on the host under ASan/UBSan.
 *
 * Every number in an ELF file is untrusted. Each one is checked before it
 * is used as an offset, a size or an address, with overflow-checked
 * arithmetic; a file that fails any check is -ENOEXEC, as Linux answers
 * execve(2) for a file it cannot run.
 */
#include <pagoda/exec.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/mm.h>

#define ELF_MAX_ALIGN		(1UL << 30)

static int reject(const char **why, const char *reason)
{
	*why = reason;
	return -ENOEXEC;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, const char **why)
{
	u64 ph_bytes, ph_end;

	if (eh->e_ident[0] != ELFMAG0 || eh->e_ident[1] != 'E' ||
	    eh->e_ident[2] != 'L' || eh->e_ident[3] != 'F')
		return reject(why, "bad ELF magic (not an ELF file)");
	if (eh->e_ident[4] != ELFCLASS64)
		return reject(why, "not a 64-bit ELF file");
	if (eh->e_ident[5] != ELFDATA2LSB)
		return reject(why, "not a little-endian ELF file");
	if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return reject(why, "unknown ELF version");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return reject(why, "not an executable (ET_EXEC or ET_DYN)");
	if (eh->e_machine != EM_X86_64)
		return reject(why, "not an x86-64 program");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return reject(why, "bad program header size or count");
	ph_bytes = (u64)eh->e_phnum * sizeof(Elf64_Phdr);
	if (ph_bytes > ELF_MAX_PHDR_BYTES)
		return reject(why, "too many program headers");
	if (__builtin_add_overflow(eh->e_phoff, ph_bytes, &ph_end) || ph_end > size ||
	    eh->e_phoff % 8)
		return reject(why, "program headers lie outside the file");
	return 0;
}

/* One PT_LOAD on its own: inside the file, sane sizes and alignment. */
static int check_load(const Elf64_Phdr *ph, size_t size, const char **why)
{
	u64 file_end, mem_end;

	if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &file_end) || file_end > size)
		return reject(why, "a segment's data lies outside the file (truncated?)");
	if (ph->p_filesz > ph->p_memsz)
		return reject(why, "a segment's file size exceeds its memory size");
	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &mem_end) ||
	    mem_end > (u64)INT64_MAX)
		return reject(why, "a segment's address range overflows");
	if (ph->p_align > 1 && (!is_power_of_2(ph->p_align) || ph->p_align > ELF_MAX_ALIGN))
		return reject(why, "a segment's alignment is not a sane power of two");
	if ((ph->p_vaddr ^ ph->p_offset) & (PAGE_SIZE - 1))
		return reject(why, "a segment's address and file offset disagree within a page");
	return 0;
}

/* Pass 1: every header on its own; the PT_LOADs in order and apart. */
static int scan_phdrs(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, size_t size,
		      u64 *lo, u64 *max_align, bool *exec_stack, const char **why)
{
	u64 prev_end = 0;
	int nload = 0, err;

	*max_align = PAGE_SIZE;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP)
			return reject(why, "needs a dynamic loader (PT_INTERP): only static programs run");
		if (ph[i].p_type == PT_GNU_STACK)
			*exec_stack = ph[i].p_flags & PF_X;
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		err = check_load(&ph[i], size, why);
		if (err)
			return err;
		if (nload && ph[i].p_vaddr < prev_end)
			return reject(why, "segments overlap or are out of order");
		if (!nload)
			*lo = ph[i].p_vaddr;
		if (ph[i].p_align > *max_align)
			*max_align = ph[i].p_align;
		prev_end = ph[i].p_vaddr + ph[i].p_memsz;
		nload++;
	}
	if (!nload)
		return reject(why, "no loadable segment");
	return 0;
}

/* AT_PHDR: PT_PHDR, else the segment holding e_phoff, else Linux's guess. */
static uintptr_t find_phdr_addr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, u64 bias)
{
	u64 ph_bytes = (u64)eh->e_phnum * sizeof(Elf64_Phdr);
	const Elf64_Phdr *first = NULL;

	for (unsigned int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			return ph[i].p_vaddr + bias;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (!first)
			first = &ph[i];
		if (ph[i].p_offset <= eh->e_phoff &&
		    eh->e_phoff + ph_bytes <= ph[i].p_offset + ph[i].p_filesz)
			return ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset) + bias;
	}
	return first->p_vaddr - first->p_offset + eh->e_phoff + bias;
}

/* Pass 2, biased: inside user space, the entry executable, the mm bounds. */
static int place_segments(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, u64 bias,
			  u64 limit, struct elf_user_image *img, const char **why)
{
	u64 entry = eh->e_entry + bias, brk = 0;
	bool entry_ok = false;

	img->start_code = UINTPTR_MAX;
	img->end_code = img->start_data = img->end_data = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		u64 start, end;

		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (__builtin_add_overflow(ph[i].p_vaddr, bias, &start) ||
		    __builtin_add_overflow(start, ph[i].p_memsz, &end) ||
		    ALIGN_DOWN(start, PAGE_SIZE) < MMAP_MIN_ADDR ||
		    ALIGN_UP(end, PAGE_SIZE) > limit || end < start)
			return reject(why, "a segment lies outside user space");
		if ((ph[i].p_flags & PF_X) && entry >= start && entry < end)
			entry_ok = true;
		if ((ph[i].p_flags & PF_X) && start < img->start_code)
			img->start_code = start;
		if ((ph[i].p_flags & PF_X) && start + ph[i].p_filesz > img->end_code)
			img->end_code = start + ph[i].p_filesz;
		if (start > img->start_data)
			img->start_data = start;
		if (start + ph[i].p_filesz > img->end_data)
			img->end_data = start + ph[i].p_filesz;
		if (end > brk)
			brk = end;
	}
	if (!entry_ok)
		return reject(why, "the entry point is not inside an executable segment");
	if (img->start_code == UINTPTR_MAX)
		img->start_code = img->end_code = 0;
	img->brk = ALIGN_UP(brk, PAGE_SIZE);
	return 0;
}

int elf_check_ehdr(const Elf64_Ehdr *eh, u64 file_size, const char **why)
{
	if (file_size < sizeof(*eh))
		return reject(why, "file too small for an ELF header");
	return check_header(eh, file_size, why);
}

int elf_check_phdrs(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, u64 file_size,
		    uintptr_t dyn_base, uintptr_t limit, struct elf_user_image *img,
		    const char **why)
{
	u64 lo = 0, align, bias = 0;
	int err;

	memset(img, 0, sizeof(*img));
	err = scan_phdrs(eh, ph, file_size, &lo, &align, &img->exec_stack, why);
	if (err)
		return err;
	if (eh->e_type == ET_DYN) {
		/* Linux: ELF_ET_DYN_BASE aligned to the largest p_align, less the first vaddr */
		bias = ALIGN_DOWN((u64)dyn_base, align) - ALIGN_DOWN(lo, PAGE_SIZE);
	}
	err = place_segments(eh, ph, bias, limit, img, why);
	if (err)
		return err;
	img->bias = bias;
	img->entry = eh->e_entry + bias;
	img->phdr = find_phdr_addr(eh, ph, bias);
	img->phnum = eh->e_phnum;
	img->phdrs = ph;
	return 0;
}

int elf_user_check(const void *image, size_t size, uintptr_t dyn_base, uintptr_t limit,
		   struct elf_user_image *img, const char **why)
{
	const Elf64_Ehdr *eh = image;
	int err;

	memset(img, 0, sizeof(*img));
	err = elf_check_ehdr(eh, size, why);
	if (err)
		return err;
	return elf_check_phdrs(eh, (const Elf64_Phdr *)((const u8 *)image + eh->e_phoff), size,
			       dyn_base, limit, img, why);
}

/* ---- the initial stack ---- */

struct stack_writer {
	u8 *buf;
	uintptr_t base;			/* user address of buf[0] */
	uintptr_t floor;		/* nothing is placed below this */
	uintptr_t p;			/* next free byte is below p */
};

/* Reserve @n bytes below sw->p; false if they do not fit above the floor. */
static bool sw_reserve(struct stack_writer *sw, size_t n)
{
	if (sw->p - sw->floor < n)
		return false;
	sw->p -= n;
	return true;
}

static bool sw_string(struct stack_writer *sw, const char *s, uintptr_t *where)
{
	size_t n = strlen(s) + 1;

	if (!sw_reserve(sw, n))
		return false;
	memcpy(sw->buf + (sw->p - sw->base), s, n);
	*where = sw->p;
	return true;
}

static size_t count(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Strings of @v placed in order upwards ending at sw->p; addresses into @addr. */
static bool sw_strings(struct stack_writer *sw, const char *const *v, size_t n,
		       uintptr_t *addr)
{
	for (size_t i = n; i-- > 0;)
		if (!sw_string(sw, v[i], &addr[i]))
			return false;
	return true;
}

static void put_word(struct stack_writer *sw, uintptr_t *at, u64 v)
{
	memcpy(sw->buf + (*at - sw->base), &v, sizeof(v));
	*at += sizeof(v);
}

/*
 * The string addresses are collected in the bottom of @buf (the floor keeps
 * the layout above them), then the vectors are written from the final sp up.
 */
long exec_build_stack(u8 *buf, size_t len, uintptr_t top, const char *const *argv,
		      const char *const *envp, const char *execfn, const u8 random[16],
		      const u64 (*aux)[2], size_t naux, struct exec_stack_layout *out)
{
	struct stack_writer sw = { .buf = buf, .base = top - len, .p = top };
	size_t argc = count(argv), envc = count(envp), words;
	uintptr_t *addr = (uintptr_t *)(void *)buf, at;

	if ((argc + envc) * sizeof(uintptr_t) > len)
		return -E2BIG;
	sw.floor = sw.base + (argc + envc) * sizeof(uintptr_t);
	if (!sw_reserve(&sw, sizeof(u64)))		/* a zero word at the very top */
		return -E2BIG;
	memset(buf + (sw.p - sw.base), 0, sizeof(u64));
	if (!sw_string(&sw, execfn, &out->execfn))
		return -E2BIG;
	out->env_end = sw.p;
	if (!sw_strings(&sw, envp, envc, addr + argc))
		return -E2BIG;
	out->env_start = out->arg_end = sw.p;
	if (!sw_strings(&sw, argv, argc, addr))
		return -E2BIG;
	out->arg_start = sw.p;
	if (!sw_reserve(&sw, 16 + (sw.p & 15)))		/* AT_RANDOM, 16-aligned */
		return -E2BIG;
	memcpy(buf + (sw.p - sw.base), random, 16);
	out->random = sw.p;

	words = 1 + argc + 1 + envc + 1 + 2 * (naux + 3);
	if (words > (sw.p - sw.floor) / sizeof(u64))
		return -E2BIG;
	at = ALIGN_DOWN(sw.p - words * sizeof(u64), 16);
	if (at < sw.floor)
		return -E2BIG;
	out->sp = at;
	put_word(&sw, &at, argc);
	for (size_t i = 0; i < argc; i++)
		put_word(&sw, &at, addr[i]);
	put_word(&sw, &at, 0);
	for (size_t i = 0; i < envc; i++)
		put_word(&sw, &at, addr[argc + i]);
	put_word(&sw, &at, 0);
	for (size_t i = 0; i < naux; i++) {
		put_word(&sw, &at, aux[i][0]);
		put_word(&sw, &at, aux[i][1]);
	}
	put_word(&sw, &at, AT_RANDOM);
	put_word(&sw, &at, out->random);
	put_word(&sw, &at, AT_EXECFN);
	put_word(&sw, &at, out->execfn);
	put_word(&sw, &at, AT_NULL);
	put_word(&sw, &at, 0);
	return (long)(top - out->sp);
}
