/*
 * growth.c: the timeline and the growth suspects (see growth.h).
 *
 * Buckets are indexed by (time - window start) >> shift.  The timeline has `cap` buckets and its
 * own shift; it is "filled" up to the last bucket an event reached (tl_last); buckets skipped
 * over get the heap carried into them.  Doubling its width merges neighbour buckets: the larger
 * maximum wins, the earlier one on ties.
 *
 * The stacks' series have GROWTH_SERIES buckets and a shift of their own.  They are not touched per
 * event: when the first event past the end of a series bucket arrives, every stack's live bytes
 * are read from the source (the replay) and stored as the value of each bucket that ended since
 * the previous snapshot, corrected for that event itself (it was applied before the observer
 * saw it).  Doubling the width keeps every second value (the later bucket end).  So an event
 * costs the timeline's update and one comparison; a snapshot costs O(stacks), and there are
 * about GROWTH_SERIES/2 of them per doubling.
 */
#include "growth.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define GROWTH_SHIFT0 10 /* first bucket width: 2^10 ns */

/* The rare paths stay out of line, so the observer's common path needs few registers. */
#if defined(__GNUC__)
#define GROWTH_COLD __attribute__((noinline, cold))
#else
#define GROWTH_COLD
#endif

/* A timeline bucket. */
typedef struct tlb {
	uint64_t heap; /* largest heap (valid up to tl_last) */
	uint64_t t;    /* when first reached */
	uint64_t rss;  /* largest RSS sample, 0: none */
} tlb;

struct growth_ctx {
	uint64_t from, to;
	unsigned cap;
	unsigned tshift, sshift;
	tlb *tl;
	long tl_last; /* -1: nothing filled */
	uint64_t heap_cur;
	uint64_t rss_before, rss_before_t; /* latest RSS sample before the window */
	int have_rss_before;

	growth_source src;
	int opened;      /* the window's first event was seen (start[] taken) */
	uint64_t ev_first, ev_last; /* rel times of the window's first and last events */
	uint64_t *start; /* per stack: live bytes as the window opened */
	uint64_t *sv;    /* per stack: GROWTH_SERIES bucket-end values */
	size_t nstk, capstk; /* stacks with room in start[] and sv[] */
	unsigned s_filled;   /* series buckets whose end value is stored */
	uint64_t s_next;     /* rel time at which bucket s_filled ends */
	uint64_t t_lim, s_lim; /* cap << tshift, GROWTH_SERIES << sshift: the first time beyond */

	int nomem, finished;
	growth_point *pts;
	size_t npts;
	growth_suspect *sus;
	size_t nsus, capsus;
	/* groups (growth_set_groups): stack i belongs to group group_of[i] */
	size_t *group_of;
	size_t ngrouped, ngroups;
	uint64_t *gsv, *gstart, *gid; /* the groups' series, starts and smallest stack ids */
};

const char *growth_strerror(int err)
{
	switch (err) {
	case GROWTH_OK: return "success";
	case GROWTH_ENOMEM: return "out of memory";
	case GROWTH_EINVAL: return "invalid argument";
	}
	return "unknown error";
}

int growth_fit_line(const double *x, const double *y, size_t n, growth_fit *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 2)
		return GROWTH_EINVAL;
	double mx = 0, my = 0;
	for (size_t i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	double sxx = 0, sxy = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		double dx = x[i] - mx, dy = y[i] - my;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (!(sxx > 0))
		return GROWTH_EINVAL;
	out->slope = sxy / sxx;
	out->intercept = my - out->slope * mx;
	out->r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
	if (out->r2 > 1)
		out->r2 = 1;
	return 0;
}

int growth_create(growth_ctx **out, uint64_t from_ns, uint64_t to_ns, unsigned points)
{
	*out = NULL;
	if (points < 2 || points > GROWTH_MAX_POINTS || from_ns > to_ns)
		return GROWTH_EINVAL;
	growth_ctx *g = calloc(1, sizeof(*g));
	if (!g)
		return GROWTH_ENOMEM;
	g->tl = calloc(points, sizeof(tlb));
	if (!g->tl) {
		free(g);
		return GROWTH_ENOMEM;
	}
	g->from = from_ns;
	g->to = to_ns;
	g->cap = points;
	g->tshift = GROWTH_SHIFT0;
	g->sshift = GROWTH_SHIFT0;
	g->tl_last = -1;
	g->t_lim = (uint64_t)points << GROWTH_SHIFT0;
	g->s_lim = (uint64_t)GROWTH_SERIES << GROWTH_SHIFT0;
	g->s_next = (uint64_t)1 << GROWTH_SHIFT0;
	*out = g;
	return 0;
}

void growth_free(growth_ctx *g)
{
	if (!g)
		return;
	free(g->tl);
	free(g->start);
	free(g->sv);
	free(g->pts);
	free(g->sus);
	free(g->group_of);
	free(g->gsv);
	free(g->gstart);
	free(g->gid);
	free(g);
}

/* ---- the timeline ---- */

/* Doubles the timeline's bucket width. */
static void tl_rescale(growth_ctx *g)
{
	for (unsigned i = 0; i < g->cap; i++) {
		tlb *src = &g->tl[i], *dst = &g->tl[i >> 1];
		if (i & 1) {
			if ((long)i <= g->tl_last && src->heap > dst->heap) {
				dst->heap = src->heap;
				dst->t = src->t;
			}
			if (src->rss > dst->rss)
				dst->rss = src->rss;
		} else if (i) {
			*dst = *src;
		}
	}
	memset(g->tl + (g->cap + 1) / 2, 0, (g->cap - (g->cap + 1) / 2) * sizeof(tlb));
	if (g->tl_last >= 0)
		g->tl_last >>= 1;
	g->tshift++;
	g->t_lim = g->cap <= UINT64_MAX >> g->tshift ? (uint64_t)g->cap << g->tshift : UINT64_MAX;
}

/* Returns the timeline bucket of a time `rel` ns into the window, widening buckets as needed. */
GROWTH_COLD static size_t tl_bucket(growth_ctx *g, uint64_t rel)
{
	while ((rel >> g->tshift) >= g->cap)
		tl_rescale(g);
	return (size_t)(rel >> g->tshift);
}

/* Fills the buckets after tl_last up to b with the heap carried into them. */
GROWTH_COLD static void tl_fill(growth_ctx *g, size_t b, uint64_t carried)
{
	for (size_t i = (size_t)(g->tl_last + 1); i <= b; i++) {
		g->tl[i].heap = carried;
		g->tl[i].t = g->from + ((uint64_t)i << g->tshift);
	}
	if ((long)b > g->tl_last)
		g->tl_last = (long)b;
}

/* ---- the stacks' series ---- */

/* Makes room for n stacks (new ones hold 0 everywhere: they had nothing live).  0 or -1. */
static int stacks_room(growth_ctx *g, size_t n)
{
	if (n <= g->nstk)
		return 0;
	if (n > g->capstk) {
		size_t cap = g->capstk ? g->capstk : 64;
		while (cap < n)
			cap *= 2;
		if (cap > SIZE_MAX / (GROWTH_SERIES * sizeof(uint64_t))) {
			g->nomem = 1;
			return -1;
		}
		uint64_t *st = realloc(g->start, cap * sizeof(uint64_t));
		if (st)
			g->start = st;
		uint64_t *sv = st ? realloc(g->sv, cap * GROWTH_SERIES * sizeof(uint64_t)) : NULL;
		if (!sv) {
			g->nomem = 1;
			return -1;
		}
		g->sv = sv;
		g->capstk = cap;
	}
	memset(g->start + g->nstk, 0, (n - g->nstk) * sizeof(uint64_t));
	memset(g->sv + g->nstk * GROWTH_SERIES, 0, (n - g->nstk) * GROWTH_SERIES * sizeof(uint64_t));
	g->nstk = n;
	return 0;
}

/* Stacks the source knows (none before an observer was installed). */
static size_t source_count(const growth_ctx *g) { return g->src.count ? g->src.count(g->src.ctx) : 0; }

/* A stack's live bytes before the event `ev` (already applied) changed them. */
static uint64_t live_before(const growth_ctx *g, size_t i, const replay_event *ev)
{
	uint64_t v = g->src.live(g->src.ctx, i);
	if (ev && i == ev->stack_index && ev->status == REPLAY_ST_OK) {
		if (ev->kind == TF_EV_ALLOC || ev->kind == TF_EV_RALLOC)
			v -= ev->size;
		else
			v += ev->size;
	}
	return v;
}

/* Doubles the series' bucket width: a merged bucket ends where its second half ended. */
static void series_rescale(growth_ctx *g)
{
	unsigned keep = g->s_filled / 2;
	for (size_t i = 0; i < g->nstk; i++) {
		uint64_t *v = g->sv + i * GROWTH_SERIES;
		for (unsigned k = 0; k < keep; k++)
			v[k] = v[2 * k + 1];
	}
	g->s_filled = keep;
	g->sshift++;
	g->s_lim = (uint64_t)GROWTH_SERIES << g->sshift;
	g->s_next = (uint64_t)(keep + 1) << g->sshift;
}

/* Stores, for every stack, its live bytes before `ev` (NULL: as they are) as the end value of
 * the series buckets [s_filled, upto). */
static void series_snapshot(growth_ctx *g, unsigned upto, const replay_event *ev)
{
	if (stacks_room(g, source_count(g)))
		return;
	for (size_t i = 0; i < g->nstk; i++) {
		uint64_t v = live_before(g, i, ev);
		uint64_t *s = g->sv + i * GROWTH_SERIES;
		for (unsigned k = g->s_filled; k < upto; k++)
			s[k] = v;
	}
	g->s_filled = upto;
	g->s_next = (uint64_t)(upto + 1) << g->sshift;
}

/* An event at rel >= s_next: the buckets before its own have ended. */
GROWTH_COLD static void series_advance(growth_ctx *g, uint64_t rel, const replay_event *ev)
{
	while (rel >= g->s_lim)
		series_rescale(g);
	unsigned b = (unsigned)(rel >> g->sshift);
	if (b > g->s_filled)
		series_snapshot(g, b, ev);
	else
		g->s_next = (uint64_t)(g->s_filled + 1) << g->sshift;
}

/* The first event of the window: every stack's live bytes as it opened. */
GROWTH_COLD static void window_opens(growth_ctx *g, const replay_event *ev)
{
	g->opened = 1;
	if (ev)
		g->ev_first = ev->time_ns > g->from ? ev->time_ns - g->from : 0;
	if (stacks_room(g, source_count(g)))
		return;
	for (size_t i = 0; i < g->nstk; i++)
		g->start[i] = live_before(g, i, ev);
}

/* ---- the observer ---- */

static void on_event(void *ctx, const replay_event *ev)
{
	growth_ctx *g = ctx;
	if (ev->status > REPLAY_ST_FIXUP)
		return; /* STALE, UNMATCHED, INVALID: ignored by the replay, nothing changed */
	uint64_t heap_before = g->heap_cur;
	g->heap_cur = ev->heap_bytes;
	if (!ev->in_window)
		return;
	if (__builtin_expect(!g->opened, 0))
		window_opens(g, ev);
	uint64_t rel = ev->time_ns > g->from ? ev->time_ns - g->from : 0;
	g->ev_last = rel;
	size_t b = rel < g->t_lim ? (size_t)(rel >> g->tshift) : tl_bucket(g, rel);
	if ((long)b > g->tl_last)
		tl_fill(g, b, heap_before);
	if (ev->heap_bytes > g->tl[b].heap) {
		g->tl[b].heap = ev->heap_bytes;
		g->tl[b].t = ev->time_ns;
	}
	if (rel >= g->s_next)
		series_advance(g, rel, ev);
}

static void on_rss(void *ctx, uint64_t time_ns, uint64_t rss_bytes)
{
	growth_ctx *g = ctx;
	if (time_ns < g->from) {
		if (!g->have_rss_before || time_ns >= g->rss_before_t) {
			g->rss_before = rss_bytes;
			g->rss_before_t = time_ns;
			g->have_rss_before = 1;
		}
		return;
	}
	if (time_ns >= g->to)
		return;
	size_t b = tl_bucket(g, time_ns - g->from);
	if (rss_bytes > g->tl[b].rss)
		g->tl[b].rss = rss_bytes;
}

static size_t replay_src_count(const void *ctx) { return replay_stack_count(ctx); }
static uint64_t replay_src_live(const void *ctx, size_t i) { return replay_stack_at(ctx, i)->live_bytes; }

void growth_observer(growth_ctx *g, const replay_ctx *rp, replay_observer *obs)
{
	growth_source src = {replay_src_count, replay_src_live, rp};
	growth_observer_source(g, &src, obs);
}

void growth_observer_source(growth_ctx *g, const growth_source *src, replay_observer *obs)
{
	g->src = *src;
	obs->event = on_event;
	obs->rss = on_rss;
	obs->ctx = g;
}

/* ---- results ---- */

/* Buckets of width 2^shift needed to cover [0, span) (at least 1). */
static uint64_t buckets_for(uint64_t span, unsigned shift)
{
	uint64_t n = span >> shift;
	if (span & (((uint64_t)1 << shift) - 1))
		n++;
	return n ? n : 1;
}

static int build_timeline(growth_ctx *g, uint64_t span)
{
	while (buckets_for(span, g->tshift) > g->cap)
		tl_rescale(g);
	size_t nb = (size_t)buckets_for(span, g->tshift);
	if ((long)nb <= g->tl_last)
		nb = (size_t)g->tl_last + 1;
	tl_fill(g, nb - 1, g->heap_cur);
	g->pts = calloc(nb, sizeof(growth_point));
	if (!g->pts)
		return GROWTH_ENOMEM;
	uint64_t rss = g->rss_before;
	for (size_t i = 0; i < nb; i++) {
		growth_point *p = &g->pts[i];
		p->start_ns = g->from + ((uint64_t)i << g->tshift);
		p->time_ns = g->tl[i].t;
		p->heap_bytes = g->tl[i].heap;
		if (g->tl[i].rss) {
			rss = g->tl[i].rss;
			p->rss_sampled = 1;
		}
		p->rss_bytes = rss;
	}
	g->npts = nb;
	return 0;
}

static int cmp_suspects(const void *pa, const void *pb)
{
	const growth_suspect *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	return 0;
}

/* The growth segment of series v[0..ns): from the last bucket at its lowest value before its
 * first maximum to that maximum, *s..*m.  Returns 0 when the series never rises. */
static int growth_segment(const uint64_t *v, unsigned ns, unsigned *s, unsigned *m)
{
	unsigned mi = 0;
	for (unsigned i = 1; i < ns; i++)
		if (v[i] > v[mi])
			mi = i;
	unsigned si = 0;
	for (unsigned i = 1; i <= mi; i++)
		if (v[i] <= v[si])
			si = i;
	*s = si;
	*m = mi;
	return v[mi] > v[si];
}

/* Adds the suspect of series v (ns buckets, x their ends in seconds) when it qualifies (see
 * growth.h).  Returns 0 or GROWTH_ENOMEM. */
static int consider(growth_ctx *g, size_t idx, uint64_t id, uint64_t start, const uint64_t *v,
		    unsigned ns, const double *x)
{
	unsigned s, m;
	if (!growth_segment(v, ns, &s, &m) || m - s + 1 < GROWTH_MIN_BUCKETS)
		return 0;
	/* the segment against the part of the window in which the program allocated or freed
	 * anything (a short run's start-up and shut-down around it do not count) */
	double from = s ? x[s - 1] : 0, to = x[m];
	double active = (double)(g->ev_last > g->ev_first ? g->ev_last - g->ev_first : 0) / 1e9;
	if ((to - from) * GROWTH_MIN_SPAN_DIV < active * GROWTH_MIN_SPAN_MUL)
		return 0; /* a ramp too short: a fill or a burst, no growth */
	double y[GROWTH_SERIES];
	for (unsigned i = s; i <= m; i++)
		y[i] = (double)v[i];
	growth_fit fit;
	if (growth_fit_line(x + s, y + s, m - s + 1, &fit) || !(fit.slope > 0) ||
	    fit.r2 < GROWTH_MIN_R2)
		return 0;
	if (util_grow((void **)&g->sus, &g->capsus, g->nsus + 1, sizeof(growth_suspect)))
		return GROWTH_ENOMEM;
	growth_suspect *o = &g->sus[g->nsus++];
	o->stack_index = idx;
	o->stack_id = id;
	o->start_bytes = start;
	o->end_bytes = v[ns - 1];
	o->max_bytes = v[m];
	o->slope_bytes_per_s = fit.slope;
	o->r2 = fit.r2;
	o->score = fit.slope * fit.r2;
	o->nseries = ns;
	o->series = v;
	return 0;
}

/* Sums the stacks' series (and starts) into the groups' (g->gsv, g->gstart, g->gid). */
static int merge_groups(growth_ctx *g, const replay_ctx *rp)
{
	size_t ng = g->ngroups;
	g->gsv = calloc(ng ? ng * GROWTH_SERIES : 1, sizeof(uint64_t));
	g->gstart = calloc(ng ? ng : 1, sizeof(uint64_t));
	g->gid = malloc((ng ? ng : 1) * sizeof(uint64_t));
	if (!g->gsv || !g->gstart || !g->gid)
		return GROWTH_ENOMEM;
	for (size_t k = 0; k < ng; k++)
		g->gid[k] = UINT64_MAX;
	for (size_t i = 0; i < g->nstk && i < g->ngrouped; i++) {
		size_t k = g->group_of[i];
		uint64_t id = rp ? replay_stack_at(rp, i)->id : i;
		if (id < g->gid[k])
			g->gid[k] = id;
		g->gstart[k] += g->start[i];
		for (unsigned b = 0; b < GROWTH_SERIES; b++)
			g->gsv[k * GROWTH_SERIES + b] += g->sv[i * GROWTH_SERIES + b];
	}
	return 0;
}

static int build_suspects(growth_ctx *g, const replay_ctx *rp, uint64_t span)
{
	if (!g->opened) /* nothing happened in the window: every stack as it opened */
		window_opens(g, NULL);
	while (buckets_for(span, g->sshift) > GROWTH_SERIES)
		series_rescale(g);
	unsigned ns = (unsigned)buckets_for(span, g->sshift);
	if (ns < g->s_filled)
		ns = g->s_filled;
	/* the buckets still open end with the window: the stacks' figures at its end */
	size_t nstk = rp ? replay_stack_count(rp) : source_count(g);
	if (stacks_room(g, nstk))
		return GROWTH_ENOMEM;
	for (size_t i = 0; i < g->nstk; i++) {
		uint64_t v = rp ? replay_stack_at(rp, i)->heap_bytes : g->src.live(g->src.ctx, i);
		for (unsigned k = g->s_filled; k < ns; k++)
			g->sv[i * GROWTH_SERIES + k] = v;
	}
	g->s_filled = ns;
	double x[GROWTH_SERIES];
	for (unsigned i = 0; i < ns; i++) {
		uint64_t end = (uint64_t)(i + 1) << g->sshift;
		x[i] = (double)(end < span ? end : span) / 1e9;
	}
	int rc = 0;
	if (g->group_of) {
		rc = merge_groups(g, rp);
		for (size_t k = 0; !rc && k < g->ngroups; k++)
			if (g->gid[k] != UINT64_MAX)
				rc = consider(g, k, g->gid[k], g->gstart[k], g->gsv + k * GROWTH_SERIES,
					      ns, x);
	} else {
		for (size_t i = 0; !rc && i < g->nstk; i++)
			rc = consider(g, i, rp ? replay_stack_at(rp, i)->id : i, g->start[i],
				      g->sv + i * GROWTH_SERIES, ns, x);
	}
	if (rc)
		return rc;
	if (g->nsus)
		qsort(g->sus, g->nsus, sizeof(growth_suspect), cmp_suspects);
	return 0;
}

int growth_set_groups(growth_ctx *g, const size_t *group_of, size_t nstacks, size_t ngroups)
{
	if (g->finished || g->group_of)
		return GROWTH_EINVAL;
	for (size_t i = 0; i < nstacks; i++)
		if (group_of[i] >= ngroups)
			return GROWTH_EINVAL;
	g->group_of = malloc((nstacks ? nstacks : 1) * sizeof(size_t));
	if (!g->group_of)
		return GROWTH_ENOMEM;
	memcpy(g->group_of, group_of, nstacks * sizeof(size_t));
	g->ngrouped = nstacks;
	g->ngroups = ngroups;
	return 0;
}

int growth_finish(growth_ctx *g, const replay_ctx *rp)
{
	return growth_finish_at(g, rp, replay_get_summary(rp)->window_to_ns);
}

int growth_finish_at(growth_ctx *g, const replay_ctx *rp, uint64_t end_ns)
{
	if (g->finished)
		return GROWTH_EINVAL;
	g->finished = 1;
	if (g->nomem)
		return GROWTH_ENOMEM;
	uint64_t span = end_ns > g->from ? end_ns - g->from : 0;
	int rc = build_timeline(g, span);
	if (!rc)
		rc = build_suspects(g, rp, span);
	return rc;
}

size_t growth_timeline_count(const growth_ctx *g) { return g->npts; }
const growth_point *growth_timeline_at(const growth_ctx *g, size_t i) { return &g->pts[i]; }
uint64_t growth_timeline_step_ns(const growth_ctx *g) { return (uint64_t)1 << g->tshift; }
size_t growth_suspect_count(const growth_ctx *g) { return g->nsus; }
const growth_suspect *growth_suspect_at(const growth_ctx *g, size_t i) { return &g->sus[i]; }
uint64_t growth_series_step_ns(const growth_ctx *g) { return (uint64_t)1 << g->sshift; }
size_t growth_series_count(const growth_ctx *g) { return g->s_filled; }

const uint64_t *growth_group_series(const growth_ctx *g, size_t k)
{
	return g->gsv && k < g->ngroups ? g->gsv + k * GROWTH_SERIES : NULL;
}
