/*
 * gate.c: gates, their culprits and their output (see gate.h).
 */
#include "gate.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_json.h"
#include "text.h"
#include "util.h"

int gate_add_culprit(gate *g, const keyset_group *group, uint64_t amount, uint64_t rank)
{
	if (util_grow((void **)&g->culprits, &g->cap, g->nculprits + 1, sizeof(gate_culprit)))
		return GATE_ENOMEM;
	g->culprits[g->nculprits++] = (gate_culprit){group, amount, rank};
	return 0;
}

static int cmp_culprits(const void *pa, const void *pb)
{
	const gate_culprit *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return strcmp(a->group->key, b->group->key);
}

void gate_sort_culprits(gate *g)
{
	if (g->nculprits)
		qsort(g->culprits, g->nculprits, sizeof(gate_culprit), cmp_culprits);
}

void gate_decide(gate *g, uint64_t base, uint64_t cur)
{
	switch (g->spec->kind) {
	case GATE_TOTAL:
		g->base = 0;
		g->cur = cur;
		break;
	case GATE_INCREASE:
		g->base = base;
		g->cur = cur;
		break;
	case GATE_ANY:
		g->base = 0;
		g->cur = g->nculprits;
		g->crossed = g->nculprits > 0;
		return;
	}
	g->crossed = limit_crossed(&g->lim, g->base, g->cur);
}

void gate_release(gate *g)
{
	free(g->culprits);
	g->culprits = NULL;
	g->nculprits = g->cap = 0;
}

int gate_count_on(const gate *gates, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += gates[i].on != 0;
	return k;
}

int gate_count_crossed(const gate *gates, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += gates[i].on && gates[i].crossed;
	return k;
}

/* ---- text ---- */

/* The gate's limit for people: "10%", "1.0 MiB", "500", "none". */
static void limit_text(char *buf, size_t n, const gate *g)
{
	if (g->spec->kind == GATE_ANY)
		snprintf(buf, n, "none");
	else
		limit_format(buf, n, &g->lim, g->spec->sizes);
}

/* The gate's figure for people: "1.2 KiB"; "+4.2 KiB (+3.1%)", "+12 (+0.5%)"; "1". */
static void value_text(char *buf, size_t n, const gate *g)
{
	if (g->spec->kind == GATE_ANY || (g->spec->kind == GATE_TOTAL && !g->spec->sizes)) {
		snprintf(buf, n, "%" PRIu64, g->cur);
		return;
	}
	if (g->spec->kind == GATE_TOTAL) {
		text_format_size(buf, n, g->cur);
		return;
	}
	text_format_change(buf, n, g->base, g->cur, g->spec->sizes);
}

/* What a culprit adds, for people: "1.2 KiB", "5"; to an increase "+1.2 KiB", "+5"; a GATE_ANY
 * culprit by what its stack leaks: "1.2 KiB in 3 allocations". */
static void culprit_text(char *buf, size_t n, const gate *g, const gate_culprit *c)
{
	char a[32];
	int inc = g->spec->kind == GATE_INCREASE;
	if (g->spec->kind == GATE_ANY) {
		const keyset_figures *f = &c->group->fig;
		text_format_size(a, sizeof(a), f->leaked_bytes);
		snprintf(buf, n, "%s in %" PRIu64 " allocation%s", a, f->leaked_allocations,
			 text_plural(f->leaked_allocations));
	} else if (g->spec->sizes) {
		text_format_size(a, sizeof(a), c->amount);
		snprintf(buf, n, "%s%s", inc ? "+" : "", a);
	} else {
		snprintf(buf, n, "%s%" PRIu64, inc ? "+" : "", c->amount);
	}
}

/* A gate's line: its limit, its value and whether it was crossed, as text or a markdown row. */
static void put_row(FILE *f, const gate *g, int markdown)
{
	char lim[48], val[96];
	limit_text(lim, sizeof(lim), g);
	value_text(val, sizeof(val), g);
	if (markdown) {
		fprintf(f, "| `--%s` | %s | %s | %s |\n", g->spec->name, lim, val,
			g->crossed ? "❌ crossed" : "✅ ok");
		return;
	}
	fprintf(f, "  %s  --%s", g->crossed ? "FAIL" : "pass", g->spec->name);
	if (g->spec->kind != GATE_ANY)
		fprintf(f, " %s", lim);
	fprintf(f, ": %s: %s\n", g->spec->what, val);
}

void gate_write_text(FILE *f, const gate *gates, size_t n, unsigned top)
{
	int on = gate_count_on(gates, n), crossed = gate_count_crossed(gates, n);
	if (!on)
		return;
	fputs("\nGates\n", f);
	for (size_t i = 0; i < n; i++) {
		const gate *g = &gates[i];
		if (!g->on)
			continue;
		put_row(f, g, 0);
		if (!g->crossed)
			continue;
		size_t k = util_shown(g->nculprits, top);
		for (size_t j = 0; j < k; j++) {
			const gate_culprit *c = &g->culprits[j];
			char amount[64];
			culprit_text(amount, sizeof(amount), g, c);
			fprintf(f, "        %s  ", amount);
			text_write_frames_line(f, c->group->frames, c->group->nframes, 5);
			fputc('\n', f);
		}
		if (k < g->nculprits)
			fprintf(f, "        (%zu more)\n", g->nculprits - k);
	}
	fprintf(f, "\nresult: %s (%d of %d gate%s crossed)\n", crossed ? "FAIL" : "pass", crossed, on,
		text_plural((uint64_t)on));
}

/* ---- markdown ---- */

void gate_write_md_title(FILE *f, const char *title, const gate *gates, size_t n)
{
	int on = gate_count_on(gates, n), crossed = gate_count_crossed(gates, n);
	fprintf(f, "### %s", title);
	if (on && crossed)
		fprintf(f, " — ❌ %d of %d gate%s crossed\n\n", crossed, on, text_plural((uint64_t)on));
	else if (on)
		fputs(" — ✅ no gate crossed\n\n", f);
	else
		fputs("\n\n", f);
}

void gate_write_md_table(FILE *f, const gate *gates, size_t n)
{
	if (!gate_count_on(gates, n))
		return;
	fputs("\n| gate | limit | value | result |\n|:--|--:|--:|:--|\n", f);
	for (size_t i = 0; i < n; i++)
		if (gates[i].on)
			put_row(f, &gates[i], 1);
}

/* ---- JSON ---- */

void gate_write_json(json_writer *w, const gate *gates, size_t n, unsigned top)
{
	json_key(w, "gates");
	json_begin_array(w, 0);
	for (size_t i = 0; i < n; i++) {
		const gate *g = &gates[i];
		enum gate_kind kind = g->spec->kind;
		int pct = kind == GATE_INCREASE && g->lim.percent;
		if (!g->on)
			continue;
		json_begin_object(w, 0);
		json_key_str(w, "name", g->spec->name);
		json_key_str(w, "unit", pct ? "percent" : g->spec->unit);
		json_key(w, "limit");
		if (kind == GATE_ANY)
			json_uint(w, 0);
		else if (pct)
			json_double(w, g->lim.value);
		else
			json_uint(w, g->lim.amount);
		json_key(w, "value");
		if (kind != GATE_INCREASE)
			json_uint(w, g->cur);
		else if (pct)
			json_double(w, g->base ? 100.0 * (double)util_change(g->base, g->cur) /
							 (double)g->base
					       : (g->cur ? INFINITY : 0.0));
		else
			json_int(w, util_change(g->base, g->cur));
		if (kind != GATE_TOTAL) {
			json_key_uint(w, "base", g->base);
			json_key_uint(w, "new", g->cur);
		}
		json_key_bool(w, "crossed", g->crossed);
		json_key(w, "stacks");
		json_begin_array(w, 0);
		for (size_t j = 0; g->crossed && j < util_shown(g->nculprits, top); j++) {
			const gate_culprit *c = &g->culprits[j];
			json_begin_object(w, 0);
			json_key_str(w, "key", c->group->key);
			json_key_uint(w, "amount", c->amount);
			report_json_frames(w, c->group->frames, c->group->nframes);
			json_end_object(w);
		}
		json_end_array(w);
		json_end_object(w);
	}
	json_end_array(w);
}
