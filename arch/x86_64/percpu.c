/* Per-CPU data through GS (asm/percpu.h). */
#include <asm/percpu.h>
#include <asm/cpu.h>
#include <pagoda/compiler.h>

BUILD_BUG_ON(__builtin_offsetof(struct percpu, self) != PERCPU_SELF);
BUILD_BUG_ON(__builtin_offsetof(struct percpu, kernel_rsp) != PERCPU_KERNEL_RSP);
BUILD_BUG_ON(__builtin_offsetof(struct percpu, user_rsp) != PERCPU_USER_RSP);
BUILD_BUG_ON(__builtin_offsetof(struct percpu, current) != PERCPU_CURRENT);

struct percpu boot_percpu __aligned(64);

/*
 * GS base = this CPU's data while in the kernel; the user's GS base (0 for
 * a fresh task) waits in MSR_KERNEL_GS_BASE for the swapgs of the next
 * return to user mode.
 */
void percpu_init(void)
{
	boot_percpu.self = &boot_percpu;
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)&boot_percpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}
