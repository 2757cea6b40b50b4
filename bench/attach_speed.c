/*
 * attach_speed.c: a fixed work loop that reports its speed, for the attach benchmark (bench/run.py,
 * docs/bench.md): is a program as fast after `leakrec -p` detached as it was before?
 *
 * The work is churn1's (bench.h): each step frees the block in a pseudo-random one of 4096 slots
 * and allocates a new one of 16..512 bytes at one of six call sites, 8..28 frames deep.  It runs in
 * batches of 4096 steps, each batch from the same seed, so every batch computes the same checksum
 * (a batch that differs counts as an error).  Every PERIOD_MS milliseconds (wall clock) it prints
 * "rate N WALL CPU": N counts the periods from 0, WALL is steps per second of wall time, CPU steps
 * per second of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: what other processes on the
 * machine take does not change it, a recorder left behind in the process would).  When stdin
 * reaches EOF (looked at once a period, never blocking) it prints
 * "attach_speed checksum C errors E" and exits 0.
 *
 * With "thread" after PERIOD_MS it first starts a thread that ends at once: glibc's malloc keeps a
 * faster path for a process that has never had a second thread (no arena lock in free, calloc and
 * realloc), and any thread started in the process, the recorder's writer thread as well, ends it
 * for good.  The two variants tell that cost apart from what the recorder could leave behind.
 *
 *     attach_speed [PERIOD_MS [thread]]     default 100
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum { SLOTS = 4096, BATCH = 4096 };

static void *slot[SLOTS];

static uint64_t batch(void)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull, sum = 0;
	for (int i = 0; i < BATCH; i++) {
		uint64_t r = bench_rng(&rng);
		unsigned s = (unsigned)(r % SLOTS);
		size_t n = bench_size(r >> 12);
		int depth = 8 + (int)((r >> 32) % 21);
		free(slot[s]);
		unsigned char *p = bench_alloc(r, depth, n);
		sum += bench_touch(p, n, r);
		slot[s] = p;
	}
	return sum;
}

static void *nothing(void *arg)
{
	return arg;
}

static double now_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when stdin is at EOF (or unusable), without blocking. */
static int stdin_done(void)
{
	struct pollfd pfd = {0, POLLIN, 0};
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	char buf[256];
	return read(0, buf, sizeof(buf)) <= 0;
}

int main(int argc, char **argv)
{
	long period_ms = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	if (period_ms <= 0) {
		fprintf(stderr, "usage: %s [PERIOD_MS]  (a positive number, default 100)\n", argv[0]);
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "thread")) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
			return 1;
	}
	uint64_t first = batch();
	unsigned long errors = 0;
	long steps = 0;
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	for (long n = 0;;) {
		if (batch() != first)
			errors++;
		steps += BATCH;
		double t = now_s(CLOCK_MONOTONIC);
		if (t - t0 < (double)period_ms / 1000)
			continue;
		double c = now_s(CLOCK_THREAD_CPUTIME_ID);
		printf("rate %ld %.0f %.0f\n", n++, (double)steps / (t - t0),
		       c > c0 ? (double)steps / (c - c0) : 0.0);
		fflush(stdout);
		steps = 0;
		if (stdin_done())
			break;
		t0 = now_s(CLOCK_MONOTONIC);
		c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	printf("attach_speed checksum %llu errors %lu\n", (unsigned long long)first, errors);
	return 0;
}
