/*
 * peak.c: a deterministic heap profile with a known peak.
 *   hold_a:  10 x 1,000 bytes, kept to the end              (10,000 bytes)
 *   spike_b:  5 x 20,000 bytes, freed after the peak         (100,000 bytes)
 *   later_c: 50 x 1,000 bytes, allocated after spike_b ends  (50,000 bytes)
 * Peak heap = 110,000 bytes, reached when the 5th spike_b block is allocated; at the peak
 * spike_b holds 100,000 bytes and hold_a 10,000.  At exit 60,000 bytes are live.
 */
#include <stdlib.h>

void *a[10], *b[5], *c[50];

__attribute__((noinline)) void hold_a(void)
{
	for (int i = 0; i < 10; i++)
		a[i] = malloc(1000);
}

__attribute__((noinline)) void spike_b(void)
{
	for (int i = 0; i < 5; i++)
		b[i] = malloc(20000);
	for (int i = 0; i < 5; i++)
		free(b[i]);
}

__attribute__((noinline)) void later_c(void)
{
	for (int i = 0; i < 50; i++)
		c[i] = malloc(1000);
}

int main(void)
{
	hold_a();
	spike_b();
	later_c();
	return 0;
}
