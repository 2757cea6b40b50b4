/*
 * cmd_html.c: `leakanalyze html [OPTIONS] TRACE [-o FILE]`, the report as one self-contained
 * HTML page (html.h), and `leakanalyze html [OPTIONS] BASE NEW`, the page of a comparison with
 * diff's gates.
 *
 * One trace is loaded as the report loads it (cli_report_load: the same window, points,
 * allocator frames and suppressions, so the page's figures are those of --json with the same
 * options).  Two traces are compared as diff compares them (cli_diff_load), each also put in a
 * report model for its flamegraphs; the exit status is diff's: 0 no gate crossed, 1 a gate
 * crossed, 2 a usage or input error.  The page is written to FILE.tmp and renamed when complete.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "html.h"
#include "report.h"

enum { OPT_OUTPUT = CLI_OPT_OWN };

static void usage(FILE *f)
{
	fputs("usage: leakanalyze html [OPTIONS] TRACE [-o FILE]\n"
	      "       leakanalyze html [OPTIONS] BASE NEW [-o FILE]\n"
	      "\n"
	      "Write the report of a trace as one HTML file that opens offline (every script, style\n"
	      "and datum inline): the summary, heap and RSS over time with the top stacks' live\n"
	      "bytes, a flamegraph by leaked bytes, bytes live at the peak, allocations, bytes\n"
	      "allocated or temporary allocations, and the tables of the report.  With two traces,\n"
	      "the comparison: a differential flamegraph (grew red, shrank blue), the changed stacks\n"
	      "and the gates, as leakanalyze diff.\n"
	      "\n"
	      "Options:\n"
	      "  -o, --output FILE      write to FILE ('-': standard output); default TRACE with\n"
	      "                         .html for .zst (NEW with .diff.html for two traces)\n"
	      "  -n, --top N            rows per table (default 10); 0: all (at most 200)\n"
	      "      --from T, --to T   restrict every figure to a window (one trace): seconds,\n"
	      "                         percent of the run (50%), or a mark's label\n"
	      "      --points N         at most N points in the heap timeline (default 300, at\n"
	      "                         most 10000)\n"
	      "      --show-alloc-frames\n"
	      "                         keep allocator frames at the top of stacks (one trace)\n"
	      "      --suppressions FILE\n"
	      "                         leave leaks matched by FILE (leak:PATTERN lines) out of\n"
	      "                         the leak figures and the leaked flamegraph\n"
	      "\n"
	      "With BASE NEW, diff's options (leakanalyze diff --help): --match WHAT,\n"
	      "--fail-on-new-leaks, --max-leak-increase BYTES, --max-peak-increase N%|BYTES,\n"
	      "--max-allocations-increase N%|COUNT.\n"
	      "\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 written (and, with BASE NEW, no gate crossed), 1 a gate crossed,\n"
	      "2 usage or input error.  See leakanalyze-html(1).\n",
	      f);
}

typedef struct page {
	report_ctx *rc;
	const html_source *src;
	/* a comparison */
	const keydiff *kd;
	html_run base, new;
	const char *sup_path;
	unsigned top;
	int status;
} page;

static int write_page(void *ctx, FILE *f)
{
	const page *p = ctx;
	if (p->kd)
		return html_write_diff(f, p->kd, &p->base, &p->new, p->sup_path, p->top, p->status);
	return html_write_report(f, p->rc, p->src);
}

static const char *describe(int code) { return html_strerror(code); }

/* The page of one trace. */
static int one_trace(const char *path, const char *out, const cli_report_opts *o)
{
	cli_report r;
	int status = CLI_EXIT_ERROR;
	if (!cli_report_load(&r, path, o)) {
		html_source src = {path, o->sup_path, o->show_alloc_frames};
		page p;
		memset(&p, 0, sizeof(p));
		p.rc = r.rep;
		p.src = &src;
		status = cli_write_output(out, write_page, &p, describe);
	}
	cli_report_release(&r);
	return status;
}

/* The page of a comparison: d's gates are set. */
static int two_traces(const char *base, const char *new, const char *out, const cli_report_opts *o,
		      cli_diff *d, enum stackkey_match match)
{
	suppress_list *sup = NULL;
	report_ctx *rb = NULL, *rn = NULL;
	int status = CLI_EXIT_ERROR;
	if (o->sup_path && suppress_load_file(&sup, o->sup_path, &cli_log))
		goto out; /* said */
	if (cli_diff_load(d, base, new, match, sup))
		goto out;
	if (d->kd.gates[KEYDIFF_G_NEW_LOST].on &&
	    (cli_gate_kinds(d->base.t, "--fail-on-new-lost") ||
	     cli_gate_kinds(d->new.t, "--fail-on-new-lost")))
		goto out;
	report_options ro = {o->top, 0, o->frames, sup};
	int rc = report_create(&rb, trace_stacks(d->base.t), &ro);
	if (!rc)
		rc = report_create(&rn, trace_stacks(d->new.t), &ro);
	if (rc) {
		cli_error("%s", report_strerror(rc));
		goto out;
	}
	report_set_modules(rb, trace_sym(d->base.t));
	report_set_modules(rn, trace_sym(d->new.t));
	page p;
	memset(&p, 0, sizeof(p));
	p.kd = &d->kd;
	p.base = (html_run){rb, base};
	p.new = (html_run){rn, new};
	p.sup_path = o->sup_path;
	p.top = o->top;
	p.status = gate_count_crossed(d->kd.gates, KEYDIFF_GATES) ? CLI_EXIT_THRESHOLD : CLI_EXIT_OK;
	if (!cli_write_output(out, write_page, &p, describe))
		status = p.status;
out:
	report_free(rn);
	report_free(rb);
	cli_diff_release(d);
	suppress_free(sup);
	return status;
}

int cmd_html(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_REPORT_LONGOPTS,
		CLI_DIFF_LONGOPTS,
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	cli_report_opts o;
	cli_report_opts_init(&o);
	o.lifetimes = 1; /* the page's "Held longest" table */
	cli_diff d;
	memset(&d, 0, sizeof(d));
	keydiff_init(&d.kd);
	enum stackkey_match match = STACKKEY_MATCH_FUNCTIONS;
	const char *diff_opt = NULL, *out = NULL;
	int c, rc;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:o:hV", longopts, NULL)) != -1) {
		if (c == 'o') {
			out = optarg;
			continue;
		}
		if ((rc = cli_diff_option(&d.kd, &match, c)) >= 0) {
			if (rc)
				return rc;
			diff_opt = argv[optind - 1];
			continue;
		}
		if ((rc = cli_report_option(&o, c, argv, usage)) >= 0)
			return rc;
	}
	if (o.points > HTML_MAX_POINTS)
		return cli_usage_error("html: --points is at most %d", HTML_MAX_POINTS);
	int two = argc - optind == 2;
	const char *one_only;
	if (argc - optind < 1)
		return cli_usage_error("html: no trace file given");
	if (argc - optind > 2)
		return cli_usage_error("html takes one trace, or two (BASE NEW): '%s' is extra",
				       argv[optind + 2]);
	if (!two && diff_opt)
		return cli_usage_error("html: %s compares two traces (BASE NEW)", diff_opt);
	if (two && cli_report_one_trace_only(&o, &one_only))
		return cli_usage_error("html: %s takes one trace, not BASE NEW", one_only);
	char *def = NULL;
	if (!out) {
		def = cli_output_path(argv[argc - 1], two ? ".diff.html" : ".html");
		if (!def) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
		out = def;
	}
	int status = two ? two_traces(argv[optind], argv[optind + 1], out, &o, &d, match)
			 : one_trace(argv[optind], out, &o);
	keydiff_release(&d.kd);
	free(def);
	return status;
}
