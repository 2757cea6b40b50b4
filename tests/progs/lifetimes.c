/*
 * lifetimes: blocks of known lifetimes for the "Held longest" section (tests/e2e/test_lifetimes.py).
 *
 * A cache of 1 MiB allocated first and freed just before exit; REQUESTS per-request buffers of
 * 4096 bytes, request k (1-based) holding its buffer k x STEP_MS ms; a block of 16 bytes grown by
 * realloc to 256 KiB (past the mmap threshold: the realloc moves it) and freed later; a leak of
 * 1000 bytes.  The mark "mid" is set after request REQUESTS / 2, 1 ms before the next event.  Each lifetime is measured with
 * CLOCK_MONOTONIC from the return of the allocating call to the call that releases the block and
 * printed, one line per block: "request K NS", "cache NS", "grown NS" (the 16-byte block, until
 * the realloc), "regrown NS" (the moved block, until its free).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leakrec.h"

#define REQUESTS 10
#define STEP_MS 6

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static volatile char *sink;

__attribute__((noinline)) static char *cache_create(void) { return malloc(1 << 20); }

__attribute__((noinline)) static char *request_buffer(void) { return malloc(4096); }

__attribute__((noinline)) static char *grow_start(void) { return malloc(16); }

__attribute__((noinline)) static char *grow_more(char *p) { return realloc(p, 256 << 10); }

__attribute__((noinline)) static void leak_some(void)
{
	char *p = malloc(1000);
	memset(p, 1, 1000);
	sink = p;
}

static void serve(unsigned k)
{
	char *buf = request_buffer();
	uint64_t t0 = now_ns();
	memset(buf, (int)k, 4096);
	sleep_ms(k * STEP_MS);
	uint64_t t1 = now_ns();
	free(buf);
	printf("request %u %llu\n", k, (unsigned long long)(t1 - t0));
}

int main(void)
{
	char *cache = cache_create();
	uint64_t c0 = now_ns();
	memset(cache, 0, 1 << 20);
	char *g = grow_start();
	uint64_t g0 = now_ns();
	for (unsigned k = 1; k <= REQUESTS; k++) {
		serve(k);
		if (k == REQUESTS / 2) {
			leakrec_mark("mid");
			/* events are timed in ticks rounded down, the mark exactly: what follows
			 * within its tick would fall before it */
			sleep_ms(1);
			uint64_t g1 = now_ns();
			g = grow_more(g);
			uint64_t g2 = now_ns();
			printf("grown %llu\n", (unsigned long long)(g1 - g0));
			g0 = g2;
			leak_some();
		}
	}
	uint64_t g3 = now_ns();
	free(g);
	printf("regrown %llu\n", (unsigned long long)(g3 - g0));
	uint64_t c1 = now_ns();
	free(cache);
	printf("cache %llu\n", (unsigned long long)(c1 - c0));
	return 0;
}
