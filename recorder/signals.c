/*
 * signals.c: finishing the trace on a fatal signal (see signals.h).
 */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "writer.h"

/* Signals whose default action ends the process and that a program rarely inspects: on these
 * the trace is finished before the default action runs.  (SIGINT and the like are left alone:
 * programs such as Python install their own handler only when they find SIG_DFL.) */
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
				    SIGTERM};
static pid_t owner_pid;

static void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	if (getpid() == owner_pid && rec_state() == REC_ON) {
		rec_set_state(REC_OFF);
		writer_flush_from_signal();
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	/* A signal sent by kill/raise is sent again; a fault re-occurs when the handler returns. */
	if (si->si_code <= 0 || sig == SIGABRT || sig == SIGTERM)
		raise(sig);
	errno = saved;
}

void signals_install(pid_t owner)
{
	owner_pid = owner;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction old, sa;
		if (sigaction(fatal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue; /* the program (or its parent) chose something: keep it */
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fatal_signal;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
}
