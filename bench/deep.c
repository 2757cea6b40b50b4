/*
 * deep.c: allocation churn from deep stacks for the benchmark (bench/run.py, docs/bench.md).
 *
 * churn1's loop (4096 live blocks of 16..512 bytes, six call sites), but every allocation is made
 * through 57..65 frames of recursive noinline helpers (bench.h): the cost of unwinding and of
 * storing long stacks dominates.  Deterministic: fixed seed, no time.
 *
 *     deep [STEPS]        default 5500000 (about 1 s natively); prints one checksum line
 */
#include "bench.h"

#define SLOTS 4096

static void *slot[SLOTS];

int main(int argc, char **argv)
{
	long steps = bench_steps(argc, argv, 5500000);
	uint64_t rng = 0x2545f4914f6cdd1dull, sum = 0;
	for (long i = 0; i < steps; i++) {
		uint64_t r = bench_rng(&rng);
		unsigned s = (unsigned)(r % SLOTS);
		size_t n = bench_size(r >> 12);
		int depth = 54 + (int)((r >> 32) % 9);
		free(slot[s]);
		unsigned char *p = bench_alloc(r, depth, n);
		sum += bench_touch(p, n, r);
		slot[s] = p;
	}
	for (unsigned s = 0; s < SLOTS; s++)
		free(slot[s]);
	printf("deep checksum %llu\n", (unsigned long long)sum);
	return 0;
}
