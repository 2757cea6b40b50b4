/*
 * rec: the recorder's state that every other module reads: whether events are recorded at all
 * (REC_OFF, REC_ON, REC_CHILD; rec_fail turns recording off for good and says once why), and the
 * calling thread's own state: its "do not record" guard, its tid and its event ring.
 *
 * The hook path reads both on every call, so the accessors are inline: the state is one atomic
 * word, the thread's state one initial-exec TLS variable (hidden: it is no export), and reading
 * either is a single load.
 */
#ifndef LEAKREC_REC_H
#define LEAKREC_REC_H

#include <stdatomic.h>
#include <sys/types.h>

#include "prim.h"

struct ring;

/* REC_START until the process's first allocation (or the recorder's constructor, whichever comes
 * first) starts the recorder; REC_ON while events are recorded; REC_CHILD in a forked child until
 * its first event starts the child's own trace (a child that only execs never writes one). */
enum { REC_OFF = 0, REC_ON = 1, REC_CHILD = 2, REC_START = 3 };

/* The calling thread's state. */
typedef struct rec_thread {
	int guard;          /* >0: inside the recorder, or a thread that is never recorded */
	pid_t tid;          /* 0 until first needed */
	struct ring *ring;  /* the thread's event ring, NULL until its first event */
} rec_thread;

extern _Atomic int rec_status __attribute__((visibility("hidden")));
extern __thread rec_thread rec_tls __attribute__((visibility("hidden"), tls_model("initial-exec")));

/* The recording state (REC_*). */
static inline int rec_state(void) { return atomic_load(&rec_status); }
/* The same without ordering against other memory accesses: for the hook path's check. */
static inline int rec_state_relaxed(void)
{
	return atomic_load_explicit(&rec_status, memory_order_relaxed);
}
static inline void rec_set_state(int state) { atomic_store(&rec_status, state); }

/* Turns recording off for good (after a failure); events are no longer recorded. */
void rec_disable(void);
/* Turns recording off and says once on stderr why ("leakrec: <why>; recording stopped"). */
void rec_fail(const char *why);

/* The calling thread's state (never NULL; owned by the thread). */
static inline rec_thread *rec_self(void) { return &rec_tls; }
/* The calling thread's allocations are not recorded from rec_enter to rec_leave (they nest): the
 * recorder's own work, and threads that are never recorded (the writer). */
static inline void rec_enter(void) { rec_tls.guard++; }
static inline void rec_leave(void) { rec_tls.guard--; }
/* The calling thread's tid (asked of the kernel once). */
static inline pid_t rec_tid(void)
{
	if (!rec_tls.tid)
		rec_tls.tid = prim_gettid();
	return rec_tls.tid;
}

/* Creates the key that hands a thread's ring back (ring_release) when the thread exits.  Returns
 * 0 or -1. */
int rec_init(void);
/* Makes r the calling thread's ring, released when the thread exits. */
void rec_set_ring(struct ring *r);

#endif
