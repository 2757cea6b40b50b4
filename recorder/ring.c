/*
 * ring.c: the list of per-thread rings (see ring.h).  The list only grows; rings are recycled
 * through their state word (FREE -> OWNED by a thread's compare-and-swap, OWNED -> DEAD when the
 * thread ends, DEAD -> FREE by the writer once drained), so no node is ever unlinked and walking
 * the list needs no lock.
 */
#include "ring.h"

#include "prim.h"

static _Atomic(ring *) rings;
static size_t scratch_bytes;
static _Atomic uint32_t nrings;

void ring_init(size_t bytes) { scratch_bytes = bytes; }

ring *ring_list(void) { return atomic_load_explicit(&rings, memory_order_acquire); }

ring *ring_acquire(pid_t tid)
{
	for (ring *r = ring_list(); r; r = r->next) {
		int expect = RING_FREE;
		if (atomic_load_explicit(&r->state, memory_order_relaxed) == RING_FREE &&
		    atomic_compare_exchange_strong(&r->state, &expect, RING_OWNED)) {
			r->tid = tid;
			r->head_local = atomic_load(&r->head);
			r->tail_seen = 0; /* <= tail: reread at the first full-looking check */
			return r;
		}
	}
	ring *r = prim_map(sizeof(ring));
	if (!r)
		return NULL;
	r->ev = prim_map(RING_CAP * sizeof(ring_ev));
	r->scratch = prim_map(scratch_bytes);
	if (!r->ev || !r->scratch) {
		if (r->ev)
			prim_unmap(r->ev, RING_CAP * sizeof(ring_ev));
		if (r->scratch)
			prim_unmap(r->scratch, scratch_bytes);
		prim_unmap(r, sizeof(ring));
		return NULL;
	}
	r->tid = tid;
	r->index = atomic_fetch_add(&nrings, 1);
	atomic_store(&r->state, RING_OWNED);
	ring *head = atomic_load(&rings);
	do
		r->next = head;
	while (!atomic_compare_exchange_weak(&rings, &head, r));
	return r;
}

void ring_release(ring *r)
{
	if (r)
		atomic_store_explicit(&r->state, RING_DEAD, memory_order_release);
}

void ring_atfork_child(ring *mine)
{
	for (ring *r = ring_list(); r; r = r->next) {
		uint64_t h = atomic_load(&r->head);
		r->head_local = h;
		r->tail_seen = h;
		atomic_store(&r->tail, h);
		atomic_store(&r->inflight, 0);
		if (r != mine && atomic_load(&r->state) != RING_FREE)
			atomic_store(&r->state, RING_FREE);
	}
}
