/*
 * churn4.c: 4-thread allocation churn for the benchmark (bench/run.py, docs/bench.md).
 *
 * Each of 4 threads runs churn1's loop on its own table of 1024 live blocks (16..512 bytes, six
 * call sites, 10..30 frames deep).  A quarter of the blocks a thread replaces are not freed by it:
 * they go to the next thread through a lock-free single-producer single-consumer ring, and that
 * thread frees them.  A producer facing a full ring frees what its own inbound ring holds and
 * yields until there is room, so the same blocks are handed off on every run and the event counts
 * are deterministic (only the interleaving depends on the scheduler).
 *
 *     churn4 [STEPS]      steps per thread, default 2000000 (about 1 s natively on 2 cores)
 */
#include "bench.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define THREADS 4
#define SLOTS 1024
#define RING 32768 /* a power of two */

/* The ring from thread i-1 to thread i; head and tail on their own cache lines. */
struct ring {
	_Alignas(64) atomic_size_t head; /* next slot the consumer reads */
	_Alignas(64) atomic_size_t tail; /* next slot the producer writes */
	_Alignas(64) atomic_int producer_done;
	void *item[RING];
};

struct worker {
	int index;
	long steps;
	uint64_t sum;
	pthread_t thread;
};

static struct ring rings[THREADS];

/* Free everything waiting in ring r; returns how many blocks that was. */
static size_t drain(struct ring *r)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	for (size_t i = head; i != tail; i++)
		free(r->item[i % RING]);
	atomic_store_explicit(&r->head, tail, memory_order_release);
	return tail - head;
}

static void push(struct ring *out, struct ring *in, void *p)
{
	size_t tail = atomic_load_explicit(&out->tail, memory_order_relaxed);
	while (tail - atomic_load_explicit(&out->head, memory_order_acquire) == RING) {
		if (drain(in) == 0)
			sched_yield();
	}
	out->item[tail % RING] = p;
	atomic_store_explicit(&out->tail, tail + 1, memory_order_release);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ring *in = &rings[w->index], *out = &rings[(w->index + 1) % THREADS];
	void *slot[SLOTS] = { 0 };
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(w->index + 1), sum = 0;
	for (long i = 0; i < w->steps; i++) {
		uint64_t r = bench_rng(&rng);
		unsigned s = (unsigned)(r % SLOTS);
		size_t n = bench_size(r >> 12);
		int depth = 8 + (int)((r >> 32) % 21);
		if (slot[s] && ((r >> 20) & 3) == 0)
			push(out, in, slot[s]); /* the next thread frees it */
		else
			free(slot[s]);
		if ((i & 15) == 0)
			drain(in);
		unsigned char *p = bench_alloc(r, depth, n);
		sum += bench_touch(p, n, r);
		slot[s] = p;
	}
	for (unsigned s = 0; s < SLOTS; s++)
		free(slot[s]);
	atomic_store_explicit(&out->producer_done, 1, memory_order_release);
	/* Free what the previous thread still hands over, until it is done and the ring is empty. */
	for (;;) {
		int done = atomic_load_explicit(&in->producer_done, memory_order_acquire);
		if (drain(in) == 0) {
			if (done)
				break;
			sched_yield();
		}
	}
	w->sum = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	long steps = bench_steps(argc, argv, 2000000);
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .index = i, .steps = steps };
		int err = pthread_create(&w[i].thread, NULL, work, &w[i]);
		if (err) {
			fprintf(stderr, "churn4: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	uint64_t sum = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		sum += w[i].sum;
	}
	printf("churn4 checksum %llu\n", (unsigned long long)sum);
	return 0;
}
