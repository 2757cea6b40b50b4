/*
 * test_suppress: LeakSanitizer-format suppression files (analyzer/suppress.c): parsing (rules,
 * comments, blank lines, trimming, errors with their line), pattern matching (anywhere, `*`,
 * `^`, `$`), frames matched by function, source file or module base name, stacks matched by
 * any frame, loading from a file, and what suppress_load_file says about a bad one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "suppress.h"

/* Parses a NUL-terminated text; returns the SUP_* code, the list in *out, the line in *line. */
static int parse(const char *text, suppress_list **out, unsigned *line)
{
	*line = 12345; /* must be overwritten */
	return suppress_parse(out, text, strlen(text), line);
}

/* Parses text that must be rejected with rc at line errline. */
static void expect_error(const char *text, int rc, unsigned errline)
{
	suppress_list *l = (suppress_list *)(uintptr_t)1;
	unsigned line;
	int got = parse(text, &l, &line);
	CHECK(got == rc, "'%s': rc %d, expected %d", text, got, rc);
	CHECK(line == errline, "'%s': line %u, expected %u", text, line, errline);
	CHECK(l == NULL, "'%s': list not NULL on error", text);
	if (got == 0)
		suppress_free(l);
}

static sym_frame frame(const char *function, const char *file, const char *module)
{
	sym_frame f;
	memset(&f, 0, sizeof(f));
	f.function = function;
	f.file = file;
	f.line = 7;
	f.module = module;
	return f;
}

static void test_strerror(void)
{
	CHECK(strcmp(suppress_strerror(SUPPRESS_OK), "success") == 0, "%s", suppress_strerror(SUPPRESS_OK));
	CHECK(strcmp(suppress_strerror(SUPPRESS_ENOMEM), "out of memory") == 0, "%s",
	      suppress_strerror(SUPPRESS_ENOMEM));
	CHECK(strcmp(suppress_strerror(SUPPRESS_EIO), "read error") == 0, "%s", suppress_strerror(SUPPRESS_EIO));
	CHECK(strcmp(suppress_strerror(SUPPRESS_ESYNTAX), "not a suppression (expected 'leak:PATTERN')") == 0,
	      "%s", suppress_strerror(SUPPRESS_ESYNTAX));
	CHECK(strcmp(suppress_strerror(SUPPRESS_ETYPE), "only leak: suppressions are supported") == 0, "%s",
	      suppress_strerror(SUPPRESS_ETYPE));
	CHECK(strcmp(suppress_strerror(-99), "unknown error") == 0, "%s", suppress_strerror(-99));
}

static void test_parse_file(void)
{
	/* the docs' example plus comments, blank lines, indentation, tabs and CRLF */
	const char *text = "# third-party leak, reported upstream\n"  /* 1 */
			   "leak:libfontconfig.so\n"                  /* 2 */
			   "\n"                                       /* 3 */
			   "   \t  \n"                                /* 4 */
			   "  leak:^init_plugin_registry$  \n"        /* 5 */
			   "\t# indented comment: leak:not_a_rule\n"  /* 6 */
			   "leak:*::detail::cache_node*\r\n"          /* 7 */
			   "leak:  spaced_pattern\t\n"                /* 8 */
			   "leak:last_line_without_newline";          /* 9 */
	suppress_list *l = NULL;
	unsigned line;
	int rc = parse(text, &l, &line);
	CHECK(rc == 0, "rc %d", rc);
	CHECK(line == 0, "errline %u on success", line);
	CHECK(suppress_count(l) == 5, "count %zu", suppress_count(l));
	if (rc || suppress_count(l) != 5) {
		suppress_free(l);
		return;
	}
	static const char *const pats[] = {"libfontconfig.so", "^init_plugin_registry$",
					   "*::detail::cache_node*", "spaced_pattern",
					   "last_line_without_newline"};
	static const unsigned lines[] = {2, 5, 7, 8, 9};
	for (size_t i = 0; i < 5; i++) {
		CHECK(strcmp(suppress_pattern(l, i), pats[i]) == 0, "rule %zu pattern '%s', expected '%s'",
		      i, suppress_pattern(l, i), pats[i]);
		CHECK(suppress_line(l, i) == lines[i], "rule %zu line %u, expected %u", i, suppress_line(l, i),
		      lines[i]);
	}
	suppress_free(l);
}

static void test_parse_empty(void)
{
	static const char *const texts[] = {"", "\n", "\n\n\n", "# only a comment",
					    "   \n\t\n# a\n  #b\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		suppress_list *l = NULL;
		unsigned line;
		int rc = parse(texts[i], &l, &line);
		CHECK(rc == 0 && l != NULL, "text %zu: rc %d", i, rc);
		CHECK(line == 0, "text %zu: line %u", i, line);
		CHECK(suppress_count(l) == 0, "text %zu: count %zu", i, suppress_count(l));
		suppress_free(l);
	}
	CHECK(suppress_count(NULL) == 0, "count of NULL");
	suppress_free(NULL); /* accepted */
}

static void test_parse_not_nul_terminated(void)
{
	/* only text[0..len) is read: "leak:abcdef" cut after "leak:abc" */
	char buf[] = {'l', 'e', 'a', 'k', ':', 'a', 'b', 'c', 'd', 'e', 'f'};
	suppress_list *l = NULL;
	unsigned line = 99;
	int rc = suppress_parse(&l, buf, 8, &line);
	CHECK(rc == 0 && suppress_count(l) == 1, "rc %d count %zu", rc, suppress_count(l));
	if (rc == 0 && suppress_count(l) == 1)
		CHECK(strcmp(suppress_pattern(l, 0), "abc") == 0, "pattern '%s'", suppress_pattern(l, 0));
	suppress_free(l);

	/* a NUL byte inside a line is a syntax error on that line */
	static const char nul[] = "leak:a\nleak:b\0c\nleak:d\n";
	l = (suppress_list *)(uintptr_t)1;
	rc = suppress_parse(&l, nul, sizeof(nul) - 1, &line);
	CHECK(rc == SUPPRESS_ESYNTAX, "NUL: rc %d", rc);
	CHECK(line == 2, "NUL: line %u", line);
	CHECK(l == NULL, "NUL: list set");
}

static void test_parse_errors(void)
{
	/* not `type:pattern` */
	expect_error("leak_everything\n", SUPPRESS_ESYNTAX, 1);
	expect_error("leak:ok\nno colon here\n", SUPPRESS_ESYNTAX, 2);
	expect_error("leak:ok\n\n# c\n:pattern\n", SUPPRESS_ESYNTAX, 4);
	/* a rule without a pattern, even when only blanks follow the colon */
	expect_error("leak:\n", SUPPRESS_ESYNTAX, 1);
	expect_error("leak:   \t\n", SUPPRESS_ESYNTAX, 1);
	expect_error("leak:a\nleak:b\nleak:", SUPPRESS_ESYNTAX, 3);
	/* a type that is not a lower-case word */
	expect_error("Leak:foo\n", SUPPRESS_ESYNTAX, 1);
	expect_error("leak :foo\n", SUPPRESS_ESYNTAX, 1);
	expect_error("le-ak:foo\n", SUPPRESS_ESYNTAX, 1);
	/* other rule types of the sanitizers */
	expect_error("race:foo\n", SUPPRESS_ETYPE, 1);
	expect_error("leak:a\n\n  called_from_lib:libfoo.so\n", SUPPRESS_ETYPE, 3);
	expect_error("# c\ninterceptor_via_fun:bar\n", SUPPRESS_ETYPE, 2);
	expect_error("leaks:foo\n", SUPPRESS_ETYPE, 1);
	expect_error("lea:foo\n", SUPPRESS_ETYPE, 1);
	/* the first bad line is the one reported */
	expect_error("leak:a\nrace:b\nnonsense\n", SUPPRESS_ETYPE, 2);
	expect_error("leak:a\nnonsense\nrace:b\n", SUPPRESS_ESYNTAX, 2);
	/* the pattern may itself hold colons */
	suppress_list *l = NULL;
	unsigned line;
	int rc = parse("leak:ns::Cache::put\n", &l, &line);
	CHECK(rc == 0 && suppress_count(l) == 1, "colons in pattern: rc %d", rc);
	if (rc == 0 && suppress_count(l) == 1)
		CHECK(strcmp(suppress_pattern(l, 0), "ns::Cache::put") == 0, "'%s'", suppress_pattern(l, 0));
	suppress_free(l);
}

static void test_match_pattern(void)
{
	static const struct {
		const char *pattern, *s;
		int match;
	} cases[] = {
		/* anywhere inside */
		{"cache", "lru_cache_put", 1},
		{"cache", "cache", 1},
		{"cache", "cach", 0},
		{"cache", "CACHE", 0}, /* case matters */
		{"lru_cache_put", "cache", 0},
		/* `*` */
		{"a*c", "xxabbbcxx", 1},
		{"a*c", "ac", 1},
		{"a*c", "ca", 0},
		{"*::detail::cache_node*", "std::detail::cache_node<int>::alloc", 1},
		{"*::detail::cache_node*", "detail::cache_node", 0},
		{"*", "anything", 1},
		{"**", "x", 1},
		{"a*b*c", "a_c_b", 0},
		{"a*b*c", "a_b_c", 1},
		/* backtracking: the first candidate for "ab" does not lead to a match */
		{"^ab*abc$", "ababab_abc", 1},
		{"^a*aab$", "aaab", 1},
		{"^*x*y$", "xaxy", 1},
		/* `^` */
		{"^init", "init_plugin", 1},
		{"^init", "re_init", 0},
		{"^init_plugin_registry$", "init_plugin_registry", 1},
		{"^init_plugin_registry$", "init_plugin_registry2", 0},
		{"^init_plugin_registry$", "_init_plugin_registry", 0},
		/* `$` anchors at the end and ends the pattern */
		{"registry$", "init_plugin_registry", 1},
		{"registry$", "registry_init", 0},
		{"foo$bar", "xfoo", 1},
		{"foo$bar", "foo$bar", 0},
		{"^$", "x", 0},
		{"^", "x", 1},
		/* `^` only counts at the start; other characters are literal */
		{"a^b", "xa^bx", 1},
		{"a^b", "ab", 0},
		{"a?c", "abc", 0},
		{"a?c", "a?c", 1},
		{"a.c", "abc", 0},
		{"[x]", "f[x]", 1},
		/* an empty string never matches */
		{"*", "", 0},
		{"^$", "", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int m = suppress_match_pattern(cases[i].pattern, cases[i].s);
		CHECK(m == cases[i].match, "pattern '%s' on '%s': %d, expected %d", cases[i].pattern,
		      cases[i].s, m, cases[i].match);
	}
	CHECK(suppress_match_pattern("x", NULL) == 0, "NULL string");
}

/* Builds a list from text (must parse). */
static suppress_list *must_parse(const char *text)
{
	suppress_list *l = NULL;
	unsigned line;
	int rc = parse(text, &l, &line);
	CHECK(rc == 0, "'%s': rc %d line %u", text, rc, line);
	return l;
}

static void test_match_frame(void)
{
	suppress_list *l = must_parse("leak:^make_node$\n"       /* 0: function */
				 "leak:^src/cache.c$\n"     /* 1: source file as recorded */
				 "leak:^libfoo.so.1$\n"     /* 2: module base name */
				 "leak:plugin\n");          /* 3: anywhere in any of them */
	if (!l)
		return;
	struct {
		sym_frame f;
		long rule;
	} cases[] = {
		{frame("make_node", "lib/list.c", "/usr/bin/app"), 0},
		{frame("make_node2", "lib/list.c", "/usr/bin/app"), -1},
		{frame("lru_put", "src/cache.c", "/usr/bin/app"), 1},
		/* the file is matched as recorded, not by its base name */
		{frame("lru_put", "/home/u/src/cache.c", "/usr/bin/app"), -1},
		{frame("lru_put", "cache.c", "/usr/bin/app"), -1},
		/* the module by its base name only */
		{frame("foo_init", "foo.c", "/usr/lib/x86_64-linux-gnu/libfoo.so.1"), 2},
		{frame("foo_init", "foo.c", "libfoo.so.1"), 2},
		{frame("foo_init", "foo.c", "/usr/lib/libfoo.so.1.2"), -1},
		/* unknown parts are skipped, the others still match */
		{frame(NULL, NULL, "/opt/libfoo.so.1"), 2},
		{frame(NULL, "src/cache.c", NULL), 1},
		{frame("make_node", NULL, NULL), 0},
		{frame(NULL, NULL, NULL), -1},
		{frame("", "", ""), -1},
		/* rules in file order: the first that matches wins */
		{frame("make_node", "src/cache.c", "/usr/lib/libfoo.so.1"), 0},
		{frame("load_plugin", "src/cache.c", "/usr/bin/app"), 1},
		{frame("x", "plugins/p.c", "/usr/bin/app"), 3},
		{frame("x", "x.c", "/usr/lib/plugin/libx.so"), -1}, /* directory, not base name */
		{frame("x", "x.c", "/usr/lib/libplugin.so"), 3},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long r = suppress_match_stack(l, &cases[i].f, 1);
		CHECK(r == cases[i].rule, "frame %zu (%s, %s, %s): rule %ld, expected %ld", i,
		      cases[i].f.function ? cases[i].f.function : "NULL",
		      cases[i].f.file ? cases[i].f.file : "NULL",
		      cases[i].f.module ? cases[i].f.module : "NULL", r, cases[i].rule);
	}
	suppress_free(l);

	/* frames outside every module read "[unknown]": that name is not matched */
	l = must_parse("leak:unknown\n");
	if (l) {
		sym_frame f = frame(NULL, NULL, "[unknown]");
		CHECK(suppress_match_stack(l, &f, 1) == -1, "[unknown] module matched");
		f.module = "/tmp/unknown_lib.so";
		CHECK(suppress_match_stack(l, &f, 1) == 0, "module unknown_lib.so not matched");
		suppress_free(l);
	}
}

static void test_match_stack(void)
{
	suppress_list *l = must_parse("leak:third_party_alloc\n"
				 "leak:^main$\n"
				 "leak:libfoo.so\n");
	if (!l)
		return;
	sym_frame st[] = {
		frame("xmalloc", "util.c", "/usr/bin/app"),
		frame("helper", "helper.c", "/usr/bin/app"),
		frame("third_party_alloc", "tp.c", "/usr/bin/app"),
		frame("main", "main.c", "/usr/bin/app"),
	};
	/* the innermost matching frame decides, whatever the rule order */
	CHECK(suppress_match_stack(l, st, 4) == 0, "got %ld", suppress_match_stack(l, st, 4));
	/* main alone (outer frames count too) */
	CHECK(suppress_match_stack(l, st + 3, 1) == 1, "got %ld", suppress_match_stack(l, st + 3, 1));
	CHECK(suppress_match_stack(l, st, 2) == -1, "got %ld", suppress_match_stack(l, st, 2));
	CHECK(suppress_match_stack(l, st, 0) == -1, "empty stack: %ld", suppress_match_stack(l, st, 0));
	/* an inner frame matching a later rule wins over an outer one matching an earlier rule */
	sym_frame st2[] = {
		frame(NULL, NULL, "/usr/lib/libfoo.so.3"),
		frame("third_party_alloc", "tp.c", "/usr/bin/app"),
	};
	CHECK(suppress_match_stack(l, st2, 2) == 2, "got %ld", suppress_match_stack(l, st2, 2));
	/* no list: never suppressed */
	CHECK(suppress_match_stack(NULL, st, 4) == -1, "NULL list");
	suppress_free(l);

	/* an empty list suppresses nothing */
	l = must_parse("# nothing\n");
	if (l) {
		CHECK(suppress_match_stack(l, st, 4) == -1, "empty list");
		suppress_free(l);
	}
}

/* Writes text to a new temporary file; returns its path in buf. */
static int write_temp(char *buf, size_t n, const char *text, size_t len)
{
	snprintf(buf, n, "/tmp/test_suppress.XXXXXX");
	int fd = mkstemp(buf);
	if (fd < 0)
		return -1;
	int ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static void test_load(void)
{
	char path[64];
	const char *text = "# suppressions\nleak:one\n\n  leak:two  \n";
	if (write_temp(path, sizeof(path), text, strlen(text))) {
		CHECK(0, "cannot write a temporary file");
		return;
	}
	suppress_list *l = NULL;
	unsigned line = 77;
	int rc = suppress_load(&l, path, &line);
	CHECK(rc == 0, "rc %d", rc);
	CHECK(line == 0, "line %u", line);
	CHECK(suppress_count(l) == 2, "count %zu", suppress_count(l));
	if (rc == 0 && suppress_count(l) == 2) {
		CHECK(strcmp(suppress_pattern(l, 0), "one") == 0 && suppress_line(l, 0) == 2, "'%s' %u",
		      suppress_pattern(l, 0), suppress_line(l, 0));
		CHECK(strcmp(suppress_pattern(l, 1), "two") == 0 && suppress_line(l, 1) == 4, "'%s' %u",
		      suppress_pattern(l, 1), suppress_line(l, 1));
	}
	suppress_free(l);
	unlink(path);

	/* a bad line: its number comes back */
	text = "leak:one\n# c\nthread:foo\n";
	if (write_temp(path, sizeof(path), text, strlen(text)) == 0) {
		l = (suppress_list *)(uintptr_t)1;
		rc = suppress_load(&l, path, &line);
		CHECK(rc == SUPPRESS_ETYPE, "rc %d", rc);
		CHECK(line == 3, "line %u", line);
		CHECK(l == NULL, "list set");
		unlink(path);
	}

	/* an empty file */
	if (write_temp(path, sizeof(path), "", 0) == 0) {
		rc = suppress_load(&l, path, &line);
		CHECK(rc == 0 && suppress_count(l) == 0, "empty file: rc %d", rc);
		suppress_free(l);
		unlink(path);
	}

	/* a missing file: SUPPRESS_EIO, errno ENOENT, no line */
	l = (suppress_list *)(uintptr_t)1;
	line = 5;
	errno = 0;
	rc = suppress_load(&l, "/nonexistent/dir/supp.txt", &line);
	int err = errno;
	CHECK(rc == SUPPRESS_EIO, "missing: rc %d", rc);
	CHECK(err == ENOENT, "missing: errno %d", err);
	CHECK(line == 0, "missing: line %u", line);
	CHECK(l == NULL, "missing: list set");

	/* a directory cannot be read */
	errno = 0;
	rc = suppress_load(&l, "/tmp", &line);
	err = errno;
	CHECK(rc == SUPPRESS_EIO, "directory: rc %d", rc);
	CHECK(err == EISDIR, "directory: errno %d", err);

	/* files over 16 MiB are refused with EFBIG */
	snprintf(path, sizeof(path), "/tmp/test_suppress.XXXXXX");
	int fd = mkstemp(path);
	if (fd >= 0) {
		int ok = ftruncate(fd, (16 << 20) + 1) == 0;
		close(fd);
		CHECK(ok, "ftruncate");
		errno = 0;
		rc = suppress_load(&l, path, &line);
		err = errno;
		CHECK(rc == SUPPRESS_EIO, "big: rc %d", rc);
		CHECK(err == EFBIG, "big: errno %d", err);
		/* exactly 16 MiB of blank lines is read (and holds no rule) */
		fd = open(path, O_WRONLY | O_TRUNC);
		if (fd >= 0) {
			char *blank = malloc(16 << 20);
			ok = 0;
			if (blank) {
				memset(blank, '\n', 16 << 20);
				ok = write(fd, blank, 16 << 20) == (16 << 20);
				free(blank);
			}
			close(fd);
			CHECK(ok, "writing 16 MiB");
			rc = suppress_load(&l, path, &line);
			CHECK(rc == 0 && suppress_count(l) == 0, "16 MiB: rc %d", rc);
			suppress_free(l);
		}
		unlink(path);
	}
}

/* ---- suppress_load_file: what it says ---- */

/* The lines a log was given, each followed by a newline. */
typedef struct said {
	char text[1024];
} said;

static void say(void *ctx, const char *line)
{
	said *s = ctx;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%s\n", line);
}

/* Loads path with suppress_load_file; *msg what it said. */
static int load_said(const char *path, suppress_list **out, said *msg)
{
	memset(msg, 0, sizeof(*msg));
	util_log log = {say, msg};
	return suppress_load_file(out, path, &log);
}

static void test_load_file(void)
{
	char path[64], want[256];
	said msg;
	suppress_list *l = NULL;
	const char *ok = "# ok\nleak:libfoo.so\n\nleak:^main$\n";
	if (write_temp(path, sizeof(path), ok, strlen(ok)) == 0) {
		int rc = load_said(path, &l, &msg);
		CHECK(rc == 0, "rc %d", rc);
		CHECK(msg.text[0] == '\0', "said '%s'", msg.text);
		CHECK(suppress_count(l) == 2, "count %zu", suppress_count(l));
		suppress_free(l);
		unlink(path);
	}
	const char *type = "leak:a\n\n# c\nrace:b\n";
	if (write_temp(path, sizeof(path), type, strlen(type)) == 0) {
		l = NULL;
		int rc = load_said(path, &l, &msg);
		CHECK(rc == SUPPRESS_ETYPE, "rc %d", rc);
		snprintf(want, sizeof(want), "%s:4: only leak: suppressions are supported\n", path);
		CHECK(strcmp(msg.text, want) == 0, "said '%s'", msg.text);
		CHECK(l == NULL, "list set");
		unlink(path);
	}
	const char *syntax = "leak:a\nleak:b\n  leak c\n";
	if (write_temp(path, sizeof(path), syntax, strlen(syntax)) == 0) {
		l = NULL;
		int rc = load_said(path, &l, &msg);
		CHECK(rc == SUPPRESS_ESYNTAX, "rc %d", rc);
		snprintf(want, sizeof(want), "%s:3: not a suppression (expected 'leak:PATTERN')\n",
			 path);
		CHECK(strcmp(msg.text, want) == 0, "said '%s'", msg.text);
		unlink(path);
	}
	l = NULL;
	int rc = load_said("/nonexistent/supp.txt", &l, &msg);
	CHECK(rc == SUPPRESS_EIO, "rc %d", rc);
	CHECK(strcmp(msg.text, "cannot read suppressions '/nonexistent/supp.txt': "
			       "No such file or directory\n") == 0,
	      "said '%s'", msg.text);
	CHECK(l == NULL, "list set");
	/* without a log nothing is said, and the code is the same */
	l = NULL;
	rc = suppress_load_file(&l, "/nonexistent/supp.txt", NULL);
	CHECK(rc == SUPPRESS_EIO && l == NULL, "rc %d", rc);
}

int main(void)
{
	test_strerror();
	test_parse_file();
	test_parse_empty();
	test_parse_not_nul_terminated();
	test_parse_errors();
	test_match_pattern();
	test_match_frame();
	test_match_stack();
	test_load();
	test_load_file();
	return check_summary();
}
