/*
 * The portable page-table API (STYLE.md rule 5). Host-compilable.
 *
 * Levels, top to bottom: pgd -> p4d -> pud -> pmd -> pte. The number of live
 * levels is a run-time property (pgtable_levels, 4 or 5, chosen at boot):
 * with 4 levels the p4d level is folded, as Linux does it — pgd_none() is
 * always false, pgd_populate() does nothing and p4d_offset(pgd, va) returns
 * the pgd entry itself, so walkers are written once for both modes.
 *
 * Only the arch layer (arch/x86_64/mm/pte.c) knows the bit layout of an entry;
 * everything here that looks at bits is an arch function. mm/pgtable.c holds
 * the generic walk, allocation, map and unmap built on top.
 *
 * Entries live in table pages reached through the direct map
 * (phys_to_virt()). Levels are numbered for diagnostics: 5 = pgd (in 5-level
 * mode), 4 = p4d (the top table in 4-level mode), 3 = pud, 2 = pmd, 1 = pte.
 */
#ifndef MM_PGTABLE_H
#define MM_PGTABLE_H

#include <pagoda/types.h>

struct pmm;

typedef struct { u64 val; } pgd_t;
typedef struct { u64 val; } p4d_t;
typedef struct { u64 val; } pud_t;
typedef struct { u64 val; } pmd_t;
typedef struct { u64 val; } pte_t;
typedef struct { u64 val; } pgprot_t;	/* arch-encoded protection bits */

#define PTRS_PER_TABLE	512
#define PMD_SHIFT	21
#define PUD_SHIFT	30
#define PMD_SIZE	(1UL << PMD_SHIFT)	/* 2 MiB: a pmd leaf */
#define PUD_SIZE	(1UL << PUD_SHIFT)	/* 1 GiB: a pud leaf */

/* ---- run-time geometry, set by the arch at boot (host tests set it) ---- */

extern unsigned int pgtable_levels;	/* 4 or 5 */
extern bool pgtable_has_pud_leaf;	/* CPU supports 1 GiB leaves */

static inline bool pgtable_l5_enabled(void)
{
	return pgtable_levels == 5;
}

/* ---- portable protections -> arch encoding ---- */

enum page_prot {
	PP_READ		= 1 << 0,	/* x86 cannot map write- or exec-only */
	PP_WRITE	= 1 << 1,
	PP_EXEC		= 1 << 2,
	PP_USER		= 1 << 3,
	PP_GLOBAL	= 1 << 4,	/* kernel mappings kept across CR3 loads */
	PP_NOCACHE	= 1 << 5,	/* MMIO */
	/*
	 * No access at all (a PROT_NONE vma): the entry is not present to
	 * the CPU, so user and kernel accesses both fault, but it still
	 * holds its frame (pte_present(), pte_pfn()) and its A/D bits, as
	 * Linux's protnone. Every other PP_* bit is ignored.
	 */
	PP_NONE		= 1 << 6,
};

pgprot_t arch_pgprot(unsigned int page_prot);

/* ---- arch: indexes of @va at each level ---- */

unsigned int pgd_index(uintptr_t va);
unsigned int p4d_index(uintptr_t va);
unsigned int pud_index(uintptr_t va);
unsigned int pmd_index(uintptr_t va);
unsigned int pte_index(uintptr_t va);

/* ---- arch: entry predicates ---- */

bool pgd_none(pgd_t e);
bool pgd_present(pgd_t e);
bool p4d_none(p4d_t e);
bool p4d_present(p4d_t e);
bool pud_none(pud_t e);
bool pud_present(pud_t e);
bool pud_leaf(pud_t e);		/* maps a 1 GiB page */
bool pmd_none(pmd_t e);
bool pmd_present(pmd_t e);
bool pmd_leaf(pmd_t e);		/* maps a 2 MiB page */
bool pte_none(pte_t e);
/* Holds a frame: present to the CPU, or a protnone leaf (PP_NONE). */
bool pte_present(pte_t e);
/* A PP_NONE leaf: holds a frame, but the CPU faults on every access. */
bool pte_protnone(pte_t e);
bool pte_write(pte_t e);
bool pte_exec(pte_t e);
bool pte_user(pte_t e);
bool pte_dirty(pte_t e);
bool pte_young(pte_t e);

/* ---- arch: next-level table of a present, non-leaf entry ---- */

phys_addr_t pgd_table(pgd_t e);
phys_addr_t p4d_table(p4d_t e);
phys_addr_t pud_table(pud_t e);
phys_addr_t pmd_table(pmd_t e);

/*
 * ---- arch: link a zeroed table page below an entry ----
 * Intermediate entries are present, writable and user-accessible; the leaf
 * alone decides the effective permission. pgd_populate() is a no-op when the
 * p4d level is folded.
 */
void pgd_populate(pgd_t *e, phys_addr_t table);
void p4d_populate(p4d_t *e, phys_addr_t table);
void pud_populate(pud_t *e, phys_addr_t table);
void pmd_populate(pmd_t *e, phys_addr_t table);

/* ---- arch: leaves ---- */

pte_t pfn_pte(pfn_t pfn, pgprot_t prot);
pmd_t pfn_pmd_leaf(pfn_t pfn, pgprot_t prot);	/* pfn 2 MiB aligned */
pud_t pfn_pud_leaf(pfn_t pfn, pgprot_t prot);	/* pfn 1 GiB aligned */
/* Protection of a large leaf, in the encoding pfn_pte()/pfn_pmd_leaf() take (for splits). */
pgprot_t pmd_leaf_pgprot(pmd_t e);
pgprot_t pud_leaf_pgprot(pud_t e);
pfn_t pte_pfn(pte_t e);
pfn_t pmd_leaf_pfn(pmd_t e);
pfn_t pud_leaf_pfn(pud_t e);
pte_t pte_mkwrite(pte_t e);
pte_t pte_wrprotect(pte_t e);
pte_t pte_mkclean(pte_t e);
pte_t pte_mkold(pte_t e);
pte_t pte_mkdirty(pte_t e);
pte_t pte_mkyoung(pte_t e);
/*
 * @e (a leaf holding a frame) with the protection @prot: the frame and
 * the Accessed and Dirty bits the CPU set are kept, everything else comes
 * from @prot. Every change of a live leaf's permissions (mprotect) goes
 * through it, so no Dirty bit, hence no file data, is lost.
 */
pte_t pte_modify(pte_t e, pgprot_t prot);

static inline bool pte_same(pte_t a, pte_t b)
{
	return a.val == b.val;
}

/* Entries are written whole, so a concurrent hardware walk never sees half. */
static inline void set_pte(pte_t *p, pte_t v)
{
	*(volatile u64 *)&p->val = v.val;
}

static inline void pte_clear(pte_t *p)
{
	*(volatile u64 *)&p->val = 0;
}

/* ---- generic offsets (mm/pgtable.c) ---- */

pgd_t *pgd_offset_pgd(pgd_t *pgd_base, uintptr_t va);
p4d_t *p4d_offset(pgd_t *pgd, uintptr_t va);	/* folded: returns (p4d_t *)pgd */
pud_t *pud_offset(p4d_t *p4d, uintptr_t va);
pmd_t *pmd_offset(pud_t *pud, uintptr_t va);
pte_t *pte_offset(pmd_t *pmd, uintptr_t va);

/*
 * ---- a page-table hierarchy (mm/pgtable.c) ----
 * The kernel's own tables are one instance; each address space gets one in
 * the user-space issue. Table pages come from and return to @pmm.
 * Not locked: the owner serialises (later: mm->page_table_lock).
 */
struct page_table {
	pgd_t *pgd;			/* top table, direct-map address */
	struct pmm *pmm;
	unsigned long nr_table_pages;	/* live table pages, root included */
	/*
	 * First top-level index whose entries are pinned: the tables they
	 * link are shared with other hierarchies (the kernel half of every
	 * address space), so pt_unmap() and pt_destroy() never clear those
	 * entries nor free those tables (tables further down may be freed by
	 * pt_unmap() when they empty, which every sharer sees at once).
	 * PTRS_PER_TABLE (pt_init()'s default): nothing pinned.
	 */
	unsigned int pinned_from;
};

/* Allocate a zeroed root, nothing pinned. 0 or -ENOMEM. */
int pt_init(struct page_table *pt, struct pmm *pmm);

/*
 * Free every table page of the hierarchy (not the frames leaves point to),
 * except what the pinned top-level entries link.
 */
void pt_destroy(struct page_table *pt);

/*
 * Give every top-level entry from index @from on a next-level table (a p4d
 * table with 5 levels, a pud table with 4) and pin them (pinned_from =
 * @from), so mappings made there later show up in every hierarchy that
 * copied the entries with pt_share_pinned(). kmap_build() does this for the
 * kernel half (256 pages). 0 or -ENOMEM (what was allocated stays linked).
 */
int pt_pin_top_level(struct page_table *pt, unsigned int from);

/*
 * Copy @src's pinned top-level entries into @dst and pin them in @dst too.
 * @dst's own entries there must be empty. Allocates nothing.
 */
void pt_share_pinned(struct page_table *dst, const struct page_table *src);

/*
 * Return the entry at the next level for @va, allocating a zeroed table page
 * if the entry is none. NULL on -ENOMEM. Do not call through a leaf.
 */
p4d_t *p4d_alloc(struct page_table *pt, pgd_t *pgd, uintptr_t va);
pud_t *pud_alloc(struct page_table *pt, p4d_t *p4d, uintptr_t va);
pmd_t *pmd_alloc(struct page_table *pt, pud_t *pud, uintptr_t va);
pte_t *pte_alloc(struct page_table *pt, pmd_t *pmd, uintptr_t va);

enum pt_map_flags {
	PT_MAP_4K	= 0,		/* only 4 KiB leaves */
	PT_MAP_LARGE	= 1 << 0,	/* 2 MiB / 1 GiB leaves where aligned */
};

/*
 * Map [va, va + size) to [pa, pa + size) with @prot. va, pa, size page
 * aligned. Returns 0, -ENOMEM (what was mapped stays mapped) or -EEXIST if
 * a page in the range is already mapped (nothing after it is mapped). Does
 * not flush the TLB: new mappings replace only non-present entries.
 */
int pt_map(struct page_table *pt, uintptr_t va, phys_addr_t pa, size_t size,
	   pgprot_t prot, enum pt_map_flags flags);

/*
 * Unmap [va, va + size): clear the leaves, flush each from the TLB and free
 * every table page that becomes empty. A large leaf only partly inside the
 * range is split first. Returns 0 or -ENOMEM (split failed).
 */
int pt_unmap(struct page_table *pt, uintptr_t va, size_t size);

/*
 * Free the tables of an emptied user range without looking for entries, as
 * Linux's free_pgd_range(): every table that maps only addresses inside
 * [floor, ceiling) (ceiling 0: up to the top) and is reached from
 * [start, end), with all tables below it, is unlinked; then the first
 * address each unlinked table mapped is flushed (arch_flush_tlb_page(),
 * which also drops the cached upper-level entries that led to the table;
 * past TLB_FLUSH_CEILING tables arch_flush_tlb_all()), and they go back to
 * the pmm.
 * A table that also maps something outside [floor, ceiling) stays, even if
 * empty. The caller promises that no leaf maps anything in [floor,
 * ceiling) (munmap passes the end of the previous vma and the start of the
 * next one, after zapping the range). Pinned top-level entries and tables
 * the hierarchy does not own are left alone. Everything page aligned,
 * floor <= start < end <= ceiling, else a panic. Allocates nothing.
 */
void pt_free_range(struct page_table *pt, uintptr_t start, uintptr_t end,
		   uintptr_t floor, uintptr_t ceiling);

/* The 4 KiB-level pte for @va, or NULL if a level above is none or a leaf. */
pte_t *pt_lookup_pte(struct page_table *pt, uintptr_t va);

/* Translate @va as the CPU would; false if not mapped (or protnone). Handles large leaves. */
bool pt_translate(struct page_table *pt, uintptr_t va, phys_addr_t *pa);

/*
 * ---- walking the tables of a range (mm/pgtable.c) ----
 * pt_walk_range() descends every present, non-leaf upper-level entry that
 * covers part of [start, end) (end == 0: up to the top of the address
 * space; start >= end otherwise: nothing), top-down in address order, and
 * for each present last-level (pte) table calls ->pte_range with the part
 * of the range that table maps: [start, end) inside one 2 MiB block. It
 * never looks at a pte itself: which ptes count is the callback's business.
 *
 * Skipped: none entries, silently, with their whole block. An upper-level
 * entry (level 5..2) that is not none but is no table to enter either -
 * non-present, or a large leaf (a present 1 GiB pud or 2 MiB pmd leaf) -
 * is handed to ->bad_entry if set, then its whole block is skipped; the
 * walk never enters or splits a large leaf. ->table, if set, is told of
 * every table page entered below the root (level 4 p4d, with 5 levels
 * only, down to 1 pte), before what is under it, with the first address
 * of the range it covers.
 *
 * A nonzero return from ->pte_range stops the walk and is returned; else 0.
 * Allocates nothing, changes no entry and takes no lock: the caller holds
 * whatever keeps the tables from changing under it (page_table_lock), or
 * knows the callbacks may be the only writers of the ptes they are given.
 */
struct pt_range_ops {
	int (*pte_range)(void *ctx, pmd_t *pmd, uintptr_t start, uintptr_t end);
	void (*table)(void *ctx, phys_addr_t table, unsigned int level, uintptr_t va);
	void (*bad_entry)(void *ctx, u64 val, bool present, unsigned int level, uintptr_t va);
};

int pt_walk_range(struct page_table *pt, uintptr_t start, uintptr_t end,
		  const struct pt_range_ops *ops, void *ctx);

/*
 * Record the walk of @va from the top table at @root: one step per level
 * visited, top first, stopping after a non-present entry or a leaf. Used by
 * the oops page walk and by tests.
 */
struct pt_walk_step {
	unsigned int level;		/* 5..1, see top of file */
	phys_addr_t table;		/* physical address of the table read */
	unsigned int index;		/* entry index within that table */
	u64 entry;			/* raw entry value */
};

struct pt_walk {
	unsigned int nr_steps;
	struct pt_walk_step step[5];
};

void pt_walk_record(phys_addr_t root, uintptr_t va, struct pt_walk *w);

#endif
