/*
 * /proc/self/maps and /proc/self/statm (/proc/self/pagemap is read live,
 * below). The text is generated once, at
 * open, from the opening task's address space (mm_format_maps/statm in
 * mm/mmap.c) into a kmalloc buffer the file owns; reads then serve that
 * snapshot, as a single read of a seq_file would on Linux. The buffer is
 * freed when the last descriptor closes.
 *
 * /proc is a file system type ("proc"): each mount gets a fresh super
 * block whose tree (directories and these files) is built at mount time,
 * pinned in the dcache like ramfs's. Nothing can be created in it.
 *
 * /proc/pagoda/ holds Pagoda's own global files, generated the same way:
 * free_pages (the free page count) and faults (the fault counters).
 * /proc/interrupts is the interrupt counts (arch/x86_64/irq.c).
 */
#include <fs/proc.h>
#include <pagoda/fs.h>
#include <pagoda/err.h>
#include <pagoda/xarray.h>
#include <pagoda/errno.h>
#include <pagoda/pci.h>
#include <pagoda/irq.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/vsprintf.h>
#include <asm/irqflags.h>
#include <mm/audit.h>
#include <mm/mm.h>
#include <mm/pmm.h>
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

/*
 * /proc/pagoda/free_pages: the buddy allocator's free page count once the
 * unused dentries are dropped and the empty slabs (kmalloc's, the
 * page-cache index's) are given back, one decimal
 * number (userland init compares it before and after each test program:
 * a test that mapped a file leaves nothing behind but cache). The open
 * file's own buffers are allocated at this point, the same each time.
 */
static size_t proc_free_pages_format(struct mm_struct *mm, char *buf, size_t len)
{
	shrink_dcache();
	xa_shrink_cache();
	kmalloc_shrink();
	return (size_t)snprintf(buf, len, "%lu\n", pmm_nr_free(&kernel_pmm));
}

/* /proc/pagoda/faults: the global fault counters, "name value" per line (as /proc/vmstat). */
static size_t proc_faults_format(struct mm_struct *mm, char *buf, size_t len)
{
	const struct fault_counters *f = &global_faults;

	return (size_t)snprintf(buf, len,
				"anon %lu\nzero_page %lu\nwp_copy %lu\nwp_reuse %lu\n"
				"shared %lu\nstack_expand %lu\nsigsegv %lu\nsigbus %lu\n"
				"spurious %lu\nminor %lu\nmajor %lu\n",
				f->anon, f->zero_page, f->wp_copy, f->wp_reuse, f->shared,
				f->stack_expand, f->sigsegv, f->sigbus, f->spurious, f->minor,
				f->major);
}

/* /proc/interrupts: the vectors in use and the LOC/SPU/ERR rows (irq.c). */
static size_t proc_interrupts_format(struct mm_struct *mm, char *buf, size_t len)
{
	return irq_show_interrupts(buf, len);
}

static int proc_interrupts_open(struct inode *inode, struct file *f)
{
	return proc_generate(f, proc_interrupts_format);
}

/* /proc/bus/pci/devices: what PCI enumeration found, as Linux shows it. */
static size_t proc_pci_devices_format(struct mm_struct *mm, char *buf, size_t len)
{
	return pci_format_proc_devices(&pci_system, buf, len);
}

static int proc_pci_devices_open(struct inode *inode, struct file *f)
{
	return proc_generate(f, proc_pci_devices_format);
}

static int proc_free_pages_open(struct inode *inode, struct file *f)
{
	return proc_generate(f, proc_free_pages_format);
}

static int proc_faults_open(struct inode *inode, struct file *f)
{
	return proc_generate(f, proc_faults_format);
}

static long proc_read(struct kiocb *iocb, struct iov_iter *to)
{
	const struct proc_text *t = iocb->ki_filp->private;
	u64 pos = (u64)iocb->ki_pos;
	size_t n;

	if (pos >= t->len || !iov_iter_count(to))
		return 0;
	n = copy_to_iter(t->buf + pos, MIN(iov_iter_count(to), t->len - (size_t)pos), to);
	if (!n)
		return -EFAULT;
	iocb->ki_pos += (loff_t)n;
	return (long)n;
}

static void proc_release(struct file *f)
{
	struct proc_text *t = f->private;

	kfree(t->buf);
	kfree(t);
}

/*
 * /proc/self/pagemap: eight bytes per page of the address space of the
 * task that opened it (held until the last close), read at the page's
 * index times 8, as Linux's: entries built live from the page tables
 * (mm_pagemap, PM_* in mm/mm.h). An offset or a count that is not a
 * multiple of 8 is -EINVAL; reads end at the top of user space.
 */
#define PAGEMAP_BATCH	512

static int proc_pagemap_open(struct inode *inode, struct file *f)
{
	if (current->mm)
		mm_get(current->mm);
	f->private = current->mm;
	return 0;
}

static long proc_pagemap_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct mm_struct *mm = iocb->ki_filp->private;
	size_t count = iov_iter_count(to), done = 0;
	u64 pos = (u64)iocb->ki_pos, *batch;

	if (pos % 8 || count % 8)
		return -EINVAL;
	if (!mm || !count || pos / 8 >= mm->task_size >> PAGE_SHIFT)
		return 0;
	batch = kmalloc(PAGEMAP_BATCH * sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	while (done < count) {
		u64 first = (pos + done) / 8, left = (mm->task_size >> PAGE_SHIFT) - first;
		size_t n = MIN(MIN((count - done) / 8, (size_t)PAGEMAP_BATCH), (size_t)left), got;

		if (!n)
			break;
		mm_pagemap(mm, first << PAGE_SHIFT, batch, n);	/* no user copy under mmap_lock */
		got = copy_to_iter(batch, n * 8, to);
		done += got;
		if (got < n * 8)
			break;
	}
	kfree(batch);
	if (!done)
		return -EFAULT;
	iocb->ki_pos += (loff_t)done;
	return (long)done;
}

static void proc_pagemap_release(struct file *f)
{
	if (f->private)
		mm_put(f->private);
}

/*
 * /proc/pagoda/audit: the memory consistency audit (mm/audit.c) of every
 * live address space, run at open: the violation lines and "audit: N
 * errors", or "audit: clean (M address spaces, P ptes, Q pages)". The text
 * goes into a buffer allocated before the audit takes any lock (so the
 * audit neither allocates nor touches user memory under mmap_lock); lines
 * beyond it are counted, not shown.
 */
#define PROC_AUDIT_TEXT		16384
#define PROC_AUDIT_TAIL		128	/* room kept for the last lines */

struct proc_audit_text {
	char *buf;
	size_t len, cap;
	unsigned long dropped;
};

static void proc_audit_emit(const char *line, void *ctx)
{
	struct proc_audit_text *t = ctx;
	size_t n = strlen(line);

	if (t->len + n + 1 > t->cap - PROC_AUDIT_TAIL) {
		t->dropped++;
		return;
	}
	memcpy(t->buf + t->len, line, n);
	t->buf[t->len + n] = '\n';
	t->len += n + 1;
}

/*
 * The mm of every live task, each once, with a reference, and the pid of
 * the first task using it as its id. Kernel threads and zombies have none.
 * Returns the number found, *mms and *ids kmalloc'd for the caller to
 * free; on -ENOMEM (in *err) 0 and both NULL.
 */
static unsigned int proc_audit_collect(struct mm_struct ***mms, int **ids, int *err)
{
	unsigned int cap = 16, n;

	for (;;) {
		struct list_head *pos;
		unsigned long flags;
		bool full = false;

		*mms = kmalloc(cap * sizeof(**mms), GFP_KERNEL);
		*ids = kmalloc(cap * sizeof(**ids), GFP_KERNEL);
		if (!*mms || !*ids) {
			kfree(*mms);
			kfree(*ids);
			*mms = NULL;
			*ids = NULL;
			*err = -ENOMEM;
			return 0;
		}
		n = 0;
		flags = local_irq_save();
		list_for_each(pos, &task_all_list) {
			struct task *t = list_entry(pos, struct task, all_list);
			unsigned int i;

			if (!t->mm)
				continue;
			for (i = 0; i < n && (*mms)[i] != t->mm; i++)
				;
			if (i < n)
				continue;
			if (n == cap) {
				full = true;
				break;
			}
			mm_get(t->mm);
			(*mms)[n] = t->mm;
			(*ids)[n++] = t->pid;
		}
		local_irq_restore(flags);
		if (!full) {
			*err = 0;
			return n;
		}
		while (n)
			mm_put((*mms)[--n]);
		kfree(*mms);
		kfree(*ids);
		cap *= 2;
	}
}

static int proc_audit_open(struct inode *inode, struct file *f)
{
	struct proc_text *pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	struct proc_audit_text t = { .cap = PROC_AUDIT_TEXT };
	struct audit_report rep;
	struct mm_struct **mms;
	unsigned int n;
	int *ids, err;

	t.buf = kmalloc(t.cap, GFP_KERNEL);
	if (!pt || !t.buf) {
		kfree(pt);
		kfree(t.buf);
		return -ENOMEM;
	}
	n = proc_audit_collect(&mms, &ids, &err);
	if (!err)
		err = mm_audit(mms, ids, n, &kernel_pmm, &rep, proc_audit_emit, &t);
	for (unsigned int i = 0; i < n; i++)
		mm_put(mms[i]);
	kfree(mms);
	kfree(ids);
	if (err == -ENOMEM) {
		kfree(pt);
		kfree(t.buf);
		return -ENOMEM;
	}
	if (t.dropped)
		t.len += snprintf(t.buf + t.len, t.cap - t.len, "audit: %lu more lines not shown\n",
				  t.dropped);
	if (rep.errors)
		t.len += snprintf(t.buf + t.len, t.cap - t.len, "audit: %lu errors\n", rep.errors);
	else
		t.len += snprintf(t.buf + t.len, t.cap - t.len,
				  "audit: clean (%lu address spaces, %lu ptes, %lu pages)\n",
				  rep.mms, rep.ptes, rep.pages);
	pt->buf = t.buf;
	pt->len = t.len;
	f->private = pt;
	return 0;
}

static const struct file_operations proc_maps_fops = {
	.open = proc_maps_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_pagemap_fops = {
	.open = proc_pagemap_open,
	.read_iter = proc_pagemap_read,
	.release = proc_pagemap_release,
	.seekable = true,
};

static const struct file_operations proc_statm_fops = {
	.open = proc_statm_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_free_pages_fops = {
	.open = proc_free_pages_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_audit_fops = {
	.open = proc_audit_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_interrupts_fops = {
	.open = proc_interrupts_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_pci_devices_fops = {
	.open = proc_pci_devices_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct file_operations proc_faults_fops = {
	.open = proc_faults_open,
	.read_iter = proc_read,
	.release = proc_release,
	.seekable = true,
};

static const struct {
	const char *path;
	const struct file_operations *fops;
} proc_files[] = {
	{ "self/maps", &proc_maps_fops },
	{ "self/statm", &proc_statm_fops },
	{ "self/pagemap", &proc_pagemap_fops },
	{ "pagoda/free_pages", &proc_free_pages_fops },
	{ "pagoda/faults", &proc_faults_fops },
	{ "pagoda/audit", &proc_audit_fops },
	{ "bus/pci/devices", &proc_pci_devices_fops },
	{ "interrupts", &proc_interrupts_fops },
};

static const struct inode_operations proc_dir_iops = {
	.lookup = simple_lookup,
};

static struct dentry *proc_child(struct dentry *dir, const char *name, u32 len)
{
	struct qstr q = qstr_hash(name, len);

	return d_lookup(dir, &q);
}

/* The directory @name (len bytes) under @dir, made if missing; borrowed. */
static struct dentry *proc_mkdir(struct super_block *sb, struct dentry *dir, const char *name,
				 u32 len)
{
	struct dentry *d = proc_child(dir, name, len);
	struct inode *inode;
	char buf[NAME_MAX + 1];

	if (d) {
		dput(d);			/* the pin keeps it */
		return d;
	}
	inode = ramfs_get_inode(sb, dir->d_inode, S_IFDIR | 0555, 0);
	if (!inode)
		return NULL;
	inode->i_op = &proc_dir_iops;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return simple_add_child(dir, buf, inode);
}

/* Add the file at @path (its directories made as needed) with @fops, @mode, @private. */
static int proc_add_file(struct super_block *sb, const char *path,
			 const struct file_operations *fops, u32 mode, void *private)
{
	const char *p = path, *slash;
	struct dentry *dir = sb->s_root;
	struct inode *inode;

	for (;;) {
		for (slash = p; *slash && *slash != '/'; slash++)
			;
		if (!*slash)
			break;
		dir = proc_mkdir(sb, dir, p, (u32)(slash - p));
		if (!dir)
			return -ENOMEM;
		p = slash + 1;
	}
	inode = new_inode(sb);
	if (!inode)
		return -ENOMEM;
	inode->i_mode = S_IFREG | mode;	/* size 0 in stat, as Linux shows them */
	inode->i_fop = fops;
	inode->i_private = private;
	if (!simple_add_child(dir, p, inode))
		return -ENOMEM;
	return 0;
}

/* Build a mount's tree: these files, then the regenerating ones (include/fs/proc.h). */
static int proc_fill(struct super_block *sb)
{
	for (size_t i = 0; i < ARRAY_SIZE(proc_files); i++)
		if (proc_add_file(sb, proc_files[i].path, proc_files[i].fops, 0444, NULL))
			return -ENOMEM;
	for (size_t i = 0; i < proc_nr_nodes; i++)
		if (proc_add_file(sb, proc_nodes[i].path, &proc_node_fops, proc_nodes[i].mode,
				  (void *)&proc_nodes[i]))
			return -ENOMEM;
	return 0;
}

static const struct super_operations proc_sops;

static struct super_block *proc_mount(struct file_system_type *type, int flags, const char *dev,
				      void *data)
{
	struct super_block *sb = alloc_super(type, &proc_sops);
	struct inode *root;

	if (!sb)
		return ERR_PTR(-ENOMEM);
	root = ramfs_get_inode(sb, NULL, S_IFDIR | 0555, 0);
	if (root)
		root->i_op = &proc_dir_iops;
	sb->s_root = root ? d_make_root(root) : NULL;
	if (!sb->s_root || proc_fill(sb)) {
		kill_litter_super(sb);
		return ERR_PTR(-ENOMEM);
	}
	return sb;
}

static struct file_system_type proc_fs_type = {
	.name = "proc",
	.mount = proc_mount,
	.kill_sb = kill_litter_super,
};

int procfs_init(void)
{
	return register_filesystem(&proc_fs_type);
}
