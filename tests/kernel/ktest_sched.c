/*
 * In-kernel tests of tasks and the scheduler, `ktest=sched`.
 *
 * The cases run in the boot task (pid 0), create kernel threads as its
 * children and reap every one of them before they return, so the runner's
 * free-page check also covers kernel stacks, task structs and FPU areas.
 * A broken scheduler tends to hang rather than fail; where that matters the
 * case waits with a deadline instead (busy-waiting, which itself relies on
 * the timer preempting the boot task), so it reports a failure.
 *
 * The last cases run hand-assembled programs in ring 3, in address spaces
 * built with mm_create/mm_mmap: the SYSCALL path, timer preemption of user
 * code, FS base and SSE state across switches, an exception from ring 3.
 */
#include <pagoda/errno.h>
#include <pagoda/ktest.h>
#include <pagoda/signal.h>
#include <pagoda/string.h>
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/uaccess.h>
#include <asm/irqflags.h>
#include <asm/percpu.h>
#include <asm/regs.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pmm.h>

#define MS		1000000ULL

static void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Busy-wait (preemptible) until *flag or @ms pass. Returns *flag. */
static bool spin_until(volatile bool *flag, u64 ms)
{
	u64 deadline = time_ns() + ms * MS;

	while (!*flag && time_ns() < deadline)
		cpu_relax();
	return *flag;
}

/* ---- create, run, exit, reap ---- */

static volatile int ran_mask;

static int return_arg(void *arg)
{
	int code = (int)(uintptr_t)arg;

	ran_mask |= 1 << code;
	return code;
}

static void t_kthreads_reaped_with_exit_codes(struct ktest *t)
{
	struct task *k[3];
	int status = -1;

	ran_mask = 0;
	for (int i = 0; i < 3; i++) {
		k[i] = kernel_thread("kt-exit", return_arg, (void *)(uintptr_t)(7 + i));
		KTEST_ASSERT(t, k[i] != NULL);
		KTEST_EXPECT(t, k[i]->pid > 0);
		KTEST_EXPECT(t, k[i]->parent == current);
	}
	KTEST_EXPECT(t, k[0]->pid != k[1]->pid && k[1]->pid != k[2]->pid);
	/* reap out of creation order: the status belongs to the pid asked for */
	for (int i = 2; i >= 0; i--) {
		int pid = k[i]->pid;

		KTEST_EXPECT_EQ(t, task_wait(pid, &status), pid);
		KTEST_EXPECT_EQ(t, status, (7 + i) << 8);
		KTEST_EXPECT(t, task_find(pid) == NULL);
	}
	KTEST_EXPECT_EQ(t, ran_mask, (1 << 7) | (1 << 8) | (1 << 9));
	KTEST_EXPECT_EQ(t, task_wait(-1, &status), -ECHILD);
}

static void t_wait_any_child_reaps_each_once(struct ktest *t)
{
	int seen = 0, status, pid;

	for (int i = 0; i < 4; i++)
		KTEST_ASSERT(t, kernel_thread("kt-any", return_arg, (void *)(uintptr_t)(1 + i)));
	while ((pid = task_wait(-1, &status)) > 0) {
		KTEST_EXPECT(t, status >= 1 << 8 && status <= 4 << 8);
		KTEST_EXPECT(t, !(seen & (1 << (status >> 8))));
		seen |= 1 << (status >> 8);
	}
	KTEST_EXPECT_EQ(t, pid, -ECHILD);
	KTEST_EXPECT_EQ(t, seen, 0x1e);
}

static volatile bool prepared_ran;

static int mark_ran(void *arg)
{
	prepared_ran = true;
	return 5;
}

static void t_prepared_kernel_thread_waits_for_wake_up(struct ktest *t)
{
	struct task *k;
	int status;

	prepared_ran = false;
	k = kernel_thread_prepare("kt-prepared", mark_ran, NULL);
	KTEST_ASSERT(t, k != NULL);
	KTEST_EXPECT(t, k->pid > 0 && k->parent == current);
	KTEST_EXPECT_EQ(t, sleep_until_ns(time_ns() + 20 * MS), 0);
	for (int i = 0; i < 5; i++)
		schedule();
	KTEST_EXPECT(t, !prepared_ran);
	KTEST_EXPECT_EQ(t, task_wait_opts(k->pid, WNOHANG, NULL), 0);
	wake_up_process(k);
	KTEST_EXPECT_EQ(t, task_wait(k->pid, &status), k->pid);
	KTEST_EXPECT(t, prepared_ran);
	KTEST_EXPECT_EQ(t, status, 5 << 8);
}

/* ---- yielding threads interleave ---- */

#define YIELD_ROUNDS	8
static char yield_log[2 * YIELD_ROUNDS + 1];
static volatile int yield_len;

static int yield_writer(void *arg)
{
	for (int i = 0; i < YIELD_ROUNDS; i++) {
		unsigned long f = local_irq_save();

		yield_log[yield_len++] = (char)(uintptr_t)arg;
		local_irq_restore(f);
		schedule();
	}
	return 0;
}

static void t_yielding_kthreads_interleave(struct ktest *t)
{
	int switches = 0, status;
	struct task *a, *b;

	yield_len = 0;
	a = kernel_thread("kt-yield-a", yield_writer, (void *)'a');
	b = kernel_thread("kt-yield-b", yield_writer, (void *)'b');
	KTEST_ASSERT(t, a && b);
	KTEST_EXPECT_EQ(t, task_wait(a->pid, &status), a->pid);
	KTEST_EXPECT_EQ(t, task_wait(b->pid, &status), b->pid);
	KTEST_ASSERT(t, yield_len == 2 * YIELD_ROUNDS);
	for (int i = 1; i < yield_len; i++)
		switches += yield_log[i] != yield_log[i - 1];
	/* strict round robin gives abab...; a stray tick may pair two letters */
	KTEST_EXPECT(t, switches >= YIELD_ROUNDS);
	KTEST_EXPECT_EQ(t, yield_log[0], 'a');
}

/* ---- timed sleep ---- */

static u64 sleep_deadline, woke_at;
static volatile int sleep_ret;

static int sleeper(void *arg)
{
	sleep_ret = sleep_until_ns(sleep_deadline);
	woke_at = time_ns();
	return 0;
}

static void t_sleeping_kthread_wakes_after_deadline(struct ktest *t)
{
	struct task *k;
	int status;

	sleep_ret = -1;
	sleep_deadline = time_ns() + 30 * MS;
	k = kernel_thread("kt-sleep", sleeper, NULL);
	KTEST_ASSERT(t, k != NULL);
	KTEST_EXPECT_EQ(t, task_wait(k->pid, &status), k->pid);
	KTEST_EXPECT_EQ(t, sleep_ret, 0);
	KTEST_EXPECT(t, woke_at >= sleep_deadline);
	/* woken by a tick: one 10 ms tick late at most, plus slack for TCG */
	KTEST_EXPECT(t, woke_at < sleep_deadline + 500 * MS);
}

static void t_boot_task_sleeps_and_idles(struct ktest *t)
{
	u64 start = time_ns();

	KTEST_EXPECT_EQ(t, sleep_until_ns(start + 20 * MS), 0);
	KTEST_EXPECT(t, time_ns() >= start + 20 * MS);
	KTEST_EXPECT_EQ(t, sleep_until_ns(start), 0);	/* past deadline: at once */
}

/* ---- preemption ---- */

static volatile bool spin_stop, worker_done;
static volatile u64 spin_count;

static int spinner(void *arg)
{
	while (!spin_stop)
		spin_count++;
	return 1;
}

static int worker(void *arg)
{
	worker_done = true;
	return 2;
}

/*
 * A thread that never yields must not keep the CPU: with the spinner queued
 * first, the boot task busy-waits (never yields either) for the worker, so
 * only timer preemption of both can get the worker to run.
 */
static void t_spinning_kthread_does_not_starve_others(struct ktest *t)
{
	struct task *s, *w;
	u64 switches = sched_nr_switches(), count_seen;
	int status;

	spin_stop = worker_done = false;
	spin_count = 0;
	s = kernel_thread("kt-spin", spinner, NULL);
	KTEST_ASSERT(t, s != NULL);
	w = kernel_thread("kt-worker", worker, NULL);
	KTEST_EXPECT(t, w != NULL);
	KTEST_EXPECT(t, spin_until(&worker_done, 3000));
	count_seen = spin_count;
	KTEST_EXPECT(t, count_seen > 0);
	KTEST_EXPECT(t, sched_nr_switches() > switches + 2);
	spin_stop = true;
	KTEST_EXPECT_EQ(t, task_wait(s->pid, &status), s->pid);
	KTEST_EXPECT_EQ(t, status, 1 << 8);
	if (w) {
		KTEST_EXPECT_EQ(t, task_wait(w->pid, &status), w->pid);
		KTEST_EXPECT_EQ(t, status, 2 << 8);
	}
}

/*
 * Busy-wait until the tick interrupt has counted a new tick (at most 2 s)
 * and return the time then. jiffies catches up with the TSC only when an
 * interrupt arrives, and on a loaded host QEMU may deliver it late:
 * measuring from one fresh tick to another keeps that out of the figure.
 */
static u64 wait_for_fresh_tick(void)
{
	u64 j = jiffies, deadline = time_ns() + 2000 * MS;

	while (jiffies == j && time_ns() < deadline)
		cpu_relax();
	return time_ns();
}

static void t_timer_ticks_at_100hz(struct ktest *t)
{
	u64 j0, start, ticks, ms;
	volatile bool never = false;

	KTEST_EXPECT(t, !irqs_disabled());
	start = wait_for_fresh_tick();
	j0 = jiffies;
	spin_until(&never, 200);
	ms = (wait_for_fresh_tick() - start) / MS;
	ticks = jiffies - j0;
	/* 20 ticks in 200 ms; TCG timing is loose, so accept a wide band */
	KTEST_EXPECT(t, ticks >= ms / 10 / 2 && ticks <= ms / 10 * 2 + 2);
}

/* ---- wait semantics ---- */

static volatile bool grandchild_release;
static volatile int grandchild_pid;

static int grandchild(void *arg)
{
	while (!grandchild_release)
		schedule();
	return 42;
}

/* Creates a grandchild, publishes its pid, then waits for it or leaves it. */
static int middle(void *arg)
{
	bool orphan = arg != NULL;
	struct task *g = kernel_thread("kt-grandchild", grandchild, NULL);
	int status = 0;

	if (!g)
		return 1;
	grandchild_pid = g->pid;
	if (orphan)
		return 3;
	if (task_wait(g->pid, &status) != g->pid || status != 42 << 8)
		return 2;
	return 0;
}

static void t_wait_for_non_child_is_echild(struct ktest *t)
{
	struct task *m;
	int status;

	KTEST_EXPECT_EQ(t, task_wait(-1, &status), -ECHILD);
	KTEST_EXPECT_EQ(t, task_wait(30000, &status), -ECHILD);
	grandchild_release = false;
	grandchild_pid = 0;
	m = kernel_thread("kt-middle", middle, NULL);
	KTEST_ASSERT(t, m != NULL);
	while (!grandchild_pid)
		schedule();
	/* the grandchild exists but is its parent's child, not ours */
	KTEST_EXPECT(t, task_find(grandchild_pid) != NULL);
	KTEST_EXPECT_EQ(t, task_wait(grandchild_pid, &status), -ECHILD);
	KTEST_EXPECT_EQ(t, task_wait_opts(m->pid, WNOHANG, NULL), 0);
	grandchild_release = true;
	KTEST_EXPECT_EQ(t, task_wait(m->pid, &status), m->pid);
	KTEST_EXPECT_EQ(t, status, 0);
}

static void t_orphan_adopted_by_boot_task(struct ktest *t)
{
	struct task *m;
	int status, gpid;

	grandchild_release = false;
	grandchild_pid = 0;
	m = kernel_thread("kt-middle", middle, (void *)1);
	KTEST_ASSERT(t, m != NULL);
	KTEST_EXPECT_EQ(t, task_wait(m->pid, &status), m->pid);
	KTEST_EXPECT_EQ(t, status, 3 << 8);
	gpid = grandchild_pid;
	KTEST_ASSERT(t, gpid > 0);
	KTEST_EXPECT(t, task_find(gpid) && task_find(gpid)->parent == current);
	grandchild_release = true;
	KTEST_EXPECT_EQ(t, task_wait(gpid, &status), gpid);
	KTEST_EXPECT_EQ(t, status, 42 << 8);
}

/* ---- per-CPU data and the syscall dispatcher ---- */

static void t_percpu_names_current_task(struct ktest *t)
{
	struct percpu *p = this_cpu();

	KTEST_EXPECT(t, p == &boot_percpu);
	KTEST_EXPECT(t, p->current == current);
	KTEST_EXPECT_EQ(t, p->kernel_rsp, current->kstack_top);
}

static long fake_syscall6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
	struct pt_regs regs = { .rax = nr, .rdi = a0, .rsi = a1, .rdx = a2, .r10 = a3 };

	do_syscall(&regs);
	return (long)regs.rax;
}

static long fake_syscall(u64 nr)
{
	return fake_syscall6(nr, 0, 0, 0, 0);
}

static void t_syscall_dispatch_and_enosys(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, fake_syscall(__NR_getpid), current->tgid);
	KTEST_EXPECT_EQ(t, fake_syscall(__NR_gettid), current->pid);
	KTEST_EXPECT_EQ(t, fake_syscall(__NR_getuid), 0);
	KTEST_EXPECT_EQ(t, fake_syscall(NR_SYSCALLS_MAX - 1), -ENOSYS);
	KTEST_EXPECT_EQ(t, fake_syscall(NR_SYSCALLS_MAX), -ENOSYS);
	KTEST_EXPECT_EQ(t, fake_syscall(~0ULL), -ENOSYS);
}

/* ---- the syscalls' Linux semantics, called on a private address space ---- */

#define SC_BUF		0x30000000UL	/* 2 pages read-write */

struct sc_env {
	struct mm_struct *mm, *saved_mm;
};

/* Make a fresh mm with SC_BUF mapped the boot task's own for a while. */
static bool sc_enter(struct ktest *t, struct sc_env *e)
{
	e->mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	if (!e->mm || mm_mmap(e->mm, SC_BUF, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) != (long)SC_BUF) {
		if (e->mm)
			mm_put(e->mm);
		ktest_fail(t, __FILE__, __LINE__, "no address space for the syscalls");
		return false;
	}
	e->saved_mm = current->mm;
	current->mm = e->mm;
	arch_activate_mm(current);
	return true;
}

/* current->mm first: a switch back to this task reloads CR3 from it (exit_mm's order). */
static void sc_leave(struct sc_env *e)
{
	current->mm = e->saved_mm;
	barrier();
	arch_load_kernel_mm();
	mm_put(e->mm);
}

static void sc_read(void *dst, uintptr_t src, size_t len)
{
	memset(dst, 0, len);
	(void)copy_from_user(dst, (const void *)src, len);
}

static void sc_write(uintptr_t dst, const void *src, size_t len)
{
	(void)copy_to_user((void *)dst, src, len);
}

static void t_info_syscalls_follow_linux(struct ktest *t)
{
	struct sc_env e;
	char uts[6][65];
	u64 ts[2], ts2[2], rl[2], fs = 0;
	u8 rnd[64];
	bool nonzero = false;

	if (!sc_enter(t, &e))
		return;
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_uname, SC_BUF, 0, 0, 0), 0);
	sc_read(uts, SC_BUF, sizeof(uts));
	KTEST_EXPECT(t, !strcmp(uts[0], "Pagoda") && !strcmp(uts[4], "x86_64"));
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_uname, 0x10, 0, 0, 0), -EFAULT);

	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_clock_gettime, 1, SC_BUF, 0, 0), 0);
	sc_read(ts, SC_BUF, sizeof(ts));
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_clock_gettime, 1, SC_BUF, 0, 0), 0);
	sc_read(ts2, SC_BUF, sizeof(ts2));
	KTEST_EXPECT(t, ts2[0] > ts[0] || (ts2[0] == ts[0] && ts2[1] >= ts[1]));
	KTEST_EXPECT(t, ts[1] < 1000000000);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_clock_gettime, 99, SC_BUF, 0, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_clock_gettime, 0, SC_BUF, 0, 0), 0);
	sc_read(ts, SC_BUF, sizeof(ts));
	KTEST_EXPECT(t, ts[0] > 1577836800);	/* CMOS clock: after 2020 */

	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrandom, SC_BUF, sizeof(rnd), 0, 0), sizeof(rnd));
	sc_read(rnd, SC_BUF, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		nonzero |= rnd[i] != 0;
	KTEST_EXPECT(t, nonzero);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrandom, SC_BUF, 8, 0x8, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrandom, SC_BUF, 8, 0x6, 0), -EINVAL);

	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_arch_prctl, 0x1002, 0xffff800000000000UL, 0, 0),
			-EPERM);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_arch_prctl, 0x1002, 0x12345000, 0, 0), 0);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_arch_prctl, 0x1003, SC_BUF, 0, 0), 0);
	sc_read(&fs, SC_BUF, sizeof(fs));
	KTEST_EXPECT_EQ(t, fs, 0x12345000);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_arch_prctl, 0x1002, 0, 0, 0), 0);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_arch_prctl, 0x9999, 0, 0, 0), -EINVAL);

	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrlimit, 3, SC_BUF, 0, 0), 0);
	sc_read(rl, SC_BUF, sizeof(rl));
	KTEST_EXPECT_EQ(t, rl[0], 8UL << 20);
	KTEST_EXPECT_EQ(t, rl[1], ~0ULL);
	rl[0] = 4UL << 20;
	sc_write(SC_BUF, rl, sizeof(rl));
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_prlimit64, 0, 3, SC_BUF, SC_BUF + 16), 0);
	KTEST_EXPECT_EQ(t, e.mm->stack_limit, 4UL << 20);
	sc_read(rl, SC_BUF + 16, sizeof(rl));
	KTEST_EXPECT_EQ(t, rl[0], 8UL << 20);		/* the old value */
	rl[0] = ~0ULL;
	rl[1] = 1UL << 20;
	sc_write(SC_BUF, rl, sizeof(rl));
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_setrlimit, 3, SC_BUF, 0, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrlimit, 99, SC_BUF, 0, 0), -EINVAL);

	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_wait4, -1UL, 0, 0x100, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_wait4, -1UL, SC_BUF, 0, 0), -ECHILD);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrusage, 5, SC_BUF, 0, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_getrusage, 0, SC_BUF, 0, 0), 0);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_set_tid_address, SC_BUF, 0, 0, 0), current->pid);
	current->clear_child_tid = 0;
	sc_leave(&e);
}

static void t_nanosleep_checks_and_sleeps(struct ktest *t)
{
	struct sc_env e;
	s64 ts[2];
	u64 start;

	if (!sc_enter(t, &e))
		return;
	ts[0] = 0;
	ts[1] = 1000000000;
	sc_write(SC_BUF, ts, sizeof(ts));
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_nanosleep, SC_BUF, 0, 0, 0), -EINVAL);
	ts[0] = -1;
	ts[1] = 0;
	sc_write(SC_BUF, ts, sizeof(ts));
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_nanosleep, SC_BUF, 0, 0, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_nanosleep, 0x10, 0, 0, 0), -EFAULT);
	ts[0] = 0;
	ts[1] = 20 * MS;
	sc_write(SC_BUF, ts, sizeof(ts));
	start = time_ns();
	KTEST_EXPECT_EQ(t, fake_syscall6(__NR_nanosleep, SC_BUF, SC_BUF + 16, 0, 0), 0);
	KTEST_EXPECT(t, time_ns() - start >= 20 * MS);
	sc_leave(&e);
}

/* ---- ring 3 ---- */

#define USER_CODE	0x400000UL
#define USER_DATA	0x800000UL

/*
 * Two copies run at once (nasm -f bin, ORG 0x400000):
 *
 *	mov eax, 39 ; syscall		; getpid
 *	mov r12d, eax
 *	movd xmm0, eax			; the pid in an SSE register ...
 *	mov [abs 0x800100], eax		; ... and at FS:0 (a demand-faulted page)
 *	mov eax, 158 ; mov edi, 0x1002 ; mov esi, 0x800100 ; syscall
 *	test eax, eax ; jnz bad		; arch_prctl(ARCH_SET_FS) failed
 *	mov ecx, 30000000
 * spin: dec ecx ; jnz spin		; several ticks: preempted in ring 3
 *	mov eax, [fs:0] ; cmp eax, r12d ; jne bad
 *	movd eax, xmm0 ; cmp eax, r12d ; jne bad
 *	mov edi, r12d ; mov eax, 60 ; syscall	; exit(pid)
 * bad: mov edi, 99 ; mov eax, 60 ; syscall
 */
static const u8 user_pid_prog[] = {
	0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x41, 0x89, 0xc4, 0x66, 0x0f,
	0x6e, 0xc0, 0x89, 0x04, 0x25, 0x00, 0x01, 0x80, 0x00, 0xb8, 0x9e, 0x00,
	0x00, 0x00, 0xbf, 0x02, 0x10, 0x00, 0x00, 0xbe, 0x00, 0x01, 0x80, 0x00,
	0x0f, 0x05, 0x85, 0xc0, 0x75, 0x29, 0xb9, 0x80, 0xc3, 0xc9, 0x01, 0xff,
	0xc9, 0x75, 0xfc, 0x64, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0x44,
	0x39, 0xe0, 0x75, 0x13, 0x66, 0x0f, 0x7e, 0xc0, 0x44, 0x39, 0xe0, 0x75,
	0x0a, 0x44, 0x89, 0xe7, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xbf,
	0x63, 0x00, 0x00, 0x00, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05,
};

/* ud2: an exception from ring 3 (swapgs on the way in, a signal on the way out). */
static const u8 user_ud2_prog[] = { 0x0f, 0x0b };

/*
 * A fresh address space with @prog at USER_CODE (read + exec) and an
 * untouched read-write page at USER_DATA. NULL on failure.
 */
static struct mm_struct *user_mm_with(const u8 *prog, size_t len)
{
	struct mm_struct *mm = mm_create(&kernel_pmm, &kernel_pt, mm_default_task_size());
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;

	if (!mm)
		return NULL;
	if (mm_mmap(mm, USER_CODE, PAGE_SIZE, PROT_READ | PROT_WRITE, flags, NULL, 0) < 0 ||
	    access_remote_vm(mm, USER_CODE, (void *)prog, len, true) ||
	    mm_mprotect(mm, USER_CODE, PAGE_SIZE, PROT_READ | PROT_EXEC) < 0 ||
	    mm_mmap(mm, USER_DATA, PAGE_SIZE, PROT_READ | PROT_WRITE, flags, NULL, 0) < 0) {
		mm_put(mm);
		return NULL;
	}
	return mm;
}

/* The thread becomes a user process: its mm, then ring 3 at USER_CODE. */
static int enter_user(void *mm)
{
	current->mm = mm;
	arch_enter_user(USER_CODE, USER_DATA + PAGE_SIZE);
}

static void t_user_programs_run_in_ring3(struct ktest *t)
{
	struct task *k[2];
	struct wait_result res;

	for (int i = 0; i < 2; i++) {
		struct mm_struct *mm = user_mm_with(user_pid_prog, sizeof(user_pid_prog));

		KTEST_ASSERT(t, mm != NULL);
		k[i] = kernel_thread_prepare("user-pid", enter_user, mm);
		if (!k[i])
			mm_put(mm);
		KTEST_ASSERT(t, k[i] != NULL);
	}
	wake_up_process(k[0]);
	wake_up_process(k[1]);
	for (int i = 0; i < 2; i++) {
		int pid = k[i]->pid;

		KTEST_EXPECT_EQ(t, task_wait_opts(pid, 0, &res), pid);
		/* 99 << 8 would mean FS base or XMM0 did not survive a switch */
		KTEST_EXPECT_EQ(t, res.status, (pid & 0xff) << 8);
		KTEST_EXPECT(t, res.utime_ns > 0);	/* ticks in ring 3 were counted */
	}
}

static void t_user_exception_kills_with_signal(struct ktest *t)
{
	struct mm_struct *mm = user_mm_with(user_ud2_prog, sizeof(user_ud2_prog));
	struct task *k;
	int status;

	KTEST_ASSERT(t, mm != NULL);
	k = kernel_thread("user-ud2", enter_user, mm);
	if (!k)
		mm_put(mm);
	KTEST_ASSERT(t, k != NULL);
	KTEST_EXPECT_EQ(t, task_wait(k->pid, &status), k->pid);
	KTEST_EXPECT_EQ(t, status, SIGILL);
}

static const struct ktest_case sched_cases[] = {
	KTEST_CASE(t_kthreads_reaped_with_exit_codes,
		   "kthreads run and are reaped with their exit codes"),
	KTEST_CASE(t_wait_any_child_reaps_each_once, "wait for any child reaps each child once"),
	KTEST_CASE(t_prepared_kernel_thread_waits_for_wake_up,
		   "a prepared kthread runs only after wake_up"),
	KTEST_CASE(t_yielding_kthreads_interleave, "two yielding kthreads interleave"),
	KTEST_CASE(t_sleeping_kthread_wakes_after_deadline,
		   "a sleeping kthread wakes up after its deadline"),
	KTEST_CASE(t_boot_task_sleeps_and_idles, "the boot task sleeps with nothing else to run"),
	KTEST_CASE(t_spinning_kthread_does_not_starve_others,
		   "a spinning kthread does not starve others (timer preemption)"),
	KTEST_CASE(t_timer_ticks_at_100hz, "the timer ticks at about 100 Hz"),
	KTEST_CASE(t_wait_for_non_child_is_echild, "task_wait on a non-child returns -ECHILD"),
	KTEST_CASE(t_orphan_adopted_by_boot_task, "an orphan is adopted and reaped by the boot task"),
	KTEST_CASE(t_percpu_names_current_task, "per-CPU data through GS names the current task"),
	KTEST_CASE(t_syscall_dispatch_and_enosys,
		   "syscall dispatch by number; unknown numbers get -ENOSYS"),
	KTEST_CASE(t_info_syscalls_follow_linux,
		   "uname, clock_gettime, getrandom, arch_prctl, rlimits, wait4: Linux results and errors"),
	KTEST_CASE(t_nanosleep_checks_and_sleeps,
		   "nanosleep rejects bad timespecs and sleeps at least as asked"),
	KTEST_CASE(t_user_programs_run_in_ring3,
		   "two ring-3 programs: syscalls, preemption, FS base and XMM kept, exit(getpid())"),
	KTEST_CASE(t_user_exception_kills_with_signal,
		   "an invalid opcode in ring 3 kills the program with SIGILL"),
};

KTEST_SUITE(sched_suite, "sched", sched_cases);
