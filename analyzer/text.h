/*
 * text: what the text, markdown and JSON writers share (prefix text_).
 *
 * One escaper for the untrusted bytes of a trace (paths, names, arguments, labels), with a style
 * per output: which bytes stand for themselves and what the others become.  Then the formatting
 * of sizes and times for people, plurals, ANSI colours, markdown code spans, and frames written
 * as text lines, as one line and as markdown.
 */
#ifndef LEAKREC_TEXT_H
#define LEAKREC_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sym.h"

/* How text_escape writes bytes.  An ASCII byte with a subst entry is written as that string; any
 * other control byte (below 0x20) and DEL as `hex` and two lowercase hex digits.  Bytes from 0x80
 * up: with `ascii` each in hex as well; with `raw_high` each as it is; otherwise a well-formed
 * UTF-8 sequence as it is and any other byte as `invalid` (NULL: in hex). */
typedef struct text_style {
	const char *subst[128];
	const char *hex;     /* "\\x", "\\u00" */
	const char *invalid; /* "\\ufffd", or NULL */
	int ascii, raw_high;
} text_style;

/* Control bytes and bytes that are not UTF-8 as \xHH, everything else as it is. */
extern const text_style text_plain;
/* Markup (HTML and XML text and attribute values): < > & " ' as character references, control
 * bytes as the visible text \xHH (XML allows no control characters at all), bytes that are not
 * UTF-8 as U+FFFD, so untrusted text can neither open a tag nor break a well-formed document. */
extern const text_style text_markup;

/* Where escaped text goes: write(ctx, bytes, n), called with runs of bytes. */
typedef struct text_sink {
	void (*write)(void *ctx, const char *s, size_t n);
	void *ctx;
} text_sink;

/* Writes s[0..n) (may hold NUL bytes) to out as style st says. */
void text_escape(const text_sink *out, const text_style *st, const char *s, size_t n);
/* The same into a stream. */
void text_put_escaped(FILE *f, const text_style *st, const char *s, size_t n);
/* Writes the NUL-terminated untrusted text s in the text_plain style. */
void text_put(FILE *f, const char *s);
/* Writes the NUL-terminated untrusted text s in the text_markup style; NULL writes nothing. */
void text_put_markup(FILE *f, const char *s);

/* Formats a byte count for people ("512 B", "1.5 MiB") into buf. */
void text_format_size(char *buf, size_t n, uint64_t bytes);
/* Formats a signed change of a byte count ("+1.5 MiB", "-512 B", "0 B") into buf. */
void text_format_size_change(char *buf, size_t n, uint64_t base, uint64_t cur);
/* Formats the change from base to cur of a byte count (sizes) or a count, with its percentage of
 * a non-zero base: "+4.2 KiB (+3.1%)", "-12 (-0.5%)", "0 B", "+3" into buf. */
void text_format_change(char *buf, size_t n, uint64_t base, uint64_t cur, int sizes);
/* Formats a power of two exactly ("16 B", "4 KiB", "2 MiB") into buf. */
void text_format_pow2(char *buf, size_t n, uint64_t v);
/* Formats a duration or a moment in nanoseconds ("850 us", "12.345 ms", "3.210 s") into buf. */
void text_format_time(char *buf, size_t n, uint64_t ns);
/* Writes a duration or a moment as text_format_time does. */
void text_put_time(FILE *f, uint64_t ns);
/* Returns "" for 1, else "s". */
const char *text_plural(uint64_t n);

/* ANSI colour codes, and the code when colour is on ("" when off). */
#define TEXT_BOLD "\033[1m"
#define TEXT_DIM "\033[2m"
#define TEXT_OFF "\033[0m"
const char *text_color(int color, const char *code);

/* Writes s as a markdown code span fit for a table cell (backticks and '|' handled, control
 * bytes escaped); NULL writes "?". */
void text_put_md_code(FILE *f, const char *s);

/* Writes n frames (borrowed, innermost first) one per line, each preceded by indent: "function
 * file:line  (module)  [inlined]"; "[no frames]" when n is 0.  With color, the "[unknown]" and
 * "[inlined]" markers are dimmed. */
void text_write_frames(FILE *f, const sym_frame *frames, size_t n, const char *indent, int color);
/* How many of the n frames (innermost first) a text listing shows: with limit > 0 at most limit;
 * with 0 all of them; with a negative limit (the default) the frames up to and with the first run
 * of the program's own frames (frameclass_is_program), or the first TEXT_FRAMES_NO_PROGRAM when
 * the stack has none. */
#define TEXT_FRAMES_NO_PROGRAM 10
size_t text_frames_shown(const sym_frame *frames, size_t n, long limit);
/* Writes at most max (0: all) of the frames that frameclass_trim_startup leaves, as plain
 * function names joined by " <- " (untrusted bytes escaped), for one-line summaries; a frame
 * without a function reads "module+0xOFFSET"; "(no frames)" when n is 0. */
void text_write_frames_line(FILE *f, const sym_frame *frames, size_t n, size_t max);
/* The same as markdown code spans joined by " ← ". */
void text_write_frames_md(FILE *f, const sym_frame *frames, size_t n, size_t max);

#endif
