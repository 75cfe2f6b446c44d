/*
 * Per-CPU data reached through the GS segment (arch/x86_64/percpu.c).
 *
 * In the kernel MSR_GS_BASE points at this CPU's struct percpu and
 * MSR_KERNEL_GS_BASE holds the user's GS base; every entry from ring 3
 * (syscall, exception, interrupt) executes swapgs first and every return to
 * ring 3 executes it last, so user code never sees the kernel's value.
 *
 * The assembly in syscall.asm and entry.asm uses the PERCPU_* offsets; the
 * static asserts in percpu.c keep them equal to the struct.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#define PERCPU_SELF		0
#define PERCPU_KERNEL_RSP	8	/* top of the current task's kernel stack */
#define PERCPU_USER_RSP		16	/* user rsp, scratch during syscall entry */
#define PERCPU_CURRENT		24

#ifndef __ASSEMBLER__
#include <pagoda/types.h>

struct task;

struct percpu {
	struct percpu *self;		/* for reading the struct's address */
	u64 kernel_rsp;			/* = TSS.rsp0; loaded by syscall entry */
	u64 user_rsp;			/* syscall entry saves the user rsp here */
	struct task *current;
};

#define MSR_KERNEL_GS_BASE	0xc0000102

/* The one CPU's data (uniprocessor today: SMP makes this an array). */
extern struct percpu boot_percpu;

/* Point MSR_GS_BASE at this CPU's data; user GS base 0. Interrupts off. */
void percpu_init(void);

/* The GS-relative read the asm does, for tests and assertions. */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}
#endif

#endif
