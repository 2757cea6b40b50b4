/*
 * svg.c: the SVG flamegraph (see svg.h).
 *
 * Frames are laid out depth first: a child starts where the previous sibling ended (left out or
 * not), so every frame sits exactly where its share of its caller puts it.  Colours come from a
 * hash of the function name (warm hues, as flamegraph.pl's), inlined frames a cooler hue; in a
 * differential graph from the change: red as the path grew, blue as it shrank, paler for small
 * changes, grey for none.
 */
#include "svg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "text.h"
#include "util.h"

#define FRAME_H 16 /* pixels per level */
#define TOP 60     /* above the first level: title, controls */
#define CHAR_W 7.0 /* width of a character at the labels' font size */

const char *svg_strerror(int err)
{
	switch (err) {
	case SVG_OK: return "success";
	case SVG_ENOMEM: return "out of memory";
	case SVG_EIO: return "write error";
	}
	return "unknown error";
}

typedef struct layout {
	FILE *f;
	const unsigned char *keep;
	const uint64_t *base; /* NULL: not differential */
	uint64_t total;
	uint64_t max_change;  /* the largest |new - base| of a frame shown */
	int bytes;            /* the figure is a byte count */
	size_t depth;         /* deepest level shown */
} layout;

/* The name a frame shows: its function, else "module+0xOFFSET", else "[unknown]". */
static void frame_name(char *buf, size_t n, const sym_frame *f)
{
	if (f->function)
		snprintf(buf, n, "%s", f->function);
	else if (f->module && strcmp(f->module, "[unknown]") != 0)
		snprintf(buf, n, "%s+0x%" PRIx64, util_base_name(f->module), f->module_offset);
	else
		snprintf(buf, n, "[unknown] at 0x%" PRIx64, f->address);
}

static void put_fill(const layout *L, const profile_node *n)
{
	if (L->base) {
		uint64_t b = L->base[n->id], v = n->value;
		if (b == v || !L->max_change) {
			fputs("rgb(220,220,220)", L->f);
			return;
		}
		uint64_t d = v > b ? v - b : b - v;
		int k = (int)(40 + 175.0 * (double)d / (double)L->max_change);
		if (k > 215)
			k = 215;
		if (v > b)
			fprintf(L->f, "rgb(255,%d,%d)", 255 - k, 255 - k);
		else
			fprintf(L->f, "rgb(%d,%d,255)", 255 - k, 255 - k);
		return;
	}
	const char *name = n->frame && n->frame->function ? n->frame->function : "?";
	uint64_t h = util_fnv1a(name);
	unsigned r = 205 + (unsigned)(h % 50), g = (unsigned)((h >> 8) % 230), b = (unsigned)((h >> 16) % 55);
	if (!n->frame)
		r = 200, g = 200, b = 200;
	else if (n->frame->inlined)
		r = 80 + (unsigned)(h % 60), g = 170 + (unsigned)((h >> 8) % 60), b = 200;
	fprintf(L->f, "rgb(%u,%u,%u)", r, g, b);
}

/* The exact figure with its unit: "12288 bytes", "3 allocations"; a change: "+4321 bytes". */
static void put_figure(const layout *L, uint64_t v)
{
	fprintf(L->f, "%" PRIu64 " %s", v, L->bytes ? (v == 1 ? "byte" : "bytes")
					      : (v == 1 ? "allocation" : "allocations"));
}

static void put_node(layout *L, const profile_node *n, double x)
{
	double w = L->total ? (double)n->value * SVG_WIDTH / (double)L->total : 0;
	double y = TOP + (double)n->depth * FRAME_H;
	char name[256];
	if (n->frame)
		frame_name(name, sizeof(name), n->frame);
	else
		snprintf(name, sizeof(name), "all");
	const char *full = n->frame && n->frame->function ? n->frame->function : name;
	FILE *f = L->f;
	fprintf(f, "<g class=\"f\" data-v=\"%" PRIu64 "\"", n->value);
	if (L->base)
		fprintf(f, " data-b=\"%" PRIu64 "\"", L->base[n->id]);
	fprintf(f, " data-x=\"%.3f\" data-w=\"%.3f\" data-d=\"%zu\" data-n=\"", x, w, n->depth);
	text_put_markup(f, full);
	fputs("\"><title>", f);
	text_put_markup(f, full);
	fputs(" (", f);
	put_figure(L, n->value);
	fprintf(f, ", %.2f%%", L->total ? 100.0 * (double)n->value / (double)L->total : 0.0);
	if (L->base) {
		uint64_t b = L->base[n->id];
		fprintf(f, "; base %" PRIu64 ", change %s%" PRIu64, b, n->value >= b ? "+" : "-",
			n->value >= b ? n->value - b : b - n->value);
	}
	fputc(')', f);
	if (n->frame && n->frame->file) {
		fputs(L->base ? "\n" : "\n", f);
		text_put_markup(f, n->frame->file);
		if (n->frame->line && !n->line_varies)
			fprintf(f, ":%u", n->frame->line);
	}
	if (n->frame && n->frame->module) {
		fputs("\n", f);
		text_put_markup(f, n->frame->module);
	}
	if (n->frame && n->frame->inlined)
		fputs("\n[inlined]", f);
	fprintf(f, "</title><rect x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%d\" fill=\"", x, y, w,
		FRAME_H - 1);
	put_fill(L, n);
	fputs("\" rx=\"2\"/><text x=\"", f);
	fprintf(f, "%.3f\" y=\"%.1f\">", x + 3, y + FRAME_H - 5);
	/* the label: as much of the name as fits */
	size_t fit = w > 3 * CHAR_W ? (size_t)((w - 6) / CHAR_W) : 0;
	size_t len = strlen(full);
	if (fit >= len) {
		text_put_markup(f, full);
	} else if (fit >= 3) {
		size_t k = fit - 2;
		while (k > 0 && ((unsigned char)full[k] & 0xc0) == 0x80)
			k--;
		text_put_escaped(f, &text_markup, full, k);
		fputs("..", f);
	}
	fputs("</text></g>\n", f);
	if (n->depth > L->depth)
		L->depth = n->depth;
	double cx = x;
	for (size_t i = 0; i < n->nchildren; i++) {
		const profile_node *c = n->children[i];
		if (L->keep[c->id])
			put_node(L, c, cx);
		cx += L->total ? (double)c->value * SVG_WIDTH / (double)L->total : 0;
	}
}

static size_t deepest(const profile_node *n, const unsigned char *keep)
{
	size_t d = n->depth;
	for (size_t i = 0; i < n->nchildren; i++)
		if (keep[n->children[i]->id]) {
			size_t k = deepest(n->children[i], keep);
			if (k > d)
				d = k;
		}
	return d;
}

static uint64_t largest_change(const profile_node *n, const unsigned char *keep, const uint64_t *base)
{
	uint64_t b = base[n->id], m = n->value > b ? n->value - b : b - n->value;
	for (size_t i = 0; i < n->nchildren; i++)
		if (keep[n->children[i]->id]) {
			uint64_t k = largest_change(n->children[i], keep, base);
			if (k > m)
				m = k;
		}
	return m;
}

int svg_write(FILE *f, const profile_tree *t, const profile_tree *base, const svg_options *o)
{
	size_t n = profile_tree_size(t);
	const profile_node *root = profile_tree_root(t);
	unsigned char *keep = malloc(n);
	uint64_t *bv = base ? calloc(n, sizeof(uint64_t)) : NULL;
	if (!keep || (base && !bv)) {
		free(keep);
		free(bv);
		return SVG_ENOMEM;
	}
	uint64_t min_value = (uint64_t)((double)root->value * SVG_MIN_WIDTH / SVG_WIDTH);
	size_t left_nodes;
	uint64_t left_value;
	profile_tree_select(t, SVG_MAX_NODES, min_value, keep, &left_nodes, &left_value);
	if (base)
		profile_tree_match(t, base, bv);
	layout L = {f, keep, bv, root->value, 0, strcmp(profile_kind_unit(o->kind), "bytes") == 0, 0};
	if (bv)
		L.max_change = largest_change(root, keep, bv);
	size_t levels = deepest(root, keep) + 1;
	int height = TOP + (int)levels * FRAME_H + 40;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		   "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" data-kind=\"%s\" data-unit=\"%s\" data-total=\"%" PRIu64
		   "\" data-diff=\"%d\" data-inverted=\"%d\" data-top=\"%d\" data-h=\"%d\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height, profile_kind_name(o->kind),
		profile_kind_unit(o->kind), root->value, base ? 1 : 0, o->inverted ? 1 : 0, TOP, FRAME_H);
	fputs("<style>text{font:12px monospace;fill:#000;pointer-events:none}"
	      ".f:hover rect{stroke:#000;stroke-width:.5}.f.hit rect{fill:rgb(230,0,230)}"
	      ".f.dim rect{opacity:.5}.f{cursor:pointer}.ui{font:13px sans-serif;cursor:pointer}"
	      "#details{font:12px sans-serif}.h{font:bold 16px sans-serif}</style>\n",
	      f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fcfcf4\"/>\n", SVG_WIDTH,
		height);
	fputs("<text class=\"h\" x=\"600\" y=\"20\" text-anchor=\"middle\">", f);
	text_put_markup(f, o->title);
	fputs("</text>\n", f);
	fputs("<text x=\"600\" y=\"38\" text-anchor=\"middle\" style=\"font:12px sans-serif\">", f);
	text_put_markup(f, o->subtitle);
	if (left_nodes) {
		fprintf(f, "%s%zu frame%s narrower than %.1f px not drawn (", o->subtitle ? "; " : "",
			left_nodes, left_nodes == 1 ? "" : "s", SVG_MIN_WIDTH);
		put_figure(&L, left_value);
		fputs(")", f);
	}
	fputs("</text>\n", f);
	fputs("<text id=\"unzoom\" class=\"ui\" x=\"10\" y=\"20\" style=\"opacity:0\">Reset zoom</text>\n"
	      "<text id=\"search\" class=\"ui\" x=\"1110\" y=\"20\">Search</text>\n"
	      "<text id=\"matched\" class=\"ui\" x=\"1190\" y=\"38\" text-anchor=\"end\"> </text>\n",
	      f);
	fputs("<g id=\"frames\">\n", f);
	put_node(&L, root, 0);
	fputs("</g>\n", f);
	fprintf(f, "<text id=\"details\" x=\"10\" y=\"%d\"> </text>\n", height - 14);
	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", f);
	fputs(assets_flame_svg_js, f);
	fputs("]]></script>\n</svg>\n", f);
	free(keep);
	free(bv);
	return fflush(f) != 0 || ferror(f) ? SVG_EIO : 0;
}
