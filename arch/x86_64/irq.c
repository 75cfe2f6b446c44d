/*
 * Hardware interrupts through the local APIC and the I/O APIC(s), and the
 * interrupt API of include/pagoda/irq.h.
 *
 * irq_dispatch() is called by irq_common (entry.asm) for every vector
 * 32-255 with interrupts off. Vector map (docs/acpi-and-interrupts.md):
 *   0x20-0x2f  the 8259 pair, remapped there and fully masked: only a
 *              spurious IRQ7/IRQ15 could arrive (counted as SPU)
 *   0x30-0xdf  device vectors: I/O APIC inputs and MSIs (irq_vector_alloc)
 *   0xec       local APIC timer: the scheduler tick (LOC)
 *   0xfe       local APIC error (ERR)
 *   0xff       local APIC spurious (SPU; no EOI)
 * Any other vector is counted as unexpected and acknowledged, never fatal.
 */
#include <pagoda/acpi.h>
#include <pagoda/errno.h>
#include <pagoda/irq.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <pagoda/vsprintf.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/irqflags.h>
#include <asm/traps.h>

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20
#define PIC_READ_ISR	0x0b
#define ICW1_INIT_ICW4	0x11	/* edge triggered, cascade, ICW4 follows */
#define ICW4_8086	0x01
#define PIC_VECTOR_BASE	0x20
#define NR_ISA_IRQS	16
#define NO_GSI		0xffffffffu

enum irq_kind { IRQ_FREE, IRQ_VECTOR_ONLY, IRQ_GSI };

/* One vector's owner. Changed with interrupts off (one CPU). */
struct irq_desc {
	enum irq_kind kind;
	irq_handler_t fn;
	void *data;
	const char *name;
	unsigned long count;
	u32 gsi;		/* IRQ_GSI only */
	unsigned int flags;	/* IRQ_LEVEL, IRQ_ACTIVE_LOW */
};

static struct irq_desc irq_desc[256];
static unsigned long loc_count, spurious_count, error_count, unexpected_count;
static unsigned int irq_depth;

/* A small delay between 8259 programming steps (old chipsets need it). */
static void io_wait(void)
{
	outb(0x80, 0);
}

/*
 * Re-initialise both 8259s with vector offsets 0x20 and 0x28 (the
 * firmware's 8-15 collide with exceptions), cascade on IRQ2, and mask
 * every line: from here on only the I/O APIC delivers device interrupts.
 */
static void pic_remap_and_mask(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	io_wait();
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
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

/* A vector of the remapped 8259: acknowledge a real one, count it as spurious. */
static void pic_vector(unsigned int irq)
{
	u16 cmd = irq < 8 ? PIC1_CMD : PIC2_CMD;

	spurious_count++;
	outb(cmd, PIC_READ_ISR);
	if (inb(cmd) & (1u << (irq & 7))) {
		if (irq >= 8)
			outb(PIC2_CMD, PIC_EOI);
		outb(PIC1_CMD, PIC_EOI);
	} else if (irq == 15) {
		outb(PIC1_CMD, PIC_EOI);	/* the master did see IRQ2 */
	}
}

/* "smp: ..." from the MADT: the other processors stay parked. */
static void report_cpus(void)
{
	const struct acpi_madt *m = acpi_get_madt();
	unsigned int enabled, capable;

	if (!m) {
		printk("smp: no MADT; running on the boot CPU only\n");
		return;
	}
	enabled = acpi_madt_enabled_cpus(m, &capable);
	printk("smp: MADT lists %u processors (%u enabled, %u online-capable); running on the "
	       "boot CPU (APIC id %u), %u application processors parked\n", m->nr_cpus,
	       enabled, capable, lapic_id(), enabled ? enabled - 1 : 0);
}

/*
 * The interrupt system at boot (task_init, interrupts still off): 8259
 * masked, local APIC, I/O APICs, HPET, then the tick from the APIC timer.
 */
void arch_timer_init(unsigned int hz)
{
	unsigned int nr;

	pic_remap_and_mask();
	if (lapic_init())
		panic("arch_timer_init: cannot map the local APIC");
	nr = ioapic_init();
	printk("irq: 8259 remapped to vectors %#x-%#x and masked; %u I/O APIC%s; device vectors "
	       "%#x-%#x\n", PIC_VECTOR_BASE, PIC_VECTOR_BASE + 15, nr, nr == 1 ? "" : "s",
	       IRQ_FIRST_DEVICE_VECTOR, IRQ_LAST_DEVICE_VECTOR);
	report_cpus();
	hpet_init();
	apic_timer_init(hz);
}

/* ---- dispatch ---- */

static void apic_error(void)
{
	u32 esr;

	lapic_write(APIC_ESR, 0);
	esr = lapic_read(APIC_ESR);
	if (error_count++ < 4)
		printk("apic: error interrupt, ESR %#x\n", esr);
}

static void unexpected_vector(u64 vector)
{
	if (unexpected_count++ < 4)
		printk("irq: unexpected vector %llu\n", (unsigned long long)vector);
	lapic_eoi();
}

/* The tick: one sched_account_tick() + sched_tick() per tick it stands for. */
static void timer_tick(struct pt_regs *regs)
{
	unsigned int n = apic_timer_ticks_due();
	bool user = user_mode(regs);

	loc_count++;
	lapic_eoi();
	while (n--) {
		sched_account_tick(user);
		sched_tick();
	}
}

void irq_dispatch(struct pt_regs *regs)
{
	u64 vector = regs->vector;
	struct irq_desc *d;

	irq_depth++;
	if (vector == IRQ_TIMER_VECTOR) {
		timer_tick(regs);
	} else if (vector == IRQ_SPURIOUS_VECTOR) {
		spurious_count++;		/* no EOI: not in service */
	} else if (vector == IRQ_ERROR_VECTOR) {
		apic_error();
		lapic_eoi();
	} else if (vector >= PIC_VECTOR_BASE && vector < PIC_VECTOR_BASE + 16) {
		pic_vector((unsigned int)vector - PIC_VECTOR_BASE);
	} else if (vector < 256 && (d = &irq_desc[vector])->fn) {
		d->count++;
		d->fn(d->data);
		lapic_eoi();
	} else {
		unexpected_vector(vector);
	}
	irq_depth--;
}

bool in_interrupt(void)
{
	return irq_depth > 0;
}

/* ---- the driver API ---- */

static int vector_claim(enum irq_kind kind, irq_handler_t fn, void *data, const char *name)
{
	for (int v = IRQ_FIRST_DEVICE_VECTOR; v <= IRQ_LAST_DEVICE_VECTOR; v++) {
		struct irq_desc *d = &irq_desc[v];

		if (d->kind != IRQ_FREE)
			continue;
		*d = (struct irq_desc){ .kind = kind, .fn = fn, .data = data,
					.name = name ? name : "?", .gsi = NO_GSI };
		return v;
	}
	return -ENOSPC;
}

int irq_vector_alloc(irq_handler_t fn, void *data, const char *name)
{
	unsigned long flags;
	int v;

	if (!fn)
		return -EINVAL;
	flags = local_irq_save();
	v = vector_claim(IRQ_VECTOR_ONLY, fn, data, name);
	local_irq_restore(flags);
	return v;
}

void irq_vector_free(int vector)
{
	unsigned long flags;

	if (vector < IRQ_FIRST_DEVICE_VECTOR || vector > IRQ_LAST_DEVICE_VECTOR)
		return;
	flags = local_irq_save();
	irq_desc[vector] = (struct irq_desc){ .kind = IRQ_FREE };
	local_irq_restore(flags);
}

static int gsi_vector(u32 gsi)
{
	for (int v = IRQ_FIRST_DEVICE_VECTOR; v <= IRQ_LAST_DEVICE_VECTOR; v++)
		if (irq_desc[v].kind == IRQ_GSI && irq_desc[v].gsi == gsi)
			return v;
	return -1;
}

int irq_request_gsi(unsigned int gsi, unsigned int flags, irq_handler_t fn, void *data,
		    const char *name)
{
	unsigned long f;
	int v, err;

	if (!fn)
		return -EINVAL;
	f = local_irq_save();
	if (gsi_vector(gsi) >= 0) {
		local_irq_restore(f);
		return -EBUSY;
	}
	v = vector_claim(IRQ_GSI, fn, data, name);
	if (v < 0)
		goto out;
	irq_desc[v].gsi = gsi;
	irq_desc[v].flags = flags & (IRQ_LEVEL | IRQ_ACTIVE_LOW);
	err = ioapic_route(gsi, (u8)v, irq_desc[v].flags, false);
	if (err) {
		irq_desc[v] = (struct irq_desc){ .kind = IRQ_FREE };
		v = err;
	}
out:
	local_irq_restore(f);
	return v;
}

int irq_request_isa(unsigned int isa_irq, irq_handler_t fn, void *data, const char *name)
{
	const struct acpi_madt *m = acpi_get_madt();
	unsigned int flags = 0;
	u16 mps = ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_EDGE;
	u32 gsi = isa_irq;

	if (isa_irq >= NR_ISA_IRQS)
		return -EINVAL;
	if (m)
		gsi = acpi_isa_irq_to_gsi(m, isa_irq, &mps);
	if ((mps & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL)
		flags |= IRQ_LEVEL;
	if ((mps & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW)
		flags |= IRQ_ACTIVE_LOW;
	return irq_request_gsi(gsi, flags, fn, data, name);
}

void irq_release_gsi(unsigned int gsi)
{
	unsigned long f = local_irq_save();
	int v = gsi_vector(gsi);

	if (v >= 0) {
		ioapic_mask(gsi, true);
		irq_desc[v] = (struct irq_desc){ .kind = IRQ_FREE };
	}
	local_irq_restore(f);
}

void irq_msi_compose(int vector, struct msi_msg *msg)
{
	msg->address = 0xfee00000ull | (u64)(lapic_id() & 0xff) << 12;
	msg->data = (u32)vector & 0xff;		/* fixed delivery, edge */
}

void irq_send_self_ipi(int vector)
{
	lapic_send_self_ipi((u8)vector);
}

unsigned long irq_vector_count(int vector)
{
	if (vector == IRQ_TIMER_VECTOR)
		return loc_count;
	return vector >= 0 && vector < 256 ? irq_desc[vector].count : 0;
}

unsigned long irq_spurious_count(void)
{
	return spurious_count;
}

unsigned long irq_error_count(void)
{
	return error_count;
}

unsigned long irq_unexpected_count(void)
{
	return unexpected_count;
}

/* ---- /proc/interrupts ---- */

struct show_buf {
	char *buf;
	size_t size, len;
};

static void show(struct show_buf *s, const char *fmt, ...) __printf(2, 3);

static void show(struct show_buf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->len < s->size ? s->buf + s->len : NULL,
		      s->len < s->size ? s->size - s->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len += (size_t)n;
}

size_t irq_show_interrupts(char *buf, size_t size)
{
	struct show_buf s = { .buf = buf, .size = size };

	if (size)
		buf[0] = 0;
	show(&s, "           CPU0\n");
	for (int v = IRQ_FIRST_DEVICE_VECTOR; v <= IRQ_LAST_DEVICE_VECTOR; v++) {
		const struct irq_desc *d = &irq_desc[v];

		if (d->kind == IRQ_GSI)
			show(&s, "%3d: %10lu   IO-APIC %3u-%-5s  %s\n", v, d->count, d->gsi,
			     d->flags & IRQ_LEVEL ? "level" : "edge", d->name);
		else if (d->kind == IRQ_VECTOR_ONLY)
			show(&s, "%3d: %10lu   vector            %s\n", v, d->count, d->name);
	}
	show(&s, "LOC: %10lu   Local timer interrupts (%s)\n", loc_count,
	     apic_timer_mode_name());
	show(&s, "SPU: %10lu   Spurious interrupts\n", spurious_count);
	show(&s, "ERR: %10lu\n", error_count);
	show(&s, "UNX: %10lu   Unexpected vectors\n", unexpected_count);
	return s.len;
}
