/*
 * x86-64 page-table entry bits (Intel SDM vol. 3A, 4.5; AMD APM vol. 2, 5.3).
 * Arch-only: nothing under mm/ includes this; mm/ sees entries through
 * include/mm/pgtable.h. Definitions and the NX switch of pte.c;
 * host-compilable.
 *
 * One layout serves every level, with two positions that depend on it:
 *   bit 7   PS in a pud/pmd entry (1 GiB / 2 MiB leaf), PAT in a 4 KiB pte,
 *           reserved (must be 0) in pgd/p4d entries;
 *   bit 12  PAT in a large leaf, the lowest address bit everywhere else.
 * The physical address occupies bits 12..51 (MAXPHYADDR is at most 52);
 * bits 52..58 are ignored by the CPU, 59..62 hold the protection key of a
 * leaf when CR4.PKE is on, and 63 is NX (with EFER.NXE; reserved on a CPU
 * without NX).
 */
#ifndef ASM_PTE_BITS_H
#define ASM_PTE_BITS_H

#include <pagoda/types.h>

#define X86_PTE_P		(1ULL << 0)	/* present */
#define X86_PTE_RW		(1ULL << 1)	/* writable */
#define X86_PTE_US		(1ULL << 2)	/* user accessible */
#define X86_PTE_PWT		(1ULL << 3)	/* write-through */
#define X86_PTE_PCD		(1ULL << 4)	/* cache disable */
#define X86_PTE_A		(1ULL << 5)	/* accessed */
#define X86_PTE_D		(1ULL << 6)	/* dirty (leaves only) */
#define X86_PTE_PS		(1ULL << 7)	/* pud/pmd: this entry is a leaf */
#define X86_PTE_PAT		(1ULL << 7)	/* 4 KiB pte: PAT index bit 2 */
#define X86_PTE_G		(1ULL << 8)	/* global (leaves only) */
#define X86_PTE_PAT_LARGE	(1ULL << 12)	/* large leaf: PAT index bit 2 */
#define X86_PTE_PKEY_MASK	(0xfULL << 59)	/* protection key (leaves) */
#define X86_PTE_NX		(1ULL << 63)	/* no execute */
/*
 * Software: a user leaf of a PROT_NONE mapping (Linux's _PAGE_PROTNONE).
 * P is clear, so the CPU faults on every access, kernel ones included,
 * while the entry keeps its frame and A/D bits for mm/. Shares G's
 * position: G means nothing in an entry whose P is clear, and no user
 * leaf is ever global.
 */
#define X86_PTE_PROTNONE	X86_PTE_G

/* Physical address of the next table or of a 4 KiB frame. */
#define X86_PTE_ADDR_MASK	0x000ffffffffff000ULL
/* Physical address of a large leaf: excludes PAT (bit 12) and the reserved
 * bits below the leaf's alignment. */
#define X86_PMD_LEAF_ADDR_MASK	0x000fffffffe00000ULL	/* 2 MiB leaf */
#define X86_PUD_LEAF_ADDR_MASK	0x000fffffc0000000ULL	/* 1 GiB leaf */

/*
 * Whether the CPU has NX (cpu_detect_features() says so once, before any
 * table is built; the default is yes). Without it arch_pgprot() never sets
 * X86_PTE_NX, which would be a reserved bit (arch/x86_64/mm/pte.c).
 */
void x86_pte_set_nx(bool supported);

/*
 * Write a human-readable decoding of @entry, read from a table at @level
 * (5 = pgd .. 1 = pte, as in include/mm/pgtable.h), into @buf, e.g.
 * "P RW US A D NX PS pfn=0x1234". @level decides what bits 7 and 12 mean:
 * PS at levels 3 and 2 (and then PAT at 12 and a leaf-aligned pfn), PAT at
 * level 1, reserved ("rsvd7") at levels 5 and 4. A zero entry reads "none";
 * a non-present one "not-present val=0x...".
 *
 * Like snprintf: always NUL terminates when @len > 0, returns the length
 * the full text needs (excluding the NUL), or -1 if @level is not 1..5.
 */
int x86_pte_describe(u64 entry, unsigned int level, char *buf, size_t len);

#endif
