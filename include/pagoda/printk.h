/*
 * Kernel console output and fatal errors. The kernel implements these in
 * kernel/printk.c (log ring buffer + console); host tests implement them in
 * tests/host/host_support.c (stdio + abort), so mm/ code calls them freely.
 */
#ifndef PAGODA_PRINTK_H
#define PAGODA_PRINTK_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>
#include <stdarg.h>

__printf(1, 2) int printk(const char *fmt, ...);
int vprintk(const char *fmt, va_list ap);

/* Stop the machine: a broken invariant. Message is "function: reason". */
__printf(1, 2) __noreturn void panic(const char *fmt, ...);

/* Set by panic() and the oops path: the kernel is going down. */
extern bool kernel_dying;

#define BUG_ON(cond)							\
	do {								\
		if (unlikely(cond))					\
			panic("%s:%d: BUG_ON(%s)", __func__, __LINE__,	\
			      #cond);					\
	} while (0)

#define WARN_ON(cond)							\
	({								\
		bool __w = !!(cond);					\
		if (unlikely(__w))					\
			printk("WARNING: %s:%d: %s\n", __func__,	\
			       __LINE__, #cond);			\
		__w;							\
	})

#endif
