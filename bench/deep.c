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

int main(int argc, char **argv)
{
	uint64_t sum = bench_churn(bench_steps(argc, argv, 5500000), 0x2545f4914f6cdd1dull, 54, 9);
	printf("deep checksum %llu\n", (unsigned long long)sum);
	return 0;
}
