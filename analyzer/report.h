/*
 * report: the text and JSON reports of a replayed trace (prefix report_).
 *
 * Stacks are symbolized through sym (every shown frame, inlined frames expanded), allocator
 * frames at the top of a stack are folded unless asked otherwise, and a stack with a runtime
 * frame anywhere is runtime-owned: its bytes still live at the end count as runtime_leaked_bytes,
 * not as leaks.  The JSON follows the contract in DESIGN.md (format 1).
 *
 * With a window (replay_set_window) every section describes the window (see replay.h); with a growth
 * analysis attached (report_set_growth) the text report gains the heap/RSS chart and the growth
 * suspects, and the JSON fills growth.timeline and growth.suspects.  The allocation size
 * histogram comes from the replay and is always written.
 */
#ifndef LEAKREC_REPORT_H
#define LEAKREC_REPORT_H

#include <stdio.h>

#include "growth.h"
#include "json.h"
#include "replay.h"
#include "sym.h"

enum {
	REPORT_OK = 0,
	REPORT_ENOMEM = -1, /* out of memory */
	REPORT_EIO = -2,    /* writing the report failed: see errno */
};

/* Returns a static description of a REPORT_E* code. */
const char *report_strerror(int err);

typedef struct report_options {
	unsigned top;          /* stacks per list; 0 = every stack with a non-zero figure */
	int show_alloc_frames; /* do not fold allocator frames */
	int color;             /* ANSI colour in the text report */
} report_options;

typedef struct report_ctx report_ctx;

/* Feeds the module records of a replay into a symbolizer, in file order.  Returns 0 or a
 * negative SYM_E* code (the first failure; the other records are still fed). */
int report_load_modules(sym_ctx *sym, const replay_ctx *rp);

/* Prepares the reports of a finished replay.  rp and sym (sym may be NULL: nothing is
 * symbolized) are borrowed and must outlive the report_ctx; opt is copied.  Symbolizes the stacks
 * still holding memory (to tell runtime-owned ones).  Returns 0 and *out, or REPORT_ENOMEM.
 * Free with report_free. */
int report_create(report_ctx **out, const replay_ctx *rp, sym_ctx *sym, const report_options *opt);
/* Frees the report state.  Accepts NULL. */
void report_free(report_ctx *rc);

/* Attaches a finished growth analysis of the same replay (borrowed: it must outlive rc; NULL
 * detaches it): the reports then include the timeline and the suspects. */
void report_set_growth(report_ctx *rc, const growth_ctx *gr);
/* Names the window's bounds as the user gave them ("50%", "warmup done", "1.5"; NULL: not
 * given), shown with the window.  The strings are borrowed and must outlive rc. */
void report_set_window_args(report_ctx *rc, const char *from, const char *to);

/* Writes the text report to f.  Returns 0, REPORT_ENOMEM or REPORT_EIO. */
int report_write_text(report_ctx *rc, FILE *f);
/* Writes the JSON object of the output contract to f.  Returns 0, REPORT_ENOMEM or REPORT_EIO. */
int report_write_json(report_ctx *rc, FILE *f);

/* Leaked figures, excluding runtime-owned stacks (valid after report_create). */
uint64_t report_leaked_bytes(const report_ctx *rc);
uint64_t report_leaked_allocations(const report_ctx *rc);
uint64_t report_runtime_leaked_bytes(const report_ctx *rc);

/* The symbolized frames of stack number idx (< replay_stack_count): *frames points at *n frames,
 * innermost first, allocator frames already folded unless show_alloc_frames; *runtime is 1 when
 * the stack holds runtime-owned memory.  The array is owned by the report_ctx (valid until
 * report_free).  Returns 0 or REPORT_ENOMEM. */
int report_stack_frames(report_ctx *rc, size_t idx, const sym_frame **frames, size_t *n, int *runtime);

/* Formats a byte count for people ("512 B", "1.5 MiB") into buf. */
void report_format_size(char *buf, size_t n, uint64_t bytes);

/* ---- pieces of the reports, for the commands that print stacks as well (diff, check) ---- */

/* Writes untrusted text s (borrowed) to f: control bytes and bytes that are not UTF-8 become
 * \xHH. */
void report_put_text(FILE *f, const char *s);
/* Writes n frames (borrowed, innermost first) one per line, each preceded by indent: "function
 * file:line  (module)  [inlined]", as the text report does; "[no frames]" when n is 0.  With
 * color, the "[unknown]" and "[inlined]" markers are dimmed with ANSI codes. */
void report_write_frames_text(FILE *f, const sym_frame *frames, size_t n, const char *indent,
			   int color);
/* Writes the key "stack" and the JSON array of the n frames (borrowed; frames may be NULL when n
 * is 0), as the report's JSON contract defines a FRAME. */
void report_write_frames_json(json_writer *w, const sym_frame *frames, size_t n);
/* Writes the key `key` and the object of the traced program from header h (borrowed): "trace"
 * (when trace is not NULL), "exe", "pid", "ppid" (when ppid is non-zero) and "argv". */
void report_write_program_json(json_writer *w, const char *key, const replay_header *h, const char *trace,
			    int ppid);

#endif
