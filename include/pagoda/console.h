/* Console sinks that printk writes to. */
#ifndef PAGODA_CONSOLE_H
#define PAGODA_CONSOLE_H

#include <pagoda/types.h>

/* 16550 UART on COM1 (drivers/serial.c). Polled, usable from the first line. */
void serial_init(void);
void serial_write(const char *s, size_t n);

/*
 * Write @n bytes as they are (no printk timestamp) to the console and the
 * log ring (kernel/printk.c): the output of user programs.
 */
void console_write_raw(const char *s, size_t n);

#endif
