/*
 * arena: bump allocation in chunks, freed all at once, with string interning (prefix arena_).
 *
 * For data that lives as long as its owner and is never freed alone (the symbolizer's frames and
 * names).  Plain struct: zero it; arena_release frees every allocation and interned string.
 */
#ifndef LEAKREC_ARENA_H
#define LEAKREC_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct arena {
	struct arena_chunk *head;
	/* interned strings: open addressing over their FNV-1a hashes */
	const char **strs;
	uint64_t *hashes;
	size_t strcap, nstrs;
} arena;

/* Returns n bytes aligned for any type, owned by the arena, or NULL when out of memory. */
void *arena_alloc(arena *a, size_t n);
/* Returns a NUL-terminated copy of s[0..n) in the arena, or NULL when out of memory. */
char *arena_strndup(arena *a, const char *s, size_t n);
/* Returns the one copy in the arena of the string s (equal strings give the same pointer), or
 * NULL when out of memory. */
const char *arena_intern(arena *a, const char *s);
/* Frees everything the arena handed out and zeroes it. */
void arena_release(arena *a);

#endif
