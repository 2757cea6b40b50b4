/*
 * cmd_report.c: `leakanalyze [report] [OPTIONS] TRACE`, the text or JSON report of a trace.
 * Replays the trace, symbolizes through sym and writes through report.c.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"
#include "report.h"
#include "sym.h"

enum { OPT_JSON = 256, OPT_ALLOC_FRAMES, OPT_COLOR };

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"top", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, OPT_JSON},
		{"show-alloc-frames", no_argument, NULL, OPT_ALLOC_FRAMES},
		{"color", optional_argument, NULL, OPT_COLOR},
		{"colour", optional_argument, NULL, OPT_COLOR},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	rep_options opt = {10, 0, 0};
	int json = 0;
	int color = -1; /* auto */
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
			opt.show_alloc_frames = 1;
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
		case 'h':
			cli_usage(stdout);
			return 0;
		case 'V':
			cli_version();
			return 0;
		case ':':
			return cli_usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return cli_usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("no trace file given");
	if (optind + 1 < argc)
		return cli_usage_error("one trace file at a time ('%s' is extra)", argv[optind + 1]);
	const char *path = argv[optind];
	if (color < 0)
		color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	opt.color = json ? 0 : color;

	rp_ctx *rp = NULL;
	sym_ctx *sym = NULL;
	rep_ctx *rep = NULL;
	int status = CLI_EXIT_ERROR;
	int rc = rp_create(&rp);
	if (rc) {
		cli_error("%s", rp_strerror(rc));
		goto out;
	}
	if (cli_replay(rp, path))
		goto out;
	rc = sym_create(&sym);
	if (rc) {
		cli_error("%s", sym_strerror(rc));
		goto out;
	}
	rc = rep_load_modules(sym, rp);
	if (rc)
		cli_error("%s: module records: %s", path, sym_strerror(rc));
	rc = rep_create(&rep, rp, sym, &opt);
	if (rc) {
		cli_error("%s", rep_strerror(rc));
		goto out;
	}
	rc = json ? rep_write_json(rep, stdout) : rep_write_text(rep, stdout);
	if (rc) {
		cli_error("writing the report: %s", rep_strerror(rc));
		goto out;
	}
	status = 0;
out:
	rep_free(rep);
	sym_free(sym);
	rp_free(rp);
	return status;
}
