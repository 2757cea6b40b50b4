/*
 * stackkey: stacks matched by their symbolic identity across builds, and what the `diff` and
 * `check` commands share on top of that (prefix stackkey_).
 *
 * The key of a stack is the chain of its frames as the report shows them (allocator frames
 * folded, inlined frames included), innermost first, each frame reduced to its function name:
 * no address, no line, no Rust hash suffix (sym removes it) and no compiler clone suffix
 * (.constprop.N, .isra.N, .part.N, .cold, .lto_priv.N, .llvm.N, " [clone ...]").  A frame
 * without a function reads as its module's base name followed by "?".  Two adjacent equal
 * frames count once (recursion depth is data, not identity), and the C runtime's start-up
 * frames at the outer end (_start, __libc_start_main*, start_thread, clone, clone3) are left
 * out, so the same program gives the same keys when rebuilt, when code moves within its files,
 * with or without frame pointers, and on another C library version.  With STACKKEY_MATCH_LINES each
 * frame also carries its source file's base name and line.  Keys are text: frames joined by
 * ';', with '\', ';' and control bytes escaped (\\, \;, \xHH).
 *
 * A key set (stackkey_set) is one trace's stacks merged by key with their figures summed; leaked
 * figures leave out runtime-owned stacks (as the report) and suppressed ones (suppress.h).
 * stackkey_trace bundles a replayed, symbolized trace with its key set.  The rest are the pieces the
 * two commands print alike: size and percent limits.
 */
#ifndef LEAKREC_STACKKEY_H
#define LEAKREC_STACKKEY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "replay.h"
#include "symstack.h"
#include "suppress.h"
#include "sym.h"

enum {
	STACKKEY_OK = 0,
	STACKKEY_ENOMEM = -1,  /* out of memory */
	STACKKEY_EINPUT = -2,  /* the trace could not be read (the reason was printed) */
	STACKKEY_EINVAL = -3,  /* a malformed size or limit */
};

/* Returns a static description of an STACKKEY_E* code. */
const char *stackkey_strerror(int err);

/* How frames are compared. */
enum stackkey_match {
	STACKKEY_MATCH_FUNCTIONS = 0, /* function names only */
	STACKKEY_MATCH_LINES = 1,     /* function name, source file base name and line */
};

/* Builds the key of a stack (n frames, innermost first, borrowed).  Returns 0 and *key, a
 * NUL-terminated string the caller frees (its length in *len), or STACKKEY_ENOMEM. */
int stackkey_key(const sym_frame *frames, size_t n, enum stackkey_match match, char **key, size_t *len);

/* ---- key sets ---- */

/* Figures of one key (or of a whole trace).  Leaked figures count what the stacks still held at
 * the end, apart from runtime-owned stacks (runtime_*) and suppressed ones (suppressed_*). */
typedef struct stackkey_figures {
	uint64_t allocations, allocated_bytes, temporary;
	uint64_t leaked_bytes, leaked_allocations;
	uint64_t runtime_bytes, runtime_allocations;
	uint64_t suppressed_bytes, suppressed_allocations;
	uint64_t peak_bytes, peak_allocations; /* live at the global heap peak */
} stackkey_figures;

/* The stacks of one trace that share a key. */
typedef struct stackkey_group {
	const char *key;          /* owned by the set */
	size_t stacks;            /* replay stacks merged here */
	size_t rep_idx;           /* replay index of the stack shown for the group: the one holding
				   * the most (leaked, then peak bytes, then allocations) */
	const sym_frame *frames;  /* that stack's shown frames, owned by the symstack_set */
	size_t nframes;
	int defined;              /* the representative's stack record was read */
	long rule;                /* the suppression rule of its first suppressed stack, or -1 */
	stackkey_figures fig;
} stackkey_group;

/* Per suppression rule: what it removed from the leak figures. */
typedef struct stackkey_rule_use {
	uint64_t bytes, allocations;
	uint64_t stacks; /* keys whose first suppressed stack this rule matched */
} stackkey_rule_use;

typedef struct stackkey_set stackkey_set;

/* Groups every stack of a finished replay with a non-zero figure by key.  stacks and sup (may be
 * NULL) are borrowed and must outlive the set.  Returns 0 and *out (free with stackkey_set_free), or
 * STACKKEY_ENOMEM. */
int stackkey_set_build(stackkey_set **out, symstack_set *stacks, enum stackkey_match match,
		       const suppress_list *sup);
/* Frees the set.  Accepts NULL. */
void stackkey_set_free(stackkey_set *s);
/* The groups, in the order their first stack was seen; pointers valid until stackkey_set_free. */
size_t stackkey_set_count(const stackkey_set *s);
const stackkey_group *stackkey_set_at(const stackkey_set *s, size_t i);
/* Returns the group with this key, or NULL. */
const stackkey_group *stackkey_set_find(const stackkey_set *s, const char *key);
/* The sums over every group; suppressed_stacks counts groups holding suppressed bytes. */
const stackkey_figures *stackkey_set_totals(const stackkey_set *s);
uint64_t stackkey_set_suppressed_stacks(const stackkey_set *s);
/* Rule i's use (i < suppress_count of the list given to stackkey_set_build). */
const stackkey_rule_use *stackkey_set_rule_use(const stackkey_set *s, size_t i);

/* ---- a loaded trace ---- */

typedef struct stackkey_trace stackkey_trace;

/* Replays the trace at path and symbolizes it (cli_replay_new, cli_symbolize: problems printed
 * as the report does), then builds its key set.  sup (may be NULL) is borrowed and must outlive
 * the trace; path is borrowed as well.  Returns 0 and *out (free with stackkey_trace_free), STACKKEY_EINPUT
 * when the trace could not be read or symbolized (already said), or STACKKEY_ENOMEM. */
int stackkey_trace_load(stackkey_trace **out, const char *path, enum stackkey_match match, const suppress_list *sup);
/* Frees everything the trace holds.  Accepts NULL. */
void stackkey_trace_free(stackkey_trace *t);
/* Accessors; the pointers are owned by the trace. */
const char *stackkey_trace_path(const stackkey_trace *t);
const replay_ctx *stackkey_trace_replay(const stackkey_trace *t);
const stackkey_set *stackkey_trace_set(const stackkey_trace *t);

/* Loads the suppression file at path into *out (free with suppress_free).  Returns 0, STACKKEY_EINPUT
 * after printing "cannot read suppressions 'PATH': reason" or "PATH:LINE: reason", or
 * STACKKEY_ENOMEM. */
int stackkey_load_suppressions(const char *path, suppress_list **out);

/* ---- limits ---- */

/* Parses a byte count: digits with an optional fraction and unit: B, K/KiB, M/MiB, G/GiB, T/TiB
 * (powers of 1024), KB, MB, GB, TB (powers of 1000); case-insensitive.  Returns 0 and *out, or
 * STACKKEY_EINVAL (bad syntax, or more than 2^64-1 bytes). */
int stackkey_parse_size(const char *s, uint64_t *out);

/* A limit given as an amount or as a percentage of a base figure. */
typedef struct stackkey_limit {
	int percent;     /* 1: `value` is a percentage */
	double value;    /* the percentage, when percent */
	uint64_t amount; /* the amount, when !percent */
} stackkey_limit;

/* Parses "N%" (a non-negative decimal percentage) or, with sizes, a size as stackkey_parse_size,
 * else a plain count.  Returns 0 and *out, or STACKKEY_EINVAL. */
int stackkey_parse_limit(const char *s, int sizes, stackkey_limit *out);

/* Returns 1 when growing from base to cur crosses the limit: the increase is greater than the
 * amount, or than the percentage of base (any increase over a base of 0 crosses a percentage). */
int stackkey_limit_crossed(const stackkey_limit *l, uint64_t base, uint64_t cur);

/* Formats a limit for people ("10%", "1.0 MiB", "500") into buf. */
void stackkey_format_limit(char *buf, size_t n, const stackkey_limit *l, int sizes);

/* ---- output ---- */

/* The difference cur - base, saturated to the int64_t range. */
int64_t stackkey_change(uint64_t base, uint64_t cur);

/* Writes one stack a gate blames, as an object: "key", "amount" and its "stack" (g borrowed). */
void stackkey_write_culprit_json(json_writer *w, const stackkey_group *g, uint64_t amount);

#endif
