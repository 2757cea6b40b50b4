/*
 * livemap: the writer thread's map of live blocks, pointer -> allocation number and size.  It
 * lets the trace name a freed block by the number of its allocation instead of by its address,
 * so the trace holds no pointers (they were most of its bytes); the size tells a realloc in place
 * that grew from one that shrank (the END record's counts).  Single-threaded (writer only); memory from
 * mmap, grown by rehashing.
 */
#ifndef LEAKREC_LIVEMAP_H
#define LEAKREC_LIVEMAP_H

#include <stddef.h>
#include <stdint.h>

/* Adds ptr (not 0) -> (id, size).  Returns 0, or -1 when out of memory. */
int livemap_put(uint64_t ptr, uint64_t id, uint64_t size);
/* Removes ptr; returns 1 with its id in *id and its size in *size (when size is not NULL), or 0
 * when ptr is not live. */
int livemap_take(uint64_t ptr, uint64_t *id, uint64_t *size);
/* 1 when ptr is live. */
int livemap_has(uint64_t ptr);
/* Forgets every block (a forked child starts its own trace). */
void livemap_reset(void);
/* Slots of the table (live or empty), for livemap_at. */
size_t livemap_slots(void);
/* Slot i (i < livemap_slots()): returns 1 with its block when it holds one, else 0. */
int livemap_at(size_t i, uint64_t *ptr, uint64_t *id, uint64_t *size);
/* Live blocks in the map. */
uint64_t livemap_count(void);

#endif
