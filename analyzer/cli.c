/*
 * cli.c: messages, usage text and option handling shared by the leakanalyze subcommands
 * (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "proto.h"
#include "text.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("leakanalyze: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void say(void *ctx, const char *line)
{
	(void)ctx;
	cli_error("%s", line);
}

const util_log cli_log = {say, NULL};

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("leakanalyze: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'leakanalyze --help' for more information.\n", stderr);
	return CLI_EXIT_ERROR;
}

void cli_usage(FILE *f)
{
	fputs("usage: leakanalyze [report] [OPTIONS] TRACE\n"
	      "       leakanalyze dump [--merged] TRACE\n"
	      "       leakanalyze diff [OPTIONS] BASE NEW\n"
	      "       leakanalyze check [OPTIONS] TRACE\n"
	      "\n"
	      "Analyze a heap trace recorded by leakrec.\n"
	      "\n"
	      "Commands:\n"
	      "  report   (default) summary, then the top stacks by leaked bytes, bytes live at\n"
	      "           the heap peak, number of allocations and temporary allocations\n"
	      "  dump     print every record of the trace as one line of text, in file order\n"
	      "  diff     compare two traces stack by stack; gates for CI (leakanalyze diff --help)\n"
	      "  check    gate one trace on leaked bytes and peak heap (leakanalyze check --help)\n"
	      "\n"
	      "Report options:\n"
	      "  -n, --top N            show N stacks per list (default 10); 0 shows every stack\n"
	      "                         with a non-zero figure\n"
	      "      --json             print one JSON object (format 1) instead of text\n"
	      "      --show-alloc-frames\n"
	      "                         keep allocator frames (operator new, __rust_alloc, ...) at\n"
	      "                         the top of stacks; by default they are folded\n"
	      "      --color[=WHEN]     colour the text report: auto (default: when stdout is a\n"
	      "                         terminal and NO_COLOR is unset), always, never\n"
	      "      --from T, --to T   restrict every section to a window: seconds from the start\n"
	      "                         (1.5, 250ms), percent of the run (50%), or a mark's label\n"
	      "      --points N         at most N points in the heap timeline (default 300)\n"
	      "      --frames N         show N frames of each stack (default: up to and with the\n"
	      "                         program's own frames; 0 shows all); JSON has every frame\n"
	      "\n"
	      "Dump options:\n"
	      "      --merged           print only the events, in the replay's merged time order\n"
	      "\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 success (problems in the trace are reported on stderr), 1 a diff or\n"
	      "check gate was crossed, 2 usage error or nothing readable in the trace.\n"
	      "See leakanalyze(1), leakanalyze-diff(1), leakanalyze-check(1).\n",
	      f);
}

void cli_version(void)
{
	printf("leakanalyze (leakrec) %s, trace format %d\n", PROTO_VERSION, TF_VERSION);
}

int cli_parse_count(const char *opt, const char *arg, unsigned *out)
{
	char *end;
	errno = 0;
	if (arg[0] < '0' || arg[0] > '9')
		return cli_usage_error("invalid count for %s: '%s'", opt, arg);
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return cli_usage_error("invalid count for %s: '%s'", opt, arg);
	*out = (unsigned)v;
	return 0;
}

int cli_option_other(int opt, char **argv, void (*usage)(FILE *f))
{
	switch (opt) {
	case 'h':
		usage(stdout);
		return 0;
	case 'V':
		cli_version();
		return 0;
	case ':':
		return cli_usage_error("option '%s' needs an argument", argv[optind - 1]);
	}
	return cli_usage_error("unrecognized option '%s'", argv[optind - 1]);
}

int cli_one_trace(int argc, char **argv, int first, const char *prefix)
{
	if (first >= argc)
		return cli_usage_error("%sno trace file given", prefix);
	if (first + 1 < argc)
		return cli_usage_error("%sone trace file at a time ('%s' is extra)", prefix,
				       argv[first + 1]);
	return 0;
}

int cli_keyed_load(cli_keyed *k, const char *path, enum stackkey_match match,
		   const suppress_list *sup)
{
	memset(k, 0, sizeof(*k));
	if (trace_load(&k->t, path, &cli_log))
		return CLI_EXIT_ERROR;
	if (keyset_build(&k->set, trace_stacks(k->t), match, sup)) {
		cli_error("%s", keyset_strerror(KEYSET_ENOMEM));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

void cli_keyed_release(cli_keyed *k)
{
	keyset_free(k->set);
	trace_free(k->t);
	memset(k, 0, sizeof(*k));
}

int cli_gate_option(cli_gate_opts *o, int opt, char **argv, void (*usage)(FILE *f))
{
	switch (opt) {
	case 'n':
		return cli_parse_count("-n", optarg, &o->top) ? CLI_EXIT_ERROR : -1;
	case CLI_OPT_JSON:
		o->json = 1;
		return -1;
	case CLI_OPT_MARKDOWN:
		o->markdown = 1;
		return -1;
	case CLI_OPT_SUPPRESSIONS:
		o->sup_path = optarg;
		return -1;
	case CLI_OPT_ALLOW_INCOMPLETE:
		o->allow_incomplete = 1;
		return -1;
	}
	return cli_option_other(opt, argv, usage);
}

int cli_gate_complete(const trace *t, int allow)
{
	const char *why = replay_get_summary(trace_replay(t))->incomplete;
	if (!why[0])
		return 0;
	if (allow) {
		cli_error("%s: incomplete trace (%s): gated anyway (--allow-incomplete)", trace_path(t),
			  why);
		return 0;
	}
	cli_error("%s: incomplete trace (%s): its live blocks are what was live when recording "
		  "stopped, not what leaked; --allow-incomplete gates it anyway",
		  trace_path(t), why);
	return CLI_EXIT_ERROR;
}

void cli_json_complete(json_writer *w, const char *prefix, const trace *t)
{
	const char *why = replay_get_summary(trace_replay(t))->incomplete;
	char key[64];
	snprintf(key, sizeof(key), "%scomplete", prefix);
	json_key(w, key);
	json_bool(w, !why[0]);
	snprintf(key, sizeof(key), "%sincomplete_reason", prefix);
	json_key(w, key);
	json_str(w, why[0] ? why : NULL);
}

void cli_put_incomplete(FILE *f, const char *label, const trace *t, int markdown)
{
	const char *why = replay_get_summary(trace_replay(t))->incomplete;
	if (!why[0])
		return;
	fputs(markdown ? "> **Incomplete trace** (" : "INCOMPLETE    ", f);
	fputs(label, f);
	fputs(markdown ? "): " : ": ", f);
	text_put(f, why);
	fputs(markdown ? "; live blocks are what was live when recording stopped, not what "
			 "leaked.\n\n"
		       : "; live blocks are what was live when recording stopped, not what leaked\n",
	      f);
}

void cli_json_use(json_writer *w, const char *key, uint64_t bytes, uint64_t allocations,
		  uint64_t stacks)
{
	if (key) {
		json_key(w, key);
		json_begin_object(w, 1);
	}
	json_key_uint(w, "bytes", bytes);
	json_key_uint(w, "allocations", allocations);
	json_key_uint(w, "stacks", stacks);
	if (key)
		json_end_object(w);
}

int cli_finish_output(const char *what, int jrc)
{
	if (jrc) {
		cli_error("writing the %s: %s", what, jrc == JSON_EIO ? strerror(errno) : json_strerror(jrc));
		return CLI_EXIT_ERROR;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the %s: %s", what, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	return 0;
}
