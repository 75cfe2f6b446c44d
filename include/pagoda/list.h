/* Intrusive doubly linked circular list. Host-compilable. */
#ifndef PAGODA_LIST_H
#define PAGODA_LIST_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

static inline void list_init(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void __list_insert(struct list_head *n, struct list_head *prev,
				 struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Insert @n right after @h (stack order). */
static inline void list_add(struct list_head *n, struct list_head *h)
{
	__list_insert(n, h, h->next);
}

/* Insert @n right before @h (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	__list_insert(n, h->prev, h);
}

static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = e->prev = NULL;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

/* Unlink @e and leave it self-linked, so list_empty(e) says "not on a list". */
static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	list_init(e);
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)

#define list_for_each_entry(pos, h, member)					\
	for ((pos) = list_entry((h)->next, __typeof__(*(pos)), member);		\
	     &(pos)->member != (h);						\
	     (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

#define list_for_each(pos, h) \
	for ((pos) = (h)->next; (pos) != (h); (pos) = (pos)->next)

#define list_for_each_safe(pos, tmp, h) \
	for ((pos) = (h)->next, (tmp) = (pos)->next; (pos) != (h); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
