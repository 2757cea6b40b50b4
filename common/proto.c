/*
 * proto.c: trace naming and the parsing of sizes and durations, shared by the launcher and the
 * preload library (see proto.h).  No libc call that allocates or could fail: hook-path safe.
 */
#include "proto.h"

size_t proto_expand_pid(const char *pattern, uint64_t pid, char *out, size_t cap)
{
	char num[24];
	size_t n = 0, o = 0;
	do
		num[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) != 0);
	for (const char *s = pattern; *s && o + 1 < cap; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			for (size_t i = n; i-- > 0 && o + 1 < cap;)
				out[o++] = num[i];
			s++;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return o;
}

static int parse_whole(const char **sp, uint64_t *v)
{
	const char *s = *sp;
	uint64_t x = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*sp = s;
	*v = x;
	return 0;
}

static int same(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a | 0x20) != (*b | 0x20))
			return 0;
	return *a == *b;
}

int proto_parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	if (!s || parse_whole(&s, &v))
		return -1;
	unsigned shift = 0;
	switch (*s | 0x20) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	}
	if (shift) {
		s++;
		if (!(*s == '\0' || same(s, "b") || same(s, "ib") || same(s, "i")))
			return -1;
	} else if (!(*s == '\0' || same(s, "b"))) {
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int proto_parse_duration(const char *s, uint64_t *out_ns)
{
	uint64_t whole, frac = 0, scale = 1;
	if (!s || parse_whole(&s, &whole))
		return -1;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++)
			if (scale < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
	}
	uint64_t unit;
	if (*s == '\0' || same(s, "s"))
		unit = 1000000000ull;
	else if (same(s, "ms"))
		unit = 1000000ull;
	else if (same(s, "m") || same(s, "min"))
		unit = 60000000000ull;
	else if (same(s, "h"))
		unit = 3600000000000ull;
	else
		return -1;
	if (whole > UINT64_MAX / unit)
		return -1;
	*out_ns = whole * unit + (uint64_t)((double)frac / (double)scale * (double)unit);
	return 0;
}
