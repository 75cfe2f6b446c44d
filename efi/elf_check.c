#include "elf_check.h"
#include <pagoda/elf.h>

#define PAGE	4096ULL

static int add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

static enum kelf_error check_header(const Elf64_Ehdr *eh, uint64_t size)
{
	uint64_t ph_bytes, ph_end;

	if (eh->e_ident[0] != ELFMAG0 || eh->e_ident[1] != 'E' ||
	    eh->e_ident[2] != 'L' || eh->e_ident[3] != 'F')
		return KELF_BAD_MAGIC;
	if (eh->e_ident[4] != ELFCLASS64)
		return KELF_BAD_CLASS;
	if (eh->e_ident[5] != ELFDATA2LSB)
		return KELF_BAD_DATA;
	if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return KELF_BAD_VERSION;
	if (eh->e_type != ET_EXEC)
		return KELF_BAD_TYPE;
	if (eh->e_machine != EM_X86_64)
		return KELF_BAD_MACHINE;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return KELF_BAD_PHDRS;
	ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (add_overflows(eh->e_phoff, ph_bytes, &ph_end) || ph_end > size ||
	    eh->e_phoff % 8)
		return KELF_BAD_PHDRS;
	return KELF_OK;
}

static enum kelf_error check_segment(const Elf64_Phdr *ph, uint64_t size,
				     uint64_t window_lo, uint64_t window_hi)
{
	uint64_t file_end, mem_end;

	if (add_overflows(ph->p_offset, ph->p_filesz, &file_end) || file_end > size)
		return KELF_SEG_OUT_OF_FILE;
	if (ph->p_filesz > ph->p_memsz ||
	    add_overflows(ph->p_vaddr, ph->p_memsz, &mem_end))
		return KELF_SEG_BAD_SIZE;
	if (ph->p_vaddr < window_lo || mem_end > window_hi)
		return KELF_SEG_BAD_ADDR;
	return KELF_OK;
}

/* Two PT_LOAD segments must not share a page: each gets its own protection. */
static int segments_overlap(const Elf64_Phdr *a, const Elf64_Phdr *b)
{
	uint64_t a_lo = a->p_vaddr & ~(PAGE - 1);
	uint64_t a_hi = (a->p_vaddr + a->p_memsz + PAGE - 1) & ~(PAGE - 1);
	uint64_t b_lo = b->p_vaddr & ~(PAGE - 1);
	uint64_t b_hi = (b->p_vaddr + b->p_memsz + PAGE - 1) & ~(PAGE - 1);

	return a_lo < b_hi && b_lo < a_hi;
}

enum kelf_error kelf_check(const void *image, uint64_t size, uint64_t window_lo,
			   uint64_t window_hi, uint64_t max_span,
			   struct kelf_span *span)
{
	const Elf64_Ehdr *eh = image;
	const Elf64_Phdr *ph;
	uint64_t lo = UINT64_MAX, hi = 0;
	int nload = 0, entry_ok = 0;
	enum kelf_error err;

	if (size < sizeof(*eh))
		return KELF_TOO_SMALL;
	err = check_header(eh, size);
	if (err)
		return err;
	ph = (const Elf64_Phdr *)((const char *)image + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		err = check_segment(&ph[i], size, window_lo, window_hi);
		if (err)
			return err;
		for (unsigned j = 0; j < i; j++)
			if (ph[j].p_type == PT_LOAD && ph[j].p_memsz &&
			    segments_overlap(&ph[i], &ph[j]))
				return KELF_SEG_BAD_ADDR;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
		if ((ph[i].p_flags & PF_X) && eh->e_entry >= ph[i].p_vaddr &&
		    eh->e_entry < ph[i].p_vaddr + ph[i].p_memsz)
			entry_ok = 1;
		nload++;
	}
	if (!nload)
		return KELF_NO_LOAD;
	lo &= ~(PAGE - 1);
	hi = (hi + PAGE - 1) & ~(PAGE - 1);
	if (hi - lo > max_span)
		return KELF_SEG_TOO_BIG;
	if (!entry_ok)
		return KELF_BAD_ENTRY;
	span->lo = lo;
	span->hi = hi;
	return KELF_OK;
}

const char *kelf_strerror(enum kelf_error err)
{
	switch (err) {
	case KELF_OK:			return "ok";
	case KELF_TOO_SMALL:		return "file too small for an ELF header";
	case KELF_BAD_MAGIC:		return "bad ELF magic (not an ELF file)";
	case KELF_BAD_CLASS:		return "not a 64-bit ELF file";
	case KELF_BAD_DATA:		return "not a little-endian ELF file";
	case KELF_BAD_VERSION:		return "unknown ELF version";
	case KELF_BAD_TYPE:		return "not an executable (ET_EXEC) ELF file";
	case KELF_BAD_MACHINE:		return "not an x86-64 ELF file";
	case KELF_BAD_PHDRS:		return "program header table is malformed or outside the file";
	case KELF_NO_LOAD:		return "no loadable segment";
	case KELF_SEG_OUT_OF_FILE:	return "a segment's data lies outside the file (truncated?)";
	case KELF_SEG_BAD_SIZE:		return "a segment has inconsistent sizes";
	case KELF_SEG_BAD_ADDR:		return "a segment lies outside the kernel window or overlaps another";
	case KELF_SEG_TOO_BIG:		return "the image is too large";
	case KELF_BAD_ENTRY:		return "entry point is not inside an executable segment";
	}
	return "unknown error";
}
