/*
 * attach_hammer.c: NTHREADS threads hammering malloc and free while `leakrec -p` attaches and
 * detaches again and again (tests/e2e/test_attach.py).
 *
 * Each thread works in rounds.  A round starts the thread's generator from the same seed (its
 * thread number), then ROUND_STEPS times frees a random one of SLOTS blocks (checking that the
 * block still holds what was written into it) and allocates a new one of 16..2048 bytes
 * (malloc, calloc or realloc by turns), then frees what is left.  Every round of a thread so
 * computes the same checksum: the first round's is the thread's, and any round that differs
 * counts as an error.  Between steps a little arithmetic keeps the rate of calls moderate (some
 * 300,000 events a second under full recording on two cores): 50 traces stay quick to read.
 *
 * Runs until stdin reaches EOF (main blocks in read), then prints per thread
 * "thread T checksum C" and one line "errors E" (E = 0 in a sane run), and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NTHREADS 8
#define SLOTS 128
#define ROUND_STEPS 4096

static atomic_int stop;
static atomic_ulong errors;
static uint64_t sums[NTHREADS];

static uint64_t rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

struct blk {
	unsigned char *p;
	size_t n;
	unsigned char v;
};

static uint64_t check(const struct blk *b)
{
	if (!b->p)
		return 0;
	if (b->p[0] != b->v || b->p[b->n - 1] != b->v || b->p[b->n / 2] != b->v)
		atomic_fetch_add(&errors, 1);
	return (uint64_t)b->p[0] * 3 + b->n;
}

NOINLINE static void fill(struct blk *b, uint64_t r)
{
	size_t n = 16 + (size_t)(r % 2033);
	unsigned char v = (unsigned char)(r >> 40);
	switch ((r >> 20) % 3) {
	case 0:
		free(b->p);
		b->p = malloc(n);
		break;
	case 1:
		free(b->p);
		b->p = calloc(1, n);
		break;
	default:
		b->p = realloc(b->p, n);
		break;
	}
	b->n = n;
	b->v = v;
	b->p[0] = b->p[n / 2] = b->p[n - 1] = v;
}

NOINLINE static uint64_t one_round(int t)
{
	struct blk slot[SLOTS];
	memset(slot, 0, sizeof(slot));
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1), sum = 0;
	for (int i = 0; i < ROUND_STEPS; i++) {
		uint64_t r = rng(&s);
		struct blk *b = &slot[r % SLOTS];
		sum = sum * 31 + check(b);
		fill(b, rng(&s));
		for (volatile int k = 0; k < 15000; k++)
			;
	}
	for (int i = 0; i < SLOTS; i++) {
		sum = sum * 31 + check(&slot[i]);
		free(slot[i].p);
	}
	return sum;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t first = one_round(t);
	while (!atomic_load(&stop))
		if (one_round(t) != first)
			atomic_fetch_add(&errors, 1);
	sums[t] = first;
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];
	for (int t = 0; t < NTHREADS; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	char buf[256];
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));
		if (r < 0 && errno == EINTR) {
			printf("EINTR in read\n");
			continue;
		}
		if (r <= 0)
			break;
	}
	atomic_store(&stop, 1);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < NTHREADS; t++)
		printf("thread %d checksum %llu\n", t, (unsigned long long)sums[t]);
	printf("errors %lu\n", (unsigned long)atomic_load(&errors));
	return 0;
}
