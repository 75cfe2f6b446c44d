/*
 * Boot-time patching of optional instructions ("nop sites").
 *
 * An instruction that only some CPUs have (today: SMAP's stac and clac) is
 * emitted through NOP_SITE(), which also records its address, length and the
 * CPU feature it needs in the section .nop_sites. Early in kernel_main,
 * alternatives_apply() overwrites every site whose feature the CPU lacks
 * with a NOP of the same length, so the instruction never runs where it
 * would raise #UD, and costs nothing where it is needed.
 *
 * nasm code records sites with the macros of asm/alternative.inc, which
 * write the same 16-byte record. tools/check-nop-sites.sh runs at link time
 * and fails the build when a stac or clac anywhere in .text is not a
 * recorded site (docs/cpu-features.md).
 */
#ifndef ASM_ALTERNATIVE_H
#define ASM_ALTERNATIVE_H

#include <pagoda/types.h>
#include <pagoda/compiler.h>

/* The CPU feature a site needs (struct nop_site.feature); numbers, so the
 * asm text can carry them (asm/alternative.inc repeats them for nasm). */
#define NOP_SITE_SMAP		1

#define __nop_site_str(x)	#x
#define nop_site_str(x)		__nop_site_str(x)

/* One record of .nop_sites; asm/alternative.inc writes the same layout. */
struct nop_site {
	u64 addr;		/* first byte of the instruction (.text) */
	u8 len;			/* its length in bytes, 1..15 */
	u8 feature;		/* NOP_SITE_* */
	u8 pad[6];
};

BUILD_BUG_ON(sizeof(struct nop_site) != 16);

/*
 * Inline-asm text of @insn recorded as a site needing @feature (NOP_SITE_*).
 * The length is what the assembler emitted between the two local labels.
 */
#define NOP_SITE(insn, feature)				\
	"771:	" insn "\n"				\
	"772:\n"					\
	"	.pushsection .nop_sites, \"a\"\n"	\
	"	.balign 8\n"				\
	"	.quad 771b\n"				\
	"	.byte 772b - 771b, " nop_site_str(feature) "\n" \
	"	.fill 6, 1, 0\n"			\
	"	.popsection\n"

extern const struct nop_site __nop_sites_start[], __nop_sites_end[];

/*
 * Turn every site whose feature this CPU lacks into a NOP of the same
 * length, written through the direct-map alias of the kernel image at
 * physical @kernel_phys (the text mapping may be read-only). Needs
 * cpu_detect_features() and the direct map; must run on the boot CPU with
 * interrupts off before the kernel's IDT is loaded, so no code of ours can
 * run while a site is half written. Returns the number of sites patched.
 * Panics on a corrupt record (outside .text, or not the expected opcode).
 */
unsigned int alternatives_apply(phys_addr_t kernel_phys);

/* Whether the CPU has the feature a site needs. */
bool nop_site_feature_present(unsigned int feature);

/* The bytes of the @len-byte NOP that replaces a site (len 1..15). */
void nop_fill(u8 *buf, unsigned int len);

#endif
