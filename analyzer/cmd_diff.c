/*
 * cmd_diff.c: `leakanalyze diff [OPTIONS] BASE NEW`, what changed in the heap from one run to
 * another, with gates for CI.
 *
 * Both traces are replayed and their stacks merged by symbolic key (keyset.h), so the runs may
 * come from different builds.  The output gives the change in every summary figure, then every
 * key whose figures changed (appeared, disappeared, grew, shrank), largest change first, then
 * the gates: each crossed gate names the stacks responsible.  Exit status 0 when no gate is
 * crossed, 1 when one is, 2 on a usage or input error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gate.h"
#include "json.h"
#include "keydiff.h"
#include "keyset.h"
#include "report_json.h"
#include "stackkey.h"
#include "suppress.h"
#include "text.h"
#include "trace.h"

/* The two runs and their comparison. */
typedef struct diff {
	cli_diff x;
	const suppress_list *sup;
	enum stackkey_match match;
	unsigned top;
} diff;

/* ---- text ---- */

static void put_count_change(FILE *f, uint64_t b, uint64_t n)
{
	if (n == b)
		fputs("0", f);
	else
		fprintf(f, "%+" PRId64, util_change(b, n));
}

static void put_value_cell(char *buf, size_t n, const keydiff_figure *f, uint64_t v)
{
	if (f->bytes)
		text_format_size(buf, n, v);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

/* 1 when either trace is sampled: its temporary allocations are not estimated. */
static int any_sampled(const diff *d)
{
	return replay_get_header(trace_replay(d->x.base.t))->sample_rate ||
	       replay_get_header(trace_replay(d->x.new.t))->sample_rate;
}

/* The summary figures, a row each: base, new and change, as a text table or markdown rows
 * (with a sampled trace, the temporary allocations say why they are not compared). */
static void put_figure_rows(FILE *f, const keydiff_figure *fig, int markdown, int sampled)
{
	for (int i = 0; i < KEYDIFF_FIGURES; i++) {
		char b[40], n[40], c[64];
		if (sampled && i == KEYDIFF_F_TEMP) {
			fprintf(f, markdown ? "| %s | | | not estimated in a sampled trace |\n"
					    : "%-22s   not estimated in a sampled trace\n",
				fig[i].label);
			continue;
		}
		put_value_cell(b, sizeof(b), &fig[i], fig[i].b);
		put_value_cell(n, sizeof(n), &fig[i], fig[i].n);
		text_format_change(c, sizeof(c), fig[i].b, fig[i].n, fig[i].bytes);
		if (markdown)
			fprintf(f, "| %s | %s | %s | %s |\n", fig[i].label, b, n, c);
		else
			fprintf(f, "%-22s %12s %12s   %s\n", fig[i].label, b, n, c);
	}
}

static void put_program(FILE *f, const char *label, const cli_keyed *k)
{
	const replay_header *h = replay_get_header(trace_replay(k->t));
	fprintf(f, "%s  ", label);
	text_put(f, trace_path(k->t));
	fputs("  (", f);
	text_put(f, h->argc ? h->argv[0] : h->exe);
	fprintf(f, ", pid %u)\n", h->pid);
}

/* One line of what changed in an entry: "leaked +4.2 KiB in +1 allocation, at peak ...". */
static void put_entry_changes(FILE *f, const keydiff_entry *e)
{
	const keyset_figures *a = &e->fb, *b = &e->fn;
	char s[40];
	int first = 1;
	if (a->leaked_bytes != b->leaked_bytes || a->leaked_allocations != b->leaked_allocations) {
		text_format_size_change(s, sizeof(s), a->leaked_bytes, b->leaked_bytes);
		fprintf(f, "leaked %s in ", s);
		put_count_change(f, a->leaked_allocations, b->leaked_allocations);
		fputs(llabs(util_change(a->leaked_allocations, b->leaked_allocations)) == 1 ? " allocation"
										 : " allocations",
		      f);
		first = 0;
	}
	if (a->peak_bytes != b->peak_bytes || a->peak_allocations != b->peak_allocations) {
		text_format_size_change(s, sizeof(s), a->peak_bytes, b->peak_bytes);
		fprintf(f, "%sat peak %s", first ? "" : ", ", s);
		first = 0;
	}
	if (a->allocations != b->allocations || a->allocated_bytes != b->allocated_bytes) {
		fprintf(f, "%sallocations ", first ? "" : ", ");
		put_count_change(f, a->allocations, b->allocations);
		text_format_size_change(s, sizeof(s), a->allocated_bytes, b->allocated_bytes);
		fprintf(f, " (%s)", s);
		first = 0;
	}
	if (a->temporary != b->temporary) {
		fprintf(f, "%stemporary ", first ? "" : ", ");
		put_count_change(f, a->temporary, b->temporary);
		first = 0;
	}
	if (a->suppressed_bytes != b->suppressed_bytes) {
		text_format_size_change(s, sizeof(s), a->suppressed_bytes, b->suppressed_bytes);
		fprintf(f, "%ssuppressed leak %s", first ? "" : ", ", s);
	}
}

static void put_suppressed_text(FILE *f, const char *label, const keyset *s)
{
	const keyset_figures *t = keyset_totals(s);
	char a[32];
	text_format_size(a, sizeof(a), t->suppressed_bytes);
	fprintf(f, "  %s: %s in %" PRIu64 " allocation%s from %" PRIu64 " stack%s\n", label, a,
		t->suppressed_allocations, t->suppressed_allocations == 1 ? "" : "s",
		keyset_suppressed_stacks(s), keyset_suppressed_stacks(s) == 1 ? "" : "s");
}

static void write_text(const diff *d, FILE *f)
{
	keydiff_figure fig[KEYDIFF_FIGURES];
	keydiff_figures(&d->x.kd, fig);
	put_program(f, "base", &d->x.base);
	put_program(f, "new ", &d->x.new);
	cli_put_incomplete(f, "base", d->x.base.t, 0);
	cli_put_incomplete(f, "new", d->x.new.t, 0);
	fprintf(f, "stacks matched by %s\n\n",
		d->match == STACKKEY_MATCH_LINES ? "function, file and line" : "function names");
	fprintf(f, "%-22s %12s %12s   %s\n", "", "base", "new", "change");
	put_figure_rows(f, fig, 0, any_sampled(d));
	if (d->sup) {
		fputs("\nSuppressed leaks (not counted above)\n", f);
		put_suppressed_text(f, "base", d->x.base.set);
		put_suppressed_text(f, "new ", d->x.new.set);
		for (size_t i = 0; i < suppress_count(d->sup); i++) {
			const keyset_rule_use *ub = keyset_rule_use_at(d->x.base.set, i);
			const keyset_rule_use *un = keyset_rule_use_at(d->x.new.set, i);
			char a[32], b[32];
			text_format_size(a, sizeof(a), ub->bytes);
			text_format_size(b, sizeof(b), un->bytes);
			fputs("  leak:", f);
			text_put(f, suppress_pattern(d->sup, i));
			fprintf(f, "  (line %u): base %s, new %s\n", suppress_line(d->sup, i), a, b);
		}
	}

	size_t n = util_shown(d->x.kd.nentries, d->top);
	fputs("\nChanged stacks", f);
	if (d->x.kd.nentries == 0)
		fputs(": none\n", f);
	else if (n < d->x.kd.nentries)
		fprintf(f, " (top %zu of %zu, largest change first)\n", n, d->x.kd.nentries);
	else
		fprintf(f, " (%zu, largest change first)\n", d->x.kd.nentries);
	for (size_t i = 0; i < n; i++) {
		const keydiff_entry *e = &d->x.kd.entries[i];
		const keyset_group *g = keydiff_shown(e);
		fprintf(f, "\n  %-11s ", keydiff_status_name(e->status));
		put_entry_changes(f, e);
		fputc('\n', f);
		text_write_frames(f, g->frames, g->nframes, "      ", 0);
	}

	gate_write_text(f, d->x.kd.gates, KEYDIFF_GATES, d->top);
}

/* ---- markdown ---- */

static void write_markdown(const diff *d, FILE *f)
{
	keydiff_figure fig[KEYDIFF_FIGURES];
	keydiff_figures(&d->x.kd, fig);
	gate_write_md_title(f, "leakrec: heap diff", d->x.kd.gates, KEYDIFF_GATES);
	cli_put_incomplete(f, "base", d->x.base.t, 1);
	cli_put_incomplete(f, "new", d->x.new.t, 1);

	fputs("| | base | new | change |\n|:--|--:|--:|--:|\n", f);
	put_figure_rows(f, fig, 1, any_sampled(d));
	if (d->sup) {
		const keyset_figures *tb = keyset_totals(d->x.base.set);
		const keyset_figures *tn = keyset_totals(d->x.new.set);
		char b[40], n[40];
		text_format_size(b, sizeof(b), tb->suppressed_bytes);
		text_format_size(n, sizeof(n), tn->suppressed_bytes);
		fprintf(f, "| suppressed leaks | %s in %" PRIu64 " | %s in %" PRIu64 " | |\n", b,
			tb->suppressed_allocations, n, tn->suppressed_allocations);
	}

	gate_write_md_table(f, d->x.kd.gates, KEYDIFF_GATES);

	size_t n = util_shown(d->x.kd.nentries, d->top);
	if (d->x.kd.nentries == 0) {
		fputs("\nNo stack changed.\n", f);
		return;
	}
	fprintf(f, "\n#### Changed stacks (%zu of %zu, largest change first)\n\n", n, d->x.kd.nentries);
	fputs("| | leaked | at peak | allocations | stack |\n|:--|--:|--:|--:|:--|\n", f);
	for (size_t i = 0; i < n; i++) {
		const keydiff_entry *e = &d->x.kd.entries[i];
		const keyset_group *g = keydiff_shown(e);
		char l[40], p[40], a[40];
		text_format_size_change(l, sizeof(l), e->fb.leaked_bytes, e->fn.leaked_bytes);
		text_format_size_change(p, sizeof(p), e->fb.peak_bytes, e->fn.peak_bytes);
		snprintf(a, sizeof(a), "%+" PRId64, util_change(e->fb.allocations, e->fn.allocations));
		fprintf(f, "| %s | %s | %s | %s | ", keydiff_status_name(e->status), l, p, a);
		text_write_frames_md(f, g->frames, g->nframes, 6);
		fputs(" |\n", f);
	}
}

/* ---- JSON ---- */

static void json_change(json_writer *w, const char *key, uint64_t b, uint64_t n)
{
	json_key(w, key);
	json_begin_object(w, 1);
	json_key_uint(w, "base", b);
	json_key_uint(w, "new", n);
	json_key_int(w, "change", util_change(b, n));
	json_end_object(w);
}

/* The suppressed leaks of a set as "key": {"bytes", "allocations", "stacks"}. */
static void json_suppressed(json_writer *w, const char *key, const keyset *s)
{
	const keyset_figures *t = keyset_totals(s);
	cli_json_use(w, key, t->suppressed_bytes, t->suppressed_allocations,
		     keyset_suppressed_stacks(s));
}

static int write_json(const diff *d, FILE *out, int status)
{
	json_writer *w;
	if (report_json_begin_command(&w, out, "diff"))
		return JSON_ENOMEM;
	keydiff_figure fig[KEYDIFF_FIGURES];
	keydiff_figures(&d->x.kd, fig);
	json_key_str(w, "match", d->match == STACKKEY_MATCH_LINES ? "lines" : "functions");
	report_json_program(w, "base", replay_get_header(trace_replay(d->x.base.t)),
			       trace_path(d->x.base.t), 0);
	report_json_program(w, "new", replay_get_header(trace_replay(d->x.new.t)),
			       trace_path(d->x.new.t), 0);
	cli_json_complete(w, "base_", d->x.base.t);
	cli_json_complete(w, "new_", d->x.new.t);

	json_key(w, "summary");
	json_begin_object(w, 0);
	for (int i = 0; i < KEYDIFF_FIGURES; i++)
		if (!(i == KEYDIFF_F_TEMP && any_sampled(d))) /* not estimated: left out */
			json_change(w, fig[i].key, fig[i].b, fig[i].n);
	json_end_object(w);

	json_key(w, "suppressed");
	json_begin_object(w, 0);
	json_suppressed(w, "base", d->x.base.set);
	json_suppressed(w, "new", d->x.new.set);
	json_key(w, "rules");
	json_begin_array(w, 0);
	for (size_t i = 0; i < suppress_count(d->sup); i++) {
		json_begin_object(w, 0);
		json_key_str(w, "pattern", suppress_pattern(d->sup, i));
		json_key_uint(w, "line", suppress_line(d->sup, i));
		const keyset_rule_use *ub = keyset_rule_use_at(d->x.base.set, i);
		const keyset_rule_use *un = keyset_rule_use_at(d->x.new.set, i);
		cli_json_use(w, "base", ub->bytes, ub->allocations, ub->stacks);
		cli_json_use(w, "new", un->bytes, un->allocations, un->stacks);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);

	json_key_uint(w, "stacks_changed", d->x.kd.nentries);
	json_key(w, "stacks");
	json_begin_array(w, 0);
	for (size_t i = 0; i < util_shown(d->x.kd.nentries, d->top); i++) {
		const keydiff_entry *e = &d->x.kd.entries[i];
		const keyset_group *g = keydiff_shown(e);
		json_begin_object(w, 0);
		json_key_str(w, "status", keydiff_status_name(e->status));
		json_key_str(w, "key", g->key);
		json_change(w, "leaked_bytes", e->fb.leaked_bytes, e->fn.leaked_bytes);
		json_change(w, "leaked_allocations", e->fb.leaked_allocations, e->fn.leaked_allocations);
		json_change(w, "peak_bytes", e->fb.peak_bytes, e->fn.peak_bytes);
		json_change(w, "peak_allocations", e->fb.peak_allocations, e->fn.peak_allocations);
		json_change(w, "allocations", e->fb.allocations, e->fn.allocations);
		json_change(w, "allocated_bytes", e->fb.allocated_bytes, e->fn.allocated_bytes);
		json_change(w, "temporary_allocations", e->fb.temporary, e->fn.temporary);
		json_change(w, "suppressed_bytes", e->fb.suppressed_bytes, e->fn.suppressed_bytes);
		report_json_frames(w, g->frames, g->nframes);
		json_end_object(w);
	}
	json_end_array(w);

	gate_write_json(w, d->x.kd.gates, KEYDIFF_GATES, d->top);
	return report_json_end_command(w, status);
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fputs("usage: leakanalyze diff [OPTIONS] BASE.zst NEW.zst\n"
	      "\n"
	      "Compare two heap traces: the change in every summary figure, then every call stack\n"
	      "that appeared, disappeared, grew or shrank, largest change first.  Stacks of different\n"
	      "builds are matched by their chain of function names.\n"
	      "\n"
	      "Options:\n"
	      "  -n, --top N            list N changed stacks (default 10); 0 lists all\n"
	      "      --match WHAT       functions (default): match stacks by function names;\n"
	      "                         lines: by function, source file and line\n"
	      "      --suppressions FILE\n"
	      "                         leave out leaks matched by FILE (LeakSanitizer format,\n"
	      "                         leak:PATTERN lines) from leak figures and gates\n"
	      "      --allow-incomplete gate a trace that ended without its END record or is\n"
	      "                         damaged (by default that is an input error, exit 2)\n"
	      "      --json             print one JSON object instead of text\n"
	      "      --markdown         print markdown tables (pull-request comment, job summary)\n"
	      "\n"
	      "Gates (exit status 1 when one is crossed):\n"
	      "      --fail-on-new-leaks\n"
	      "                         a stack leaks in NEW that leaked nothing in BASE\n"
	      "      --fail-on-new-lost a stack has definitely or indirectly lost blocks in NEW and\n"
	      "                         none in BASE (needs the leak kinds of leakrec)\n"
	      "      --max-leak-increase BYTES\n"
	      "                         leaked bytes grew by more than BYTES (10K, 5MiB, 1MB ...)\n"
	      "      --max-peak-increase N%|BYTES\n"
	      "                         the peak heap grew by more than N percent or BYTES\n"
	      "      --max-allocations-increase N%|COUNT\n"
	      "                         allocations grew by more than N percent or COUNT\n"
	      "\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 no gate crossed, 1 a gate crossed, 2 usage or input error.\n"
	      "See leakanalyze-diff(1).\n",
	      f);
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GATE_LONGOPTS,
		CLI_DIFF_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	diff d;
	memset(&d, 0, sizeof(d));
	keydiff_init(&d.x.kd);
	cli_gate_opts o = {10, 0, 0, NULL, 0};
	int c, rc;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:hV", longopts, NULL)) != -1) {
		if ((rc = cli_diff_option(&d.x.kd, &d.match, c)) >= 0) {
			if (rc)
				return rc;
			continue;
		}
		if ((rc = cli_gate_option(&o, c, argv, usage)) >= 0)
			return rc;
	}
	if (o.json && o.markdown)
		return cli_usage_error("--json and --markdown exclude each other");
	if (cli_two_traces(argc, argv, optind, "diff"))
		return CLI_EXIT_ERROR;
	d.top = o.top;

	int status = CLI_EXIT_ERROR;
	suppress_list *sup = NULL;
	if (o.sup_path && suppress_load_file(&sup, o.sup_path, &cli_log))
		goto out; /* said */
	d.sup = sup;
	if (cli_diff_load(&d.x, argv[optind], argv[optind + 1], d.match, sup))
		goto out;
	if (cli_gate_complete(d.x.base.t, o.allow_incomplete) ||
	    cli_gate_complete(d.x.new.t, o.allow_incomplete))
		goto out;
	if (d.x.kd.gates[KEYDIFF_G_NEW_LOST].on &&
	    (cli_gate_kinds(d.x.base.t, "--fail-on-new-lost") ||
	     cli_gate_kinds(d.x.new.t, "--fail-on-new-lost")))
		goto out;
	status = gate_count_crossed(d.x.kd.gates, KEYDIFF_GATES) ? CLI_EXIT_THRESHOLD : CLI_EXIT_OK;
	int jrc = 0;
	if (o.json)
		jrc = write_json(&d, stdout, status);
	else if (o.markdown)
		write_markdown(&d, stdout);
	else
		write_text(&d, stdout);
	if (cli_finish_output("diff", jrc))
		status = CLI_EXIT_ERROR;
out:
	cli_diff_release(&d.x);
	suppress_free(sup);
	return status;
}
