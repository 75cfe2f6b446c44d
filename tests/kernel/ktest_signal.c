/*
 * In-kernel tests of signal delivery and rt_sigreturn, `ktest=signal`.
 *
 * A case builds a private address space with a stack mapping, makes it the
 * current task's mm, and drives do_signal() and arch_rt_sigreturn() on a
 * made-up user register frame, then reads the frame back through
 * copy_from_user and checks it against the Linux x86-64 ABI with plain
 * offsets (not the kernel's own structs, so a layout slip shows):
 *
 *   frame + 0    pretcode
 *   frame + 8    ucontext: uc_flags, uc_link, uc_stack (24 bytes),
 *   frame + 48     uc_mcontext = musl's gregs[23] then fpregs pointer,
 *   frame + 304    uc_sigmask
 *   frame + 312  siginfo
 *   then, 64-byte aligned below the stack top, the FPU image fpstate points to
 *
 * The current task's signal state is saved and restored around each case,
 * and no case lets a default action run (it would end the running task).
 */
#include <pagoda/errno.h>
#include <pagoda/ktest.h>
#include <pagoda/signal.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <asm/regs.h>
#include <asm/fpu.h>
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pmm.h>

#define SG_STACK	0x30000000UL	/* 4 pages read-write */
#define SG_STACK_PAGES	4
#define SG_HOLE		0x38000000UL	/* never mapped */
#define SG_HANDLER	0x402000UL
#define SG_SEGV_HANDLER	0x402800UL
#define SG_RESTORER	0x403000UL
#define SG_RIP		0x401000UL

/* musl's REG_* indexes into gregs[] */
enum { REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
       REG_RDI, REG_RSI, REG_RBP, REG_RBX, REG_RDX, REG_RAX, REG_RCX, REG_RSP,
       REG_RIP, REG_EFL, REG_CSGSFS, REG_ERR, REG_TRAPNO, REG_OLDMASK, REG_CR2,
       NGREG };

#define FRAME_UC		8
#define FRAME_UC_STACK		(FRAME_UC + 16)
#define FRAME_GREGS		(FRAME_UC + 40)
#define FRAME_FPREGS		(FRAME_GREGS + NGREG * 8)
#define FRAME_SIGMASK		(FRAME_UC + 296)
#define FRAME_INFO		312
#define FRAME_SIZE		440

#define FLAGS_IF	0x200UL
#define FLAGS_DF	0x400UL
#define FLAGS_TF	0x100UL
#define FLAGS_CF	0x1UL
#define FLAGS_IOPL	0x3000UL

struct sg_env {
	struct mm_struct *mm;
	struct mm_struct *saved_mm;
};

static struct signal_state saved_sig;

static bool sg_enter(struct ktest *t, struct sg_env *e)
{
	long r;

	e->mm = mm_create(&kernel_pmm, &kernel_pt, USER_SPACE_END_L4);
	if (!e->mm) {
		ktest_fail(t, __FILE__, __LINE__, "mm_create: -ENOMEM");
		return false;
	}
	r = mm_mmap(e->mm, SG_STACK, SG_STACK_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (r != (long)SG_STACK) {
		ktest_fail(t, __FILE__, __LINE__, "mm_mmap = %ld", r);
		mm_put(e->mm);
		return false;
	}
	saved_sig = current->sig;
	memset(&current->sig, 0, sizeof(current->sig));
	/* no switch between the two: CR3 and current->mm must agree */
	preempt_disable();
	e->saved_mm = current->mm;
	current->mm = e->mm;
	arch_load_page_table(virt_to_phys(e->mm->pt.pgd));
	preempt_enable();
	return true;
}

static void sg_leave(struct sg_env *e)
{
	preempt_disable();
	current->mm = e->saved_mm;
	arch_load_page_table(virt_to_phys(kernel_pt.pgd));
	preempt_enable();
	current->sig = saved_sig;
	mm_put(e->mm);
}

/* A user frame with a distinct value in every register, stopped by a #PF. */
static void sg_regs(struct pt_regs *r, uintptr_t rsp)
{
	u64 *w = (u64 *)r;

	for (size_t i = 0; i < sizeof(*r) / 8; i++)
		w[i] = 0x1000 + i;
	r->rip = SG_RIP;
	r->rsp = rsp;
	r->cs = 0x2b;
	r->ss = 0x23;
	r->rflags = FLAGS_IF | FLAGS_DF | FLAGS_TF | 0x2;
	r->rax = 42;
	r->vector = 14;
	r->error_code = 6;
}

static void sg_action(int sig, uintptr_t handler, unsigned long flags, sigset_t mask)
{
	struct k_sigaction *ka = &current->sig.action[sig - 1];

	ka->handler = handler;
	ka->flags = flags | SA_RESTORER;
	ka->restorer = SG_RESTORER;
	ka->mask = mask;
}

/* Linux's FPU area below a stack top: the image (+ MAGIC2 with XSAVE), 64-aligned. */
static uintptr_t expected_fpstate(uintptr_t top)
{
	size_t size = arch_fpu_state_size() + (arch_fpu_uses_xsave() ? 4 : 0);

	return (top - size) & ~63UL;
}

/* Where Linux puts the frame for a stack top @top (red zone already off). */
static uintptr_t expected_frame(uintptr_t top)
{
	return ((expected_fpstate(top) - FRAME_SIZE) & ~15UL) - 8;
}

static u64 frame_u64(uintptr_t frame, size_t off)
{
	u64 v = 0xbad;

	copy_from_user(&v, (const void *)(frame + off), sizeof(v));
	return v;
}

static void frame_set_u64(uintptr_t frame, size_t off, u64 v)
{
	copy_to_user((void *)(frame + off), &v, sizeof(v));
}

static u64 greg(uintptr_t frame, int reg)
{
	return frame_u64(frame, FRAME_GREGS + reg * 8);
}

/* ---- cases ---- */

static void t_frame_layout(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r, orig;
	uintptr_t rsp = SG_STACK + 3 * PAGE_SIZE + 0x123, f;
	struct siginfo info;

	if (!sg_enter(t, &e))
		return;
	sg_regs(&r, rsp);
	orig = r;
	current->sig.blocked = sigmask(SIGHUP);
	sg_action(SIGUSR1, SG_HANDLER, SA_SIGINFO, sigmask(SIGUSR2));
	KTEST_ASSERT(t, send_signal(current, SIGUSR1, NULL) == 0);
	KTEST_EXPECT(t, signal_pending(current));
	do_signal(&r);
	f = r.rsp;

	KTEST_EXPECT_EQ(t, f, expected_frame(rsp - 128));
	KTEST_EXPECT_EQ(t, (r.rsp + 8) % 16, 0);
	KTEST_EXPECT_EQ(t, r.rip, SG_HANDLER);
	KTEST_EXPECT_EQ(t, r.rdi, SIGUSR1);
	KTEST_EXPECT_EQ(t, r.rsi, f + FRAME_INFO);
	KTEST_EXPECT_EQ(t, r.rdx, f + FRAME_UC);
	KTEST_EXPECT_EQ(t, r.rax, 0);
	KTEST_EXPECT_EQ(t, r.cs, 0x2b);
	KTEST_EXPECT_EQ(t, r.ss, 0x23);
	KTEST_EXPECT_EQ(t, r.rflags & (FLAGS_DF | FLAGS_TF), 0);
	KTEST_EXPECT(t, r.rflags & FLAGS_IF);
	KTEST_EXPECT(t, !signal_pending(current));
	KTEST_EXPECT_EQ(t, current->sig.blocked,
			sigmask(SIGHUP) | sigmask(SIGUSR1) | sigmask(SIGUSR2));

	KTEST_EXPECT_EQ(t, frame_u64(f, 0), SG_RESTORER);
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_UC + 8), 0);		/* uc_link */
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_UC_STACK + 8) & 0xffffffff, SS_DISABLE);
	KTEST_EXPECT_EQ(t, greg(f, REG_R8), orig.r8);
	KTEST_EXPECT_EQ(t, greg(f, REG_R11), orig.r11);
	KTEST_EXPECT_EQ(t, greg(f, REG_R15), orig.r15);
	KTEST_EXPECT_EQ(t, greg(f, REG_RDI), orig.rdi);
	KTEST_EXPECT_EQ(t, greg(f, REG_RSI), orig.rsi);
	KTEST_EXPECT_EQ(t, greg(f, REG_RBP), orig.rbp);
	KTEST_EXPECT_EQ(t, greg(f, REG_RBX), orig.rbx);
	KTEST_EXPECT_EQ(t, greg(f, REG_RDX), orig.rdx);
	KTEST_EXPECT_EQ(t, greg(f, REG_RAX), 42);
	KTEST_EXPECT_EQ(t, greg(f, REG_RCX), orig.rcx);
	KTEST_EXPECT_EQ(t, greg(f, REG_RSP), rsp);
	KTEST_EXPECT_EQ(t, greg(f, REG_RIP), SG_RIP);
	KTEST_EXPECT_EQ(t, greg(f, REG_EFL), orig.rflags);
	KTEST_EXPECT_EQ(t, greg(f, REG_CSGSFS) & 0xffff, 0x2b);
	KTEST_EXPECT_EQ(t, greg(f, REG_CSGSFS) >> 48, 0x23);
	KTEST_EXPECT_EQ(t, greg(f, REG_ERR), 6);
	KTEST_EXPECT_EQ(t, greg(f, REG_TRAPNO), 14);
	KTEST_EXPECT_EQ(t, greg(f, REG_OLDMASK), sigmask(SIGHUP));
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_FPREGS), expected_fpstate(rsp - 128));
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_UC), arch_fpu_uses_xsave() ? 0x7 : 0x6);
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_SIGMASK), sigmask(SIGHUP));

	KTEST_EXPECT_EQ(t, copy_from_user(&info, (const void *)(f + FRAME_INFO), sizeof(info)), 0);
	KTEST_EXPECT_EQ(t, info.si_signo, SIGUSR1);
	KTEST_EXPECT_EQ(t, info.si_code, SI_USER);
	sg_leave(&e);
}

/* Deliver SIGUSR1 on @r (fresh registers, stack in the mapping); the frame. */
static uintptr_t sg_deliver(struct pt_regs *r)
{
	sg_regs(r, SG_STACK + 3 * PAGE_SIZE);
	sg_action(SIGUSR1, SG_HANDLER, SA_SIGINFO, 0);
	send_signal(current, SIGUSR1, NULL);
	do_signal(r);
	return r->rsp;
}

static void t_sigreturn_restores(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r, orig;
	uintptr_t f;

	if (!sg_enter(t, &e))
		return;
	current->sig.blocked = sigmask(SIGHUP);
	sg_regs(&orig, SG_STACK + 3 * PAGE_SIZE);
	f = sg_deliver(&r);
	KTEST_ASSERT(t, r.rip == SG_HANDLER);
	frame_set_u64(f, FRAME_GREGS + REG_RAX * 8, 77);	/* the handler edits uc */
	/* the handler runs, clobbers registers, returns into __restore_rt */
	r.rsp = f + 8;
	r.rax = 15;
	r.rcx = r.r11 = r.rbx = 0;
	KTEST_EXPECT_EQ(t, arch_rt_sigreturn(&r), 77);
	orig.rax = 77;
	KTEST_EXPECT(t, !memcmp(&r, &orig, __builtin_offsetof(struct pt_regs, vector)));
	KTEST_EXPECT_EQ(t, r.rip, orig.rip);
	KTEST_EXPECT_EQ(t, r.rsp, orig.rsp);
	KTEST_EXPECT_EQ(t, r.rflags, orig.rflags);
	KTEST_EXPECT_EQ(t, r.cs, 0x2b);
	KTEST_EXPECT_EQ(t, r.ss, 0x23);
	KTEST_EXPECT_EQ(t, current->sig.blocked, sigmask(SIGHUP));
	KTEST_EXPECT(t, !signal_pending(current));
	sg_leave(&e);
}

static void t_sigreturn_sanitises(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r;
	uintptr_t f;

	if (!sg_enter(t, &e))
		return;
	f = sg_deliver(&r);
	frame_set_u64(f, FRAME_GREGS + REG_CSGSFS * 8, 0x0010000000000008ULL);	/* ring 0 */
	frame_set_u64(f, FRAME_GREGS + REG_EFL * 8, FLAGS_IOPL | FLAGS_CF);	/* no IF */
	frame_set_u64(f, FRAME_SIGMASK, ~0ULL);
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	KTEST_EXPECT_EQ(t, r.cs, 0x2b);
	KTEST_EXPECT_EQ(t, r.ss, 0x23);
	KTEST_EXPECT_EQ(t, r.rflags & FLAGS_IOPL, 0);
	KTEST_EXPECT(t, r.rflags & FLAGS_IF);
	KTEST_EXPECT(t, r.rflags & FLAGS_CF);
	KTEST_EXPECT_EQ(t, current->sig.blocked, ~(sigmask(SIGKILL) | sigmask(SIGSTOP)));
	current->sig.blocked = 0;

	/* a kernel or non-canonical rip is refused: SIGSEGV, registers kept */
	f = sg_deliver(&r);
	frame_set_u64(f, FRAME_GREGS + REG_RIP * 8, KERNEL_IMAGE_BASE);
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	KTEST_EXPECT_EQ(t, r.rip, SG_HANDLER);
	KTEST_EXPECT(t, current->sig.pending & sigmask(SIGSEGV));
	current->sig.pending = 0;
	current->sig.blocked = 0;
	f = sg_deliver(&r);
	frame_set_u64(f, FRAME_GREGS + REG_RIP * 8, 0x8000000000000000ULL);
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	KTEST_EXPECT_EQ(t, r.rip, SG_HANDLER);
	KTEST_EXPECT(t, current->sig.pending & sigmask(SIGSEGV));
	current->sig.pending = 0;
	/* an unreadable frame too */
	r.rsp = SG_HOLE + 8;
	arch_rt_sigreturn(&r);
	KTEST_EXPECT(t, current->sig.pending & sigmask(SIGSEGV));
	current->sig.pending = 0;
	sg_leave(&e);
}

static void t_force_sig_fault_unblocks(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r;
	uintptr_t f;
	struct siginfo info;

	if (!sg_enter(t, &e))
		return;
	/* a handled, unblocked fault signal reaches its handler with si_addr */
	sg_action(SIGSEGV, SG_SEGV_HANDLER, SA_SIGINFO, 0);
	force_sig_fault(SIGSEGV, SEGV_ACCERR, 0x12345678);
	sg_regs(&r, SG_STACK + 3 * PAGE_SIZE);
	do_signal(&r);
	f = r.rsp;
	KTEST_EXPECT_EQ(t, r.rip, SG_SEGV_HANDLER);
	KTEST_EXPECT_EQ(t, r.rdi, SIGSEGV);
	KTEST_EXPECT_EQ(t, greg(f, REG_CR2), 0x12345678);
	KTEST_EXPECT_EQ(t, copy_from_user(&info, (const void *)(f + FRAME_INFO), sizeof(info)), 0);
	KTEST_EXPECT_EQ(t, info.si_signo, SIGSEGV);
	KTEST_EXPECT_EQ(t, info.si_code, SEGV_ACCERR);
	KTEST_EXPECT_EQ(t, info.fault.addr, 0x12345678);

	/* blocked (we are in its handler): unblocked and reset to SIG_DFL */
	KTEST_EXPECT(t, current->sig.blocked & sigmask(SIGSEGV));
	force_sig_fault(SIGSEGV, SEGV_MAPERR, 0x1000);
	KTEST_EXPECT_EQ(t, current->sig.blocked & sigmask(SIGSEGV), 0);
	KTEST_EXPECT_EQ(t, current->sig.action[SIGSEGV - 1].handler, SIG_DFL);
	KTEST_EXPECT(t, signal_pending(current));
	current->sig.pending = 0;

	/* ignored: reset to SIG_DFL too */
	current->sig.action[SIGBUS - 1].handler = SIG_IGN;
	force_sig_fault(SIGBUS, BUS_ADRERR, 0x2000);
	KTEST_EXPECT_EQ(t, current->sig.action[SIGBUS - 1].handler, SIG_DFL);
	KTEST_EXPECT(t, current->sig.pending & sigmask(SIGBUS));
	current->sig.pending = 0;
	sg_leave(&e);
}

static void t_ignore_and_block(struct ktest *t)
{
	struct sg_env e;

	if (!sg_enter(t, &e))
		return;
	current->sig.action[SIGUSR1 - 1].handler = SIG_IGN;
	send_signal(current, SIGUSR1, NULL);
	KTEST_EXPECT_EQ(t, current->sig.pending, 0);
	send_signal(current, SIGCHLD, NULL);			/* SIG_DFL ignores it */
	KTEST_EXPECT_EQ(t, current->sig.pending, 0);
	current->sig.blocked = sigmask(SIGUSR1);
	send_signal(current, SIGUSR1, NULL);			/* blocked: kept */
	KTEST_EXPECT_EQ(t, current->sig.pending, sigmask(SIGUSR1));
	KTEST_EXPECT(t, !signal_pending(current));
	set_current_blocked(~0ULL);
	KTEST_EXPECT_EQ(t, current->sig.blocked, ~(sigmask(SIGKILL) | sigmask(SIGSTOP)));
	KTEST_EXPECT_EQ(t, send_signal(current, 0, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, send_signal(current, NSIG + 1, NULL), -EINVAL);
	current->sig.pending = 0;
	current->sig.blocked = 0;
	sg_leave(&e);
}

static void t_nodefer_resethand(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r;

	if (!sg_enter(t, &e))
		return;
	sg_regs(&r, SG_STACK + 3 * PAGE_SIZE);
	sg_action(SIGUSR2, SG_HANDLER, SA_NODEFER | SA_RESETHAND, 0);
	send_signal(current, SIGUSR2, NULL);
	do_signal(&r);
	KTEST_EXPECT_EQ(t, r.rip, SG_HANDLER);
	KTEST_EXPECT_EQ(t, current->sig.blocked, 0);
	KTEST_EXPECT_EQ(t, current->sig.action[SIGUSR2 - 1].handler, SIG_DFL);
	sg_leave(&e);
}

static void t_altstack(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r;
	uintptr_t f, alt = SG_STACK, alt_size = 2 * PAGE_SIZE;

	if (!sg_enter(t, &e))
		return;
	current->sig.sas_ss_sp = alt;
	current->sig.sas_ss_size = alt_size;
	sg_regs(&r, SG_STACK + 3 * PAGE_SIZE + 0x800);
	sg_action(SIGUSR1, SG_HANDLER, SA_ONSTACK | SA_NODEFER, 0);
	send_signal(current, SIGUSR1, NULL);
	do_signal(&r);
	f = r.rsp;
	KTEST_EXPECT_EQ(t, f, expected_frame(alt + alt_size));	/* no red zone off the top */
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_UC_STACK), alt);
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_UC_STACK + 8) & 0xffffffff, 0);
	KTEST_EXPECT_EQ(t, frame_u64(f, FRAME_UC_STACK + 16), alt_size);
	/* nested, already on it: below the current rsp, reported SS_ONSTACK */
	send_signal(current, SIGUSR1, NULL);
	do_signal(&r);
	KTEST_EXPECT_EQ(t, r.rsp, expected_frame(f - 128));
	KTEST_EXPECT_EQ(t, frame_u64(r.rsp, FRAME_UC_STACK + 8) & 0xffffffff, SS_ONSTACK);
	sg_leave(&e);
}

/* No SA_RESTORER, or a stack that cannot take the frame: SIGSEGV instead. */
static void t_bad_delivery_forces_sigsegv(struct ktest *t)
{
	struct sg_env e;
	struct pt_regs r;
	struct siginfo info;

	if (!sg_enter(t, &e))
		return;
	sg_action(SIGSEGV, SG_SEGV_HANDLER, SA_SIGINFO | SA_ONSTACK, 0);
	sg_regs(&r, SG_STACK + 3 * PAGE_SIZE);
	current->sig.action[SIGUSR1 - 1] = (struct k_sigaction){ .handler = SG_HANDLER };
	send_signal(current, SIGUSR1, NULL);
	do_signal(&r);
	KTEST_EXPECT_EQ(t, r.rip, SG_SEGV_HANDLER);
	KTEST_EXPECT_EQ(t, r.rdi, SIGSEGV);
	KTEST_EXPECT_EQ(t, copy_from_user(&info, (const void *)r.rsi, sizeof(info)), 0);
	KTEST_EXPECT_EQ(t, info.si_code, SI_KERNEL);
	current->sig.blocked = 0;

	/* the user stack is a hole; the SIGSEGV handler has an alternate stack */
	current->sig.sas_ss_sp = SG_STACK;
	current->sig.sas_ss_size = 2 * PAGE_SIZE;
	sg_action(SIGUSR1, SG_HANDLER, 0, 0);
	sg_regs(&r, SG_HOLE + PAGE_SIZE);
	send_signal(current, SIGUSR1, NULL);
	do_signal(&r);
	KTEST_EXPECT_EQ(t, r.rip, SG_SEGV_HANDLER);
	KTEST_EXPECT_EQ(t, r.rsp, expected_frame(SG_STACK + 2 * PAGE_SIZE));
	KTEST_EXPECT_EQ(t, greg(r.rsp, REG_RSP), SG_HOLE + PAGE_SIZE);
	sg_leave(&e);
}

/* ---- FPU state across a handler ---- */

#define MXCSR_DEFAULT	0x1f80
#define MXCSR_RZ	0x7f80		/* round toward zero, all masked */

static void fpu_set(u32 mxcsr, const u64 xmm0[2])
{
	__asm__ volatile("ldmxcsr %0\n\tmovdqu %1, %%xmm0" :: "m"(mxcsr), "m"(*(const u8 (*)[16])xmm0));
}

static void fpu_get(u32 *mxcsr, u64 xmm0[2])
{
	__asm__ volatile("stmxcsr %0\n\tmovdqu %%xmm0, %1" : "=m"(*mxcsr), "=m"(*(u8 (*)[16])xmm0));
}

/*
 * The interrupted code's SSE state goes into the frame, the handler starts
 * from the initial state, and rt_sigreturn brings the saved state back,
 * including a value the handler edited in the frame. A corrupt image (bad
 * MXCSR bits, a garbage XSAVE header) is refused or sanitised, never an oops.
 */
static void t_fpu_state_saved(struct ktest *t)
{
	static const u64 pattern[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	static const u64 zero[2];
	struct sg_env e;
	struct pt_regs r;
	uintptr_t f, fp;
	u64 x[2];
	u32 mxcsr;

	if (!sg_enter(t, &e))
		return;
	fpu_set(MXCSR_RZ, pattern);
	f = sg_deliver(&r);
	fp = frame_u64(f, FRAME_FPREGS);
	fpu_get(&mxcsr, x);
	KTEST_EXPECT_EQ(t, mxcsr, MXCSR_DEFAULT);		/* the handler's fresh state */
	KTEST_EXPECT_EQ(t, x[0] | x[1], 0);
	KTEST_EXPECT_EQ(t, frame_u64(fp, 24) & 0xffffffff, MXCSR_RZ);	/* fxsave MXCSR */
	KTEST_EXPECT_EQ(t, frame_u64(fp, 160), pattern[0]);		/* fxsave XMM0 */
	KTEST_EXPECT_EQ(t, frame_u64(fp, 168), pattern[1]);
	/* fpx_sw_bytes as Linux 6.1 writes them, with or without XSAVE */
	KTEST_EXPECT_EQ(t, frame_u64(fp, 464), 0x46505853ULL |			/* magic1 */
			(u64)(arch_fpu_state_size() + 4) << 32);		/* extended */
	KTEST_EXPECT_EQ(t, frame_u64(fp, 472), arch_fpu_xfeatures());
	KTEST_EXPECT_EQ(t, frame_u64(fp, 480) & 0xffffffff, arch_fpu_state_size());
	KTEST_EXPECT_EQ(t, (frame_u64(fp, arch_fpu_state_size()) & 0xffffffff) == 0x46505845,
			arch_fpu_uses_xsave());				/* magic2 */
	frame_set_u64(fp, 160, 0x5555);			/* the handler edits xmm0 */
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	fpu_get(&mxcsr, x);
	KTEST_EXPECT_EQ(t, mxcsr, MXCSR_RZ);
	KTEST_EXPECT_EQ(t, x[0], 0x5555);
	KTEST_EXPECT_EQ(t, x[1], pattern[1]);
	KTEST_EXPECT_EQ(t, current->sig.pending, 0);

	/* reserved MXCSR bits and a garbage XSAVE header: sanitised */
	current->sig.blocked = 0;
	f = sg_deliver(&r);
	fp = frame_u64(f, FRAME_FPREGS);
	frame_set_u64(fp, 24, 0xffffffffffffffffULL);		/* MXCSR, MXCSR_MASK */
	if (arch_fpu_uses_xsave()) {
		frame_set_u64(fp, 512, ~0ULL);			/* XSTATE_BV */
		frame_set_u64(fp, 520, ~0ULL);			/* XCOMP_BV */
		frame_set_u64(fp, 528, ~0ULL);			/* reserved */
	}
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	fpu_get(&mxcsr, x);
	KTEST_EXPECT_EQ(t, mxcsr & ~0xffffU, 0);
	KTEST_EXPECT_EQ(t, current->sig.pending, 0);

	/* fpstate 0 in the frame: the initial state, as Linux */
	current->sig.blocked = 0;
	fpu_set(MXCSR_RZ, pattern);
	f = sg_deliver(&r);
	fpu_set(MXCSR_RZ, pattern);				/* the handler's own */
	frame_set_u64(f, FRAME_FPREGS, 0);
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	fpu_get(&mxcsr, x);
	KTEST_EXPECT_EQ(t, mxcsr, MXCSR_DEFAULT);
	KTEST_EXPECT_EQ(t, x[0] | x[1], 0);

	/* an unreadable image: SIGSEGV and the initial state */
	current->sig.blocked = 0;
	f = sg_deliver(&r);
	fpu_set(MXCSR_RZ, pattern);
	frame_set_u64(f, FRAME_FPREGS, SG_HOLE);
	r.rsp = f + 8;
	arch_rt_sigreturn(&r);
	fpu_get(&mxcsr, x);
	KTEST_EXPECT_EQ(t, mxcsr, MXCSR_DEFAULT);
	KTEST_EXPECT(t, current->sig.pending & sigmask(SIGSEGV));
	current->sig.pending = 0;
	fpu_set(MXCSR_DEFAULT, zero);
	sg_leave(&e);
}

static const struct ktest_case signal_cases[] = {
	KTEST_CASE(t_frame_layout, "handler frame has the Linux x86-64 rt_sigframe layout"),
	KTEST_CASE(t_sigreturn_restores, "rt_sigreturn restores every register and the mask"),
	KTEST_CASE(t_sigreturn_sanitises,
		   "rt_sigreturn forces user CS/SS, keeps IF/IOPL, refuses a bad rip"),
	KTEST_CASE(t_force_sig_fault_unblocks,
		   "fault signal carries si_addr; blocked or ignored is reset to SIG_DFL"),
	KTEST_CASE(t_ignore_and_block, "ignored signals are dropped, blocked ones kept"),
	KTEST_CASE(t_nodefer_resethand, "SA_NODEFER leaves the signal unblocked, SA_RESETHAND"),
	KTEST_CASE(t_altstack, "SA_ONSTACK handler runs on the alternate stack, nested below"),
	KTEST_CASE(t_bad_delivery_forces_sigsegv,
		   "no SA_RESTORER or an unwritable stack raises SIGSEGV instead"),
	KTEST_CASE(t_fpu_state_saved,
		   "SSE state saved in the frame, fresh in the handler, restored by sigreturn"),
};

KTEST_SUITE(signal_suite, "signal", signal_cases);
