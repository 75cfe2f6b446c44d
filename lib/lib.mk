# lib/: freestanding C library pieces for the kernel.
LIB_SRCS := lib/string.c lib/vsprintf.c
LIB_SRCS += lib/rbtree.c
LIB_SRCS += lib/xarray.c
LIB_SRCS += lib/crc32.c
LIB_SRCS += lib/iov_iter.c
