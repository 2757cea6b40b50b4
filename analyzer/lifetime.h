/*
 * lifetime: how long the blocks of each stack were held (prefix lifetime_).
 *
 * The replay hands over every block it releases (a free, the old block of a realloc, an implicit
 * free, a block whose number came back while live) with its stack index, size, birth and death
 * times, and at the end every block still live.  Per stack this keeps:
 *
 * - byte-seconds: size x time held, summed over every block of the stack, a block still live at
 *   the end counting until the end; with a window [from, end) each block's interval is clipped
 *   to it, blocks allocated before the window included (the integral of the stack's live bytes
 *   over the window).  Summed exactly in 128 bits (where the compiler has them, else in a
 *   double), handed out as a double: the sum can pass 2^64 byte-nanoseconds.
 * - the lifetimes (death - birth, in the trace's time unit: nanoseconds, exact to the recorder's
 *   tick) of the blocks allocated in the window and freed in it ("freed"), their maximum, and
 *   their p50 and p90 by nearest rank: the smallest lifetime with at least ceil(p x n) of the n
 *   lifetimes at or below it (the median of an even count is the lower middle one).
 *
 * Percentiles are exact up to a memory budget: every lifetime is kept (4 bytes each while a
 * stack's are below 4.29 s, else 8) until the stacks together hold `budget` bytes of them; a stack that needs room beyond it (or whose array cannot
 * grow) keeps what it has, at least LIFETIME_RESERVOIR_MIN, as a reservoir sample: the k-th
 * lifetime (k > capacity c) replaces slot j = hash(stack, k) mod k when j < c (Vitter's algorithm
 * R with a hash instead of a random generator: the same trace gives the same figures).  Counts,
 * maxima and byte-seconds are always exact.  Percentiles over several stacks (the merged entries
 * of the reports) weigh each kept lifetime by seen / kept of its stack.
 */
#ifndef LEAKREC_LIFETIME_H
#define LEAKREC_LIFETIME_H

#include <stddef.h>
#include <stdint.h>

enum {
	LIFETIME_OK = 0,
	LIFETIME_ENOMEM = -1, /* out of memory */
};

/* Returns a static description of a LIFETIME_E* code. */
const char *lifetime_strerror(int err);

/* Bytes of lifetimes kept exactly over all stacks by default: 64 MiB, 16 Mi lifetimes of 4 bytes
 * (below 4.29 s), 8 Mi of 8 bytes (a stack with a longer one, see lifetime.c). */
#define LIFETIME_BUDGET_DEFAULT ((size_t)64 << 20)
/* Lifetimes a stack may always keep, whatever the budget. */
#define LIFETIME_RESERVOIR_MIN 256

typedef struct lifetime_tab lifetime_tab;

/* Creates an empty table that keeps at most `budget` bytes of lifetimes exactly (beyond it,
 * reservoir samples; see above; arrays that widen from 4 to 8 bytes a lifetime beyond the budget
 * may take up to twice it).  Returns 0 and *out (free with lifetime_free), or LIFETIME_ENOMEM. */
int lifetime_create(lifetime_tab **out, size_t budget);
/* Frees the table.  Accepts NULL. */
void lifetime_free(lifetime_tab *t);

/* Sets the window's start (0: the whole run); call before the first block. */
void lifetime_set_window(lifetime_tab *t, uint64_t from_ns);

/* A block of stack index `stack` (any value: the table grows) of `size` bytes, allocated at
 * birth_ns, released at death_ns (a death before the birth, in a damaged trace, counts as a
 * lifetime of 0).  Returns 0, or LIFETIME_ENOMEM when the per-stack table cannot grow (a full
 * lifetime array is not an error: it becomes a sample). */
int lifetime_end(lifetime_tab *t, uint32_t stack, uint64_t size, uint64_t birth_ns, uint64_t death_ns);
/* The blocks still live at the end are not handed over one by one (a pass over every live block
 * at the end costs more than keeping a sum): the replay keeps, per stack, the sum over its live
 * blocks of lifetime_term(size, birth, from), adding each block's term when it is allocated and
 * subtracting it when it is released.  Exact: unsigned 128-bit arithmetic modulo 2^128 (double
 * where the compiler has no 128-bit integers). */
#if defined(__SIZEOF_INT128__)
typedef unsigned __int128 lifetime_acc;
#else
typedef double lifetime_acc;
#endif
/* A block's term: size x max(birth, from); from is the window's start (0 without a window). */
static inline lifetime_acc lifetime_term(uint64_t size, uint64_t birth_ns, uint64_t from_ns)
{
	return (lifetime_acc)size * (birth_ns > from_ns ? birth_ns : from_ns);
}
/* The live blocks of a stack at end_ns, the end of the trace or window: live_bytes in all, acc
 * the sum of their terms.  Adds their byte-seconds (each held from max(birth, from) to the end).
 * Returns 0 or LIFETIME_ENOMEM. */
int lifetime_held_total(lifetime_tab *t, uint32_t stack, uint64_t live_bytes, lifetime_acc acc,
			uint64_t end_ns);

/* The byte-seconds of one stack (0 for a stack the table never saw). */
double lifetime_byte_seconds(const lifetime_tab *t, size_t stack);

/* The figures of a set of stacks taken together. */
typedef struct lifetime_figures {
	uint64_t freed;    /* blocks allocated in the window and freed in it */
	uint64_t kept;     /* their lifetimes the percentiles read: freed when exact, fewer when
			    * a stack's lifetimes are a sample */
	uint64_t p50_ns, p90_ns, max_ns; /* 0 when nothing was freed */
	double byte_seconds;
} lifetime_figures;

/* Computes the figures of the n stacks (indices, borrowed; each counted once as listed) into
 * *out.  The kept lifetimes of a single stack are reordered in place (their order means
 * nothing, for the sample too), those of several stacks are copied.  Returns 0 or
 * LIFETIME_ENOMEM. */
int lifetime_figures_of(lifetime_tab *t, const size_t *stacks, size_t n, lifetime_figures *out);

#endif
