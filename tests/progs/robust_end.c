/*
 * robust_end.c MODE: known allocations, then the end MODE chooses.
 *
 * Every mode starts with known(): KNOWN_N blocks of 4099 bytes, KNOWN_FREED of them freed, and
 * prints "known 100 40".  Then:
 *   return       return 0 from main
 *   exit         exit(5)
 *   _exit        _exit(6) (stdout flushed by hand first)
 *   pthread_exit main calls pthread_exit while a worker still does WORKER_N malloc(333)/free
 *                pairs (sleeping now and then); the worker prints "worker 20000" when done
 *   segv         writes through a null pointer
 *   term         prints "ready", then malloc(512)/free every 0.2 ms until a signal ends it
 *   kill         prints "pid PID", then allocates steadily: malloc(256)/free pairs, 50 per
 *                0.5 ms; every 10 ms prints "tick T N": N pairs done at CLOCK_MONOTONIC time T ns
 * term and kill give up after 30 s (exit 99).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KNOWN_N 100
#define KNOWN_FREED 40
#define WORKER_N 20000

static void *blocks[KNOWN_N];

static void known(void)
{
	for (int i = 0; i < KNOWN_N; i++)
		blocks[i] = malloc(4099);
	for (int i = 0; i < KNOWN_FREED; i++)
		free(blocks[i]);
	printf("known %d %d\n", KNOWN_N, KNOWN_FREED);
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < WORKER_N; i++) {
		char *volatile p = malloc(333);
		p[0] = 1;
		free(p);
		if (i % 1000 == 999)
			usleep(2000); /* main has long called pthread_exit by the end */
	}
	printf("worker %d\n", WORKER_N);
	fflush(stdout);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "return";
	known();
	if (!strcmp(mode, "return"))
		return 0;
	if (!strcmp(mode, "exit"))
		exit(5);
	if (!strcmp(mode, "_exit")) {
		fflush(stdout);
		_exit(6);
	}
	if (!strcmp(mode, "pthread_exit")) {
		pthread_t t;
		pthread_create(&t, NULL, worker, NULL);
		pthread_exit(NULL);
	}
	if (!strcmp(mode, "segv")) {
		int *volatile np = NULL;
		*np = 1;
		return 1;
	}
	uint64_t t0 = now_ns();
	if (!strcmp(mode, "term")) {
		printf("ready\n");
		fflush(stdout);
		while (now_ns() - t0 < 30000000000u) {
			char *volatile p = malloc(512);
			p[0] = 1;
			free(p);
			usleep(200);
		}
		return 99;
	}
	if (!strcmp(mode, "kill")) {
		printf("pid %d\n", (int)getpid());
		fflush(stdout);
		long n = 0;
		uint64_t last = 0;
		while (now_ns() - t0 < 30000000000u) {
			for (int i = 0; i < 50; i++, n++) {
				char *volatile p = malloc(256);
				p[0] = 1;
				free(p);
			}
			uint64_t t = now_ns();
			if (t - last >= 10000000u) {
				printf("tick %llu %ld\n", (unsigned long long)t, n);
				fflush(stdout);
				last = t;
			}
			usleep(500);
		}
		return 99;
	}
	fprintf(stderr, "robust_end: unknown mode %s\n", mode);
	return 2;
}
