/*
 * The x86-64 signal frame and rt_sigreturn, laid out exactly as Linux does
 * (arch/x86/include/asm/sigframe.h, uapi asm/sigcontext.h, asm-generic
 * ucontext.h) so musl's __restore_rt and handlers that read uc_mcontext
 * (REG_RIP, REG_ERR, REG_CR2 ...) work unchanged:
 *
 *   handler entry rsp -> +0    pretcode   (sa_restorer: the handler's return address)
 *                        +8    struct ucontext   (304 bytes)
 *                        +312  struct siginfo    (128 bytes)
 *                        +440  end
 *                        ...   (padding)
 *   64-byte aligned ->         FPU state: FXSAVE image, or XSAVE standard
 *                              form + FP_XSTATE_MAGIC2 (sigcontext.fpstate)
 *   stack top: interrupted rsp - 128 (red zone), or the alternate stack top
 *
 * The frame is aligned so that at handler entry (rsp + 8) % 16 == 0, the
 * state right after a `call`. The handler starts with the initial FPU
 * state; rt_sigreturn reloads the saved one.
 */
#include <pagoda/signal.h>
#include <pagoda/task.h>
#include <pagoda/syscall.h>
#include <pagoda/uaccess.h>
#include <pagoda/errno.h>
#include <asm/traps.h>
#include <pagoda/string.h>
#include <asm/regs.h>
#include <asm/desc.h>
#include <asm/fpu.h>
#include <mm/slab.h>

/* uc_flags (Linux uapi asm/ucontext.h) */
#define UC_FP_XSTATE		0x1
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4

/* The FPU area in a signal frame (Linux uapi asm/sigcontext.h). */
#define FP_XSTATE_MAGIC1	0x46505853U	/* in fpx_sw_bytes: an XSAVE image follows */
#define FP_XSTATE_MAGIC2	0x46505845U	/* right after the XSAVE image */
#define FP_XSTATE_MAGIC2_SIZE	4
#define FX_MXCSR_OFFSET		24
#define FX_MXCSR_MASK_OFFSET	28
#define FX_SW_BYTES_OFFSET	464		/* software-available bytes of FXSAVE */
#define FXSAVE_SIZE		512
#define XSAVE_HDR_OFFSET	512		/* XSTATE_BV, XCOMP_BV, reserved: 64 bytes */
#define XSAVE_HDR_SIZE		64
#define XFEATURE_MASK_FPSSE	0x3ULL
#define FPSTATE_STACK_MAX	1024		/* x87 + SSE + AVX is 832 bytes */

struct fpx_sw_bytes {
	u32 magic1;
	u32 extended_size;	/* XSAVE image + FP_XSTATE_MAGIC2 */
	u64 xfeatures;
	u32 xstate_size;	/* XSAVE image */
	u32 padding[7];
};

BUILD_BUG_ON(sizeof(struct fpx_sw_bytes) != FXSAVE_SIZE - FX_SW_BYTES_OFFSET);

/* RFLAGS bits */
#define X86_FLAGS_CF	(1UL << 0)
#define X86_FLAGS_PF	(1UL << 2)
#define X86_FLAGS_AF	(1UL << 4)
#define X86_FLAGS_ZF	(1UL << 6)
#define X86_FLAGS_SF	(1UL << 7)
#define X86_FLAGS_TF	(1UL << 8)
#define X86_FLAGS_DF	(1UL << 10)
#define X86_FLAGS_OF	(1UL << 11)
#define X86_FLAGS_RF	(1UL << 16)
#define X86_FLAGS_AC	(1UL << 18)

/* What a sigreturn frame may change: the arithmetic flags, DF, TF, RF, AC. */
#define SIGRETURN_FLAGS	(X86_FLAGS_AC | X86_FLAGS_OF | X86_FLAGS_DF | X86_FLAGS_TF | \
			 X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_AF | X86_FLAGS_PF | \
			 X86_FLAGS_CF | X86_FLAGS_RF)

#define USER_CS_RPL3	(USER_CS | 3)
#define USER_SS_RPL3	(USER_DS | 3)

/* struct sigcontext_64 (uapi asm/sigcontext.h); musl's mcontext_t. 256 bytes. */
struct sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	u64 eflags;
	u16 cs, gs, fs, ss;
	u64 err;
	u64 trapno;
	u64 oldmask;
	u64 cr2;
	u64 fpstate;		/* user pointer to the FPU state; 0: none */
	u64 reserved1[8];
};

struct ucontext {
	u64 uc_flags;
	u64 uc_link;
	stack_t uc_stack;
	struct sigcontext uc_mcontext;
	sigset_t uc_sigmask;	/* the kernel's 8-byte set; libc's is larger, mask first */
};

struct rt_sigframe {
	u64 pretcode;
	struct ucontext uc;
	struct siginfo info;
};

BUILD_BUG_ON(sizeof(stack_t) != 24);
BUILD_BUG_ON(sizeof(struct sigcontext) != 256);
BUILD_BUG_ON(__builtin_offsetof(struct sigcontext, rip) != 16 * 8);	/* REG_RIP */
BUILD_BUG_ON(__builtin_offsetof(struct sigcontext, eflags) != 17 * 8);	/* REG_EFL */
BUILD_BUG_ON(__builtin_offsetof(struct sigcontext, err) != 19 * 8);	/* REG_ERR */
BUILD_BUG_ON(__builtin_offsetof(struct sigcontext, cr2) != 22 * 8);	/* REG_CR2 */
BUILD_BUG_ON(__builtin_offsetof(struct sigcontext, fpstate) != 23 * 8);
BUILD_BUG_ON(sizeof(struct siginfo) != 128);
BUILD_BUG_ON(__builtin_offsetof(struct ucontext, uc_mcontext) != 40);
BUILD_BUG_ON(__builtin_offsetof(struct ucontext, uc_sigmask) != 296);
BUILD_BUG_ON(__builtin_offsetof(struct rt_sigframe, uc) != 8);
BUILD_BUG_ON(__builtin_offsetof(struct rt_sigframe, info) != 312);
BUILD_BUG_ON(sizeof(struct rt_sigframe) != 440);

/*
 * Trap number and error code for sigcontext. Linux reports the task's last
 * trap; here the frame being delivered on is that trap's own frame when the
 * signal comes from an exception (a user page fault: vector 14 and the #PF
 * error code, whose write bit handlers test), and 0 otherwise.
 */
static void sigcontext_trap(const struct pt_regs *regs, struct sigcontext *sc)
{
	if (regs->vector < 32) {
		sc->trapno = regs->vector;
		sc->err = regs->error_code;
	}
}

static void sigcontext_save(struct sigcontext *sc, const struct pt_regs *regs,
			    const struct siginfo *info, sigset_t oldmask)
{
	sc->r8 = regs->r8;
	sc->r9 = regs->r9;
	sc->r10 = regs->r10;
	sc->r11 = regs->r11;
	sc->r12 = regs->r12;
	sc->r13 = regs->r13;
	sc->r14 = regs->r14;
	sc->r15 = regs->r15;
	sc->rdi = regs->rdi;
	sc->rsi = regs->rsi;
	sc->rbp = regs->rbp;
	sc->rbx = regs->rbx;
	sc->rdx = regs->rdx;
	sc->rax = regs->rax;
	sc->rcx = regs->rcx;
	sc->rsp = regs->rsp;
	sc->rip = regs->rip;
	sc->eflags = regs->rflags;
	sc->cs = (u16)regs->cs;
	sc->ss = (u16)regs->ss;
	sigcontext_trap(regs, sc);
	sc->oldmask = oldmask;
	if (info->si_signo == SIGSEGV || info->si_signo == SIGBUS)
		sc->cr2 = info->fault.addr;
}

/* ---- FPU state in the frame ---- */

/* Bytes the FPU area takes on the user stack (Linux's xstate_sigframe_size). */
static size_t fpstate_frame_size(void)
{
	size_t size = arch_fpu_state_size();

	return arch_fpu_uses_xsave() ? size + FP_XSTATE_MAGIC2_SIZE : size;
}

/*
 * A zeroed FPU_STATE_ALIGN-aligned kernel buffer of arch_fpu_state_size()
 * bytes: @stack_buf when it is large enough (it is for x87 + SSE + AVX),
 * else kmalloc'd into *@alloc (free with kfree). NULL on -ENOMEM.
 */
static void *fpstate_buf(u8 *stack_buf, void **alloc)
{
	size_t size = arch_fpu_state_size();
	void *buf;

	*alloc = NULL;
	if (size <= FPSTATE_STACK_MAX) {
		buf = (void *)ALIGN_UP((uintptr_t)stack_buf, FPU_STATE_ALIGN);
	} else {
		*alloc = kmalloc(size + FPU_STATE_ALIGN, GFP_KERNEL);
		if (!*alloc)
			return NULL;
		buf = (void *)ALIGN_UP((uintptr_t)*alloc, FPU_STATE_ALIGN);
	}
	memset(buf, 0, size);
	return buf;
}

/*
 * Save the live (user) FPU state to @ufp in the Linux signal-frame format:
 * the image, and in its software-available bytes the fpx_sw_bytes; with
 * XSAVE also FP_XSTATE_MAGIC2 right after the image, which with magic1 tells
 * user space and rt_sigreturn an XSAVE image is there. Without XSAVE the
 * fpx_sw_bytes are written all the same (magic1, a 512-byte image, no
 * features) and MAGIC2 is not, exactly what Linux 6.1 writes on such a CPU
 * (measured under QEMU -cpu Nehalem and qemu64, docs/cpu-features.md). The
 * kernel never touches FPU registers (-mgeneral-regs-only) and the context
 * switch saves and reloads them, so the live state is the task's.
 * 0 or -EFAULT/-ENOMEM.
 */
static int fpstate_save_user(uintptr_t ufp)
{
	u8 stack_buf[FPSTATE_STACK_MAX + FPU_STATE_ALIGN];
	size_t size = arch_fpu_state_size();
	void *alloc, *buf = fpstate_buf(stack_buf, &alloc);
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1,
		.extended_size = size + FP_XSTATE_MAGIC2_SIZE,
		.xfeatures = arch_fpu_xfeatures(),
		.xstate_size = size,
	};
	u32 magic2 = FP_XSTATE_MAGIC2;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	arch_fpu_save(buf);
	memcpy((u8 *)buf + FX_SW_BYTES_OFFSET, &sw, sizeof(sw));
	if (arch_fpu_uses_xsave())
		err = copy_to_user((void *)(ufp + size), &magic2, sizeof(magic2));
	if (!err)
		err = copy_to_user((void *)ufp, buf, size);
	kfree(alloc);
	return err;
}

/* MXCSR bits the CPU accepts (FXSAVE's MXCSR_MASK; 0 there means 0xffbf). */
static u32 mxcsr_feature_mask(void)
{
	static u32 mask;
	u8 area[FXSAVE_SIZE + 16];
	u8 *fx = (u8 *)ALIGN_UP((uintptr_t)area, 16);

	if (!mask) {
		memset(fx, 0, FXSAVE_SIZE);
		__asm__ volatile("fxsave64 (%0)" :: "r"(fx) : "memory");
		memcpy(&mask, fx + FX_MXCSR_MASK_OFFSET, sizeof(mask));
		if (!mask)
			mask = 0xffbf;
	}
	return mask;
}

/*
 * Load an FPU image that came from user space. The caller sanitised it;
 * should the CPU still refuse it (#GP), the exception table recovers and
 * -EFAULT is returned instead of an oops.
 */
static int fpstate_load_checked(const void *buf)
{
	int err = 0;

	if (arch_fpu_uses_xsave()) {
		u64 xcr0 = arch_fpu_xfeatures();

		__asm__ volatile("1:	xrstor64 (%[buf])\n"
				 ASM_EXTABLE_EFAULT
				 : [err] "+r"(err)
				 : [buf] "r"(buf), "a"((u32)xcr0), "d"((u32)(xcr0 >> 32)),
				   [efault] "i"(-EFAULT)
				 : "memory");
	} else {
		__asm__ volatile("1:	fxrstor64 (%[buf])\n"
				 ASM_EXTABLE_EFAULT
				 : [err] "+r"(err)
				 : [buf] "r"(buf), [efault] "i"(-EFAULT)
				 : "memory");
	}
	return err;
}

/*
 * Read the XSAVE part beyond the legacy area when the frame says it holds
 * one (both magics, our size); else the image is FXSAVE-only and the other
 * components are loaded in their initial state, as Linux does.
 */
static int fpstate_read_xsave(u8 *buf, uintptr_t ufp)
{
	size_t size = arch_fpu_state_size();
	struct fpx_sw_bytes sw;
	u8 *hdr = buf + XSAVE_HDR_OFFSET;
	u64 xstate_bv = XFEATURE_MASK_FPSSE;
	u32 magic2 = 0;

	memcpy(&sw, buf + FX_SW_BYTES_OFFSET, sizeof(sw));
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size == size &&
	    sw.extended_size == size + FP_XSTATE_MAGIC2_SIZE &&
	    !copy_from_user(&magic2, (const void *)(ufp + size), sizeof(magic2)) &&
	    magic2 == FP_XSTATE_MAGIC2) {
		if (copy_from_user(buf + FXSAVE_SIZE, (const void *)(ufp + FXSAVE_SIZE),
				   size - FXSAVE_SIZE))
			return -EFAULT;
		memcpy(&xstate_bv, hdr, sizeof(xstate_bv));
		xstate_bv &= arch_fpu_xfeatures();
	}
	/* standard form: XCOMP_BV and the reserved header bytes must be 0 */
	memset(hdr, 0, XSAVE_HDR_SIZE);
	memcpy(hdr, &xstate_bv, sizeof(xstate_bv));
	return 0;
}

/*
 * rt_sigreturn's FPU half: load the image at @ufp, or the initial state if
 * the frame has none (fpstate 0), as Linux does. 0 or -EFAULT (unreadable
 * or refused image: the initial state is loaded then).
 */
static int fpstate_restore_user(uintptr_t ufp)
{
	u8 stack_buf[FPSTATE_STACK_MAX + FPU_STATE_ALIGN];
	void *alloc;
	u8 *buf;
	u32 mxcsr;
	int err = 0;

	if (!ufp) {
		arch_fpu_restore(arch_fpu_initial_state());
		return 0;
	}
	buf = fpstate_buf(stack_buf, &alloc);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, (const void *)ufp, FXSAVE_SIZE))
		err = -EFAULT;
	if (!err && arch_fpu_uses_xsave())
		err = fpstate_read_xsave(buf, ufp);
	if (!err) {
		/* reserved MXCSR bits would make the restore #GP */
		memcpy(&mxcsr, buf + FX_MXCSR_OFFSET, sizeof(mxcsr));
		mxcsr &= mxcsr_feature_mask();
		memcpy(buf + FX_MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
		err = fpstate_load_checked(buf);
	}
	if (err)
		arch_fpu_restore(arch_fpu_initial_state());
	kfree(alloc);
	return err;
}

/* ---- the frame ---- */

/*
 * Where the FPU area and the frame go: the FPU area 64-byte aligned below
 * the chosen stack top, the frame below it with (frame + 8) % 16 == 0.
 */
static uintptr_t sigframe_addr(const struct pt_regs *regs, const struct k_sigaction *ka,
			       uintptr_t *ufp)
{
	uintptr_t sp = signal_stack_sp(regs->rsp, ka);

	sp = ALIGN_DOWN(sp - fpstate_frame_size(), FPU_STATE_ALIGN);
	*ufp = sp;
	sp -= sizeof(struct rt_sigframe);
	return ALIGN_DOWN(sp, 16) - 8;
}

/*
 * On success the handler also gets the initial FPU state (Linux
 * fpu__clear_user_states): rounding mode, exception masks, registers.
 */
int arch_setup_rt_frame(struct pt_regs *regs, int sig, const struct k_sigaction *ka,
			const struct siginfo *info, sigset_t oldmask)
{
	uintptr_t ufp, addr = sigframe_addr(regs, ka, &ufp);
	struct rt_sigframe frame;

	if (!access_ok(addr, ufp + fpstate_frame_size() - addr))
		return -EFAULT;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = ka->restorer;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS |
			    (arch_fpu_uses_xsave() ? UC_FP_XSTATE : 0);
	signal_save_altstack(&frame.uc.uc_stack, regs->rsp);
	sigcontext_save(&frame.uc.uc_mcontext, regs, info, oldmask);
	frame.uc.uc_mcontext.fpstate = ufp;
	frame.uc.uc_sigmask = oldmask;
	frame.info = *info;
	if (fpstate_save_user(ufp) || copy_to_user((void *)addr, &frame, sizeof(frame)))
		return -EFAULT;
	arch_fpu_restore(arch_fpu_initial_state());

	regs->rdi = (u64)sig;
	regs->rsi = addr + __builtin_offsetof(struct rt_sigframe, info);
	regs->rdx = addr + __builtin_offsetof(struct rt_sigframe, uc);
	regs->rax = 0;		/* no vector registers passed (varargs convention) */
	regs->rip = ka->handler;
	regs->rsp = addr;
	regs->cs = USER_CS_RPL3;
	regs->ss = USER_SS_RPL3;
	regs->rflags &= ~(X86_FLAGS_DF | X86_FLAGS_RF | X86_FLAGS_TF);
	return 0;
}

/*
 * Load @sc into @regs. Only what user mode may choose is taken from the
 * frame: CS and SS are forced to the user selectors, RFLAGS keeps IF/IOPL
 * and the other system bits, and a RIP outside user space is refused
 * (-EFAULT, regs untouched) since iretq to a non-canonical address would
 * fault in the kernel.
 */
static int sigcontext_restore(struct pt_regs *regs, const struct sigcontext *sc)
{
	if (sc->rip >= user_addr_limit())
		return -EFAULT;
	regs->r8 = sc->r8;
	regs->r9 = sc->r9;
	regs->r10 = sc->r10;
	regs->r11 = sc->r11;
	regs->r12 = sc->r12;
	regs->r13 = sc->r13;
	regs->r14 = sc->r14;
	regs->r15 = sc->r15;
	regs->rdi = sc->rdi;
	regs->rsi = sc->rsi;
	regs->rbp = sc->rbp;
	regs->rbx = sc->rbx;
	regs->rdx = sc->rdx;
	regs->rax = sc->rax;
	regs->rcx = sc->rcx;
	regs->rsp = sc->rsp;
	regs->rip = sc->rip;
	regs->rflags = (regs->rflags & ~SIGRETURN_FLAGS) | (sc->eflags & SIGRETURN_FLAGS);
	regs->cs = USER_CS_RPL3;
	regs->ss = USER_SS_RPL3;
	return 0;
}

/*
 * rt_sigreturn(): musl's __restore_rt after the handler's `ret` popped
 * pretcode, so the frame starts 8 bytes below the user rsp. Restores every
 * register (the syscall exit returns with iretq, rcx and r11 included), the
 * signal mask and the alternate stack, and returns the restored rax so the
 * dispatcher's store of the return value changes nothing. A frame that
 * cannot be read or holds a bad RIP raises SIGSEGV (SI_KERNEL; a handler
 * may catch it, as on Linux) and leaves @regs as they were; an FPU image
 * the CPU refuses raises SIGSEGV too, with the registers restored and the
 * initial FPU state loaded.
 */
long arch_rt_sigreturn(struct pt_regs *regs)
{
	uintptr_t frame = regs->rsp - sizeof(u64);
	struct ucontext uc;

	if (copy_from_user(&uc, (const void *)(frame + __builtin_offsetof(struct rt_sigframe, uc)),
			   sizeof(uc)) ||
	    sigcontext_restore(regs, &uc.uc_mcontext)) {
		force_sigsegv(0);
		return regs->rax;
	}
	if (fpstate_restore_user(uc.uc_mcontext.fpstate))
		force_sigsegv(0);
	set_current_blocked(uc.uc_sigmask);
	signal_restore_altstack(&uc.uc_stack, regs->rsp);
	return regs->rax;
}

SYSCALL_DEFINE(__NR_rt_sigreturn, rt_sigreturn)
{
	return arch_rt_sigreturn(current_pt_regs());
}
