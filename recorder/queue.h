/*
 * queue: whole records encoded by other threads (module loads and unloads, marks) on their way to
 * the writer, which writes them at its next pass, oldest first.  Posting copies the record into
 * arena memory and pushes it onto a lock-free list, so any thread may post, from a hook too.
 */
#ifndef LEAKREC_QUEUE_H
#define LEAKREC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "lifo.h"

typedef struct queue_node {
	void *next;     /* the next newer record in a queue_take list (a lifo link) */
	size_t len;
	uint8_t data[]; /* one encoded record (tf_enc) */
} queue_node;

/* Queues a copy of the len bytes at rec.  Returns 0, or -1 when out of memory: the record is
 * lost and recording stops (rec_fail).  Lock-free, no malloc. */
int queue_post(const void *rec, size_t len);
/* Takes every record queued so far, oldest first, linked by next.  The nodes are arena memory,
 * never freed (the caller only reads them).  One consumer at a time (the writer). */
queue_node *queue_take(void);
/* In a forked child: forgets the records the parent had queued (its writer writes them). */
void queue_atfork_child(void);

#endif
