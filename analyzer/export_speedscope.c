/*
 * export_speedscope.c: speedscope's JSON (see export_speedscope.h), written with json.h.  The
 * frames of every kind's tree are interned first (as the tree tells nodes apart:
 * profile_same_frame), then each profile lists its samples as frame indices.
 */
#include "export_speedscope.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "proto.h"
#include "util.h"

typedef struct frames {
	const sym_frame **v; /* the first frame seen of each */
	size_t n, cap;
	util_map index;      /* hash -> index */
	int nomem;
} frames;

/* The index of f's frame, added when new. */
static uint32_t frame_index(frames *fs, const sym_frame *f)
{
	uint64_t h = profile_frame_hash(f);
	for (;;) {
		uint32_t v;
		if (!util_map_get(&fs->index, h, &v))
			break;
		if (profile_same_frame(fs->v[v], f))
			return v;
		h = util_hash64(h + 1);
	}
	if (fs->n >= UINT32_MAX - 1 || util_grow((void **)&fs->v, &fs->cap, fs->n + 1, sizeof(*fs->v)) ||
	    util_map_put(&fs->index, h, (uint32_t)fs->n)) {
		fs->nomem = 1;
		return 0;
	}
	fs->v[fs->n] = f;
	return (uint32_t)fs->n++;
}

static void intern_tree(frames *fs, const profile_node *nd)
{
	if (nd->frame)
		frame_index(fs, nd->frame);
	for (size_t i = 0; i < nd->nchildren; i++)
		intern_tree(fs, nd->children[i]);
}

/* The samples of nd's subtree: one per node with a self weight, its path from the root. */
static void put_samples(json_writer *w, frames *fs, const profile_node *nd, uint32_t *path)
{
	if (nd->depth)
		path[nd->depth - 1] = frame_index(fs, nd->frame);
	if (nd->self) {
		json_begin_array(w, 1);
		for (size_t i = 0; i < nd->depth; i++)
			json_uint(w, path[i]);
		json_end_array(w);
	}
	for (size_t i = 0; i < nd->nchildren; i++)
		put_samples(w, fs, nd->children[i], path);
}

static void put_weights(json_writer *w, const profile_node *nd)
{
	if (nd->self)
		json_uint(w, nd->self);
	for (size_t i = 0; i < nd->nchildren; i++)
		put_weights(w, nd->children[i]);
}

static const char *const titles[PROFILE_KINDS] = {
	"leaked bytes (live at the end)", "bytes live at the heap peak", "allocations",
	"bytes allocated", "temporary allocations",
};

static void put_name(json_writer *w, const char *kind, const replay_header *h, int complete)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (f) {
		fprintf(f, "%s: %s (pid %" PRIu32 ")%s", kind, h->exe ? h->exe : "?", h->pid,
			complete ? "" : " [incomplete trace]");
		if (fclose(f) != 0) {
			free(s);
			s = NULL;
		}
	}
	json_str(w, s ? s : kind);
	free(s);
}

int export_speedscope_write(const export_input *in, enum profile_kind active, FILE *f)
{
	profile_tree *trees[PROFILE_KINDS] = {0};
	frames fs;
	memset(&fs, 0, sizeof(fs));
	util_map_init(&fs.index);
	json_writer *w = NULL;
	uint32_t *path = NULL;
	int rc = EXPORT_ENOMEM;
	size_t depth = 0;
	for (int k = 0; k < PROFILE_KINDS; k++) {
		if (export_tree(&trees[k], in, (enum profile_kind)k, 0))
			goto out;
		intern_tree(&fs, profile_tree_root(trees[k]));
		size_t d = profile_node_depth(profile_tree_root(trees[k]));
		if (d > depth)
			depth = d;
	}
	path = malloc((depth + 1) * sizeof(*path));
	if (fs.nomem || !path || json_create(&w, f))
		goto out;
	const replay_header *h = replay_get_header(in->rp);
	int complete = export_complete(in);
	char *desc = export_describe(in);
	if (!desc)
		goto out;
	json_begin_object(w, 0);
	json_key_str(w, "$schema", "https://www.speedscope.app/file-format-schema.json");
	json_key_str(w, "name", desc);
	free(desc);
	json_key_uint(w, "activeProfileIndex", (uint64_t)active);
	json_key_str(w, "exporter", "leakrec " PROTO_VERSION);
	json_key(w, "shared");
	json_begin_object(w, 0);
	json_key(w, "frames");
	json_begin_array(w, 0);
	for (size_t i = 0; i < fs.n; i++) {
		const sym_frame *fr = fs.v[i];
		char buf[256], name[300];
		const char *nm = export_frame_name(fr, buf, sizeof(buf));
		json_begin_object(w, 1);
		if (fr->inlined) {
			snprintf(name, sizeof(name), "%s [inlined]", nm);
			json_key_str(w, "name", strlen(nm) + 11 < sizeof(name) ? name : nm);
		} else {
			json_key_str(w, "name", nm);
		}
		if (fr->file)
			json_key_str(w, "file", fr->file);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	json_key(w, "profiles");
	json_begin_array(w, 0);
	for (int k = 0; k < PROFILE_KINDS; k++) {
		const profile_node *root = profile_tree_root(trees[k]);
		json_begin_object(w, 0);
		json_key_str(w, "type", "sampled");
		json_key(w, "name");
		put_name(w, titles[k], h, complete);
		json_key_str(w, "unit",
			     strcmp(profile_kind_unit((enum profile_kind)k), "bytes") == 0 ? "bytes" : "none");
		json_key_uint(w, "startValue", 0);
		json_key_uint(w, "endValue", root->value);
		json_key(w, "samples");
		json_begin_array(w, 0);
		put_samples(w, &fs, root, path);
		json_end_array(w);
		json_key(w, "weights");
		json_begin_array(w, 1);
		put_weights(w, root);
		json_end_array(w);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	int jr = json_finish(w);
	rc = jr == JSON_EIO ? EXPORT_EIO : jr || fs.nomem ? EXPORT_ENOMEM : 0;
out:
	json_free(w);
	free(path);
	free(fs.v);
	util_map_release(&fs.index);
	for (int k = 0; k < PROFILE_KINDS; k++)
		profile_tree_free(trees[k]);
	return rc;
}
