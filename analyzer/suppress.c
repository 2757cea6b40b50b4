/*
 * suppress.c: LeakSanitizer-format suppressions (see suppress.h).
 *
 * Each pattern is compiled once into a plain glob that must match the whole string: `*`
 * wildcards, a `*` added in front unless the pattern starts with `^`, and one at the end unless
 * it ends at a `$` (LeakSanitizer stops reading a pattern at its first `$`).  The glob is matched
 * with the usual single-backtrack algorithm, linear in practice and O(pattern x string) at worst.
 */
#include "suppress.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SUPPRESS_MAX_FILE (16u << 20)

typedef struct suppress_rule {
	char *pattern; /* as written after "leak:" */
	char *glob;    /* whole-string glob */
	unsigned line;
} suppress_rule;

struct suppress_list {
	suppress_rule *rules;
	size_t n, cap;
};

const char *suppress_strerror(int err)
{
	switch (err) {
	case SUPPRESS_OK: return "success";
	case SUPPRESS_ENOMEM: return "out of memory";
	case SUPPRESS_EIO: return "read error";
	case SUPPRESS_ESYNTAX: return "not a suppression (expected 'leak:PATTERN')";
	case SUPPRESS_ETYPE: return "only leak: suppressions are supported";
	}
	return "unknown error";
}

/* Compiles pattern[0..n) into a malloc'ed whole-string glob, or returns NULL. */
static char *compile(const char *pattern, size_t n)
{
	int start = n > 0 && pattern[0] == '^';
	if (start) {
		pattern++;
		n--;
	}
	const char *dollar = memchr(pattern, '$', n);
	int end = dollar != NULL;
	if (end)
		n = (size_t)(dollar - pattern);
	char *g = malloc(n + 3);
	if (!g)
		return NULL;
	size_t k = 0;
	if (!start)
		g[k++] = '*';
	memcpy(g + k, pattern, n);
	k += n;
	if (!end)
		g[k++] = '*';
	g[k] = '\0';
	return g;
}

/* Whole-string glob match: `*` matches any run of bytes, every other byte itself. */
static int glob_match(const char *p, const char *s)
{
	const char *star = NULL, *mark = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p && *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int suppress_match_pattern(const char *pattern, const char *s)
{
	if (!s || !*s)
		return 0; /* as LeakSanitizer: an empty or missing name never matches */
	char *g = compile(pattern, strlen(pattern));
	if (!g)
		return 0;
	int m = glob_match(g, s);
	free(g);
	return m;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int add_rule(suppress_list *l, const char *pat, size_t n, unsigned line)
{
	if (util_grow((void **)&l->rules, &l->cap, l->n + 1, sizeof(suppress_rule)))
		return SUPPRESS_ENOMEM;
	suppress_rule *r = &l->rules[l->n];
	r->pattern = malloc(n + 1);
	r->glob = compile(pat, n);
	if (!r->pattern || !r->glob) {
		free(r->pattern);
		free(r->glob);
		return SUPPRESS_ENOMEM;
	}
	memcpy(r->pattern, pat, n);
	r->pattern[n] = '\0';
	r->line = line;
	l->n++;
	return 0;
}

int suppress_parse(suppress_list **out, const char *text, size_t len, unsigned *errline)
{
	*out = NULL;
	*errline = 0;
	suppress_list *l = calloc(1, sizeof(*l));
	if (!l)
		return SUPPRESS_ENOMEM;
	size_t pos = 0;
	unsigned line = 0;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		line++;
		if (memchr(s, '\0', n)) {
			*errline = line;
			suppress_free(l);
			return SUPPRESS_ESYNTAX;
		}
		while (n && is_blank(*s)) {
			s++;
			n--;
		}
		while (n && is_blank(s[n - 1]))
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		const char *colon = memchr(s, ':', n);
		const char *pat = colon ? colon + 1 : s;
		while (pat < s + n && is_blank(*pat))
			pat++;
		int rc = 0;
		if (!colon || colon == s || pat == s + n) {
			rc = SUPPRESS_ESYNTAX;
		} else if ((size_t)(colon - s) != 4 || memcmp(s, "leak", 4) != 0) {
			rc = SUPPRESS_ETYPE;
			for (const char *c = s; c < colon; c++)
				if (!(*c == '_' || (*c >= 'a' && *c <= 'z')))
					rc = SUPPRESS_ESYNTAX;
		} else {
			rc = add_rule(l, pat, (size_t)(s + n - pat), line);
		}
		if (rc) {
			*errline = rc == SUPPRESS_ENOMEM ? 0 : line;
			suppress_free(l);
			return rc;
		}
	}
	*out = l;
	return 0;
}

int suppress_load(suppress_list **out, const char *path, unsigned *errline)
{
	*out = NULL;
	*errline = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return SUPPRESS_EIO;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (util_grow((void **)&buf, &cap, len + 4096, 1)) {
			rc = SUPPRESS_ENOMEM;
			break;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > SUPPRESS_MAX_FILE) {
			errno = EFBIG;
			rc = SUPPRESS_EIO;
			break;
		}
		if (got == 0) {
			if (ferror(f)) {
				errno = errno ? errno : EIO;
				rc = SUPPRESS_EIO;
			}
			break;
		}
	}
	int saved = errno;
	fclose(f);
	if (!rc)
		rc = suppress_parse(out, buf ? buf : "", len, errline);
	free(buf);
	errno = saved;
	return rc;
}

int suppress_load_file(suppress_list **out, const char *path, const util_log *log)
{
	unsigned line;
	int rc = suppress_load(out, path, &line);
	if (rc == SUPPRESS_EIO)
		util_say(log, "cannot read suppressions '%s': %s", path, strerror(errno));
	else if (rc == SUPPRESS_ENOMEM)
		util_say(log, "%s", suppress_strerror(rc));
	else if (rc)
		util_say(log, "%s:%u: %s", path, line, suppress_strerror(rc));
	return rc;
}

void suppress_free(suppress_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->rules[i].pattern);
		free(l->rules[i].glob);
	}
	free(l->rules);
	free(l);
}

size_t suppress_count(const suppress_list *l) { return l ? l->n : 0; }
const char *suppress_pattern(const suppress_list *l, size_t i) { return l->rules[i].pattern; }
unsigned suppress_line(const suppress_list *l, size_t i) { return l->rules[i].line; }

static int frame_matches(const suppress_rule *r, const sym_frame *f)
{
	if (f->function && *f->function && glob_match(r->glob, f->function))
		return 1;
	if (f->file && *f->file && glob_match(r->glob, f->file))
		return 1;
	if (f->module && strcmp(f->module, "[unknown]") != 0) {
		const char *b = util_base_name(f->module);
		if (*b && glob_match(r->glob, b))
			return 1;
	}
	return 0;
}

long suppress_match_stack(const suppress_list *l, const sym_frame *frames, size_t n)
{
	if (!l)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < l->n; k++)
			if (frame_matches(&l->rules[k], &frames[i]))
				return (long)k;
	return -1;
}
