/*
 * html: the self-contained HTML page of a report, or of the comparison of two runs (prefix
 * html_).
 *
 * One file that opens offline: the style sheet, the script (analyzer/web/, assets.h) and the
 * data are inline, and the page's Content-Security-Policy forbids every request.  The data is
 * one JSON object in a <script type="application/json"> element (strings escaped for it:
 * json_set_script_safe); the script builds the page from it with DOM text nodes only, so nothing
 * from the trace is ever parsed as markup.  The JSON holds:
 *   - the summary, window, histogram, marks, diagnostics and suppressions exactly as --json
 *     writes them (report_json.h), so every figure is the report's;
 *   - the flamegraphs: for each kind (profile.h) the call tree root-first and inverted
 *     (profile_tree_build_except: suppressed leaks left out), node values as profile_value
 *     sums them;
 *   - the timeline of the growth analysis, and the series of the entries holding the most;
 *   - the tables (leaks, peak consumers, allocators, temporary allocations, growth suspects; or
 *     the changed stacks of a comparison) as generic column lists, so that other tables can be
 *     added without touching the script;
 *   - one table of frames that the trees and the tables refer to by index.
 * The page's size is bounded whatever the trace: at most HTML_MAX_NODES nodes per tree (the
 * widest; a node narrower than 1/HTML_MAX_NODES of the total is less than a pixel wide at full
 * view), HTML_MAX_ROWS rows per table, HTML_MAX_FRAME_BYTES of frame text in all, strings cut
 * at HTML_MAX_STRING bytes; the data says what was left out, and the page shows it.
 */
#ifndef LEAKREC_HTML_H
#define LEAKREC_HTML_H

#include <stdio.h>

#include "keydiff.h"
#include "report.h"
#include "suppress.h"

enum {
	HTML_OK = 0,
	HTML_ENOMEM = -1, /* out of memory */
	HTML_EIO = -2,    /* the stream reported an error: see errno */
};

#define HTML_MAX_NODES 5000
#define HTML_MAX_ROWS 200
#define HTML_MAX_FRAME_BYTES (3u << 20)
#define HTML_MAX_STRING 512
#define HTML_MAX_POINTS 10000 /* timeline points (--points) a page takes */

/* Returns a static description of an HTML_E* code. */
const char *html_strerror(int err);

/* What the page says about how it was made: the trace's path, the suppression file (NULL: none)
 * and whether allocator frames are shown (borrowed strings). */
typedef struct html_source {
	const char *trace;
	const char *sup_path;
	int show_alloc_frames;
} html_source;

/* Writes the page of a report to f: rc is the report model with its growth analysis attached
 * (report_set_growth; borrowed).  Returns 0, HTML_ENOMEM or HTML_EIO. */
int html_write_report(FILE *f, report_ctx *rc, const html_source *src);

/* One run of a comparison: its report model (for the stacks, the summary and the suppressed
 * leaks; borrowed) and its path. */
typedef struct html_run {
	report_ctx *rep;
	const char *trace;
} html_run;

/* Writes the page of the comparison d of runs base and new (all borrowed): the summary figures of
 * both, the gates, a differential flamegraph per kind (the new run's tree, each node with the
 * value of the same call path in the base run) and the changed stacks (at most top, 0: all);
 * status is the exit status the gates give.  Returns 0, HTML_ENOMEM or HTML_EIO. */
int html_write_diff(FILE *f, const keydiff *d, const html_run *base, const html_run *new,
		    const char *sup_path, unsigned top, int status);

#endif
