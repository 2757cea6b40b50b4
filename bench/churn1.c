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

int main(int argc, char **argv)
{
	uint64_t sum = bench_churn(bench_steps(argc, argv, 7000000), 0x9e3779b97f4a7c15ull, 8, 21);
	printf("churn1 checksum %llu\n", (unsigned long long)sum);
	return 0;
}
