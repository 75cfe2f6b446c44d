ARCH_SRCS += arch/x86_64/mm/pte.c
ARCH_HOST_SRCS += arch/x86_64/mm/pte.c
HOST_CFLAGS += -Iarch/x86_64/include
