/*
 * sample.c: byte sampling and the set of live sampled blocks (see sample.h).
 *
 * The interval: -ln(u) * R with u uniform in (0, 1] from a xorshift64* generator; ln is computed
 * here (exponent from the bits, the mantissa by the atanh series, relative error below 1e-7)
 * rather than taken from libm, which the library does not link.
 *
 * The set: open addressing with linear probing over a power-of-two table of addresses (0 empty,
 * 1 a tombstone), grown (rehashed into a new mapping) at half load, guarded by one spin lock.
 * Every change to the set also changes the page filter's counter of the address, under the same
 * lock; the filter is read without it.  A block is added before it is handed to the program and
 * removed before it is released to the allocator, so a thread that frees p (after whatever the
 * program did to hand p over) sees its counter, and an address handed out again is added after
 * its previous removal.
 */
#include "sample.h"

#include <string.h>
#include <time.h>

#include "prim.h"

uint64_t sample_rate;
uint32_t *sample_filter;
__thread sample_thread sample_tls;

#define FILTER_N ((size_t)1 << SAMPLE_FILTER_BITS)
#define FILTER_MASK (FILTER_N - 1)
#define SLOT_EMPTY ((uintptr_t)0)
#define SLOT_TOMB ((uintptr_t)1)

static uint64_t seed_base;
static int seeded;
static _Atomic uint64_t thread_ordinal;

static struct {
	_Atomic int lock;
	uintptr_t *slot;
	size_t cap;  /* power of two, or 0 before the first block */
	size_t used; /* live + tombstones */
	size_t live;
	uint64_t slow_frees;
} S;

/* ---- the interval ---- */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t next_rng(sample_thread *t)
{
	uint64_t x = t->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ln(u) for u in (0, 1]. */
static double ln_unit(double u)
{
	uint64_t bits;
	memcpy(&bits, &u, sizeof(bits));
	int e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull; /* mantissa in [1, 2) */
	double m;
	memcpy(&m, &bits, sizeof(m));
	if (m > 1.4142135623730951) { /* keep t small: m in [0.707, 1.414) */
		m *= 0.5;
		e++;
	}
	double t = (m - 1.0) / (m + 1.0), t2 = t * t;
	double s = t * (2.0 + t2 * (2.0 / 3 + t2 * (2.0 / 5 + t2 * (2.0 / 7 + t2 * (2.0 / 9 +
		   t2 * (2.0 / 11))))));
	return (double)e * 0.6931471805599453 + s;
}

uint64_t sample_draw(sample_thread *t, uint64_t rate)
{
	/* 53 random bits + 1, over 2^53: u in (0, 1] */
	double u = (double)((next_rng(t) >> 11) + 1) * (1.0 / 9007199254740992.0);
	double v = -ln_unit(u) * (double)rate;
	if (!(v >= 1.0))
		return 1;
	if (v >= 1.8e19)
		return UINT64_MAX;
	return (uint64_t)v;
}

int sample_init(uint64_t rate, uint64_t seed, int have_seed)
{
	sample_rate = rate; /* 0: every allocation (a process attached again may change its mind) */
	if (!rate)
		return 0;
	if (!sample_filter) {
		sample_filter = prim_map(FILTER_N * sizeof(uint32_t));
		if (!sample_filter)
			return -1;
	}
	seed_base = seed;
	seeded = have_seed;
	return 0;
}

int sample_cross(sample_thread *t, uint64_t n)
{
	if (!t->rng) {
		uint64_t k = atomic_fetch_add(&thread_ordinal, 1);
		uint64_t s = seeded ? splitmix(seed_base ^ splitmix(k))
				    : splitmix(prim_now_ns() ^ ((uint64_t)prim_gettid() << 32) ^
					       (uint64_t)(uintptr_t)t);
		t->rng = s ? s : 1;
		t->left = sample_draw(t, sample_rate);
		if (t->left > n) {
			t->left -= n;
			return 0;
		}
	}
	/* Crossed: this allocation is sampled; the process is memoryless, the next interval starts
	 * after it. */
	t->left = sample_draw(t, sample_rate);
	return 1;
}

/* ---- the set ---- */

static void lock(void)
{
	for (unsigned spins = 0;; spins++) {
		int expect = 0;
		if (!atomic_load_explicit(&S.lock, memory_order_relaxed) &&
		    atomic_compare_exchange_weak_explicit(&S.lock, &expect, 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
		if (spins < 64) {
			__builtin_ia32_pause();
		} else {
			struct timespec d = {0, 20000};
			nanosleep(&d, NULL);
		}
	}
}

static void unlock(void) { atomic_store_explicit(&S.lock, 0, memory_order_release); }

static size_t home(uintptr_t p, size_t cap)
{
	return (size_t)(((uint64_t)p * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static uint32_t *counter(const void *p)
{
	return &sample_filter[((uintptr_t)p >> 12) & FILTER_MASK];
}

/* Rehashes into a table of ncap slots (live blocks only).  Returns 0 or -1. */
static int regrow(size_t ncap)
{
	uintptr_t *nt = prim_map(ncap * sizeof(uintptr_t));
	if (!nt)
		return -1;
	for (size_t i = 0; i < S.cap; i++) {
		uintptr_t v = S.slot[i];
		if (v == SLOT_EMPTY || v == SLOT_TOMB)
			continue;
		size_t j = home(v, ncap);
		while (nt[j] != SLOT_EMPTY)
			j = (j + 1) & (ncap - 1);
		nt[j] = v;
	}
	if (S.slot)
		prim_unmap(S.slot, S.cap * sizeof(uintptr_t));
	S.slot = nt;
	S.cap = ncap;
	S.used = S.live;
	return 0;
}

int sample_add(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	if (v <= SLOT_TOMB)
		return 0;
	lock();
	if ((S.used + 1) * 2 > S.cap) {
		/* grow when live blocks fill a quarter, else only clear the tombstones */
		size_t ncap = S.cap ? S.cap : 1024;
		while ((S.live + 1) * 4 > ncap)
			ncap *= 2;
		if (regrow(ncap) != 0) {
			unlock();
			return -1;
		}
	}
	size_t i = home(v, S.cap);
	while (S.slot[i] != SLOT_EMPTY && S.slot[i] != SLOT_TOMB)
		i = (i + 1) & (S.cap - 1);
	S.used += S.slot[i] == SLOT_EMPTY;
	S.slot[i] = v;
	S.live++;
	__atomic_fetch_add(counter(p), 1, __ATOMIC_RELAXED);
	unlock();
	return 0;
}

int sample_forget_slow(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	int found = 0;
	lock();
	S.slow_frees++;
	if (S.cap) {
		for (size_t i = home(v, S.cap); S.slot[i] != SLOT_EMPTY; i = (i + 1) & (S.cap - 1)) {
			if (S.slot[i] == v) {
				S.slot[i] = SLOT_TOMB;
				S.live--;
				__atomic_fetch_sub(counter(p), 1, __ATOMIC_RELAXED);
				found = 1;
				break;
			}
		}
	}
	unlock();
	return found;
}

uint64_t sample_live(void) { return S.live; }
uint64_t sample_slow_frees(void) { return S.slow_frees; }

void sample_reset(void)
{
	lock();
	if (sample_filter)
		memset(sample_filter, 0, FILTER_N * sizeof(uint32_t));
	if (S.slot)
		memset(S.slot, 0, S.cap * sizeof(uintptr_t));
	S.used = S.live = 0;
	unlock();
}

void sample_atfork_child(void)
{
	atomic_store(&S.lock, 0);
	if (!sample_filter)
		return;
	/* Only this thread exists: a fresh filter and an empty set. */
	uint32_t *f = prim_map(FILTER_N * sizeof(uint32_t));
	if (f) {
		prim_unmap(sample_filter, FILTER_N * sizeof(uint32_t));
		sample_filter = f;
	} else {
		memset(sample_filter, 0, FILTER_N * sizeof(uint32_t));
	}
	if (S.slot)
		prim_unmap(S.slot, S.cap * sizeof(uintptr_t));
	S.slot = NULL;
	S.cap = S.used = S.live = 0;
	atomic_store(&thread_ordinal, 1);
}
