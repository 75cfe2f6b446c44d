/*
 * Interrupts for drivers (arch/x86_64/irq.c, ioapic.c, apic.c;
 * docs/acpi-and-interrupts.md has the vector map).
 *
 * One CPU today: a vector is the interrupt's number. Device interrupts
 * arrive on vectors IRQ_FIRST_DEVICE_VECTOR..IRQ_LAST_DEVICE_VECTOR, either
 * from an I/O APIC input (a GSI; ISA IRQs go through the MADT's interrupt
 * source overrides) or as MSI/MSI-X messages a driver programs with
 * irq_msi_compose(). The local APIC timer, error and spurious vectors are
 * the kernel's own.
 *
 * Locking: these functions run with interrupts off inside; call them from
 * task context (not from a handler). None of them sleeps.
 */
#ifndef PAGODA_IRQ_H
#define PAGODA_IRQ_H

#include <pagoda/types.h>

/* Runs in interrupt context with interrupts off; may wake tasks, never sleeps. */
typedef void (*irq_handler_t)(void *data);

#define IRQ_FIRST_DEVICE_VECTOR	0x30
#define IRQ_LAST_DEVICE_VECTOR	0xdf
#define IRQ_TIMER_VECTOR	0xec	/* local APIC timer: the scheduler tick */
#define IRQ_ERROR_VECTOR	0xfe	/* local APIC error */
#define IRQ_SPURIOUS_VECTOR	0xff	/* local APIC spurious: no EOI */

/* irq_request_gsi() flags; 0 is edge-triggered, active high. */
#define IRQ_LEVEL		(1u << 0)
#define IRQ_ACTIVE_LOW		(1u << 1)

/*
 * A free device vector with @fn(@data) installed, named @name (kept by
 * pointer: a string literal) in /proc/interrupts. The vector is not routed
 * anywhere: the caller programs an MSI or an IPI to it. Returns the vector
 * (>= 0) or -ENOSPC; -EINVAL for a NULL @fn.
 */
int irq_vector_alloc(irq_handler_t fn, void *data, const char *name);

/* Give back a vector from irq_vector_alloc(); its count is reset. */
void irq_vector_free(int vector);

/*
 * Route ISA IRQ @isa_irq (0-15) through the MADT's overrides (GSI,
 * polarity, trigger; ISA default edge, active high) and the I/O APIC to a
 * new vector running @fn(@data), unmasked. Returns the vector or -errno:
 * -EINVAL (bad IRQ or @fn), -ENODEV (no I/O APIC serves that GSI),
 * -EBUSY (the GSI is already requested), -ENOSPC (no vector left).
 */
int irq_request_isa(unsigned int isa_irq, irq_handler_t fn, void *data, const char *name);

/* The same for a GSI, with IRQ_LEVEL / IRQ_ACTIVE_LOW @flags. */
int irq_request_gsi(unsigned int gsi, unsigned int flags, irq_handler_t fn, void *data,
		    const char *name);

/* Mask the GSI's I/O APIC input and free its vector. */
void irq_release_gsi(unsigned int gsi);

/* An MSI message: write @data (32 bits) to @address. */
struct msi_msg {
	u64 address;
	u32 data;
};

/* Fixed delivery, edge, physical destination: the boot CPU's APIC id. */
void irq_msi_compose(int vector, struct msi_msg *msg);

/* True inside a hardware interrupt handler (irq_dispatch). */
bool in_interrupt(void);

/* Interrupts taken on @vector since boot (or since it was allocated). */
unsigned long irq_vector_count(int vector);

/* Counts of the kernel's own rows in /proc/interrupts. */
unsigned long irq_spurious_count(void);	/* SPU: APIC and 8259 spurious */
unsigned long irq_error_count(void);		/* ERR: local APIC errors */
unsigned long irq_unexpected_count(void);	/* vectors nobody owns */

/*
 * /proc/interrupts in Linux's layout as far as it applies: a CPU0 header,
 * one line per vector in use (count, chip, GSI and trigger, name), then the
 * LOC, SPU and ERR rows (and UNX: vectors nobody owns). Writes at most
 * @size bytes (NUL terminated when @size > 0); returns the length the whole
 * text needs, without the NUL, as snprintf does.
 */
size_t irq_show_interrupts(char *buf, size_t size);

/* Send @vector to this CPU through the local APIC (tests, self-IPIs). */
void irq_send_self_ipi(int vector);

#endif
