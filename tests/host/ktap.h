/*
 * Minimal KTAP (KUnit dialect) producer for host unit tests. A test program
 * is one suite:
 *
 *   static void t_split(void) { KT_EXPECT_EQ(a, b); ... }
 *   static const struct kt_case cases[] = { KT_CASE(t_split, "split and merge ..."), };
 *   int main(void) { return kt_run_suite("buddy", cases, KT_N(cases)); }
 *
 * Exit status is 0 when every case passed. A failed expectation prints a
 * `# file:line: ...` diagnostic and marks the current case failed.
 */
#ifndef HOST_KTAP_H
#define HOST_KTAP_H

#include <stdio.h>

struct kt_case {
	void (*fn)(void);
	const char *name;
};

#define KT_CASE(f, n)	{ (f), (n) }
#define KT_N(a)		(sizeof(a) / sizeof((a)[0]))

extern int kt_case_failed;

#define KT_EXPECT(c)							\
	do {								\
		if (!(c)) {						\
			printf("    # %s:%d: expected %s\n", __FILE__,	\
			       __LINE__, #c);				\
			kt_case_failed = 1;				\
		}							\
	} while (0)

#define KT_EXPECT_EQ(a, b)						\
	do {								\
		unsigned long long __a = (unsigned long long)(a);	\
		unsigned long long __b = (unsigned long long)(b);	\
		if (__a != __b) {					\
			printf("    # %s:%d: %s == %s: 0x%llx != 0x%llx\n",\
			       __FILE__, __LINE__, #a, #b, __a, __b);	\
			kt_case_failed = 1;				\
		}							\
	} while (0)

#define KT_ASSERT(c)							\
	do {								\
		if (!(c)) {						\
			printf("    # %s:%d: assertion %s failed\n",	\
			       __FILE__, __LINE__, #c);			\
			kt_case_failed = 1;				\
			return;						\
		}							\
	} while (0)

int kt_run_suite(const char *suite, const struct kt_case *cases, unsigned n);

/*
 * Panic harness: run fn(arg) in a forked child. kt_dies_with_panic() is true
 * when the child aborts (panic() in host_support.c) with @msg in its message;
 * kt_exits_cleanly() when it returns normally.
 */
#include <stdbool.h>
bool kt_dies_with_panic(void (*fn)(void *), void *arg, const char *msg);
bool kt_exits_cleanly(void (*fn)(void *), void *arg);

#endif
