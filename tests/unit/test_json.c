/*
 * test_json: the streaming JSON writer (analyzer/json.c) against exact output: string escaping
 * (quotes, backslashes, control bytes, DEL, NUL bytes, invalid UTF-8 as U+FFFD), nesting and
 * layout, compact containers, numbers, exact seconds, and the errors: bad nesting, depth, keys
 * out of place, a failing stream.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

/* A writer on a memory stream. */
typedef struct out {
	char *buf;
	size_t len;
	FILE *f;
	json_writer *w;
} out;

static int out_open(out *o)
{
	memset(o, 0, sizeof(*o));
	o->f = open_memstream(&o->buf, &o->len);
	return o->f && json_create(&o->w, o->f) == 0;
}

/* Finishes the writer: returns json_finish's code, the text in o->buf (caller frees). */
static int out_close(out *o)
{
	int rc = json_finish(o->w);
	json_free(o->w);
	fclose(o->f);
	return rc;
}

static void check_out_at(int at, out *o, int want_rc, const char *want)
{
	int rc = out_close(o);
	CHECK(rc == want_rc, "line %d: rc %d, expected %d", at, rc, want_rc);
	if (want)
		CHECK(o->buf && strcmp(o->buf, want) == 0, "line %d: got\n%s\nwant\n%s", at,
		      o->buf ? o->buf : "(null)", want);
	free(o->buf);
}
#define check_out(o, rc, want) check_out_at(__LINE__, o, rc, want)

static void test_strerror(void)
{
	CHECK(strcmp(json_strerror(JSON_OK), "success") == 0, "ok");
	CHECK(strcmp(json_strerror(JSON_ENOMEM), "out of memory") == 0, "enomem");
	CHECK(strcmp(json_strerror(JSON_EDEPTH), "bad JSON nesting") == 0, "edepth");
	CHECK(strcmp(json_strerror(JSON_EIO), "write error") == 0, "eio");
	CHECK(strcmp(json_strerror(7), "unknown error") == 0, "unknown");
}

static void test_strings(void)
{
	out o;
	if (!out_open(&o))
		return;
	json_begin_array(o.w, 1);
	json_str(o.w, "plain");
	json_str(o.w, "q\"b\\s/");
	json_str(o.w, "\n\t\r\b\f");
	json_str(o.w, "\x01\x1f\x7f");
	json_strn(o.w, "n\0ul", 4);
	json_str(o.w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_str(o.w, "bad \xff \xc3( \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 cut\xe2\x82");
	json_str(o.w, NULL);
	json_str(o.w, "");
	json_end_array(o.w);
	check_out(&o, 0,
		  "[\"plain\", \"q\\\"b\\\\s/\", \"\\n\\t\\r\\b\\f\", \"\\u0001\\u001f\\u007f\", "
		  "\"n\\u0000ul\", \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", "
		  "\"bad \\ufffd \\ufffd( \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd "
		  "\\ufffd\\ufffd\\ufffd\\ufffd cut\\ufffd\\ufffd\", null, \"\"]\n");
	/* keys are escaped the same way */
	if (!out_open(&o))
		return;
	json_begin_object(o.w, 1);
	json_key(o.w, "k\"\x01\xff");
	json_uint(o.w, 1);
	json_end_object(o.w);
	check_out(&o, 0, "{\"k\\\"\\u0001\\ufffd\": 1}\n");
}

static void test_layout(void)
{
	out o;
	if (!out_open(&o))
		return;
	json_begin_object(o.w, 0);
	json_key(o.w, "a");
	json_uint(o.w, 1);
	json_key(o.w, "list");
	json_begin_array(o.w, 0);
	json_begin_object(o.w, 1);
	json_key(o.w, "x");
	json_begin_array(o.w, 0); /* inside a compact container: compact too */
	json_bool(o.w, 1);
	json_bool(o.w, 0);
	json_end_array(o.w);
	json_key(o.w, "y");
	json_null(o.w);
	json_end_object(o.w);
	json_begin_array(o.w, 0);
	json_end_array(o.w);
	json_begin_object(o.w, 0);
	json_end_object(o.w);
	json_end_array(o.w);
	json_key(o.w, "empty");
	json_begin_array(o.w, 1);
	json_end_array(o.w);
	json_end_object(o.w);
	check_out(&o, 0,
		  "{\n"
		  "  \"a\": 1,\n"
		  "  \"list\": [\n"
		  "    {\"x\": [true, false], \"y\": null},\n"
		  "    [],\n"
		  "    {}\n"
		  "  ],\n"
		  "  \"empty\": []\n"
		  "}\n");
	/* a bare top-level value, and nothing at all */
	if (!out_open(&o))
		return;
	json_uint(o.w, 5);
	check_out(&o, 0, "5\n");
	if (!out_open(&o))
		return;
	check_out(&o, 0, "");
}

static void test_numbers(void)
{
	out o;
	if (!out_open(&o))
		return;
	json_begin_array(o.w, 1);
	json_uint(o.w, 0);
	json_uint(o.w, UINT64_MAX);
	json_int(o.w, INT64_MIN);
	json_int(o.w, -1);
	json_double(o.w, 0.5);
	json_double(o.w, 0.1);
	json_double(o.w, -2.5e-300);
	json_double(o.w, 18446744073709551616.0);
	json_double(o.w, NAN);
	json_double(o.w, INFINITY);
	json_double(o.w, -INFINITY);
	json_end_array(o.w);
	check_out(&o, 0,
		  "[0, 18446744073709551615, -9223372036854775808, -1, 0.5, 0.10000000000000001, "
		  "-2.5e-300, 1.8446744073709552e+19, null, null, null]\n");
}

static void test_seconds(void)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{0, "0.0"},
		{1, "0.000000001"},
		{10, "0.00000001"},
		{999999999, "0.999999999"},
		{1000000000, "1.0"},
		{1500000000, "1.5"},
		{1234567890, "1.23456789"},
		{20513712, "0.020513712"},
		{3000000001ULL, "3.000000001"},
		{UINT64_MAX, "18446744073.709551615"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out o;
		if (!out_open(&o))
			return;
		json_seconds(o.w, cases[i].ns);
		char want[64];
		snprintf(want, sizeof(want), "%s\n", cases[i].want);
		check_out(&o, 0, want);
	}
}

static void test_errors(void)
{
	out o;
	/* closed more often than opened */
	if (!out_open(&o))
		return;
	json_begin_array(o.w, 0);
	json_end_array(o.w);
	json_end_array(o.w);
	check_out(&o, JSON_EDEPTH, NULL);
	/* closed with the other bracket */
	if (!out_open(&o))
		return;
	json_begin_object(o.w, 0);
	json_end_array(o.w);
	check_out(&o, JSON_EDEPTH, NULL);
	/* left open */
	if (!out_open(&o))
		return;
	json_begin_object(o.w, 0);
	json_key(o.w, "a");
	json_begin_array(o.w, 0);
	check_out(&o, JSON_EDEPTH, NULL);
	/* a key outside an object, in an array, and twice in a row */
	if (!out_open(&o))
		return;
	json_key(o.w, "top");
	check_out(&o, JSON_EDEPTH, NULL);
	if (!out_open(&o))
		return;
	json_begin_array(o.w, 0);
	json_key(o.w, "in array");
	json_end_array(o.w);
	check_out(&o, JSON_EDEPTH, NULL);
	if (!out_open(&o))
		return;
	json_begin_object(o.w, 0);
	json_key(o.w, "a");
	json_key(o.w, "b");
	json_uint(o.w, 1);
	json_end_object(o.w);
	check_out(&o, JSON_EDEPTH, NULL);
	/* 32 levels are fine, the 33rd is refused; the first error stays */
	if (!out_open(&o))
		return;
	for (int i = 0; i < 32; i++)
		json_begin_array(o.w, 1);
	for (int i = 0; i < 32; i++)
		json_end_array(o.w);
	check_out(&o, 0, NULL);
	if (!out_open(&o))
		return;
	for (int i = 0; i < 33; i++)
		json_begin_array(o.w, 1);
	for (int i = 0; i < 32; i++)
		json_end_array(o.w);
	check_out(&o, JSON_EDEPTH, NULL);
	/* a stream that fails */
	FILE *full = fopen("/dev/full", "w");
	if (full) {
		json_writer *w;
		if (json_create(&w, full) == 0) {
			json_begin_array(w, 0);
			for (int i = 0; i < 10000; i++)
				json_str(w, "some text that fills the stream buffer");
			json_end_array(w);
			int rc = json_finish(w);
			CHECK(rc == JSON_EIO, "/dev/full: rc %d", rc);
			json_free(w);
		}
		fclose(full);
	}
	json_free(NULL);
}

int main(void)
{
	test_strerror();
	test_strings();
	test_layout();
	test_numbers();
	test_seconds();
	test_errors();
	return check_summary();
}
