/*
 * sigend.c: a program that ends by a signal (the truth the signal tests check):
 *   sig_work:  20 x malloc(500), 8 of them leaked (4,000 B), before the signal arrives
 *
 *   sigend raise SIG      raises SIG itself after the work
 *   sigend wait SIG       prints "ready" on stdout after the work and waits for SIG (sent from
 *                         outside: kill, a terminal's ^C); SIG only names what it waits for
 *   sigend handled SIG    installs its own handler for SIG, which allocates 1 x malloc(77) and
 *                         exits with status 7; then raises SIG
 * SIG is a signal number.  Without the signal it exits 0 after 20 s.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *keep[20];
static void *volatile in_handler;

__attribute__((noinline)) static void sig_work(void)
{
	for (int i = 0; i < 20; i++)
		keep[i] = malloc(500);
	for (int i = 8; i < 20; i++)
		free(keep[i]);
}

__attribute__((noinline)) static void handler_alloc(void) { in_handler = malloc(77); }

static void on_signal(int sig)
{
	(void)sig;
	handler_alloc();
	exit(7);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int sig = atoi(argv[2]);
	sig_work();
	if (strcmp(argv[1], "raise") == 0) {
		raise(sig);
	} else if (strcmp(argv[1], "wait") == 0) {
		if (write(1, "ready\n", 6) != 6)
			return 3;
		for (int i = 0; i < 200; i++)
			usleep(100 * 1000);
	} else if (strcmp(argv[1], "handled") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(sig, &sa, NULL);
		raise(sig);
	}
	return 0;
}
