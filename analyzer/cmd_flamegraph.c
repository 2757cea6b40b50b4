/*
 * cmd_flamegraph.c: `leakanalyze flamegraph [--kind K] [OPTIONS] TRACE [-o FILE.svg]`, one
 * flamegraph as a standalone SVG file (svg.h), and `leakanalyze flamegraph BASE NEW`, a
 * differential one (the new run's widths, grew red, shrank blue).
 *
 * Traces are loaded as the report loads them (cli_report_load), so the frames' figures add up to
 * those of --json with the same options; the tree is profile.h's.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "estimate.h"
#include "profile.h"
#include "svg.h"
#include "text.h"

enum { OPT_KIND = CLI_OPT_OWN, OPT_INVERTED };

static void usage(FILE *f)
{
	fputs("usage: leakanalyze flamegraph [OPTIONS] TRACE [-o FILE.svg]\n"
	      "       leakanalyze flamegraph [OPTIONS] BASE NEW [-o FILE.svg]\n"
	      "\n"
	      "Write a flamegraph of a trace as one SVG file (click to zoom, search, tooltips with\n"
	      "the exact figures), root on top.  With two traces, a differential flamegraph: the\n"
	      "widths of NEW, frames that grew red and frames that shrank blue.\n"
	      "\n"
	      "Options:\n"
	      "      --kind K           leaked (default), peak, allocations, allocated or temporary\n"
	      "      --inverted         bottom-up: the allocating functions on top\n"
	      "  -o, --output FILE      write to FILE ('-': standard output); default TRACE with\n"
	      "                         .KIND.svg for .zst (NEW with .diff.KIND.svg)\n"
	      "      --from T, --to T   restrict the figures to a window (one trace): seconds,\n"
	      "                         percent of the run (50%), or a mark's label\n"
	      "      --show-alloc-frames\n"
	      "                         keep allocator frames at the top of stacks\n"
	      "      --suppressions FILE\n"
	      "                         leave leaks matched by FILE (leak:PATTERN lines) out of\n"
	      "                         the leaked flamegraph\n"
	      "\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 written, 2 usage or input error.  See leakanalyze-html(1).\n",
	      f);
}

typedef struct graph {
	const profile_tree *t, *base;
	svg_options o;
} graph;

static int write_graph(void *ctx, FILE *f)
{
	const graph *g = ctx;
	return svg_write(f, g->t, g->base, &g->o);
}

static const char *describe(int code) { return svg_strerror(code); }

/* The program of a report, as its text report names it: argv[0] or the executable. */
static const char *program(const cli_report *r)
{
	const replay_header *h = replay_get_header(trace_replay(r->t));
	return h->argc ? h->argv[0] : h->exe;
}

int cmd_flamegraph(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_REPORT_LONGOPTS,
		{"kind", required_argument, NULL, OPT_KIND},
		{"inverted", no_argument, NULL, OPT_INVERTED},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	cli_report_opts o;
	cli_report_opts_init(&o);
	enum profile_kind kind = PROFILE_LEAKED;
	int inverted = 0, c, rc;
	const char *out = NULL;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KIND:
			if (profile_kind_parse(optarg, &kind))
				return cli_usage_error("invalid kind for --kind: '%s' (leaked, peak, "
						       "allocations, allocated or temporary)",
						       optarg);
			break;
		case OPT_INVERTED:
			inverted = 1;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			if ((rc = cli_report_option(&o, c, argv, usage)) >= 0)
				return rc;
		}
	}
	int n = argc - optind;
	if (n < 1)
		return cli_usage_error("flamegraph: no trace file given");
	if (n > 2)
		return cli_usage_error("flamegraph takes one trace, or two (BASE NEW): '%s' is extra",
				       argv[optind + 2]);
	if (n == 2 && (o.from.kind || o.to.kind))
		return cli_usage_error("flamegraph: %s takes one trace, not BASE NEW",
				       o.from.kind ? "--from" : "--to");

	char ext[64];
	snprintf(ext, sizeof(ext), "%s.%s.svg", n == 2 ? ".diff" : "", profile_kind_name(kind));
	char *def = NULL;
	if (!out && !(out = def = cli_output_path(argv[argc - 1], ext))) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	cli_report r[2];
	memset(r, 0, sizeof(r));
	profile_tree *t[2] = {NULL, NULL};
	int status = CLI_EXIT_ERROR;
	for (int i = 0; i < n; i++) {
		if (cli_report_load(&r[i], argv[optind + i], &o))
			goto out;
		if (kind == PROFILE_TEMPORARY && replay_get_header(report_replay(r[i].rep))->sample_rate) {
			cli_error("%s: temporary allocations are %s", argv[optind + i],
				  ESTIMATE_WHY_NO_TEMPORARY);
			goto out;
		}
		rc = profile_tree_build_except(&t[i], report_stacks(r[i].rep), kind, inverted,
					       report_suppressed_map(r[i].rep));
		if (rc) {
			cli_error("%s", profile_strerror(rc));
			goto out;
		}
	}
	char title[512], sub[1024];
	const cli_report *shown = &r[n - 1];
	snprintf(title, sizeof(title), "leakrec flamegraph: %s%s%s%s", profile_kind_name(kind),
		 inverted ? ", bottom-up" : "", n == 2 ? ", differential: " : " of ", program(shown));
	const suppress_use *sup = report_suppressed(shown->rep);
	int len = snprintf(sub, sizeof(sub), "%s%s%s", n == 2 ? argv[optind] : "", n == 2 ? " -> " : "",
			   argv[argc - 1]);
	if (o.from.kind || o.to.kind)
		len += snprintf(sub + len, sizeof(sub) - (size_t)len, "; --from %s --to %s",
				o.from.kind ? o.from.arg : "start", o.to.kind ? o.to.arg : "end");
	if (o.sup_path && kind == PROFILE_LEAKED && len < (int)sizeof(sub))
		snprintf(sub + len, sizeof(sub) - (size_t)len,
			 "; %" PRIu64 " bytes in %" PRIu64 " allocations suppressed", sup->bytes,
			 sup->allocations);
	uint64_t rate = replay_get_header(report_replay(shown->rep))->sample_rate;
	if (n == 2 && !rate)
		rate = replay_get_header(report_replay(r[0].rep))->sample_rate;
	len = (int)strlen(sub);
	if (rate && len < (int)sizeof(sub))
		snprintf(sub + len, sizeof(sub) - (size_t)len, "; sampled (leakrec --sample %" PRIu64
			 "): every figure is an estimate", rate);
	graph g = {t[n - 1], n == 2 ? t[0] : NULL, {title, sub, kind, inverted}};
	status = cli_write_output(out, write_graph, &g, describe);
out:
	for (int i = 0; i < 2; i++) {
		profile_tree_free(t[i]);
		cli_report_release(&r[i]);
	}
	free(def);
	return status;
}
