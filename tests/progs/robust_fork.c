/*
 * robust_fork.c: forks while other threads of the parent allocate.
 *
 * Parent: main allocates MAIN_N blocks of 1111 bytes and frees MAIN_FREED of them; WORKERS threads
 * each loop malloc(777)/free (pausing 0.1 ms every 100, at most WORKER_MAX in all) until main has
 * forked CHILDREN children (one after the other, each waited for), then main prints "workers N"
 * (N = the workers' malloc(777) calls, all freed).
 * Child i: allocates CHILD_N blocks of 2000+i bytes, frees CHILD_FREED of them, and ends with
 * exit() (even i) or _exit() (odd i).  Child 0 first forks a grandchild that allocates 3 blocks of
 * 3000 bytes, leaks them and exits.  Children print nothing through stdio; the parent prints
 * "child PID" and child 0 writes "grandchild PID" with write(2).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3
#define CHILDREN 12
#define MAIN_N 10
#define MAIN_FREED 5
#define CHILD_N 5
#define CHILD_FREED 3
#define WORKER_MAX 100000

static atomic_int stop;
static atomic_long worker_allocs;

static void *work(void *arg)
{
	(void)arg;
	long n = 0;
	while ((!atomic_load(&stop) || n < 1000) && n < WORKER_MAX) {
		char *p = malloc(777);
		p[0] = 1;
		free(p);
		if (++n % 100 == 0)
			usleep(100);
	}
	atomic_fetch_add(&worker_allocs, n);
	return NULL;
}

static void put_line(const char *what, long v)
{
	char buf[64], num[24];
	int k = 0;
	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	size_t o = strlen(what);
	memcpy(buf, what, o);
	buf[o++] = ' ';
	while (k)
		buf[o++] = num[--k];
	buf[o++] = '\n';
	if (write(1, buf, o) < 0)
		_exit(3);
}

static void grandchild(void)
{
	for (int i = 0; i < 3; i++)
		((char *volatile)malloc(3000))[0] = 1; /* leaked */
	exit(0);
}

static void child(int i)
{
	void *b[CHILD_N];
	for (int k = 0; k < CHILD_N; k++)
		b[k] = malloc(2000 + (size_t)i);
	for (int k = 0; k < CHILD_FREED; k++)
		free(b[k]);
	if (i == 0) {
		pid_t g = fork();
		if (g == 0)
			grandchild();
		put_line("grandchild", g);
		waitpid(g, NULL, 0);
	}
	if (i % 2 == 0)
		exit(0);
	_exit(0);
}

int main(void)
{
	void *m[MAIN_N];
	for (int k = 0; k < MAIN_N; k++)
		m[k] = malloc(1111);
	for (int k = 0; k < MAIN_FREED; k++)
		free(m[k]);
	printf("parent %d\n", (int)getpid());
	fflush(stdout);
	pthread_t t[WORKERS];
	for (int k = 0; k < WORKERS; k++)
		pthread_create(&t[k], NULL, work, NULL);
	usleep(20000); /* the workers are in their loops */
	for (int i = 0; i < CHILDREN; i++) {
		fflush(stdout);
		pid_t c = fork();
		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0)
			child(i);
		printf("child %d\n", (int)c);
		fflush(stdout);
		int st;
		waitpid(c, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("child %d failed: status %#x\n", (int)c, st);
			return 1;
		}
	}
	atomic_store(&stop, 1);
	for (int k = 0; k < WORKERS; k++)
		pthread_join(t[k], NULL);
	printf("workers %ld\n", atomic_load(&worker_allocs));
	return 0;
}
