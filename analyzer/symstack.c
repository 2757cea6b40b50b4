/*
 * symstack.c: the symbolized stacks (see symstack.h).  Each stack's frames are the resolver's
 * frames of every recorded address, copied into one array per stack; frames without a module
 * read "[unknown]".
 */
#include "symstack.h"

#include <stdlib.h>
#include <string.h>

#include "frameclass.h"
#include "util.h"

typedef struct entry {
	symstack pub;
	int done;
	sym_frame *all; /* every frame, the folded ones first */
} entry;

struct symstack_set {
	const replay_ctx *rp;
	symstack_resolver res;
	int show_alloc_frames;
	entry *v;
	size_t n;
	int nomem;
	/* entries (symstack_merge) */
	int merged;
	symstack_entry *ent;
	size_t nent;
	size_t *entry_of; /* per replay index */
	size_t *members;  /* every replay index, grouped by entry */
};

static int sym_resolve_cb(void *ctx, uint64_t epoch, uint64_t addr, const sym_frame **frames)
{
	return sym_resolve(ctx, epoch, addr, frames);
}

symstack_resolver symstack_sym_resolver(sym_ctx *sym)
{
	return (symstack_resolver){sym_resolve_cb, sym};
}

int symstack_create(symstack_set **out, const replay_ctx *rp, const symstack_resolver *res,
		    int show_alloc_frames)
{
	*out = NULL;
	symstack_set *s = calloc(1, sizeof(*s));
	if (!s)
		return SYMSTACK_ENOMEM;
	s->rp = rp;
	if (res)
		s->res = *res;
	s->show_alloc_frames = show_alloc_frames;
	s->n = replay_stack_count(rp);
	s->v = calloc(s->n ? s->n : 1, sizeof(entry));
	if (!s->v) {
		free(s);
		return SYMSTACK_ENOMEM;
	}
	*out = s;
	return 0;
}

void symstack_free(symstack_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].all);
	free(s->v);
	free(s->ent);
	free(s->entry_of);
	free(s->members);
	free(s);
}

const replay_ctx *symstack_replay(const symstack_set *s) { return s->rp; }
size_t symstack_count(const symstack_set *s) { return s->n; }

/* Symbolizes stack e (of replay stack st).  Returns 0 or SYMSTACK_ENOMEM. */
static int resolve(symstack_set *s, entry *e, const replay_stack *st)
{
	size_t cap = 0, n = 0;
	uint32_t nrec = st->nframes;
	if (nrec && st->frames[nrec - 1] == 0) { /* the recorder's mark of a stack cut at the depth */
		e->pub.truncated = 1;
		nrec--;
	}
	for (uint32_t i = 0; i < nrec; i++) {
		const sym_frame *fr = NULL;
		int k = s->res.resolve ? s->res.resolve(s->res.ctx, st->epoch, st->frames[i], &fr) : -1;
		sym_frame unknown;
		if (k < 1 || !fr) {
			memset(&unknown, 0, sizeof(unknown));
			unknown.module = "[unknown]";
			unknown.address = st->frames[i];
			unknown.module_offset = st->frames[i];
			fr = &unknown;
			k = 1;
		}
		if (util_grow((void **)&e->all, &cap, n + (size_t)k, sizeof(sym_frame)))
			return SYMSTACK_ENOMEM;
		for (int j = 0; j < k; j++) {
			sym_frame *f = &e->all[n++];
			*f = fr[j];
			if (!f->module)
				f->module = "[unknown]";
		}
	}
	e->pub.runtime = frameclass_stack_is_runtime(e->all, n);
	size_t first = 0;
	if (!s->show_alloc_frames) {
		while (first < n && frameclass_is_alloc(&e->all[first]))
			first++;
		if (first == n)
			first = 0; /* a stack of nothing but allocator frames */
	}
	e->pub.frames = n ? e->all + first : NULL;
	e->pub.nframes = n - first;
	e->pub.folded = first;
	return 0;
}

const symstack *symstack_get(symstack_set *s, size_t idx)
{
	entry *e = &s->v[idx];
	if (!e->done && !s->nomem) {
		const replay_stack *st = replay_stack_at(s->rp, idx);
		e->done = 1;
		e->pub.rec = st;
		e->pub.recorded = st->defined;
		if (resolve(s, e, st))
			s->nomem = 1;
	}
	return s->nomem ? NULL : &e->pub;
}

const symstack *symstack_peek(const symstack_set *s, size_t idx)
{
	return idx < s->n && s->v[idx].done && !s->nomem ? &s->v[idx].pub : NULL;
}

/* ---- entries ---- */

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_frame(const sym_frame *a, const sym_frame *b)
{
	if (!a->function || !b->function)
		return !a->function && !b->function && same_str(a->module, b->module) &&
		       a->module_offset == b->module_offset;
	return same_str(a->function, b->function) && same_str(a->file, b->file) &&
	       a->line == b->line && a->inlined == b->inlined && same_str(a->module, b->module);
}

static uint64_t str_hash(uint64_t h, const char *s)
{
	return util_hash64(h ^ (s ? util_fnv1a(s) : 0x5bd1e995u));
}

/* The hash of what makes two stacks print the same (see same_stack). */
static uint64_t stack_hash(const symstack *st)
{
	if (!st->recorded)
		return util_hash64(st->rec->id) | 1; /* an entry of its own */
	uint64_t h = util_hash64(st->nframes + 1);
	for (size_t i = 0; i < st->nframes; i++) {
		const sym_frame *f = &st->frames[i];
		if (f->function) {
			h = str_hash(h, f->function);
			h = str_hash(h, f->file);
			h = str_hash(h, f->module);
			h = util_hash64(h ^ ((uint64_t)f->line << 1 | (uint64_t)(f->inlined != 0)));
		} else {
			h = str_hash(h, f->module);
			h = util_hash64(h ^ f->module_offset);
		}
	}
	return h;
}

static int same_stack(const symstack *a, const symstack *b)
{
	if (!a->recorded || !b->recorded)
		return a == b;
	if (a->nframes != b->nframes || a->truncated != b->truncated)
		return 0;
	for (size_t i = 0; i < a->nframes; i++)
		if (!same_frame(&a->frames[i], &b->frames[i]))
			return 0;
	return 1;
}

static void add_figures(replay_stack *a, const replay_stack *b)
{
	a->allocations += b->allocations;
	a->allocated_bytes += b->allocated_bytes;
	a->live_bytes += b->live_bytes;
	a->live_allocations += b->live_allocations;
	a->temporary += b->temporary;
	a->peak_bytes += b->peak_bytes;
	a->peak_allocations += b->peak_allocations;
	a->heap_bytes += b->heap_bytes;
	a->heap_allocations += b->heap_allocations;
	for (int k = 0; k < TF_REACH_KINDS; k++) {
		a->kind_bytes[k] += b->kind_bytes[k];
		a->kind_allocations[k] += b->kind_allocations[k];
	}
}

/* A replay stack in id order. */
typedef struct by_id {
	uint64_t id;
	size_t idx;
} by_id;

static int cmp_by_id(const void *pa, const void *pb)
{
	const by_id *a = pa, *b = pb;
	return a->id < b->id ? -1 : a->id > b->id;
}

int symstack_merge(symstack_set *s)
{
	if (s->merged)
		return s->nomem ? SYMSTACK_ENOMEM : 0;
	s->merged = 1;
	size_t n = s->n, cap = 0;
	by_id *order = malloc((n ? n : 1) * sizeof(by_id));
	size_t *count = NULL;
	util_map index;
	util_map_init(&index);
	s->entry_of = malloc((n ? n : 1) * sizeof(size_t));
	s->members = malloc((n ? n : 1) * sizeof(size_t));
	if (!order || !s->entry_of || !s->members)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		order[i] = (by_id){replay_stack_at(s->rp, i)->id, i};
	qsort(order, n, sizeof(by_id), cmp_by_id);
	for (size_t k = 0; k < n; k++) {
		size_t idx = order[k].idx;
		const symstack *st = symstack_get(s, idx);
		if (!st)
			goto nomem;
		uint64_t h = stack_hash(st);
		uint32_t e;
		for (;;) {
			if (!util_map_get(&index, h, &e)) {
				if (s->nent >= UINT32_MAX - 1 ||
				    util_grow((void **)&s->ent, &cap, s->nent + 1, sizeof(symstack_entry)))
					goto nomem;
				e = (uint32_t)s->nent++;
				symstack_entry *ne = &s->ent[e];
				memset(ne, 0, sizeof(*ne));
				ne->stack = st;
				ne->fig.id = st->rec->id; /* the smallest: stacks come in id order */
				ne->fig.epoch = st->rec->epoch;
				ne->fig.defined = st->rec->defined;
				ne->fig.nframes = st->rec->nframes;
				ne->fig.frames = st->rec->frames;
				if (util_map_put(&index, h, e))
					goto nomem;
				break;
			}
			if (same_stack(s->ent[e].stack, st))
				break;
			h = util_hash64(h + 1); /* another stack took this hash: probe on */
		}
		s->entry_of[idx] = e;
		add_figures(&s->ent[e].fig, st->rec);
		s->ent[e].nmembers++;
	}
	/* members: each entry's slice of s->members, in id order */
	count = calloc(s->nent ? s->nent : 1, sizeof(size_t));
	if (!count)
		goto nomem;
	size_t at = 0;
	for (size_t e = 0; e < s->nent; e++) {
		count[e] = at;
		at += s->ent[e].nmembers;
	}
	for (size_t k = 0; k < n; k++) {
		size_t e = s->entry_of[order[k].idx];
		s->members[count[e]++] = order[k].idx;
	}
	for (size_t e = 0; e < s->nent; e++)
		s->ent[e].members = s->members + count[e] - s->ent[e].nmembers;
	free(count);
	free(order);
	util_map_release(&index);
	return 0;
nomem:
	free(count);
	free(order);
	util_map_release(&index);
	s->nomem = 1;
	return SYMSTACK_ENOMEM;
}

size_t symstack_entry_count(const symstack_set *s) { return s->nent; }
const symstack_entry *symstack_entry_at(const symstack_set *s, size_t i) { return &s->ent[i]; }
size_t symstack_entry_of(const symstack_set *s, size_t idx) { return s->entry_of[idx]; }
const size_t *symstack_entry_map(const symstack_set *s) { return s->entry_of; }
