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
#include <pagoda/blkdev.h>
#include <pagoda/console.h>
#include <pagoda/printk.h>
#include <pagoda/err.h>
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

/*
 * /dev/kmsg, written: each write() is one line of the kernel log, as
 * Linux's (an optional "<N>" priority prefix is dropped, and so is one
 * trailing newline; at most 1023 bytes are kept, the rest is consumed).
 * Reading the log through it is not supported yet: EINVAL.
 */
#define KMSG_LINE_MAX	1024

static long kmsg_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return -EINVAL;
}

static long kmsg_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	size_t n = iov_iter_count(from), len = MIN(n, (size_t)KMSG_LINE_MAX - 1);
	char line[KMSG_LINE_MAX];
	const char *text = line;

	if (copy_from_iter(line, len, from) != len)
		return -EFAULT;
	iov_iter_advance(from, n - len);
	line[len] = 0;
	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (line[0] == '<') {			/* "<N>" or "<NN>": a priority */
		const char *p = line + 1;

		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '>' && p > line + 1)
			text = p + 1;
	}
	printk("%s\n", text);
	return (long)n;
}

static const struct file_operations kmsg_fops = {
	.read_iter = kmsg_read_iter,
	.write_iter = kmsg_write_iter,
	.seekable = false,
};

/* Linux device numbers (new_encode_dev) of /dev/console (5:1), /dev/null (1:3), /dev/kmsg (1:11). */
#define CONSOLE_RDEV	0x501
#define NULL_RDEV	0x103
#define KMSG_RDEV	0x10b

static struct inode console_inode = {
	.i_ino = 0x100000,
	.i_mode = S_IFCHR | 0600,
	.i_nlink = 1,
	.i_fop = &console_fops,
	.i_rdev = CONSOLE_RDEV,
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

const struct file_operations *chrdev_fops(u32 rdev)
{
	switch (rdev) {
	case CONSOLE_RDEV:
		return &console_fops;
	case NULL_RDEV:
		return &null_fops;
	case KMSG_RDEV:
		return &kmsg_fops;
	}
	return NULL;
}

/*
 * devtmpfs: one ramfs super block made at boot with the device nodes;
 * every mount of "devtmpfs" shows that same tree (as on Linux).
 */
static struct super_block *devtmpfs_sb;

static struct super_block *devtmpfs_mount(struct file_system_type *type, int flags,
					  const char *dev, void *data)
{
	return devtmpfs_sb ? devtmpfs_sb : ERR_PTR(-ENODEV);
}

static struct file_system_type devtmpfs_type = {
	.name = "devtmpfs",
	.mount = devtmpfs_mount,
	.kill_sb = NULL,		/* never goes: the kernel's own reference */
};

static int dev_node(const char *name, u32 mode, u32 rdev)
{
	struct inode *inode = ramfs_get_inode(devtmpfs_sb, devtmpfs_sb->s_root->d_inode, mode, rdev);

	if (!inode || !simple_add_child(devtmpfs_sb->s_root, name, inode))
		return -ENOMEM;
	return 0;
}

/*
 * /dev/NAME for each block device (disk or partition) as block/genhd.c
 * registers it, and gone when it goes (mode 0660, as Linux's devtmpfs).
 * Before devtmpfs exists (no disk is added that early) nothing happens.
 */
/*
 * Lock /dev (devtmpfs's root, returned in *@dir) and look up @bdev's name
 * there: the dentry (a reference the caller drops), or NULL. The caller
 * unlocks (*@dir)->i_rwsem.
 */
static struct dentry *lock_dev_lookup(struct block_device *bdev, struct inode **dir)
{
	struct qstr q = qstr_hash(bdev->bd_name, (u32)strlen(bdev->bd_name));

	*dir = devtmpfs_sb->s_root->d_inode;
	down_write(&(*dir)->i_rwsem);
	return d_lookup(devtmpfs_sb->s_root, &q);
}

void devtmpfs_add_bdev(struct block_device *bdev)
{
	struct inode *dir;
	struct dentry *d;

	if (!devtmpfs_sb)
		return;
	d = lock_dev_lookup(bdev, &dir);
	if (d && d->d_inode) {			/* a node of that name already */
		dput(d);
	} else {
		dput(d);
		if (dev_node(bdev->bd_name, S_IFBLK | 0660, new_encode_dev(bdev->bd_dev)))
			printk("devtmpfs: no memory for /dev/%s\n", bdev->bd_name);
	}
	up_write(&dir->i_rwsem);
}

void devtmpfs_remove_bdev(struct block_device *bdev)
{
	struct inode *dir;
	struct dentry *d;

	if (!devtmpfs_sb)
		return;
	d = lock_dev_lookup(bdev, &dir);
	if (d && d->d_inode && S_ISBLK(d->d_inode->i_mode) &&
	    d->d_inode->i_rdev == new_encode_dev(bdev->bd_dev) && !dir->i_op->unlink(dir, d)) {
		d_drop(d);		/* no negative dentry left behind: freed with our reference */
		d_delete(d);
	}
	up_write(&dir->i_rwsem);
	dput(d);
}

/* devtmpfs with /dev/console, /dev/null and /dev/kmsg (fs init call, before it is mounted on /dev). */
int console_init_devices(void)
{
	int err;

	devtmpfs_sb = ramfs_make_super(&devtmpfs_type, 0755);
	if (IS_ERR(devtmpfs_sb)) {
		err = (int)PTR_ERR(devtmpfs_sb);
		devtmpfs_sb = NULL;
		return err;
	}
	devtmpfs_sb->s_active = 1;		/* the kernel's: it is never unmounted for good */
	err = dev_node("console", S_IFCHR | 0600, CONSOLE_RDEV);
	if (!err)
		err = dev_node("null", S_IFCHR | 0666, NULL_RDEV);
	if (!err)
		err = dev_node("kmsg", S_IFCHR | 0644, KMSG_RDEV);
	if (!err)
		err = register_filesystem(&devtmpfs_type);
	return err;
}
