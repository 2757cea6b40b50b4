/*
 * test_merge.c: the writer's merge (recorder/merge.c) fed hand-made event windows; its EVENTS
 * records are decoded back (common/tf_dec.c) and checked: one time order across sources, equal
 * stamps settled by the live map, allocation numbers, implicit and unmatched frees, in-place
 * reallocs (also across windows), times relative to the origin, and records cut at
 * MERGE_EVENTS_PER_RECORD events, each numbered from where the last one ended.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "livemap.h"
#include "merge.h"
#include "tf_dec.h"

#define ORIGIN 1000000u
#define OUT_CAP (8u << 20)
#define MAX_OUT 100000

/* ---- the output: records in a buffer, decoded when full or asked ---- */

static uint8_t out_buf[OUT_CAP];
static tf_enc out_enc;
static tf_event got[MAX_OUT];
static size_t ngot;
static uint64_t rec_count[64], rec_first[64];
static size_t nrec, reserves;
static int decode_errors;

static void decode_all(void)
{
	tf_dec d = {out_buf, out_buf + out_enc.len};
	while (d.p < d.end) {
		uint64_t type, len;
		if (tf_dec_u(&d, &type) || tf_dec_u(&d, &len) || len > (uint64_t)(d.end - d.p)) {
			decode_errors++;
			break;
		}
		tf_record rec = {.type = (unsigned)type, .payload = d.p, .len = (size_t)len};
		d.p += len;
		if (type != TF_REC_EVENTS || tf_dec_record(&rec) != 0) {
			decode_errors++;
			continue;
		}
		if (nrec < 64) {
			rec_count[nrec] = rec.u.events.count;
			rec_first[nrec] = rec.u.events.next_id;
		}
		nrec++;
		tf_event ev;
		int rc;
		while ((rc = tf_dec_events_next(&rec.u.events, &ev)) > 0 && ngot < MAX_OUT)
			got[ngot++] = ev;
		decode_errors += rc < 0;
	}
	out_enc.len = 0;
}

static void reserve(void *ctx, size_t need)
{
	(void)ctx;
	reserves++;
	if (out_enc.len + need > OUT_CAP)
		decode_all();
}


static void start(void)
{
	merge_reset();
	tf_enc_init(&out_enc, out_buf, sizeof(out_buf));
	merge_out o = {&out_enc, reserve, NULL, ORIGIN};
	merge_init(&o);
	ngot = nrec = reserves = 0;
	decode_errors = 0;
}

/* ---- sources ---- */

#define SRC_CAP 1024 /* events per hand-made source; the merge sees them through mask */

typedef struct src {
	ring_ev ev[SRC_CAP];
	uint64_t n;
	merge_src m;
} src;

static void src_init(src *s, uint64_t tid)
{
	memset(s, 0, sizeof(*s));
	s->m.ev = s->ev;
	s->m.mask = SRC_CAP - 1;
	s->m.tid = tid;
}

static void add(src *s, uint64_t t, uint8_t kind, uint64_t ptr, uint64_t size)
{
	uint8_t func = kind == TF_EV_ALLOC ? TF_FN_MALLOC : kind == TF_EV_FREE ? TF_FN_FREE : TF_FN_REALLOC;
	ring_ev e = {ORIGIN + t, ptr, size, kind == TF_EV_ALLOC || kind == TF_EV_RALLOC ? 9 : 0, kind, func, 0};
	s->ev[s->n++ & (SRC_CAP - 1)] = e;
}

/* Merges the events of the sources added since their last window as one window. */
static int run(src **s, int n)
{
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (s[i]->m.end == s[i]->n)
			continue;
		s[i]->m.cur = s[i]->m.end;
		s[i]->m.end = s[i]->n;
		rc |= merge_add(&s[i]->m);
	}
	rc |= merge_window(0, 0);
	decode_all();
	return rc;
}

static const char *kind_name(unsigned k)
{
	static const char *n[] = {"alloc", "free", "rfree", "ralloc"};
	return k < 4 ? n[k] : "?";
}

/* Checks the decoded output against `want` (kind, id, time, tid per event). */
typedef struct want {
	uint8_t kind;
	uint64_t id, time, tid;
} want;

static void expect_events(const char *what, const want *w, size_t n)
{
	CHECK(ngot == n, "%s: %zu events written, want %zu", what, ngot, n);
	for (size_t i = 0; i < n && i < ngot; i++) {
		const tf_event *e = &got[i];
		CHECK(e->kind == w[i].kind && e->id == w[i].id && e->time_ns == w[i].time && e->tid == w[i].tid,
		      "%s: event %zu is %s #%llu at %llu on %llu, want %s #%llu at %llu on %llu", what, i,
		      kind_name(e->kind), (unsigned long long)e->id, (unsigned long long)e->time_ns,
		      (unsigned long long)e->tid, kind_name(w[i].kind), (unsigned long long)w[i].id,
		      (unsigned long long)w[i].time, (unsigned long long)w[i].tid);
	}
	CHECK_U("decode errors", (uint64_t)decode_errors, 0);
}

/* ---- the cases ---- */

static src A, B, C;

static void test_order_across_rings(void)
{
	start();
	src_init(&A, 1);
	src_init(&B, 2);
	src_init(&C, 3);
	add(&A, 10, TF_EV_ALLOC, 0x100, 8);
	add(&A, 40, TF_EV_FREE, 0x200, 0);
	add(&A, 70, TF_EV_ALLOC, 0x300, 8);
	add(&B, 20, TF_EV_ALLOC, 0x200, 8);
	add(&B, 50, TF_EV_FREE, 0x100, 0);
	add(&C, 5, TF_EV_ALLOC, 0x400, 16);
	add(&C, 60, TF_EV_FREE, 0x400, 0);
	src *s[] = {&A, &B, &C};
	EXPECT(run(s, 3) == 0);
	want w[] = {{TF_EV_ALLOC, 0, 5, 3},  {TF_EV_ALLOC, 1, 10, 1}, {TF_EV_ALLOC, 2, 20, 2},
		    {TF_EV_FREE, 2, 40, 1},  {TF_EV_FREE, 1, 50, 2},  {TF_EV_FREE, 0, 60, 3},
		    {TF_EV_ALLOC, 3, 70, 1}};
	expect_events("three rings", w, sizeof(w) / sizeof(w[0]));
	CHECK(A.m.cur == A.m.end && B.m.cur == B.m.end && C.m.cur == C.m.end, "every window consumed");
	CHECK_U("allocs", merge_totals()->allocs, 4);
	CHECK_U("frees", merge_totals()->frees, 3);
	CHECK_U("events", merge_totals()->events, 7);
	CHECK_U("next number", merge_totals()->next_id, 4);
	CHECK_U("one live block left", livemap_count(), 1);
	CHECK(got[0].size == 16 && got[0].stack == 9 && got[0].func == TF_FN_MALLOC,
	      "an allocation keeps its size, stack and function");
}

/* Two threads stamp the same nanosecond: the free of a block and the allocation that reuses its
 * address.  Whichever of them the heap offers first, the order written must agree with the live
 * map: the free first when the block is live, the allocation first when it is not. */
static void test_equal_stamps(void)
{
	for (int order = 0; order < 2; order++) {
		start();
		src_init(&A, 1);
		src_init(&B, 2);
		src_init(&C, 3);
		add(&C, 10, TF_EV_ALLOC, 0x100, 8); /* the block ... */
		add(&A, 30, TF_EV_FREE, 0x100, 0);  /* ... its free ... */
		add(&B, 30, TF_EV_ALLOC, 0x100, 8); /* ... and its reuse, at the same stamp */
		add(&B, 30, TF_EV_FREE, 0x100, 0);
		/* Added C, A, B the heap offers B's allocation first (the rule must step over it);
		 * added C, B, A it offers A's free first. */
		src *s[] = {&C, order ? &B : &A, order ? &A : &B};
		EXPECT(run(s, 3) == 0);
		want w[] = {{TF_EV_ALLOC, 0, 10, 3}, {TF_EV_FREE, 0, 30, 1}, {TF_EV_ALLOC, 1, 30, 2},
			    {TF_EV_FREE, 1, 30, 2}};
		expect_events(order ? "equal stamps, free offered first" : "equal stamps, reuse offered first",
			      w, 4);
		CHECK_U("no implicit free", merge_totals()->implicit, 0);
		CHECK_U("no unmatched free", merge_totals()->unmatched, 0);
	}
	/* An allocation and a free of its address at the same stamp on two threads, the block not
	 * live before: the allocation goes first. */
	for (int order = 0; order < 2; order++) {
		start();
		src_init(&A, 1);
		src_init(&B, 2);
		add(&A, 20, TF_EV_FREE, 0x500, 0);
		add(&B, 20, TF_EV_ALLOC, 0x500, 8);
		src *s[] = {order ? &B : &A, order ? &A : &B};
		EXPECT(run(s, 2) == 0);
		want w[] = {{TF_EV_ALLOC, 0, 20, 2}, {TF_EV_FREE, 0, 20, 1}};
		expect_events("free of a block allocated at the same stamp", w, 2);
		CHECK_U("no unmatched free", merge_totals()->unmatched, 0);
	}
}

static void test_implicit_frees(void)
{
	start();
	src_init(&A, 1);
	add(&A, 10, TF_EV_ALLOC, 0x100, 8);
	add(&A, 20, TF_EV_ALLOC, 0x100, 24); /* the allocator reused it: its free was never seen */
	add(&A, 30, TF_EV_FREE, 0x100, 0);
	src *s[] = {&A};
	EXPECT(run(s, 1) == 0);
	want w[] = {{TF_EV_ALLOC, 0, 10, 1}, {TF_EV_FREE, 0, 20, 1}, {TF_EV_ALLOC, 1, 20, 1},
		    {TF_EV_FREE, 1, 30, 1}};
	expect_events("implicit free", w, 4);
	CHECK(ngot > 1 && got[1].func == TF_FN_IMPLICIT, "the inserted free says it is implicit (func %u)",
	      ngot > 1 ? got[1].func : 0);
	CHECK_U("implicit frees", merge_totals()->implicit, 1);
	CHECK_U("frees count it", merge_totals()->frees, 2);
	CHECK_U("allocs", merge_totals()->allocs, 2);
}

static void test_unmatched_frees(void)
{
	start();
	src_init(&A, 1);
	add(&A, 10, TF_EV_FREE, 0x900, 0); /* allocated before recording started */
	add(&A, 20, TF_EV_ALLOC, 0x100, 8);
	add(&A, 30, TF_EV_RFREE, 0x910, 0); /* a realloc of one */
	add(&A, 30, TF_EV_RALLOC, 0x920, 8);
	src *s[] = {&A};
	EXPECT(run(s, 1) == 0);
	want w[] = {{TF_EV_ALLOC, 0, 20, 1}, {TF_EV_RALLOC, 1, 30, 1}};
	expect_events("unmatched frees dropped", w, 2);
	CHECK_U("unmatched", merge_totals()->unmatched, 2);
	CHECK_U("frees", merge_totals()->frees, 0);
	CHECK_U("events", merge_totals()->events, 2);
}

static void test_inplace_realloc(void)
{
	start();
	src_init(&A, 1);
	src_init(&B, 2);
	add(&A, 10, TF_EV_ALLOC, 0x100, 8);
	add(&A, 20, TF_EV_RFREE, 0x100, 0);
	add(&A, 21, TF_EV_RALLOC, 0x100, 64); /* grew in place */
	add(&A, 30, TF_EV_RFREE, 0x100, 0);
	add(&A, 31, TF_EV_RALLOC, 0x180, 4096); /* moved */
	add(&B, 15, TF_EV_ALLOC, 0x800, 8);
	add(&B, 40, TF_EV_RFREE, 0x800, 0);
	src *s[] = {&A, &B};
	EXPECT(run(s, 2) == 0);
	want w[] = {{TF_EV_ALLOC, 0, 10, 1}, {TF_EV_ALLOC, 1, 15, 2},   {TF_EV_RFREE, 0, 20, 1},
		    {TF_EV_RALLOC, 2, 21, 1}, {TF_EV_RFREE, 2, 30, 1}, {TF_EV_RALLOC, 3, 31, 1},
		    {TF_EV_RFREE, 1, 40, 2}};
	expect_events("reallocs", w, 7);
	CHECK(ngot == 7 && got[3].inplace && !got[5].inplace, "in place: %d %d (want 1 0)",
	      ngot == 7 && got[3].inplace, ngot == 7 && got[5].inplace);
	CHECK(ngot == 7 && got[3].size == 64 && got[5].size == 4096, "realloc sizes");
	/* The next window: B's RALLOC at the address of its RFREE of the last window is in place;
	 * A's RALLOC at B's address is not (its own last RFREE was elsewhere). */
	add(&B, 41, TF_EV_RALLOC, 0x800, 16);
	add(&A, 50, TF_EV_RFREE, 0x180, 0);
	add(&A, 51, TF_EV_RALLOC, 0x800, 8); /* reuses B's block: an implicit free first */
	ngot = 0;
	EXPECT(run(s, 2) == 0);
	want w2[] = {{TF_EV_RALLOC, 4, 41, 2}, {TF_EV_RFREE, 3, 50, 1}, {TF_EV_FREE, 4, 51, 1},
		     {TF_EV_RALLOC, 5, 51, 1}};
	expect_events("reallocs across windows", w2, 4);
	CHECK(ngot == 4 && got[0].inplace && !got[3].inplace, "in place across windows: %d %d (want 1 0)",
	      ngot == 4 && got[0].inplace, ngot == 4 && got[3].inplace);
	CHECK(nrec == 2, "one record per window (%zu)", nrec);
	CHECK(nrec == 2 && rec_first[1] == 4, "the second window's record numbers from 4 (%llu)",
	      (unsigned long long)rec_first[1]);
}

static void test_record_boundaries(void)
{
	enum { N = 2 * MERGE_EVENTS_PER_RECORD + 1000 };
	static ring_ev big[32768];
	start();
	/* One source of N allocations at the ring's own size (a mask of 32767), starting past the
	 * wrap, and a second one that frees every other block. */
	merge_src a = {big, 32767, 30000, 30000 + N, 1, 0, 0, 0};
	for (uint64_t i = 0; i < N; i++) {
		ring_ev e = {ORIGIN + 2 * i, 0x10000 + i * 32, i, 1, TF_EV_ALLOC, TF_FN_MALLOC, 0};
		big[(30000 + i) & 32767] = e;
	}
	static ring_ev fr[N];
	merge_src f = {fr, 0, 0, N / 2, 2, 0, 0, 0};
	f.mask = 16383;
	for (uint64_t i = 0; i < N / 2; i++) {
		ring_ev e = {ORIGIN + 4 * i + 1, 0x10000 + 2 * i * 32, 0, 0, TF_EV_FREE, TF_FN_FREE, 0};
		fr[i & 16383] = e;
	}
	EXPECT(merge_add(&a) == 0);
	EXPECT(merge_add(&f) == 0);
	EXPECT(merge_window(0, 0) == 0);
	decode_all();
	uint64_t total = N + N / 2;
	CHECK_U("events written", ngot, total);
	CHECK_U("events counted", merge_totals()->events, total);
	size_t want_recs = (total + MERGE_EVENTS_PER_RECORD - 1) / MERGE_EVENTS_PER_RECORD;
	CHECK_U("records", nrec, want_recs);
	CHECK_U("one reserve per record", reserves, want_recs);
	uint64_t allocs_before = 0;
	int counts_ok = 1, firsts_ok = 1;
	for (size_t r = 0, ev = 0; r < nrec && r < 64; r++) {
		uint64_t full = total - ev < MERGE_EVENTS_PER_RECORD ? total - ev : MERGE_EVENTS_PER_RECORD;
		counts_ok &= rec_count[r] == full;
		firsts_ok &= rec_first[r] == allocs_before;
		for (uint64_t k = 0; k < rec_count[r] && ev < ngot; k++, ev++)
			allocs_before += got[ev].kind == TF_EV_ALLOC;
	}
	CHECK(counts_ok, "records hold %d events but the last", MERGE_EVENTS_PER_RECORD);
	CHECK(firsts_ok, "each record's first number follows the last record's allocations");
	int order = 1, ids = 1;
	uint64_t next = 0;
	for (size_t i = 0; i < ngot; i++) {
		order &= i == 0 || got[i].time_ns >= got[i - 1].time_ns;
		if (got[i].kind == TF_EV_ALLOC)
			ids &= got[i].id == next++ && got[i].size == got[i].time_ns / 2;
		else
			ids &= got[i].id == (got[i].time_ns - 1) / 2; /* block 2k, freed at 4k + 1 */
	}
	CHECK(order, "times never go back");
	CHECK(ids, "allocations numbered in order, frees name theirs");
	CHECK(a.cur == a.end && f.cur == f.end, "both windows consumed");
}

static void test_reset_and_times(void)
{
	start();
	src_init(&A, 7);
	add(&A, 123456, TF_EV_ALLOC, 0x100, 1);
	src *s[] = {&A};
	EXPECT(run(s, 1) == 0);
	CHECK(ngot == 1 && got[0].time_ns == 123456, "times are relative to the origin (%llu)",
	      ngot ? (unsigned long long)got[0].time_ns : 0ull);
	/* An event stamped before the origin (a thread racing the start) is written at 0. */
	ring_ev early = {ORIGIN - 5, 0x200, 1, 1, TF_EV_ALLOC, TF_FN_MALLOC, 0};
	merge_src e = {&early, 0, 0, 1, 7, 0, 0, 0};
	ngot = 0;
	EXPECT(merge_add(&e) == 0);
	EXPECT(merge_window(0, 0) == 0);
	decode_all();
	CHECK(ngot == 1 && got[0].time_ns == 0 && got[0].id == 1, "an early stamp is written at 0");
	merge_reset();
	CHECK(merge_totals()->next_id == 0 && merge_totals()->allocs == 0 && merge_totals()->events == 0 && livemap_count() == 0,
	      "reset forgets numbers, counters and live blocks");
	CHECK_U("merging nothing writes nothing", merge_window(0, 0), 0);
}

int main(void)
{
	test_order_across_rings();
	test_equal_stamps();
	test_implicit_frees();
	test_unmatched_frees();
	test_inplace_realloc();
	test_record_boundaries();
	test_reset_and_times();
	return check_summary();
}
