/*
 * churn1.c: single-threaded allocation churn for the benchmark (bench/run.py).
 *
 * A table of live blocks is churned: each step frees the block in a pseudo-random slot and puts a
 * new one (16..512 bytes) there, allocated by one of six call sites (malloc, calloc, realloc)
 * reached through 10..30 frames of two mutually recursive noinline helpers, so the recorder sees
 * many distinct, realistic stacks.  The run is deterministic (fixed seed, no time, no threads).
 *
 *     churn1 [STEPS]        default 6000000 steps (about 1 s natively); prints a checksum
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096
#define NOINLINE __attribute__((noinline))
/* An empty asm after each recursive call keeps the compiler from turning it into a jump. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static void *slot[SLOTS];
static uint64_t sum;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	/* xorshift64*: deterministic and cheap. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void touch(unsigned char *p, size_t n, uint64_t v)
{
	p[0] = (unsigned char)v;
	p[n / 2] = (unsigned char)(v >> 16);
	p[n - 1] = (unsigned char)(v >> 8);
	sum += p[0] + p[n / 2] * 3u + p[n - 1];
}

/* The six allocation sites. */
static NOINLINE void *site_malloc_a(size_t n) { void *p = malloc(n); KEEP_FRAME(); return p; }
static NOINLINE void *site_malloc_b(size_t n) { void *p = malloc(n); KEEP_FRAME(); return p; }
static NOINLINE void *site_malloc_c(size_t n) { void *p = malloc(n); KEEP_FRAME(); return p; }
static NOINLINE void *site_calloc(size_t n) { void *p = calloc(1, n); KEEP_FRAME(); return p; }
static NOINLINE void *site_realloc(size_t n)
{
	/* Grow a block in two steps: a malloc and a realloc from this site. */
	void *p = malloc(n / 2);
	if (!p)
		return NULL;
	memset(p, 1, n / 2);
	void *q = realloc(p, n);
	KEEP_FRAME();
	if (!q)
		free(p);
	return q;
}
static NOINLINE void *site_strdup(size_t n)
{
	char *p = malloc(n);
	if (p) {
		memset(p, 'x', n - 1);
		p[n - 1] = 0;
	}
	KEEP_FRAME();
	return p;
}

typedef void *(*site_fn)(size_t);
static site_fn const sites[] = { site_malloc_a, site_malloc_b, site_malloc_c,
				 site_calloc,   site_realloc,  site_strdup };
#define NSITES (sizeof sites / sizeof sites[0])

static NOINLINE void *down_b(int depth, unsigned path, unsigned site, size_t n);

/* Rotate the 3-bit path right by one. */
static unsigned rot3(unsigned path) { return (path >> 1) | ((path & 1) << 2); }

/* Two helpers that call each other; the bits of `path` choose which one runs at each level. */
static NOINLINE void *down_a(int depth, unsigned path, unsigned site, size_t n)
{
	void *p;
	if (depth <= 0)
		p = sites[site](n);
	else if (path & 1)
		p = down_b(depth - 1, rot3(path), site, n);
	else
		p = down_a(depth - 1, rot3(path), site, n);
	KEEP_FRAME();
	return p;
}

static NOINLINE void *down_b(int depth, unsigned path, unsigned site, size_t n)
{
	void *p;
	if (depth <= 0)
		p = sites[site](n);
	else if (path & 1)
		p = down_a(depth - 1, rot3(path), site, n);
	else
		p = down_b(depth - 1, rot3(path), site, n);
	KEEP_FRAME();
	return p;
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 6000000;
	for (long i = 0; i < steps; i++) {
		uint64_t r = rng();
		unsigned s = (unsigned)(r % SLOTS);
		size_t n = 16 + (size_t)((r >> 12) % 497);   /* 16..512 */
		unsigned site = (unsigned)((r >> 24) % NSITES);
		int depth = 8 + (int)((r >> 32) % 21);        /* plus main and site: 10..30 frames */
		unsigned path = (unsigned)((r >> 40) & 7);     /* 8 shapes per depth and site */
		free(slot[s]);
		unsigned char *p = down_a(depth, path, site, n);
		if (!p) {
			fprintf(stderr, "churn1: out of memory\n");
			return 1;
		}
		touch(p, n, r);
		slot[s] = p;
	}
	for (unsigned s = 0; s < SLOTS; s++)
		free(slot[s]);
	printf("churn1 checksum %llu\n", (unsigned long long)sum);
	return 0;
}
