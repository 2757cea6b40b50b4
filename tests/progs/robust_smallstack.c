/*
 * robust_smallstack.c: allocations from threads with the smallest stack the C library allows
 * (PTHREAD_STACK_MIN, 16 KiB), most of it already used (tests/e2e/test_robust.py).
 *
 * The recorder runs inside these threads' allocations: it must keep its own stack use small (its
 * frame buffers live in the thread's ring, not on the stack) and must not take static TLS of its
 * own beyond a few bytes (static TLS is carved out of every thread's stack).  Each of 4 threads
 * fills 6 KiB of its stack, then makes 500 malloc(48)/free pairs and leaks one malloc(4321).
 * Prints "smallstack ok" and exits 0.
 */
#include <alloca.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USED (6 * 1024)

static void *volatile keep[4];

static void *worker(void *arg)
{
	char *room = alloca(USED); /* the thread's stack, mostly used up */
	memset(room, 1, USED);
	for (int i = 0; i < 500; i++) {
		void *p = malloc(48);
		room[i % USED] ^= (char)(p != NULL);
		free(p);
	}
	keep[(long)arg] = malloc(4321);
	return room[7] == 42 ? room : NULL;
}

int main(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN) != 0)
		return 2;
	for (long i = 0; i < 4; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, worker, (void *)i) != 0)
			return 3;
		pthread_join(t, NULL);
	}
	pthread_attr_destroy(&attr);
	puts("smallstack ok");
	return 0;
}
