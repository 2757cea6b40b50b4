/*
 * test_estimate.c: the estimator of sampled traces is unbiased (analyzer/estimate.c) with the
 * recorder's own sampler (recorder/sample.c): 10,000 simulated runs of known allocation streams,
 * each sampled with the real countdown (sample_take) at R = 64 KiB and estimated with estimate_bytes /
 * estimate_count.  Per stream: the mean of the estimates is the true figure within 4 standard errors
 * (a standard error is the spread over sqrt(runs)), and the spread over the runs is the spread
 * estimate_bytes_sd predicts, within 5 %.  Streams: sizes far below R (64 bytes), near it (R/2, R,
 * 2R) and far above (64 R), and a mixed one.  Also the weights' exact values, the interval's mean
 * and the page filter of sampled blocks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "estimate.h"
#include "sample.h"

#define RATE 65536u
#define RUNS 10000

typedef struct stream {
	const char *name;
	uint64_t sizes[3]; /* cycled through */
	unsigned nsizes;
	unsigned count;    /* allocations per run */
} stream;

static void run_stream(const stream *st)
{
	double true_bytes = 0, var_pred = 0;
	for (unsigned i = 0; i < st->count; i++) {
		uint64_t s = st->sizes[i % st->nsizes];
		true_bytes += (double)s;
		double sd = estimate_bytes_sd(s, RATE);
		var_pred += sd * sd;
	}
	double sum_b = 0, sum_b2 = 0, sum_c = 0, sum_c2 = 0;
	uint64_t id = 0;
	for (unsigned r = 0; r < RUNS; r++) {
		sample_tls.rng = 0; /* each run a thread of its own: reseeded, a fresh interval */
		sample_tls.left = 0;
		double b = 0, c = 0;
		for (unsigned i = 0; i < st->count; i++) {
			uint64_t s = st->sizes[i % st->nsizes];
			if (sample_take(s)) {
				b += (double)estimate_bytes(s, RATE);
				c += (double)estimate_count(s, RATE, id);
			}
			id++;
		}
		sum_b += b;
		sum_b2 += b * b;
		sum_c += c;
		sum_c2 += c * c;
	}
	double mean_b = sum_b / RUNS, sd_b = sqrt(sum_b2 / RUNS - mean_b * mean_b);
	double mean_c = sum_c / RUNS, sd_c = sqrt(sum_c2 / RUNS - mean_c * mean_c);
	double se_b = sqrt(var_pred / RUNS), sd_pred = sqrt(var_pred);
	printf("%-10s bytes: true %.0f, mean %.0f (%+.3f%%), spread %.0f (predicted %.0f); "
	       "allocations: true %u, mean %.1f, spread %.1f\n",
	       st->name, true_bytes, mean_b, 100 * (mean_b / true_bytes - 1), sd_b, sd_pred,
	       st->count, mean_c, sd_c);
	CHECK(fabs(mean_b - true_bytes) <= 4 * se_b + 1.0, "%s: mean %.1f, true %.1f, 4 se %.1f",
	      st->name, mean_b, true_bytes, 4 * se_b);
	CHECK(fabs(sd_b - sd_pred) <= 0.05 * sd_pred + 1.0, "%s: spread %.1f, predicted %.1f",
	      st->name, sd_b, sd_pred);
	/* counts: the spread is that of the bytes divided by the size (one size), larger with
	 * the dither; the mean within 4 of its standard errors */
	CHECK(fabs(mean_c - st->count) <= 4 * sd_c / sqrt(RUNS) + 0.01, "%s: count mean %.2f, true %u",
	      st->name, mean_c, st->count);
}

int main(void)
{
	/* the weights */
	CHECK(fabs(estimate_weight(RATE, RATE) - 1.0 / (1.0 - exp(-1.0))) < 1e-12, "w(R) = %.15f",
	      estimate_weight(RATE, RATE));
	CHECK(fabs(estimate_weight(64, RATE) - 1024.5) < 0.01, "w(64) = %.4f (R/s + 1/2)",
	      estimate_weight(64, RATE));
	CHECK_U("w(64 R) in whole allocations", (uint64_t)(estimate_weight(64ull * RATE, RATE) * 1e9),
		1000000000u);
	CHECK_U("estimate_bytes(R)", estimate_bytes(RATE, RATE), (uint64_t)(RATE / (1.0 - exp(-1.0)) + 0.5));
	CHECK_U("estimate_bytes(0)", estimate_bytes(0, RATE), 0);
	CHECK_U("full trace: bytes", estimate_bytes(1234, 0), 1234);
	CHECK_U("full trace: count", estimate_count(1234, 0, 7), 1);
	CHECK_U("estimate_count of a huge size", estimate_count(UINT64_MAX, RATE, 3), 1);
	CHECK(estimate_bytes(1, UINT64_MAX) <= (uint64_t)1 << 62, "a hostile rate saturates: %" PRIu64,
	      estimate_bytes(1, UINT64_MAX));
	CHECK_U("estimate_count is the same for the same allocation", estimate_count(100, RATE, 42),
		estimate_count(100, RATE, 42));
	EXPECT(strcmp(estimate_mark(RATE), "~") == 0 && strcmp(estimate_mark(0), "") == 0);

	CHECK(sample_init(RATE, 12345, 1) == 0, "sample_init");
	/* the intervals: exponential of mean R */
	sample_thread t = {0, 0x9e3779b97f4a7c15ull};
	double sum = 0, sum2 = 0;
	unsigned below_mean = 0;
	for (int i = 0; i < 200000; i++) {
		double v = (double)sample_draw(&t, RATE);
		sum += v;
		sum2 += v * v;
		below_mean += v < RATE;
	}
	double mean = sum / 200000, sd = sqrt(sum2 / 200000 - mean * mean);
	CHECK(fabs(mean / RATE - 1) < 0.01, "interval mean %.1f", mean);
	CHECK(fabs(sd / RATE - 1) < 0.02, "interval spread %.1f (exponential: = mean)", sd);
	CHECK(fabs(below_mean / 200000.0 - (1 - exp(-1.0))) < 0.005, "P(interval < R) = %.4f",
	      below_mean / 200000.0);

	static const stream streams[] = {
		{"64 B", {64}, 1, 20000},           /* 1.28 MB: 19.5 R */
		{"R/2", {RATE / 2}, 1, 400},
		{"R", {RATE}, 1, 200},
		{"2 R", {2 * RATE}, 1, 100},
		{"64 R", {64ull * RATE}, 1, 10},
		{"mixed", {48, 3 * RATE / 4, 5 * RATE}, 3, 3000},
	};
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		run_stream(&streams[i]);

	/* the set of sampled blocks: a page filter in front of an exact set */
	static char blocks[3][64];
	EXPECT(sample_forget(blocks[0]) == 0);
	EXPECT(sample_add(blocks[0]) == 0 && sample_add(blocks[1]) == 0);
	CHECK_U("live sampled", sample_live(), 2);
	EXPECT(sample_forget(blocks[2]) == 0); /* same page, not sampled: the slow path says no */
	EXPECT(sample_forget(blocks[1]) == 1);
	EXPECT(sample_forget(blocks[1]) == 0);
	for (uintptr_t i = 0; i < 5000; i++) /* growth and tombstones */
		EXPECT(sample_add((void *)(0x10000000 + i * 4096)) == 0);
	int all = 1;
	for (uintptr_t i = 0; i < 5000; i++)
		all &= sample_forget((void *)(0x10000000 + i * 4096)) == 1;
	EXPECT(all);
	EXPECT(sample_forget(blocks[0]) == 1);
	CHECK_U("live sampled after the frees", sample_live(), 0);
	uint64_t slow = sample_slow_frees();
	EXPECT(sample_forget((void *)0x20000000) == 0);
	CHECK_U("a free in a page without sampled blocks takes no lock", sample_slow_frees(), slow);
	return check_summary();
}
