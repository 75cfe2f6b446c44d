/*
 * reboot(2) with Linux's magic numbers and commands (include/uapi/linux/
 * reboot.h values): restart, power off, halt, and the Ctrl-Alt-Del switch.
 * The machine work is arch: machine_restart(), machine_poweroff(),
 * machine_halt() (include/pagoda/power.h).
 */
#include <pagoda/errno.h>
#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <pagoda/syscall.h>

#define LINUX_REBOOT_MAGIC1		0xfee1deadu
#define LINUX_REBOOT_MAGIC2		672274793u
#define LINUX_REBOOT_MAGIC2A		85072278u
#define LINUX_REBOOT_MAGIC2B		369367448u
#define LINUX_REBOOT_MAGIC2C		537993216u

#define LINUX_REBOOT_CMD_RESTART	0x01234567u
#define LINUX_REBOOT_CMD_HALT		0xcdef0123u
#define LINUX_REBOOT_CMD_CAD_ON		0x89abcdefu
#define LINUX_REBOOT_CMD_CAD_OFF	0x00000000u
#define LINUX_REBOOT_CMD_POWER_OFF	0x4321fedcu

/* Ctrl-Alt-Del: reboot at once (true) or signal init (false); no keyboard yet. */
static bool cad_reboots = true;

/* CAP_SYS_BOOT: every task runs as root today, so everyone has it. */
static bool may_reboot(void)
{
	return true;
}

static bool magic_ok(u32 magic1, u32 magic2)
{
	return magic1 == LINUX_REBOOT_MAGIC1 &&
	       (magic2 == LINUX_REBOOT_MAGIC2 || magic2 == LINUX_REBOOT_MAGIC2A ||
		magic2 == LINUX_REBOOT_MAGIC2B || magic2 == LINUX_REBOOT_MAGIC2C);
}

/*
 * reboot(magic1, magic2, cmd, arg): -EPERM without CAP_SYS_BOOT, -EINVAL
 * for bad magic numbers or an unknown command (Linux's order of checks).
 * RESTART, POWER_OFF and HALT do not return.
 */
SYSCALL_DEFINE(__NR_reboot, reboot)
{
	u32 cmd = (u32)a2;

	if (!may_reboot())
		return -EPERM;
	if (!magic_ok((u32)a0, (u32)a1))
		return -EINVAL;
	switch (cmd) {
	case LINUX_REBOOT_CMD_RESTART:
		printk("reboot: restart requested by a user program\n");
		machine_restart();
	case LINUX_REBOOT_CMD_POWER_OFF:
		printk("reboot: power-off requested by a user program\n");
		machine_poweroff(POWEROFF_OK);
	case LINUX_REBOOT_CMD_HALT:
		printk("reboot: halt requested by a user program\n");
		machine_halt();
	case LINUX_REBOOT_CMD_CAD_ON:
		cad_reboots = true;
		return 0;
	case LINUX_REBOOT_CMD_CAD_OFF:
		cad_reboots = false;
		return 0;
	}
	return -EINVAL;
}
