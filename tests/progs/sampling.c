/*
 * sampling.c: a deterministic program with known bytes at known call sites, for the accuracy of
 * sampled traces (leakrec --sample, tests/e2e/test_sample.py).  With the tests' rate R = 32 KiB:
 *
 *   big_block:   40 x 256 KiB (8 R each), at start, freed at the end      10 MiB
 *   near_rate:   300 x 32 KiB (R each), at start, freed at the end        9.4 MiB
 *   cache_small: 400 x 512 bytes per step, freed at the end               10,240,000 (grows steadily)
 *   cache_slow:  25 x 2000 bytes per step, freed at the end               2,500,000 (grows slower)
 *   grow_buf:    64 buffers grown by realloc 1 -> 64 KiB, freed at the end 4 MiB
 *   zeroed:      8 x calloc(1, 64 KiB) at start, freed at the end              512 KiB
 *   leak_small:  16,384 x 100 bytes at the middle step, never freed       1,638,400 (50 R)
 *   churn:       4,000 temporary blocks of 64..2063 bytes per step
 *
 * A step sleeps 2 ms (the growth figures need time).  The heap peaks before the frees at the end.
 * It prints "sampling done" on stdout and exits 3 (an exit status the tests check is kept).
 *
 *     sampling [STEPS]     default 50
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))
#define MAX_STEPS 400

static void *bigs[40], *nears[300], *bufs[64], *zeros[8];
static void *smalls[MAX_STEPS * 400], *slows[MAX_STEPS * 25];
static void *volatile sink;

NOINLINE static void *big_block(void) { return malloc(256 * 1024); }
NOINLINE static void *near_rate(void) { return malloc(32 * 1024); }
NOINLINE static void *cache_small(void) { return malloc(512); }
NOINLINE static void *cache_slow(void) { return malloc(2000); }
NOINLINE static void *zeroed(void) { return calloc(1, 64 * 1024); }

NOINLINE static void *grow_buf(void)
{
	void *p = malloc(1024);
	for (size_t n = 2048; n <= 64 * 1024; n *= 2)
		p = realloc(p, n);
	return p;
}

NOINLINE static void leak_small(void)
{
	for (int i = 0; i < 16384; i++)
		sink = malloc(100);
}

NOINLINE static void churn(int step)
{
	for (int i = 0; i < 4000; i++) {
		char *p = malloc(64 + (size_t)((i * 37 + step) % 2000));
		p[0] = (char)i;
		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 50;
	if (steps < 1 || steps > MAX_STEPS)
		steps = 50;
	for (int i = 0; i < 40; i++)
		bigs[i] = big_block();
	for (int i = 0; i < 300; i++)
		nears[i] = near_rate();
	for (int i = 0; i < 64; i++)
		bufs[i] = grow_buf();
	for (int i = 0; i < 8; i++)
		zeros[i] = zeroed();
	int ns = 0, nl = 0;
	for (int s = 0; s < steps; s++) {
		churn(s);
		for (int i = 0; i < 400; i++)
			smalls[ns++] = cache_small();
		for (int i = 0; i < 25; i++)
			slows[nl++] = cache_slow();
		if (s == steps / 2)
			leak_small();
		struct timespec d = {0, 2000000};
		nanosleep(&d, NULL);
	}
	for (int i = 0; i < ns; i++)
		free(smalls[i]);
	for (int i = 0; i < nl; i++)
		free(slows[i]);
	for (int i = 0; i < 40; i++)
		free(bigs[i]);
	for (int i = 0; i < 300; i++)
		free(nears[i]);
	for (int i = 0; i < 64; i++)
		free(bufs[i]);
	for (int i = 0; i < 8; i++)
		free(zeros[i]);
	printf("sampling done\n");
	return 3;
}
