/*
 * bench.h: what the C benchmark workloads (churn1.c, churn4.c, deep.c) share: a deterministic
 * random generator, six allocation sites (malloc, calloc, malloc+realloc, ...), and two mutually
 * recursive noinline helpers that reach a site through a chosen number of frames, so the recorder
 * sees deep and varied but reproducible stacks.  Header-only: every function is static.
 *
 * Sizes are 16-byte classes (16..512): with every size 16..512 from churn1's thousand stacks,
 * heaptrack 1.4's interpreter (heaptrack_interpret) grows to ~19 GB after some 40,000 distinct
 * (size, stack) pairs and aborts with std::bad_alloc (the program then dies of SIGPIPE).  One call
 * site with 100,000 sizes does not trigger it; the cause inside heaptrack was not pinned down.
 * To see it: cc -O2 -g -DBENCH_ALL_SIZES bench/churn1.c -o c1 && heaptrack -o h ./c1 60000
 */
#ifndef LEAKREC_BENCH_H
#define LEAKREC_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_NOINLINE __attribute__((noinline))
/* An empty asm after each call keeps the compiler from turning it into a jump (no tail calls),
 * so every level of recursion is a real frame. */
#define BENCH_KEEP_FRAME() __asm__ volatile("" ::: "memory")

/* xorshift64*: deterministic and cheap; the state is the caller's (one per thread). */
static inline uint64_t bench_rng(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A request size from random bits: 16..512 in steps of 16 (see the note at the top).  Built with
 * -DBENCH_ALL_SIZES: every size 16..512, which reproduces the heaptrack failure. */
static inline size_t bench_size(uint64_t r)
{
#ifdef BENCH_ALL_SIZES
	return 16 + (size_t)(r % 497);
#else
	return 16 * (1 + (size_t)(r % 32));
#endif
}

/* Write three bytes of a fresh block and fold them into a checksum. */
static inline uint64_t bench_touch(unsigned char *p, size_t n, uint64_t v)
{
	p[0] = (unsigned char)v;
	p[n / 2] = (unsigned char)(v >> 16);
	p[n - 1] = (unsigned char)(v >> 8);
	return p[0] + p[n / 2] * 3u + p[n - 1] * 7u;
}

/* ---- the allocation sites ---- */
static BENCH_NOINLINE void *bench_site_malloc_a(size_t n)
{
	void *p = malloc(n);
	BENCH_KEEP_FRAME();
	return p;
}

static BENCH_NOINLINE void *bench_site_malloc_b(size_t n)
{
	void *p = malloc(n);
	BENCH_KEEP_FRAME();
	return p;
}

static BENCH_NOINLINE void *bench_site_malloc_c(size_t n)
{
	void *p = malloc(n);
	BENCH_KEEP_FRAME();
	return p;
}

static BENCH_NOINLINE void *bench_site_calloc(size_t n)
{
	void *p = calloc(1, n);
	BENCH_KEEP_FRAME();
	return p;
}

/* Grow a block in two steps: a malloc of half the size, then a realloc. */
static BENCH_NOINLINE void *bench_site_realloc(size_t n)
{
	void *p = malloc(n / 2);
	if (!p)
		return NULL;
	memset(p, 1, n / 2);
	void *q = realloc(p, n);
	BENCH_KEEP_FRAME();
	if (!q)
		free(p);
	return q;
}

/* A string copy: malloc and fill. */
static BENCH_NOINLINE void *bench_site_string(size_t n)
{
	char *p = malloc(n);
	if (p) {
		memset(p, 'x', n - 1);
		p[n - 1] = 0;
	}
	BENCH_KEEP_FRAME();
	return p;
}

typedef void *(*bench_site_fn)(size_t);
static bench_site_fn const bench_sites[] = {
	bench_site_malloc_a, bench_site_malloc_b, bench_site_malloc_c,
	bench_site_calloc,   bench_site_realloc,  bench_site_string,
};
#define BENCH_NSITES ((unsigned)(sizeof bench_sites / sizeof bench_sites[0]))

/* ---- recursion: depth frames of bench_down_a/bench_down_b, then the site ---- */

/* Rotate a 3-bit path right by one: the shape of the stack repeats every 3 levels. */
static inline unsigned bench_rot3(unsigned path)
{
	return (path >> 1) | ((path & 1) << 2);
}

static BENCH_NOINLINE void *bench_down_b(int depth, unsigned path, unsigned site, size_t n);

/* The low bit of path chooses which helper runs at the next level: 8 stack shapes per depth. */
static BENCH_NOINLINE void *bench_down_a(int depth, unsigned path, unsigned site, size_t n)
{
	void *p;
	if (depth <= 0)
		p = bench_sites[site](n);
	else if (path & 1)
		p = bench_down_b(depth - 1, bench_rot3(path), site, n);
	else
		p = bench_down_a(depth - 1, bench_rot3(path), site, n);
	BENCH_KEEP_FRAME();
	return p;
}

static BENCH_NOINLINE void *bench_down_b(int depth, unsigned path, unsigned site, size_t n)
{
	void *p;
	if (depth <= 0)
		p = bench_sites[site](n);
	else if (path & 1)
		p = bench_down_a(depth - 1, bench_rot3(path), site, n);
	else
		p = bench_down_b(depth - 1, bench_rot3(path), site, n);
	BENCH_KEEP_FRAME();
	return p;
}

/* One block from random bits r, reached through 1 + depth + 1 frames (helpers and site).
 * Exits the program when memory runs out. */
static inline unsigned char *bench_alloc(uint64_t r, int depth, size_t n)
{
	unsigned site = (unsigned)((r >> 24) % BENCH_NSITES);
	unsigned path = (unsigned)((r >> 40) & 7);
	unsigned char *p = bench_down_a(depth, path, site, n);
	if (!p) {
		fputs("bench: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* The step count from argv[1] (a positive number), else the default. */
static inline long bench_steps(int argc, char **argv, long dflt)
{
	if (argc < 2)
		return dflt;
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (*argv[1] == 0 || *end != 0 || n <= 0) {
		fprintf(stderr, "usage: %s [STEPS]  (a positive number, default %ld)\n", argv[0], dflt);
		exit(2);
	}
	return n;
}

/* The single-thread churn of churn1 and deep: `steps` times, free the block in a pseudo-random
 * one of 4096 slots and put there a new one allocated min_depth .. min_depth + depth_span - 1
 * frames deep.  Returns the checksum the program prints. */
static inline uint64_t bench_churn(long steps, uint64_t seed, int min_depth, int depth_span)
{
	enum { SLOTS = 4096 };
	static void *slot[SLOTS];
	uint64_t rng = seed, sum = 0;
	for (long i = 0; i < steps; i++) {
		uint64_t r = bench_rng(&rng);
		unsigned s = (unsigned)(r % SLOTS);
		size_t n = bench_size(r >> 12);
		int depth = min_depth + (int)((r >> 32) % (uint64_t)depth_span);
		free(slot[s]);
		unsigned char *p = bench_alloc(r, depth, n);
		sum += bench_touch(p, n, r);
		slot[s] = p;
	}
	for (unsigned s = 0; s < SLOTS; s++)
		free(slot[s]);
	return sum;
}

#endif
