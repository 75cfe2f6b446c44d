/* efi/elf_check.c: the loader refuses every kind of malformed kernel ELF. */
#include "ktap.h"
#include "../../efi/elf_check.h"
#include <pagoda/elf.h>
#include <string.h>

#define LO 0xffffffff80000000ULL
#define HI 0xfffffffffffff000ULL
#define MAX (64ULL << 20)

static unsigned char img[16384];

/* A valid two-segment kernel: text at LO+1MiB, data after it. */
static void build(void)
{
	Elf64_Ehdr *eh = (void *)img;
	Elf64_Phdr *ph = (void *)(img + sizeof(*eh));

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, "\x7f" "ELF", 4);
	eh->e_ident[4] = ELFCLASS64;
	eh->e_ident[5] = ELFDATA2LSB;
	eh->e_ident[6] = EV_CURRENT;
	eh->e_version = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	eh->e_entry = LO + 0x100000;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 4096,
			      .p_vaddr = LO + 0x100000, .p_filesz = 4096, .p_memsz = 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 8192,
			      .p_vaddr = LO + 0x101000, .p_filesz = 4096, .p_memsz = 12288 };
}

static enum kelf_error check(unsigned long size)
{
	struct kelf_span s;

	return kelf_check(img, size, LO, HI, MAX, &s);
}

static Elf64_Ehdr *eh(void) { return (void *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i; }

static void t_valid(void)
{
	struct kelf_span s;

	build();
	KT_ASSERT(kelf_check(img, sizeof(img), LO, HI, MAX, &s) == KELF_OK);
	KT_EXPECT_EQ(s.lo, LO + 0x100000);
	KT_EXPECT_EQ(s.hi, LO + 0x104000);
}

static void t_header_errors(void)
{
	build(); KT_EXPECT_EQ(check(10), KELF_TOO_SMALL);
	build(); img[1] = 'X'; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_MAGIC);
	build(); img[4] = 1; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_CLASS);
	build(); img[5] = 2; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_DATA);
	build(); eh()->e_type = ET_DYN; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_TYPE);
	build(); eh()->e_machine = 3; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_MACHINE);
	build(); eh()->e_phentsize = 40; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_PHDRS);
	build(); eh()->e_phoff = ~0ULL - 8; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_PHDRS);
	build(); eh()->e_phnum = 0xffff; KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_PHDRS);
}

static void t_segment_errors(void)
{
	build(); KT_EXPECT_EQ(check(8192), KELF_SEG_OUT_OF_FILE);	/* truncated */
	build(); ph(1)->p_offset = ~0ULL; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_OUT_OF_FILE);
	build(); ph(1)->p_filesz = 16384; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_OUT_OF_FILE);
	build(); ph(1)->p_memsz = 10; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_BAD_SIZE);
	build(); ph(1)->p_vaddr = ~0ULL - 100; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_BAD_SIZE);
	build(); ph(1)->p_vaddr = 0x400000; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_BAD_ADDR);
	build(); ph(1)->p_vaddr = LO + 0x100800; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_BAD_ADDR);
	build(); ph(1)->p_memsz = MAX; KT_EXPECT_EQ(check(sizeof(img)), KELF_SEG_TOO_BIG);
	build(); ph(0)->p_type = PT_NOTE; ph(1)->p_type = PT_NOTE;
	KT_EXPECT_EQ(check(sizeof(img)), KELF_NO_LOAD);
}

static void t_entry(void)
{
	build(); eh()->e_entry = LO + 0x101000;	/* in the non-executable segment */
	KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_ENTRY);
	build(); eh()->e_entry = 0;
	KT_EXPECT_EQ(check(sizeof(img)), KELF_BAD_ENTRY);
}

static void t_messages(void)
{
	for (int e = KELF_OK; e <= KELF_BAD_ENTRY; e++) {
		const char *m = kelf_strerror(e);

		KT_EXPECT(m && strlen(m) > 1 && strcmp(m, "unknown error"));
	}
}

int main(void)
{
	static const struct kt_case cases[] = {
		KT_CASE(t_valid, "a well-formed kernel ELF is accepted with its span"),
		KT_CASE(t_header_errors, "bad magic, class, endianness, type, machine or phdrs are refused"),
		KT_CASE(t_segment_errors, "truncated, oversized, overlapping or misplaced segments are refused"),
		KT_CASE(t_entry, "an entry point outside executable segments is refused"),
		KT_CASE(t_messages, "every error has a human message"),
	};
	return kt_run_suite("elf_check", cases, KT_N(cases));
}
