/*
 * json: a small streaming JSON writer (prefix json_).
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
	JSON_OK = 0,
	JSON_ENOMEM = -1, /* out of memory */
	JSON_EDEPTH = -2, /* containers nested too deeply, or closed more often than opened */
	JSON_EIO = -3,    /* the stream reported an error: see errno */
};

/* Returns a static description of a JSON_E* code. */
const char *json_strerror(int err);

typedef struct json_writer json_writer;

/* Creates a writer on `f` (borrowed: it must outlive the writer).  Returns 0 and *out, or
 * JSON_ENOMEM.  Free with json_free. */
int json_create(json_writer **out, FILE *f);
/* Frees the writer (does not close the stream).  Accepts NULL. */
void json_free(json_writer *w);
/* Makes strings safe inside an HTML <script> element from now on: '<', '>' and '&' are written
 * as \u003c, \u003e and \u0026, so no "</script>" or "<!--" can appear in them. */
void json_set_script_safe(json_writer *w);
/* Returns 0 when everything so far was written well-formed, else the first JSON_E* error; after
 * the last value, also checks the stream and writes the final newline. */
int json_finish(json_writer *w);

void json_begin_object(json_writer *w, int compact);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w, int compact);
void json_end_array(json_writer *w);
/* Writes an object key (escaped); the next call writes its value. */
void json_key(json_writer *w, const char *key);
void json_str(json_writer *w, const char *s);            /* NULL writes null */
void json_strn(json_writer *w, const char *s, size_t n); /* n bytes, may hold NULs */
void json_uint(json_writer *w, uint64_t v);
void json_int(json_writer *w, int64_t v);
void json_double(json_writer *w, double v);              /* NaN and infinities write null */
/* Writes ns / 1e9 exactly, as a decimal number of seconds. */
void json_seconds(json_writer *w, uint64_t ns);
void json_bool(json_writer *w, int v);
void json_null(json_writer *w);

/* An object member: json_key(w, key), then the value as the function of the same name writes
 * it. */
void json_key_str(json_writer *w, const char *key, const char *s);
void json_key_uint(json_writer *w, const char *key, uint64_t v);
void json_key_int(json_writer *w, const char *key, int64_t v);
void json_key_double(json_writer *w, const char *key, double v);
void json_key_seconds(json_writer *w, const char *key, uint64_t ns);
void json_key_bool(json_writer *w, const char *key, int v);

#endif
