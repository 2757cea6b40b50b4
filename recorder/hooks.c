/*
 * hooks.c: the interposed malloc family.
 *
 * Per event the hook path does: the real call, a clock read, a stack capture (capture.h), and a
 * store into the calling thread's ring.  It never calls the intercepted malloc (a thread-local
 * guard, rec.h, sends the recorder's own and libunwind's allocations straight to the real
 * allocator, unrecorded), never uses stdio, takes no lock, and never exits.
 *
 * Ordering: a free is stamped and published before the real free (so its address cannot be handed
 * out again before the free is in the ring); an allocation is stamped after the real allocator
 * returns.  A realloc takes one stamp before the call (release of the old block) and one after
 * (the new block).
 *
 * Sampling (sample.h, leakrec --sample): an allocation is recorded only when it is sampled (the
 * check comes before the stack capture and the ring, so an unsampled one costs a countdown), a
 * recorded block goes into the set of sampled blocks before it is handed out, and a free is
 * recorded only for a block of the set (removed from it before the real free).  A realloc of a
 * sampled block is recorded as without sampling and the new block stays in the set; the new
 * block of an unsampled one is a fresh allocation, sampled or not by the bytes it adds.
 *
 * Start-up: dlsym, used to find the real functions (real.h), itself calls calloc; until the real
 * functions are known, requests are served from a small static pool that free() recognises
 * (pool.h).
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "pool.h"
#include "prim.h"
#include "real.h"
#include "rec.h"
#include "ring.h"
#include "sample.h"
#include "session.h"
#include "tf.h"
#include "unwind.h"
#include "writer.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- recording ---- */

/* The calling thread's ring (acquired at its first event), or NULL when none can be mapped
 * (recording is then stopped). */
static ring *my_ring(void)
{
	if (__builtin_expect(rec_self()->ring != NULL, 1))
		return rec_self()->ring;
	ring *r = ring_acquire(rec_tid());
	if (!r) {
		rec_fail("cannot map memory for a thread's event buffer");
		return NULL;
	}
	capture_thread_start(r);
	rec_set_ring(r);
	return r;
}

/* The calling thread's ring with room for two more events (a realloc writes two), or NULL when
 * the event cannot be recorded.  Called before stamping: a thread's first event maps its ring and
 * a full ring waits for the writer, and neither may sit between a stamp and its publication. */
static ring *ready_ring(void)
{
	ring *r = my_ring();
	if (!r)
		return NULL;
	uint64_t waited_from = 0, tail_then = 0;
	if (__builtin_expect(r->head_local + 2 - r->tail_seen <= RING_CAP, 1))
		return r; /* room by the tail seen last: the writer only ever advances it */
	for (;;) {
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		r->tail_seen = tail;
		if (r->head_local + 2 - tail <= RING_CAP)
			return r;
		if (!writer_running()) {
			/* Once the end is decided (exit, a fatal signal: recording off), a call that
			 * raced with it belongs after the end; only a writer gone while recording is a
			 * loss. */
			if (rec_state() == REC_ON)
				writer_count_dropped();
			return NULL;
		}
		/* The program must never hang on the recorder: a writer that has not taken a single
		 * event of this ring for 10 s is given up on. */
		uint64_t now = prim_now_ns();
		if (!waited_from || tail != tail_then) {
			waited_from = now;
			tail_then = tail;
		} else if (now - waited_from > 10000000000ull) {
			rec_fail("the writer thread stopped taking events");
			writer_count_dropped();
			return NULL;
		}
		writer_kick();
		struct timespec d = {0, 50000};
		nanosleep(&d, NULL);
	}
}

/* Publishes n events (1 or 2); the writer is nudged each time a quarter of the ring is crossed. */
static inline __attribute__((always_inline)) void publish(ring *r, const ring_ev *e, unsigned n)
{
	ring_push(r, e, n);
	if ((r->head_local & (RING_CAP / 4 - 1)) < n)
		writer_nudge();
}

static void push(ring *r, uint8_t kind, uint8_t func, void *p, size_t size, uint32_t stack,
		 uint64_t t)
{
	ring_ev e = {t, (uint64_t)(uintptr_t)p, size, stack, kind, func, 0};
	publish(r, &e, 1);
}

static inline int should_record(void)
{
	int st = rec_state_relaxed();
	if (__builtin_expect(st == REC_ON, 1))
		return rec_self()->guard == 0;
	return st != REC_OFF && rec_self()->guard == 0 && session_start(st);
}

/* 1 when an allocation of n bytes is to be recorded: recording is on and, when sampling, the
 * allocation is sampled. */
static inline int should_record_alloc(size_t n)
{
	return should_record() && (__builtin_expect(!sample_on(), 1) || sample_take(n));
}

/* 1 when a free of p is to be recorded: recording is on and, when sampling, p is a sampled block
 * (taken out of the set here, before the real free). */
static inline int should_record_free(const void *p)
{
	return should_record() && (__builtin_expect(!sample_on(), 1) || sample_forget(p));
}

/* A recorded block goes into the set of sampled blocks (when sampling). */
static void sampled_block(const void *p)
{
	if (sample_on() && sample_add(p) != 0)
		rec_fail("cannot map memory for the set of sampled blocks");
}

static void record_alloc(uint8_t func, void *p, size_t size, const unwind_regs *start)
{
	rec_enter();
	ring *r = my_ring();
	uint32_t stack = r ? capture_stack(r, start) : 0;
	r = stack ? ready_ring() : NULL;
	if (r) {
		ring_begin(r);
		push(r, TF_EV_ALLOC, func, p, size, stack, prim_now_ns()); /* after the real allocator */
		ring_end(r);
		sampled_block(p);
	}
	rec_leave();
}

static void record_free(uint8_t func, void *p)
{
	rec_enter();
	ring *r = ready_ring();
	if (r) {
		ring_begin(r);
		push(r, TF_EV_FREE, func, p, 0, 0, prim_now_ns()); /* published before the real free */
		ring_end(r);
	}
	rec_leave();
}

/* ---- the malloc family ---- */

/* When sampling, an allocation that is not sampled goes straight to the real allocator by a tail
 * call, and malloc and calloc keep no frame: the decision needs only the size and is made before
 * the call, from the countdown alone.  The recorder's own allocations (the guard) are counted
 * down too; a crossing on one of them is not recorded, and the sampling of the program's bytes
 * stays a Poisson process.  Before the sampler starts (the process's first allocation), they
 * take the slow path, which starts it. */

/* malloc but for an unsampled allocation.  malloc reaches it by a tail call (it is not inlined
 * and malloc keeps no frame), so that its caller, the frame UNWIND_CALLER_REGS reads, is
 * malloc's: the unwind tests check that the first frame is the program's. */
static __attribute__((noinline)) void *malloc_slow(size_t n)
{
	if (!real_ready())
		return pool_alloc(n);
	void *p = real.malloc(n);
	if (p && should_record_alloc(n)) { /* the first one starts the recorder (and the sampler) */
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_MALLOC, p, n, &o);
	}
	return p;
}

/* malloc when the countdown reaches zero, reached the same way: sampled, or the recorder's own. */
static __attribute__((noinline)) void *malloc_crossed(size_t n)
{
	if (!(sample_cross(&sample_tls, n) && should_record()))
		return real.malloc(n);
	void *p = real.malloc(n);
	if (p) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_MALLOC, p, n, &o);
	}
	return p;
}

EXPORT void *malloc(size_t n)
{
	/* Sampling (the real functions are known by then): no frame, only tail calls. */
	if (__builtin_expect(sample_on(), 0)) {
		if (__builtin_expect(sample_skip(n), 1))
			return real.malloc(n);
		return malloc_crossed(n);
	}
	return malloc_slow(n);
}

/* A recorded free: the event, then the real free. */
static __attribute__((noinline)) void free_recorded(void *p)
{
	record_free(TF_FN_FREE, p);
	real.free(p);
}

static __attribute__((noinline)) void free_slow(void *p)
{
	if (should_record_free(p))
		free_recorded(p);
	else
		real.free(p);
}

EXPORT void free(void *p)
{
	if (!p || pool_has(p))
		return;
	if (__builtin_expect(sample_on(), 0) && __builtin_expect(!sample_maybe(p), 1)) {
		real.free(p); /* no sampled block in p's page: nothing else to read (a tail call) */
		return;
	}
	free_slow(p);
}

/* calloc but for an unsampled allocation, tail-called as malloc_slow is. */
static __attribute__((noinline)) void *calloc_slow(size_t a, size_t b)
{
	if (!real_ready()) {
		size_t n;
		return __builtin_mul_overflow(a, b, &n) ? NULL : pool_alloc(n);
	}
	void *p = real.calloc(a, b);
	if (p && should_record_alloc(a * b)) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_CALLOC, p, a * b, &o);
	}
	return p;
}

/* calloc when the countdown reaches zero (malloc_crossed). */
static __attribute__((noinline)) void *calloc_crossed(size_t a, size_t b)
{
	if (!(sample_cross(&sample_tls, a * b) && should_record()))
		return real.calloc(a, b);
	void *p = real.calloc(a, b);
	if (p) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_CALLOC, p, a * b, &o);
	}
	return p;
}

EXPORT void *calloc(size_t a, size_t b)
{
	if (__builtin_expect(sample_on(), 0)) {
		if (__builtin_expect(sample_skip(a * b), 1))
			return real.calloc(a, b);
		return calloc_crossed(a, b);
	}
	return calloc_slow(a, b);
}

/* realloc and reallocarray (whose size is already checked for overflow). */
static void *realloc_common(uint8_t func, void *p, size_t n, const unwind_regs *start)
{
	if (!should_record())
		return real.realloc(p, n);
	if (!p) {
		void *q = real.malloc(n);
		if (q && (!sample_on() || sample_take(n)))
			record_alloc(func, q, n, start);
		return q;
	}
	if (sample_on() && !sample_forget(p)) {
		/* An unsampled block: the new one is a fresh allocation, subject to sampling for
		 * the bytes it adds (a block grown step by step to n is then sampled with the
		 * probability of one allocation of n, which the analyzer's weight assumes). */
		size_t old = real.malloc_usable_size(p);
		void *q = real.realloc(p, n);
		if (q && sample_take(n > old ? n - old : 0))
			record_alloc(func, q, n, start);
		return q;
	}
	rec_enter();
	ring *r = ready_ring();
	if (!r) {
		rec_leave();
		return real.realloc(p, n);
	}
	ring_begin(r); /* both stamps stay in flight until both events are published */
	uint64_t t0 = prim_now_ns();
	void *q = real.realloc(p, n);
	void *keep = NULL; /* the sampled block live after the call */
	if (q) {
		uint32_t stack = capture_stack(r, start);
		if (stack) {
			ring_ev ev[2] = {{t0, (uint64_t)(uintptr_t)p, 0, 0, TF_EV_RFREE, func, 0},
					 {prim_now_ns(), (uint64_t)(uintptr_t)q, n, stack, TF_EV_RALLOC, func, 0}};
			publish(r, ev, 2);
			keep = q;
		}
	} else if (n == 0) {
		push(r, TF_EV_FREE, func, p, 0, 0, t0); /* glibc's realloc(p, 0) frees p */
	} else {
		keep = p; /* the call failed: p is still live */
	}
	ring_end(r);
	if (keep)
		sampled_block(keep);
	rec_leave();
	return q;
}

static void *realloc_from_pool(void *p, size_t n)
{
	void *q = malloc(n);
	if (q) {
		size_t old = pool_size(p);
		memcpy(q, p, old < n ? old : n);
	}
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	if (!real_ready()) {
		void *q = pool_alloc(n);
		if (q && p)
			memcpy(q, p, pool_size(p) < n ? pool_size(p) : n);
		return q;
	}
	if (p && pool_has(p))
		return realloc_from_pool(p, n);
	unwind_regs o = UNWIND_CALLER_REGS();
	return realloc_common(TF_FN_REALLOC, p, n, &o);
}

EXPORT void *reallocarray(void *p, size_t a, size_t b)
{
	size_t n;
	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!real_ready() || (p && pool_has(p)))
		return realloc(p, n);
	unwind_regs o = UNWIND_CALLER_REGS();
	return realloc_common(TF_FN_REALLOCARRAY, p, n, &o);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!real_ready())
		return ENOMEM;
	int rc = real.posix_memalign(out, align, n);
	if (rc == 0 && should_record_alloc(n)) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_POSIX_MEMALIGN, *out, n, &o);
	}
	return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.aligned_alloc(align, n);
	if (p && should_record_alloc(n)) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_ALIGNED_ALLOC, p, n, &o);
	}
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.memalign(align, n);
	if (p && should_record_alloc(n)) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_MEMALIGN, p, n, &o);
	}
	return p;
}

EXPORT void *valloc(size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.valloc(n);
	if (p && should_record_alloc(n)) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_VALLOC, p, n, &o);
	}
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.pvalloc(n);
	if (p && should_record_alloc(n)) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_PVALLOC, p, n, &o);
	}
	return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (pool_has(p))
		return pool_size(p);
	if (!real_ready())
		return 0;
	return real.malloc_usable_size(p);
}
