/*
 * sample: sampling allocations by bytes (leakrec --sample R, LEAKREC_SAMPLE), prefix sample_.
 *
 * Each thread counts the bytes it allocates down from an exponentially distributed interval of
 * mean R (a Poisson process over the allocated bytes, as Go, jemalloc and tcmalloc sample); an
 * allocation that reaches zero is sampled and a new interval is drawn, the others are not
 * recorded at all.  An allocation of n bytes is sampled with probability 1 - exp(-n/R), which
 * the analyzer undoes (analyzer/estimate.h).
 *
 * Frees: the addresses of live sampled blocks are kept in a set, so that a free records only the
 * blocks that were recorded.  A free first reads one counter of a page filter (the number of live
 * sampled blocks that start in the 4 KiB page of the address, modulo a 4 GiB window: a 4 MiB
 * mmap'd array of 32-bit counters, touched only where sampled blocks live); only when it is not
 * zero does it take the set's spin lock and look the address up.  A free of an unsampled block
 * therefore costs one shift, one mask and one load of a line that nearby frees share.
 *
 * Everything is hook-path safe: thread state is one initial-exec TLS variable, memory comes from
 * mmap, and the set's lock is only ever taken inside the recorder (the thread's guard is up, so a
 * signal handler's malloc or free on the same thread is not recorded and cannot wait for it); a
 * forked child resets it (sample_atfork_child).
 */
#ifndef LEAKREC_SAMPLE_H
#define LEAKREC_SAMPLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The calling thread's countdown. */
typedef struct sample_thread {
	uint64_t left; /* bytes until the next sampled allocation; 0: not drawn yet */
	uint64_t rng;  /* xorshift64* state; 0: not seeded yet */
} sample_thread;

#define SAMPLE_FILTER_BITS 20 /* counters in the page filter (4 MiB) */

extern uint64_t sample_rate __attribute__((visibility("hidden")));
extern uint32_t *sample_filter __attribute__((visibility("hidden")));
extern __thread sample_thread sample_tls
	__attribute__((visibility("hidden"), tls_model("initial-exec")));

/* Sets the sampler up once at start-up (before any hook records): mean interval `rate` bytes (0:
 * no sampling, every allocation is recorded), threads seeded from `seed` and the order in which
 * they first allocate when `have_seed` (reproducible runs, for tests), else from the clock.
 * Returns 0, or -1 when the filter cannot be mapped (the caller turns recording off). */
int sample_init(uint64_t rate, uint64_t seed, int have_seed);

/* 1 when allocations are sampled. */
static inline int sample_on(void) { return sample_rate != 0; }

/* Slow path of sample_take (the countdown reaches zero, or the thread's first allocation). */
int sample_cross(sample_thread *t, uint64_t n);

/* Charges an allocation of n bytes to the calling thread's countdown.  Returns 1 when it is
 * sampled (to be recorded, then added with sample_add), 0 when not.  Only with sample_on(). */
static inline int sample_take(uint64_t n)
{
	if (__builtin_expect(sample_tls.left > n, 1)) {
		sample_tls.left -= n;
		return 0;
	}
	return sample_cross(&sample_tls, n);
}

/* The common case of sample_take alone: returns 1 (and charges n) when the countdown stays above
 * zero, 0 when it would not (charging nothing: call sample_cross(&sample_tls, n) then).  For a
 * hook that keeps no frame in the common case. */
static inline int sample_skip(uint64_t n)
{
	if (__builtin_expect(sample_tls.left > n, 1)) {
		sample_tls.left -= n;
		return 1;
	}
	return 0;
}

/* The next interval of the thread state t (for the unit test: state owned by the caller, seeded
 * with a non-zero rng): an exponentially distributed number of bytes of mean `rate`, at least 1. */
uint64_t sample_draw(sample_thread *t, uint64_t rate);

/* Adds the sampled block p to the set (before p is handed to the program).  Returns 0, or -1 when
 * out of memory (the caller turns recording off). */
int sample_add(const void *p);

/* Removes p from the set when it is there.  Returns 1 when p is a live sampled block (its free is
 * to be recorded), 0 when not.  The common case (a page without sampled blocks) is inline. */
int sample_forget_slow(const void *p);
/* 0 when p is certainly no sampled block (no sampled block starts in its page): one load. */
static inline int sample_maybe(const void *p)
{
	return __atomic_load_n(&sample_filter[((uintptr_t)p >> 12) & ((1u << SAMPLE_FILTER_BITS) - 1)],
			       __ATOMIC_RELAXED) != 0;
}
static inline int sample_forget(const void *p)
{
	return __builtin_expect(sample_maybe(p), 0) && sample_forget_slow(p);
}

/* Live sampled blocks in the set, and frees that took the set's lock (for the unit test). */
uint64_t sample_live(void);
uint64_t sample_slow_frees(void);

/* Before another trace of this process (attached again): the set is emptied in place, its memory
 * kept (a thread may still read the filter through a hook it reached by a stale pointer). */
void sample_reset(void);
/* In a forked child: the lock is released (its holder is gone) and the set emptied (the child's
 * trace starts afresh: blocks of the parent are unknown to it). */
void sample_atfork_child(void);

#endif
