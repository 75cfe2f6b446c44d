/*
 * kernel/exec_elf.c on the host: exec refuses every kind of malformed user
 * ELF with ENOEXEC (never reading outside the file), places ET_EXEC and
 * static-PIE images as Linux does, and lays out a System V initial stack
 * that a C library can walk.
 */
#include "ktap.h"
#include <pagoda/errno.h>
#include <pagoda/exec.h>
#include <mm/mm.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT	(DEFAULT_MAP_WINDOW - RLIMIT_STACK_DEFAULT)
#define TEXT	0x401000UL

static unsigned char img[3 * 4096];

/*
 * A static non-PIE program as musl-gcc links one: the headers in a R
 * segment at 0x400000, text R+X at 0x401000, data+bss R+W at 0x402000.
 */
static void build(unsigned type)
{
	Elf64_Ehdr *eh = (void *)img;
	Elf64_Phdr *ph = (void *)(img + sizeof(*eh));
	u64 base = type == ET_DYN ? 0 : 0x400000;

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, "\x7f" "ELF", 4);
	eh->e_ident[4] = ELFCLASS64;
	eh->e_ident[5] = ELFDATA2LSB;
	eh->e_ident[6] = EV_CURRENT;
	eh->e_version = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 4;
	eh->e_entry = base + 0x1010;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0,
			      .p_vaddr = base, .p_filesz = 0x200, .p_memsz = 0x200,
			      .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
			      .p_vaddr = base + 0x1000, .p_filesz = 0x800, .p_memsz = 0x800,
			      .p_align = 0x1000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000,
			      .p_vaddr = base + 0x2000, .p_filesz = 0x100, .p_memsz = 0x3000,
			      .p_align = 0x1000 };
	ph[3] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
}

static Elf64_Ehdr *eh(void) { return (void *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i; }

static int check_size(size_t size)
{
	struct elf_user_image im;
	const char *why;

	return elf_user_check(img, size, ELF_ET_DYN_BASE, LIMIT, &im, &why);
}

static int check(void)
{
	return check_size(sizeof(img));
}

static void t_valid_exec(void)
{
	struct elf_user_image im;
	const char *why = NULL;

	build(ET_EXEC);
	KT_ASSERT(elf_user_check(img, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why) == 0);
	KT_EXPECT_EQ(im.bias, 0);
	KT_EXPECT_EQ(im.entry, 0x401010);
	KT_EXPECT_EQ(im.phdr, 0x400000 + sizeof(Elf64_Ehdr));	/* inside segment 0 */
	KT_EXPECT_EQ(im.phnum, 4);
	KT_EXPECT_EQ(im.start_code, 0x401000);
	KT_EXPECT_EQ(im.end_code, 0x401800);
	KT_EXPECT_EQ(im.start_data, 0x402000);
	KT_EXPECT_EQ(im.end_data, 0x402100);
	KT_EXPECT_EQ(im.brk, 0x405000);		/* end of bss, page aligned */
	KT_EXPECT(!im.exec_stack);
	ph(3)->p_flags |= PF_X;
	KT_ASSERT(elf_user_check(img, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why) == 0);
	KT_EXPECT(im.exec_stack);
}

static void t_static_pie(void)
{
	struct elf_user_image im;
	const char *why = NULL;

	build(ET_DYN);
	KT_ASSERT(elf_user_check(img, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why) == 0);
	KT_EXPECT_EQ(im.bias, ELF_ET_DYN_BASE);
	KT_EXPECT_EQ(im.entry, ELF_ET_DYN_BASE + 0x1010);
	KT_EXPECT_EQ(im.phdr, ELF_ET_DYN_BASE + sizeof(Elf64_Ehdr));
	/* a 2 MiB p_align moves the bias to a 2 MiB boundary */
	ph(1)->p_align = 0x200000;
	KT_ASSERT(elf_user_check(img, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why) == 0);
	KT_EXPECT_EQ(im.bias, ELF_ET_DYN_BASE & ~0x1fffffUL);
	/* PT_PHDR wins over the segment search */
	ph(3)->p_type = PT_PHDR;
	ph(3)->p_vaddr = 0x40;
	KT_ASSERT(elf_user_check(img, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why) == 0);
	KT_EXPECT_EQ(im.phdr, im.bias + 0x40);
}

static void t_interp(void)
{
	const char *why = NULL;
	struct elf_user_image im;

	build(ET_DYN);
	ph(3)->p_type = PT_INTERP;
	KT_EXPECT_EQ(elf_user_check(img, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why),
		     -ENOEXEC);
	KT_EXPECT(why && strstr(why, "PT_INTERP"));
}

static void t_header_errors(void)
{
	build(ET_EXEC); KT_EXPECT_EQ(check_size(40), -ENOEXEC);
	build(ET_EXEC); img[0] = '#'; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); img[4] = 1; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); img[5] = 2; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); img[6] = 0; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_version = 2; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_type = ET_CORE; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_machine = 3; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_phentsize = 32; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_phnum = 0; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_phnum = 200; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_phoff = ~0ULL - 16; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_phoff = sizeof(img) - 8; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_phoff = 65; KT_EXPECT_EQ(check(), -ENOEXEC);
}

static void t_segment_errors(void)
{
	build(ET_EXEC); KT_EXPECT_EQ(check_size(0x2080), -ENOEXEC);	/* truncated */
	build(ET_EXEC); ph(2)->p_offset = ~0ULL - 0x10; ph(2)->p_vaddr = 0x402000 - 0x10;
	KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); ph(2)->p_filesz = 0x4000; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); ph(2)->p_memsz = 0x10; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); ph(2)->p_memsz = ~0ULL - 0x1000; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); ph(2)->p_align = 0x3000; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); ph(2)->p_vaddr = 0x402010; KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); ph(2)->p_vaddr = 0x401000; KT_EXPECT_EQ(check(), -ENOEXEC); /* overlap */
	build(ET_EXEC); ph(2)->p_vaddr = 0x300000; KT_EXPECT_EQ(check(), -ENOEXEC); /* order */
	build(ET_EXEC); ph(2)->p_type = PT_NULL; ph(1)->p_type = PT_NOTE; ph(0)->p_type = PT_NOTE;
	KT_EXPECT_EQ(check(), -ENOEXEC);				/* no PT_LOAD */
}

static void t_placement_errors(void)
{
	build(ET_EXEC);
	for (int i = 0; i < 3; i++)		/* page 0: never mappable */
		ph(i)->p_vaddr -= 0x400000;
	eh()->e_entry -= 0x400000;
	KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC);
	ph(2)->p_vaddr = 0xffff888000002000ULL;	/* kernel half */
	KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC);
	ph(2)->p_vaddr = LIMIT - 0x1000;	/* bss runs over the limit */
	KT_EXPECT_EQ(check(), -ENOEXEC);
	build(ET_EXEC); eh()->e_entry = 0x402000; KT_EXPECT_EQ(check(), -ENOEXEC); /* not X */
	build(ET_EXEC); eh()->e_entry = 0x401800; KT_EXPECT_EQ(check(), -ENOEXEC); /* just past */
	build(ET_EXEC); eh()->e_entry = 0x12345678; KT_EXPECT_EQ(check(), -ENOEXEC);
}

/* Every truncation: ENOEXEC or (once the data fits) success; ASan sees overreads. */
static void t_every_truncation(void)
{
	int bad = 0;

	for (size_t len = 0; len <= sizeof(img); len++) {
		unsigned char *copy = malloc(len ? len : 1);
		struct elf_user_image im;
		const char *why;
		int r;

		build(ET_EXEC);
		memcpy(copy, img, len);
		r = elf_user_check(copy, len, ELF_ET_DYN_BASE, LIMIT, &im, &why);
		bad += len < 0x2100 ? r != -ENOEXEC : r != 0;
		free(copy);
	}
	KT_EXPECT_EQ(bad, 0);
}

/* Random header corruption: ENOEXEC or an image whose segments lie in the file. */
static void t_random_corruption(void)
{
	int bad = 0;

	srand(4242);
	for (int round = 0; round < 20000; round++) {
		struct elf_user_image im;
		const char *why;
		unsigned char *copy = malloc(sizeof(img));

		build(round & 1 ? ET_EXEC : ET_DYN);
		for (int k = 0; k < 1 + round % 3; k++)
			img[(size_t)rand() % 0x120] = (unsigned char)rand();
		memcpy(copy, img, sizeof(img));
		if (elf_user_check(copy, sizeof(img), ELF_ET_DYN_BASE, LIMIT, &im, &why) == 0) {
			for (unsigned i = 0; i < im.phnum; i++) {
				const Elf64_Phdr *p = &im.phdrs[i];

				if (p->p_type == PT_LOAD && p->p_memsz &&
				    (p->p_offset + p->p_filesz > sizeof(img) ||
				     p->p_vaddr + im.bias < MMAP_MIN_ADDR ||
				     p->p_vaddr + im.bias + p->p_memsz > LIMIT))
					bad++;
			}
		}
		free(copy);
	}
	KT_EXPECT_EQ(bad, 0);
}

/* ---- the initial stack ---- */

#define TOP	0x7ffffffff000UL
static u64 stackbuf[EXEC_ARG_MAX / 8];

static u64 word_at(uintptr_t addr)
{
	u64 v;

	memcpy(&v, (u8 *)stackbuf + (addr - (TOP - sizeof(stackbuf))), 8);
	return v;
}

static const char *str_at(uintptr_t addr)
{
	return (const char *)stackbuf + (addr - (TOP - sizeof(stackbuf)));
}

static void t_stack_layout(void)
{
	static const char *const argv[] = { "/tests/prog", "-v", "x", NULL };
	static const char *const envp[] = { "HOME=/", "TERM=linux", NULL };
	static const u64 aux[][2] = { { AT_PAGESZ, 4096 }, { AT_ENTRY, 0x401000 } };
	const u8 rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct exec_stack_layout l;
	long used;
	uintptr_t p;

	used = exec_build_stack((u8 *)stackbuf, sizeof(stackbuf), TOP, argv, envp,
				"/tests/prog", rnd, aux, 2, &l);
	KT_ASSERT(used > 0);
	KT_EXPECT_EQ(l.sp, TOP - (uintptr_t)used);
	KT_EXPECT_EQ(l.sp % 16, 0);				/* ABI: rsp at entry */
	KT_EXPECT_EQ(word_at(l.sp), 3);				/* argc */
	KT_EXPECT(!strcmp(str_at(word_at(l.sp + 8)), "/tests/prog"));
	KT_EXPECT(!strcmp(str_at(word_at(l.sp + 16)), "-v"));
	KT_EXPECT(!strcmp(str_at(word_at(l.sp + 24)), "x"));
	KT_EXPECT_EQ(word_at(l.sp + 32), 0);
	KT_EXPECT(!strcmp(str_at(word_at(l.sp + 40)), "HOME=/"));
	KT_EXPECT(!strcmp(str_at(word_at(l.sp + 48)), "TERM=linux"));
	KT_EXPECT_EQ(word_at(l.sp + 56), 0);
	p = l.sp + 64;
	KT_EXPECT_EQ(word_at(p), AT_PAGESZ);
	KT_EXPECT_EQ(word_at(p + 8), 4096);
	KT_EXPECT_EQ(word_at(p + 16), AT_ENTRY);
	KT_EXPECT_EQ(word_at(p + 32), AT_RANDOM);
	KT_EXPECT(!memcmp(str_at(word_at(p + 40)), rnd, 16));
	KT_EXPECT_EQ(word_at(p + 40) % 16, 0);
	KT_EXPECT_EQ(word_at(p + 48), AT_EXECFN);
	KT_EXPECT(!strcmp(str_at(word_at(p + 56)), "/tests/prog"));
	KT_EXPECT_EQ(word_at(p + 64), AT_NULL);
	KT_EXPECT_EQ(word_at(TOP - 8), 0);			/* zero word at the top */
	KT_EXPECT(l.arg_start < l.arg_end && l.arg_end == l.env_start && l.env_start < l.env_end);
	KT_EXPECT(!strcmp(str_at(l.arg_start), "/tests/prog"));
	KT_EXPECT_EQ(l.env_end, l.execfn);
	/* the other parity of word counts is padded to 16 as well */
	used = exec_build_stack((u8 *)stackbuf, sizeof(stackbuf), TOP, argv + 1, envp,
				"/p", rnd, aux, 2, &l);
	KT_ASSERT(used > 0);
	KT_EXPECT_EQ(l.sp % 16, 0);
	KT_EXPECT_EQ(word_at(l.sp), 2);
}

static void t_stack_e2big(void)
{
	const u8 rnd[16] = { 0 };
	struct exec_stack_layout l;
	char *big = malloc(EXEC_ARG_MAX);
	const char *argv[] = { "p", big, NULL };
	const char **many = malloc(sizeof(char *) * (EXEC_ARG_MAX / 8 + 1));

	memset(big, 'a', EXEC_ARG_MAX - 1);
	big[EXEC_ARG_MAX - 1] = '\0';
	KT_EXPECT_EQ(exec_build_stack((u8 *)stackbuf, sizeof(stackbuf), TOP, argv, NULL,
				      "p", rnd, NULL, 0, &l), -E2BIG);
	for (size_t i = 0; i < EXEC_ARG_MAX / 8; i++)
		many[i] = "";
	many[EXEC_ARG_MAX / 8] = NULL;
	KT_EXPECT_EQ(exec_build_stack((u8 *)stackbuf, sizeof(stackbuf), TOP, many, NULL,
				      "p", rnd, NULL, 0, &l), -E2BIG);
	free(big);
	free(many);
}

static const struct kt_case cases[] = {
	KT_CASE(t_valid_exec, "a static ET_EXEC program is placed where it was linked"),
	KT_CASE(t_static_pie, "a static PIE goes to ELF_ET_DYN_BASE aligned to its p_align"),
	KT_CASE(t_interp, "a program that needs a dynamic loader is ENOEXEC"),
	KT_CASE(t_header_errors, "malformed ELF headers are ENOEXEC"),
	KT_CASE(t_segment_errors, "segments outside the file, overflowing or overlapping are ENOEXEC"),
	KT_CASE(t_placement_errors, "segments outside user space or a bad entry are ENOEXEC"),
	KT_CASE(t_every_truncation, "every truncation of a program is ENOEXEC, never an overread"),
	KT_CASE(t_random_corruption, "random header corruption never passes a bad segment"),
	KT_CASE(t_stack_layout, "initial stack: argc argv envp auxv, strings at the top, rsp 16-aligned"),
	KT_CASE(t_stack_e2big, "arguments larger than the argument area are E2BIG"),
};

int main(void)
{
	return kt_run_suite("elf_exec", cases, KT_N(cases));
}
