/*
 * util: small containers and helpers shared by the analyzer modules (prefix util_).
 *
 * util_grow grows a caller-owned array with overflow checks; util_map maps 64-bit keys (stack ids,
 * thread ids, ...) to 32-bit indices into such an array, util_pairmap pairs of 64-bit keys to
 * pointers.  One 64-bit mixer (util_hash64) and one string hash (util_fnv1a) serve every hash
 * table.  Nothing here prints or exits.
 */
#ifndef LEAKREC_UTIL_H
#define LEAKREC_UTIL_H

#include <stdarg.h>
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

/* Mixes a 64-bit key into a well-distributed hash (the splitmix64 finalizer). */
uint64_t util_hash64(uint64_t x);
/* Returns the 64-bit FNV-1a hash of the NUL-terminated string s. */
uint64_t util_fnv1a(const char *s);

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

/* A hash map from pairs of uint64_t keys to non-NULL pointers; no removal.  Plain struct: zero it,
 * release its memory with util_pairmap_release (the pointers are the caller's). */
typedef struct util_pairmap {
	struct util_pair_slot *slot;
	size_t cap; /* power of two, or 0 */
	size_t len;
} util_pairmap;

void util_pairmap_release(util_pairmap *m);
/* Returns the pointer stored under (a, b), or NULL. */
void *util_pairmap_get(const util_pairmap *m, uint64_t a, uint64_t b);
/* Stores val (not NULL) under (a, b), which must not be present.  Returns 0 or UTIL_ENOMEM. */
int util_pairmap_put(util_pairmap *m, uint64_t a, uint64_t b, void *val);

/* Returns the part of path after its last '/' (borrowed from path); the whole path when it has
 * no '/' or ends in one. */
const char *util_base_name(const char *path);

/* Writes the n bytes at b as lowercase hex into out (2n + 1 chars, '\0'-terminated): build-ids. */
void util_hex(char *out, const uint8_t *b, size_t n);

/* Where library code says what went wrong: one line of text per problem, without the tool's
 * name or a newline (the commands print "leakanalyze: LINE").  say may be NULL: dropped. */
typedef struct util_log {
	void (*say)(void *ctx, const char *line);
	void *ctx;
} util_log;

/* Formats a line and hands it to log (which may be NULL). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void util_say(const util_log *log, const char *fmt, ...);

/* The difference cur - base, saturated to the int64_t range. */
int64_t util_change(uint64_t base, uint64_t cur);

/* Returns how many of total items a list of at most top items (0: no limit) shows. */
size_t util_shown(size_t total, unsigned top);

/* Returns 1 when c may stand in a C or Rust identifier (letters, digits, '_', '$'). */
int util_is_ident(int c);

/* Returns the length (1-4) of the well-formed UTF-8 sequence at p (n bytes available), or 0 when
 * the bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut off, stray byte). */
size_t util_utf8_len(const unsigned char *p, size_t n);

#endif
