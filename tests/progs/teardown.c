/*
 * teardown.c: a service that caches one 128-byte entry per request and frees the cache entry by
 * entry at the end, with a steady leak beside it (the truth the growth tests check):
 *   cache_put:   20 entries of 128 B every 2 ms during the traffic phase: the cache grows at
 *                1,280,000 B/s exactly (the loop keeps an absolute schedule), 300 ms long
 *   leak_put:    1,000 B every 10 ms during the traffic phase (30 KB, 100,000 B/s), never freed
 *   request_buf: a 4 KiB buffer per 2 ms tick, freed within the tick (no growth)
 * After the traffic phase, by MODE:
 *   teardown PCT   frees the cache one entry at a time, evenly over PCT percent of the whole
 *                  run (traffic + teardown), then exits
 *   idle PCT       keeps the cache for PCT percent of the run, then frees it and exits
 *   phase2 PCT     a second phase of PCT percent of the run in which another stack (phase2_buf)
 *                  allocates and frees 64 KiB buffers, then the cache is freed
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_NS 2000000L
#define TICKS 150 /* 300 ms of traffic */
#define PER_TICK 20

static void *cache[TICKS * PER_TICK];
static size_t ncache;
void *leaks[TICKS];
static size_t nleaks;

static void sleep_until(struct timespec *t, long add_ns)
{
	t->tv_nsec += add_ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL);
}

__attribute__((noinline)) static void cache_put(void)
{
	void *p = malloc(128);
	memset(p, 1, 128);
	cache[ncache++] = p;
}

__attribute__((noinline)) static void leak_put(void) { leaks[nleaks++] = malloc(1000); }

__attribute__((noinline)) static void request_buf(void)
{
	char *volatile b = malloc(4096);
	b[0] = 1;
	free(b);
}

__attribute__((noinline)) static void phase2_buf(void)
{
	char *volatile b = malloc(65536);
	b[0] = 1;
	free(b);
}

__attribute__((noinline)) static void cache_drop(size_t i) { free(cache[i]); }

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *mode = argv[1];
	long pct = atol(argv[2]);
	if (pct < 0 || pct > 90)
		return 2;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (int k = 0; k < TICKS; k++) {
		request_buf();
		for (int i = 0; i < PER_TICK; i++)
			cache_put();
		if (k % 5 == 0)
			leak_put();
		sleep_until(&t, TICK_NS);
	}
	/* the rest of the run: pct percent of traffic + rest */
	long traffic_ns = (long)TICKS * TICK_NS;
	long rest_ns = pct ? traffic_ns * pct / (100 - pct) : 0;
	if (strcmp(mode, "teardown") == 0) {
		long step = ncache ? rest_ns / (long)ncache : 0;
		for (size_t i = 0; i < ncache; i++) {
			cache_drop(i);
			if (step)
				sleep_until(&t, step);
		}
	} else if (strcmp(mode, "idle") == 0) {
		sleep_until(&t, rest_ns);
		for (size_t i = 0; i < ncache; i++)
			cache_drop(i);
	} else if (strcmp(mode, "phase2") == 0) {
		for (long done = 0; done < rest_ns; done += TICK_NS) {
			phase2_buf();
			sleep_until(&t, TICK_NS);
		}
		for (size_t i = 0; i < ncache; i++)
			cache_drop(i);
	} else {
		return 2;
	}
	return 0;
}
