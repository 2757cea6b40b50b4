/*
 * profile.c: weights and the call tree (see profile.h).
 *
 * Nodes live in chunks that never move; a map from (parent node, frame hash) to the node finds a
 * child in O(1), probing on when another frame took the hash.  The children arrays are made once
 * every entry is in, and sorted.
 */
#include "profile.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CHUNK 1024 /* nodes per chunk */

struct profile_tree {
	profile_node **chunks;
	size_t nchunks, cap_chunks;
	size_t n; /* nodes in use */
	util_pairmap children; /* (parent index, frame hash) -> node */
};

static const char *const kind_names[PROFILE_KINDS] = {"leaked", "peak", "allocations",
						       "allocated", "temporary"};

/* What an entry without a recorded stack shows as. */
static const sym_frame unrecorded = {.function = "[stack not recorded]", .module = "[unknown]"};

const char *profile_strerror(int err)
{
	switch (err) {
	case PROFILE_OK: return "success";
	case PROFILE_ENOMEM: return "out of memory";
	case PROFILE_EINVAL: return "unknown kind (leaked, peak, allocations, allocated, temporary)";
	}
	return "unknown error";
}

const char *profile_kind_name(enum profile_kind k)
{
	return (unsigned)k < PROFILE_KINDS ? kind_names[k] : "?";
}

const char *profile_kind_unit(enum profile_kind k)
{
	return k == PROFILE_ALLOCATIONS || k == PROFILE_TEMPORARY ? "count" : "bytes";
}

int profile_kind_parse(const char *name, enum profile_kind *k)
{
	for (unsigned i = 0; i < PROFILE_KINDS; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*k = (enum profile_kind)i;
			return 0;
		}
	}
	return PROFILE_EINVAL;
}

uint64_t profile_value(const symstack_entry *e, enum profile_kind k)
{
	switch (k) {
	case PROFILE_LEAKED: return e->stack->runtime ? 0 : e->fig.live_bytes;
	case PROFILE_PEAK: return e->fig.peak_bytes;
	case PROFILE_ALLOCATIONS: return e->fig.allocations;
	case PROFILE_ALLOCATED: return e->fig.allocated_bytes;
	case PROFILE_TEMPORARY: return e->fig.temporary;
	case PROFILE_KINDS: break;
	}
	return 0;
}

uint64_t profile_count(const symstack_entry *e, enum profile_kind k)
{
	switch (k) {
	case PROFILE_LEAKED: return e->stack->runtime ? 0 : e->fig.live_allocations;
	case PROFILE_PEAK: return e->fig.peak_allocations;
	case PROFILE_ALLOCATIONS:
	case PROFILE_ALLOCATED: return e->fig.allocations;
	case PROFILE_TEMPORARY: return e->fig.temporary;
	case PROFILE_KINDS: break;
	}
	return 0;
}

/* ---- the tree ---- */

static profile_node *node_at(const profile_tree *t, size_t i)
{
	return &t->chunks[i / CHUNK][i % CHUNK];
}

/* A new node under parent (NULL: the root).  NULL when out of memory. */
static profile_node *new_node(profile_tree *t, profile_node *parent, const sym_frame *f)
{
	if (t->n == t->nchunks * CHUNK) {
		if (util_grow((void **)&t->chunks, &t->cap_chunks, t->nchunks + 1, sizeof(*t->chunks)))
			return NULL;
		t->chunks[t->nchunks] = calloc(CHUNK, sizeof(profile_node));
		if (!t->chunks[t->nchunks])
			return NULL;
		t->nchunks++;
	}
	profile_node *nd = node_at(t, t->n);
	nd->id = t->n++;
	nd->frame = f;
	nd->parent = parent;
	nd->depth = parent ? parent->depth + 1 : 0;
	if (parent)
		parent->nchildren++;
	return nd;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int profile_same_frame(const sym_frame *a, const sym_frame *b)
{
	if (!same_str(a->module, b->module) || !a->inlined != !b->inlined)
		return 0;
	if (!a->function || !b->function)
		return !a->function && !b->function && a->module_offset == b->module_offset;
	return strcmp(a->function, b->function) == 0;
}

uint64_t profile_frame_hash(const sym_frame *f)
{
	uint64_t h = util_hash64((f->module ? util_fnv1a(f->module) : 1) ^ (uint64_t)(f->inlined != 0));
	return util_hash64(h ^ (f->function ? util_fnv1a(f->function) : util_hash64(f->module_offset)));
}

/* The child of parent for frame f, made when new.  NULL when out of memory. */
static profile_node *child(profile_tree *t, profile_node *parent, const sym_frame *f)
{
	uint64_t p = parent->id, h = profile_frame_hash(f);
	for (;;) {
		profile_node *nd = util_pairmap_get(&t->children, p, h);
		if (!nd) {
			nd = new_node(t, parent, f);
			if (!nd || util_pairmap_put(&t->children, p, h, nd))
				return NULL;
			return nd;
		}
		if (profile_same_frame(nd->frame, f)) {
			if (!same_str(nd->frame->file, f->file) || nd->frame->line != f->line)
				nd->line_varies = 1;
			return nd;
		}
		h = util_hash64(h + 1); /* another frame took the hash: probe on */
	}
}

static int cmp_children(const void *pa, const void *pb)
{
	const sym_frame *a = (*(profile_node *const *)pa)->frame;
	const sym_frame *b = (*(profile_node *const *)pb)->frame;
	const char *fa = a->function ? a->function : "", *fb = b->function ? b->function : "";
	int c = strcmp(fa, fb);
	if (!c)
		c = strcmp(a->module ? a->module : "", b->module ? b->module : "");
	if (!c && a->inlined != b->inlined)
		c = a->inlined ? 1 : -1;
	if (!c && a->module_offset != b->module_offset)
		c = a->module_offset < b->module_offset ? -1 : 1;
	return c;
}

/* Gives every node its children array, sorted.  Returns 0 or PROFILE_ENOMEM. */
static int link_children(profile_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		profile_node *nd = node_at(t, i);
		if (nd->nchildren) {
			nd->children = malloc(nd->nchildren * sizeof(*nd->children));
			if (!nd->children)
				return PROFILE_ENOMEM;
			nd->nchildren = 0; /* counted again while filled */
		}
	}
	for (size_t i = 1; i < t->n; i++) {
		profile_node *nd = node_at(t, i);
		nd->parent->children[nd->parent->nchildren++] = nd;
	}
	for (size_t i = 0; i < t->n; i++) {
		profile_node *nd = node_at(t, i);
		if (nd->nchildren > 1)
			qsort(nd->children, nd->nchildren, sizeof(*nd->children), cmp_children);
	}
	return 0;
}

int profile_tree_build(profile_tree **out, symstack_set *s, enum profile_kind k, int inverted)
{
	return profile_tree_build_except(out, s, k, inverted, NULL);
}

int profile_tree_build_except(profile_tree **out, symstack_set *s, enum profile_kind k,
			      int inverted, const unsigned char *leave_out)
{
	*out = NULL;
	size_t n = symstack_entry_count(s);
	uint64_t *w = malloc((n ? n : 1) * sizeof(*w));
	if (!w)
		return PROFILE_ENOMEM;
	for (size_t i = 0; i < n; i++)
		w[i] = k == PROFILE_LEAKED && leave_out && leave_out[i]
			       ? 0
			       : profile_value(symstack_entry_at(s, i), k);
	int rc = profile_tree_build_weights(out, s, w, inverted);
	free(w);
	return rc;
}

int profile_tree_build_weights(profile_tree **out, symstack_set *s, const uint64_t *w, int inverted)
{
	*out = NULL;
	profile_tree *t = calloc(1, sizeof(*t));
	if (!t)
		return PROFILE_ENOMEM;
	profile_node *root = new_node(t, NULL, NULL);
	if (!root)
		goto nomem;
	for (size_t i = 0; i < symstack_entry_count(s); i++) {
		const symstack_entry *e = symstack_entry_at(s, i);
		uint64_t v = w[i];
		if (!v)
			continue;
		const symstack *st = e->stack;
		size_t nf = st->recorded ? st->nframes : 1;
		profile_node *nd = root;
		root->value += v;
		root->entries++;
		for (size_t j = 0; j < nf; j++) {
			const sym_frame *f = !st->recorded ? &unrecorded
					     : inverted    ? &st->frames[j]
							   : &st->frames[nf - 1 - j];
			nd = child(t, nd, f);
			if (!nd)
				goto nomem;
			nd->value += v;
			nd->entries++;
		}
		nd->self += v;
	}
	if (link_children(t))
		goto nomem;
	*out = t;
	return 0;
nomem:
	profile_tree_free(t);
	return PROFILE_ENOMEM;
}

void profile_tree_free(profile_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(node_at(t, i)->children);
	for (size_t c = 0; c < t->nchunks; c++)
		free(t->chunks[c]);
	free(t->chunks);
	util_pairmap_release(&t->children);
	free(t);
}

const profile_node *profile_tree_root(const profile_tree *t) { return node_at(t, 0); }
size_t profile_tree_size(const profile_tree *t) { return t->n; }

/* ---- choosing what a picture shows ---- */

static int cmp_desc(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return a == b ? 0 : a > b ? -1 : 1;
}

/* Marks the nodes under n (kept) that qualify, in depth-first order while the budget lasts. */
static void select_under(const profile_node *n, uint64_t thr, size_t max_nodes, unsigned char *keep,
			 size_t *kept, uint64_t *left_value)
{
	for (size_t i = 0; i < n->nchildren; i++) {
		const profile_node *c = n->children[i];
		if (c->value >= thr && c->value && *kept < max_nodes) {
			keep[c->id] = 1;
			(*kept)++;
			select_under(c, thr, max_nodes, keep, kept, left_value);
		} else {
			*left_value += c->value;
		}
	}
}

size_t profile_tree_select(const profile_tree *t, size_t max_nodes, uint64_t min_value,
			   unsigned char *keep, size_t *left_nodes, uint64_t *left_value)
{
	memset(keep, 0, t->n);
	uint64_t thr = min_value, lv = 0;
	if (t->n > max_nodes && max_nodes > 0) {
		uint64_t *v = malloc(t->n * sizeof(uint64_t));
		if (v) {
			for (size_t i = 0; i < t->n; i++)
				v[i] = node_at(t, i)->value;
			qsort(v, t->n, sizeof(uint64_t), cmp_desc);
			if (v[max_nodes - 1] > thr)
				thr = v[max_nodes - 1];
			free(v);
		} /* else: the budget alone bounds what is shown */
	}
	size_t kept = 0;
	if (max_nodes > 0) {
		keep[0] = 1;
		kept = 1;
		select_under(node_at(t, 0), thr, max_nodes, keep, &kept, &lv);
	}
	if (left_nodes)
		*left_nodes = t->n - kept;
	if (left_value)
		*left_value = lv;
	return kept;
}

/* ---- matching two trees ---- */

/* Frames at the same place of two runs' call paths (see profile_tree_match). */
static int same_name(const sym_frame *a, const sym_frame *b)
{
	if (!a->inlined != !b->inlined)
		return 0;
	if (a->function || b->function)
		return a->function && b->function && strcmp(a->function, b->function) == 0;
	return a->module_offset == b->module_offset && a->module && b->module &&
	       strcmp(util_base_name(a->module), util_base_name(b->module)) == 0;
}

static void match_node(const profile_node *n, const profile_node *b, uint64_t *base_value)
{
	base_value[n->id] = b ? b->value : 0;
	for (size_t i = 0; i < n->nchildren; i++) {
		const profile_node *c = n->children[i], *m = NULL;
		for (size_t j = 0; b && !m && j < b->nchildren; j++)
			if (same_name(c->frame, b->children[j]->frame))
				m = b->children[j];
		match_node(c, m, base_value);
	}
}

void profile_tree_match(const profile_tree *t, const profile_tree *base, uint64_t *base_value)
{
	match_node(profile_tree_root(t), profile_tree_root(base), base_value);
}

size_t profile_node_depth(const profile_node *nd)
{
	size_t d = nd->depth;
	for (size_t i = 0; i < nd->nchildren; i++) {
		size_t c = profile_node_depth(nd->children[i]);
		if (c > d)
			d = c;
	}
	return d;
}
