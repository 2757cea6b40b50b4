/*
 * html.c: the HTML page of a report or a comparison (see html.h).
 *
 * The page is written in one pass: the head with the style sheet, the data object, the script.
 * Frames are collected into one table while the trees and tables are written (deduplicated by
 * content through a util_map from a hash to the index, probing on when two frames share a hash)
 * and the table is written last, as the data object's "frames" member.
 */
#include "html.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "assets.h"
#include "json.h"
#include "profile.h"
#include "proto.h"
#include "report_json.h"
#include "text.h"
#include "util.h"

#define SERIES_SHOWN 8 /* entries whose live bytes the timeline stacks */

const char *html_strerror(int err)
{
	switch (err) {
	case HTML_OK: return "success";
	case HTML_ENOMEM: return "out of memory";
	case HTML_EIO: return "write error";
	}
	return "unknown error";
}

/* ---- the frame table ---- */

typedef struct frames {
	const sym_frame **v;
	size_t n, cap;
	util_map index; /* content hash -> index */
	size_t bytes;   /* text written for them so far (an estimate of the JSON) */
	size_t refused; /* frames not taken: the budget was spent */
	int nomem;
} frames;

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_frame(const sym_frame *a, const sym_frame *b)
{
	return same_str(a->function, b->function) && same_str(a->file, b->file) &&
	       a->line == b->line && same_str(a->module, b->module) && !a->inlined == !b->inlined &&
	       (a->function || a->module_offset == b->module_offset);
}

static uint64_t frame_hash(const sym_frame *f)
{
	uint64_t h = util_hash64(f->line ^ ((uint64_t)(f->inlined != 0) << 32));
	h = util_hash64(h ^ (f->function ? util_fnv1a(f->function) : f->module_offset));
	h = util_hash64(h ^ (f->file ? util_fnv1a(f->file) : 1));
	return util_hash64(h ^ (f->module ? util_fnv1a(f->module) : 2));
}

/* The index of frame f in the table, added when new; -1 when the budget is spent (or out of
 * memory). */
static long frame_index(frames *t, const sym_frame *f)
{
	uint64_t h = frame_hash(f);
	for (;;) {
		uint32_t v;
		if (!util_map_get(&t->index, h, &v))
			break;
		if (same_frame(t->v[v], f))
			return v;
		h = util_hash64(h + 1);
	}
	size_t cost = 32 + slen(f->function) + slen(f->file) + slen(f->module);
	if (cost > 32 + 3 * HTML_MAX_STRING)
		cost = 32 + 3 * HTML_MAX_STRING;
	if (t->bytes + cost > HTML_MAX_FRAME_BYTES || t->n >= UINT32_MAX - 1) {
		t->refused++;
		return -1;
	}
	if (util_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v)) ||
	    util_map_put(&t->index, h, (uint32_t)t->n)) {
		t->nomem = 1;
		return -1;
	}
	t->bytes += cost;
	t->v[t->n] = f;
	return (long)t->n++;
}

/* A string of the trace, cut at HTML_MAX_STRING bytes (at a UTF-8 boundary, "..." added). */
static void put_cut(json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	size_t n = strlen(s);
	if (n <= HTML_MAX_STRING) {
		json_strn(w, s, n);
		return;
	}
	char buf[HTML_MAX_STRING + 4];
	size_t k = HTML_MAX_STRING;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	memcpy(buf, s, k);
	memcpy(buf + k, "...", 3);
	json_strn(w, buf, k + 3);
}

/* "frames": [[function, file, line, module, inlined, module offset], ...] */
static void write_frames(json_writer *w, const frames *t)
{
	json_key(w, "frames");
	json_begin_array(w, 0);
	for (size_t i = 0; i < t->n; i++) {
		const sym_frame *f = t->v[i];
		json_begin_array(w, 1);
		put_cut(w, f->function);
		put_cut(w, f->file);
		json_uint(w, f->line);
		put_cut(w, f->module);
		json_uint(w, f->inlined ? 1 : 0);
		json_uint(w, f->module_offset);
		json_end_array(w);
	}
	json_end_array(w);
	json_key_uint(w, "frames_left_out", t->refused);
}

/* "stack": [frame index, ...] of n frames, innermost first; a frame over the budget ends the
 * list, and "stack_cut": true says so.  A stack without a record is written as an empty list
 * with "stack_recorded": false. */
static void write_stack(json_writer *w, frames *t, const symstack *st)
{
	json_key(w, "stack");
	json_begin_array(w, 1);
	int cut = 0;
	for (size_t i = 0; st->recorded && i < st->nframes; i++) {
		long k = frame_index(t, &st->frames[i]);
		if (k < 0) {
			cut = 1;
			break;
		}
		json_uint(w, (uint64_t)k);
	}
	json_end_array(w);
	if (cut)
		json_key_bool(w, "stack_cut", 1);
	if (!st->recorded)
		json_key_bool(w, "stack_recorded", 0);
}

/* ---- the flamegraphs ---- */

/* The node's kept children. */
static size_t kept_children(const profile_node *n, const unsigned char *keep)
{
	size_t k = 0;
	for (size_t i = 0; i < n->nchildren; i++)
		k += keep[n->children[i]->id];
	return k;
}

/* Writes kept node n and its kept subtree in depth-first order: frame index (-1 for the root),
 * value, self value, 1 when the merged frames' lines differ (else 0), [base value,] kept
 * children.  A node whose frame is over the budget is
 * written with frame -2 ("left out"). */
static void write_node(json_writer *w, frames *t, const profile_node *n, const unsigned char *keep,
		       const uint64_t *base)
{
	long f = n->frame ? frame_index(t, n->frame) : -1;
	json_int(w, n->frame && f < 0 ? -2 : f);
	json_uint(w, n->value);
	json_uint(w, n->self);
	json_uint(w, n->line_varies ? 1 : 0);
	if (base)
		json_uint(w, base[n->id]);
	json_uint(w, kept_children(n, keep));
	for (size_t i = 0; i < n->nchildren; i++)
		if (keep[n->children[i]->id])
			write_node(w, t, n->children[i], keep, base);
}

/* One tree: {"nodes": [...], "stride": 5 or 6, "left_out_nodes", "left_out_value"}.  With
 * base_tree, each node also carries the value of its call path in base_tree. */
static int write_tree(json_writer *w, frames *t, const profile_tree *tree,
		      const profile_tree *base_tree)
{
	size_t n = profile_tree_size(tree);
	unsigned char *keep = malloc(n);
	uint64_t *base = base_tree ? calloc(n, sizeof(uint64_t)) : NULL;
	if (!keep || (base_tree && !base)) {
		free(keep);
		free(base);
		return HTML_ENOMEM;
	}
	size_t left_nodes;
	uint64_t left_value;
	profile_tree_select(tree, HTML_MAX_NODES, 0, keep, &left_nodes, &left_value);
	if (base_tree)
		profile_tree_match(tree, base_tree, base);
	json_begin_object(w, 0);
	json_key_uint(w, "stride", base ? 6 : 5);
	json_key(w, "nodes");
	json_begin_array(w, 1);
	write_node(w, t, profile_tree_root(tree), keep, base);
	json_end_array(w);
	json_key_uint(w, "left_out_nodes", left_nodes);
	json_key_uint(w, "left_out_value", left_value);
	json_end_object(w);
	free(keep);
	free(base);
	return 0;
}

static const char *const kind_labels[PROFILE_KINDS] = {
	"leaked bytes", "bytes live at the peak", "allocations", "bytes allocated",
	"temporary allocations"};

/* "flame": {"kinds": [{"kind", "label", "unit", "total", "base_total", "top_down",
 * "bottom_up"}]} of the entries of s (and, with base, the differential trees against it). */
static int write_flames(json_writer *w, frames *t, report_ctx *rc, report_ctx *base)
{
	json_key(w, "flame");
	json_begin_object(w, 0);
	json_key(w, "kinds");
	json_begin_array(w, 0);
	int err = 0;
	for (int k = 0; k < PROFILE_KINDS && !err; k++) {
		profile_tree *tr[2] = {NULL, NULL}, *bt[2] = {NULL, NULL};
		for (int inv = 0; inv < 2 && !err; inv++) {
			err = profile_tree_build_except(&tr[inv], report_stacks(rc), (enum profile_kind)k,
							inv, report_suppressed_map(rc));
			if (!err && base)
				err = profile_tree_build_except(&bt[inv], report_stacks(base),
								(enum profile_kind)k, inv,
								report_suppressed_map(base));
		}
		if (!err) {
			json_begin_object(w, 0);
			json_key_str(w, "kind", profile_kind_name((enum profile_kind)k));
			json_key_str(w, "label", kind_labels[k]);
			json_key_str(w, "unit", profile_kind_unit((enum profile_kind)k));
			json_key_uint(w, "total", profile_tree_root(tr[0])->value);
			if (base)
				json_key_uint(w, "base_total", profile_tree_root(bt[0])->value);
			json_key(w, "top_down");
			err = write_tree(w, t, tr[0], bt[0]);
			json_key(w, "bottom_up");
			if (!err)
				err = write_tree(w, t, tr[1], bt[1]);
			json_end_object(w);
		}
		for (int inv = 0; inv < 2; inv++) {
			profile_tree_free(tr[inv]);
			profile_tree_free(bt[inv]);
		}
	}
	json_end_array(w);
	json_end_object(w);
	return err ? HTML_ENOMEM : 0;
}

/* ---- tables ---- */

/* A column: its key, heading, and how the script shows its values ("bytes", "count", "text",
 * "seconds", "rate" (bytes per second), "ratio", "series", "change_bytes" and "change_count"
 * (a [base, new] pair)). */
typedef struct column {
	const char *key, *label, *type;
} column;

static void write_columns(json_writer *w, const column *c, size_t n)
{
	json_key(w, "columns");
	json_begin_array(w, 0);
	for (size_t i = 0; i < n; i++) {
		json_begin_object(w, 1);
		json_key_str(w, "key", c[i].key);
		json_key_str(w, "label", c[i].label);
		json_key_str(w, "type", c[i].type);
		json_end_object(w);
	}
	json_end_array(w);
}

/* Opens a table object: "id", "title", "columns", "total", "shown", then "rows": [ (left open). */
static void begin_table(json_writer *w, const char *id, const char *title, const column *c,
			size_t nc, size_t total, size_t shown)
{
	json_begin_object(w, 0);
	json_key_str(w, "id", id);
	json_key_str(w, "title", title);
	write_columns(w, c, nc);
	json_key_uint(w, "total", total);
	json_key_uint(w, "shown", shown);
	json_key(w, "rows");
	json_begin_array(w, 0);
}

static void end_table(json_writer *w)
{
	json_end_array(w);
	json_end_object(w);
}

/* How many rows of a list of `total` entries of which the report shows `listed` the page
 * holds. */
static size_t rows_held(size_t listed)
{
	return listed < HTML_MAX_ROWS ? listed : HTML_MAX_ROWS;
}

/* The stack_ids of entry e: the trace's ids of its members. */
static void write_stack_ids(json_writer *w, const replay_ctx *rp, const symstack_entry *e)
{
	json_key(w, "stack_ids");
	json_begin_array(w, 1);
	for (size_t i = 0; i < e->nmembers; i++)
		json_uint(w, replay_stack_at(rp, e->members[i])->id);
	json_end_array(w);
}

static int write_list(json_writer *w, frames *t, report_ctx *rc, enum report_list k)
{
	static const column leak_cols[] = {{"bytes", "Leaked", "bytes"},
					   {"allocations", "Allocations", "count"}};
	static const column peak_cols[] = {{"bytes", "At the peak", "bytes"},
					   {"allocations", "Allocations", "count"}};
	static const column alloc_cols[] = {{"allocations", "Allocations", "count"},
					    {"bytes", "Bytes allocated", "bytes"}};
	static const column temp_cols[] = {{"allocations", "Temporary", "count"},
					   {"of", "Of allocations", "count"}};
	static const struct {
		const char *id, *title;
		const column *cols;
	} lists[] = {
		[REPORT_LEAKS] = {"leaks", "Leaks: bytes still allocated at the end", leak_cols},
		[REPORT_PEAK] = {"peak", "Peak consumers: bytes live at the heap peak", peak_cols},
		[REPORT_ALLOCS] = {"allocators", "Most allocations", alloc_cols},
		[REPORT_TEMP] = {"temporary", "Most temporary allocations", temp_cols},
		[REPORT_DEFINITELY_LOST] = {"definitely_lost",
					    "Leaks, definitely lost: no pointer to them is left", leak_cols},
		[REPORT_INDIRECTLY_LOST] = {"indirectly_lost",
					    "Leaks, indirectly lost: pointed to only by lost blocks", leak_cols},
		[REPORT_POSSIBLY_LOST] = {"possibly_lost",
					  "Leaks, possibly lost: only pointers into their interior are left",
					  leak_cols},
		[REPORT_REACHABLE] = {"reachable", "Leaks, still reachable: live at the end, and pointed to",
				      leak_cols},
	};
	size_t *idx, total;
	long n = report_list(rc, k, &idx, &total);
	if (n < 0) {
		free(idx);
		return HTML_ENOMEM;
	}
	const char *title = lists[k].title;
	if (k == REPORT_LEAKS && replay_get_summary(report_replay(rc))->windowed)
		title = "Leaks: bytes allocated in the window still live at its end";
	if (k == REPORT_TEMP && replay_get_header(report_replay(rc))->sample_rate) {
		/* a sampled trace: not estimated, an empty table that says why */
		title = "Most temporary allocations: " ESTIMATE_WHY_NO_TEMPORARY;
		total = n = 0;
	}
	size_t held = rows_held((size_t)n);
	begin_table(w, lists[k].id, title, lists[k].cols, 2, total, (size_t)n);
	for (size_t i = 0; i < held; i++) {
		const symstack_entry *e = symstack_entry_at(report_stacks(rc), idx[i]);
		const replay_stack *st = &e->fig;
		uint64_t v[2] = {0, 0};
		switch (k) {
		case REPORT_LEAKS: v[0] = st->live_bytes, v[1] = st->live_allocations; break;
		case REPORT_PEAK: v[0] = st->peak_bytes, v[1] = st->peak_allocations; break;
		case REPORT_ALLOCS: v[0] = st->allocations, v[1] = st->allocated_bytes; break;
		case REPORT_TEMP: v[0] = st->temporary, v[1] = st->allocations; break;
		case REPORT_DEFINITELY_LOST:
		case REPORT_INDIRECTLY_LOST:
		case REPORT_POSSIBLY_LOST:
		case REPORT_REACHABLE:
			v[0] = st->kind_bytes[report_list_kind(k)];
			v[1] = st->kind_allocations[report_list_kind(k)];
			break;
		}
		json_begin_object(w, 0);
		json_key(w, "values");
		json_begin_array(w, 1);
		json_uint(w, v[0]);
		json_uint(w, v[1]);
		json_end_array(w);
		write_stack_ids(w, report_replay(rc), e);
		write_stack(w, t, e->stack);
		json_end_object(w);
	}
	end_table(w);
	free(idx);
	return 0;
}

/* The "Held longest" table: entries by byte-seconds with their lifetimes (report_held_list). */
static int write_held(json_writer *w, frames *t, report_ctx *rc)
{
	static const column cols[] = {
		{"byte_seconds", "Byte-seconds", "byte_seconds"}, {"allocations", "Allocations", "count"},
		{"freed", "Freed", "count"},   {"live_at_end", "Live at end", "count"},
		{"p50_s", "Lifetime p50", "seconds"}, {"p90_s", "p90", "seconds"},
		{"max_s", "Max", "seconds"}};
	size_t *idx, total;
	long n = report_held_list(rc, &idx, &total);
	if (n < 0) {
		free(idx);
		return HTML_ENOMEM;
	}
	size_t held = rows_held((size_t)n);
	begin_table(w, "held", "Held longest: byte-seconds (bytes \u00d7 time held)", cols,
		    sizeof(cols) / sizeof(cols[0]), total, (size_t)n);
	int err = 0;
	for (size_t i = 0; i < held && !err; i++) {
		const symstack_entry *e = symstack_entry_at(report_stacks(rc), idx[i]);
		report_lifetime lt;
		if (report_entry_lifetime(rc, idx[i], &lt)) {
			err = HTML_ENOMEM;
			break;
		}
		json_begin_object(w, 0);
		json_key(w, "values");
		json_begin_array(w, 1);
		json_double(w, lt.fig.byte_seconds);
		json_uint(w, lt.allocations);
		json_uint(w, lt.fig.freed);
		json_uint(w, lt.live_at_end);
		uint64_t v[3] = {lt.fig.p50_ns, lt.fig.p90_ns, lt.fig.max_ns};
		for (int k = 0; k < 3; k++) {
			if (lt.fig.freed)
				json_seconds(w, v[k]);
			else
				json_null(w);
		}
		json_end_array(w);
		write_stack_ids(w, report_replay(rc), e);
		write_stack(w, t, e->stack);
		json_end_object(w);
	}
	end_table(w);
	free(idx);
	return err;
}

static void write_suspects(json_writer *w, frames *t, report_ctx *rc)
{
	static const column cols[] = {
		{"slope_bytes_per_s", "Growth", "rate"}, {"r2", "Fit R\u00b2", "ratio"},
		{"live_bytes_start", "Live at start", "bytes"}, {"live_bytes_end", "Live at end", "bytes"},
		{"max_bytes", "Largest", "bytes"},        {"series", "Live bytes over time", "series"}};
	const growth_ctx *g = report_growth(rc);
	size_t total = g ? growth_suspect_count(g) : 0;
	size_t n = util_shown(total, report_opts(rc)->top);
	size_t held = rows_held(n);
	begin_table(w, "suspects", "Growth suspects: live bytes that grew steadily", cols,
		    sizeof(cols) / sizeof(cols[0]), total, n);
	for (size_t i = 0; i < held; i++) {
		const growth_suspect *sp = growth_suspect_at(g, i);
		const symstack_entry *e = symstack_entry_at(report_stacks(rc), sp->stack_index);
		json_begin_object(w, 0);
		json_key(w, "values");
		json_begin_array(w, 1);
		json_double(w, sp->slope_bytes_per_s);
		json_double(w, sp->r2);
		json_uint(w, sp->start_bytes);
		json_uint(w, sp->end_bytes);
		json_uint(w, sp->max_bytes);
		json_begin_array(w, 1);
		for (size_t k = 0; k < sp->nseries; k++)
			json_uint(w, sp->series[k]);
		json_end_array(w);
		json_end_array(w);
		write_stack_ids(w, report_replay(rc), e);
		write_stack(w, t, e->stack);
		json_end_object(w);
	}
	end_table(w);
}

/* ---- the timeline ---- */

/* The SERIES_SHOWN entries whose series reach highest, highest first, into top[]; returns how
 * many. */
static size_t top_series(const growth_ctx *g, symstack_set *s, size_t *top, uint64_t *peak)
{
	size_t n = 0, ns = growth_series_count(g);
	for (size_t i = 0; i < symstack_entry_count(s); i++) {
		const uint64_t *v = growth_group_series(g, i);
		uint64_t m = 0;
		for (size_t k = 0; v && k < ns; k++)
			if (v[k] > m)
				m = v[k];
		if (!m)
			continue;
		size_t j = n < SERIES_SHOWN ? n++ : SERIES_SHOWN;
		if (j == SERIES_SHOWN && m <= peak[SERIES_SHOWN - 1])
			continue;
		if (j == SERIES_SHOWN)
			j = SERIES_SHOWN - 1;
		while (j > 0 && peak[j - 1] < m) {
			peak[j] = peak[j - 1];
			top[j] = top[j - 1];
			j--;
		}
		peak[j] = m;
		top[j] = i;
	}
	return n;
}

static void write_timeline(json_writer *w, frames *t, report_ctx *rc)
{
	const growth_ctx *g = report_growth(rc);
	json_key(w, "timeline");
	json_begin_object(w, 0);
	report_json_timeline(rc, w, "points");
	int rss = 0;
	for (size_t i = 0; g && i < growth_timeline_count(g); i++)
		rss |= growth_timeline_at(g, i)->rss_sampled;
	json_key_bool(w, "rss_sampled", rss);
	json_key(w, "series");
	json_begin_array(w, 0);
	size_t top[SERIES_SHOWN + 1];
	uint64_t peak[SERIES_SHOWN + 1];
	size_t n = g ? top_series(g, report_stacks(rc), top, peak) : 0;
	for (size_t i = 0; i < n; i++) {
		const symstack_entry *e = symstack_entry_at(report_stacks(rc), top[i]);
		const uint64_t *v = growth_group_series(g, top[i]);
		json_begin_object(w, 0);
		json_key(w, "values");
		json_begin_array(w, 1);
		for (size_t k = 0; k < growth_series_count(g); k++)
			json_uint(w, v[k]);
		json_end_array(w);
		write_stack_ids(w, report_replay(rc), e);
		write_stack(w, t, e->stack);
		json_end_object(w);
	}
	json_end_array(w);
	report_json_steps(rc, w);
	json_end_object(w);
}

/* ---- the page ---- */

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
	"<meta name=\"color-scheme\" content=\"light dark\">\n<title>";

/* Writes the head (title, style sheet), the body's start and the data element's start. */
static void begin_page(FILE *f, const char *title_a, const char *title_b)
{
	fputs(page_head, f);
	fputs("leakrec: ", f);
	text_put_markup(f, title_a);
	if (title_b) {
		fputs(" vs ", f);
		text_put_markup(f, title_b);
	}
	fputs("</title>\n<style>\n", f);
	fputs(assets_report_css, f);
	fputs("</style>\n</head>\n<body>\n"
	      "<noscript><p>This leakrec report needs JavaScript (it makes no request: everything "
	      "is in this file).</p></noscript>\n"
	      "<main id=\"app\" aria-live=\"polite\"></main>\n"
	      "<script type=\"application/json\" id=\"leakrec-data\">\n",
	      f);
}

/* Writes the frame table, ends the data object and the page, frees w and t's memory.  Returns
 * err (what writing the data gave) when set, else 0, HTML_ENOMEM or HTML_EIO. */
static int end_page(FILE *f, json_writer *w, frames *t, int err)
{
	write_frames(w, t);
	json_end_object(w);
	int jerr = json_finish(w);
	json_free(w);
	fputs("</script>\n<script>\n", f);
	fputs(assets_report_js, f);
	fputs("</script>\n</body>\n</html>\n", f);
	free(t->v);
	util_map_release(&t->index);
	if (err)
		return err;
	if (t->nomem || jerr == JSON_ENOMEM)
		return HTML_ENOMEM;
	return jerr || fflush(f) != 0 || ferror(f) ? HTML_EIO : 0;
}

/* The program's name for the title: argv[0] or the executable. */
static const char *program_name(const report_ctx *rc)
{
	const replay_header *h = replay_get_header(report_replay(rc));
	return util_base_name(h->argc ? h->argv[0] : h->exe);
}

static json_writer *begin_data(FILE *f, const char *mode)
{
	json_writer *w;
	if (json_create(&w, f))
		return NULL;
	json_set_script_safe(w);
	json_begin_object(w, 0);
	json_key_uint(w, "format", 1);
	json_key_str(w, "mode", mode);
	json_key_str(w, "generator", "leakanalyze (leakrec " PROTO_VERSION ")");
	return w;
}

int html_write_report(FILE *f, report_ctx *rc, const html_source *src)
{
	const replay_ctx *rp = report_replay(rc);
	begin_page(f, program_name(rc), NULL);
	json_writer *w = begin_data(f, "report");
	if (!w)
		return HTML_ENOMEM;
	frames t;
	memset(&t, 0, sizeof(t));
	util_map_init(&t.index);

	json_key_str(w, "trace", src->trace);
	report_json_program(w, "program", replay_get_header(rp), NULL, 1);
	json_key(w, "options");
	json_begin_object(w, 1);
	json_key_uint(w, "top", report_opts(rc)->top);
	json_key_str(w, "from", report_window_from(rc));
	json_key_str(w, "to", report_window_to(rc));
	json_key_bool(w, "show_alloc_frames", src->show_alloc_frames);
	json_key_str(w, "suppressions", src->sup_path);
	json_end_object(w);
	report_json_summary(rc, w);
	json_key(w, "peak_allocations");
	json_uint(w, replay_get_summary(rp)->peak_allocations);
	report_json_suppressed(rc, w);
	report_json_window(rc, w);
	report_json_diagnostics(rc, w);
	report_json_marks(rc, w);
	report_json_histogram(rc, w);

	int err = 0;
	json_key(w, "tables");
	json_begin_array(w, 0);
	for (int k = REPORT_LEAKS; k <= REPORT_TEMP && !err; k++)
		err = write_list(w, &t, rc, (enum report_list)k);
	for (int k = REPORT_DEFINITELY_LOST; k <= REPORT_REACHABLE && !err && report_has_kinds(rc); k++)
		err = write_list(w, &t, rc, (enum report_list)k);
	if (!err)
		err = write_held(w, &t, rc);
	if (!err)
		write_suspects(w, &t, rc);
	json_end_array(w);
	if (!err) {
		write_timeline(w, &t, rc);
		err = write_flames(w, &t, rc, NULL);
	}
	return end_page(f, w, &t, err);
}

/* ---- the comparison ---- */

static void write_run(json_writer *w, const char *key, const html_run *r)
{
	json_key(w, key);
	json_begin_object(w, 0);
	json_key_str(w, "trace", r->trace);
	report_json_program(w, "program", replay_get_header(report_replay(r->rep)), NULL, 1);
	report_json_summary(r->rep, w); /* the page marks a sampled run's estimates */
	report_json_suppressed(r->rep, w);
	report_json_diagnostics(r->rep, w);
	json_end_object(w);
}

/* A [base, new] pair. */
static void write_pair(json_writer *w, uint64_t b, uint64_t n)
{
	json_begin_array(w, 1);
	json_uint(w, b);
	json_uint(w, n);
	json_end_array(w);
}

static void write_changes(json_writer *w, frames *t, const keydiff *d, unsigned top)
{
	static const column cols[] = {
		{"status", "Change", "text"},
		{"leaked_bytes", "Leaked", "change_bytes"},
		{"leaked_allocations", "Leaked allocations", "change_count"},
		{"peak_bytes", "At the peak", "change_bytes"},
		{"allocations", "Allocations", "change_count"},
		{"allocated_bytes", "Bytes allocated", "change_bytes"},
		{"temporary_allocations", "Temporary", "change_count"},
	};
	size_t n = util_shown(d->nentries, top);
	size_t held = rows_held(n);
	begin_table(w, "changed", "Changed stacks, largest change first", cols,
		    sizeof(cols) / sizeof(cols[0]), d->nentries, n);
	for (size_t i = 0; i < held; i++) {
		const keydiff_entry *e = &d->entries[i];
		const keyset_group *g = keydiff_shown(e);
		json_begin_object(w, 0);
		json_key(w, "values");
		json_begin_array(w, 1);
		json_str(w, keydiff_status_name(e->status));
		write_pair(w, e->fb.leaked_bytes, e->fn.leaked_bytes);
		write_pair(w, e->fb.leaked_allocations, e->fn.leaked_allocations);
		write_pair(w, e->fb.peak_bytes, e->fn.peak_bytes);
		write_pair(w, e->fb.allocations, e->fn.allocations);
		write_pair(w, e->fb.allocated_bytes, e->fn.allocated_bytes);
		write_pair(w, e->fb.temporary, e->fn.temporary);
		json_end_array(w);
		json_key_str(w, "key", g->key);
		/* the stack shown for the key: the group's representative's */
		symstack st;
		memset(&st, 0, sizeof(st));
		st.recorded = g->defined;
		st.frames = g->frames;
		st.nframes = g->nframes;
		write_stack(w, t, &st);
		json_end_object(w);
	}
	end_table(w);
}

int html_write_diff(FILE *f, const keydiff *d, const html_run *base, const html_run *new,
		    const char *sup_path, unsigned top, int status)
{
	begin_page(f, program_name(base->rep), program_name(new->rep));
	json_writer *w = begin_data(f, "diff");
	if (!w)
		return HTML_ENOMEM;
	frames t;
	memset(&t, 0, sizeof(t));
	util_map_init(&t.index);

	write_run(w, "base", base);
	write_run(w, "new", new);
	json_key(w, "options");
	json_begin_object(w, 1);
	json_key_uint(w, "top", top);
	json_key_str(w, "suppressions", sup_path);
	json_end_object(w);
	json_key_uint(w, "exit_status", (uint64_t)status);

	keydiff_figure fig[KEYDIFF_FIGURES];
	keydiff_figures(d, fig);
	json_key(w, "summary");
	json_begin_array(w, 0);
	for (int i = 0; i < KEYDIFF_FIGURES; i++) {
		json_begin_object(w, 1);
		json_key_str(w, "key", fig[i].key);
		json_key_str(w, "label", fig[i].label);
		json_key_str(w, "unit", fig[i].bytes ? "bytes" : "count");
		json_key_uint(w, "base", fig[i].b);
		json_key_uint(w, "new", fig[i].n);
		json_end_object(w);
	}
	json_end_array(w);
	gate_write_json(w, d->gates, KEYDIFF_GATES, top);

	json_key(w, "tables");
	json_begin_array(w, 0);
	write_changes(w, &t, d, top);
	json_end_array(w);
	int err = write_flames(w, &t, new->rep, base->rep);
	return end_page(f, w, &t, err);
}
