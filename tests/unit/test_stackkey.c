/*
 * test_stackkey: the pieces `diff` and `check` build their gates on (analyzer/stackkey.c): size
 * and limit parsing, limit crossing and formatting, symbolic stack keys built from synthetic
 * sym_frame arrays (clone suffixes, start-up frames, recursion, unknown functions, --match
 * lines, escaping), frames as one line and as markdown, and loading a suppression file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "frameclass.h"
#include "stackkey.h"
#include "text.h"

/* ---- sizes and limits ---- */

static void test_strerror(void)
{
	CHECK(strcmp(stackkey_strerror(STACKKEY_OK), "success") == 0, "%s", stackkey_strerror(STACKKEY_OK));
	CHECK(strcmp(stackkey_strerror(STACKKEY_ENOMEM), "out of memory") == 0, "%s", stackkey_strerror(STACKKEY_ENOMEM));
	CHECK(strcmp(stackkey_strerror(STACKKEY_EINPUT), "unreadable trace") == 0, "%s",
	      stackkey_strerror(STACKKEY_EINPUT));
	CHECK(strcmp(stackkey_strerror(STACKKEY_EINVAL), "invalid value") == 0, "%s", stackkey_strerror(STACKKEY_EINVAL));
	CHECK(strcmp(stackkey_strerror(42), "unknown error") == 0, "%s", stackkey_strerror(42));
}

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		/* plain numbers are bytes */
		{"0", 0},
		{"4096", 4096},
		{"007", 7},
		{"18446744073709551615", UINT64_MAX},
		/* B */
		{"512B", 512},
		{"512b", 512},
		/* powers of 1024, case-insensitive */
		{"10K", 10240},
		{"10k", 10240},
		{"10KiB", 10240},
		{"10kib", 10240},
		{"10KIB", 10240},
		{"3M", 3145728},
		{"3MiB", 3145728},
		{"2G", 2147483648ULL},
		{"2GiB", 2147483648ULL},
		{"1T", 1099511627776ULL},
		{"1TiB", 1099511627776ULL},
		/* powers of 1000 */
		{"5MB", 5000000},
		{"5mb", 5000000},
		{"10Kb", 10000},
		{"10KB", 10000},
		{"2GB", 2000000000ULL},
		{"1TB", 1000000000000ULL},
		/* fractions of the unit, rounded down to whole bytes */
		{"1.5MiB", 1572864},
		{"1.5M", 1572864},
		{"1.5MB", 1500000},
		{"0.5K", 512},
		{"1.1K", 1126},         /* 1126.4 */
		{"2.25GiB", 2415919104ULL},
		{"0.001KB", 1},
		{"0.0009KB", 0},         /* 0.9 bytes */
		{"1.5", 1},              /* a fraction of a byte */
		{"1.9B", 1},
		{"1.123456789999K", 1150}, /* 9 fraction digits count: 1024 + 126.419... */
		{"0.000000001T", 1099},  /* 1099.5 */
		/* the largest amounts */
		{"16777215T", 18446742974197923840ULL},
		{"16777215.5T", 18446743523953737728ULL},
		{"18446744073709551.615KB", UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 12345;
		int rc = stackkey_parse_size(good[i].s, &v);
		CHECK(rc == 0, "'%s': rc %d", good[i].s, rc);
		CHECK(v == good[i].v, "'%s': %" PRIu64 ", expected %" PRIu64, good[i].s, v, good[i].v);
	}
	static const char *const bad[] = {
		"", "K", "MiB", "-1", "+1", " 1", "1 ", "1 K", "1K ", "1.", ".5", "1..5", "1.5.5",
		"10X", "10Ki", "10KiBs", "10KK", "10e3", "0x10", "1,5M", "10%", "1E", "1PiB", "1MIBB",
		/* more than 2^64-1 bytes */
		"18446744073709551616", "99999999999999999999999", "16777216T", "17179869184G",
		"17179869184GiB", "18446744073709551.616KB", "18446744073709552K",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 12345;
		int rc = stackkey_parse_size(bad[i], &v);
		CHECK(rc == STACKKEY_EINVAL, "'%s': rc %d (value %" PRIu64 "), expected STACKKEY_EINVAL", bad[i],
		      rc, v);
	}
}

static void test_parse_limit(void)
{
	static const struct {
		const char *s;
		double value;
	} pct[] = {
		{"10%", 10.0}, {"0%", 0.0}, {"0.5%", 0.5}, {"150%", 150.0}, {"12.25%", 12.25},
		{"007%", 7.0},
	};
	for (int sizes = 0; sizes <= 1; sizes++) {
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
			stackkey_limit l;
			memset(&l, 0xab, sizeof(l));
			int rc = stackkey_parse_limit(pct[i].s, sizes, &l);
			CHECK(rc == 0, "'%s' sizes %d: rc %d", pct[i].s, sizes, rc);
			CHECK(l.percent == 1, "'%s': percent %d", pct[i].s, l.percent);
			CHECK(l.value == pct[i].value, "'%s': value %g", pct[i].s, l.value);
			CHECK(l.amount == 0, "'%s': amount %" PRIu64, pct[i].s, l.amount);
		}
	}
	/* with sizes: a size */
	static const struct {
		const char *s;
		uint64_t amount;
	} sz[] = {{"10K", 10240}, {"1.5MiB", 1572864}, {"5MB", 5000000}, {"4096", 4096},
		  {"0", 0}};
	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		stackkey_limit l;
		memset(&l, 0xab, sizeof(l));
		int rc = stackkey_parse_limit(sz[i].s, 1, &l);
		CHECK(rc == 0, "'%s': rc %d", sz[i].s, rc);
		CHECK(l.percent == 0, "'%s': percent %d", sz[i].s, l.percent);
		CHECK(l.amount == sz[i].amount, "'%s': amount %" PRIu64, sz[i].s, l.amount);
	}
	/* without sizes: a plain count */
	static const struct {
		const char *s;
		uint64_t amount;
	} cnt[] = {{"500", 500}, {"0", 0}, {"18446744073709551615", UINT64_MAX}};
	for (size_t i = 0; i < sizeof(cnt) / sizeof(cnt[0]); i++) {
		stackkey_limit l;
		memset(&l, 0xab, sizeof(l));
		int rc = stackkey_parse_limit(cnt[i].s, 0, &l);
		CHECK(rc == 0, "'%s': rc %d", cnt[i].s, rc);
		CHECK(l.percent == 0, "'%s': percent %d", cnt[i].s, l.percent);
		CHECK(l.amount == cnt[i].amount, "'%s': amount %" PRIu64, cnt[i].s, l.amount);
	}
	static const struct {
		const char *s;
		int sizes;
	} bad[] = {
		{"%", 0}, {"%", 1}, {"-5%", 0}, {"5%%", 0}, {"5 %", 0}, {" 5%", 0}, {".5%", 0},
		{"5.%", 0}, {"abc%", 1}, {"1e2%", 0}, {"10%x", 1}, {"5K%", 1}, {"", 0}, {"", 1},
		{"1.5", 0}, {"10K", 0}, {"-1", 0}, {"10X", 1}, {"18446744073709551616", 0},
		{"18446744073709551616%", 0},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		stackkey_limit l;
		int rc = stackkey_parse_limit(bad[i].s, bad[i].sizes, &l);
		CHECK(rc == STACKKEY_EINVAL, "'%s' sizes %d: rc %d, expected STACKKEY_EINVAL", bad[i].s,
		      bad[i].sizes, rc);
	}
}

static void test_limit_crossed(void)
{
	stackkey_limit zero = {0, 0.0, 0}, hundred = {0, 0.0, 100}, ten_pct = {1, 10.0, 0},
		 zero_pct = {1, 0.0, 0};
	/* more than the amount, never equal */
	CHECK(stackkey_limit_crossed(&zero, 10, 10) == 0, "zero: no change");
	CHECK(stackkey_limit_crossed(&zero, 10, 11) == 1, "zero: +1");
	CHECK(stackkey_limit_crossed(&zero, 10, 9) == 0, "zero: shrink");
	CHECK(stackkey_limit_crossed(&hundred, 10, 110) == 0, "hundred: +100");
	CHECK(stackkey_limit_crossed(&hundred, 10, 111) == 1, "hundred: +101");
	CHECK(stackkey_limit_crossed(&hundred, UINT64_MAX, 0) == 0, "hundred: shrink to 0");
	CHECK(stackkey_limit_crossed(&hundred, 0, UINT64_MAX) == 1, "hundred: huge");
	/* more than the percentage of base */
	CHECK(stackkey_limit_crossed(&ten_pct, 1000, 1100) == 0, "10%%: exactly 10%%");
	CHECK(stackkey_limit_crossed(&ten_pct, 1000, 1101) == 1, "10%%: 10.1%%");
	CHECK(stackkey_limit_crossed(&ten_pct, 1000, 900) == 0, "10%%: shrink");
	CHECK(stackkey_limit_crossed(&ten_pct, 0, 1) == 1, "10%%: base 0");
	CHECK(stackkey_limit_crossed(&ten_pct, 0, 0) == 0, "10%%: 0 to 0");
	CHECK(stackkey_limit_crossed(&zero_pct, 5, 5) == 0, "0%%: no change");
	CHECK(stackkey_limit_crossed(&zero_pct, 5, 6) == 1, "0%%: +1");

	/* parsed percentages that binary floating point cannot hold exactly: growing by exactly
	 * the limit passes, one more crosses */
	static const struct {
		const char *pct;
		uint64_t base, at_limit;
	} exact[] = {
		{"0.3%", 1000, 1003},
		{"0.7%", 1000, 1007},
		{"2.3%", 1000, 1023},
		{"33.3%", 1000, 1333},
		{"1.15%", 10000, 10115},
		{"0.1%", 1000, 1001},
		{"10%", 1000, 1100},
		{"0.000000001%", 100000000000ULL, 100000000001ULL},
		{"0.123456789%", 100000000000ULL, 100123456789ULL},
		{"50%", 1ULL << 62, (1ULL << 62) + (1ULL << 61)},
		{"100%", UINT64_MAX / 2, UINT64_MAX - 1},
	};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		stackkey_limit l;
		int rc = stackkey_parse_limit(exact[i].pct, 0, &l);
		CHECK(rc == 0, "'%s': rc %d", exact[i].pct, rc);
		CHECK(stackkey_limit_crossed(&l, exact[i].base, exact[i].at_limit) == 0,
		      "'%s': %" PRIu64 " -> %" PRIu64 " (exactly the limit) crossed", exact[i].pct,
		      exact[i].base, exact[i].at_limit);
		CHECK(stackkey_limit_crossed(&l, exact[i].base, exact[i].at_limit + 1) == 1,
		      "'%s': %" PRIu64 " -> %" PRIu64 " (over the limit) not crossed",
		      exact[i].pct, exact[i].base, exact[i].at_limit + 1);
	}
	/* an absurd percentage still compares */
	stackkey_limit huge = {1, 1e12, 0};
	CHECK(stackkey_limit_crossed(&huge, 1, 10000000001ULL) == 0, "1e12%%: at the limit");
	CHECK(stackkey_limit_crossed(&huge, 1, 10000000002ULL) == 1, "1e12%%: over the limit");
}

static void test_format(void)
{
	char buf[64];
	stackkey_limit ten = {1, 10.0, 0}, half = {1, 0.5, 0}, mib = {0, 0.0, 1048576},
		 small = {0, 0.0, 500};
	stackkey_format_limit(buf, sizeof(buf), &ten, 1);
	CHECK(strcmp(buf, "10%") == 0, "'%s'", buf);
	stackkey_format_limit(buf, sizeof(buf), &half, 0);
	CHECK(strcmp(buf, "0.5%") == 0, "'%s'", buf);
	stackkey_format_limit(buf, sizeof(buf), &mib, 1);
	CHECK(strcmp(buf, "1.0 MiB") == 0, "'%s'", buf);
	stackkey_format_limit(buf, sizeof(buf), &small, 1);
	CHECK(strcmp(buf, "500 B") == 0, "'%s'", buf);
	stackkey_format_limit(buf, sizeof(buf), &small, 0);
	CHECK(strcmp(buf, "500") == 0, "'%s'", buf);
	stackkey_format_limit(buf, sizeof(buf), &mib, 0);
	CHECK(strcmp(buf, "1048576") == 0, "'%s'", buf);

	text_format_size_change(buf, sizeof(buf), 0, 1536);
	CHECK(strcmp(buf, "+1.5 KiB") == 0, "'%s'", buf);
	text_format_size_change(buf, sizeof(buf), 1024, 512);
	CHECK(strcmp(buf, "-512 B") == 0, "'%s'", buf);
	text_format_size_change(buf, sizeof(buf), 5, 5);
	CHECK(strcmp(buf, "0 B") == 0, "'%s'", buf);

	CHECK(stackkey_change(10, 3) == -7, "%" PRId64, stackkey_change(10, 3));
	CHECK(stackkey_change(3, 10) == 7, "%" PRId64, stackkey_change(3, 10));
	CHECK(stackkey_change(0, UINT64_MAX) == INT64_MAX, "%" PRId64, stackkey_change(0, UINT64_MAX));
	CHECK(stackkey_change(UINT64_MAX, 0) == -INT64_MAX, "%" PRId64, stackkey_change(UINT64_MAX, 0));
}

/* ---- keys ---- */

/* A frame: function (NULL: unknown), source file and line, module path. */
static sym_frame fr(const char *function, const char *file, unsigned line, const char *module)
{
	sym_frame f;
	memset(&f, 0, sizeof(f));
	f.function = function;
	f.file = file;
	f.line = line;
	f.module = module;
	f.address = 0x401000 + line;
	f.module_offset = 0x1000 + line;
	return f;
}

#define APP "/usr/bin/app"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define N(a) (sizeof(a) / sizeof((a)[0]))

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

/* ---- output ---- */

/* Runs one of the frame writers into a string (caller frees). */
static char *frames_text(void (*wr)(FILE *, const sym_frame *, size_t, size_t),
			 const sym_frame *frames, size_t n, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	wr(f, frames, n, max);
	fclose(f);
	return buf;
}

static char *md_code(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	text_put_md_code(f, s);
	fclose(f);
	return buf;
}

static void check_str_at(int at, char *got, const char *want)
{
	CHECK(got && strcmp(got, want) == 0, "line %d: '%s', expected '%s'", at,
	      got ? got : "(null)", want);
	free(got);
}
#define check_str(got, want) check_str_at(__LINE__, got, want)

static void test_frames_output(void)
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

/* ---- suppression files, with their messages ---- */

/* Calls stackkey_load_suppressions(path) with stderr captured into *msg (caller frees). */
static int load_sup_captured(const char *path, suppress_list **out, char **msg)
{
	char tmp[] = "/tmp/test_stackkey.err.XXXXXX";
	*msg = NULL;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return 999;
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	int rc = stackkey_load_suppressions(path, out);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)size + 1);
	if (buf && pread(fd, buf, (size_t)size, 0) == (ssize_t)size)
		buf[size] = '\0';
	else if (buf)
		buf[0] = '\0';
	close(fd);
	unlink(tmp);
	*msg = buf;
	return rc;
}

static int write_file(char *path, size_t n, const char *text)
{
	snprintf(path, n, "/tmp/test_stackkey.sup.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static void test_load_suppressions(void)
{
	char path[64], want[256];
	char *msg;
	suppress_list *l = NULL;

	if (write_file(path, sizeof(path), "# ok\nleak:libfoo.so\n\nleak:^main$\n") == 0) {
		int rc = load_sup_captured(path, &l, &msg);
		CHECK(rc == 0, "rc %d", rc);
		CHECK(msg && msg[0] == '\0', "message '%s'", msg ? msg : "(null)");
		CHECK(suppress_count(l) == 2, "count %zu", suppress_count(l));
		free(msg);
		suppress_free(l);
		unlink(path);
	}
	if (write_file(path, sizeof(path), "leak:a\n\n# c\nrace:b\n") == 0) {
		l = NULL;
		int rc = load_sup_captured(path, &l, &msg);
		CHECK(rc == STACKKEY_EINPUT, "rc %d", rc);
		snprintf(want, sizeof(want),
			 "leakanalyze: %s:4: only leak: suppressions are supported\n", path);
		CHECK(msg && strcmp(msg, want) == 0, "message '%s'", msg ? msg : "(null)");
		CHECK(l == NULL, "list set");
		free(msg);
		unlink(path);
	}
	if (write_file(path, sizeof(path), "leak:a\nleak:b\n  leak c\n") == 0) {
		l = NULL;
		int rc = load_sup_captured(path, &l, &msg);
		CHECK(rc == STACKKEY_EINPUT, "rc %d", rc);
		snprintf(want, sizeof(want),
			 "leakanalyze: %s:3: not a suppression (expected 'leak:PATTERN')\n", path);
		CHECK(msg && strcmp(msg, want) == 0, "message '%s'", msg ? msg : "(null)");
		free(msg);
		unlink(path);
	}
	l = NULL;
	int rc = load_sup_captured("/nonexistent/supp.txt", &l, &msg);
	CHECK(rc == STACKKEY_EINPUT, "rc %d", rc);
	CHECK(msg && strcmp(msg, "leakanalyze: cannot read suppressions '/nonexistent/supp.txt': "
				 "No such file or directory\n") == 0,
	      "message '%s'", msg ? msg : "(null)");
	CHECK(l == NULL, "list set");
	free(msg);
}

int main(void)
{
	test_strerror();
	test_parse_size();
	test_parse_limit();
	test_limit_crossed();
	test_format();
	test_key_basic();
	test_key_clone_suffixes();
	test_key_startup();
	test_key_recursion();
	test_key_unknown();
	test_key_lines();
	test_key_escaping();
	test_frames_output();
	test_load_suppressions();
	return check_summary();
}
