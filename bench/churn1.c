/*
 * churn1.c: single-threaded allocation churn for the benchmark (bench/run.py, docs/bench.md).
 *
 * A table of 4096 live blocks is churned: each step frees the block in a pseudo-random slot and
 * puts a new one (16..512 bytes) there, allocated by one of six call sites (malloc, calloc,
 * malloc+realloc, ...) reached through 10..30 frames of recursive noinline helpers (bench.h), so
 * the recorder sees about a thousand distinct stacks.  Deterministic: fixed seed, no time.
 *
 *     churn1 [STEPS]      default 7000000 (about 1 s natively); prints one checksum line
 */
#include "bench.h"

#define SLOTS 4096

static void *slot[SLOTS];

int main(int argc, char **argv)
{
	long steps = bench_steps(argc, argv, 7000000);
	uint64_t rng = 0x9e3779b97f4a7c15ull, sum = 0;
	for (long i = 0; i < steps; i++) {
		uint64_t r = bench_rng(&rng);
		unsigned s = (unsigned)(r % SLOTS);
		size_t n = bench_size(r >> 12);
		int depth = 8 + (int)((r >> 32) % 21);
		free(slot[s]);
		unsigned char *p = bench_alloc(r, depth, n);
		sum += bench_touch(p, n, r);
		slot[s] = p;
	}
	for (unsigned s = 0; s < SLOTS; s++)
		free(slot[s]);
	printf("churn1 checksum %llu\n", (unsigned long long)sum);
	return 0;
}
