/*
 * report: the model of the report of a replayed trace (prefix report_): its lists and leak
 * figures, which report_text.h and report_json.h write.
 *
 * Stacks come from the stack model (symstack.h) as its entries: stacks that print the same are
 * one entry, allocator frames are folded unless asked otherwise, and a runtime-owned entry's
 * bytes still live at the end count as runtime_leaked_bytes, not as leaks.  The lists (leaks,
 * peak, allocators, temporary) are the entries sorted by their figure, descending, ties by
 * stack id; entries whose figure is zero are never listed, nor runtime-owned ones among the
 * leaks.
 *
 * With suppressions (report_options.sup) an entry whose leak a rule matches (suppress.h) is
 * left out of the leak figures and the leaks list, and counted as suppressed instead.
 *
 * The "Held longest" list ranks the entries by byte-seconds (lifetime.h), over the same entries.
 *
 * With a window (replay_set_window) every section describes the window (see replay.h); with a
 * growth analysis attached (report_set_growth) the reports gain the heap/RSS timeline and the
 * growth suspects.
 */
#ifndef LEAKREC_REPORT_H
#define LEAKREC_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "growth.h"
#include "lifetime.h"
#include "replay.h"
#include "suppress.h"
#include "symstack.h"

enum {
	REPORT_OK = 0,
	REPORT_ENOMEM = -1, /* out of memory */
	REPORT_EIO = -2,    /* writing the report failed: see errno */
};

/* Returns a static description of a REPORT_E* code. */
const char *report_strerror(int err);

typedef struct report_options {
	unsigned top; /* stacks per list; 0 = every stack with a non-zero figure */
	int color;    /* ANSI colour in the text report */
	long frames;  /* frames per stack in the text report (text_frames_shown: -1 up to the
		       * program's own, 0 all, N at most N); JSON always has every frame */
	const suppress_list *sup; /* leak suppressions (borrowed, must outlive the report), or NULL */
} report_options;

typedef struct report_ctx report_ctx;

/* Prepares the report of the stacks of a finished replay (borrowed: they must outlive the
 * report_ctx); opt is copied.  Merges the stacks into entries (symstack_merge).  Returns 0 and
 * *out, or REPORT_ENOMEM.  Free with report_free. */
int report_create(report_ctx **out, symstack_set *stacks, const report_options *opt);
/* Frees the report state.  Accepts NULL. */
void report_free(report_ctx *rc);

/* Turns the text report's colour on or off. */
void report_set_color(report_ctx *rc, int color);

/* Attaches a finished growth analysis of the same replay (borrowed: it must outlive rc; NULL
 * detaches it): the reports then include the timeline and the suspects. */
void report_set_growth(report_ctx *rc, const growth_ctx *gr);
/* Attaches the symbolizer of the same trace (borrowed: it must outlive rc; NULL detaches it):
 * JSON diagnostics then list its module notes (sym_note_at). */
void report_set_modules(report_ctx *rc, const sym_ctx *sym);
/* Names the window's bounds as the user gave them ("50%", "warmup done", "1.5"; NULL: not
 * given), shown with the window.  The strings are borrowed and must outlive rc. */
void report_set_window_args(report_ctx *rc, const char *from, const char *to);

/* What the writers read (borrowed from rc). */
const replay_ctx *report_replay(const report_ctx *rc);
symstack_set *report_stacks(const report_ctx *rc);
const report_options *report_opts(const report_ctx *rc);
const growth_ctx *report_growth(const report_ctx *rc); /* NULL when none is attached */
const sym_ctx *report_modules(const report_ctx *rc);   /* NULL when none is attached */
const char *report_window_from(const report_ctx *rc);  /* as given, or NULL */
const char *report_window_to(const report_ctx *rc);

/* Leaked figures, excluding runtime-owned and suppressed entries. */
uint64_t report_leaked_bytes(const report_ctx *rc);
uint64_t report_leaked_allocations(const report_ctx *rc);
uint64_t report_runtime_leaked_bytes(const report_ctx *rc);

/* What the suppressions removed: in total, and rule i's share (i < suppress_count of opt.sup). */
const suppress_use *report_suppressed(const report_ctx *rc);
const suppress_use *report_rule_use(const report_ctx *rc, size_t i);
/* Per entry (symstack_entry_at index): 1 when its leaked bytes are suppressed.  Owned by rc. */
const unsigned char *report_suppressed_map(const report_ctx *rc);

/* The lists, by the figure they are sorted by. */
enum report_list {
	REPORT_LEAKS,  /* live bytes at the end */
	REPORT_PEAK,   /* bytes live at the heap peak */
	REPORT_ALLOCS, /* allocations */
	REPORT_TEMP,   /* temporary allocations */
	/* live bytes at the end by leak kind (report_has_kinds) */
	REPORT_DEFINITELY_LOST,
	REPORT_INDIRECTLY_LOST,
	REPORT_POSSIBLY_LOST,
	REPORT_REACHABLE,
};

/* 1 when the trace has the leak kinds of the blocks live at the end and they apply to the
 * report (replay_summary.reach_applies). */
int report_has_kinds(const report_ctx *rc);
/* The list of a leak kind (TF_REACH_*), and the kind of such a list (0 for other lists). */
enum report_list report_kind_list(unsigned kind);
unsigned report_list_kind(enum report_list k);
/* Leaked figures of one kind (TF_REACH_*), excluding runtime-owned and suppressed entries. */
uint64_t report_kind_bytes(const report_ctx *rc, unsigned kind);
uint64_t report_kind_allocations(const report_ctx *rc, unsigned kind);

/* Builds list k: *idx (malloc'ed, the caller frees it, also after a failure) receives the entry
 * indices (symstack_entry_at) of the listed entries in order, *total how many the list has.
 * Returns how many of them to show (at most opt.top), or -1 when out of memory. */
long report_list(report_ctx *rc, enum report_list k, size_t **idx, size_t *total);

/* ---- "Held longest": lifetimes and byte-seconds per entry (lifetime.h) ---- */

/* The lifetime figures of an entry, its members taken together. */
typedef struct report_lifetime {
	uint64_t allocations; /* blocks allocated (in the window): freed + live_at_end; every
			       * realloc result is a block, so this can exceed the entry's
			       * allocations (a realloc that shrinks in place is no allocation) */
	uint64_t live_at_end; /* of those, live at the end (of the window): the leak list's figure */
	lifetime_figures fig; /* freed, percentiles, max, byte-seconds (every block, clipped to
			       * the window) */
} report_lifetime;

/* Builds the "Held longest" list: the entries with non-zero byte-seconds, by byte-seconds
 * descending, ties by stack id; runtime-owned entries included.  Same contract as report_list. */
long report_held_list(report_ctx *rc, size_t **idx, size_t *total);
/* Computes the lifetime figures of entry ei (symstack_entry_at index) into *out.  Returns 0 or
 * REPORT_ENOMEM. */
int report_entry_lifetime(report_ctx *rc, size_t ei, report_lifetime *out);

/* The size classes the histogram shows: from the smallest to the largest non-empty one of the
 * replay summary s; *lo > *hi when every class is empty. */
void report_histogram_range(const replay_summary *s, unsigned *lo, unsigned *hi);

#endif
