/*
 * json: a small streaming JSON writer (prefix js_).
 *
 * Values are written as they come, commas and indentation are handled by the writer.  Strings are
 * escaped: quotes, backslashes and control characters, and bytes that are not well-formed UTF-8
 * become \ufffd, so any bytes from an untrusted trace give valid JSON.  A container opened
 * `compact` is written on one line, and so is everything inside it.
 */
#ifndef LEAKREC_JSON_H
#define LEAKREC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	JS_OK = 0,
	JS_ENOMEM = -1, /* out of memory */
	JS_EDEPTH = -2, /* containers nested too deeply, or closed more often than opened */
	JS_EIO = -3,    /* the stream reported an error: see errno */
};

/* Returns a static description of a JS_E* code. */
const char *js_strerror(int err);

typedef struct js_writer js_writer;

/* Creates a writer on `f` (borrowed: it must outlive the writer).  Returns 0 and *out, or
 * JS_ENOMEM.  Free with js_free. */
int js_create(js_writer **out, FILE *f);
/* Frees the writer (does not close the stream).  Accepts NULL. */
void js_free(js_writer *w);
/* Returns 0 when everything so far was written well-formed, else the first JS_E* error; after
 * the last value, also checks the stream and writes the final newline. */
int js_finish(js_writer *w);

void js_begin_object(js_writer *w, int compact);
void js_end_object(js_writer *w);
void js_begin_array(js_writer *w, int compact);
void js_end_array(js_writer *w);
/* Writes an object key (escaped); the next call writes its value. */
void js_key(js_writer *w, const char *key);
void js_str(js_writer *w, const char *s);            /* NULL writes null */
void js_strn(js_writer *w, const char *s, size_t n); /* n bytes, may hold NULs */
void js_uint(js_writer *w, uint64_t v);
void js_int(js_writer *w, int64_t v);
void js_double(js_writer *w, double v);              /* NaN and infinities write null */
/* Writes ns / 1e9 exactly, as a decimal number of seconds. */
void js_seconds(js_writer *w, uint64_t ns);
void js_bool(js_writer *w, int v);
void js_null(js_writer *w);

#endif
