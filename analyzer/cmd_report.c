/*
 * cmd_report.c: `leakanalyze [report] [OPTIONS] TRACE`, the text or JSON report of a trace.
 * Loads the trace (trace.h) with the growth analysis as the replay's observer and writes the
 * report model (report.h) as text or JSON.
 *
 * The options it shares with html and flamegraph (-n, --from/--to, --points,
 * --show-alloc-frames, --suppressions) and the loading are cli.h's (cli_report_load).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "report_json.h"
#include "report_text.h"

enum { OPT_COLOR = CLI_OPT_OWN };

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_REPORT_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"color", optional_argument, NULL, OPT_COLOR},
		{"colour", optional_argument, NULL, OPT_COLOR},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	cli_report_opts o;
	cli_report_opts_init(&o);
	o.lifetimes = 1; /* "Held longest", JSON lifetimes */
	int json = 0;
	int color = -1; /* auto */
	int c, rc;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_JSON:
			json = 1;
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
			if ((rc = cli_report_option(&o, c, argv, cli_usage)) >= 0)
				return rc;
		}
	}
	if (cli_one_trace(argc, argv, optind, ""))
		return CLI_EXIT_ERROR;
	const char *path = argv[optind];
	if (color < 0)
		color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	cli_report r;
	int status = CLI_EXIT_ERROR;
	if (cli_report_load(&r, path, &o))
		goto out;
	report_set_color(r.rep, json ? 0 : color);
	rc = json ? report_json_write(r.rep, stdout) : report_text_write(r.rep, stdout);
	if (rc) {
		cli_error("writing the report: %s", report_strerror(rc));
		goto out;
	}
	status = 0;
out:
	cli_report_release(&r);
	return status;
}
