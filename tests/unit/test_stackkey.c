/*
 * test_stackkey: symbolic stack keys (analyzer/stackkey.c) built from synthetic sym_frame arrays:
 * clone suffixes, start-up frames, recursion, unknown functions, --match lines, escaping.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "frameclass.h"
#include "stackkey.h"

static void test_strerror(void)
{
	CHECK(strcmp(stackkey_strerror(STACKKEY_OK), "success") == 0, "%s", stackkey_strerror(STACKKEY_OK));
	CHECK(strcmp(stackkey_strerror(STACKKEY_ENOMEM), "out of memory") == 0, "%s",
	      stackkey_strerror(STACKKEY_ENOMEM));
	CHECK(strcmp(stackkey_strerror(42), "unknown error") == 0, "%s", stackkey_strerror(42));
}

/* Checks the key of frames[0..n) and its length. */
static void check_key_at(int at, const sym_frame *frames, size_t n, enum stackkey_match match,
			 const char *want)
{
	char *key = NULL;
	size_t len = 999;
	int rc = stackkey_key(frames, n, match, &key, &len);
	CHECK(rc == 0, "line %d: rc %d", at, rc);
	if (rc)
		return;
	CHECK(key && strcmp(key, want) == 0, "line %d: key '%s', expected '%s'", at,
	      key ? key : "(null)", want);
	CHECK(key && len == strlen(key), "line %d: len %zu", at, len);
	free(key);
}
#define check_key(frames, n, match, want) check_key_at(__LINE__, frames, n, match, want)

static void test_key_basic(void)
{
	sym_frame st[] = {
		fr("make_node", "src/list.c", 12, APP),
		fr("build_list", "src/list.c", 30, APP),
		fr("main", "src/main.c", 8, APP),
		fr("__libc_start_call_main", "../sysdeps/nptl/libc_start_call_main.h", 58, LIBC),
		fr("__libc_start_main_impl", "../csu/libc-start.c", 360, LIBC),
		fr("_start", NULL, 0, APP),
	};
	check_key(st, N(st), STACKKEY_MATCH_FUNCTIONS, "make_node;build_list;main");
	CHECK(frameclass_trim_startup(st, N(st)) == 3, "%zu", frameclass_trim_startup(st, N(st)));
	/* a prefix of the stack */
	check_key(st, 1, STACKKEY_MATCH_FUNCTIONS, "make_node");
	/* no frames: the empty key */
	check_key(st, 0, STACKKEY_MATCH_FUNCTIONS, "");
	check_key(st, 0, STACKKEY_MATCH_LINES, "");
	CHECK(frameclass_trim_startup(st, 0) == 0, "%zu", frameclass_trim_startup(st, 0));

	/* the same functions at other addresses, lines, folders and module paths (a rebuild, moved
	 * code, another checkout): the same key by function names */
	sym_frame moved[] = {
		fr("make_node", "/build/other/src/list.c", 99, "/opt/app/bin/app2"),
		fr("build_list", NULL, 0, "/opt/app/bin/app2"),
		fr("main", "main.c", 1, "/opt/app/bin/app2"),
		fr("_start", NULL, 0, "/opt/app/bin/app2"),
	};
	moved[1].inlined = 1;
	check_key(moved, N(moved), STACKKEY_MATCH_FUNCTIONS, "make_node;build_list;main");
	/* inlined frames are part of the key like any other */
	sym_frame inl[] = {
		fr("get", "h.h", 3, APP),
		fr("use", "u.c", 9, APP),
	};
	inl[0].inlined = 1;
	check_key(inl, N(inl), STACKKEY_MATCH_FUNCTIONS, "get;use");
}

static void test_key_clone_suffixes(void)
{
	static const struct {
		const char *function, *name;
	} cases[] = {
		{"lookup.constprop.0", "lookup"},
		{"parse.isra.0", "parse"},
		{"fill.part.0", "fill"},
		{"handler.cold", "handler"},
		{"handler.cold.12", "handler"},
		{"x.lto_priv.0", "x"},
		{"y.localalias", "y"},
		{"z.llvm.1234567890", "z"},
		{"w.constprop.0.isra.0", "w"},
		{"v.part.0.cold", "v"},
		{"u.isra.0.constprop.3.part.1", "u"},
		{"cpp_fn(int) [clone .isra.0]", "cpp_fn(int)"},
		{"cpp_fn(int) [clone .constprop.0] [clone .cold]", "cpp_fn(int)"},
		{"ns::Cls::method(char const*) const", "ns::Cls::method(char const*) const"},
		/* not clone suffixes: kept */
		{"foo.2", "foo.2"},
		{"foo.bar", "foo.bar"},
		{"foo.", "foo."},
		{"foo.cold_start", "foo.cold_start"},
		{"foo.colder", "foo.colder"},
		{"a.b.cold", "a.b"},
		{"main", "main"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		sym_frame st[] = {fr(cases[i].function, "x.c", 1, APP)};
		check_key_at((int)i, st, 1, STACKKEY_MATCH_FUNCTIONS, cases[i].name);
	}
	/* a clone and its original next to each other count once */
	sym_frame st[] = {
		fr("walk.part.0", "w.c", 10, APP),
		fr("walk", "w.c", 20, APP),
		fr("main", "m.c", 1, APP),
	};
	check_key(st, N(st), STACKKEY_MATCH_FUNCTIONS, "walk;main");
	/* with lines, the suffix goes and the file and line stay */
	check_key(st, N(st), STACKKEY_MATCH_LINES, "walk@w.c:10;walk@w.c:20;main@m.c:1");
}

static void test_key_startup(void)
{
	/* a thread's start-up frames */
	sym_frame thr[] = {
		fr("worker", "w.c", 5, APP),
		fr("start_thread", "pthread_create.c", 442, LIBC),
		fr("clone3", NULL, 0, LIBC),
	};
	check_key(thr, N(thr), STACKKEY_MATCH_FUNCTIONS, "worker");
	CHECK(frameclass_trim_startup(thr, N(thr)) == 1, "%zu", frameclass_trim_startup(thr, N(thr)));
	/* every start-up name is dropped at the outer end */
	static const char *const names[] = {
		"_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main",
		"start_thread", "clone", "clone3", "__clone", "__clone3",
	};
	for (size_t i = 0; i < N(names); i++) {
		sym_frame st[] = {fr("main", "m.c", 1, APP), fr(names[i], NULL, 0, LIBC)};
		check_key_at((int)i, st, 2, STACKKEY_MATCH_FUNCTIONS, "main");
		check_key_at((int)i, st, 2, STACKKEY_MATCH_LINES, "main@m.c:1");
	}
	/* only at the outer end: the same names inside the stack stay */
	sym_frame mid[] = {
		fr("cb", "cb.c", 3, APP),
		fr("clone", "clone.c", 7, APP),
		fr("_start", NULL, 0, APP),
		fr("main", "m.c", 1, APP),
		fr("_start", NULL, 0, APP),
	};
	check_key(mid, N(mid), STACKKEY_MATCH_FUNCTIONS, "cb;clone;_start;main");
	CHECK(frameclass_trim_startup(mid, N(mid)) == 4, "%zu", frameclass_trim_startup(mid, N(mid)));
	/* nothing but start-up frames: all kept */
	sym_frame only[] = {
		fr("start_thread", NULL, 0, LIBC),
		fr("clone3", NULL, 0, LIBC),
	};
	check_key(only, N(only), STACKKEY_MATCH_FUNCTIONS, "start_thread;clone3");
	CHECK(frameclass_trim_startup(only, N(only)) == 2, "%zu", frameclass_trim_startup(only, N(only)));
	/* unnamed frames of libc and the dynamic loader at the outer end are start-up frames */
	sym_frame unnamed[] = {
		fr("main", "m.c", 1, APP),
		fr(NULL, NULL, 0, LIBC),
		fr(NULL, NULL, 0, "/lib/libc-2.31.so"),
		fr(NULL, NULL, 0, "/lib64/ld-linux-x86-64.so.2"),
		fr(NULL, NULL, 0, "/lib/x86_64-linux-gnu/libpthread.so.0"),
	};
	check_key(unnamed, N(unnamed), STACKKEY_MATCH_FUNCTIONS, "main");
	CHECK(frameclass_trim_startup(unnamed, N(unnamed)) == 1, "%zu", frameclass_trim_startup(unnamed, N(unnamed)));
	/* ... but not inside the stack, and not other libraries */
	sym_frame qsort_cb[] = {
		fr("cmp", "c.c", 2, APP),
		fr(NULL, NULL, 0, LIBC),
		fr("main", "m.c", 1, APP),
		fr(NULL, NULL, 0, "/usr/lib/libcrypto.so.3"),
	};
	check_key(qsort_cb, N(qsort_cb), STACKKEY_MATCH_FUNCTIONS, "cmp;libc.so.6?;main;libcrypto.so.3?");
	CHECK(frameclass_trim_startup(qsort_cb, N(qsort_cb)) == 4, "%zu",
	      frameclass_trim_startup(qsort_cb, N(qsort_cb)));
}

static void test_key_recursion(void)
{
	sym_frame fib[] = {
		fr("fib", "fib.c", 5, APP),
		fr("fib", "fib.c", 7, APP),
		fr("fib", "fib.c", 7, APP),
		fr("fib", "fib.c", 7, APP),
		fr("main", "m.c", 1, APP),
	};
	check_key(fib, N(fib), STACKKEY_MATCH_FUNCTIONS, "fib;main");
	/* with lines, only equal lines are repeats */
	check_key(fib, N(fib), STACKKEY_MATCH_LINES, "fib@fib.c:5;fib@fib.c:7;main@m.c:1");
	/* a deeper recursion has the same key */
	check_key(fib + 2, N(fib) - 2, STACKKEY_MATCH_FUNCTIONS, "fib;main");
	/* repeats that are not adjacent are kept */
	sym_frame mutual[] = {
		fr("even", "e.c", 1, APP),
		fr("odd", "e.c", 2, APP),
		fr("even", "e.c", 1, APP),
		fr("odd", "e.c", 2, APP),
		fr("main", "m.c", 1, APP),
	};
	check_key(mutual, N(mutual), STACKKEY_MATCH_FUNCTIONS, "even;odd;even;odd;main");
	/* unknown frames of one module repeat as well */
	sym_frame unk[] = {
		fr(NULL, NULL, 0, "/usr/lib/libfoo.so.1"),
		fr(NULL, NULL, 0, "/usr/lib/libfoo.so.1"),
		fr("main", "m.c", 1, APP),
		fr("main", "m.c", 1, APP),
	};
	check_key(unk, N(unk), STACKKEY_MATCH_FUNCTIONS, "libfoo.so.1?;main");
	/* a repeat is not merged across a dropped start-up frame or with a prefix of a name */
	sym_frame pre[] = {
		fr("ab", "a.c", 1, APP),
		fr("a", "a.c", 1, APP),
		fr("abc", "a.c", 1, APP),
	};
	check_key(pre, N(pre), STACKKEY_MATCH_FUNCTIONS, "ab;a;abc");
}

static void test_key_unknown(void)
{
	sym_frame st[] = {
		fr(NULL, NULL, 0, "/usr/lib/x86_64-linux-gnu/libfoo.so.1"),
		fr(NULL, NULL, 0, "[unknown]"),
		fr("", NULL, 0, "/opt/libbar.so"),
		fr(NULL, NULL, 0, NULL),
		fr("main", "m.c", 1, APP),
	};
	check_key(st, N(st), STACKKEY_MATCH_FUNCTIONS,
		  "libfoo.so.1?;[unknown]?;libbar.so?;[unknown]?;main");
	/* with lines: frames without a file carry no "@" */
	check_key(st, N(st), STACKKEY_MATCH_LINES,
		  "libfoo.so.1?;[unknown]?;libbar.so?;[unknown]?;main@m.c:1");
	/* outside every module and no module at all read alike: adjacent, they count once */
	check_key(st + 3, 1, STACKKEY_MATCH_FUNCTIONS, "[unknown]?");
	sym_frame two[] = {fr(NULL, NULL, 0, "[unknown]"), fr(NULL, NULL, 0, NULL)};
	check_key(two, 2, STACKKEY_MATCH_FUNCTIONS, "[unknown]?");
	/* a module without folders is its own base name */
	sym_frame bare[] = {fr(NULL, NULL, 0, "app")};
	check_key(bare, 1, STACKKEY_MATCH_FUNCTIONS, "app?");
}

static void test_key_lines(void)
{
	sym_frame st[] = {
		fr("make_node", "/home/u/proj/src/list.c", 42, APP),
		fr("build_list", "src/list.c", 30, APP),
		fr("helper", NULL, 0, APP),
		fr("main", "main.c", 0, APP),
		fr("_start", "start.S", 115, APP),
	};
	check_key(st, N(st), STACKKEY_MATCH_LINES,
		  "make_node@list.c:42;build_list@list.c:30;helper;main@main.c:0");
	check_key(st, N(st), STACKKEY_MATCH_FUNCTIONS, "make_node;build_list;helper;main");
	/* a moved line is another key with lines, the same key without */
	sym_frame moved[] = {
		fr("make_node", "/ci/work/src/list.c", 43, APP),
		fr("build_list", "src/list.c", 30, APP),
		fr("helper", NULL, 0, APP),
		fr("main", "main.c", 0, APP),
	};
	check_key(moved, N(moved), STACKKEY_MATCH_LINES,
		  "make_node@list.c:43;build_list@list.c:30;helper;main@main.c:0");
	check_key(moved, N(moved), STACKKEY_MATCH_FUNCTIONS, "make_node;build_list;helper;main");
	sym_frame big[] = {fr("f", "f.c", 4294967295u, APP)};
	check_key(big, 1, STACKKEY_MATCH_LINES, "f@f.c:4294967295");
}

static void test_key_escaping(void)
{
	sym_frame st[] = {
		fr("a;b", "x.c", 1, APP),
		fr("back\\slash", "x.c", 1, APP),
		fr("tab\there", "x.c", 1, APP),
		fr("del\x7f", "x.c", 1, APP),
		fr("caf\xc3\xa9", "x.c", 1, APP),
		fr(NULL, NULL, 0, "/lib/we;ird\n.so"),
	};
	check_key(st, N(st), STACKKEY_MATCH_FUNCTIONS,
		  "a\\;b;back\\\\slash;tab\\x09here;del\\x7f;caf\xc3\xa9;we\\;ird\\x0a.so?");
	sym_frame file[] = {fr("f", "dir/odd;name\\.c", 3, APP)};
	check_key(file, 1, STACKKEY_MATCH_LINES, "f@odd\\;name\\\\.c:3");
	/* an escaped ';' never reads as a frame boundary: two frames differ from one */
	sym_frame two[] = {fr("a", "x.c", 1, APP), fr("b", "x.c", 1, APP)};
	sym_frame one[] = {fr("a;b", "x.c", 1, APP)};
	char *k2 = NULL, *k1 = NULL;
	size_t l2 = 0, l1 = 0;
	CHECK(stackkey_key(two, 2, STACKKEY_MATCH_FUNCTIONS, &k2, &l2) == 0, "two");
	CHECK(stackkey_key(one, 1, STACKKEY_MATCH_FUNCTIONS, &k1, &l1) == 0, "one");
	CHECK(k1 && k2 && strcmp(k1, k2) != 0, "'%s' vs '%s'", k1 ? k1 : "", k2 ? k2 : "");
	free(k1);
	free(k2);
}

int main(void)
{
	test_strerror();
	test_key_basic();
	test_key_clone_suffixes();
	test_key_startup();
	test_key_recursion();
	test_key_unknown();
	test_key_lines();
	test_key_escaping();
	return check_summary();
}
