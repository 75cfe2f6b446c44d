/*
 * Process, time and miscellaneous system calls with Linux x86-64 semantics:
 * ids, exit, wait4 and waitid, sched_yield, the clocks and sleeps, getrusage and
 * times, arch_prctl, set_tid_address, uname, getrandom and the resource
 * limits. kill/tgkill/tkill live with the signals (kernel/signal.c), fork
 * and clone in kernel/fork.c, execve in kernel/sys_exec.c.
 *
 * Every user pointer goes through copy_to_user / copy_from_user.
 */
#include <pagoda/syscall.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/time.h>
#include <pagoda/uaccess.h>
#include <asm/cpu.h>
#include <mm/layout.h>
#include <mm/mm.h>

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_USEC	1000ULL
#define USER_HZ		100		/* clock_t unit of times(2) */

/* ---- user-visible structures (x86-64 Linux layouts) ---- */

struct k_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

struct k_timeval {
	s64 tv_sec;
	s64 tv_usec;
};

struct k_rusage {
	struct k_timeval ru_utime, ru_stime;
	s64 ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap;
	s64 ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
BUILD_BUG_ON(sizeof(struct k_rusage) != 144);

struct k_tms {
	s64 tms_utime, tms_stime, tms_cutime, tms_cstime;
};

#define UTS_LEN	65
struct k_utsname {
	char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN];
	char version[UTS_LEN], machine[UTS_LEN], domainname[UTS_LEN];
};
BUILD_BUG_ON(sizeof(struct k_utsname) != 390);

struct k_rlimit {
	u64 rlim_cur, rlim_max;
};

/* ---- ids ---- */

SYSCALL_DEFINE(__NR_getpid, getpid)
{
	return current->tgid;
}

SYSCALL_DEFINE(__NR_gettid, gettid)
{
	return current->pid;
}

/* The parent, or init / pid 0 once the parent exited (orphans are re-homed at exit). */
SYSCALL_DEFINE(__NR_getppid, getppid)
{
	return current->parent ? current->parent->tgid : 0;
}

/* Everything runs as root until there are users. */
SYSCALL_DEFINE(__NR_getuid, getuid) { return 0; }
SYSCALL_DEFINE(__NR_geteuid, geteuid) { return 0; }
SYSCALL_DEFINE(__NR_getgid, getgid) { return 0; }
SYSCALL_DEFINE(__NR_getegid, getegid) { return 0; }

SYSCALL_DEFINE(__NR_set_tid_address, set_tid_address)
{
	current->clear_child_tid = (uintptr_t)a0;
	return current->pid;
}

/* ---- exit and wait ---- */

SYSCALL_DEFINE(__NR_exit, exit)
{
	do_exit(((int)a0 & 0xff) << 8);
}

/* One thread per process today: the group is the task. */
SYSCALL_DEFINE(__NR_exit_group, exit_group)
{
	do_exit(((int)a0 & 0xff) << 8);
}

static struct k_timeval ns_to_timeval(u64 ns)
{
	return (struct k_timeval){
		.tv_sec = (s64)(ns / NSEC_PER_SEC),
		.tv_usec = (s64)(ns % NSEC_PER_SEC / NSEC_PER_USEC),
	};
}

static void fill_rusage(struct k_rusage *ru, u64 utime, u64 stime,
			unsigned long minflt, unsigned long majflt)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime = ns_to_timeval(utime);
	ru->ru_stime = ns_to_timeval(stime);
	ru->ru_minflt = (s64)minflt;
	ru->ru_majflt = (s64)majflt;
}

#define WAIT_VALID_OPTIONS (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)

/* wait4(pid, wstatus, options, rusage): status and rusage are written only for a reaped child. */
SYSCALL_DEFINE(__NR_wait4, wait4)
{
	int pid = (int)a0, options = (int)a2;
	struct wait_result res;
	int ret;

	if (options & ~WAIT_VALID_OPTIONS)
		return -EINVAL;
	ret = task_wait_opts(pid, options, &res);
	if (ret <= 0)
		return ret;
	if (a1 && copy_to_user((void *)a1, &res.status, sizeof(res.status)))
		return -EFAULT;
	if (a3) {
		struct k_rusage ru;

		fill_rusage(&ru, res.utime_ns, res.stime_ns, res.min_flt, res.maj_flt);
		if (copy_to_user((void *)a3, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return ret;
}

/* waitid(2) id types */
#define P_ALL		0
#define P_PID		1
#define P_PGID		2
#define P_PIDFD		3

#define WAITID_VALID_OPTIONS (WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED |	\
			      __WNOTHREAD | __WALL | __WCLONE)

/*
 * The part of siginfo_t waitid(2) writes (Linux writes exactly these fields:
 * si_signo, si_errno, si_code, si_pid, si_uid, si_status).
 */
static int waitid_put_info(u64 uinfo, int signo, int code, int pid, int status)
{
	struct siginfo info;

	memset(&info, 0, sizeof(info));
	info.si_signo = signo;
	info.si_code = code;
	info.chld.pid = pid;
	info.chld.status = status;
	if (copy_to_user((void *)uinfo, &info, __builtin_offsetof(struct siginfo, pad0)))
		return -EFAULT;
	if (copy_to_user((u8 *)uinfo + __builtin_offsetof(struct siginfo, chld),
			 &info.chld, __builtin_offsetof(__typeof__(info.chld), pad)))
		return -EFAULT;
	return 0;
}

/*
 * The pid argument of task_wait_opts for waitid's (@idtype, @id), or
 * -EINVAL. No process groups: P_PGID means any child (every process stays
 * in the group it was forked in, so all children share the caller's group;
 * with an explicit pgid this is a simplification).
 */
static int waitid_pid(int idtype, int id)
{
	switch (idtype) {
	case P_ALL:
		return -1;
	case P_PID:
		return id > 0 ? id : -EINVAL;
	case P_PGID:
		return id >= 0 ? -1 : -EINVAL;
	default:
		return -EINVAL;		/* P_PIDFD: no pidfds */
	}
}

/*
 * waitid(idtype, id, infop, options, rusage). Only exits are reported
 * (nothing stops or continues yet): without WEXITED a wait finds nothing,
 * and blocks until a signal interrupts it. With WNOHANG and nothing to
 * report, the info is written with si_pid = 0 and 0 is returned (Linux).
 */
SYSCALL_DEFINE(__NR_waitid, waitid)
{
	int options = (int)a3, pid = waitid_pid((int)a0, (int)a1);
	struct wait_result res;
	int ret, sig, code, status;

	if (options & ~WAITID_VALID_OPTIONS)
		return -EINVAL;
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
		return -EINVAL;
	if (pid == -EINVAL)
		return -EINVAL;
	if (options & WEXITED) {
		ret = task_wait_opts(pid, options, &res);
	} else {
		ret = task_wait_opts(pid, options | WNOHANG | WNOWAIT, NULL);
		if (ret >= 0 && !(options & WNOHANG))
			ret = sleep_until_ns(~0ULL);
		ret = ret < 0 ? ret : 0;
	}
	if (ret < 0)
		return ret;
	if (ret == 0)
		return a2 ? waitid_put_info(a2, 0, 0, 0, 0) : 0;
	sig = res.status & 0x7f;
	code = sig ? CLD_KILLED : CLD_EXITED;
	status = sig ? sig : (res.status >> 8) & 0xff;
	if (a4) {
		struct k_rusage ru;

		fill_rusage(&ru, res.utime_ns, res.stime_ns, res.min_flt, res.maj_flt);
		if (copy_to_user((void *)a4, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return a2 ? waitid_put_info(a2, SIGCHLD, code, res.pid, status) : 0;
}

SYSCALL_DEFINE(__NR_sched_yield, sched_yield)
{
	schedule();
	return 0;
}

/* ---- clocks ---- */

#define CLOCK_REALTIME			0
#define CLOCK_MONOTONIC			1
#define CLOCK_PROCESS_CPUTIME_ID	2
#define CLOCK_THREAD_CPUTIME_ID		3
#define CLOCK_MONOTONIC_RAW		4
#define CLOCK_REALTIME_COARSE		5
#define CLOCK_MONOTONIC_COARSE		6
#define CLOCK_BOOTTIME			7
#define CLOCK_TAI			11
#define TIMER_ABSTIME			1

static u64 realtime_offset_ns;		/* CLOCK_REALTIME - CLOCK_MONOTONIC */

/* CLOCK_REALTIME starts at the CMOS clock's reading (UTC), like Linux's. */
static int realtime_init(void)
{
	u64 secs = arch_rtc_read_seconds();

	realtime_offset_ns = secs * NSEC_PER_SEC - time_ns();
	printk("time: CMOS clock says %llu s since the epoch\n", (unsigned long long)secs);
	return 0;
}
subsys_initcall(realtime_init);

u64 ktime_get_real_ns(void);

/* CLOCK_REALTIME in ns (file timestamps, fs/inode.c). */
u64 ktime_get_real_ns(void)
{
	return realtime_offset_ns + time_ns();
}

static u64 task_cpu_ns(const struct task *t)
{
	return t->utime_ns + t->stime_ns;
}

/* The clock's reading in ns; -EINVAL for an id Pagoda does not know. */
static int clock_read(int clk, u64 *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		*ns = realtime_offset_ns + time_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = time_ns();
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = task_cpu_ns(current);
		return 0;
	default:
		return -EINVAL;
	}
}

static struct k_timespec ns_to_timespec(u64 ns)
{
	return (struct k_timespec){
		.tv_sec = (s64)(ns / NSEC_PER_SEC),
		.tv_nsec = (s64)(ns % NSEC_PER_SEC),
	};
}

SYSCALL_DEFINE(__NR_clock_gettime, clock_gettime)
{
	struct k_timespec ts;
	u64 ns;
	int err = clock_read((int)a0, &ns);

	if (err)
		return err;
	ts = ns_to_timespec(ns);
	return copy_to_user((void *)a1, &ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(__NR_clock_getres, clock_getres)
{
	int clk = (int)a0;
	struct k_timespec res = { 0, 1 };
	u64 ns;
	int err = clock_read(clk, &ns);

	if (err)
		return err;
	if (clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE)
		res.tv_nsec = (s64)TICK_NS;
	if (a1 && copy_to_user((void *)a1, &res, sizeof(res)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(__NR_gettimeofday, gettimeofday)
{
	struct k_timeval tv = ns_to_timeval(realtime_offset_ns + time_ns());
	static const struct { s32 minuteswest, dsttime; } utc;

	if (a0 && copy_to_user((void *)a0, &tv, sizeof(tv)))
		return -EFAULT;
	if (a1 && copy_to_user((void *)a1, &utc, sizeof(utc)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(__NR_time, time)
{
	s64 secs = (s64)((realtime_offset_ns + time_ns()) / NSEC_PER_SEC);

	if (a0 && copy_to_user((void *)a0, &secs, sizeof(secs)))
		return -EFAULT;
	return secs;
}

/* ---- sleeping ---- */

/* A user timespec as ns: -EFAULT, or -EINVAL when out of range (as nanosleep(2)). */
static int timespec_from_user(u64 uptr, u64 *ns)
{
	struct k_timespec ts;

	if (copy_from_user(&ts, (const void *)uptr, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NSEC_PER_SEC)
		return -EINVAL;
	if ((u64)ts.tv_sec >= UINT64_MAX / NSEC_PER_SEC / 2)
		*ns = UINT64_MAX / 2;		/* centuries: as good as forever */
	else
		*ns = (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
	return 0;
}

/*
 * Sleep until monotonic @deadline. On a signal: -EINTR, and for a relative
 * sleep the time left goes to @rem_uptr when given (Linux writes it only
 * then).
 */
static long sleep_and_report(u64 deadline, u64 rem_uptr)
{
	struct k_timespec rem;
	u64 now;

	if (sleep_until_ns(deadline) == 0)
		return 0;
	now = time_ns();
	rem = ns_to_timespec(deadline > now ? deadline - now : 0);
	if (rem_uptr && copy_to_user((void *)rem_uptr, &rem, sizeof(rem)))
		return -EFAULT;
	return -EINTR;
}

SYSCALL_DEFINE(__NR_nanosleep, nanosleep)
{
	u64 ns;
	int err = timespec_from_user(a0, &ns);

	if (err)
		return err;
	return sleep_and_report(time_ns() + ns, a1);
}

SYSCALL_DEFINE(__NR_clock_nanosleep, clock_nanosleep)
{
	int clk = (int)a0, flags = (int)a1;
	u64 ns, deadline;
	int err;

	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
	    clk != CLOCK_TAI)
		return -EINVAL;		/* CPU-time clocks included: no sleeping on them */
	err = timespec_from_user(a2, &ns);
	if (err)
		return err;
	if (!(flags & TIMER_ABSTIME))
		return sleep_and_report(time_ns() + ns, a3);
	deadline = ns;
	if (clk == CLOCK_REALTIME || clk == CLOCK_TAI)
		deadline = ns > realtime_offset_ns ? ns - realtime_offset_ns : 0;
	return sleep_and_report(deadline, 0);
}

/* ---- resource usage ---- */

#define RUSAGE_SELF	0
#define RUSAGE_CHILDREN	(-1)
#define RUSAGE_THREAD	1

SYSCALL_DEFINE(__NR_getrusage, getrusage)
{
	const struct task *t = current;
	struct k_rusage ru;

	switch ((int)a0) {
	case RUSAGE_SELF:
	case RUSAGE_THREAD:
		fill_rusage(&ru, t->utime_ns, t->stime_ns, t->min_flt, t->maj_flt);
		break;
	case RUSAGE_CHILDREN:
		fill_rusage(&ru, t->cutime_ns, t->cstime_ns, t->cmin_flt, t->cmaj_flt);
		break;
	default:
		return -EINVAL;
	}
	return copy_to_user((void *)a1, &ru, sizeof(ru)) ? -EFAULT : 0;
}

static s64 ns_to_clock_t(u64 ns)
{
	return (s64)(ns / (NSEC_PER_SEC / USER_HZ));
}

/* times(2): returns clock ticks since boot (Linux: an arbitrary point in the past). */
SYSCALL_DEFINE(__NR_times, times)
{
	const struct task *t = current;
	struct k_tms tms = {
		.tms_utime = ns_to_clock_t(t->utime_ns),
		.tms_stime = ns_to_clock_t(t->stime_ns),
		.tms_cutime = ns_to_clock_t(t->cutime_ns),
		.tms_cstime = ns_to_clock_t(t->cstime_ns),
	};

	if (a0 && copy_to_user((void *)a0, &tms, sizeof(tms)))
		return -EFAULT;
	return ns_to_clock_t(time_ns());
}

/* ---- arch_prctl ---- */

#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

/* Linux's TASK_SIZE_MAX: the highest user page is never a valid base. */
static u64 task_size_max(void)
{
	return (pgtable_l5_enabled() ? USER_SPACE_END_L5 : USER_SPACE_END_L4) - PAGE_SIZE;
}

SYSCALL_DEFINE(__NR_arch_prctl, arch_prctl)
{
	switch ((int)a0) {
	case ARCH_SET_FS:
		if (a1 >= task_size_max())
			return -EPERM;
		arch_set_user_fs_base(a1);
		return 0;
	case ARCH_SET_GS:
		if (a1 >= task_size_max())
			return -EPERM;
		arch_set_user_gs_base(a1);
		return 0;
	case ARCH_GET_FS:
		return put_user_u64(current->fs_base, a1) ? -EFAULT : 0;
	case ARCH_GET_GS:
		return put_user_u64(current->gs_base, a1) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

/* ---- uname ---- */

SYSCALL_DEFINE(__NR_uname, uname)
{
	struct k_utsname u;

	memset(&u, 0, sizeof(u));
	strncpy(u.sysname, "Pagoda", UTS_LEN - 1);
	strncpy(u.nodename, "pagoda", UTS_LEN - 1);
	strncpy(u.release, "0.3.0", UTS_LEN - 1);
	strncpy(u.version, "#1 PREEMPT", UTS_LEN - 1);
	strncpy(u.machine, "x86_64", UTS_LEN - 1);
	strncpy(u.domainname, "(none)", UTS_LEN - 1);
	return copy_to_user((void *)a0, &u, sizeof(u)) ? -EFAULT : 0;
}

/* ---- getrandom ---- */

#define GRND_NONBLOCK	0x0001
#define GRND_RANDOM	0x0002
#define GRND_INSECURE	0x0004
#define GETRANDOM_MAX	0x7ffff000UL	/* Linux's MAX_RW_COUNT */

/* RDRAND may run dry for a moment: retry a few times, as Intel advises. */
static bool rdrand64(u64 *v)
{
	for (int i = 0; i < 10; i++) {
		bool ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) :: "cc");
		if (ok)
			return true;
	}
	return false;
}

/* xorshift64*, seeded and stirred by the TSC: the fallback without RDRAND. */
static u64 xorshift_next(void)
{
	static u64 state;

	if (!state)
		state = rdtsc() | 1;
	state ^= rdtsc() << 17;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

static u64 random_u64(void)
{
	u64 v;

	if (cpu_features.rdrand && rdrand64(&v))
		return v;
	return xorshift_next();
}

SYSCALL_DEFINE(__NR_getrandom, getrandom)
{
	unsigned int flags = (unsigned int)a2;
	size_t len = a1 > GETRANDOM_MAX ? GETRANDOM_MAX : a1, done = 0;
	u64 chunk[32];

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
		return -EINVAL;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));

		for (size_t i = 0; i < ARRAY_SIZE(chunk); i++)
			chunk[i] = random_u64();
		if (copy_to_user((u8 *)a0 + done, chunk, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	memset(chunk, 0, sizeof(chunk));
	return (long)done;
}

/* ---- resource limits ---- */

#define RLIMIT_STACK	3
#define RLIMIT_NOFILE	7
#define RLIM_NLIMITS	16
#define RLIM_INFINITY	(~0ULL)

/*
 * Pagoda keeps one real limit, RLIMIT_STACK (soft: mm->stack_limit, which
 * the stack growth check uses; hard: unlimited). RLIMIT_NOFILE reports the
 * descriptor table's size. The others read as unlimited, and setting them
 * is accepted and has no effect.
 */
static void rlimit_get(struct task *t, int res, struct k_rlimit *r)
{
	r->rlim_cur = r->rlim_max = RLIM_INFINITY;
	if (res == RLIMIT_STACK && t->mm)
		r->rlim_cur = t->mm->stack_limit;
	else if (res == RLIMIT_NOFILE)
		r->rlim_cur = r->rlim_max = NR_OPEN_MAX;
}

static int rlimit_set(struct task *t, int res, const struct k_rlimit *r)
{
	if (r->rlim_cur > r->rlim_max)
		return -EINVAL;
	if (res == RLIMIT_NOFILE && r->rlim_max > NR_OPEN_MAX)
		return -EPERM;		/* beyond the table: Linux says EPERM past nr_open */
	if (res == RLIMIT_STACK && t->mm)
		t->mm->stack_limit = r->rlim_cur;
	return 0;
}

/* prlimit64(pid, resource, new, old): @pid 0 is the caller. */
static long do_prlimit(int pid, unsigned int res, u64 new_uptr, u64 old_uptr)
{
	struct task *t = pid ? task_find(pid) : current;
	struct k_rlimit old, new;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (!t || t->state == TASK_ZOMBIE)
		return -ESRCH;
	if (new_uptr && copy_from_user(&new, (const void *)new_uptr, sizeof(new)))
		return -EFAULT;
	rlimit_get(t, (int)res, &old);
	if (new_uptr) {
		int err = rlimit_set(t, (int)res, &new);

		if (err)
			return err;
	}
	if (old_uptr && copy_to_user((void *)old_uptr, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(__NR_prlimit64, prlimit64)
{
	return do_prlimit((int)a0, (unsigned int)a1, a2, a3);
}

SYSCALL_DEFINE(__NR_getrlimit, getrlimit)
{
	return do_prlimit(0, (unsigned int)a0, 0, a1);
}

SYSCALL_DEFINE(__NR_setrlimit, setrlimit)
{
	return do_prlimit(0, (unsigned int)a0, a1, 0);
}
