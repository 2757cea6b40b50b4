/*
 * realloc_null.c: realloc(NULL, n) is malloc(n) and can be a temporary allocation; a realloc that
 * resizes a block never is (the truth the temporary-allocation test checks):
 *   null_temp:    10 x realloc(NULL, 64) freed at once: 10 temporary allocations
 *   resized:      10 x malloc(10), realloc to 100, freed: none of it temporary
 */
#include <stdlib.h>

__attribute__((noinline)) static void null_temp(void)
{
	for (int i = 0; i < 10; i++) {
		void *volatile p = realloc(NULL, 64);
		free(p);
	}
}

__attribute__((noinline)) static void resized(void)
{
	for (int i = 0; i < 10; i++) {
		char *p = malloc(10);
		char *volatile q = realloc(p, 100);
		free(q);
	}
}

int main(void)
{
	null_temp();
	resized();
	return 0;
}
