/*
 * The console as a file (fds 0, 1 and 2 of every user process) and the
 * /dev nodes. Writes go to COM1 unchanged, without printk's timestamps, so
 * a program's output reads on the serial line as it would on a terminal;
 * reads see end of file (there is no input driver yet).
 *
 * The console answers the two terminal ioctls C libraries use to decide
 * that it is a terminal (isatty, line buffering): TCGETS and TIOCGWINSZ.
 */
#include <pagoda/fs.h>
#include <pagoda/console.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <pagoda/uaccess.h>

#define TCGETS		0x5401
#define TIOCGWINSZ	0x5413

#define CONSOLE_ROWS	24
#define CONSOLE_COLS	80

/* Linux's struct termios (the ioctl one, 36 bytes) and struct winsize. */
struct linux_termios {
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	u8 c_line;
	u8 c_cc[19];
};

struct linux_winsize {
	u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* What a fresh Linux tty reports (tty_std_termios): cooked, echo, 38400 8N1. */
static const struct linux_termios console_termios = {
	.c_iflag = 0x0500,		/* ICRNL | IXON */
	.c_oflag = 0x0005,		/* OPOST | ONLCR */
	.c_cflag = 0x04bf,		/* B38400 | CS8 | CREAD | HUPCL */
	.c_lflag = 0x8a3b,		/* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
	.c_cc = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0 },
};

static long console_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return 0;
}

#define CONSOLE_CHUNK	256

/* Straight from the iterator to COM1, a stack buffer at a time. */
static long console_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	char buf[CONSOLE_CHUNK];
	size_t done = 0;

	while (iov_iter_count(from)) {
		size_t want = MIN(iov_iter_count(from), sizeof(buf));
		size_t n = copy_from_iter(buf, want, from);

		console_write_raw(buf, n);
		done += n;
		if (n < want)
			break;
	}
	return done ? (long)done : -EFAULT;
}

static long console_ioctl(struct file *f, unsigned int cmd, u64 arg)
{
	struct linux_winsize ws = { .ws_row = CONSOLE_ROWS, .ws_col = CONSOLE_COLS };

	switch (cmd) {
	case TCGETS:
		return copy_to_user((void *)arg, &console_termios, sizeof(console_termios));
	case TIOCGWINSZ:
		return copy_to_user((void *)arg, &ws, sizeof(ws));
	}
	return -ENOTTY;
}

static const struct file_operations console_fops = {
	.read_iter = console_read_iter,
	.write_iter = console_write_iter,
	.ioctl = console_ioctl,
	.seekable = false,
};

static long null_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return 0;
}

/* Linux's /dev/null takes any buffer without reading it. */
static long null_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	size_t n = iov_iter_count(from);

	iov_iter_advance(from, n);
	return (long)n;
}

static const struct file_operations null_fops = {
	.read_iter = null_read_iter,
	.write_iter = null_write_iter,
	.seekable = true,
};

/* Linux device numbers (new_encode_dev) of /dev/console (5:1), /dev/null (1:3). */
#define CONSOLE_RDEV	0x501
#define NULL_RDEV	0x103

static struct inode console_inode = {
	.ino = 0x100000,
	.mode = S_IFCHR | 0600,
	.fops = &console_fops,
	.name = "console",
	.rdev = CONSOLE_RDEV,
};

/* One open console shared by every descriptor that refers to it; never freed. */
static struct file console = {
	.refs = 1,
	.flags = O_RDWR | O_LARGEFILE,
	.inode = &console_inode,
	.ops = &console_fops,
};

struct file *console_file(void)
{
	return file_get(&console);
}

/* /dev/console and /dev/null in the tree (fs init call). */
int console_init_devices(void)
{
	long err;
	struct inode *in;

	in = ramfs_mknod("/dev/console", S_IFCHR | 0600, NULL, 0, &err);
	if (!in)
		return (int)err;
	in->fops = &console_fops;
	in->rdev = CONSOLE_RDEV;
	in = ramfs_mknod("/dev/null", S_IFCHR | 0666, NULL, 0, &err);
	if (!in)
		return (int)err;
	in->fops = &null_fops;
	in->rdev = NULL_RDEV;
	return 0;
}
