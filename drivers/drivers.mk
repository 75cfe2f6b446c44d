# drivers/: device drivers.
DRIVER_SRCS := drivers/serial.c
