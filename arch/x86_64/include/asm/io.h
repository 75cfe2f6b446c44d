/*
 * Device register access: MMIO through a pointer from ioremap()
 * (include/pagoda/io.h) and x86 port I/O. Each accessor is one access of
 * its width, never merged or reordered by the compiler; x86 keeps
 * uncached accesses in program order, so no fence is needed between them.
 */
#ifndef ASM_IO_H
#define ASM_IO_H

#include <pagoda/types.h>
#include <pagoda/compiler.h>
#include <pagoda/io.h>
#include <asm/cpu.h>		/* inb, outb, outw, outl */

static inline u8 readb(const volatile void __iomem *a) { return *(const volatile u8 *)a; }
static inline u16 readw(const volatile void __iomem *a) { return *(const volatile u16 *)a; }
static inline u32 readl(const volatile void __iomem *a) { return *(const volatile u32 *)a; }
static inline u64 readq(const volatile void __iomem *a) { return *(const volatile u64 *)a; }

static inline void writeb(u8 v, volatile void __iomem *a) { *(volatile u8 *)a = v; }
static inline void writew(u16 v, volatile void __iomem *a) { *(volatile u16 *)a = v; }
static inline void writel(u32 v, volatile void __iomem *a) { *(volatile u32 *)a = v; }
static inline void writeq(u64 v, volatile void __iomem *a) { *(volatile u64 *)a = v; }

static inline u16 inw(u16 port)
{
	u16 v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * Order normal (cacheable) memory writes before a later MMIO write that
 * tells a device to read them (a doorbell after filling a queue entry):
 * a compiler barrier suffices on x86 (stores are not reordered with
 * stores), wmb() says why it is there.
 */
#define wmb()	__asm__ volatile("sfence" ::: "memory")
#define rmb()	__asm__ volatile("lfence" ::: "memory")
#define mb()	__asm__ volatile("mfence" ::: "memory")

#endif
