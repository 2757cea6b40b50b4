/*
 * report_json.c: the JSON report of the output contract, and the JSON shapes the commands
 * share (see report_json.h).
 */
#include "report_json.h"

#include <inttypes.h>
#include <stdlib.h>

#include "estimate.h"
#include "util.h"

void report_json_frames(json_writer *w, const sym_frame *frames, size_t n)
{
	json_key(w, "stack");
	json_begin_array(w, 0);
	for (size_t i = 0; i < n; i++) {
		const sym_frame *fr = &frames[i];
		char addr[32];
		snprintf(addr, sizeof(addr), "0x%" PRIx64, fr->address);
		json_begin_object(w, 1);
		json_key_str(w, "function", fr->function);
		json_key_str(w, "file", fr->file);
		json_key(w, "line");
		if (fr->line)
			json_uint(w, fr->line);
		else
			json_null(w);
		json_key_str(w, "module", fr->module);
		json_key_str(w, "address", addr);
		json_key_bool(w, "inlined", fr->inlined);
		json_end_object(w);
	}
	json_end_array(w);
}

void report_json_program(json_writer *w, const char *key, const replay_header *h, const char *trace,
			 int ppid)
{
	json_key(w, key);
	json_begin_object(w, 0);
	if (trace)
		json_key_str(w, "trace", trace);
	json_key_str(w, "exe", h->exe);
	json_key_uint(w, "pid", h->pid);
	if (ppid)
		json_key_uint(w, "ppid", h->ppid);
	json_key(w, "argv");
	json_begin_array(w, 1);
	for (uint32_t i = 0; i < h->argc; i++)
		json_str(w, h->argv[i]);
	json_end_array(w);
	json_end_object(w);
}

/* The "stack_id" (the smallest), "stack_ids" (every stack merged into the entry, ascending) and
 * the "stack" of entry ei: its shown frames, none when its record was not read. */
static void json_entry_stack(report_ctx *rc, json_writer *w, size_t ei)
{
	symstack_set *set = report_stacks(rc);
	const symstack_entry *e = symstack_entry_at(set, ei);
	json_key_uint(w, "stack_id", e->fig.id);
	json_key(w, "stack_ids");
	json_begin_array(w, 1);
	for (size_t i = 0; i < e->nmembers; i++)
		json_uint(w, replay_stack_at(report_replay(rc), e->members[i])->id);
	json_end_array(w);
	report_json_frames(w, e->stack->frames, e->stack->nframes);
	json_key(w, "truncated");
	json_bool(w, e->stack->truncated);
}

/* Writes two count members: "k1": v1, "k2": v2. */
static void json_counts(json_writer *w, const char *k1, uint64_t v1, const char *k2, uint64_t v2)
{
	json_key(w, k1);
	json_uint(w, v1);
	json_key(w, k2);
	json_uint(w, v2);
}

/* The entries of list k, into the open array. */
static int json_entries(report_ctx *rc, json_writer *w, enum report_list k)
{
	size_t *idx, total;
	long n = report_list(rc, k, &idx, &total);
	if (n < 0) {
		free(idx);
		return REPORT_ENOMEM;
	}
	for (long i = 0; i < n; i++) {
		const replay_stack *st = &symstack_entry_at(report_stacks(rc), idx[i])->fig;
		json_begin_object(w, 0);
		switch (k) {
		case REPORT_LEAKS:
			json_counts(w, "bytes", st->live_bytes, "allocations", st->live_allocations);
			break;
		case REPORT_PEAK:
			json_counts(w, "bytes", st->peak_bytes, "allocations", st->peak_allocations);
			break;
		case REPORT_ALLOCS:
			json_counts(w, "allocations", st->allocations, "bytes", st->allocated_bytes);
			break;
		case REPORT_TEMP:
			json_key_uint(w, "allocations", st->temporary);
			break;
		case REPORT_DEFINITELY_LOST:
		case REPORT_INDIRECTLY_LOST:
		case REPORT_POSSIBLY_LOST:
		case REPORT_REACHABLE: {
			unsigned kind = report_list_kind(k);
			json_counts(w, "bytes", st->kind_bytes[kind], "allocations",
				    st->kind_allocations[kind]);
			json_key_str(w, "kind", tf_reach_kind_name(kind));
			break;
		}
		}
		if (k == REPORT_LEAKS) {
			json_key(w, "kind");
			json_str(w, NULL);
		}
		json_entry_stack(rc, w, idx[i]);
		json_end_object(w);
	}
	free(idx);
	return 0;
}

/* List k under key; the leaks, when the trace has leak kinds: one entry per (stack, kind), by
 * kind (definitely lost first), then by bytes. */
static int json_list(report_ctx *rc, json_writer *w, enum report_list k, const char *key)
{
	json_key(w, key);
	json_begin_array(w, 0);
	int err = 0;
	if (k == REPORT_LEAKS && report_has_kinds(rc))
		for (unsigned kind = TF_REACH_DEFINITELY_LOST; kind < TF_REACH_KINDS && !err; kind++)
			err = json_entries(rc, w, report_kind_list(kind));
	else
		err = json_entries(rc, w, k);
	json_end_array(w);
	return err;
}

/* "lifetimes": the entries by byte-seconds (report_held_list) with their lifetime figures. */
static int json_lifetimes(report_ctx *rc, json_writer *w)
{
	size_t *idx, total;
	long n = report_held_list(rc, &idx, &total);
	if (n < 0) {
		free(idx);
		return REPORT_ENOMEM;
	}
	json_key(w, "lifetimes");
	json_begin_array(w, 0);
	for (long i = 0; i < n; i++) {
		report_lifetime lt;
		if (report_entry_lifetime(rc, idx[i], &lt)) {
			free(idx);
			return REPORT_ENOMEM;
		}
		json_begin_object(w, 0);
		json_key_uint(w, "allocations", lt.allocations);
		json_key_uint(w, "freed", lt.fig.freed);
		json_key_uint(w, "live_at_end", lt.live_at_end);
		const char *keys[3] = {"p50_s", "p90_s", "max_s"};
		uint64_t vals[3] = {lt.fig.p50_ns, lt.fig.p90_ns, lt.fig.max_ns};
		for (int k = 0; k < 3; k++) {
			json_key(w, keys[k]);
			if (lt.fig.freed)
				json_seconds(w, vals[k]);
			else
				json_null(w);
		}
		json_key_uint(w, "lifetimes_kept", lt.fig.kept);
		json_key_double(w, "byte_seconds", lt.fig.byte_seconds);
		json_entry_stack(rc, w, idx[i]);
		json_end_object(w);
	}
	json_end_array(w);
	free(idx);
	return 0;
}

static int json_growth(report_ctx *rc, json_writer *w)
{
	const growth_ctx *g = report_growth(rc);
	json_key(w, "growth");
	json_begin_object(w, 0);
	report_json_timeline(rc, w, "timeline");
	json_key(w, "suspects");
	json_begin_array(w, 0);
	size_t total = g ? growth_suspect_count(g) : 0;
	size_t n = util_shown(total, report_opts(rc)->top);
	for (size_t i = 0; i < n; i++) {
		const growth_suspect *sp = growth_suspect_at(g, i);
		json_begin_object(w, 0);
		json_key_uint(w, "live_bytes_start", sp->start_bytes);
		json_key_uint(w, "live_bytes_end", sp->end_bytes);
		json_key_uint(w, "max_bytes", sp->max_bytes);
		json_key_double(w, "slope_bytes_per_s", sp->slope_bytes_per_s);
		json_key_double(w, "r2", sp->r2);
		json_key_double(w, "score", sp->score);
		json_key(w, "series");
		json_begin_array(w, 1);
		for (size_t k = 0; k < sp->nseries; k++)
			json_uint(w, sp->series[k]);
		json_end_array(w);
		json_entry_stack(rc, w, sp->stack_index);
		json_end_object(w);
	}
	json_end_array(w);
	report_json_steps(rc, w);
	json_end_object(w);
	return 0;
}

void report_json_timeline(report_ctx *rc, json_writer *w, const char *key)
{
	const growth_ctx *g = report_growth(rc);
	json_key(w, key);
	json_begin_array(w, 0);
	for (size_t i = 0; g && i < growth_timeline_count(g); i++) {
		const growth_point *p = growth_timeline_at(g, i);
		json_begin_array(w, 1);
		json_seconds(w, p->time_ns);
		json_uint(w, p->heap_bytes);
		json_uint(w, p->rss_bytes);
		json_end_array(w);
	}
	json_end_array(w);
}

void report_json_steps(report_ctx *rc, json_writer *w)
{
	const growth_ctx *g = report_growth(rc);
	if (g) {
		json_key_seconds(w, "timeline_step_s", growth_timeline_step_ns(g));
		json_key_seconds(w, "series_step_s", growth_series_step_ns(g));
	}
}

void report_json_window(report_ctx *rc, json_writer *w)
{
	const replay_summary *s = replay_get_summary(report_replay(rc));
	json_key(w, "window");
	json_begin_object(w, 0);
	json_key_seconds(w, "from_s", s->window_from_ns);
	json_key_seconds(w, "to_s", s->window_to_ns);
	json_key_str(w, "from", report_window_from(rc));
	json_key_str(w, "to", report_window_to(rc));
	json_key_seconds(w, "run_duration_s", s->duration_ns);
	json_end_object(w);
}

void report_json_histogram(report_ctx *rc, json_writer *w)
{
	const replay_summary *s = replay_get_summary(report_replay(rc));
	unsigned lo, hi;
	report_histogram_range(s, &lo, &hi);
	json_key(w, "histogram");
	json_begin_array(w, 0);
	for (unsigned k = lo; k <= hi; k++) {
		json_begin_object(w, 1);
		json_key_uint(w, "min", replay_size_class_min(k));
		json_key(w, "max");
		if (k + 1 < REPLAY_SIZE_CLASSES)
			json_uint(w, replay_size_class_min(k + 1));
		else
			json_double(w, 18446744073709551616.0);
		json_key_uint(w, "allocations", s->sizes[k].allocations);
		json_key_uint(w, "bytes", s->sizes[k].bytes);
		json_end_object(w);
	}
	json_end_array(w);
}

void report_json_suppressed(const report_ctx *rc, json_writer *w)
{
	const suppress_list *sup = report_opts(rc)->sup;
	const suppress_use *t = report_suppressed(rc);
	json_key(w, "suppressed");
	json_begin_object(w, 0);
	json_key_uint(w, "bytes", t->bytes);
	json_key_uint(w, "allocations", t->allocations);
	json_key_uint(w, "stacks", t->stacks);
	json_key(w, "rules");
	json_begin_array(w, 0);
	for (size_t i = 0; i < suppress_count(sup); i++) {
		const suppress_use *u = report_rule_use(rc, i);
		json_begin_object(w, 1);
		json_key_str(w, "pattern", suppress_pattern(sup, i));
		json_key_uint(w, "line", suppress_line(sup, i));
		json_key_uint(w, "bytes", u->bytes);
		json_key_uint(w, "allocations", u->allocations);
		json_key_uint(w, "stacks", u->stacks);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

void report_json_summary(report_ctx *rc, json_writer *w)
{
	const replay_summary *s = replay_get_summary(report_replay(rc));
	json_key(w, "summary");
	json_begin_object(w, 0);
	json_key_seconds(w, "duration_s",
			 s->windowed ? s->window_to_ns - s->window_from_ns : s->duration_ns);
	json_key_uint(w, "allocations", s->allocations);
	json_key_uint(w, "frees", s->frees);
	json_key_uint(w, "allocated_bytes", s->allocated_bytes);
	json_key_uint(w, "peak_heap_bytes", s->peak_heap_bytes);
	json_key_seconds(w, "peak_time_s", s->peak_time_ns);
	json_key_uint(w, "peak_rss_bytes", s->peak_rss_bytes);
	json_key_uint(w, "leaked_bytes", report_leaked_bytes(rc));
	json_key_uint(w, "leaked_allocations", report_leaked_allocations(rc));
	json_key_uint(w, "runtime_leaked_bytes", report_runtime_leaked_bytes(rc));
	uint64_t rate = replay_get_header(report_replay(rc))->sample_rate;
	if (!rate) {
		json_key_uint(w, "temporary_allocations", s->temporary);
	} else { /* estimates: what sampling cannot estimate is left out and named */
		json_key(w, "not_estimated");
		json_begin_object(w, 0);
		json_key_str(w, "temporary_allocations", ESTIMATE_WHY_NO_TEMPORARY);
		json_end_object(w);
	}
	json_key_uint(w, "sample_rate_bytes", rate);
	/* an attached trace (leakrec -p): its unmatched frees are those of blocks from before */
	int attached = replay_get_header(report_replay(rc))->attached;
	json_key_bool(w, "attached", attached);
	if (attached)
		json_key_uint(w, "frees_before_attach", s->unmatched_frees);
	/* "definitely_lost_bytes" ... "reachable_allocations": the kind's trace-format name */
	int kinds = report_has_kinds(rc);
	for (unsigned k = TF_REACH_DEFINITELY_LOST; k < TF_REACH_KINDS; k++) {
		for (int c = 0; c < 2; c++) {
			char key[48];
			snprintf(key, sizeof(key), "%s_%s", tf_reach_kind_name(k),
				 c ? "allocations" : "bytes");
			json_key(w, key);
			if (kinds)
				json_uint(w, c ? report_kind_allocations(rc, k) : report_kind_bytes(rc, k));
			else
				json_str(w, NULL);
		}
	}
	json_key(w, "reachability");
	json_begin_object(w, 1);
	json_key(w, "scanned");
	json_bool(w, s->have_reach && s->reach.scanned);
	if (s->have_reach) {
		json_key_seconds(w, "scan_s", s->reach.scan_ns);
		json_key_uint(w, "root_bytes", s->reach.root_bytes);
		json_key_uint(w, "heap_bytes", s->reach.heap_bytes);
		json_key_uint(w, "threads", s->reach.threads);
		json_key_uint(w, "threads_stopped", s->reach.threads_stopped);
		json_key_uint(w, "unknown_blocks", s->reach_unknown);
	} else {
		json_key(w, "scan_s");
		json_str(w, NULL);
		json_key(w, "root_bytes");
		json_str(w, NULL);
	}
	json_key(w, "note");
	json_str(w, s->have_reach && s->reach_note[0] ? s->reach_note
			: s->have_reach ? NULL
					: "the trace has no scan (leakrec --no-reachability, a sampled "
					  "trace, or an older leakrec)");
	json_end_object(w);
	json_end_object(w);
}

void report_json_marks(report_ctx *rc, json_writer *w)
{
	const replay_ctx *rp = report_replay(rc);
	json_key(w, "marks");
	json_begin_array(w, 0);
	for (size_t i = 0; i < replay_mark_count(rp); i++) {
		const replay_mark *m = replay_mark_at(rp, i);
		json_begin_object(w, 1);
		json_key_seconds(w, "t_s", m->time_ns);
		json_key_uint(w, "tid", m->tid);
		json_key_str(w, "label", m->label);
		json_end_object(w);
	}
	json_end_array(w);
}

void report_json_diagnostics(report_ctx *rc, json_writer *w)
{
	const replay_summary *s = replay_get_summary(report_replay(rc));
	json_key(w, "diagnostics");
	json_begin_object(w, 0);
	json_key_uint(w, "events", s->events_read);
	json_key(w, "complete");
	json_bool(w, !s->incomplete[0]);
	json_key(w, "incomplete_reason");
	json_str(w, s->incomplete[0] ? s->incomplete : NULL);
	json_key_uint(w, "dropped_events", s->have_end ? s->end.dropped : 0);
	json_key_uint(w, "unmatched_frees", s->unmatched_frees);
	json_key_uint(w, "fixups", s->fixups);
	json_key_uint(w, "stale_frees", s->stale_frees);
	json_key_uint(w, "invalid_events", s->invalid_events);
	json_key_uint(w, "late_events", s->late_events);
	json_key_uint(w, "undefined_stacks", s->undefined_stacks);
	/* module files that cannot be used as recorded, and those without debug info seen so far */
	const sym_ctx *sym = report_modules(rc);
	json_key(w, "modules");
	json_begin_array(w, 0);
	for (size_t i = 0; i < sym_note_count(sym); i++) {
		const sym_note *n = sym_note_at(sym, i);
		json_begin_object(w, 1);
		json_key_str(w, "path", n->path);
		json_key_str(w, "build_id", n->build_id);
		json_key_str(w, "problem", sym_problem_name(n->problem));
		if (n->problem == SYM_PROBLEM_REBUILT)
			json_key_str(w, "found_build_id", n->found_build_id);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

int report_json_write(report_ctx *rc, FILE *f)
{
	const replay_header *h = replay_get_header(report_replay(rc));
	json_writer *w;
	if (json_create(&w, f))
		return REPORT_ENOMEM;
	json_begin_object(w, 0);
	json_key_uint(w, "format", 1);

	report_json_program(w, "program", h, NULL, 1);

	report_json_summary(rc, w);
	report_json_suppressed(rc, w);

	int err = json_list(rc, w, REPORT_LEAKS, "leaks");
	if (!err)
		err = json_list(rc, w, REPORT_PEAK, "peak");
	if (!err)
		err = json_list(rc, w, REPORT_ALLOCS, "allocators");
	if (!err && !h->sample_rate) {
		err = json_list(rc, w, REPORT_TEMP, "temporary");
	} else if (!err) {
		json_key(w, "temporary"); /* not estimated (summary.not_estimated) */
		json_begin_array(w, 0);
		json_end_array(w);
	}
	if (!err)
		err = json_lifetimes(rc, w);
	if (err) {
		json_free(w);
		return err;
	}

	err = json_growth(rc, w);
	if (err) {
		json_free(w);
		return err;
	}
	report_json_window(rc, w);
	report_json_histogram(rc, w);
	report_json_marks(rc, w);
	report_json_diagnostics(rc, w);
	json_end_object(w);
	err = json_finish(w);
	json_free(w);
	return err ? REPORT_EIO : 0;
}

int report_json_begin_command(json_writer **w, FILE *out, const char *command)
{
	if (json_create(w, out))
		return JSON_ENOMEM;
	json_begin_object(*w, 0);
	json_key_uint(*w, "format", 1);
	json_key_str(*w, "command", command);
	return 0;
}

int report_json_end_command(json_writer *w, int status)
{
	json_key_uint(w, "exit_status", (uint64_t)status);
	json_end_object(w);
	int rc = json_finish(w);
	json_free(w);
	return rc;
}
