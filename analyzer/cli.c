/*
 * cli.c: messages, usage text and option handling shared by the leakanalyze subcommands
 * (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "proto.h"
#include "replay.h"

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
	      "       leakanalyze export --format FORMAT [OPTIONS] TRACE\n"
	      "\n"
	      "Analyze a heap trace recorded by leakrec.\n"
	      "\n"
	      "Commands:\n"
	      "  report   (default) summary, then the top stacks by leaked bytes, bytes live at\n"
	      "           the heap peak, number of allocations and temporary allocations\n"
	      "  dump     print every record of the trace as one line of text, in file order\n"
	      "  diff     compare two traces stack by stack; gates for CI (leakanalyze diff --help)\n"
	      "  check    gate one trace on leaked bytes and peak heap (leakanalyze check --help)\n"
	      "  export   write the trace for other tools: pprof, collapsed stacks, massif,\n"
	      "           speedscope (leakanalyze export --help)\n"
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
	      "\n"
	      "Dump options:\n"
	      "      --merged           print only the events, in the replay's merged time order\n"
	      "\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 success (problems in the trace are reported on stderr), 1 a diff or\n"
	      "check gate was crossed, 2 usage error or nothing readable in the trace.\n"
	      "See leakanalyze(1), leakanalyze-diff(1), leakanalyze-check(1), leakanalyze-export(1).\n",
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
	}
	return cli_option_other(opt, argv, usage);
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

/* ---- the window options ---- */

/* Parses "D[.D]" (at most 9 integer and 9 fractional digits) into value x 1e9; returns the end,
 * or NULL when s does not start with such a number. */
static const char *parse_decimal(const char *s, uint64_t *nano)
{
	uint64_t ip = 0, fp = 0;
	int nint = 0, nfrac = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9') {
		if (++nint > 9)
			return NULL;
		ip = ip * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (++nfrac > 9)
				return NULL;
			fp = fp * 10 + (uint64_t)(*p++ - '0');
		}
	}
	if (!nint && !nfrac)
		return NULL;
	for (int i = nfrac; i < 9; i++)
		fp *= 10;
	*nano = ip * 1000000000u + fp;
	return p;
}

static int parse_tspec(const char *opt, const char *arg, cli_tspec *out)
{
	memset(out, 0, sizeof(*out));
	out->arg = arg;
	if (strncmp(arg, "mark:", 5) == 0) {
		out->kind = CLI_T_MARK;
		out->label = arg + 5;
		return 0;
	}
	uint64_t nano;
	const char *end = parse_decimal(arg, &nano);
	if (!end) {
		if (!*arg)
			return cli_usage_error("invalid time for %s: '' (seconds, percent of the run "
					       "or a mark's label)",
					       opt);
		out->kind = CLI_T_MARK;
		out->label = arg;
		return 0;
	}
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0) {
		out->kind = CLI_T_NS;
		out->ns = nano;
	} else if (strcmp(end, "ms") == 0) {
		out->kind = CLI_T_NS;
		out->ns = nano / 1000u;
	} else if (strcmp(end, "%") == 0 && nano <= 100 * (uint64_t)1000000000u) {
		out->kind = CLI_T_PERCENT;
		out->pct_nano = nano;
	} else if (strcmp(end, "%") == 0) {
		return cli_usage_error("invalid time for %s: '%s' (a percent of the run is at most "
				       "100%%)",
				       opt, arg);
	} else {
		out->kind = CLI_T_MARK; /* "2 requests", "v1.2-started": a label */
		out->label = arg;
	}
	return 0;
}

/* Resolves a bound against the first pass (t may be NULL when no bound needs it); marks for
 * --to are searched at or after `after` first.  Returns 0 and *ns, or prints a usage error. */
static int resolve_tspec(const cli_tspec *ts, const char *opt, const replay_times *t, uint64_t after,
			 const char *path, uint64_t *ns)
{
	switch (ts->kind) {
	case CLI_T_NONE:
		return 0;
	case CLI_T_NS:
		*ns = ts->ns;
		return 0;
	case CLI_T_PERCENT:
		*ns = (uint64_t)((unsigned __int128)replay_times_duration(t) * ts->pct_nano /
				 (100 * (uint64_t)1000000000u));
		return 0;
	case CLI_T_MARK: {
		const replay_mark *found = NULL;
		for (size_t i = 0; i < replay_times_mark_count(t); i++) {
			const replay_mark *m = replay_times_mark_at(t, i);
			if (strcmp(m->label, ts->label) != 0)
				continue;
			if (!found || (found->time_ns < after && m->time_ns >= after))
				found = m;
		}
		if (found) {
			*ns = found->time_ns;
			return 0;
		}
		size_t n = replay_times_mark_count(t);
		if (!n)
			return cli_usage_error("%s: no mark labelled '%s' in '%s' (the trace has no "
					       "marks)",
					       opt, ts->label, path);
		char list[512];
		size_t len = 0;
		list[0] = '\0';
		for (size_t i = 0; i < n && len + 8 < sizeof(list); i++) {
			int w = snprintf(list + len, sizeof(list) - len, "%s'%s'", i ? ", " : "",
					 replay_times_mark_at(t, i)->label);
			if (w < 0 || (size_t)w >= sizeof(list) - len) {
				snprintf(list + len, sizeof(list) - len, ", ...");
				break;
			}
			len += (size_t)w;
		}
		return cli_usage_error("%s: no mark labelled '%s' in '%s' (marks: %s)", opt,
				       ts->label, path, list);
	}
	}
	return 0;
}

int cli_window_option(cli_window *w, int to, const char *arg)
{
	return parse_tspec(to ? "--to" : "--from", arg, to ? &w->to : &w->from);
}

const char *cli_window_arg(const cli_window *w, int to)
{
	const cli_tspec *ts = to ? &w->to : &w->from;
	return ts->kind != CLI_T_NONE ? ts->arg : NULL;
}

int cli_window_resolve(const cli_window *w, const char *path, uint64_t *from, uint64_t *to)
{
	const cli_tspec *f = &w->from, *t = &w->to;
	*from = 0;
	*to = UINT64_MAX;
	replay_times *times = NULL;
	int need = f->kind == CLI_T_PERCENT || f->kind == CLI_T_MARK || t->kind == CLI_T_PERCENT ||
		   t->kind == CLI_T_MARK;
	if (need) {
		tf_reader *r;
		if (trace_open(&r, path, &cli_log))
			return CLI_EXIT_ERROR;
		int rc = replay_scan_times(&times, r);
		tf_reader_close(r);
		if (rc == REPLAY_ENOTRACE) {
			/* the replay says why */
		} else if (rc) {
			cli_error("%s: %s", path, replay_strerror(rc));
			return CLI_EXIT_ERROR;
		}
		if (!times)
			return 0; /* nothing readable: the replay says so */
	}
	int status = resolve_tspec(f, "--from", times, 0, path, from);
	if (!status)
		status = resolve_tspec(t, "--to", times, *from, path, to);
	if (!status && times && t->kind != CLI_T_NONE && *to >= replay_times_duration(times))
		*to = UINT64_MAX; /* the end of the run: events at its very last nanosecond too */
	if (!status && *from > *to) {
		char a[32], b[32];
		snprintf(a, sizeof(a), "%" PRIu64 ".%09" PRIu64 " s", *from / 1000000000u,
			 *from % 1000000000u);
		snprintf(b, sizeof(b), "%" PRIu64 ".%09" PRIu64 " s", *to / 1000000000u,
			 *to % 1000000000u);
		status = cli_usage_error("--from '%s' (%s) is after --to '%s' (%s)", f->arg, a,
					 t->arg, b);
	}
	replay_times_free(times);
	return status;
}
