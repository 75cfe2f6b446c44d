/*
 * Deliberate kernel faults for the crash scenario (`crash=NAME` on the
 * command line); each one must end in an oops naming the right address,
 * error bits, function and page-walk levels, or in the panic that names
 * the broken rule. Names: unmapped, noncanonical, rodata-write,
 * stack-overflow, sleep-in-atomic.
 */
#ifndef KERNEL_CRASHTEST_H
#define KERNEL_CRASHTEST_H

void crashtest_run(const char *name);

#endif
