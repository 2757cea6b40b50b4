/*
 * test_profile: the weights and the call tree of analyzer/profile.c on a small trace made here
 * and a fake resolver: each kind's weight of each entry (runtime-owned entries weigh nothing
 * leaked), the tree's values and self values from the root and inverted, merged frames, sorted
 * children, an entry without a recorded stack, and the kind names.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "minitrace.h"
#include "profile.h"
#include "tf_reader.h"

/* Frames (innermost first), epoch 1:
 *   stack 1: leaf_a, mid, main       2 x 100 B, one freed
 *   stack 2: leaf_b, mid, main       300 B
 *   stack 3: leaf_a, other, main     50 B (leaf_a at another line: the same node under other)
 *   stack 4: stdio, main             40 B, runtime-owned
 *   stack 5: no STACK record         7 B */
enum { A_LEAF_A = 0x10, A_LEAF_B = 0x20, A_MID = 0x30, A_MAIN = 0x40, A_OTHER = 0x50,
       A_LEAF_A2 = 0x60, A_STDIO = 0x70 };

static char path[] = "/tmp/test_profile.XXXXXX";

static int write_trace(void)
{
	static uint8_t raw[1 << 14];
	tf_enc e;
	tf_enc_init(&e, raw, sizeof(raw));
	put_header(&e);
	const uint64_t s1[] = {A_LEAF_A, A_MID, A_MAIN}, s2[] = {A_LEAF_B, A_MID, A_MAIN},
		       s3[] = {A_LEAF_A2, A_OTHER, A_MAIN}, s4[] = {A_STDIO, A_MAIN};
	tf_enc_stack(&e, 1, 1, s1, 3);
	tf_enc_stack(&e, 2, 1, s2, 3);
	tf_enc_stack(&e, 3, 1, s3, 3);
	tf_enc_stack(&e, 4, 1, s4, 2);
	static const tev evs[] = {
		{TF_EV_ALLOC, 0, 100, 1}, {TF_EV_ALLOC, 1, 100, 1}, {TF_EV_ALLOC, 2, 300, 2},
		{TF_EV_ALLOC, 3, 50, 3},  {TF_EV_ALLOC, 4, 40, 4},  {TF_EV_ALLOC, 5, 7, 5},
		{TF_EV_FREE, 1, 0, 0},
	};
	if (put_events(&e, evs, sizeof(evs) / sizeof(evs[0]), 0))
		return -1;
	return save(raw, e.len, path);
}

static sym_frame frames[8];

static int resolve(void *ctx, uint64_t epoch, uint64_t addr, const sym_frame **out)
{
	(void)ctx;
	(void)epoch;
	size_t i = addr / 0x10 - 1;
	if (i >= 7)
		return -1;
	*out = &frames[i];
	return 1;
}

static void setup_frames(void)
{
	frames[0] = fr("leaf_a", "p.c", 10, APP);
	frames[1] = fr("leaf_b", "p.c", 20, APP);
	frames[2] = fr("mid", "p.c", 30, APP);
	frames[3] = fr("main", "p.c", 40, APP);
	frames[4] = fr("other", "p.c", 50, APP);
	frames[5] = fr("leaf_a", "p.c", 11, APP); /* leaf_a at another line */
	frames[6] = fr("_IO_file_doallocate", NULL, 0, LIBC);
}

static const profile_node *kid(const profile_node *n, const char *function)
{
	for (size_t i = 0; n && i < n->nchildren; i++)
		if (strcmp(n->children[i]->frame->function, function) == 0)
			return n->children[i];
	return NULL;
}

static void test_kinds(void)
{
	enum profile_kind k;
	for (unsigned i = 0; i < PROFILE_KINDS; i++)
		CHECK(profile_kind_parse(profile_kind_name((enum profile_kind)i), &k) == 0 && k == i,
		      "kind %u: %s", i, profile_kind_name((enum profile_kind)i));
	CHECK(profile_kind_parse("leak", &k) == PROFILE_EINVAL, "unknown kind");
	CHECK(strcmp(profile_kind_unit(PROFILE_ALLOCATIONS), "count") == 0 &&
		      strcmp(profile_kind_unit(PROFILE_PEAK), "bytes") == 0,
	      "units");
	CHECK(strcmp(profile_kind_name(PROFILE_KINDS), "?") == 0, "out of range");
}

static void test_tree(symstack_set *set)
{
	/* leaked: stack 1 100, 2 300, 3 50, 5 7 (4 is the runtime's) */
	profile_tree *t;
	CHECK(profile_tree_build(&t, set, PROFILE_LEAKED, 0) == 0, "build");
	const profile_node *root = profile_tree_root(t);
	CHECK_U("root value", root->value, 457);
	CHECK(root->frame == NULL && root->nchildren == 2, "root children %zu", root->nchildren);
	/* children sorted by name: "[stack not recorded]" before "main" */
	CHECK(strcmp(root->children[0]->frame->function, "[stack not recorded]") == 0 &&
		      root->children[0]->value == 7,
	      "unrecorded first");
	const profile_node *m = kid(root, "main"), *mid = kid(m, "mid"), *oth = kid(m, "other");
	CHECK(m && m->value == 450 && m->self == 0 && m->entries == 3, "main");
	CHECK(mid && mid->value == 400 && mid->nchildren == 2 &&
		      strcmp(mid->children[0]->frame->function, "leaf_a") == 0,
	      "mid and its sorted children");
	CHECK(kid(mid, "leaf_a") && kid(mid, "leaf_a")->self == 100 && kid(mid, "leaf_b")->self == 300,
	      "leaves under mid");
	CHECK(oth && oth->value == 50 && kid(oth, "leaf_a") && kid(oth, "leaf_a")->depth == 3,
	      "leaf_a under other");
	CHECK_U("nodes", profile_tree_size(t), 1 + 1 + 1 + 1 + 2 + 1 + 1);
	profile_tree_free(t);

	/* inverted, allocations: leaf_a is one node for stacks 1 and 3 (lines 10 and 11 differ) */
	CHECK(profile_tree_build(&t, set, PROFILE_ALLOCATIONS, 1) == 0, "build inverted");
	root = profile_tree_root(t);
	CHECK_U("allocations", root->value, 6);
	const profile_node *la = kid(root, "leaf_a");
	CHECK(la && la->value == 3 && la->line_varies && la->nchildren == 2 &&
		      kid(la, "mid") && kid(la, "mid")->value == 2 && kid(kid(la, "mid"), "main"),
	      "inverted leaf_a");
	CHECK(kid(root, "_IO_file_doallocate") && kid(root, "_IO_file_doallocate")->value == 1,
	      "runtime stacks count their allocations");
	profile_tree_free(t);
	profile_tree_free(NULL);

	/* peak: every entry as live at the peak (the heap peaks before the free) */
	CHECK(profile_tree_build(&t, set, PROFILE_PEAK, 0) == 0, "build peak");
	CHECK_U("peak", profile_tree_root(t)->value, 597);
	profile_tree_free(t);
	CHECK(profile_tree_build(&t, set, PROFILE_TEMPORARY, 0) == 0 &&
		      profile_tree_root(t)->value == 0 && profile_tree_root(t)->nchildren == 0,
	      "no temporaries: an empty tree");
	profile_tree_free(t);
}

int main(void)
{
	setup_frames();
	test_kinds();
	replay_ctx *rp = NULL;
	tf_reader *r;
	if (write_trace() || replay_create(&rp) || tf_reader_open(&r, path)) {
		CHECK(0, "trace");
		replay_free(rp);
		return check_summary();
	}
	CHECK(replay_run(rp, r) == 0, "replay");
	tf_reader_close(r);
	symstack_resolver res = {resolve, NULL};
	symstack_set *set;
	if (symstack_create(&set, rp, &res, 0) == 0) {
		CHECK(symstack_merge(set) == 0, "merge");
		uint64_t leaked = 0;
		for (size_t i = 0; i < symstack_entry_count(set); i++)
			leaked += profile_value(symstack_entry_at(set, i), PROFILE_LEAKED);
		CHECK_U("leaked over the entries", leaked, 457);
		test_tree(set);
		symstack_free(set);
	}
	replay_free(rp);
	unlink(path);
	return check_summary();
}
