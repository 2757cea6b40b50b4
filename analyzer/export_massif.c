/*
 * export_massif.c: massif snapshots from a replay observer, and the massif file (see
 * export_massif.h).  A detailed snapshot keeps every stack's live bytes (the replay's index
 * order); its heap tree is the inverted call tree (profile.h) of those bytes summed per entry.
 */
#include "export_massif.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "text.h"

#define FIRST_STEP_NS 1024u /* the step before the first culling */

typedef struct snapshot {
	uint64_t time_ns, heap;
	uint64_t *live; /* detailed: nlive stacks' live bytes (replay index order); else NULL */
	size_t nlive;
	int peak;
	const uint64_t *weights; /* at writing: per entry, for a detailed snapshot (borrowed) */
} snapshot;

struct export_massif {
	const replay_ctx *rp;
	uint64_t step;
	uint64_t heap_before; /* the heap before the window opened */
	int started;
	uint64_t taken; /* snapshots taken in the run, culled ones included */
	snapshot snaps[EXPORT_MASSIF_MAX];
	size_t n;
	int nomem;
};

/* '#' starts a comment for ms_print; control bytes and bytes that are not UTF-8 as \xHH. */
static const text_style massif_style = {.subst = {['#'] = "\\x23"}, .hex = "\\x"};

int export_massif_create(export_massif **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return EXPORT_ENOMEM;
	(*out)->step = FIRST_STEP_NS;
	return 0;
}

void export_massif_free(export_massif *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->snaps[i].live);
	free(m);
}

/* Drops every other snapshot (the first stays) and doubles the step. */
static void cull(export_massif *m)
{
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (i % 2) {
			free(m->snaps[i].live);
			continue;
		}
		m->snaps[k++] = m->snaps[i];
	}
	m->n = k;
	m->step *= 2;
}

static void take(export_massif *m, uint64_t time_ns, uint64_t heap, int detailed)
{
	if (m->n == EXPORT_MASSIF_MAX)
		cull(m);
	snapshot *s = &m->snaps[m->n++];
	memset(s, 0, sizeof(*s));
	s->time_ns = time_ns;
	s->heap = heap;
	if (!detailed)
		return;
	s->nlive = replay_stack_count(m->rp);
	s->live = malloc((s->nlive ? s->nlive : 1) * sizeof(*s->live));
	if (!s->live) {
		m->nomem = 1;
		s->nlive = 0;
		return;
	}
	for (size_t i = 0; i < s->nlive; i++)
		s->live[i] = replay_stack_at(m->rp, i)->live_bytes;
}

static void on_event(void *ctx, const replay_event *ev)
{
	export_massif *m = ctx;
	if (!ev->in_window) {
		m->heap_before = ev->heap_bytes;
		return;
	}
	if (!m->started) {
		/* the heap as the window opens; its time, the window's start, is set when writing */
		m->started = 1;
		take(m, ev->time_ns, m->heap_before, 0);
	}
	if (ev->time_ns < m->snaps[m->n - 1].time_ns + m->step)
		return;
	m->taken++;
	take(m, ev->time_ns, ev->heap_bytes, m->taken % EXPORT_MASSIF_DETAILED == 0);
}

void export_massif_observer(export_massif *m, const replay_ctx *rp, replay_observer *obs)
{
	m->rp = rp;
	memset(obs, 0, sizeof(*obs));
	obs->event = on_event;
	obs->ctx = m;
}

/* ---- writing ---- */

static void put(FILE *f, const char *s)
{
	if (s)
		text_put_escaped(f, &massif_style, s, strlen(s));
}

static int by_value_desc(const void *pa, const void *pb)
{
	const profile_node *a = *(const profile_node *const *)pa, *b = *(const profile_node *const *)pb;
	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void put_label(FILE *f, const profile_node *nd)
{
	if (!nd->frame) {
		fputs("(heap allocation functions) malloc/new/new[], --alloc-fns, etc.", f);
		return;
	}
	const sym_frame *fr = nd->frame;
	fprintf(f, "0x%" PRIX64 ": ", fr->address);
	if (fr->function)
		put(f, fr->function);
	else
		fputs("???", f);
	fputs(" (", f);
	if (fr->file && fr->line && !nd->line_varies) {
		put(f, fr->file);
		fprintf(f, ":%u", fr->line);
	} else {
		fputs("in ", f);
		put(f, fr->module);
	}
	fputc(')', f);
}

/* Writes nd and the significant part of its subtree at indent depth.  Returns 0 or
 * EXPORT_ENOMEM. */
static int put_node(FILE *f, const profile_node *nd, uint64_t total, size_t depth)
{
	const profile_node **kids = NULL;
	size_t nsig = 0, ninsig = 0;
	uint64_t insig = 0;
	if (nd->nchildren) {
		kids = malloc(nd->nchildren * sizeof(*kids));
		if (!kids)
			return EXPORT_ENOMEM;
		memcpy(kids, nd->children, nd->nchildren * sizeof(*kids));
		qsort(kids, nd->nchildren, sizeof(*kids), by_value_desc);
		for (size_t i = 0; i < nd->nchildren; i++) {
			/* massif's threshold: 1% of the snapshot's heap */
			if (kids[i]->value * 100 >= total && total) {
				nsig++;
			} else {
				ninsig++;
				insig += kids[i]->value;
			}
		}
	}
	fprintf(f, "%*sn%zu: %" PRIu64 " ", (int)depth, "", nsig + (ninsig > 0), nd->value);
	put_label(f, nd);
	fputc('\n', f);
	int rc = 0;
	for (size_t i = 0; i < nsig && !rc; i++)
		rc = put_node(f, kids[i], total, depth + 1);
	if (ninsig)
		fprintf(f, "%*sn0: %" PRIu64 " in %zu place%s, %sbelow massif's threshold (1.00%%)\n",
			(int)depth + 1, "", insig, ninsig, ninsig == 1 ? "" : "s", nsig ? "" : "all ");
	free(kids);
	return rc;
}

static int put_snapshot(FILE *f, const export_input *in, const snapshot *s, size_t num)
{
	fprintf(f, "#-----------\nsnapshot=%zu\n#-----------\n", num);
	fprintf(f, "time=%" PRIu64 "\nmem_heap_B=%" PRIu64 "\nmem_heap_extra_B=0\nmem_stacks_B=0\n",
		s->time_ns / 1000000u, s->heap);
	if (!s->weights) {
		fputs("heap_tree=empty\n", f);
		return 0;
	}
	fprintf(f, "heap_tree=%s\n", s->peak ? "peak" : "detailed");
	profile_tree *t;
	if (profile_tree_build_weights(&t, in->stacks, s->weights, 1))
		return EXPORT_ENOMEM;
	const profile_node *root = profile_tree_root(t);
	/* the tree's total is the snapshot's heap: every byte live has a stack */
	int rc = put_node(f, root, root->value, 0);
	profile_tree_free(t);
	return rc;
}

/* Per entry, the sum of live[i] over its stacks (i < nlive). */
static uint64_t *entry_weights(const export_input *in, const uint64_t *live, size_t nlive)
{
	size_t ne = symstack_entry_count(in->stacks);
	uint64_t *w = calloc(ne ? ne : 1, sizeof(*w));
	if (!w)
		return NULL;
	const size_t *map = symstack_entry_map(in->stacks);
	for (size_t i = 0; i < nlive && i < symstack_count(in->stacks); i++)
		w[map[i]] += live[i];
	return w;
}

int export_massif_write(export_massif *m, const export_input *in, FILE *f)
{
	const replay_ctx *rp = in->rp;
	const replay_summary *sum = replay_get_summary(rp);
	const replay_header *h = replay_get_header(rp);
	if (m->nomem)
		return EXPORT_ENOMEM;
	size_t nstk = replay_stack_count(rp), ne = symstack_entry_count(in->stacks);

	/* the snapshots of the run, then the peak in its place and the window's end */
	size_t n = m->n + (m->started ? 0 : 1) + 2;
	snapshot *all = calloc(n, sizeof(*all));
	uint64_t **weights = calloc(n, sizeof(*weights));
	uint64_t *end_live = malloc((nstk ? nstk : 1) * sizeof(*end_live));
	int rc = EXPORT_ENOMEM;
	if (!all || !weights || !end_live)
		goto out;
	for (size_t i = 0; i < nstk; i++)
		end_live[i] = replay_stack_at(rp, i)->heap_bytes;
	snapshot first = {.time_ns = sum->window_from_ns, .heap = m->heap_before};
	snapshot peak = {.time_ns = sum->peak_time_ns, .heap = sum->peak_heap_bytes, .peak = 1};
	snapshot last = {.time_ns = sum->window_to_ns, .heap = sum->heap_bytes, .live = end_live,
			 .nlive = nstk};
	size_t k = 0;
	if (!m->started)
		all[k++] = first;
	else
		m->snaps[0].time_ns = sum->window_from_ns;
	int peak_done = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (!peak_done && m->snaps[i].time_ns > peak.time_ns) {
			all[k++] = peak;
			peak_done = 1;
		}
		all[k++] = m->snaps[i];
	}
	if (!peak_done)
		all[k++] = peak;
	all[k++] = last;
	for (size_t i = 0; i < k; i++) {
		if (all[i].peak) {
			weights[i] = malloc((ne ? ne : 1) * sizeof(**weights));
			if (!weights[i])
				goto out;
			for (size_t e = 0; e < ne; e++)
				weights[i][e] = export_value(in, e, PROFILE_PEAK);
		} else if (all[i].live) {
			weights[i] = entry_weights(in, all[i].live, all[i].nlive);
			if (!weights[i])
				goto out;
		}
		all[i].weights = weights[i];
	}

	char *desc = export_describe(in);
	if (!desc)
		goto out;
	fputs("desc: ", f);
	put(f, desc);
	free(desc);
	fputs("\ncmd:", f);
	if (!h->argc) {
		fputc(' ', f);
		put(f, h->exe);
	}
	for (uint32_t i = 0; i < h->argc; i++) {
		fputc(' ', f);
		put(f, h->argv[i]);
	}
	fputs("\ntime_unit: ms\n", f);
	rc = 0;
	for (size_t i = 0; i < k && !rc; i++)
		rc = put_snapshot(f, in, &all[i], i);
	if (!rc && ferror(f))
		rc = EXPORT_EIO;
out:
	for (size_t i = 0; weights && i < n; i++)
		free(weights[i]);
	free(weights);
	free(all);
	free(end_live);
	return rc;
}
