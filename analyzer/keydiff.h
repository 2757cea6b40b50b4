/*
 * keydiff: what changed from one run to another, key by key (prefix keydiff_): the model that
 * `diff` writes as text, markdown and JSON and `html BASE NEW` draws.
 *
 * Both runs' stacks are merged by symbolic key (keyset.h).  Every key whose figures differ is an
 * entry: appeared (only in NEW), disappeared (only in BASE), grew or shrank, the largest change
 * first (the larger of the leaked and the peak change, then allocations, bytes allocated,
 * temporary and leaked allocations, then the key).  The gates (gate.h) compare the summary
 * figures, and each names the entries responsible.
 */
#ifndef LEAKREC_KEYDIFF_H
#define LEAKREC_KEYDIFF_H

#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "keyset.h"
#include "replay.h"

enum {
	KEYDIFF_OK = 0,
	KEYDIFF_ENOMEM = -1, /* out of memory */
};

enum keydiff_status { KEYDIFF_APPEARED, KEYDIFF_DISAPPEARED, KEYDIFF_GREW, KEYDIFF_SHRANK };

/* "appeared", "disappeared", "grew", "shrank" (static). */
const char *keydiff_status_name(enum keydiff_status st);

/* One key present on either side. */
typedef struct keydiff_entry {
	const keyset_group *b, *n; /* NULL when absent on that side (borrowed from the sets) */
	keyset_figures fb, fn;     /* zero when absent */
	enum keydiff_status status;
	uint64_t sort[4];          /* magnitudes, compared in order */
} keydiff_entry;

/* The stack shown for an entry: NEW's when present, else BASE's. */
const keyset_group *keydiff_shown(const keydiff_entry *e);

/* The gates, in the order they are reported; their options are --NAME of gate_spec. */
enum keydiff_gate {
	KEYDIFF_G_NEW_LEAKS,    /* --fail-on-new-leaks */
	KEYDIFF_G_LEAK_INC,     /* --max-leak-increase BYTES */
	KEYDIFF_G_PEAK_INC,     /* --max-peak-increase N%|BYTES */
	KEYDIFF_G_ALLOCS_INC,   /* --max-allocations-increase N%|COUNT */
	KEYDIFF_G_NEW_LOST,     /* --fail-on-new-lost */
	KEYDIFF_GATES
};

/* A summary figure of both runs. */
typedef struct keydiff_figure {
	const char *key, *label; /* the JSON key, the label for people (static) */
	int bytes;               /* a byte count */
	uint64_t b, n;
} keydiff_figure;

enum {
	KEYDIFF_F_PEAK, KEYDIFF_F_LEAKED, KEYDIFF_F_LEAKED_ALLOCS, KEYDIFF_F_ALLOCS,
	KEYDIFF_F_ALLOCATED, KEYDIFF_F_TEMP, KEYDIFF_F_RUNTIME, KEYDIFF_F_RSS, KEYDIFF_FIGURES
};

/* The comparison.  Plain struct: keydiff_init, turn gates on (gates[g].on, .lim), then
 * keydiff_build; release with keydiff_release. */
typedef struct keydiff {
	const keyset *base, *new;          /* borrowed */
	const replay_summary *sbase, *snew; /* borrowed */
	keydiff_entry *entries;
	size_t nentries;
	gate gates[KEYDIFF_GATES];
} keydiff;

/* Zeroes d and gives its gates their specs. */
void keydiff_init(keydiff *d);
/* Compares two runs: their key sets and replay summaries (borrowed: they must outlive d), then
 * decides the gates that are on.  Returns 0 or KEYDIFF_ENOMEM. */
int keydiff_build(keydiff *d, const keyset *base, const replay_summary *sbase, const keyset *new,
		  const replay_summary *snew);
/* Frees the entries and the gates' culprits.  Accepts an initialized keydiff. */
void keydiff_release(keydiff *d);

/* Fills f[KEYDIFF_FIGURES] with the summary figures of both runs. */
void keydiff_figures(const keydiff *d, keydiff_figure *f);

#endif
