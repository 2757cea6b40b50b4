/*
 * cmd_report.c: `leakanalyze [report] [OPTIONS] TRACE`, the text or JSON report of a trace.
 * Loads the trace (trace.h) with the growth analysis as the replay's observer and writes the
 * report model (report.h) as text or JSON.
 *
 * --from/--to take seconds from the start ("1.5", "1.5s", "250ms"), a percent of the run ("50%")
 * or a mark's label ("warmup done"; "mark:LABEL" when the label looks like a time).  Percent and
 * labels need the run's duration and marks before the replay starts: a first pass over the trace
 * (replay_scan_times: decompression and event times only, nothing replayed) is made only then.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "growth.h"
#include "replay.h"
#include "report.h"
#include "report_json.h"
#include "report_text.h"
#include "text.h"
#include "trace.h"

enum { OPT_JSON = 256, OPT_ALLOC_FRAMES, OPT_COLOR, OPT_FROM, OPT_TO, OPT_POINTS, OPT_FRAMES };

/* A window bound as given on the command line. */
typedef struct tspec {
	enum { T_NONE, T_NS, T_PERCENT, T_MARK } kind;
	uint64_t ns;        /* T_NS */
	uint64_t pct_nano;  /* T_PERCENT: the percentage x 1e9 */
	const char *label;  /* T_MARK */
	const char *arg;    /* as given */
} tspec;

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

static int parse_tspec(const char *opt, const char *arg, tspec *out)
{
	memset(out, 0, sizeof(*out));
	out->arg = arg;
	if (strncmp(arg, "mark:", 5) == 0) {
		out->kind = T_MARK;
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
		out->kind = T_MARK;
		out->label = arg;
		return 0;
	}
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0) {
		out->kind = T_NS;
		out->ns = nano;
	} else if (strcmp(end, "ms") == 0) {
		out->kind = T_NS;
		out->ns = nano / 1000u;
	} else if (strcmp(end, "us") == 0) {
		out->kind = T_NS;
		out->ns = nano / 1000000u;
	} else if (strcmp(end, "min") == 0 || strcmp(end, "h") == 0) {
		uint64_t mul = end[0] == 'h' ? 3600 : 60;
		if (nano > UINT64_MAX / mul)
			return cli_usage_error("invalid time for %s: '%s' (too long)", opt, arg);
		out->kind = T_NS;
		out->ns = nano * mul;
	} else if (strcmp(end, "%") == 0 && nano <= 100 * (uint64_t)1000000000u) {
		out->kind = T_PERCENT;
		out->pct_nano = nano;
	} else if (strcmp(end, "%") == 0) {
		return cli_usage_error("invalid time for %s: '%s' (a percent of the run is at most "
				       "100%%)",
				       opt, arg);
	} else {
		out->kind = T_MARK; /* "2 requests", "v1.2-started": a label */
		out->label = arg;
	}
	return 0;
}

/* Resolves a bound against the first pass (t may be NULL when no bound needs it); marks for
 * --to are searched at or after `after` first.  Returns 0 and *ns, or prints a usage error. */
static int resolve_tspec(const tspec *ts, const char *opt, const replay_times *t, uint64_t after,
			 const char *path, uint64_t *ns)
{
	switch (ts->kind) {
	case T_NONE:
		return 0;
	case T_NS:
		*ns = ts->ns;
		return 0;
	case T_PERCENT:
		*ns = (uint64_t)((unsigned __int128)replay_times_duration(t) * ts->pct_nano /
				 (100 * (uint64_t)1000000000u));
		return 0;
	case T_MARK: {
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
static int resolve_window(const tspec *f, const tspec *t, const char *path, uint64_t *from,
			  uint64_t *to)
{
	*from = 0;
	*to = UINT64_MAX;
	replay_times *times = NULL;
	int need = f->kind == T_PERCENT || f->kind == T_MARK || t->kind == T_PERCENT ||
		   t->kind == T_MARK;
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
	if (!status && times && t->kind != T_NONE && *to >= replay_times_duration(times))
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

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"top", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, OPT_JSON},
		{"show-alloc-frames", no_argument, NULL, OPT_ALLOC_FRAMES},
		{"color", optional_argument, NULL, OPT_COLOR},
		{"colour", optional_argument, NULL, OPT_COLOR},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"points", required_argument, NULL, OPT_POINTS},
		{"frames", required_argument, NULL, OPT_FRAMES},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	report_options opt = {10, 0, -1};
	int show_alloc_frames = 0;
	int json = 0;
	int color = -1; /* auto */
	unsigned points = GROWTH_DEFAULT_POINTS;
	tspec from_spec, to_spec;
	memset(&from_spec, 0, sizeof(from_spec));
	memset(&to_spec, 0, sizeof(to_spec));
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_count("-n", optarg, &opt.top))
				return CLI_EXIT_ERROR;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_ALLOC_FRAMES:
			show_alloc_frames = 1;
			break;
		case OPT_FROM:
			if (parse_tspec("--from", optarg, &from_spec))
				return CLI_EXIT_ERROR;
			break;
		case OPT_TO:
			if (parse_tspec("--to", optarg, &to_spec))
				return CLI_EXIT_ERROR;
			break;
		case OPT_FRAMES: {
			unsigned nf;
			if (cli_parse_count("--frames", optarg, &nf))
				return CLI_EXIT_ERROR;
			opt.frames = (long)nf;
			break;
		}
		case OPT_POINTS:
			if (cli_parse_count("--points", optarg, &points))
				return CLI_EXIT_ERROR;
			if (points < 2 || points > GROWTH_MAX_POINTS)
				return cli_usage_error("invalid count for --points: '%s' (2 to %d)",
						       optarg, GROWTH_MAX_POINTS);
			break;
		case OPT_COLOR:
			if (!optarg || strcmp(optarg, "always") == 0)
				color = 1;
			else if (strcmp(optarg, "never") == 0)
				color = 0;
			else if (strcmp(optarg, "auto") == 0)
				color = -1;
			else
				return cli_usage_error("invalid argument for --color: '%s' (auto, always "
						       "or never)",
						       optarg);
			break;
		default:
			return cli_option_other(c, argv, cli_usage);
		}
	}
	if (cli_one_trace(argc, argv, optind, ""))
		return CLI_EXIT_ERROR;
	const char *path = argv[optind];
	if (color < 0)
		color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	opt.color = json ? 0 : color;

	uint64_t from = 0, to = UINT64_MAX;
	if (resolve_window(&from_spec, &to_spec, path, &from, &to))
		return CLI_EXIT_ERROR;

	trace *t = NULL;
	report_ctx *rep = NULL;
	growth_ctx *gr = NULL;
	int status = CLI_EXIT_ERROR;
	if (trace_create(&t, path, &cli_log))
		goto out;
	int rc = trace_set_window(t, from, to);
	if (!rc)
		rc = growth_create(&gr, from, to, points);
	if (rc) {
		cli_error("%s", rc == GROWTH_ENOMEM ? growth_strerror(rc) : replay_strerror(rc));
		goto out;
	}
	replay_observer obs;
	growth_observer(gr, trace_replay(t), &obs);
	trace_set_observer(t, &obs);
	if (trace_run(t, &cli_log))
		goto out;
	const replay_summary *sum = replay_get_summary(trace_replay(t));
	if (from_spec.kind && from > sum->duration_ns) {
		char a[48];
		text_format_time(a, sizeof(a), sum->duration_ns);
		status = cli_usage_error("--from '%s' is after the end of the run (%s)", from_spec.arg,
					 a);
		goto out;
	}
	if (trace_symbolize(t, show_alloc_frames, &cli_log))
		goto out;
	rc = report_create(&rep, trace_stacks(t), &opt);
	if (rc) {
		cli_error("%s", report_strerror(rc));
		goto out;
	}
	/* the growth suspects are entries, as every other list */
	rc = growth_set_groups(gr, symstack_entry_map(trace_stacks(t)), symstack_count(trace_stacks(t)),
			       symstack_entry_count(trace_stacks(t)));
	if (!rc)
		rc = growth_finish(gr, trace_replay(t));
	if (rc) {
		cli_error("%s: %s", path, growth_strerror(rc));
		goto out;
	}
	report_set_growth(rep, gr);
	report_set_window_args(rep, from_spec.kind ? from_spec.arg : NULL,
			    to_spec.kind ? to_spec.arg : NULL);
	rc = json ? report_json_write(rep, stdout) : report_text_write(rep, stdout);
	if (rc) {
		cli_error("writing the report: %s", report_strerror(rc));
		goto out;
	}
	status = 0;
out:
	report_free(rep);
	growth_free(gr);
	trace_free(t);
	return status;
}
