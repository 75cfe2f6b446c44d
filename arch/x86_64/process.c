/*
 * The arch half of tasks: per-CPU set-up and the SYSCALL MSRs, the context
 * switch (kernel stack for ring-3 entries, address space, FS/GS bases, FPU
 * state), the first frame of a kernel thread and the entry to user mode.
 *
 * Kernel stack of a task created by kernel_thread() or kthread_create() (KERNEL_STACK_SIZE):
 *
 *   kstack_top ->  +------------------------+
 *                  | struct pt_regs         |  user registers: built by the
 *                  |                        |  syscall / interrupt entry from
 *                  |                        |  ring 3, or by arch_enter_user
 *                  +------------------------+  <- current_pt_regs()
 *                  | kernel frames          |
 *                  v                        v
 *
 * The pt_regs area is reserved from the start (a kernel thread's first
 * frame is below it), so arch_enter_user() can fill it while running on
 * the same stack. The boot task (pid 0) runs on the boot stack and never
 * enters user mode.
 */
#include <pagoda/task.h>
#include <pagoda/errno.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/fpu.h>
#include <asm/irqflags.h>
#include <asm/percpu.h>
#include <asm/pte_bits.h>
#include <asm/regs.h>
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/slab.h>

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define EFER_SCE		(1UL << 0)

#define RFLAGS_TF		(1UL << 8)
#define RFLAGS_DF		(1UL << 10)
#define RFLAGS_NT		(1UL << 14)
#define RFLAGS_FIXED		(1UL << 1)	/* always 1 */

#define CR0_MP			(1UL << 1)
#define CR0_EM			(1UL << 2)
#define CR0_TS			(1UL << 3)
#define CR4_OSXMMEXCPT		(1UL << 10)

#define XFEATURE_X87		(1ULL << 0)
#define XFEATURE_SSE		(1ULL << 1)
#define XFEATURE_AVX		(1ULL << 2)

#define FXSAVE_SIZE		512
#define FX_MXCSR_OFFSET		24
#define MXCSR_DEFAULT		0x1f80
#define FCW_DEFAULT		0x037f

extern char syscall_entry[], syscall_entry_compat[], kthread_trampoline[];
void switch_to(uintptr_t *prev_ksp, uintptr_t next_ksp);
__noreturn void enter_user_frame(struct pt_regs *regs);

/* ---- FPU state ---- */

/* The save instruction, chosen once from CPUID by fpu_init(). */
enum fpu_save_insn {
	FPU_FXSAVE,		/* no XSAVE: the 512-byte legacy image */
	FPU_XSAVE,		/* XSAVE, standard form */
	FPU_XSAVEOPT,		/* XSAVE for any buffer, XSAVEOPT for the switch */
};

static const char *const fpu_save_names[] = { "fxsave", "xsave", "xsaveopt" };

static unsigned int fpu_size = FXSAVE_SIZE;
static enum fpu_save_insn fpu_insn = FPU_FXSAVE;
static u64 fpu_xcr0;
static void *fpu_initial;

static void xsetbv(u32 index, u64 v)
{
	__asm__ volatile("xsetbv" :: "c"(index), "a"((u32)v), "d"((u32)(v >> 32)));
}

unsigned int arch_fpu_state_size(void)
{
	return fpu_size;
}

bool arch_fpu_uses_xsave(void)
{
	return fpu_insn != FPU_FXSAVE;
}

u64 arch_fpu_xfeatures(void)
{
	return fpu_xcr0;
}

/*
 * A complete image in @buf whatever was loaded last: XSAVE (never
 * XSAVEOPT, see fpu_switch_out()) or FXSAVE.
 */
void arch_fpu_save(void *buf)
{
	if (fpu_insn != FPU_FXSAVE)
		__asm__ volatile("xsave64 (%0)" :: "r"(buf), "a"((u32)fpu_xcr0),
				 "d"((u32)(fpu_xcr0 >> 32)) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" :: "r"(buf) : "memory");
}

void arch_fpu_restore(const void *buf)
{
	if (fpu_insn != FPU_FXSAVE)
		__asm__ volatile("xrstor64 (%0)" :: "r"(buf), "a"((u32)fpu_xcr0),
				 "d"((u32)(fpu_xcr0 >> 32)) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" :: "r"(buf) : "memory");
}

/*
 * Save a user task's registers into its own buffer as it is switched out.
 * XSAVEOPT may skip a component that is in its initial state (the header
 * then says so) or that has not changed since the last XRSTOR *from this
 * same buffer*. Both are right here and only here: the task's buffer is
 * what its switch-in (or exec) loaded with XRSTOR, and nothing writes the
 * buffer of a running task; any other XRSTOR (sigreturn, a signal's initial
 * state) makes the CPU's record point elsewhere, and XSAVEOPT then saves
 * everything. Signal frames and fork copy through arch_fpu_save() instead:
 * their buffers are not that XRSTOR's, and XSAVEOPT would leave stale bytes.
 */
static void fpu_switch_out(struct task *t)
{
	if (fpu_insn == FPU_XSAVEOPT)
		__asm__ volatile("xsaveopt64 (%0)" :: "r"(t->fpu), "a"((u32)fpu_xcr0),
				 "d"((u32)(fpu_xcr0 >> 32)) : "memory");
	else
		arch_fpu_save(t->fpu);
}

const void *arch_fpu_initial_state(void)
{
	return fpu_initial;
}

/*
 * SSE on for user code (CR4.OSFXSR/OSXMMEXCPT, CR0.MP, no EM/TS); with
 * XSAVE (CPUID, asm/cpu.h), CR4.OSXSAVE and XCR0 = x87 | SSE, plus AVX when
 * the CPU has it (the AVX-512 and other components stay off, so the save
 * area stays small), as CPUID's OSXSAVE bit then tells user code; without
 * XSAVE, CR4.OSXSAVE stays off and FXSAVE's 512 bytes are the whole state.
 * Then build the initial state: a zeroed area with the default control
 * words. In XSAVE form a zero XSTATE_BV means "every component in its init
 * state", and MXCSR is still loaded from the legacy area.
 */
static int fpu_init(void)
{
	u32 a, b, c, d;

	write_cr0((read_cr0() | CR0_MP) & ~(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	if (cpu_features.xsave) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		fpu_xcr0 = XFEATURE_X87 | XFEATURE_SSE | (cpu_features.avx ? XFEATURE_AVX : 0);
		xsetbv(0, fpu_xcr0);
		cpuid(0xd, 0, &a, &b, &c, &d);	/* ebx: size for the XCR0 now set */
		fpu_insn = cpu_features.xsaveopt ? FPU_XSAVEOPT : FPU_XSAVE;
		fpu_size = b;
	}
	fpu_initial = kzalloc(fpu_size + FPU_STATE_ALIGN, GFP_KERNEL);
	if (!fpu_initial)
		return -ENOMEM;
	fpu_initial = (void *)ALIGN_UP((uintptr_t)fpu_initial, FPU_STATE_ALIGN);
	*(u16 *)fpu_initial = FCW_DEFAULT;
	*(u32 *)((u8 *)fpu_initial + FX_MXCSR_OFFSET) = MXCSR_DEFAULT;
	printk("fpu: %s, %u-byte save area, XCR0 %#llx\n", fpu_save_names[fpu_insn],
	       fpu_size, (unsigned long long)fpu_xcr0);
	return 0;
}

int arch_task_alloc(struct task *t)
{
	t->fpu_alloc = kmalloc(fpu_size + FPU_STATE_ALIGN, GFP_KERNEL);
	if (!t->fpu_alloc)
		return -ENOMEM;
	t->fpu = (void *)ALIGN_UP((uintptr_t)t->fpu_alloc, FPU_STATE_ALIGN);
	memcpy(t->fpu, fpu_initial, fpu_size);
	return 0;
}

void arch_task_free(struct task *t)
{
	kfree(t->fpu_alloc);
	t->fpu_alloc = t->fpu = NULL;
}

/* ---- set-up ---- */

/*
 * SYSCALL: kernel CS 0x08 (SS 0x10); SYSRET would take base 0x18 + 16 =
 * USER_CS and 0x18 + 8 = USER_DS, both with RPL 3 (asm/desc.h orders the
 * GDT for that). FMASK clears IF, DF, TF, AC and NT on entry.
 */
static void syscall_msr_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((u64)(USER32_CS | 3) << 48) | ((u64)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (u64)(uintptr_t)syscall_entry);
	wrmsr(MSR_CSTAR, (u64)(uintptr_t)syscall_entry_compat);
	wrmsr(MSR_SYSCALL_MASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);
}

int arch_task_init(struct task *boot)
{
	int err;

	percpu_init();
	boot_percpu.current = boot;
	boot_percpu.kernel_rsp = boot->kstack_top;
	tss_set_rsp0(boot->kstack_top);
	syscall_msr_init();
	err = fpu_init();
	if (err)
		return err;
	return arch_task_alloc(boot);
}

static struct pt_regs *task_pt_regs(const struct task *t)
{
	return (struct pt_regs *)(t->kstack_top - sizeof(struct pt_regs));
}

struct pt_regs *current_pt_regs(void)
{
	return task_pt_regs(current);
}

/*
 * The frame switch_to() pops for a new thread: r15, r14, r13 = arg,
 * r12 = fn, rbx, rbp = 0, return address = kthread_trampoline; below the
 * pt_regs area, placed so that rsp is 16-byte aligned after the return.
 */
void arch_task_setup_kthread(struct task *t, int (*fn)(void *), void *arg)
{
	u64 *sp = (u64 *)task_pt_regs(t) - 9;

	BUILD_BUG_ON(sizeof(struct pt_regs) % 16);
	memset(sp, 0, 9 * sizeof(u64));
	sp[2] = (u64)(uintptr_t)arg;
	sp[3] = (u64)(uintptr_t)fn;
	sp[6] = (u64)(uintptr_t)kthread_trampoline;
	t->ksp = (uintptr_t)sp;
}

/* ---- address spaces ---- */

static void load_root(phys_addr_t root)
{
	if ((read_cr3() & X86_PTE_ADDR_MASK) != root)
		arch_load_page_table(root);
}

void arch_activate_mm(struct task *t)
{
	if (t->mm)
		load_root(virt_to_phys(t->mm->pt.pgd));
}

void arch_load_kernel_mm(void)
{
	load_root(virt_to_phys(kernel_pt.pgd));
}

/* ---- switching ---- */

void arch_context_switch(struct task *prev, struct task *next)
{
	boot_percpu.current = next;
	boot_percpu.kernel_rsp = next->kstack_top;
	tss_set_rsp0(next->kstack_top);
	if (prev->mm)
		fpu_switch_out(prev);
	if (next->mm) {
		arch_activate_mm(next);
		wrmsr(MSR_FS_BASE, next->fs_base);
		wrmsr(MSR_KERNEL_GS_BASE, next->gs_base);
		arch_fpu_restore(next->fpu);
	}
	switch_to(&prev->ksp, next->ksp);
}

/* ---- user mode ---- */

/*
 * A new program's user state: general registers zero, IF on, the user
 * selectors, FS/GS bases 0 and the initial FPU state (loaded with
 * preemption off, so a switch cannot save the old registers over it).
 * vector and error_code are left alone: for execve they still say
 * "system call".
 */
void arch_setup_exec_regs(struct pt_regs *regs, uintptr_t entry, uintptr_t stack)
{
	struct task *t = current;
	u64 vector = regs->vector, error_code = regs->error_code;

	memset(regs, 0, sizeof(*regs));
	regs->vector = vector;
	regs->error_code = error_code;
	regs->rip = entry;
	regs->cs = USER_CS | 3;
	regs->rflags = RFLAGS_IF | RFLAGS_FIXED;
	regs->rsp = stack;
	regs->ss = USER_DS | 3;
	preempt_disable();
	t->fs_base = 0;
	t->gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	memcpy(t->fpu, fpu_initial, fpu_size);
	arch_fpu_restore(t->fpu);
	preempt_enable();
}

/* The first entry to user mode of a task that exec'd from the kernel (spawn_user). */
__noreturn void arch_enter_user(uintptr_t entry, uintptr_t stack)
{
	struct task *t = current;
	struct pt_regs *regs = task_pt_regs(t);

	if (t->pid == 0 || !t->mm)
		panic("arch_enter_user: task %d has no user address space", t->pid);
	memset(regs, 0, sizeof(*regs));
	arch_setup_exec_regs(regs, entry, stack);
	local_irq_disable();
	arch_activate_mm(t);
	enter_user_frame(regs);
}

/*
 * fork: the parent's syscall frame is the child's, but for rax (0) and rsp
 * (clone's new stack). The FPU registers hold the parent's user state now
 * (the kernel never touches them), so saving them is the copy.
 */
void arch_task_copy_user_state(struct task *child, uintptr_t sp)
{
	struct pt_regs *regs = task_pt_regs(child);

	*regs = *current_pt_regs();
	regs->rax = 0;
	if (sp)
		regs->rsp = sp;
	child->fs_base = current->fs_base;
	child->gs_base = current->gs_base;
	arch_fpu_save(child->fpu);
}

/*
 * Leave through the saved user registers at the top of the kernel stack:
 * enter_user_frame resets rsp to them and takes return_to_user (signals,
 * rescheduling, swapgs, iretq). CR3, FS/GS bases and the FPU were loaded by
 * the context switch that brought this task in.
 */
__noreturn void arch_return_to_user(void)
{
	local_irq_disable();
	enter_user_frame(current_pt_regs());
}

void arch_set_user_fs_base(u64 base)
{
	current->fs_base = base;
	wrmsr(MSR_FS_BASE, base);
}

void arch_set_user_gs_base(u64 base)
{
	current->gs_base = base;
	wrmsr(MSR_KERNEL_GS_BASE, base);	/* swapgs makes it GS on the way out */
}

/* Can user code run at @rip? False for a non-canonical address (iretq would #GP). */
bool arch_user_rip_ok(u64 rip)
{
	unsigned int bits = pgtable_l5_enabled() ? 57 : 48;
	s64 sext = (s64)(rip << (64 - bits)) >> (64 - bits);

	return (u64)sext == rip;
}
