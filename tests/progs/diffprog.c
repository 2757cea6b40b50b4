/*
 * diffprog.c: one program, several builds, for `leakanalyze diff` (rules in tests/diff.mk):
 *   keep_table:  4 x malloc(2500) kept to the end         = 10,000 bytes, 4 allocations
 *   build_list:  20 x make_node() = malloc(48), kept       =    960 bytes, 20 allocations
 *                (make_node is always inlined: its frame is an inlined one)
 *   churn:       200 x malloc(64), each freed at once      (200 temporary allocations)
 *   spike:       3 x malloc(30000), freed after the peak   (peak heap 100,960 bytes; the
 *                last block, freed before anything else is allocated, is temporary too)
 *   extra_leak:  only with -DEXTRA_LEAK: 1 x malloc(4321) kept, after the spike (the peak
 *                does not change)
 * Builds: diffprog (-O2, frame pointers), diffprog_extra (the same with -DEXTRA_LEAK),
 * diffprog_moved (a copy with lines inserted before every function, -fomit-frame-pointer).
 * No stdio, so the C runtime adds nothing.
 */
#include <stdlib.h>

void *volatile sink[64];

__attribute__((noinline)) void keep_table(void)
{
	for (int i = 0; i < 4; i++)
		sink[i] = malloc(2500);
}

static inline __attribute__((always_inline)) void *make_node(void)
{
	return malloc(48);
}

__attribute__((noinline)) void build_list(void)
{
	for (int i = 0; i < 20; i++)
		sink[8 + i] = make_node();
}

__attribute__((noinline)) void churn(void)
{
	for (int i = 0; i < 200; i++) {
		void *volatile p = malloc(64);
		free(p);
	}
}

__attribute__((noinline)) void spike(void)
{
	void *b[3];
	for (int i = 0; i < 3; i++) {
		b[i] = malloc(30000);
		sink[40 + i] = b[i];
	}
	for (int i = 0; i < 3; i++) {
		sink[40 + i] = NULL;
		free(b[i]);
	}
}

#ifdef EXTRA_LEAK
__attribute__((noinline)) void extra_leak(void)
{
	sink[50] = malloc(4321);
}
#endif

int main(void)
{
	keep_table();
	build_list();
	churn();
	spike();
#ifdef EXTRA_LEAK
	extra_leak();
#endif
	return 0;
}
