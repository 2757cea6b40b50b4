/*
 * estimate.c: the weights of sampled allocations (see estimate.h).  1 - exp(-x) is computed as
 * -expm1(-x), which keeps its precision for sizes far below the rate.
 */
#include "estimate.h"

#include <math.h>

#define ESTIMATE_MAX_BYTES ((uint64_t)1 << 62)

double estimate_weight(uint64_t size, uint64_t rate)
{
	if (!rate || !size)
		return 1.0;
	double p = -expm1(-(double)size / (double)rate);
	if (!(p > 0.0)) /* a size so small against the rate that p underflows */
		return (double)ESTIMATE_MAX_BYTES;
	double w = 1.0 / p;
	return w < 1.0 ? 1.0 : w;
}

uint64_t estimate_bytes(uint64_t size, uint64_t rate)
{
	if (!rate)
		return size;
	double b = (double)size * estimate_weight(size, rate) + 0.5;
	if (!(b < (double)ESTIMATE_MAX_BYTES))
		return ESTIMATE_MAX_BYTES;
	return (uint64_t)b;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t estimate_count(uint64_t size, uint64_t rate, uint64_t id)
{
	if (!rate)
		return 1;
	double w = estimate_weight(size, rate);
	if (!(w < (double)ESTIMATE_MAX_BYTES))
		return ESTIMATE_MAX_BYTES;
	double u = (double)(mix(id) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
	uint64_t c = (uint64_t)(w + u);
	return c ? c : 1;
}

double estimate_bytes_sd(uint64_t size, uint64_t rate)
{
	if (!rate || !size)
		return 0.0;
	double x = (double)size / (double)rate;
	double p = -expm1(-x);
	if (!(p > 0.0))
		return 0.0;
	return (double)size * sqrt(exp(-x) / p);
}

const char *estimate_mark(uint64_t rate) { return rate ? "~" : ""; }
