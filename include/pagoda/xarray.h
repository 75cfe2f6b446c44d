/*
 * A radix tree of pointers indexed by unsigned long (lib/xarray.c), the
 * index of every page cache: address_space->i_pages maps a page offset in
 * a file to its struct page. Host-compilable.
 *
 * Shape: nodes of XA_CHUNK_SIZE (64) slots, 6 index bits per level; a tree
 * of height h covers indexes [0, 64^h). The root is an entry itself when
 * only index 0 is used (height 0), else a node. Grows at the top on
 * demand, shrinks when the top node's only entry is its slot 0; a node
 * whose last entry is erased is freed and unlinked.
 *
 * Entries are non-NULL pointers with the low two bits clear (struct page
 * pointers and kmalloc'ed objects are 8-aligned); NULL in a slot means
 * empty.
 *
 * Marks: three independent bits per entry (XA_MARK_0..2: the page cache
 * uses them for dirty, writeback and towrite, as Linux). A node keeps, for
 * each mark, a bitmap of its slots under which the mark is set somewhere,
 * so xa_find() with a mark skips unmarked subtrees: tagged lookup is
 * proportional to the marked entries, not to the tree. Erasing an entry
 * clears its marks.
 *
 * Memory: nodes come from a dedicated kmem_cache (xa_init_cache() once at
 * boot, before the first insert; host tests call it too). Only xa_insert()
 * and xa_store() add nodes, and never allocate: they take nodes from a
 * caller-filled struct xa_spare, so they can run under the caller's
 * spinlock; when the spare is short they change nothing and say how many
 * nodes they need (the "drop the lock, allocate, retry" protocol of
 * Linux's xas_nomem()):
 *
 *	struct xa_spare spare = XA_SPARE_INIT;
 *	int err;
 *
 *	for (;;) {
 *		spin_lock(&mapping->i_pages_lock);
 *		err = xa_insert(&mapping->i_pages, index, page, &spare);
 *		spin_unlock(&mapping->i_pages_lock);
 *		if (err != -ENOMEM || xa_spare_fill(&spare, GFP_KERNEL))
 *			break;
 *	}
 *	xa_spare_release(&spare);
 *
 * Locking: none inside. Every call on one xarray must be serialised by
 * the owner's lock (readers included: there is no RCU), except that
 * xa_spare_fill()/xa_spare_release() touch only the spare and may sleep.
 */
#ifndef PAGODA_XARRAY_H
#define PAGODA_XARRAY_H

#include <pagoda/types.h>
#include <mm/pmm.h>		/* gfp_t */

#define XA_CHUNK_SHIFT	6
#define XA_CHUNK_SIZE	(1UL << XA_CHUNK_SHIFT)
/* Height of a tree covering every unsigned long index: ceil(64 / 6). */
#define XA_MAX_HEIGHT	11

typedef unsigned int xa_mark_t;
#define XA_MARK_0	0U
#define XA_MARK_1	1U
#define XA_MARK_2	2U
#define XA_MARK_MAX	XA_MARK_2
#define XA_NR_MARKS	3
/* xa_find()'s filter for "any entry, marked or not". */
#define XA_PRESENT	8U

/*
 * A node: public so that tests can walk and check the tree; only
 * lib/xarray.c changes one. A node of shift s sits s / 6 levels above the
 * entries (shift 0: its slots are entries, else child nodes) and covers
 * 64 << s indexes. Invariants (between calls):
 *   count == popcount(present) > 0 (an empty node is freed at once);
 *   bit i of present is set iff slots[i] != NULL;
 *   bit i of marks[m] is set iff slots[i] is an entry with mark m, or a
 *   child node whose marks[m] is not 0 (so an empty slot has no marks);
 *   a child's parent and offset say where it hangs.
 */
struct xa_node {
	struct xa_node *parent;		/* NULL for the top node */
	unsigned char shift;		/* index bits below this node's slots */
	unsigned char offset;		/* slot in the parent */
	unsigned char count;		/* slots in use */
	u64 present;			/* bit per slot in use */
	u64 marks[XA_NR_MARKS];		/* bit per slot with the mark below it */
	void *slots[XA_CHUNK_SIZE];
};

struct xarray {
	void *xa_head;			/* NULL, the entry at 0 (height 0), or a node */
	unsigned int xa_height;		/* levels of nodes: xa_head is a node iff > 0 */
	unsigned int xa_marks;		/* height 0: bit m set iff the entry at 0 has mark m */
	unsigned long xa_count;		/* entries stored */
};

#define XARRAY_INIT	{ NULL, 0, 0, 0 }

/*
 * The most nodes one insert can need: a tree whose only entry is at index
 * 0 (height 0) given an entry at ULONG_MAX grows 11 levels on the path of
 * index 0 and needs 10 more below the new top on the path of ULONG_MAX.
 */
#define XA_SPARE_MAX	(2 * XA_MAX_HEIGHT - 1)

/* Nodes an xa_insert()/xa_store() may take; filled outside any lock. */
struct xa_spare {
	struct xa_node *node[XA_SPARE_MAX];
	unsigned int nr;		/* nodes held in node[0..nr) */
	unsigned int want;		/* set by a call that ran short: nodes it needs */
};

#define XA_SPARE_INIT	{ { NULL }, 0, 0 }

/*
 * Create the node cache. 0 or -ENOMEM. Once, before the first insert (a
 * second call does nothing); the kernel calls it from a subsys_initcall.
 */
int xa_init_cache(void);
/* Nodes taken from the node cache and not yet freed, spares included (tests). */
unsigned long xa_nodes_in_use(void);
/* Give the node cache's empty slabs back to the page allocator; pages freed. */
unsigned long xa_shrink_cache(void);

static inline void xa_init(struct xarray *xa)
{
	xa->xa_head = NULL;
	xa->xa_height = 0;
	xa->xa_marks = 0;
	xa->xa_count = 0;
}

static inline bool xa_empty(const struct xarray *xa)
{
	return xa->xa_count == 0;
}

/* The entry at @index, or NULL. */
void *xa_load(const struct xarray *xa, unsigned long index);

/*
 * Store @entry (non-NULL, low two bits clear) at @index where nothing is:
 * 0; -EEXIST if an entry is there (nothing changes); -ENOMEM if the tree
 * needs more nodes than @spare holds (nothing changes; spare->want says
 * how many it needs in all). Never allocates, never sleeps. The new entry
 * has no marks.
 */
int xa_insert(struct xarray *xa, unsigned long index, void *entry, struct xa_spare *spare);

/*
 * Store @entry at @index, replacing what is there (its marks are kept
 * when @entry is non-NULL); @entry NULL erases. Returns the old entry (or
 * NULL) through @old unless @old is NULL. 0 or -ENOMEM as xa_insert().
 */
int xa_store(struct xarray *xa, unsigned long index, void *entry, void **old,
	     struct xa_spare *spare);

/* Remove the entry at @index (and its marks); returns it, or NULL. Frees emptied nodes. */
void *xa_erase(struct xarray *xa, unsigned long index);

/*
 * Top @spare up to spare->want nodes (at least one, at most XA_SPARE_MAX),
 * from the node cache with @gfp. 0, or -ENOMEM (what was allocated stays
 * in @spare). Sleeps with GFP_KERNEL.
 */
int xa_spare_fill(struct xa_spare *spare, gfp_t gfp);
/* Free the nodes @spare still holds. */
void xa_spare_release(struct xa_spare *spare);

/* ---- marks ---- */

/* Set / clear @mark on the entry at @index; nothing if there is no entry. */
void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
/* Is @mark set on the entry at @index? */
bool xa_get_mark(const struct xarray *xa, unsigned long index, xa_mark_t mark);
/* Is @mark set on any entry? O(1). */
bool xa_marked(const struct xarray *xa, xa_mark_t mark);

/* ---- lookup in order ---- */

/*
 * The first entry at an index in [*@index, @max] that has @filter
 * (XA_MARK_0..2, or XA_PRESENT for any entry); its index goes to *@index.
 * NULL (and *@index unspecified) if none. Skips subtrees without @filter.
 */
void *xa_find(const struct xarray *xa, unsigned long *index, unsigned long max,
	      xa_mark_t filter);
/*
 * As xa_find() but strictly after *@index (the next step of a walk);
 * NULL when *@index is ULONG_MAX.
 */
void *xa_find_after(const struct xarray *xa, unsigned long *index, unsigned long max,
		    xa_mark_t filter);

/*
 * Up to @n entries with @filter at indexes [*@start, @max], in index
 * order, into @entries (and their indexes into @indexes if non-NULL).
 * Returns how many; *@start is left just after the last one returned, or
 * at @max + 1 when fewer than @n were found. Either wraps to 0 past
 * ULONG_MAX, so a walk is over when a call returns fewer than @n or
 * leaves *@start at 0. With *@start > @max: 0, *@start unchanged. For
 * batched lookups (fault-around, writeback).
 */
unsigned int xa_extract(const struct xarray *xa, void **entries, unsigned long *indexes,
			unsigned long *start, unsigned long max, unsigned int n,
			xa_mark_t filter);

/* Each entry with index in [first, last], in order: for (entry = ...; entry; ...). */
#define xa_for_each_range(xa, index, entry, first, last)			\
	for ((index) = (first), (entry) = xa_find((xa), &(index), (last), XA_PRESENT); \
	     (entry);								\
	     (entry) = xa_find_after((xa), &(index), (last), XA_PRESENT))

#define xa_for_each(xa, index, entry)	\
	xa_for_each_range(xa, index, entry, 0, ~0UL)

/*
 * Remove every entry and free every node (not the entries: the caller
 * walks them first if it owns them). The xarray is empty after.
 */
void xa_destroy(struct xarray *xa);

#endif
