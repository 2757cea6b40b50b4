/*
 * leaks.c: leaks known bytes from known functions (the truth the analyzer tests check):
 *   leak_small:  10 x malloc(100)     = 1,000 bytes, 10 allocations
 *   leak_big:     3 x calloc(1, 4096) = 12,288 bytes, 3 allocations
 *   leak_grown:   malloc(10) grown by realloc to 1000, 2000, 3000, 5000: 5,000 bytes in 1 block
 *   no_leak:     100 x malloc(50) freed at once (temporary allocations, nothing leaked)
 * No stdio, so the C runtime adds nothing.
 */
#include <stdlib.h>

void *sink[32];

__attribute__((noinline)) void leak_small(void)
{
	for (int i = 0; i < 10; i++)
		sink[i] = malloc(100);
}

__attribute__((noinline)) void leak_big(void)
{
	for (int i = 0; i < 3; i++)
		sink[10 + i] = calloc(1, 4096);
}

__attribute__((noinline)) void leak_grown(void)
{
	static const size_t sizes[] = {1000, 2000, 3000, 5000};
	char *p = malloc(10);
	for (int i = 0; i < 4; i++)
		p = realloc(p, sizes[i]);
	sink[20] = p;
}

__attribute__((noinline)) void no_leak(void)
{
	for (int i = 0; i < 100; i++) {
		void *volatile p = malloc(50);
		free(p);
	}
}

int main(void)
{
	leak_small();
	leak_big();
	leak_grown();
	no_leak();
	return 0;
}
