/*
 * json.c: the streaming JSON writer (see json.h).  State is a fixed stack of open containers;
 * nesting deeper than JSON_MAX_DEPTH is refused (the reports nest four levels).
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define JSON_MAX_DEPTH 32

typedef struct json_level {
	int count;   /* values written in this container */
	int compact;
	int object;
} json_level;

struct json_writer {
	FILE *f;
	json_level lv[JSON_MAX_DEPTH];
	int depth;
	int after_key;
	int err;
	int done; /* a complete top-level value was written */
	const text_style *style; /* how strings are escaped */
};

/* Strings: quotes, backslashes and control characters escaped, bytes that are not UTF-8 as
 * U+FFFD. */
static const text_style json_style = {
	.subst = {['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\t'] = "\\t", ['\r'] = "\\r",
		  ['\b'] = "\\b", ['\f'] = "\\f"},
	.hex = "\\u00",
	.invalid = "\\ufffd",
};

/* The same inside a <script> element. */
static const text_style json_script_style = {
	.subst = {['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\t'] = "\\t", ['\r'] = "\\r",
		  ['\b'] = "\\b", ['\f'] = "\\f", ['<'] = "\\u003c", ['>'] = "\\u003e", ['&'] = "\\u0026"},
	.hex = "\\u00",
	.invalid = "\\ufffd",
};

const char *json_strerror(int err)
{
	switch (err) {
	case JSON_OK: return "success";
	case JSON_ENOMEM: return "out of memory";
	case JSON_EDEPTH: return "bad JSON nesting";
	case JSON_EIO: return "write error";
	}
	return "unknown error";
}

int json_create(json_writer **out, FILE *f)
{
	*out = NULL;
	json_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return JSON_ENOMEM;
	w->f = f;
	w->style = &json_style;
	*out = w;
	return 0;
}

void json_free(json_writer *w) { free(w); }

void json_set_script_safe(json_writer *w) { w->style = &json_script_style; }

int json_finish(json_writer *w)
{
	if (!w->err && w->depth != 0)
		w->err = JSON_EDEPTH;
	if (w->done)
		fputc('\n', w->f);
	if (!w->err && (fflush(w->f) != 0 || ferror(w->f)))
		w->err = JSON_EIO;
	return w->err;
}

static void indent(json_writer *w, int depth)
{
	fputc('\n', w->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", w->f);
}

/* Writes what goes before a value (or a key): separator and layout. */
static void before_value(json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	json_level *l = &w->lv[w->depth - 1];
	if (l->count++)
		fputc(',', w->f);
	if (l->compact) {
		if (l->count > 1)
			fputc(' ', w->f);
	} else {
		indent(w, w->depth);
	}
}

static void after_value(json_writer *w)
{
	if (w->depth == 0)
		w->done = 1;
}

static void begin(json_writer *w, int compact, int object)
{
	before_value(w);
	fputc(object ? '{' : '[', w->f);
	if (w->depth >= JSON_MAX_DEPTH) {
		w->err = JSON_EDEPTH;
		return;
	}
	int outer_compact = w->depth ? w->lv[w->depth - 1].compact : 0;
	json_level *l = &w->lv[w->depth++];
	l->count = 0;
	l->compact = compact || outer_compact;
	l->object = object;
}

static void end(json_writer *w, int object)
{
	if (w->depth == 0 || w->lv[w->depth - 1].object != object) {
		w->err = JSON_EDEPTH;
		return;
	}
	json_level *l = &w->lv[--w->depth];
	if (l->count && !l->compact)
		indent(w, w->depth);
	fputc(object ? '}' : ']', w->f);
	after_value(w);
}

void json_begin_object(json_writer *w, int compact) { begin(w, compact, 1); }
void json_end_object(json_writer *w) { end(w, 1); }
void json_begin_array(json_writer *w, int compact) { begin(w, compact, 0); }
void json_end_array(json_writer *w) { end(w, 0); }


static void put_escaped(json_writer *w, const char *s, size_t n)
{
	fputc('"', w->f);
	text_put_escaped(w->f, w->style, s, n);
	fputc('"', w->f);
}

void json_key(json_writer *w, const char *key)
{
	if (w->depth == 0 || !w->lv[w->depth - 1].object || w->after_key) {
		w->err = JSON_EDEPTH;
		return;
	}
	before_value(w);
	put_escaped(w, key, strlen(key));
	fputs(": ", w->f);
	w->after_key = 1;
}

void json_strn(json_writer *w, const char *s, size_t n)
{
	before_value(w);
	put_escaped(w, s, n);
	after_value(w);
}

void json_str(json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_strn(w, s, strlen(s));
}

void json_uint(json_writer *w, uint64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRIu64, v);
	after_value(w);
}

void json_int(json_writer *w, int64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRId64, v);
	after_value(w);
}

void json_double(json_writer *w, double v)
{
	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	before_value(w);
	fprintf(w->f, "%.17g", v);
	after_value(w);
}

void json_seconds(json_writer *w, uint64_t ns)
{
	char frac[16];
	snprintf(frac, sizeof(frac), "%09" PRIu64, ns % 1000000000u);
	int len = 9;
	while (len > 1 && frac[len - 1] == '0')
		len--;
	frac[len] = '\0';
	before_value(w);
	fprintf(w->f, "%" PRIu64 ".%s", ns / 1000000000u, frac);
	after_value(w);
}

void json_bool(json_writer *w, int v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
	after_value(w);
}

void json_null(json_writer *w)
{
	before_value(w);
	fputs("null", w->f);
	after_value(w);
}

/* The members: the key, then the value. */
#define JSON_MEMBER(name, type)                                                                    \
	void json_key_##name(json_writer *w, const char *key, type v)                              \
	{                                                                                          \
		json_key(w, key);                                                                  \
		json_##name(w, v);                                                                 \
	}
JSON_MEMBER(str, const char *)
JSON_MEMBER(uint, uint64_t)
JSON_MEMBER(int, int64_t)
JSON_MEMBER(double, double)
JSON_MEMBER(seconds, uint64_t)
JSON_MEMBER(bool, int)
