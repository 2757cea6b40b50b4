/*
 * svg: a flamegraph as one standalone SVG file (prefix svg_), for a wiki page or a pull request.
 *
 * An icicle: the root (every entry) on top, each frame under its caller, as wide as its value
 * (profile.h: the weights of the entries through it) on a scale of SVG_WIDTH pixels for the
 * root; with an inverted tree the allocating functions are on top.  Every frame is a <g> with a
 * <title> (function, the exact figure and its share, file:line, module, "[inlined]"), a <rect>
 * and a <text>, and carries its value (data-v) and, in a differential graph, the base run's
 * value of the same call path (data-b): grew red, shrank blue, widths of the new run.  Frames
 * narrower than SVG_MIN_WIDTH pixels, and frames past the SVG_MAX_NODES widest, are left out
 * (the graph says how many and how much).  The embedded script (assets.h: flame.js) adds
 * click-to-zoom, search (highlighting the matches, with their total and share) and a details
 * line; without it (an image viewer, an <img> tag) the graph still shows.  Every string from
 * the trace is escaped for XML (text_markup).
 */
#ifndef LEAKREC_SVG_H
#define LEAKREC_SVG_H

#include <stdio.h>

#include "profile.h"

enum {
	SVG_OK = 0,
	SVG_ENOMEM = -1, /* out of memory */
	SVG_EIO = -2,    /* the stream reported an error: see errno */
};

#define SVG_WIDTH 1200
#define SVG_MIN_WIDTH 0.1
#define SVG_MAX_NODES 30000

/* Returns a static description of an SVG_E* code. */
const char *svg_strerror(int err);

typedef struct svg_options {
	const char *title;    /* the heading (borrowed; untrusted bytes are escaped) */
	const char *subtitle; /* a second line, or NULL */
	enum profile_kind kind;
	int inverted;         /* the tree is inverted (bottom-up) */
} svg_options;

/* Writes the flamegraph of tree t to f; with base (the same kind in another run, may be NULL)
 * a differential one.  t and base are borrowed.  Returns 0, SVG_ENOMEM or SVG_EIO. */
int svg_write(FILE *f, const profile_tree *t, const profile_tree *base, const svg_options *o);

#endif
