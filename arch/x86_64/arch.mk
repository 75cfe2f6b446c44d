# arch/x86_64: everything that knows it runs on x86-64.
ARCH_SRCS += arch/x86_64/entry.asm arch/x86_64/gdt.c arch/x86_64/idt.c \
	arch/x86_64/traps.c arch/x86_64/oops.c arch/x86_64/insn.c \
	arch/x86_64/stacktrace.c arch/x86_64/cpu.c arch/x86_64/mmu.c \
	arch/x86_64/time.c arch/x86_64/power.c arch/x86_64/probe.c \
	arch/x86_64/alternative.c
ARCH_SRCS += arch/x86_64/mm/pte.c
ARCH_HOST_SRCS += arch/x86_64/mm/pte.c
HOST_CFLAGS += -Iarch/x86_64/include
ARCH_SRCS += arch/x86_64/uaccess.c arch/x86_64/signal.c
ARCH_SRCS += arch/x86_64/syscall.asm arch/x86_64/switch.asm arch/x86_64/irq.c \
	arch/x86_64/percpu.c arch/x86_64/process.c arch/x86_64/rtc.c
ARCH_SRCS += arch/x86_64/apic.c arch/x86_64/ioapic.c arch/x86_64/hpet.c \
	arch/x86_64/apic_timer.c
ARCH_SRCS += arch/x86_64/pci.c
