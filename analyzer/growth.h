/*
 * growth: memory over time, from the replay's observer (prefix growth_).
 *
 * Fed with every event the replay processes (growth_observer), it keeps, in memory that does not
 * grow with the number of events:
 *   - the timeline: the heap (and the sampled RSS) over the window in at most `points` buckets of
 *     equal width, each holding the largest heap reached in it and when (so the timeline's
 *     maximum is the window's peak heap exactly) and the largest RSS sample;
 *   - for every stack, the series of its live bytes in GROWTH_SERIES buckets: the value its live
 *     bytes (every block of the stack, wherever the window starts) had at the end of each
 *     bucket, read from the replay when the first event past that end arrives.
 * Bucket widths are powers of two nanoseconds; the run's length is not known in advance, so they
 * start at 1.024 us and double (merging neighbours) whenever an event falls beyond the last
 * bucket.  An event costs O(1) (the timeline); reading the stacks costs O(stacks) about
 * GROWTH_SERIES/2 times per doubling.
 *
 * Growth suspects (growth_finish): each stack's series (or each group's, the sum of its stacks'
 * series, after growth_set_groups) has a growth segment: from the last bucket at its lowest value
 * before its first maximum up to that maximum.  Whatever comes after the maximum (a teardown
 * that frees the memory again, an idle tail, another phase of the program) does not count, and
 * neither does a start below the minimum.  A straight line is fitted by least squares to the
 * segment (x: the end of each bucket, clipped to the window; y: the bucket's value).  A series
 * is a suspect when the segment rises, spans at least GROWTH_MIN_BUCKETS buckets and at least
 * GROWTH_MIN_SPAN_MUL/GROWTH_MIN_SPAN_DIV of the window's active part (from its first event to
 * its last: the start-up and shut-down of a short run around it do not count; a pool filled at
 * start-up or a burst is no growth, a teardown up to half the run leaves more than that), the
 * fitted slope is positive and the fit
 * explains at least GROWTH_MIN_R2 of the variance (R^2 >= 0.8: a single step never exceeds 0.75;
 * a sawtooth or noise stays far below).  The slope is then the rate of the growth itself.
 * score = slope (bytes/s) x R^2; suspects are sorted by score.
 */
#ifndef LEAKREC_GROWTH_H
#define LEAKREC_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"

enum {
	GROWTH_OK = 0,
	GROWTH_ENOMEM = -1, /* out of memory */
	GROWTH_EINVAL = -2, /* bad argument (points out of range, growth_finish twice, ...) */
};

#define GROWTH_SERIES 64          /* buckets of a stack's series */
#define GROWTH_MIN_R2 0.8         /* least fit quality of a suspect */
#define GROWTH_MIN_BUCKETS 4      /* a growth segment spans at least this many buckets */
#define GROWTH_MIN_SPAN_MUL 2     /* ... and at least 2/5 of the window's active part */
#define GROWTH_MIN_SPAN_DIV 5
#define GROWTH_DEFAULT_POINTS 300 /* timeline buckets by default */
#define GROWTH_MAX_POINTS 1000000

/* Returns a static description of a GROWTH_E* code. */
const char *growth_strerror(int err);

typedef struct growth_ctx growth_ctx;

/* One point of the timeline. */
typedef struct growth_point {
	uint64_t time_ns;  /* when the bucket's heap maximum was first reached (the bucket's
			    * start when the heap did not change in it) */
	uint64_t start_ns; /* the bucket's start */
	uint64_t heap_bytes; /* largest heap in the bucket */
	uint64_t rss_bytes;  /* largest RSS sample in the bucket, else the latest sample before
			      * it (0 before the first sample) */
	int rss_sampled;     /* an RSS sample fell in the bucket */
} growth_point;

/* A growth suspect. */
typedef struct growth_suspect {
	size_t stack_index; /* for replay_stack_at; the group's index after growth_set_groups */
	uint64_t stack_id;  /* the stack's id; the smallest id of the group's stacks */
	uint64_t start_bytes;  /* live bytes of the stack when the window opened */
	uint64_t end_bytes;    /* live bytes at the window's end */
	uint64_t max_bytes;    /* largest value of its series (the end of the growth segment) */
	double slope_bytes_per_s; /* slope of the fitted line */
	double r2;                /* its coefficient of determination */
	double score;             /* slope x r2 */
	size_t nseries;
	const uint64_t *series; /* nseries values, one per bucket of series_step_ns from the
				 * window's start; owned by the growth_ctx */
} growth_suspect;

/* A least-squares fit. */
typedef struct growth_fit {
	double slope, intercept, r2; /* r2 = 0 when y is constant */
} growth_fit;

/* Fits y = slope x + intercept to n points (n >= 2, x not all equal).  Returns 0, or GROWTH_EINVAL. */
int growth_fit_line(const double *x, const double *y, size_t n, growth_fit *out);

/* Creates the growth analysis of the window [from_ns, to_ns) (as given to replay_set_window;
 * to_ns = UINT64_MAX: to the end) with at most `points` timeline buckets (2..GROWTH_MAX_POINTS).
 * Returns 0 and *out (free with growth_free), GROWTH_EINVAL or GROWTH_ENOMEM. */
int growth_create(growth_ctx **out, uint64_t from_ns, uint64_t to_ns, unsigned points);
/* Frees everything the analysis handed out.  Accepts NULL. */
void growth_free(growth_ctx *g);

/* Where the stacks' live bytes are read from: count() stacks, live(i) the live bytes (every
 * block) of stack i at the moment of the call. */
typedef struct growth_source {
	size_t (*count)(const void *ctx);
	uint64_t (*live)(const void *ctx, size_t i);
	const void *ctx;
} growth_source;

/* Fills *obs with the observer to install on rp (replay_set_observer) before replay_run; g and rp are
 * borrowed and must outlive the run.  The stacks' figures are read from rp during the run. */
void growth_observer(growth_ctx *g, const replay_ctx *rp, replay_observer *obs);
/* The same with another source of stack figures (the source is copied, its ctx borrowed); the
 * events must carry stack_index like the replay's. */
void growth_observer_source(growth_ctx *g, const growth_source *src, replay_observer *obs);

/* Groups the stacks before growth_finish (the stacks of one symstack entry, say): stack i (a
 * replay index < nstacks) belongs to group group_of[i] (< ngroups; the array is copied).  The
 * suspects then describe groups.  Returns 0, GROWTH_ENOMEM, or GROWTH_EINVAL (an index out of
 * range, groups set already, or after growth_finish). */
int growth_set_groups(growth_ctx *g, const size_t *group_of, size_t nstacks, size_t ngroups);

/* After replay_run returned 0: closes the series at the window's end (from rp's summary), builds the
 * timeline and ranks the suspects.  rp is only read.  Returns 0, GROWTH_ENOMEM (also when memory ran
 * out during the run), or GROWTH_EINVAL on a second call. */
int growth_finish(growth_ctx *g, const replay_ctx *rp);

/* growth_finish for a window that ends at end_ns (absolute); rp may be NULL (a growth_source feed): stack
 * ids are then the indices and the end figures are read from the source. */
int growth_finish_at(growth_ctx *g, const replay_ctx *rp, uint64_t end_ns);

/* Results, valid after growth_finish until growth_free. */
size_t growth_timeline_count(const growth_ctx *g);
const growth_point *growth_timeline_at(const growth_ctx *g, size_t i);
uint64_t growth_timeline_step_ns(const growth_ctx *g); /* bucket width */
/* Suspects, by score descending (ties by stack id). */
size_t growth_suspect_count(const growth_ctx *g);
const growth_suspect *growth_suspect_at(const growth_ctx *g, size_t i);
uint64_t growth_series_step_ns(const growth_ctx *g); /* bucket width of the suspects' series */
/* Buckets in every series (at most GROWTH_SERIES), and the series of group k (< ngroups of
 * growth_set_groups; owned by g), or NULL without groups. */
size_t growth_series_count(const growth_ctx *g);
const uint64_t *growth_group_series(const growth_ctx *g, size_t k);

#endif
