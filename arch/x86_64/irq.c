/*
 * Hardware interrupts: the legacy 8259 pair, remapped to vectors 32-47 with
 * every line masked except IRQ0, and the 8254 PIT on IRQ0 as the scheduler
 * tick. irq_dispatch() is called by irq_common (entry.asm) for every vector
 * 32-255, with interrupts off.
 *
 * The LAPIC and IOAPIC are not used yet: QEMU and PC firmware leave the
 * LAPIC in virtual-wire mode (LINT0 = ExtINT), which passes the 8259's
 * interrupts to the CPU.
 */
#include <asm/traps.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20
#define PIC_READ_ISR	0x0b
#define ICW1_INIT_ICW4	0x11	/* edge triggered, cascade, ICW4 follows */
#define ICW4_8086	0x01

#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define PIT_HZ		1193182u
#define PIT_CH0_RATE	0x34	/* channel 0, lo/hi byte, mode 2, binary */

#define IRQ_TIMER	0
#define IRQ_SPURIOUS_MASTER	7
#define IRQ_SPURIOUS_SLAVE	15

static unsigned long irq_counts[16];
static unsigned long unexpected_vectors;

/* A small delay between 8259 programming steps (old chipsets need it). */
static void io_wait(void)
{
	outb(0x80, 0);
}

/*
 * Re-initialise both 8259s with vector offsets 32 and 40 (the firmware's
 * 8-15 collide with exceptions), cascade on IRQ2, and mask every line.
 */
static void pic_remap_and_mask(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC1_DATA, IRQ_VECTOR_BASE);
	io_wait();
	outb(PIC2_DATA, IRQ_VECTOR_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << 2);	/* slave on IRQ2 */
	io_wait();
	outb(PIC2_DATA, 2);		/* slave identity */
	io_wait();
	outb(PIC1_DATA, ICW4_8086);
	io_wait();
	outb(PIC2_DATA, ICW4_8086);
	io_wait();
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

static void pic_unmask(unsigned int irq)
{
	u16 port = irq < 8 ? PIC1_DATA : PIC2_DATA;

	outb(port, inb(port) & ~(1u << (irq & 7)));
	if (irq >= 8)
		outb(PIC1_DATA, inb(PIC1_DATA) & ~(1u << 2));
}

static void pic_eoi(unsigned int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

/* Is @irq really in service, or a spurious IRQ7/IRQ15 (no EOI for those)? */
static bool pic_in_service(unsigned int irq)
{
	u16 cmd = irq < 8 ? PIC1_CMD : PIC2_CMD;

	outb(cmd, PIC_READ_ISR);
	return inb(cmd) & (1u << (irq & 7));
}

/* The PIT's channel 0 as a rate generator at @hz. */
static void pit_start(unsigned int hz)
{
	u32 divisor = (PIT_HZ + hz / 2) / hz;

	outb(PIT_CMD, PIT_CH0_RATE);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
}

void arch_timer_init(unsigned int hz)
{
	pic_remap_and_mask();
	pit_start(hz);
	pic_unmask(IRQ_TIMER);
	printk("irq: 8259 remapped to vectors %d-%d, PIT at %u Hz on IRQ0\n",
	       IRQ_VECTOR_BASE, IRQ_VECTOR_BASE + 15, hz);
}

unsigned long arch_irq_count(unsigned int irq)
{
	return irq < 16 ? irq_counts[irq] : 0;
}

void irq_dispatch(struct pt_regs *regs)
{
	unsigned int irq = regs->vector - IRQ_VECTOR_BASE;

	if (regs->vector < IRQ_VECTOR_BASE || irq >= 16) {
		/* no device sends these; a stray LAPIC vector at most */
		if (unexpected_vectors++ < 4)
			printk("irq: unexpected vector %llu\n",
			       (unsigned long long)regs->vector);
		return;
	}
	if ((irq == IRQ_SPURIOUS_MASTER || irq == IRQ_SPURIOUS_SLAVE) &&
	    !pic_in_service(irq)) {
		if (irq == IRQ_SPURIOUS_SLAVE)
			outb(PIC1_CMD, PIC_EOI);	/* the master did see IRQ2 */
		return;
	}
	irq_counts[irq]++;
	pic_eoi(irq);
	if (irq == IRQ_TIMER) {
		sched_account_tick(user_mode(regs));
		sched_tick();
	}
}
