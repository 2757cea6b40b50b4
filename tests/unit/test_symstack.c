/*
 * test_symstack: the symbolized-stack model (analyzer/symstack.c) and the report model on top of
 * it (analyzer/report.c), on a small trace made here and a fake resolver: allocator frames
 * folded (or kept with show_alloc_frames, or all kept when nothing else is left), inlined frames
 * expanded, the runtime flag, unknown addresses and modules, a stack without a STACK record, no
 * resolver at all; then the report's leak figures (runtime-owned stacks apart), its sorted,
 * cut lists, and the text report's notes line.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "check.h"
#include "frames.h"
#include "minitrace.h"
#include "report.h"
#include "report_text.h"
#include "symstack.h"
#include "tf_enc.h"
#include "tf_reader.h"

/* ---- the trace ----
 *
 * Stacks (innermost first) of epoch 3:
 *   1: new, inlined, main       an allocator frame, an inlined pair, main
 *   2: malloc, new              nothing but allocator frames
 *   3: stdio, main              a runtime frame
 *   4: unresolved, main         an address the resolver does not know
 *   5: (no STACK record)        only an event names it
 *   6: nomodule                 a frame without a module
 * Events, one thread: allocations 0 (stack 1, 100 B), 1 (3, 50 B), 2 (2, 30 B) freed at once
 * (temporary), 3 (4, 100 B), 4 (5, 7 B), 5 (6, 1 B), which an implicit free (a fixup) releases
 * at the end, just after the heap peaked. */

enum { A_NEW = 0x10, A_INL = 0x20, A_MAIN = 0x30, A_STDIO = 0x40, A_UNKNOWN = 0x50,
       A_MALLOC = 0x60, A_NOMOD = 0x70, A_MAIN2 = 0x80, A_MAIN3 = 0x90 };

static char trace_path[] = "/tmp/test_symstack.XXXXXX";
static char merge_path[] = "/tmp/test_symstack_merge.XXXXXX";

static int write_trace(void)
{
	static uint8_t raw[1 << 16];
	tf_enc e;
	tf_enc_init(&e, raw, sizeof(raw));
	put_header(&e);
	const uint64_t s1[] = {A_NEW, A_INL, A_MAIN}, s2[] = {A_MALLOC, A_NEW},
		       s3[] = {A_STDIO, A_MAIN}, s4[] = {A_UNKNOWN, A_MAIN}, s6[] = {A_NOMOD};
	tf_enc_stack(&e, 1, 3, s1, 3);
	tf_enc_stack(&e, 2, 3, s2, 2);
	tf_enc_stack(&e, 3, 3, s3, 2);
	tf_enc_stack(&e, 4, 3, s4, 2);
	tf_enc_stack(&e, 6, 3, s6, 1);
	static const tev evs[] = {
		{TF_EV_ALLOC, 0, 100, 1}, {TF_EV_ALLOC, 1, 50, 3}, {TF_EV_ALLOC, 2, 30, 2},
		{TF_EV_FREE, 2, 0, 0},    {TF_EV_ALLOC, 3, 100, 4}, {TF_EV_ALLOC, 4, 7, 5},
		{TF_EV_ALLOC, 5, 1, 6},   {TF_EV_FREE, 5, 0, 0},
	};
	/* the last free is an implicit one */
	if (put_events(&e, evs, sizeof(evs) / sizeof(evs[0]), 1))
		return -1;
	return save(raw, e.len, trace_path);
}

static replay_ctx *replay_trace(void)
{
	replay_ctx *rp;
	tf_reader *r;
	if (replay_create(&rp))
		return NULL;
	if (tf_reader_open(&r, trace_path)) {
		replay_free(rp);
		return NULL;
	}
	int rc = replay_run(rp, r);
	tf_reader_close(r);
	if (rc) {
		replay_free(rp);
		return NULL;
	}
	return rp;
}

/* ---- a fake resolver ---- */

typedef struct fake {
	int calls;
	uint64_t last_epoch;
	sym_frame f[9];
} fake;

static sym_frame frame(const char *fn, const char *module, uint64_t addr, int inlined)
{
	sym_frame f = fr(fn, NULL, 0, module);
	f.address = f.module_offset = addr;
	f.inlined = inlined;
	return f;
}

static void fake_init(fake *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->f[0] = frame("operator new(unsigned long)", "/usr/lib/libstdc++.so.6", A_NEW, 0);
	fk->f[1] = frame("helper", "/usr/bin/prog", A_INL, 1);
	fk->f[2] = frame("make_thing", "/usr/bin/prog", A_INL, 0);
	fk->f[3] = frame("main", "/usr/bin/prog", A_MAIN, 0);
	fk->f[4] = frame("_IO_file_doallocate", "/lib/libc.so.6", A_STDIO, 0);
	fk->f[5] = frame("malloc", "/lib/libc.so.6", A_MALLOC, 0);
	fk->f[6] = frame("nomodule", NULL, A_NOMOD, 0);
	fk->f[7] = frame("main", "/usr/bin/prog", A_MAIN, 0);       /* prints as A_MAIN's frame */
	fk->f[8] = frame("main", "/opt/other/libother.so", A_MAIN, 0); /* the same, another module */
}

static int fake_resolve(void *ctx, uint64_t epoch, uint64_t addr, const sym_frame **frames)
{
	fake *fk = ctx;
	fk->calls++;
	fk->last_epoch = epoch;
	switch (addr) {
	case A_NEW: *frames = &fk->f[0]; return 1;
	case A_INL: *frames = &fk->f[1]; return 2;
	case A_MAIN: *frames = &fk->f[3]; return 1;
	case A_STDIO: *frames = &fk->f[4]; return 1;
	case A_MALLOC: *frames = &fk->f[5]; return 1;
	case A_NOMOD: *frames = &fk->f[6]; return 1;
	case A_MAIN2: *frames = &fk->f[7]; return 1;
	case A_MAIN3: *frames = &fk->f[8]; return 1;
	}
	return -1;
}

/* The replay index of stack id. */
static size_t idx_of(const replay_ctx *rp, uint64_t id)
{
	for (size_t i = 0; i < replay_stack_count(rp); i++)
		if (replay_stack_at(rp, i)->id == id)
			return i;
	return SIZE_MAX;
}

/* The functions of a symstack's shown frames joined by ';' (unknown: "?"). */
static const char *names(const symstack *s)
{
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; s && i < s->nframes; i++) {
		if (i)
			strcat(buf, ";");
		strcat(buf, s->frames[i].function ? s->frames[i].function : "?");
	}
	return buf;
}

static const symstack *get(symstack_set *set, const replay_ctx *rp, uint64_t id)
{
	size_t i = idx_of(rp, id);
	return i == SIZE_MAX ? NULL : symstack_get(set, i);
}

static void test_model(const replay_ctx *rp)
{
	fake fk;
	fake_init(&fk);
	symstack_resolver res = {fake_resolve, &fk};
	symstack_set *set;
	CHECK(symstack_create(&set, rp, &res, 0) == 0, "create");
	CHECK(symstack_replay(set) == rp, "replay");
	CHECK_U("count", symstack_count(set), 6);
	CHECK_U("nothing resolved yet", (uint64_t)fk.calls, 0);

	const symstack *s = get(set, rp, 1);
	CHECK(s && strcmp(names(s), "helper;make_thing;main") == 0, "1: %s", names(s));
	CHECK(s && s->folded == 1 && !s->runtime && s->recorded && s->rec->id == 1, "1: flags");
	CHECK(s && s->frames[0].inlined && !s->frames[1].inlined, "1: inlined frames");
	CHECK_U("epoch given to the resolver", fk.last_epoch, 3);
	int calls = fk.calls;
	CHECK(get(set, rp, 1) == s && fk.calls == calls, "1: resolved once");

	s = get(set, rp, 2);
	CHECK(s && strcmp(names(s), "malloc;operator new(unsigned long)") == 0 && s->folded == 0,
	      "2: nothing but allocator frames: all kept: %s", names(s));

	s = get(set, rp, 3);
	CHECK(s && s->runtime && s->folded == 0 && strcmp(names(s), "_IO_file_doallocate;main") == 0,
	      "3: runtime: %s", names(s));

	s = get(set, rp, 4);
	CHECK(s && s->nframes == 2 && !s->frames[0].function &&
		      strcmp(s->frames[0].module, "[unknown]") == 0 &&
		      s->frames[0].address == A_UNKNOWN && s->frames[0].module_offset == A_UNKNOWN,
	      "4: an unknown address");

	s = get(set, rp, 5);
	CHECK(s && !s->recorded && s->nframes == 0 && s->frames == NULL && !s->runtime &&
		      s->rec->id == 5,
	      "5: no record");

	s = get(set, rp, 6);
	CHECK(s && s->nframes == 1 && strcmp(s->frames[0].module, "[unknown]") == 0,
	      "6: a frame without a module reads [unknown]");
	symstack_free(set);

	/* show_alloc_frames: nothing folded */
	CHECK(symstack_create(&set, rp, &res, 1) == 0, "create");
	s = get(set, rp, 1);
	CHECK(s && s->folded == 0 && strcmp(names(s), "operator new(unsigned long);helper;"
						      "make_thing;main") == 0,
	      "1 with allocator frames: %s", names(s));
	symstack_free(set);

	/* no resolver: every frame unknown, nothing folded or runtime */
	CHECK(symstack_create(&set, rp, NULL, 0) == 0, "create");
	s = get(set, rp, 3);
	CHECK(s && s->nframes == 2 && !s->runtime && !s->frames[0].function &&
		      s->frames[1].address == A_MAIN,
	      "3 without a resolver");
	symstack_free(set);
	symstack_free(NULL);
}

/* Checks list k: its total and its entries' stack ids in order. */
static void check_list(report_ctx *rc, enum report_list k, long shown, size_t total,
		       const uint64_t *ids)
{
	size_t *idx = NULL, tot = 0;
	long n = report_list(rc, k, &idx, &tot);
	CHECK(n == shown && tot == total, "list %d: %ld of %zu", (int)k, n, tot);
	for (long i = 0; i < n && i < shown; i++) {
		uint64_t id = symstack_entry_at(report_stacks(rc), idx[i])->fig.id;
		CHECK(id == ids[i], "list %d [%ld]: stack %" PRIu64, (int)k, i, id);
	}
	free(idx);
}

static void test_report(const replay_ctx *rp)
{
	fake fk;
	fake_init(&fk);
	symstack_resolver res = {fake_resolve, &fk};
	symstack_set *set;
	report_ctx *rc;
	if (symstack_create(&set, rp, &res, 0))
		return;
	report_options opt = {0, 0, 0, NULL};
	CHECK(report_create(&rc, set, &opt) == 0, "create");
	/* stack 3 is the runtime's */
	CHECK_U("leaked bytes", report_leaked_bytes(rc), 100 + 100 + 7);
	CHECK_U("leaked allocations", report_leaked_allocations(rc), 3);
	CHECK_U("runtime bytes", report_runtime_leaked_bytes(rc), 50);
	CHECK(report_replay(rc) == rp && report_stacks(rc) == set && report_growth(rc) == NULL &&
		      report_window_from(rc) == NULL,
	      "accessors");
	static const uint64_t leaks[] = {1, 4, 5}, peak[] = {1, 4, 3, 5, 6},
			      allocs[] = {1, 2, 3, 4, 5, 6}, temp[] = {2};
	check_list(rc, REPORT_LEAKS, 3, 3, leaks);
	check_list(rc, REPORT_PEAK, 5, 5, peak);
	check_list(rc, REPORT_ALLOCS, 6, 6, allocs);
	check_list(rc, REPORT_TEMP, 1, 1, temp);
	/* the text report's notes line names the implicit free */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f) {
		CHECK(report_text_write(rc, f) == 0, "text report");
		fclose(f);
		CHECK(buf && strstr(buf, "\nnotes         0 frees of unknown pointers, 1 implicit frees, "
					 "0 stale frees, 0 invalid events\n"),
		      "notes line in\n%s", buf ? buf : "");
		free(buf);
	}
	report_set_window_args(rc, "10%", NULL);
	CHECK(strcmp(report_window_from(rc), "10%") == 0 && report_window_to(rc) == NULL, "window");
	report_free(rc);

	opt.top = 2;
	CHECK(report_create(&rc, set, &opt) == 0, "create");
	check_list(rc, REPORT_LEAKS, 2, 3, leaks);
	check_list(rc, REPORT_TEMP, 1, 1, temp);
	CHECK(report_opts(rc)->top == 2, "options copied");
	report_free(rc);
	report_free(NULL);
	symstack_free(set);

	/* the histogram's classes: 1 B (class 0) to 100 B (class 3) */
	unsigned lo, hi;
	report_histogram_range(replay_get_summary(rp), &lo, &hi);
	CHECK(lo == 0 && hi == 3, "histogram %u..%u", lo, hi);
	replay_summary empty;
	memset(&empty, 0, sizeof(empty));
	report_histogram_range(&empty, &lo, &hi);
	CHECK(lo > hi, "empty histogram");
}

/* ---- entries ----
 *
 * Stacks 10 {main}, 11 {main at another address, same frame}, 13 {new, main at that address}
 * print the same once new is folded: one entry.  12 {main of another module} and the two stacks
 * without a record (14, 15) are entries of their own.  Events: 0 (11, 10 B), 1 (10, 20 B),
 * 2 (12, 40 B), 3 (13, 80 B), free of 1, 4 (14, 1 B), 5 (15, 2 B). */
static int write_merge_trace(void)
{
	static uint8_t raw[1 << 14];
	tf_enc e;
	tf_enc_init(&e, raw, sizeof(raw));
	put_header(&e);
	const uint64_t s10[] = {A_MAIN}, s11[] = {A_MAIN2}, s12[] = {A_MAIN3},
		       s13[] = {A_NEW, A_MAIN2};
	tf_enc_stack(&e, 10, 3, s10, 1);
	tf_enc_stack(&e, 11, 3, s11, 1);
	tf_enc_stack(&e, 12, 3, s12, 1);
	tf_enc_stack(&e, 13, 3, s13, 2);
	static const tev evs[] = {
		{TF_EV_ALLOC, 0, 10, 11}, {TF_EV_ALLOC, 1, 20, 10}, {TF_EV_ALLOC, 2, 40, 12},
		{TF_EV_ALLOC, 3, 80, 13}, {TF_EV_FREE, 1, 0, 0},    {TF_EV_ALLOC, 4, 1, 14},
		{TF_EV_ALLOC, 5, 2, 15},
	};
	if (put_events(&e, evs, sizeof(evs) / sizeof(evs[0]), 0))
		return -1;
	return save(raw, e.len, merge_path);
}

static void test_entries(void)
{
	replay_ctx *rp;
	tf_reader *r;
	if (write_merge_trace() || replay_create(&rp)) {
		CHECK(0, "merge trace");
		return;
	}
	if (tf_reader_open(&r, merge_path) == 0) {
		CHECK(replay_run(rp, r) == 0, "replay");
		tf_reader_close(r);
	}
	fake fk;
	fake_init(&fk);
	symstack_resolver res = {fake_resolve, &fk};
	symstack_set *set;
	if (symstack_create(&set, rp, &res, 0)) {
		replay_free(rp);
		return;
	}
	CHECK(symstack_merge(set) == 0 && symstack_merge(set) == 0, "merge (twice)");
	CHECK_U("entries", symstack_entry_count(set), 4);
	static const uint64_t first_ids[] = {10, 12, 14, 15}, nmembers[] = {3, 1, 1, 1};
	for (size_t i = 0; i < 4 && i < symstack_entry_count(set); i++) {
		const symstack_entry *en = symstack_entry_at(set, i);
		CHECK(en->fig.id == first_ids[i] && en->nmembers == nmembers[i],
		      "entry %zu: id %" PRIu64 ", %zu members", i, en->fig.id, en->nmembers);
		for (size_t m = 0; m < en->nmembers; m++)
			CHECK(symstack_entry_of(set, en->members[m]) == i &&
				      symstack_entry_map(set)[en->members[m]] == i,
			      "entry %zu member %zu", i, m);
	}
	const symstack_entry *main_e = symstack_entry_at(set, 0);
	CHECK(main_e->nmembers == 3 &&
		      replay_stack_at(rp, main_e->members[0])->id == 10 &&
		      replay_stack_at(rp, main_e->members[1])->id == 11 &&
		      replay_stack_at(rp, main_e->members[2])->id == 13,
	      "members in id order");
	CHECK(main_e->fig.allocations == 3 && main_e->fig.allocated_bytes == 110 &&
		      main_e->fig.live_bytes == 90 && main_e->fig.live_allocations == 2 &&
		      main_e->fig.peak_bytes == 110,
	      "summed figures: %" PRIu64 " allocations, %" PRIu64 " B, live %" PRIu64 " in %" PRIu64
	      ", peak %" PRIu64,
	      main_e->fig.allocations, main_e->fig.allocated_bytes, main_e->fig.live_bytes,
	      main_e->fig.live_allocations, main_e->fig.peak_bytes);
	CHECK(strcmp(names(main_e->stack), "main") == 0, "entry frames %s", names(main_e->stack));
	CHECK(!symstack_entry_at(set, 2)->stack->recorded &&
		      !symstack_entry_at(set, 3)->stack->recorded,
	      "stacks without a record stay apart");
	/* the report lists entries */
	report_options opt = {0, 0, 0, NULL};
	report_ctx *rc;
	if (report_create(&rc, set, &opt) == 0) {
		static const uint64_t leaks[] = {10, 12, 15, 14};
		check_list(rc, REPORT_LEAKS, 4, 4, leaks);
		CHECK_U("leaked bytes", report_leaked_bytes(rc), 10 + 80 + 40 + 1 + 2);
		report_free(rc);
	}
	symstack_free(set);
	replay_free(rp);
	unlink(merge_path);
}

int main(void)
{
	if (write_trace()) {
		CHECK(0, "cannot write the trace");
		return check_summary();
	}
	replay_ctx *rp = replay_trace();
	CHECK(rp != NULL, "replay");
	if (rp) {
		test_model(rp);
		test_report(rp);
		test_entries();
	}
	replay_free(rp);
	unlink(trace_path);
	return check_summary();
}
