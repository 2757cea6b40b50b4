/*
 * stacktab: the recorder's stack table.  Maps a call stack (instruction addresses + module epoch) to a
 * small integer id, without locks: lookups and inserts from any number of threads at once.
 * Each stack new to the table is queued once for the writer, which emits its STACK record before
 * any event that refers to it.
 */
#ifndef LEAKREC_STACKTAB_H
#define LEAKREC_STACKTAB_H

#include <stdint.h>

#include "lifo.h"

typedef struct stacktab_node {
	void *next_new; /* the next newer stack in a stacktab_take_new list (a lifo link) */
	uint64_t hash;
	uint64_t epoch;
	uint32_t id;
	uint32_t n;
	uint64_t frames[]; /* innermost first */
} stacktab_node;

/* Sets up the table.  Returns 0 or -1 when no memory could be mapped. */
int stacktab_init(void);
/* In a forked child: starts an empty table (the child's trace defines its own stacks); the old
 * tables stay mapped, unused. */
void stacktab_atfork_child(void);
/* The table's hash of a stack, folded from the outermost frame inwards so that the value of a
 * known outer part (a cached walk's suffix, see unwind.c) can be extended by the inner frames:
 *   h = STACKTAB_HASH_SEED; for i = n-1 down to 0: h = stacktab_hash_fold(h, frames[i]);
 *   hash = stacktab_hash_final(h, n, epoch) */
#define STACKTAB_HASH_SEED 0x9e3779b97f4a7c15ull
static inline uint64_t stacktab_hash_fold(uint64_t h, uint64_t frame)
{
	h ^= frame;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}
static inline uint64_t stacktab_hash_final(uint64_t h, uint32_t n, uint64_t epoch)
{
	return stacktab_hash_fold(h, n ^ (epoch * 0xff51afd7ed558ccdull)) | 1; /* never 0 */
}

/* Returns the id of the stack (inserting it when new; ids start at 1), or 0 when out of memory. */
uint32_t stacktab_intern(const uint64_t *frames, uint32_t n, uint64_t epoch);
/* The same with the hash already computed (stacktab_hash_final); frames are still compared whole. */
uint32_t stacktab_intern_hashed(const uint64_t *frames, uint32_t n, uint64_t epoch, uint64_t hash);
/* Takes every stack inserted since the last call, oldest first, linked by next_new.  The nodes
 * stay owned by the table (arena memory). Writer thread only. */
stacktab_node *stacktab_take_new(void);
/* Number of distinct stacks. */
uint32_t stacktab_count(void);

#endif
