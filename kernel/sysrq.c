/*
 * /proc/sysrq-trigger: Linux's magic SysRq keys, from a write. The first
 * character of the write is the key:
 *
 *   c  crash: sysrq_handle_crash() stores through a NULL pointer, so the
 *      kernel dies with an oops naming it (what crash-dump tests use)
 *   s  sync every file system ("Emergency Sync")
 *   b  restart at once, o  power off at once (no sync, as Linux)
 *
 * Any other key prints the list, as Linux prints its help.
 */
#include <fs/proc.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/power.h>
#include <pagoda/printk.h>

/* Deliberately a function of its own, so the oops names it (Linux's name). */
static __attribute__((noinline)) void sysrq_handle_crash(void)
{
	volatile char *killer = NULL;

	printk("sysrq: Trigger a crash\n");
	*killer = 1;
}

static void sysrq_handle_sync(void)
{
	printk("sysrq: Emergency Sync\n");
	sync_filesystems();
	printk("Emergency Sync complete\n");
}

long sysrq_trigger_store(const char *buf, size_t len)
{
	if (!len)
		return 0;
	switch (buf[0]) {
	case 'c':
		sysrq_handle_crash();
		break;
	case 's':
		sysrq_handle_sync();
		break;
	case 'b':
		printk("sysrq: Resetting\n");
		machine_restart();
	case 'o':
		printk("sysrq: Power Off\n");
		machine_poweroff(POWEROFF_OK);
	default:
		printk("sysrq: HELP : reboot(b) crash(c) poweroff(o) sync(s)\n");
		break;
	}
	return (long)len;
}
