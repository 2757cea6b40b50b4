/*
 * profile: the entries of a trace (symstack.h) weighed by one figure, and the call tree they
 * make, for the pictures and exports (flamegraphs, the HTML report, pprof, collapsed stacks,
 * massif, speedscope) (prefix profile_).
 *
 * A kind names the figure: leaked bytes (live at the end of the trace or window; runtime-owned
 * entries weigh nothing), bytes live at the heap peak, allocations, allocated bytes, temporary
 * allocations.  Every output reads an entry's weight through profile_value, so all of them agree
 * with the report's lists and with --json.
 *
 * The tree (profile_tree_build) merges the entries' frames from the root (the outermost frame)
 * to the leaf (the innermost one): two frames are the same node when they have the same function
 * and module (a frame without a function: the same module and offset) and the same inlined flag,
 * under the same parent.  A node's value is the sum of the weights of the entries through it;
 * its self value what entries ending there weigh.  Children are ordered by function name (then
 * module), as flamegraph tools order them, so the tree is the same whatever the input order.
 */
#ifndef LEAKREC_PROFILE_H
#define LEAKREC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sym.h"
#include "symstack.h"

enum {
	PROFILE_OK = 0,
	PROFILE_ENOMEM = -1, /* out of memory */
	PROFILE_EINVAL = -2, /* unknown kind name */
};

/* Returns a static description of a PROFILE_E* code. */
const char *profile_strerror(int err);

enum profile_kind {
	PROFILE_LEAKED,      /* bytes live at the end, runtime-owned entries left out */
	PROFILE_PEAK,        /* bytes live at the heap peak */
	PROFILE_ALLOCATIONS, /* allocations (calls that returned memory) */
	PROFILE_ALLOCATED,   /* bytes allocated */
	PROFILE_TEMPORARY,   /* temporary allocations */
	PROFILE_KINDS
};

/* The kind's name as the command line takes it ("leaked", "peak", "allocations", "allocated",
 * "temporary"), and its unit ("bytes" or "count"); static strings. */
const char *profile_kind_name(enum profile_kind k);
const char *profile_kind_unit(enum profile_kind k);
/* Parses a kind name.  Returns 0 and *k, or PROFILE_EINVAL. */
int profile_kind_parse(const char *name, enum profile_kind *k);

/* The weight of entry e under kind k (0 for a runtime-owned entry under PROFILE_LEAKED). */
uint64_t profile_value(const symstack_entry *e, enum profile_kind k);
/* The allocations behind that weight: live at the end (PROFILE_LEAKED, 0 for a runtime-owned
 * entry), live at the peak (PROFILE_PEAK), allocations (PROFILE_ALLOCATIONS, PROFILE_ALLOCATED),
 * temporary allocations (PROFILE_TEMPORARY). */
uint64_t profile_count(const symstack_entry *e, enum profile_kind k);

/* ---- the call tree ---- */

/* 1 when frames a and b (borrowed) are one node of the tree: the same function and module (a
 * frame without a function: the same module and offset) and the same inlined flag.
 * profile_frame_hash agrees with it: equal frames hash alike. */
int profile_same_frame(const sym_frame *a, const sym_frame *b);
uint64_t profile_frame_hash(const sym_frame *f);

typedef struct profile_node {
	const sym_frame *frame;   /* the frame (of the first entry through the node); NULL: root */
	int line_varies;          /* the merged frames have different files or lines */
	uint64_t value;           /* the weights of the entries through this node */
	uint64_t self;            /* the weights of the entries whose innermost frame this is */
	size_t entries;           /* entries through this node */
	struct profile_node *parent;
	struct profile_node **children; /* nchildren, ordered by function name, then module */
	size_t nchildren;
	size_t depth;             /* 0 for the root */
	size_t id;                /* 0 for the root, then in the order nodes were made */
} profile_node;

typedef struct profile_tree profile_tree;

/* Builds the tree of the entries of s (symstack_merge done; borrowed, must outlive the tree)
 * weighed by kind k; entries of weight 0 are left out.  With inverted the tree runs from the
 * innermost frame (the allocating function) outwards (a bottom-up view).  Returns 0 and *out
 * (free with profile_tree_free), or PROFILE_ENOMEM. */
int profile_tree_build(profile_tree **out, symstack_set *s, enum profile_kind k, int inverted);
/* profile_tree_build leaving out, under PROFILE_LEAKED, every entry i whose leave_out[i] is set
 * (the leaks that suppressions removed: report_suppressed_map); leave_out is borrowed, NULL
 * leaves out nothing. */
int profile_tree_build_except(profile_tree **out, symstack_set *s, enum profile_kind k,
			      int inverted, const unsigned char *leave_out);
/* The same with a weight of its own per entry: w[i] (0 leaves it out) for entry i
 * (symstack_entry_at), symstack_entry_count(s) values (borrowed, read during the call only). */
int profile_tree_build_weights(profile_tree **out, symstack_set *s, const uint64_t *w, int inverted);
/* Frees the tree.  Accepts NULL. */
void profile_tree_free(profile_tree *t);
/* The root: a node without a frame whose value is the total weight.  Owned by the tree. */
const profile_node *profile_tree_root(const profile_tree *t);
/* Nodes in the tree, the root included. */
size_t profile_tree_size(const profile_tree *t);
/* The depth of the deepest node under nd (borrowed), nd's own depth when it has no children. */
size_t profile_node_depth(const profile_node *nd);

/* Chooses the nodes a picture of t shows: the widest ones, at most max_nodes (the root
 * included), none below min_value (nor of value 0 but the root), each with its parent, so they
 * form a tree; a subtree left out is left out whole.  keep (profile_tree_size(t) bytes, by node
 * id) receives 1 for a node shown, 0 else.  Returns the nodes shown; *left_nodes and *left_value
 * (may be NULL) receive how many nodes were left out and the value of the subtrees left out (the
 * width missing under the nodes shown). */
size_t profile_tree_select(const profile_tree *t, size_t max_nodes, uint64_t min_value,
			   unsigned char *keep, size_t *left_nodes, uint64_t *left_value);

/* For a differential view of two runs (the builds may differ): fills base_value[n->id] (an array
 * of profile_tree_size(t) values) with the value, in tree base, of the node at the same call
 * path as node n of t, 0 when base has none.  Paths are matched by names: frames with a
 * function by function name and inlined flag (not module or line), frames without one by module
 * base name and offset. */
void profile_tree_match(const profile_tree *t, const profile_tree *base, uint64_t *base_value);

#endif
