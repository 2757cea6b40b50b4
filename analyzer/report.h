/*
 * report: the text and JSON reports of a replayed trace (prefix rep_).
 *
 * Stacks are symbolized through sym (every shown frame, inlined frames expanded), allocator
 * frames at the top of a stack are folded unless asked otherwise, and a stack with a runtime
 * frame anywhere is runtime-owned: its bytes still live at the end count as runtime_leaked_bytes,
 * not as leaks.  The JSON follows the contract in DESIGN.md (format 1).
 *
 * With a window (rp_set_window) every section describes the window (see replay.h); with a growth
 * analysis attached (rep_set_growth) the text report gains the heap/RSS chart and the growth
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
	REP_OK = 0,
	REP_ENOMEM = -1, /* out of memory */
	REP_EIO = -2,    /* writing the report failed: see errno */
};

/* Returns a static description of a REP_E* code. */
const char *rep_strerror(int err);

typedef struct rep_options {
	unsigned top;          /* stacks per list; 0 = every stack with a non-zero figure */
	int show_alloc_frames; /* do not fold allocator frames */
	int color;             /* ANSI colour in the text report */
} rep_options;

typedef struct rep_ctx rep_ctx;

/* Feeds the module records of a replay into a symbolizer, in file order.  Returns 0 or a
 * negative SYM_E* code (the first failure; the other records are still fed). */
int rep_load_modules(sym_ctx *sym, const rp_ctx *rp);

/* Prepares the reports of a finished replay.  rp and sym (sym may be NULL: nothing is
 * symbolized) are borrowed and must outlive the rep_ctx; opt is copied.  Symbolizes the stacks
 * still holding memory (to tell runtime-owned ones).  Returns 0 and *out, or REP_ENOMEM.
 * Free with rep_free. */
int rep_create(rep_ctx **out, const rp_ctx *rp, sym_ctx *sym, const rep_options *opt);
/* Frees the report state.  Accepts NULL. */
void rep_free(rep_ctx *rc);

/* Attaches a finished growth analysis of the same replay (borrowed: it must outlive rc; NULL
 * detaches it): the reports then include the timeline and the suspects. */
void rep_set_growth(rep_ctx *rc, const gr_ctx *gr);
/* Names the window's bounds as the user gave them ("50%", "warmup done", "1.5"; NULL: not
 * given), shown with the window.  The strings are borrowed and must outlive rc. */
void rep_set_window_args(rep_ctx *rc, const char *from, const char *to);

/* Writes the text report to f.  Returns 0, REP_ENOMEM or REP_EIO. */
int rep_write_text(rep_ctx *rc, FILE *f);
/* Writes the JSON object of the output contract to f.  Returns 0, REP_ENOMEM or REP_EIO. */
int rep_write_json(rep_ctx *rc, FILE *f);

/* Leaked figures, excluding runtime-owned stacks (valid after rep_create). */
uint64_t rep_leaked_bytes(const rep_ctx *rc);
uint64_t rep_leaked_allocations(const rep_ctx *rc);
uint64_t rep_runtime_leaked_bytes(const rep_ctx *rc);

/* The symbolized frames of stack number idx (< rp_stack_count): *frames points at *n frames,
 * innermost first, allocator frames already folded unless show_alloc_frames; *runtime is 1 when
 * the stack holds runtime-owned memory.  The array is owned by the rep_ctx (valid until
 * rep_free).  Returns 0 or REP_ENOMEM. */
int rep_stack_frames(rep_ctx *rc, size_t idx, const sym_frame **frames, size_t *n, int *runtime);

/* Formats a byte count for people ("512 B", "1.5 MiB") into buf. */
void rep_format_size(char *buf, size_t n, uint64_t bytes);

/* ---- pieces of the reports, for the commands that print stacks as well (diff, check) ---- */

/* Writes untrusted text s (borrowed) to f: control bytes and bytes that are not UTF-8 become
 * \xHH. */
void rep_put_text(FILE *f, const char *s);
/* Writes n frames (borrowed, innermost first) one per line, each preceded by indent: "function
 * file:line  (module)  [inlined]", as the text report does; "[no frames]" when n is 0.  With
 * color, the "[unknown]" and "[inlined]" markers are dimmed with ANSI codes. */
void rep_write_frames_text(FILE *f, const sym_frame *frames, size_t n, const char *indent,
			   int color);
/* Writes the key "stack" and the JSON array of the n frames (borrowed; frames may be NULL when n
 * is 0), as the report's JSON contract defines a FRAME. */
void rep_write_frames_json(js_writer *w, const sym_frame *frames, size_t n);
/* Writes the key `key` and the object of the traced program from header h (borrowed): "trace"
 * (when trace is not NULL), "exe", "pid", "ppid" (when ppid is non-zero) and "argv". */
void rep_write_program_json(js_writer *w, const char *key, const rp_header *h, const char *trace,
			    int ppid);

#endif
