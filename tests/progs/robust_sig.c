/*
 * robust_sig.c MODE
 *
 *   alarm     SIGALRM every 50 us (setitimer) while main does LOOP malloc(64)/free pairs; the
 *             handler does malloc(77)/free, so it often runs while main is inside malloc or
 *             free (and inside the recorder).  Both sizes are kept in glibc's per-thread cache
 *             (primed before the timer starts), so glibc itself takes no lock in the handler.
 *             Prints "loop 200000" and "handler N" (N = handler runs that allocated).
 *   blockall  blocks every signal, then THREADS threads each do PER malloc(96)/free pairs and
 *             main joins them.  Prints "blocked 4 25000".
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define LOOP 200000
#define THREADS 4
#define PER 25000

static volatile sig_atomic_t handler_runs;

static void on_alarm(int sig)
{
	(void)sig;
	char *volatile p = malloc(77);
	p[0] = 1;
	free(p);
	handler_runs++;
}

static int alarm_mode(void)
{
	free(malloc(77)); /* prime the per-thread cache for the handler's size */
	free(malloc(64));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 50}, {0, 50}};
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < LOOP; i++) {
		char *volatile p = malloc(64);
		p[0] = 1;
		free(p);
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
	printf("loop %d\nhandler %d\n", LOOP, (int)handler_runs);
	return 0;
}

static void *work(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER; i++) {
		char *volatile p = malloc(96);
		p[0] = 1;
		free(p);
	}
	return NULL;
}

static int blockall_mode(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("blocked %d %d\n", THREADS, PER);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "alarm"))
		return alarm_mode();
	if (!strcmp(mode, "blockall"))
		return blockall_mode();
	fprintf(stderr, "usage: robust_sig alarm|blockall\n");
	return 2;
}
