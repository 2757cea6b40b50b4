/*
 * growth_server.c: a simulated service with known memory behaviour over time (issue 6).
 *
 *   pool_init:      one 64 KiB pool allocated at start-up, freed at exit         (flat)
 *   handle_request: per request a 24-byte header and a 256..4096-byte buffer,
 *                   both freed at the end of the request                        (sawtooth)
 *   cache_insert:   one CACHE_ENTRY-byte entry per request, freed at exit        (steady growth)
 *   leak_once:      3 x 777 bytes lost at request LEAK_AT                        (a real leak)
 *
 * Requests come every REQUEST_US microseconds.  Marks: "warmup done" after request WARMUP,
 * "half" after request REQUESTS/2, "draining" before the cache is freed.  It prints
 *   cache ENTRIES ENTRY_BYTES FIRST_NS LAST_NS    (CLOCK_MONOTONIC at the first and last insert)
 *   leak ALLOCATIONS BYTES
 *
 *     growth_server [REQUESTS]     default 250 requests (about 1.5 s)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leakrec.h"

#define CACHE_ENTRY 1000
#define REQUEST_US 6000
#define WARMUP 25
#define LEAK_AT 100
#define NOINLINE __attribute__((noinline))

struct entry {
	struct entry *next;
	char data[CACHE_ENTRY - sizeof(struct entry *)];
};

static struct entry *cache;
static void *pool;
static void *lost[3];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	uint64_t n = now_ns();
	if (t <= n)
		return;
	struct timespec ts = {(time_t)((t - n) / 1000000000u), (long)((t - n) % 1000000000u)};
	nanosleep(&ts, NULL);
}

NOINLINE static void pool_init(void)
{
	pool = malloc(64 * 1024);
	memset(pool, 1, 64 * 1024);
}

NOINLINE static void cache_insert(unsigned id)
{
	struct entry *e = malloc(sizeof(*e));
	memset(e->data, (int)id, sizeof(e->data));
	e->next = cache;
	cache = e;
}

NOINLINE static void leak_once(void)
{
	for (int i = 0; i < 3; i++) {
		lost[i] = malloc(777);
		memset(lost[i], 7, 777);
	}
	for (int i = 0; i < 3; i++)
		lost[i] = NULL;
}

NOINLINE static void handle_request(unsigned id, uint64_t until)
{
	char *hdr = malloc(24);
	size_t n = (size_t)256 << (id % 5);
	char *buf = malloc(n);
	memset(hdr, 0, 24);
	memset(buf, (int)id, n);
	sleep_until(until); /* the request's work */
	free(buf);
	free(hdr);
}

NOINLINE static void cache_free(void)
{
	while (cache) {
		struct entry *e = cache;
		cache = e->next;
		free(e);
	}
}

int main(int argc, char **argv)
{
	unsigned requests = argc > 1 ? (unsigned)atoi(argv[1]) : 250;
	pool_init();
	uint64_t start = now_ns(), first = 0, last = 0;
	for (unsigned i = 0; i < requests; i++) {
		uint64_t t = start + (uint64_t)(i + 1) * REQUEST_US * 1000u;
		handle_request(i, t - REQUEST_US * 500u);
		cache_insert(i);
		last = now_ns();
		if (i == 0)
			first = last;
		if (i == LEAK_AT)
			leak_once();
		if (i + 1 == WARMUP)
			leakrec_mark("warmup done");
		if (i + 1 == requests / 2)
			leakrec_mark("half");
		sleep_until(t);
	}
	leakrec_mark("draining");
	printf("cache %u %zu %llu %llu\n", requests, sizeof(struct entry),
	       (unsigned long long)first, (unsigned long long)last);
	printf("leak 3 %d\n", 3 * 777);
	fflush(stdout);
	cache_free();
	free(pool);
	return 0;
}
