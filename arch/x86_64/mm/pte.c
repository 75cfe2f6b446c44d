/*
 * x86-64 page-table entries: the arch half of include/mm/pgtable.h.
 *
 * Everything that knows a bit position of an entry lives here (and in
 * asm/pte_bits.h). Pure C with no privileged instruction, so the host unit
 * tests compile this very file.
 *
 * Folding: with 4-level paging the p4d level does not exist. The pgd
 * predicates then describe a level that is always "present and populated":
 * pgd_none() is false, pgd_present() is true and pgd_populate() does
 * nothing, while mm/pgtable.c's p4d_offset() returns the pgd entry itself.
 * The real top table is then read as the p4d table (level 4), indexed by
 * p4d_index(), which in that mode equals pgd_index().
 */
#include <mm/pgtable.h>
#include <asm/pte_bits.h>
#include <pagoda/printk.h>

unsigned int pgtable_levels = 4;
bool pgtable_has_pud_leaf;

/*
 * The NX bit when the CPU has it, else 0: without NX, bit 63 is reserved and
 * a PTE carrying it makes every access through it fault with RSVD set. Every
 * leaf of the kernel and of user space gets its protection from
 * arch_pgprot(), so this one mask keeps the bit out of all of them.
 */
static u64 pte_nx_mask = X86_PTE_NX;

void x86_pte_set_nx(bool supported)
{
	pte_nx_mask = supported ? X86_PTE_NX : 0;
}

/* Flags that every populated intermediate entry carries: the leaf alone
 * decides the effective permission (pgtable.h). */
#define X86_TABLE_FLAGS		(X86_PTE_P | X86_PTE_RW | X86_PTE_US)

/* ---- protections ---- */

/*
 * Encode PP_* as 4 KiB-pte bits. Present, except for PP_NONE (a
 * protnone leaf: X86_PTE_PROTNONE without P). x86 cannot express a
 * write- or exec-only page, so PP_READ is implied. No PP_EXEC means NX.
 * PP_NOCACHE selects PAT entry 3 (PCD|PWT), which is UC in the power-on
 * PAT. Accessed and dirty are left clear for the CPU to set. On a CPU
 * without NX nothing is non-executable: no PP_EXEC then sets no bit.
 */
pgprot_t arch_pgprot(unsigned int page_prot)
{
	u64 v = X86_PTE_P;

	if (page_prot & PP_NONE)
		return (pgprot_t){ X86_PTE_PROTNONE | pte_nx_mask };

	if (page_prot & PP_WRITE)
		v |= X86_PTE_RW;
	if (page_prot & PP_USER)
		v |= X86_PTE_US;
	if (page_prot & PP_GLOBAL)
		v |= X86_PTE_G;
	if (page_prot & PP_NOCACHE)
		v |= X86_PTE_PCD | X86_PTE_PWT;
	if (!(page_prot & PP_EXEC))
		v |= pte_nx_mask;
	return (pgprot_t){ v };
}

/* ---- indexes ---- */

static unsigned int va_index(uintptr_t va, unsigned int shift)
{
	return (unsigned int)(va >> shift) & (PTRS_PER_TABLE - 1);
}

/* Bits 48..56 with 5 levels; with 4 the top table is indexed by 39..47. */
unsigned int pgd_index(uintptr_t va)
{
	return va_index(va, pgtable_l5_enabled() ? 48 : 39);
}

/* Bits 39..47 in both modes (in 4-level mode the top table is the p4d). */
unsigned int p4d_index(uintptr_t va)
{
	return va_index(va, 39);
}

unsigned int pud_index(uintptr_t va)
{
	return va_index(va, PUD_SHIFT);
}

unsigned int pmd_index(uintptr_t va)
{
	return va_index(va, PMD_SHIFT);
}

unsigned int pte_index(uintptr_t va)
{
	return va_index(va, PAGE_SHIFT);
}

/* ---- predicates ---- */

bool pgd_none(pgd_t e)
{
	return pgtable_l5_enabled() && e.val == 0;
}

bool pgd_present(pgd_t e)
{
	return !pgtable_l5_enabled() || (e.val & X86_PTE_P);
}

bool p4d_none(p4d_t e)
{
	return e.val == 0;
}

bool p4d_present(p4d_t e)
{
	return e.val & X86_PTE_P;
}

bool pud_none(pud_t e)
{
	return e.val == 0;
}

bool pud_present(pud_t e)
{
	return e.val & X86_PTE_P;
}

bool pud_leaf(pud_t e)
{
	return (e.val & (X86_PTE_P | X86_PTE_PS)) == (X86_PTE_P | X86_PTE_PS);
}

bool pmd_none(pmd_t e)
{
	return e.val == 0;
}

bool pmd_present(pmd_t e)
{
	return e.val & X86_PTE_P;
}

bool pmd_leaf(pmd_t e)
{
	return (e.val & (X86_PTE_P | X86_PTE_PS)) == (X86_PTE_P | X86_PTE_PS);
}

bool pte_none(pte_t e)
{
	return e.val == 0;
}

bool pte_present(pte_t e)
{
	return e.val & (X86_PTE_P | X86_PTE_PROTNONE);
}

bool pte_protnone(pte_t e)
{
	return (e.val & (X86_PTE_P | X86_PTE_PROTNONE)) == X86_PTE_PROTNONE;
}

bool pte_write(pte_t e)
{
	return e.val & X86_PTE_RW;
}

bool pte_exec(pte_t e)
{
	return !(e.val & X86_PTE_NX);
}

bool pte_user(pte_t e)
{
	return e.val & X86_PTE_US;
}

bool pte_dirty(pte_t e)
{
	return e.val & X86_PTE_D;
}

bool pte_young(pte_t e)
{
	return e.val & X86_PTE_A;
}

/* ---- next-level tables ---- */

/* Meaningless when the p4d level is folded; mm/pgtable.c never asks then. */
phys_addr_t pgd_table(pgd_t e)
{
	return e.val & X86_PTE_ADDR_MASK;
}

phys_addr_t p4d_table(p4d_t e)
{
	return e.val & X86_PTE_ADDR_MASK;
}

phys_addr_t pud_table(pud_t e)
{
	return e.val & X86_PTE_ADDR_MASK;
}

phys_addr_t pmd_table(pmd_t e)
{
	return e.val & X86_PTE_ADDR_MASK;
}

/* ---- linking tables ---- */

static u64 table_entry(phys_addr_t table)
{
	BUG_ON(table & ~X86_PTE_ADDR_MASK);
	return table | X86_TABLE_FLAGS;
}

/* One whole-entry store, as set_pte() does. */
static void write_entry(u64 *p, u64 v)
{
	*(volatile u64 *)p = v;
}

void pgd_populate(pgd_t *e, phys_addr_t table)
{
	if (pgtable_l5_enabled())
		write_entry(&e->val, table_entry(table));
}

void p4d_populate(p4d_t *e, phys_addr_t table)
{
	write_entry(&e->val, table_entry(table));
}

void pud_populate(pud_t *e, phys_addr_t table)
{
	write_entry(&e->val, table_entry(table));
}

void pmd_populate(pmd_t *e, phys_addr_t table)
{
	write_entry(&e->val, table_entry(table));
}

/* ---- leaves ---- */

/*
 * pgprot_t is always in the 4 KiB-pte encoding (PAT at bit 7). A large leaf
 * keeps PAT at bit 12 and PS at bit 7; these two convert.
 */
static u64 prot_to_large(pgprot_t prot)
{
	u64 v = prot.val & ~(X86_PTE_ADDR_MASK | X86_PTE_PAT);

	if (prot.val & X86_PTE_PAT)
		v |= X86_PTE_PAT_LARGE;
	return v | X86_PTE_PS;
}

static pgprot_t large_to_prot(u64 leaf)
{
	u64 v = leaf & ~(X86_PTE_ADDR_MASK | X86_PTE_PS);

	if (leaf & X86_PTE_PAT_LARGE)
		v |= X86_PTE_PAT;
	return (pgprot_t){ v };
}

pte_t pfn_pte(pfn_t pfn, pgprot_t prot)
{
	phys_addr_t pa = PFN_PHYS(pfn);

	BUG_ON(pa & ~X86_PTE_ADDR_MASK);
	return (pte_t){ pa | (prot.val & ~X86_PTE_ADDR_MASK) };
}

pmd_t pfn_pmd_leaf(pfn_t pfn, pgprot_t prot)
{
	phys_addr_t pa = PFN_PHYS(pfn);

	BUG_ON(pa & ~X86_PMD_LEAF_ADDR_MASK);
	return (pmd_t){ pa | prot_to_large(prot) };
}

pud_t pfn_pud_leaf(pfn_t pfn, pgprot_t prot)
{
	phys_addr_t pa = PFN_PHYS(pfn);

	BUG_ON(pa & ~X86_PUD_LEAF_ADDR_MASK);
	return (pud_t){ pa | prot_to_large(prot) };
}

pfn_t pte_pfn(pte_t e)
{
	return PHYS_PFN(e.val & X86_PTE_ADDR_MASK);
}

pfn_t pmd_leaf_pfn(pmd_t e)
{
	return PHYS_PFN(e.val & X86_PMD_LEAF_ADDR_MASK);
}

pfn_t pud_leaf_pfn(pud_t e)
{
	return PHYS_PFN(e.val & X86_PUD_LEAF_ADDR_MASK);
}

/*
 * The protection of a large leaf in the encoding pfn_pte() and
 * pfn_pmd_leaf() take, so a split keeps it exactly (A, D, G, NX, cache
 * bits, protection key). Used by mm/pgtable.c; the prototypes are there
 * until include/mm/pgtable.h lists them.
 */
pgprot_t pmd_leaf_pgprot(pmd_t e)
{
	return large_to_prot(e.val);
}

pgprot_t pud_leaf_pgprot(pud_t e)
{
	return large_to_prot(e.val);
}

pte_t pte_mkwrite(pte_t e)
{
	return (pte_t){ e.val | X86_PTE_RW };
}

pte_t pte_wrprotect(pte_t e)
{
	return (pte_t){ e.val & ~X86_PTE_RW };
}

pte_t pte_mkclean(pte_t e)
{
	return (pte_t){ e.val & ~X86_PTE_D };
}

pte_t pte_mkold(pte_t e)
{
	return (pte_t){ e.val & ~X86_PTE_A };
}

pte_t pte_mkdirty(pte_t e)
{
	return (pte_t){ e.val | X86_PTE_D };
}

pte_t pte_mkyoung(pte_t e)
{
	return (pte_t){ e.val | X86_PTE_A };
}

pte_t pte_modify(pte_t e, pgprot_t prot)
{
	u64 keep = X86_PTE_ADDR_MASK | X86_PTE_A | X86_PTE_D;

	return (pte_t){ (e.val & keep) | (prot.val & ~keep) };
}

/* ---- diagnostics ---- */

/* A bounded string builder: counts everything, stores what fits. */
struct desc_buf {
	char *buf;
	size_t len;
	size_t pos;
};

static void desc_putc(struct desc_buf *d, char c)
{
	if (d->pos + 1 < d->len)
		d->buf[d->pos] = c;
	d->pos++;
}

static void desc_puts(struct desc_buf *d, const char *s)
{
	while (*s)
		desc_putc(d, *s++);
}

/* A space-separated word. */
static void desc_word(struct desc_buf *d, const char *s)
{
	if (d->pos)
		desc_putc(d, ' ');
	desc_puts(d, s);
}

static void desc_hex(struct desc_buf *d, u64 v)
{
	int shift = 60;

	desc_puts(d, "0x");
	while (shift > 0 && !((v >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		desc_putc(d, "0123456789abcdef"[(v >> shift) & 0xf]);
}

static void desc_finish(struct desc_buf *d)
{
	if (d->len)
		d->buf[d->pos < d->len ? d->pos : d->len - 1] = '\0';
}

/* The flag words of a present entry at @level; returns its address mask. */
static u64 describe_flags(struct desc_buf *d, u64 e, unsigned int level)
{
	bool large = (level == 3 || level == 2) && (e & X86_PTE_PS);
	static const struct { u64 bit; const char *name; } common[] = {
		{ X86_PTE_P, "P" }, { X86_PTE_RW, "RW" }, { X86_PTE_US, "US" },
		{ X86_PTE_PWT, "PWT" }, { X86_PTE_PCD, "PCD" },
		{ X86_PTE_A, "A" }, { X86_PTE_D, "D" }, { X86_PTE_G, "G" },
		{ X86_PTE_NX, "NX" },
	};

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (e & common[i].bit)
			desc_word(d, common[i].name);
	if (e & X86_PTE_PS)
		desc_word(d, level == 1 ? "PAT" : large ? "PS" : "rsvd7");
	if (large && (e & X86_PTE_PAT_LARGE))
		desc_word(d, "PAT");
	if (e & X86_PTE_PKEY_MASK) {
		desc_word(d, "pkey=");
		desc_hex(d, (e & X86_PTE_PKEY_MASK) >> 59);
	}
	if (!large)
		return X86_PTE_ADDR_MASK;
	return level == 3 ? X86_PUD_LEAF_ADDR_MASK : X86_PMD_LEAF_ADDR_MASK;
}

int x86_pte_describe(u64 entry, unsigned int level, char *buf, size_t len)
{
	struct desc_buf d = { .buf = buf, .len = len, .pos = 0 };
	u64 addr_mask;

	if (level < 1 || level > 5) {
		d.pos = 0;
		desc_finish(&d);
		return -1;
	}
	if (entry == 0) {
		desc_word(&d, "none");
	} else if (level == 1 && (entry & (X86_PTE_P | X86_PTE_PROTNONE)) == X86_PTE_PROTNONE) {
		desc_word(&d, "protnone");	/* a PROT_NONE leaf: the frame is still held */
		if (entry & X86_PTE_A)
			desc_word(&d, "A");
		if (entry & X86_PTE_D)
			desc_word(&d, "D");
		desc_word(&d, "pfn=");
		desc_hex(&d, PHYS_PFN(entry & X86_PTE_ADDR_MASK));
	} else if (!(entry & X86_PTE_P)) {
		desc_word(&d, "not-present val=");
		desc_hex(&d, entry);
	} else {
		addr_mask = describe_flags(&d, entry, level);
		desc_word(&d, "pfn=");
		desc_hex(&d, PHYS_PFN(entry & addr_mask));
	}
	desc_finish(&d);
	return (int)d.pos;
}
