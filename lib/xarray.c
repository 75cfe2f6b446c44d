/*
 * The xarray (include/pagoda/xarray.h): a 64-way radix tree of pointers
 * with three marks. Host-compilable.
 *
 * Root: xa_height says what xa_head is. Height 0: xa_head is the entry at
 * index 0 (or NULL) and xa_marks holds that entry's marks. Height h > 0:
 * xa_head is the top node, of shift 6 * (h - 1), and every entry sits in
 * a node of shift 0 (a leaf), h levels down; the tree covers indexes
 * [0, 64^h) (all of them from h = 11, whose top node uses slots 0..15).
 *
 * Between calls the tree is minimal: no node is empty, xa_count == 0 iff
 * xa_head == NULL (then the height is 0), and the top node uses some slot
 * other than 0 (else the tree shrinks by a level).
 *
 * Inserts never allocate: nodes_needed() counts the nodes an insert will
 * create before it changes anything, and the insert then takes exactly
 * that many from the caller's spare, or returns -ENOMEM untouched.
 */
#include <pagoda/xarray.h>
#include <pagoda/errno.h>
#include <pagoda/init.h>
#include <pagoda/string.h>
#include <mm/slab.h>

#define XA_SLOT_MASK	(XA_CHUNK_SIZE - 1)
#define INDEX_BITS	(8 * sizeof(unsigned long))

static struct kmem_cache *xa_node_cache;

/* ---- index arithmetic ---- */

/* The last index a tree of @height covers: 64^height - 1, or ULONG_MAX. */
static unsigned long max_index(unsigned int height)
{
	if (height * XA_CHUNK_SHIFT >= INDEX_BITS)
		return ~0UL;
	return (1UL << (height * XA_CHUNK_SHIFT)) - 1;
}

/* The least height whose tree covers @index (0 for index 0). */
static unsigned int height_for(unsigned long index)
{
	unsigned int height = 0;

	while (index > max_index(height))
		height++;
	return height;
}

static unsigned int offset_in(const struct xa_node *node, unsigned long index)
{
	return (index >> node->shift) & XA_SLOT_MASK;
}

/*
 * The first index below slot @offset of @node, given any @index below
 * @node. A top node of shift 60 covers every index (its span would be a
 * shift by 66), so its base is 0.
 */
static unsigned long slot_first_index(const struct xa_node *node, unsigned long index,
				      unsigned int offset)
{
	unsigned int span = node->shift + XA_CHUNK_SHIFT;
	unsigned long base = span >= INDEX_BITS ? 0 : index >> span << span;

	return base + ((unsigned long)offset << node->shift);
}

static u64 slot_bit(unsigned int offset)
{
	return 1ULL << offset;
}

/* The slots from @offset up (none when @offset is 64). */
static u64 slots_from(unsigned int offset)
{
	return offset >= XA_CHUNK_SIZE ? 0 : ~0ULL << offset;
}

static bool is_mark(xa_mark_t mark)
{
	return mark <= XA_MARK_MAX;
}

/* ---- nodes and their slots ---- */

static void node_free(struct xa_node *node)
{
	kmem_cache_free(xa_node_cache, node);
}

/* A blank node of @shift from @spare, which the caller checked is not empty. */
static struct xa_node *take_spare(struct xa_spare *spare, unsigned int shift)
{
	struct xa_node *node = spare->node[--spare->nr];

	spare->node[spare->nr] = NULL;
	memset(node, 0, sizeof(*node));
	node->shift = (unsigned char)shift;
	return node;
}

static void slot_fill(struct xa_node *node, unsigned int offset, void *ptr)
{
	node->slots[offset] = ptr;
	node->present |= slot_bit(offset);
	node->count++;
}

/* Empty slot @offset of @node, its marks included. */
static void slot_clear(struct xa_node *node, unsigned int offset)
{
	node->slots[offset] = NULL;
	node->present &= ~slot_bit(offset);
	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		node->marks[m] &= ~slot_bit(offset);
	node->count--;
}

/* Hang @child at slot @offset of @node. */
static void link_child(struct xa_node *node, unsigned int offset, struct xa_node *child)
{
	child->parent = node;
	child->offset = (unsigned char)offset;
	slot_fill(node, offset, child);
}

/* Which marks slot @offset of @node has: bit m for mark m. */
static unsigned int slot_marks(const struct xa_node *node, unsigned int offset)
{
	unsigned int marks = 0;

	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		if (node->marks[m] & slot_bit(offset))
			marks |= 1U << m;
	return marks;
}

/* Which marks are set anywhere below @node: bit m for mark m. */
static unsigned int node_marks(const struct xa_node *node)
{
	unsigned int marks = 0;

	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		if (node->marks[m])
			marks |= 1U << m;
	return marks;
}

static void set_slot_marks(struct xa_node *node, unsigned int offset, unsigned int marks)
{
	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		if (marks & (1U << m))
			node->marks[m] |= slot_bit(offset);
}

/*
 * Set @mark on slot @offset of @node and on the slots above it. Stops at
 * the first slot already marked: everything above it is, by the invariant.
 */
static void mark_up(struct xa_node *node, unsigned int offset, xa_mark_t mark)
{
	while (node && !(node->marks[mark] & slot_bit(offset))) {
		node->marks[mark] |= slot_bit(offset);
		offset = node->offset;
		node = node->parent;
	}
}

/*
 * Clear @mark on slot @offset of @node, and on the slot above a node
 * left with no slot marked, up the tree.
 */
static void unmark_up(struct xa_node *node, unsigned int offset, xa_mark_t mark)
{
	while (node) {
		node->marks[mark] &= ~slot_bit(offset);
		if (node->marks[mark])
			return;
		offset = node->offset;
		node = node->parent;
	}
}

/* After an entry below @node was removed: drop the marks it leaves unsupported above. */
static void unmark_ancestors(struct xa_node *node)
{
	if (!node->parent)
		return;
	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		if (!node->marks[m])
			unmark_up(node->parent, node->offset, m);
}

/* ---- walking down ---- */

/* The leaf node that would hold @index, or NULL (also at height 0). */
static struct xa_node *leaf_of(const struct xarray *xa, unsigned long index)
{
	struct xa_node *node;

	if (xa->xa_height == 0 || index > max_index(xa->xa_height))
		return NULL;
	node = xa->xa_head;
	while (node && node->shift > 0)
		node = node->slots[offset_in(node, index)];
	return node;
}

/* The slot holding (or that would hold) @index, or NULL if its leaf is missing. */
static void **slot_of(const struct xarray *xa, unsigned long index)
{
	struct xa_node *leaf;

	if (xa->xa_height == 0)
		return index == 0 ? (void **)&xa->xa_head : NULL;
	leaf = leaf_of(xa, index);
	return leaf ? &leaf->slots[index & XA_SLOT_MASK] : NULL;
}

void *xa_load(const struct xarray *xa, unsigned long index)
{
	void **slot = slot_of(xa, index);

	return slot ? *slot : NULL;
}

/* ---- insertion ---- */

/*
 * How many nodes storing an entry at the empty @index creates. Growing
 * from height h to @height makes @height - h nodes on the path of index
 * 0; @index lies above the old range, so its offset in the new top node
 * is not 0 and every node below the top on its path is new too.
 */
static unsigned int nodes_needed(const struct xarray *xa, unsigned long index)
{
	unsigned int height = height_for(index);
	const struct xa_node *node;

	if (!xa->xa_head)
		return height;
	if (height > xa->xa_height)
		return (height - xa->xa_height) + (height - 1);
	if (xa->xa_height == 0)
		return 0;
	for (node = xa->xa_head; node->shift > 0; node = node->slots[offset_in(node, index)])
		if (!node->slots[offset_in(node, index)])
			return node->shift / XA_CHUNK_SHIFT;
	return 0;
}

/*
 * Add levels at the top of a non-empty tree until it is @height high: the
 * old root (entry or node) becomes slot 0 of the new top, with its marks.
 */
static void grow(struct xarray *xa, unsigned int height, struct xa_spare *spare)
{
	while (xa->xa_height < height) {
		struct xa_node *top = take_spare(spare, xa->xa_height * XA_CHUNK_SHIFT);

		if (xa->xa_height == 0) {
			slot_fill(top, 0, xa->xa_head);
			set_slot_marks(top, 0, xa->xa_marks);
			xa->xa_marks = 0;
		} else {
			link_child(top, 0, xa->xa_head);
			set_slot_marks(top, 0, node_marks(xa->xa_head));
		}
		xa->xa_head = top;
		xa->xa_height++;
	}
}

/* The leaf for @index, making the missing nodes on its path from @spare. */
static struct xa_node *make_path(struct xarray *xa, unsigned long index, struct xa_spare *spare)
{
	struct xa_node *node = xa->xa_head;

	while (node->shift > 0) {
		unsigned int offset = offset_in(node, index);

		if (!node->slots[offset])
			link_child(node, offset,
				   take_spare(spare, node->shift - XA_CHUNK_SHIFT));
		node = node->slots[offset];
	}
	return node;
}

/* Store @entry at the empty @index: 0, or -ENOMEM with nothing changed. */
static int insert_empty(struct xarray *xa, unsigned long index, void *entry,
			struct xa_spare *spare)
{
	unsigned int need = nodes_needed(xa, index);
	unsigned int height = height_for(index);

	if (need > spare->nr) {
		spare->want = need;
		return -ENOMEM;
	}
	if (!xa->xa_head && height > 0) {
		xa->xa_head = take_spare(spare, (height - 1) * XA_CHUNK_SHIFT);
		xa->xa_height = height;
	}
	grow(xa, height, spare);
	if (xa->xa_height == 0) {
		xa->xa_head = entry;
		xa->xa_marks = 0;
	} else {
		slot_fill(make_path(xa, index, spare), index & XA_SLOT_MASK, entry);
	}
	xa->xa_count++;
	return 0;
}

int xa_insert(struct xarray *xa, unsigned long index, void *entry, struct xa_spare *spare)
{
	if (xa_load(xa, index))
		return -EEXIST;
	return insert_empty(xa, index, entry, spare);
}

int xa_store(struct xarray *xa, unsigned long index, void *entry, void **old,
	     struct xa_spare *spare)
{
	void **slot = slot_of(xa, index);
	void *prev = slot ? *slot : NULL;
	int err = 0;

	if (!entry)
		xa_erase(xa, index);
	else if (prev)
		*slot = entry;
	else
		err = insert_empty(xa, index, entry, spare);
	if (old)
		*old = prev;
	return err;
}

/* ---- removal ---- */

/*
 * Free @node and its ancestors while they are empty, emptying their
 * slots in the parents. Returns the first non-empty one, or NULL when the
 * whole tree went (then the xarray is empty).
 */
static struct xa_node *free_empty_nodes(struct xarray *xa, struct xa_node *node)
{
	while (node->count == 0) {
		struct xa_node *parent = node->parent;
		unsigned int offset = node->offset;

		node_free(node);
		if (!parent) {
			xa->xa_head = NULL;
			xa->xa_height = 0;
			return NULL;
		}
		slot_clear(parent, offset);
		node = parent;
	}
	return node;
}

/* Drop top levels while the top node's only slot in use is slot 0. */
static void shrink(struct xarray *xa)
{
	while (xa->xa_height > 0) {
		struct xa_node *top = xa->xa_head;

		if (top->present != slot_bit(0))
			return;
		if (top->shift == 0) {
			xa->xa_marks = slot_marks(top, 0);
		} else {
			struct xa_node *child = top->slots[0];

			child->parent = NULL;
		}
		xa->xa_head = top->slots[0];
		xa->xa_height--;
		node_free(top);
	}
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	struct xa_node *leaf;
	void *entry = xa_load(xa, index);

	if (!entry)
		return NULL;
	xa->xa_count--;
	if (xa->xa_height == 0) {
		xa->xa_head = NULL;
		xa->xa_marks = 0;
		return entry;
	}
	leaf = leaf_of(xa, index);
	slot_clear(leaf, index & XA_SLOT_MASK);
	leaf = free_empty_nodes(xa, leaf);
	if (leaf)
		unmark_ancestors(leaf);
	shrink(xa);
	return entry;
}

void xa_destroy(struct xarray *xa)
{
	struct xa_node *node = xa->xa_height ? xa->xa_head : NULL;

	/* Depth first, using each inner node's present bitmap as its to-do list. */
	while (node) {
		if (node->shift > 0 && node->present) {
			unsigned int offset = __builtin_ctzll(node->present);

			node->present &= ~slot_bit(offset);
			node = node->slots[offset];
		} else {
			struct xa_node *parent = node->parent;

			node_free(node);
			node = parent;
		}
	}
	xa_init(xa);
}

/* ---- spare nodes and the node cache ---- */

int xa_spare_fill(struct xa_spare *spare, gfp_t gfp)
{
	unsigned int target = spare->want;

	if (target < 1)
		target = 1;
	if (target > XA_SPARE_MAX)
		target = XA_SPARE_MAX;
	while (spare->nr < target) {
		struct xa_node *node = kmem_cache_alloc(xa_node_cache, gfp);

		if (!node)
			return -ENOMEM;
		spare->node[spare->nr++] = node;
	}
	return 0;
}

void xa_spare_release(struct xa_spare *spare)
{
	while (spare->nr > 0) {
		spare->nr--;
		node_free(spare->node[spare->nr]);
		spare->node[spare->nr] = NULL;
	}
	spare->want = 0;
}

int xa_init_cache(void)
{
	if (xa_node_cache)
		return 0;
	xa_node_cache = kmem_cache_create("xa_node", sizeof(struct xa_node), 0, &kernel_pmm);
	return xa_node_cache ? 0 : -ENOMEM;
}
#ifndef HOST_TEST
subsys_initcall(xa_init_cache);
#endif

unsigned long xa_shrink_cache(void)
{
	return xa_node_cache ? kmem_cache_shrink(xa_node_cache) : 0;
}

unsigned long xa_nodes_in_use(void)
{
	struct kmem_cache_stats stats;

	if (!xa_node_cache)
		return 0;
	kmem_cache_get_stats(xa_node_cache, &stats);
	return stats.objs_in_use;
}

/* ---- marks ---- */

void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	if (!is_mark(mark) || !xa_load(xa, index))
		return;
	if (xa->xa_height == 0)
		xa->xa_marks |= 1U << mark;
	else
		mark_up(leaf_of(xa, index), index & XA_SLOT_MASK, mark);
}

void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	if (!is_mark(mark) || !xa_load(xa, index))
		return;
	if (xa->xa_height == 0)
		xa->xa_marks &= ~(1U << mark);
	else
		unmark_up(leaf_of(xa, index), index & XA_SLOT_MASK, mark);
}

bool xa_get_mark(const struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	if (!is_mark(mark) || !xa_load(xa, index))
		return false;
	if (xa->xa_height == 0)
		return xa->xa_marks & (1U << mark);
	return slot_marks(leaf_of(xa, index), index & XA_SLOT_MASK) & (1U << mark);
}

bool xa_marked(const struct xarray *xa, xa_mark_t mark)
{
	if (!is_mark(mark))
		return false;
	if (xa->xa_height == 0)
		return xa->xa_marks & (1U << mark);
	return node_marks(xa->xa_head) & (1U << mark);
}

/* ---- lookup in order ---- */

/* The slots of @node with @filter: in use (XA_PRESENT), or marked. */
static u64 slots_with(const struct xa_node *node, xa_mark_t filter)
{
	return filter == XA_PRESENT ? node->present : node->marks[filter];
}

/*
 * The first entry with @filter at an index in [*@index, @max] below the
 * top node @node. Descends into the first slot at or after the one
 * *@index falls in whose bitmap has @filter; a subtree that turns out to
 * hold nothing at or after *@index (possible only on the first path down)
 * sends the walk back up to the parent's next slot. idx only grows, so
 * once it passes @max nothing further can qualify.
 */
static void *find_below(const struct xa_node *node, unsigned long *index,
			unsigned long max, xa_mark_t filter)
{
	unsigned long idx = *index;
	unsigned int from = offset_in(node, idx);

	for (;;) {
		u64 candidates = slots_with(node, filter) & slots_from(from);
		unsigned int found;

		if (!candidates) {
			if (!node->parent)
				return NULL;
			from = node->offset + 1;
			node = node->parent;
			continue;
		}
		found = __builtin_ctzll(candidates);
		if (found != offset_in(node, idx))
			idx = slot_first_index(node, idx, found);
		if (idx > max)
			return NULL;
		if (node->shift == 0) {
			*index = idx;
			return node->slots[found];
		}
		node = node->slots[found];
		from = offset_in(node, idx);
	}
}

void *xa_find(const struct xarray *xa, unsigned long *index, unsigned long max,
	      xa_mark_t filter)
{
	if (*index > max || (!is_mark(filter) && filter != XA_PRESENT))
		return NULL;
	if (xa->xa_height == 0) {
		if (*index != 0 || !xa->xa_head)
			return NULL;
		if (filter != XA_PRESENT && !(xa->xa_marks & (1U << filter)))
			return NULL;
		return xa->xa_head;
	}
	if (*index > max_index(xa->xa_height))
		return NULL;
	return find_below(xa->xa_head, index, max, filter);
}

void *xa_find_after(const struct xarray *xa, unsigned long *index, unsigned long max,
		    xa_mark_t filter)
{
	if (*index == ~0UL)
		return NULL;
	(*index)++;
	return xa_find(xa, index, max, filter);
}

unsigned int xa_extract(const struct xarray *xa, void **entries, unsigned long *indexes,
			unsigned long *start, unsigned long max, unsigned int n,
			xa_mark_t filter)
{
	unsigned long idx = *start;
	unsigned int nr = 0;
	bool range_done = false;

	if (idx > max)
		return 0;
	while (nr < n && !range_done) {
		void *entry = xa_find(xa, &idx, max, filter);

		if (!entry) {
			range_done = true;
			break;
		}
		entries[nr] = entry;
		if (indexes)
			indexes[nr] = idx;
		nr++;
		range_done = idx == max;
		idx++;		/* wraps only with range_done */
	}
	*start = range_done ? max + 1 : idx;
	return nr;
}
