/*
 * reach_busy.c: four threads allocate and free without pause while main returns, for the
 * leak-kind tests (tests/e2e/test_reach.py): the scan must stop them, finish and let the process
 * end.  main keeps one block (2001 bytes) in a global: reachable; and forgets one (2002 bytes):
 * definitely lost.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void *g_kept;
static volatile int go;

static void *churn(void *arg)
{
	(void)arg;
	while (!go)
		;
	for (;;) {
		void *volatile p = malloc(64);
		free(p);
	}
	return NULL;
}

static __attribute__((noinline)) void forgotten(void) { ((char *)malloc(2002))[0] = 1; }

static __attribute__((noinline)) void scrub(void)
{
	volatile char junk[16384];
	memset((char *)junk, 0, sizeof(junk));
}

int main(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	g_kept = malloc(2001);
	forgotten();
	scrub();
	go = 1;
	for (volatile int i = 0; i < 20000000; i++)
		;
	return 0;
}
