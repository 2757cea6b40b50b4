/*
 * calls.c: makes a known number of calls of every hooked allocation function with known sizes
 * and frees a known subset.  No stdio: the C runtime must add no event of its own, so the trace
 * holds exactly what the table in tests/e2e/test_recorder.py expects.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#define N 10

/* Through a volatile, so that the compiler cannot turn realloc(NULL, n) into malloc(n). */
static void *volatile null_ptr;

int main(void)
{
	void *keep[8][N];
	for (int i = 0; i < N; i++) {
		size_t sz = 16 * (size_t)(i + 1); /* 16, 32, ... 160: sum 880 */
		keep[0][i] = malloc(sz);
		keep[1][i] = calloc(i + 1, 16);
		void *r = realloc(null_ptr, sz);  /* counts as realloc (alloc) */
		keep[2][i] = realloc(r, sz * 64); /* rfree + ralloc */
		keep[3][i] = reallocarray(null_ptr, i + 1, 16);
		if (posix_memalign(&keep[4][i], 64, sz) != 0)
			return 1;
		keep[5][i] = aligned_alloc(64, 64 * (size_t)(i + 1));
		keep[6][i] = memalign(128, sz);
		keep[7][i] = valloc(sz);
		free(pvalloc(sz)); /* pvalloc: allocated and freed at once */
	}
	/* Free the even-numbered blocks of every kind: 5 of each. */
	for (int k = 0; k < 8; k++)
		for (int i = 0; i < N; i += 2)
			free(keep[k][i]);
	free(NULL); /* not an event */
	return 0;
}
