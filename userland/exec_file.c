/*
 * exec_file: a program runs from its file's page cache, as on Linux.
 *
 * Its own /proc/self/maps shows each loaded segment as a private mapping
 * of its executable (the path, the segment's file offset, the file's
 * device and inode number, in Linux's columns); text is r-xp. A second
 * process running the same binary (a fork child that execs it) maps the
 * very same text page (/proc/self/pagemap: same pfn, a file page, no
 * longer mapped by one process alone). Initialised data is the file's page
 * until the first store, then a private copy (the file keeps its bytes);
 * the bss is zero, including the part of the data segment's last file
 * page that the file fills with other bytes. A running program cannot be
 * opened for writing or truncated (ETXTBSY), a file open for writing
 * cannot be executed (ETXTBSY), and once the last process running a file
 * is gone (a forked grandchild keeps it busy) it can be written again. A
 * mapped file that was unlinked shows " (deleted)" after its path.
 *
 * Only facts about this binary are printed, which is the same file on the
 * host and on Pagoda; addresses, pfns and inode numbers are compared, never
 * shown.
 */
#include "utest.h"
#include <elf.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#define PG		4096UL
#define HELLO_STATUS	7

#define DATA_WORD	0x5a5a5a5a
/* Three pages of initialised data: at least two whole pages hold nothing else. */
static volatile int data_var[3 * PG / sizeof(int)] = { [0 ... 3 * PG / sizeof(int) - 1] = DATA_WORD };
/*
 * The bss: this file's objects come right after crtbegin's few bytes, so
 * the ones of the data segment's last file page are untouched until main.
 */
static unsigned char bss_probe[3 * PG];
/* The linker's end of the initialised data: where the bss's zero fill starts. */
extern char _edata[];

int main(int argc, char **argv);

static const char *self;		/* argv[0] */
static char self_path[PATH_MAX];	/* its absolute path, as maps shows it */

static unsigned long page_of(const volatile void *p)
{
	return (unsigned long)p & ~(PG - 1);
}

/* ---- this program's ELF headers ---- */

static Elf64_Ehdr eh;
static Elf64_Phdr ph[32];

static int read_headers(void)
{
	int fd = open(self, O_RDONLY), ok;

	ok = fd >= 0 && pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && eh.e_phnum <= 32 &&
	     pread(fd, ph, eh.e_phnum * sizeof(ph[0]), (off_t)eh.e_phoff) ==
		     (ssize_t)(eh.e_phnum * sizeof(ph[0]));
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* The PT_LOAD whose memory image holds @addr, or NULL. */
static const Elf64_Phdr *segment_of(unsigned long addr)
{
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_vaddr &&
		    addr < ph[i].p_vaddr + ph[i].p_memsz)
			return &ph[i];
	return NULL;
}

/* @n bytes of the file at @off. */
static int file_bytes(off_t off, void *buf, size_t n)
{
	int fd = open(self, O_RDONLY);
	ssize_t got = fd >= 0 ? pread(fd, buf, n, off) : -1;

	if (fd >= 0)
		close(fd);
	return got == (ssize_t)n ? 0 : -1;
}

/* ---- /proc/self/maps, all columns ---- */

struct map_line {
	unsigned long start, end, offset, ino;
	unsigned int major, minor;
	char perms[5];
	int name_col;			/* column (from 1) where the name starts, 0: none */
	char name[PATH_MAX];
};

static int map_at(unsigned long addr, struct map_line *m)
{
	static char buf[64 * 1024];

	if (ut_read_file("/proc/self/maps", buf, sizeof(buf)) < 0)
		return -1;
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n');
		int used = 0;

		if (nl)
			*nl = '\0';
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end, m->perms,
			   &m->offset, &m->major, &m->minor, &m->ino, &used) == 7 &&
		    m->start <= addr && addr < m->end) {
			m->name_col = line[used] ? used + 1 : 0;
			snprintf(m->name, sizeof(m->name), "%s", line + used);
			return 0;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return -1;
}

/* Is @m (found at @addr) a private mapping of this program's file at the offset its segment says? */
static int maps_this_file(const struct map_line *m, unsigned long addr, const struct stat *st)
{
	const Elf64_Phdr *seg = segment_of(addr);
	unsigned long want;

	if (!seg)
		return 0;
	want = (seg->p_offset & ~(PG - 1)) + (m->start - (seg->p_vaddr & ~(PG - 1)));
	return m->offset == want && !strcmp(m->name, self_path) && m->ino == st->st_ino &&
	       m->major == (unsigned int)major(st->st_dev) &&
	       m->minor == (unsigned int)minor(st->st_dev) &&
	       m->perms[3] == 'p' && m->name_col == 74;
}

static void t_maps(void)
{
	struct map_line text, data, bss;
	struct stat st;
	int ok = stat(self, &st) == 0;

	ok = ok && map_at((unsigned long)main, &text) == 0;
	ut_ok(ok && !strcmp(text.perms, "r-xp") && maps_this_file(&text, (unsigned long)main, &st),
	      "the text is an r-xp private mapping of the program's file: path, offset, device, inode");
	ok = ok && map_at((unsigned long)&data_var[0], &data) == 0;
	ut_ok(ok && !strcmp(data.perms, "rw-p") && maps_this_file(&data, (unsigned long)&data_var[0], &st),
	      "the data is an rw-p private mapping of the file at the data segment's offset");
	ok = ok && map_at((unsigned long)&bss_probe[sizeof(bss_probe) - 1], &bss) == 0;
	ut_ok(ok && !strcmp(bss.perms, "rw-p") && bss.offset == 0 && bss.ino == 0 &&
	      bss.major == 0 && bss.minor == 0, "whole pages of bss are anonymous memory");
}

/* ---- /proc/self/pagemap ---- */

#define PM_PRESENT	(1ULL << 63)
#define PM_FILE		(1ULL << 61)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_PFN		((1ULL << 55) - 1)

static uint64_t pagemap(const volatile void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd >= 0 && pread(fd, &e, 8, (off_t)(page_of(addr) / PG * 8)) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return e;
}

/* Child mode: is main's page the parent's (@pfn), a file page, mapped by more than us? */
static int check_shared_text(const char *pfn)
{
	uint64_t e = pagemap((void *)main);

	return (e & PM_PRESENT) && (e & PM_FILE) && !(e & PM_EXCLUSIVE) &&
	       (e & PM_PFN) == strtoull(pfn, NULL, 16) ? 0 : 1;
}

static int run_self(char *const args[], int *status)
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(self, args);
		_exit(errno == ETXTBSY ? 100 : 101);
	}
	return pid > 0 && waitpid(pid, status, 0) == pid ? 0 : -1;
}

static void t_shared_text(void)
{
	uint64_t e = pagemap((void *)main);
	char pfn[32];
	int status = -1;

	snprintf(pfn, sizeof(pfn), "%llx", (unsigned long long)(e & PM_PFN));
	ut_ok((e & PM_PRESENT) && (e & PM_FILE),
	      "pagemap: the running text page is present and a file page");
	ut_ok(run_self((char *const[]){ (char *)self, "--shared-text", pfn, NULL }, &status) == 0 &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a second process running the binary maps the same text page, no longer exclusive");
}

/* ---- data and bss ---- */

static void t_data_cow(void)
{
	/* a page holding only data_var: nothing wrote it before main */
	volatile int *p = &data_var[(page_of(&data_var[0]) + PG - (unsigned long)data_var) /
				    sizeof(int)];
	const Elf64_Phdr *seg = segment_of((unsigned long)p);
	int before = *p, in_file = -1;
	uint64_t e1 = pagemap(p), e2;

	*p = before + 1000;
	e2 = pagemap(p);
	if (seg)
		file_bytes((off_t)(seg->p_offset + ((unsigned long)p - seg->p_vaddr)), &in_file,
			   sizeof(in_file));
	ut_ok(before == DATA_WORD && (e1 & PM_FILE) &&
	      (e1 & PM_PRESENT), "initialised data reads the file's page (a file page until written)");
	ut_ok(*p == before + 1000 && (e2 & PM_PRESENT) && !(e2 & PM_FILE) && (e2 & PM_EXCLUSIVE) &&
	      in_file == before, "a store to it copies the page: private, and the file keeps its bytes");
}

/* Are the bytes from _edata to the end of its page zero? (called first thing in main) */
static int partial_page_zero(void)
{
	unsigned long end = page_of(_edata) + PG;

	if ((unsigned long)_edata % PG == 0)
		return 0;			/* no partial page: nothing to check */
	for (const volatile char *p = _edata; (unsigned long)p < end; p++)
		if (*p)
			return 0;
	return 1;
}

/*
 * @partial_zero: what partial_page_zero() saw at main. The range is the
 * data segment's file part's end to its page's end, the file holds other
 * bytes there, and the bss object of this program reads as zeros.
 */
static void t_bss(int partial_zero)
{
	const Elf64_Phdr *seg = segment_of((unsigned long)bss_probe);
	unsigned char file[PG];
	int all_zero = 1, file_other = 0;
	unsigned long n = page_of(_edata) + PG - (unsigned long)_edata;

	for (size_t i = 0; i < sizeof(bss_probe); i++)
		all_zero &= bss_probe[i] == 0;
	ut_ok(all_zero, "the bss reads as zeros");
	if (seg && (seg->p_flags & PF_W) && seg->p_vaddr + seg->p_filesz == (unsigned long)_edata &&
	    !file_bytes((off_t)(seg->p_offset + seg->p_filesz), file, n))
		for (unsigned long i = 0; i < n; i++)
			file_other |= file[i] != 0;
	ut_ok(partial_zero && file_other,
	      "the rest of the data's last file page, where the file holds other bytes, reads as zeros");
}

/* ---- ETXTBSY ---- */

static void t_running_busy(void)
{
	int fd = open(self, O_RDONLY);

	ut_ok(fd >= 0 && ut_err_is(open(self, O_WRONLY), ETXTBSY) &&
	      ut_err_is(open(self, O_RDWR), ETXTBSY) &&
	      ut_err_is(open(self, O_RDONLY | O_TRUNC), ETXTBSY),
	      "the running program opens for reading; for writing or O_TRUNC: ETXTBSY");
	ut_ok(ut_err_is(truncate(self, 100), ETXTBSY), "truncate of the running program: ETXTBSY");
	if (fd >= 0)
		close(fd);
}

/* A copy of this program at @path, mode 0755; the descriptor stays open for writing. */
static int copy_self(const char *path)
{
	static unsigned char buf[64 * 1024];
	int in = open(self, O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (ut_write_all(out, buf, (size_t)n))
			break;
	if (in >= 0)
		close(in);
	return out;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Child mode --hold MARKER: fork a grandchild that runs until MARKER exists, then exit. */
static int hold_until(const char *marker)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (int i = 0; i < 3000 && access(marker, F_OK); i++)
			sleep_ms(10);
		_exit(0);
	}
	return pid > 0 ? 0 : 1;
}

static void t_exec_busy(const char *dir)
{
	char copy[PATH_MAX], marker[PATH_MAX];
	int fd, status = -1, busy = 0, freed = 0;
	const char *save = self;

	snprintf(copy, sizeof(copy), "%s/copy", dir);
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	fd = copy_self(copy);
	self = copy;
	ut_ok(fd >= 0 && run_self((char *const[]){ copy, "--hello", NULL }, &status) == 0 &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 100,
	      "exec of a file open for writing: ETXTBSY");
	ut_ok(fd >= 0 && close(fd) == 0 &&
	      run_self((char *const[]){ copy, "--hello", NULL }, &status) == 0 &&
	      WIFEXITED(status) && WEXITSTATUS(status) == HELLO_STATUS,
	      "closed, it runs");
	if (run_self((char *const[]){ copy, "--hold", marker, NULL }, &status) == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		busy = ut_err_is(open(copy, O_WRONLY), ETXTBSY);
		close(open(marker, O_WRONLY | O_CREAT, 0644));
		for (int i = 0; i < 3000 && !freed; i++) {
			fd = open(copy, O_WRONLY);
			freed = fd >= 0;
			if (fd >= 0)
				close(fd);
			else
				sleep_ms(10);
		}
	}
	ut_ok(busy, "a forked grandchild of a process running it keeps it busy: ETXTBSY");
	ut_ok(freed, "once the last process running it is gone, it opens for writing");
	self = save;
	unlink(marker);
	unlink(copy);
}

/* A mapped file unlinked: maps shows its path with " (deleted)", as Linux's d_path. */
static void t_deleted_name(const char *dir)
{
	char path[PATH_MAX], want[PATH_MAX + 16], real[PATH_MAX];
	struct map_line m;
	void *p = MAP_FAILED;
	int fd;

	snprintf(path, sizeof(path), "%s/mapped", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 && realpath(path, real) && !ut_write_all(fd, "x", 1))
		p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	snprintf(want, sizeof(want), "%s (deleted)", real);
	ut_ok(p != MAP_FAILED && !map_at((unsigned long)p, &m) && !strcmp(m.name, real) &&
	      !unlink(path) && !map_at((unsigned long)p, &m) && !strcmp(m.name, want),
	      "maps names a mapped file by its path, with \" (deleted)\" once it is unlinked");
	if (p != MAP_FAILED)
		munmap(p, PG);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	int partial_zero = partial_page_zero();		/* before this program's bss is used */
	char dir[256];
	const char *base = getenv("TMPDIR");

	self = argv[0];
	if (argc == 2 && !strcmp(argv[1], "--hello"))
		return HELLO_STATUS;
	if (argc == 3 && !strcmp(argv[1], "--shared-text"))
		return check_shared_text(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--hold"))
		return hold_until(argv[2]);

	ut_plan("exec_file", 17);
	if (!realpath(self, self_path) || read_headers())
		return ut_bail("the program's own path and ELF headers");
	t_data_cow();		/* first: before anything else touches the data pages */
	t_bss(partial_zero);
	t_maps();
	t_shared_text();
	t_running_busy();
	if (!base || access(base, W_OK))
		base = access("/tmp", W_OK) ? "." : "/tmp";
	snprintf(dir, sizeof(dir), "%s/exec_file.XXXXXX", base);
	if (!mkdtemp(dir))
		return ut_bail("a fresh directory");
	t_exec_busy(dir);
	t_deleted_name(dir);
	ut_ok(rmdir(dir) == 0, "everything made is removed again");
	return ut_done();
}
