/*
 * json.c: the streaming JSON writer (see json.h).  State is a fixed stack of open containers;
 * nesting deeper than JS_MAX_DEPTH is refused (the reports nest four levels).
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define JS_MAX_DEPTH 32

typedef struct js_level {
	int count;   /* values written in this container */
	int compact;
	int object;
} js_level;

struct js_writer {
	FILE *f;
	js_level lv[JS_MAX_DEPTH];
	int depth;
	int after_key;
	int err;
	int done; /* a complete top-level value was written */
};

const char *js_strerror(int err)
{
	switch (err) {
	case JS_OK: return "success";
	case JS_ENOMEM: return "out of memory";
	case JS_EDEPTH: return "bad JSON nesting";
	case JS_EIO: return "write error";
	}
	return "unknown error";
}

int js_create(js_writer **out, FILE *f)
{
	*out = NULL;
	js_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return JS_ENOMEM;
	w->f = f;
	*out = w;
	return 0;
}

void js_free(js_writer *w) { free(w); }

int js_finish(js_writer *w)
{
	if (!w->err && w->depth != 0)
		w->err = JS_EDEPTH;
	if (w->done)
		fputc('\n', w->f);
	if (!w->err && (fflush(w->f) != 0 || ferror(w->f)))
		w->err = JS_EIO;
	return w->err;
}

static void indent(js_writer *w, int depth)
{
	fputc('\n', w->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", w->f);
}

/* Writes what goes before a value (or a key): separator and layout. */
static void before_value(js_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	js_level *l = &w->lv[w->depth - 1];
	if (l->count++)
		fputc(',', w->f);
	if (l->compact) {
		if (l->count > 1)
			fputc(' ', w->f);
	} else {
		indent(w, w->depth);
	}
}

static void after_value(js_writer *w)
{
	if (w->depth == 0)
		w->done = 1;
}

static void begin(js_writer *w, int compact, int object)
{
	before_value(w);
	fputc(object ? '{' : '[', w->f);
	if (w->depth >= JS_MAX_DEPTH) {
		w->err = JS_EDEPTH;
		return;
	}
	int outer_compact = w->depth ? w->lv[w->depth - 1].compact : 0;
	js_level *l = &w->lv[w->depth++];
	l->count = 0;
	l->compact = compact || outer_compact;
	l->object = object;
}

static void end(js_writer *w, int object)
{
	if (w->depth == 0 || w->lv[w->depth - 1].object != object) {
		w->err = JS_EDEPTH;
		return;
	}
	js_level *l = &w->lv[--w->depth];
	if (l->count && !l->compact)
		indent(w, w->depth);
	fputc(object ? '}' : ']', w->f);
	after_value(w);
}

void js_begin_object(js_writer *w, int compact) { begin(w, compact, 1); }
void js_end_object(js_writer *w) { end(w, 1); }
void js_begin_array(js_writer *w, int compact) { begin(w, compact, 0); }
void js_end_array(js_writer *w) { end(w, 0); }

static void put_escaped(js_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', w->f);
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', w->f);
			fputc((int)c, w->f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", w->f); break;
			case '\t': fputs("\\t", w->f); break;
			case '\r': fputs("\\r", w->f); break;
			case '\b': fputs("\\b", w->f); break;
			case '\f': fputs("\\f", w->f); break;
			default: fprintf(w->f, "\\u%04x", c); break;
			}
			i++;
		} else if (c < 0x80) {
			fputc((int)c, w->f);
			i++;
		} else {
			size_t len = ut_utf8_len(p + i, n - i);
			if (len == 0) {
				fputs("\\ufffd", w->f);
				i++;
			} else {
				fwrite(p + i, 1, len, w->f);
				i += len;
			}
		}
	}
	fputc('"', w->f);
}

void js_key(js_writer *w, const char *key)
{
	if (w->depth == 0 || !w->lv[w->depth - 1].object || w->after_key) {
		w->err = JS_EDEPTH;
		return;
	}
	before_value(w);
	put_escaped(w, key, strlen(key));
	fputs(": ", w->f);
	w->after_key = 1;
}

void js_strn(js_writer *w, const char *s, size_t n)
{
	before_value(w);
	put_escaped(w, s, n);
	after_value(w);
}

void js_str(js_writer *w, const char *s)
{
	if (!s) {
		js_null(w);
		return;
	}
	js_strn(w, s, strlen(s));
}

void js_uint(js_writer *w, uint64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRIu64, v);
	after_value(w);
}

void js_int(js_writer *w, int64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRId64, v);
	after_value(w);
}

void js_double(js_writer *w, double v)
{
	if (!isfinite(v)) {
		js_null(w);
		return;
	}
	before_value(w);
	fprintf(w->f, "%.17g", v);
	after_value(w);
}

void js_seconds(js_writer *w, uint64_t ns)
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

void js_bool(js_writer *w, int v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
	after_value(w);
}

void js_null(js_writer *w)
{
	before_value(w);
	fputs("null", w->f);
	after_value(w);
}
