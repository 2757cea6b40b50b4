/*
 * arena.c: chunked bump allocation and string interning (see arena.h).  A request larger than a
 * chunk gets a chunk of its own, put behind the current one so that it keeps filling.
 */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[]; /* cap bytes */
};

#define ARENA_CHUNK (64u * 1024u)

void *arena_alloc(arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	struct arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		if (a->head && n > ARENA_CHUNK) {
			/* keep filling the current chunk: put the big one behind it */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Doubles the table of interned strings.  Returns 0 or -1. */
static int strs_grow(arena *a)
{
	size_t cap = a->strcap ? a->strcap * 2 : 256;
	const char **strs = calloc(cap, sizeof(*strs));
	uint64_t *hashes = calloc(cap, sizeof(*hashes));
	if (!strs || !hashes) {
		free(strs);
		free(hashes);
		return -1;
	}
	for (size_t j = 0; j < a->strcap; j++) {
		if (!a->strs[j])
			continue;
		size_t i = (size_t)a->hashes[j] & (cap - 1);
		while (strs[i])
			i = (i + 1) & (cap - 1);
		strs[i] = a->strs[j];
		hashes[i] = a->hashes[j];
	}
	free(a->strs);
	free(a->hashes);
	a->strs = strs;
	a->hashes = hashes;
	a->strcap = cap;
	return 0;
}

const char *arena_intern(arena *a, const char *s)
{
	if ((a->nstrs + 1) * 2 > a->strcap && strs_grow(a))
		return NULL;
	uint64_t h = util_fnv1a(s);
	size_t mask = a->strcap - 1;
	size_t i = (size_t)h & mask;
	for (; a->strs[i]; i = (i + 1) & mask)
		if (a->hashes[i] == h && strcmp(a->strs[i], s) == 0)
			return a->strs[i];
	const char *p = arena_strndup(a, s, strlen(s));
	if (!p)
		return NULL;
	a->strs[i] = p;
	a->hashes[i] = h;
	a->nstrs++;
	return p;
}

void arena_release(arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a->strs);
	free(a->hashes);
	memset(a, 0, sizeof(*a));
}
