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

#endif
