/*
 * report_text.c: the text report (see report_text.h): the summary, the timeline chart (with a
 * growth analysis), the four lists, the growth suspects and the allocation size histogram.
 * A sampled trace's figures are estimates, marked "~"; its temporary allocations are left out.
 * An attached trace (leakrec -p) says what it covers: its frees of blocks from before the
 * recorder attached are expected, not an anomaly, and its leaks are those of the attached period.
 */
#include "report_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "estimate.h"
#include "text.h"
#include "util.h"

/* An argument of the traced program, single-quoted shell-style when it needs quotes. */
static const text_style shell_style = {.subst = {['\''] = "'\\''"}, .hex = "\\x"};

/* Writes an argument, single-quoted when it holds anything but plain characters. */
static void put_arg(FILE *f, const char *s)
{
	int plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@",
			    *p))
			plain = 0;
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	text_put_escaped(f, &shell_style, s, strlen(s));
	fputc('\'', f);
}

/* Writes the shown frames of entry ei.  Returns 0. */
static int put_stack_text(report_ctx *rc, FILE *f, size_t ei)
{
	const symstack_entry *e = symstack_entry_at(report_stacks(rc), ei);
	const symstack *s = e->stack;
	if (!s->recorded) {
		fprintf(f, "      [stack not recorded] (stack id %" PRIu64 ")\n", e->fig.id);
		return 0;
	}
	if (s->nframes == 0) {
		fputs("      [empty stack]\n", f);
		return 0;
	}
	size_t shown = text_frames_shown(s->frames, s->nframes, report_opts(rc)->frames);
	text_write_frames(f, s->frames, shown, "      ", report_opts(rc)->color);
	int color = report_opts(rc)->color;
	if (shown < s->nframes)
		fprintf(f, "      %s... %zu more frame%s (--frames 0 shows all)%s\n",
			text_color(color, TEXT_DIM), s->nframes - shown, text_plural(s->nframes - shown),
			text_color(color, TEXT_OFF));
	if (s->truncated)
		fprintf(f, "      %s[more frames not recorded: leakrec --depth %u cut the stack]%s\n",
			text_color(color, TEXT_DIM), replay_get_header(report_replay(rc))->max_depth,
			text_color(color, TEXT_OFF));
	return 0;
}

/* "~" before the figures of a sampled trace (estimates), "" for a full one. */
static const char *est(const report_ctx *rc)
{
	return estimate_mark(replay_get_header(report_replay(rc))->sample_rate);
}

static void put_entry_line(FILE *f, const replay_stack *st, enum report_list k, int color,
			   const char *m)
{
	char a[32], b[32];
	switch (k) {
	case REPORT_LEAKS:
		text_format_size(a, sizeof(a), st->live_bytes);
		fprintf(f, "  %s%s%s%s in %s%" PRIu64 " allocation%s\n", text_color(color, TEXT_BOLD), m, a,
			text_color(color, TEXT_OFF), m, st->live_allocations, text_plural(st->live_allocations));
		break;
	case REPORT_PEAK:
		text_format_size(a, sizeof(a), st->peak_bytes);
		fprintf(f, "  %s%s%s%s in %s%" PRIu64 " allocation%s at the peak\n", text_color(color, TEXT_BOLD),
			m, a, text_color(color, TEXT_OFF), m, st->peak_allocations,
			text_plural(st->peak_allocations));
		break;
	case REPORT_ALLOCS:
		text_format_size(b, sizeof(b), st->allocated_bytes);
		fprintf(f, "  %s%s%" PRIu64 "%s allocation%s, %s%s in total\n", text_color(color, TEXT_BOLD),
			m, st->allocations, text_color(color, TEXT_OFF), text_plural(st->allocations), m, b);
		break;
	case REPORT_TEMP:
		fprintf(f, "  %s%" PRIu64 "%s temporary of %" PRIu64 " allocation%s\n",
			text_color(color, TEXT_BOLD), st->temporary, text_color(color, TEXT_OFF), st->allocations,
			text_plural(st->allocations));
		break;
	case REPORT_DEFINITELY_LOST:
	case REPORT_INDIRECTLY_LOST:
	case REPORT_POSSIBLY_LOST:
	case REPORT_REACHABLE: {
		unsigned kind = report_list_kind(k);
		text_format_size(a, sizeof(a), st->kind_bytes[kind]);
		fprintf(f, "  %s%s%s in %" PRIu64 " allocation%s\n", text_color(color, TEXT_BOLD), a,
			text_color(color, TEXT_OFF), st->kind_allocations[kind],
			text_plural(st->kind_allocations[kind]));
		break;
	}
	}
}


/* The end of a section's title: ": none", " (top N of M stacks)" or " (M stacks)". */
static void put_shown(FILE *f, size_t n, size_t total)
{
	if (total == 0)
		fputs(": none\n", f);
	else if (n < total)
		fprintf(f, " (top %zu of %zu stacks)\n", n, total);
	else
		fprintf(f, " (%zu stack%s)\n", total, text_plural(total));
}
static int text_section(report_ctx *rc, FILE *f, enum report_list k, const char *title)
{
	int color = report_opts(rc)->color;
	if (k == REPORT_TEMP && *est(rc)) {
		fprintf(f, "\n%s%s%s: %s\n", text_color(color, TEXT_BOLD), title,
			text_color(color, TEXT_OFF), ESTIMATE_WHY_NO_TEMPORARY);
		return 0;
	}
	size_t *idx, total;
	long n = report_list(rc, k, &idx, &total);
	if (n < 0) {
		free(idx);
		return REPORT_ENOMEM;
	}
	fprintf(f, "\n%s%s%s", text_color(color, TEXT_BOLD), title, text_color(color, TEXT_OFF));
	put_shown(f, (size_t)n, total);
	int err = 0;
	for (long i = 0; i < n && !err; i++) {
		const replay_stack *st = &symstack_entry_at(report_stacks(rc), idx[i])->fig;
		fputc('\n', f);
		put_entry_line(f, st, k, color, est(rc));
		err = put_stack_text(rc, f, idx[i]);
	}
	free(idx);
	return err;
}

/* The leak sections by kind (report_has_kinds). */
static int text_kind_sections(report_ctx *rc, FILE *f)
{
	static const char *const what[TF_REACH_KINDS] = {
		"",
		", definitely lost: no pointer to them is left",
		", indirectly lost: pointed to only by lost blocks",
		", possibly lost: only pointers into their interior are left",
		", still reachable: live at the end, and pointed to",
	};
	/* an attached trace's leaks are the blocks allocated while attached */
	const char *leaks = replay_get_header(report_replay(rc))->attached &&
					    !replay_get_summary(report_replay(rc))->windowed
				    ? "Leaks allocated while attached"
				    : "Leaks";
	int err = 0;
	for (unsigned kind = TF_REACH_DEFINITELY_LOST; kind < TF_REACH_KINDS && !err; kind++) {
		char a[32], title[224];
		uint64_t n = report_kind_allocations(rc, kind);
		text_format_size(a, sizeof(a), report_kind_bytes(rc, kind));
		snprintf(title, sizeof(title), "%s%s (%s in %" PRIu64 " allocation%s)", leaks, what[kind],
			 a, n, text_plural(n));
		err = text_section(rc, f, report_kind_list(kind), title);
	}
	return err;
}

/* The summary lines of the reachability scan, when the trace has one. */
static void text_reach_summary(report_ctx *rc, FILE *f)
{
	const replay_summary *s = replay_get_summary(report_replay(rc));
	if (!s->have_reach)
		return;
	char a[32], b[32];
	if (report_has_kinds(rc)) {
		static const char *const names[TF_REACH_KINDS] = {
			"", "definitely lost", "indirectly lost", "possibly lost", "still reachable",
		};
		fputs("leak kinds    ", f);
		for (unsigned k = TF_REACH_DEFINITELY_LOST; k < TF_REACH_KINDS; k++) {
			text_format_size(a, sizeof(a), report_kind_bytes(rc, k));
			fprintf(f, "%s%s %s (%" PRIu64 ")", k > TF_REACH_DEFINITELY_LOST ? ", " : "",
				names[k], a, report_kind_allocations(rc, k));
		}
		fputc('\n', f);
	}
	fputs("reachability  ", f);
	if (!s->reach.scanned) {
		fputs("not scanned: ", f);
		text_put(f, s->reach_note[0] ? s->reach_note : "no reason given");
		fputc('\n', f);
		return;
	}
	text_format_size(a, sizeof(a), s->reach.root_bytes);
	text_format_size(b, sizeof(b), s->reach.heap_bytes);
	fputs("scanned at the end in ", f);
	text_put_time(f, s->reach.scan_ns);
	fprintf(f, ": %s of roots, %s of heap, %" PRIu32 " thread%s (%" PRIu32 " stopped)", a, b,
		s->reach.threads, text_plural(s->reach.threads), s->reach.threads_stopped);
	if (s->reach_note[0]) {
		fputs("; ", f);
		text_put(f, s->reach_note);
	}
	if (!s->reach_applies)
		fputs("; the window ends before the trace, so no leak kinds", f);
	if (s->reach_unknown)
		fprintf(f, "; %" PRIu64 " block%s without a kind", s->reach_unknown,
			text_plural(s->reach_unknown));
	fputc('\n', f);
}

/* Formats byte-seconds in the units of sizes: "512 B·s", "1.2 GiB·s". */
static void format_byte_seconds(char *buf, size_t n, double v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0 && v < 10)
		snprintf(buf, n, "%.2f B\u00b7s", v);
	else if (u == 0)
		snprintf(buf, n, "%.0f B\u00b7s", v);
	else
		snprintf(buf, n, "%.1f %s\u00b7s", v, units[u]);
}

/* The "Held longest" section: entries by byte-seconds, with their lifetimes. */
static int text_held(report_ctx *rc, FILE *f)
{
	int color = report_opts(rc)->color;
	size_t *idx, total;
	long n = report_held_list(rc, &idx, &total);
	if (n < 0) {
		free(idx);
		return REPORT_ENOMEM;
	}
	fprintf(f, "\n%sHeld longest: byte-seconds (bytes x time held%s)%s", text_color(color, TEXT_BOLD),
		replay_get_summary(report_replay(rc))->windowed ? " in the window" : "",
		text_color(color, TEXT_OFF));
	put_shown(f, (size_t)n, total);
	int err = 0;
	for (long i = 0; i < n && !err; i++) {
		report_lifetime lt;
		char a[48], p50[32], p90[32], mx[32];
		err = report_entry_lifetime(rc, idx[i], &lt);
		if (err)
			break;
		format_byte_seconds(a, sizeof(a), lt.fig.byte_seconds);
		fprintf(f, "\n  %s%s%s  %" PRIu64 " allocation%s, %" PRIu64 " freed, %" PRIu64
			   " live at the end",
			text_color(color, TEXT_BOLD), a, text_color(color, TEXT_OFF), lt.allocations,
			text_plural(lt.allocations), lt.fig.freed, lt.live_at_end);
		if (lt.fig.freed) {
			text_format_time(p50, sizeof(p50), lt.fig.p50_ns);
			text_format_time(p90, sizeof(p90), lt.fig.p90_ns);
			text_format_time(mx, sizeof(mx), lt.fig.max_ns);
			fprintf(f, "; lived p50 %s, p90 %s, max %s", p50, p90, mx);
			if (lt.fig.kept < lt.fig.freed)
				fprintf(f, " (percentiles of a sample of %" PRIu64 ")", lt.fig.kept);
		}
		fputc('\n', f);
		err = put_stack_text(rc, f, idx[i]);
	}
	free(idx);
	return err;
}

/* Formats a duration or a moment: "850 us", "12.345 ms", "3.210 s". */
static int text_suspects(report_ctx *rc, FILE *f)
{
	const growth_ctx *g = report_growth(rc);
	int color = report_opts(rc)->color;
	size_t total = growth_suspect_count(g);
	size_t n = util_shown(total, report_opts(rc)->top);
	fprintf(f, "\n%sGrowth suspects: live bytes that grew steadily%s", text_color(color, TEXT_BOLD),
		text_color(color, TEXT_OFF));
	put_shown(f, n, total);
	for (size_t i = 0; i < n; i++) {
		const growth_suspect *sp = growth_suspect_at(g, i);
		char a[32], b[32], c[32], r[32];
		text_format_size(r, sizeof(r), (uint64_t)(sp->slope_bytes_per_s + 0.5));
		text_format_size(a, sizeof(a), sp->start_bytes);
		text_format_size(b, sizeof(b), sp->end_bytes);
		text_format_size(c, sizeof(c), sp->max_bytes);
		const char *m = est(rc);
		fprintf(f, "\n  %s+%s%s/s%s (fit R\u00b2 %.2f)  %s%s -> %s%s, max %s%s  ",
			text_color(color, TEXT_BOLD), m, r, text_color(color, TEXT_OFF), sp->r2, m, a, m, b,
			m, c);
		chart_sparkline(f, sp->series, sp->nseries);
		fputc('\n', f);
		if (put_stack_text(rc, f, sp->stack_index))
			return REPORT_ENOMEM;
	}
	return 0;
}

/* The classes shown: from the smallest to the largest non-empty one; *lo > *hi when none. */
static void text_histogram(report_ctx *rc, FILE *f)
{
	const replay_summary *s = replay_get_summary(report_replay(rc));
	int color = report_opts(rc)->color;
	unsigned lo, hi;
	report_histogram_range(s, &lo, &hi);
	fprintf(f, "\n%sAllocation sizes%s", text_color(color, TEXT_BOLD), text_color(color, TEXT_OFF));
	if (lo > hi) {
		fputs(": none\n", f);
		return;
	}
	fputs(*est(rc) ? " (requested bytes: estimated allocations per size class, bytes)\n\n"
		       : " (requested bytes: allocations per size class, bytes)\n\n",
	      f);
	uint64_t top = 0;
	for (unsigned k = lo; k <= hi; k++)
		if (s->sizes[k].allocations > top)
			top = s->sizes[k].allocations;
	for (unsigned k = lo; k <= hi; k++) {
		char a[32], b[32], c[32];
		text_format_pow2(a, sizeof(a), replay_size_class_min(k));
		if (k + 1 < REPLAY_SIZE_CLASSES)
			text_format_pow2(b, sizeof(b), replay_size_class_min(k + 1));
		else
			snprintf(b, sizeof(b), "16 EiB");
		text_format_size(c, sizeof(c), s->sizes[k].bytes);
		fprintf(f, "  %8s - %-8s %10" PRIu64 "  ", a, b, s->sizes[k].allocations);
		chart_bar(f, s->sizes[k].allocations, top, 24);
		fprintf(f, "  %s\n", c);
	}
}

int report_text_attached(char *buf, size_t n, const replay_ctx *rp)
{
	const replay_header *h = replay_get_header(rp);
	const replay_summary *s = replay_get_summary(rp);
	if (n)
		buf[0] = '\0';
	if (!h->attached)
		return -1;
	char from[64] = "", dur[48];
	time_t secs = (time_t)(h->realtime_ns / 1000000000u);
	struct tm tm;
	if (h->realtime_ns && gmtime_r(&secs, &tm))
		strftime(from, sizeof(from), "from %Y-%m-%d %H:%M:%S UTC ", &tm);
	text_format_time(dur, sizeof(dur), s->duration_ns);
	snprintf(buf, n, "recorded %sfor %s after attaching to a running process (leakrec -p); "
			 "blocks allocated before are unknown (%" PRIu64 " free%s of them not counted); "
			 "leaks are blocks allocated while attached and still live at detach",
		 from, dur, s->unmatched_frees, text_plural(s->unmatched_frees));
	return 0;
}

int report_text_write(report_ctx *rc, FILE *f)
{
	const replay_ctx *rp = report_replay(rc);
	const replay_summary *s = replay_get_summary(rp);
	const replay_header *h = replay_get_header(rp);
	const growth_ctx *gr = report_growth(rc);
	const char *win_from = report_window_from(rc), *win_to = report_window_to(rc);
	int color = report_opts(rc)->color;
	uint64_t leaked_bytes = report_leaked_bytes(rc), leaked_allocs = report_leaked_allocations(rc);
	char a[32], b[32];

	fprintf(f, "%sprogram%s       ", text_color(color, TEXT_BOLD), text_color(color, TEXT_OFF));
	if (h->argc) {
		for (uint32_t i = 0; i < h->argc; i++) {
			if (i)
				fputc(' ', f);
			put_arg(f, h->argv[i]);
		}
	} else {
		text_put(f, h->exe);
	}
	fprintf(f, "  (pid %u", h->pid);
	if (h->argc && h->exe[0]) {
		fputs(", ", f);
		text_put(f, h->exe);
	}
	fputs(")\n", f);
	if (s->incomplete[0]) {
		fprintf(f, "%sINCOMPLETE    ", text_color(color, TEXT_BOLD));
		text_put(f, s->incomplete);
		fprintf(f, "%s\n              figures cover what was recorded; \"live\" is what was live "
			   "when recording stopped\n",
			text_color(color, TEXT_OFF));
	}
	char att[512];
	if (report_text_attached(att, sizeof(att), rp) == 0) {
		fputs("attached      ", f);
		text_put(f, att);
		fputc('\n', f);
	}
	fputs("duration      ", f);
	text_put_time(f, s->duration_ns);
	fputc('\n', f);
	if (s->windowed) {
		fputs("window        ", f);
		text_put_time(f, s->window_from_ns);
		fputs(" to ", f);
		text_put_time(f, s->window_to_ns);
		fputs(" (", f);
		text_put_time(f, s->window_to_ns - s->window_from_ns);
		fputs(")", f);
		if (win_from || win_to) {
			fputs(": --from ", f);
			text_put(f, win_from ? win_from : "start");
			fputs(" --to ", f);
			text_put(f, win_to ? win_to : "end");
		}
		fputs("; figures below are for the window\n", f);
	}
	const char *m = est(rc);
	if (*m) {
		text_format_size(a, sizeof(a), h->sample_rate);
		fprintf(f, "sampled       one allocation per %s allocated on average (leakrec --sample): "
			   "figures marked ~ are estimates\n", a);
	}
	text_format_size(a, sizeof(a), s->allocated_bytes);
	fprintf(f, "allocations   %s%" PRIu64 " (%s%s allocated)\n", m, s->allocations, m, a);
	fprintf(f, "frees         %s%" PRIu64 "\n", m, s->frees);
	text_format_size(a, sizeof(a), s->peak_heap_bytes);
	fprintf(f, "peak heap     %s%s in %s%" PRIu64 " allocation%s at ", m, a, m, s->peak_allocations,
		text_plural(s->peak_allocations));
	text_put_time(f, s->peak_time_ns);
	fputc('\n', f);
	if (s->rss_samples) {
		text_format_size(a, sizeof(a), s->peak_rss_bytes);
		fprintf(f, "peak RSS      %s\n", a);
	} else {
		fputs("peak RSS      not sampled\n", f);
	}
	text_format_size(a, sizeof(a), leaked_bytes);
	fprintf(f, "%s%s%s%s in %s%" PRIu64 " allocation%s%s%s\n", text_color(color, TEXT_BOLD),
		s->incomplete[0] ? "live          " : "leaked        ", m, a, m, leaked_allocs,
		text_plural(leaked_allocs),
		s->incomplete[0] ? " when recording stopped (not all leaks: the trace is incomplete)"
				 : "",
		text_color(color, TEXT_OFF));
	text_reach_summary(rc, f);
	text_format_size(b, sizeof(b), report_runtime_leaked_bytes(rc));
	fprintf(f, "runtime-owned %s%s kept by the C/C++/Rust runtime (not counted as leaked)\n", m, b);
	if (report_opts(rc)->sup) {
		const suppress_use *u = report_suppressed(rc);
		text_format_size(b, sizeof(b), u->bytes);
		fprintf(f, "suppressed    %s%s in %s%" PRIu64 " allocation%s from %" PRIu64
			   " stack%s (--suppressions; not counted as leaked)\n",
			m, b, m, u->allocations, text_plural(u->allocations), u->stacks, text_plural(u->stacks));
	}
	if (*m)
		fputs("temporary     " ESTIMATE_WHY_NO_TEMPORARY, f);
	else
		fprintf(f, "temporary     %" PRIu64 " allocation%s", s->temporary, text_plural(s->temporary));
	if (s->allocations && !*m)
		fprintf(f, " (%.1f%%)", 100.0 * (double)s->temporary / (double)s->allocations);
	fputc('\n', f);
	if (h->attached) { /* its unmatched frees are those of blocks from before: the attached line */
		if (s->fixups || s->stale_frees || s->invalid_events)
			fprintf(f, "%snotes         %" PRIu64 " implicit frees, %" PRIu64
				   " stale frees, %" PRIu64 " invalid events%s\n",
				text_color(color, TEXT_DIM), s->fixups, s->stale_frees, s->invalid_events,
				text_color(color, TEXT_OFF));
	} else if (s->unmatched_frees || s->fixups || s->stale_frees || s->invalid_events) {
		fprintf(f, "%snotes         %" PRIu64 " frees of unknown pointers, %" PRIu64
			   " implicit frees, %" PRIu64 " stale frees, %" PRIu64
			   " invalid events%s\n",
			text_color(color, TEXT_DIM), s->unmatched_frees, s->fixups, s->stale_frees,
			s->invalid_events, text_color(color, TEXT_OFF));
	}

	if (gr)
		chart_timeline(f, gr, rp, color);
	int err = report_has_kinds(rc) ? text_kind_sections(rc, f) : text_section(rc, f, REPORT_LEAKS,
				   s->incomplete[0] ? "Live when recording stopped (the trace is "
						      "incomplete: not all of it leaked)"
				   : s->windowed ? "Leaks: bytes allocated in the window still live at "
						 "its end"
				   : h->attached ? "Leaks: bytes allocated while attached still live at "
						   "detach"
					       : "Leaks: bytes still allocated at the end");
	if (!err)
		err = text_section(rc, f, REPORT_PEAK, "Peak consumers: bytes live at the heap peak");
	if (!err)
		err = text_section(rc, f, REPORT_ALLOCS, "Most allocations");
	if (!err)
		err = text_section(rc, f, REPORT_TEMP, "Most temporary allocations");
	if (!err)
		err = text_held(rc, f);
	if (!err && gr)
		err = text_suspects(rc, f);
	if (err)
		return err;
	text_histogram(rc, f);
	if (fflush(f) != 0 || ferror(f))
		return REPORT_EIO;
	return 0;
}

