/*
 * ring: per-thread event buffers between the application's threads and the writer thread.
 *
 * Each thread owns one ring of fixed-size raw events: it is the only producer, the writer the
 * only consumer (single-producer single-consumer, no lock).  The thread publishes events with a
 * release store of `head`; the writer encodes [tail, head) and publishes `tail`.  Rings live in a
 * push-only list; a ring whose thread has ended is drained by the writer and then reused by a
 * new thread, so memory stays bounded by the number of threads alive at once.
 */
#ifndef LEAKREC_RING_H
#define LEAKREC_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ring_ev {
	uint64_t time;
	uint64_t ptr;
	uint64_t size;
	uint32_t stack;
	uint8_t kind; /* TF_EV_* */
	uint8_t func; /* TF_FN_* */
	uint16_t pad;
} ring_ev;

enum { RING_FREE = 0, RING_OWNED = 1, RING_DEAD = 2 };

#define RING_CAP_BITS 14 /* 16384 events, 512 KiB */

typedef struct ring {
	/* producer side */
	_Alignas(64) _Atomic uint64_t head;
	uint64_t head_local;
	uint64_t tail_seen; /* tail as last read by the producer: reread only when the ring looks full,
			     * so that the producer does not pull the writer's cache line per event */
	_Atomic uint32_t inflight; /* 1 from before a stamp is taken until its event is published */
	uint64_t *scratch; /* memory for the owner's own use (stack captures), of the size
			    * given to ring_init, zeroed when the ring is made */
	/* consumer side */
	_Alignas(64) _Atomic uint64_t tail;
	_Atomic int state;
	pid_t tid;            /* the owner */
	uint32_t index;       /* 0, 1, 2 ... in the order the rings were made: the key of what the
			       * consumer keeps of each ring */
	struct ring *next;    /* list of all rings */
	ring_ev *ev;
} ring;

#define RING_CAP (1u << RING_CAP_BITS)
#define RING_MASK (RING_CAP - 1)

/* Sets the size of every ring's scratch memory (call once, before the first ring_acquire). */
void ring_init(size_t scratch_bytes);
/* Gives the calling thread a ring (a free one or a new one).  NULL when out of memory. */
ring *ring_acquire(pid_t tid);
/* Marks the ring of an ended thread; the writer drains and frees it. */
void ring_release(ring *r);
/* In a forked child: drops every event of the parent still in the rings and frees the rings of
 * the threads that do not exist in the child (all but `mine`, which may be NULL). */
void ring_atfork_child(ring *mine);
/* First ring of the list (the writer walks ->next). */
ring *ring_list(void);

/* Brackets taking a stamp and publishing its event(s): while `inflight` is set the writer does not
 * promise (SYNC) that every event stamped before its pass is written.  Plain stores: the writer
 * makes them visible with a process-wide barrier (prim_membarrier) instead of a fence per event. */
static inline void ring_begin(ring *r)
{
	atomic_store_explicit(&r->inflight, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void ring_end(ring *r)
{
	atomic_store_explicit(&r->inflight, 0, memory_order_release);
}

/* Appends n events and publishes them together (a realloc's release and new block: a pass never
 * takes one without the other). */
static inline void ring_push(ring *r, const ring_ev *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		r->ev[(r->head_local + i) & RING_MASK] = e[i];
	r->head_local += n;
	atomic_store_explicit(&r->head, r->head_local, memory_order_release);
}

#endif
