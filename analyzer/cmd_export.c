/*
 * cmd_export.c: `leakanalyze export --format FORMAT [OPTIONS] TRACE`, the trace in a format other
 * tools read: pprof (export_pprof.h), collapsed stacks (export_collapsed.h), massif
 * (export_massif.h) or speedscope (export_speedscope.h).
 *
 * Loads the trace into the report model as the report does (cli_report_load: the window of
 * --from/--to, folding, --suppressions; for massif the snapshot taker beside the growth analysis)
 * and writes the format to standard output or -o FILE (cli_write_output: FILE.tmp, renamed when
 * complete).  The figures are the report's (`leakanalyze --json` with the same
 * window and folding).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "estimate.h"
#include "export.h"
#include "export_collapsed.h"
#include "export_massif.h"
#include "export_pprof.h"
#include "export_speedscope.h"
#include "profile.h"

enum { OPT_AT_PEAK = CLI_OPT_OWN };

enum format { F_NONE, F_PPROF, F_COLLAPSED, F_MASSIF, F_SPEEDSCOPE };
static void usage(FILE *f)
{
	fputs("usage: leakanalyze export --format FORMAT [OPTIONS] TRACE\n"
	      "\n"
	      "Write the trace in a format other tools read; the figures are leakanalyze's own.\n"
	      "\n"
	      "Formats:\n"
	      "  pprof       gzipped profile.proto: go tool pprof, Pyroscope, Grafana, Parca\n"
	      "              (alloc_objects, alloc_space, inuse_objects, inuse_space)\n"
	      "  collapsed   one 'root;...;leaf COUNT' line per stack: flamegraph.pl, inferno,\n"
	      "              speedscope\n"
	      "  massif      snapshots of the heap over the run: ms_print, massif-visualizer\n"
	      "  speedscope  speedscope's JSON file format, one profile per kind\n"
	      "\n"
	      "Options:\n"
	      "  -f, --format FORMAT    pprof, collapsed, massif or speedscope (required)\n"
	      "  -k, --kind KIND        collapsed: the figure counted (default leaked); speedscope:\n"
	      "                         the profile shown first.  leaked (bytes live at the end),\n"
	      "                         peak (bytes live at the heap peak), allocations, allocated\n"
	      "                         (bytes), temporary (allocations)\n"
	      "      --at-peak          pprof: in use means live at the heap peak, not at the end\n"
	      "  -o, --output FILE      write to FILE instead of standard output\n"
	      "      --from T, --to T   restrict the figures to a window, as the report does\n"
	      "      --show-alloc-frames\n"
	      "                         keep allocator frames (operator new, ...) at the top of\n"
	      "                         stacks; by default they are folded, as in the report\n"
	      "      --suppressions FILE\n"
	      "                         leave the leaks that FILE's LeakSanitizer rules (leak:PATTERN)\n"
	      "                         match out of the leaked figures\n"
	      "  -h, --help             show this help and exit\n"
	      "\n"
	      "Environment: DEBUGINFOD_URLS (debug info from debuginfod servers, see leakanalyze(1)).\n"
	      "Exit status: 0 written, 2 usage error, unreadable trace or write error.\n"
	      "See leakanalyze-export(1).\n",
	      f);
}

static int parse_format(const char *arg, enum format *out)
{
	static const struct {
		const char *name;
		enum format f;
	} formats[] = {{"pprof", F_PPROF}, {"collapsed", F_COLLAPSED}, {"massif", F_MASSIF},
		       {"speedscope", F_SPEEDSCOPE}};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(arg, formats[i].name) == 0) {
			*out = formats[i].f;
			return 0;
		}
	}
	return cli_usage_error("export: unknown format '%s' (pprof, collapsed, massif or "
			       "speedscope)",
			       arg);
}

typedef struct opts {
	enum format format;
	enum profile_kind kind;
	int kind_given, at_peak;
	const char *output; /* "-": standard output */
	cli_report_opts rep; /* the window, folding and suppressions */
} opts;

/* Parses the command line into o.  Returns -1 when the command goes on, else its status. */
static int parse(int argc, char **argv, opts *o)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"kind", required_argument, NULL, 'k'},
		{"at-peak", no_argument, NULL, OPT_AT_PEAK},
		{"output", required_argument, NULL, 'o'},
		{"from", required_argument, NULL, CLI_OPT_FROM},
		{"to", required_argument, NULL, CLI_OPT_TO},
		{"show-alloc-frames", no_argument, NULL, CLI_OPT_ALLOC_FRAMES},
		{"suppressions", required_argument, NULL, CLI_OPT_SUPPRESSIONS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:k:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &o->format))
				return CLI_EXIT_ERROR;
			break;
		case 'k':
			if (profile_kind_parse(optarg, &o->kind))
				return cli_usage_error("export: unknown kind '%s' (leaked, peak, allocations, "
						       "allocated or temporary)",
						       optarg);
			o->kind_given = 1;
			break;
		case OPT_AT_PEAK:
			o->at_peak = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		default:
			if ((rc = cli_report_option(&o->rep, c, argv, usage)) >= 0)
				return rc;
		}
	}
	if (cli_one_trace(argc, argv, optind, "export: "))
		return CLI_EXIT_ERROR;
	if (o->format == F_NONE)
		return cli_usage_error("export: no --format given (pprof, collapsed, massif or "
				       "speedscope)");
	if (o->kind_given && o->format != F_COLLAPSED && o->format != F_SPEEDSCOPE)
		return cli_usage_error("export: --kind applies to collapsed and speedscope only (pprof "
				       "holds every figure, massif the heap over time)");
	if (o->at_peak && o->format != F_PPROF)
		return cli_usage_error("export: --at-peak applies to pprof only");
	if (o->format == F_PPROF && strcmp(o->output, "-") == 0 && isatty(STDOUT_FILENO))
		return cli_usage_error("export: not writing a gzipped profile to a terminal; use -o FILE "
				       "or a redirection");
	return -1;
}

/* What the output callback writes. */
typedef struct job {
	const opts *o;
	const export_input *in;
	export_massif *ms;
} job;

static int write_format(void *ctx, FILE *f)
{
	const job *jb = ctx;
	switch (jb->o->format) {
	case F_PPROF: return export_pprof_write(jb->in, jb->o->at_peak, f);
	case F_COLLAPSED: return export_collapsed_write(jb->in, jb->o->kind, f);
	case F_MASSIF: return export_massif_write(jb->ms, jb->in, f);
	case F_SPEEDSCOPE: return export_speedscope_write(jb->in, jb->o->kind, f);
	case F_NONE: break;
	}
	return 0;
}

static void massif_observer(void *ctx, const replay_ctx *rp, replay_observer *obs)
{
	export_massif_observer(ctx, rp, obs);
}

int cmd_export(int argc, char **argv)
{
	opts o;
	memset(&o, 0, sizeof(o));
	o.kind = PROFILE_LEAKED;
	o.output = "-";
	cli_report_opts_init(&o.rep);
	int status = parse(argc, argv, &o);
	if (status >= 0)
		return status;
	const char *path = argv[optind];
	export_massif *ms = NULL;
	if (o.format == F_MASSIF) {
		if (export_massif_create(&ms)) {
			cli_error("%s", export_strerror(EXPORT_ENOMEM));
			return CLI_EXIT_ERROR;
		}
		o.rep.observer = massif_observer;
		o.rep.observer_ctx = ms;
	}
	cli_report r;
	status = cli_report_load(&r, path, &o.rep);
	if (!status) {
		export_input in;
		export_input_init(&in, path, r.rep);
		if (!export_complete(&in))
			cli_error("%s: incomplete trace (%s): the export covers what was recorded, and "
				  "says so",
				  path, replay_get_summary(in.rp)->incomplete);
		if (replay_get_header(in.rp)->sample_rate)
			cli_error("%s: a sampled trace (leakrec --sample %" PRIu64 "): the exported "
				  "figures are estimates%s", path, replay_get_header(in.rp)->sample_rate,
				  o.format == F_COLLAPSED ? "" : ", and the export says so");
		job jb = {&o, &in, ms};
		if (replay_get_header(in.rp)->sample_rate && o.format == F_COLLAPSED &&
		    o.kind == PROFILE_TEMPORARY) {
			cli_error("%s: temporary allocations are %s", path, ESTIMATE_WHY_NO_TEMPORARY);
			status = CLI_EXIT_ERROR;
		} else {
			status = cli_write_output(o.output, write_format, &jb, export_strerror);
		}
	}
	cli_report_release(&r);
	export_massif_free(ms);
	return status;
}
