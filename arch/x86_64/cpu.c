/*
 * CPU feature detection and the protections Pagoda turns on at boot.
 *
 * Every optional instruction or control bit the kernel uses is decided here
 * from CPUID, once, into struct cpu_features (asm/cpu.h); nothing is assumed
 * from the CPU model or from "every x86-64 has it". What each feature is used
 * for and what happens without it: docs/cpu-features.md.
 */
#include <asm/cpu.h>
#include <asm/pte_bits.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/vsprintf.h>
#include <mm/pgtable.h>
#include <mm/arch.h>

struct cpu_features cpu_features;

#define BIT_SET(reg, n)		(((reg) >> (n)) & 1)

#define XFEATURE_MASK_AVX_STATE	0x6	/* XCR0: SSE and AVX (AVX needs both) */

/* Leaf 1, leaf 7 subleaf 0 and the XSAVE leaf 0Dh. */
static void detect_basic(struct cpu_features *f, u32 max)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	f->pge = BIT_SET(d, 13);
	f->pcid = BIT_SET(c, 17);
	f->tsc_deadline = BIT_SET(c, 24);
	f->x2apic = BIT_SET(c, 21);
	f->xsave = BIT_SET(c, 26);
	f->rdrand = BIT_SET(c, 30);
	f->hypervisor = BIT_SET(c, 31);
	f->avx = BIT_SET(c, 28);
	if (max >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		f->fsgsbase = BIT_SET(b, 0);
		f->smep = BIT_SET(b, 7);
		f->invpcid = BIT_SET(b, 10);
		f->smap = BIT_SET(b, 20);
		f->la57 = BIT_SET(c, 16);
	}
	if (f->xsave && max >= 0xd) {
		cpuid(0xd, 0, &a, &b, &c, &d);
		f->xcr0_supported = a;
		cpuid(0xd, 1, &a, &b, &c, &d);
		f->xsaveopt = BIT_SET(a, 0);
		f->xsavec = BIT_SET(a, 1);
		f->xsaves = BIT_SET(a, 3);
	} else {
		f->xsave = false;	/* no leaf 0Dh: no size for the save area */
	}
	/* AVX state needs XSAVE and an XCR0 that takes the SSE and AVX bits */
	f->avx = f->avx && f->xsave &&
		 (f->xcr0_supported & XFEATURE_MASK_AVX_STATE) == XFEATURE_MASK_AVX_STATE;
}

/* Extended leaves: NX, 1 GiB pages, the brand string, the physical address width. */
static void detect_extended(struct cpu_features *f)
{
	u32 a, b, c, d, maxext;

	cpuid(0x80000000, 0, &maxext, &b, &c, &d);
	f->phys_bits = 36;		/* what a CPU without leaf 80000008h has */
	if (maxext >= 0x80000008) {
		cpuid(0x80000008, 0, &a, &b, &c, &d);
		if ((a & 0xff) >= 32 && (a & 0xff) <= 52)
			f->phys_bits = a & 0xff;
	}
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		f->nx = BIT_SET(d, 20);
		f->pdpe1gb = BIT_SET(d, 26);
	}
	if (maxext >= 0x80000004) {
		u32 *w = (u32 *)f->brand;

		for (u32 leaf = 0; leaf < 3; leaf++)
			cpuid(0x80000002 + leaf, 0, &w[leaf * 4], &w[leaf * 4 + 1],
			      &w[leaf * 4 + 2], &w[leaf * 4 + 3]);
		f->brand[48] = 0;
	}
}

/*
 * Fill cpu_features from CPUID and tell the page-table code what the CPU
 * takes: 1 GiB leaves, and whether PTE bit 63 (NX) exists at all (without
 * NX it is a reserved bit, and a PTE carrying it faults with RSVD set).
 * Runs first in kernel_main, before any page table of the kernel is built.
 */
void cpu_detect_features(void)
{
	struct cpu_features *f = &cpu_features;
	u32 b, c, d, max;

	memset(f, 0, sizeof(*f));
	cpuid(0, 0, &max, &b, &c, &d);
	memcpy(f->vendor, &b, 4);
	memcpy(f->vendor + 4, &d, 4);
	memcpy(f->vendor + 8, &c, 4);
	f->vendor[12] = 0;
	detect_basic(f, max);
	detect_extended(f);
	pgtable_has_pud_leaf = f->pdpe1gb;
	phys_addr_bits = f->phys_bits;
	x86_pte_set_nx(f->nx);
}

/*
 * EFER.NXE so NX bits are honoured (and legal), CR0.WP so the kernel cannot
 * write through read-only PTEs, SMEP/SMAP so the kernel neither executes nor
 * (outside stac/clac windows) touches user pages, PGE for global kernel
 * pages: each only when CPUID has it. CR4.FSGSBASE and CR4.PCIDE are left
 * off whatever the firmware did: user-visible rd/wrfsbase wants a paranoid
 * entry path first, and PCIDs are not used. The final clac is a nop site,
 * so it runs only where SMAP exists (alternatives_apply() ran before).
 */
void cpu_enable_protections(void)
{
	u64 cr4 = read_cr4() & ~(CR4_FSGSBASE | CR4_PCIDE);

	if (cpu_features.nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	if (cpu_features.smep)
		cr4 |= CR4_SMEP;
	if (cpu_features.smap)
		cr4 |= CR4_SMAP;
	if (cpu_features.pge)
		cr4 |= CR4_PGE;
	write_cr4(cr4);
	clac();
}

/* A space-separated list of words, "-" when empty. */
struct word_list {
	char buf[160];
	size_t len;
};

static void word_add(struct word_list *l, bool cond, const char *word)
{
	int n;

	if (!cond || l->len >= sizeof(l->buf))
		return;
	n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s",
		     l->len ? " " : "", word);
	if (n > 0)
		l->len += (size_t)n;
}

static const char *word_str(struct word_list *l)
{
	return l->len ? l->buf : "-";
}

/* The protections, read back from EFER, CR0 and CR4: what is really on. */
static void print_protections(void)
{
	const struct cpu_features *f = &cpu_features;
	struct word_list on = { .len = 0 }, lacks = { .len = 0 };
	u64 cr4 = read_cr4();

	word_add(&on, rdmsr(MSR_EFER) & EFER_NXE, "NX");
	word_add(&on, read_cr0() & CR0_WP, "WP");
	word_add(&on, cr4 & CR4_SMEP, "SMEP");
	word_add(&on, cr4 & CR4_SMAP, "SMAP");
	word_add(&lacks, !f->nx, "NX");
	word_add(&lacks, !f->smep, "SMEP");
	word_add(&lacks, !f->smap, "SMAP");
	printk("cpu: protections on: %s; CPU lacks: %s\n", word_str(&on), word_str(&lacks));
}

/*
 * The optional instructions and paging features: in use, detected but left
 * unused (on purpose, see docs/cpu-features.md), and absent. Exactly one
 * FPU save instruction is in use: xsaveopt, else xsave, else fxsave.
 */
static void print_optional(void)
{
	const struct cpu_features *f = &cpu_features;
	struct word_list use = { .len = 0 }, unused = { .len = 0 }, lacks = { .len = 0 };
	bool l5 = read_cr4() & CR4_LA57;

	word_add(&use, f->xsaveopt, "xsaveopt");
	word_add(&use, f->xsave && !f->xsaveopt, "xsave");
	word_add(&use, !f->xsave, "fxsave");
	word_add(&use, f->avx, "avx");
	word_add(&use, f->pge, "pge");
	word_add(&use, f->pdpe1gb, "1g-pages");
	word_add(&use, l5, "la57");
	word_add(&use, f->rdrand, "rdrand");
	word_add(&use, f->tsc_deadline, "tsc-deadline");
	word_add(&use, f->x2apic, "x2apic");
	word_add(&unused, f->la57 && !l5, "la57");
	word_add(&unused, f->pcid, "pcid");
	word_add(&unused, f->invpcid, "invpcid");
	word_add(&unused, f->xsavec, "xsavec");
	word_add(&unused, f->xsaves, "xsaves");
	word_add(&unused, f->fsgsbase, "fsgsbase");

	word_add(&lacks, !f->xsave, "xsave");
	word_add(&lacks, !f->xsaveopt, "xsaveopt");
	word_add(&lacks, !f->avx, "avx");
	word_add(&lacks, !f->pge, "pge");
	word_add(&lacks, !f->pdpe1gb, "1g-pages");
	word_add(&lacks, !f->la57, "la57");
	word_add(&lacks, !f->rdrand, "rdrand");
	word_add(&lacks, !f->pcid, "pcid");
	word_add(&lacks, !f->invpcid, "invpcid");
	word_add(&lacks, !f->fsgsbase, "fsgsbase");
	word_add(&lacks, !f->tsc_deadline, "tsc-deadline");
	word_add(&lacks, !f->x2apic, "x2apic");
	printk("cpu: in use: %s; detected, unused: %s; CPU lacks: %s\n", word_str(&use),
	       word_str(&unused), word_str(&lacks));
}

/*
 * The boot log's account of the CPU: vendor and brand, then the two lines
 * tests match with --expect. Call after cpu_enable_protections().
 */
void cpu_print_features(void)
{
	printk("cpu: %s \"%s\"%s\n", cpu_features.vendor, cpu_features.brand,
	       cpu_features.hypervisor ? " (under a hypervisor)" : "");
	print_protections();
	print_optional();
}
