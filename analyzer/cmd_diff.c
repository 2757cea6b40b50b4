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
#include "keyset.h"
#include "limit.h"
#include "report_json.h"
#include "stackkey.h"
#include "suppress.h"
#include "text.h"
#include "trace.h"

enum {
	OPT_MATCH = CLI_OPT_OWN,
	OPT_NEW_LEAKS,
	OPT_LEAK_INC,
	OPT_PEAK_INC,
	OPT_ALLOCS_INC,
};

enum status { ST_APPEARED, ST_DISAPPEARED, ST_GREW, ST_SHRANK };
static const char *const status_names[] = {"appeared", "disappeared", "grew", "shrank"};

/* One key present on either side. */
typedef struct entry {
	const keyset_group *b, *n; /* NULL when absent on that side */
	keyset_figures fb, fn;     /* zero when absent */
	enum status status;
	uint64_t sort[4];      /* magnitudes, compared in order */
} entry;

/* The gates, in the order they are reported. */
enum gate_id { G_NEW_LEAKS, G_LEAK_INC, G_PEAK_INC, G_ALLOCS_INC, G_COUNT };

static const gate_spec gate_specs[G_COUNT] = {
	{"fail-on-new-leaks", "new leaking stacks", "stacks", GATE_ANY, 0},
	{"max-leak-increase", "leaked bytes", "bytes", GATE_INCREASE, 1},
	{"max-peak-increase", "peak heap", "bytes", GATE_INCREASE, 1},
	{"max-allocations-increase", "allocations", "allocations", GATE_INCREASE, 0},
};

typedef struct diff {
	cli_keyed base, new;
	const suppress_list *sup;
	enum stackkey_match match;
	unsigned top;
	entry *entries;
	size_t nentries;
	gate gates[G_COUNT];
} diff;

/* ---- the summary figures ---- */

typedef struct figure {
	const char *key, *label;
	int bytes;
	uint64_t b, n;
} figure;

enum { F_PEAK, F_LEAKED, F_LEAKED_ALLOCS, F_ALLOCS, F_ALLOCATED, F_TEMP, F_RUNTIME, F_RSS,
       F_COUNT };

static void summary_figures(const diff *d, figure *f)
{
	const replay_summary *sb = replay_get_summary(trace_replay(d->base.t));
	const replay_summary *sn = replay_get_summary(trace_replay(d->new.t));
	const keyset_figures *tb = keyset_totals(d->base.set);
	const keyset_figures *tn = keyset_totals(d->new.set);
	f[F_PEAK] = (figure){"peak_heap_bytes", "peak heap", 1, sb->peak_heap_bytes,
			     sn->peak_heap_bytes};
	f[F_LEAKED] = (figure){"leaked_bytes", "leaked", 1, tb->leaked_bytes, tn->leaked_bytes};
	f[F_LEAKED_ALLOCS] = (figure){"leaked_allocations", "leaked allocations", 0,
				      tb->leaked_allocations, tn->leaked_allocations};
	f[F_ALLOCS] = (figure){"allocations", "allocations", 0, sb->allocations, sn->allocations};
	f[F_ALLOCATED] = (figure){"allocated_bytes", "bytes allocated", 1, sb->allocated_bytes,
				  sn->allocated_bytes};
	f[F_TEMP] = (figure){"temporary_allocations", "temporary allocations", 0, sb->temporary,
			     sn->temporary};
	f[F_RUNTIME] = (figure){"runtime_leaked_bytes", "runtime-owned", 1, tb->runtime_bytes,
				tn->runtime_bytes};
	f[F_RSS] = (figure){"peak_rss_bytes", "peak RSS", 1, sb->peak_rss_bytes,
			    sn->peak_rss_bytes};
}

/* ---- entries ---- */

static uint64_t absdiff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

static int figures_differ(const keyset_figures *a, const keyset_figures *b)
{
	return a->leaked_bytes != b->leaked_bytes || a->leaked_allocations != b->leaked_allocations ||
	       a->peak_bytes != b->peak_bytes || a->peak_allocations != b->peak_allocations ||
	       a->allocations != b->allocations || a->allocated_bytes != b->allocated_bytes ||
	       a->temporary != b->temporary;
}

/* Sets the status and sort keys of e: the largest byte change (leaked or at the peak) first,
 * then allocations, bytes allocated, temporary allocations; its sign says grew or shrank. */
static void classify(entry *e)
{
	const keyset_figures *a = &e->fb, *b = &e->fn;
	uint64_t dl = absdiff(a->leaked_bytes, b->leaked_bytes);
	uint64_t dp = absdiff(a->peak_bytes, b->peak_bytes);
	e->sort[0] = dl > dp ? dl : dp;
	e->sort[1] = absdiff(a->allocations, b->allocations);
	e->sort[2] = absdiff(a->allocated_bytes, b->allocated_bytes);
	e->sort[3] = absdiff(a->temporary, b->temporary) + absdiff(a->leaked_allocations,
								   b->leaked_allocations);
	if (!e->b) {
		e->status = ST_APPEARED;
		return;
	}
	if (!e->n) {
		e->status = ST_DISAPPEARED;
		return;
	}
	const uint64_t pairs[][2] = {
		{dl >= dp ? a->leaked_bytes : a->peak_bytes, dl >= dp ? b->leaked_bytes : b->peak_bytes},
		{a->allocations, b->allocations},
		{a->allocated_bytes, b->allocated_bytes},
		{a->leaked_allocations, b->leaked_allocations},
		{a->peak_allocations, b->peak_allocations},
		{a->temporary, b->temporary},
	};
	e->status = ST_GREW;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i][0] != pairs[i][1]) {
			e->status = pairs[i][1] > pairs[i][0] ? ST_GREW : ST_SHRANK;
			return;
		}
	}
}

static const char *entry_key(const entry *e) { return e->n ? e->n->key : e->b->key; }

static int cmp_entries(const void *pa, const void *pb)
{
	const entry *a = pa, *b = pb;
	for (int i = 0; i < 4; i++)
		if (a->sort[i] != b->sort[i])
			return a->sort[i] > b->sort[i] ? -1 : 1;
	return strcmp(entry_key(a), entry_key(b));
}

static int build_entries(diff *d)
{
	const keyset *sb = d->base.set, *sn = d->new.set;
	size_t cap = keyset_count(sb) + keyset_count(sn);
	d->entries = calloc(cap ? cap : 1, sizeof(entry));
	if (!d->entries)
		return KEYSET_ENOMEM;
	for (size_t i = 0; i < keyset_count(sn); i++) {
		const keyset_group *g = keyset_at(sn, i);
		entry e = {0};
		e.n = g;
		e.fn = g->fig;
		e.b = keyset_find(sb, g->key);
		if (e.b)
			e.fb = e.b->fig;
		if (e.b && !figures_differ(&e.fb, &e.fn))
			continue;
		classify(&e);
		d->entries[d->nentries++] = e;
	}
	for (size_t i = 0; i < keyset_count(sb); i++) {
		const keyset_group *g = keyset_at(sb, i);
		if (keyset_find(sn, g->key))
			continue;
		entry e = {0};
		e.b = g;
		e.fb = g->fig;
		classify(&e);
		d->entries[d->nentries++] = e;
	}
	qsort(d->entries, d->nentries, sizeof(entry), cmp_entries);
	return 0;
}

/* The stack shown for an entry: NEW's when present, else BASE's. */
static const keyset_group *shown(const entry *e) { return e->n ? e->n : e->b; }

/* ---- gates ---- */

/* What an entry adds to gate g (0: not responsible). */
static uint64_t culprit_amount(enum gate_id g, const entry *e)
{
	switch (g) {
	case G_NEW_LEAKS:
		if ((e->fn.leaked_bytes || e->fn.leaked_allocations) && !e->fb.leaked_bytes &&
		    !e->fb.leaked_allocations)
			return e->fn.leaked_bytes ? e->fn.leaked_bytes : 1;
		return 0;
	case G_LEAK_INC:
		return e->fn.leaked_bytes > e->fb.leaked_bytes ? e->fn.leaked_bytes - e->fb.leaked_bytes
							       : 0;
	case G_PEAK_INC:
		return e->fn.peak_bytes > e->fb.peak_bytes ? e->fn.peak_bytes - e->fb.peak_bytes : 0;
	case G_ALLOCS_INC:
		return e->fn.allocations > e->fb.allocations ? e->fn.allocations - e->fb.allocations
							     : 0;
	case G_COUNT:
		break;
	}
	return 0;
}

static int eval_gates(diff *d)
{
	figure f[F_COUNT];
	summary_figures(d, f);
	/* the figure each gate compares */
	static const int fig_of[G_COUNT] = {-1, F_LEAKED, F_PEAK, F_ALLOCS};
	for (int g = 0; g < G_COUNT; g++) {
		gate *gt = &d->gates[g];
		if (!gt->on)
			continue;
		for (size_t i = 0; i < d->nentries; i++) {
			const entry *e = &d->entries[i];
			uint64_t v = culprit_amount((enum gate_id)g, e);
			/* a new leak is blamed for its leaked bytes (maybe 0: zero-size blocks) */
			if (v && gate_add_culprit(gt, shown(e), g == G_NEW_LEAKS ? e->fn.leaked_bytes : v, v))
				return KEYSET_ENOMEM;
		}
		gate_sort_culprits(gt);
		int k = fig_of[g];
		gate_decide(gt, k < 0 ? 0 : f[k].b, k < 0 ? 0 : f[k].n);
	}
	return 0;
}

/* ---- text ---- */

static void put_count_change(FILE *f, uint64_t b, uint64_t n)
{
	if (n == b)
		fputs("0", f);
	else
		fprintf(f, "%+" PRId64, util_change(b, n));
}

static void put_value_cell(char *buf, size_t n, const figure *f, uint64_t v)
{
	if (f->bytes)
		text_format_size(buf, n, v);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

/* The summary figures, a row each: base, new and change, as a text table or markdown rows. */
static void put_figure_rows(FILE *f, const figure *fig, int markdown)
{
	for (int i = 0; i < F_COUNT; i++) {
		char b[40], n[40], c[64];
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
static void put_entry_changes(FILE *f, const entry *e)
{
	const keyset_figures *a = &e->fb, *b = &e->fn;
	char s[40];
	int first = 1;
	if (a->leaked_bytes != b->leaked_bytes || a->leaked_allocations != b->leaked_allocations) {
		text_format_size_change(s, sizeof(s), a->leaked_bytes, b->leaked_bytes);
		fprintf(f, "leaked %s in ", s);
		put_count_change(f, a->leaked_allocations, b->leaked_allocations);
		fputs(absdiff(a->leaked_allocations, b->leaked_allocations) == 1 ? " allocation"
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
	figure fig[F_COUNT];
	summary_figures(d, fig);
	put_program(f, "base", &d->base);
	put_program(f, "new ", &d->new);
	cli_put_incomplete(f, "base", d->base.t, 0);
	cli_put_incomplete(f, "new", d->new.t, 0);
	fprintf(f, "stacks matched by %s\n\n",
		d->match == STACKKEY_MATCH_LINES ? "function, file and line" : "function names");
	fprintf(f, "%-22s %12s %12s   %s\n", "", "base", "new", "change");
	put_figure_rows(f, fig, 0);
	if (d->sup) {
		fputs("\nSuppressed leaks (not counted above)\n", f);
		put_suppressed_text(f, "base", d->base.set);
		put_suppressed_text(f, "new ", d->new.set);
		for (size_t i = 0; i < suppress_count(d->sup); i++) {
			const keyset_rule_use *ub = keyset_rule_use_at(d->base.set, i);
			const keyset_rule_use *un = keyset_rule_use_at(d->new.set, i);
			char a[32], b[32];
			text_format_size(a, sizeof(a), ub->bytes);
			text_format_size(b, sizeof(b), un->bytes);
			fputs("  leak:", f);
			text_put(f, suppress_pattern(d->sup, i));
			fprintf(f, "  (line %u): base %s, new %s\n", suppress_line(d->sup, i), a, b);
		}
	}

	size_t n = util_shown(d->nentries, d->top);
	fputs("\nChanged stacks", f);
	if (d->nentries == 0)
		fputs(": none\n", f);
	else if (n < d->nentries)
		fprintf(f, " (top %zu of %zu, largest change first)\n", n, d->nentries);
	else
		fprintf(f, " (%zu, largest change first)\n", d->nentries);
	for (size_t i = 0; i < n; i++) {
		const entry *e = &d->entries[i];
		const keyset_group *g = shown(e);
		fprintf(f, "\n  %-11s ", status_names[e->status]);
		put_entry_changes(f, e);
		fputc('\n', f);
		text_write_frames(f, g->frames, g->nframes, "      ", 0);
	}

	gate_write_text(f, d->gates, G_COUNT, d->top);
}

/* ---- markdown ---- */

static void write_markdown(const diff *d, FILE *f)
{
	figure fig[F_COUNT];
	summary_figures(d, fig);
	gate_write_md_title(f, "leakrec: heap diff", d->gates, G_COUNT);
	cli_put_incomplete(f, "base", d->base.t, 1);
	cli_put_incomplete(f, "new", d->new.t, 1);

	fputs("| | base | new | change |\n|:--|--:|--:|--:|\n", f);
	put_figure_rows(f, fig, 1);
	if (d->sup) {
		const keyset_figures *tb = keyset_totals(d->base.set);
		const keyset_figures *tn = keyset_totals(d->new.set);
		char b[40], n[40];
		text_format_size(b, sizeof(b), tb->suppressed_bytes);
		text_format_size(n, sizeof(n), tn->suppressed_bytes);
		fprintf(f, "| suppressed leaks | %s in %" PRIu64 " | %s in %" PRIu64 " | |\n", b,
			tb->suppressed_allocations, n, tn->suppressed_allocations);
	}

	gate_write_md_table(f, d->gates, G_COUNT);

	size_t n = util_shown(d->nentries, d->top);
	if (d->nentries == 0) {
		fputs("\nNo stack changed.\n", f);
		return;
	}
	fprintf(f, "\n#### Changed stacks (%zu of %zu, largest change first)\n\n", n, d->nentries);
	fputs("| | leaked | at peak | allocations | stack |\n|:--|--:|--:|--:|:--|\n", f);
	for (size_t i = 0; i < n; i++) {
		const entry *e = &d->entries[i];
		const keyset_group *g = shown(e);
		char l[40], p[40], a[40];
		text_format_size_change(l, sizeof(l), e->fb.leaked_bytes, e->fn.leaked_bytes);
		text_format_size_change(p, sizeof(p), e->fb.peak_bytes, e->fn.peak_bytes);
		snprintf(a, sizeof(a), "%+" PRId64, util_change(e->fb.allocations, e->fn.allocations));
		fprintf(f, "| %s | %s | %s | %s | ", status_names[e->status], l, p, a);
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
	figure fig[F_COUNT];
	summary_figures(d, fig);
	json_key_str(w, "match", d->match == STACKKEY_MATCH_LINES ? "lines" : "functions");
	report_json_program(w, "base", replay_get_header(trace_replay(d->base.t)),
			       trace_path(d->base.t), 0);
	report_json_program(w, "new", replay_get_header(trace_replay(d->new.t)),
			       trace_path(d->new.t), 0);
	cli_json_complete(w, "base_", d->base.t);
	cli_json_complete(w, "new_", d->new.t);

	json_key(w, "summary");
	json_begin_object(w, 0);
	for (int i = 0; i < F_COUNT; i++)
		json_change(w, fig[i].key, fig[i].b, fig[i].n);
	json_end_object(w);

	json_key(w, "suppressed");
	json_begin_object(w, 0);
	json_suppressed(w, "base", d->base.set);
	json_suppressed(w, "new", d->new.set);
	json_key(w, "rules");
	json_begin_array(w, 0);
	for (size_t i = 0; i < suppress_count(d->sup); i++) {
		json_begin_object(w, 0);
		json_key_str(w, "pattern", suppress_pattern(d->sup, i));
		json_key_uint(w, "line", suppress_line(d->sup, i));
		const keyset_rule_use *ub = keyset_rule_use_at(d->base.set, i);
		const keyset_rule_use *un = keyset_rule_use_at(d->new.set, i);
		cli_json_use(w, "base", ub->bytes, ub->allocations, ub->stacks);
		cli_json_use(w, "new", un->bytes, un->allocations, un->stacks);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);

	json_key_uint(w, "stacks_changed", d->nentries);
	json_key(w, "stacks");
	json_begin_array(w, 0);
	for (size_t i = 0; i < util_shown(d->nentries, d->top); i++) {
		const entry *e = &d->entries[i];
		const keyset_group *g = shown(e);
		json_begin_object(w, 0);
		json_key_str(w, "status", status_names[e->status]);
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

	gate_write_json(w, d->gates, G_COUNT, d->top);
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
		{"match", required_argument, NULL, OPT_MATCH},
		{"fail-on-new-leaks", no_argument, NULL, OPT_NEW_LEAKS},
		{"max-leak-increase", required_argument, NULL, OPT_LEAK_INC},
		{"max-peak-increase", required_argument, NULL, OPT_PEAK_INC},
		{"max-allocations-increase", required_argument, NULL, OPT_ALLOCS_INC},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	diff d;
	memset(&d, 0, sizeof(d));
	for (int g = 0; g < G_COUNT; g++)
		d.gates[g].spec = &gate_specs[g];
	cli_gate_opts o = {10, 0, 0, NULL, 0};
	int c, rc;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:hV", longopts, NULL)) != -1) {
		gate *gt = NULL;
		int sizes = 0;
		switch (c) {
		case OPT_MATCH:
			if (strcmp(optarg, "functions") == 0)
				d.match = STACKKEY_MATCH_FUNCTIONS;
			else if (strcmp(optarg, "lines") == 0)
				d.match = STACKKEY_MATCH_LINES;
			else
				return cli_usage_error("invalid argument for --match: '%s' (functions "
						       "or lines)",
						       optarg);
			break;
		case OPT_NEW_LEAKS:
			d.gates[G_NEW_LEAKS].on = 1;
			break;
		case OPT_LEAK_INC:
			gt = &d.gates[G_LEAK_INC];
			sizes = 1;
			if (limit_parse_size(optarg, &gt->lim.amount))
				return cli_usage_error("invalid size for --max-leak-increase: '%s'",
						       optarg);
			gt->on = 1;
			break;
		case OPT_PEAK_INC:
			gt = &d.gates[G_PEAK_INC];
			sizes = 1;
			/* fall through */
		case OPT_ALLOCS_INC:
			if (!gt)
				gt = &d.gates[G_ALLOCS_INC];
			if (limit_parse(optarg, sizes, &gt->lim))
				return cli_usage_error("invalid limit for --%s: '%s' (N%% or %s)",
						       gt->spec->name, optarg,
						       sizes ? "BYTES" : "COUNT");
			gt->on = 1;
			break;
		default:
			if ((rc = cli_gate_option(&o, c, argv, usage)) >= 0)
				return rc;
		}
	}
	if (o.json && o.markdown)
		return cli_usage_error("--json and --markdown exclude each other");
	if (argc - optind != 2)
		return cli_usage_error(argc - optind < 2 ? "diff needs two traces: BASE and NEW"
							  : "diff takes two traces ('%s' is extra)",
				       argc - optind > 2 ? argv[optind + 2] : "");
	d.top = o.top;

	int status = CLI_EXIT_ERROR;
	suppress_list *sup = NULL;
	rc = 0;
	if (o.sup_path && suppress_load_file(&sup, o.sup_path, &cli_log))
		goto out; /* said */
	d.sup = sup;
	if ((rc = cli_keyed_load(&d.base, argv[optind], d.match, sup)))
		goto out;
	if ((rc = cli_keyed_load(&d.new, argv[optind + 1], d.match, sup)))
		goto out;
	if ((rc = cli_gate_complete(d.base.t, o.allow_incomplete)) ||
	    (rc = cli_gate_complete(d.new.t, o.allow_incomplete)))
		goto out;
	if ((rc = build_entries(&d)) || (rc = eval_gates(&d)))
		goto out;
	status = gate_count_crossed(d.gates, G_COUNT) ? CLI_EXIT_THRESHOLD : CLI_EXIT_OK;
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
	if (rc == KEYSET_ENOMEM)
		cli_error("%s", keyset_strerror(rc));
	if (rc)
		status = CLI_EXIT_ERROR;
	for (int g = 0; g < G_COUNT; g++)
		gate_release(&d.gates[g]);
	free(d.entries);
	cli_keyed_release(&d.new);
	cli_keyed_release(&d.base);
	suppress_free(sup);
	return status;
}
