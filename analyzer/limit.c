/*
 * limit.c: size and limit parsing, formatting and crossing (see limit.h).  Decimals are read
 * exactly (up to 9 fraction digits, as billionths), so that a limit of exactly the increase
 * passes whatever binary floating point makes of it.
 */
#include "limit.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

const char *limit_strerror(int err)
{
	switch (err) {
	case LIMIT_OK: return "success";
	case LIMIT_EINVAL: return "invalid value";
	}
	return "unknown error";
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* Parses "digits[.digits]" at s: the integer part in *ip, up to 9 fraction digits as a
 * numerator over 10^9 in *frac; returns the end, or NULL when there is no digit or the integer
 * part overflows. */
static const char *parse_decimal(const char *s, uint64_t *ip, uint64_t *frac)
{
	uint64_t v = 0, f = 0, scale = 100000000u;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return NULL;
		v = v * 10 + digit;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return NULL;
		for (; *p >= '0' && *p <= '9'; p++) {
			f += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	*ip = v;
	*frac = f;
	return p;
}

int limit_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} units[] = {
		{"", 1}, {"b", 1},
		{"k", 1ULL << 10}, {"kib", 1ULL << 10}, {"kb", 1000ULL},
		{"m", 1ULL << 20}, {"mib", 1ULL << 20}, {"mb", 1000000ULL},
		{"g", 1ULL << 30}, {"gib", 1ULL << 30}, {"gb", 1000000000ULL},
		{"t", 1ULL << 40}, {"tib", 1ULL << 40}, {"tb", 1000000000000ULL},
	};
	uint64_t ip, frac;
	const char *p = parse_decimal(s, &ip, &frac);
	if (!p)
		return LIMIT_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!ieq(p, units[i].name))
			continue;
		uint64_t m = units[i].mult;
		if (m > 1 && ip > UINT64_MAX / m)
			return LIMIT_EINVAL;
		uint64_t v = ip * m;
		/* the fraction of the unit, rounded down to whole bytes (m < 2^41, frac < 10^9) */
		uint64_t fb = (uint64_t)((long double)frac * (long double)m / 1e9L);
		if (v > UINT64_MAX - fb)
			return LIMIT_EINVAL;
		*out = v + fb;
		return 0;
	}
	return LIMIT_EINVAL;
}

int limit_parse(const char *s, int sizes, limit *out)
{
	size_t n = strlen(s);
	memset(out, 0, sizeof(*out));
	if (n > 1 && s[n - 1] == '%') {
		uint64_t ip, frac;
		const char *p = parse_decimal(s, &ip, &frac);
		if (!p || p != s + n - 1)
			return LIMIT_EINVAL;
		out->percent = 1;
		out->value = (double)ip + (double)frac / 1e9;
		return 0;
	}
	if (sizes)
		return limit_parse_size(s, &out->amount);
	uint64_t ip, frac;
	const char *p = parse_decimal(s, &ip, &frac);
	if (!p || *p || frac)
		return LIMIT_EINVAL;
	out->amount = ip;
	return 0;
}

int limit_crossed(const limit *l, uint64_t base, uint64_t cur)
{
	if (cur <= base)
		return 0;
	uint64_t inc = cur - base;
	if (!l->percent)
		return inc > l->amount;
	if (base == 0)
		return 1;
	/* limit_parse keeps at most 9 decimals: compare in whole billionths of a percent, so
	 * that an increase of exactly the limit passes although 0.3 (say) is 0.2999... in binary */
	long double nano = roundl((long double)l->value * 1e9L);
	if (nano >= 0 && nano < 18446744073709551616.0L)
		return (unsigned __int128)inc * 100000000000u >
		       (unsigned __int128)(uint64_t)nano * base;
	return (long double)inc * 100.0L > (long double)l->value * (long double)base;
}

void limit_format(char *buf, size_t n, const limit *l, int sizes)
{
	if (l->percent)
		snprintf(buf, n, "%g%%", l->value);
	else if (sizes)
		text_format_size(buf, n, l->amount);
	else
		snprintf(buf, n, "%" PRIu64, l->amount);
}
