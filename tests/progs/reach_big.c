/*
 * reach_big.c: a large live heap at exit for the scan-rate test (tests/e2e/test_reach.py).
 * Allocates MIB mebibytes (argv[1], default 1024) in blocks of 64 KiB, every one filled with data
 * and one pointer per 64 bytes to another block of the chain, the chain's head kept in a global:
 * every block is reachable.  One more block (777 bytes) is forgotten: definitely lost.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (64u << 10)

void **head;

static __attribute__((noinline)) void forgotten(void) { ((char *)malloc(777))[0] = 1; }

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t n = mib * (1u << 20) / BLOCK;
	void **prev = NULL;
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < n; i++) {
		uint64_t *b = malloc(BLOCK);
		for (size_t w = 0; w < BLOCK / 8; w++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b[w] = x >> 16; /* data: never an address of the heap */
		}
		for (size_t w = 0; w < BLOCK / 8; w += 8)
			b[w] = (uint64_t)(uintptr_t)(prev ? prev : (void **)b);
		prev = (void **)b;
	}
	head = prev;
	forgotten();
	printf("blocks %zu\n", n);
	return 0;
}
