/*
 * lifetime.c: per-stack lifetimes and byte-seconds (see lifetime.h).
 *
 * One small record per stack index, grown on demand; each holds its own array of lifetimes.  The
 * path of a free is a bounds check, a multiply-add and an append; the arrays double until the
 * budget is spent, then stay as they are and sample.  Percentiles are computed on demand, for the
 * entries a report shows, on a sorted copy.
 *
 * Most lifetimes are short: an array holds them in 32 bits while they fit (below 2^32 ns, 4.29 s),
 * half the memory (and the page faults) of 64 bits; the first longer one widens the stack's array
 * to 64 bits.  (Ticks would reach further, but a lifetime is a whole number of ticks only when
 * both ends fall in one EVENTS record: each record has its own base time.)
 */
#include "lifetime.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Keeps a slow path out of line: the path of a free then saves no registers. */
#if defined(__GNUC__)
#define LT_NOINLINE __attribute__((noinline))
#else
#define LT_NOINLINE
#endif

typedef struct lt_stack {
	void *v;          /* kept lifetimes (ns): uint32_t, or uint64_t when wide */
	uint32_t n, cap;  /* kept, allocated */
	int wide;
	uint64_t seen;    /* lifetimes offered: the stack's freed blocks */
	uint64_t max;
	lifetime_acc held; /* byte-nanoseconds, exact (modulo 2^128: beyond 2^64 live bytes x 2^64 ns) */
} lt_stack;

struct lifetime_tab {
	lt_stack *st;
	size_t nst, capst;
	size_t budget, used; /* bytes of lifetimes allowed, allocated over every stack */
	uint64_t from;
};

const char *lifetime_strerror(int err)
{
	switch (err) {
	case LIFETIME_OK: return "success";
	case LIFETIME_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

int lifetime_create(lifetime_tab **out, size_t budget)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return LIFETIME_ENOMEM;
	(*out)->budget = budget;
	return 0;
}

void lifetime_free(lifetime_tab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nst; i++)
		free(t->st[i].v);
	free(t->st);
	free(t);
}

void lifetime_set_window(lifetime_tab *t, uint64_t from_ns) { t->from = from_ns; }

/* The record of stack index si, created (zeroed) with those below it; NULL when out of memory. */
static lt_stack *stack_new(lifetime_tab *t, uint32_t si)
{
	if (util_grow((void **)&t->st, &t->capst, (size_t)si + 1, sizeof(lt_stack)))
		return NULL;
	memset(t->st + t->nst, 0, ((size_t)si + 1 - t->nst) * sizeof(lt_stack));
	t->nst = (size_t)si + 1;
	return &t->st[si];
}

/* The record of stack index si (see stack_new). */
static inline lt_stack *stack_of(lifetime_tab *t, uint32_t si)
{
	return si < t->nst ? &t->st[si] : stack_new(t, si);
}

/* A lifetime a narrow array can hold. */
static inline int narrow_fits(uint64_t life) { return life <= UINT32_MAX; }

static inline void put(lt_stack *s, uint32_t j, uint64_t life)
{
	if (s->wide)
		((uint64_t *)s->v)[j] = life;
	else
		((uint32_t *)s->v)[j] = (uint32_t)life;
}

static inline uint64_t get(const lt_stack *s, uint32_t j)
{
	return s->wide ? ((const uint64_t *)s->v)[j] : ((const uint32_t *)s->v)[j];
}

/* Makes the array of s hold 64-bit lifetimes.  Returns 0, or -1 when out of memory (s unchanged). */
static int widen(lifetime_tab *t, lt_stack *s)
{
	if (s->cap) {
		uint64_t *v = realloc(s->v, (size_t)s->cap * sizeof(uint64_t));
		if (!v)
			return -1;
		const uint32_t *narrow = (const uint32_t *)v;
		for (uint32_t j = s->n; j-- > 0;) /* from the top: each 8-byte slot covers its 4 */
			v[j] = narrow[j];
		t->used += (size_t)s->cap * (sizeof(uint64_t) - sizeof(uint32_t));
		s->v = v;
	}
	s->wide = 1;
	return 0;
}

/* Keeps lifetime `life` where the fast path cannot: the array widens when life needs it, grows
 * within the budget (or up to LIFETIME_RESERVOIR_MIN) when it is full, else the lifetime is
 * sampled into it.  s->seen counts it already.  Returns 0 (lifetime_end tail-calls it: its own
 * path then calls nothing and saves no registers). */
static LT_NOINLINE int keep_slow(lifetime_tab *t, lt_stack *s, uint32_t si, uint64_t life)
{
	if (!s->wide && !narrow_fits(life) && widen(t, s))
		return 0; /* out of memory: the lifetime is left out of the sample */
	int exact = s->seen == (uint64_t)s->n + 1;
	if (exact && s->n < s->cap) {
		put(s, s->n++, life);
		return 0;
	}
	size_t elem = s->wide ? sizeof(uint64_t) : sizeof(uint32_t);
	size_t want = s->cap ? (size_t)s->cap * 2 : 4;
	if (want > UINT32_MAX)
		want = UINT32_MAX;
	size_t room = (t->budget > t->used ? t->budget - t->used : 0) / elem;
	/* beyond the budget a stack still doubles up to LIFETIME_RESERVOIR_MIN */
	if (want - s->cap > room && want > LIFETIME_RESERVOIR_MIN) {
		want = s->cap + room;
		if (want < LIFETIME_RESERVOIR_MIN)
			want = LIFETIME_RESERVOIR_MIN;
	}
	if (want > s->cap && exact) {
		/* still exact: grow (a failed realloc leaves a sample of what was kept) */
		void *v = realloc(s->v, want * elem);
		if (v) {
			t->used += (want - s->cap) * elem;
			s->v = v;
			s->cap = (uint32_t)want;
			put(s, s->n++, life);
			return 0;
		}
	}
	if (!s->n)
		return 0; /* nothing could be allocated: no sample (the counts stay exact) */
	/* algorithm R: the k-th lifetime takes slot j, uniform in [0, k), when j < n */
	uint64_t j = util_hash64(s->seen * 0x9e3779b97f4a7c15u ^ si) % s->seen;
	if (j < s->n)
		put(s, (uint32_t)j, life);
	return 0;
}

/* lifetime_end for a stack index the table does not have yet. */
static LT_NOINLINE int end_new(lifetime_tab *t, uint32_t stack, uint64_t size, uint64_t birth_ns, uint64_t death_ns)
{
	if (!stack_new(t, stack))
		return LIFETIME_ENOMEM;
	return lifetime_end(t, stack, size, birth_ns, death_ns);
}

int lifetime_end(lifetime_tab *t, uint32_t stack, uint64_t size, uint64_t birth_ns, uint64_t death_ns)
{
	if (__builtin_expect(stack >= t->nst, 0))
		return end_new(t, stack, size, birth_ns, death_ns);
	lt_stack *s = &t->st[stack];
	/* size x the part of [birth, death) inside the window */
	uint64_t start = birth_ns > t->from ? birth_ns : t->from;
	if (death_ns > start)
		s->held += (lifetime_acc)size * (death_ns - start);
	if (birth_ns < t->from)
		return 0; /* allocated before the window: byte-seconds only */
	uint64_t life = death_ns > birth_ns ? death_ns - birth_ns : 0;
	s->seen++;
	if (life > s->max)
		s->max = life;
	/* a sampling array is full (n == cap): the fast path only appends to an exact one */
	if (!(s->n < s->cap && (s->wide || narrow_fits(life))))
		return keep_slow(t, s, stack, life);
	put(s, s->n++, life);
	return 0;
}

int lifetime_held_total(lifetime_tab *t, uint32_t stack, uint64_t live_bytes, lifetime_acc acc,
			uint64_t end_ns)
{
	if (!live_bytes || end_ns <= t->from)
		return 0;
	lt_stack *s = stack_of(t, stack);
	if (!s)
		return LIFETIME_ENOMEM;
	/* every live block has birth <= end, so each term size x (end - max(birth, from)) >= 0 */
	s->held += (lifetime_acc)live_bytes * end_ns - acc;
	return 0;
}

double lifetime_byte_seconds(const lifetime_tab *t, size_t stack)
{
	return t && stack < t->nst ? (double)t->st[stack].held / 1e9 : 0.0;
}

/* A kept lifetime and what it stands for. */
typedef struct weighted {
	uint64_t v;
	double w;
} weighted;

/* Percentiles select, they do not sort: a most-significant-digit-first radix selection makes a
 * few passes over shrinking candidates, whatever the input (a quickselect has inputs that make it
 * quadratic, and the trace is untrusted; a sort of millions of lifetimes took longer than the
 * replay).  The candidates are moved to the front by swaps, so the values stay: a stack's own
 * array is selected in place (no copy: millions of lifetimes cost page faults), twice. */

/* The position (a multiple of `bits`) of the digit holding the highest set bit of `any`, 0 when
 * any is 0: digits above it are zero in every value. */
static int top_shift(uint64_t any, int bits) { return any ? (63 - __builtin_clzll(any)) / bits * bits : 0; }

/* select_T(v, n, k, any, cnt, bits): the k-th smallest (1 <= k <= n) of v[0..n), reordering
 * v; any: the OR of the values; cnt: 2^bits counters of scratch. */
#define LT_SELECT(name, T)                                                                  \
	static uint64_t name(T *v, size_t n, size_t k, uint64_t any, size_t *cnt, int bits) \
	{                                                                                   \
		size_t nb = (size_t)1 << bits;                                              \
		for (int shift = top_shift(any, bits); shift >= 0 && n > 1; shift -= bits) { \
			memset(cnt, 0, nb * sizeof(size_t));                                \
			for (size_t i = 0; i < n; i++)                                      \
				cnt[(v[i] >> shift) & (nb - 1)]++;                          \
			size_t b = 0;                                                       \
			while (b < nb - 1 && k > cnt[b])                                    \
				k -= cnt[b++];                                              \
			size_t m = 0;                                                       \
			for (size_t i = 0; i < n; i++)                                      \
				if (((v[i] >> shift) & (nb - 1)) == b) {                    \
					T x = v[m];                                         \
					v[m++] = v[i];                                      \
					v[i] = x;                                           \
				}                                                           \
			n = m;                                                              \
		}                                                                           \
		return v[0]; /* the candidates left are equal */                           \
	}
LT_SELECT(select_u32, uint32_t)
LT_SELECT(select_u64, uint64_t)

/* The smallest of v[0..n) (n > 0) whose cumulated weight, with every smaller value's, reaches
 * goal (a relative 1e-12 short of it counts: the weights are rounded). */
static uint64_t select_weighted(weighted *v, size_t n, double goal, uint64_t any)
{
	goal *= 1 - 1e-12;
	for (int shift = top_shift(any, 8); shift >= 0 && n > 1; shift -= 8) {
		double sum[256] = {0};
		unsigned last = 0; /* the last non-empty bucket: the goal's when rounding overshoots */
		for (size_t i = 0; i < n; i++) {
			unsigned c = (v[i].v >> shift) & 255;
			sum[c] += v[i].w;
			if (c > last)
				last = c;
		}
		unsigned b = 0;
		while (b < last && (goal > sum[b] || sum[b] == 0))
			goal -= sum[b++];
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (((v[i].v >> shift) & 255) == b)
				v[m++] = v[i];
		n = m;
	}
	return v[0].v;
}

/* ceil(n * p / 100) without overflow, at least 1: the nearest rank of the p-th percentile. */
static size_t nearest_rank(size_t n, unsigned p)
{
	size_t k = (n / 100) * p + ((n % 100) * p + 99) / 100;
	return k ? k : 1;
}

/* The OR of the kept lifetimes of s. */
static uint64_t or_of(const lt_stack *s)
{
	uint64_t any = 0;
	for (uint32_t j = 0; j < s->n; j++)
		any |= get(s, j);
	return any;
}

/* p50 and p90 of `kept` exact lifetimes held by one stack (in place) or, when `one` is NULL, by
 * the n stacks listed (copied).  Returns 0 or LIFETIME_ENOMEM. */
static int exact_ranks(lifetime_tab *t, lt_stack *one, const size_t *stacks, size_t n, size_t kept,
		       lifetime_figures *out)
{
	size_t small[256], *cnt = small;
	int bits = 8;
	if (kept >= (1u << 16) && (cnt = malloc(sizeof(size_t) << 16)) != NULL)
		bits = 16; /* two passes for lifetimes below 4.29 s */
	else
		cnt = small;
	size_t k50 = nearest_rank(kept, 50), k90 = nearest_rank(kept, 90);
	int rc = 0;
	if (one && !one->wide) {
		uint64_t any = or_of(one);
		out->p50_ns = select_u32(one->v, kept, k50, any, cnt, bits);
		out->p90_ns = select_u32(one->v, kept, k90, any, cnt, bits);
	} else if (one) {
		uint64_t any = or_of(one);
		out->p50_ns = select_u64(one->v, kept, k50, any, cnt, bits);
		out->p90_ns = select_u64(one->v, kept, k90, any, cnt, bits);
	} else {
		uint64_t *v = malloc(kept * sizeof(uint64_t)), any = 0;
		if (v) {
			size_t k = 0;
			for (size_t i = 0; i < n; i++) {
				if (stacks[i] >= t->nst)
					continue;
				const lt_stack *s = &t->st[stacks[i]];
				for (uint32_t j = 0; j < s->n; j++)
					any |= v[k++] = get(s, j);
			}
			out->p50_ns = select_u64(v, kept, k50, any, cnt, bits);
			out->p90_ns = select_u64(v, kept, k90, any, cnt, bits);
			free(v);
		} else {
			rc = LIFETIME_ENOMEM;
		}
	}
	if (cnt != small)
		free(cnt);
	return rc;
}

/* Copies the kept lifetimes of the n stacks into v, each with its weight, seen / kept of its
 * stack; *tw: the total weight.  Returns the OR of the lifetimes. */
static uint64_t gather_weighted(const lifetime_tab *t, const size_t *stacks, size_t n, weighted *v,
				double *tw)
{
	uint64_t any = 0;
	size_t k = 0;
	*tw = 0;
	for (size_t i = 0; i < n; i++) {
		if (stacks[i] >= t->nst)
			continue;
		const lt_stack *s = &t->st[stacks[i]];
		if (!s->n)
			continue;
		double w = (double)s->seen / s->n;
		for (uint32_t j = 0; j < s->n; j++) {
			v[k] = (weighted){get(s, j), w};
			any |= v[k++].v;
		}
		*tw += (double)s->seen;
	}
	return any;
}

int lifetime_figures_of(lifetime_tab *t, const size_t *stacks, size_t n, lifetime_figures *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return 0;
	size_t kept = 0, holders = 0;
	lt_stack *one = NULL;
	int exact = 1;
	for (size_t i = 0; i < n; i++) {
		if (stacks[i] >= t->nst)
			continue;
		lt_stack *s = &t->st[stacks[i]];
		out->freed += s->seen;
		out->byte_seconds += (double)s->held / 1e9;
		if (s->max > out->max_ns)
			out->max_ns = s->max;
		kept += s->n;
		if (s->n) {
			holders++;
			one = s;
		}
		if (s->seen != s->n)
			exact = 0;
	}
	out->kept = kept;
	if (!kept)
		return 0;
	if (exact)
		return exact_ranks(t, holders == 1 ? one : NULL, stacks, n, kept, out);
	weighted *v = malloc(kept * sizeof(weighted));
	if (!v)
		return LIFETIME_ENOMEM;
	double tw;
	uint64_t any = gather_weighted(t, stacks, n, v, &tw);
	out->p50_ns = select_weighted(v, kept, tw * 0.5, any);
	gather_weighted(t, stacks, n, v, &tw);
	out->p90_ns = select_weighted(v, kept, tw * 0.9, any);
	free(v);
	return 0;
}
