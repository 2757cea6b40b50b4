/*
 * growth: memory over time, from the replay's observer (prefix gr_).
 *
 * Fed with every event the replay processes (gr_observer), it keeps, in memory that does not
 * grow with the number of events:
 *   - the timeline: the heap (and the sampled RSS) over the window in at most `points` buckets of
 *     equal width, each holding the largest heap reached in it and when (so the timeline's
 *     maximum is the window's peak heap exactly) and the largest RSS sample;
 *   - for every stack, the series of its live bytes in GR_SERIES buckets: the value its live
 *     bytes (every block of the stack, wherever the window starts) had at the end of each
 *     bucket, read from the replay when the first event past that end arrives.
 * Bucket widths are powers of two nanoseconds; the run's length is not known in advance, so they
 * start at 1.024 us and double (merging neighbours) whenever an event falls beyond the last
 * bucket.  An event costs O(1) (the timeline); reading the stacks costs O(stacks) about
 * GR_SERIES/2 times per doubling.
 *
 * Growth suspects (gr_finish): a straight line is fitted by least squares to each stack's series
 * (x: the end of each bucket, clipped to the window; y: the bucket's value), from the window's
 * start to the last bucket where the series reaches its maximum; that bucket must lie in the last
 * eighth of the window (so a stack that kept growing and was released at shutdown still counts,
 * one that peaked earlier does not).  A stack is a suspect when the fitted slope is positive, the
 * fit explains at least GR_MIN_R2 of the variance (R^2 >= 0.8: a single step, wherever it is,
 * never exceeds 0.75; a sawtooth or noise stays far below; a flat series has R^2 = 0), its
 * maximum is above its first bucket's value, and the fit covers at least GR_MIN_BUCKETS buckets.
 * score = slope (bytes/s) x R^2; suspects are sorted by score.
 */
#ifndef LEAKREC_GROWTH_H
#define LEAKREC_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"

enum {
	GR_OK = 0,
	GR_ENOMEM = -1, /* out of memory */
	GR_EINVAL = -2, /* bad argument (points out of range, gr_finish twice, ...) */
};

#define GR_SERIES 64          /* buckets of a stack's series */
#define GR_MIN_R2 0.8         /* least fit quality of a suspect */
#define GR_MIN_BUCKETS 4      /* a window with fewer series buckets has no suspects */
#define GR_DEFAULT_POINTS 300 /* timeline buckets by default */
#define GR_MAX_POINTS 1000000

/* Returns a static description of a GR_E* code. */
const char *gr_strerror(int err);

typedef struct gr_ctx gr_ctx;

/* One point of the timeline. */
typedef struct gr_point {
	uint64_t time_ns;  /* when the bucket's heap maximum was first reached (the bucket's
			    * start when the heap did not change in it) */
	uint64_t start_ns; /* the bucket's start */
	uint64_t heap_bytes; /* largest heap in the bucket */
	uint64_t rss_bytes;  /* largest RSS sample in the bucket, else the latest sample before
			      * it (0 before the first sample) */
	int rss_sampled;     /* an RSS sample fell in the bucket */
} gr_point;

/* A growth suspect. */
typedef struct gr_suspect {
	size_t stack_index; /* for rp_stack_at */
	uint64_t stack_id;
	uint64_t start_bytes;  /* live bytes of the stack when the window opened */
	uint64_t end_bytes;    /* live bytes at the window's end */
	uint64_t max_bytes;    /* largest value of its series */
	double slope_bytes_per_s; /* slope of the fitted line */
	double r2;                /* its coefficient of determination */
	double score;             /* slope x r2 */
	size_t nseries;
	const uint64_t *series; /* nseries values, one per bucket of series_step_ns from the
				 * window's start; owned by the gr_ctx */
} gr_suspect;

/* A least-squares fit. */
typedef struct gr_fit {
	double slope, intercept, r2; /* r2 = 0 when y is constant */
} gr_fit;

/* Fits y = slope x + intercept to n points (n >= 2, x not all equal).  Returns 0, or GR_EINVAL. */
int gr_fit_line(const double *x, const double *y, size_t n, gr_fit *out);

/* Creates the growth analysis of the window [from_ns, to_ns) (as given to rp_set_window;
 * to_ns = UINT64_MAX: to the end) with at most `points` timeline buckets (2..GR_MAX_POINTS).
 * Returns 0 and *out (free with gr_free), GR_EINVAL or GR_ENOMEM. */
int gr_create(gr_ctx **out, uint64_t from_ns, uint64_t to_ns, unsigned points);
/* Frees everything the analysis handed out.  Accepts NULL. */
void gr_free(gr_ctx *g);

/* Where the stacks' live bytes are read from: count() stacks, live(i) the live bytes (every
 * block) of stack i at the moment of the call. */
typedef struct gr_source {
	size_t (*count)(const void *ctx);
	uint64_t (*live)(const void *ctx, size_t i);
	const void *ctx;
} gr_source;

/* Fills *obs with the observer to install on rp (rp_set_observer) before rp_run; g and rp are
 * borrowed and must outlive the run.  The stacks' figures are read from rp during the run. */
void gr_observer(gr_ctx *g, const rp_ctx *rp, rp_observer *obs);
/* The same with another source of stack figures (the source is copied, its ctx borrowed); the
 * events must carry stack_index like the replay's. */
void gr_observer_source(gr_ctx *g, const gr_source *src, rp_observer *obs);

/* After rp_run returned 0: closes the series at the window's end (from rp's summary), builds the
 * timeline and ranks the suspects.  rp is only read.  Returns 0, GR_ENOMEM (also when memory ran
 * out during the run), or GR_EINVAL on a second call. */
int gr_finish(gr_ctx *g, const rp_ctx *rp);

/* gr_finish for a window that ends at end_ns (absolute); rp may be NULL (a gr_source feed): stack
 * ids are then the indices and the end figures are read from the source. */
int gr_finish_at(gr_ctx *g, const rp_ctx *rp, uint64_t end_ns);

/* Results, valid after gr_finish until gr_free. */
size_t gr_timeline_count(const gr_ctx *g);
const gr_point *gr_timeline_at(const gr_ctx *g, size_t i);
uint64_t gr_timeline_step_ns(const gr_ctx *g); /* bucket width */
/* Suspects, by score descending (ties by stack id). */
size_t gr_suspect_count(const gr_ctx *g);
const gr_suspect *gr_suspect_at(const gr_ctx *g, size_t i);
uint64_t gr_series_step_ns(const gr_ctx *g); /* bucket width of the suspects' series */

#endif
