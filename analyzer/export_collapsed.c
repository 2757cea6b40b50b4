/*
 * export_collapsed.c: collapsed stacks from the call tree (see export_collapsed.h).  The tree is
 * walked depth first in its order (children by name), so the output is the same whatever the
 * order of the stacks in the trace.
 */
#include "export_collapsed.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* '\' and ';' as \xHH, control bytes and bytes that are not UTF-8 too (text_escape's default). */
static const text_style collapsed_style = {
	.subst = {['\\'] = "\\x5c", [';'] = "\\x3b"},
	.hex = "\\x",
};

void export_collapsed_put_name(FILE *f, const char *name)
{
	size_t n = strlen(name), tail = n;
	while (tail > 0 && ((name[tail - 1] >= '0' && name[tail - 1] <= '9') || name[tail - 1] == '.'))
		tail--;
	if (tail > 0 && name[tail - 1] == ' ') {
		/* " 12" at the end would read as a count */
		text_put_escaped(f, &collapsed_style, name, tail - 1);
		fputs("\\x20", f);
		text_put_escaped(f, &collapsed_style, name + tail, n - tail);
	} else {
		text_put_escaped(f, &collapsed_style, name, n);
	}
}

static void put_frame(FILE *f, const profile_node *nd)
{
	char buf[256];
	export_collapsed_put_name(f, export_frame_name(nd->frame, buf, sizeof(buf)));
	if (nd->frame->inlined)
		fputs("_[i]", f);
}

/* Writes the line of every node of nd's subtree with a self weight; path[0..depth) holds the
 * nodes from the root's first child down to nd. */
static void walk(FILE *f, const profile_node *nd, const profile_node **path)
{
	path[nd->depth] = nd;
	if (nd->self) {
		if (nd->depth == 0)
			fputs("[no frames]", f);
		for (size_t i = 1; i <= nd->depth; i++) {
			if (i > 1)
				fputc(';', f);
			put_frame(f, path[i]);
		}
		fprintf(f, " %" PRIu64 "\n", nd->self);
	}
	for (size_t i = 0; i < nd->nchildren; i++)
		walk(f, nd->children[i], path);
}

int export_collapsed_write(const export_input *in, enum profile_kind k, FILE *f)
{
	profile_tree *t;
	if (export_tree(&t, in, k, 0))
		return EXPORT_ENOMEM;
	const profile_node *root = profile_tree_root(t);
	const profile_node **path = malloc((profile_node_depth(root) + 1) * sizeof(*path));
	if (!path) {
		profile_tree_free(t);
		return EXPORT_ENOMEM;
	}
	walk(f, root, path);
	free(path);
	profile_tree_free(t);
	return ferror(f) ? EXPORT_EIO : 0;
}
