/*
 * keyset.c: stacks grouped by key (see keyset.h).  Each key is hashed (FNV-1a) into a util_map
 * from hash to group index; a hash taken by another key is rehashed until a free or matching
 * slot turns up, so distinct keys never merge.
 */
#include "keyset.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *keyset_strerror(int err)
{
	switch (err) {
	case KEYSET_OK: return "success";
	case KEYSET_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

struct keyset {
	keyset_group *groups;
	size_t n, cap;
	util_map index; /* key hash -> group index */
	keyset_figures totals;
	uint64_t suppressed_stacks;
	keyset_rule_use *rules;
	size_t nrules;
};

/* Finds the group of key: returns 1 and *idx when present; else 0 and *slot, the hash under
 * which the key is to be inserted. */
static int find_group(const keyset *s, const char *key, uint32_t *idx, uint64_t *slot)
{
	uint64_t h = util_fnv1a(key);
	for (;;) {
		uint32_t v;
		if (!util_map_get(&s->index, h, &v)) {
			*slot = h;
			return 0;
		}
		if (strcmp(s->groups[v].key, key) == 0) {
			*idx = v;
			return 1;
		}
		h = util_hash64(h + 1);
	}
}

const keyset_group *keyset_find(const keyset *s, const char *key)
{
	uint32_t idx;
	uint64_t slot;
	return find_group(s, key, &idx, &slot) ? &s->groups[idx] : NULL;
}

static void add_figures(keyset_figures *a, const keyset_figures *b)
{
	a->allocations += b->allocations;
	a->allocated_bytes += b->allocated_bytes;
	a->temporary += b->temporary;
	a->leaked_bytes += b->leaked_bytes;
	a->leaked_allocations += b->leaked_allocations;
	a->runtime_bytes += b->runtime_bytes;
	a->runtime_allocations += b->runtime_allocations;
	a->suppressed_bytes += b->suppressed_bytes;
	a->suppressed_allocations += b->suppressed_allocations;
	a->peak_bytes += b->peak_bytes;
	a->peak_allocations += b->peak_allocations;
	for (int k = 0; k < TF_REACH_KINDS; k++) {
		a->kind_bytes[k] += b->kind_bytes[k];
		a->kind_allocations[k] += b->kind_allocations[k];
	}
}

/* 1 when stack a should represent its group rather than stack b. */
static int holds_more(const replay_stack *a, const replay_stack *b)
{
	if (a->live_bytes != b->live_bytes)
		return a->live_bytes > b->live_bytes;
	if (a->peak_bytes != b->peak_bytes)
		return a->peak_bytes > b->peak_bytes;
	if (a->allocations != b->allocations)
		return a->allocations > b->allocations;
	return a->id < b->id;
}

int keyset_build(keyset **out, symstack_set *stacks, enum stackkey_match match,
		 const suppress_list *sup)
{
	const replay_ctx *rp = symstack_replay(stacks);
	*out = NULL;
	keyset *s = calloc(1, sizeof(*s));
	if (!s)
		return KEYSET_ENOMEM;
	util_map_init(&s->index);
	s->nrules = suppress_count(sup);
	s->rules = calloc(s->nrules ? s->nrules : 1, sizeof(keyset_rule_use));
	if (!s->rules)
		goto nomem;
	for (size_t i = 0; i < replay_stack_count(rp); i++) {
		const replay_stack *st = replay_stack_at(rp, i);
		if (!st->allocations && !st->live_bytes && !st->live_allocations && !st->peak_bytes &&
		    !st->peak_allocations)
			continue;
		const symstack *ss = symstack_get(stacks, i);
		if (!ss)
			goto nomem;
		const sym_frame *frames = ss->frames;
		size_t nf = ss->nframes;
		int runtime = ss->runtime;
		char *key;
		size_t klen;
		if (st->defined) {
			if (stackkey_key(frames, nf, match, &key, &klen))
				goto nomem;
		} else {
			/* no frames to name: every such stack shares one key no real stack has */
			key = strdup(";[stack not recorded]");
			if (!key)
				goto nomem;
		}
		keyset_figures f = {0};
		f.allocations = st->allocations;
		f.allocated_bytes = st->allocated_bytes;
		f.temporary = st->temporary;
		f.peak_bytes = st->peak_bytes;
		f.peak_allocations = st->peak_allocations;
		long rule = -1;
		if (runtime) {
			f.runtime_bytes = st->live_bytes;
			f.runtime_allocations = st->live_allocations;
		} else if (st->live_bytes || st->live_allocations) {
			rule = suppress_match_stack(sup, frames, nf);
			if (rule >= 0) {
				f.suppressed_bytes = st->live_bytes;
				f.suppressed_allocations = st->live_allocations;
				s->rules[rule].bytes += st->live_bytes;
				s->rules[rule].allocations += st->live_allocations;
			} else {
				f.leaked_bytes = st->live_bytes;
				f.leaked_allocations = st->live_allocations;
				memcpy(f.kind_bytes, st->kind_bytes, sizeof(f.kind_bytes));
				memcpy(f.kind_allocations, st->kind_allocations,
				       sizeof(f.kind_allocations));
			}
		}
		uint32_t gi;
		uint64_t slot;
		if (find_group(s, key, &gi, &slot)) {
			free(key);
		} else {
			if (s->n >= UINT32_MAX - 1 ||
			    util_grow((void **)&s->groups, &s->cap, s->n + 1, sizeof(keyset_group))) {
				free(key);
				goto nomem;
			}
			gi = (uint32_t)s->n;
			keyset_group *g = &s->groups[gi];
			memset(g, 0, sizeof(*g));
			g->key = key;
			g->rep_idx = i;
			g->frames = frames;
			g->nframes = nf;
			g->defined = st->defined;
			g->rule = -1;
			s->n++;
			if (util_map_put(&s->index, slot, gi))
				goto nomem;
		}
		keyset_group *g = &s->groups[gi];
		if (g->stacks && holds_more(st, replay_stack_at(rp, g->rep_idx))) {
			g->rep_idx = i;
			g->frames = frames;
			g->nframes = nf;
			g->defined = st->defined;
		}
		g->stacks++;
		if (rule >= 0 && g->rule < 0)
			g->rule = rule;
		add_figures(&g->fig, &f);
		add_figures(&s->totals, &f);
	}
	for (size_t i = 0; i < s->n; i++) {
		const keyset_group *g = &s->groups[i];
		if (g->fig.suppressed_bytes || g->fig.suppressed_allocations) {
			s->suppressed_stacks++;
			if (g->rule >= 0)
				s->rules[g->rule].stacks++;
		}
	}
	*out = s;
	return 0;
nomem:
	keyset_free(s);
	return KEYSET_ENOMEM;
}

void keyset_free(keyset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free((char *)(uintptr_t)s->groups[i].key);
	free(s->groups);
	free(s->rules);
	util_map_release(&s->index);
	free(s);
}

size_t keyset_count(const keyset *s) { return s->n; }
const keyset_group *keyset_at(const keyset *s, size_t i) { return &s->groups[i]; }
const keyset_figures *keyset_totals(const keyset *s) { return &s->totals; }
uint64_t keyset_suppressed_stacks(const keyset *s) { return s->suppressed_stacks; }
const keyset_rule_use *keyset_rule_use_at(const keyset *s, size_t i) { return &s->rules[i]; }

