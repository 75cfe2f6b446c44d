/*
 * Init calls: each subsystem registers its own start-up function next to its
 * code; kernel_main runs them by level after the memory allocators are up,
 * so no subsystem edits kernel/main.c to be started.
 *
 *   arch_initcall     interrupts, timer, syscall MSRs, the task system
 *   subsys_initcall   mm objects (zero page), the syscall table
 *   fs_initcall       the initrd and the file system
 *   device_initcall   device drivers (PCI is enumerated at subsys level);
 *                     probes run here, in the boot task, and may sleep
 *   late_initcall     after the in-kernel tests: whatever the command line
 *                     asks to run in user space. Returns the number of
 *                     failed tests (0 if none), which decides the exit status.
 *
 * Functions at the other levels return 0 or -errno; an error is a failed
 * boot (panic with the function's name), since the kernel cannot go on
 * without the subsystem.
 */
#ifndef PAGODA_INIT_H
#define PAGODA_INIT_H

typedef int (*initcall_t)(void);

struct initcall {
	initcall_t fn;
	const char *name;
};

#define __INITCALL(level, func)						\
	static const struct initcall __initcall_##func			\
	__attribute__((used, section(".initcall." #level), aligned(8))) = { \
		.fn = func, .name = #func,				\
	}

#define arch_initcall(fn)	__INITCALL(1, fn)
#define subsys_initcall(fn)	__INITCALL(2, fn)
#define fs_initcall(fn)		__INITCALL(3, fn)
#define device_initcall(fn)	__INITCALL(4, fn)
#define late_initcall(func)					\
	static const struct initcall __initcall_##func			\
	__attribute__((used, section(".initcall_late"), aligned(8))) = { \
		.fn = func, .name = #func,				\
	}

#endif
