#include "ktap.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int kt_case_failed;

int kt_run_suite(const char *suite, const struct kt_case *cases, unsigned n)
{
	unsigned failed = 0;

	printf("KTAP version 1\n1..1\n");
	printf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", suite, n);
	for (unsigned i = 0; i < n; i++) {
		kt_case_failed = 0;
		cases[i].fn();
		printf("    %sok %u %s\n", kt_case_failed ? "not " : "", i + 1,
		       cases[i].name);
		fflush(stdout);
		failed += kt_case_failed != 0;
	}
	printf("%sok 1 %s\n", failed ? "not " : "", suite);
	return failed ? 1 : 0;
}

/*
 * Run fn(arg) in a child with stdout discarded and stderr captured into
 * @err (NUL terminated). Returns the child's wait status.
 */
static int run_child(void (*fn)(void *), void *arg, char *err, size_t size)
{
	size_t len = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) != 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		if (!freopen("/dev/null", "w", stdout))
			_exit(3);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], err + len, size - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

/* True when fn(arg) dies of SIGABRT with @msg in its panic message. */
bool kt_dies_with_panic(void (*fn)(void *), void *arg, const char *msg)
{
	char err[1024];
	int status = run_child(fn, arg, err, sizeof(err));

	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT)) {
		printf("    # child did not abort (status %#x)\n", status);
		return false;
	}
	if (!strstr(err, msg)) {
		printf("    # child stderr lacks \"%s\": %s\n", msg, err);
		return false;
	}
	return true;
}

bool kt_exits_cleanly(void (*fn)(void *), void *arg)
{
	char err[1024];
	int status = run_child(fn, arg, err, sizeof(err));

	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
