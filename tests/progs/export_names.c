/*
 * export_names.c: a leak whose function name holds ';', spaces and a trailing number, for the
 * escaping of collapsed stacks (tests/e2e/test_export.py).  Built without debug info, so that the
 * analyzer names the frame by its ELF symbol, which the asm label sets:
 *   "weird;name with spaces 42":  1 x malloc(777), kept
 */
#include <stdlib.h>

void *sink[4];

__attribute__((noinline)) void weird(void) __asm__("\"weird;name with spaces 42\"");

__attribute__((noinline)) void weird(void)
{
	sink[0] = malloc(777);
}

int main(void)
{
	weird();
	return 0;
}
