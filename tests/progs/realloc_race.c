/*
 * realloc_race.c: one thread grows blocks with realloc (so they move) while three others
 * allocate blocks of the old blocks' size, which malloc serves from the addresses realloc just
 * released.  Each kind of block has its own size, so a test can check that every block in the
 * merged order keeps the size and the call site it was allocated with.
 *   reallocer: malloc(24) -> realloc(.., 4000) -> free            REALLOCS times
 *   others:    malloc(24 + 0) blocks freed at once                ALLOCS times each
 */
#include <pthread.h>
#include <stdlib.h>

#define REALLOCS 20000
#define ALLOCS 20000

__attribute__((noinline)) static void *grow(void *p) { return realloc(p, 4000); }
__attribute__((noinline)) static void *small(void) { return malloc(24); }

static void *reallocer(void *arg)
{
	(void)arg;
	for (int i = 0; i < REALLOCS; i++) {
		void *p = small();
		p = grow(p);
		free(p);
	}
	return NULL;
}

static void *other(void *arg)
{
	(void)arg;
	for (int i = 0; i < ALLOCS; i++)
		free(small());
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	pthread_create(&t[0], NULL, reallocer, NULL);
	for (int i = 1; i < 4; i++)
		pthread_create(&t[i], NULL, other, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
