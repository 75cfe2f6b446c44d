/*
 * proc_mm: the memory subsystem's /proc files, the same on Linux and on
 * Pagoda. Only what holds on any correct system is printed: the lines and
 * their format, relations between the values, and changes the program
 * itself causes (the counters are global, so a change is looked for a few
 * times over: other processes on the host may move them meanwhile).
 *
 *   /proc/meminfo   every line Pagoda must give, in Linux's order and
 *                   format; MemFree, MemAvailable <= MemTotal, Active and
 *                   Inactive the sums of their parts; AnonPages grows when
 *                   16 MiB is touched, Cached when a 4 MiB file is written;
 *                   a read from offset 0 after lseek gives fresh text
 *   /proc/vmstat    the names in Linux's order, "name value"; pgfault grows
 *                   by at least 256 when 256 new pages are touched, pgalloc
 *                   and pgfree move
 *   /proc/sys/vm    the dirty_* values read as numbers; garbage, out of
 *                   range and empty writes are EINVAL; dirty_bytes and
 *                   dirty_ratio exclude each other; drop_caches is
 *                   write-only (EACCES to read; 0 is EINVAL: Linux 6.1
 *                   takes 1 to 4, later ones more);
 *                   fault_around_bytes (Pagoda: /proc/sys/vm; Linux 6.1
 *                   has it in debugfs only, so where it is absent the same
 *                   line is printed unchecked)
 *   /proc/mounts    = /proc/self/mounts; "dev dir type opts 0 0", /proc there
 *   /proc/partitions  Linux's header, every line well formed
 *
 * With --disk DIR (the host) or --disk /dev/DISK (Pagoda: mounted -t
 * ext2), tests/proc_mm_disk.sh: Dirty grows at a write and falls at
 * fsync, pgpgout grows; drop_caches drops the file's pages and Cached
 * falls; a cold read through a mapping counts major faults (ru_majflt,
 * pgmajfault) and pgpgin.
 * Writes to /proc/sys need root (make check runs both sides as root); as
 * another user those results are skipped on both.
 */
#define _GNU_SOURCE
#include "utest.h"
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define PG		4096
#define TRIES		5
#define MB		(1024 * 1024)

static char text[65536];

/* The whole of @path into text[] (one read loop from offset 0). Bytes, or -1. */
static long slurp(const char *path)
{
	return ut_read_file(path, text, sizeof(text));
}

/* The value of "@name:" in text[] (meminfo, kB), or -1. */
static long long meminfo_value(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (!strncmp(p, name, n) && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

static long long meminfo(const char *name)
{
	return slurp("/proc/meminfo") < 0 ? -1 : meminfo_value(name);
}

/* "name value" in text[] (vmstat), or -1. */
static long long vmstat_value(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

static long long vmstat(const char *name)
{
	return slurp("/proc/vmstat") < 0 ? -1 : vmstat_value(name);
}

static const char *const meminfo_lines[] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active",
	"Inactive", "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)",
	"Unevictable", "Mlocked", "SwapTotal", "SwapFree", "Dirty", "Writeback", "AnonPages",
	"Mapped", "Shmem", "KReclaimable", "Slab", "SReclaimable", "SUnreclaim", "KernelStack",
	"PageTables", "NFS_Unstable", "Bounce", "WritebackTmp", "CommitLimit", "Committed_AS",
	"VmallocTotal", "VmallocUsed", "VmallocChunk", "Percpu",
};

/*
 * Is the line at @p "@name:" padded with blanks to 16 columns, then a
 * number right-aligned in 8 (starting at column 16 when longer), " kB"?
 */
static int kb_line_ok(const char *p, const char *name)
{
	size_t n = strlen(name);
	const char *q = p + n + 1, *digits;

	if (strncmp(p, name, n) || p[n] != ':')
		return 0;
	while (*q == ' ')
		q++;
	digits = q;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q == digits || strncmp(q, " kB\n", 4))
		return 0;
	return q - p == 24 || (digits == p + 16 && q - digits > 8);
}

static void t_meminfo_format(void)
{
	const char *p = text;
	size_t i = 0;
	int ok = slurp("/proc/meminfo") > 0;

	/* each wanted line in order (Linux may have others in between) */
	while (ok && *p && i < sizeof(meminfo_lines) / sizeof(meminfo_lines[0])) {
		if (kb_line_ok(p, meminfo_lines[i]))
			i++;
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
	}
	ut_ok(ok && i == sizeof(meminfo_lines) / sizeof(meminfo_lines[0]),
	      "meminfo: every line Pagoda gives, in Linux's order, 'Name:' padded, value right-aligned, ' kB'");
	ok = ok && meminfo_value("MemFree") <= meminfo_value("MemTotal") &&
	     meminfo_value("MemAvailable") <= meminfo_value("MemTotal") &&
	     meminfo_value("Active") == meminfo_value("Active(anon)") + meminfo_value("Active(file)") &&
	     meminfo_value("Inactive") == meminfo_value("Inactive(anon)") + meminfo_value("Inactive(file)") &&
	     meminfo_value("Slab") == meminfo_value("SReclaimable") + meminfo_value("SUnreclaim") &&
	     meminfo_value("MemTotal") > 0 && meminfo_value("SwapFree") <= meminfo_value("SwapTotal");
	ut_ok(ok, "meminfo: MemFree and MemAvailable <= MemTotal; Active, Inactive and Slab are the sums of their parts");
}

/* Touch @bytes of new anonymous memory; AnonPages must grow by 3/4 of it. */
static void t_anon_pages(void)
{
	int ok = 0;

	for (int t = 0; t < TRIES && !ok; t++) {
		long long before = meminfo("AnonPages"), after;
		char *m = mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			break;
		for (size_t off = 0; off < 16 * MB; off += PG)
			m[off] = 1;
		after = meminfo("AnonPages");
		ok = before >= 0 && after - before >= 12 * 1024;
		munmap(m, 16 * MB);
	}
	ut_ok(ok, "meminfo: AnonPages grows by >= 12 MiB when 16 MiB of anonymous memory is touched");
}

/* A 4 MiB file written in @dir: Cached grows by 3 MiB at least. */
static void t_cached(const char *dir)
{
	static char buf[64 * 1024];
	char path[300];
	int ok = 0;

	snprintf(path, sizeof(path), "%s/cached.bin", dir);
	memset(buf, 0x5a, sizeof(buf));
	for (int t = 0; t < TRIES && !ok; t++) {
		long long before = meminfo("Cached"), after;
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			break;
		for (int i = 0; i < 4 * MB / (int)sizeof(buf); i++)
			if (ut_write_all(fd, buf, sizeof(buf)))
				break;
		after = meminfo("Cached");
		ok = before >= 0 && after - before >= 3 * 1024;
		close(fd);
		unlink(path);
	}
	ut_ok(ok, "meminfo: Cached grows by >= 3 MiB when a 4 MiB file is written");
}

/* Read meminfo, touch 16 MiB, lseek(0) and read again on the same fd: fresh text. */
static void t_reread(void)
{
	int ok = 0;

	for (int t = 0; t < TRIES && !ok; t++) {
		int fd = open("/proc/meminfo", O_RDONLY);
		ssize_t n;
		long long before, after;
		char *m;

		if (fd < 0)
			break;
		n = read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		before = meminfo_value("AnonPages");
		m = mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			for (size_t off = 0; off < 16 * MB; off += PG)
				m[off] = 1;
		lseek(fd, 0, SEEK_SET);
		n = read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		after = meminfo_value("AnonPages");
		ok = before >= 0 && after - before >= 12 * 1024;
		if (m != MAP_FAILED)
			munmap(m, 16 * MB);
		close(fd);
	}
	ut_ok(ok, "meminfo: a read from offset 0 after lseek gives fresh text (AnonPages moved)");
}

static const char *const vmstat_names[] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
	"nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_inactive_anon",
	"nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
	"nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_anon_pages", "nr_mapped",
	"nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem", "nr_dirtied", "nr_written",
	"nr_kernel_stack", "nr_page_table_pages", "nr_dirty_threshold",
	"nr_dirty_background_threshold", "pgpgin", "pgpgout", "pgalloc_normal", "pgfree",
	"pgactivate", "pgdeactivate", "pgfault", "pgmajfault", "pgrefill", "pgreuse",
	"pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct", "pgscan_anon",
	"pgscan_file", "pgsteal_anon", "pgsteal_file", "drop_pagecache", "drop_slab",
};

static void t_vmstat(void)
{
	const char *p = text;
	size_t i = 0, n = sizeof(vmstat_names) / sizeof(vmstat_names[0]);
	int ok = slurp("/proc/vmstat") > 0, lines_ok = ok;

	for (const char *q = text; ok && *q; q = strchr(q, '\n') + 1) {
		const char *sp = strchr(q, ' '), *nl = strchr(q, '\n');

		if (!nl || !sp || sp > nl || sp == q || sp + 1 == nl ||
		    strspn(sp + 1, "0123456789") != (size_t)(nl - sp - 1)) {
			lines_ok = 0;
			break;
		}
	}
	while (ok && *p && i < n) {
		size_t l = strlen(vmstat_names[i]);

		if (!strncmp(p, vmstat_names[i], l) && p[l] == ' ')
			i++;
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
	}
	ut_ok(ok && lines_ok && i == n, "vmstat: 'name value' lines, Pagoda's names in Linux's order");
	ok = 0;
	for (int t = 0; t < TRIES && !ok; t++) {
		long long f0 = vmstat("pgfault"), a0 = vmstat_value("pgalloc_normal");
		long long fr0 = vmstat_value("pgfree");
		char *m = mmap(NULL, 256 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			break;
		for (int k = 0; k < 256; k++)
			m[k * PG] = 1;
		munmap(m, 256 * PG);
		ok = f0 >= 0 && vmstat("pgfault") - f0 >= 256 && vmstat_value("pgalloc_normal") - a0 >= 256 &&
		     vmstat_value("pgfree") - fr0 >= 256;
	}
	ut_ok(ok, "vmstat: pgfault, pgalloc_normal and pgfree grow by >= 256 when 256 new pages are touched and unmapped");
}

/* The number in @path (one line), or -1 (errno set). */
static long long read_number(const char *path)
{
	char buf[64];
	long n = ut_read_file(path, buf, sizeof(buf));

	if (n <= 0 || buf[n - 1] != '\n')
		return -1;
	return strtoll(buf, NULL, 10);
}

/* Write @s to @path at offset 0: the write's result (-1 and errno). */
static long write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	long r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s));
	close(fd);
	return r;
}

static void t_sysctl_read(void)
{
	static const char *const names[] = {
		"dirty_ratio", "dirty_background_ratio", "dirty_bytes", "dirty_background_bytes",
		"dirty_expire_centisecs", "dirty_writeback_centisecs",
	};
	char path[80];
	int ok = 1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/vm/%s", names[i]);
		ok = ok && read_number(path) >= 0;
	}
	ut_ok(ok, "sys/vm: each dirty_* file reads as one number and a newline");
}

static void t_sysctl_write(void)
{
	const char *ratio = "/proc/sys/vm/dirty_ratio", *bytes = "/proc/sys/vm/dirty_bytes";
	long long r0 = read_number(ratio);
	char buf[32];
	int ok;

	if (geteuid()) {
		ut_skip("sys/vm: garbage, out of range and empty writes are EINVAL", "not root");
		ut_skip("sys/vm: dirty_bytes and dirty_ratio exclude each other", "not root");
		ut_skip("sys/vm: drop_caches is write-only (EACCES to read), 0 and garbage are EINVAL, 2 drops the slab caches", "not root");
		return;
	}
	ok = ut_err_is(write_str(ratio, "abc\n"), EINVAL) && ut_err_is(write_str(ratio, "101\n"), EINVAL) &&
	     ut_err_is(write_str(ratio, "-1\n"), EINVAL) && ut_err_is(write_str(ratio, "20x\n"), EINVAL) &&
	     ut_err_is(write_str(ratio, "\n"), EINVAL) &&
	     ut_err_is(write_str("/proc/sys/vm/dirty_bytes", "-5\n"), EINVAL) &&
	     ut_err_is(write_str("/proc/sys/vm/dirty_bytes", "4096\n"), EINVAL) &&
	     read_number(ratio) == r0;
	ut_ok(ok, "sys/vm: garbage, out of range and empty writes are EINVAL and change nothing");
	snprintf(buf, sizeof(buf), "%lld\n", r0);
	ok = r0 >= 0 && write_str(bytes, "67108864\n") == 9 && read_number(bytes) == 67108864 &&
	     read_number(ratio) == 0 && write_str(ratio, buf) == (long)strlen(buf) &&
	     read_number(ratio) == r0 && read_number(bytes) == 0 && write_str(ratio, "  0x14 \n") == 8 &&
	     read_number(ratio) == 20;
	write_str(ratio, buf);
	ut_ok(ok, "sys/vm: dirty_bytes and dirty_ratio exclude each other; a value may be 0x.. and blank-padded");
	ok = ut_err_is(open("/proc/sys/vm/drop_caches", O_RDONLY), EACCES) &&
	     ut_err_is(write_str("/proc/sys/vm/drop_caches", "0\n"), EINVAL) &&
	     ut_err_is(write_str("/proc/sys/vm/drop_caches", "x\n"), EINVAL) &&
	     write_str("/proc/sys/vm/drop_caches", "2\n") == 2;
	ut_ok(ok, "sys/vm: drop_caches is write-only (EACCES to read), 0 and garbage are EINVAL, 2 drops the slab caches");
}

/*
 * fault_around_bytes: 65536 by default; 4096 turns fault-around off (each
 * page of a cached file faults), 65536 brings it back (a few faults for
 * 32 pages); garbage and more than 512 pages are EINVAL; 100000 rounds
 * down to 65536. Where the file does not exist (Linux 6.1 keeps it in
 * debugfs), the line is printed unchecked.
 */
static long minflt_touching(const char *path)
{
	struct rusage a, b;
	volatile char sum = 0;
	int fd = open(path, O_RDONLY);
	char *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, 32 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	getrusage(RUSAGE_SELF, &a);
	for (int i = 0; i < 32; i++)
		sum += m[i * PG];
	getrusage(RUSAGE_SELF, &b);
	munmap(m, 32 * PG);
	(void)sum;
	return b.ru_minflt - a.ru_minflt;
}

static void t_fault_around(const char *dir)
{
	const char *fab = "/proc/sys/vm/fault_around_bytes";
	static char buf[32 * PG];
	char path[300];
	int ok, fd;

	if (access(fab, F_OK) || geteuid()) {
		ut_ok(1, "sys/vm: fault_around_bytes 65536; 4096 faults every page, 65536 maps around; EINVAL for garbage");
		return;
	}
	snprintf(path, sizeof(path), "%s/around.bin", dir);
	memset(buf, 7, sizeof(buf));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok = fd >= 0 && !ut_write_all(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	ok = ok && read_number(fab) == 65536 && write_str(fab, "4096\n") == 5 && read_number(fab) == 4096 &&
	     minflt_touching(path) >= 32 && write_str(fab, "65536\n") == 6 && minflt_touching(path) <= 4 &&
	     ut_err_is(write_str(fab, "lots\n"), EINVAL) && ut_err_is(write_str(fab, "3000000\n"), EINVAL) &&
	     write_str(fab, "100000") == 6 && read_number(fab) == 65536;
	write_str(fab, "65536\n");
	unlink(path);
	ut_ok(ok, "sys/vm: fault_around_bytes 65536; 4096 faults every page, 65536 maps around; EINVAL for garbage");
}

static void t_mounts(void)
{
	static char self[65536];
	int ok = slurp("/proc/self/mounts") > 0, proc_seen = 0, well_formed = ok;

	memcpy(self, text, sizeof(self));
	ok = ok && slurp("/proc/mounts") > 0 && !strcmp(self, text);
	for (char *p = text; well_formed && *p;) {
		char dev[256], dir[256], type[64], opts[512];
		int a = -1, b = -1, n = 0;
		char *nl = strchr(p, '\n');

		if (!nl || sscanf(p, "%255s %255s %63s %511s %d %d%n", dev, dir, type, opts, &a, &b, &n) != 6 ||
		    a != 0 || b != 0 || p + n != nl || (strncmp(opts, "rw", 2) && strncmp(opts, "ro", 2))) {
			well_formed = 0;
			break;
		}
		proc_seen |= !strcmp(dir, "/proc") && !strcmp(type, "proc");
		p = nl + 1;
	}
	ut_ok(ok && well_formed && proc_seen,
	      "mounts: = self/mounts; 'dev dir type rw|ro,... 0 0' lines; proc on /proc");
}

static void t_partitions(void)
{
	int ok = slurp("/proc/partitions") > 0 && !strncmp(text, "major minor  #blocks  name\n\n", 28);

	for (char *p = text + 28; ok && *p;) {
		unsigned int ma, mi;
		unsigned long long blocks;
		char name[64], *nl = strchr(p, '\n');
		int n = 0;

		ok = nl && sscanf(p, "%4u  %7u %10llu %63s%n", &ma, &mi, &blocks, name, &n) == 4 &&
		     p + n == nl && nl - p >= 4 + 2 + 7 + 1 + 10 + 1 + 1 && p[4] == ' ' && p[5] == ' ';
		p = nl ? nl + 1 : p;
	}
	ut_ok(ok, "partitions: Linux's header and 'major  minor #blocks name' lines");
}

/* ---- on a disk (proc_mm --disk DIR|/dev/DISK, tests/proc_mm_disk.sh) ---- */

#define DISK_FILE	(8 * MB)

static char chunk[64 * 1024];

/* Write @path with DISK_FILE bytes (not synced). 0 or -1. */
static int write_big(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), ok = fd >= 0;

	for (size_t off = 0; ok && off < DISK_FILE; off += sizeof(chunk)) {
		memset(chunk, (int)(off / sizeof(chunk)) + 1, sizeof(chunk));
		ok = !ut_write_all(fd, chunk, sizeof(chunk));
	}
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * Dirty grows by >= 4 MiB when 8 MiB is written, and falls by >= 4 MiB
 * when it is fsync'ed, while pgpgout grows by >= 6 MiB (KiB).
 */
static void t_dirty(const char *path)
{
	int dirty_ok = 0, out_ok = 0;

	for (int t = 0; t < TRIES && !(dirty_ok && out_ok); t++) {
		long long d0 = meminfo("Dirty"), d1, d2, o0, o1;
		int fd;

		if (write_big(path))
			break;
		d1 = meminfo("Dirty");
		o0 = vmstat("pgpgout");
		fd = open(path, O_RDWR);
		if (fd < 0 || fsync(fd))
			break;
		close(fd);
		d2 = meminfo("Dirty");
		o1 = vmstat("pgpgout");
		dirty_ok = dirty_ok || (d0 >= 0 && d1 - d0 >= 4096 && d1 - d2 >= 4096);
		out_ok = out_ok || (o0 >= 0 && o1 - o0 >= 6144);
	}
	ut_ok(dirty_ok, "disk: Dirty grows by >= 4 MiB when 8 MiB is written, falls by >= 4 MiB at fsync");
	ut_ok(out_ok, "disk: vmstat pgpgout grows by >= 6 MiB (in KiB) when 8 MiB is fsync'ed");
}

/* Pages of @path in the page cache (mincore of a mapping of it), or -1. */
static long cached_pages(const char *path)
{
	static unsigned char vec[DISK_FILE / PG];
	int fd = open(path, O_RDONLY);
	long n = 0;
	void *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, DISK_FILE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	if (mincore(m, DISK_FILE, vec))
		n = -1;
	for (size_t i = 0; n >= 0 && i < DISK_FILE / PG; i++)
		n += vec[i] & 1;
	munmap(m, DISK_FILE);
	return n;
}

/*
 * drop_caches 1 drops the file's clean pages (mincore: none left) and
 * Cached falls; reading the file through a mapping then is a major
 * fault (getrusage's ru_majflt, vmstat's pgmajfault) and reads it from
 * the disk (pgpgin grows by >= 6 MiB in KiB), with the right bytes.
 */
static void t_drop_and_cold_read(const char *path)
{
	long long c0, c1, maj0, in0;
	struct rusage a, b;
	int ok, fd, bytes_ok = 1;
	unsigned char *m;

	if (geteuid()) {
		ut_skip("disk: drop_caches 1 drops the file's clean pages and Cached falls", "not root");
		ut_skip("disk: a cold read through a mapping is a major fault (ru_majflt, pgmajfault) and pgpgin grows", "not root");
		return;
	}
	c0 = meminfo("Cached");
	ok = cached_pages(path) > 0 && write_str("/proc/sys/vm/drop_caches", "1\n") == 2 &&
	     cached_pages(path) == 0;
	c1 = meminfo("Cached");
	ut_ok(ok && c0 >= 0 && c1 < c0, "disk: drop_caches 1 drops the file's clean pages and Cached falls");
	maj0 = vmstat("pgmajfault");
	in0 = vmstat_value("pgpgin");
	fd = open(path, O_RDONLY);
	m = fd >= 0 ? mmap(NULL, DISK_FILE, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (fd >= 0)
		close(fd);
	getrusage(RUSAGE_SELF, &a);
	for (size_t off = 0; m != MAP_FAILED && off < DISK_FILE; off += PG)
		bytes_ok &= m[off] == (unsigned char)(off / sizeof(chunk) + 1);
	getrusage(RUSAGE_SELF, &b);
	if (m != MAP_FAILED)
		munmap(m, DISK_FILE);
	ok = m != MAP_FAILED && bytes_ok && b.ru_majflt - a.ru_majflt >= 1 &&
	     vmstat("pgmajfault") - maj0 >= 1 && vmstat_value("pgpgin") - in0 >= 6144;
	ut_ok(ok, "disk: a cold read through a mapping is a major fault (ru_majflt, pgmajfault) and pgpgin grows");
}

static int disk_main(const char *where)
{
	char path[300];
	const char *dir = where;

	ut_plan("proc_mm_disk", 4);
	if (!strncmp(where, "/dev/", 5)) {
		dir = "/mnt_proc_mm";
		if ((mkdir(dir, 0755) && errno != EEXIST) || mount(where, dir, "ext2", 0, NULL))
			return ut_bail("mounting the disk");
	}
	snprintf(path, sizeof(path), "%s/big.bin", dir);
	t_dirty(path);
	t_drop_and_cold_read(path);
	unlink(path);
	if (dir != where)
		umount(dir);
	return ut_done();
}

int main(int argc, char **argv)
{
	char dir[256];
	const char *base = getenv("TMPDIR");

	if (argc == 3 && !strcmp(argv[1], "--disk"))
		return disk_main(argv[2]);

	ut_plan("proc_mm", 14);
	if (!base || access(base, W_OK))
		base = access("/tmp", W_OK) ? "." : "/tmp";
	snprintf(dir, sizeof(dir), "%s/proc_mm.XXXXXX", base);
	if (!mkdtemp(dir))
		return ut_bail("a fresh directory to work in");
	t_meminfo_format();
	t_anon_pages();
	t_cached(dir);
	t_reread();
	t_vmstat();
	t_sysctl_read();
	t_sysctl_write();
	t_fault_around(dir);
	t_mounts();
	t_partitions();
	rmdir(dir);
	return ut_done();
}
