KTEST_SRCS += tests/kernel/ktest_pgtable.c
