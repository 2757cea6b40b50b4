/*
 * busy_threads.c: four threads allocate and free 100-byte blocks without pause while main waits
 * for a signal.  Truth: killed by a signal (sent twice at once, say), the process dies of it and
 * the trace is complete, its frees matching.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *churn(void *arg)
{
	(void)arg;
	for (;;) {
		void *volatile p = malloc(100);
		free(p);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
