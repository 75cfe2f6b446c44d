/*
 * Portable description of a page fault (STYLE.md rules 1 and 2). The arch
 * layer turns the CPU's error code into FAULT_FLAG_* bits; mm returns a
 * vm_fault_t and never sends a signal itself.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

enum fault_flag {
	FAULT_FLAG_WRITE	= 1 << 0,	/* the access was a write */
	FAULT_FLAG_USER		= 1 << 1,	/* from user mode (CPL 3) */
	FAULT_FLAG_INSTRUCTION	= 1 << 2,	/* an instruction fetch */
	FAULT_FLAG_PROTECTION	= 1 << 3,	/* page present: a permission violation */
	FAULT_FLAG_RESERVED	= 1 << 4,	/* reserved bit set in an entry: corrupt table */
	FAULT_FLAG_PKEY		= 1 << 5,	/* protection-key violation */
	FAULT_FLAG_SHADOW_STACK	= 1 << 6,	/* shadow-stack access */
	/* how the fault may be served (docs/lock-order.md, "Page faults may sleep") */
	FAULT_FLAG_ALLOW_RETRY	= 1 << 8,	/* a handler may drop mmap_lock to wait and return VM_FAULT_RETRY */
	FAULT_FLAG_KILLABLE	= 1 << 9,	/* waits may end on a fatal signal */
	FAULT_FLAG_TRIED	= 1 << 10,	/* the retry: handlers wait holding mmap_lock */
};

/*
 * May a ->fault handler drop mmap_lock and return VM_FAULT_RETRY (the first
 * attempt of a fault that allows retrying)? Otherwise it waits holding it.
 */
static inline bool fault_flag_allow_retry_first(unsigned int flags)
{
	return (flags & FAULT_FLAG_ALLOW_RETRY) && !(flags & FAULT_FLAG_TRIED);
}

typedef unsigned int vm_fault_t;

enum vm_fault_reason {
	VM_FAULT_OOM		= 1 << 0,
	VM_FAULT_SIGBUS		= 1 << 1,
	VM_FAULT_SIGSEGV	= 1 << 2,
	VM_FAULT_MAJOR		= 1 << 3,	/* needed I/O */
	VM_FAULT_RETRY		= 1 << 4,	/* mmap_lock was dropped: retry (or, from
						   do_user_addr_fault: not served because a
						   fatal signal is pending) */
	VM_FAULT_NOPAGE		= 1 << 5,	/* handler installed the PTE itself, or the
						   page went away: the access just repeats */
	VM_FAULT_LOCKED		= 1 << 6,	/* ->fault / ->page_mkwrite returned the
						   page locked: unlock once it is mapped */
};

#define VM_FAULT_ERROR	(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

#endif
