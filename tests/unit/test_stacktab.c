/*
 * test_stacktab.c: the recorder's lock-free stack table (recorder/stacktab.c): ids from 1, one id
 * per (frames, epoch), the precomputed-hash entry point, growth across many tables, the queue of
 * new stacks (stacktab_take_new, oldest first), many threads interning at once, and the reset in
 * a forked child.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stacktab.h"

#define DEPTH 12

/* Stack number k: frames that differ from stack k+1 in their innermost frame only, with a length
 * that depends on k, so that prefixes of each other are different stacks too. */
static uint32_t stack_of(uint64_t k, uint64_t *f)
{
	uint32_t n = 1 + (uint32_t)(k % DEPTH);
	for (uint32_t i = 0; i < n; i++)
		f[i] = 0x400000 + (n - i) * 0x100 + (i == 0 ? k * 16 : 0);
	return n;
}

static uint64_t hash_of(const uint64_t *f, uint32_t n, uint64_t epoch)
{
	uint64_t h = STACKTAB_HASH_SEED;
	for (uint32_t i = n; i-- > 0;)
		h = stacktab_hash_fold(h, f[i]);
	return stacktab_hash_final(h, n, epoch);
}

static void test_intern_and_dedup(void)
{
	uint64_t a[3] = {0x1000, 0x2000, 0x3000}, b[3] = {0x1000, 0x2000, 0x3008};
	uint32_t ia = stacktab_intern(a, 3, 0);
	CHECK_U("first stack's id", ia, 1);
	CHECK_U("same stack, same id", stacktab_intern(a, 3, 0), ia);
	uint32_t ib = stacktab_intern(b, 3, 0);
	CHECK(ib == 2, "another outer frame: a new id (got %u)", ib);
	uint32_t ip = stacktab_intern(a, 2, 0);
	CHECK(ip == 3, "a prefix is another stack (got %u)", ip);
	uint32_t i0 = stacktab_intern(a, 0, 0);
	CHECK(i0 == 4, "the empty stack has an id too (got %u)", i0);
	CHECK_U("the empty stack again", stacktab_intern(a, 0, 0), i0);
	CHECK_U("hashed entry point finds the same stack", stacktab_intern_hashed(a, 3, 0, hash_of(a, 3, 0)),
		ia);
	CHECK_U("count", stacktab_count(), 4);
}

static void test_epochs(void)
{
	uint64_t a[3] = {0x1000, 0x2000, 0x3000};
	uint32_t e0 = stacktab_intern(a, 3, 0), e1 = stacktab_intern(a, 3, 1);
	CHECK(e1 != e0, "the same addresses in a new epoch are another stack (%u, %u)", e0, e1);
	CHECK_U("epoch 1 again", stacktab_intern(a, 3, 1), e1);
	CHECK_U("epoch 0 still known", stacktab_intern(a, 3, 0), e0);
	CHECK(stacktab_intern(a, 3, 1ull << 40) != e1, "a large epoch is its own");
}

static void test_take_new_order(void)
{
	stacktab_take_new(); /* what the tests above inserted */
	CHECK(stacktab_take_new() == NULL, "nothing new after a take");
	uint64_t f[3][2] = {{0xa0, 0xb0}, {0xa1, 0xb0}, {0xa2, 0xb0}};
	uint32_t id[3];
	for (int i = 0; i < 3; i++)
		id[i] = stacktab_intern(f[i], 2, 7);
	stacktab_intern(f[1], 2, 7); /* known: not queued again */
	int k = 0, ok = 1;
	for (stacktab_node *s = stacktab_take_new(); s; s = s->next_new, k++)
		ok &= k < 3 && s->id == id[k] && s->n == 2 && s->epoch == 7 &&
		      memcmp(s->frames, f[k], sizeof(f[k])) == 0;
	CHECK(ok && k == 3, "take_new gives the three new stacks oldest first (%d seen)", k);
	CHECK(stacktab_take_new() == NULL, "and then nothing");
}

static void test_growth(void)
{
	/* The first table has 4096 slots; 100000 stacks need six more. */
	enum { N = 100000 };
	static uint32_t ids[N];
	uint64_t f[DEPTH];
	int bad = 0;
	for (uint64_t k = 0; k < N; k++) {
		uint32_t n = stack_of(k, f);
		ids[k] = stacktab_intern(f, n, 3);
		bad += ids[k] == 0;
	}
	CHECK(bad == 0, "%d of %d stacks got no id", bad, N);
	for (uint64_t k = 0; k < N; k++) {
		uint32_t n = stack_of(k, f);
		bad += stacktab_intern(f, n, 3) != ids[k];
	}
	CHECK(bad == 0, "%d stacks changed their id after the tables grew", bad);
	uint64_t seen = 0, prev = 0;
	int order = 1;
	for (stacktab_node *s = stacktab_take_new(); s; s = s->next_new, seen++) {
		order &= s->id > prev;
		prev = s->id;
	}
	CHECK_U("every new stack queued once", seen, N);
	CHECK(order, "queued in id order");
}

/* Threads interning the same stacks at once: every thread sees ids whose frames are its
 * stack's, every distinct stack is queued at least once (two threads that insert the same stack
 * while a table is added may both insert it: documented, harmless), and ids are unique. */
enum { THREADS = 4, SHARED = 30000 };
static uint32_t got[THREADS][SHARED];
static pthread_barrier_t go;

static void *intern_all(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t f[DEPTH];
	pthread_barrier_wait(&go);
	for (uint64_t i = 0; i < SHARED; i++) {
		uint64_t k = t & 1 ? SHARED - 1 - i : i; /* half the threads from the other end */
		uint32_t n = stack_of(k + 1000000, f);
		got[t][k] = stacktab_intern(f, n, 5);
	}
	return NULL;
}

static void test_threads(void)
{
	stacktab_take_new();
	uint32_t before = stacktab_count();
	pthread_t th[THREADS];
	pthread_barrier_init(&go, NULL, THREADS);
	for (int t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, intern_all, (void *)(intptr_t)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&go);
	/* Map every queued node by id, then check each thread's answers against the frames. */
	uint32_t ids = stacktab_count();
	stacktab_node **by_id = calloc((size_t)ids + 1, sizeof(*by_id));
	uint32_t queued = 0, dup_ids = 0;
	for (stacktab_node *s = stacktab_take_new(); s; s = s->next_new, queued++) {
		if (s->id > before && s->id <= ids && !by_id[s->id])
			by_id[s->id] = s;
		else
			dup_ids++;
	}
	/* A thread that loses the race for a slot to the same stack takes the winner's id; the id
	 * it had drawn stays unused, so the count may exceed the stacks queued. */
	CHECK(queued >= SHARED && queued <= SHARED + SHARED / 100,
	      "%u stacks queued for %u distinct ones (a few duplicates at table growth are allowed)",
	      queued, (unsigned)SHARED);
	CHECK(ids - before >= queued, "%u ids drawn for %u stacks", ids - before, queued);
	CHECK_U("no id given twice", dup_ids, 0);
	int wrong = 0;
	uint64_t f[DEPTH];
	for (int t = 0; t < THREADS; t++)
		for (uint64_t k = 0; k < SHARED; k++) {
			uint32_t n = stack_of(k + 1000000, f);
			const stacktab_node *s = got[t][k] ? by_id[got[t][k]] : NULL;
			wrong += !s || s->n != n || s->epoch != 5 || memcmp(s->frames, f, n * 8) != 0;
		}
	CHECK(wrong == 0, "%d answers name a stack with other frames", wrong);
	int moved = 0;
	for (uint64_t k = 0; k < SHARED; k++) {
		uint32_t n = stack_of(k + 1000000, f);
		uint32_t id = stacktab_intern(f, n, 5);
		int any = 0;
		for (int t = 0; t < THREADS; t++)
			any |= got[t][k] == id;
		moved += !any;
	}
	CHECK(moved == 0, "%d stacks now found under an id no thread was given", moved);
	CHECK(stacktab_take_new() == NULL, "looking them up again inserts nothing");
	free(by_id);
}

static void test_atfork_child(void)
{
	uint64_t a[2] = {0x10, 0x20};
	stacktab_intern(a, 2, 0);
	stacktab_atfork_child();
	CHECK(stacktab_take_new() == NULL, "a child starts with nothing queued");
	CHECK_U("and an empty table", stacktab_count(), 0);
	CHECK_U("ids start at 1 again", stacktab_intern(a, 2, 0), 1);
	stacktab_node *s = stacktab_take_new();
	CHECK(s && s->id == 1 && !s->next_new, "the child's first stack is queued");
}

int main(void)
{
	EXPECT(stacktab_init() == 0);
	EXPECT(stacktab_init() == 0); /* twice: the second does nothing */
	test_intern_and_dedup();
	test_epochs();
	test_take_new_order();
	test_growth();
	test_threads();
	test_atfork_child();
	return check_summary();
}
