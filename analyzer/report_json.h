/*
 * report_json: the JSON report of a replayed trace, the object of the output contract in
 * docs/leakanalyze.md (format 1), written from the report model (prefix report_json_); and the
 * JSON shapes the other commands' output shares with it: FRAME arrays, program objects and the
 * envelope of a command's object.
 */
#ifndef LEAKREC_REPORT_JSON_H
#define LEAKREC_REPORT_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "json.h"
#include "replay.h"
#include "report.h"
#include "sym.h"

/* Writes the JSON object of the output contract to f.  Returns 0, REPORT_ENOMEM or REPORT_EIO. */
int report_json_write(report_ctx *rc, FILE *f);

/* The members of the contract's object, each as report_json_write writes it: the key and its
 * value ("summary", "window", "histogram", "marks", "diagnostics"). */
void report_json_summary(report_ctx *rc, json_writer *w);
void report_json_window(report_ctx *rc, json_writer *w);
void report_json_histogram(report_ctx *rc, json_writer *w);
void report_json_marks(report_ctx *rc, json_writer *w);
void report_json_diagnostics(report_ctx *rc, json_writer *w);
/* The growth timeline as "growth" holds it: the key `key` and the array of [t_s, heap_bytes,
 * rss_bytes]; then "timeline_step_s" and "series_step_s" (nothing without a growth analysis). */
void report_json_timeline(report_ctx *rc, json_writer *w, const char *key);
void report_json_steps(report_ctx *rc, json_writer *w);

/* Writes the key "suppressed" and the object of what the report's suppressions removed: "bytes",
 * "allocations", "stacks" (entries) and "rules" (per rule: "pattern", "line" and the same
 * three); zeros and no rules without suppressions. */
void report_json_suppressed(const report_ctx *rc, json_writer *w);

/* Writes the key "stack" and the JSON array of the n frames (borrowed; frames may be NULL when n
 * is 0), as the contract defines a FRAME. */
void report_json_frames(json_writer *w, const sym_frame *frames, size_t n);
/* Writes the key `key` and the object of the traced program from header h (borrowed): "trace"
 * (when trace is not NULL), "exe", "pid", "ppid" (when ppid is non-zero) and "argv". */
void report_json_program(json_writer *w, const char *key, const replay_header *h, const char *trace,
			 int ppid);

/* Starts the JSON object of a command's output on out (borrowed): "format": 1 and "command".
 * Returns 0 and *w (end it with report_json_end_command), or JSON_ENOMEM. */
int report_json_begin_command(json_writer **w, FILE *out, const char *command);
/* Writes "exit_status": status, closes the object and frees w.  Returns what json_finish
 * returned: 0 or a JSON_E* code. */
int report_json_end_command(json_writer *w, int status);

#endif
