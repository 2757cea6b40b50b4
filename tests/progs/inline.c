/*
 * inline.c: built with -O2 -g.  make_buffer() is a static inline helper that the compiler
 * inlines into build_record(); the malloc call inside it must be reported as an inlined frame
 * make_buffer (this file, MAKE_BUFFER_LINE) inside build_record.  build_record leaks 4 x 777
 * bytes.
 */
#include <stdlib.h>
#include <string.h>

void *volatile sink[4];

static inline void *make_buffer(size_t n)
{
	void *p = malloc(n); /* MAKE_BUFFER_LINE */
	if (p)
		memset(p, 0, n);
	return p;
}

__attribute__((noinline)) void build_record(int i)
{
	sink[i] = make_buffer(777);
}

int main(void)
{
	for (int i = 0; i < 4; i++)
		build_record(i);
	return 0;
}
