/*
 * sigframe_fpu: the FPU part of a signal frame, as Linux lays it out on
 * whatever CPU runs the program, with or without XSAVE. A ud2 raises
 * SIGILL with known values in MXCSR and XMM0; the handler reads them from
 * uc_mcontext.fpregs, checks the software-available bytes of the FXSAVE
 * image (magic1, sizes, features; MAGIC2 after the image exactly when
 * uc_flags says UC_FP_XSTATE, which is exactly when the CPU has OSXSAVE),
 * edits MXCSR and XMM0 in the frame and returns past the ud2; rt_sigreturn
 * must load the edited values. Every line is the same on any CPU, so the
 * output matches the host Linux's (docs/cpu-features.md has the no-XSAVE
 * frame as measured on Linux 6.1).
 */
#define _GNU_SOURCE
#include "utest.h"
#include <cpuid.h>
#include <ucontext.h>

#define UC_FP_XSTATE		0x1
#define FP_XSTATE_MAGIC1	0x46505853U
#define FP_XSTATE_MAGIC2	0x46505845U
#define FX_MXCSR		24
#define FX_XMM0			160
#define FX_SW_BYTES		464
#define MXCSR_DEFAULT		0x1f80U
#define MXCSR_TO_ZERO		0x7f80U		/* rounding toward zero, all masked */
#define MXCSR_DOWN		0x3f80U		/* rounding down, all masked */

static const uint64_t before[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
static const uint64_t edited[2] = { 0x5555aaaa5555aaaaULL, 0x0f0f0f0f0f0f0f0fULL };

/* What the handler saw in the frame. */
static struct {
	int ran;
	unsigned long uc_flags;
	uintptr_t fpstate;
	uint32_t mxcsr_in_handler, mxcsr, magic1, extended_size, xstate_size, magic2;
	uint64_t xfeatures, xmm0[2];
} seen;

static void on_sigill(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t mxcsr = MXCSR_DOWN;

	(void)sig;
	(void)si;
	__asm__ volatile("stmxcsr %0" : "=m"(seen.mxcsr_in_handler));
	seen.ran = 1;
	seen.uc_flags = uc->uc_flags;
	seen.fpstate = (uintptr_t)fp;
	memcpy(&seen.mxcsr, fp + FX_MXCSR, 4);
	memcpy(seen.xmm0, fp + FX_XMM0, 16);
	memcpy(&seen.magic1, fp + FX_SW_BYTES, 4);
	memcpy(&seen.extended_size, fp + FX_SW_BYTES + 4, 4);
	memcpy(&seen.xfeatures, fp + FX_SW_BYTES + 8, 8);
	memcpy(&seen.xstate_size, fp + FX_SW_BYTES + 16, 4);
	if (seen.xstate_size >= 512 && seen.xstate_size <= 65536)
		memcpy(&seen.magic2, fp + seen.xstate_size, 4);
	memcpy(fp + FX_MXCSR, &mxcsr, 4);
	memcpy(fp + FX_XMM0, edited, 16);
	uc->uc_mcontext.gregs[REG_RIP] += 2;	/* past the ud2 */
}

/* Load XMM0 and MXCSR, trap, and read both back after the handler ran. */
static void trap_with_sse_state(uint64_t after[2], uint32_t *mxcsr_after)
{
	uint32_t mxcsr_in = MXCSR_TO_ZERO, mxcsr_default = MXCSR_DEFAULT;

	__asm__ volatile("movdqu (%[in]), %%xmm0\n\t"
			 "ldmxcsr %[mi]\n\t"
			 "ud2\n\t"
			 "movdqu %%xmm0, (%[out])\n\t"
			 "stmxcsr %[mo]\n\t"
			 "ldmxcsr %[md]"
			 : [mo] "=m"(*mxcsr_after)
			 : [in] "r"(before), [out] "r"(after), [mi] "m"(mxcsr_in),
			   [md] "m"(mxcsr_default)
			 : "xmm0", "memory");
}

static int cpu_has_osxsave(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && ((c >> 27) & 1);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigill, .sa_flags = SA_SIGINFO };
	uint64_t after[2] = { 0, 0 };
	uint32_t mxcsr_after = 0;
	int xstate;

	ut_plan("sigframe_fpu", 8);
	if (sigaction(SIGILL, &sa, NULL))
		return ut_bail("sigaction");
	trap_with_sse_state(after, &mxcsr_after);
	if (!seen.ran)
		return ut_bail("SIGILL handler");
	xstate = (seen.uc_flags & UC_FP_XSTATE) != 0;
	ut_ok(seen.fpstate && seen.fpstate % 64 == 0, "the FPU state in the frame is 64-byte aligned");
	ut_ok(xstate == cpu_has_osxsave(), "uc_flags has UC_FP_XSTATE exactly when the CPU has OSXSAVE");
	ut_ok(seen.magic1 == FP_XSTATE_MAGIC1 && seen.xstate_size >= 512 &&
	      seen.extended_size == seen.xstate_size + 4,
	      "the image's software bytes hold magic1 and its size (extended = size + 4)");
	ut_ok((seen.magic2 == FP_XSTATE_MAGIC2) == xstate && (xstate || seen.xstate_size == 512),
	      "FP_XSTATE_MAGIC2 follows an XSAVE image; without XSAVE the image is 512 bytes");
	ut_ok(xstate ? (seen.xfeatures & 3) == 3 : seen.xfeatures == 0,
	      "xfeatures name x87 and SSE with XSAVE, nothing without");
	ut_ok(seen.mxcsr == MXCSR_TO_ZERO && seen.xmm0[0] == before[0] && seen.xmm0[1] == before[1],
	      "the frame holds the interrupted MXCSR and XMM0");
	ut_ok(seen.mxcsr_in_handler == MXCSR_DEFAULT, "the handler starts with the default MXCSR");
	ut_ok(mxcsr_after == MXCSR_DOWN && after[0] == edited[0] && after[1] == edited[1],
	      "MXCSR and XMM0 edited in the frame are live after sigreturn");
	return ut_done();
}
