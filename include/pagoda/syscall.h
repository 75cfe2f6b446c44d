/*
 * System calls on the Linux x86-64 ABI. Each subsystem defines its own with
 * SYSCALL_DEFINE(nr, name) next to the code it serves; the linker gathers
 * them into .syscall_table and kernel/syscall.c builds the dispatch array at
 * boot. A number nobody defines returns -ENOSYS and is logged once.
 *
 * Arguments arrive as six u64 (rdi, rsi, rdx, r10, r8, r9); pointers in them
 * are user pointers: touch them only through include/pagoda/uaccess.h.
 * Return a value or -errno.
 */
#ifndef PAGODA_SYSCALL_H
#define PAGODA_SYSCALL_H

#include <pagoda/types.h>

typedef long (*syscall_fn_t)(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

struct syscall_entry {
	unsigned int nr;
	const char *name;
	syscall_fn_t fn;
};

#define SYSCALL_DEFINE(number, sname)						\
	static long sys_##sname(u64, u64, u64, u64, u64, u64);			\
	static const struct syscall_entry __syscall_##sname			\
	__attribute__((used, section(".syscall_table"), aligned(8))) = {	\
		.nr = (number), .name = #sname, .fn = sys_##sname,		\
	};									\
	static long sys_##sname(u64 a0 __attribute__((unused)),			\
				u64 a1 __attribute__((unused)),			\
				u64 a2 __attribute__((unused)),			\
				u64 a3 __attribute__((unused)),			\
				u64 a4 __attribute__((unused)),			\
				u64 a5 __attribute__((unused)))

#define NR_SYSCALLS_MAX	512

/* Linux x86-64 numbers Pagoda implements (arch/x86/entry/syscalls/syscall_64.tbl). */
#define __NR_read		0
#define __NR_write		1
#define __NR_open		2
#define __NR_close		3
#define __NR_stat		4
#define __NR_fstat		5
#define __NR_lstat		6
#define __NR_lseek		8
#define __NR_mmap		9
#define __NR_mprotect		10
#define __NR_munmap		11
#define __NR_brk		12
#define __NR_rt_sigaction	13
#define __NR_rt_sigprocmask	14
#define __NR_rt_sigreturn	15
#define __NR_ioctl		16
#define __NR_pread64		17
#define __NR_pwrite64		18
#define __NR_readv		19
#define __NR_writev		20
#define __NR_access		21
#define __NR_sched_yield	24
#define __NR_mremap		25
#define __NR_msync		26
#define __NR_mincore		27
#define __NR_madvise		28
#define __NR_dup		32
#define __NR_dup2		33
#define __NR_nanosleep		35
#define __NR_getpid		39
#define __NR_clone		56
#define __NR_fork		57
#define __NR_vfork		58
#define __NR_execve		59
#define __NR_exit		60
#define __NR_wait4		61
#define __NR_kill		62
#define __NR_uname		63
#define __NR_fcntl		72
#define __NR_fsync		74
#define __NR_fdatasync		75
#define __NR_truncate		76
#define __NR_ftruncate		77
#define __NR_getcwd		79
#define __NR_chdir		80
#define __NR_fchdir		81
#define __NR_rename		82
#define __NR_mkdir		83
#define __NR_rmdir		84
#define __NR_creat		85
#define __NR_link		86
#define __NR_unlink		87
#define __NR_symlink		88
#define __NR_readlink		89
#define __NR_umask		95
#define __NR_gettimeofday	96
#define __NR_getrlimit		97
#define __NR_getrusage		98
#define __NR_times		100
#define __NR_getuid		102
#define __NR_getgid		104
#define __NR_geteuid		107
#define __NR_getegid		108
#define __NR_getppid		110
#define __NR_sigaltstack	131
#define __NR_mknod		133
#define __NR_arch_prctl		158
#define __NR_setrlimit		160
#define __NR_sync		162
#define __NR_statfs		137
#define __NR_fstatfs		138
#define __NR_mount		165
#define __NR_umount2		166
#define __NR_reboot		169
#define __NR_gettid		186
#define __NR_tkill		200
#define __NR_time		201
#define __NR_getdents64		217
#define __NR_set_tid_address	218
#define __NR_clock_gettime	228
#define __NR_clock_getres	229
#define __NR_clock_nanosleep	230
#define __NR_exit_group		231
#define __NR_tgkill		234
#define __NR_waitid		247
#define __NR_openat		257
#define __NR_mkdirat		258
#define __NR_mknodat		259
#define __NR_newfstatat		262
#define __NR_unlinkat		263
#define __NR_renameat		264
#define __NR_linkat		265
#define __NR_symlinkat		266
#define __NR_readlinkat		267
#define __NR_faccessat		269
#define __NR_dup3		292
#define __NR_prlimit64		302
#define __NR_syncfs		306
#define __NR_renameat2		316
#define __NR_getrandom		318
#define __NR_statx		332
#define __NR_faccessat2		439
#define __NR_chmod		90
#define __NR_fchmod		91
#define __NR_chown		92
#define __NR_fchown		93
#define __NR_lchown		94
#define __NR_utime		132
#define __NR_utimes		235
#define __NR_fchownat		260
#define __NR_futimesat		261
#define __NR_fchmodat		268
#define __NR_utimensat		280
#define __NR_fallocate		285
#define __NR_preadv		295
#define __NR_pwritev		296
#define __NR_memfd_create	319
#define __NR_preadv2		327
#define __NR_pwritev2		328
#define __NR_fchmodat2		452

struct pt_regs;
/* Called by the arch syscall entry with the saved user registers. */
void do_syscall(struct pt_regs *regs);
void syscall_init(void);

#endif
