/*
 * test_ring.c: the recorder's per-thread rings (recorder/ring.c): acquiring a new ring, its
 * scratch of the size given to ring_init, events pushed and read back across the wrap, the state
 * cycle that lets a new thread reuse a drained ring, the reset in a forked child, and many
 * threads acquiring and releasing at once.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ring.h"

#define SCRATCH 5000

static int on_list(const ring *r)
{
	for (const ring *x = ring_list(); x; x = x->next)
		if (x == r)
			return 1;
	return 0;
}

static ring_ev ev_n(uint64_t i)
{
	ring_ev e = {1000 + i, 0x7f0000000000ull + i * 16, i % 100, (uint32_t)(i % 7) + 1, (uint8_t)(i % 4),
		     (uint8_t)(i % 11), 0};
	return e;
}

static int same_ev(const ring_ev *a, const ring_ev *b)
{
	return a->time == b->time && a->ptr == b->ptr && a->size == b->size && a->stack == b->stack &&
	       a->kind == b->kind && a->func == b->func;
}

static void test_acquire(ring **r1, ring **r2)
{
	ring *a = ring_acquire(101), *b = ring_acquire(102);
	CHECK(a && b && a != b, "two threads get two rings");
	if (!a || !b)
		return;
	CHECK(a->tid == 101 && b->tid == 102, "owners %d and %d", (int)a->tid, (int)b->tid);
	CHECK(atomic_load(&a->state) == RING_OWNED && atomic_load(&b->state) == RING_OWNED, "owned");
	CHECK(a->index == 0 && b->index == 1, "indexes in the order of making (%u, %u)", a->index, b->index);
	CHECK(ring_list() == b && b->next == a, "the list holds the newest first");
	CHECK(a->ev && a->scratch, "events and scratch are mapped");
	int zero = 1;
	for (size_t i = 0; i < SCRATCH; i++)
		zero &= ((unsigned char *)a->scratch)[i] == 0;
	memset(a->scratch, 0xab, SCRATCH); /* the whole scratch is writable (ASan would not see an
					    * overrun of mmap'd memory, but a fault would) */
	CHECK(zero, "the scratch starts zeroed");
	CHECK(atomic_load(&a->head) == 0 && atomic_load(&a->tail) == 0 && a->head_local == 0,
	      "a new ring is empty");
	*r1 = a;
	*r2 = b;
}

static void test_push_and_wrap(ring *r)
{
	/* Fill the ring exactly: RING_CAP events between tail and head. */
	for (uint64_t i = 0; i < RING_CAP; i++) {
		ring_ev e = ev_n(i);
		ring_push(r, &e, 1);
	}
	CHECK_U("head after a full ring", atomic_load(&r->head), RING_CAP);
	CHECK_U("head_local follows", r->head_local, RING_CAP);
	int bad = 0;
	for (uint64_t i = 0; i < RING_CAP; i++) {
		ring_ev want = ev_n(i);
		bad += !same_ev(&r->ev[i & RING_MASK], &want);
	}
	CHECK(bad == 0, "%d of the full ring's events differ", bad);
	/* The consumer takes half; the producer fills the room again, wrapping around. */
	atomic_store(&r->tail, RING_CAP / 2);
	for (uint64_t i = RING_CAP; i < RING_CAP + RING_CAP / 2; i++) {
		ring_ev e = ev_n(i);
		ring_push(r, &e, 1);
	}
	bad = 0;
	for (uint64_t i = RING_CAP / 2; i < RING_CAP + RING_CAP / 2; i++) {
		ring_ev want = ev_n(i);
		bad += !same_ev(&r->ev[i & RING_MASK], &want);
	}
	CHECK(bad == 0, "%d events differ after the wrap", bad);
	CHECK_U("a full ring again", atomic_load(&r->head) - atomic_load(&r->tail), RING_CAP);
	ring_begin(r);
	CHECK_U("begin marks a stamp in flight", atomic_load(&r->inflight), 1);
	ring_end(r);
	CHECK_U("end clears it", atomic_load(&r->inflight), 0);
}

static void test_release_and_reuse(ring *a)
{
	ring_release(a);
	CHECK(atomic_load(&a->state) == RING_DEAD, "a released ring waits for the writer (dead)");
	ring *c = ring_acquire(103);
	CHECK(c && c != a, "a dead ring is not handed out");
	CHECK(c && c->index == 2, "a new ring gets the next index");
	/* The writer drains it and frees it. */
	atomic_store(&a->tail, atomic_load(&a->head));
	atomic_store(&a->state, RING_FREE);
	ring *d = ring_acquire(104);
	CHECK(d == a, "a free ring is reused");
	if (d == a) {
		CHECK(d->tid == 104 && atomic_load(&d->state) == RING_OWNED, "by its new owner");
		CHECK_U("the producer goes on at the old head", d->head_local, atomic_load(&d->head));
		CHECK_U("index kept", d->index, 0);
		ring_ev e = ev_n(7);
		uint64_t h = atomic_load(&d->head);
		ring_push(d, &e, 1);
		CHECK(same_ev(&d->ev[h & RING_MASK], &e), "and pushes after it");
	}
	ring_release(NULL); /* accepted, nothing happens */
}

static void test_atfork(ring *mine)
{
	for (ring *r = ring_list(); r; r = r->next) {
		ring_ev e = ev_n(1);
		if (atomic_load(&r->state) == RING_OWNED)
			ring_push(r, &e, 1);
		atomic_store(&r->inflight, 1);
	}
	ring_atfork_child(mine);
	int drained = 1, freed = 1;
	for (ring *r = ring_list(); r; r = r->next) {
		uint64_t h = atomic_load(&r->head);
		drained &= atomic_load(&r->tail) == h && r->head_local == h && r->tail_seen == h &&
			   atomic_load(&r->inflight) == 0;
		if (r != mine)
			freed &= atomic_load(&r->state) == RING_FREE;
	}
	CHECK(drained, "a child drops every event of the parent");
	CHECK(freed, "and frees every ring but the forking thread's");
	CHECK(atomic_load(&mine->state) == RING_OWNED, "the forking thread keeps its ring");
}

/* Threads that acquire and release at once never share a ring. */
enum { THREADS = 8, ROUNDS = 2000 };
static _Atomic int shared_seen;
static pthread_barrier_t go;

static void *churn(void *arg)
{
	pid_t tid = (pid_t)(intptr_t)arg;
	pthread_barrier_wait(&go);
	for (int i = 0; i < ROUNDS; i++) {
		ring *r = ring_acquire(tid);
		if (!r)
			continue;
		if (r->tid != tid)
			atomic_fetch_add(&shared_seen, 1);
		r->head_local = (uint64_t)tid; /* a write the other owner would see */
		for (int k = 0; k < 20; k++)
			if (r->tid != tid || r->head_local != (uint64_t)tid)
				atomic_fetch_add(&shared_seen, 1);
		r->head_local = atomic_load(&r->head);
		atomic_store(&r->state, RING_FREE); /* released and drained at once */
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[THREADS];
	pthread_barrier_init(&go, NULL, THREADS);
	for (int t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, churn, (void *)(intptr_t)(1000 + t));
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&go);
	CHECK_U("rings shared by two threads at once", atomic_load(&shared_seen), 0);
	uint32_t n = 0, max = 0;
	for (ring *r = ring_list(); r; r = r->next, n++)
		max = r->index > max ? r->index : max;
	CHECK(n <= 4 + THREADS, "%u rings for %d threads at most at once (rings are reused)", n, THREADS);
	CHECK_U("indexes are dense", max + 1, n);
}

int main(void)
{
	ring_init(SCRATCH);
	ring *a = NULL, *b = NULL;
	test_acquire(&a, &b);
	if (!a || !b)
		return check_summary();
	CHECK(on_list(a) && on_list(b), "both on the list");
	test_push_and_wrap(b);
	test_release_and_reuse(a);
	test_atfork(b);
	test_threads();
	return check_summary();
}
