/*
 * demo: what `make run` shows. A process fills a buffer, forks, and parent
 * and child each write their own copy: copy-on-write keeps each write
 * invisible to the other. A table shows the page faults it took, from
 * getrusage(2) (this process and its reaped child) and from Pagoda's global
 * counters (/proc/pagoda/faults; "-" where the file does not exist, e.g. on
 * Linux).
 *
 * Then the file side, on the ext2 disk `make run` attaches as NVMe
 * (build/demo-disk.img, made with `demo --make-disk-tree DIR` and mke2fs
 * -d; skipped without it): a 1 MiB file mapped shared, read cold (a major
 * fault reading ahead from the disk), its neighbours mapped by fault-around
 * (no fault, or one when part of the window is still being read), the next
 * 16-page block one fault; a private write copying the
 * page (the file unchanged); a shared write, msync'd, read back from the
 * disk after the volume is unmounted and mounted again. A table shows the
 * faults of each step (getrusage: minor and major).
 *
 * The output is a KTAP subtest like the test programs', with the table as
 * diagnostic lines, so the console stays one KTAP document under init.
 */
#include "utest.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define DEMO_PAGES	64
#define PAGE		4096
#define FAULTS_FILE	"/proc/pagoda/faults"

/* The counters of /proc/pagoda/faults the table shows, in its order. */
static const char *const counter_names[] = { "anon", "zero_page", "wp_copy", "wp_reuse" };
#define NR_COUNTERS	(sizeof(counter_names) / sizeof(counter_names[0]))

struct snapshot {
	long self_minflt;		/* getrusage(RUSAGE_SELF) */
	long counters[NR_COUNTERS];	/* -1: not available */
};

static long counter_value(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
	return -1;
}

static void take_snapshot(struct snapshot *s)
{
	static char text[1024];
	struct rusage ru;
	bool have = ut_read_file(FAULTS_FILE, text, sizeof(text)) > 0;

	getrusage(RUSAGE_SELF, &ru);
	s->self_minflt = ru.ru_minflt;
	for (size_t i = 0; i < NR_COUNTERS; i++)
		s->counters[i] = have ? counter_value(text, counter_names[i]) : -1;
}

static void fill(char *buf, char c)
{
	for (int i = 0; i < DEMO_PAGES; i++)
		buf[i * PAGE] = c;
}

static bool all_are(const char *buf, char c)
{
	for (int i = 0; i < DEMO_PAGES; i++)
		if (buf[i * PAGE] != c)
			return false;
	return true;
}

/* The child: sees the parent's bytes, writes its own; exit 0 if all went as expected. */
static int child(char *buf)
{
	bool saw_parent = all_are(buf, 'P');

	fill(buf, 'C');
	return saw_parent && all_are(buf, 'C') ? 0 : 1;
}

static void print_row(const char *what, long before, long after)
{
	if (before < 0 || after < 0)
		ut_diag("  %-34s %8s %8s %8s", what, "-", "-", "-");
	else
		ut_diag("  %-34s %8ld %8ld %8ld", what, before, after, after - before);
}

static void print_table(const struct snapshot *a, const struct snapshot *b, long child_minflt)
{
	static const char *const labels[NR_COUNTERS] = {
		"all: new zeroed anonymous pages", "all: zero page mapped on read",
		"all: copy-on-write copies", "all: write faults reusing the page",
	};

	ut_diag("page faults during the demo          before    after    delta");
	print_row("this process: minor faults", a->self_minflt, b->self_minflt);
	print_row("its child: minor faults", 0, child_minflt);
	for (size_t i = 0; i < NR_COUNTERS; i++)
		print_row(labels[i], a->counters[i], b->counters[i]);
}

/* ---- the file side ---- */

#define DISK		"/dev/nvme0n1"
#define MNT		"/mnt"
#define FILE_NAME	"notes.txt"
#define FILE_PAGES	256		/* 1 MiB */
#define PRIVATE_PAGE	3
#define SHARED_PAGE	5
#define FILE_CASES	6

/* The text of page @i of the demo file: 64-byte lines naming their page and line. */
static void page_text(char *out, int i)
{
	for (int line = 0; line < PAGE / 64; line++)
		snprintf(out + line * 64, 65, "page %03d line %02d: the page cache reads this from disk%*s\n",
			 i, line, 10, "");
}

static int make_disk_tree(const char *dir)
{
	char path[512], text[PAGE + 1];
	int fd;

	snprintf(path, sizeof(path), "%s/" FILE_NAME, dir);
	if ((mkdir(dir, 0755) && errno != EEXIST) ||
	    (fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644)) < 0)
		return 1;
	for (int i = 0; i < FILE_PAGES; i++) {
		page_text(text, i);
		if (ut_write_all(fd, text, PAGE))
			return 1;
	}
	return close(fd) != 0;
}

struct faults {
	long minor, major;
};

static struct faults faults_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (struct faults){ ru.ru_minflt, ru.ru_majflt };
}

static struct faults file_rows[8];
static const char *file_labels[8];
static int nr_rows;

/* Record the faults since @t0 as the row @label. */
static void row(const char *label, struct faults t0)
{
	struct faults t1 = faults_now();

	file_labels[nr_rows] = label;
	file_rows[nr_rows++] = (struct faults){ t1.minor - t0.minor, t1.major - t0.major };
}

static bool page_is(const char *p, int i)
{
	char want[PAGE + 1];

	page_text(want, i);
	return !memcmp(p, want, PAGE);
}

static bool read_page(int fd, int i, char *out)
{
	return pread(fd, out, PAGE, (off_t)i * PAGE) == PAGE;
}

/*
 * The file mapped shared at a 64 KiB-aligned address. Fault-around maps
 * the aligned 16-page block of virtual addresses around a fault (Linux's
 * rule too), so where mmap put the file decides which neighbours come
 * with page 0; aligning makes that block pages 0-15.
 */
static char *map_aligned(int fd)
{
	size_t len = FILE_PAGES * PAGE, align = 16 * PAGE;
	char *area = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (area == MAP_FAILED)
		return MAP_FAILED;
	char *at = (char *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));

	munmap(area, len + align);
	return mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
}

/* The shared mapping's part: cold, fault-around, the next window, a shared store. */
static void shared_steps(int fd)
{
	volatile char sink;
	struct faults t;
	char *map = map_aligned(fd);

	if (map == MAP_FAILED) {
		ut_diag("mmap: %s", strerror(errno));
		return;
	}
	t = faults_now();
	sink = map[0];
	row("read page 0 (cold: from the disk)", t);
	ut_ok(page_is(map, 0) && file_rows[nr_rows - 1].major == 1,
	      "a cold read of a shared file mapping is one major fault and reads the file");
	t = faults_now();
	for (int i = 1; i < 16; i++)
		sink = map[i * PAGE];
	row("read pages 1-15 (fault-around)", t);
	/*
	 * The window is read with two bios (ext2's indirect block sits after
	 * the 12th data block): pages 12-15 may still be in flight when the
	 * retry maps 0-11, and then cost one fault more, as on Linux.
	 */
	ut_ok(file_rows[nr_rows - 1].minor + file_rows[nr_rows - 1].major <= 1,
	      "its 15 neighbours were mapped by fault-around: at most one more fault");
	t = faults_now();
	sink = map[16 * PAGE];
	row("read page 16 (read ahead, cached)", t);
	ut_ok(file_rows[nr_rows - 1].minor + file_rows[nr_rows - 1].major == 1,
	      "the next 16-page block takes one fault (its pages were read ahead)");
	t = faults_now();
	memcpy(map + SHARED_PAGE * PAGE, "WRITTEN THROUGH A SHARED MAPPING", 32);
	row("write page 5 (shared)", t);
	(void)sink;
	if (msync(map, FILE_PAGES * PAGE, MS_SYNC))
		ut_diag("msync: %s", strerror(errno));
	munmap(map, FILE_PAGES * PAGE);
}

/* A private mapping: the store copies the page; the file keeps its text. */
static void private_step(int fd)
{
	char now[PAGE];
	struct faults t;
	char *map = mmap(NULL, FILE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	if (map == MAP_FAILED) {
		ut_diag("mmap: %s", strerror(errno));
		return;
	}
	t = faults_now();
	memcpy(map + PRIVATE_PAGE * PAGE, "PRIVATE COPY", 12);
	row("write page 3 (private: a copy)", t);
	ut_ok(read_page(fd, PRIVATE_PAGE, now) && page_is(now, PRIVATE_PAGE) &&
	      !memcmp(map + PRIVATE_PAGE * PAGE, "PRIVATE COPY", 12),
	      "a private write copies the page: read() still sees the file's text");
	munmap(map, FILE_PAGES * PAGE);
}

static void file_demo(void)
{
	char page[PAGE];
	int fd;

	/*
	 * The disk make run attaches; a boot disk or none (the boot matrix)
	 * skips. The mount point is removed again: init counts the pages a
	 * program leaves behind, and a new directory's inode is one.
	 */
	bool have_disk = !access(DISK, F_OK);
	bool made = have_disk && mkdir(MNT, 0755) == 0;

	if (!have_disk || (!made && errno != EEXIST) || mount(DISK, MNT, "ext2", 0, NULL)) {
		char why[128];

		snprintf(why, sizeof(why), "no ext2 volume on " DISK " (%s; make run attaches "
			 "build/demo-disk.img)", strerror(errno));
		if (made)
			rmdir(MNT);
		for (int i = 0; i < FILE_CASES; i++)
			ut_skip("file faults on ext2", why);
		return;
	}
	if ((fd = open(MNT "/" FILE_NAME, O_RDWR)) < 0) {
		ut_diag("opening " MNT "/" FILE_NAME ": %s", strerror(errno));
		for (int i = 0; i < FILE_CASES; i++)
			ut_ok(0, "file faults on ext2");
		umount2(MNT, 0);
		if (made)
			rmdir(MNT);
		return;
	}
	shared_steps(fd);
	private_step(fd);
	close(fd);
	bool remounted = umount2(MNT, 0) == 0 && mount(DISK, MNT, "ext2", 0, NULL) == 0;

	fd = open(MNT "/" FILE_NAME, O_RDONLY);
	ut_ok(remounted && fd >= 0 && read_page(fd, SHARED_PAGE, page) &&
	      !memcmp(page, "WRITTEN THROUGH A SHARED MAPPING", 32),
	      "a shared write, msync'd, is on the disk: read back after umount and mount");
	if (fd >= 0)
		close(fd);
	ut_ok(umount2(MNT, 0) == 0 && (!made || rmdir(MNT) == 0), "the volume unmounts");

	ut_diag("file faults on ext2 (NVMe)                 minor    major");
	for (int i = 0; i < nr_rows; i++)
		ut_diag("  %-38s %8ld %8ld", file_labels[i], file_rows[i].minor, file_rows[i].major);
}

int main(int argc, char **argv)
{
	struct snapshot before, after;
	struct rusage child_ru;
	char *buf;
	int status = -1;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "--make-disk-tree"))
		return make_disk_tree(argv[2]);
	ut_plan("demo", 4 + FILE_CASES);
	take_snapshot(&before);
	buf = mmap(NULL, DEMO_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return ut_bail("mmap");
	fill(buf, 'P');
	pid = fork();
	if (pid < 0)
		return ut_bail("fork");
	if (pid == 0)
		_exit(child(buf));
	memset(&child_ru, 0, sizeof(child_ru));
	if (wait4(pid, &status, 0, &child_ru) != pid)
		return ut_bail("wait4");
	ut_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child saw the parent's bytes, then its own writes");
	ut_ok(all_are(buf, 'P'), "the child's writes are invisible to the parent");
	ut_ok(child_ru.ru_minflt >= DEMO_PAGES,
	      "the child took a fault for each page it wrote (wait4's rusage)");
	fill(buf, 'p');
	ut_ok(all_are(buf, 'p'), "the parent writes its pages again once the child is gone");
	take_snapshot(&after);
	print_table(&before, &after, child_ru.ru_minflt);
	munmap(buf, DEMO_PAGES * PAGE);
	file_demo();
	return ut_done();
}
