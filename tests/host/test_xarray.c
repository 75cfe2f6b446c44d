/*
 * Host tests of lib/xarray.c: loads, inserts and erases at the edges of
 * the node levels (63/64, 4095/4096, ULONG_MAX), the spare-node protocol
 * (-ENOMEM changes nothing, want is exact, inserts into an existing leaf
 * need no spare), marks and their propagation, ordered lookups and their
 * bounds, growing and shrinking, and a seeded random run against a model.
 * After the changes, check_tree() walks the nodes (the layout is public in
 * xarray.h) and verifies every invariant the header states.
 *
 * Nodes come from the xarray's kmem_cache on a kernel_pmm over fake RAM;
 * every case ends with no node left in use.
 */
#include <pagoda/xarray.h>
#include <pagoda/errno.h>
#include <mm/slab.h>
#include <mm/pmm.h>
#include "fake_arch.h"
#include "ktap.h"

#include <stdlib.h>
#include <string.h>

#define RAM_BASE_PFN	0x1000UL
#define KERNEL_PAGES	8192UL		/* 32 MiB for nodes */

static struct xa_spare spare = XA_SPARE_INIT;

/* A fake entry: never dereferenced, non-NULL, low two bits clear. */
static void *entry_of(unsigned long v)
{
	return (void *)(uintptr_t)((v + 1) << 2);
}

/* ---- the tree's shape, seen from outside ---- */

struct tree_stats {
	unsigned long nodes;
	unsigned long entries;
};

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("    # check_tree: %s fails at node %p\n",	\
			       #cond, (const void *)node);		\
			return false;					\
		}							\
	} while (0)

static bool check_node(const struct xa_node *node, const struct xa_node *parent,
		       unsigned int offset, unsigned int shift, struct tree_stats *st)
{
	CHECK(node->parent == parent);
	CHECK(node->offset == offset);
	CHECK(node->shift == shift);
	CHECK(node->count > 0);
	CHECK(node->count == (unsigned int)__builtin_popcountll(node->present));
	st->nodes++;
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		const struct xa_node *child = node->slots[i];
		bool used = node->present & (1ULL << i);

		CHECK(used == (child != NULL));
		for (unsigned int m = 0; m < XA_NR_MARKS; m++) {
			bool marked = node->marks[m] & (1ULL << i);

			CHECK(used || !marked);
			if (used && shift > 0)
				CHECK(marked == (child->marks[m] != 0));
		}
		if (!used)
			continue;
		if (shift == 0) {
			CHECK(((uintptr_t)child & 3) == 0);
			st->entries++;
		} else if (!check_node(child, node, i, shift - XA_CHUNK_SHIFT, st)) {
			return false;
		}
	}
	return true;
}

/*
 * Every invariant of xarray.h: node links, counts, bitmaps, no empty node,
 * a minimal height, xa_count, and the node cache holding exactly the
 * tree's nodes plus the spare's.
 */
static bool check_tree(const struct xarray *xa)
{
	struct tree_stats st = { 0, 0 };
	const struct xa_node *node = NULL;

	if (xa->xa_height == 0) {
		CHECK(xa->xa_count == (xa->xa_head != NULL));
		CHECK(xa->xa_head || xa->xa_marks == 0);
	} else {
		node = xa->xa_head;
		CHECK(xa->xa_height <= XA_MAX_HEIGHT);
		CHECK(node->present != 1);	/* else it should have shrunk */
		CHECK(xa->xa_height < XA_MAX_HEIGHT || node->present < (1ULL << 16));
		CHECK(xa->xa_marks == 0);
		if (!check_node(node, NULL, 0, (xa->xa_height - 1) * XA_CHUNK_SHIFT, &st))
			return false;
		CHECK(st.entries == xa->xa_count);
	}
	CHECK(xa_nodes_in_use() == st.nodes + spare.nr);
	return true;
}

/* A full dump of the tree, to prove a failed call changed nothing. */
#define DUMP_WORDS	8192

struct dump {
	unsigned long n;
	u64 w[DUMP_WORDS];
};

static struct dump before, after;

static void dump_word(struct dump *d, u64 v)
{
	if (d->n < DUMP_WORDS)
		d->w[d->n] = v;
	d->n++;
}

static void dump_node(struct dump *d, const struct xa_node *node)
{
	dump_word(d, (uintptr_t)node);
	dump_word(d, (uintptr_t)node->parent);
	dump_word(d, node->shift | node->offset << 8 | (u64)node->count << 16);
	dump_word(d, node->present);
	for (unsigned int m = 0; m < XA_NR_MARKS; m++)
		dump_word(d, node->marks[m]);
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		dump_word(d, (uintptr_t)node->slots[i]);
		if (node->shift > 0 && node->slots[i])
			dump_node(d, node->slots[i]);
	}
}

static void dump_tree(struct dump *d, const struct xarray *xa)
{
	d->n = 0;
	dump_word(d, (uintptr_t)xa->xa_head);
	dump_word(d, xa->xa_height);
	dump_word(d, xa->xa_marks);
	dump_word(d, xa->xa_count);
	if (xa->xa_height > 0)
		dump_node(d, xa->xa_head);
}

static bool dumps_equal(void)
{
	return before.n == after.n && before.n <= DUMP_WORDS &&
	       memcmp(before.w, after.w, before.n * sizeof(u64)) == 0;
}

/* ---- the caller's side of the spare protocol ---- */

/* xa_insert(), filling the spare and retrying once on -ENOMEM. */
static int insert(struct xarray *xa, unsigned long index, void *entry)
{
	int err = xa_insert(xa, index, entry, &spare);

	if (err == -ENOMEM) {
		KT_EXPECT(spare.want > spare.nr);
		KT_EXPECT(xa_spare_fill(&spare, GFP_KERNEL) == 0);
		err = xa_insert(xa, index, entry, &spare);
		KT_EXPECT(err != -ENOMEM);
	}
	return err;
}

/* xa_store() the same way; returns the old entry. */
static void *store(struct xarray *xa, unsigned long index, void *entry)
{
	void *old = NULL;
	int err = xa_store(xa, index, entry, &old, &spare);

	if (err == -ENOMEM) {
		KT_EXPECT(xa_spare_fill(&spare, GFP_KERNEL) == 0);
		err = xa_store(xa, index, entry, &old, &spare);
	}
	KT_EXPECT_EQ(err, 0);
	return old;
}

/* End of a case: empty the tree, return the spare, expect no node left. */
static void teardown(struct xarray *xa)
{
	xa_destroy(xa);
	KT_EXPECT(xa_empty(xa));
	KT_EXPECT_EQ(xa->xa_height, 0);
	xa_spare_release(&spare);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
}

static const unsigned long edge_indexes[] = {
	0, 1, 62, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262143, 262144,
	1UL << 32, (1UL << 32) - 1, 1UL << 59, 1UL << 60, (1UL << 60) - 1,
	~0UL - 64, ~0UL - 63, ~0UL - 1, ~0UL,
};
#define NR_EDGES	(sizeof(edge_indexes) / sizeof(edge_indexes[0]))

/* ---- cases ---- */

static void t_empty(void)
{
	struct xarray xa = XARRAY_INIT;
	unsigned long index = 0;

	KT_EXPECT(xa_empty(&xa));
	KT_EXPECT(xa_load(&xa, 0) == NULL);
	KT_EXPECT(xa_load(&xa, ~0UL) == NULL);
	KT_EXPECT(xa_erase(&xa, 5) == NULL);
	KT_EXPECT(xa_find(&xa, &index, ~0UL, XA_PRESENT) == NULL);
	KT_EXPECT(!xa_marked(&xa, XA_MARK_0));
	xa_set_mark(&xa, 0, XA_MARK_0);
	KT_EXPECT(!xa_marked(&xa, XA_MARK_0));
	KT_EXPECT(check_tree(&xa));
	teardown(&xa);
}

static void t_edges(void)
{
	struct xarray xa = XARRAY_INIT;

	for (unsigned int i = 0; i < NR_EDGES; i++) {
		KT_EXPECT_EQ(insert(&xa, edge_indexes[i], entry_of(i)), 0);
		KT_EXPECT(check_tree(&xa));
	}
	KT_EXPECT_EQ(xa.xa_count, NR_EDGES);
	KT_EXPECT_EQ(xa.xa_height, XA_MAX_HEIGHT);
	for (unsigned int i = 0; i < NR_EDGES; i++)
		KT_EXPECT(xa_load(&xa, edge_indexes[i]) == entry_of(i));
	KT_EXPECT(xa_load(&xa, 2) == NULL);
	KT_EXPECT(xa_load(&xa, 4094) == NULL);
	KT_EXPECT(xa_load(&xa, ~0UL - 2) == NULL);
	for (unsigned int i = 0; i < NR_EDGES; i++) {
		KT_EXPECT(xa_erase(&xa, edge_indexes[i]) == entry_of(i));
		KT_EXPECT(xa_erase(&xa, edge_indexes[i]) == NULL);
		KT_EXPECT(check_tree(&xa));
	}
	KT_EXPECT(xa_empty(&xa));
	KT_EXPECT_EQ(xa.xa_height, 0);
	KT_EXPECT(xa.xa_head == NULL);
	xa_spare_release(&spare);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
	teardown(&xa);
}

/* Each edge index alone, then from the top down, erased from the bottom up. */
static void t_edges_alone_and_reversed(void)
{
	struct xarray xa = XARRAY_INIT;

	for (unsigned int i = 0; i < NR_EDGES; i++) {
		unsigned long index = edge_indexes[i];

		KT_EXPECT_EQ(insert(&xa, index, entry_of(i)), 0);
		KT_EXPECT(xa_load(&xa, index) == entry_of(i));
		KT_EXPECT(index == 0 || xa_load(&xa, index - 1) == NULL);
		KT_EXPECT(index == ~0UL || xa_load(&xa, index + 1) == NULL);
		KT_EXPECT(check_tree(&xa));
		KT_EXPECT(xa_erase(&xa, index) == entry_of(i));
		KT_EXPECT_EQ(xa.xa_height, 0);
	}
	for (unsigned int i = NR_EDGES; i-- > 0;)
		KT_EXPECT_EQ(insert(&xa, edge_indexes[i], entry_of(i)), 0);
	KT_EXPECT(check_tree(&xa));
	for (unsigned int i = 0; i < NR_EDGES; i++)
		KT_EXPECT(xa_erase(&xa, edge_indexes[i]) == entry_of(i));
	KT_EXPECT(check_tree(&xa));
	teardown(&xa);
}

static void t_index_zero_height_zero(void)
{
	struct xarray xa;

	xa_init(&xa);
	KT_EXPECT_EQ(insert(&xa, 0, entry_of(0)), 0);
	KT_EXPECT_EQ(xa.xa_height, 0);
	KT_EXPECT(xa.xa_head == entry_of(0));
	KT_EXPECT_EQ(xa_nodes_in_use(), spare.nr);
	xa_set_mark(&xa, 0, XA_MARK_2);
	KT_EXPECT_EQ(insert(&xa, 1, entry_of(1)), 0);
	KT_EXPECT_EQ(xa.xa_height, 1);
	KT_EXPECT(xa_get_mark(&xa, 0, XA_MARK_2));
	KT_EXPECT(!xa_get_mark(&xa, 1, XA_MARK_2));
	KT_EXPECT(check_tree(&xa));
	/* grow to the top and back: the mark on 0 travels with it */
	KT_EXPECT_EQ(insert(&xa, ~0UL, entry_of(2)), 0);
	KT_EXPECT(xa_get_mark(&xa, 0, XA_MARK_2));
	KT_EXPECT(xa_erase(&xa, ~0UL) == entry_of(2));
	KT_EXPECT(xa_erase(&xa, 1) == entry_of(1));
	KT_EXPECT_EQ(xa.xa_height, 0);
	KT_EXPECT(xa.xa_head == entry_of(0));
	KT_EXPECT(xa_get_mark(&xa, 0, XA_MARK_2));
	KT_EXPECT(xa_marked(&xa, XA_MARK_2));
	KT_EXPECT(check_tree(&xa));
	xa_spare_release(&spare);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
	teardown(&xa);
}

static void t_eexist_changes_nothing(void)
{
	struct xarray xa = XARRAY_INIT;

	for (unsigned long i = 0; i < 200; i += 3)
		KT_EXPECT_EQ(insert(&xa, i * 37, entry_of(i)), 0);
	xa_set_mark(&xa, 37 * 3, XA_MARK_1);
	dump_tree(&before, &xa);
	KT_EXPECT_EQ(xa_insert(&xa, 37 * 3, entry_of(999), &spare), -EEXIST);
	KT_EXPECT_EQ(xa_insert(&xa, 0, entry_of(999), &spare), -EEXIST);
	dump_tree(&after, &xa);
	KT_EXPECT(dumps_equal());
	KT_EXPECT(xa_get_mark(&xa, 37 * 3, XA_MARK_1));
	teardown(&xa);
}

static void t_store_semantics(void)
{
	struct xarray xa = XARRAY_INIT;
	void *old = entry_of(7);

	KT_EXPECT(store(&xa, 100, entry_of(1)) == NULL);
	KT_EXPECT_EQ(xa.xa_count, 1);
	xa_set_mark(&xa, 100, XA_MARK_0);
	xa_set_mark(&xa, 100, XA_MARK_2);
	KT_EXPECT(store(&xa, 100, entry_of(2)) == entry_of(1));
	KT_EXPECT_EQ(xa.xa_count, 1);
	KT_EXPECT(xa_load(&xa, 100) == entry_of(2));
	KT_EXPECT(xa_get_mark(&xa, 100, XA_MARK_0));
	KT_EXPECT(!xa_get_mark(&xa, 100, XA_MARK_1));
	KT_EXPECT(xa_get_mark(&xa, 100, XA_MARK_2));
	/* replacing needs no node: an empty spare is fine, @old may be NULL */
	xa_spare_release(&spare);
	KT_EXPECT_EQ(xa_store(&xa, 100, entry_of(3), NULL, &spare), 0);
	KT_EXPECT(store(&xa, 100, NULL) == entry_of(3));
	KT_EXPECT(xa_empty(&xa));
	KT_EXPECT(!xa_marked(&xa, XA_MARK_0));
	KT_EXPECT_EQ(xa_store(&xa, 100, NULL, &old, &spare), 0);
	KT_EXPECT(old == NULL);
	KT_EXPECT(store(&xa, 100, entry_of(4)) == NULL);
	KT_EXPECT(!xa_get_mark(&xa, 100, XA_MARK_0));
	/* index 0 at height 0 */
	KT_EXPECT(store(&xa, 0, entry_of(5)) == NULL);
	KT_EXPECT(store(&xa, 100, NULL) == entry_of(4));
	KT_EXPECT_EQ(xa.xa_height, 0);
	xa_set_mark(&xa, 0, XA_MARK_1);
	KT_EXPECT(store(&xa, 0, entry_of(6)) == entry_of(5));
	KT_EXPECT(xa_get_mark(&xa, 0, XA_MARK_1));
	KT_EXPECT(check_tree(&xa));
	teardown(&xa);
}

static void t_spare_protocol(void)
{
	struct xarray xa = XARRAY_INIT;
	unsigned int nr;

	/* empty tree, index 1000: two nodes (top of shift 6, one leaf) */
	KT_EXPECT_EQ(xa_insert(&xa, 1000, entry_of(1), &spare), -ENOMEM);
	KT_EXPECT_EQ(spare.want, 2);
	KT_EXPECT(xa_empty(&xa) && xa.xa_head == NULL);
	KT_EXPECT_EQ(xa_spare_fill(&spare, GFP_KERNEL), 0);
	KT_EXPECT_EQ(spare.nr, 2);
	KT_EXPECT_EQ(xa_insert(&xa, 1000, entry_of(1), &spare), 0);
	KT_EXPECT_EQ(spare.nr, 0);
	/* the same leaf: no node needed, an empty spare will do */
	KT_EXPECT_EQ(xa_insert(&xa, 1001, entry_of(2), &spare), 0);
	KT_EXPECT_EQ(xa_insert(&xa, 960, entry_of(3), &spare), 0);
	/* a new leaf under the same top: one node; nothing changes without it */
	xa_set_mark(&xa, 1001, XA_MARK_0);
	dump_tree(&before, &xa);
	KT_EXPECT_EQ(xa_insert(&xa, 5, entry_of(4), &spare), -ENOMEM);
	KT_EXPECT_EQ(spare.want, 1);
	dump_tree(&after, &xa);
	KT_EXPECT(dumps_equal());
	/* from height 2 to 4: two new tops, then three nodes below the top */
	KT_EXPECT_EQ(xa_insert(&xa, 1UL << 20, entry_of(5), &spare), -ENOMEM);
	KT_EXPECT_EQ(spare.want, 5);
	dump_tree(&after, &xa);
	KT_EXPECT(dumps_equal());
	/* a partial spare is not enough either */
	spare.want = 3;
	KT_EXPECT_EQ(xa_spare_fill(&spare, GFP_KERNEL), 0);
	KT_EXPECT_EQ(xa_insert(&xa, 1UL << 20, entry_of(5), &spare), -ENOMEM);
	KT_EXPECT_EQ(spare.nr, 3);
	dump_tree(&after, &xa);
	KT_EXPECT(dumps_equal());
	KT_EXPECT_EQ(xa_spare_fill(&spare, GFP_KERNEL), 0);
	KT_EXPECT_EQ(xa_insert(&xa, 1UL << 20, entry_of(5), &spare), 0);
	KT_EXPECT_EQ(spare.nr, 0);
	KT_EXPECT(xa_get_mark(&xa, 1001, XA_MARK_0));
	KT_EXPECT(check_tree(&xa));
	/* xa_store runs short the same way */
	KT_EXPECT_EQ(xa_store(&xa, 7UL << 30, entry_of(6), NULL, &spare), -ENOMEM);
	KT_EXPECT(xa_load(&xa, 7UL << 30) == NULL);
	teardown(&xa);

	/* the worst case: only index 0, then ULONG_MAX */
	KT_EXPECT_EQ(insert(&xa, 0, entry_of(0)), 0);
	KT_EXPECT_EQ(xa_insert(&xa, ~0UL, entry_of(1), &spare), -ENOMEM);
	KT_EXPECT_EQ(spare.want, XA_SPARE_MAX);
	KT_EXPECT_EQ(xa_spare_fill(&spare, GFP_KERNEL), 0);
	KT_EXPECT_EQ(xa_insert(&xa, ~0UL, entry_of(1), &spare), 0);
	KT_EXPECT_EQ(xa_nodes_in_use(), XA_SPARE_MAX);
	KT_EXPECT(check_tree(&xa));
	teardown(&xa);

	/* fill gives at least one node; release frees what is unused */
	spare.want = 0;
	KT_EXPECT_EQ(xa_spare_fill(&spare, GFP_KERNEL), 0);
	KT_EXPECT_EQ(spare.nr, 1);
	spare.want = 5;
	KT_EXPECT_EQ(xa_spare_fill(&spare, GFP_KERNEL), 0);
	nr = spare.nr;
	KT_EXPECT_EQ(nr, 5);
	KT_EXPECT_EQ(xa_nodes_in_use(), 5);
	xa_spare_release(&spare);
	KT_EXPECT_EQ(spare.nr, 0);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
}

static void t_marks(void)
{
	struct xarray xa = XARRAY_INIT;

	KT_EXPECT_EQ(insert(&xa, 5, entry_of(5)), 0);
	KT_EXPECT_EQ(insert(&xa, 70000, entry_of(6)), 0);
	KT_EXPECT_EQ(insert(&xa, 70001, entry_of(7)), 0);
	xa_set_mark(&xa, 70000, XA_MARK_1);
	KT_EXPECT(xa_get_mark(&xa, 70000, XA_MARK_1));
	KT_EXPECT(!xa_get_mark(&xa, 70000, XA_MARK_0));
	KT_EXPECT(!xa_get_mark(&xa, 70001, XA_MARK_1));
	KT_EXPECT(xa_marked(&xa, XA_MARK_1));
	KT_EXPECT(!xa_marked(&xa, XA_MARK_0));
	KT_EXPECT(check_tree(&xa));
	xa_set_mark(&xa, 70001, XA_MARK_1);
	xa_clear_mark(&xa, 70000, XA_MARK_1);
	KT_EXPECT(xa_marked(&xa, XA_MARK_1));
	KT_EXPECT(check_tree(&xa));
	xa_clear_mark(&xa, 70001, XA_MARK_1);
	KT_EXPECT(!xa_marked(&xa, XA_MARK_1));
	KT_EXPECT(check_tree(&xa));
	/* nothing happens at an empty index or with a bad mark */
	xa_set_mark(&xa, 6, XA_MARK_0);
	xa_set_mark(&xa, 5, XA_NR_MARKS);
	xa_set_mark(&xa, 5, XA_PRESENT);
	KT_EXPECT(!xa_marked(&xa, XA_MARK_0));
	KT_EXPECT(!xa_get_mark(&xa, 6, XA_MARK_0));
	KT_EXPECT(!xa_get_mark(&xa, 5, XA_NR_MARKS));
	/* erase clears, and a re-insert starts unmarked */
	xa_set_mark(&xa, 5, XA_MARK_0);
	xa_set_mark(&xa, 5, XA_MARK_2);
	KT_EXPECT(xa_erase(&xa, 5) == entry_of(5));
	KT_EXPECT(!xa_marked(&xa, XA_MARK_0));
	KT_EXPECT(!xa_marked(&xa, XA_MARK_2));
	KT_EXPECT(check_tree(&xa));
	KT_EXPECT_EQ(insert(&xa, 5, entry_of(5)), 0);
	KT_EXPECT(!xa_get_mark(&xa, 5, XA_MARK_0));
	/* erasing the last marked entry of a node that stays */
	xa_set_mark(&xa, 70001, XA_MARK_2);
	KT_EXPECT(xa_erase(&xa, 70001) == entry_of(7));
	KT_EXPECT(!xa_marked(&xa, XA_MARK_2));
	KT_EXPECT(check_tree(&xa));
	teardown(&xa);
}

/* Does the walk with @filter over [first, last] see exactly want[0..nr)? */
static bool walk_matches(const struct xarray *xa, unsigned long first, unsigned long last,
			 xa_mark_t filter, const unsigned long *want, unsigned int nr)
{
	unsigned long index = first;
	unsigned int seen = 0;
	void *entry;

	for (entry = xa_find(xa, &index, last, filter); entry;
	     entry = xa_find_after(xa, &index, last, filter)) {
		if (seen >= nr || index != want[seen] || entry != xa_load(xa, index))
			return false;
		seen++;
	}
	return seen == nr;
}

/* Marks on every 3rd (MARK_0) and 7th (MARK_1) entry, none on MARK_2. */
static void find_marks_over(unsigned long stride, unsigned long nr)
{
	static unsigned long want[3][2048], all[2048];
	unsigned int n[3] = { 0, 0, 0 };
	struct xarray xa = XARRAY_INIT;

	for (unsigned long i = 0; i < nr; i++) {
		unsigned long index = 1 + i * stride;

		KT_EXPECT_EQ(insert(&xa, index, entry_of(i)), 0);
		all[i] = index;
		if (i % 3 == 0) {
			xa_set_mark(&xa, index, XA_MARK_0);
			want[0][n[0]++] = index;
		}
		if (i % 7 == 0) {
			xa_set_mark(&xa, index, XA_MARK_1);
			want[1][n[1]++] = index;
		}
	}
	KT_EXPECT(check_tree(&xa));
	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		KT_EXPECT(walk_matches(&xa, 0, ~0UL, m, want[m], n[m]));
	KT_EXPECT(walk_matches(&xa, 0, ~0UL, XA_PRESENT, all, (unsigned int)nr));
	/* from the middle, to just before the last */
	KT_EXPECT(walk_matches(&xa, all[nr / 2] + 1, all[nr - 1] - 1, XA_PRESENT,
			       all + nr / 2 + 1, (unsigned int)(nr - nr / 2 - 2)));
	teardown(&xa);
}

static void t_find_marks_dense(void)
{
	find_marks_over(1, 2000);
}

static void t_find_marks_sparse(void)
{
	find_marks_over(1UL << 40, 2000);
	find_marks_over(0x0123456789abcUL, 1000);
}

static void t_find_bounds(void)
{
	struct xarray xa = XARRAY_INIT;
	unsigned long index, got[8];
	static const unsigned long around64[] = { 62, 63, 64, 65 };
	void *entry;
	unsigned int n;

	for (unsigned long i = 60; i < 70; i++)
		KT_EXPECT_EQ(insert(&xa, i, entry_of(i)), 0);
	KT_EXPECT_EQ(insert(&xa, ~0UL, entry_of(0)), 0);
	/* max < index */
	index = 65;
	KT_EXPECT(xa_find(&xa, &index, 64, XA_PRESENT) == NULL);
	/* a range crossing the 63/64 leaf boundary */
	KT_EXPECT(walk_matches(&xa, 62, 65, XA_PRESENT, around64, 4));
	index = 0;
	KT_EXPECT(xa_find(&xa, &index, 59, XA_PRESENT) == NULL);
	index = 70;
	KT_EXPECT(xa_find(&xa, &index, ~0UL - 1, XA_PRESENT) == NULL);
	/* ULONG_MAX: found from below and from itself; nothing after it */
	index = 70;
	KT_EXPECT(xa_find(&xa, &index, ~0UL, XA_PRESENT) == entry_of(0));
	KT_EXPECT_EQ(index, ~0UL);
	KT_EXPECT(xa_find(&xa, &index, ~0UL, XA_PRESENT) == entry_of(0));
	KT_EXPECT(xa_find_after(&xa, &index, ~0UL, XA_PRESENT) == NULL);
	/* xa_for_each_range visits in order within bounds */
	n = 0;
	xa_for_each_range(&xa, index, entry, 61, 66) {
		if (n < 8)
			got[n] = index;
		KT_EXPECT(entry == entry_of(index));
		n++;
	}
	KT_EXPECT_EQ(n, 6);
	KT_EXPECT_EQ(got[0], 61);
	KT_EXPECT_EQ(got[5], 66);
	n = 0;
	xa_for_each(&xa, index, entry)
		n++;
	KT_EXPECT_EQ(n, 11);
	/* a height-0 tree */
	teardown(&xa);
	KT_EXPECT_EQ(insert(&xa, 0, entry_of(0)), 0);
	index = 0;
	KT_EXPECT(xa_find(&xa, &index, 0, XA_PRESENT) == entry_of(0));
	KT_EXPECT(xa_find(&xa, &index, ~0UL, XA_MARK_0) == NULL);
	index = 1;
	KT_EXPECT(xa_find(&xa, &index, ~0UL, XA_PRESENT) == NULL);
	teardown(&xa);
}

static void t_extract(void)
{
	struct xarray xa = XARRAY_INIT;
	void *entries[4];
	unsigned long indexes[4], start;

	for (unsigned long i = 0; i < 10; i++)
		KT_EXPECT_EQ(insert(&xa, i * 100, entry_of(i)), 0);
	KT_EXPECT_EQ(insert(&xa, ~0UL, entry_of(99)), 0);
	xa_set_mark(&xa, 300, XA_MARK_1);
	xa_set_mark(&xa, ~0UL, XA_MARK_1);

	start = 50;
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, 1000, 4, XA_PRESENT), 4);
	KT_EXPECT_EQ(indexes[0], 100);
	KT_EXPECT_EQ(indexes[3], 400);
	KT_EXPECT(entries[3] == entry_of(4));
	KT_EXPECT_EQ(start, 401);
	KT_EXPECT_EQ(xa_extract(&xa, entries, NULL, &start, 1000, 4, XA_PRESENT), 4);
	KT_EXPECT(entries[0] == entry_of(5) && entries[3] == entry_of(8));
	KT_EXPECT_EQ(start, 801);
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, 1000, 4, XA_PRESENT), 1);
	KT_EXPECT_EQ(indexes[0], 900);
	KT_EXPECT_EQ(start, 1001);
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, 1000, 4, XA_PRESENT), 0);
	KT_EXPECT_EQ(start, 1001);
	/* a batch ending exactly at max leaves start past it */
	start = 0;
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, 300, 4, XA_PRESENT), 4);
	KT_EXPECT_EQ(start, 301);
	/* marked, up to ULONG_MAX: start wraps to 0 */
	start = 0;
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, ~0UL, 4, XA_MARK_1), 2);
	KT_EXPECT_EQ(indexes[0], 300);
	KT_EXPECT_EQ(indexes[1], ~0UL);
	KT_EXPECT_EQ(start, 0);
	start = 901;
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, ~0UL, 1, XA_PRESENT), 1);
	KT_EXPECT_EQ(indexes[0], ~0UL);
	KT_EXPECT_EQ(start, 0);
	/* n == 0 and max < start change nothing */
	start = 5;
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, ~0UL, 0, XA_PRESENT), 0);
	KT_EXPECT_EQ(start, 5);
	KT_EXPECT_EQ(xa_extract(&xa, entries, indexes, &start, 4, 4, XA_PRESENT), 0);
	KT_EXPECT_EQ(start, 5);
	teardown(&xa);
}

static void t_shrink(void)
{
	struct xarray xa = XARRAY_INIT;

	for (unsigned long i = 0; i < 5000; i += 7)
		KT_EXPECT_EQ(insert(&xa, i, entry_of(i)), 0);
	KT_EXPECT_EQ(insert(&xa, 1UL << 40, entry_of(1)), 0);
	KT_EXPECT_EQ(xa.xa_height, 7);
	KT_EXPECT(xa_erase(&xa, 1UL << 40) == entry_of(1));
	KT_EXPECT_EQ(xa.xa_height, 3);
	KT_EXPECT(check_tree(&xa));
	/* all but index 0 */
	for (unsigned long i = 7; i < 5000; i += 7)
		KT_EXPECT(xa_erase(&xa, i) == entry_of(i));
	KT_EXPECT_EQ(xa.xa_height, 0);
	KT_EXPECT(xa.xa_head == entry_of(0));
	xa_spare_release(&spare);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
	KT_EXPECT(check_tree(&xa));
	/* everything */
	KT_EXPECT_EQ(insert(&xa, 1UL << 62, entry_of(2)), 0);
	KT_EXPECT(xa_erase(&xa, 0) == entry_of(0));
	KT_EXPECT_EQ(xa.xa_height, XA_MAX_HEIGHT);
	KT_EXPECT(check_tree(&xa));
	KT_EXPECT(xa_erase(&xa, 1UL << 62) == entry_of(2));
	KT_EXPECT_EQ(xa.xa_height, 0);
	KT_EXPECT(xa.xa_head == NULL);
	xa_spare_release(&spare);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
	teardown(&xa);
}

/* ---- the random run against a model ---- */

#define NR_KEYS		768
#define NR_STEPS	200000
#define CHECK_EVERY	1000

static unsigned long keys[NR_KEYS];	/* sorted, distinct */
static unsigned int nr_keys;
static void *model_entry[NR_KEYS];
static unsigned int model_marks[NR_KEYS];
static unsigned long model_count;
static u64 rng_state;

static u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Small dense runs, level edges, and huge sparse indexes up to ULONG_MAX. */
static void make_keys(void)
{
	unsigned int n = 0;

	for (unsigned long i = 0; i < 200; i++)
		keys[n++] = i;
	for (unsigned long i = 4000; i < 4200; i++)
		keys[n++] = i;
	for (unsigned int i = 0; i < NR_EDGES; i++)
		keys[n++] = edge_indexes[i];
	while (n < NR_KEYS)
		keys[n++] = rng() >> (rng() % 64);
	qsort(keys, n, sizeof(keys[0]), cmp_ulong);
	nr_keys = 0;
	for (unsigned int i = 0; i < n; i++)
		if (nr_keys == 0 || keys[nr_keys - 1] != keys[i])
			keys[nr_keys++] = keys[i];
}

/* The first key slot >= @index, or nr_keys. */
static unsigned int key_at_or_after(unsigned long index)
{
	unsigned int lo = 0, hi = nr_keys;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (keys[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_has(unsigned int k, xa_mark_t filter)
{
	if (!model_entry[k])
		return false;
	return filter == XA_PRESENT || (model_marks[k] & (1U << filter));
}

/* The model's xa_find(): a key slot, or nr_keys for none. */
static unsigned int model_find(unsigned long index, unsigned long max, xa_mark_t filter)
{
	if (index > max)
		return nr_keys;
	for (unsigned int k = key_at_or_after(index); k < nr_keys && keys[k] <= max; k++)
		if (model_has(k, filter))
			return k;
	return nr_keys;
}

static xa_mark_t random_filter(void)
{
	unsigned int r = rng() % 4;

	return r == 3 ? XA_PRESENT : r;
}

/* A start or end for a lookup: at, next to or between keys, or anywhere. */
static unsigned long random_bound(void)
{
	unsigned long key = keys[rng() % nr_keys];

	switch (rng() % 4) {
	case 0:
		return key;
	case 1:
		return key + 1;
	case 2:
		return key - 1;
	default:
		return rng() >> (rng() % 64);
	}
}

static void random_insert(struct xarray *xa, unsigned int k, void *entry)
{
	int err;

	if (rng() % 8 == 0)
		xa_spare_release(&spare);
	err = xa_insert(xa, keys[k], entry, &spare);
	if (model_entry[k]) {
		KT_EXPECT_EQ(err, -EEXIST);
		return;
	}
	if (err == -ENOMEM) {
		unsigned int want = spare.want;

		KT_EXPECT(want > spare.nr);
		KT_EXPECT(xa->xa_count == model_count && xa_load(xa, keys[k]) == NULL);
		KT_ASSERT(xa_spare_fill(&spare, GFP_KERNEL) == 0);
		KT_EXPECT(spare.nr >= want);
		want = spare.nr - want;		/* what should be left */
		err = xa_insert(xa, keys[k], entry, &spare);
		KT_EXPECT_EQ(spare.nr, want);
	}
	KT_EXPECT_EQ(err, 0);
	model_entry[k] = entry;
	model_marks[k] = 0;
	model_count++;
}

static void random_store(struct xarray *xa, unsigned int k, void *entry)
{
	void *old = store(xa, keys[k], entry);

	KT_EXPECT(old == model_entry[k]);
	model_count += (entry != NULL) - (old != NULL);
	model_entry[k] = entry;
	if (!entry)
		model_marks[k] = 0;
}

static void random_erase(struct xarray *xa, unsigned int k)
{
	KT_EXPECT(xa_erase(xa, keys[k]) == model_entry[k]);
	model_count -= model_entry[k] != NULL;
	model_entry[k] = NULL;
	model_marks[k] = 0;
}

static void random_mark(struct xarray *xa, unsigned int k, bool set)
{
	xa_mark_t mark = rng() % XA_NR_MARKS;

	if (set) {
		xa_set_mark(xa, keys[k], mark);
		if (model_entry[k])
			model_marks[k] |= 1U << mark;
	} else {
		xa_clear_mark(xa, keys[k], mark);
		model_marks[k] &= ~(1U << mark);
	}
	KT_EXPECT_EQ(xa_get_mark(xa, keys[k], mark), model_has(k, mark));
}

static void random_find(const struct xarray *xa)
{
	unsigned long index = random_bound(), max = rng() % 4 ? ~0UL : random_bound();
	xa_mark_t filter = random_filter();
	bool after = rng() % 2;
	unsigned int k;
	void *entry;

	if (after) {
		k = index == ~0UL ? nr_keys : model_find(index + 1, max, filter);
		entry = xa_find_after(xa, &index, max, filter);
	} else {
		k = model_find(index, max, filter);
		entry = xa_find(xa, &index, max, filter);
	}
	if (k == nr_keys) {
		KT_EXPECT(entry == NULL);
	} else {
		KT_EXPECT(entry == model_entry[k]);
		KT_EXPECT_EQ(index, keys[k]);
	}
}

static void random_extract(const struct xarray *xa)
{
	unsigned long start = random_bound(), max = rng() % 2 ? ~0UL : random_bound();
	unsigned long first = start, indexes[8];
	unsigned int n = 1 + rng() % 8, got, k, i;
	xa_mark_t filter = random_filter();
	void *entries[8];

	got = xa_extract(xa, entries, indexes, &start, max, n, filter);
	k = model_find(first, max, filter);
	for (i = 0; i < got && k < nr_keys; i++) {
		KT_EXPECT_EQ(indexes[i], keys[k]);
		KT_EXPECT(entries[i] == model_entry[k]);
		k = keys[k] == max ? nr_keys : model_find(keys[k] + 1, max, filter);
	}
	KT_EXPECT_EQ(i, got);
	if (first > max)
		KT_EXPECT_EQ(start, first);
	else if (got < n || indexes[got - 1] == max)
		KT_EXPECT_EQ(start, max + 1);
	else
		KT_EXPECT_EQ(start, indexes[got - 1] + 1);
	if (got == n && got > 0 && indexes[got - 1] != max)
		return;
	KT_EXPECT_EQ(k, nr_keys);	/* a short batch found everything */
}

/* The whole tree against the model: entries, marks, count. */
static void compare_all(const struct xarray *xa)
{
	unsigned long index;
	unsigned int k = 0;
	void *entry;

	xa_for_each(xa, index, entry) {
		while (k < nr_keys && !model_entry[k])
			k++;
		KT_ASSERT(k < nr_keys);
		KT_EXPECT_EQ(index, keys[k]);
		KT_EXPECT(entry == model_entry[k]);
		for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
			KT_EXPECT_EQ(xa_get_mark(xa, index, m), model_has(k, m));
		k++;
	}
	while (k < nr_keys && !model_entry[k])
		k++;
	KT_EXPECT_EQ(k, nr_keys);
	KT_EXPECT_EQ(xa->xa_count, model_count);
	for (xa_mark_t m = 0; m < XA_NR_MARKS; m++)
		KT_EXPECT_EQ(xa_marked(xa, m), model_find(0, ~0UL, m) != nr_keys);
	KT_EXPECT(check_tree(xa));
}

/* Erase every entry through the model, leaving an empty, minimal tree. */
static void random_clear_all(struct xarray *xa)
{
	for (unsigned int k = 0; k < nr_keys; k++)
		if (model_entry[k])
			random_erase(xa, k);
	KT_EXPECT_EQ(xa->xa_height, 0);
	KT_EXPECT(xa->xa_head == NULL);
	KT_EXPECT_EQ(xa_nodes_in_use(), spare.nr);
}

static void t_random(void)
{
	struct xarray xa = XARRAY_INIT;
	unsigned int stamp = 0;

	rng_state = 0x9e3779b97f4a7c15ULL;
	make_keys();
	memset(model_entry, 0, sizeof(model_entry));
	memset(model_marks, 0, sizeof(model_marks));
	model_count = 0;
	for (unsigned int step = 1; step <= NR_STEPS && !kt_case_failed; step++) {
		/* the lower half of the keys is busy; the walk spans all */
		unsigned int k = rng() % 3 ? rng() % (nr_keys / 2) : rng() % nr_keys;
		unsigned int op = rng() % 100;

		if (op < 25)
			random_insert(&xa, k, entry_of(++stamp));
		else if (op < 35)
			random_store(&xa, k, entry_of(++stamp));
		else if (op < 40)
			random_store(&xa, k, NULL);
		else if (op < 55)
			random_erase(&xa, k);
		else if (op < 65)
			random_mark(&xa, k, true);
		else if (op < 73)
			random_mark(&xa, k, false);
		else if (op < 78)
			KT_EXPECT(xa_load(&xa, keys[k]) == model_entry[k]);
		else if (op < 92)
			random_find(&xa);
		else
			random_extract(&xa);
		if (step % CHECK_EVERY == 0)
			compare_all(&xa);
		if (step % (NR_STEPS / 4) == 0)
			random_clear_all(&xa);
	}
	compare_all(&xa);
	teardown(&xa);
}

static void t_node_size(void)
{
	printf("    # struct xa_node: %zu bytes\n", sizeof(struct xa_node));
	KT_EXPECT(sizeof(struct xa_node) <= 8 * (XA_CHUNK_SIZE + 8));
}

static const struct kt_case cases[] = {
	KT_CASE(t_empty, "an empty xarray: nothing to load, find, erase or mark"),
	KT_CASE(t_edges, "insert, load and erase at the level edges up to ULONG_MAX"),
	KT_CASE(t_edges_alone_and_reversed, "each edge index alone, then top-down"),
	KT_CASE(t_index_zero_height_zero, "index 0 alone is height 0, with its marks kept across grow and shrink"),
	KT_CASE(t_eexist_changes_nothing, "-EEXIST leaves the tree as it was"),
	KT_CASE(t_store_semantics, "xa_store replaces keeping marks, NULL erases"),
	KT_CASE(t_spare_protocol, "short spare: -ENOMEM, nothing changed, want exact; same-leaf inserts need none"),
	KT_CASE(t_marks, "marks: set, get, clear, propagation, erase clears"),
	KT_CASE(t_find_marks_dense, "xa_find by mark and present over a dense tree"),
	KT_CASE(t_find_marks_sparse, "xa_find by mark and present over sparse trees"),
	KT_CASE(t_find_bounds, "xa_find/xa_find_after/xa_for_each_range bounds, ULONG_MAX"),
	KT_CASE(t_extract, "xa_extract batches, start after each, wrap at ULONG_MAX"),
	KT_CASE(t_shrink, "erasing shrinks to the minimal height and frees every node"),
	KT_CASE(t_random, "200000 seeded random operations against a model"),
	KT_CASE(t_node_size, "node size"),
};

int main(void)
{
	struct page *kernel_pages = calloc(KERNEL_PAGES, sizeof(*kernel_pages));
	int failed;

	if (!kernel_pages)
		abort();
	fake_ram_init(PFN_PHYS(RAM_BASE_PFN), KERNEL_PAGES * PAGE_SIZE);
	pmm_init(&kernel_pmm, kernel_pages, RAM_BASE_PFN, KERNEL_PAGES);
	pmm_add_free_range(&kernel_pmm, RAM_BASE_PFN, KERNEL_PAGES);
	kmalloc_init();
	if (xa_init_cache() != 0 || xa_init_cache() != 0)
		abort();
	failed = kt_run_suite("xarray", cases, KT_N(cases));
	free(kernel_pages);
	fake_ram_free();
	return failed;
}
