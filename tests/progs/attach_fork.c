/*
 * attach_fork.c: a process that forks while `leakrec -p` is attached (tests/e2e/test_attach.py).
 *
 * Per byte 'f' on stdin (the Nth, from 0): note_child() allocates NOTE_SIZE bytes that the parent
 * keeps until exit; then it forks.  The child allocates CHILD_BLOCKS blocks of CHILD_SIZE bytes in
 * child_work(), frees half of them, prints "child N sum S" and ends with status 10 + N: with
 * exit() when N is even, _exit() when N is odd.  The parent waits for it and prints
 * "child N status S ok" (or "... WRONG"), then "ack N".  At EOF it prints "done N" and exits 0.
 * A child forked while leakrec is attached is not recorded: the parent's trace holds no block of
 * CHILD_SIZE bytes, and no other trace file appears.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NOTE_SIZE 2222
#define CHILD_SIZE 3333
#define CHILD_BLOCKS 40

static void *notes[256];

NOINLINE static void *note_child(int n)
{
	void *p = malloc(NOTE_SIZE);
	memset(p, n, NOTE_SIZE);
	return p;
}

NOINLINE static uint64_t child_work(int n)
{
	unsigned char *b[CHILD_BLOCKS];
	uint64_t s = 0;
	for (int i = 0; i < CHILD_BLOCKS; i++) {
		b[i] = malloc(CHILD_SIZE);
		memset(b[i], n + i, CHILD_SIZE);
	}
	for (int i = 0; i < CHILD_BLOCKS; i++)
		s = s * 17 + b[i][i * 50];
	for (int i = 0; i < CHILD_BLOCKS; i += 2)
		free(b[i]);
	return s;
}

int main(void)
{
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	int n = 0;
	char c;
	for (;;) {
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR) {
			printf("EINTR in read\n");
			continue;
		}
		if (r <= 0)
			break;
		if (c != 'f')
			continue;
		if (n < 256)
			notes[n] = note_child(n);
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			printf("fork failed %d\n", errno);
			return 1;
		}
		if (pid == 0) {
			printf("child %d sum %llu\n", n, (unsigned long long)child_work(n));
			fflush(stdout);
			if (n % 2 == 0)
				exit(10 + n);
			_exit(10 + n);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		int ok = WIFEXITED(st) && WEXITSTATUS(st) == 10 + n;
		printf("child %d status %d %s\n", n, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st),
		       ok ? "ok" : "WRONG");
		printf("ack %d\n", n);
		fflush(stdout);
		n++;
	}
	printf("done %d\n", n);
	for (int i = 0; i < n && i < 256; i++)
		free(notes[i]);
	return 0;
}
