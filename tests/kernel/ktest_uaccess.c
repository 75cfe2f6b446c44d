/*
 * In-kernel tests of user-memory access (arch/x86_64/uaccess.c), `ktest=uaccess`.
 *
 * Each case builds a private address space with mm_create() + mm_mmap(),
 * makes it the current task's mm and loads its CR3, so a fault taken by a
 * user copy goes down the real path: do_page_fault -> do_user_addr_fault on
 * current->mm, then the exception-table fixup when the fault cannot be
 * served. The kernel tables come back before the case returns, and the
 * runner checks that the free-page count is restored after the suite.
 */
#include <pagoda/errno.h>
#include <pagoda/ktest.h>
#include <pagoda/string.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <asm/cpu.h>
#include <mm/arch.h>
#include <mm/layout.h>
#include <mm/mm.h>
#include <mm/pmm.h>

/* Far from anything exec or the kernel would place; MAP_FIXED inside. */
#define UA_BASE		0x40000000UL
#define UA_RW		(UA_BASE)			/* 2 pages read-write */
#define UA_HOLE		(UA_BASE + 2 * PAGE_SIZE)	/* never mapped */
#define UA_RO		(UA_BASE + 4 * PAGE_SIZE)	/* 1 page read-only */
#define UA_UNMAPPED	0x50000000UL

struct ua_env {
	struct mm_struct *mm;
	struct mm_struct *saved_mm;
};

static bool ua_map(struct ktest *t, struct mm_struct *mm, uintptr_t addr, size_t len, int prot)
{
	long r = mm_mmap(mm, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	if (r != (long)addr) {
		ktest_fail(t, __FILE__, __LINE__, "mm_mmap(%#lx, %#zx) = %ld", addr, len, r);
		return false;
	}
	return true;
}

/* A fresh mm with the UA_* layout, made current. false (and failed) if not. */
static bool ua_enter(struct ktest *t, struct ua_env *e)
{
	e->mm = mm_create(&kernel_pmm, &kernel_pt, USER_SPACE_END_L4);
	if (!e->mm) {
		ktest_fail(t, __FILE__, __LINE__, "mm_create: -ENOMEM");
		return false;
	}
	if (!ua_map(t, e->mm, UA_RW, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE) ||
	    !ua_map(t, e->mm, UA_RO, PAGE_SIZE, PROT_READ)) {
		mm_put(e->mm);
		return false;
	}
	/* no switch between the two: CR3 and current->mm must agree */
	preempt_disable();
	e->saved_mm = current->mm;
	current->mm = e->mm;
	arch_load_page_table(virt_to_phys(e->mm->pt.pgd));
	preempt_enable();
	return true;
}

static void ua_leave(struct ua_env *e)
{
	preempt_disable();
	current->mm = e->saved_mm;
	arch_load_page_table(virt_to_phys(kernel_pt.pgd));
	preempt_enable();
	mm_put(e->mm);
}

static bool ua_present(struct ua_env *e, uintptr_t addr)
{
	phys_addr_t pa;

	return pt_translate(&e->mm->pt, addr, &pa);
}

static u64 read_rflags(void)
{
	u64 f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static void fill(u8 *buf, size_t len, u8 seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (u8)(seed + i * 7);
}

/* ---- cases ---- */

static void t_range_check(struct ktest *t)
{
	uintptr_t end = user_addr_limit();

	KTEST_EXPECT_EQ(t, end, pgtable_l5_enabled() ? USER_SPACE_END_L5 : USER_SPACE_END_L4);
	KTEST_EXPECT(t, access_ok(0, 0));
	KTEST_EXPECT(t, access_ok(0x1000, 0x1000));
	KTEST_EXPECT(t, access_ok(end - 1, 1));
	KTEST_EXPECT(t, access_ok(end, 0));
	KTEST_EXPECT(t, !access_ok(end - 1, 2));
	KTEST_EXPECT(t, !access_ok(end, 1));
	KTEST_EXPECT(t, !access_ok(0x1000, (size_t)-0x800));		/* wraps */
	KTEST_EXPECT(t, !access_ok(KERNEL_IMAGE_BASE, 1));
	KTEST_EXPECT(t, !access_ok(0x8000000000000000UL, 8));		/* non-canonical */
}

static void t_round_trip_faults_in(struct ktest *t)
{
	static u8 out[PAGE_SIZE + 512], in[PAGE_SIZE + 512];
	struct ua_env e;
	uintptr_t u = UA_RW + PAGE_SIZE - 256;	/* straddles the two pages */

	if (!ua_enter(t, &e))
		return;
	KTEST_EXPECT(t, !ua_present(&e, UA_RW) && !ua_present(&e, UA_RW + PAGE_SIZE));
	fill(out, sizeof(out), 3);
	KTEST_EXPECT_EQ(t, copy_to_user((void *)u, out, 512), 0);
	KTEST_EXPECT(t, ua_present(&e, UA_RW) && ua_present(&e, UA_RW + PAGE_SIZE));
	KTEST_EXPECT_EQ(t, e.mm->faults.anon, 2);
	memset(in, 0xee, sizeof(in));
	KTEST_EXPECT_EQ(t, copy_from_user(in, (const void *)u, 512), 0);
	KTEST_EXPECT(t, !memcmp(in, out, 512));
	KTEST_EXPECT_EQ(t, read_rflags() & RFLAGS_AC, 0);
	ua_leave(&e);
}

static void t_read_untouched_is_zero(struct ktest *t)
{
	static u8 in[PAGE_SIZE];
	struct ua_env e;

	if (!ua_enter(t, &e))
		return;
	memset(in, 0xee, sizeof(in));
	KTEST_EXPECT_EQ(t, copy_from_user(in, (const void *)UA_RW, sizeof(in)), 0);
	for (size_t i = 0; i < sizeof(in); i++)
		if (in[i]) {
			ktest_fail(t, __FILE__, __LINE__, "byte %zu is %#x", i, in[i]);
			break;
		}
	ua_leave(&e);
}

static void t_unmapped_is_efault(struct ktest *t)
{
	u8 buf[64];
	struct ua_env e;

	if (!ua_enter(t, &e))
		return;
	memset(buf, 0xee, sizeof(buf));
	KTEST_EXPECT_EQ(t, copy_from_user(buf, (const void *)UA_UNMAPPED, sizeof(buf)), -EFAULT);
	KTEST_EXPECT_EQ(t, buf[0], 0);				/* tail zeroed */
	KTEST_EXPECT_EQ(t, buf[sizeof(buf) - 1], 0);
	KTEST_EXPECT_EQ(t, copy_to_user((void *)UA_UNMAPPED, buf, sizeof(buf)), -EFAULT);
	KTEST_EXPECT_EQ(t, clear_user((void *)UA_UNMAPPED, sizeof(buf)), -EFAULT);
	KTEST_EXPECT_EQ(t, copy_from_user(buf, NULL, 8), -EFAULT);
	KTEST_EXPECT_EQ(t, read_rflags() & RFLAGS_AC, 0);
	ua_leave(&e);
}

static void t_kernel_address_is_efault(struct ktest *t)
{
	static u64 victim = 0x1122334455667788ULL;
	u64 v = 0xdeadbeef, src = 0;

	KTEST_EXPECT_EQ(t, copy_from_user(&v, &victim, sizeof(v)), -EFAULT);
	KTEST_EXPECT_EQ(t, v, 0);
	KTEST_EXPECT_EQ(t, copy_to_user(&victim, &src, sizeof(src)), -EFAULT);
	KTEST_EXPECT_EQ(t, clear_user(&victim, sizeof(victim)), -EFAULT);
	KTEST_EXPECT_EQ(t, victim, 0x1122334455667788ULL);
	KTEST_EXPECT_EQ(t, copy_to_user(phys_to_virt(0x100000), &src, 8), -EFAULT);
}

static void t_noncanonical_is_efault(struct ktest *t)
{
	u64 v = 0;
	char s[8];

	KTEST_EXPECT_EQ(t, copy_from_user(&v, (const void *)0x8000000000000000UL, 8), -EFAULT);
	KTEST_EXPECT_EQ(t, copy_to_user((void *)0x8000000000000000UL, &v, 8), -EFAULT);
	/* the first address past user space: non-canonical in 4-level paging */
	KTEST_EXPECT_EQ(t, copy_from_user(&v, (const void *)user_addr_limit(), 8), -EFAULT);
	KTEST_EXPECT_EQ(t, strncpy_from_user(s, (const char *)0x8000000000000000UL, sizeof(s)),
			-EFAULT);
}

/* A copy that starts mapped and runs into the hole copies the head, then fails. */
static void t_runs_into_hole_is_efault(struct ktest *t)
{
	static u8 out[512], in[512];
	struct ua_env e;
	uintptr_t u = UA_HOLE - 100;

	if (!ua_enter(t, &e))
		return;
	fill(out, sizeof(out), 9);
	KTEST_EXPECT_EQ(t, copy_to_user((void *)u, out, sizeof(out)), -EFAULT);
	memset(in, 0xee, sizeof(in));
	KTEST_EXPECT_EQ(t, copy_from_user(in, (const void *)u, 100), 0);
	KTEST_EXPECT(t, !memcmp(in, out, 100));		/* the mapped head was written */
	memset(in, 0xee, sizeof(in));
	KTEST_EXPECT_EQ(t, copy_from_user(in, (const void *)u, sizeof(in)), -EFAULT);
	KTEST_EXPECT(t, !memcmp(in, out, 100));		/* head copied ... */
	KTEST_EXPECT_EQ(t, in[100], 0);			/* ... rest zeroed */
	KTEST_EXPECT_EQ(t, in[sizeof(in) - 1], 0);
	KTEST_EXPECT_EQ(t, clear_user((void *)u, sizeof(out)), -EFAULT);
	ua_leave(&e);
}

static void t_read_only_mapping(struct ktest *t)
{
	u8 buf[16];
	struct ua_env e;

	if (!ua_enter(t, &e))
		return;
	memset(buf, 0x5a, sizeof(buf));
	KTEST_EXPECT_EQ(t, copy_to_user((void *)UA_RO, buf, sizeof(buf)), -EFAULT);
	KTEST_EXPECT_EQ(t, clear_user((void *)UA_RO, sizeof(buf)), -EFAULT);
	KTEST_EXPECT_EQ(t, copy_from_user(buf, (const void *)UA_RO, sizeof(buf)), 0);
	KTEST_EXPECT_EQ(t, buf[0], 0);
	/* now present read-only (zero page): the write must still fail */
	KTEST_EXPECT_EQ(t, copy_to_user((void *)UA_RO, buf, sizeof(buf)), -EFAULT);
	ua_leave(&e);
}

static void t_clear_user_zeroes(struct ktest *t)
{
	static u8 out[PAGE_SIZE + 64], in[PAGE_SIZE + 64];
	struct ua_env e;

	if (!ua_enter(t, &e))
		return;
	fill(out, sizeof(out), 1);
	KTEST_ASSERT(t, copy_to_user((void *)UA_RW, out, sizeof(out)) == 0);
	KTEST_EXPECT_EQ(t, clear_user((void *)(UA_RW + 32), PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, copy_from_user(in, (const void *)UA_RW, sizeof(in)), 0);
	KTEST_EXPECT(t, !memcmp(in, out, 32));
	KTEST_EXPECT_EQ(t, in[32], 0);
	KTEST_EXPECT_EQ(t, in[PAGE_SIZE + 31], 0);
	KTEST_EXPECT_EQ(t, in[PAGE_SIZE + 32], out[PAGE_SIZE + 32]);
	ua_leave(&e);
}

static void t_strncpy_from_user(struct ktest *t)
{
	static const char str[] = "hello";
	char dst[16];
	struct ua_env e;
	uintptr_t tail = UA_HOLE - 3;	/* "abc" then the hole: no NUL */

	if (!ua_enter(t, &e))
		return;
	KTEST_ASSERT(t, copy_to_user((void *)UA_RW, str, sizeof(str)) == 0);
	KTEST_ASSERT(t, copy_to_user((void *)tail, "abc", 3) == 0);
	memset(dst, 'x', sizeof(dst));
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)UA_RW, sizeof(dst)), 5);
	KTEST_EXPECT(t, !strcmp(dst, "hello"));
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)UA_RW, 6), 5);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)UA_RW, 5), -ENAMETOOLONG);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)UA_RW, 0), -ENAMETOOLONG);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)UA_RW + 5, 4), 0);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)tail, sizeof(dst)), -EFAULT);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)tail, 3), -ENAMETOOLONG);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)UA_UNMAPPED, sizeof(dst)),
			-EFAULT);
	KTEST_EXPECT_EQ(t, strncpy_from_user(dst, (const char *)str, sizeof(dst)), -EFAULT);
	KTEST_EXPECT_EQ(t, read_rflags() & RFLAGS_AC, 0);
	ua_leave(&e);
}

/*
 * SMAP: outside the stac/clac window the kernel cannot read a present user
 * page; the access is refused (here through the probe's fixup), never served
 * as a user fault.
 */
static void t_smap_outside_window(struct ktest *t)
{
	struct ua_env e;
	u8 v;

	if (!cpu_features.smap) {
		ktest_skip(t, "CPU without SMAP");
		return;
	}
	if (!ua_enter(t, &e))
		return;
	KTEST_ASSERT(t, clear_user((void *)UA_RW, 8) == 0);	/* present now */
	KTEST_EXPECT_EQ(t, ktest_probe_read((const volatile u8 *)UA_RW, &v, NULL), -EFAULT);
	ua_leave(&e);
}

static const struct ktest_case uaccess_cases[] = {
	KTEST_CASE(t_range_check, "access_ok: user range only, no wrap, len 0 allowed"),
	KTEST_CASE(t_round_trip_faults_in,
		   "copy_to_user/copy_from_user round trip faults in untouched pages"),
	KTEST_CASE(t_read_untouched_is_zero, "copy_from_user of untouched anon memory reads zeros"),
	KTEST_CASE(t_unmapped_is_efault, "unmapped user address gives -EFAULT"),
	KTEST_CASE(t_kernel_address_is_efault,
		   "kernel address gives -EFAULT and the kernel memory is untouched"),
	KTEST_CASE(t_noncanonical_is_efault, "non-canonical address gives -EFAULT"),
	KTEST_CASE(t_runs_into_hole_is_efault,
		   "copy running from a mapped page into a hole gives -EFAULT after the head"),
	KTEST_CASE(t_read_only_mapping, "copy_to_user into a read-only mapping gives -EFAULT"),
	KTEST_CASE(t_clear_user_zeroes, "clear_user zeroes exactly the range across pages"),
	KTEST_CASE(t_strncpy_from_user, "strncpy_from_user: length, -ENAMETOOLONG, -EFAULT"),
	KTEST_CASE(t_smap_outside_window, "SMAP: kernel read of a user page outside stac faults"),
};

KTEST_SUITE(uaccess_suite, "uaccess", uaccess_cases);
