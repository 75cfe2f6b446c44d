# kernel/: core kernel.
KERNEL_SRCS := kernel/main.c kernel/printk.c kernel/panic.c kernel/cmdline.c \
	kernel/ksyms.c kernel/ktest.c kernel/crashtest.c
KERNEL_SRCS += kernel/signal.c
KERNEL_SRCS += kernel/task.c kernel/sched.c kernel/syscall.c kernel/sys_process.c \
	kernel/entry_common.c
KERNEL_SRCS += kernel/exec.c kernel/exec_elf.c kernel/uinit.c
KERNEL_SRCS += kernel/sys_mm.c
KERNEL_SRCS += kernel/fork.c kernel/sys_exec.c
KERNEL_SRCS += kernel/wait.c kernel/timer.c kernel/kthread.c \
	kernel/locking/mutex.c kernel/locking/rwsem.c
KERNEL_SRCS += kernel/reboot.c kernel/shutdown.c kernel/sysrq.c
