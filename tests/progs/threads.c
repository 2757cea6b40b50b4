/*
 * threads.c: 4 threads allocate; a quarter of the blocks are freed by another thread than the one
 * that allocated them, handed over through a shared array, so addresses are reused across
 * threads.  Every block is freed: the trace holds 4 * ROUNDS allocations and as many frees.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define THREADS 4
#define ROUNDS 20000

static _Atomic(void *) handoff[THREADS][64];

static void *work(void *arg)
{
	int me = (int)(long)arg, peer = (me + 1) % THREADS;
	for (int i = 0; i < ROUNDS; i++) {
		void *p = malloc(16 + (size_t)(i % 64) * 8);
		if (i % 4 == 0) {
			/* Give it to the next thread; free what the previous thread left for us. */
			void *old = atomic_exchange(&handoff[peer][i % 64], p);
			free(old);
		} else {
			free(p);
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, work, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < 64; j++)
			free(atomic_load(&handoff[i][j]));
	return 0;
}
