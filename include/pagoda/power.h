/*
 * Ending the machine (arch/x86_64/power.c, docs/acpi-and-interrupts.md).
 *
 * Power-off prints "pagoda: powering off (status 0xNN)", writes the status
 * to QEMU's isa-debug-exit device when CPUID says hypervisor (QEMU exits
 * with 2 * status + 1: 33, 35, 37), then enters ACPI S5 (QEMU without that
 * device exits with 0; real hardware turns off). If the machine is still
 * running after that, it says so and halts.
 */
#ifndef PAGODA_POWER_H
#define PAGODA_POWER_H

#include <pagoda/compiler.h>
#include <pagoda/list.h>
#include <pagoda/types.h>

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

/*
 * Reset the machine: the FADT reset register (when RESET_REG_SUP), then
 * the 8042 keyboard controller, then a triple fault; `reboot=acpi|kbd|triple`
 * on the command line starts the list at that method. Each attempt prints
 * "pagoda: restarting via ..." and gets half a second before the next.
 * Interrupts off; allocates nothing.
 */
__noreturn void machine_restart(void);

/*
 * ACPI mode: if PM1a_CNT.SCI_EN is clear, write ACPI_ENABLE to SMI_CMD and
 * wait up to a second for it. True when SCI_EN is set (the OS owns the
 * power-management registers); false without a FADT or on timeout.
 */
bool acpi_enable_mode(void);

/*
 * Shutdown hooks (kernel/shutdown.c): what drivers do before the machine
 * powers off or restarts, such as telling a disk controller to write back
 * its cache. machine_poweroff_code() and machine_restart() call them, most
 * recently registered first, on the only CPU with interrupts off: a hook
 * must not sleep, allocate or take a lock a task may hold (a bounded
 * busy-wait is fine). They are not called when the kernel is dying
 * (kernel_dying: panic, oops): a dying kernel does not trust its drivers'
 * state, and the crash dump flushes what it writes itself.
 */
struct shutdown_hook {
	struct list_head node;
	void (*fn)(void);
	const char *name;
};

/* Add @h (static storage). Task context. */
void register_shutdown_hook(struct shutdown_hook *h);
void unregister_shutdown_hook(struct shutdown_hook *h);
/* Run every hook once (later calls do nothing); skipped while kernel_dying. */
void run_shutdown_hooks(void);

/* Stop the CPU for good after "pagoda: system halted" (no power-off). */
__noreturn void machine_halt(void);

#endif
