/*
 * symstack: the symbolized stacks of a replay, the one model of a stack that every output reads
 * (prefix symstack_).
 *
 * For each stack of a finished replay: its frames, every recorded address resolved through a
 * resolver (inlined frames expanded, innermost first), the allocator frames at the top folded
 * away unless asked otherwise, and whether a runtime frame anywhere makes the memory it holds
 * the runtime's (frameclass.h).  A stack is symbolized on first use and kept; a stack whose
 * STACK record was never read has no frames.
 */
#ifndef LEAKREC_SYMSTACK_H
#define LEAKREC_SYMSTACK_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "sym.h"

/* A symbolized stack (owned by its symstack_set, valid until symstack_free). */
typedef struct symstack {
	const replay_stack *rec;  /* the replay's stack: id, figures, recorded addresses */
	int recorded;             /* its STACK record was read */
	const sym_frame *frames;  /* the frames shown, innermost first; NULL when nframes is 0 */
	size_t nframes;
	size_t folded;            /* allocator frames folded away just before frames[0] */
	int runtime;              /* the memory it holds is the runtime's (frameclass.h) */
	int truncated;            /* the recorder's depth limit cut the stack (its outer frames
				   * were not recorded) */
} symstack;

/* How addresses become frames: resolve returns the number of frames (>= 1) of the call-site
 * address addr of a stack captured in epoch and points *frames at them (owned by the resolver,
 * valid while the symstack_set lives), or a negative number when it cannot (the address then
 * reads as one "[unknown]" frame).  sym_resolve has this form (symstack_sym_resolver). */
typedef struct symstack_resolver {
	int (*resolve)(void *ctx, uint64_t epoch, uint64_t addr, const sym_frame **frames);
	void *ctx;
} symstack_resolver;

/* The resolver of a symbolizer (borrowed). */
symstack_resolver symstack_sym_resolver(sym_ctx *sym);

typedef struct symstack_set symstack_set;

enum {
	SYMSTACK_OK = 0,
	SYMSTACK_ENOMEM = -1, /* out of memory */
};

/* Prepares the stacks of a finished replay.  rp and what res refers to are borrowed and must
 * outlive the set; res is copied (NULL: nothing is symbolized, every frame reads "[unknown]").
 * With show_alloc_frames nothing is folded.  Returns 0 and *out (free with symstack_free), or
 * SYMSTACK_ENOMEM. */
int symstack_create(symstack_set **out, const replay_ctx *rp, const symstack_resolver *res,
		    int show_alloc_frames);
/* Frees the set.  Accepts NULL. */
void symstack_free(symstack_set *s);

/* The replay the set describes. */
const replay_ctx *symstack_replay(const symstack_set *s);
/* The number of stacks: replay_stack_count of the replay. */
size_t symstack_count(const symstack_set *s);
/* Returns stack idx (< symstack_count, the replay's index), symbolizing it on first use, or NULL
 * when memory ran out (then and on every later call). */
const symstack *symstack_get(symstack_set *s, size_t idx);
/* Returns stack idx when it has been symbolized already (by symstack_get), else NULL: what the
 * outputs have looked at, without symbolizing the rest. */
const symstack *symstack_peek(const symstack_set *s, size_t idx);

/* ---- entries: the stacks as every output lists them ----
 *
 * Replay stacks whose shown frames are equal are one entry: every frame the same function, file,
 * line, inlined flag and module (a frame without a function: the same module and offset), after
 * folding.
 * A compiler that unrolls a loop or a macro expanded several times on one line gives several
 * recorded stacks that print the same; the outputs show them as one, with their figures summed.
 * A stack whose STACK record was never read is an entry of its own. */
typedef struct symstack_entry {
	const symstack *stack;   /* the frames, the runtime flag: those of the first member */
	replay_stack fig;        /* the members' figures summed; id, epoch and the recorded frames
				  * are the first member's (the smallest id) */
	size_t nmembers;
	const size_t *members;   /* replay indices of the members, by stack id ascending */
} symstack_entry;

/* Symbolizes every stack and groups them into entries (once; later calls return at once).
 * Returns 0 or SYMSTACK_ENOMEM. */
int symstack_merge(symstack_set *s);
/* After symstack_merge: the entries, in the order of their smallest member id, and the entry of
 * replay stack idx.  Pointers are owned by the set. */
size_t symstack_entry_count(const symstack_set *s);
const symstack_entry *symstack_entry_at(const symstack_set *s, size_t i);
size_t symstack_entry_of(const symstack_set *s, size_t idx);
/* The entry of every replay stack, as an array of symstack_count indices (owned by the set). */
const size_t *symstack_entry_map(const symstack_set *s);

#endif
