/*
 * gate: the CI gates of `check` and `diff` (prefix gate_): a figure compared with a limit, the
 * stacks responsible for it, and how gates are written: text rows with the stacks of a crossed
 * gate, markdown rows, JSON objects.
 */
#ifndef LEAKREC_GATE_H
#define LEAKREC_GATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "keyset.h"
#include "limit.h"

enum {
	GATE_OK = 0,
	GATE_ENOMEM = -1, /* out of memory */
};

/* What crosses a gate. */
enum gate_kind {
	GATE_TOTAL,    /* the figure cur is above the limit's amount (no base) */
	GATE_INCREASE, /* the increase from base to cur is above the limit (an amount or a
			* percentage of base) */
	GATE_ANY,      /* any stack responsible: cur counts them, the limit is none */
};

/* A kind of gate, as a command defines it. */
typedef struct gate_spec {
	const char *name; /* the command-line option, without "--" */
	const char *what; /* the figure for people: "leaked", "peak heap" */
	const char *unit; /* of the figure: "bytes", "allocations" or "stacks" */
	enum gate_kind kind;
	int sizes;        /* the figures are byte counts */
} gate_spec;

/* A stack responsible for a gate's figure. */
typedef struct gate_culprit {
	const keyset_group *group; /* the stack shown (borrowed) */
	uint64_t amount;           /* what it adds to the figure: bytes, allocations */
	uint64_t rank;             /* gate_sort_culprits orders by it, descending, then by key */
} gate_culprit;

/* A gate.  Plain struct: zero it, set spec, on and lim, add the culprits, then gate_decide;
 * release with gate_release. */
typedef struct gate {
	const gate_spec *spec; /* borrowed */
	int on;                /* asked for on the command line */
	limit lim;             /* unused for GATE_ANY */
	uint64_t base, cur;    /* the figure compared (GATE_TOTAL: cur only) */
	int crossed;
	gate_culprit *culprits; /* largest first */
	size_t nculprits, cap;
} gate;

/* Adds a culprit at the end.  Returns 0 or GATE_ENOMEM. */
int gate_add_culprit(gate *g, const keyset_group *group, uint64_t amount, uint64_t rank);
/* Sorts the culprits by rank, descending, ties by key. */
void gate_sort_culprits(gate *g);
/* Compares the figure (from base to cur) with the limit and sets crossed; a GATE_ANY gate counts
 * its culprits instead. */
void gate_decide(gate *g, uint64_t base, uint64_t cur);
/* Frees the culprits.  Accepts a zeroed gate. */
void gate_release(gate *g);

/* The gates asked for, and crossed, among gates[0..n). */
int gate_count_on(const gate *gates, size_t n);
int gate_count_crossed(const gate *gates, size_t n);

/* Writes the gates asked for (nothing when none is): "Gates", a row each ("FAIL  --NAME LIMIT:
 * WHAT: VALUE"), under a crossed gate its top culprits (0: all) as one-line stacks, then
 * "result: FAIL (N of M gates crossed)". */
void gate_write_text(FILE *f, const gate *gates, size_t n, unsigned top);
/* Writes the markdown heading "### TITLE", with " — ❌ N of M gates crossed" or " — ✅ no gate
 * crossed" when gates were asked for. */
void gate_write_md_title(FILE *f, const char *title, const gate *gates, size_t n);
/* Writes the markdown table of the gates asked for (nothing when none is). */
void gate_write_md_table(FILE *f, const gate *gates, size_t n);
/* Writes the key "gates" and the array of the gates asked for: name, unit, limit, value (base and
 * new but for GATE_TOTAL), crossed, and the top culprits (0: all) of a crossed gate as objects
 * "key", "amount", "stack". */
void gate_write_json(json_writer *w, const gate *gates, size_t n, unsigned top);

#endif
