/*
 * attach_signal.c: signal handlers that allocate, at a high rate, while `leakrec -p` attaches and
 * detaches (tests/e2e/test_attach.py).
 *
 * setitimer(ITIMER_REAL) sends SIGALRM every 200 us; on_alarm() mallocs HANDLER_SIZE bytes, fills
 * and checks them, and frees them.  The main thread computes and, with SIGALRM blocked (so that
 * the handler never interrupts an allocation of its own), mallocs and frees MAIN_SIZE-byte blocks
 * in main_step().  A second thread, with SIGALRM blocked, waits for EOF on stdin; then the timer is
 * stopped and the program prints "handled OK errors E main M errors F" (OK: "yes" when the
 * handler ran at least 100 times; E the handler's bad blocks; M the checksum of the main thread's
 * first 256 steps, the same every run; F the later steps that computed otherwise) and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define HANDLER_SIZE 777
#define MAIN_SIZE 333

static atomic_int stop;
static volatile sig_atomic_t handled;
static volatile sig_atomic_t bad;

NOINLINE static void on_alarm(int sig)
{
	(void)sig;
	int saved = errno;
	unsigned char *p = malloc(HANDLER_SIZE);
	if (!p) {
		bad++;
	} else {
		memset(p, 0x5a, HANDLER_SIZE);
		if (p[HANDLER_SIZE - 1] != 0x5a)
			bad++;
		free(p);
	}
	handled++;
	errno = saved;
}

static void *waiter(void *arg)
{
	(void)arg;
	char buf[64];
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
	}
	atomic_store(&stop, 1);
	return NULL;
}

NOINLINE static uint64_t main_step(uint64_t i, sigset_t *alrm)
{
	sigprocmask(SIG_BLOCK, alrm, NULL);
	unsigned char *p = malloc(MAIN_SIZE);
	sigprocmask(SIG_UNBLOCK, alrm, NULL);
	memset(p, (int)(i & 0xff), MAIN_SIZE);
	uint64_t s = 0;
	for (volatile int k = 0; k < 2000; k++)
		s += p[k % MAIN_SIZE] ^ (unsigned)k;
	sigprocmask(SIG_BLOCK, alrm, NULL);
	free(p);
	sigprocmask(SIG_UNBLOCK, alrm, NULL);
	return s;
}

int main(void)
{
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL); /* inherits SIGALRM blocked */
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 200}, {0, 200}};
	setitimer(ITIMER_REAL, &it, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	/* A step's result depends only on i % 256: the first 256 are the reference, a later one that
	 * differs is an error. */
	static uint64_t ref[256];
	uint64_t i = 0, sum = 0;
	unsigned long main_bad = 0;
	while (!atomic_load(&stop) || i < 256) {
		uint64_t s = main_step(i, &alrm);
		if (i < 256)
			ref[i] = s;
		else if (ref[i % 256] != s)
			main_bad++;
		i++;
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	pthread_join(th, NULL);
	for (int k = 0; k < 256; k++)
		sum = sum * 3 + ref[k];
	printf("handled %s errors %d main %llu errors %lu\n", handled >= 100 ? "yes" : "no", (int)bad,
	       (unsigned long long)sum, main_bad);
	return 0;
}
