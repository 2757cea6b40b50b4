/*
 * keydiff.c: the comparison of two runs by key (see keydiff.h).
 */
#include "keydiff.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const status_names[] = {"appeared", "disappeared", "grew", "shrank"};

static const gate_spec gate_specs[KEYDIFF_GATES] = {
	{"fail-on-new-leaks", "new leaking stacks", "stacks", GATE_ANY, 0},
	{"max-leak-increase", "leaked bytes", "bytes", GATE_INCREASE, 1},
	{"max-peak-increase", "peak heap", "bytes", GATE_INCREASE, 1},
	{"max-allocations-increase", "allocations", "allocations", GATE_INCREASE, 0},
	{"fail-on-new-lost", "new stacks with lost bytes", "stacks", GATE_ANY, 0},
};

/* Definitely and indirectly lost bytes and allocations of an entry's side. */
static uint64_t lost(const keyset_figures *f)
{
	return f->kind_bytes[TF_REACH_DEFINITELY_LOST] + f->kind_bytes[TF_REACH_INDIRECTLY_LOST] +
	       f->kind_allocations[TF_REACH_DEFINITELY_LOST] +
	       f->kind_allocations[TF_REACH_INDIRECTLY_LOST];
}

const char *keydiff_status_name(enum keydiff_status st)
{
	return (unsigned)st < 4 ? status_names[st] : "?";
}

void keydiff_init(keydiff *d)
{
	memset(d, 0, sizeof(*d));
	for (int g = 0; g < KEYDIFF_GATES; g++)
		d->gates[g].spec = &gate_specs[g];
}

void keydiff_release(keydiff *d)
{
	for (int g = 0; g < KEYDIFF_GATES; g++)
		gate_release(&d->gates[g]);
	free(d->entries);
	d->entries = NULL;
	d->nentries = 0;
}

void keydiff_figures(const keydiff *d, keydiff_figure *f)
{
	const replay_summary *sb = d->sbase, *sn = d->snew;
	const keyset_figures *tb = keyset_totals(d->base);
	const keyset_figures *tn = keyset_totals(d->new);
	f[KEYDIFF_F_PEAK] = (keydiff_figure){"peak_heap_bytes", "peak heap", 1, sb->peak_heap_bytes,
					     sn->peak_heap_bytes};
	f[KEYDIFF_F_LEAKED] = (keydiff_figure){"leaked_bytes", "leaked", 1, tb->leaked_bytes,
					       tn->leaked_bytes};
	f[KEYDIFF_F_LEAKED_ALLOCS] = (keydiff_figure){"leaked_allocations", "leaked allocations", 0,
						      tb->leaked_allocations, tn->leaked_allocations};
	f[KEYDIFF_F_ALLOCS] = (keydiff_figure){"allocations", "allocations", 0, sb->allocations,
					       sn->allocations};
	f[KEYDIFF_F_ALLOCATED] = (keydiff_figure){"allocated_bytes", "bytes allocated", 1,
						  sb->allocated_bytes, sn->allocated_bytes};
	f[KEYDIFF_F_TEMP] = (keydiff_figure){"temporary_allocations", "temporary allocations", 0,
					     sb->temporary, sn->temporary};
	f[KEYDIFF_F_RUNTIME] = (keydiff_figure){"runtime_leaked_bytes", "runtime-owned", 1,
						tb->runtime_bytes, tn->runtime_bytes};
	f[KEYDIFF_F_RSS] = (keydiff_figure){"peak_rss_bytes", "peak RSS", 1, sb->peak_rss_bytes,
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
static void classify(keydiff_entry *e)
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
		e->status = KEYDIFF_APPEARED;
		return;
	}
	if (!e->n) {
		e->status = KEYDIFF_DISAPPEARED;
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
	e->status = KEYDIFF_GREW;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i][0] != pairs[i][1]) {
			e->status = pairs[i][1] > pairs[i][0] ? KEYDIFF_GREW : KEYDIFF_SHRANK;
			return;
		}
	}
}

static const char *entry_key(const keydiff_entry *e) { return e->n ? e->n->key : e->b->key; }

static int cmp_entries(const void *pa, const void *pb)
{
	const keydiff_entry *a = pa, *b = pb;
	for (int i = 0; i < 4; i++)
		if (a->sort[i] != b->sort[i])
			return a->sort[i] > b->sort[i] ? -1 : 1;
	return strcmp(entry_key(a), entry_key(b));
}

static int build_entries(keydiff *d)
{
	const keyset *sb = d->base, *sn = d->new;
	size_t cap = keyset_count(sb) + keyset_count(sn);
	d->entries = calloc(cap ? cap : 1, sizeof(keydiff_entry));
	if (!d->entries)
		return KEYDIFF_ENOMEM;
	for (size_t i = 0; i < keyset_count(sn); i++) {
		const keyset_group *g = keyset_at(sn, i);
		keydiff_entry e = {0};
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
		keydiff_entry e = {0};
		e.b = g;
		e.fb = g->fig;
		classify(&e);
		d->entries[d->nentries++] = e;
	}
	qsort(d->entries, d->nentries, sizeof(keydiff_entry), cmp_entries);
	return 0;
}

const keyset_group *keydiff_shown(const keydiff_entry *e) { return e->n ? e->n : e->b; }

/* ---- gates ---- */

/* What an entry adds to gate g (0: not responsible). */
static uint64_t culprit_amount(enum keydiff_gate g, const keydiff_entry *e)
{
	switch (g) {
	case KEYDIFF_G_NEW_LEAKS:
		if ((e->fn.leaked_bytes || e->fn.leaked_allocations) && !e->fb.leaked_bytes &&
		    !e->fb.leaked_allocations)
			return e->fn.leaked_bytes ? e->fn.leaked_bytes : 1;
		return 0;
	case KEYDIFF_G_LEAK_INC:
		return e->fn.leaked_bytes > e->fb.leaked_bytes ? e->fn.leaked_bytes - e->fb.leaked_bytes
							       : 0;
	case KEYDIFF_G_PEAK_INC:
		return e->fn.peak_bytes > e->fb.peak_bytes ? e->fn.peak_bytes - e->fb.peak_bytes : 0;
	case KEYDIFF_G_ALLOCS_INC:
		return e->fn.allocations > e->fb.allocations ? e->fn.allocations - e->fb.allocations
							     : 0;
	case KEYDIFF_G_NEW_LOST:
		if (lost(&e->fn) && !lost(&e->fb)) {
			uint64_t b = e->fn.kind_bytes[TF_REACH_DEFINITELY_LOST] +
				     e->fn.kind_bytes[TF_REACH_INDIRECTLY_LOST];
			return b ? b : 1;
		}
		return 0;
	case KEYDIFF_GATES:
		break;
	}
	return 0;
}

static int eval_gates(keydiff *d)
{
	keydiff_figure f[KEYDIFF_FIGURES];
	keydiff_figures(d, f);
	/* the figure each gate compares */
	static const int fig_of[KEYDIFF_GATES] = {-1, KEYDIFF_F_LEAKED, KEYDIFF_F_PEAK,
						  KEYDIFF_F_ALLOCS, -1};
	for (int g = 0; g < KEYDIFF_GATES; g++) {
		gate *gt = &d->gates[g];
		if (!gt->on)
			continue;
		for (size_t i = 0; i < d->nentries; i++) {
			const keydiff_entry *e = &d->entries[i];
			uint64_t v = culprit_amount((enum keydiff_gate)g, e);
			/* a new leak is blamed for its leaked bytes (maybe 0: zero-size blocks) */
			if (v && gate_add_culprit(gt, keydiff_shown(e),
						  g == KEYDIFF_G_NEW_LEAKS ? e->fn.leaked_bytes : v, v))
				return KEYDIFF_ENOMEM;
		}
		gate_sort_culprits(gt);
		int k = fig_of[g];
		gate_decide(gt, k < 0 ? 0 : f[k].b, k < 0 ? 0 : f[k].n);
	}
	return 0;
}

int keydiff_build(keydiff *d, const keyset *base, const replay_summary *sbase, const keyset *new,
		  const replay_summary *snew)
{
	d->base = base;
	d->new = new;
	d->sbase = sbase;
	d->snew = snew;
	int rc = build_entries(d);
	return rc ? rc : eval_gates(d);
}
