# drivers/: device drivers.
DRIVER_SRCS := drivers/serial.c
DRIVER_SRCS += drivers/block/testblk.c
