/*
 * The regenerating /proc files (include/fs/proc.h): their file
 * operations, the table of them, and /proc/partitions.
 */
#include <fs/proc.h>
#include <pagoda/fs.h>
#include <pagoda/blkdev.h>
#include <pagoda/errno.h>
#include <pagoda/mutex.h>
#include <pagoda/string.h>
#include <pagoda/uio.h>
#include <pagoda/vsprintf.h>
#include <mm/slab.h>

#define PROC_FIRST_TRY		4096
#define PROC_STORE_MAX		256	/* longer sysctl writes: the first bytes are parsed */

const struct proc_node proc_nodes[] = {
	{ "meminfo", 0444, proc_meminfo_show, NULL },
	{ "sysrq-trigger", 0200, NULL, sysrq_trigger_store },
	{ "vmstat", 0444, proc_vmstat_show, NULL },
	{ "partitions", 0444, proc_partitions_show, NULL },
	{ "mounts", 0444, proc_mounts_show, NULL },
	{ "self/mounts", 0444, proc_mounts_show, NULL },
	{ "sys/vm/dirty_background_bytes", 0644, sysctl_dirty_background_bytes_show,
	  sysctl_dirty_background_bytes_store },
	{ "sys/vm/dirty_background_ratio", 0644, sysctl_dirty_background_ratio_show,
	  sysctl_dirty_background_ratio_store },
	{ "sys/vm/dirty_bytes", 0644, sysctl_dirty_bytes_show, sysctl_dirty_bytes_store },
	{ "sys/vm/dirty_expire_centisecs", 0644, sysctl_dirty_expire_centisecs_show,
	  sysctl_dirty_expire_centisecs_store },
	{ "sys/vm/dirty_ratio", 0644, sysctl_dirty_ratio_show, sysctl_dirty_ratio_store },
	{ "sys/vm/dirty_writeback_centisecs", 0644, sysctl_dirty_writeback_centisecs_show,
	  sysctl_dirty_writeback_centisecs_store },
	{ "sys/vm/drop_caches", 0200, NULL, sysctl_drop_caches_store },
	{ "sys/vm/fault_around_bytes", 0644, sysctl_fault_around_bytes_show,
	  sysctl_fault_around_bytes_store },
};
const size_t proc_nr_nodes = ARRAY_SIZE(proc_nodes);

/* One open file's text; the mutex keeps a reader from using a buffer another is replacing. */
struct proc_node_text {
	struct mutex lock;
	char *buf;			/* NULL: not generated yet */
	size_t len;
};

static const struct proc_node *file_node(const struct file *f)
{
	return f->inode->i_private;
}

/*
 * Opening for an access the mode does not give is EACCES even for root,
 * as Linux's sysctl permission check (drop_caches is write-only).
 */
static int proc_node_open(struct inode *inode, struct file *f)
{
	const struct proc_node *node = inode->i_private;
	unsigned int acc = f->flags & O_ACCMODE;
	struct proc_node_text *t;

	if ((acc != O_WRONLY && !(node->mode & 0444)) || (acc != O_RDONLY && !(node->mode & 0222)))
		return -EACCES;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	mutex_init(&t->lock, "proc_node_text");
	f->private = t;
	return 0;
}

/* Build @node's text into @t (lock held): 0 or -ENOMEM. */
static int proc_node_generate(const struct proc_node *node, struct proc_node_text *t)
{
	size_t cap = PROC_FIRST_TRY, need;

	kfree(t->buf);
	t->buf = NULL;
	for (;;) {
		t->buf = kmalloc(cap, GFP_KERNEL);
		if (!t->buf)
			return -ENOMEM;
		need = node->show(t->buf, cap);
		if (need < cap)
			break;
		kfree(t->buf);
		cap = need + 1;
	}
	t->len = need;
	return 0;
}

static long proc_node_read(struct kiocb *iocb, struct iov_iter *to)
{
	const struct proc_node *node = file_node(iocb->ki_filp);
	struct proc_node_text *t = iocb->ki_filp->private;
	u64 pos = (u64)iocb->ki_pos;
	long ret = 0;
	size_t n;

	if (!node->show)
		return -EINVAL;
	mutex_lock(&t->lock);
	if (pos == 0 || !t->buf)
		ret = proc_node_generate(node, t);
	if (ret || pos >= t->len || !iov_iter_count(to))
		goto out;
	n = copy_to_iter(t->buf + pos, MIN(iov_iter_count(to), t->len - (size_t)pos), to);
	if (!n) {
		ret = -EFAULT;
		goto out;
	}
	iocb->ki_pos += (loff_t)n;
	ret = (long)n;
out:
	mutex_unlock(&t->lock);
	return ret;
}

/*
 * A write at offset 0 goes to ->store whole (its first PROC_STORE_MAX
 * bytes); one further on changes nothing and moves nothing (0), as
 * Linux's sysctls do with sysctl_writes_strict.
 */
static long proc_node_write(struct kiocb *iocb, struct iov_iter *from)
{
	const struct proc_node *node = file_node(iocb->ki_filp);
	size_t count = iov_iter_count(from), n = MIN(count, (size_t)PROC_STORE_MAX - 1);
	char buf[PROC_STORE_MAX];
	long ret;

	if (!node->store)
		return -EIO;
	if (iocb->ki_pos != 0 || !count)
		return 0;
	if (copy_from_iter(buf, n, from) != n)
		return -EFAULT;
	buf[n] = '\0';
	ret = node->store(buf, n);
	if (ret > 0)
		iocb->ki_pos += ret;
	return ret;
}

static void proc_node_release(struct file *f)
{
	struct proc_node_text *t = f->private;

	kfree(t->buf);
	kfree(t);
}

const struct file_operations proc_node_fops = {
	.open = proc_node_open,
	.read_iter = proc_node_read,
	.write_iter = proc_node_write,
	.release = proc_node_release,
	.seekable = true,
};

/* ---- text ---- */

void proc_printf(struct proc_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL, o->pos < o->len ? o->len - o->pos : 0,
		      fmt, ap);
	va_end(ap);
	o->pos += (size_t)(n > 0 ? n : 0);
}

/* ---- /proc/partitions ---- */

/* Linux's show_partition(): "major minor #blocks name"; whole disks of size 0 are left out. */
static int partition_line(struct block_device *bdev, void *arg)
{
	struct proc_out *o = arg;

	if (bdev->bd_removed || !bdev_nr_sectors(bdev) || !get_capacity(bdev->bd_disk))
		return 0;
	proc_printf(o, "%4u  %7u %10llu %s\n", MAJOR(bdev->bd_dev), MINOR(bdev->bd_dev),
		 (unsigned long long)(bdev_nr_sectors(bdev) >> 1), bdev->bd_name);
	return 0;
}

size_t proc_partitions_show(char *buf, size_t len)
{
	struct proc_out o = PROC_OUT_INIT(buf, len);

	proc_printf(&o, "major minor  #blocks  name\n\n");
	blkdev_for_each(partition_line, &o);
	return o.pos;
}
