/*
 * cmd_export.c: `leakanalyze export --format FORMAT [OPTIONS] TRACE`, the trace in a format other
 * tools read: pprof (export_pprof.h), collapsed stacks (export_collapsed.h), massif
 * (export_massif.h) or speedscope (export_speedscope.h).
 *
 * Replays the trace (with the massif snapshot taker as the replay's observer for massif) over
 * the window of --from/--to, symbolizes and merges the stacks into entries as the report does,
 * leaves the leaks that --suppressions match out of the leaked kind, and writes the format to
 * standard output or -o FILE.  The figures are the report's (`leakanalyze --json` with the same
 * window and folding).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "export_collapsed.h"
#include "export_massif.h"
#include "export_pprof.h"
#include "export_speedscope.h"
#include "profile.h"
#include "suppress.h"
#include "trace.h"

enum { OPT_FORMAT = 256, OPT_KIND, OPT_AT_PEAK, OPT_FROM, OPT_TO, OPT_ALLOC_FRAMES, OPT_SUP };

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
	int kind_given, at_peak, show_alloc_frames;
	const char *output, *sup_path;
	cli_window win;
} opts;

/* Parses the command line into o.  Returns -1 when the command goes on, else its status. */
static int parse(int argc, char **argv, opts *o)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"kind", required_argument, NULL, 'k'},
		{"at-peak", no_argument, NULL, OPT_AT_PEAK},
		{"output", required_argument, NULL, 'o'},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"show-alloc-frames", no_argument, NULL, OPT_ALLOC_FRAMES},
		{"suppressions", required_argument, NULL, OPT_SUP},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
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
		case OPT_FROM:
		case OPT_TO:
			if (cli_window_option(&o->win, c == OPT_TO, optarg))
				return CLI_EXIT_ERROR;
			break;
		case OPT_ALLOC_FRAMES:
			o->show_alloc_frames = 1;
			break;
		case OPT_SUP:
			o->sup_path = optarg;
			break;
		default:
			return cli_option_other(c, argv, usage);
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
	if (o->format == F_PPROF && !o->output && isatty(STDOUT_FILENO))
		return cli_usage_error("export: not writing a gzipped profile to a terminal; use -o FILE "
				       "or a redirection");
	return -1;
}

static int write_format(const opts *o, const export_input *in, export_massif *ms, FILE *f)
{
	switch (o->format) {
	case F_PPROF: return export_pprof_write(in, o->at_peak, f);
	case F_COLLAPSED: return export_collapsed_write(in, o->kind, f);
	case F_MASSIF: return export_massif_write(ms, in, f);
	case F_SPEEDSCOPE: return export_speedscope_write(in, o->kind, f);
	case F_NONE: break;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	opts o;
	memset(&o, 0, sizeof(o));
	o.kind = PROFILE_LEAKED;
	int status = parse(argc, argv, &o);
	if (status >= 0)
		return status;
	const char *path = argv[optind];
	uint64_t from = 0, to = UINT64_MAX;
	if (cli_window_resolve(&o.win, path, &from, &to))
		return CLI_EXIT_ERROR;

	status = CLI_EXIT_ERROR;
	suppress_list *sup = NULL;
	trace *t = NULL;
	export_massif *ms = NULL;
	export_input in;
	memset(&in, 0, sizeof(in));
	FILE *out = NULL;
	if (o.sup_path && suppress_load_file(&sup, o.sup_path, &cli_log))
		goto done;
	if (trace_create(&t, path, &cli_log))
		goto done;
	int rc = trace_set_window(t, from, to);
	if (rc) {
		cli_error("%s", replay_strerror(rc));
		goto done;
	}
	if (o.format == F_MASSIF) {
		replay_observer obs;
		if (export_massif_create(&ms, from)) {
			cli_error("%s", export_strerror(EXPORT_ENOMEM));
			goto done;
		}
		export_massif_observer(ms, trace_replay(t), &obs);
		trace_set_observer(t, &obs);
	}
	if (trace_run(t, &cli_log) || trace_symbolize(t, o.show_alloc_frames, &cli_log))
		goto done;
	if (export_input_init(&in, path, trace_stacks(t), sup)) {
		cli_error("%s", export_strerror(EXPORT_ENOMEM));
		goto done;
	}
	in.window_from = cli_window_arg(&o.win, 0);
	in.window_to = cli_window_arg(&o.win, 1);
	if (!export_complete(&in))
		cli_error("%s: incomplete trace: the export covers what was recorded, and says so", path);
	out = o.output ? fopen(o.output, "wb") : stdout;
	if (!out) {
		cli_error("cannot open '%s': %s", o.output, strerror(errno));
		goto done;
	}
	rc = write_format(&o, &in, ms, out);
	if (!rc && (fflush(out) != 0 || ferror(out)))
		rc = EXPORT_EIO;
	if (o.output && fclose(out) != 0 && !rc)
		rc = EXPORT_EIO;
	out = NULL;
	if (rc) {
		cli_error("writing '%s': %s", o.output ? o.output : "standard output",
			  rc == EXPORT_EIO ? strerror(errno) : export_strerror(rc));
		goto done;
	}
	status = 0;
done:
	if (out && out != stdout)
		fclose(out);
	export_input_release(&in);
	export_massif_free(ms);
	trace_free(t);
	suppress_free(sup);
	return status;
}
