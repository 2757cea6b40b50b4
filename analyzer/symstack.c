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
	free(s);
}

const replay_ctx *symstack_replay(const symstack_set *s) { return s->rp; }
size_t symstack_count(const symstack_set *s) { return s->n; }

/* Symbolizes stack e (of replay stack st).  Returns 0 or SYMSTACK_ENOMEM. */
static int resolve(symstack_set *s, entry *e, const replay_stack *st)
{
	size_t cap = 0, n = 0;
	for (uint32_t i = 0; i < st->nframes; i++) {
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
			if (frameclass_is_runtime(f))
				e->pub.runtime = 1;
		}
	}
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
