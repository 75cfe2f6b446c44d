#include "ktap.h"

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
