/*
 * test_replay.c: unit tests of analyzer/replay.c against exact known figures.
 *
 * Synthetic traces are built with the tf encoder and compressed with zstd (one frame per writer
 * pass) into a temporary file: several threads, records out of order within a pass, SYNC
 * records, an event committed one pass late, realloc moving, shrinking and growing in place, a
 * realloc racing with another thread that gets the old address, temporaries, equal timestamps,
 * frees of unknown pointers, a fixup, a stale free, a stack never defined.  Then the same trace
 * cut at every byte offset and with flipped bytes: the replay must never crash (run this under
 * -fsanitize=address,undefined) and must report what precedes the damage.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -Icommon -Ianalyzer tests/unit/test_replay.c
 *        analyzer/replay.c analyzer/util.c common/tf.c common/tf_reader.c -lzstd
 * Output: one `ok ...` or `FAIL ...` line per check, then `N passed, M failed`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "replay.h"
#include "tf.h"

static unsigned passed, failed;

static void check(int cond, const char *what)
{
	if (cond) {
		passed++;
		printf("ok %s\n", what);
	} else {
		failed++;
		printf("FAIL %s\n", what);
	}
}

static void check_u(const char *what, uint64_t got, uint64_t want)
{
	if (got == want) {
		passed++;
		printf("ok %s = %" PRIu64 "\n", what, got);
	} else {
		failed++;
		printf("FAIL %s: got %" PRIu64 ", want %" PRIu64 "\n", what, got, want);
	}
}

/* ---- trace builder ---- */

#define MAX_TB_FRAMES 256

typedef struct tb {
	uint8_t raw[1 << 16];
	tf_enc e;
	tf_evenc w;
	uint8_t *file;
	size_t len, cap;
	size_t nframes;
	size_t frame_start[MAX_TB_FRAMES];
	size_t frame_end[MAX_TB_FRAMES];
	uint64_t events_before[MAX_TB_FRAMES]; /* events in the frames before this one */
	uint64_t events;
	int checksum_odd; /* odd frames carry a zstd checksum */
} tb;

static void tb_init(tb *b)
{
	memset(b, 0, sizeof(*b));
	tf_enc_init(&b->e, b->raw, sizeof(b->raw));
	b->checksum_odd = 1;
}

static void tb_release(tb *b) { free(b->file); }

/* Compresses what was encoded since the last flush into one zstd frame. */
static void tb_flush(tb *b)
{
	size_t bound = ZSTD_compressBound(b->e.len);
	if (b->len + bound > b->cap) {
		b->cap = (b->len + bound) * 2;
		b->file = realloc(b->file, b->cap);
		if (!b->file)
			abort();
	}
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, b->checksum_odd && (b->nframes & 1));
	size_t n = ZSTD_compress2(cc, b->file + b->len, bound, b->raw, b->e.len);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(n) || b->nframes >= MAX_TB_FRAMES)
		abort();
	b->frame_start[b->nframes] = b->len;
	b->frame_end[b->nframes] = b->len + n;
	b->nframes++;
	b->len += n;
	tf_enc_init(&b->e, b->raw, sizeof(b->raw));
	if (b->nframes < MAX_TB_FRAMES)
		b->events_before[b->nframes] = b->events;
}

static void tb_header(tb *b, unsigned version)
{
	static const char argv[] = "./prog\0--fast\0a b\0";
	if (version == TF_VERSION) {
		tf_header h;
		memset(&h, 0, sizeof(h));
		h.pid = 4242;
		h.ppid = 1;
		h.clock_origin_ns = 1000000;
		h.realtime_ns = 1700000000000000000ull;
		h.max_depth = 128;
		h.exe = "/usr/bin/prog";
		h.exe_len = strlen(h.exe);
		h.argv = argv;
		h.argv_len = sizeof(argv) - 1;
		h.argc = 3;
		tf_enc_header(&b->e, &h);
		return;
	}
	tf_enc_begin_record(&b->e, TF_REC_HEADER);
	tf_enc_bytes(&b->e, TF_MAGIC, TF_MAGIC_LEN);
	tf_enc_u(&b->e, version);
	for (int i = 0; i < 5; i++)
		tf_enc_u(&b->e, 1);
	tf_enc_str(&b->e, "x", 1);
	tf_enc_u(&b->e, 0);
	tf_enc_str(&b->e, "", 0);
	tf_enc_end_record(&b->e);
}

static void tb_stack(tb *b, uint64_t id, uint64_t a0)
{
	uint64_t frames[3] = {a0, a0 + 0x100, a0 + 0x200};
	tf_enc_stack(&b->e, id, 0, frames, 3);
}

static void tb_begin(tb *b, uint64_t tid, uint64_t base) { tf_evenc_begin(&b->w, &b->e, tid, base, 0); }
static void tb_end(tb *b) { tf_evenc_end(&b->w); }

static void tb_ev(tb *b, unsigned kind, unsigned func, uint64_t t, uint64_t ptr, uint64_t size,
		  uint64_t stack)
{
	tf_event ev = {(uint8_t)kind, (uint8_t)func, t, ptr, size, stack};
	tf_evenc_add(&b->w, &ev);
	b->events++;
}

#define ALLOC(t, p, sz, st) tb_ev(b, TF_EV_ALLOC, TF_FN_MALLOC, t, p, sz, st)
#define FREE(t, p) tb_ev(b, TF_EV_FREE, TF_FN_FREE, t, p, 0, 0)
#define RFREE(t, p) tb_ev(b, TF_EV_RFREE, TF_FN_REALLOC, t, p, 0, 0)
#define RALLOC(t, p, sz, st) tb_ev(b, TF_EV_RALLOC, TF_FN_REALLOC, t, p, sz, st)

enum { T1 = 101, T2 = 102, T3 = 103 };
enum { S1 = 1, S2 = 2, S3 = 3, S4 = 4, S99 = 99 };

/* The main scenario; the expected figures are worked out in test_main_figures. */
static void build_main(tb *b)
{
	tb_header(b, TF_VERSION);
	tf_module m;
	memset(&m, 0, sizeof(m));
	m.id = 1;
	m.bias = 0x400000;
	m.path = "/usr/bin/prog";
	m.path_len = strlen(m.path);
	m.build_id_len = 4;
	memcpy(m.build_id, "\x01\x02\x03\x04", 4);
	m.nseg = 1;
	m.seg[0].vaddr = 0x1000;
	m.seg[0].memsz = 0x2000;
	m.seg[0].flags = 5;
	tf_enc_module(&b->e, &m);
	tb_stack(b, S1, 0x401000);
	tb_stack(b, S2, 0x402000);
	tb_stack(b, S3, 0x403000);
	tb_stack(b, S4, 0x404000);
	tf_enc_thread(&b->e, T1, "main", 4);
	tb_flush(b);

	/* pass 1: T2's record before T1's, though T1's starts earlier */
	tb_begin(b, T2, 100);
	ALLOC(105, 0x3000, 50, S3);
	FREE(120, 0x3000); /* temporary (S3) */
	tb_end(b);
	tb_begin(b, T1, 100);
	ALLOC(100, 0x1000, 100, S1);
	ALLOC(110, 0x2000, 200, S2);
	FREE(130, 0x2000); /* temporary (S2) */
	tb_end(b);
	tf_enc_rss(&b->e, 500, 4096);
	tf_enc_sync(&b->e, 1000);
	tb_flush(b);

	/* pass 2 */
	tb_begin(b, T3, 1000);
	FREE(1050, 0x1000); /* T1's block, freed by another thread */
	FREE(1200, 0xdead); /* unknown pointer */
	tb_end(b);
	tb_begin(b, T1, 1000);
	ALLOC(1100, 0x2000, 300, S2);
	tb_end(b);
	tb_begin(b, T2, 1000);
	ALLOC(1150, 0x1000, 40, S4); /* address reused after T3's free */
	tb_end(b);
	tf_enc_sync(&b->e, 2000);
	tb_flush(b);

	/* pass 3: T1 reallocs while T2 gets the old address; T2's 1900 was committed late */
	tb_begin(b, T1, 2000);
	RFREE(2100, 0x2000);
	RALLOC(2110, 0x5000, 600, S1); /* moved and grew: counted */
	RFREE(2200, 0x5000);
	RALLOC(2201, 0x5000, 500, S1); /* shrank in place: not counted */
	RFREE(2300, 0x5000);
	RALLOC(2300, 0x5000, 800, S2); /* grew in place: counted; the peak (1850) */
	tb_end(b);
	tb_begin(b, T2, 1900);
	ALLOC(1900, 0x6000, 1000, S4);
	ALLOC(2105, 0x2000, 10, S3);
	FREE(2400, 0x6000); /* not temporary: T2 allocated 0x2000 since */
	tb_end(b);
	tf_enc_rss(&b->e, 2500, 16384);
	tf_enc_sync(&b->e, 3000);
	tb_flush(b);

	/* pass 4 */
	tb_begin(b, T3, 3000);
	ALLOC(3100, 0x7000, 70, S99); /* a stack never defined */
	ALLOC(3300, 0x7000, 7, S99);  /* still live: fixup */
	tb_end(b);
	tb_begin(b, T1, 3000);
	FREE(3200, 0x2000); /* T2's block */
	tb_end(b);
	tf_enc_sync(&b->e, 4000);
	tb_flush(b);

	/* pass 5: equal times */
	tb_begin(b, T2, 4000);
	ALLOC(4650, 0xa000, 16, S4);
	ALLOC(4700, 0xa000, 32, S4); /* after T1's free at the same time */
	tb_end(b);
	tb_begin(b, T1, 4000);
	ALLOC(4500, 0x8000, 5, S1);
	FREE(4700, 0xa000);
	tb_end(b);
	tb_begin(b, T3, 4000);
	ALLOC(4600, 0x9000, 8, S3);
	FREE(4600, 0x9000); /* same time as its allocation: temporary */
	tb_end(b);
	tf_enc_rss(&b->e, 4500, 8192);
	tf_enc_sync(&b->e, 5000);
	tb_flush(b);

	/* pass 6: a free two passes late, older than the block now at its address */
	tb_begin(b, T3, 3000);
	FREE(3250, 0x7000);
	tb_end(b);
	tb_begin(b, T1, 5000);
	FREE(5100, 0x8000); /* temporary (S1) */
	tb_end(b);
	tf_enc_sync(&b->e, 6000);
	tf_end end = {6100, 0, 0, b->events, 0, 4, 1, 3};
	tf_enc_end(&b->e, &end);
	tb_flush(b);
}

static char tmp_path[64];

static void write_file(const uint8_t *p, size_t n)
{
	FILE *f = fopen(tmp_path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(tmp_path);
		abort();
	}
}

typedef struct warns {
	int n;
	char text[8192];
} warns;

static void warn_cb(void *ctx, const char *msg)
{
	warns *w = ctx;
	w->n++;
	size_t len = strlen(w->text);
	snprintf(w->text + len, sizeof(w->text) - len, "%s\n", msg);
}

typedef struct order {
	uint64_t n, last_t, decreasing;
	int free_4700_first; /* T1's free at 4700 came before T2's alloc at 4700 */
	int seen_free_4700;
	uint64_t statuses[8];
	uint64_t final_heap;
} order;

static void obs_event(void *ctx, const rp_event *ev)
{
	order *o = ctx;
	o->n++;
	if (ev->time_ns < o->last_t)
		o->decreasing++;
	o->last_t = ev->time_ns;
	if (ev->time_ns == 4700 && ev->kind == TF_EV_FREE)
		o->seen_free_4700 = 1;
	if (ev->time_ns == 4700 && ev->kind == TF_EV_ALLOC)
		o->free_4700_first = o->seen_free_4700;
	if (ev->status < 8)
		o->statuses[ev->status]++;
	o->final_heap = ev->heap_bytes;
}

/* Replays `n` bytes; returns rp_run's code, *out the replay (caller frees). */
static int run_bytes(const uint8_t *p, size_t n, rp_ctx **out, warns *w, order *o)
{
	write_file(p, n);
	rp_ctx *rp;
	if (rp_create(&rp))
		abort();
	if (w) {
		memset(w, 0, sizeof(*w));
		rp_set_warn(rp, warn_cb, w);
	}
	if (o) {
		memset(o, 0, sizeof(*o));
		rp_observer obs = {obs_event, NULL, o};
		rp_set_observer(rp, &obs);
	}
	tf_reader *r;
	if (tf_reader_open(&r, tmp_path)) {
		rp_free(rp);
		*out = NULL;
		return -100;
	}
	int rc = rp_run(rp, r);
	tf_reader_close(r);
	*out = rp;
	return rc;
}

static void check_stack(const rp_ctx *rp, uint64_t id, uint64_t allocs, uint64_t bytes,
			uint64_t live, uint64_t live_n, uint64_t temp, uint64_t peak, uint64_t peak_n)
{
	char what[96];
	const rp_stack *s = rp_stack_find(rp, id);
	snprintf(what, sizeof(what), "stack %" PRIu64 " exists", id);
	check(s != NULL, what);
	if (!s)
		return;
#define CS(field, want)                                                                            \
	do {                                                                                       \
		snprintf(what, sizeof(what), "stack %" PRIu64 " " #field, id);                     \
		check_u(what, s->field, want);                                                     \
	} while (0)
	CS(allocations, allocs);
	CS(allocated_bytes, bytes);
	CS(live_bytes, live);
	CS(live_allocations, live_n);
	CS(temporary, temp);
	CS(peak_bytes, peak);
	CS(peak_allocations, peak_n);
#undef CS
}

static void test_main_figures(const tb *b)
{
	rp_ctx *rp;
	warns w;
	order o;
	int rc = run_bytes(b->file, b->len, &rp, &w, &o);
	check_u("main: rp_run", (uint64_t)(int64_t)rc, 0);
	const rp_summary *s = rp_get_summary(rp);
	const rp_header *h = rp_get_header(rp);
	check_u("main: pid", h->pid, 4242);
	check(strcmp(h->exe, "/usr/bin/prog") == 0, "main: exe");
	check(h->argc == 3 && strcmp(h->argv[2], "a b") == 0, "main: argv");
	check_u("main: events read", s->events_read, b->events);
	check_u("main: allocations", s->allocations, 15);
	check_u("main: allocated bytes", s->allocated_bytes, 3238);
	check_u("main: frees", s->frees, 8);
	check_u("main: temporary", s->temporary, 4);
	check_u("main: heap at end", s->heap_bytes, 879);
	check_u("main: live allocations at end", s->live_allocations, 4);
	check_u("main: peak heap", s->peak_heap_bytes, 1850);
	check_u("main: peak time", s->peak_time_ns, 2300);
	check_u("main: peak allocations", s->peak_allocations, 4);
	check_u("main: peak rss", s->peak_rss_bytes, 16384);
	check_u("main: duration", s->duration_ns, 6100);
	check_u("main: fixups", s->fixups, 1);
	check_u("main: stale frees", s->stale_frees, 1);
	check_u("main: unmatched frees", s->unmatched_frees, 1);
	check_u("main: late events", s->late_events, 1);
	check_u("main: undefined stacks", s->undefined_stacks, 1);
	check_u("main: syncs", s->syncs, 6);
	check(s->have_end && !s->damaged, "main: complete");
	/* the late free produces a warning; nothing else */
	check_u("main: warnings", (uint64_t)w.n, 1);
	check(strstr(w.text, "1 events arrived too late") != NULL, "main: late warning text");
	/*                 id   allocs bytes live live_n temp peak peak_n */
	check_stack(rp, S1, 3, 705, 0, 0, 1, 0, 0);
	check_stack(rp, S2, 3, 1300, 800, 1, 1, 800, 1);
	check_stack(rp, S3, 3, 68, 0, 0, 2, 10, 1);
	check_stack(rp, S4, 4, 1088, 72, 2, 0, 1040, 2);
	check_stack(rp, S99, 2, 77, 7, 1, 0, 0, 0);
	const rp_stack *s1 = rp_stack_find(rp, S1), *s99 = rp_stack_find(rp, S99);
	check(s1 && s1->defined && s1->nframes == 3 && s1->frames[1] == 0x401100,
	      "main: stack frames kept");
	check(s99 && !s99->defined && s99->nframes == 0, "main: undefined stack");
	check_u("main: module records", rp_modrec_count(rp), 1);
	check(rp_modrec_count(rp) == 1 && strcmp(rp_modrec_at(rp, 0)->mod.path, "/usr/bin/prog") == 0,
	      "main: module path");
	check_u("main: observer events", o.n, b->events);
	check_u("main: observer time went back", o.decreasing, 1); /* the late free only */
	check(o.free_4700_first, "main: free before alloc at equal time across threads");
	check_u("main: observer fixups", o.statuses[RP_ST_FIXUP], 1);
	check_u("main: observer stale", o.statuses[RP_ST_STALE], 1);
	check_u("main: observer unmatched", o.statuses[RP_ST_UNMATCHED], 1);
	check_u("main: observer final heap", o.final_heap, 879);
	rp_free(rp);
}

/* The END record says more events than were read, and dropped events. */
static void test_end_mismatch(void)
{
	tb *b = malloc(sizeof(*b));
	tb_init(b);
	tb_header(b, TF_VERSION);
	tb_begin(b, T1, 0);
	ALLOC(10, 0x10, 8, S1);
	tb_end(b);
	tf_end end = {20, 1, 0, 5, 2, 0, 0, 1};
	tf_enc_end(&b->e, &end);
	tb_flush(b);
	rp_ctx *rp;
	warns w;
	int rc = run_bytes(b->file, b->len, &rp, &w, NULL);
	check_u("end mismatch: rp_run", (uint64_t)(int64_t)rc, 0);
	check_u("end mismatch: warnings", (uint64_t)w.n, 2);
	check(strstr(w.text, "counts 5 events but 1 were read") != NULL, "end mismatch: events text");
	check(strstr(w.text, "dropped 2 events") != NULL, "end mismatch: dropped text");
	check_u("end mismatch: leaked stays", rp_get_summary(rp)->heap_bytes, 8);
	rp_free(rp);
	tb_release(b);
	free(b);
}

/* Not a trace, empty, newer version: nothing read, one line each. */
static void test_bad_input(void)
{
	rp_ctx *rp;
	warns w;
	uint8_t junk[300];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	int rc = run_bytes(junk, sizeof(junk), &rp, &w, NULL);
	check_u("random bytes: no trace", (uint64_t)(int64_t)rc, (uint64_t)(int64_t)RP_ENOTRACE);
	check(w.n == 1 && strstr(w.text, "not a leakrec trace"), "random bytes: one message");
	rp_free(rp);

	rc = run_bytes(junk, 0, &rp, &w, NULL);
	check_u("empty file: no trace", (uint64_t)(int64_t)rc, (uint64_t)(int64_t)RP_ENOTRACE);
	check(w.n == 1 && strstr(w.text, "empty file"), "empty file: one message");
	rp_free(rp);

	tb *b = malloc(sizeof(*b));
	tb_init(b);
	tb_header(b, TF_VERSION + 1);
	tb_flush(b);
	rc = run_bytes(b->file, b->len, &rp, &w, NULL);
	check_u("newer version: no trace", (uint64_t)(int64_t)rc, (uint64_t)(int64_t)RP_ENOTRACE);
	check(w.n == 1 && strstr(w.text, "newer leakrec"), "newer version: one message");
	rp_free(rp);
	tb_release(b);
	free(b);
}

/* The main trace cut at every byte offset. */
static void test_truncation(const tb *b)
{
	unsigned bad_rc = 0, bad_events = 0, bad_msg = 0, runs = 0;
	for (size_t cut = 0; cut < b->len; cut++) {
		rp_ctx *rp;
		warns w;
		int rc = run_bytes(b->file, cut, &rp, &w, NULL);
		runs++;
		/* frames complete before the cut */
		size_t k = 0;
		while (k < b->nframes && b->frame_end[k] <= cut)
			k++;
		if (k == 0) {
			bad_rc += rc != RP_ENOTRACE;
		} else {
			uint64_t want = k < b->nframes ? b->events_before[k] : b->events;
			bad_rc += rc != 0;
			bad_events += rp_get_summary(rp)->events_read != want;
			char expect[96];
			if (cut == b->frame_end[k - 1])
				snprintf(expect, sizeof(expect), "no end record");
			else
				snprintf(expect, sizeof(expect), "truncated at byte %zu ",
					 b->frame_start[k]);
			if (w.n != 1 || !strstr(w.text, expect)) {
				if (!bad_msg)
					printf("# cut %zu: want '%s', got '%s'\n", cut, expect, w.text);
				bad_msg++;
			}
		}
		rp_free(rp);
	}
	char what[96];
	snprintf(what, sizeof(what), "truncation: %u cuts, return codes", runs);
	check_u(what, bad_rc, 0);
	check_u("truncation: events read before the cut", bad_events, 0);
	check_u("truncation: exactly one message naming the offset", bad_msg, 0);
}

/* Every byte of the main trace flipped in turn. */
static void test_flips(const tb *b)
{
	uint8_t *copy = malloc(b->len);
	unsigned bad = 0, runs = 0;
	for (size_t pos = 0; pos < b->len; pos++) {
		memcpy(copy, b->file, b->len);
		copy[pos] ^= (uint8_t)(0x5a + pos);
		if (copy[pos] == b->file[pos])
			copy[pos] ^= 1;
		rp_ctx *rp;
		warns w;
		int rc = run_bytes(copy, b->len, &rp, &w, NULL);
		runs++;
		size_t k = 0; /* the damaged frame */
		while (k < b->nframes && b->frame_end[k] <= pos)
			k++;
		if (k > 0) {
			/* everything before the damaged frame is read */
			if (rc != 0 || rp_get_summary(rp)->events_read < b->events_before[k]) {
				if (!bad)
					printf("# flip at %zu: rc %d, %" PRIu64 " events\n", pos, rc,
					       rp_get_summary(rp)->events_read);
				bad++;
			}
		}
		rp_free(rp);
	}
	free(copy);
	char what[96];
	snprintf(what, sizeof(what), "flips: %u runs without crash, the part before the damage read",
		 runs);
	check_u(what, bad, 0);
}

/* Many passes of alloc/free pairs: pending events stay bounded by the SYNC lag, figures exact. */
static void test_long(void)
{
	tb *b = malloc(sizeof(*b));
	tb_init(b);
	b->checksum_odd = 0;
	tb_header(b, TF_VERSION);
	tb_stack(b, S1, 0x1000);
	uint64_t t = 0;
	for (int pass = 0; pass < 200; pass++) {
		for (uint64_t tid = 1; tid <= 3; tid++) {
			tb_begin(b, tid, t);
			for (int i = 0; i < 100; i++) {
				uint64_t p = 0x100000 * tid + (uint64_t)(i % 7) * 16;
				ALLOC(t + (uint64_t)i * 10 + tid, p, 24, S1);
				FREE(t + (uint64_t)i * 10 + tid + 5, p);
			}
			tb_end(b);
		}
		t += 1000;
		tf_enc_sync(&b->e, t);
		tb_flush(b);
	}
	tf_end end = {t, 0, 0, b->events, 0, 1, 0, 3};
	tf_enc_end(&b->e, &end);
	tb_flush(b);
	rp_ctx *rp;
	warns w;
	int rc = run_bytes(b->file, b->len, &rp, &w, NULL);
	const rp_summary *s = rp_get_summary(rp);
	check_u("long: rp_run", (uint64_t)(int64_t)rc, 0);
	check_u("long: warnings", (uint64_t)w.n, 0);
	check_u("long: allocations", s->allocations, 60000);
	check_u("long: temporary", s->temporary, 60000);
	check_u("long: heap at end", s->heap_bytes, 0);
	check_u("long: peak", s->peak_heap_bytes, 72);
	check_u("long: late", s->late_events, 0);
	rp_free(rp);
	tb_release(b);
	free(b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *dir = getenv("TMPDIR");
	snprintf(tmp_path, sizeof(tmp_path), "%s/test_replay.XXXXXX",
		 dir && strlen(dir) < 40 ? dir : "/tmp");
	int fd = mkstemp(tmp_path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);

	tb *b = malloc(sizeof(*b));
	tb_init(b);
	build_main(b);
	test_main_figures(b);
	test_end_mismatch();
	test_bad_input();
	test_truncation(b);
	test_flips(b);
	test_long();
	tb_release(b);
	free(b);
	unlink(tmp_path);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
