/* Console sinks that printk writes to. */
#ifndef PAGODA_CONSOLE_H
#define PAGODA_CONSOLE_H

#include <pagoda/types.h>

/* 16550 UART on COM1 (drivers/serial.c). Output polled, usable from the first line. */
void serial_init(void);
void serial_write(const char *s, size_t n);

/*
 * Input, filled by COM1's receive interrupt (ISA IRQ4) into a 1 KiB ring:
 * copy up to @n buffered bytes to @buf and return how many (0 if none).
 * Never blocks; safe from task context.
 */
size_t serial_read_buffered(char *buf, size_t n);
/* Bytes received since boot, and those dropped because the ring was full. */
unsigned long serial_rx_count(void);
unsigned long serial_rx_dropped(void);
/*
 * Called from the receive interrupt (interrupts off, must not sleep) after
 * new bytes are in the ring; NULL by default. The console's blocking read
 * will set it to wake its readers.
 */
extern void (*serial_rx_notify)(void);

/*
 * Write @n bytes as they are (no printk timestamp) to the console and the
 * log ring (kernel/printk.c): the output of user programs.
 */
void console_write_raw(const char *s, size_t n);

#endif
