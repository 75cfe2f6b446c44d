#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <asm/cpu.h>

#define QEMU_DEBUG_EXIT_PORT	0xf4

void machine_poweroff(enum poweroff_status status)
{
	machine_poweroff_code(status);
}

void machine_poweroff_code(unsigned int status)
{
	cli();
	/* isa-debug-exit exists only in QEMU; port 0xf4 is unused elsewhere */
	if (cpu_features.hypervisor)
		outb(QEMU_DEBUG_EXIT_PORT, status);
	printk("pagoda: system halted (status 0x%x); it is safe to power off\n", status);
	for (;;)
		hlt();
}
