/* CPU feature detection and the protections Pagoda turns on at boot. */
#include <asm/cpu.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <mm/pgtable.h>

struct cpu_features cpu_features;

void cpu_detect_features(void)
{
	struct cpu_features *f = &cpu_features;
	u32 a, b, c, d, max, maxext;

	cpuid(0, 0, &max, &b, &c, &d);
	memcpy(f->vendor, &b, 4);
	memcpy(f->vendor + 4, &d, 4);
	memcpy(f->vendor + 8, &c, 4);
	f->vendor[12] = 0;
	cpuid(1, 0, &a, &b, &c, &d);
	f->pge = (d >> 13) & 1;
	f->pcid = (c >> 17) & 1;
	f->hypervisor = (c >> 31) & 1;
	if (max >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		f->fsgsbase = b & 1;
		f->smep = (b >> 7) & 1;
		f->smap = (b >> 20) & 1;
		f->la57 = (c >> 16) & 1;
	}
	cpuid(0x80000000, 0, &maxext, &b, &c, &d);
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		f->nx = (d >> 20) & 1;
		f->pdpe1gb = (d >> 26) & 1;
	}
	if (maxext >= 0x80000004) {
		u32 *w = (u32 *)f->brand;

		for (u32 leaf = 0; leaf < 3; leaf++)
			cpuid(0x80000002 + leaf, 0, &w[leaf * 4], &w[leaf * 4 + 1],
			      &w[leaf * 4 + 2], &w[leaf * 4 + 3]);
		f->brand[48] = 0;
	}
	pgtable_has_pud_leaf = f->pdpe1gb;
}

/*
 * EFER.NXE so NX bits are honoured (and legal), CR0.WP so the kernel cannot
 * write through read-only PTEs, SMEP/SMAP so the kernel neither executes nor
 * (outside stac/clac windows) touches user pages, PGE for global kernel pages.
 */
void cpu_enable_protections(void)
{
	u64 cr4 = read_cr4();

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
