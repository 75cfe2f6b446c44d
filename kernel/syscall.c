/*
 * The system-call dispatcher. Every SYSCALL_DEFINE(nr, name) in the kernel
 * leaves a struct syscall_entry in .syscall_table; syscall_init() builds
 * the dispatch array from them at boot. do_syscall() runs with interrupts
 * on, from the SYSCALL entry (arch/x86_64/syscall.asm).
 */
#include <pagoda/syscall.h>
#include <pagoda/errno.h>
#include <pagoda/init.h>
#include <pagoda/printk.h>
#include <pagoda/task.h>
#include <asm/regs.h>

extern const struct syscall_entry __syscall_table_start[], __syscall_table_end[];

static const struct syscall_entry *syscall_table[NR_SYSCALLS_MAX];
static u64 reported[NR_SYSCALLS_MAX / 64];	/* "not implemented" said once */
static unsigned int reported_out_of_range;

void syscall_init(void)
{
	unsigned int n = 0;

	for (const struct syscall_entry *e = __syscall_table_start; e < __syscall_table_end; e++) {
		if (e->nr >= NR_SYSCALLS_MAX)
			panic("syscall_init: %s has number %u, beyond %u", e->name, e->nr,
			      NR_SYSCALLS_MAX);
		if (syscall_table[e->nr])
			panic("syscall_init: %u defined twice (%s and %s)", e->nr,
			      syscall_table[e->nr]->name, e->name);
		syscall_table[e->nr] = e;
		n++;
	}
	printk("syscall: %u system calls\n", n);
}

static int syscall_initcall(void)
{
	syscall_init();
	return 0;
}
subsys_initcall(syscall_initcall);

/* The entry for @nr, or NULL; logs an unknown number once. */
static const struct syscall_entry *syscall_lookup(u64 nr)
{
	if (nr < NR_SYSCALLS_MAX) {
		const struct syscall_entry *e = syscall_table[nr];

		if (!e && !(reported[nr / 64] & (1ULL << (nr % 64)))) {
			reported[nr / 64] |= 1ULL << (nr % 64);
			printk("syscall %llu not implemented (task %d %s)\n",
			       (unsigned long long)nr, current->pid, current->comm);
		}
		return e;
	}
	/* numbers past the table: only the first few are worth a line */
	if (reported_out_of_range < 8) {
		reported_out_of_range++;
		printk("syscall %llu not implemented (task %d %s)\n",
		       (unsigned long long)nr, current->pid, current->comm);
	}
	return NULL;
}

/* Linux x86-64 convention: number in rax, arguments rdi rsi rdx r10 r8 r9, result in rax. */
void do_syscall(struct pt_regs *regs)
{
	const struct syscall_entry *e = syscall_lookup(regs->rax);

	if (!e) {
		regs->rax = (u64)-ENOSYS;
		return;
	}
	regs->rax = (u64)e->fn(regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9);
}
