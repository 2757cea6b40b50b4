/*
 * export: what the writers of the export formats share (prefix export_): the input they read, a
 * replayed and symbolized trace whose stacks are merged into entries (symstack.h); the one way
 * they weigh an entry (profile_value, with the leaks that suppressions remove left out); the
 * names they give frames; and the description of the trace they write where a format has room
 * for one.
 *
 * The writers (export_collapsed.h, export_pprof.h, export_massif.h, export_speedscope.h) read
 * every figure through export_value and export_count, so their totals are leakanalyze's own:
 * the leaked kind is summary.leaked_bytes of `leakanalyze --json` less what the suppressions
 * removed.
 */
#ifndef LEAKREC_EXPORT_H
#define LEAKREC_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "replay.h"
#include "report.h"
#include "sym.h"
#include "symstack.h"

enum {
	EXPORT_OK = 0,
	EXPORT_ENOMEM = -1, /* out of memory */
	EXPORT_EIO = -2,    /* writing the output failed: see errno */
};

/* Returns a static description of an EXPORT_E* code. */
const char *export_strerror(int err);

/* What an export reads (export_input_init fills it; every pointer is borrowed). */
typedef struct export_input {
	const char *trace;        /* the trace's path as given */
	symstack_set *stacks;     /* the replay's stacks, merged into entries */
	const replay_ctx *rp;     /* symstack_replay(stacks) */
	const unsigned char *suppressed; /* per entry: 1 when a suppression removes its leaked
					  * bytes (report_suppressed_map) */
	suppress_use suppressed_use;     /* what the suppressions removed in all */
	const char *window_from, *window_to; /* --from and --to as given, or NULL */
} export_input;

/* Fills in from the report model of a trace (borrowed: it must outlive in): its entries, its
 * suppressions, its window arguments. */
void export_input_init(export_input *in, const char *trace, const report_ctx *rep);

/* The weight of entry i (symstack_entry_at) under kind k: profile_value, and 0 under
 * PROFILE_LEAKED for a suppressed entry.  export_count: the allocations behind it
 * (profile_count, the same way). */
uint64_t export_value(const export_input *in, size_t i, enum profile_kind k);
uint64_t export_count(const export_input *in, size_t i, enum profile_kind k);
/* The sum of export_value over every entry. */
uint64_t export_total(const export_input *in, enum profile_kind k);
/* profile_tree_build over the weights export_value gives.  Returns 0 and *out (free with
 * profile_tree_free), or EXPORT_ENOMEM. */
int export_tree(profile_tree **out, const export_input *in, enum profile_kind k, int inverted);

/* 1 when the trace is complete (replay_summary.incomplete is empty). */
int export_complete(const export_input *in);

/* A one-line description of the trace as raw text from the trace (escape it for the format):
 * "leakrec trace 'PATH' of EXE (pid N)", the window when one was given, what suppressions
 * removed, "incomplete trace (REASON)" when the trace is not complete, and that the figures are
 * estimates when the trace is sampled.  Returns a string to free(),
 * or NULL when out of memory. */
char *export_describe(const export_input *in);

/* The name of frame f (borrowed) for the flame graph formats: its function, else
 * "MODULE+0xOFFSET" (the module's base name), or "0xADDRESS" outside every module.  Returns
 * f->function or buf (n bytes, filled). */
const char *export_frame_name(const sym_frame *f, char *buf, size_t n);

#endif
