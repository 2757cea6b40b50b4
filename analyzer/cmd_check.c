/*
 * cmd_check.c: `leakanalyze check [OPTIONS] TRACE`, gates on one run for CI.
 *
 * Replays the trace, merges its stacks by symbolic key (keyset.h), leaves runtime-owned and
 * suppressed leaks out of the leak figures, and compares the leaked bytes and the peak heap with
 * the limits given (gate.h).  Prints the figures, the leaking stacks and each gate (with the stacks
 * responsible when crossed).  Exit status 0 when no gate is crossed, 1 when one is, 2 on a usage
 * or input error.
 */
#include <getopt.h>
#include <inttypes.h>
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

enum { OPT_MAX_LEAKED = CLI_OPT_OWN, OPT_MAX_PEAK, OPT_MAX_DEF_LOST, OPT_MAX_LOST };

enum gate_id { G_LEAKED, G_PEAK, G_DEF_LOST, G_LOST, G_COUNT };

static const gate_spec gate_specs[G_COUNT] = {
	{"max-leaked", "leaked", "bytes", GATE_TOTAL, 1},
	{"max-peak", "peak heap", "bytes", GATE_TOTAL, 1},
	{"max-definitely-lost", "definitely lost", "bytes", GATE_TOTAL, 1},
	{"max-lost", "lost (definitely + indirectly)", "bytes", GATE_TOTAL, 1},
};

/* The bytes of a group that gate g on leak kinds counts. */
static uint64_t lost_of(const keyset_figures *f, int g)
{
	return f->kind_bytes[TF_REACH_DEFINITELY_LOST] +
	       (g == G_LOST ? f->kind_bytes[TF_REACH_INDIRECTLY_LOST] : 0);
}

typedef struct check {
	cli_keyed k;
	const suppress_list *sup;
	unsigned top;
	const keyset_group **leaks; /* groups holding leaked bytes, largest first */
	size_t nleaks;
	gate gates[G_COUNT];
} check;

static int cmp_leaked(const void *pa, const void *pb)
{
	const keyset_group *a = *(const keyset_group *const *)pa, *b = *(const keyset_group *const *)pb;
	if (a->fig.leaked_bytes != b->fig.leaked_bytes)
		return a->fig.leaked_bytes > b->fig.leaked_bytes ? -1 : 1;
	if (a->fig.leaked_allocations != b->fig.leaked_allocations)
		return a->fig.leaked_allocations > b->fig.leaked_allocations ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Collects the groups with a non-zero leaked figure, largest first, into c->leaks. */
static int collect_leaks(check *c)
{
	const keyset *s = c->k.set;
	size_t cnt = keyset_count(s);
	c->nleaks = 0;
	c->leaks = malloc((cnt ? cnt : 1) * sizeof(*c->leaks));
	if (!c->leaks)
		return KEYSET_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const keyset_group *g = keyset_at(s, i);
		if (g->fig.leaked_bytes != 0 || g->fig.leaked_allocations != 0)
			c->leaks[c->nleaks++] = g;
	}
	qsort(c->leaks, c->nleaks, sizeof(*c->leaks), cmp_leaked);
	return 0;
}

/* The leaks and the gates: the leaking stacks blame the leaked bytes, the stacks live at the
 * peak the peak heap. */
static int evaluate(check *c)
{
	const keyset *s = c->k.set;
	gate *gl = &c->gates[G_LEAKED], *gp = &c->gates[G_PEAK];
	if (collect_leaks(c))
		return KEYSET_ENOMEM;
	for (size_t i = 0; gl->on && i < c->nleaks; i++)
		if (gate_add_culprit(gl, c->leaks[i], c->leaks[i]->fig.leaked_bytes, 0))
			return KEYSET_ENOMEM;
	for (size_t i = 0; gp->on && i < keyset_count(s); i++) {
		const keyset_group *g = keyset_at(s, i);
		if (g->fig.peak_bytes && gate_add_culprit(gp, g, g->fig.peak_bytes, g->fig.peak_bytes))
			return KEYSET_ENOMEM;
	}
	gate_sort_culprits(gp);
	for (int g = G_DEF_LOST; g <= G_LOST; g++) {
		gate *gt = &c->gates[g];
		for (size_t i = 0; gt->on && i < c->nleaks; i++) {
			uint64_t v = lost_of(&c->leaks[i]->fig, g);
			if (v && gate_add_culprit(gt, c->leaks[i], v, v))
				return KEYSET_ENOMEM;
		}
		gate_sort_culprits(gt);
		gate_decide(gt, 0, lost_of(keyset_totals(s), g));
	}
	gate_decide(gl, 0, keyset_totals(s)->leaked_bytes);
	gate_decide(gp, 0, replay_get_summary(trace_replay(c->k.t))->peak_heap_bytes);
	return 0;
}

/* ---- text ---- */

static void write_text(const check *c, FILE *f)
{
	const keyset *s = c->k.set;
	const keyset_figures *t = keyset_totals(s);
	const replay_summary *sum = replay_get_summary(trace_replay(c->k.t));
	const replay_header *h = replay_get_header(trace_replay(c->k.t));
	char a[32];

	fputs("trace         ", f);
	text_put(f, trace_path(c->k.t));
	fputs("  (", f);
	text_put(f, h->argc ? h->argv[0] : h->exe);
	fprintf(f, ", pid %u)\n", h->pid);
	cli_put_incomplete(f, "trace", c->k.t, 0);
	text_format_size(a, sizeof(a), sum->peak_heap_bytes);
	fprintf(f, "peak heap     %s\n", a);
	text_format_size(a, sizeof(a), t->leaked_bytes);
	fprintf(f, "leaked        %s in %" PRIu64 " allocation%s\n", a, t->leaked_allocations,
		text_plural(t->leaked_allocations));
	if (sum->reach_applies) {
		char b[32], d[32], e[32];
		text_format_size(a, sizeof(a), t->kind_bytes[TF_REACH_DEFINITELY_LOST]);
		text_format_size(b, sizeof(b), t->kind_bytes[TF_REACH_INDIRECTLY_LOST]);
		text_format_size(d, sizeof(d), t->kind_bytes[TF_REACH_POSSIBLY_LOST]);
		text_format_size(e, sizeof(e), t->kind_bytes[TF_REACH_REACHABLE]);
		fprintf(f, "leak kinds    definitely lost %s, indirectly lost %s, possibly lost %s, "
			   "still reachable %s\n",
			a, b, d, e);
	}
	text_format_size(a, sizeof(a), t->runtime_bytes);
	fprintf(f, "runtime-owned %s (not counted as leaked)\n", a);
	text_format_size(a, sizeof(a), sum->allocated_bytes);
	fprintf(f, "allocations   %" PRIu64 " (%s allocated)\n", sum->allocations, a);
	if (c->sup) {
		text_format_size(a, sizeof(a), t->suppressed_bytes);
		fprintf(f, "suppressed    %s in %" PRIu64 " allocation%s from %" PRIu64
			   " stack%s (not counted as leaked)\n",
			a, t->suppressed_allocations, text_plural(t->suppressed_allocations),
			keyset_suppressed_stacks(s), text_plural(keyset_suppressed_stacks(s)));
		for (size_t i = 0; i < suppress_count(c->sup); i++) {
			const keyset_rule_use *u = keyset_rule_use_at(s, i);
			text_format_size(a, sizeof(a), u->bytes);
			fputs("  leak:", f);
			text_put(f, suppress_pattern(c->sup, i));
			fprintf(f, "  (line %u): %s in %" PRIu64 " allocation%s\n",
				suppress_line(c->sup, i), a, u->allocations, text_plural(u->allocations));
		}
	}

	size_t n = util_shown(c->nleaks, c->top);
	fputs("\nLeaks", f);
	if (c->nleaks == 0)
		fputs(": none\n", f);
	else if (n < c->nleaks)
		fprintf(f, " (top %zu of %zu stacks)\n", n, c->nleaks);
	else
		fprintf(f, " (%zu stack%s)\n", c->nleaks, text_plural(c->nleaks));
	for (size_t i = 0; i < n; i++) {
		const keyset_group *g = c->leaks[i];
		text_format_size(a, sizeof(a), g->fig.leaked_bytes);
		fprintf(f, "\n  %s in %" PRIu64 " allocation%s\n", a, g->fig.leaked_allocations,
			text_plural(g->fig.leaked_allocations));
		text_write_frames(f, g->frames, g->nframes, "      ", 0);
	}

	gate_write_text(f, c->gates, G_COUNT, c->top);
}

/* ---- markdown ---- */

static void write_markdown(const check *c, FILE *f)
{
	const keyset *s = c->k.set;
	const keyset_figures *t = keyset_totals(s);
	const replay_summary *sum = replay_get_summary(trace_replay(c->k.t));
	char a[32];

	gate_write_md_title(f, "leakrec: heap check", c->gates, G_COUNT);
	cli_put_incomplete(f, "trace", c->k.t, 1);
	fputs("| | |\n|:--|--:|\n", f);
	text_format_size(a, sizeof(a), sum->peak_heap_bytes);
	fprintf(f, "| peak heap | %s |\n", a);
	text_format_size(a, sizeof(a), t->leaked_bytes);
	fprintf(f, "| leaked | %s in %" PRIu64 " allocation%s |\n", a, t->leaked_allocations,
		text_plural(t->leaked_allocations));
	text_format_size(a, sizeof(a), t->runtime_bytes);
	fprintf(f, "| runtime-owned | %s |\n", a);
	fprintf(f, "| allocations | %" PRIu64 " |\n", sum->allocations);
	if (c->sup) {
		text_format_size(a, sizeof(a), t->suppressed_bytes);
		fprintf(f, "| suppressed leaks | %s in %" PRIu64 " allocation%s from %" PRIu64
			   " stack%s |\n",
			a, t->suppressed_allocations, text_plural(t->suppressed_allocations),
			keyset_suppressed_stacks(s), text_plural(keyset_suppressed_stacks(s)));
	}
	gate_write_md_table(f, c->gates, G_COUNT);
	if (c->nleaks == 0) {
		fputs("\nNo leaks.\n", f);
		return;
	}
	size_t n = util_shown(c->nleaks, c->top);
	fprintf(f, "\n#### Leaks (%zu of %zu stacks)\n\n", n, c->nleaks);
	fputs("| leaked | allocations | stack |\n|--:|--:|:--|\n", f);
	for (size_t i = 0; i < n; i++) {
		const keyset_group *g = c->leaks[i];
		text_format_size(a, sizeof(a), g->fig.leaked_bytes);
		fprintf(f, "| %s | %" PRIu64 " | ", a, g->fig.leaked_allocations);
		text_write_frames_md(f, g->frames, g->nframes, 6);
		fputs(" |\n", f);
	}
}

/* ---- JSON ---- */

static int write_json(const check *c, FILE *out, int status)
{
	const keyset *s = c->k.set;
	const keyset_figures *t = keyset_totals(s);
	const replay_summary *sum = replay_get_summary(trace_replay(c->k.t));
	json_writer *w;
	if (report_json_begin_command(&w, out, "check"))
		return JSON_ENOMEM;
	json_key_str(w, "trace", trace_path(c->k.t));
	cli_json_complete(w, "", c->k.t);
	report_json_program(w, "program", replay_get_header(trace_replay(c->k.t)), NULL, 0);

	json_key(w, "summary");
	json_begin_object(w, 0);
	json_key_uint(w, "peak_heap_bytes", sum->peak_heap_bytes);
	json_key_uint(w, "leaked_bytes", t->leaked_bytes);
	json_key_uint(w, "leaked_allocations", t->leaked_allocations);
	json_key_uint(w, "runtime_leaked_bytes", t->runtime_bytes);
	json_key_uint(w, "allocations", sum->allocations);
	json_key_uint(w, "allocated_bytes", sum->allocated_bytes);
	if (!replay_get_header(trace_replay(c->k.t))->sample_rate) /* else not estimated */
		json_key_uint(w, "temporary_allocations", sum->temporary);
	json_key_uint(w, "peak_rss_bytes", sum->peak_rss_bytes);
	for (unsigned k = TF_REACH_DEFINITELY_LOST; k < TF_REACH_KINDS; k++) {
		char key[48]; /* "definitely_lost_bytes" ...: the kind's trace-format name */
		snprintf(key, sizeof(key), "%s_bytes", tf_reach_kind_name(k));
		json_key(w, key);
		if (sum->reach_applies)
			json_uint(w, t->kind_bytes[k]);
		else
			json_str(w, NULL);
	}
	json_end_object(w);

	json_key(w, "suppressed");
	json_begin_object(w, 0);
	cli_json_use(w, NULL, t->suppressed_bytes, t->suppressed_allocations,
		     keyset_suppressed_stacks(s));
	json_key(w, "rules");
	json_begin_array(w, 0);
	for (size_t i = 0; i < suppress_count(c->sup); i++) {
		const keyset_rule_use *u = keyset_rule_use_at(s, i);
		json_begin_object(w, 1);
		json_key_str(w, "pattern", suppress_pattern(c->sup, i));
		json_key_uint(w, "line", suppress_line(c->sup, i));
		cli_json_use(w, NULL, u->bytes, u->allocations, u->stacks);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);

	json_key(w, "leaks");
	json_begin_array(w, 0);
	for (size_t i = 0; i < util_shown(c->nleaks, c->top); i++) {
		const keyset_group *g = c->leaks[i];
		json_begin_object(w, 0);
		json_key_uint(w, "bytes", g->fig.leaked_bytes);
		json_key_uint(w, "allocations", g->fig.leaked_allocations);
		json_key_str(w, "key", g->key);
		report_json_frames(w, g->frames, g->nframes);
		json_end_object(w);
	}
	json_end_array(w);

	gate_write_json(w, c->gates, G_COUNT, c->top);
	return report_json_end_command(w, status);
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fputs("usage: leakanalyze check [OPTIONS] TRACE\n"
	      "\n"
	      "Gate one run: compare its leaked bytes and its peak heap with limits.\n"
	      "\n"
	      "Options:\n"
	      "      --max-leaked BYTES fail when more than BYTES leaked (0: any leak fails);\n"
	      "                         sizes take K, KiB, M, MiB, G, GiB (1024) or KB, MB, GB (1000)\n"
	      "      --max-peak BYTES   fail when the peak heap is above BYTES\n"
	      "      --max-definitely-lost BYTES\n"
	      "                         fail when more than BYTES are definitely lost (no pointer\n"
	      "                         to them left at the end; needs the leak kinds of leakrec)\n"
	      "      --max-lost BYTES   fail when more than BYTES are definitely or indirectly lost\n"
	      "      --suppressions FILE\n"
	      "                         leave out leaks matched by FILE (LeakSanitizer format,\n"
	      "                         leak:PATTERN lines) from leak figures and gates\n"
	      "      --allow-incomplete gate a trace that ended without its END record or is\n"
	      "                         damaged (by default that is an input error, exit 2)\n"
	      "  -n, --top N            list N leaking stacks (default 10); 0 lists all\n"
	      "      --json             print one JSON object instead of text\n"
	      "      --markdown         print markdown tables (pull-request comment, job summary)\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n"
	      "\n"
	      "Exit status: 0 no gate crossed, 1 a gate crossed, 2 usage or input error.\n"
	      "See leakanalyze-check(1).\n",
	      f);
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GATE_LONGOPTS,
		{"max-leaked", required_argument, NULL, OPT_MAX_LEAKED},
		{"max-peak", required_argument, NULL, OPT_MAX_PEAK},
		{"max-definitely-lost", required_argument, NULL, OPT_MAX_DEF_LOST},
		{"max-lost", required_argument, NULL, OPT_MAX_LOST},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	check c;
	memset(&c, 0, sizeof(c));
	for (int g = 0; g < G_COUNT; g++)
		c.gates[g].spec = &gate_specs[g];
	cli_gate_opts o = {10, 0, 0, NULL, 0};
	int opt, rc;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":n:hV", longopts, NULL)) != -1) {
		gate *gt;
		switch (opt) {
		case OPT_MAX_LEAKED:
		case OPT_MAX_PEAK:
		case OPT_MAX_DEF_LOST:
		case OPT_MAX_LOST:
			gt = &c.gates[opt == OPT_MAX_LEAKED	? G_LEAKED
				      : opt == OPT_MAX_PEAK	? G_PEAK
				      : opt == OPT_MAX_DEF_LOST ? G_DEF_LOST
								: G_LOST];
			if (limit_parse_size(optarg, &gt->lim.amount))
				return cli_usage_error("invalid size for --%s: '%s'", gt->spec->name,
						       optarg);
			gt->on = 1;
			break;
		default:
			if ((rc = cli_gate_option(&o, opt, argv, usage)) >= 0)
				return rc;
		}
	}
	if (o.json && o.markdown)
		return cli_usage_error("--json and --markdown exclude each other");
	if (cli_one_trace(argc, argv, optind, ""))
		return CLI_EXIT_ERROR;
	c.top = o.top;

	int status = CLI_EXIT_ERROR;
	suppress_list *sup = NULL;
	rc = 0;
	if (o.sup_path && suppress_load_file(&sup, o.sup_path, &cli_log))
		goto out; /* said */
	c.sup = sup;
	if ((rc = cli_keyed_load(&c.k, argv[optind], STACKKEY_MATCH_FUNCTIONS, sup)))
		goto out;
	if ((rc = cli_gate_complete(c.k.t, o.allow_incomplete)))
		goto out;
	for (int g = G_DEF_LOST; g <= G_LOST; g++)
		if (c.gates[g].on && (rc = cli_gate_kinds(c.k.t, g == G_LOST ? "--max-lost"
									 : "--max-definitely-lost")))
			goto out;
	if ((rc = evaluate(&c)))
		goto out;
	status = gate_count_crossed(c.gates, G_COUNT) ? CLI_EXIT_THRESHOLD : CLI_EXIT_OK;
	int jrc = 0;
	if (o.json)
		jrc = write_json(&c, stdout, status);
	else if (o.markdown)
		write_markdown(&c, stdout);
	else
		write_text(&c, stdout);
	if (cli_finish_output("check", jrc))
		status = CLI_EXIT_ERROR;
out:
	if (rc == KEYSET_ENOMEM)
		cli_error("%s", keyset_strerror(rc));
	if (rc)
		status = CLI_EXIT_ERROR;
	for (int g = 0; g < G_COUNT; g++)
		gate_release(&c.gates[g]);
	free(c.leaks);
	cli_keyed_release(&c.k);
	suppress_free(sup);
	return status;
}
