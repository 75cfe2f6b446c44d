/*
 * Validation of the kernel ELF before the loader trusts any of its fields.
 * Pure C on a byte buffer: the loader uses it, and tests/host/test_elf_check.c
 * feeds it corrupt images.
 */
#ifndef EFI_ELF_CHECK_H
#define EFI_ELF_CHECK_H

#include <stdint.h>

enum kelf_error {
	KELF_OK = 0,
	KELF_TOO_SMALL,		/* shorter than an ELF header */
	KELF_BAD_MAGIC,
	KELF_BAD_CLASS,		/* not ELFCLASS64 */
	KELF_BAD_DATA,		/* not little endian */
	KELF_BAD_VERSION,
	KELF_BAD_TYPE,		/* not ET_EXEC */
	KELF_BAD_MACHINE,	/* not EM_X86_64 */
	KELF_BAD_PHDRS,		/* program header table outside the file or odd entry size */
	KELF_NO_LOAD,		/* no PT_LOAD segment */
	KELF_SEG_OUT_OF_FILE,	/* segment file bytes outside the file */
	KELF_SEG_BAD_SIZE,	/* filesz > memsz, or sizes overflow */
	KELF_SEG_BAD_ADDR,	/* segment outside the kernel window, or overlapping another */
	KELF_SEG_TOO_BIG,	/* image span larger than the limit */
	KELF_BAD_ENTRY,		/* entry point not inside an executable segment */
};

/* Virtual span of the PT_LOAD segments, page aligned. */
struct kelf_span {
	uint64_t lo;
	uint64_t hi;
};

/*
 * Check @size bytes at @image as a kernel: ELF64, little endian, ET_EXEC,
 * x86-64, every PT_LOAD inside the file and inside [window_lo, window_hi),
 * non-overlapping, span at most @max_span bytes, entry in an executable
 * segment. On KELF_OK, *span holds the page-aligned virtual span.
 */
enum kelf_error kelf_check(const void *image, uint64_t size, uint64_t window_lo,
			   uint64_t window_hi, uint64_t max_span,
			   struct kelf_span *span);

/* A human sentence for @err, e.g. "bad ELF magic (not an ELF file)". */
const char *kelf_strerror(enum kelf_error err);

#endif
