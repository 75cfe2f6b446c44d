/*
 * Ending the machine. Under QEMU the status reaches the host through the
 * isa-debug-exit device (QEMU exits with 2 * status + 1: 33, 35, 37); on
 * real hardware the CPU halts with a message.
 */
#ifndef PAGODA_POWER_H
#define PAGODA_POWER_H

#include <pagoda/compiler.h>

enum poweroff_status {
	POWEROFF_OK = 0x10,		/* QEMU exit 33 */
	POWEROFF_TESTS_FAILED = 0x11,	/* QEMU exit 35 */
	POWEROFF_CRASH = 0x12,		/* QEMU exit 37: oops or panic */
};

__noreturn void machine_poweroff(enum poweroff_status status);

/*
 * Power off with an arbitrary isa-debug-exit value @code: QEMU exits with
 * (2 * code + 1) & 0xff. The `init=` run (kernel/uinit.c) reports the first
 * program's shell-style status s (exit code, or 128 + N when killed by
 * signal N) as code POWEROFF_INIT_BASE + s for s < POWEROFF_INIT_RANGE, so
 * QEMU exits with 129 + 2s; any other s gives POWEROFF_INIT_BASE +
 * POWEROFF_INIT_RANGE (QEMU exit 255) and only the console line
 * "pagoda: init exited with status S" says which (tools/pagoda-run reads it).
 */
#define POWEROFF_INIT_BASE	0x40
#define POWEROFF_INIT_RANGE	0x3f
__noreturn void machine_poweroff_code(unsigned int code);

#endif
