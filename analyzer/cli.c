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
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "limit.h"
#include "proto.h"
#include "report_text.h"
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
	      "       leakanalyze html [OPTIONS] TRACE|BASE NEW [-o FILE]\n"
	      "       leakanalyze flamegraph [--kind K] [OPTIONS] TRACE|BASE NEW [-o FILE.svg]\n"
	      "       leakanalyze export --format FORMAT [OPTIONS] TRACE\n"
	      "\n"
	      "Analyze a heap trace recorded by leakrec.\n"
	      "\n"
	      "Commands:\n"
	      "  report   (default) summary, heap and RSS over time, then the top stacks by leaked\n"
	      "           bytes, bytes live at the heap peak, number of allocations and temporary\n"
	      "           allocations, the growth suspects and the allocation size histogram\n"
	      "  dump     print every record of the trace as one line of text, in file order\n"
	      "  diff     compare two traces stack by stack; gates for CI (leakanalyze diff --help)\n"
	      "  check    gate one trace on leaked bytes and peak heap (leakanalyze check --help)\n"
	      "  html     the report as one HTML file that opens offline: charts, flamegraphs,\n"
	      "           tables; of two traces, the comparison (leakanalyze html --help)\n"
	      "  flamegraph\n"
	      "           one flamegraph as a standalone SVG file (leakanalyze flamegraph --help)\n"
	      "  export   the trace for other tools: pprof, collapsed stacks, massif, speedscope\n"
	      "           (leakanalyze export --help)\n"
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
	      "      --suppressions FILE\n"
	      "                         leave leaks matched by FILE (leak:PATTERN lines) out of\n"
	      "                         the leak figures\n"
	      "\n"
	      "Dump options:\n"
	      "      --merged           print only the events, in the replay's merged time order\n"
	      "\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 success (problems in the trace are reported on stderr), 1 a diff or\n"
	      "check gate was crossed, 2 usage error or nothing readable in the trace.\n"
	      "See leakanalyze(1), leakanalyze-diff(1), leakanalyze-check(1), leakanalyze-html(1),\n"
	      "leakanalyze-export(1).\n",
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
	trace_say_notes(k->t, &cli_log);
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

int cli_gate_kinds(const trace *t, const char *option)
{
	const replay_summary *s = replay_get_summary(trace_replay(t));
	if (s->reach_applies)
		return 0;
	const char *why = !s->have_reach ? "it was recorded with --no-reachability or by an older leakrec"
			  : !s->reach.scanned ? s->reach_note
					      : "the window ends before the trace does";
	cli_error("%s: %s needs the leak kinds of the blocks live at the end, and this trace has none "
		  "(%s)",
		  trace_path(t), option, why[0] ? why : "the scan did not run");
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
	snprintf(key, sizeof(key), "%ssample_rate_bytes", prefix);
	json_key_uint(w, key, replay_get_header(trace_replay(t))->sample_rate);
}

void cli_put_incomplete(FILE *f, const char *label, const trace *t, int markdown)
{
	uint64_t rate = replay_get_header(trace_replay(t))->sample_rate;
	if (rate)
		fprintf(f, markdown ? "> **Sampled trace** (%s, `leakrec --sample %" PRIu64 "`): every "
				      "figure is an estimate, and the gates compare estimates.\n\n"
				    : "SAMPLED       %s: leakrec --sample %" PRIu64 ": every figure is an "
				      "estimate, and the gates compare estimates\n",
			label, rate);
	char att[512];
	if (report_text_attached(att, sizeof(att), trace_replay(t)) == 0) {
		fputs(markdown ? "> **Attached trace** (" : "ATTACHED      ", f);
		fputs(label, f);
		fputs(markdown ? "): " : ": ", f);
		text_put(f, att);
		fputs(markdown ? ".\n\n" : "\n", f);
	}
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

int cli_diff_option(keydiff *d, enum stackkey_match *match, int opt)
{
	gate *gt = NULL;
	int sizes = 0;
	switch (opt) {
	case CLI_OPT_MATCH:
		if (strcmp(optarg, "functions") == 0)
			*match = STACKKEY_MATCH_FUNCTIONS;
		else if (strcmp(optarg, "lines") == 0)
			*match = STACKKEY_MATCH_LINES;
		else
			return cli_usage_error("invalid argument for --match: '%s' (functions or lines)",
					       optarg);
		return 0;
	case CLI_OPT_NEW_LEAKS:
		d->gates[KEYDIFF_G_NEW_LEAKS].on = 1;
		return 0;
	case CLI_OPT_NEW_LOST:
		d->gates[KEYDIFF_G_NEW_LOST].on = 1;
		return 0;
	case CLI_OPT_LEAK_INC:
		gt = &d->gates[KEYDIFF_G_LEAK_INC];
		if (limit_parse_size(optarg, &gt->lim.amount))
			return cli_usage_error("invalid size for --max-leak-increase: '%s'", optarg);
		gt->on = 1;
		return 0;
	case CLI_OPT_PEAK_INC:
		gt = &d->gates[KEYDIFF_G_PEAK_INC];
		sizes = 1;
		break;
	case CLI_OPT_ALLOCS_INC:
		gt = &d->gates[KEYDIFF_G_ALLOCS_INC];
		break;
	default:
		return -1;
	}
	if (limit_parse(optarg, sizes, &gt->lim))
		return cli_usage_error("invalid limit for --%s: '%s' (N%% or %s)", gt->spec->name,
				       optarg, sizes ? "BYTES" : "COUNT");
	gt->on = 1;
	return 0;
}

int cli_two_traces(int argc, char **argv, int first, const char *cmd)
{
	if (argc - first < 2)
		return cli_usage_error("%s needs two traces: BASE and NEW", cmd);
	if (argc - first > 2)
		return cli_usage_error("%s takes two traces ('%s' is extra)", cmd, argv[first + 2]);
	return 0;
}

int cli_diff_load(cli_diff *x, const char *base, const char *new, enum stackkey_match match,
		  const suppress_list *sup)
{
	if (cli_keyed_load(&x->base, base, match, sup) || cli_keyed_load(&x->new, new, match, sup))
		return CLI_EXIT_ERROR;
	int rc = keydiff_build(&x->kd, x->base.set, replay_get_summary(trace_replay(x->base.t)),
			       x->new.set, replay_get_summary(trace_replay(x->new.t)));
	if (rc) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	return 0;
}

void cli_diff_release(cli_diff *x)
{
	keydiff_release(&x->kd);
	cli_keyed_release(&x->new);
	cli_keyed_release(&x->base);
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

/* ---- the report commands ---- */

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
	} else if (strcmp(end, "us") == 0) {
		out->kind = CLI_T_NS;
		out->ns = nano / 1000000u;
	} else if (strcmp(end, "min") == 0 || strcmp(end, "h") == 0) {
		uint64_t mul = end[0] == 'h' ? 3600 : 60;
		if (nano > UINT64_MAX / mul)
			return cli_usage_error("invalid time for %s: '%s' (too long)", opt, arg);
		out->kind = CLI_T_NS;
		out->ns = nano * mul;
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

/* Works out the window [*from, *to) of the command line; *to = UINT64_MAX: to the end. */
static int resolve_window(const cli_tspec *f, const cli_tspec *t, const char *path, uint64_t *from,
			  uint64_t *to)
{
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

void cli_report_opts_init(cli_report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->top = 10;
	o->points = GROWTH_DEFAULT_POINTS;
	o->frames = -1;
}

int cli_report_option(cli_report_opts *o, int opt, char **argv, void (*usage)(FILE *f))
{
	switch (opt) {
	case 'n':
		return cli_parse_count("-n", optarg, &o->top) ? CLI_EXIT_ERROR : -1;
	case CLI_OPT_ALLOC_FRAMES:
		o->show_alloc_frames = 1;
		return -1;
	case CLI_OPT_FROM:
		return parse_tspec("--from", optarg, &o->from) ? CLI_EXIT_ERROR : -1;
	case CLI_OPT_TO:
		return parse_tspec("--to", optarg, &o->to) ? CLI_EXIT_ERROR : -1;
	case CLI_OPT_POINTS:
		if (cli_parse_count("--points", optarg, &o->points))
			return CLI_EXIT_ERROR;
		if (o->points < 2 || o->points > GROWTH_MAX_POINTS)
			return cli_usage_error("invalid count for --points: '%s' (2 to %d)", optarg,
					       GROWTH_MAX_POINTS);
		return -1;
	case CLI_OPT_SUPPRESSIONS:
		o->sup_path = optarg;
		return -1;
	case CLI_OPT_FRAMES: {
		unsigned nf;
		if (cli_parse_count("--frames", optarg, &nf))
			return CLI_EXIT_ERROR;
		o->frames = (long)nf;
		return -1;
	}
	}
	return cli_option_other(opt, argv, usage);
}

int cli_report_one_trace_only(const cli_report_opts *o, const char **name)
{
	*name = o->from.kind ? "--from"
		: o->to.kind ? "--to"
		: o->points != GROWTH_DEFAULT_POINTS ? "--points"
		: o->show_alloc_frames ? "--show-alloc-frames"
		: NULL;
	return *name != NULL;
}

/* Two observers in turn (cli_report.obs). */
static void both_event(void *ctx, const replay_event *ev)
{
	const replay_observer *o = ctx;
	for (int i = 0; i < 2; i++)
		if (o[i].event)
			o[i].event(o[i].ctx, ev);
}

static void both_rss(void *ctx, uint64_t time_ns, uint64_t rss_bytes)
{
	const replay_observer *o = ctx;
	for (int i = 0; i < 2; i++)
		if (o[i].rss)
			o[i].rss(o[i].ctx, time_ns, rss_bytes);
}

int cli_report_load(cli_report *r, const char *path, const cli_report_opts *o)
{
	memset(r, 0, sizeof(*r));
	uint64_t from = 0, to = UINT64_MAX;
	if (resolve_window(&o->from, &o->to, path, &from, &to))
		return CLI_EXIT_ERROR;
	if (o->sup_path && suppress_load_file(&r->sup, o->sup_path, &cli_log))
		return CLI_EXIT_ERROR; /* said */
	if (trace_create(&r->t, path, &cli_log))
		return CLI_EXIT_ERROR;
	if (!o->lifetimes)
		trace_skip_lifetimes(r->t);
	int rc = trace_set_window(r->t, from, to);
	if (!rc)
		rc = growth_create(&r->gr, from, to, o->points);
	if (rc) {
		cli_error("%s", rc == GROWTH_ENOMEM ? growth_strerror(rc) : replay_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	replay_observer obs;
	growth_observer(r->gr, trace_replay(r->t), &obs);
	if (o->observer) {
		r->obs[0] = obs;
		o->observer(o->observer_ctx, trace_replay(r->t), &r->obs[1]);
		obs = (replay_observer){both_event, both_rss, r->obs};
	}
	trace_set_observer(r->t, &obs);
	if (trace_run(r->t, &cli_log))
		return CLI_EXIT_ERROR;
	const replay_summary *sum = replay_get_summary(trace_replay(r->t));
	if (o->from.kind && from > sum->duration_ns) {
		char a[48];
		text_format_time(a, sizeof(a), sum->duration_ns);
		return cli_usage_error("--from '%s' is after the end of the run (%s)", o->from.arg, a);
	}
	if (trace_symbolize(r->t, o->show_alloc_frames, &cli_log))
		return CLI_EXIT_ERROR;
	report_options opt = {o->top, 0, o->frames, r->sup};
	rc = report_create(&r->rep, trace_stacks(r->t), &opt);
	if (rc) {
		cli_error("%s", report_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	report_set_modules(r->rep, trace_sym(r->t));
	/* the growth suspects are entries, as every other list */
	symstack_set *st = trace_stacks(r->t);
	rc = growth_set_groups(r->gr, symstack_entry_map(st), symstack_count(st),
			       symstack_entry_count(st));
	if (!rc)
		rc = growth_finish(r->gr, trace_replay(r->t));
	if (rc) {
		cli_error("%s: %s", path, growth_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	report_set_growth(r->rep, r->gr);
	report_set_window_args(r->rep, o->from.kind ? o->from.arg : NULL,
			       o->to.kind ? o->to.arg : NULL);
	return 0;
}

void cli_report_release(cli_report *r)
{
	report_free(r->rep);
	growth_free(r->gr);
	trace_say_notes(r->t, &cli_log);
	trace_free(r->t);
	suppress_free(r->sup);
	memset(r, 0, sizeof(*r));
}

int cli_write_output(const char *path, int (*write)(void *ctx, FILE *f), void *ctx,
		     const char *(*describe)(int code))
{
	int to_stdout = strcmp(path, "-") == 0;
	char *tmp = NULL;
	FILE *f = stdout;
	int status = CLI_EXIT_ERROR;
	struct stat st;
	if (!to_stdout && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device, a FIFO (/dev/null, /dev/stdout): written in place; renaming a file over
		 * it would replace the device node */
		f = fopen(path, "w");
		if (!f) {
			cli_error("cannot open '%s': %s", path, strerror(errno));
			return CLI_EXIT_ERROR;
		}
	} else if (!to_stdout) {
		size_t n = strlen(path) + 5;
		tmp = malloc(n);
		if (!tmp) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
		snprintf(tmp, n, "%s.tmp", path);
		f = fopen(tmp, "w");
		if (!f) {
			cli_error("cannot create '%s': %s", tmp, strerror(errno));
			free(tmp);
			return CLI_EXIT_ERROR;
		}
	}
	errno = 0;
	int rc = write(ctx, f);
	int failed = fflush(f) != 0 || ferror(f);
	int saved = errno;
	if (!to_stdout && fclose(f) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (failed || rc) {
		cli_error("writing '%s': %s", to_stdout ? "standard output" : path,
			  failed ? strerror(saved) : describe(rc));
	} else if (tmp && rename(tmp, path) != 0) {
		cli_error("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
	} else {
		status = 0;
	}
	if (status && tmp)
		unlink(tmp);
	free(tmp);
	return status;
}

char *cli_output_path(const char *trace_path, const char *ext)
{
	size_t n = strlen(trace_path);
	if (n > 4 && strcmp(trace_path + n - 4, ".zst") == 0)
		n -= 4;
	char *out = malloc(n + strlen(ext) + 1);
	if (!out)
		return NULL;
	memcpy(out, trace_path, n);
	strcpy(out + n, ext);
	return out;
}
