/*
 * /proc files whose text is regenerated on every read from offset 0, as
 * Linux's seq_file (single_open) files are: a read at offset 0 (the first
 * read, or one after lseek(fd, 0, SEEK_SET)) builds the text anew; reads
 * further on serve the same text, so a reader going through the file in
 * pieces sees one consistent snapshot. Optionally writable (the sysctls
 * of /proc/sys/vm): a write at offset 0 is handed to ->store.
 *
 * fs/procfs.c puts every node of proc_nodes[] into each proc mount with
 * proc_node_fops and the node as the inode's i_private. The generators
 * live in fs/proc_mm.c (meminfo, vmstat), fs/proc_sys.c (/proc/sys/vm),
 * fs/proc_node.c (partitions) and fs/namespace.c (mounts).
 */
#ifndef FS_PROC_H
#define FS_PROC_H

#include <pagoda/types.h>

struct file_operations;

struct proc_node {
	const char *path;		/* under /proc: "meminfo", "sys/vm/dirty_ratio" */
	u32 mode;			/* permission bits (S_IFREG is added) */
	/*
	 * Write the file's text into @buf (at most @len bytes, NUL-terminated
	 * when len > 0) and return its full length, as snprintf does; it is
	 * called again with a larger buffer when that is >= @len. May sleep.
	 * NULL: write-only.
	 */
	size_t (*show)(char *buf, size_t len);
	/*
	 * A write of @len bytes (@buf NUL-terminated) at offset 0: the bytes
	 * consumed, or -errno (-EINVAL for what Linux's handler refuses).
	 * NULL: not writable.
	 */
	long (*store)(const char *buf, size_t len);
};

extern const struct proc_node proc_nodes[];
extern const size_t proc_nr_nodes;
extern const struct file_operations proc_node_fops;

/*
 * Text built piece by piece into a show() buffer: proc_printf() appends
 * what fits and counts everything, so .pos is the full length to return.
 * The buffer is NUL-terminated whenever it has room.
 */
struct proc_out {
	char *buf;
	size_t len, pos;
};
#define PROC_OUT_INIT(b, l)	{ .buf = (b), .len = (l), .pos = 0 }
void proc_printf(struct proc_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the generators ---- */

size_t proc_meminfo_show(char *buf, size_t len);
/* /proc/sysrq-trigger (kernel/sysrq.c): the first character is the key. */
long sysrq_trigger_store(const char *buf, size_t len);
size_t proc_vmstat_show(char *buf, size_t len);
size_t proc_partitions_show(char *buf, size_t len);
/* The mounts under the reader's root, Linux's "dev dir type opts 0 0" lines (fs/namespace.c). */
size_t proc_mounts_show(char *buf, size_t len);

/* /proc/sys/vm/ (fs/proc_sys.c): each file's show and store. */
size_t sysctl_dirty_ratio_show(char *buf, size_t len);
long sysctl_dirty_ratio_store(const char *buf, size_t len);
size_t sysctl_dirty_background_ratio_show(char *buf, size_t len);
long sysctl_dirty_background_ratio_store(const char *buf, size_t len);
size_t sysctl_dirty_bytes_show(char *buf, size_t len);
long sysctl_dirty_bytes_store(const char *buf, size_t len);
size_t sysctl_dirty_background_bytes_show(char *buf, size_t len);
long sysctl_dirty_background_bytes_store(const char *buf, size_t len);
size_t sysctl_dirty_expire_centisecs_show(char *buf, size_t len);
long sysctl_dirty_expire_centisecs_store(const char *buf, size_t len);
size_t sysctl_dirty_writeback_centisecs_show(char *buf, size_t len);
long sysctl_dirty_writeback_centisecs_store(const char *buf, size_t len);
long sysctl_drop_caches_store(const char *buf, size_t len);
size_t sysctl_fault_around_bytes_show(char *buf, size_t len);
long sysctl_fault_around_bytes_store(const char *buf, size_t len);

#endif
