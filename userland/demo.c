/*
 * demo: what `make run` shows. A process fills a buffer, forks, and parent
 * and child each write their own copy: copy-on-write keeps each write
 * invisible to the other. A table shows the page faults it took, from
 * getrusage(2) (this process and its reaped child) and from Pagoda's global
 * counters (/proc/pagoda/faults; "-" where the file does not exist, e.g. on
 * Linux).
 *
 * The output is a KTAP subtest like the test programs', with the table as
 * diagnostic lines, so the console stays one KTAP document under init.
 */
#include "utest.h"
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

int main(void)
{
	struct snapshot before, after;
	struct rusage child_ru;
	char *buf;
	int status = -1;
	pid_t pid;

	ut_plan("demo", 4);
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
	return ut_done();
}
