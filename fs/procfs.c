/*
 * /proc/self/maps and /proc/self/statm. The text is generated once, at
 * open, from the opening task's address space (mm_format_maps/statm in
 * mm/mmap.c) into a kmalloc buffer the file owns; reads then serve that
 * snapshot, as a single read of a seq_file would on Linux. The buffer is
 * freed when the last descriptor closes.
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <mm/mm.h>
#include <mm/slab.h>

#define PROC_FIRST_TRY	4096

struct proc_text {
	char *buf;
	size_t len;
};

typedef size_t (*proc_format_t)(struct mm_struct *mm, char *buf, size_t len);

/*
 * Run @format into a buffer big enough for its whole output (a second try
 * with the size it asked for). 0 or -ENOMEM; a task without an mm reads an
 * empty file.
 */
static int proc_generate(struct file *f, proc_format_t format)
{
	struct proc_text *t = kzalloc(sizeof(*t), GFP_KERNEL);
	struct mm_struct *mm = current->mm;
	size_t cap = PROC_FIRST_TRY, need;

	if (!t)
		return -ENOMEM;
	for (;;) {
		t->buf = kmalloc(cap, GFP_KERNEL);
		if (!t->buf) {
			kfree(t);
			return -ENOMEM;
		}
		need = mm ? format(mm, t->buf, cap) : 0;
		if (need < cap)
			break;
		kfree(t->buf);
		cap = need + 1;
	}
	t->len = need;
	f->private = t;
	return 0;
}

static int proc_maps_open(struct inode *inode, struct file *f)
{
	return proc_generate(f, mm_format_maps);
}

static int proc_statm_open(struct inode *inode, struct file *f)
{
	return proc_generate(f, mm_format_statm);
}

static long proc_read(struct file *f, void *buf, size_t len, u64 *pos)
{
	const struct proc_text *t = f->private;
	size_t n;

	if (*pos >= t->len)
		return 0;
	n = MIN(len, t->len - (size_t)*pos);
	memcpy(buf, t->buf + *pos, n);
	*pos += n;
	return (long)n;
}

static void proc_release(struct file *f)
{
	struct proc_text *t = f->private;

	kfree(t->buf);
	kfree(t);
}

static const struct file_operations proc_maps_fops = {
	.open = proc_maps_open,
	.read = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_statm_fops = {
	.open = proc_statm_open,
	.read = proc_read,
	.release = proc_release,
	.seekable = true,
};

/* Register the files (fs init call). Size 0 in stat, as Linux shows them. */
int procfs_init(void)
{
	static const struct {
		const char *path;
		const struct file_operations *fops;
	} files[] = {
		{ "/proc/self/maps", &proc_maps_fops },
		{ "/proc/self/statm", &proc_statm_fops },
	};
	long err;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct inode *in = ramfs_mknod(files[i].path, S_IFREG | 0444, NULL, 0, &err);

		if (!in)
			return (int)err;
		in->fops = files[i].fops;
	}
	return 0;
}
