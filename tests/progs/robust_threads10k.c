/*
 * robust_threads10k.c: 10,000 threads, created and joined BATCH at a time; each allocates one
 * block of 1234 bytes, writes it and frees it: 10,000 allocations and 10,000 frees of 1234 bytes.
 * Prints "threads 10000".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 10000
#define BATCH 100

static void *work(void *arg)
{
	(void)arg;
	char *p = malloc(1234);
	memset(p, 1, 1234);
	free(p);
	return NULL;
}

int main(void)
{
	pthread_t t[BATCH];
	int done = 0;
	for (int b = 0; b < THREADS / BATCH; b++) {
		for (int i = 0; i < BATCH; i++)
			if (pthread_create(&t[i], NULL, work, NULL) != 0) {
				fprintf(stderr, "pthread_create failed after %d threads\n", done + i);
				return 1;
			}
		for (int i = 0; i < BATCH; i++)
			pthread_join(t[i], NULL);
		done += BATCH;
	}
	printf("threads %d\n", done);
	return 0;
}
