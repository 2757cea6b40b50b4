/*
 * test_export: the pieces of the export writers that the end-to-end tests cannot pin down byte
 * by byte: the protobuf encoder (analyzer/pbenc.c) against known encodings, and the escaping
 * of collapsed-stack names (analyzer/export_collapsed.c): no name may break a line, and
 * unescaping gives it back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "export_collapsed.h"
#include "pbenc.h"

static int same_bytes(const pbenc *b, const char *want, size_t n)
{
	return b->len == n && memcmp(b->buf, want, n) == 0;
}

static void test_pbenc(void)
{
	pbenc b, m;
	pbenc_init(&b);
	pbenc_init(&m);
	pbenc_uint(&b, 1, 150); /* the protobuf documentation's example */
	CHECK(same_bytes(&b, "\x08\x96\x01", 3), "len %zu", b.len);
	pbenc_reset(&b);
	pbenc_uint(&b, 1, 0); /* proto3 default: nothing */
	CHECK_U("zero field", b.len, 0);
	pbenc_int(&b, 2, -1); /* int64 -1: ten bytes */
	CHECK(same_bytes(&b, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11), "len %zu", b.len);
	pbenc_reset(&b);
	pbenc_bytes(&b, 2, "testing", 7);
	CHECK(same_bytes(&b, "\x12\x07testing", 9), "len %zu", b.len);
	pbenc_reset(&b);
	pbenc_bytes(&b, 6, "", 0); /* an empty string is still a field */
	CHECK(same_bytes(&b, "\x32\x00", 2), "len %zu", b.len);
	pbenc_reset(&b);
	uint64_t v[] = {3, 270, 86942};
	pbenc_packed(&b, 4, v, 3);
	CHECK(same_bytes(&b, "\x22\x06\x03\x8e\x02\x9e\xa7\x05", 8), "len %zu", b.len);
	pbenc_reset(&b);
	pbenc_uint(&m, 1, 150);
	pbenc_message(&b, 3, &m);
	CHECK(same_bytes(&b, "\x1a\x03\x08\x96\x01", 5), "len %zu", b.len);
	pbenc_reset(&b);
	pbenc_uint(&b, 100, 1); /* a two-byte key */
	CHECK(same_bytes(&b, "\xa0\x06\x01", 3), "len %zu", b.len);
	EXPECT(pbenc_error(&b) == 0);
	pbenc_release(&b);
	pbenc_release(&m);
}

static char *put_name(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	export_collapsed_put_name(f, name);
	fclose(f);
	return buf;
}

static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	while (*s) {
		unsigned v;
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void test_collapsed_names(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
		{"main", "main"},
		{"a;b", "a\\x3bb"},
		{"operator new(unsigned long)", "operator new(unsigned long)"},
		{"f 42", "f\\x2042"},
		{"f 4.5", "f\\x204.5"},
		{"trailing ", "trailing\\x20"},
		{"two  12", "two \\x2012"},
		{"x 1a", "x 1a"},
		{"back\\slash", "back\\x5cslash"},
		{"new\nline\ttab", "new\\x0aline\\x09tab"},
		{"bad \xff utf8", "bad \\xff utf8"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = put_name(cases[i].name);
		CHECK(strcmp(got, cases[i].want) == 0, "%s -> %s, want %s", cases[i].name, got,
		      cases[i].want);
		CHECK(!strpbrk(got, ";\n\r"), "%s holds a separator", got);
		char *back = unescape(got);
		CHECK(strcmp(back, cases[i].name) == 0, "%s came back as %s", cases[i].name, back);
		free(back);
		free(got);
	}
}

int main(void)
{
	test_pbenc();
	test_collapsed_names();
	return check_summary();
}
