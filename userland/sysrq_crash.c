/*
 * sysrq_crash: crash the kernel on purpose, as a crash-dump test does on
 * Linux. Writes a marker line to the kernel log through /dev/kmsg (with a
 * "<4>" priority prefix, which the log drops), then "c" to
 * /proc/sysrq-trigger: the kernel oopses in sysrq_handle_crash. Pagoda
 * only: it lives at the initrd's root (/sysrq_crash), never in tests.list,
 * since on the host it would crash the machine. Run by tests/check.sh as
 * `init=/sysrq_crash`; if it ever returns, it says so and exits 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_str(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(void)
{
	if (write_str("/dev/kmsg", "<4>sysrq_crash: about to crash the kernel\n"))
		perror("sysrq_crash: /dev/kmsg");
	write_str("/proc/sysrq-trigger", "c");
	printf("sysrq_crash: the kernel is still running\n");
	return 1;
}
