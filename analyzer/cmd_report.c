/*
 * cmd_report.c: `leakanalyze [report] [OPTIONS] TRACE`, the text or JSON report of a trace.
 * Loads the trace (trace.h) with the growth analysis as the replay's observer and writes the
 * report model (report.h) as text or JSON.
 * --from/--to restrict it to a window of the run (cli_window_resolve).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "growth.h"
#include "replay.h"
#include "report.h"
#include "report_json.h"
#include "report_text.h"
#include "trace.h"

enum { OPT_JSON = 256, OPT_ALLOC_FRAMES, OPT_COLOR, OPT_FROM, OPT_TO, OPT_POINTS };

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
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	report_options opt = {10, 0};
	int show_alloc_frames = 0;
	int json = 0;
	int color = -1; /* auto */
	unsigned points = GROWTH_DEFAULT_POINTS;
	cli_window win;
	memset(&win, 0, sizeof(win));
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
			if (cli_window_option(&win, 0, optarg))
				return CLI_EXIT_ERROR;
			break;
		case OPT_TO:
			if (cli_window_option(&win, 1, optarg))
				return CLI_EXIT_ERROR;
			break;
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
	if (cli_window_resolve(&win, path, &from, &to))
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
	if (trace_run(t, &cli_log) || trace_symbolize(t, show_alloc_frames, &cli_log))
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
	report_set_window_args(rep, cli_window_arg(&win, 0), cli_window_arg(&win, 1));
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
