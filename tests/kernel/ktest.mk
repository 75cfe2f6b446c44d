KTEST_SRCS += tests/kernel/ktest_pgtable.c
KTEST_SRCS += tests/kernel/ktest_pmm.c
KTEST_SRCS += tests/kernel/ktest_uaccess.c
KTEST_SRCS += tests/kernel/ktest_signal.c
KTEST_SRCS += tests/kernel/ktest_sched.c
KTEST_SRCS += tests/kernel/ktest_audit.c
KTEST_SRCS += tests/kernel/ktest_wait.c
KTEST_SRCS += tests/kernel/ktest_block.c tests/lib/part_image.c
