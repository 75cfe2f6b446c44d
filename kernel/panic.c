#include <pagoda/printk.h>
#include <pagoda/power.h>
#include <asm/stacktrace.h>

bool kernel_dying;

void panic(const char *fmt, ...)
{
	static bool in_panic;
	va_list ap;

	__asm__ volatile("cli");
	kernel_dying = true;
	if (in_panic)
		machine_poweroff(POWEROFF_CRASH);
	in_panic = true;
	printk("Kernel panic - not syncing: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	show_backtrace((uintptr_t)panic, (uintptr_t)__builtin_frame_address(0));
	printk("---[ end trace ]---\n");
	machine_poweroff(POWEROFF_CRASH);
}
