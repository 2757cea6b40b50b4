/*
 * util: small containers shared by the analyzer modules (prefix ut_).
 *
 * ut_grow grows a caller-owned array with overflow checks; ut_map maps 64-bit keys (stack ids,
 * thread ids, ...) to 32-bit indices into such an array.  Nothing here prints or exits.
 */
#ifndef LEAKREC_UTIL_H
#define LEAKREC_UTIL_H

#include <stddef.h>
#include <stdint.h>

enum {
	UT_OK = 0,
	UT_ENOMEM = -1, /* out of memory, or the size would overflow */
};

/* Returns a static description of a UT_E* code. */
const char *ut_strerror(int err);

/* Makes *arr (an array of elements of `elem` bytes, owned by the caller, freed with free())
 * hold at least `need` elements, doubling its capacity *cap.  Returns 0 or UT_ENOMEM (the array
 * is then unchanged). */
int ut_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* Mixes a 64-bit key into a well-distributed hash. */
uint64_t ut_hash64(uint64_t x);

/* A hash map from uint64_t keys to uint32_t values; no removal.  Plain struct: zero it or call
 * ut_map_init, release its memory with ut_map_release. */
typedef struct ut_map {
	uint64_t *keys;
	uint32_t *vals;  /* UINT32_MAX marks an empty slot */
	size_t cap;      /* power of two, or 0 */
	size_t count;
} ut_map;

void ut_map_init(ut_map *m);
void ut_map_release(ut_map *m);
/* Returns 1 and *val when key is present, else 0. */
int ut_map_get(const ut_map *m, uint64_t key, uint32_t *val);
/* Sets key to val (val must not be UINT32_MAX).  Returns 0 or UT_ENOMEM. */
int ut_map_put(ut_map *m, uint64_t key, uint32_t val);

/* Returns the length (1-4) of the well-formed UTF-8 sequence at p (n bytes available), or 0 when
 * the bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut off, stray byte). */
size_t ut_utf8_len(const unsigned char *p, size_t n);

#endif
