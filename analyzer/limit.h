/*
 * limit: sizes and the limits of the CI gates (prefix limit_): parsing what the user wrote,
 * formatting it back for people, and whether a figure crossed one.
 */
#ifndef LEAKREC_LIMIT_H
#define LEAKREC_LIMIT_H

#include <stddef.h>
#include <stdint.h>

enum {
	LIMIT_OK = 0,
	LIMIT_EINVAL = -1, /* a malformed size or limit */
};

/* Returns a static description of a LIMIT_E* code. */
const char *limit_strerror(int err);

/* Parses a byte count: digits with an optional fraction and unit: B, K/KiB, M/MiB, G/GiB, T/TiB
 * (powers of 1024), KB, MB, GB, TB (powers of 1000); case-insensitive.  Returns 0 and *out, or
 * LIMIT_EINVAL (bad syntax, or more than 2^64-1 bytes). */
int limit_parse_size(const char *s, uint64_t *out);

/* A limit given as an amount or as a percentage of a base figure. */
typedef struct limit {
	int percent;     /* 1: `value` is a percentage */
	double value;    /* the percentage, when percent */
	uint64_t amount; /* the amount, when !percent */
} limit;

/* Parses "N%" (a non-negative decimal percentage) or, with sizes, a size as limit_parse_size,
 * else a plain count.  Returns 0 and *out, or LIMIT_EINVAL. */
int limit_parse(const char *s, int sizes, limit *out);

/* Returns 1 when growing from base to cur crosses the limit: the increase is greater than the
 * amount, or than the percentage of base (any increase over a base of 0 crosses a percentage).
 * A figure against an amount with base 0 crosses when it is above the amount. */
int limit_crossed(const limit *l, uint64_t base, uint64_t cur);

/* Formats a limit for people ("10%", "1.0 MiB", "500") into buf. */
void limit_format(char *buf, size_t n, const limit *l, int sizes);

#endif
