/*
 * robust_fsize.c: enough allocations, from many different call stacks, that the trace grows well
 * past a small `ulimit -f` (about 1.5 MB of trace): first SLOW rounds 120 ms apart (the recorder
 * writes each in its own small zstd frame, so some events are on disk before the limit is hit),
 * then ROUNDS rounds at once; a round allocates 64 blocks of varying sizes at varying recursion
 * depths, then frees them.  Prints a checksum of the sizes and "done".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLOW 3
#define ROUNDS 4000

static unsigned long sum;

__attribute__((noinline)) static void *deep(int d, size_t n)
{
	if (d > 0) {
		void *p = deep(d - 1, n + 1);
		__asm__ volatile("" ::: "memory"); /* no tail call */
		return p;
	}
	sum += n;
	return malloc(n);
}

static void round_(int r)
{
	void *keep[64];
	for (int i = 0; i < 64; i++)
		keep[i] = deep((r + i) % 23, 16 + (size_t)((r * 64 + i) % 997));
	for (int i = 0; i < 64; i++)
		free(keep[i]);
}

int main(void)
{
	struct timespec d = {0, 120 * 1000 * 1000};
	for (int r = 0; r < SLOW; r++) {
		round_(r);
		nanosleep(&d, NULL);
	}
	for (int r = 0; r < ROUNDS; r++)
		round_(r);
	printf("sum %lu\ndone\n", sum);
	return 0;
}
