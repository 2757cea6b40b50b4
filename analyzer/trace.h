/*
 * trace: a trace file loaded for analysis (prefix trace_): opened, replayed and symbolized into
 * the stack model.
 *
 * Every problem is said through a util_log, one line each, in the words the commands print:
 * "cannot open 'PATH': reason", "PATH: truncated at byte N ...", "PATH: module records: reason",
 * "out of memory".  Nothing here prints or exits.
 */
#ifndef LEAKREC_TRACE_H
#define LEAKREC_TRACE_H

#include <stdint.h>

#include "replay.h"
#include "sym.h"
#include "symstack.h"
#include "tf_reader.h"
#include "util.h"

enum {
	TRACE_OK = 0,
	TRACE_EFAILED = -1, /* the trace could not be read or symbolized: the log says why */
};

/* Opens the trace at path for reading.  Returns 0 and *out (close with tf_reader_close), or
 * TRACE_EFAILED after saying "cannot open 'PATH': reason". */
int trace_open(tf_reader **out, const char *path, const util_log *log);

typedef struct trace trace;

/* Creates the analysis of the trace at path (borrowed: it must outlive the trace), with an empty
 * replay to configure before trace_run.  Returns 0 and *out (free with trace_free), or
 * TRACE_EFAILED. */
int trace_create(trace **out, const char *path, const util_log *log);
/* Frees everything the trace holds.  Accepts NULL. */
void trace_free(trace *t);

/* Restrict the replay to a window, as replay_set_window, or install an observer (copied; NULL
 * removes it), as replay_set_observer; before trace_run. */
int trace_set_window(trace *t, uint64_t from_ns, uint64_t to_ns);
/* Keeps no lifetimes (replay_skip_lifetimes), before trace_run. */
void trace_skip_lifetimes(trace *t);
void trace_set_observer(trace *t, const replay_observer *obs);

/* Replays the file (problems said as "PATH: ...").  Returns 0 when a header was read, else
 * TRACE_EFAILED. */
int trace_run(trace *t, const util_log *log);
/* Symbolizes the replayed trace: feeds its module records to a symbolizer (a failure there is
 * only said: "PATH: module records: reason") and prepares the stack model (allocator frames
 * folded unless show_alloc_frames).  Debug info that is not on the machine comes from the
 * debuginfod servers of $DEBUGINFOD_URLS (symfetch.h), whose progress and failure go to log as
 * stacks are symbolized, later: log must outlive the trace.  Returns 0 or TRACE_EFAILED. */
int trace_symbolize(trace *t, int show_alloc_frames, const util_log *log);

/* trace_create, trace_run and trace_symbolize with allocator frames folded, keeping no lifetimes
 * (the commands that compare stacks by key show none).  Returns 0 and *out
 * (free with trace_free), or TRACE_EFAILED (*out is then NULL). */
int trace_load(trace **out, const char *path, const util_log *log);

/* After the outputs are written: one line per module file of the frames they showed that cannot
 * be used as recorded ("MODULE: rebuilt since it was recorded ...", also for a file missing,
 * unreadable or not ELF), then one hint line when those frames include some whose file:line
 * would help (frameclass_wants_lines) in modules without debug info, naming those modules and
 * where debug symbols come from.  Nothing when there is none or before trace_symbolize. */
void trace_say_notes(const trace *t, const util_log *log); /* t may be NULL */

/* Accessors; the pointers are owned by the trace.  trace_stacks and trace_sym are NULL before
 * trace_symbolize; trace_sym's notes (sym_note_at) say which module files cannot be used. */
const sym_ctx *trace_sym(const trace *t);
const char *trace_path(const trace *t);
const replay_ctx *trace_replay(const trace *t);
symstack_set *trace_stacks(const trace *t);

#endif
