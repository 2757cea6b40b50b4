/*
 * stackkey.c: symbolic stack keys (see stackkey.h).  Each frame's component is built on its own
 * and appended to the key unless it equals the one before.
 */
#include "stackkey.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frameclass.h"
#include "text.h"
#include "util.h"

const char *stackkey_strerror(int err)
{
	switch (err) {
	case STACKKEY_OK: return "success";
	case STACKKEY_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

/* ---- keys ---- */

/* A growing string (owned buffer, always NUL-terminated once anything was added). */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int nomem;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (n > SIZE_MAX - b->len - 1 || util_grow((void **)&b->s, &b->cap, b->len + n + 1, 1)) {
		b->nomem = 1;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_write(void *ctx, const char *s, size_t n) { sb_addn(ctx, s, n); }

/* Key components: '\' and ';' get a backslash, control bytes become \xHH, all else stays. */
static const text_style key_style = {
	.subst = {['\\'] = "\\\\", [';'] = "\\;"},
	.hex = "\\x",
	.raw_high = 1,
};

/* Appends s[0..n) escaped as a key component. */
static void sb_add_escaped(sbuf *b, const char *s, size_t n)
{
	text_sink out = {sb_write, b};
	text_escape(&out, &key_style, s, n);
}

/* The length of a function name without the compiler's clone suffixes: GCC's ".constprop.0",
 * ".isra.0", ".part.0", ".cold", ".lto_priv.0", ".localalias", clang's ".llvm.123" (any chain
 * of them), and the demangler's " [clone .isra.0]" form. */
static size_t name_len(const char *name)
{
	static const char *const words[] = {"constprop", "isra", "part", "cold", "lto_priv",
					    "localalias", "llvm", "lto", "str", "clone"};
	const char *clone = strstr(name, " [clone .");
	size_t n = clone ? (size_t)(clone - name) : strlen(name);
	for (size_t i = 1; i < n; i++) {
		if (name[i] != '.')
			continue;
		/* does name[i..n) consist of ".word" and ".digits" segments only, starting with a
		 * word? */
		size_t k = i;
		int ok = 1, first = 1;
		while (ok && k < n) {
			size_t j = k + 1;
			while (j < n && name[j] != '.')
				j++;
			size_t seglen = j - k - 1;
			int digits = seglen > 0, word = 0;
			for (size_t m = k + 1; m < j; m++)
				if (name[m] < '0' || name[m] > '9')
					digits = 0;
			for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
				if (strlen(words[w]) == seglen && memcmp(words[w], name + k + 1, seglen) == 0)
					word = 1;
			ok = word || (digits && !first);
			first = 0;
			k = j;
		}
		if (ok)
			return i;
	}
	return n;
}

/* Appends the key component of frame f to b. */
static void add_component(sbuf *b, const sym_frame *f, enum stackkey_match match)
{
	if (f->function && *f->function) {
		sb_add_escaped(b, f->function, name_len(f->function));
	} else {
		const char *m = f->module ? util_base_name(f->module) : "[unknown]";
		sb_add_escaped(b, m, strlen(m));
		sb_add(b, "?");
	}
	if (match == STACKKEY_MATCH_LINES && f->file) {
		char line[16];
		const char *fb = util_base_name(f->file);
		sb_add(b, "@");
		sb_add_escaped(b, fb, strlen(fb));
		snprintf(line, sizeof(line), ":%u", f->line);
		sb_add(b, line);
	}
}

int stackkey_key(const sym_frame *frames, size_t n, enum stackkey_match match, char **key, size_t *len)
{
	sbuf b = {NULL, 0, 0, 0};
	sbuf c = {NULL, 0, 0, 0}; /* the current component */
	size_t end = frameclass_trim_startup(frames, n);
	size_t prev_off = 0, prev_len = 0;
	int have_prev = 0;
	sb_add(&b, "");
	for (size_t i = 0; i < end; i++) {
		c.len = 0;
		add_component(&c, &frames[i], match);
		if (c.nomem)
			break;
		if (have_prev && prev_len == c.len && memcmp(b.s + prev_off, c.s, c.len) == 0)
			continue; /* recursion: adjacent equal frames count once */
		if (have_prev)
			sb_add(&b, ";");
		prev_off = b.len;
		prev_len = c.len;
		sb_addn(&b, c.s ? c.s : "", c.len);
		have_prev = 1;
	}
	free(c.s);
	if (b.nomem || c.nomem) {
		free(b.s);
		return STACKKEY_ENOMEM;
	}
	*key = b.s;
	*len = b.len;
	return 0;
}
