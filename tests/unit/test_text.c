/*
 * test_text: the shared text helpers (analyzer/text.c): the escaper and its styles (control
 * bytes, DEL, invalid UTF-8, substitutions, ASCII-only and raw high bytes), sizes, changes,
 * times, plurals, colours, markdown code spans, and frames as text lines, as one line and as markdown.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "text.h"
#include "util.h"

/* A memory stream: mem_open, write to m.f, then mem_text returns what was written (caller
 * frees). */
typedef struct mem {
	char *buf;
	size_t len;
	FILE *f;
} mem;

static int mem_open(mem *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	return m->f != NULL;
}

static char *mem_text(mem *m)
{
	fclose(m->f);
	return m->buf;
}

/* Escapes s[0..n) with style st into a string (caller frees). */
static char *escaped(const text_style *st, const char *s, size_t n)
{
	mem m;
	if (!mem_open(&m))
		return NULL;
	text_put_escaped(m.f, st, s, n);
	return mem_text(&m);
}

/* Runs one of the frame writers into a string (caller frees). */
static char *frames_text(void (*wr)(FILE *, const sym_frame *, size_t, size_t),
			 const sym_frame *frames, size_t n, size_t max)
{
	mem m;
	if (!mem_open(&m))
		return NULL;
	wr(m.f, frames, n, max);
	return mem_text(&m);
}

static char *md_code(const char *s)
{
	mem m;
	if (!mem_open(&m))
		return NULL;
	text_put_md_code(m.f, s);
	return mem_text(&m);
}

static void check_str_at(int at, char *got, const char *want)
{
	CHECK(got && strcmp(got, want) == 0, "line %d: '%s', expected '%s'", at,
	      got ? got : "(null)", want);
	free(got);
}
#define check_str(got, want) check_str_at(__LINE__, got, want)

static void test_frames_line_md(void)
{
	sym_frame st[] = {
		fr("make_node", "src/list.c", 12, APP),
		fr(NULL, NULL, 0, "/usr/lib/libfoo.so.1"),
		fr("main", "src/main.c", 8, APP),
		fr("_start", NULL, 0, APP),
	};
	st[1].module_offset = 0x1a2b;
	check_str(frames_text(text_write_frames_line, st, N(st), 0),
		  "make_node <- libfoo.so.1+0x1a2b <- main");
	check_str(frames_text(text_write_frames_line, st, N(st), 3),
		  "make_node <- libfoo.so.1+0x1a2b <- main");
	check_str(frames_text(text_write_frames_line, st, N(st), 2),
		  "make_node <- libfoo.so.1+0x1a2b <- ...");
	check_str(frames_text(text_write_frames_line, st, 0, 0), "(no frames)");
	check_str(frames_text(text_write_frames_md, st, N(st), 0),
		  "`make_node` ← `libfoo.so.1`+0x1a2b ← `main`");
	check_str(frames_text(text_write_frames_md, st, N(st), 1), "`make_node` ← …");

	check_str(md_code("plain"), "`plain`");
	check_str(md_code("a|b"), "`a\\|b`");
	check_str(md_code("a`b"), "`` a`b ``");
	check_str(md_code("x``y"), "``` x``y ```");
	check_str(md_code("t\tab"), "`t\\x09ab`");
	check_str(md_code("caf\xc3\xa9"), "`caf\xc3\xa9`");
	check_str(md_code(NULL), "?");
}

/* A sink that counts its calls. */
typedef struct counted {
	int calls;
	char text[64];
} counted;

static void count_write(void *ctx, const char *s, size_t n)
{
	counted *c = ctx;
	c->calls++;
	strncat(c->text, s, n < sizeof(c->text) - strlen(c->text) - 1 ? n : sizeof(c->text) - strlen(c->text) - 1);
}

static void test_escape(void)
{
	/* the plain style: control bytes, DEL and bytes that are not UTF-8 in hex */
	check_str(escaped(&text_plain, "plain text", 10), "plain text");
	check_str(escaped(&text_plain, "a\tb\nc\x7f", 6), "a\\x09b\\x0ac\\x7f");
	check_str(escaped(&text_plain, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_str(escaped(&text_plain, "\xff\xc3(\xc0\xaf", 5), "\\xff\\xc3(\\xc0\\xaf");
	check_str(escaped(&text_plain, "\xed\xa0\x80", 3), "\\xed\\xa0\\x80"); /* a surrogate */
	check_str(escaped(&text_plain, "cut \xe2\x82", 6), "cut \\xe2\\x82");
	check_str(escaped(&text_plain, "n\0ul", 4), "n\\x00ul");
	check_str(escaped(&text_plain, "", 0), "");
	/* substitutions come first; hex prefixes and invalid bytes as the style says */
	static const text_style sub = {.subst = {['\''] = "'\\''", ['\n'] = "\\n"}, .hex = "\\u00",
				       .invalid = "?"};
	check_str(escaped(&sub, "it's\n\x01\xff\xc3\xa9", 9), "it'\\''s\\n\\u0001?\xc3\xa9");
	/* ASCII only: every high byte in hex, UTF-8 or not */
	static const text_style ascii = {.hex = "\\x", .ascii = 1};
	check_str(escaped(&ascii, "caf\xc3\xa9\xff~", 7), "caf\\xc3\\xa9\\xff~");
	/* raw high bytes: as they are, UTF-8 or not; control bytes still in hex */
	static const text_style raw = {.subst = {[';'] = "\\;"}, .hex = "\\x", .raw_high = 1};
	check_str(escaped(&raw, "a;\xff\x1f", 4), "a\\;\xff\\x1f");
	/* a sink gets runs, not bytes: "ab", the escape, "cd" */
	counted c = {0, ""};
	text_sink out = {count_write, &c};
	text_escape(&out, &text_plain, "ab\x01" "cd", 5);
	CHECK(c.calls == 3 && strcmp(c.text, "ab\\x01cd") == 0, "%d calls, '%s'", c.calls, c.text);
}

static void test_numbers(void)
{
	char buf[64];
	static const struct {
		uint64_t v;
		const char *want;
	} sizes[] = {
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{1048576, "1.0 MiB"}, {5ULL << 30, "5.0 GiB"}, {UINT64_MAX, "16.0 EiB"},
	};
	for (size_t i = 0; i < N(sizes); i++) {
		text_format_size(buf, sizeof(buf), sizes[i].v);
		CHECK(strcmp(buf, sizes[i].want) == 0, "%s, expected %s", buf, sizes[i].want);
	}
	text_format_size_change(buf, sizeof(buf), 0, 1536);
	CHECK(strcmp(buf, "+1.5 KiB") == 0, "'%s'", buf);
	text_format_size_change(buf, sizeof(buf), 1024, 512);
	CHECK(strcmp(buf, "-512 B") == 0, "'%s'", buf);
	text_format_size_change(buf, sizeof(buf), 5, 5);
	CHECK(strcmp(buf, "0 B") == 0, "'%s'", buf);
	CHECK(util_change(10, 3) == -7, "%" PRId64, util_change(10, 3));
	CHECK(util_change(3, 10) == 7, "%" PRId64, util_change(3, 10));
	CHECK(util_change(0, UINT64_MAX) == INT64_MAX, "%" PRId64, util_change(0, UINT64_MAX));
	CHECK(util_change(UINT64_MAX, 0) == -INT64_MAX, "%" PRId64, util_change(UINT64_MAX, 0));
	static const struct {
		uint64_t base, cur;
		int sizes;
		const char *want;
	} changes[] = {
		{1000, 1031, 0, "+31 (+3.1%)"}, {1000, 988, 0, "-12 (-1.2%)"}, {7, 7, 0, "0"},
		{0, 3, 0, "+3"}, {4096, 8192, 1, "+4.0 KiB (+100.0%)"}, {5, 5, 1, "0 B"},
		{0, 1536, 1, "+1.5 KiB"}, {2048, 0, 1, "-2.0 KiB (-100.0%)"},
	};
	for (size_t i = 0; i < N(changes); i++) {
		text_format_change(buf, sizeof(buf), changes[i].base, changes[i].cur, changes[i].sizes);
		CHECK(strcmp(buf, changes[i].want) == 0, "%s, expected %s", buf, changes[i].want);
	}
	static const struct {
		uint64_t v;
		const char *want;
	} pow2[] = {{0, "0 B"}, {16, "16 B"}, {4096, "4 KiB"}, {1ULL << 21, "2 MiB"},
		    {1ULL << 63, "8 EiB"}, {1536, "1536 B"}};
	for (size_t i = 0; i < N(pow2); i++) {
		text_format_pow2(buf, sizeof(buf), pow2[i].v);
		CHECK(strcmp(buf, pow2[i].want) == 0, "%s, expected %s", buf, pow2[i].want);
	}
	static const struct {
		uint64_t ns;
		const char *want;
	} times[] = {{0, "0 us"}, {850000, "850 us"}, {999999, "999 us"}, {1000000, "1.000 ms"},
		     {12345678, "12.345 ms"}, {1000000000, "1.000 s"}, {3210987654ULL, "3.210 s"}};
	for (size_t i = 0; i < N(times); i++) {
		text_format_time(buf, sizeof(buf), times[i].ns);
		CHECK(strcmp(buf, times[i].want) == 0, "%s, expected %s", buf, times[i].want);
	}
	CHECK(strcmp(text_plural(1), "") == 0 && strcmp(text_plural(0), "s") == 0 &&
		      strcmp(text_plural(2), "s") == 0,
	      "plural");
	CHECK(strcmp(text_color(0, TEXT_BOLD), "") == 0 && strcmp(text_color(1, TEXT_BOLD), "\033[1m") == 0,
	      "color");
}

/* Writes frames as text lines into a string (caller frees). */
static char *frames_lines(const sym_frame *frames, size_t n, int color)
{
	mem m;
	if (!mem_open(&m))
		return NULL;
	text_write_frames(m.f, frames, n, "  ", color);
	return mem_text(&m);
}

static void test_frames_text(void)
{
	sym_frame st[] = {
		fr("get", "src/h.h", 3, APP),
		fr(NULL, NULL, 0, "/usr/lib/libfoo.so.1"),
		fr(NULL, NULL, 0, "[unknown]"),
		fr("main", "src/m.c", 0, APP),
		fr("odd\x01name", NULL, 0, NULL),
	};
	st[0].inlined = 1;
	st[1].module_offset = 0x1a2b;
	st[2].address = 0xdead;
	check_str(frames_lines(st, N(st), 0),
		  "  get  src/h.h:3  (app)  [inlined]\n"
		  "  [unknown] in libfoo.so.1+0x1a2b\n"
		  "  [unknown] at 0xdead\n"
		  "  main  src/m.c  (app)\n"
		  "  odd\\x01name\n");
	check_str(frames_lines(st, 3, 1),
		  "  get  src/h.h:3  (app)  \033[2m[inlined]\033[0m\n"
		  "  \033[2m[unknown]\033[0m in libfoo.so.1+0x1a2b\n"
		  "  \033[2m[unknown]\033[0m at 0xdead\n");
	check_str(frames_lines(st, 0, 0), "  [no frames]\n");
}

int main(void)
{
	test_escape();
	test_numbers();
	test_frames_text();
	test_frames_line_md();
	return check_summary();
}
