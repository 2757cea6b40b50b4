/*
 * report.c: the report model (see report.h): leak figures over the entries still holding memory,
 * and the sorted lists of entries.
 */
#include "report.h"

#include <stdlib.h>

#include "util.h"

struct report_ctx {
	const replay_ctx *rp;
	symstack_set *stacks;
	report_options opt;
	uint64_t leaked_bytes, leaked_allocs, runtime_bytes;
	uint64_t kind_bytes[TF_REACH_KINDS], kind_allocs[TF_REACH_KINDS];
	const growth_ctx *gr;
	const sym_ctx *sym;
	const char *win_from, *win_to;
	suppress_use suppressed;
	suppress_use *rules;       /* per rule of opt.sup */
	unsigned char *sup_map;    /* per entry */
};

const char *report_strerror(int err)
{
	switch (err) {
	case REPORT_OK: return "success";
	case REPORT_ENOMEM: return "out of memory";
	case REPORT_EIO: return "write error";
	}
	return "unknown error";
}

int report_create(report_ctx **out, symstack_set *stacks, const report_options *opt)
{
	*out = NULL;
	report_ctx *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return REPORT_ENOMEM;
	rc->rp = symstack_replay(stacks);
	rc->stacks = stacks;
	rc->opt = *opt;
	size_t nent = 0;
	if (!symstack_merge(stacks))
		nent = symstack_entry_count(stacks);
	size_t nrules = suppress_count(opt->sup);
	rc->sup_map = calloc(nent ? nent : 1, 1);
	rc->rules = calloc(nrules ? nrules : 1, sizeof(suppress_use));
	if (!rc->sup_map || !rc->rules || symstack_merge(stacks)) {
		report_free(rc);
		return REPORT_ENOMEM;
	}
	for (size_t i = 0; i < nent; i++) {
		const symstack_entry *e = symstack_entry_at(stacks, i);
		long rule = -1;
		if (!e->stack->runtime && (e->fig.live_bytes || e->fig.live_allocations))
			rule = suppress_match_stack(opt->sup, e->stack->frames, e->stack->nframes);
		if (e->stack->runtime) {
			rc->runtime_bytes += e->fig.live_bytes;
		} else if (rule >= 0) {
			suppress_use *u = &rc->rules[rule];
			u->bytes += e->fig.live_bytes;
			u->allocations += e->fig.live_allocations;
			u->stacks++;
			rc->suppressed.bytes += e->fig.live_bytes;
			rc->suppressed.allocations += e->fig.live_allocations;
			rc->suppressed.stacks++;
			rc->sup_map[i] = 1;
		} else {
			rc->leaked_bytes += e->fig.live_bytes;
			rc->leaked_allocs += e->fig.live_allocations;
			for (int k = 0; k < TF_REACH_KINDS; k++) {
				rc->kind_bytes[k] += e->fig.kind_bytes[k];
				rc->kind_allocs[k] += e->fig.kind_allocations[k];
			}
		}
	}
	*out = rc;
	return 0;
}

void report_free(report_ctx *rc)
{
	if (!rc)
		return;
	free(rc->rules);
	free(rc->sup_map);
	free(rc);
}

void report_set_color(report_ctx *rc, int color) { rc->opt.color = color; }

void report_set_growth(report_ctx *rc, const growth_ctx *gr) { rc->gr = gr; }

void report_set_window_args(report_ctx *rc, const char *from, const char *to)
{
	rc->win_from = from;
	rc->win_to = to;
}

void report_set_modules(report_ctx *rc, const sym_ctx *sym) { rc->sym = sym; }
const sym_ctx *report_modules(const report_ctx *rc) { return rc->sym; }

const replay_ctx *report_replay(const report_ctx *rc) { return rc->rp; }
symstack_set *report_stacks(const report_ctx *rc) { return rc->stacks; }
const report_options *report_opts(const report_ctx *rc) { return &rc->opt; }
const growth_ctx *report_growth(const report_ctx *rc) { return rc->gr; }
const char *report_window_from(const report_ctx *rc) { return rc->win_from; }
const char *report_window_to(const report_ctx *rc) { return rc->win_to; }

uint64_t report_leaked_bytes(const report_ctx *rc) { return rc->leaked_bytes; }
uint64_t report_leaked_allocations(const report_ctx *rc) { return rc->leaked_allocs; }
uint64_t report_runtime_leaked_bytes(const report_ctx *rc) { return rc->runtime_bytes; }
const suppress_use *report_suppressed(const report_ctx *rc) { return &rc->suppressed; }
const suppress_use *report_rule_use(const report_ctx *rc, size_t i) { return &rc->rules[i]; }
const unsigned char *report_suppressed_map(const report_ctx *rc) { return rc->sup_map; }

int report_has_kinds(const report_ctx *rc)
{
	return replay_get_summary(rc->rp)->reach_applies;
}

enum report_list report_kind_list(unsigned kind)
{
	return (enum report_list)(REPORT_DEFINITELY_LOST + (kind - TF_REACH_DEFINITELY_LOST));
}

unsigned report_list_kind(enum report_list k)
{
	return k >= REPORT_DEFINITELY_LOST && k <= REPORT_REACHABLE
		       ? TF_REACH_DEFINITELY_LOST + (unsigned)(k - REPORT_DEFINITELY_LOST)
		       : 0;
}

uint64_t report_kind_bytes(const report_ctx *rc, unsigned kind)
{
	return kind < TF_REACH_KINDS ? rc->kind_bytes[kind] : 0;
}

uint64_t report_kind_allocations(const report_ctx *rc, unsigned kind)
{
	return kind < TF_REACH_KINDS ? rc->kind_allocs[kind] : 0;
}

/* ---- lists ---- */

static uint64_t figure(const replay_stack *st, enum report_list k)
{
	switch (k) {
	case REPORT_LEAKS: return st->live_bytes;
	case REPORT_PEAK: return st->peak_bytes;
	case REPORT_ALLOCS: return st->allocations;
	case REPORT_TEMP: return st->temporary;
	case REPORT_DEFINITELY_LOST:
	case REPORT_INDIRECTLY_LOST:
	case REPORT_POSSIBLY_LOST:
	case REPORT_REACHABLE: return st->kind_bytes[report_list_kind(k)];
	}
	return 0;
}

/* An entry in a list: its figure, its id (tie-break) and its index. */
typedef struct sort_item {
	uint64_t key, id;
	size_t idx;
} sort_item;

static int cmp_items(const void *pa, const void *pb)
{
	const sort_item *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

long report_list(report_ctx *rc, enum report_list k, size_t **idx, size_t *total)
{
	size_t cnt = symstack_entry_count(rc->stacks), n = 0;
	sort_item *items = malloc((cnt ? cnt : 1) * sizeof(sort_item));
	*idx = malloc((cnt ? cnt : 1) * sizeof(size_t));
	if (!items || !*idx) {
		free(items);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++) {
		const symstack_entry *e = symstack_entry_at(rc->stacks, i);
		uint64_t v = figure(&e->fig, k);
		if (!v || ((k == REPORT_LEAKS || report_list_kind(k)) &&
			   (e->stack->runtime || rc->sup_map[i])))
			continue;
		items[n++] = (sort_item){v, e->fig.id, i};
	}
	qsort(items, n, sizeof(sort_item), cmp_items);
	for (size_t i = 0; i < n; i++)
		(*idx)[i] = items[i].idx;
	free(items);
	*total = n;
	return (long)util_shown(n, rc->opt.top);
}

/* ---- held longest ---- */

/* The byte-seconds of entry e: its members' summed. */
static double entry_byte_seconds(const lifetime_tab *t, const symstack_entry *e)
{
	double v = 0;
	for (size_t i = 0; i < e->nmembers; i++)
		v += lifetime_byte_seconds(t, e->members[i]);
	return v;
}

typedef struct held_item {
	double key;
	uint64_t id;
	size_t idx;
} held_item;

static int cmp_held(const void *pa, const void *pb)
{
	const held_item *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

long report_held_list(report_ctx *rc, size_t **idx, size_t *total)
{
	const lifetime_tab *t = replay_get_lifetimes(rc->rp);
	size_t cnt = symstack_entry_count(rc->stacks), n = 0;
	held_item *items = malloc((cnt ? cnt : 1) * sizeof(held_item));
	*idx = malloc((cnt ? cnt : 1) * sizeof(size_t));
	if (!items || !*idx) {
		free(items);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++) {
		const symstack_entry *e = symstack_entry_at(rc->stacks, i);
		double v = entry_byte_seconds(t, e);
		if (v > 0)
			items[n++] = (held_item){v, e->fig.id, i};
	}
	qsort(items, n, sizeof(held_item), cmp_held);
	for (size_t i = 0; i < n; i++)
		(*idx)[i] = items[i].idx;
	free(items);
	*total = n;
	return (long)util_shown(n, rc->opt.top);
}

int report_entry_lifetime(report_ctx *rc, size_t ei, report_lifetime *out)
{
	const symstack_entry *e = symstack_entry_at(rc->stacks, ei);
	if (lifetime_figures_of(replay_get_lifetimes(rc->rp), e->members, e->nmembers, &out->fig))
		return REPORT_ENOMEM;
	out->live_at_end = e->fig.live_allocations;
	out->allocations = out->fig.freed + out->live_at_end;
	return 0;
}

void report_histogram_range(const replay_summary *s, unsigned *lo, unsigned *hi)
{
	*lo = 1;
	*hi = 0;
	for (unsigned k = 0; k < REPLAY_SIZE_CLASSES; k++) {
		if (!s->sizes[k].allocations)
			continue;
		if (*lo > *hi)
			*lo = k;
		*hi = k;
	}
}
