/*
 * lifo: an intrusive lock-free list that any number of threads push nodes onto and one consumer
 * empties at once, getting the nodes oldest first (a Treiber stack, turned around when taken).
 * The stack table's list of new stacks and the record queue are such lists.  Header only: no
 * allocation, no lock, safe in a hook.
 *
 * A node is any struct whose first member is `void *next` (under any name): the list's link, the
 * next newer node once the list is taken.
 */
#ifndef LEAKREC_LIFO_H
#define LEAKREC_LIFO_H

#include <stdatomic.h>
#include <stddef.h>

/* A list: NULL when empty (a zeroed static one is). */
typedef _Atomic(void *) lifo;

/* Pushes node, which the list links but does not own.  Lock-free; any thread. */
static inline void lifo_push(lifo *l, void *node)
{
	void *head = atomic_load_explicit(l, memory_order_relaxed);
	do
		*(void **)node = head;
	while (!atomic_compare_exchange_weak_explicit(l, &head, node, memory_order_release,
						      memory_order_relaxed));
}

/* Takes every node pushed so far and returns the oldest, each linked to the next newer one (the
 * last to NULL); NULL when there were none.  One consumer at a time. */
static inline void *lifo_take(lifo *l)
{
	void *lst = atomic_exchange_explicit(l, NULL, memory_order_acquire), *rev = NULL;
	while (lst) {
		void *next = *(void **)lst;
		*(void **)lst = rev;
		rev = lst;
		lst = next;
	}
	return rev;
}

#endif
