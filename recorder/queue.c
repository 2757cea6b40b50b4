/*
 * queue.c: the record queue (see queue.h), a lifo of copies.
 */
#include "queue.h"

#include <stdatomic.h>
#include <string.h>

#include "prim.h"
#include "rec.h"

static lifo records;

int queue_post(const void *rec, size_t len)
{
	queue_node *n = prim_arena_alloc(sizeof(*n) + len);
	if (!n) {
		rec_fail("out of memory for a module or mark record");
		return -1;
	}
	n->len = len;
	memcpy(n->data, rec, len);
	lifo_push(&records, n);
	return 0;
}

queue_node *queue_take(void) { return lifo_take(&records); }

void queue_atfork_child(void) { atomic_store(&records, NULL); }
