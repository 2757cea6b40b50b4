/*
 * test_growth.c: unit tests of analyzer/growth.c with exact synthetic series.
 *
 * The least-squares fit on exact lines, constants and steps; then the observer fed directly with
 * synthetic replay events for stacks of known shapes over one second: a steady ramp (the only
 * suspect, at its rate), the same ramp released just before the end (still a suspect), a
 * sawtooth, a flat pool, a single step and a ramp that peaked early (none of them suspects); the
 * timeline's maximum is the largest heap fed; a window that starts late sees the ramp's bytes at
 * its start.  Runs under -fsanitize=address,undefined in make test.
 *
 * Output: a `FAIL ...` line per failed check, then `N passed, M failed`.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "growth.h"

static void test_fit(void)
{
	double x[64], y[64];
	growth_fit f;
	for (int i = 0; i < 64; i++) {
		x[i] = i * 0.5;
		y[i] = 3 * x[i] + 2;
	}
	CHECK(growth_fit_line(x, y, 64, &f) == 0, "fit");
	CHECK(fabs(f.slope - 3) < 1e-12 && fabs(f.intercept - 2) < 1e-9 && fabs(f.r2 - 1) < 1e-12,
	      "line: slope %g intercept %g r2 %g", f.slope, f.intercept, f.r2);
	for (int i = 0; i < 64; i++)
		y[i] = 7;
	CHECK(growth_fit_line(x, y, 64, &f) == 0 && f.slope == 0 && f.r2 == 0, "constant: r2 %g", f.r2);
	for (int i = 0; i < 64; i++)
		y[i] = i < 32 ? 0 : 1000;
	CHECK(growth_fit_line(x, y, 64, &f) == 0 && f.r2 < 0.76 && f.r2 > 0.74,
	      "step in the middle: r2 %g (3/4 at most)", f.r2);
	CHECK(growth_fit_line(x, y, 1, &f) == GROWTH_EINVAL, "one point");
	for (int i = 0; i < 4; i++)
		x[i] = 1;
	CHECK(growth_fit_line(x, y, 4, &f) == GROWTH_EINVAL, "equal x");
	/* exact small case: (0,0) (1,1) (2,0) (3,1): slope 0.2, r2 0.2 */
	double x4[4] = {0, 1, 2, 3}, y4[4] = {0, 1, 0, 1};
	CHECK(growth_fit_line(x4, y4, 4, &f) == 0 && fabs(f.slope - 0.2) < 1e-12 &&
		      fabs(f.r2 - 0.2) < 1e-12,
	      "zigzag: slope %g r2 %g", f.slope, f.r2);
}

enum { S_RAMP, S_RAMP_FREED, S_SAW, S_POOL, S_STEP, S_EARLY, S_TEAR, NSTK };

typedef struct feed {
	growth_ctx *g;
	replay_observer obs;
	growth_source src;
	uint64_t live[NSTK];
	uint64_t heap, heap_max;
	uint64_t from;
} feed;

static void ev(feed *f, uint64_t t, unsigned stack, int64_t delta)
{
	replay_event e;
	memset(&e, 0, sizeof(e));
	e.time_ns = t;
	e.kind = delta >= 0 ? TF_EV_ALLOC : TF_EV_FREE;
	e.size = (uint64_t)(delta >= 0 ? delta : -delta);
	f->live[stack] = (uint64_t)((int64_t)f->live[stack] + delta);
	f->heap = (uint64_t)((int64_t)f->heap + delta);
	if (t >= f->from && f->heap > f->heap_max)
		f->heap_max = f->heap;
	e.stack_index = stack;
	e.stack_live_bytes = f->live[stack];
	e.heap_bytes = f->heap;
	e.in_window = t >= f->from;
	f->obs.event(f->obs.ctx, &e);
}

static size_t src_count(const void *ctx)
{
	(void)ctx;
	return NSTK;
}

static uint64_t src_live(const void *ctx, size_t i) { return ((const feed *)ctx)->live[i]; }

/* One second of events, one step per millisecond; groups (NSTK entries, or NULL) are set before
 * the end. */
static void run_grouped(feed *f, uint64_t from, const size_t *groups, size_t ngroups)
{
	memset(f, 0, sizeof(*f));
	f->from = from;
	CHECK(growth_create(&f->g, from, UINT64_MAX, 100) == 0, "create");
	f->src.count = src_count;
	f->src.live = src_live;
	f->src.ctx = f;
	growth_observer_source(f->g, &f->src, &f->obs);
	const uint64_t ms = 1000000;
	ev(f, 0, S_POOL, 65536);
	for (uint64_t i = 1; i <= 1000; i++) {
		uint64_t t = i * ms;
		ev(f, t, S_RAMP, 100);
		ev(f, t + 1, S_RAMP_FREED, 40);
		ev(f, t + 2, S_SAW, 5000);
		ev(f, t + 300000, S_SAW, -5000);
		if (i == 500)
			ev(f, t + 3, S_STEP, 9000);
		if (i <= 300)
			ev(f, t + 4, S_EARLY, 10);
		if (i == 310)
			ev(f, t + 4, S_EARLY, -3000);
		/* grows for 60 % of the run, then a teardown frees it again */
		if (i <= 600)
			ev(f, t + 5, S_TEAR, 200);
		else if (f->live[S_TEAR] >= 300)
			ev(f, t + 5, S_TEAR, -300);
	}
	/* released at shutdown, 2 us before the end */
	for (int i = 0; i < 1000; i++)
		ev(f, 1001 * ms - 2000, S_RAMP_FREED, -40);
	if (f->obs.rss)
		f->obs.rss(f->obs.ctx, 500 * ms, 4 << 20);
	if (groups)
		CHECK(growth_set_groups(f->g, groups, NSTK, ngroups) == 0, "groups");
	CHECK(growth_finish_at(f->g, NULL, 1001 * ms) == 0, "finish");
	CHECK(growth_finish_at(f->g, NULL, 1001 * ms) == GROWTH_EINVAL, "finish twice");
}

static void run(feed *f, uint64_t from) { run_grouped(f, from, NULL, 0); }

static void test_suspects(void)
{
	feed f;
	run(&f, 0);
	size_t n = growth_suspect_count(f.g);
	CHECK(n == 3, "suspects: %zu (the ramps and the one torn down)", n);
	if (n >= 1) {
		/* torn down after 60 % of the run: its slope is the growth's, 200 B/ms; the series'
		 * maximum is its value at the end of the last bucket before the teardown */
		const growth_suspect *s = growth_suspect_at(f.g, 0);
		CHECK(s->stack_id == S_TEAR && fabs(s->slope_bytes_per_s - 200000) < 4000 &&
			      s->max_bytes > 110000 && s->max_bytes <= 120000 && s->end_bytes < 300,
		      "first suspect: stack %llu slope %g max %llu end %llu",
		      (unsigned long long)s->stack_id, s->slope_bytes_per_s,
		      (unsigned long long)s->max_bytes, (unsigned long long)s->end_bytes);
	}
	if (n >= 2) {
		const growth_suspect *s = growth_suspect_at(f.g, 1);
		CHECK(s->stack_id == S_RAMP, "second suspect: stack %llu",
		      (unsigned long long)s->stack_id);
		CHECK(fabs(s->slope_bytes_per_s - 100000) < 1000, "ramp slope %g B/s (100000)",
		      s->slope_bytes_per_s);
		CHECK(s->r2 > 0.99 && fabs(s->score - s->slope_bytes_per_s * s->r2) < 1e-6,
		      "r2 %g score %g", s->r2, s->score);
		CHECK(s->start_bytes == 0 && s->end_bytes == 100000 && s->max_bytes == 100000,
		      "start %llu end %llu max %llu", (unsigned long long)s->start_bytes,
		      (unsigned long long)s->end_bytes, (unsigned long long)s->max_bytes);
		CHECK(s->nseries >= 32 && s->nseries <= GROWTH_SERIES, "series of %zu", s->nseries);
		CHECK(s->series[s->nseries - 1] == 100000, "last bucket %llu",
		      (unsigned long long)s->series[s->nseries - 1]);
	}
	if (n >= 3) {
		const growth_suspect *s = growth_suspect_at(f.g, 2);
		CHECK(s->stack_id == S_RAMP_FREED, "third suspect: stack %llu",
		      (unsigned long long)s->stack_id);
		CHECK(fabs(s->slope_bytes_per_s - 40000) < 800 && s->end_bytes == 0 &&
			      s->max_bytes > 39000 && s->max_bytes <= 40000,
		      "freed ramp: slope %g end %llu", s->slope_bytes_per_s,
		      (unsigned long long)s->end_bytes);
	}
	size_t np = growth_timeline_count(f.g);
	uint64_t max = 0, rss = 0;
	for (size_t i = 0; i < np; i++) {
		const growth_point *p = growth_timeline_at(f.g, i);
		if (p->heap_bytes > max)
			max = p->heap_bytes;
		if (p->rss_bytes > rss)
			rss = p->rss_bytes;
	}
	CHECK(np >= 50 && np <= 100, "timeline of %zu points", np);
	CHECK(max == f.heap_max, "timeline max %llu, heap max %llu", (unsigned long long)max,
	      (unsigned long long)f.heap_max);
	CHECK(rss == 4 << 20 && growth_timeline_at(f.g, 0)->rss_bytes == 0 &&
		      growth_timeline_at(f.g, np - 1)->rss_bytes == 4 << 20,
	      "rss carried from its sample on");
	growth_free(f.g);

	/* a window over the second half: the ramp starts at 50000 bytes (the torn-down stack only
	 * shrinks there after 600 ms) */
	run(&f, 500000000);
	n = growth_suspect_count(f.g);
	CHECK(n == 2, "window suspects: %zu", n);
	if (n >= 1) {
		const growth_suspect *s = growth_suspect_at(f.g, 0);
		CHECK(s->stack_id == S_RAMP && s->start_bytes == 49900 && s->end_bytes == 100000,
		      "window ramp: stack %llu start %llu", (unsigned long long)s->stack_id,
		      (unsigned long long)s->start_bytes);
		CHECK(fabs(s->slope_bytes_per_s - 100000) < 2000, "window slope %g",
		      s->slope_bytes_per_s);
	}
	max = 0;
	for (size_t i = 0; i < growth_timeline_count(f.g); i++)
		if (growth_timeline_at(f.g, i)->heap_bytes > max)
			max = growth_timeline_at(f.g, i)->heap_bytes;
	CHECK(max == f.heap_max, "window timeline max %llu, want %llu", (unsigned long long)max,
	      (unsigned long long)f.heap_max);
	CHECK(growth_timeline_at(f.g, 0)->start_ns == 500000000, "timeline starts at the window");
	growth_free(f.g);
}

/* Stacks grouped (the stacks of one entry): a group's series is the sum of its stacks'. */
static void test_groups(void)
{
	feed f;
	/* group 0: the ramp and the freed ramp (140 B/ms together); 1: the torn-down stack; the
	 * rest together in 2 */
	static const size_t groups[NSTK] = {0, 0, 2, 2, 2, 2, 1};
	run_grouped(&f, 0, groups, 3);
	size_t n = growth_suspect_count(f.g);
	CHECK(n == 2, "grouped suspects: %zu", n);
	if (n >= 1) {
		const growth_suspect *s = growth_suspect_at(f.g, 0);
		CHECK(s->stack_index == 1 && s->stack_id == S_TEAR, "first group %zu (id %llu)",
		      s->stack_index, (unsigned long long)s->stack_id);
	}
	if (n >= 2) {
		const growth_suspect *s = growth_suspect_at(f.g, 1);
		CHECK(s->stack_index == 0 && s->stack_id == S_RAMP &&
			      fabs(s->slope_bytes_per_s - 140000) < 2800 && s->max_bytes >= 135000,
		      "ramps summed: group %zu slope %g max %llu", s->stack_index,
		      s->slope_bytes_per_s, (unsigned long long)s->max_bytes);
	}
	CHECK(growth_set_groups(f.g, groups, NSTK, 3) == GROWTH_EINVAL, "groups after the end");
	growth_free(f.g);
	growth_ctx *g;
	static const size_t bad[2] = {0, 5};
	CHECK(growth_create(&g, 0, UINT64_MAX, 10) == 0, "create");
	CHECK(growth_set_groups(g, bad, 2, 3) == GROWTH_EINVAL, "a group out of range");
	growth_free(g);
}

static void test_args(void)
{
	growth_ctx *g;
	CHECK(growth_create(&g, 0, 10, 1) == GROWTH_EINVAL && !g, "one point refused");
	CHECK(growth_create(&g, 10, 5, 100) == GROWTH_EINVAL, "from after to refused");
	growth_free(NULL);
	/* nothing fed: one point, no suspects */
	CHECK(growth_create(&g, 0, UINT64_MAX, 10) == 0, "create");
	CHECK(growth_finish_at(g, NULL, 0) == 0 && growth_timeline_count(g) == 1 &&
		      growth_suspect_count(g) == 0,
	      "empty: %zu points", growth_timeline_count(g));
	growth_free(g);
}

int main(void)
{
	test_fit();
	test_suspects();
	test_groups();
	test_args();
	return check_summary();
}
