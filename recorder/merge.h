/*
 * merge: the writer's k-way merge of the threads' event windows into one time order, written as
 * EVENTS records.
 *
 * Each source is a window of one thread's raw events (ring.h), in the order of their stamps.  The
 * merge writes the windows' events in the order of their stamps; among events with equal stamps
 * (threads on different CPUs can take the same clock value) it prefers one that agrees with the
 * live map, so that a free is not written before the allocation it releases.  It numbers the
 * allocations in file order and names each free by its allocation's number, looked up by pointer
 * in the live map (livemap.h): the trace holds no pointers.  An allocation at an address that is
 * still live means the allocator reused a block whose release was never seen (a release inside
 * the C library): an implicit free (TF_FN_IMPLICIT) of the old block is written first.  A free of
 * an address that is not live (allocated before recording started) is counted and dropped.  A
 * realloc's RALLOC at the address of its thread's last RFREE is marked in place.
 *
 * There is one merge (the writer's), as there is one live map (livemap.h): its state is the
 * module's, used by one thread at a time.
 */
#ifndef LEAKREC_MERGE_H
#define LEAKREC_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "tf_enc.h"

#define MERGE_EVENTS_PER_RECORD 8192
#define MERGE_ENOMEM (-1)

/* One source: a thread's window of events, owned by the caller. */
typedef struct merge_src {
	const ring_ev *ev; /* the thread's event i is ev[i & mask] */
	uint64_t mask;
	uint64_t cur, end; /* the window: events cur .. end-1; merge_window advances cur to end */
	uint64_t tid;      /* written as the events' thread */
	uint64_t rf_ptr;   /* pointer of the thread's last RFREE: keep it from window to window */
	uint64_t rf_size;  /* ... the size of the block it released, when rf_known */
	int rf_known;
} merge_src;

/* Where the records go. */
typedef struct merge_out {
	tf_enc *enc;
	/* Makes room in enc for a record of up to `need` bytes (the writer compresses what enc
	 * holds).  Called before each EVENTS record is begun. */
	void (*reserve)(void *ctx, size_t need);
	void *ctx;
	uint64_t origin; /* clock origin: events are written with times relative to it */
} merge_out;

/* What the merge has written since the last merge_reset (the END record's counters). */
typedef struct merge_counts {
	uint64_t next_id;   /* the next allocation's number */
	uint64_t allocs;    /* ALLOC and RALLOC events written */
	uint64_t frees;     /* FREE and RFREE events written, implicit ones included */
	uint64_t events;    /* events in complete EVENTS records */
	uint64_t unmatched; /* frees of addresses that were not live: dropped */
	uint64_t implicit;  /* implicit frees written */
	uint64_t calls_allocs; /* allocations as the analyzer counts them: ALLOC, and RALLOC when the
				* block moved or grew */
	uint64_t calls_frees;  /* frees as the analyzer counts them: FREE events made by a call */
} merge_counts;

/* Makes the merge write to `out` (copied).  The counters and numbering are kept (merge_reset
 * clears them). */
void merge_init(const merge_out *out);
/* Adds a source with a non-empty window to the next merge_window (src stays the caller's and
 * must stay valid until then).  Returns 0, or MERGE_ENOMEM: then every source added for this
 * window is dropped again. */
int merge_add(merge_src *src);
/* Writes the events of the sources added since the last merge_window in one time order, as
 * EVENTS records whose times are ticks of 2^shift ns after `base` (relative to the origin), and
 * closes the last record; each source's cur is then its end.  Returns 0, or MERGE_ENOMEM when the
 * live map could not grow (those allocations are not written, and the trace is no longer
 * exact). */
int merge_window(uint64_t base, uint32_t shift);
/* The counters (the merge's own; valid until the next merge call). */
const merge_counts *merge_totals(void);
/* Forgets the numbering, the counters, the live map and any sources added (a forked child's trace
 * starts anew, and the fork may have caught the parent's writer inside a merge). */
void merge_reset(void);

#endif
