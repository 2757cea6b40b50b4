/*
 * samesite.c: one function whose allocations are made at 40 call sites on the same source line
 * (what a compiler makes of an unrolled loop): the 40 stacks print the same, so reports must
 * show them as one entry (the truth the merged-stack tests check):
 *   store_grow:  40 x malloc(1000), 5 ms apart, all leaked (40,000 B): a store that grows
 *                steadily over 200 ms
 *   spike:       1 x malloc(100000) at the start, freed at once (not a grower)
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

void *store[40];
static int n;

static void pause_5ms(void)
{
	struct timespec d = {0, 5 * 1000 * 1000};
	nanosleep(&d, NULL);
}

#define STEP store[n++] = malloc(1000), pause_5ms();

__attribute__((noinline)) static void store_grow(void)
{
	STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP
}

__attribute__((noinline)) static void spike(void)
{
	void *volatile p = malloc(100000);
	free(p);
}

int main(void)
{
	spike();
	store_grow();
	return n == 40 ? 0 : 1;
}
