/*
 * livemap: the writer thread's map of live blocks, pointer -> allocation number.  It lets the trace
 * name a freed block by the number of its allocation instead of by its address, so the trace
 * holds no pointers (they were most of its bytes).  Single-threaded (writer only); memory from
 * mmap, grown by rehashing.
 */
#ifndef LEAKREC_LIVEMAP_H
#define LEAKREC_LIVEMAP_H

#include <stdint.h>

/* Adds ptr (not 0) -> id.  Returns 0, or -1 when out of memory. */
int livemap_put(uint64_t ptr, uint64_t id);
/* Removes ptr; returns 1 and its id in *id, or 0 when ptr is not live. */
int livemap_take(uint64_t ptr, uint64_t *id);
/* 1 when ptr is live. */
int livemap_has(uint64_t ptr);
/* Forgets every block (a forked child starts its own trace). */
void livemap_reset(void);
/* Live blocks in the map. */
uint64_t livemap_count(void);

#endif
