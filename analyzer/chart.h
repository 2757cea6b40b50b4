/*
 * chart: the charts of the text report, drawn with Unicode block characters (prefix chart_).
 */
#ifndef LEAKREC_CHART_H
#define LEAKREC_CHART_H

#include <stdint.h>
#include <stdio.h>

#include "growth.h"
#include "replay.h"

#define CHART_SPARK_W 32 /* characters of a sparkline, at most */

/* Writes the timeline of a finished growth analysis g of replay rp (both borrowed): the title
 * "Heap over time: peak X at T" (bold with color), the heap chart, the RSS chart when RSS was
 * sampled, the time axis of the window with a tick under each mark, and the marks.  Writes
 * nothing when the timeline is empty. */
void chart_timeline(FILE *f, const growth_ctx *g, const replay_ctx *rp, int color);
/* Writes a sparkline of v[0..n) (n > 0) on its own min..max scale, at most CHART_SPARK_W
 * characters. */
void chart_sparkline(FILE *f, const uint64_t *v, size_t n);
/* Writes a bar of `width` cells showing v on a 0..top scale (a non-zero v shows). */
void chart_bar(FILE *f, uint64_t v, uint64_t top, unsigned width);

#endif
