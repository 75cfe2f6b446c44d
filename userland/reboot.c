/*
 * reboot [poweroff|restart|none]: reboot(2) refuses bad magic numbers and
 * unknown commands with EINVAL, then (unless "none") powers the machine off
 * or restarts it. Pagoda only: it lives at the initrd's root (/reboot), not
 * in tests.list, since on the host it would end the machine. Run by the
 * QEMU scenarios of tests/check.sh as `init=/reboot initargs=...`.
 */
#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "utest.h"

#define MAGIC1		0xfee1deadL
#define MAGIC2		672274793L
#define CMD_CAD_OFF	0x00000000L
#define CMD_CAD_ON	0x89abcdefL

static long raw_reboot(long m1, long m2, long cmd)
{
	errno = 0;
	return syscall(SYS_reboot, m1, m2, cmd, 0L);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "none";

	ut_line("KTAP version 1");	/* the whole report: no init prints it */
	ut_line("1..1");
	ut_plan("reboot", 5);
	ut_ok(raw_reboot(0x12345678L, MAGIC2, CMD_CAD_ON) == -1 && errno == EINVAL,
	      "a bad first magic number is EINVAL");
	ut_ok(raw_reboot(MAGIC1, 42L, CMD_CAD_ON) == -1 && errno == EINVAL,
	      "a bad second magic number is EINVAL");
	ut_ok(raw_reboot(MAGIC1, MAGIC2, 0x11111111L) == -1 && errno == EINVAL,
	      "an unknown command is EINVAL");
	ut_ok(raw_reboot(MAGIC1, MAGIC2, CMD_CAD_OFF) == 0 &&
	      raw_reboot(MAGIC1, MAGIC2, CMD_CAD_ON) == 0,
	      "Ctrl-Alt-Del off and on succeed");
	ut_ok(1, strcmp(what, "poweroff") == 0 ? "powering off" :
		 strcmp(what, "restart") == 0 ? "restarting" : "nothing else requested");
	ut_line("%sok 1 reboot", ut_done() ? "not " : "");
	if (strcmp(what, "poweroff") == 0)
		reboot(RB_POWER_OFF);
	else if (strcmp(what, "restart") == 0)
		reboot(RB_AUTOBOOT);
	else
		return ut_failures ? 1 : 0;
	ut_line("# reboot(2) returned: %s", strerror(errno));
	return 1;
}
