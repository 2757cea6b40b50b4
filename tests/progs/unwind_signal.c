/*
 * unwind_signal.c [async]: allocations inside signal handlers, for the fast unwinder's tests
 * (tests/e2e/test_unwind.py).  A handler's stack goes through the kernel's signal frame: the
 * handler returns to glibc's __restore_rt, whose CFI ('S' augmentation, every register given by
 * an expression on the saved ucontext) is what an unwinder must recognise; above it, the
 * interrupted function's frame is looked up at the interrupted address itself, not at a return
 * address minus one.  The fast unwinder may hand these stacks to libunwind, so every allocation
 * made while a signal frame is on the stack has a "may decline" size (unwind_common.h); every
 * other allocation must be unwound by the fast one, before and after the handlers ran.
 *
 * Without argument (deterministic, every signal sent with raise or pthread_kill):
 *   - SIGUSR1 raised from 30 frames down; its handler leaks one block (sig_leak);
 *   - SIGUSR2 handled on an alternate signal stack (sigaltstack, SA_SIGINFO), raised from an
 *     alloca frame: the handler's stack is not the thread's stack;
 *   - SIGALRM whose handler raises SIGUSR1 (SA_NODEFER): two signal frames on one stack;
 *   - a signal sent to a second thread that waits in a system call;
 *   - plain allocations in between, which must still be unwound by the fast unwinder.
 * With "async": a 50 us interval timer interrupts a loop of small functions at arbitrary
 * instructions (prologues, epilogues, the middle of malloc) for 150 ms; the handler allocates
 * and frees (nothing leaked, so the output does not depend on how often it ran).
 * Leaks known bytes per function (printed as "expect" lines); exits 0.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "unwind_common.h"

static volatile int uw_seed = 1;
static volatile char uw_byte;

/* ---- handlers: every allocation has a "may decline" size ---- */

NOIPA static void sig_leak(int sig)
{
	(void)sig;
	uw_keep(malloc(UW_DECLINE(10)));
	uw_count("sig_leak", UW_DECLINE(10));
}

NOIPA static void altstack_leak(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	size_t n = UW_DECLINE(11) + (si->si_signo == SIGUSR2 ? 0 : 1);
	uw_keep(malloc(n));
	uw_count("altstack_leak", n);
}

NOIPA static void nested_leak(int sig)
{
	(void)sig;
	uw_keep(malloc(UW_DECLINE(12)));
	uw_count("nested_leak", UW_DECLINE(12));
	raise(SIGUSR1); /* sig_leak runs on top of this handler's frame */
	uw_barrier();
}

static volatile sig_atomic_t thread_signalled;

NOIPA static void thread_sig_leak(int sig)
{
	(void)sig;
	uw_keep(malloc(UW_DECLINE(13)));
	uw_count("thread_sig_leak", UW_DECLINE(13));
	thread_signalled = 1;
}

/* ---- ordinary allocations, between the signals ---- */

NOIPA static void plain_leak(int k)
{
	uw_keep(malloc((size_t)(300 + k)));
	uw_count("plain_leak", (size_t)(300 + k));
}

NOIPA static int raise_deep(int n, int sig)
{
	if (n == 0) {
		plain_leak(1);
		raise(sig);
		plain_leak(2); /* after the handler returned through __restore_rt */
		return 0;
	}
	int r = raise_deep(n - 1, sig);
	uw_barrier();
	return r + 1;
}

NOIPA static void raise_from_alloca(int n)
{
	char *buf = alloca((size_t)n);
	memset(buf, 1, (size_t)n);
	raise(SIGUSR2);
	plain_leak(3);
	uw_byte = buf[n - 1];
}

static void on(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* ---- a thread that takes a signal while blocked in a system call ---- */

static volatile sig_atomic_t thread_ready;

static void *sleeper(void *arg)
{
	(void)arg;
	thread_ready = 1;
	while (!thread_signalled) {
		struct timespec d = {0, 50 * 1000 * 1000};
		nanosleep(&d, NULL); /* usually interrupted by SIGURG (EINTR) */
	}
	plain_leak(4);
	return NULL;
}

static int sync_mode(void)
{
	on(SIGUSR1, sig_leak, SA_NODEFER);
	raise_deep(30, SIGUSR1);

	static char altstack[64 * 1024];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = altstack_leak;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	raise_from_alloca(100 + uw_seed);

	on(SIGALRM, nested_leak, SA_NODEFER);
	raise_deep(10, SIGALRM);

	on(SIGURG, thread_sig_leak, 0);
	pthread_t t;
	pthread_create(&t, NULL, sleeper, NULL);
	while (!thread_ready)
		sched_yield();
	/* most likely in nanosleep by now: the signal frame then sits on a system call */
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	pthread_kill(t, SIGURG);
	pthread_join(t, NULL);

	plain_leak(5);
	uw_print_expect();
	return 0;
}

/* ---- async: a timer interrupts whatever runs ---- */

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	void *volatile p = malloc(UW_DECLINE(20));
	free(p);
	ticks++;
}

NOIPA static long leaf_a(long x) { return x * 3 + 1; }

NOIPA static long leaf_b(long x)
{
	char buf[256];
	memset(buf, (int)x, sizeof(buf));
	return buf[x & 255] + leaf_a(x);
}

NOIPA static long mid(long x)
{
	void *volatile p = malloc(64);
	long r = leaf_b(x) + leaf_a(x + 1);
	free(p);
	return r;
}

static int async_mode(void)
{
	free(malloc(64)); /* keep both sizes in glibc's thread cache before the timer starts */
	free(malloc(UW_DECLINE(20)));
	on(SIGALRM, on_tick, SA_RESTART);
	struct itimerval it = {{0, 50}, {0, 50}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long acc = 0;
	do {
		for (int i = 0; i < 1000; i++)
			acc += mid(i);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) < 150000000L);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
	uw_byte = (char)acc;
	plain_leak(6);
	uw_print_expect();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "async") == 0)
		return async_mode();
	return sync_mode();
}
