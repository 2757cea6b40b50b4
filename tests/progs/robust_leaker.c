/*
 * robust_leaker.c: run by robust_exec (exec'd, and through system()).  leak_known() leaks
 * LEAKS blocks of SIZE bytes (8,638 bytes in all); everything else is freed.
 * Prints "leaker pid=PID tag=TAG leaked=8638".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define LEAKS 7
#define SIZE 1234

static void *keep[LEAKS];

__attribute__((noinline)) static void leak_known(void)
{
	for (int i = 0; i < LEAKS; i++)
		keep[i] = malloc(SIZE);
}

int main(int argc, char **argv)
{
	leak_known();
	void *t = malloc(99);
	free(t);
	printf("leaker pid=%d tag=%s leaked=%d\n", (int)getpid(), argc > 1 ? argv[1] : "-", LEAKS * SIZE);
	return 0;
}
