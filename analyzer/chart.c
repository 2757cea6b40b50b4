/*
 * chart.c: charts of the text report (see chart.h).
 *
 * Charts are drawn with the eighth blocks U+2581..U+2588: a column per group of timeline points
 * (its largest value), CHART_H rows of 8 levels each, scaled from 0 to the largest value.
 */
#include "chart.h"

#include <inttypes.h>
#include <string.h>

#include "estimate.h"
#include "text.h"

#define CHART_W 64 /* columns of the timeline chart */
#define CHART_H 6  /* rows of the heap chart */
#define RSS_H 3    /* rows of the RSS chart */
#define LABEL_W 10 /* width of the y-axis labels */

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
static void put_time_axis(FILE *f, const replay_ctx *rp, size_t w, uint64_t from, uint64_t to)
{
	fprintf(f, "%*s \u2514", LABEL_W, "");
	for (size_t j = 0; j < w; j++) {
		int mark = 0;
		for (size_t i = 0; i < replay_mark_count(rp) && !mark; i++) {
			uint64_t t = replay_mark_at(rp, i)->time_ns;
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
		text_format_time(a, sizeof(a), from);
	else
		snprintf(a, sizeof(a), "0 s");
	text_format_time(b, sizeof(b), to);
	text_format_time(m, sizeof(m), from + (to - from) / 2);
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

void chart_timeline(FILE *f, const growth_ctx *g, const replay_ctx *rp, int color)
{
	const replay_summary *s = replay_get_summary(rp);
	size_t n = growth_timeline_count(g);
	if (!n)
		return;
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
	text_format_size(a, sizeof(a), top);
	text_format_time(b, sizeof(b), s->peak_time_ns);
	fprintf(f, "\n%sHeap over time%s: peak %s%s at %s%s\n\n", text_color(color, TEXT_BOLD),
		text_color(color, TEXT_OFF), estimate_mark(replay_get_header(rp)->sample_rate), a, b,
		replay_get_header(rp)->sample_rate ? " (estimated from a sampled trace)" : "");
	put_chart(f, heap, w, CHART_H, top, a);
	if (have_rss) {
		text_format_size(a, sizeof(a), rss_top);
		fprintf(f, "%*s \u2502\n", LABEL_W, "RSS");
		put_chart(f, rss, w, RSS_H, rss_top, a);
	}
	put_time_axis(f, rp, w, s->window_from_ns, s->window_to_ns);
	int first = 1;
	for (size_t i = 0; i < replay_mark_count(rp); i++) {
		const replay_mark *m = replay_mark_at(rp, i);
		if (m->time_ns < s->window_from_ns || m->time_ns > s->window_to_ns)
			continue;
		if (first)
			fprintf(f, "%*s  marks (\u2534): ", LABEL_W, "");
		else
			fputs("; ", f);
		text_put_time(f, m->time_ns);
		fputs(" '", f);
		text_put(f, m->label);
		fputc('\'', f);
		first = 0;
	}
	if (!first)
		fputc('\n', f);
}

void chart_sparkline(FILE *f, const uint64_t *v, size_t n)
{
	uint64_t col[CHART_SPARK_W];
	size_t w = n < CHART_SPARK_W ? n : CHART_SPARK_W;
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

void chart_bar(FILE *f, uint64_t v, uint64_t top, unsigned width)
{
	unsigned l = level_of(v, top, width * 8);
	for (unsigned i = 0; i < width; i++)
		fputs(l >= (i + 1) * 8 ? eighths[8] : l <= i * 8 ? eighths[0] : eighths[l - i * 8], f);
}
