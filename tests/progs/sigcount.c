/*
 * sigcount.c: counts the SIGTERM, SIGINT and SIGHUP it receives (its own handlers) for the
 * seconds given (default 2), then prints "TERM=n INT=n HUP=n" and exits 0.  Truth: each signal
 * sent once, to the program's group or to the launcher alone, arrives once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t term, intr, hup;

static void on(int sig)
{
	if (sig == SIGTERM)
		term++;
	else if (sig == SIGINT)
		intr++;
	else if (sig == SIGHUP)
		hup++;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	void *volatile p = malloc(64);
	free(p);
	printf("ready\n");
	fflush(stdout);
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct timespec ms = {0, 10 * 1000 * 1000};
		nanosleep(&ms, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	printf("TERM=%d INT=%d HUP=%d\n", (int)term, (int)intr, (int)hup);
	return 0;
}
