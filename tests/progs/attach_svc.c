/*
 * attach_svc.c: a multi-threaded service that `leakrec -p` attaches to while it runs
 * (tests/e2e/test_attach.py).  The test drives its work with command bytes on stdin, so that what
 * happens while leakrec is attached is known exactly:
 *
 *   'c'  one command: leak_block() leaks LEAK_SIZE bytes (never freed), release_startup_block()
 *        frees one of the NSTART blocks of STARTUP_SIZE bytes allocated at start-up by
 *        startup_pool() (so a command made while attached frees one block allocated before the
 *        attach), append_record() appends a NODE_SIZE-byte node to a list (freed at exit);
 *        answers "ack N" (N counts the commands)
 *   'p'  pause the churn threads (they hold no block while paused); answers "paused"
 *   'r'  resume them; answers "resumed"
 *   EOF  stop every thread, check and free everything, print the checksum, exit EXIT_STATUS
 *
 * Threads besides main: NCHURN churn threads (malloc, fill, check, free in churn_step(), one block
 * at a time, sizes from a per-thread generator) and one grower that adds a GROW_SIZE-byte block to
 * its list every GROW_US microseconds in grow_step() and keeps them until exit: the growing stack.
 * Replies go out with write(2), never stdio, so that the main thread allocates nothing but what
 * the commands say.  The checksum covers the commands' blocks and every block's contents; the churn
 * and grower threads count bad contents in `errors` (0 in a sane run).
 *
 *     attach_svc           prints "ready PID" once its threads run
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define LEAK_SIZE 1536
#define STARTUP_SIZE 96
#define NSTART 4096
#define NODE_SIZE 48
#define GROW_SIZE 4000
#define GROW_US 5000
#define NCHURN 3
#define EXIT_STATUS 7

struct node {
	struct node *next;
	uint64_t n;
	unsigned char pad[NODE_SIZE - 16];
};

static unsigned char *startup[NSTART];
static struct node *records;
static struct node *grown;
static atomic_int stop;
static atomic_ulong errors;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int paused, parked;

static void say(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(1, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(99);
		s += w;
		n -= (size_t)w;
	}
}

static uint64_t rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

NOINLINE static void startup_pool(void)
{
	for (int i = 0; i < NSTART; i++) {
		startup[i] = malloc(STARTUP_SIZE);
		memset(startup[i], (unsigned char)i, STARTUP_SIZE);
	}
}

NOINLINE static void *leak_block(uint64_t n)
{
	unsigned char *p = malloc(LEAK_SIZE);
	memset(p, (unsigned char)(n * 7 + 1), LEAK_SIZE);
	return p;
}

NOINLINE static void release_startup_block(uint64_t n)
{
	if (n >= NSTART)
		return;
	for (int k = 0; k < STARTUP_SIZE; k++)
		if (startup[n][k] != (unsigned char)n)
			atomic_fetch_add(&errors, 1);
	free(startup[n]);
	startup[n] = NULL;
}

NOINLINE static void append_record(uint64_t n)
{
	struct node *e = malloc(sizeof(*e));
	e->n = n;
	memset(e->pad, (unsigned char)n, sizeof(e->pad));
	e->next = records;
	records = e;
}

/* Waits while paused; returns 0 when the thread should stop. */
static int churn_gate(void)
{
	pthread_mutex_lock(&mu);
	while (paused && !atomic_load(&stop)) {
		parked++;
		pthread_cond_broadcast(&cv);
		pthread_cond_wait(&cv, &mu);
		parked--;
	}
	pthread_mutex_unlock(&mu);
	return !atomic_load(&stop);
}

NOINLINE static void churn_step(uint64_t *s)
{
	uint64_t r = rng(s);
	size_t n = 16 + (size_t)(r % 1000);
	unsigned char *p = malloc(n);
	unsigned char v = (unsigned char)(r >> 32);
	memset(p, v, n);
	if (p[0] != v || p[n - 1] != v || p[n / 2] != v)
		atomic_fetch_add(&errors, 1);
	free(p);
	for (volatile int k = 0; k < 30000; k++) /* some work between calls */
		;
}

static void *churn(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(uintptr_t)arg + 1;
	while (churn_gate())
		for (int i = 0; i < 64; i++)
			churn_step(&s);
	return NULL;
}

NOINLINE static void grow_step(uint64_t n)
{
	struct node *e = malloc(GROW_SIZE);
	e->n = n;
	memset(e->pad, (unsigned char)n, sizeof(e->pad));
	e->next = grown;
	grown = e;
}

static void *grower(void *arg)
{
	(void)arg;
	uint64_t n = 0;
	while (!atomic_load(&stop)) {
		grow_step(n++);
		struct timespec ts = {0, GROW_US * 1000L};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void set_paused(int p)
{
	pthread_mutex_lock(&mu);
	paused = p;
	pthread_cond_broadcast(&cv);
	while (p && parked < NCHURN)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

int main(void)
{
	static char line[64];
	void *leaked[NSTART];
	uint64_t n = 0;
	startup_pool();
	pthread_t th[NCHURN + 1];
	for (int i = 0; i < NCHURN; i++)
		pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	pthread_create(&th[NCHURN], NULL, grower, NULL);
	snprintf(line, sizeof(line), "ready %d\n", (int)getpid());
	say(line);
	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR) {
			say("EINTR in read\n");
			continue;
		}
		if (r <= 0)
			break;
		if (c == 'c') {
			if (n < NSTART)
				leaked[n] = leak_block(n);
			release_startup_block(n);
			append_record(n);
			n++;
			snprintf(line, sizeof(line), "ack %llu\n", (unsigned long long)n);
			say(line);
		} else if (c == 'p') {
			set_paused(1);
			say("paused\n");
		} else if (c == 'r') {
			set_paused(0);
			say("resumed\n");
		}
	}
	atomic_store(&stop, 1);
	set_paused(0);
	for (int i = 0; i <= NCHURN; i++)
		pthread_join(th[i], NULL);

	/* The checksum of the commands' work: the leaked blocks, the list, the start-up blocks left. */
	uint64_t sum = n;
	for (uint64_t i = 0; i < n && i < NSTART; i++) {
		const unsigned char *p = leaked[i];
		for (int k = 0; k < LEAK_SIZE; k += 64)
			sum = sum * 31 + p[k];
	}
	for (struct node *e = records; e; e = e->next)
		sum = sum * 131 + e->n + e->pad[NODE_SIZE - 17];
	for (int i = 0; i < NSTART; i++)
		if (startup[i])
			sum = sum * 7 + startup[i][STARTUP_SIZE - 1];
	unsigned long bad = 0;
	for (struct node *e = grown; e; e = e->next)
		bad += e->pad[0] != (unsigned char)e->n;
	while (records) {
		struct node *e = records;
		records = e->next;
		free(e);
	}
	while (grown) {
		struct node *e = grown;
		grown = e->next;
		free(e);
	}
	for (int i = 0; i < NSTART; i++)
		free(startup[i]);
	snprintf(line, sizeof(line), "checksum %llu errors %lu\n", (unsigned long long)sum,
		 (unsigned long)atomic_load(&errors) + bad);
	say(line);
	return EXIT_STATUS;
}
