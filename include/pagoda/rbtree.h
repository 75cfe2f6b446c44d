/*
 * Red-black tree (lib/rbtree.c), intrusive, in the style of Linux's API:
 * the caller walks down to find the link, calls rb_link_node() and then
 * rb_insert_color() to rebalance. Host-compilable.
 */
#ifndef PAGODA_RBTREE_H
#define PAGODA_RBTREE_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>

struct rb_node {
	struct rb_node *parent;
	struct rb_node *left, *right;
	int red;
};

struct rb_root {
	struct rb_node *node;
};

#define RB_ROOT		((struct rb_root){ NULL })
#define rb_entry(ptr, type, member)	container_of(ptr, type, member)

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent = parent;
	node->left = node->right = NULL;
	node->red = 1;
	*link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Check the red-black invariants; returns the black height or -1 (tests). */
int rb_check(const struct rb_root *root);

#endif
