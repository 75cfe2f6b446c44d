/* Polled 16550 UART on COM1, 115200 8N1. */
#include <pagoda/console.h>
#include <asm/cpu.h>

#define COM1		0x3f8
#define REG_DATA	0
#define REG_IER		1
#define REG_FCR		2
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define LSR_THRE	0x20

static bool serial_present;

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);	/* no interrupts */
	outb(COM1 + REG_LCR, 0x80);	/* DLAB: set divisor */
	outb(COM1 + REG_DATA, 0x01);	/* 115200 baud */
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x03);	/* 8N1 */
	outb(COM1 + REG_FCR, 0xc7);	/* FIFO on, cleared */
	outb(COM1 + REG_MCR, 0x03);	/* DTR, RTS */
	/* an absent UART reads back 0xff */
	serial_present = inb(COM1 + REG_LSR) != 0xff;
}

static void serial_putc(char c)
{
	for (int spins = 0; spins < 100000; spins++)
		if (inb(COM1 + REG_LSR) & LSR_THRE)
			break;
	outb(COM1 + REG_DATA, c);
}

void serial_write(const char *s, size_t n)
{
	if (!serial_present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
