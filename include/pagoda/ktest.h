/*
 * In-kernel test suites, reported in KTAP (KUnit dialect) on the console.
 *
 * A suite is a static array of cases registered with KTEST_SUITE(); the
 * linker gathers suites into the .ktest_suites section and kernel/ktest.c
 * runs them when the command line says `ktest` (all) or `ktest=a,b` (those).
 * The runner also checks that the free-page count is the same before and
 * after each suite and reports that as the suite's last case.
 *
 * A case receives a struct ktest and reports through the KTEST_* macros:
 * EXPECT records a failure and continues, ASSERT records and returns.
 */
#ifndef PAGODA_KTEST_H
#define PAGODA_KTEST_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>

struct ktest {
	const char *name;
	bool failed;
	bool skipped;
	const char *skip_reason;
};

struct ktest_case {
	const char *name;	/* the behaviour it protects */
	void (*run)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	size_t nr_cases;
};

#define KTEST_CASE(fn, desc)	{ .name = (desc), .run = (fn) }

#define KTEST_SUITE(var, sname, case_array)				\
	static const struct ktest_suite var				\
	__attribute__((used, section(".ktest_suites"), aligned(8))) = {	\
		.name = (sname),					\
		.cases = (case_array),					\
		.nr_cases = ARRAY_SIZE(case_array),			\
	}

__printf(4, 5) void ktest_fail(struct ktest *t, const char *file, int line,
			       const char *fmt, ...);
void ktest_skip(struct ktest *t, const char *reason);

#define KTEST_EXPECT(t, cond)						\
	do {								\
		if (!(cond))						\
			ktest_fail(t, __FILE__, __LINE__,		\
				   "expected %s", #cond);		\
	} while (0)

#define KTEST_ASSERT(t, cond)						\
	do {								\
		if (!(cond)) {						\
			ktest_fail(t, __FILE__, __LINE__,		\
				   "assertion %s failed", #cond);	\
			return;						\
		}							\
	} while (0)

#define KTEST_EXPECT_EQ(t, a, b)					\
	do {								\
		unsigned long long __a = (unsigned long long)(a);	\
		unsigned long long __b = (unsigned long long)(b);	\
		if (__a != __b)						\
			ktest_fail(t, __FILE__, __LINE__,		\
				   "%s == %s: 0x%llx != 0x%llx", #a, #b,	\
				   __a, __b);				\
	} while (0)

/*
 * Touch memory and catch the page fault instead of oopsing (through the
 * exception table). On a fault, return -EFAULT and fill @f with what
 * do_page_fault saw; otherwise 0. For tests that expect a fault.
 */
struct ktest_fault {
	uintptr_t addr;		/* CR2 */
	unsigned int flags;	/* FAULT_FLAG_* (include/mm/fault.h) */
};

int ktest_probe_read(const volatile u8 *addr, u8 *val, struct ktest_fault *f);
int ktest_probe_write(volatile u8 *addr, u8 val, struct ktest_fault *f);

/* Run the suites named by @filter ("" or NULL = all). Returns failed count. */
int ktest_run_all(const char *filter);

#endif
