/*
 * In-kernel tests of CPU feature use (arch/x86_64/cpu.c, alternative.c),
 * `ktest=cpu`. Each case holds on every CPU model: it checks that what the
 * kernel did matches what CPUID reported, so the same suite run under
 * -cpu max, Nehalem or qemu64,-nx (tests/check.sh) covers both sides.
 */
#include <pagoda/ktest.h>
#include <pagoda/sections.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <asm/alternative.h>
#include <asm/cpu.h>
#include <asm/fpu.h>
#include <asm/pte_bits.h>
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>

#define CPU_UA_BASE	0x40000000UL	/* a user mapping of the NX case */
#define CPU_UA_PAGES	4

/*
 * Every recorded site holds its instruction (stac/clac) where the CPU has
 * the feature, and a NOP of the same length where it does not: the text
 * really was patched, and patched whole.
 */
static void t_sites_patched_by_feature(struct ktest *t)
{
	unsigned int nr = 0;

	for (const struct nop_site *s = __nop_sites_start; s < __nop_sites_end; s++, nr++) {
		const u8 *p = (const u8 *)(uintptr_t)s->addr;
		u8 nop[15];

		KTEST_ASSERT(t, s->len == 3 && s->feature == NOP_SITE_SMAP);
		if (nop_site_feature_present(s->feature)) {
			KTEST_EXPECT(t, p[0] == 0x0f && p[1] == 0x01 &&
					(p[2] == 0xca || p[2] == 0xcb));
		} else {
			nop_fill(nop, s->len);
			KTEST_EXPECT(t, memcmp(p, nop, s->len) == 0);
		}
	}
	KTEST_EXPECT(t, nr > 0);
}

/* NOPs of every length a site may have: one instruction each up to 8 bytes. */
static void t_nop_fill_lengths(struct ktest *t)
{
	static const u8 nop3[] = { 0x0f, 0x1f, 0x00 };
	u8 buf[16];

	memset(buf, 0xcc, sizeof(buf));
	nop_fill(buf, 3);
	KTEST_EXPECT(t, memcmp(buf, nop3, 3) == 0 && buf[3] == 0xcc);
	memset(buf, 0xcc, sizeof(buf));
	nop_fill(buf, 1);
	KTEST_EXPECT(t, buf[0] == 0x90 && buf[1] == 0xcc);
	memset(buf, 0xcc, sizeof(buf));
	nop_fill(buf, 11);			/* 8 + 3 */
	KTEST_EXPECT(t, buf[0] == 0x0f && buf[1] == 0x1f && buf[2] == 0x84);
	KTEST_EXPECT(t, memcmp(buf + 8, nop3, 3) == 0 && buf[11] == 0xcc);
}

/*
 * The control bits follow CPUID: NXE, SMEP, SMAP, PGE, OSXSAVE exactly
 * when present; FSGSBASE and PCIDE off whatever the CPU has; WP always.
 */
static void t_control_bits_follow_cpuid(struct ktest *t)
{
	const struct cpu_features *f = &cpu_features;
	u64 cr4 = read_cr4();

	KTEST_EXPECT_EQ(t, !!(rdmsr(MSR_EFER) & EFER_NXE), f->nx);
	KTEST_EXPECT_EQ(t, !!(cr4 & CR4_SMEP), f->smep);
	KTEST_EXPECT_EQ(t, !!(cr4 & CR4_SMAP), f->smap);
	KTEST_EXPECT_EQ(t, !!(cr4 & CR4_PGE), f->pge);
	KTEST_EXPECT_EQ(t, !!(cr4 & CR4_OSXSAVE), f->xsave);
	KTEST_EXPECT_EQ(t, cr4 & (CR4_FSGSBASE | CR4_PCIDE), 0);
	KTEST_EXPECT(t, read_cr0() & CR0_WP);
	KTEST_EXPECT_EQ(t, !!(cr4 & CR4_LA57), pgtable_levels == 5);
	if (pgtable_levels == 5)
		KTEST_EXPECT(t, f->la57);
}

/* The FPU save area follows CPUID: XSAVE form exactly when XSAVE exists. */
static void t_fpu_format_follows_cpuid(struct ktest *t)
{
	const struct cpu_features *f = &cpu_features;

	KTEST_EXPECT_EQ(t, arch_fpu_uses_xsave(), f->xsave);
	if (!f->xsave) {
		KTEST_EXPECT_EQ(t, arch_fpu_state_size(), 512);
		KTEST_EXPECT_EQ(t, arch_fpu_xfeatures(), 0);
		return;
	}
	KTEST_EXPECT(t, arch_fpu_state_size() >= 512 + 64);
	KTEST_EXPECT_EQ(t, arch_fpu_xfeatures() & 3, 3);		/* x87, SSE */
	KTEST_EXPECT_EQ(t, !!(arch_fpu_xfeatures() & 4), f->avx);	/* AVX */
	KTEST_EXPECT_EQ(t, arch_fpu_xfeatures() & ~(u64)f->xcr0_supported, 0);
}

/* ---- NX in page tables ---- */

struct nx_scan {
	unsigned long entries;		/* present entries seen */
	unsigned long nx;		/* of which with bit 63 */
};

/* Count present entries and NX bits in the table at @pa, @level (5..1). */
static void scan_table(struct nx_scan *s, phys_addr_t pa, unsigned int level)
{
	const u64 *e = phys_to_virt(pa);

	for (unsigned int i = 0; i < 512; i++) {
		if (!(e[i] & X86_PTE_P))
			continue;
		s->entries++;
		s->nx += !!(e[i] & X86_PTE_NX);
		if (level > 1 && !((level == 3 || level == 2) && (e[i] & X86_PTE_PS)))
			scan_table(s, e[i] & X86_PTE_ADDR_MASK, level - 1);
	}
}

static void scan_hierarchy(struct nx_scan *s, const struct page_table *pt)
{
	memset(s, 0, sizeof(*s));
	scan_table(s, virt_to_phys(pt->pgd), pgtable_levels);
}

/*
 * Fault in @pages of a fresh non-executable anonymous mapping of @mm
 * through the user-copy path, with @mm current. 0 or a negative errno.
 */
static int fault_in_user_pages(struct mm_struct *mm, unsigned int pages)
{
	struct mm_struct *saved;
	u8 byte = 0x5a;
	int err = 0;
	long r = mm_mmap(mm, CPU_UA_BASE, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	if (r != (long)CPU_UA_BASE)
		return r < 0 ? (int)r : -1;
	preempt_disable();
	saved = current->mm;
	current->mm = mm;
	arch_load_page_table(virt_to_phys(mm->pt.pgd));
	preempt_enable();
	for (unsigned int i = 0; i < pages && !err; i++)
		err = copy_to_user((void *)(CPU_UA_BASE + i * PAGE_SIZE), &byte, 1);
	preempt_disable();
	current->mm = saved;
	arch_load_page_table(virt_to_phys(kernel_pt.pgd));
	preempt_enable();
	return err;
}

/*
 * Without NX, bit 63 is reserved: no entry of the kernel's tables or of a
 * user address space (leaves built by mm/ for a non-executable mapping
 * included) may carry it. With NX the same scan must find it (the kernel's
 * data and the user pages are NX), which shows the scan can see the bit.
 */
static void t_nx_bit_only_with_nx(struct ktest *t)
{
	struct mm_struct *mm = mm_create(&kernel_pmm, &kernel_pt, USER_SPACE_END_L4);
	struct nx_scan kern, user;
	int err;

	KTEST_ASSERT(t, mm);
	err = fault_in_user_pages(mm, CPU_UA_PAGES);
	KTEST_EXPECT_EQ(t, err, 0);
	scan_hierarchy(&kern, &kernel_pt);
	scan_hierarchy(&user, &mm->pt);
	KTEST_EXPECT(t, kern.entries > 0 && user.entries > kern.entries);
	if (cpu_features.nx) {
		KTEST_EXPECT(t, kern.nx > 0);
		KTEST_EXPECT(t, user.nx >= kern.nx + CPU_UA_PAGES);
	} else {
		KTEST_EXPECT_EQ(t, kern.nx, 0);
		KTEST_EXPECT_EQ(t, user.nx, 0);
	}
	mm_put(mm);
}

static const struct ktest_case cpu_cases[] = {
	KTEST_CASE(t_sites_patched_by_feature,
		   "nop sites hold stac/clac with SMAP and same-length NOPs without"),
	KTEST_CASE(t_nop_fill_lengths, "nop_fill writes exactly the length asked"),
	KTEST_CASE(t_control_bits_follow_cpuid,
		   "EFER.NXE, CR4.SMEP/SMAP/PGE/OSXSAVE follow CPUID; FSGSBASE and PCIDE off"),
	KTEST_CASE(t_fpu_format_follows_cpuid, "FPU save format and XCR0 follow CPUID"),
	KTEST_CASE(t_nx_bit_only_with_nx,
		   "no page-table entry carries NX on a CPU without NX (kernel and user)"),
};

KTEST_SUITE(cpu_suite, "cpu", cpu_cases);
