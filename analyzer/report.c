/*
 * report.c: the text and JSON reports (see report.h).
 *
 * Each stack is symbolized at most once (sym caches per address as well): its frames are the
 * sym frames of every recorded address, innermost first, inlined frames before the function they
 * were inlined into.  The lists (leaks, peak, allocators, temporary) are the stacks sorted by
 * their figure, descending, ties by stack id; stacks whose figure is zero are never listed.
 *
 * Charts are drawn with the eighth blocks U+2581..U+2588: a column per group of timeline points
 * (its largest value), CHART_H rows of 8 levels each, scaled from 0 to the largest value.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frameclass.h"
#include "json.h"
#include "util.h"

/* A symbolized stack. */
typedef struct rstack {
	int done;
	int runtime;    /* a frame belongs to the runtime */
	size_t nframes; /* all frames */
	size_t first;   /* first shown frame (after folding allocator frames) */
	sym_frame *frames;
} rstack;

struct report_ctx {
	const replay_ctx *rp;
	sym_ctx *sym;
	report_options opt;
	rstack *rs; /* one per replay stack */
	size_t nrs;
	uint64_t leaked_bytes, leaked_allocs, runtime_bytes;
	int nomem;
	const growth_ctx *gr;
	const char *win_from, *win_to;
};

/* The figures a list is sorted by. */
enum list_kind { L_LEAKS, L_PEAK, L_ALLOCS, L_TEMP };

const char *report_strerror(int err)
{
	switch (err) {
	case REPORT_OK: return "success";
	case REPORT_ENOMEM: return "out of memory";
	case REPORT_EIO: return "write error";
	}
	return "unknown error";
}

int report_load_modules(sym_ctx *sym, const replay_ctx *rp)
{
	int first = 0;
	for (size_t i = 0; i < replay_modrec_count(rp); i++) {
		const replay_modrec *m = replay_modrec_at(rp, i);
		int rc = m->unload ? sym_unload_module(sym, m->mod.id, m->mod.epoch)
				   : sym_add_module(sym, &m->mod);
		if (rc < 0 && !first)
			first = rc;
	}
	return first;
}

void report_format_size(char *buf, size_t n, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes < 1024) {
		snprintf(buf, n, "%" PRIu64 " B", bytes);
		return;
	}
	double v = (double)bytes / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, n, "%.1f %s", v, units[u]);
}

/* ---- symbolized stacks ---- */

static const rstack *resolve(report_ctx *rc, size_t idx)
{
	rstack *r = &rc->rs[idx];
	if (r->done)
		return r;
	const replay_stack *st = replay_stack_at(rc->rp, idx);
	size_t cap = 0;
	r->done = 1;
	for (uint32_t i = 0; i < st->nframes; i++) {
		const sym_frame *fr = NULL;
		int n = rc->sym ? sym_resolve(rc->sym, st->epoch, st->frames[i], &fr) : -1;
		sym_frame unknown;
		if (n < 1 || !fr) {
			memset(&unknown, 0, sizeof(unknown));
			unknown.module = "[unknown]";
			unknown.address = st->frames[i];
			unknown.module_offset = st->frames[i];
			fr = &unknown;
			n = 1;
		}
		if (util_grow((void **)&r->frames, &cap, r->nframes + (size_t)n, sizeof(sym_frame))) {
			rc->nomem = 1;
			return r;
		}
		for (int k = 0; k < n; k++) {
			sym_frame *f = &r->frames[r->nframes++];
			*f = fr[k];
			if (!f->module)
				f->module = "[unknown]";
			if (rc->sym && frameclass_is_runtime(f))
				r->runtime = 1;
		}
	}
	if (!rc->opt.show_alloc_frames && rc->sym) {
		size_t k = 0;
		while (k < r->nframes && frameclass_is_alloc(&r->frames[k]))
			k++;
		r->first = k < r->nframes ? k : 0; /* a stack of nothing but allocator frames */
	}
	return r;
}

int report_stack_frames(report_ctx *rc, size_t idx, const sym_frame **frames, size_t *n, int *runtime)
{
	const rstack *r = resolve(rc, idx);
	if (rc->nomem)
		return REPORT_ENOMEM;
	*frames = r->frames ? r->frames + r->first : NULL;
	*n = r->nframes - r->first;
	*runtime = r->runtime;
	return 0;
}

int report_create(report_ctx **out, const replay_ctx *rp, sym_ctx *sym, const report_options *opt)
{
	*out = NULL;
	report_ctx *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return REPORT_ENOMEM;
	rc->rp = rp;
	rc->sym = sym;
	rc->opt = *opt;
	rc->nrs = replay_stack_count(rp);
	rc->rs = calloc(rc->nrs ? rc->nrs : 1, sizeof(rstack));
	if (!rc->rs) {
		report_free(rc);
		return REPORT_ENOMEM;
	}
	for (size_t i = 0; i < rc->nrs; i++) {
		const replay_stack *st = replay_stack_at(rp, i);
		if (!st->live_bytes && !st->live_allocations)
			continue;
		const rstack *r = resolve(rc, i);
		if (rc->nomem) {
			report_free(rc);
			return REPORT_ENOMEM;
		}
		if (r->runtime) {
			rc->runtime_bytes += st->live_bytes;
		} else {
			rc->leaked_bytes += st->live_bytes;
			rc->leaked_allocs += st->live_allocations;
		}
	}
	*out = rc;
	return 0;
}

void report_free(report_ctx *rc)
{
	if (!rc)
		return;
	for (size_t i = 0; i < rc->nrs; i++)
		free(rc->rs[i].frames);
	free(rc->rs);
	free(rc);
}

void report_set_growth(report_ctx *rc, const growth_ctx *gr) { rc->gr = gr; }

void report_set_window_args(report_ctx *rc, const char *from, const char *to)
{
	rc->win_from = from;
	rc->win_to = to;
}

uint64_t report_leaked_bytes(const report_ctx *rc) { return rc->leaked_bytes; }
uint64_t report_leaked_allocations(const report_ctx *rc) { return rc->leaked_allocs; }
uint64_t report_runtime_leaked_bytes(const report_ctx *rc) { return rc->runtime_bytes; }

/* ---- lists ---- */

static uint64_t figure(const replay_stack *st, enum list_kind k)
{
	switch (k) {
	case L_LEAKS: return st->live_bytes;
	case L_PEAK: return st->peak_bytes;
	case L_ALLOCS: return st->allocations;
	case L_TEMP: return st->temporary;
	}
	return 0;
}

/* A stack in a list: its figure, its id (tie-break) and its index in the replay. */
typedef struct sort_item {
	uint64_t key, id;
	size_t idx;
} sort_item;

static int cmp_items(const void *pa, const void *pb)
{
	const sort_item *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

/* Builds the sorted list of kind k: *items (malloc'ed, caller frees), *total (stacks with a
 * non-zero figure); returns how many to show, or -1 when out of memory. */
static long build_list(report_ctx *rc, enum list_kind k, sort_item **items, size_t *total)
{
	size_t n = 0;
	*items = malloc((rc->nrs ? rc->nrs : 1) * sizeof(sort_item));
	if (!*items)
		return -1;
	for (size_t i = 0; i < rc->nrs; i++) {
		const replay_stack *st = replay_stack_at(rc->rp, i);
		uint64_t v = figure(st, k);
		if (!v)
			continue;
		if (k == L_LEAKS) {
			const rstack *r = resolve(rc, i);
			if (rc->nomem)
				return -1;
			if (r->runtime)
				continue;
		}
		(*items)[n].key = v;
		(*items)[n].id = st->id;
		(*items)[n].idx = i;
		n++;
	}
	qsort(*items, n, sizeof(sort_item), cmp_items);
	*total = n;
	if (rc->opt.top && n > rc->opt.top)
		n = rc->opt.top;
	return (long)n;
}

/* ---- text ---- */

/* Writes n bytes of untrusted text: control characters and bytes that are not UTF-8 become
 * \xHH; with `quote`, single quotes are written shell-style ('\''). */
static void put_safe_n(FILE *f, const char *s, size_t n, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t len = util_utf8_len(p + i, n - i);
		if (quote && p[i] == '\'') {
			fputs("'\\''", f);
			i++;
		} else if (len == 0 || p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\x%02x", p[i]);
			i++;
		} else {
			fwrite(p + i, 1, len, f);
			i += len;
		}
	}
}

void report_put_text(FILE *f, const char *s) { put_safe_n(f, s, strlen(s), 0); }

/* Writes an argument, single-quoted when it holds anything but plain characters. */
static void put_arg(FILE *f, const char *s)
{
	int plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@",
			    *p))
			plain = 0;
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	put_safe_n(f, s, strlen(s), 1);
	fputc('\'', f);
}

static const char *c_on(const report_ctx *rc, const char *code) { return rc->opt.color ? code : ""; }
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

void report_write_frames_text(FILE *f, const sym_frame *frames, size_t n, const char *indent,
			   int color)
{
	const char *dim = color ? C_DIM : "", *off = color ? C_OFF : "";
	if (n == 0) {
		fprintf(f, "%s[no frames]\n", indent);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const sym_frame *fr = &frames[i];
		int unknown_mod = !fr->module || strcmp(fr->module, "[unknown]") == 0;
		fputs(indent, f);
		if (fr->function) {
			report_put_text(f, fr->function);
		} else if (!unknown_mod) {
			fprintf(f, "%s[unknown]%s in ", dim, off);
			report_put_text(f, util_base_name(fr->module));
			fprintf(f, "+0x%" PRIx64, fr->module_offset);
		} else {
			fprintf(f, "%s[unknown]%s at 0x%" PRIx64, dim, off, fr->address);
		}
		if (fr->file) {
			fputs("  ", f);
			report_put_text(f, fr->file);
			if (fr->line)
				fprintf(f, ":%u", fr->line);
		}
		if (fr->function && !unknown_mod) {
			fputs("  (", f);
			report_put_text(f, util_base_name(fr->module));
			fputc(')', f);
		}
		if (fr->inlined)
			fprintf(f, "  %s[inlined]%s", dim, off);
		fputc('\n', f);
	}
}

static void put_stack_text(report_ctx *rc, FILE *f, size_t idx)
{
	const replay_stack *st = replay_stack_at(rc->rp, idx);
	if (!st->defined) {
		fprintf(f, "      [stack not recorded] (stack id %" PRIu64 ")\n", st->id);
		return;
	}
	const rstack *r = resolve(rc, idx);
	if (r->nframes == 0) {
		fputs("      [empty stack]\n", f);
		return;
	}
	report_write_frames_text(f, r->frames + r->first, r->nframes - r->first, "      ",
			      rc->opt.color);
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

static void put_entry_line(report_ctx *rc, FILE *f, const replay_stack *st, enum list_kind k)
{
	char a[32], b[32];
	switch (k) {
	case L_LEAKS:
		report_format_size(a, sizeof(a), st->live_bytes);
		fprintf(f, "  %s%s%s in %" PRIu64 " allocation%s\n", c_on(rc, C_BOLD), a,
			c_on(rc, C_OFF), st->live_allocations, plural(st->live_allocations));
		break;
	case L_PEAK:
		report_format_size(a, sizeof(a), st->peak_bytes);
		fprintf(f, "  %s%s%s in %" PRIu64 " allocation%s at the peak\n", c_on(rc, C_BOLD), a,
			c_on(rc, C_OFF), st->peak_allocations, plural(st->peak_allocations));
		break;
	case L_ALLOCS:
		report_format_size(b, sizeof(b), st->allocated_bytes);
		fprintf(f, "  %s%" PRIu64 "%s allocation%s, %s in total\n", c_on(rc, C_BOLD),
			st->allocations, c_on(rc, C_OFF), plural(st->allocations), b);
		break;
	case L_TEMP:
		fprintf(f, "  %s%" PRIu64 "%s temporary of %" PRIu64 " allocation%s\n",
			c_on(rc, C_BOLD), st->temporary, c_on(rc, C_OFF), st->allocations,
			plural(st->allocations));
		break;
	}
}

static int text_section(report_ctx *rc, FILE *f, enum list_kind k, const char *title)
{
	sort_item *items;
	size_t total;
	long n = build_list(rc, k, &items, &total);
	if (n < 0) {
		free(items);
		return REPORT_ENOMEM;
	}
	fprintf(f, "\n%s%s%s", c_on(rc, C_BOLD), title, c_on(rc, C_OFF));
	if (total == 0)
		fputs(": none\n", f);
	else if ((size_t)n < total)
		fprintf(f, " (top %ld of %zu stacks)\n", n, total);
	else
		fprintf(f, " (%zu stack%s)\n", total, plural(total));
	for (long i = 0; i < n; i++) {
		const replay_stack *st = replay_stack_at(rc->rp, items[i].idx);
		fputc('\n', f);
		put_entry_line(rc, f, st, k);
		put_stack_text(rc, f, items[i].idx);
		if (rc->nomem)
			break;
	}
	free(items);
	return rc->nomem ? REPORT_ENOMEM : 0;
}

/* Formats a duration or a moment: "850 us", "12.345 ms", "3.210 s". */
static void fmt_seconds(char *buf, size_t n, uint64_t ns)
{
	if (ns < 1000000u)
		snprintf(buf, n, "%" PRIu64 " us", ns / 1000u);
	else if (ns < 1000000000u)
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " ms", ns / 1000000u,
			 ns % 1000000u / 1000u);
	else
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " s", ns / 1000000000u,
			 ns % 1000000000u / 1000000u);
}

static void put_seconds(FILE *f, uint64_t ns)
{
	char buf[48];
	fmt_seconds(buf, sizeof(buf), ns);
	fputs(buf, f);
}

/* ---- growth, charts, histogram (text) ---- */

#define CHART_W 64 /* columns of the timeline chart */
#define CHART_H 6  /* rows of the heap chart */
#define RSS_H 3    /* rows of the RSS chart */
#define LABEL_W 10 /* width of the y-axis labels */
#define SPARK_W 32 /* characters of a sparkline */

static const char *const eighths[9] = {" ", "\u2581", "\u2582", "\u2583", "\u2584",
				       "\u2585", "\u2586", "\u2587", "\u2588"};

/* Level (0..units) of v on a 0..top scale; a non-zero value shows at least 1. */
static unsigned level_of(uint64_t v, uint64_t top, unsigned units)
{
	if (!top || !v)
		return 0;
	unsigned l = (unsigned)((long double)v * units / top + 0.5L);
	if (l == 0)
		l = 1;
	return l > units ? units : l;
}

/* Formats a power of two exactly: "16 B", "4 KiB", "2 MiB". */
static void fmt_pow2(char *buf, size_t n, uint64_t v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t u = 0;
	while (v >= 1024 && v % 1024 == 0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%" PRIu64 " %s", v, units[u]);
}

/* Draws columns col[0..w) as a chart of h rows scaled to top, the y label on the first row. */
static void put_chart(FILE *f, const uint64_t *col, size_t w, unsigned h, uint64_t top,
		      const char *label)
{
	for (unsigned r = 0; r < h; r++) {
		fprintf(f, "%*s %s", LABEL_W, r == 0 ? label : "", r == 0 ? "\u2524" : "\u2502");
		unsigned base = (h - 1 - r) * 8;
		for (size_t j = 0; j < w; j++) {
			unsigned l = level_of(col[j], top, h * 8);
			fputs(l >= base + 8 ? eighths[8] : l <= base ? eighths[0] : eighths[l - base], f);
		}
		fputc('\n', f);
	}
}

/* The x axis: a line with a tick under each mark of the window, then the times. */
static void put_time_axis(report_ctx *rc, FILE *f, size_t w, uint64_t from, uint64_t to)
{
	fprintf(f, "%*s \u2514", LABEL_W, "");
	for (size_t j = 0; j < w; j++) {
		int mark = 0;
		for (size_t i = 0; i < replay_mark_count(rc->rp) && !mark; i++) {
			uint64_t t = replay_mark_at(rc->rp, i)->time_ns;
			if (t >= from && t <= to && to > from &&
			    (size_t)((long double)(t - from) * w / (to - from)) == j)
				mark = 1;
			else if (t >= from && t <= to && to == from && j == 0)
				mark = 1;
		}
		fputs(mark ? "\u2534" : "\u2500", f);
	}
	fputc('\n', f);
	char a[48], b[48], m[48];
	if (from)
		fmt_seconds(a, sizeof(a), from);
	else
		snprintf(a, sizeof(a), "0 s");
	fmt_seconds(b, sizeof(b), to);
	fmt_seconds(m, sizeof(m), from + (to - from) / 2);
	size_t la = strlen(a), lb = strlen(b), lm = strlen(m);
	fprintf(f, "%*s  %s", LABEL_W, "", a);
	size_t pos = la, mid = w / 2 - lm / 2;
	if (w >= la + lm + lb + 4 && mid > pos + 1) {
		fprintf(f, "%*s%s", (int)(mid - pos), "", m);
		pos = mid + lm;
	}
	if (w > pos + lb)
		fprintf(f, "%*s%s", (int)(w - pos - lb), "", b);
	else
		fprintf(f, "  %s", b);
	fputc('\n', f);
}

static int text_timeline(report_ctx *rc, FILE *f)
{
	const growth_ctx *g = rc->gr;
	const replay_summary *s = replay_get_summary(rc->rp);
	size_t n = growth_timeline_count(g);
	if (!n)
		return 0;
	size_t w = n < CHART_W ? n : CHART_W;
	uint64_t heap[CHART_W], rss[CHART_W];
	memset(heap, 0, sizeof(heap));
	memset(rss, 0, sizeof(rss));
	uint64_t top = 0, rss_top = 0;
	int have_rss = 0;
	for (size_t i = 0; i < n; i++) {
		const growth_point *p = growth_timeline_at(g, i);
		size_t j = i * w / n;
		if (p->heap_bytes > heap[j])
			heap[j] = p->heap_bytes;
		if (p->rss_bytes > rss[j])
			rss[j] = p->rss_bytes;
		if (p->heap_bytes > top)
			top = p->heap_bytes;
		if (p->rss_bytes > rss_top)
			rss_top = p->rss_bytes;
		have_rss |= p->rss_sampled;
	}
	char a[32], b[48];
	report_format_size(a, sizeof(a), top);
	fmt_seconds(b, sizeof(b), s->peak_time_ns);
	fprintf(f, "\n%sHeap over time%s: peak %s at %s\n\n", c_on(rc, C_BOLD), c_on(rc, C_OFF), a,
		b);
	put_chart(f, heap, w, CHART_H, top, a);
	if (have_rss) {
		report_format_size(a, sizeof(a), rss_top);
		fprintf(f, "%*s \u2502\n", LABEL_W, "RSS");
		put_chart(f, rss, w, RSS_H, rss_top, a);
	}
	put_time_axis(rc, f, w, s->window_from_ns, s->window_to_ns);
	int first = 1;
	for (size_t i = 0; i < replay_mark_count(rc->rp); i++) {
		const replay_mark *m = replay_mark_at(rc->rp, i);
		if (m->time_ns < s->window_from_ns || m->time_ns > s->window_to_ns)
			continue;
		if (first)
			fprintf(f, "%*s  marks (\u2534): ", LABEL_W, "");
		else
			fputs("; ", f);
		put_seconds(f, m->time_ns);
		fputs(" '", f);
		report_put_text(f, m->label);
		fputc('\'', f);
		first = 0;
	}
	if (!first)
		fputc('\n', f);
	return 0;
}

/* A sparkline of a series on its own min..max scale, at most SPARK_W characters. */
static void put_sparkline(FILE *f, const uint64_t *v, size_t n)
{
	uint64_t col[SPARK_W];
	size_t w = n < SPARK_W ? n : SPARK_W;
	memset(col, 0, sizeof(col));
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = i * w / n;
		if (v[i] > col[j])
			col[j] = v[i];
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	for (size_t j = 0; j < w; j++) {
		unsigned l = hi > lo ? 1 + (unsigned)((long double)(col[j] - lo) * 7 / (hi - lo) + 0.5L)
				     : 1;
		fputs(eighths[l > 8 ? 8 : l], f);
	}
}

static int text_suspects(report_ctx *rc, FILE *f)
{
	const growth_ctx *g = rc->gr;
	size_t total = growth_suspect_count(g);
	size_t n = rc->opt.top && total > rc->opt.top ? rc->opt.top : total;
	fprintf(f, "\n%sGrowth suspects: live bytes that grew steadily%s", c_on(rc, C_BOLD),
		c_on(rc, C_OFF));
	if (total == 0)
		fputs(": none\n", f);
	else if (n < total)
		fprintf(f, " (top %zu of %zu stacks)\n", n, total);
	else
		fprintf(f, " (%zu stack%s)\n", total, plural(total));
	for (size_t i = 0; i < n; i++) {
		const growth_suspect *sp = growth_suspect_at(g, i);
		char a[32], b[32], c[32], r[32];
		report_format_size(r, sizeof(r), (uint64_t)(sp->slope_bytes_per_s + 0.5));
		report_format_size(a, sizeof(a), sp->start_bytes);
		report_format_size(b, sizeof(b), sp->end_bytes);
		report_format_size(c, sizeof(c), sp->max_bytes);
		fprintf(f, "\n  %s+%s/s%s (fit R\u00b2 %.2f)  %s -> %s, max %s  ", c_on(rc, C_BOLD), r,
			c_on(rc, C_OFF), sp->r2, a, b, c);
		put_sparkline(f, sp->series, sp->nseries);
		fputc('\n', f);
		put_stack_text(rc, f, sp->stack_index);
		if (rc->nomem)
			return REPORT_ENOMEM;
	}
	return 0;
}

/* The classes shown: from the smallest to the largest non-empty one; *lo > *hi when none. */
static void hist_range(const replay_summary *s, unsigned *lo, unsigned *hi)
{
	*lo = 1;
	*hi = 0;
	for (unsigned k = 0; k < REPLAY_SIZE_CLASSES; k++) {
		if (!s->sizes[k].allocations)
			continue;
		if (*lo > *hi)
			*lo = k;
		*hi = k;
	}
}

static void text_histogram(report_ctx *rc, FILE *f)
{
	const replay_summary *s = replay_get_summary(rc->rp);
	unsigned lo, hi;
	hist_range(s, &lo, &hi);
	fprintf(f, "\n%sAllocation sizes%s", c_on(rc, C_BOLD), c_on(rc, C_OFF));
	if (lo > hi) {
		fputs(": none\n", f);
		return;
	}
	fputs(" (requested bytes: allocations per size class, bytes)\n\n", f);
	uint64_t top = 0;
	for (unsigned k = lo; k <= hi; k++)
		if (s->sizes[k].allocations > top)
			top = s->sizes[k].allocations;
	for (unsigned k = lo; k <= hi; k++) {
		char a[32], b[32], c[32];
		fmt_pow2(a, sizeof(a), replay_size_class_min(k));
		if (k + 1 < REPLAY_SIZE_CLASSES)
			fmt_pow2(b, sizeof(b), replay_size_class_min(k + 1));
		else
			snprintf(b, sizeof(b), "16 EiB");
		report_format_size(c, sizeof(c), s->sizes[k].bytes);
		fprintf(f, "  %8s - %-8s %10" PRIu64 "  ", a, b, s->sizes[k].allocations);
		unsigned l = level_of(s->sizes[k].allocations, top, 24 * 8);
		for (unsigned i = 0; i < 24; i++)
			fputs(l >= (i + 1) * 8 ? eighths[8] : l <= i * 8 ? eighths[0] : eighths[l - i * 8],
			      f);
		fprintf(f, "  %s\n", c);
	}
}

int report_write_text(report_ctx *rc, FILE *f)
{
	const replay_summary *s = replay_get_summary(rc->rp);
	const replay_header *h = replay_get_header(rc->rp);
	char a[32], b[32];

	fprintf(f, "%sprogram%s       ", c_on(rc, C_BOLD), c_on(rc, C_OFF));
	if (h->argc) {
		for (uint32_t i = 0; i < h->argc; i++) {
			if (i)
				fputc(' ', f);
			put_arg(f, h->argv[i]);
		}
	} else {
		report_put_text(f, h->exe);
	}
	fprintf(f, "  (pid %u", h->pid);
	if (h->argc && h->exe[0]) {
		fputs(", ", f);
		report_put_text(f, h->exe);
	}
	fputs(")\n", f);
	fputs("duration      ", f);
	put_seconds(f, s->duration_ns);
	fputc('\n', f);
	if (s->windowed) {
		fputs("window        ", f);
		put_seconds(f, s->window_from_ns);
		fputs(" to ", f);
		put_seconds(f, s->window_to_ns);
		fputs(" (", f);
		put_seconds(f, s->window_to_ns - s->window_from_ns);
		fputs(")", f);
		if (rc->win_from || rc->win_to) {
			fputs(": --from ", f);
			report_put_text(f, rc->win_from ? rc->win_from : "start");
			fputs(" --to ", f);
			report_put_text(f, rc->win_to ? rc->win_to : "end");
		}
		fputs("; figures below are for the window\n", f);
	}
	report_format_size(a, sizeof(a), s->allocated_bytes);
	fprintf(f, "allocations   %" PRIu64 " (%s allocated)\n", s->allocations, a);
	fprintf(f, "frees         %" PRIu64 "\n", s->frees);
	report_format_size(a, sizeof(a), s->peak_heap_bytes);
	fprintf(f, "peak heap     %s in %" PRIu64 " allocation%s at ", a, s->peak_allocations,
		plural(s->peak_allocations));
	put_seconds(f, s->peak_time_ns);
	fputc('\n', f);
	if (s->rss_samples) {
		report_format_size(a, sizeof(a), s->peak_rss_bytes);
		fprintf(f, "peak RSS      %s\n", a);
	} else {
		fputs("peak RSS      not sampled\n", f);
	}
	report_format_size(a, sizeof(a), rc->leaked_bytes);
	fprintf(f, "%sleaked        %s in %" PRIu64 " allocation%s%s\n", c_on(rc, C_BOLD), a,
		rc->leaked_allocs, plural(rc->leaked_allocs), c_on(rc, C_OFF));
	report_format_size(b, sizeof(b), rc->runtime_bytes);
	fprintf(f, "runtime-owned %s kept by the C/C++/Rust runtime (not counted as leaked)\n", b);
	fprintf(f, "temporary     %" PRIu64 " allocation%s", s->temporary, plural(s->temporary));
	if (s->allocations)
		fprintf(f, " (%.1f%%)", 100.0 * (double)s->temporary / (double)s->allocations);
	fputc('\n', f);
	if (s->unmatched_frees || s->fixups || s->stale_frees || s->invalid_events)
		fprintf(f, "%snotes         %" PRIu64 " frees of unknown pointers, %" PRIu64
			   " out-of-order fixups, %" PRIu64 " stale frees, %" PRIu64
			   " invalid events%s\n",
			c_on(rc, C_DIM), s->unmatched_frees, s->fixups, s->stale_frees,
			s->invalid_events, c_on(rc, C_OFF));

	int rc2 = rc->gr ? text_timeline(rc, f) : 0;
	if (!rc2)
		rc2 = text_section(rc, f, L_LEAKS,
				   s->windowed ? "Leaks: bytes allocated in the window still live at "
						 "its end"
					       : "Leaks: bytes still allocated at the end");
	if (!rc2)
		rc2 = text_section(rc, f, L_PEAK, "Peak consumers: bytes live at the heap peak");
	if (!rc2)
		rc2 = text_section(rc, f, L_ALLOCS, "Most allocations");
	if (!rc2)
		rc2 = text_section(rc, f, L_TEMP, "Most temporary allocations");
	if (!rc2 && rc->gr)
		rc2 = text_suspects(rc, f);
	if (rc2)
		return rc2;
	text_histogram(rc, f);
	if (fflush(f) != 0 || ferror(f))
		return REPORT_EIO;
	return 0;
}

/* ---- JSON ---- */

void report_write_frames_json(json_writer *w, const sym_frame *frames, size_t n)
{
	json_key(w, "stack");
	json_begin_array(w, 0);
	for (size_t i = 0; i < n; i++) {
		const sym_frame *fr = &frames[i];
		char addr[32];
		snprintf(addr, sizeof(addr), "0x%" PRIx64, fr->address);
		json_begin_object(w, 1);
		json_key(w, "function");
		json_str(w, fr->function);
		json_key(w, "file");
		json_str(w, fr->file);
		json_key(w, "line");
		if (fr->line)
			json_uint(w, fr->line);
		else
			json_null(w);
		json_key(w, "module");
		json_str(w, fr->module);
		json_key(w, "address");
		json_str(w, addr);
		json_key(w, "inlined");
		json_bool(w, fr->inlined);
		json_end_object(w);
	}
	json_end_array(w);
}

void report_write_program_json(json_writer *w, const char *key, const replay_header *h, const char *trace,
			    int ppid)
{
	json_key(w, key);
	json_begin_object(w, 0);
	if (trace) {
		json_key(w, "trace");
		json_str(w, trace);
	}
	json_key(w, "exe");
	json_str(w, h->exe);
	json_key(w, "pid");
	json_uint(w, h->pid);
	if (ppid) {
		json_key(w, "ppid");
		json_uint(w, h->ppid);
	}
	json_key(w, "argv");
	json_begin_array(w, 1);
	for (uint32_t i = 0; i < h->argc; i++)
		json_str(w, h->argv[i]);
	json_end_array(w);
	json_end_object(w);
}

/* The "stack" of replay stack idx: its shown frames, none when its record was not read. */
static void json_stack(report_ctx *rc, json_writer *w, size_t idx)
{
	if (!replay_stack_at(rc->rp, idx)->defined) {
		report_write_frames_json(w, NULL, 0);
		return;
	}
	const rstack *r = resolve(rc, idx);
	report_write_frames_json(w, r->frames ? r->frames + r->first : NULL, r->nframes - r->first);
}

/* Writes two count members: "k1": v1, "k2": v2. */
static void json_counts(json_writer *w, const char *k1, uint64_t v1, const char *k2, uint64_t v2)
{
	json_key(w, k1);
	json_uint(w, v1);
	json_key(w, k2);
	json_uint(w, v2);
}

static int json_list(report_ctx *rc, json_writer *w, enum list_kind k, const char *key)
{
	sort_item *items;
	size_t total;
	long n = build_list(rc, k, &items, &total);
	if (n < 0) {
		free(items);
		return REPORT_ENOMEM;
	}
	json_key(w, key);
	json_begin_array(w, 0);
	for (long i = 0; i < n; i++) {
		const replay_stack *st = replay_stack_at(rc->rp, items[i].idx);
		json_begin_object(w, 0);
		switch (k) {
		case L_LEAKS:
			json_counts(w, "bytes", st->live_bytes, "allocations", st->live_allocations);
			break;
		case L_PEAK:
			json_counts(w, "bytes", st->peak_bytes, "allocations", st->peak_allocations);
			break;
		case L_ALLOCS:
			json_counts(w, "allocations", st->allocations, "bytes", st->allocated_bytes);
			break;
		case L_TEMP:
			json_key(w, "allocations");
			json_uint(w, st->temporary);
			break;
		}
		json_key(w, "stack_id");
		json_uint(w, st->id);
		json_stack(rc, w, items[i].idx);
		json_end_object(w);
	}
	json_end_array(w);
	free(items);
	return rc->nomem ? REPORT_ENOMEM : 0;
}

static int json_growth(report_ctx *rc, json_writer *w)
{
	const growth_ctx *g = rc->gr;
	json_key(w, "growth");
	json_begin_object(w, 0);
	json_key(w, "timeline");
	json_begin_array(w, 0);
	for (size_t i = 0; g && i < growth_timeline_count(g); i++) {
		const growth_point *p = growth_timeline_at(g, i);
		json_begin_array(w, 1);
		json_seconds(w, p->time_ns);
		json_uint(w, p->heap_bytes);
		json_uint(w, p->rss_bytes);
		json_end_array(w);
	}
	json_end_array(w);
	json_key(w, "suspects");
	json_begin_array(w, 0);
	size_t total = g ? growth_suspect_count(g) : 0;
	size_t n = rc->opt.top && total > rc->opt.top ? rc->opt.top : total;
	for (size_t i = 0; i < n; i++) {
		const growth_suspect *sp = growth_suspect_at(g, i);
		json_begin_object(w, 0);
		json_key(w, "live_bytes_start");
		json_uint(w, sp->start_bytes);
		json_key(w, "live_bytes_end");
		json_uint(w, sp->end_bytes);
		json_key(w, "max_bytes");
		json_uint(w, sp->max_bytes);
		json_key(w, "slope_bytes_per_s");
		json_double(w, sp->slope_bytes_per_s);
		json_key(w, "r2");
		json_double(w, sp->r2);
		json_key(w, "score");
		json_double(w, sp->score);
		json_key(w, "series");
		json_begin_array(w, 1);
		for (size_t k = 0; k < sp->nseries; k++)
			json_uint(w, sp->series[k]);
		json_end_array(w);
		json_key(w, "stack_id");
		json_uint(w, sp->stack_id);
		json_stack(rc, w, sp->stack_index);
		json_end_object(w);
		if (rc->nomem)
			return REPORT_ENOMEM;
	}
	json_end_array(w);
	if (g) {
		json_key(w, "timeline_step_s");
		json_seconds(w, growth_timeline_step_ns(g));
		json_key(w, "series_step_s");
		json_seconds(w, growth_series_step_ns(g));
	}
	json_end_object(w);
	return 0;
}

static void json_window(report_ctx *rc, json_writer *w)
{
	const replay_summary *s = replay_get_summary(rc->rp);
	json_key(w, "window");
	json_begin_object(w, 0);
	json_key(w, "from_s");
	json_seconds(w, s->window_from_ns);
	json_key(w, "to_s");
	json_seconds(w, s->window_to_ns);
	json_key(w, "from");
	json_str(w, rc->win_from);
	json_key(w, "to");
	json_str(w, rc->win_to);
	json_key(w, "run_duration_s");
	json_seconds(w, s->duration_ns);
	json_end_object(w);
}

static void json_histogram(report_ctx *rc, json_writer *w)
{
	const replay_summary *s = replay_get_summary(rc->rp);
	unsigned lo, hi;
	hist_range(s, &lo, &hi);
	json_key(w, "histogram");
	json_begin_array(w, 0);
	for (unsigned k = lo; k <= hi; k++) {
		json_begin_object(w, 1);
		json_key(w, "min");
		json_uint(w, replay_size_class_min(k));
		json_key(w, "max");
		if (k + 1 < REPLAY_SIZE_CLASSES)
			json_uint(w, replay_size_class_min(k + 1));
		else
			json_double(w, 18446744073709551616.0);
		json_key(w, "allocations");
		json_uint(w, s->sizes[k].allocations);
		json_key(w, "bytes");
		json_uint(w, s->sizes[k].bytes);
		json_end_object(w);
	}
	json_end_array(w);
}

int report_write_json(report_ctx *rc, FILE *f)
{
	const replay_summary *s = replay_get_summary(rc->rp);
	const replay_header *h = replay_get_header(rc->rp);
	json_writer *w;
	if (json_create(&w, f))
		return REPORT_ENOMEM;
	json_begin_object(w, 0);
	json_key(w, "format");
	json_uint(w, 1);

	report_write_program_json(w, "program", h, NULL, 1);

	json_key(w, "summary");
	json_begin_object(w, 0);
	json_key(w, "duration_s");
	json_seconds(w, s->windowed ? s->window_to_ns - s->window_from_ns : s->duration_ns);
	json_key(w, "allocations");
	json_uint(w, s->allocations);
	json_key(w, "frees");
	json_uint(w, s->frees);
	json_key(w, "allocated_bytes");
	json_uint(w, s->allocated_bytes);
	json_key(w, "peak_heap_bytes");
	json_uint(w, s->peak_heap_bytes);
	json_key(w, "peak_time_s");
	json_seconds(w, s->peak_time_ns);
	json_key(w, "peak_rss_bytes");
	json_uint(w, s->peak_rss_bytes);
	json_key(w, "leaked_bytes");
	json_uint(w, rc->leaked_bytes);
	json_key(w, "leaked_allocations");
	json_uint(w, rc->leaked_allocs);
	json_key(w, "runtime_leaked_bytes");
	json_uint(w, rc->runtime_bytes);
	json_key(w, "temporary_allocations");
	json_uint(w, s->temporary);
	json_end_object(w);

	int err = json_list(rc, w, L_LEAKS, "leaks");
	if (!err)
		err = json_list(rc, w, L_PEAK, "peak");
	if (!err)
		err = json_list(rc, w, L_ALLOCS, "allocators");
	if (!err)
		err = json_list(rc, w, L_TEMP, "temporary");
	if (err) {
		json_free(w);
		return err;
	}

	err = json_growth(rc, w);
	if (err) {
		json_free(w);
		return err;
	}
	json_window(rc, w);
	json_histogram(rc, w);
	json_key(w, "marks");
	json_begin_array(w, 0);
	for (size_t i = 0; i < replay_mark_count(rc->rp); i++) {
		const replay_mark *m = replay_mark_at(rc->rp, i);
		json_begin_object(w, 1);
		json_key(w, "t_s");
		json_seconds(w, m->time_ns);
		json_key(w, "tid");
		json_uint(w, m->tid);
		json_key(w, "label");
		json_str(w, m->label);
		json_end_object(w);
	}
	json_end_array(w);

	json_key(w, "diagnostics");
	json_begin_object(w, 0);
	json_key(w, "events");
	json_uint(w, s->events_read);
	json_key(w, "complete");
	json_bool(w, s->have_end && !s->damaged && s->end.events == s->events_read &&
			   s->end.dropped == 0);
	json_key(w, "dropped_events");
	json_uint(w, s->have_end ? s->end.dropped : 0);
	json_key(w, "unmatched_frees");
	json_uint(w, s->unmatched_frees);
	json_key(w, "fixups");
	json_uint(w, s->fixups);
	json_key(w, "stale_frees");
	json_uint(w, s->stale_frees);
	json_key(w, "invalid_events");
	json_uint(w, s->invalid_events);
	json_key(w, "late_events");
	json_uint(w, s->late_events);
	json_key(w, "undefined_stacks");
	json_uint(w, s->undefined_stacks);
	json_end_object(w);

	json_end_object(w);
	err = json_finish(w);
	json_free(w);
	return err ? REPORT_EIO : 0;
}
