/*
 * Interrupt-flag helpers. On one CPU, "interrupts off" is what protects the
 * scheduler's queues and the task lists against the timer interrupt.
 */
#ifndef ASM_IRQFLAGS_H
#define ASM_IRQFLAGS_H

#include <pagoda/types.h>

#define X86_RFLAGS_IF	(1UL << 9)

static inline unsigned long local_save_flags(void)
{
	unsigned long f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f) :: "memory");
	return f;
}

/* Turn interrupts off; return the previous flags for local_irq_restore(). */
static inline unsigned long local_irq_save(void)
{
	unsigned long f = local_save_flags();

	__asm__ volatile("cli" ::: "memory");
	return f;
}

static inline void local_irq_restore(unsigned long f)
{
	if (f & X86_RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
}

static inline bool irqs_disabled(void)
{
	return !(local_save_flags() & X86_RFLAGS_IF);
}

static inline void local_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void local_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }

#endif
