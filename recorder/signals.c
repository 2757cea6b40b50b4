/*
 * signals.c: finishing the trace when a signal ends the process (see signals.h).
 *
 * Every signal whose default action ends the process gets the recorder's handler while the
 * program leaves it at its default: the handler finishes the trace, puts the default back and
 * lets the signal take its course (sent again, or, for a fault, re-raised by the faulting
 * instruction).  The program must not see the difference: a program such as Python installs its
 * own SIGINT handler only when it finds SIG_DFL there.  So sigaction and signal are interposed:
 * for a signal the recorder holds, they answer with what the program set (SIG_DFL to begin
 * with); when the program sets a handler or SIG_IGN, that goes to the kernel and the recorder
 * steps aside; when it sets SIG_DFL again, the recorder takes the signal back.
 */
#include "signals.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "real.h"
#include "rec.h"
#include "writer.h"

#define EXPORT __attribute__((visibility("default")))
#define NSIGS 65 /* signal numbers 1..64 */

static int (*next_sigaction)(int, const struct sigaction *, struct sigaction *);
static pid_t owner_pid;
static _Atomic int held[NSIGS];        /* the recorder's handler is installed */
static _Atomic int finishing;          /* a handler is finishing the trace */
static struct sigaction view[NSIGS];   /* what the program believes is installed, when held */

/* 1 when sig's default action ends the process (and it can be caught). */
static int ends_process(int sig)
{
	switch (sig) {
	case SIGHUP: case SIGINT: case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT:
	case SIGBUS: case SIGFPE: case SIGUSR1: case SIGSEGV: case SIGUSR2: case SIGPIPE:
	case SIGALRM: case SIGTERM: case SIGSTKFLT: case SIGXCPU: case SIGXFSZ: case SIGVTALRM:
	case SIGPROF: case SIGIO: case SIGPWR: case SIGSYS:
		return 1;
	}
	/* real-time signals end the process by default; SIGRTMIN's predecessors are glibc's own */
	return sig >= SIGRTMIN && sig <= SIGRTMAX && sig < NSIGS;
}

/* A fault that the faulting instruction raises again when the handler returns. */
static int is_fault(int sig, const siginfo_t *si)
{
	return (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
		sig == SIGSYS) &&
	       si->si_code > 0 && si->si_code != SI_KERNEL;
}

static int is_default(const struct sigaction *sa)
{
	return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == SIG_DFL;
}

static int resolve(void)
{
	if (!next_sigaction)
		next_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))real_next("sigaction");
	return next_sigaction ? 0 : -1;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	if (atomic_exchange(&finishing, 1)) {
		/* Another thread is finishing the trace for a signal that ends the process (a signal
		 * sent to the process group and by the launcher too, say): the handler stays in place
		 * so that this one does not end the process half-way; that thread ends it when done.
		 * Waits for it (bounded: the writer's own wait is 2 s), then takes this signal's course. */
		struct timespec ts = {0, 10 * 1000 * 1000};
		for (int i = 0; i < 300; i++)
			nanosleep(&ts, NULL);
	} else if (getpid() == owner_pid && rec_state() == REC_ON) {
		rec_set_state(REC_OFF);
		writer_flush_from_signal();
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	atomic_store(&held[sig], 0);
	next_sigaction(sig, &dfl, NULL);
	/* The signal is blocked while its handler runs: sent again, it ends the process once the
	 * handler returns; a fault happens again by itself. */
	if (!is_fault(sig, si))
		raise(sig);
	errno = saved;
}

/* Installs the recorder's handler for sig (which the program left at its default, *dfl). */
static void hold(int sig, const struct sigaction *dfl)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	/* Not SA_RESETHAND: the default back on entry would let the same signal, delivered to
	 * another thread meanwhile, end the process before the trace is finished.  The handler
	 * puts the default back itself.  Other terminating signals wait on this thread (faults
	 * cannot be held off). */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIGS; s++)
		if (ends_process(s) && s != SIGSEGV && s != SIGBUS && s != SIGFPE && s != SIGILL &&
		    s != SIGTRAP && s != SIGSYS)
			sigaddset(&sa.sa_mask, s);
	view[sig] = *dfl;
	if (next_sigaction(sig, &sa, NULL) == 0)
		atomic_store(&held[sig], 1);
}

void signals_install(pid_t owner)
{
	owner_pid = owner;
	if (resolve())
		return;
	for (int sig = 1; sig < NSIGS; sig++) {
		struct sigaction old;
		if (!ends_process(sig) || atomic_load(&held[sig]) ||
		    next_sigaction(sig, NULL, &old) != 0 || !is_default(&old))
			continue; /* the program (or its parent) chose something: keep it */
		hold(sig, &old);
	}
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	if (resolve()) {
		errno = ENOSYS;
		return -1;
	}
	if (sig <= 0 || sig >= NSIGS || !atomic_load(&held[sig])) {
		int rc = next_sigaction(sig, act, oldact);
		/* the default set again on a signal the recorder gave up: it takes it back */
		if (rc == 0 && act && is_default(act) && owner_pid && ends_process(sig))
			hold(sig, act);
		return rc;
	}
	struct sigaction before = view[sig];
	if (act && !is_default(act)) {
		int rc = next_sigaction(sig, act, NULL);
		if (rc != 0)
			return rc;
		atomic_store(&held[sig], 0); /* the program handles it (or ignores it) now */
	} else if (act) {
		view[sig] = *act;
	}
	if (oldact)
		*oldact = before;
	return 0;
}

/* signal(2) with glibc's (BSD) semantics: the handler stays, interrupted calls restart. */
EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sig > 0 && sig < NSIGS)
		sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}
