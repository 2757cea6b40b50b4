/*
 * steady.c: allocates for about 0.6 s at a steady pace (so its trace spans several zstd frames):
 * 60 rounds 10 ms apart, each allocating 100 blocks of 64 bytes and freeing the 100 of the round
 * before.  The last round's 100 blocks (6,400 bytes) are still live at exit.
 */
#include <stdlib.h>
#include <time.h>

#define ROUNDS 60
#define PER 100

int main(void)
{
	void *prev[PER] = {0}, *cur[PER];
	struct timespec d = {0, 10 * 1000 * 1000};
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < PER; i++)
			cur[i] = malloc(64);
		for (int i = 0; i < PER; i++) {
			free(prev[i]);
			prev[i] = cur[i];
		}
		nanosleep(&d, NULL);
	}
	return 0;
}
