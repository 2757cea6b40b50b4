/*
 * util.c: growable arrays, hash maps and string helpers (see util.h).  The maps use open
 * addressing with linear probing, load factor at most 1/2.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *util_strerror(int err)
{
	switch (err) {
	case UTIL_OK: return "success";
	case UTIL_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

int util_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return UTIL_ENOMEM;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return UTIL_ENOMEM;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return UTIL_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

uint64_t util_hash64(uint64_t x)
{
	/* splitmix64 finalizer */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t util_fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

void util_map_init(util_map *m) { memset(m, 0, sizeof(*m)); }

void util_map_release(util_map *m)
{
	free(m->keys);
	free(m->vals);
	util_map_init(m);
}

int util_map_get(const util_map *m, uint64_t key, uint32_t *val)
{
	if (!m->cap)
		return 0;
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)util_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->vals[i] == UINT32_MAX)
			return 0;
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return 1;
		}
	}
}

static void map_insert(uint64_t *keys, uint32_t *vals, size_t cap, uint64_t key, uint32_t val)
{
	size_t mask = cap - 1;
	size_t i = (size_t)util_hash64(key) & mask;
	while (vals[i] != UINT32_MAX && keys[i] != key)
		i = (i + 1) & mask;
	keys[i] = key;
	vals[i] = val;
}

int util_map_put(util_map *m, uint64_t key, uint32_t val)
{
	if ((m->count + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		if (ncap > SIZE_MAX / sizeof(uint64_t))
			return UTIL_ENOMEM;
		uint64_t *keys = malloc(ncap * sizeof(*keys));
		uint32_t *vals = malloc(ncap * sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return UTIL_ENOMEM;
		}
		memset(vals, 0xff, ncap * sizeof(*vals));
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i] != UINT32_MAX)
				map_insert(keys, vals, ncap, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = ncap;
	}
	uint32_t old;
	if (!util_map_get(m, key, &old))
		m->count++;
	map_insert(m->keys, m->vals, m->cap, key, val);
	return 0;
}

struct util_pair_slot {
	uint64_t a, b;
	void *val; /* NULL: empty */
};

static size_t pair_home(uint64_t a, uint64_t b, size_t cap)
{
	return (size_t)util_hash64(a * 0x9e3779b97f4a7c15ULL ^ util_hash64(b)) & (cap - 1);
}

void util_pairmap_release(util_pairmap *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

void *util_pairmap_get(const util_pairmap *m, uint64_t a, uint64_t b)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = pair_home(a, b, m->cap);; i = (i + 1) & mask) {
		const struct util_pair_slot *s = &m->slot[i];
		if (!s->val)
			return NULL;
		if (s->a == a && s->b == b)
			return s->val;
	}
}

/* Places a slot known to be absent into slot[0..cap). */
static void pair_place(struct util_pair_slot *slot, size_t cap, const struct util_pair_slot *s)
{
	size_t i = pair_home(s->a, s->b, cap);
	while (slot[i].val)
		i = (i + 1) & (cap - 1);
	slot[i] = *s;
}

int util_pairmap_put(util_pairmap *m, uint64_t a, uint64_t b, void *val)
{
	if ((m->len + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct util_pair_slot *slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return UTIL_ENOMEM;
		for (size_t j = 0; j < m->cap; j++)
			if (m->slot[j].val)
				pair_place(slot, cap, &m->slot[j]);
		free(m->slot);
		m->slot = slot;
		m->cap = cap;
	}
	pair_place(m->slot, m->cap, &(struct util_pair_slot){a, b, val});
	m->len++;
	return 0;
}

const char *util_base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

void util_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void util_say(const util_log *log, const char *fmt, ...)
{
	if (!log || !log->say)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *big = NULL;
	if (n >= (int)sizeof(buf) && (big = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	log->say(log->ctx, big ? big : buf);
	free(big);
}

int64_t util_change(uint64_t base, uint64_t cur)
{
	if (cur >= base)
		return cur - base > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(cur - base);
	return base - cur > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(base - cur);
}

size_t util_shown(size_t total, unsigned top) { return top && total > top ? top : total; }

int util_is_ident(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '$';
}

size_t util_utf8_len(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}
