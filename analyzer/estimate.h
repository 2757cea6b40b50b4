/*
 * estimate: the figures of a sampled trace (leakrec --sample R), prefix estimate_.
 *
 * The recorder samples allocations by bytes, as a Poisson process of mean R bytes over each
 * thread's allocations (docs/trace-format.md, "Sampled traces"): an allocation of s bytes is in
 * the trace with probability p = 1 - exp(-s/R), independently of the others.  Counting each
 * recorded one as 1/p allocations of s/p bytes (Go's heap-profile scaling, jemalloc's
 * prof_unbias) makes every sum over allocations (bytes and counts, per stack, live at a moment,
 * allocated in a window) an unbiased estimate of the full trace's.  Sizes in bytes are rounded to
 * whole bytes (an error below half a byte per allocation); counts, which must stay whole numbers,
 * are rounded up or down by a dither keyed on the allocation's number, so that they too are
 * unbiased and the same allocation always counts the same (at its free as at its allocation).
 *
 * R = 0 is a full trace: every function is then the identity (weight 1).
 */
#ifndef LEAKREC_ESTIMATE_H
#define LEAKREC_ESTIMATE_H

#include <stdint.h>

/* Returns 1/(1 - exp(-size/rate)), the number of allocations of `size` bytes one sampled
 * allocation stands for (at least 1); 1 when rate is 0 (a full trace) or size is 0. */
double estimate_weight(uint64_t size, uint64_t rate);

/* Returns the bytes one sampled allocation of `size` bytes stands for: size * estimate_weight,
 * rounded (saturating below 2^62, so that sums of them cannot wrap); `size` when rate is 0. */
uint64_t estimate_bytes(uint64_t size, uint64_t rate);

/* Returns the allocations one sampled allocation of `size` bytes, numbered `id`, stands for: the
 * floor or the ceiling of estimate_weight (at least 1), chosen by a dither keyed on id so that its
 * mean is estimate_weight; 1 when rate is 0. */
uint64_t estimate_count(uint64_t size, uint64_t rate, uint64_t id);

/* The standard deviation of estimate_bytes as an estimate of the bytes of one allocation of
 * `size` bytes: size * sqrt(exp(-size/rate) / (1 - exp(-size/rate))); 0 when rate is 0.  The variance
 * of a sum over independent allocations is the sum of the squares. */
double estimate_bytes_sd(uint64_t size, uint64_t rate);

/* Why a sampled trace has no figure of temporary allocations (shown where the figure would be). */
#define ESTIMATE_WHY_NO_TEMPORARY                                                          \
	"not estimated: a sampled trace holds few of the short-lived blocks, and not the "     \
	"allocations in between that decide which block is temporary"

/* The note every output of a sampled trace carries (text, exports). */
#define ESTIMATE_NOTE                                                                      \
	"estimated from a trace sampled by bytes (leakrec --sample): each recorded "           \
	"allocation of s bytes counts as 1/(1-exp(-s/R)) allocations"

/* Formats the mark of an estimate into a static string: "~" when rate > 0, else "". */
const char *estimate_mark(uint64_t rate);

#endif
