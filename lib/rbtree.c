/*
 * Red-black tree: the rebalancing half of include/pagoda/rbtree.h. The
 * caller owns the ordering (it walks down and links the node); this file
 * only recolours and rotates, so one implementation serves every key.
 *
 * Invariants (checked by rb_check()):
 *   1. the root is black;
 *   2. a red node has no red child;
 *   3. every path from a node down to a NULL link has the same number of
 *      black nodes (the black height).
 * Together they bound the height by 2 log2(n + 1), so a walk is O(log n).
 *
 * NULL links count as black. No locking: the tree's owner serialises.
 * Host-compilable.
 */
#include <pagoda/rbtree.h>

static bool is_red(const struct rb_node *n)
{
	return n && n->red;
}

/* Point @parent's link (or the root) that held @old at @new. */
static void replace_child(struct rb_root *root, struct rb_node *parent,
			  struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/*
 *     x              y
 *    / \            / \
 *   a   y    ->    x   c
 *      / \        / \
 *     b   c      a   b
 */
static void rotate_left(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
}

/* The mirror image of rotate_left(). */
static void rotate_right(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
}

/*
 * @node was just linked red by rb_link_node(). Restore invariant 2 by
 * pushing the red-red conflict up (recolouring when the uncle is red) or
 * ending it with at most two rotations (uncle black).
 */
void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *parent, *gparent, *uncle;

	while ((parent = node->parent) && parent->red) {
		gparent = parent->parent;	/* a red parent is never the root */
		uncle = parent == gparent->left ? gparent->right : gparent->left;
		if (is_red(uncle)) {
			parent->red = 0;
			uncle->red = 0;
			gparent->red = 1;
			node = gparent;
			continue;
		}
		if (parent == gparent->left) {
			if (node == parent->right) {
				rotate_left(root, parent);
				node = parent;
				parent = node->parent;
			}
			rotate_right(root, gparent);
		} else {
			if (node == parent->left) {
				rotate_right(root, parent);
				node = parent;
				parent = node->parent;
			}
			rotate_left(root, gparent);
		}
		parent->red = 0;
		gparent->red = 1;
		break;
	}
	root->node->red = 0;
}

/*
 * A black node was removed above @node (possibly NULL), whose parent is
 * @parent: that side is one black short. Fix it by borrowing from the
 * sibling's side or pushing the deficit up.
 */
static void erase_fixup(struct rb_node *node, struct rb_node *parent,
			struct rb_root *root)
{
	struct rb_node *sib;

	while (node != root->node && !is_red(node)) {
		if (node == parent->left) {
			sib = parent->right;
			if (sib->red) {
				sib->red = 0;
				parent->red = 1;
				rotate_left(root, parent);
				sib = parent->right;
			}
			if (!is_red(sib->left) && !is_red(sib->right)) {
				sib->red = 1;
				node = parent;
				parent = node->parent;
				continue;
			}
			if (!is_red(sib->right)) {
				sib->left->red = 0;
				sib->red = 1;
				rotate_right(root, sib);
				sib = parent->right;
			}
			sib->red = parent->red;
			parent->red = 0;
			sib->right->red = 0;
			rotate_left(root, parent);
		} else {
			sib = parent->left;
			if (sib->red) {
				sib->red = 0;
				parent->red = 1;
				rotate_right(root, parent);
				sib = parent->left;
			}
			if (!is_red(sib->left) && !is_red(sib->right)) {
				sib->red = 1;
				node = parent;
				parent = node->parent;
				continue;
			}
			if (!is_red(sib->left)) {
				sib->right->red = 0;
				sib->red = 1;
				rotate_left(root, sib);
				sib = parent->left;
			}
			sib->red = parent->red;
			parent->red = 0;
			sib->left->red = 0;
			rotate_right(root, parent);
		}
		node = root->node;
		break;
	}
	if (node)
		node->red = 0;
}

/*
 * Unlink @node. A node with two children trades places with its in-order
 * successor first (by relinking, never by copying keys: the caller's
 * container_of() pointers stay valid), so the node actually removed from
 * its position has at most one child.
 */
void rb_erase(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *child, *parent;
	int removed_red;

	if (node->left && node->right) {
		struct rb_node *succ = node->right;

		while (succ->left)
			succ = succ->left;
		child = succ->right;
		removed_red = succ->red;
		if (succ->parent == node) {
			parent = succ;
		} else {
			parent = succ->parent;
			parent->left = child;
			if (child)
				child->parent = parent;
			succ->right = node->right;
			node->right->parent = succ;
		}
		succ->left = node->left;
		node->left->parent = succ;
		succ->red = node->red;
		replace_child(root, node->parent, node, succ);
	} else {
		child = node->left ? node->left : node->right;
		parent = node->parent;
		removed_red = node->red;
		replace_child(root, parent, node, child);
	}
	if (!removed_red)
		erase_fixup(child, parent, root);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->right)
		n = n->right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	const struct rb_node *parent;

	if (node->right) {
		node = node->right;
		while (node->left)
			node = node->left;
		return (struct rb_node *)node;
	}
	while ((parent = node->parent) && node == parent->right)
		node = parent;
	return (struct rb_node *)parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	const struct rb_node *parent;

	if (node->left) {
		node = node->left;
		while (node->right)
			node = node->right;
		return (struct rb_node *)node;
	}
	while ((parent = node->parent) && node == parent->left)
		node = parent;
	return (struct rb_node *)parent;
}

/* Black height of the subtree at @n (NULL links count 1), or -1 if broken. */
static int check_subtree(const struct rb_node *n, const struct rb_node *parent)
{
	int left, right;

	if (!n)
		return 1;
	if (n->parent != parent)
		return -1;
	if (n->red && (is_red(n->left) || is_red(n->right)))
		return -1;
	left = check_subtree(n->left, n);
	right = check_subtree(n->right, n);
	if (left < 0 || right < 0 || left != right)
		return -1;
	return left + !n->red;
}

int rb_check(const struct rb_root *root)
{
	if (is_red(root->node))
		return -1;
	return check_subtree(root->node, NULL);
}
