/*
 * keyset: one trace's stacks merged by symbolic key (stackkey.h) with their figures summed
 * (prefix keyset_): what `diff` and `check` compare.  Leaked figures leave out runtime-owned
 * stacks (as the report does) and suppressed ones (suppress.h).
 */
#ifndef LEAKREC_KEYSET_H
#define LEAKREC_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "stackkey.h"
#include "suppress.h"
#include "sym.h"
#include "symstack.h"

enum {
	KEYSET_OK = 0,
	KEYSET_ENOMEM = -1, /* out of memory */
};

/* Returns a static description of a KEYSET_E* code. */
const char *keyset_strerror(int err);

/* Figures of one key (or of a whole trace).  Leaked figures count what the stacks still held at
 * the end, apart from runtime-owned stacks (runtime_*) and suppressed ones (suppressed_*). */
typedef struct keyset_figures {
	uint64_t allocations, allocated_bytes, temporary;
	uint64_t leaked_bytes, leaked_allocations;
	uint64_t runtime_bytes, runtime_allocations;
	uint64_t suppressed_bytes, suppressed_allocations;
	uint64_t peak_bytes, peak_allocations; /* live at the global heap peak */
	/* Of leaked_*: by leak kind (index TF_REACH_*), when the trace has them. */
	uint64_t kind_bytes[TF_REACH_KINDS], kind_allocations[TF_REACH_KINDS];
} keyset_figures;

/* The stacks of one trace that share a key. */
typedef struct keyset_group {
	const char *key;          /* owned by the set */
	size_t stacks;            /* replay stacks merged here */
	size_t rep_idx;           /* replay index of the stack shown for the group: the one holding
				   * the most (leaked, then peak bytes, then allocations) */
	const sym_frame *frames;  /* that stack's shown frames, owned by the symstack_set */
	size_t nframes;
	int defined;              /* the representative's stack record was read */
	long rule;                /* the suppression rule of its first suppressed stack, or -1 */
	keyset_figures fig;
} keyset_group;

/* Per suppression rule: what it removed from the leak figures (stacks: keys whose first
 * suppressed stack this rule matched). */
typedef suppress_use keyset_rule_use;

typedef struct keyset keyset;

/* Groups every stack of a finished replay with a non-zero figure by key.  stacks and sup (may be
 * NULL) are borrowed and must outlive the set.  Returns 0 and *out (free with keyset_free), or
 * KEYSET_ENOMEM. */
int keyset_build(keyset **out, symstack_set *stacks, enum stackkey_match match,
		 const suppress_list *sup);
/* Frees the set.  Accepts NULL. */
void keyset_free(keyset *s);
/* The groups, in the order their first stack was seen; pointers valid until keyset_free. */
size_t keyset_count(const keyset *s);
const keyset_group *keyset_at(const keyset *s, size_t i);
/* Returns the group with this key, or NULL. */
const keyset_group *keyset_find(const keyset *s, const char *key);
/* The sums over every group; suppressed_stacks counts groups holding suppressed bytes. */
const keyset_figures *keyset_totals(const keyset *s);
uint64_t keyset_suppressed_stacks(const keyset *s);
/* Rule i's use (i < suppress_count of the list given to keyset_build). */
const keyset_rule_use *keyset_rule_use_at(const keyset *s, size_t i);

#endif
