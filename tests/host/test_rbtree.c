/*
 * Host tests of lib/rbtree.c: the red-black invariants (rb_check) and the
 * in-order sequence after every insert and erase, against a shadow array,
 * with ascending, descending and random keys.
 */
#include "ktap.h"
#include <pagoda/rbtree.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS	2048

struct item {
	int key;
	bool in_tree;
	struct rb_node node;
};

static struct item items[MAX_ITEMS];
static struct rb_root root;

static struct item *node_item(struct rb_node *n)
{
	return n ? rb_entry(n, struct item, node) : NULL;
}

/* Insert @it by key; equal keys go to the right. */
static void insert(struct item *it)
{
	struct rb_node **link = &root.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < node_item(parent)->key ? &parent->left : &parent->right;
	}
	rb_link_node(&it->node, parent, link);
	rb_insert_color(&it->node, &root);
	it->in_tree = true;
}

static void erase(struct item *it)
{
	rb_erase(&it->node, &root);
	it->in_tree = false;
}

static void reset(int n)
{
	root = RB_ROOT;
	memset(items, 0, sizeof(items));
	for (int i = 0; i < n; i++)
		items[i].key = i;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * The tree holds exactly the in_tree items of items[0..n), in key order
 * forwards and backwards, and rb_check() passes. Returns false on the
 * first mismatch (and marks the case failed).
 */
static bool tree_matches(int n)
{
	static int want[MAX_ITEMS];
	int count = 0, i = 0;
	struct rb_node *p;

	for (int k = 0; k < n; k++)
		if (items[k].in_tree)
			want[count++] = items[k].key;
	qsort(want, (size_t)count, sizeof(int), cmp_int);
	KT_EXPECT(rb_check(&root) > 0);
	for (p = rb_first(&root); p; p = rb_next(p), i++)
		if (i >= count || node_item(p)->key != want[i])
			break;
	KT_EXPECT_EQ(i, count);
	if (i != count)
		return false;
	for (p = rb_last(&root); p; p = rb_prev(p))
		if (--i < 0 || node_item(p)->key != want[i])
			break;
	KT_EXPECT_EQ(i, 0);
	return rb_check(&root) > 0 && i == 0;
}

/* Height of the tree (longest root-to-leaf path in nodes). */
static int height(const struct rb_node *n)
{
	int l, r;

	if (!n)
		return 0;
	l = height(n->left);
	r = height(n->right);
	return 1 + (l > r ? l : r);
}

static void t_empty_tree(void)
{
	reset(0);
	KT_EXPECT(rb_first(&root) == NULL);
	KT_EXPECT(rb_last(&root) == NULL);
	KT_EXPECT_EQ(rb_check(&root), 1);
}

static void t_ascending_insert_balanced(void)
{
	reset(MAX_ITEMS);
	for (int i = 0; i < MAX_ITEMS; i++) {
		insert(&items[i]);
		if (!tree_matches(i + 1))
			return;
	}
	/* red-black bound: height <= 2 log2(n + 1) = 22 for 2048 nodes */
	KT_EXPECT(height(root.node) <= 22);
	KT_EXPECT(!root.node->red);
}

static void t_descending_insert_then_erase_all(void)
{
	reset(MAX_ITEMS);
	for (int i = MAX_ITEMS - 1; i >= 0; i--)
		insert(&items[i]);
	KT_EXPECT(height(root.node) <= 22);
	for (int i = 0; i < MAX_ITEMS; i++) {
		erase(&items[i]);
		if ((i % 97 == 0 || i > MAX_ITEMS - 8) && !tree_matches(MAX_ITEMS))
			return;
	}
	KT_EXPECT(root.node == NULL);
}

static void t_random_insert_erase(void)
{
	srand(12345);
	reset(MAX_ITEMS);
	for (int step = 0; step < 20000; step++) {
		struct item *it = &items[rand() % MAX_ITEMS];

		if (it->in_tree)
			erase(it);
		else
			insert(it);
		if (step % 101 == 0 && !tree_matches(MAX_ITEMS))
			return;
	}
	KT_EXPECT(tree_matches(MAX_ITEMS));
	KT_EXPECT(height(root.node) <= 22);
}

static void t_erase_root_and_inner_nodes(void)
{
	reset(64);
	for (int i = 0; i < 64; i++)
		insert(&items[i]);
	/* the root always has two children here: the successor swap path */
	for (int i = 0; i < 32; i++) {
		struct item *r = node_item(root.node);

		KT_ASSERT(r->node.left && r->node.right);
		erase(r);
		if (!tree_matches(64))
			return;
	}
}

static void t_duplicate_keys_kept(void)
{
	reset(200);
	for (int i = 0; i < 200; i++) {
		items[i].key = i % 5;
		insert(&items[i]);
	}
	KT_EXPECT(tree_matches(200));
	for (int i = 0; i < 200; i += 3)
		erase(&items[i]);
	KT_EXPECT(tree_matches(200));
}

static void t_check_detects_broken_trees(void)
{
	struct rb_node *n;

	reset(16);
	for (int i = 0; i < 16; i++)
		insert(&items[i]);
	KT_ASSERT(rb_check(&root) > 0);
	/* a red root */
	root.node->red = 1;
	KT_EXPECT_EQ(rb_check(&root), -1);
	root.node->red = 0;
	/* a red node under a red node: paint the parent of a red node */
	for (n = rb_first(&root); n && !(n->red && n->parent != root.node); n = rb_next(n))
		;
	KT_ASSERT(n && n->parent && n->parent != root.node);
	n->parent->red = 1;
	KT_EXPECT_EQ(rb_check(&root), -1);
	n->parent->red = 0;
	KT_EXPECT(rb_check(&root) > 0);
	/* a wrong parent pointer */
	n = rb_first(&root);
	n->parent = NULL;
	KT_EXPECT_EQ(rb_check(&root), -1);
}

static const struct kt_case cases[] = {
	KT_CASE(t_empty_tree, "empty tree: no first or last, black height 1"),
	KT_CASE(t_ascending_insert_balanced, "ascending inserts keep the invariants and the height bound"),
	KT_CASE(t_descending_insert_then_erase_all, "descending inserts then erasing everything keeps order"),
	KT_CASE(t_random_insert_erase, "20000 random inserts and erases keep the invariants and the order"),
	KT_CASE(t_erase_root_and_inner_nodes, "erasing a node with two children relinks its successor"),
	KT_CASE(t_duplicate_keys_kept, "equal keys are all kept and erased individually"),
	KT_CASE(t_check_detects_broken_trees, "rb_check rejects a red root, a red-red edge and a bad parent"),
};

int main(void)
{
	return kt_run_suite("rbtree", cases, KT_N(cases));
}
