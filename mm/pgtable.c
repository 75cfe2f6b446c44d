/*
 * The generic half of include/mm/pgtable.h: offsets, table allocation, map,
 * unmap, lookup and the recorded walk. Written once for 4- and 5-level
 * paging: every bit of an entry is read through the arch functions, and the
 * folded p4d level is handled by p4d_folded() and p4d_offset() (with the
 * arch, pgd_none() is false and pgd_populate() a no-op when folded).
 *
 * Host-compilable; no arch header.
 *
 * Locking: none here. The owner of a struct page_table serialises every
 * call on it (today: one CPU, kernel_pt changed at boot and by tests; later
 * mm->page_table_lock).
 *
 * TLB discipline: pt_map() only replaces none entries and never flushes.
 * pt_unmap() flushes every leaf it clears (arch_flush_tlb_page() on each
 * 4 KiB address, once at the base of a large leaf) and, when it unlinked
 * table pages, ends with arch_flush_tlb_all() before giving them back to the
 * allocator, so no cached upper-level entry can point into a reused page.
 */
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/arch.h>
#include <mm/tlb.h>
#include <pagoda/compiler.h>
#include <pagoda/errno.h>
#include <pagoda/list.h>
#include <pagoda/printk.h>

/* Geometry above the pud level: 9 index bits per level, as below it. */
#define P4D_SHIFT	(PUD_SHIFT + 9)
#define P4D_SIZE	(1UL << P4D_SHIFT)

static unsigned int pgdir_shift(void)
{
	return pgtable_l5_enabled() ? P4D_SHIFT + 9 : P4D_SHIFT;
}

/*
 * The end of the naturally aligned block of size 2^@shift that holds @addr,
 * or @end if that comes first. Correct when the block or the range ends at
 * the top of the address space (end == 0).
 */
static uintptr_t block_end(uintptr_t addr, uintptr_t end, unsigned int shift)
{
	uintptr_t boundary = (addr + (1UL << shift)) & ~((1UL << shift) - 1);

	return boundary - 1 < end - 1 ? boundary : end;
}

/* Does [addr, next) cover exactly one whole naturally aligned @size block? */
static bool covers_block(uintptr_t addr, uintptr_t next, size_t size)
{
	return IS_ALIGNED(addr, size) && next - addr == size;
}

/* ---- offsets and the p4d fold ---- */

pgd_t *pgd_offset_pgd(pgd_t *pgd_base, uintptr_t va)
{
	return pgd_base + pgd_index(va);
}

/*
 * The p4d fold. With 4 levels the pgd entry is the p4d entry and there is no
 * p4d table to allocate or free; these two functions and the pgd_*()
 * predicates of the arch are the only places that know.
 */
static bool p4d_folded(void)
{
	return !pgtable_l5_enabled();
}

p4d_t *p4d_offset(pgd_t *pgd, uintptr_t va)
{
	if (p4d_folded())
		return (p4d_t *)pgd;
	return (p4d_t *)phys_to_virt(pgd_table(*pgd)) + p4d_index(va);
}

pud_t *pud_offset(p4d_t *p4d, uintptr_t va)
{
	return (pud_t *)phys_to_virt(p4d_table(*p4d)) + pud_index(va);
}

pmd_t *pmd_offset(pud_t *pud, uintptr_t va)
{
	return (pmd_t *)phys_to_virt(pud_table(*pud)) + pmd_index(va);
}

pte_t *pte_offset(pmd_t *pmd, uintptr_t va)
{
	return (pte_t *)phys_to_virt(pmd_table(*pmd)) + pte_index(va);
}

/* Whole-entry stores for the levels pgtable.h has no setter for. */
static void set_pmd(pmd_t *p, pmd_t v)
{
	WRITE_ONCE(p->val, v.val);
}

static void set_pud(pud_t *p, pud_t v)
{
	WRITE_ONCE(p->val, v.val);
}

/* ---- table pages ---- */

/*
 * Allocate one zeroed table page from pt->pmm, flagged PG_pgtable and
 * counted in nr_table_pages. NULL on -ENOMEM. Links nothing. Never sleeps
 * (GFP_NOWAIT): kernel mappings are made under ioremap_lock.
 */
static struct page *table_alloc(struct page_table *pt)
{
	struct page *pg = pmm_alloc_pages(pt->pmm, 0, GFP_NOWAIT | __GFP_ZERO);

	if (!pg)
		return NULL;
	page_set_flag(pg, PG_pgtable);
	pt->nr_table_pages++;
	return pg;
}

static phys_addr_t table_phys(struct page_table *pt, struct page *pg)
{
	return PFN_PHYS(pmm_page_to_pfn(pt->pmm, pg));
}

/*
 * The struct page of table @table if this hierarchy owns it (allocated by
 * table_alloc() from pt->pmm), else NULL: tables built by someone else (the
 * loader's boot tables) are never freed here.
 */
static struct page *owned_table(struct page_table *pt, phys_addr_t table)
{
	pfn_t pfn = PHYS_PFN(table);
	struct page *pg;

	if (!pmm_has_pfn(pt->pmm, pfn))
		return NULL;
	pg = pmm_pfn_to_page(pt->pmm, pfn);
	return page_test_flag(pg, PG_pgtable) ? pg : NULL;
}

/*
 * Give a table page back to the allocator. The caller has made sure no CPU
 * can still reach it: unlinked and flushed, or the hierarchy is dead.
 */
static void table_free(struct page_table *pt, struct page *pg)
{
	page_clear_flag(pg, PG_pgtable);
	pt->nr_table_pages--;
	pmm_free_pages(pt->pmm, pg, 0);
}

int pt_init(struct page_table *pt, struct pmm *pmm)
{
	struct page *pg;

	pt->pmm = pmm;
	pt->nr_table_pages = 0;
	pt->pinned_from = PTRS_PER_TABLE;
	pg = table_alloc(pt);
	if (!pg) {
		pt->pgd = NULL;
		return -ENOMEM;
	}
	pt->pgd = (pgd_t *)phys_to_virt(table_phys(pt, pg));
	return 0;
}

/* ---- pinned top-level entries (the shared kernel half) ---- */

/* Is the top-level entry @pgd of @pt pinned (shared with other hierarchies)? */
static bool top_entry_pinned(const struct page_table *pt, const pgd_t *pgd)
{
	return (unsigned int)(pgd - pt->pgd) >= pt->pinned_from;
}

/* The lowest canonical address whose top-level index is @i. */
static uintptr_t top_index_addr(unsigned int i)
{
	unsigned int shift = pgdir_shift();
	uintptr_t va = (uintptr_t)i << shift;

	/* sign-extend from the top bit the paging mode translates */
	if (i >= PTRS_PER_TABLE / 2)
		va |= ~((1UL << (shift + 9)) - 1);
	return va;
}

int pt_pin_top_level(struct page_table *pt, unsigned int from)
{
	for (unsigned int i = from; i < PTRS_PER_TABLE; i++) {
		uintptr_t va = top_index_addr(i);
		p4d_t *p4d = p4d_alloc(pt, &pt->pgd[i], va);

		/* with 4 levels the pgd entry is the p4d: give it a pud table */
		if (!p4d || (p4d_folded() && !pud_alloc(pt, p4d, va)))
			return -ENOMEM;
	}
	pt->pinned_from = from;
	return 0;
}

void pt_share_pinned(struct page_table *dst, const struct page_table *src)
{
	for (unsigned int i = src->pinned_from; i < PTRS_PER_TABLE; i++) {
		if (dst->pgd[i].val != 0)
			panic("pt_share_pinned: entry %u of the target is in use", i);
		WRITE_ONCE(dst->pgd[i].val, src->pgd[i].val);
	}
	dst->pinned_from = src->pinned_from;
}

/* ---- allocation walk ---- */

p4d_t *p4d_alloc(struct page_table *pt, pgd_t *pgd, uintptr_t va)
{
	if (pgd_none(*pgd)) {			/* never true when folded */
		struct page *pg = table_alloc(pt);

		if (!pg)
			return NULL;
		pgd_populate(pgd, table_phys(pt, pg));
	}
	return p4d_offset(pgd, va);
}

pud_t *pud_alloc(struct page_table *pt, p4d_t *p4d, uintptr_t va)
{
	if (p4d_none(*p4d)) {
		struct page *pg = table_alloc(pt);

		if (!pg)
			return NULL;
		p4d_populate(p4d, table_phys(pt, pg));
	}
	return pud_offset(p4d, va);
}

pmd_t *pmd_alloc(struct page_table *pt, pud_t *pud, uintptr_t va)
{
	if (pud_leaf(*pud))
		panic("pmd_alloc: %#lx is inside a 1 GiB leaf", (unsigned long)va);
	if (pud_none(*pud)) {
		struct page *pg = table_alloc(pt);

		if (!pg)
			return NULL;
		pud_populate(pud, table_phys(pt, pg));
	}
	return pmd_offset(pud, va);
}

pte_t *pte_alloc(struct page_table *pt, pmd_t *pmd, uintptr_t va)
{
	if (pmd_leaf(*pmd))
		panic("pte_alloc: %#lx is inside a 2 MiB leaf", (unsigned long)va);
	if (pmd_none(*pmd)) {
		struct page *pg = table_alloc(pt);

		if (!pg)
			return NULL;
		pmd_populate(pmd, table_phys(pt, pg));
	}
	return pte_offset(pmd, va);
}

/* ---- map ---- */

/* What one pt_map() call installs: pa = va + delta (mod 2^64). */
struct map_req {
	phys_addr_t delta;
	pgprot_t prot;
	enum pt_map_flags flags;
};

/* May [addr, next) be one large leaf of @size at this level? */
static bool map_large_here(const struct map_req *req, uintptr_t addr,
			   uintptr_t next, size_t size)
{
	return (req->flags & PT_MAP_LARGE) && covers_block(addr, next, size) &&
	       IS_ALIGNED(addr + req->delta, size);
}

/* 4 KiB leaves for [addr, end), inside one pmd entry. 0, -ENOMEM, -EEXIST. */
static int map_pte_range(struct page_table *pt, pmd_t *pmd, uintptr_t addr,
			 uintptr_t end, const struct map_req *req)
{
	pte_t *pte = pte_alloc(pt, pmd, addr);

	if (!pte)
		return -ENOMEM;
	for (; addr != end; addr += PAGE_SIZE, pte++) {
		if (!pte_none(*pte))
			return -EEXIST;
		set_pte(pte, pfn_pte(PHYS_PFN(addr + req->delta), req->prot));
	}
	return 0;
}

/*
 * [addr, end) inside one pud entry: a 2 MiB leaf for each whole, aligned,
 * still empty pmd entry when asked, 4 KiB leaves elsewhere.
 */
static int map_pmd_range(struct page_table *pt, pud_t *pud, uintptr_t addr,
			 uintptr_t end, const struct map_req *req)
{
	pmd_t *pmd = pmd_alloc(pt, pud, addr);
	uintptr_t next;
	int err;

	if (!pmd)
		return -ENOMEM;
	do {
		next = block_end(addr, end, PMD_SHIFT);
		if (pmd_leaf(*pmd))
			return -EEXIST;
		if (pmd_none(*pmd) && map_large_here(req, addr, next, PMD_SIZE)) {
			set_pmd(pmd, pfn_pmd_leaf(PHYS_PFN(addr + req->delta),
						  req->prot));
			continue;
		}
		err = map_pte_range(pt, pmd, addr, next, req);
		if (err)
			return err;
	} while (pmd++, addr = next, addr != end);
	return 0;
}

/* [addr, end) inside one p4d entry: 1 GiB leaves where allowed, else below. */
static int map_pud_range(struct page_table *pt, p4d_t *p4d, uintptr_t addr,
			 uintptr_t end, const struct map_req *req)
{
	pud_t *pud = pud_alloc(pt, p4d, addr);
	uintptr_t next;
	int err;

	if (!pud)
		return -ENOMEM;
	do {
		next = block_end(addr, end, PUD_SHIFT);
		if (pud_leaf(*pud))
			return -EEXIST;
		if (pud_none(*pud) && pgtable_has_pud_leaf &&
		    map_large_here(req, addr, next, PUD_SIZE)) {
			set_pud(pud, pfn_pud_leaf(PHYS_PFN(addr + req->delta),
						  req->prot));
			continue;
		}
		err = map_pmd_range(pt, pud, addr, next, req);
		if (err)
			return err;
	} while (pud++, addr = next, addr != end);
	return 0;
}

/* [addr, end) inside one pgd entry (one p4d entry when folded). */
static int map_p4d_range(struct page_table *pt, pgd_t *pgd, uintptr_t addr,
			 uintptr_t end, const struct map_req *req)
{
	p4d_t *p4d = p4d_alloc(pt, pgd, addr);
	uintptr_t next;
	int err;

	if (!p4d)
		return -ENOMEM;
	do {
		next = block_end(addr, end, P4D_SHIFT);
		err = map_pud_range(pt, p4d, addr, next, req);
		if (err)
			return err;
	} while (p4d++, addr = next, addr != end);
	return 0;
}

/*
 * See pgtable.h. Walks in address order, so on -EEXIST everything below the
 * offending page is mapped and nothing above it; on -ENOMEM likewise below
 * the failed allocation. A failure may leave an empty table linked, which
 * pt_unmap() of the range or pt_destroy() frees.
 */
int pt_map(struct page_table *pt, uintptr_t va, phys_addr_t pa, size_t size,
	   pgprot_t prot, enum pt_map_flags flags)
{
	struct map_req req = { .delta = pa - va, .prot = prot, .flags = flags };
	uintptr_t addr = va, end = va + size, next;
	int err;

	if (!IS_ALIGNED(va | pa | size, PAGE_SIZE))
		panic("pt_map: unaligned va %#lx pa %#llx size %#zx",
		      (unsigned long)va, (unsigned long long)pa, size);
	if (size == 0)
		return 0;
	do {
		next = block_end(addr, end, pgdir_shift());
		err = map_p4d_range(pt, pgd_offset_pgd(pt->pgd, addr), addr,
				    next, &req);
		if (err)
			return err;
		addr = next;
	} while (addr != end);
	return 0;
}

/* ---- unmap ---- */

/* State of one pt_unmap() call. */
struct unmap_ctx {
	struct page_table *pt;
	struct list_head unlinked;	/* table pages to free after the flush */
};

static bool pte_table_empty(const pte_t *t)
{
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pte_none(t[i]))
			return false;
	return true;
}

static bool pmd_table_empty(const pmd_t *t)
{
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pmd_none(t[i]))
			return false;
	return true;
}

static bool pud_table_empty(const pud_t *t)
{
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pud_none(t[i]))
			return false;
	return true;
}

static bool p4d_table_empty(const p4d_t *t)
{
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (!p4d_none(t[i]))
			return false;
	return true;
}

/*
 * Take an emptied table that @entry links out of the hierarchy: clear the
 * entry and queue the page for freeing after the final flush. Tables this
 * hierarchy does not own stay linked.
 */
static void unlink_table(struct unmap_ctx *ctx, u64 *entry, phys_addr_t table)
{
	struct page *pg = owned_table(ctx->pt, table);

	if (!pg)
		return;
	WRITE_ONCE(*entry, 0);
	list_add(&pg->lru, &ctx->unlinked);
}

/*
 * Replace the 2 MiB leaf at @pmd by a table of 512 4 KiB leaves with the
 * same frames and protection. The translation is unchanged, so nothing is
 * flushed here; the caller clears and flushes part of it right after.
 * 0 or -ENOMEM (leaf untouched).
 */
static int split_pmd_leaf(struct page_table *pt, pmd_t *pmd)
{
	pgprot_t prot = pmd_leaf_pgprot(*pmd);
	pfn_t pfn = pmd_leaf_pfn(*pmd);
	struct page *pg = table_alloc(pt);
	pte_t *t;

	if (!pg)
		return -ENOMEM;
	t = (pte_t *)phys_to_virt(table_phys(pt, pg));
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		set_pte(&t[i], pfn_pte(pfn + i, prot));
	pmd_populate(pmd, table_phys(pt, pg));
	return 0;
}

/* As split_pmd_leaf(), for a 1 GiB leaf into 512 2 MiB leaves. */
static int split_pud_leaf(struct page_table *pt, pud_t *pud)
{
	pgprot_t prot = pud_leaf_pgprot(*pud);
	pfn_t pfn = pud_leaf_pfn(*pud);
	struct page *pg = table_alloc(pt);
	pmd_t *t;

	if (!pg)
		return -ENOMEM;
	t = (pmd_t *)phys_to_virt(table_phys(pt, pg));
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		set_pmd(&t[i], pfn_pmd_leaf(pfn + i * (PMD_SIZE / PAGE_SIZE),
					    prot));
	pud_populate(pud, table_phys(pt, pg));
	return 0;
}

/* Clear the 4 KiB leaves of [addr, end) inside one pmd entry. */
static void unmap_pte_range(pmd_t *pmd, uintptr_t addr, uintptr_t end)
{
	pte_t *pte = pte_offset(pmd, addr);

	for (; addr != end; addr += PAGE_SIZE, pte++) {
		pte_t old = *pte;

		if (pte_none(old))
			continue;
		pte_clear(pte);
		if (pte_present(old))
			arch_flush_tlb_page(addr);
	}
}

/* [addr, end) inside one pud entry. 0 or -ENOMEM from a split. */
static int unmap_pmd_range(struct unmap_ctx *ctx, pud_t *pud, uintptr_t addr,
			   uintptr_t end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	uintptr_t next;
	int err;

	do {
		next = block_end(addr, end, PMD_SHIFT);
		if (!pmd_present(*pmd))
			continue;
		if (pmd_leaf(*pmd)) {
			if (covers_block(addr, next, PMD_SIZE)) {
				set_pmd(pmd, (pmd_t){ 0 });
				arch_flush_tlb_page(addr);
				continue;
			}
			err = split_pmd_leaf(ctx->pt, pmd);
			if (err)
				return err;
		}
		unmap_pte_range(pmd, addr, next);
		if (pte_table_empty(pte_offset(pmd, 0)))
			unlink_table(ctx, &pmd->val, pmd_table(*pmd));
	} while (pmd++, addr = next, addr != end);
	return 0;
}

/* [addr, end) inside one p4d entry. 0 or -ENOMEM from a split. */
static int unmap_pud_range(struct unmap_ctx *ctx, p4d_t *p4d, uintptr_t addr,
			   uintptr_t end)
{
	pud_t *pud = pud_offset(p4d, addr);
	uintptr_t next;
	int err;

	do {
		next = block_end(addr, end, PUD_SHIFT);
		if (!pud_present(*pud))
			continue;
		if (pud_leaf(*pud)) {
			if (covers_block(addr, next, PUD_SIZE)) {
				set_pud(pud, (pud_t){ 0 });
				arch_flush_tlb_page(addr);
				continue;
			}
			err = split_pud_leaf(ctx->pt, pud);
			if (err)
				return err;
		}
		err = unmap_pmd_range(ctx, pud, addr, next);
		if (pmd_table_empty(pmd_offset(pud, 0)))
			unlink_table(ctx, &pud->val, pud_table(*pud));
		if (err)
			return err;
	} while (pud++, addr = next, addr != end);
	return 0;
}

/*
 * [addr, end) inside one pgd entry; with 5 levels also frees the p4d table
 * below it if that empties (with 4 there is none: the root is never freed).
 */
static int unmap_p4d_range(struct unmap_ctx *ctx, pgd_t *pgd, uintptr_t addr,
			   uintptr_t end)
{
	p4d_t *p4d = p4d_offset(pgd, addr);
	bool pinned = top_entry_pinned(ctx->pt, pgd);
	uintptr_t next;
	int err = 0;

	do {
		next = block_end(addr, end, P4D_SHIFT);
		if (!p4d_present(*p4d))
			continue;
		err = unmap_pud_range(ctx, p4d, addr, next);
		/* folded, the p4d entry is the pinned top-level entry itself */
		if (!(pinned && p4d_folded()) && pud_table_empty(pud_offset(p4d, 0)))
			unlink_table(ctx, &p4d->val, p4d_table(*p4d));
		if (err)
			break;
	} while (p4d++, addr = next, addr != end);

	if (!p4d_folded() && !pinned && p4d_table_empty(p4d_offset(pgd, 0)))
		unlink_table(ctx, &pgd->val, pgd_table(*pgd));
	return err;
}

/*
 * See pgtable.h. Never frees the root. A split that fails leaves
 * everything below it unmapped and everything from it on as it was.
 */
int pt_unmap(struct page_table *pt, uintptr_t va, size_t size)
{
	struct unmap_ctx ctx = { .pt = pt };
	uintptr_t addr = va, end = va + size, next;
	struct list_head *pos, *tmp;
	int err = 0;

	if (!IS_ALIGNED(va | size, PAGE_SIZE))
		panic("pt_unmap: unaligned va %#lx size %#zx",
		      (unsigned long)va, size);
	if (size == 0)
		return 0;
	list_init(&ctx.unlinked);
	do {
		pgd_t *pgd = pgd_offset_pgd(pt->pgd, addr);

		next = block_end(addr, end, pgdir_shift());
		if (pgd_present(*pgd))
			err = unmap_p4d_range(&ctx, pgd, addr, next);
		addr = next;
	} while (!err && addr != end);

	if (list_empty(&ctx.unlinked))
		return err;
	arch_flush_tlb_all();
	list_for_each_safe(pos, tmp, &ctx.unlinked) {
		list_del(pos);
		table_free(pt, list_entry(pos, struct page, lru));
	}
	return err;
}

/* ---- freeing the tables of an emptied user range ---- */

/*
 * State of one pt_free_range() call: tables whose whole span lies in
 * [floor, last] may go (last = ceiling - 1, so ceiling 0 means the top);
 * @flush collects the first address each unlinked table mapped.
 */
struct free_ctx {
	struct unmap_ctx u;
	uintptr_t floor, last;
	struct tlb_batch flush;
};

/* Does the naturally aligned block of 2^@shift bytes holding @addr lie in [floor, last]? */
static bool block_freeable(const struct free_ctx *c, uintptr_t addr, unsigned int shift)
{
	uintptr_t base = addr & ~((1UL << shift) - 1);

	return base >= c->floor && base + ((1UL << shift) - 1) <= c->last;
}

/*
 * Unlink the table @entry links, which maps from @base on, and remember
 * @base: flushing it drops the paging-structure cache entries that could
 * still lead to the table.
 */
static void free_unlink(struct free_ctx *c, u64 *entry, phys_addr_t table, uintptr_t base)
{
	unlink_table(&c->u, entry, table);
	tlb_batch_add(&c->flush, base);
}

/*
 * Unlink every table below the pmd table @table mapping from @base (its pte
 * tables) without reading a pte: the caller's promise is that none maps
 * anything.
 */
static void free_pmd_children(struct free_ctx *c, phys_addr_t table, uintptr_t base)
{
	pmd_t *t = (pmd_t *)phys_to_virt(table);

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (pmd_present(t[i]) && !pmd_leaf(t[i]))
			free_unlink(c, &t[i].val, pmd_table(t[i]), base + i * PMD_SIZE);
}

static void free_pud_children(struct free_ctx *c, phys_addr_t table, uintptr_t base)
{
	pud_t *t = (pud_t *)phys_to_virt(table);

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		uintptr_t at = base + i * PUD_SIZE;

		if (!pud_present(t[i]) || pud_leaf(t[i]))
			continue;
		free_pmd_children(c, pud_table(t[i]), at);
		free_unlink(c, &t[i].val, pud_table(t[i]), at);
	}
}

static void free_p4d_children(struct free_ctx *c, phys_addr_t table, uintptr_t base)
{
	p4d_t *t = (p4d_t *)phys_to_virt(table);

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		uintptr_t at = base + i * P4D_SIZE;

		if (!p4d_present(t[i]))
			continue;
		free_pud_children(c, p4d_table(t[i]), at);
		free_unlink(c, &t[i].val, p4d_table(t[i]), at);
	}
}

/* The pte tables of [addr, end) inside one pud entry whose span may go. */
static void free_pmd_range(struct free_ctx *c, pud_t *pud, uintptr_t addr, uintptr_t end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	uintptr_t next;

	do {
		next = block_end(addr, end, PMD_SHIFT);
		if (pmd_present(*pmd) && !pmd_leaf(*pmd) && block_freeable(c, addr, PMD_SHIFT))
			free_unlink(c, &pmd->val, pmd_table(*pmd), addr & ~(PMD_SIZE - 1));
	} while (pmd++, addr = next, addr != end);
}

/* [addr, end) inside one p4d entry: whole pmd tables, else their pte tables. */
static void free_pud_range(struct free_ctx *c, p4d_t *p4d, uintptr_t addr, uintptr_t end)
{
	pud_t *pud = pud_offset(p4d, addr);
	uintptr_t next;

	do {
		next = block_end(addr, end, PUD_SHIFT);
		if (!pud_present(*pud) || pud_leaf(*pud))
			continue;
		if (block_freeable(c, addr, PUD_SHIFT)) {
			uintptr_t base = addr & ~(PUD_SIZE - 1);

			free_pmd_children(c, pud_table(*pud), base);
			free_unlink(c, &pud->val, pud_table(*pud), base);
		} else {
			free_pmd_range(c, pud, addr, next);
		}
	} while (pud++, addr = next, addr != end);
}

/*
 * [addr, end) inside one unpinned pgd entry: with 5 levels its p4d table and
 * everything below when the whole entry's span may go, else level by level
 * (with 4 the pgd entry is the p4d entry: the loop runs once).
 */
static void free_p4d_range(struct free_ctx *c, pgd_t *pgd, uintptr_t addr, uintptr_t end)
{
	p4d_t *p4d;
	uintptr_t next;

	if (!p4d_folded() && block_freeable(c, addr, pgdir_shift())) {
		uintptr_t base = addr & ~((1UL << pgdir_shift()) - 1);

		free_p4d_children(c, pgd_table(*pgd), base);
		free_unlink(c, &pgd->val, pgd_table(*pgd), base);
		return;
	}
	p4d = p4d_offset(pgd, addr);
	do {
		next = block_end(addr, end, P4D_SHIFT);
		if (!p4d_present(*p4d))
			continue;
		if (block_freeable(c, addr, P4D_SHIFT)) {
			uintptr_t base = addr & ~(P4D_SIZE - 1);

			free_pud_children(c, p4d_table(*p4d), base);
			free_unlink(c, &p4d->val, p4d_table(*p4d), base);
		} else {
			free_pud_range(c, p4d, addr, next);
		}
	} while (p4d++, addr = next, addr != end);
}

/*
 * See pgtable.h. Decides from addresses alone, as Linux's free_pgd_range():
 * reads no pte, and an upper-level table only when it frees it whole.
 */
void pt_free_range(struct page_table *pt, uintptr_t start, uintptr_t end,
		   uintptr_t floor, uintptr_t ceiling)
{
	struct free_ctx c;
	struct list_head *pos, *tmp;
	uintptr_t addr = start, next;

	c.u.pt = pt;
	c.floor = floor;
	c.last = ceiling - 1;
	tlb_batch_init(&c.flush);

	if (!IS_ALIGNED(start | end | floor | ceiling, PAGE_SIZE) || start >= end ||
	    floor > start || end - 1 > c.last)
		panic("pt_free_range: bad range [%#lx, %#lx) in [%#lx, %#lx)",
		      (unsigned long)start, (unsigned long)end, (unsigned long)floor,
		      (unsigned long)ceiling);
	list_init(&c.u.unlinked);
	do {
		pgd_t *pgd = pgd_offset_pgd(pt->pgd, addr);

		next = block_end(addr, end, pgdir_shift());
		if (pgd_present(*pgd) && !top_entry_pinned(pt, pgd))
			free_p4d_range(&c, pgd, addr, next);
		addr = next;
	} while (addr != end);

	if (list_empty(&c.u.unlinked))
		return;
	tlb_batch_flush(&c.flush);
	list_for_each_safe(pos, tmp, &c.u.unlinked) {
		list_del(pos);
		table_free(pt, list_entry(pos, struct page, lru));
	}
}

/* ---- destroy ---- */

static void destroy_pmd_table(struct page_table *pt, phys_addr_t table)
{
	pmd_t *t = (pmd_t *)phys_to_virt(table);
	struct page *pg;

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		if (!pmd_present(t[i]) || pmd_leaf(t[i]))
			continue;
		pg = owned_table(pt, pmd_table(t[i]));
		if (pg)
			table_free(pt, pg);
	}
	pg = owned_table(pt, table);
	if (pg)
		table_free(pt, pg);
}

static void destroy_pud_table(struct page_table *pt, phys_addr_t table)
{
	pud_t *t = (pud_t *)phys_to_virt(table);
	struct page *pg;

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (pud_present(t[i]) && !pud_leaf(t[i]))
			destroy_pmd_table(pt, pud_table(t[i]));
	pg = owned_table(pt, table);
	if (pg)
		table_free(pt, pg);
}

/* Everything below one pgd entry, and its p4d table unless folded. */
static void destroy_p4d_level(struct page_table *pt, pgd_t *pgd)
{
	p4d_t *t = p4d_offset(pgd, 0);
	unsigned int n = p4d_folded() ? 1 : PTRS_PER_TABLE;
	struct page *pg;

	for (unsigned int i = 0; i < n; i++)
		if (p4d_present(t[i]))
			destroy_pud_table(pt, p4d_table(t[i]));
	if (p4d_folded())
		return;
	pg = owned_table(pt, pgd_table(*pgd));
	if (pg)
		table_free(pt, pg);
}

/*
 * See pgtable.h. The hierarchy must not be loaded on any CPU: nothing is
 * flushed. Frees only tables it owns and never goes below a pinned entry;
 * the frames leaves point to are the caller's.
 */
void pt_destroy(struct page_table *pt)
{
	struct page *root;

	if (!pt->pgd)
		return;
	for (unsigned int i = 0; i < pt->pinned_from; i++)
		if (pgd_present(pt->pgd[i]))
			destroy_p4d_level(pt, &pt->pgd[i]);
	root = owned_table(pt, virt_to_phys(pt->pgd));
	BUG_ON(!root);
	table_free(pt, root);
	WARN_ON(pt->nr_table_pages != 0);
	pt->pgd = NULL;
}

/* ---- lookup ---- */

pte_t *pt_lookup_pte(struct page_table *pt, uintptr_t va)
{
	pgd_t *pgd = pgd_offset_pgd(pt->pgd, va);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	if (!pgd_present(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, va);
	if (!p4d_present(*p4d))
		return NULL;
	pud = pud_offset(p4d, va);
	if (!pud_present(*pud) || pud_leaf(*pud))
		return NULL;
	pmd = pmd_offset(pud, va);
	if (!pmd_present(*pmd) || pmd_leaf(*pmd))
		return NULL;
	return pte_offset(pmd, va);
}

bool pt_translate(struct page_table *pt, uintptr_t va, phys_addr_t *pa)
{
	pgd_t *pgd = pgd_offset_pgd(pt->pgd, va);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	if (!pgd_present(*pgd))
		return false;
	p4d = p4d_offset(pgd, va);
	if (!p4d_present(*p4d))
		return false;
	pud = pud_offset(p4d, va);
	if (!pud_present(*pud))
		return false;
	if (pud_leaf(*pud)) {
		*pa = PFN_PHYS(pud_leaf_pfn(*pud)) + (va & (PUD_SIZE - 1));
		return true;
	}
	pmd = pmd_offset(pud, va);
	if (!pmd_present(*pmd))
		return false;
	if (pmd_leaf(*pmd)) {
		*pa = PFN_PHYS(pmd_leaf_pfn(*pmd)) + (va & (PMD_SIZE - 1));
		return true;
	}
	pte = pte_offset(pmd, va);
	if (!pte_present(*pte) || pte_protnone(*pte))	/* the CPU would not translate */
		return false;
	*pa = PFN_PHYS(pte_pfn(*pte)) + (va & (PAGE_SIZE - 1));
	return true;
}

/* ---- recorded walk ---- */

/* Append the step that reads *@entry, a table entry at @level. */
static void walk_step(struct pt_walk *w, unsigned int level, const void *entry)
{
	struct pt_walk_step *s = &w->step[w->nr_steps++];
	uintptr_t p = (uintptr_t)entry;

	s->level = level;
	s->table = virt_to_phys((const void *)(p & ~(PAGE_SIZE - 1)));
	s->index = (unsigned int)((p & (PAGE_SIZE - 1)) / sizeof(u64));
	s->entry = *(const u64 *)entry;
}

/* ---- walking the tables of a range ---- */

struct range_walk {
	const struct pt_range_ops *ops;
	void *ctx;
};

/*
 * An upper-level entry at @level that is not none: true if it links a
 * table to enter; else (non-present, or a @leaf) it goes to ->bad_entry.
 */
static bool range_walk_enter(const struct range_walk *w, u64 val, bool present, bool leaf,
			     unsigned int level, uintptr_t addr)
{
	if (present && !leaf)
		return true;
	if (w->ops->bad_entry)
		w->ops->bad_entry(w->ctx, val, present, level, addr);
	return false;
}

static void range_walk_table(const struct range_walk *w, phys_addr_t table,
			     unsigned int level, uintptr_t addr)
{
	if (w->ops->table)
		w->ops->table(w->ctx, table, level, addr);
}

static int range_walk_pmds(const struct range_walk *w, pud_t *pud, uintptr_t addr,
			   uintptr_t end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	uintptr_t next;
	int err;

	for (; addr != end; addr = next, pmd++) {
		bool present = pmd_present(*pmd);

		next = block_end(addr, end, PMD_SHIFT);
		if (pmd_none(*pmd) ||
		    !range_walk_enter(w, pmd->val, present, present && pmd_leaf(*pmd), 2, addr))
			continue;
		range_walk_table(w, pmd_table(*pmd), 1, addr);
		err = w->ops->pte_range(w->ctx, pmd, addr, next);
		if (err)
			return err;
	}
	return 0;
}

static int range_walk_puds(const struct range_walk *w, p4d_t *p4d, uintptr_t addr,
			   uintptr_t end)
{
	pud_t *pud = pud_offset(p4d, addr);
	uintptr_t next;
	int err;

	for (; addr != end; addr = next, pud++) {
		bool present = pud_present(*pud);

		next = block_end(addr, end, PUD_SHIFT);
		if (pud_none(*pud) ||
		    !range_walk_enter(w, pud->val, present, present && pud_leaf(*pud), 3, addr))
			continue;
		range_walk_table(w, pud_table(*pud), 2, addr);
		err = range_walk_pmds(w, pud, addr, next);
		if (err)
			return err;
	}
	return 0;
}

/* With 4 levels p4d_offset() is the pgd entry and the loop runs once. */
static int range_walk_p4ds(const struct range_walk *w, pgd_t *pgd, uintptr_t addr,
			   uintptr_t end)
{
	p4d_t *p4d = p4d_offset(pgd, addr);
	uintptr_t next;
	int err;

	for (; addr != end; addr = next, p4d++) {
		next = block_end(addr, end, P4D_SHIFT);
		if (p4d_none(*p4d) ||
		    !range_walk_enter(w, p4d->val, p4d_present(*p4d), false, 4, addr))
			continue;
		range_walk_table(w, p4d_table(*p4d), 3, addr);
		err = range_walk_puds(w, p4d, addr, next);
		if (err)
			return err;
	}
	return 0;
}

/* See pgtable.h. */
int pt_walk_range(struct page_table *pt, uintptr_t start, uintptr_t end,
		  const struct pt_range_ops *ops, void *ctx)
{
	const struct range_walk w = { .ops = ops, .ctx = ctx };
	pgd_t *pgd = pgd_offset_pgd(pt->pgd, start);
	uintptr_t addr, next;
	int err;

	if (end - 1 < start)
		return 0;
	for (addr = start; addr != end; addr = next, pgd++) {
		next = block_end(addr, end, pgdir_shift());
		if (pgtable_l5_enabled()) {
			if (pgd_none(*pgd) ||
			    !range_walk_enter(&w, pgd->val, pgd_present(*pgd), false, 5, addr))
				continue;
			range_walk_table(&w, pgd_table(*pgd), 4, addr);
		}
		err = range_walk_p4ds(&w, pgd, addr, next);
		if (err)
			return err;
	}
	return 0;
}

/*
 * See pgtable.h. Reads through the direct map and allocates nothing, so the
 * oops path may call it on any root; a level that is folded gets no step.
 */
void pt_walk_record(phys_addr_t root, uintptr_t va, struct pt_walk *w)
{
	pgd_t *pgd = pgd_offset_pgd((pgd_t *)phys_to_virt(root), va);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	w->nr_steps = 0;
	if (!p4d_folded()) {
		walk_step(w, 5, pgd);
		if (!pgd_present(*pgd))
			return;
	}
	p4d = p4d_offset(pgd, va);
	walk_step(w, 4, p4d);
	if (!p4d_present(*p4d))
		return;
	pud = pud_offset(p4d, va);
	walk_step(w, 3, pud);
	if (!pud_present(*pud) || pud_leaf(*pud))
		return;
	pmd = pmd_offset(pud, va);
	walk_step(w, 2, pmd);
	if (!pmd_present(*pmd) || pmd_leaf(*pmd))
		return;
	walk_step(w, 1, pte_offset(pmd, va));
}
