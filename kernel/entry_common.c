/*
 * The last step of every return to user mode (syscall, exception,
 * interrupt, first entry after exec): return_to_user in entry.asm calls
 * exit_to_user_mode() with interrupts off, on the task's kernel stack, with
 * the user registers that iretq is about to load.
 */
#include <pagoda/task.h>
#include <pagoda/signal.h>
#include <pagoda/printk.h>
#include <asm/irqflags.h>
#include <asm/regs.h>

#ifndef SI_KERNEL
#define SI_KERNEL	0x80	/* Linux's si_code for a fault the kernel raised */
#endif

/*
 * Work until none is left, then return with interrupts off:
 *   - need_resched: let others run (the slice ended);
 *   - a pending unblocked signal: do_signal() builds a handler frame in
 *     @regs or ends the task. It must consume at least one pending signal
 *     per call, or this loop would not end.
 * A return address iretq cannot take (non-canonical, e.g. from a forged
 * sigreturn frame) would fault inside the kernel with the user's GS: the
 * task gets SIGSEGV instead, as Linux does.
 */
void exit_to_user_mode(struct pt_regs *regs)
{
	bool bad_rip_signalled = false;

	for (;;) {
		if (current->need_resched) {
			local_irq_enable();
			schedule();
			local_irq_disable();
			continue;
		}
		if (signal_pending(current)) {
			local_irq_enable();
			do_signal(regs);
			local_irq_disable();
			continue;
		}
		if (!arch_user_rip_ok(regs->rip)) {
			/* the handler's own address is bad too: no way out */
			if (bad_rip_signalled) {
				local_irq_enable();
				do_exit(SIGSEGV);
			}
			bad_rip_signalled = true;
			force_sig_fault(SIGSEGV, SI_KERNEL, 0);
			continue;
		}
		break;
	}
}
