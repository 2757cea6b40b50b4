/*
 * queue.c: a lock-free stack of records (see queue.h), turned around when taken.
 */
#include "queue.h"

#include <stdatomic.h>
#include <string.h>

#include "prim.h"
#include "rec.h"

static _Atomic(queue_node *) head;

int queue_post(const void *rec, size_t len)
{
	queue_node *n = prim_arena_alloc(sizeof(*n) + len);
	if (!n) {
		rec_fail("out of memory for a module or mark record");
		return -1;
	}
	n->len = len;
	memcpy(n->data, rec, len);
	queue_node *h = atomic_load(&head);
	do
		n->next = h;
	while (!atomic_compare_exchange_weak(&head, &h, n));
	return 0;
}

queue_node *queue_take(void)
{
	queue_node *lst = atomic_exchange(&head, NULL), *rev = NULL;
	while (lst) {
		queue_node *nx = lst->next;
		lst->next = rev;
		rev = lst;
		lst = nx;
	}
	return rev;
}

void queue_atfork_child(void) { atomic_store(&head, NULL); }
