/*
 * unwind_threads.c: allocations from several threads at once, for the fast unwinder's tests
 * (tests/e2e/test_unwind.py).  Thread stacks end in clone3's frame, whose CFI marks the return
 * address undefined (the walk must stop there exactly as libunwind does), and every thread looks
 * up and fills the fast unwinder's shared rule table at the same time.  Shapes:
 *   - eight workers, started together behind a barrier, each allocating through the same
 *     functions (a recursion of 40 frames, an alloca frame, a qsort comparator) 300 times;
 *   - a worker that starts a thread of its own (a grandchild) which leaks;
 *   - a thread with a 64 KiB stack (pthread_attr_setstacksize) recursing 100 frames deep;
 *   - a thread with the smallest stack allowed (PTHREAD_STACK_MIN, 16 KiB) allocating 200 times
 *     from 7 frames of 1 KiB down: the recorder must not put its frame buffers on the program's
 *     stack;
 *   - a thread that calls pthread_exit from five frames down: glibc unwinds it (forced unwind,
 *     libgcc_s) and runs a cleanup handler that allocates, after a longjmp back into the frame
 *     that registered it.
 * Built twice by tests/unwind.mk: unwind_threads (-O0 with frame pointers) and unwind_threads_O2
 * (-O2 without).  Leaks known bytes per function (printed as "expect" lines); deterministic
 * output, exits 0.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind_common.h"

#define WORKERS 8
#define ROUNDS 300

static volatile int uw_seed = 1;
static volatile char uw_byte;
static pthread_barrier_t start_line;

/* ---- the workers' shapes ---- */

NOIPA static int t_rec(int n, int round)
{
	if (n == 0) {
		void *volatile tmp = malloc((size_t)(32 + round % 7));
		free(tmp);
		if (round % 100 == 0) {
			uw_keep(malloc(201));
			uw_count("t_rec", 201);
		}
		return 1;
	}
	int r = t_rec(n - 1, round);
	uw_barrier();
	return r + 1;
}

NOIPA static void t_alloca(int n, int round)
{
	char *buf = alloca((size_t)n);
	memset(buf, round, (size_t)n);
	void *volatile tmp = malloc((size_t)n);
	free(tmp);
	uw_byte = buf[n - 1];
}

NOIPA static int t_cmp(const void *a, const void *b)
{
	void *volatile tmp = malloc(48);
	free(tmp);
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

NOIPA static void t_sort(int round)
{
	int v[16];
	for (int i = 0; i < 16; i++)
		v[i] = (i * 7 + round) % 16;
	qsort(v, 16, sizeof(int), t_cmp);
}

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	pthread_barrier_wait(&start_line);
	for (int round = 0; round < ROUNDS; round++) {
		t_rec(40, round);
		t_alloca(64 + id, round);
		t_sort(round);
	}
	return NULL;
}

/* ---- a thread started by a thread ---- */

NOIPA static void grandchild_leak(void)
{
	uw_keep(malloc(202));
	uw_count("grandchild_leak", 202);
}

static void *grandchild(void *arg)
{
	(void)arg;
	grandchild_leak();
	return NULL;
}

static void *parent(void *arg)
{
	(void)arg;
	pthread_t t;
	pthread_create(&t, NULL, grandchild, NULL);
	pthread_join(t, NULL);
	return NULL;
}

/* ---- a small stack ---- */

NOIPA static int small_rec(int n)
{
	if (n == 0) {
		uw_keep(malloc(203));
		uw_count("small_rec", 203);
		return 0;
	}
	int r = small_rec(n - 1);
	uw_barrier();
	return r + 1;
}

static void *small_stack(void *arg)
{
	(void)arg;
	small_rec(100);
	return NULL;
}

/* ---- pthread_exit through a cleanup handler ---- */

NOIPA static void cleanup_leak(void *arg)
{
	(void)arg;
	uw_keep(malloc(204));
	uw_count("cleanup_leak", 204);
}

NOIPA static void exit_deep(int n)
{
	if (n == 0) {
		uw_keep(malloc(205));
		uw_count("exit_deep", 205);
		if (uw_seed) /* always: the condition only keeps GCC from calling the recursion infinite */
			pthread_exit(NULL);
		return;
	}
	exit_deep(n - 1);
	uw_barrier();
}

NOIPA static void exit_with_cleanup(void)
{
	pthread_cleanup_push(cleanup_leak, NULL);
	exit_deep(5);
	pthread_cleanup_pop(0);
}

/* ---- the smallest stack ---- */

NOIPA static int tiny_rec(int n)
{
	if (n == 0) {
		for (int i = 0; i < 200; i++) {
			void *p = malloc(48);
			if (i % 2) {
				free(p);
			} else {
				uw_keep(p);
				uw_count("tiny_rec", 48);
			}
		}
		return 0;
	}
	volatile char room[1024]; /* uses up most of the 16 KiB before the allocations */
	room[0] = (char)n;
	int r = tiny_rec(n - 1);
	uw_barrier();
	return r + room[0];
}

static void *tiny_stack(void *arg)
{
	(void)arg;
	tiny_rec(7);
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	exit_with_cleanup();
	return NULL;
}

int main(void)
{
	pthread_t w[WORKERS], t;
	pthread_barrier_init(&start_line, NULL, WORKERS);
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	pthread_barrier_destroy(&start_line);

	pthread_create(&t, NULL, parent, NULL);
	pthread_join(t, NULL);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_create(&t, &attr, small_stack, NULL);
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
	pthread_create(&t, &attr, tiny_stack, NULL);
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);

	pthread_create(&t, NULL, exiter, NULL);
	pthread_join(t, NULL);

	uw_print_expect();
	return 0;
}
