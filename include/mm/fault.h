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
};

typedef unsigned int vm_fault_t;

enum vm_fault_reason {
	VM_FAULT_OOM		= 1 << 0,
	VM_FAULT_SIGBUS		= 1 << 1,
	VM_FAULT_SIGSEGV	= 1 << 2,
	VM_FAULT_MAJOR		= 1 << 3,	/* needed I/O */
	VM_FAULT_RETRY		= 1 << 4,
	VM_FAULT_NOPAGE		= 1 << 5,	/* handler installed the PTE itself */
};

#define VM_FAULT_ERROR	(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

#endif
