/*
 * reach_threads.c: many threads blocked at exit, for the leak-kind tests (tests/e2e/test_reach.py).
 * Starts N threads (argv[1], default 10000) with 64 KiB stacks; each allocates 100 bytes, keeps the
 * block only in a local on its stack and waits on a condition that never comes.  main returns
 * while they wait: all N blocks are reachable.  One more block (555 bytes) is forgotten:
 * definitely lost.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int started;

static void *worker(void *arg)
{
	(void)arg;
	void *volatile keep = malloc(100);
	pthread_mutex_lock(&lock);
	started++;
	for (;;)
		pthread_cond_wait(&never, &lock);
	return keep;
}

static __attribute__((noinline)) void forgotten(void) { ((char *)malloc(555))[0] = 1; }

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64u << 10);
	int made = 0;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, worker, NULL) == 0)
			made++;
	}
	for (;;) {
		pthread_mutex_lock(&lock);
		int s = started;
		pthread_mutex_unlock(&lock);
		if (s == made)
			break;
	}
	forgotten();
	printf("threads %d\n", made);
	return 0;
}
