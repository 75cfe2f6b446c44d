/* x86-64 privileged instructions and control-register bits. Arch-only. */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include <pagoda/types.h>
#include <asm/alternative.h>

#define CR0_WP		(1UL << 16)
#define CR0_PG		(1UL << 31)
#define CR4_PAE		(1UL << 5)
#define CR4_PGE		(1UL << 7)
#define CR4_OSFXSR	(1UL << 9)
#define CR4_LA57	(1UL << 12)
#define CR4_FSGSBASE	(1UL << 16)
#define CR4_PCIDE	(1UL << 17)
#define CR4_OSXSAVE	(1UL << 18)
#define CR4_SMEP	(1UL << 20)
#define CR4_SMAP	(1UL << 21)

#define MSR_EFER	0xc0000080
#define EFER_NXE	(1UL << 11)
#define MSR_FS_BASE	0xc0000100
#define MSR_GS_BASE	0xc0000101

#define RFLAGS_IF	(1UL << 9)
#define RFLAGS_AC	(1UL << 18)

static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(sub));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

/*
 * SMAP: open/close the window for deliberate kernel access to user pages.
 * Both are nop sites (asm/alternative.h): NOPs on a CPU without SMAP, where
 * they would raise #UD and where the window is always open anyway.
 */
static inline void stac(void) { __asm__ volatile(NOP_SITE("stac", NOP_SITE_SMAP) ::: "memory"); }
static inline void clac(void) { __asm__ volatile(NOP_SITE("clac", NOP_SITE_SMAP) ::: "memory"); }

/*
 * CPU features detected at boot (arch/x86_64/cpu.c), each from its CPUID
 * bit and nothing else: the kernel uses an optional instruction or control
 * bit only when its field here is true (docs/cpu-features.md).
 */
struct cpu_features {
	/* protections */
	bool nx;		/* 80000001h EDX[20]: EFER.NXE, PTE bit 63 */
	bool smep;		/* 7.0 EBX[7]:  CR4.SMEP */
	bool smap;		/* 7.0 EBX[20]: CR4.SMAP, stac/clac */
	/* paging */
	bool pge;		/* 1 EDX[13]:   CR4.PGE, global kernel pages */
	bool pdpe1gb;		/* 80000001h EDX[26]: 1 GiB leaves in the direct map */
	bool la57;		/* 7.0 ECX[16]: 5-level paging (the loader decides) */
	bool pcid;		/* 1 ECX[17]:   detected, not used (CR4.PCIDE off) */
	bool invpcid;		/* 7.0 EBX[10]: detected, not used */
	/* FPU state */
	bool xsave;		/* 1 ECX[26]:   CR4.OSXSAVE, XCR0, xsave/xrstor */
	bool xsaveopt;		/* 0Dh.1 EAX[0]: the context switch's save */
	bool xsavec;		/* 0Dh.1 EAX[1]: detected, not used */
	bool xsaves;		/* 0Dh.1 EAX[3]: detected, not used */
	bool avx;		/* 1 ECX[28] and XCR0-capable: AVX state in XCR0 */
	/* other instructions */
	bool rdrand;		/* 1 ECX[30]:   getrandom's source */
	bool fsgsbase;		/* 7.0 EBX[0]:  detected; CR4.FSGSBASE stays off */
	bool tsc_deadline;	/* 1 ECX[24]:   the local APIC timer's TSC-deadline mode */
	bool x2apic;		/* 1 ECX[21]:   the local APIC in x2APIC (MSR) mode */
	u8 phys_bits;		/* 80000008h EAX[7:0]: physical address width (36 without the leaf) */
	bool hypervisor;	/* 1 ECX[31]:   running under a hypervisor */
	u32 xcr0_supported;	/* 0Dh.0 EAX: XCR0 bits the CPU accepts (low half) */
	char vendor[13];
	char brand[49];
};

extern struct cpu_features cpu_features;

void cpu_detect_features(void);
void cpu_enable_protections(void);	/* EFER.NXE, CR0.WP, CR4.SMEP/SMAP/PGE */
void cpu_print_features(void);		/* the two "cpu:" lines of the boot log */

#endif
