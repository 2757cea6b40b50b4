/*
 * util: small containers shared by the analyzer modules (prefix util_).
 *
 * util_grow grows a caller-owned array with overflow checks; util_map maps 64-bit keys (stack ids,
 * thread ids, ...) to 32-bit indices into such an array.  Nothing here prints or exits.
 */
#ifndef LEAKREC_UTIL_H
#define LEAKREC_UTIL_H

#include <stddef.h>
#include <stdint.h>

enum {
	UTIL_OK = 0,
	UTIL_ENOMEM = -1, /* out of memory, or the size would overflow */
};

/* Returns a static description of a UTIL_E* code. */
const char *util_strerror(int err);

/* Makes *arr (an array of elements of `elem` bytes, owned by the caller, freed with free())
 * hold at least `need` elements, doubling its capacity *cap.  Returns 0 or UTIL_ENOMEM (the array
 * is then unchanged). */
int util_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* Mixes a 64-bit key into a well-distributed hash. */
uint64_t util_hash64(uint64_t x);

/* A hash map from uint64_t keys to uint32_t values; no removal.  Plain struct: zero it or call
 * util_map_init, release its memory with util_map_release. */
typedef struct util_map {
	uint64_t *keys;
	uint32_t *vals;  /* UINT32_MAX marks an empty slot */
	size_t cap;      /* power of two, or 0 */
	size_t count;
} util_map;

void util_map_init(util_map *m);
void util_map_release(util_map *m);
/* Returns 1 and *val when key is present, else 0. */
int util_map_get(const util_map *m, uint64_t key, uint32_t *val);
/* Sets key to val (val must not be UINT32_MAX).  Returns 0 or UTIL_ENOMEM. */
int util_map_put(util_map *m, uint64_t key, uint32_t val);

/* Returns the length (1-4) of the well-formed UTF-8 sequence at p (n bytes available), or 0 when
 * the bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut off, stray byte). */
size_t util_utf8_len(const unsigned char *p, size_t n);

#endif
