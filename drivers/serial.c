/*
 * 16550 UART on COM1, 115200 8N1. Output is polled (usable from the first
 * line of the kernel and from an oops). Input arrives by interrupt: ISA
 * IRQ4 through the I/O APIC (serial_irq_init), drained into a ring buffer
 * that serial_read_buffered() empties; serial_rx_notify, when set, is
 * called from the handler after each drain.
 */
#include <pagoda/console.h>
#include <pagoda/init.h>
#include <pagoda/irq.h>
#include <pagoda/printk.h>
#include <asm/cpu.h>
#include <asm/irqflags.h>

#define COM1		0x3f8
#define COM1_ISA_IRQ	4
#define REG_DATA	0
#define REG_IER		1
#define REG_FCR		2
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define LSR_DR		0x01	/* data ready */
#define LSR_THRE	0x20
#define IER_RDA		0x01	/* received data available interrupt */
#define MCR_DTR_RTS	0x03
#define MCR_OUT2	0x08	/* gates the UART's IRQ line on PCs */
#define RX_RING_SIZE	1024	/* a power of two */

static bool serial_present;

/* The receive ring: written by the interrupt handler, read with interrupts off. */
static char rx_ring[RX_RING_SIZE];
static unsigned int rx_head, rx_tail;	/* free-running; head - tail = bytes held */
static unsigned long rx_count, rx_dropped;
void (*serial_rx_notify)(void);

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);	/* no interrupts */
	outb(COM1 + REG_LCR, 0x80);	/* DLAB: set divisor */
	outb(COM1 + REG_DATA, 0x01);	/* 115200 baud */
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x03);	/* 8N1 */
	outb(COM1 + REG_FCR, 0xc7);	/* FIFO on, cleared */
	outb(COM1 + REG_MCR, MCR_DTR_RTS);
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

/* IRQ4: move every received byte into the ring (the oldest stay; excess is dropped). */
static void serial_rx_irq(void *data)
{
	while (inb(COM1 + REG_LSR) & LSR_DR) {
		char c = (char)inb(COM1 + REG_DATA);

		rx_count++;
		if (rx_head - rx_tail == RX_RING_SIZE) {
			rx_dropped++;
			continue;
		}
		rx_ring[rx_head++ % RX_RING_SIZE] = c;
	}
	if (serial_rx_notify)
		serial_rx_notify();
}

size_t serial_read_buffered(char *buf, size_t n)
{
	unsigned long flags = local_irq_save();
	size_t i;

	for (i = 0; i < n && rx_tail != rx_head; i++)
		buf[i] = rx_ring[rx_tail++ % RX_RING_SIZE];
	local_irq_restore(flags);
	return i;
}

unsigned long serial_rx_count(void)
{
	return rx_count;
}

unsigned long serial_rx_dropped(void)
{
	return rx_dropped;
}

/* Route COM1's IRQ4 and turn on the receive interrupt (after the I/O APIC is up). */
static int serial_irq_init(void)
{
	int v;

	if (!serial_present)
		return 0;
	v = irq_request_isa(COM1_ISA_IRQ, serial_rx_irq, NULL, "ttyS0");
	if (v < 0) {
		printk("serial: no interrupt for COM1 (%d); input is not read\n", v);
		return 0;
	}
	outb(COM1 + REG_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(COM1 + REG_IER, IER_RDA);
	printk("serial: COM1 receive interrupt on ISA IRQ %d, vector %#x\n", COM1_ISA_IRQ, v);
	return 0;
}
subsys_initcall(serial_irq_init);
